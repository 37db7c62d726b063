// The right side: a tab bar and one terminal pane per tab, wired to exec sessions. A tab opened
// from a favourite resolves it before each session (the first, and every reopen).
import { FlowController, type FlowStats } from "./flow";
import { clear, h, setText } from "../dom";
import { favouriteTarget, placeholderTarget } from "../favourites/favourite";
import { resolveForTab } from "../favourites/model";
import { errorMessage, type Backend } from "../ipc";
import type { FavouriteSummary, SessionState } from "../ipc/types";
import { appKey, type AppKey } from "./keys";
import type { MenuItem } from "../menu";
import { askDebug, currentDebugImage, debugContainerName, debugDescription, debugTarget } from "./debug";
import {
  inputAction,
  isDebugTarget,
  isEnded,
  profileHue,
  statusText,
  TabModel,
  tabLabel,
  tabLabels,
  tabTitle,
  type FavouriteRef,
  type SessionTarget,
  type Tab,
} from "./tabs";
import { InputQueue } from "./input";
import { podtermHook, TerminalView } from "./view";

interface Runtime {
  view: TerminalView;
  pane: HTMLElement;
  banner: HTMLElement;
  bannerText: HTMLElement;
  bannerButton: HTMLButtonElement;
  /** "Debug with an ephemeral container…", on a tab whose container has no shell. */
  bannerDebug: HTMLButtonElement;
  progress: HTMLElement;
  toast: HTMLElement;
  toastTimer: ReturnType<typeof setTimeout> | null;
  flow: FlowController | null;
  /** The tab's keystrokes, in order, until its session takes them. */
  input: InputQueue;
}

export interface WorkspaceOptions {
  /** Called when the set of tabs changes (the shell shows its welcome screen when empty). */
  onTabsChanged?(): void;
  /**
   * "Run a command…" on a tab whose container has no shell: lets the user pick a command for
   * that pod (the sidebar's picker). Absent: the banner offers no button. Other offers to such
   * a tab (a debug container) belong beside it: `renderBanner`'s `noShell` case.
   */
  runCommand?(target: SessionTarget): void;
}

