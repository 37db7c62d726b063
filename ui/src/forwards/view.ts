// The sidebar's "Port forwards" list (shown while there is one) and the pod menu's "Forward a
// port…": the question (./dialog.ts), then a row per forward with Open (the browser), Copy
// (the address) and Stop; an ended forward says why and is removed.
import { writeClipboard } from "../clipboard";
import { h, keyed, setText } from "../dom";
import { errorKind, errorMessage } from "../ipc";
import type { Backend } from "../ipc";
import type { DeclaredPort, ForwardInfo } from "../ipc/types";
import type { MenuItem } from "../menu";
import type { SidebarModel } from "../sidebar/model";
import { ALL_NAMESPACES } from "../sidebar/pods";
import { askForward, refuseForward } from "./dialog";
import { forwardAddress, forwardFollows, forwardStatus, forwardTarget, forwardTitle, forwardUrl, withForward } from "./model";
import { askServiceForward } from "./services";
import { type Fold, foldable } from "../sidebar/fold";

/** Whether Service `service` of `namespace` is one of `profile`'s favourites. */
function starredService(model: SidebarModel, profile: string, namespace: string, service: string): boolean {
  return (model.favourites?.list ?? []).some((f) => f.profile === profile && f.namespace === namespace && f.kind === "service" && f.target === service);
}

export class ForwardsView {
  readonly root: HTMLElement;
  private readonly rows: HTMLElement;
  private readonly note: HTMLElement;
  private readonly fold: Fold;
  private list: ForwardInfo[] = [];
  /** Forwards stopped from here: a late event about one brings no row back. */
  private readonly stopped = new Set<number>();

  constructor(private readonly backend: Backend) {
    this.rows = h("ul", { class: "forward-rows" });
    this.note = h("p", { class: "forward-note", role: "status" });
    this.root = h("section", { class: "forwards", "aria-label": "Port forwards", hidden: true });
    this.fold = foldable(this.root, "forwards", "Port forwards");
    this.root.append(h("h3", {}, this.fold.button), this.rows, this.note);
    // Asked first (a sync command, so handled before the restore starts): a restored forward
    // still waiting for its pod is told only here.
    void this.backend.watchForwards((f) => this.changed(f));
    const show = (all: ForwardInfo[]): void => {
      for (const f of all) this.changed(f);
    };
    this.backend.listForwards().then(show, (err: unknown) => this.say(errorMessage(err)));
    // The last run's forwards, started again (once per run: a reloaded page gets none).
    this.backend.restoreForwards().then(
      (back) => {
        show(back);
        const failed = back.filter((f) => f.state.state === "ended").length;
        if (failed > 0) {
          // The rows say why: shown, even when the section was left folded.
          this.fold.setFolded(false);
          this.say(`${failed} of the last run's ${back.length} port forwards could not start again: the list says why`);
        }
        else if (back.length > 0) this.say(back.length === 1 ? "Started the last run's port forward again" : `Started the last run's ${back.length} port forwards again`);
      },
      (err: unknown) => this.say(errorMessage(err)),
    );
  }

  /** The pod menu's entry. */
  menuItems(model: SidebarModel, pod: string): MenuItem[] {
    const p = model.pods.get(pod);
    if (!p || model.profile === null) return [];
    const running = p.phase === "Running";
    return [
      {
        label: running ? "Forward a port…" : `Forward a port… (${p.phase.toLowerCase()})`,
        keys: "F",
        disabled: !running,
        run: () => void this.askFor(model, pod),
      },
    ];
  }

  /** The question for the sidebar's pod `pod` (its menu's entry, or F on it): a pod that is not running says why instead. */
  askFor(model: SidebarModel, pod: string): HTMLDialogElement | null {
    const p = model.pods.get(pod);
    const profile = model.profile;
    if (!p || profile === null) return null;
    if (p.phase !== "Running") return refuseForward(pod, `${pod} is not running (its phase is ${p.phase}): only a running pod's ports can be forwarded`);
    const production = model.profiles.some((x) => x.name === profile && x.production);
    // `pod` is the list's key (`namespace/name` when every namespace is shown); the pod's name is its own.
    return this.ask(profile, p.namespace || model.namespace || "", p.name, p.ports, production);
  }

  /** Asks for the pod's port (offering those its containers declare), then starts the forward; a refusal is said in the dialog, which stays open. */
  ask(profile: string, namespace: string, pod: string, ports: readonly DeclaredPort[] = [], production = false): HTMLDialogElement {
    return askForward({
      pod,
      namespace,
      ports,
      production: production ? profile : null,
      start: (remote, local) => this.backend.startForward({ profile, namespace, pod, remote, local }),
      started: (f) => this.started(f),
      failedClosed: (message) => this.say(message),
    });
  }

  /** "Forward a Service's port…": the namespace's Services (the sidebar's namespace, another picked in the dialog), then the forward through the one picked. */
  askService(model: SidebarModel): HTMLDialogElement {
    const profile = model.profile;
    if (profile === null) return refuseForward("a Service", "Pick a cluster first: its Services are listed from the namespace you choose");
    const current = model.namespace !== null && model.namespace !== ALL_NAMESPACES ? model.namespace : null;
    const fallback = model.profiles.find((x) => x.name === profile)?.namespace ?? "default";
    const production = model.profiles.some((x) => x.name === profile && x.production);
    const favourites = model.favourites;
    return askServiceForward({
      namespace: current ?? fallback,
      namespaces: model.namespaces,
      production: production ? profile : null,
      list: (namespace) => this.backend.listServices(profile, namespace),
      find: (namespace, name) => this.backend.findService(profile, namespace, name),
      start: (namespace, service, remote, local) => this.backend.startForward({ profile, namespace, pod: "", remote, local, service }),
      started: (f) => this.started(f),
      failedClosed: (message) => this.say(message),
      favourites: favourites
        ? {
            starred: (namespace, service) => starredService(model, profile, namespace, service),
            star: (namespace, service) => favourites.addService(profile, namespace, service),
          }
        : null,
    });
  }

