// The "Forward a port…" dialog: the ports the pod's containers declare (one click picks one),
// the pod's port, the local port (empty: the same number when it is free here, else a free
// one). It stays open while the forward starts, and a refusal is said in it with what was
// typed kept, so the user changes the port and tries again.
import { h } from "../dom";
import { errorKind, errorMessage } from "../ipc";
import type { DeclaredPort, ForwardInfo } from "../ipc/types";
import { shownName } from "../terminal/production";
import { declaredPortLabel, declaredPortValue, localProblem, portProblem } from "./model";

export interface ForwardQuestion {
  pod: string;
  namespace: string;
  /** What the pod's containers declare (TCP). */
  ports: readonly DeclaredPort[];
  /** The cluster's profile, when it is marked production (said in the question). */
  production: string | null;
  /** Starts the forward: the pod's port as typed, the local port (null: any). */
  start: (remote: string, local: number | null) => Promise<ForwardInfo>;
  /** The forward started (also after the dialog was closed meanwhile). */
  started: (f: ForwardInfo) => void;
  /** It failed after the dialog was closed: nowhere in it to say so. */
  failedClosed: (message: string) => void;
}

/** Says in the dialog's place why `pod`'s ports (or "a Service"'s) cannot be forwarded (a pod that is not running, no cluster picked). */
export function refuseForward(pod: string, why: string): HTMLDialogElement {
  const earlier = document.querySelector<HTMLDialogElement>("dialog.forward-offer");
  earlier?.close();
  earlier?.remove();
  const close = h("button", { type: "button", class: "cancel", onclick: () => dialog.close() }, "Close");
  const dialog = h(
    "dialog",
    { class: "forward-offer", "aria-label": "Forward a port" },
    h("h2", {}, `Cannot forward a port to ${pod}`),
    h("p", { class: "debug-error", role: "alert" }, why),
    h("div", { class: "form-actions" }, close),
  );
  showForwardDialog(dialog, () => {});
  close.focus();
  return dialog;
}

/** Opens the dialog (one at a time); the pod's port field has the focus. */
export function askForward(q: ForwardQuestion): HTMLDialogElement {
  // One at a time: an earlier one closes (its pending start then says its end in the list's note).
  const earlier = document.querySelector<HTMLDialogElement>("dialog.forward-offer");
  earlier?.close();
  earlier?.remove();
  const remote = h("input", { type: "text", class: "offer-edit", spellcheck: "false", "aria-label": "Port in the pod", autocomplete: "off" });
  const local = localPortField("same as the pod's when free");
  const first = q.ports[0];
  if (first) remote.value = declaredPortValue(first);
  const problem = h("p", { class: "debug-error", role: "alert", hidden: true });
  const cancel = h("button", { type: "button", class: "cancel", onclick: () => dialog.close() }, "Cancel");
  const confirm = h("button", { type: "button", class: "primary debug-confirm" }, "Forward");
  const declared =
    q.ports.length === 0
      ? h("span", { class: "forward-none" }, "none declared: type the port its server listens on")
      : h(
          "span",
          { class: "forward-ports" },
          ...q.ports.map((p) =>
            h(
              "button",
              {
                type: "button",
                class: "forward-port",
                "data-port": String(p.port),
                title: `${p.container}: port ${p.port}${p.name ? ` (${p.name})` : ""}`,
                onclick: () => {
                  remote.value = declaredPortValue(p);
                  say(null);
                  confirm.focus();
                },
              },
              declaredPortLabel(p, q.ports),
            ),
          ),
        );
  const facts: [string, HTMLElement | string][] = [
    ["Pod", `${q.pod} (namespace ${q.namespace})`],
    ["Declared ports", declared],
    ["Port in the pod", remote],
    ["Local port", local],
    ["Listens on", "127.0.0.1 only (this computer)"],
  ];
  let open = true;
  let busy = false;
  const say = (text: string | null): void => {
    problem.textContent = text ?? "";
    problem.hidden = text === null;
  };
  const setBusy = (on: boolean): void => {
    busy = on;
    confirm.disabled = on;
    confirm.textContent = on ? "Forwarding…" : "Forward";
    remote.readOnly = on;
    local.readOnly = on;
    for (const b of dialog.querySelectorAll<HTMLButtonElement>("button.forward-port")) b.disabled = on;
    dialog.setAttribute("aria-busy", String(on));
  };
  const agree = (): void => {
    if (busy) return;
    const checks: [HTMLInputElement, (text: string) => string | null][] = [
      [remote, portProblem],
      [local, localProblem],
    ];
    for (const [input, problemOf] of checks) {
      const wrong = problemOf(input.value.trim());
      if (wrong !== null) {
        say(wrong);
        input.focus();
        return;
      }
    }
    const port = remote.value.trim();
    const localText = local.value.trim();
    say(null);
    setBusy(true);
    q.start(port, localText === "" ? null : Number(localText)).then(
      (f) => {
        if (open) dialog.close();
        q.started(f);
      },
      (err: unknown) => {
        const message = `Port ${port} of ${q.pod}: ${errorMessage(err)}`;
        if (!open) {
          q.failedClosed(message);
          return;
        }
        setBusy(false);
        say(message);
        // The local port taken: that is the field to change; else the pod's port.
        (errorKind(err) === "local" && localText !== "" ? local : remote).focus();
      },
    );
  };
  confirm.addEventListener("click", agree);
  for (const input of [remote, local]) {
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        agree();
      }
    });
  }
  const dialog = h(
    "dialog",
    { class: "forward-offer", "aria-label": "Forward a port" },
    h("h2", {}, `Forward a port to ${q.pod}?`),
    h("dl", { class: "debug-facts" }, ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", { "data-fact": k.toLowerCase() }, v)])),
    problem,
    forwardMeaning(q.production, "Nothing changes in the pod: while the forward runs, connections to the local port reach the pod's port.", "this pod"),
    h("div", { class: "form-actions" }, cancel, confirm),
  );
  showForwardDialog(dialog, () => (open = false));
  remote.focus();
  remote.select();
  return dialog;
}

/** What a forward means, said in its dialog: `calm`, or in a profile marked `production` that every program here reaches `what` for real. */
export function forwardMeaning(production: string | null, calm: string, what: string): HTMLElement {
  if (production === null) return h("p", {}, calm);
  return h(
    "p",
    { class: "debug-warning" },
    `${shownName(production)} is marked production: while the forward runs, every program on this computer that connects to the local port reaches ${what} for real.`,
  );
}

/** The local port's field of a forward dialog (empty: `placeholder` says which port). */
export function localPortField(placeholder: string): HTMLInputElement {
  return h("input", { type: "text", class: "offer-edit forward-local", spellcheck: "false", inputmode: "numeric", "aria-label": "Local port", placeholder, autocomplete: "off" });
}

/** Shows a forward dialog (modal); `closed` is told when it closes, and it goes. */
export function showForwardDialog(dialog: HTMLDialogElement, closed: () => void): void {
  dialog.addEventListener("close", () => {
    closed();
    dialog.remove();
  });
  document.body.appendChild(dialog);
  dialog.showModal();
}