export class Workspace {
  readonly model = new TabModel();
  readonly root: HTMLElement;
  private readonly tabBar: HTMLElement;
  private readonly tabStrip: HTMLElement;
  private readonly overflowButton: HTMLButtonElement;
  private readonly overflowMenu: HTMLElement;
  private readonly panes: HTMLElement;
  /** The active tab the last render scrolled into view. */
  private scrolledTo: number | null = null;
  private readonly runtimes = new Map<number, Runtime>();
  private connectTimer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly backend: Backend,
    parent: HTMLElement,
    private readonly opts: WorkspaceOptions = {},
  ) {
    this.tabBar = h("div", {
      class: "tab-bar",
      role: "tablist",
      "aria-label": "Terminal tabs",
      // No scrollbar to cover the labels: the wheel scrolls the tabs sideways.
      onwheel: (e: Event) => {
        const w = e as WheelEvent;
        if (w.deltaY !== 0 && w.deltaX === 0) {
          this.tabBar.scrollLeft += w.deltaY;
          w.preventDefault();
        }
      },
      onscroll: () => this.updateOverflow(),
    });
    this.overflowMenu = h("div", { class: "tab-menu", role: "menu", hidden: true });
    this.overflowButton = h("button", {
      class: "icon-button tab-overflow",
      title: "All tabs",
      "aria-label": "All tabs",
      "aria-haspopup": "menu",
      onclick: () => this.toggleOverflowMenu(),
    }, "⌄");
    this.tabStrip = h("div", { class: "tab-strip", hidden: true }, this.tabBar, this.overflowButton, this.overflowMenu);
    this.panes = h("div", { class: "panes" });
    this.root = h("div", { class: "workspace-tabs" }, this.tabStrip, this.panes);
    parent.appendChild(this.root);
    this.model.onChange(() => this.render());
    // The app's keys (keys.ts), before the terminal or a text box sees them.
    window.addEventListener(
      "keydown",
      (e) => {
        const key = appKey(e);
        // Not behind a modal dialog (the profile form, the close question).
        if (!key || this.model.list().length === 0 || document.querySelector("dialog[open]")) return;
        e.preventDefault();
        e.stopPropagation();
        this.appKey(key);
      },
      true,
    );
    document.addEventListener("mousedown", (e) => {
      if (!this.overflowMenu.hidden && !(e.target as HTMLElement).closest(".tab-menu, .tab-overflow")) this.overflowMenu.hidden = true;
    });
    new ResizeObserver(() => this.updateOverflow()).observe(this.tabBar);

    const hook = podtermHook();
    hook.tabs = () =>
      this.model.list().map((t) => ({
        id: t.id,
        title: tabLabel(t),
        status: t.status,
        sessionId: t.sessionId,
        attempt: t.attempt,
        active: this.model.active?.id === t.id,
        /** The label as the tab bar shows it (profile and namespace when needed to tell apart). */
        label: this.tabBar.querySelector(`.tab[data-tab-id="${t.id}"] .tab-label`)?.textContent ?? "",
        /** The favourite the tab was opened from, else null. */
        favourite: t.favourite?.name ?? null,
        profile: t.target.profile,
        namespace: t.target.namespace,
        /** Where the session is (for a favourite: where the last resolve led; "" before). */
        pod: t.target.pod,
        container: t.target.container,
        /** A debug tab's container request (image, name), else null. */
        debug: t.target.debug ?? null,
      }));
    hook.flow = (tabId: number): FlowStats | null => this.runtimes.get(tabId)?.flow?.stats() ?? null;
    hook.backend = backend.kind;
  }

  /**
   * Opens a tab for the favourite `name` and starts its session (the favourite is resolved first,
   * and again on every reopen). `summary`: the favourite as listed, if known.
   */
  openFavourite(name: string, summary?: FavouriteSummary): Tab {
    return this.open(placeholderTarget(summary), { name, target: summary ? favouriteTarget(summary) : undefined });
  }

  /** A favourite was renamed: its tabs follow. */
  renameFavourite(from: string, to: string): void {
    this.model.renameFavourite(from, to);
  }

  /** Opens a new tab on `target` (or on a favourite) and starts its session. */
  open(target: SessionTarget, favourite: FavouriteRef | null = null): Tab {
    const tab = this.model.open(target, favourite);
    const bannerText = h("span", { class: "banner-text" });
    const bannerButton = h("button", { class: "banner-button" });
    const bannerDebug = h(
      "button",
      { class: "banner-debug", hidden: true, onclick: () => this.offerDebug(tab.id) },
      "Debug with an ephemeral container…",
    );
    const banner = h("div", { class: "banner", hidden: true, role: "status" }, bannerText, bannerDebug, bannerButton);
    const progress = h("div", { class: "progress", hidden: true }, h("div", { class: "progress-bar" }));
    const toast = h("div", { class: "toast", hidden: true, "aria-live": "polite" });
    const pane = h("div", {
      class: "pane",
      role: "tabpanel",
      "data-tab-id": tab.id,
      id: `pane-${tab.id}`,
    }, progress, banner);
    this.panes.appendChild(pane);
    const view = new TerminalView(pane, {
      onData: (data) => this.input(tab.id, data),
      onResize: (cols, rows) => {
        const t = this.model.get(tab.id);
        if (t && t.sessionId !== null && !isEnded(t.status)) {
          this.backend.resize(t.sessionId, cols, rows).catch(() => {});
        }
      },
      onNotice: (text) => this.toast(tab.id, text),
      menuItems: () => this.tabMenuItems(tab.id),
      onOpenLink: (uri) => {
        this.backend.openUrl(uri).then(
          () => this.toast(tab.id, "Opened in your browser"),
          (e: unknown) => this.toast(tab.id, `Could not open ${uri} in your browser: ${errorMessage(e)}`),
        );
      },
    });
    pane.appendChild(toast);
    const rt: Runtime = {
      view,
      pane,
      banner,
      bannerText,
      bannerButton,
      bannerDebug,
      progress,
      toast,
      toastTimer: null,
      flow: null,
      input: new InputQueue(
        () => (this.runtimes.has(tab.id) ? (this.model.get(tab.id)?.sessionId ?? null) : null),
        (sessionId, data) => this.backend.sendInput(sessionId, data),
      ),
    };
    // Cancel while connecting, Reopen or Reconnect once ended.
    bannerButton.addEventListener("click", () => {
      const t = this.model.get(tab.id);
      if (t?.status.kind === "connecting") this.cancel(tab.id);
      else if (t?.status.kind === "lost" && t.status.noShell) this.opts.runCommand?.(t.target);
      else this.reopen(tab.id);
    });
    this.runtimes.set(tab.id, rt);
    podtermHook().terminals.set(tab.id, view.term);
    this.render(); // shows the pane so that the terminal can measure itself
    view.fit();
    view.focus();
    this.startSession(tab, tab.attempt);
    return tab;
  }

  /** An attempt: resolve the favourite first (a favourite's tab), then open the session. */
  private startSession(tab: Tab, attempt: number): void {
    const rt = this.runtimes.get(tab.id);
    if (!rt) return;
    rt.flow?.dispose();
    rt.flow = null;
    rt.input.clear();
    if (!tab.favourite) {
      this.openSession(tab, attempt);
      return;
    }
    void resolveForTab(this.backend, this.model, tab.id, attempt).then((target) => {
      if (target) {
        this.openSession(tab, attempt);
        return;
      }
      const t = this.model.get(tab.id);
      if (t && t.attempt === attempt && t.status.kind === "lost" && t.status.unresolved) {
        rt.view.notice(`could not open ${t.favourite?.name ?? "the favourite"}: ${t.status.reason}`);
        rt.view.term.write("\x1b[?25l"); // no cursor in a dead terminal
      }
    });
  }

  private openSession(tab: Tab, attempt: number): void {
    const rt = this.runtimes.get(tab.id);
    if (!rt || !this.model.isCurrent(tab.id, attempt)) return;
    const flow = new FlowController(rt.view.term, (id, bytes) => {
      this.backend.ack(id, bytes).catch(() => {
        /* the session is gone; its state channel says why */
      });
    });
    rt.flow = flow;
    rt.view.fit();
    const { cols, rows } = rt.view.term;
    const { ephemeral: _picked, ...target } = tab.target;
    this.backend
      .openSession(
        { ...target, cols, rows },
        (bytes) => flow.write(bytes),
        (state) => this.sessionState(tab.id, attempt, state),
      )
      .then(
        (sessionId) => {
          if (!this.model.sessionOpened(tab.id, attempt, sessionId)) {
            this.backend.closeSession(sessionId).catch(() => {});
            return;
          }
          flow.setSession(sessionId);
          const t = this.model.get(tab.id);
          if (t && !isEnded(t.status)) {
            const now = rt.view.term;
            if (now.cols !== cols || now.rows !== rows) {
              this.backend.resize(sessionId, now.cols, now.rows).catch(() => {});
            }
          }
          rt.input.pump();
        },
        (err) => this.model.openFailed(tab.id, attempt, errorMessage(err)),
      );
  }

  private sessionState(tabId: number, attempt: number, state: SessionState): void {
    if (state.state === "exited" || state.state === "lost") {
      // The end counts the output sent before it, which may still be on its way (output and
      // state travel on separate channels): it is shown once xterm has written all of that.
      const flow = this.runtimes.get(tabId)?.flow;
      if (flow && !flow.isDisposed) {
        flow.whenWritten(state.outputBytes, () => this.applyState(tabId, attempt, state));
        return;
      }
    }
    this.applyState(tabId, attempt, state);
  }

  private applyState(tabId: number, attempt: number, state: SessionState): void {
    const next = this.model.sessionState(tabId, attempt, state);
    if (!next) return;
    const rt = this.runtimes.get(tabId);
    if (!rt) return;
    if (next.kind === "exited" || next.kind === "lost") {
      rt.input.clear();
      if (next.kind === "exited") rt.view.notice(`process exited with code ${next.code}; press Enter to reopen`);
      else if (next.noShell) rt.view.notice(`${next.reason}; run one of its own programs as a command instead`);
      else rt.view.notice(`${next.beforeConnect ? "could not connect" : "connection lost"}: ${next.reason}`);
      rt.view.term.write("\x1b[?25l"); // no cursor in a dead terminal
    }
  }

  /** Keystrokes from a tab's terminal. */
  private input(tabId: number, data: string): void {
    const tab = this.model.get(tabId);
    const rt = this.runtimes.get(tabId);
    if (!tab || !rt) return;
    switch (inputAction(tab.status, data)) {
      case "send":
        this.model.typed(tabId);
        rt.input.push(data);
        break;
      case "reopen":
        this.reopen(tabId);
        break;
      case "ignore":
        break;
    }
  }

  /** Enter on an exited tab, or Reconnect on a lost one: a new session with the same target. */
  reopen(tabId: number): void {
    const r = this.model.reopen(tabId);
    const tab = this.model.get(tabId);
    const rt = this.runtimes.get(tabId);
    if (!r || !tab || !rt) return;
    if (r.oldSession !== null) this.backend.closeSession(r.oldSession).catch(() => {});
    rt.view.term.write("\x1b[?25h");
    rt.view.notice("reconnecting");
    rt.view.focus();
    this.startSession(tab, r.attempt);
  }

  /**
   * "Debug with an ephemeral container…" on a tab whose container has no shell: asks the backend
   * what it would add (or reuse), asks the user once, then opens a debug tab beside this one.
   */
  offerDebug(tabId: number): void {
    const t = this.model.get(tabId);
    if (!t) return;
    const { profile, namespace, pod, container } = t.target;
    this.backend.planDebug(profile, namespace, pod, container, currentDebugImage()).then(
      (plan) => {
        askDebug(plan, () => this.open(debugTarget(t.target, plan)));
      },
      (err: unknown) => {
        askDebug(null, () => {}, errorMessage(err));
      },
    );
  }

  /** Cancel on a connecting tab: its session (if open yet) is closed; the tab offers Reconnect. */
  cancel(tabId: number): void {
    const sessionId = this.model.cancel(tabId);
    if (sessionId === undefined) return;
    if (sessionId !== null) this.backend.closeSession(sessionId).catch(() => {});
    const rt = this.runtimes.get(tabId);
    if (!rt) return;
    rt.flow?.dispose();
    rt.flow = null;
    rt.input.clear();
    rt.view.notice("cancelled");
    rt.view.term.write("\x1b[?25l"); // no cursor in a dead terminal
  }

  /** Closes a tab and ends its session. */
  close(tabId: number): void {
    const rt = this.runtimes.get(tabId);
    const sessionId = this.model.close(tabId);
    if (sessionId === undefined) return;
    if (sessionId !== null) this.backend.closeSession(sessionId).catch(() => {});
    if (rt) {
      rt.flow?.dispose();
      rt.view.dispose();
      rt.pane.remove();
      if (rt.toastTimer) clearTimeout(rt.toastTimer);
    }
    this.runtimes.delete(tabId);
    podtermHook().terminals.delete(tabId);
    this.model.active && this.runtimes.get(this.model.active.id)?.view.focus();
  }

  activate(tabId: number): void {
    this.model.activate(tabId);
    this.runtimes.get(tabId)?.view.focus();
  }

  /** The tab's actions in its terminal's right-click menu. */
  private tabMenuItems(tabId: number): MenuItem[] {
    const t = this.model.get(tabId);
    if (!t) return [];
    const items: MenuItem[] = [];
    if (t.status.kind === "connecting") items.push({ label: "Cancel connecting", run: () => this.cancel(tabId) });
    else if (isEnded(t.status) && !(t.status.kind === "lost" && t.status.noShell)) {
      items.push({ label: t.status.kind === "exited" ? "Reopen" : "Reconnect", run: () => this.reopen(tabId) });
    } else if (t.status.kind === "lost" && t.status.noShell) {
      items.push({ label: "Debug with an ephemeral container…", run: () => this.offerDebug(tabId) });
    }
    items.push({ label: "Close tab", keys: "Ctrl+Shift+W", run: () => this.close(tabId) });
    return items;
  }

  /** A key of the app's (keys.ts). */
  private appKey(key: AppKey): void {
    const active = this.model.active;
    switch (key.kind) {
      case "next":
      case "previous": {
        const t = this.model.step(key.kind === "next" ? 1 : -1);
        if (t) this.runtimes.get(t.id)?.view.focus();
        break;
      }
      case "close":
        if (active) this.close(active.id);
        break;
      case "reopenClosed": {
        const last = this.model.takeClosed();
        if (last) this.open(last.target, last.favourite);
        break;
      }
    }
  }

  /**
   * The pod list saw a pod deleted: its tabs end now (their sessions closed), saying so, rather
   * than look connected until the stream notices.
   */
  podGone(profile: string, namespace: string, pod: string): void {
    const before = new Set(this.model.list().filter((t) => t.status.kind === "lost" && t.status.podGone).map((t) => t.id));
    for (const id of this.model.podGone(profile, namespace, pod)) this.backend.closeSession(id).catch(() => {});
    for (const t of this.model.list()) {
      if (t.status.kind !== "lost" || !t.status.podGone || before.has(t.id)) continue;
      const rt = this.runtimes.get(t.id);
      if (!rt) continue;
      rt.flow?.dispose();
      rt.flow = null;
      rt.input.clear();
      rt.view.notice(`ended: ${t.status.reason}`);
      rt.view.term.write("\x1b[?25l"); // no cursor in a dead terminal
    }
  }

  /** Tabs whose session is open or opening (closing the window ends them). */
  liveCount(): number {
    return this.model.list().filter((t) => !isEnded(t.status)).length;
  }

  private toggleOverflowMenu(): void {
    if (!this.overflowMenu.hidden) {
      this.overflowMenu.hidden = true;
      return;
    }
    clear(this.overflowMenu);
    const labels = tabLabels(this.model.list());
    this.model.list().forEach((t, i) => {
      const l = labels[i]!;
      this.overflowMenu.appendChild(
        h(
          "button",
          {
            class: `menu-item tab-menu-item${this.model.active?.id === t.id ? " active" : ""}`,
            role: "menuitem",
            "data-tab-id": t.id,
            title: tabTooltip(t),
            onclick: () => {
              this.overflowMenu.hidden = true;
              this.activate(t.id);
            },
          },
          h("span", { class: "tab-profile-dot", "aria-hidden": "true", style: `--profile-hue: ${profileHue(t.target.profile)}` }),
          `${[t.target.profile, t.target.namespace, l.title].filter(Boolean).join(" · ")} — ${statusText(t.status)}`,
        ),
      );
    });
    this.overflowMenu.hidden = false;
  }

  /** The overflow button shows when some tab is out of sight. */
  private updateOverflow(): void {
    const bar = this.tabBar;
    const over = bar.scrollWidth > bar.clientWidth + 1;
    this.overflowButton.hidden = !over && this.model.list().length < 2;
    this.tabStrip.classList.toggle("overflowing", over);
  }

  private toast(tabId: number, text: string): void {
    const rt = this.runtimes.get(tabId);
    if (!rt) return;
    setText(rt.toast, text);
    rt.toast.hidden = false;
    if (rt.toastTimer) clearTimeout(rt.toastTimer);
    rt.toastTimer = setTimeout(() => {
      rt.toast.hidden = true;
    }, 2000);
  }

  private render(): void {
    const tabs = this.model.list();
    const active = this.model.active;
    const labels = tabLabels(tabs);
    const scrollLeft = this.tabBar.scrollLeft;
    clear(this.tabBar);
    this.tabStrip.hidden = tabs.length === 0;
    if (tabs.length === 0) this.overflowMenu.hidden = true;
    tabs.forEach((t, i) => {
      const label = labels[i]!;
      const selected = active?.id === t.id;
      const button = h(
        "div",
        {
          class: `tab state-${t.status.kind}${selected ? " active" : ""}`,
          role: "tab",
          tabindex: selected ? 0 : -1,
          "aria-selected": selected ? "true" : "false",
          "aria-controls": `pane-${t.id}`,
          "data-tab-id": t.id,
          "data-state": t.status.kind,
          "data-favourite": t.favourite?.name ?? null,
          "data-pod": t.target.pod || null,
          "data-debug": isDebugTarget(t.target) ? "true" : null,
          "data-profile": t.target.profile,
          style: `--profile-hue: ${profileHue(t.target.profile)}`,
          title: tabTooltip(t),
          onclick: (e: Event) => {
            if (!(e.target as HTMLElement).closest(".tab-close")) this.activate(t.id);
          },
          onauxclick: (e: Event) => {
            if ((e as MouseEvent).button === 1) this.close(t.id);
          },
        },
        h("span", { class: "tab-dot", "aria-hidden": "true" }),
        h(
          "span",
          { class: "tab-label" },
          label.profile ? h("span", { class: "tab-profile" }, `${label.profile} · `) : null,
          label.namespace ? h("span", { class: "tab-namespace" }, `${label.namespace} · `) : null,
          h("span", { class: "tab-title" }, label.title),
        ),
        isDebugTarget(t.target) ? h("span", { class: "tab-debug", title: debugDescription(t.target) ?? "" }, "debug") : null,
        h("span", { class: "tab-status" }, statusText(t.status)),
        h("button", { class: "tab-close icon-button", title: "Close tab (ends the session) · Ctrl+Shift+W", "aria-label": "Close tab", onclick: () => this.close(t.id) }, "×"),
      );
      this.tabBar.appendChild(button);
    });
    this.tabBar.scrollLeft = scrollLeft;
    // A newly active tab is brought into sight (only then: the user may scroll away).
    if (active && active.id !== this.scrolledTo) {
      this.tabBar.querySelector<HTMLElement>(`.tab[data-tab-id="${active.id}"]`)?.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
    this.scrolledTo = active?.id ?? null;
    this.updateOverflow();
    let connecting = false;
    for (const t of tabs) {
      const rt = this.runtimes.get(t.id);
      if (!rt) continue;
      const visible = active?.id === t.id;
      if (rt.pane.hidden === visible) {
        rt.pane.hidden = !visible;
        if (visible) rt.view.fit();
      }
      rt.pane.dataset.state = t.status.kind;
      if (t.favourite) rt.pane.dataset.favourite = t.favourite.name;
      this.renderBanner(t, rt);
      if (t.status.kind === "connecting") connecting = true;
    }
    if (connecting && this.connectTimer === null) {
      this.connectTimer = setInterval(() => this.tickConnecting(), 500);
    } else if (!connecting && this.connectTimer !== null) {
      clearInterval(this.connectTimer);
      this.connectTimer = null;
    }
    this.opts.onTabsChanged?.();
  }

  /** The seconds in the banners of connecting tabs; the tab bar stays as it is (clicks land). */
  private tickConnecting(): void {
    for (const t of this.model.list()) {
      const rt = this.runtimes.get(t.id);
      if (rt && t.status.kind === "connecting") this.renderBanner(t, rt);
    }
  }

  private renderBanner(t: Tab, rt: Runtime): void {
    const where = `${t.target.pod}/${t.target.container}`;
    const s = t.status;
    rt.progress.hidden = s.kind !== "connecting";
    rt.bannerDebug.hidden = !(s.kind === "lost" && s.noShell);
    switch (s.kind) {
      case "connecting": {
        const secs = Math.max(0, (Date.now() - s.since) / 1000);
        rt.banner.hidden = false;
        rt.banner.className = "banner connecting";
        if (s.resolving && t.favourite) {
          const about = [t.favourite.target, t.target.namespace ? `in ${t.target.namespace}` : ""].filter(Boolean).join(" ");
          setText(rt.bannerText, `Finding the pod for ${t.favourite.name}${about ? ` (${about})` : ""}… ${secs.toFixed(0)} s`);
        } else if (t.target.debug) {
          setText(
            rt.bannerText,
            `Starting ${debugContainerName(t.target.debug).replace(/^debug/, "the debug")} (${t.target.debug.image}) beside ${where} in ${t.target.namespace} (${t.target.profile})… ${secs.toFixed(0)} s`,
          );
        } else {
          setText(rt.bannerText, `Connecting to ${where} in ${t.target.namespace} (${t.target.profile})… ${secs.toFixed(0)} s`);
        }
        rt.bannerButton.hidden = false;
        setText(rt.bannerButton, "Cancel");
        break;
      }
      case "connected":
        rt.banner.hidden = true;
        break;
      case "exited":
        rt.banner.hidden = false;
        rt.banner.className = `banner exited${s.code === 0 ? " ok" : ""}`;
        setText(rt.bannerText, `The process exited with code ${s.code}. Press Enter in the terminal to start a new session.`);
        rt.bannerButton.hidden = false;
        setText(rt.bannerButton, "Reopen");
        break;
      case "lost":
        rt.banner.hidden = false;
        rt.banner.className = "banner lost";
        if (s.noShell) {
          setText(
            rt.bannerText,
            `This container has no shell: neither bash nor sh is in its image. Debug it with an ephemeral container (a shell beside it, from ${currentDebugImage() || "the debug image"}), or run one of its own programs as a command.`,
          );
          rt.bannerButton.hidden = !this.opts.runCommand;
          setText(rt.bannerButton, "Run a command…");
          break;
        }
        setText(
          rt.bannerText,
          s.podGone
            ? `Session ended: ${s.reason}.`
            : s.cancelled
            ? `Cancelled while connecting to ${where}.`
            : s.unresolved && t.favourite
            ? `Could not open ${t.favourite.name}: ${s.reason}`
            : s.beforeConnect
              ? `Could not open a shell in ${where}: ${s.reason}`
              : `Connection lost: ${s.reason}`,
        );
        rt.bannerButton.hidden = false;
        setText(rt.bannerButton, "Reconnect");
        break;
    }
  }
}

/** A tab's tooltip: what it runs and where. */
function tabTooltip(t: Tab): string {
  const debug = debugDescription(t.target);
  const where = t.target.pod ? `${tabTitle(t.target)} in ${t.target.namespace} (${t.target.profile})${debug ? `: ${debug}` : ""}` : "";
  if (!t.favourite) return where;
  const fav = `★ ${t.favourite.name}${t.favourite.target ? ` (${t.favourite.target})` : ""}`;
  return where ? `${fav}: ${where}` : fav;
}
