// The "Forward a Service's port…" dialog, as `kubectl port-forward svc/NAME PORT`: the
// namespace's Services with their ports (one click picks one; a Service without a selector, or
// a UDP port, says why it cannot be forwarded), a filter, the local port (empty: the Service's
// port number when it is free here, else a free one). The forward goes to the pod the Service's
// selector finds, on the port its target names there, and follows the Service's pods. A refusal
// is said in the dialog, which stays open with the choice kept.
import { h } from "../dom";
import { errorKind, errorMessage } from "../ipc";
import { savedNotice } from "../favourites/favourite";
import type { FavouriteSummary, ForwardInfo, ServiceList, ServicePortSummary, ServiceSummary } from "../ipc/types";
import { forwardMeaning, localPortField, showForwardDialog } from "./dialog";
import { filterServices, localProblem, serviceChoice, serviceLookupName, servicePortLabel, servicePortValue, serviceRefusal } from "./model";

export interface ServiceQuestion {
  /** The namespace looked in first, and the others one may pick. */
  namespace: string;
  namespaces: readonly string[];
  /** The cluster's profile, when it is marked production (said in the question). */
  production: string | null;
  /** The Services of a namespace (the first of them, and whether it has more). */
  list: (namespace: string) => Promise<ServiceList>;
  /** The Service of that exact name (null: none): one past those `list` returns. */
  find: (namespace: string, name: string) => Promise<ServiceSummary | null>;
  /** Starts the forward: the Service, its port (a name or a number), the local port (null: any). */
  start: (namespace: string, service: string, port: string, local: number | null) => Promise<ForwardInfo>;
  /** The forward started (also after the dialog was closed meanwhile). */
  started: (f: ForwardInfo) => void;
  /** It failed after the dialog was closed: nowhere in it to say so. */
  failedClosed: (message: string) => void;
  /** Favourites: whether a Service is one, and its star (a shell in a pod it selects). */
  favourites: {
    starred: (namespace: string, service: string) => boolean;
    star: (namespace: string, service: string) => Promise<FavouriteSummary>;
  } | null;
}

/**
 * Port `p` of `s` as a forward goes through it: kubectl translates a port by its number, to the
 * target of the Service's first port with that number (kube-dns's 53 over UDP and TCP may have
 * two targets).
 */
function asTranslated(s: ServiceSummary, p: ServicePortSummary): ServicePortSummary {
  const first = s.ports.find((x) => x.port === p.port);
  return first ? { ...p, target: first.target } : p;
}

