// Debugging a container without a shell (distroless, scratch): the offer on its tab adds an
// ephemeral container with a shell beside it, after asking once. What the dialog says comes from
// the backend's plan (plan_debug): the image, the target container, the name, and whether a
// running debug container of ours is reused instead (one per pod, image and target, shared by
// tabs: ephemeral containers cannot be removed).
import { h } from "../dom";
import type { DebugPlan } from "../ipc/types";
import type { SessionTarget } from "./tabs";

/** The image the offer uses (the `debugImage` setting; the backend's default until read). */
let debugImage = "";

export function currentDebugImage(): string {
  return debugImage;
}

export function setDebugImage(image: string): void {
  debugImage = image.trim();
}

/** What the dialog says before anything is added (or reused). */
export interface DebugOffer {
  title: string;
  /** Label and value, in order. */
  facts: [string, string][];
  /** What cannot be undone; null when nothing is added. */
  warning: string | null;
  /** The confirm button's words. */
  confirm: string;
  /** A fact the user may change before agreeing (its value, given to `onConfirm`). */
  edit?: OfferEdit;
}

/** An editable fact of an offer: which, its first value, and what is wrong with a value (null: nothing). */
export interface OfferEdit {
  fact: string;
  value: string;
  check: (value: string) => string | null;
}

export function debugOffer(plan: DebugPlan): DebugOffer {
  const facts: [string, string][] = [
    ["Pod", `${plan.namespace}/${plan.pod}`],
    ["Image", plan.image],
    ["Target", `${plan.target} (its processes and files are visible from the shell)`],
    ["Name", plan.name],
  ];
  if (plan.reuse) {
    return {
      title: `Open a shell in the debug container ${plan.name}`,
      facts,
      warning: null,
      confirm: "Open a shell",
    };
  }
  return {
    title: `Add a debug container to ${plan.pod}?`,
    facts,
    warning:
      "Ephemeral containers cannot be removed: this one stays in the pod until the pod is deleted. " +
      "Podterm keeps it running and reuses it for every debug tab on this pod and image.",
    confirm: "Add it and open a shell",
  };
}

/** The debug tab's target: a shell in the planned debug container beside the target container. */
export function debugTarget(from: SessionTarget, plan: DebugPlan): SessionTarget {
  return {
    profile: from.profile,
    namespace: plan.namespace,
    pod: plan.pod,
    container: plan.target,
    command: null,
    debug: { image: plan.image, name: plan.name },
  };
}

/** "debug container NAME", or words for the one the engine will pick (a debug favourite). */
export function debugContainerName(d: { name: string }): string {
  return d.name ? `debug container ${d.name}` : "a debug container";
}

/** A debug tab's tooltip line: which container the shell runs in, beside which. */
export function debugDescription(target: SessionTarget): string | null {
  if (target.debug) return `${debugContainerName(target.debug)} (${target.debug.image}) beside ${target.container || "the default container"}`;
  if (target.ephemeral) return `ephemeral container ${target.container}`;
  return null;
}

/**
 * Asks once, in a modal dialog: `onConfirm` runs when the user agrees. `plan` null with `error`:
 * says why debugging is not possible (no question).
 */
export function askDebug(plan: DebugPlan | null, onConfirm: () => void, error?: string): HTMLDialogElement {
  return askOffer(
    { className: "debug-offer", label: "Debug with an ephemeral container", refused: "Cannot debug this container", unchanged: "Nothing is added to the pod." },
    plan ? debugOffer(plan) : null,
    onConfirm,
    error,
  );
}

/** What an offer's dialog is called and says when it changes nothing or cannot be made. */
export interface OfferDialog {
  /** The dialog's class (one such dialog at a time). */
  className: string;
  /** Its accessible name. */
  label: string;
  /** The title when `offer` is null. */
  refused: string;
  /** Said when the offer has no warning. */
  unchanged: string;
}

/**
 * The question of an offer (a debug container, a copy of the pod), in a modal dialog: its facts,
 * what cannot be undone, Cancel and the confirm button; `offer` null: `error` says why not. An
 * offer with an editable fact takes the agreement only for a value its check passes, and gives
 * that value to `onConfirm` (null without one).
 */
export function askOffer(kind: OfferDialog, offer: DebugOffer | null, onConfirm: (value: string | null) => void, error?: string): HTMLDialogElement {
  document.querySelector(`dialog.${kind.className}`)?.remove();
  const cancel = h("button", { type: "button", class: "cancel", onclick: () => dialog.close() }, offer ? "Cancel" : "Close");
  let body: HTMLElement[];
  if (offer) {
    const edit = offer.edit;
    const input = edit ? h("input", { type: "text", class: "offer-edit", value: edit.value, spellcheck: "false", "aria-label": edit.fact }) : null;
    const problem = h("p", { class: "debug-error", role: "alert", hidden: true });
    const agree = (): void => {
      const value = input ? input.value.trim() : null;
      const wrong = edit && value !== null ? edit.check(value) : null;
      if (wrong !== null) {
        problem.textContent = wrong;
        problem.hidden = false;
        input?.focus();
        return;
      }
      dialog.close();
      onConfirm(value);
    };
    input?.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        agree();
      }
    });
    body = [
      h("h2", {}, offer.title),
      h("dl", { class: "debug-facts" }, ...offer.facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", { "data-fact": k.toLowerCase() }, input && k === edit?.fact ? input : v)])),
      problem,
      offer.warning ? h("p", { class: "debug-warning" }, offer.warning) : h("p", {}, kind.unchanged),
      h("div", { class: "form-actions" }, cancel, h("button", { type: "button", class: "primary debug-confirm", onclick: agree }, offer.confirm)),
    ];
  } else {
    body = [h("h2", {}, kind.refused), h("p", { class: "debug-error", role: "alert" }, error ?? ""), h("div", { class: "form-actions" }, cancel)];
  }
  const dialog = h("dialog", { class: kind.className, "aria-label": kind.label }, ...body);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.appendChild(dialog);
  dialog.showModal();
  cancel.focus();
  return dialog;
}
