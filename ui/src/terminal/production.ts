// A shell in a production cluster is opened only after the user says yes, once per profile and
// run of the app: the first session of a profile marked *production* (a pod, a favourite, quick
// open, a restored tab, a reconnect after the mark was set) waits for the answer; every later
// one of that profile opens at once, until the app restarts. Several tabs waiting on the same
// profile share one question. A "no" opens none of them, and the next session asks again.
import { h } from "../dom";

export class ProductionGate {
  /** Profiles the user agreed to in this run. */
  private readonly agreed = new Set<string>();
  /** The question on screen for a profile, shared by every session waiting on it. */
  private readonly asking = new Map<string, Promise<boolean>>();

  constructor(
    /** Whether the profile is marked production now (its mark may change while the app runs). */
    private readonly isProduction: (profile: string) => boolean,
    /** Asks the user about the profile; true: open. */
    private readonly ask: (profile: string) => Promise<boolean>,
  ) {}

  /** Whether a session in `profile` may start without asking. */
  allows(profile: string): boolean {
    return !this.isProduction(profile) || this.agreed.has(profile);
  }

  /**
   * Resolves true when a session in `profile` may start: at once when it is not production or
   * the user already agreed in this run, else after the user's answer (one question at a time
   * per profile).
   */
  check(profile: string): Promise<boolean> {
    if (this.allows(profile)) return Promise.resolve(true);
    const pending = this.asking.get(profile);
    if (pending) return pending;
    const answer = this.ask(profile).then(
      (yes) => {
        this.asking.delete(profile);
        if (yes) this.agreed.add(profile);
        return yes;
      },
      () => {
        this.asking.delete(profile);
        return false;
      },
    );
    this.asking.set(profile, answer);
    return answer;
  }
}

/** The longest profile name the question shows whole. */
const MAX_NAME = 80;

/** A profile's name as the question shows it: control characters escaped, cut to `MAX_NAME`. */
export function shownName(profile: string): string {
  // eslint-disable-next-line no-control-regex
  const safe = profile.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
  return [...safe].length > MAX_NAME ? `${[...safe].slice(0, MAX_NAME).join("")}…` : safe;
}

/** The question's words (put in the page as text, never markup). */
export function productionQuestion(name: string): { title: string; body: string; confirm: string } {
  const profile = shownName(name);
  return {
    title: `Open a shell in production cluster ${profile}?`,
    body: `${profile} is marked production. Commands you type there act on it for real. Podterm asks once per run of the app; it will not ask again for ${profile} until you restart it.`,
    confirm: "Open the shell",
  };
}

/** Asks in a modal dialog; resolves true on "Open the shell", false on Cancel or Escape. */
export function askProduction(profile: string): Promise<boolean> {
  return askProductionDialog(productionQuestion(profile), {
    dialogClass: "production-ask",
    confirmClass: "production-confirm",
    profile,
  });
}

/** How a production question's dialog is marked (its classes; the profile it asks about). */
export interface ProductionDialogLook {
  dialogClass: string;
  confirmClass: string;
  profile?: string;
}

/**
 * A production question in a modal dialog (PROD badge, the words as text, Cancel focused):
 * resolves true on the confirm button, false on Cancel or Escape. Opening a shell and joining a
 * broadcast ask through it.
 */
export function askProductionDialog(
  q: { title: string; body: string; confirm: string },
  look: ProductionDialogLook,
): Promise<boolean> {
  return new Promise((resolve) => {
    let yes = false;
    const cancel = h("button", { type: "button", class: "cancel", onclick: () => dialog.close() }, "Cancel");
    const attrs: Record<string, string> = { class: look.dialogClass, "aria-label": q.title };
    if (look.profile !== undefined) attrs["data-profile"] = look.profile;
    const dialog = h(
      "dialog",
      attrs,
      h("h2", {}, h("span", { class: "prod-badge" }, "PROD"), ` ${q.title}`),
      h("p", {}, q.body),
      h(
        "div",
        { class: "form-actions" },
        cancel,
        h(
          "button",
          {
            type: "button",
            class: `danger ${look.confirmClass}`,
            onclick: () => {
              yes = true;
              dialog.close();
            },
          },
          q.confirm,
        ),
      ),
    );
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(yes);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