/** Opens the dialog (one forward dialog at a time); the filter has the focus. */
export function askServiceForward(q: ServiceQuestion): HTMLDialogElement {
  const earlier = document.querySelector<HTMLDialogElement>("dialog.forward-offer");
  earlier?.close();
  earlier?.remove();
  let namespace = q.namespace;
  let services: ServiceSummary[] = [];
  /** The namespace has more Services than those listed. */
  let more = false;
  /** The port picked: its Service, and its place among the Service's ports (two may share a number: kube-dns's 53 over UDP and TCP). */
  let chosen: { service: ServiceSummary; port: ServicePortSummary; index: number } | null = null;
  let open = true;
  let busy = false;
  /** Counts the lists asked for: an answer for an earlier namespace is dropped. */
  let asked = 0;
  /** Stars being saved (`namespace/service`): drawn disabled, so a redraw meanwhile cannot save a second. */
  const starring = new Set<string>();

  const filter = h("input", { type: "search", class: "offer-edit service-filter", spellcheck: "false", "aria-label": "Filter Services", placeholder: "Filter by name or selector", autocomplete: "off" });
  const choices = [...new Set([q.namespace, ...q.namespaces])];
  const pickNamespace = h(
    "select",
    { class: "service-namespace", "aria-label": "Namespace" },
    ...choices.map((n) => h("option", { value: n, selected: n === q.namespace }, n)),
  );
  const rows = h("ul", { class: "service-list", "aria-label": "Services" });
  const status = h("p", { class: "service-status", role: "status" }, `Listing the Services of ${namespace}…`);
  // Past the first page: the filter's text looked up as a Service's exact name.
  const lookup = h("button", { type: "button", class: "service-lookup", hidden: true });
  /** Counts the lookups asked for: an answer after another namespace or name is dropped. */
  let looked = 0;
  /** Services found by name, past the first page (not counted as listed). */
  const foundByName = new Set<string>();
  /** Names looked up and not there: not offered again (until the list is read again). */
  const missing = new Set<string>();
  const chosenText = h("span", { class: "service-chosen" }, "pick a port above");
  const local = localPortField("the Service's port when free");
  const problem = h("p", { class: "debug-error", role: "alert", hidden: true });
  const cancel = h("button", { type: "button", class: "cancel", onclick: () => dialog.close() }, "Cancel");
  const confirm = h("button", { type: "button", class: "primary debug-confirm", disabled: true }, "Forward");

  const say = (text: string | null): void => {
    problem.textContent = text ?? "";
    problem.hidden = text === null;
  };
  const setBusy = (on: boolean): void => {
    busy = on;
    confirm.disabled = on || chosen === null;
    confirm.textContent = on ? "Forwarding…" : "Forward";
    local.readOnly = on;
    pickNamespace.disabled = on;
    for (const b of dialog.querySelectorAll<HTMLButtonElement>("button.service-port")) b.disabled = on || b.dataset.refused === "true";
    dialog.setAttribute("aria-busy", String(on));
  };
  const choose = (service: ServiceSummary, port: ServicePortSummary, index: number): void => {
    chosen = { service, port, index };
    chosenText.textContent = serviceChoice(service.name, asTranslated(service, port));
    for (const b of dialog.querySelectorAll<HTMLButtonElement>("button.service-port")) {
      b.setAttribute("aria-pressed", String(b.dataset.service === service.name && b.dataset.index === String(index)));
    }
    confirm.disabled = busy;
    say(null);
  };
  const draw = (): void => {
    const shown = filterServices(services, filter.value);
    rows.replaceChildren(
      ...shown.map((s) => {
        const refused = serviceRefusal(s);
        const meta = [s.kind, s.headless ? "headless" : null, s.selector ?? "no selector"].filter((x) => x !== null).join(" · ");
        const ports =
          s.ports.length === 0
            ? [h("span", { class: "forward-none" }, "no ports")]
            : s.ports.map((p, index) => {
                const why = serviceRefusal(s, p);
                const b = h(
                  "button",
                  {
                    type: "button",
                    class: "forward-port service-port",
                    "data-service": s.name,
                    "data-port": String(p.port),
                    "data-index": String(index),
                    "data-refused": String(why !== null),
                    "aria-pressed": String(chosen?.service.name === s.name && chosen.index === index),
                    disabled: why !== null || busy,
                    title: why ?? `svc/${s.name}:${p.port} goes to the port ${p.target} of the pods it selects`,
                    onclick: () => {
                      choose(s, p, index);
                      confirm.focus();
                    },
                    ondblclick: () => {
                      choose(s, p, index);
                      agree();
                    },
                  },
                  servicePortLabel(asTranslated(s, p)),
                );
                return b;
              });
        return h(
          "li",
          { class: "service-row", "data-service": s.name, "aria-disabled": String(refused !== null) },
          h("div", { class: "service-head" }, h("strong", {}, s.name), h("span", { class: "service-meta", title: refused ?? meta }, meta), starButton(s, refused)),
          h("div", { class: "forward-ports" }, ...ports),
        );
      }),
    );
    status.classList.remove("debug-error");
    const page = services.length - foundByName.size;
    const found = foundByName.size > 0 ? `, and ${foundByName.size} found by name` : "";
    const listed = more ? `the first ${page} Services in ${namespace} (it has more: they are not listed)${found}` : `${page} Services in ${namespace}`;
    if (services.length > 0 && shown.length === 0) {
      status.textContent = more
        ? `None of the first ${page} Services of ${namespace} matches "${filter.value.trim().slice(0, 40)}"`
        : `No Service of ${namespace} matches "${filter.value.trim().slice(0, 40)}"`;
    } else if (shown.length > 0 && shown.every((x) => foundByName.has(x.name))) {
      status.textContent = `${shown.map((x) => `svc/${x.name}`).join(", ")}: found by name, past the first ${page} Services of ${namespace}`;
    } else if (services.length > 0) status.textContent = shown.length === services.length ? listed.charAt(0).toUpperCase() + listed.slice(1) : `${shown.length} of ${listed}`;
    // Offered while the name typed is not one listed, even when other rows hold the text
    // (`api` in `web-api`, `node` in every NodePort's type).
    const typed = more ? serviceLookupName(filter.value) : null;
    const name = typed !== null && !missing.has(typed) && !services.some((x) => x.name === typed) ? typed : null;
    if (name === null && document.activeElement === lookup) filter.focus();
    lookup.hidden = name === null;
    if (name !== null) {
      lookup.textContent = `Look up svc/${name} (Enter)`;
      lookup.dataset.name = name;
    }
  };
  /** Looks the filter's name up; found, it joins the list (and shows, as the filter matches it). */
  const lookUp = (): void => {
    const name = lookup.dataset.name;
    if (lookup.hidden || lookup.disabled || name === undefined) return;
    const mine = ++looked;
    const where = namespace;
    lookup.disabled = true;
    status.classList.remove("debug-error");
    status.textContent = `Looking up svc/${name} in ${where}…`;
    const current = (): boolean => open && mine === looked && where === namespace && serviceLookupName(filter.value) === name;
    q.find(where, name).then(
      (found) => {
        if (mine === looked) lookup.disabled = false;
        if (!current()) return;
        if (found === null) {
          missing.add(name);
          draw();
          status.textContent = `No Service named ${name} in ${where}`;
          return;
        }
        if (!services.some((s) => s.name === found.name)) {
          foundByName.add(found.name);
          services = [...services, found].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        }
        draw();
      },
      (err: unknown) => {
        if (mine === looked) lookup.disabled = false;
        if (!current()) return;
        status.classList.add("debug-error");
        status.textContent = `svc/${name} could not be looked up in ${where}: ${errorMessage(err)}`;
      },
    );
  };
  lookup.addEventListener("click", lookUp);
  filter.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !lookup.hidden) {
      e.preventDefault();
      lookUp();
    }
  });
  /** The Service's star: keeps `svc/NAME` in Favourites (one click from a shell in a pod it selects). */
  const starButton = (s: ServiceSummary, refused: string | null): HTMLElement | null => {
    const favs = q.favourites;
    if (favs === null) return null;
    const on = favs.starred(namespace, s.name);
    const key = `${namespace}/${s.name}`;
    const title = refused ?? (on ? `svc/${s.name} is a favourite: star again for another (its own command or container)` : `Keep svc/${s.name} in Favourites: one click opens a shell in a pod it selects`);
    return h(
      "button",
      {
        type: "button",
        class: "service-star",
        "data-starred": String(on),
        "aria-label": title,
        disabled: refused !== null || starring.has(key),
        title,
        onclick: () => {
          const where = namespace;
          starring.add(key);
          draw();
          favs.star(where, s.name).then(
            (f) => {
              starring.delete(key);
              if (!open || where !== namespace) return;
              draw();
              status.textContent = savedNotice(f);
            },
            (err: unknown) => {
              starring.delete(key);
              if (!open) return;
              draw();
              say(`svc/${s.name} was not made a favourite: ${errorMessage(err)}`);
            },
          );
        },
      },
      on ? "\u2605" : "\u2606",
    );
  };
  const load = (): void => {
    const mine = ++asked;
    services = [];
    foundByName.clear();
    missing.clear();
    more = false;
    chosen = null;
    say(null);
    chosenText.textContent = "pick a port above";
    confirm.disabled = true;
    rows.replaceChildren();
    lookup.hidden = true;
    looked += 1;
    lookup.disabled = false;
    status.classList.remove("debug-error");
    status.textContent = `Listing the Services of ${namespace}…`;
    q.list(namespace).then(
      (list) => {
        if (mine !== asked || !open) return;
        services = list.services;
        more = list.more;
        if (services.length === 0) status.textContent = `No Services in ${namespace}`;
        draw();
      },
      (err: unknown) => {
        if (mine !== asked || !open) return;
        status.classList.add("debug-error");
        status.textContent = `The Services of ${namespace} could not be listed: ${errorMessage(err)}`;
      },
    );
  };
  const agree = (): void => {
    if (busy) return;
    if (chosen === null) {
      say("Pick one of the Services' ports first");
      filter.focus();
      return;
    }
    const wrong = localProblem(local.value.trim());
    if (wrong !== null) {
      say(wrong);
      local.focus();
      return;
    }
    const { service, port } = chosen;
    const localText = local.value.trim();
    const value = servicePortValue(port);
    say(null);
    setBusy(true);
    q.start(namespace, service.name, value, localText === "" ? null : Number(localText)).then(
      (f) => {
        if (open) dialog.close();
        q.started(f);
      },
      (err: unknown) => {
        const message = `Port ${value} of svc/${service.name}: ${errorMessage(err)}`;
        if (!open) {
          q.failedClosed(message);
          return;
        }
        setBusy(false);
        say(message);
        if (errorKind(err) === "local" && localText !== "") local.focus();
      },
    );
  };
  confirm.addEventListener("click", agree);
  local.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      agree();
    }
  });
  filter.addEventListener("input", draw);
  pickNamespace.addEventListener("change", () => {
    namespace = pickNamespace.value;
    load();
  });
  const facts: [string, HTMLElement | string][] = [
    ["Service port", chosenText],
    ["Local port", local],
    ["Listens on", "127.0.0.1 only (this computer)"],
  ];
  const dialog = h(
    "dialog",
    { class: "forward-offer service-offer", "aria-label": "Forward a Service's port" },
    h("h2", {}, "Forward a Service's port"),
    h("div", { class: "service-pick" }, choices.length > 1 ? pickNamespace : h("span", { class: "service-namespace" }, `namespace ${namespace}`), filter),
    rows,
    status,
    lookup,
    h("dl", { class: "debug-facts" }, ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", { "data-fact": k.toLowerCase() }, v)])),
    problem,
    forwardMeaning(
      q.production,
      "Nothing changes in the cluster: while the forward runs, connections to the local port reach the port the Service targets in one of its pods, and follow its pods as they are replaced.",
      "the Service's pods",
    ),
    h("div", { class: "form-actions" }, cancel, confirm),
  );
  showForwardDialog(dialog, () => (open = false));
  filter.focus();
  load();
  return dialog;
}