  /** A forward started from a dialog: listed, and said. */
  private started(f: ForwardInfo): void {
    this.changed(f);
    const via = f.service ? `, now ${f.pod}:${f.remote}` : "";
    this.say(`Forwarding ${forwardAddress(f)} to ${forwardTarget(f)}${via}`);
  }

  private changed(f: ForwardInfo): void {
    if (this.stopped.has(f.id)) return;
    this.list = withForward(this.list, f);
    this.render();
  }

  private say(text: string): void {
    setText(this.note, text);
  }

  private render(): void {
    this.root.hidden = this.list.length === 0;
    const ended = this.list.filter((f) => f.state.state === "ended").length;
    const starting = this.list.filter((f) => f.state.state === "starting").length;
    this.fold.setCount(this.list.length, ended > 0 ? `${ended} stopped` : "", starting > 0 ? `${starting} starting` : "");
    keyed(
      this.rows,
      this.list,
      (f) => String(f.id),
      (f) => f.state.state,
      (f) => this.row(f),
      (el, f) => this.update(el, f),
    );
  }

  private row(f: ForwardInfo): HTMLElement {
    const ended = f.state.state === "ended";
    const gone = (): void => {
      this.stopped.add(f.id);
      this.list = this.list.filter((x) => x.id !== f.id);
      this.render();
      this.say(f.state.state === "starting" ? `Removed the forward of ${forwardAddress(f)}: it will not start` : `Stopped forwarding ${forwardAddress(f)}`);
    };
    const stop = (): void => {
      // Stopped already (a second click, the backend restarted): the row goes all the same.
      this.backend.stopForward(f.id).then(gone, (err: unknown) => (errorKind(err) === "notFound" ? gone() : this.say(errorMessage(err))));
    };
    const again = (e: Event): void => {
      const button = e.currentTarget as HTMLButtonElement;
      button.disabled = true;
      button.textContent = "Starting…";
      this.backend.startForwardAgain(f.id).then(
        (started) => {
          // The running forward takes the row's place (another id).
          this.stopped.add(f.id);
          this.list = this.list.filter((x) => x.id !== f.id);
          this.changed(started);
          this.say(`Forwarding ${forwardAddress(started)} to ${forwardTarget(started)} again`);
        },
        (err: unknown) => {
          // Removed from here while it started: nothing more to say.
          if (this.stopped.has(f.id)) return;
          // The row stays, its reason now the event's; the button may be tried again, unless
          // the forward is not listed any more (removed meanwhile): then its row goes.
          button.disabled = false;
          button.textContent = "Start again";
          this.say(errorMessage(err));
          this.backend.listForwards().then(
            (all) => {
              if (!all.some((x) => x.id === f.id)) {
                this.stopped.add(f.id);
                this.list = this.list.filter((x) => x.id !== f.id);
                this.render();
              }
            },
            () => {},
          );
        },
      );
    };
    const starting = f.state.state === "starting";
    const actions = starting
      ? [
          h("button", { type: "button", class: "forward-copy", title: "Copy the address it will listen on", onclick: () => void this.copy(f) }, "Copy"),
          h("button", { type: "button", class: "forward-stop", title: "Stop waiting and forget this forward", onclick: stop }, "Remove"),
        ]
      : ended
      ? [
          f.restartable ? h("button", { type: "button", class: "forward-again", title: "Try to start it again, on the same local port", onclick: again }, "Start again") : null,
          h("button", { type: "button", class: "forward-stop", onclick: stop }, "Remove"),
        ]
      : [
          h("button", { type: "button", class: "forward-open", title: "Open in the browser", onclick: () => void this.open(f) }, "Open"),
          h("button", { type: "button", class: "forward-copy", title: "Copy the address", onclick: () => void this.copy(f) }, "Copy"),
          h("button", { type: "button", class: "forward-stop", title: "Stop forwarding", onclick: stop }, "Stop"),
        ];
    const el = h(
      "li",
      { class: ended ? "forward ended" : starting ? "forward starting" : "forward" },
      h("div", { class: "forward-title" }, forwardTitle(f)),
      h("div", { class: "forward-status" }, forwardStatus(f)),
      h("div", { class: "forward-follows" }, forwardFollows(f)),
      h("div", { class: "forward-actions" }, ...actions),
    );
    this.update(el, f);
    return el;
  }

  private update(el: HTMLElement, f: ForwardInfo): void {
    el.dataset.id = String(f.id);
    el.dataset.connections = String(f.connections);
    const title = el.querySelector(".forward-title");
    const status = el.querySelector<HTMLElement>(".forward-status");
    const follows = el.querySelector<HTMLElement>(".forward-follows");
    if (title) setText(title, forwardTitle(f));
    if (status) {
      // Four lines are shown (style.css); the whole text in the tooltip.
      const text = forwardStatus(f);
      setText(status, text);
      if (status.title !== text) status.title = text;
    }
    if (follows) {
      setText(follows, forwardFollows(f));
      follows.hidden = follows.textContent === "";
    }
  }

  private async open(f: ForwardInfo): Promise<void> {
    try {
      await this.backend.openUrl(forwardUrl(f));
    } catch (err) {
      this.say(errorMessage(err));
    }
  }

  private async copy(f: ForwardInfo): Promise<void> {
    try {
      await writeClipboard(forwardAddress(f));
      this.say(`Copied ${forwardAddress(f)}`);
    } catch {
      this.say(`Copy failed: the address is ${forwardAddress(f)}`);
    }
  }
}
