// The right side: a tab bar and one terminal pane per tab, wired to exec sessions. A tab opened
// from a favourite resolves it before each session (the first, and every reopen).
import { FlowController, type FlowStats } from "./flow";
import { clear, h, setText } from "../dom";
import { writeClipboard } from "../clipboard";
import { favouriteTarget, placeholderTarget } from "../favourites/favourite";
import { resolveForTab } from "../favourites/model";
import { errorMessage, type Backend } from "../ipc";
import type { FavouriteSummary, SessionState } from "../ipc/types";
import { appKey, type AppKey } from "./keys";
import type { MenuItem } from "../menu";
import { askDebug, currentDebugImage, debugContainerName, debugDescription, debugTarget } from "./debug";
import { askCopy, copyDescription, copyTarget, copyNotDeleted } from "./copy";
import { askNodeShell, nodeDescription, nodeOf, nodeTarget } from "./node-shell";
import {
  inputAction,
  isDebugTarget,
  copyShared,
  sessionPod,
  withoutCopy,
  isEnded,
  logsStatusText,
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
import { afterEnd, MAX_RECONNECT_ATTEMPTS, sessionMarker, type ReconnectRun } from "./reconnect";
import { podtermHook, TerminalView } from "./view";
import { openPageSocket, SPARE_TICKET_MAX_AGE_MS } from "./pagesocket";
import { profileLook, type ProfileLook } from "../profile-look";
import { shownName, type ProductionGate } from "./production";
import { LogsView } from "../logs/view";
import { LogsSplit } from "../logs/split";
import { MAX_PANES, PaneGroups, ratioAt, layout, neighbour, type SplitDir } from "./panes";
import { Broadcast, BROADCAST_KEY, broadcastKey, joinAsking } from "./broadcast";
import { MAX_WARNINGS, warningLine } from "./warnings";

/**
 * How long after a tab opens the next tab's terminal is made ahead ([`Workspace.spare`]): past
 * the new tab's first output, so that the ~20 ms of the page's thread it takes do not delay it.
 */
export const SPARE_TERMINAL_DELAY_MS = 1000;

/**
 * A connecting tab shows its banner and progress bar only once it has been connecting this
 * long. Most shells connect in ~40 ms: a banner shown at once would flash for a frame or two
 * and take three rows from the terminal while it shows, so the session would start at one size
 * and be resized as it connected (xterm.js drawing every row again, the shell told of a new
 * size). The tab's strip marks it connecting from the start.
 */
export const CONNECTING_BANNER_DELAY_MS = 300;

/** A terminal made before its tab: its pane (hidden, laid out) and the tab it is bound to. */
interface MadeTerminal {
  view: TerminalView;
  pane: HTMLElement;
  /** Names the tab its keys, resizes, notices and menu belong to. */
  bind(tabId: number): void;
  /** A page socket's address asked for with it (`page_socket`), and when (`Date.now()`). */
  ticket: { url: string; at: number } | null;
}

interface Runtime {
  view: TerminalView;
  pane: HTMLElement;
  banner: HTMLElement;
  bannerText: HTMLElement;
  bannerButton: HTMLButtonElement;
  /** "Debug with an ephemeral container…", on a tab whose container has no shell. */
  bannerDebug: HTMLButtonElement;
  /** "Debug a copy of the pod…", on a tab whose container crashes as it starts. */
  bannerCopy: HTMLButtonElement;
  progress: HTMLElement;
  toast: HTMLElement;
  toastTimer: ReturnType<typeof setTimeout> | null;
  flow: FlowController | null;
  /** The tab's keystrokes, in order, until its session takes them. */
  input: InputQueue;
  /** A run of automatic reconnects in progress (reconnect.ts), else null. */
  retry: ReconnectRun | null;
  /** The next automatic attempt, while waiting for it. */
  retryTimer: ReturnType<typeof setTimeout> | null;
  waiting: { attempt: number; delayMs: number } | null;
  /** The last run gave up after this many attempts (until the next session or Reconnect). */
  gaveUp: number | null;
  /** The current attempt reopened a tab that had ended so: its first output is marked. */
  markAfter: "lost" | "exited" | null;
  /**
   * The current attempt's favourite resolved to a pod that runs but is not Ready: the backend's
   * note, written under the marker when the session starts (not before a production question).
   */
  unready: string | null;
  /**
   * The API server's warnings while the current attempt opened (a debug container, a copy or a
   * node's pod that Pod Security in warn mode would refuse), written under the marker as kubectl
   * prints them.
   */
  warnings: string[];
  /** The pod's log beside the terminal (Ctrl+Shift+L, the tab menu), else null. */
  split: LogsSplit | null;
  /** "BROADCAST", shown while the pane receives broadcast input (broadcast.ts). */
  broadcastBadge: HTMLElement;
  /** A "no" to the production question keeps the new tab, cancelled (`keepIfDeclined`). */
  keepIfDeclined: boolean;
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
  /** Ctrl+K: the quick-open box (absent: the key does nothing). */
  quickOpen?(): void;
  /** A profile's colour and production mark (absent: the colour derived from its name). */
  profileLook?(profile: string): ProfileLook;
  /** Does this profile reconnect lost sessions on its own (its "reconnect automatically")? */
  autoReconnect?(profile: string): boolean;
  /**
   * Asks before the first session of a run in a production profile (production.ts); absent:
   * sessions open without asking.
   */
  production?: ProductionGate;
  /** More items for a terminal tab's menu, before "Close tab" (files: Download…). */
  tabMenuExtra?(tabId: number): MenuItem[];
  /**
   * "Split right with…": lets the user choose what a new pane runs (quick open), then calls
   * `then` with it. Absent: a split always runs the pane's own pod and container.
   */
  chooseTarget?(then: (target: SessionTarget, favourite: FavouriteRef | null) => void): void;
  /** Asks before production panes join a broadcast (absent: they never join). */
  askBroadcast?(profiles: string[], panes: number): Promise<boolean>;
}

/** The ● REC marker of a tab whose session (or one of whose panes) is being recorded. */
function recordingBadge(files: { file: string; path: string }[]): HTMLElement | null {
  if (files.length === 0) return null;
  return h("span", { class: "tab-rec", title: `Recording to ${files.map((f) => f.path).join(", ")}` }, "\u25cf REC");
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
  /**
   * The next tab's terminal, made ahead once a tab has opened: making one (xterm.js's terminal,
   * its addons, its DOM) takes the page's thread ~20 ms, which a tab made at the click spends
   * before its session starts; the spare's tab starts its session at once.
   */
  private spare: MadeTerminal | null = null;
  private spareTimer: ReturnType<typeof setTimeout> | null = null;
  /** `expectTab` asked for the spare in the coming frame. */
  private spareSoon = false;
  /** A page socket was opened to learn whether they open here, before the first tab. */
  private socketProbed = false;
  /** Shows the banners of tabs connecting for CONNECTING_BANNER_DELAY_MS. */
  private bannerTimer: ReturnType<typeof setTimeout> | null = null;
  /** A page socket has opened in this page: a tab may then open its session and its socket at
   *  once (unset again when one does not open). */
  private pageSocketsWork = false;
  /** Tabs whose session is being recorded: the file's name and path (escaped by the engine). */
  private readonly recording = new Map<number, { file: string; path: string }>();
  /** The Logs views, by tab id (their tabs have no runtime of a terminal). */
  private readonly logViews = new Map<number, { view: LogsView; pane: HTMLElement }>();
  private connectTimer: ReturnType<typeof setInterval> | null = null;
  /** A tab being dragged to a new place (pointer events; see `dragStart`). */
  private drag: { id: number; pointer: number; startX: number; moved: boolean; to: number } | null = null;
  /** Split panes: which terminals share a tab, and how (panes.ts). */
  readonly paneGroups = new PaneGroups();
  /** The panes that receive broadcast input (broadcast.ts). */
  readonly broadcast = new Broadcast();
  /** The dividers of the shown tab's splits, by split key. */
  private readonly dividers = new Map<number, HTMLElement>();

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
    this.broadcast.onChange(() => this.render());
    // The app's keys (keys.ts), before the terminal or a text box sees them.
    window.addEventListener(
      "keydown",
      (e) => {
        const inTerminal = e.target instanceof Element && e.target.closest(".xterm") !== null;
        const key = appKey({ type: e.type, key: e.key, code: e.code, ctrlKey: e.ctrlKey, shiftKey: e.shiftKey, altKey: e.altKey, metaKey: e.metaKey, inTerminal });
        // Not behind a modal dialog (the profile form, the close question); quick open works
        // with no tab open too.
        if (!key || document.querySelector("dialog[open]")) return;
        if (key.kind === "quickOpen" ? !this.opts.quickOpen : this.model.list().length === 0) return;
        e.preventDefault();
        e.stopPropagation();
        this.appKey(key);
      },
      true,
    );
    document.addEventListener("mousedown", (e) => {
      if (!this.overflowMenu.hidden && !(e.target as HTMLElement).closest(".tab-menu, .tab-overflow")) this.overflowMenu.hidden = true;
    });
    // Escape closes the list of all tabs, as it closes any menu (and goes no further while the
    // list is open: the terminal does not get it).
    window.addEventListener(
      "keydown",
      (e) => {
        if (e.key !== "Escape" || this.overflowMenu.hidden) return;
        e.preventDefault();
        e.stopPropagation();
        this.overflowMenu.hidden = true;
        this.overflowButton.focus();
      },
      true,
    );
    new ResizeObserver(() => this.updateOverflow()).observe(this.tabBar);

    const hook = podtermHook();
    /** The next tab's terminal made ahead: null, or whether its socket's address is there (and
     *  whether a page socket has opened in this page). */
    hook.spare = () => (this.spare === null ? null : { ticket: this.spare.ticket !== null, sockets: this.pageSocketsWork });
    /** The tabs whose terminal was made ahead (the spare). */
    hook.madeAhead = new Set<number>();
    /** Drops the spare (and one coming), as in a page that has not yet made one. */
    hook.dropSpare = () => {
      if (this.spareTimer !== null) clearTimeout(this.spareTimer);
      this.spareTimer = null;
      this.spare?.view.dispose();
      this.spare?.pane.remove();
      this.spare = null;
    };
    /** CONNECTING_BANNER_DELAY_MS, for the tests that check it. */
    hook.connectingBannerDelayMs = CONNECTING_BANNER_DELAY_MS;
    /** How each terminal tab's current session started: "together" (its session and its page
     *  socket at once), or "socketFirst" (the socket, or the Channel, settled before it). */
    hook.starts = new Map<number, "together" | "socketFirst">();
    hook.tabs = () =>
      this.model.list().map((t) => ({
        id: t.id,
        title: tabLabel(t),
        kind: t.kind,
        workload: t.workload === true,
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
        /** The automatic attempt being waited for (null: none). */
        reconnectAttempt: this.runtimes.get(t.id)?.waiting?.attempt ?? null,
        /** A debug tab's container request (image, name), else null. */
        debug: t.target.debug ?? null,
        /** A copy tab's copy (its name), else null. */
        copy: t.target.copy ?? null,
        /** The container that crashes as it starts, when that ended the tab's session. */
        crashing: t.status.kind === "lost" ? (t.status.crashing ?? null) : null,
        /** The panes of its tab, in layout order (itself alone when not split). */
        panes: this.paneGroups.members(t.id),
        /** The pane whose place the tab keeps in the tab bar. */
        anchor: this.paneGroups.anchorOf(t.id),
        /** Does it receive broadcast input? */
        broadcast: this.broadcast.has(t.id),
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

  /**
   * Opens a Logs view tab for a pod's container (`container` empty: its default): the log
   * followed, the pod's status and events beside it.
   */
  openLogs(target: SessionTarget, workload = false): Tab {
    const tab = this.model.openLogs(target, workload);
    const view = new LogsView(this.backend, {
      profile: target.profile,
      namespace: target.namespace,
      pod: target.pod,
      container: target.container,
      workload,
    }, { onWorkload: (name) => this.model.nameWorkload(tab.id, name), onState: (state, text) => this.model.logsState(tab.id, state, text) });
    const pane = h("div", { class: "pane logs-pane", role: "tabpanel", "data-tab-id": tab.id, "data-kind": "logs", id: `pane-${tab.id}` }, view.root);
    this.panes.appendChild(pane);
    this.logViews.set(tab.id, { view, pane });
    podtermHook().logs.set(tab.id, view);
    this.render();
    view.focus();
    return tab;
  }

  /** Opens a new tab on `target` (or on a favourite) and starts its session. */
  open(target: SessionTarget, favourite: FavouriteRef | null = null, into?: { beside: number; dir: SplitDir }): Tab {
    const tab = this.model.open(target, favourite);
    // A new pane of an existing tab (split): grouped before its pane is laid out.
    if (into) this.paneGroups.split(into.beside, tab.id, into.dir);
    const bannerText = h("span", { class: "banner-text" });
    const bannerButton = h("button", { class: "banner-button" });
    const bannerDebug = h(
      "button",
      { class: "banner-debug", hidden: true, onclick: () => this.offerDebug(tab.id) },
      "Debug with an ephemeral container…",
    );
    const bannerCopy = h(
      "button",
      { class: "banner-copy", hidden: true, onclick: () => this.offerCopy(tab.id) },
      "Debug a copy of the pod…",
    );
    const banner = h("div", { class: "banner", hidden: true, role: "status" }, bannerText, bannerDebug, bannerCopy, bannerButton);
    const progress = h("div", { class: "progress", hidden: true }, h("div", { class: "progress-bar" }));
    const toast = h("div", { class: "toast", hidden: true, "aria-live": "polite" });
    const made = this.spare ?? this.makeTerminal();
    if (this.spare) (podtermHook().madeAhead as Set<number>).add(tab.id);
    this.spare = null;
    made.bind(tab.id);
    const ticket = made.ticket && Date.now() - made.ticket.at < SPARE_TICKET_MAX_AGE_MS ? made.ticket.url : null;
    const { pane, view } = made;
    pane.setAttribute("role", "tabpanel");
    pane.setAttribute("data-tab-id", String(tab.id));
    pane.id = `pane-${tab.id}`;
    pane.prepend(progress, banner);
    pane.hidden = false;
    pane.appendChild(toast);
    const broadcastBadge = h(
      "div",
      { class: "broadcast-badge", hidden: true, title: `Typing here goes to every broadcasting pane; ${BROADCAST_KEY} stops` },
      h("strong", {}, "BROADCAST"),
      ` · ${BROADCAST_KEY} stops`,
    );
    pane.appendChild(broadcastBadge);
    // A click (or any focus) in a pane makes it the focused one of its tab.
    pane.addEventListener("focusin", () => {
      if (this.model.active?.id !== tab.id && this.runtimes.has(tab.id)) this.model.activate(tab.id);
    });
    const rt: Runtime = {
      view,
      pane,
      banner,
      bannerText,
      bannerButton,
      bannerDebug,
      bannerCopy,
      progress,
      toast,
      toastTimer: null,
      flow: null,
      retry: null,
      retryTimer: null,
      waiting: null,
      gaveUp: null,
      markAfter: null,
      unready: null,
      warnings: [],
      split: null,
      broadcastBadge,
      keepIfDeclined: false,
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
    podtermHook().painters.set(tab.id, view.painter);
    podtermHook().selections.set(tab.id, view.selectionRedraws);
    this.render(); // shows the pane so that the terminal can measure itself
    view.fit();
    view.focus();
    this.startSession(tab, tab.attempt, ticket);
    this.prepareSpare();
    return tab;
  }

  /** A terminal in a hidden pane of its own, for a tab to be named with `bind`. */
  private makeTerminal(): MadeTerminal {
    const pane = h("div", { class: "pane", hidden: true });
    this.panes.appendChild(pane);
    let id = -1;
    const view = new TerminalView(pane, {
      onData: (data) => this.input(id, data),
      onResize: (cols, rows) => {
        const t = this.model.get(id);
        if (t && t.sessionId !== null && !isEnded(t.status)) {
          this.backend.resize(t.sessionId, cols, rows).catch(() => {});
        }
      },
      onNotice: (text) => this.toast(id, text),
      menuItems: () => this.tabMenuItems(id),
      onOpenLink: (uri) => {
        this.backend.openUrl(uri).then(
          () => this.toast(id, "Opened in your browser"),
          (e: unknown) => this.toast(id, `Could not open ${uri} in your browser: ${errorMessage(e)}`),
        );
      },
    });
    return {
      view,
      pane,
      bind: (tabId) => {
        id = tabId;
      },
      ticket: null,
    };
  }

  /**
   * The user is likely to open a tab soon (a pod's picker opened, the quick open shown): the
   * next tab's terminal is made now, once the page has drawn what the user just asked for, and
   * before the first tab a page socket is opened once to learn whether they open here (so that
   * the first tab, too, starts its session and its socket together). Nothing is made while the
   * app sits idle with no such sign.
   */
  expectTab(): void {
    if (!this.socketProbed && !this.pageSocketsWork) {
      this.socketProbed = true;
      void openPageSocket(
        () => this.backend.pageSocket(),
        () => {},
      ).then((socket) => {
        if (!socket) return;
        this.pageSocketsWork = true;
        socket.close();
      });
    }
    if (this.spare || this.spareSoon) return;
    this.spareSoon = true;
    // In the coming frame, made just after it (~20 ms of the page's thread, more for the first).
    // (A tab opened meanwhile has its spare coming SPARE_TERMINAL_DELAY_MS after it: kept so.)
    requestAnimationFrame(() => {
      this.spareSoon = false;
      this.prepareSpare(0);
    });
  }

  /** Makes the next tab's terminal ahead (`delayMs` from now), if none is made. */
  private prepareSpare(delayMs = SPARE_TERMINAL_DELAY_MS): void {
    if (this.spare || this.spareTimer !== null) return;
    this.spareTimer = setTimeout(() => {
      this.spareTimer = null;
      if (this.spare) return;
      const made = this.makeTerminal();
      this.spare = made;
      // Its page socket's address too, so that its tab asks for nothing before its session.
      this.backend.pageSocket().then(
        (url) => {
          made.ticket = { url, at: Date.now() };
        },
        () => {
          /* its tab asks then */
        },
      );
    }, delayMs);
  }

  /** An attempt: resolve the favourite first (a favourite's tab), then open the session
   *  (`ticket`: its page socket's address, when already asked for). */
  private startSession(tab: Tab, attempt: number, ticket: string | null = null): void {
    const rt = this.runtimes.get(tab.id);
    if (!rt) return;
    rt.flow?.dispose();
    rt.flow = null;
    rt.input.clear();
    rt.unready = null;
    rt.warnings = [];
    if (!tab.favourite) {
      this.openSession(tab, attempt, ticket);
      return;
    }
    const unready = (note: string) => {
      rt.unready = note;
    };
    void resolveForTab(this.backend, this.model, tab.id, attempt, unready).then((target) => {
      if (target) {
        this.openSession(tab, attempt, ticket);
        return;
      }
      const t = this.model.get(tab.id);
      if (t && t.attempt === attempt && t.status.kind === "lost" && t.status.unresolved) {
        rt.view.notice(`could not open ${t.favourite?.name ?? "the favourite"}: ${t.status.reason}`);
        rt.view.term.write("\x1b[?25l"); // no cursor in a dead terminal
        this.ended(tab.id, attempt);
      }
    });
  }

  private openSession(tab: Tab, attempt: number, ticket: string | null = null): void {
    const rt = this.runtimes.get(tab.id);
    if (!rt || !this.model.isCurrent(tab.id, attempt)) return;
    // A production profile: no session before the user said yes in this run (a favourite's
    // profile is known once it is resolved, hence here and not when the tab opens).
    const gate = this.opts.production;
    if (gate && !gate.allows(tab.target.profile)) {
      void gate.check(tab.target.profile).then((yes) => {
        if (!this.model.isCurrent(tab.id, attempt)) return;
        if (yes) this.openSession(tab, attempt, ticket);
        else this.declined(tab.id, attempt);
      });
      return;
    }
    const flow = new FlowController(rt.view.term, (id, bytes, drawUs) => {
      this.backend.ack(id, bytes, drawUs).catch(() => {
        /* the session is gone; its state channel says why */
      });
    });
    rt.flow = flow;
    const output = (bytes: Uint8Array) => {
      this.markNewSession(tab.id, attempt);
      flow.write(bytes);
    };
    const address = () => (ticket !== null ? Promise.resolve(ticket) : this.backend.pageSocket());
    if (ticket !== null && this.pageSocketsWork && tab.target.command === null && !isDebugTarget(tab.target)) {
      // A shell whose socket's address is known, once page sockets have opened in this page:
      // its session and its socket start at once (the engine keeps what the session sends
      // until the socket connects), so the pod's side overlaps the page's drawing of the tab.
      podtermHook().transports.set(tab.id, "socket");
      (podtermHook().starts as Map<number, string>).set(tab.id, "together");
      this.startOpen(tab, attempt, rt, flow, output, ticket);
      void openPageSocket(address, output).then((socket) => {
        if (socket) {
          flow.closeWith(socket.close);
          return;
        }
        // It did not open: what the shell printed is lost with it. The tab starts again, its
        // socket asked for (and the Channel taken if none opens) before its session.
        this.pageSocketsWork = false;
        if (flow.isDisposed || !this.model.isCurrent(tab.id, attempt)) return;
        this.model.openFailed(tab.id, attempt, "its page socket did not open");
        this.reopen(tab.id, true);
      });
      return;
    }
    // The output on a page socket when one opens (pagesocket.ts), else on the Channel.
    void openPageSocket(address, output).then((socket) => {
      if (socket) {
        this.pageSocketsWork = true;
        flow.closeWith(socket.close);
      }
      if (flow.isDisposed || !this.model.isCurrent(tab.id, attempt)) {
        socket?.close();
        return;
      }
      podtermHook().transports.set(tab.id, socket ? "socket" : "channel");
      (podtermHook().starts as Map<number, string>).set(tab.id, "socketFirst");
      this.startOpen(tab, attempt, rt, flow, output, socket?.url ?? null);
    });
  }

  private startOpen(tab: Tab, attempt: number, rt: Runtime, flow: FlowController, output: (bytes: Uint8Array) => void, socket: string | null): void {
    rt.view.fit();
    const { cols, rows } = rt.view.term;
    const { ephemeral: _picked, ...target } = tab.target;
    this.backend
      .openSession(
        { ...target, cols, rows, ...(socket === null ? {} : { socket }) },
        output,
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
        (err) => {
          this.model.openFailed(tab.id, attempt, errorMessage(err));
          this.ended(tab.id, attempt);
        },
      );
  }

  private sessionState(tabId: number, attempt: number, state: SessionState): void {
    if (state.state === "recording" || state.state === "recordingStopped") {
      this.recordingState(tabId, attempt, state);
      return;
    }
    if (state.state === "warning") {
      this.warned(tabId, attempt, state.text);
      return;
    }
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

  /** A recording started or ended: the tab's ● REC marker, and a notice when it ended on its own. */
  private recordingState(tabId: number, attempt: number, state: SessionState & { state: "recording" | "recordingStopped" }): void {
    const t = this.model.get(tabId);
    if (!t || t.attempt !== attempt) return;
    if (state.state === "recording") {
      this.recording.set(tabId, { file: state.file, path: state.path });
    } else {
      this.recording.delete(tabId);
      if (state.reason) this.runtimes.get(tabId)?.view.notice(`recording stopped: ${state.reason}`);
      else if (!isEnded(t.status)) this.toast(tabId, `Recording saved: ${state.file}`);
    }
    this.render();
  }

  /** Whether a tab's session is being recorded, and into which file. */
  recordingOf(tabId: number): { file: string; path: string } | null {
    return this.recording.get(tabId) ?? null;
  }

  /** Start or stop recording a tab's live session (its menu). */
  private toggleRecording(tabId: number): void {
    const t = this.model.get(tabId);
    if (!t || t.sessionId === null || isEnded(t.status)) return;
    const call = this.recording.has(tabId) ? this.backend.stopRecording(t.sessionId) : this.backend.startRecording(t.sessionId);
    call.catch((err: unknown) => this.toast(tabId, `Recording: ${errorMessage(err)}`));
  }

  private applyState(tabId: number, attempt: number, state: SessionState): void {
    const next = this.model.sessionState(tabId, attempt, state);
    if (!next) return;
    const rt = this.runtimes.get(tabId);
    if (!rt) return;
    if (next.kind === "connected") this.markNewSession(tabId, attempt);
    if (next.kind === "exited" || next.kind === "lost") {
      rt.input.clear();
      // The API server's warnings of a session that never connected, above why it did not.
      for (const text of rt.warnings.splice(0)) rt.view.term.write(warningLine(text));
      if (next.kind === "exited") rt.view.notice(`process exited with code ${next.code}; press Enter to reopen`);
      else if (next.noShell) rt.view.notice(`${next.reason}; run one of its own programs as a command instead`);
      else rt.view.notice(`${next.beforeConnect ? "could not connect" : "connection lost"}: ${next.reason}`);
      rt.view.term.write("\x1b[?25l"); // no cursor in a dead terminal
      this.ended(tabId, attempt);
    }
  }

  /**
   * The tab's attempt has ended: with its profile's "reconnect automatically", a lost session is
   * reopened after a wait (reconnect.ts), and the tab says when.
   */
  private ended(tabId: number, attempt: number): void {
    const t = this.model.get(tabId);
    const rt = this.runtimes.get(tabId);
    if (!t || !rt || t.attempt !== attempt || !isEnded(t.status)) return;
    // The engine finished the recording with the session (it said so first).
    if (this.recording.delete(tabId)) this.render();
    const enabled = this.opts.autoReconnect?.(t.target.profile) ?? false;
    const { run, decision } = afterEnd(rt.retry, t.status, { enabled, favourite: t.favourite !== null });
    rt.retry = run;
    rt.markAfter = null;
    if (rt.retryTimer) clearTimeout(rt.retryTimer);
    rt.retryTimer = null;
    rt.waiting = null;
    if (decision.kind === "wait") {
      rt.waiting = { attempt: decision.attempt, delayMs: decision.delayMs };
      rt.retryTimer = setTimeout(() => {
        rt.retryTimer = null;
        const now = this.model.get(tabId);
        if (!now || now.attempt !== attempt || !isEnded(now.status)) return;
        this.reopen(tabId, true);
      }, decision.delayMs);
      rt.view.notice(`reconnecting automatically in ${Math.round(decision.delayMs / 1000)} s (attempt ${decision.attempt} of ${MAX_RECONNECT_ATTEMPTS})`);
    } else if (decision.kind === "giveUp") {
      rt.gaveUp = decision.attempts;
      rt.view.notice(`gave up reconnecting after ${decision.attempts} attempts; Reconnect tries again`);
    }
    this.render();
  }

  /** The first sign of a reopened tab's new session: the line that marks it, once. */
  private markNewSession(tabId: number, attempt: number): void {
    const t = this.model.get(tabId);
    const rt = this.runtimes.get(tabId);
    if (!t || !rt || t.attempt !== attempt) return;
    if (t.status.kind === "connected" || t.status.kind === "connecting") {
      if (t.status.kind === "connected") {
        // The session is up: a run of automatic attempts is over.
        rt.retry = null;
        rt.gaveUp = null;
      }
      if (rt.markAfter) {
        // Straight into xterm's queue, ahead of the session's first bytes (a notice would wait
        // for the queue and land after them).
        rt.view.term.write(`\x1b[2m${sessionMarker(rt.markAfter, t.target.pod, new Date())}\x1b[0m\r\n`);
        rt.markAfter = null;
      }
      if (rt.unready) {
        // The same way, under the marker: this session's pod is not Ready (escaped by the engine).
        rt.view.term.write(`\x1b[2m[${rt.unready}]\x1b[0m\r\n`);
        rt.unready = null;
      }
      for (const text of rt.warnings.splice(0)) rt.view.term.write(warningLine(text));
    }
  }

  /**
   * The API server warned as this attempt's session opened (before its first output): written
   * with the marker, or above the reason when the session never connects; at once when it
   * comes later.
   */
  private warned(tabId: number, attempt: number, text: string): void {
    const t = this.model.get(tabId);
    const rt = this.runtimes.get(tabId);
    if (!t || !rt || t.attempt !== attempt) return;
    if (t.status.kind === "connected") rt.view.term.write(warningLine(text));
    else if (rt.warnings.length < MAX_WARNINGS) rt.warnings.push(text);
  }

  /**
   * Keystrokes (and pastes) from a tab's terminal: to its own session, and when it broadcasts,
   * to every broadcasting pane's session too (broadcast.ts).
   */
  private input(tabId: number, data: string): void {
    for (const id of this.broadcast.targets(tabId)) this.inputOne(id, data, id === tabId);
  }

  /** Input for one tab's session. `own`: typed into this tab (else broadcast from another). */
  private inputOne(tabId: number, data: string, own: boolean): void {
    const tab = this.model.get(tabId);
    const rt = this.runtimes.get(tabId);
    if (!tab || !rt) return;
    switch (inputAction(tab.status, data)) {
      case "send":
        this.model.typed(tabId);
        rt.input.push(data);
        break;
      case "reopen":
        // Enter typed elsewhere never restarts an exited pane.
        if (own) this.reopen(tabId);
        break;
      case "ignore":
        break;
    }
  }

  /**
   * Enter on an exited tab, or Reconnect on a lost one: a new session with the same target.
   * `auto`: an attempt of a run of automatic reconnects (else the user's, which ends the wait).
   */
  reopen(tabId: number, auto = false): void {
    const before = this.model.get(tabId)?.status.kind;
    const r = this.model.reopen(tabId);
    const tab = this.model.get(tabId);
    const rt = this.runtimes.get(tabId);
    if (!r || !tab || !rt) return;
    if (rt.retryTimer) clearTimeout(rt.retryTimer);
    rt.retryTimer = null;
    rt.waiting = null;
    rt.gaveUp = null;
    // The user's Reconnect during a run starts its count again.
    if (!auto && rt.retry) rt.retry = { attempts: 0 };
    rt.markAfter = before === "exited" ? "exited" : "lost";
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

  /**
   * "Shell on its node…" from a pod's menu: asks the backend what the debugging pod on `node`
   * would be (in `namespace`, from the Debug image setting), asks the user once (who may choose
   * another namespace there), then opens its tab.
   */
  openNodeShell(profile: string, namespace: string, node: string): void {
    this.backend.planNodeShell(profile, namespace, node, currentDebugImage()).then(
      (plan) => {
        askNodeShell(plan, (chosen) => this.open(nodeTarget(profile, plan, chosen)));
      },
      (err: unknown) => {
        askNodeShell(null, () => {}, errorMessage(err));
      },
    );
  }

  /**
   * "Debug a copy of the pod…" on a tab whose container crashes as it starts: asks the backend
   * what the copy would be, asks the user once, then opens a tab in the copy beside this one.
   */
  offerCopy(tabId: number): void {
    const t = this.model.get(tabId);
    if (!t || t.status.kind !== "lost" || !t.status.crashing) return;
    // A favourite's tab: the crashing pod its error named; else the tab's own pod.
    const { profile } = t.target;
    const { namespace, pod } = t.status.copyOf ?? t.target;
    this.backend.planCopy(profile, namespace, pod, t.status.crashing).then(
      (plan) => {
        askCopy(plan, () => this.open(copyTarget(t.target, plan)));
      },
      (err: unknown) => {
        askCopy(null, () => {}, errorMessage(err));
      },
    );
  }

  /**
   * The tab stays when the user says no to its production question (`declined`): a tab reopened
   * from the last run, which a "not now" at start must not drop from the saved tabs for good.
   */
  keepIfDeclined(tabId: number): void {
    const rt = this.runtimes.get(tabId);
    if (rt) rt.keepIfDeclined = true;
  }

  /**
   * The user said no to a production profile: a new tab goes away (nothing was opened in it,
   * and the user did not want it); a tab that had sessions before, or one to keep
   * (`keepIfDeclined`), stays, cancelled, with its Reconnect (which asks again).
   */
  private declined(tabId: number, attempt: number): void {
    const t = this.model.get(tabId);
    if (!t) return;
    if (attempt > 1) this.cancel(tabId);
    else if (this.runtimes.get(tabId)?.keepIfDeclined) {
      // Nothing ran in its terminal: it says why (the name escaped as the question shows it).
      this.cancel(tabId, `not opened: ${shownName(t.target.profile)} is a production cluster and its question was cancelled; Reconnect asks again`);
    } else this.close(tabId, false);
  }

  /**
   * Cancel on a connecting tab: its session (if open yet) is closed; the tab offers Reconnect.
   * `why`: the line its terminal shows.
   */
  cancel(tabId: number, why = "cancelled"): void {
    const sessionId = this.model.cancel(tabId);
    if (sessionId === undefined) return;
    if (sessionId !== null) this.backend.closeSession(sessionId).catch(() => {});
    const rt = this.runtimes.get(tabId);
    if (!rt) return;
    rt.flow?.dispose();
    rt.flow = null;
    rt.input.clear();
    rt.view.notice(why);
    rt.view.term.write("\x1b[?25l"); // no cursor in a dead terminal
  }

  /**
   * Closes a tab and ends its session. `reopenable`: Ctrl+Shift+T may open it again (not a tab
   * the user declined to open).
   */
  close(tabId: number, reopenable = true): void {
    const lv = this.logViews.get(tabId);
    if (lv) {
      this.model.close(tabId);
      lv.view.dispose();
      lv.pane.remove();
      this.logViews.delete(tabId);
      podtermHook().logs.delete(tabId);
      this.focusActive();
      return;
    }
    const rt = this.runtimes.get(tabId);
    if (!this.model.get(tabId)) return;
    this.recording.delete(tabId);
    // A pane of a split tab: the others stay; the tab keeps its place in the tab bar.
    const index = this.model.list().findIndex((t) => t.id === tabId);
    const wasActive = this.model.active?.id === tabId;
    const left = this.paneGroups.remove(tabId);
    if (left.newAnchor !== null) this.model.move(left.newAnchor, index);
    this.broadcast.leave(tabId);
    const closing = this.model.get(tabId);
    // A split pane of the same copy keeps it.
    const shared = closing !== undefined && copyShared(this.model.list(), tabId, closing.target);
    const sessionId = this.model.close(tabId, reopenable);
    if (wasActive && left.focus !== null) this.model.activate(left.focus);
    if (sessionId === undefined) return;
    if (sessionId !== null) this.backend.closeSession(sessionId).catch(() => {});
    // A copy belongs to its tab: deleted with it (said when it cannot be).
    const copy = closing?.target.copy;
    if (closing && copy && !shared) {
      const { profile, namespace, pod } = closing.target;
      this.backend.deleteCopy(profile, namespace, copy.name, pod).catch((err: unknown) => copyNotDeleted(closing.target, errorMessage(err)));
    }
    if (rt) {
      if (rt.retryTimer) clearTimeout(rt.retryTimer);
      rt.retryTimer = null;
      rt.flow?.dispose();
      this.closeSplit(tabId);
      rt.view.dispose();
      rt.pane.remove();
      if (rt.toastTimer) clearTimeout(rt.toastTimer);
    }
    this.runtimes.delete(tabId);
    podtermHook().terminals.delete(tabId);
    podtermHook().painters.delete(tabId);
    podtermHook().selections.delete(tabId);
    podtermHook().transports.delete(tabId);
    this.focusActive();
  }

  /** Closes every pane of `tabId`'s tab (the tab's × and its menu's "Close tab"). */
  closeTab(tabId: number): void {
    for (const id of this.paneGroups.members(tabId)) this.close(id);
  }

  private focusActive(): void {
    const id = this.model.active?.id;
    if (id === undefined) return;
    this.runtimes.get(id)?.view.focus();
    this.logViews.get(id)?.view.focus();
  }

  activate(tabId: number): void {
    this.model.activate(tabId);
    this.focusActive();
  }

  /**
   * The pod's log beside the terminal of tab `tabId` (its container's), or closed when it is
   * there. A Logs tab has none (it is a log already).
   */
  toggleLogsSplit(tabId: number): void {
    const rt = this.runtimes.get(tabId);
    const t = this.model.get(tabId);
    if (!rt || !t) return;
    if (rt.split) {
      this.closeSplit(tabId);
      rt.view.focus();
      return;
    }
    // A shell on a node has no pod log worth showing: its pod is the shell's own.
    if (nodeOf(t.target) !== null) {
      this.notice(tabId, "A shell on a node has no log to show beside it: open the Logs of a pod on that node instead");
      return;
    }
    // A debug tab's log is its target's: the debug container's shell writes no log of its own.
    // A copy tab's is the original's: why it crashes (the copy's container runs a quiet shell).
    // A favourite's tab whose pods are none Ready, one crash-looping: that pod's, saying why.
    const crashed = t.status.kind === "lost" && t.status.copyOf && t.status.crashing ? { ...t.status.copyOf, container: t.status.crashing } : null;
    const split = new LogsSplit(
      this.backend,
      { profile: t.target.profile, ...(crashed ?? { namespace: t.target.namespace, pod: t.target.pod, container: t.target.container }) },
      rt.pane,
      () => {
        this.closeSplit(tabId);
        rt.view.focus();
      },
    );
    rt.split = split;
    podtermHook().splits.set(tabId, split);
    split.focus();
  }

  private closeSplit(tabId: number): void {
    const rt = this.runtimes.get(tabId);
    if (!rt?.split) return;
    rt.split.dispose();
    rt.split = null;
    podtermHook().splits.delete(tabId);
  }

  /** "Copy pod name" (a copy tab's: the copy's, where its shell runs) or "Copy node name". */
  private copyNameItem(tabId: number, what: "pod" | "node", name: string): MenuItem {
    return {
      label: `Copy ${what} name`,
      run: () =>
        writeClipboard(name).then(
          () => this.toast(tabId, `Copied ${name}`),
          () => this.toast(tabId, `Could not copy: the clipboard is not available (the ${what} is ${name})`),
        ),
    };
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
    if (t.status.kind === "lost" && t.status.crashing) {
      items.push({ label: "Debug a copy of the pod…", run: () => this.offerCopy(tabId) });
    }
    if (t.status.kind === "connected" && t.sessionId !== null) {
      items.push({ label: this.recording.has(tabId) ? "Stop recording" : "Start recording", run: () => this.toggleRecording(tabId) });
    }
    const split = this.runtimes.get(tabId)?.split;
    const node = nodeOf(t.target);
    // A shell on a node has no log to show beside it.
    if (node === null) {
      items.push({ label: split ? "Close the log beside" : "Logs beside the terminal", keys: "Ctrl+Shift+L", run: () => this.toggleLogsSplit(tabId) });
    }
    items.push(this.copyNameItem(tabId, node === null ? "pod" : "node", node ?? sessionPod(t.target)));
    items.push(...this.paneMenuItems(tabId));
    items.push(...(this.opts.tabMenuExtra?.(tabId) ?? []));
    if (this.paneGroups.tree(tabId) !== null) {
      items.push({ label: "Close pane", keys: "Ctrl+Shift+W", run: () => this.close(tabId) });
      items.push({ label: "Close tab (all its panes)", run: () => this.closeTab(tabId) });
    } else {
      items.push({ label: "Close tab", keys: "Ctrl+Shift+W", run: () => this.close(tabId) });
    }
    return items;
  }

  /** A key of the app's (keys.ts). */
  private appKey(key: AppKey): void {
    const active = this.model.active;
    switch (key.kind) {
      case "next":
      case "previous": {
        this.stepTab(key.kind === "next" ? 1 : -1);
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
      case "select": {
        const bar = this.barTabs();
        const t = key.n >= 9 ? bar[bar.length - 1] : bar[key.n - 1];
        if (t) this.activate(this.paneGroups.focusedOf(t.id));
        break;
      }
      case "move":
        this.moveTab(key.delta);
        break;
      case "quickOpen":
        this.opts.quickOpen?.();
        break;
      case "logsSplit":
        if (active) this.toggleLogsSplit(active.id);
        break;
      case "split":
        if (active) this.split(active.id, key.dir);
        break;
      case "pane":
        if (active) this.focusPane(active.id, key.arrow);
        break;
      case "broadcast":
        if (active) this.broadcastKey(active.id);
        break;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Split panes and broadcast input (panes.ts, broadcast.ts)

  /** The tabs as the tab bar lists them: a split tab once, by its anchor. */
  barTabs(): Tab[] {
    return this.model.list().filter((t) => !this.paneGroups.isHidden(t.id));
  }

  /** Ctrl+Tab and the like: the next (1) or previous (-1) tab of the bar, round the ends. */
  private stepTab(delta: number): void {
    const bar = this.barTabs();
    if (bar.length === 0) return;
    const active = this.model.active;
    const i = active ? bar.findIndex((t) => t.id === this.paneGroups.anchorOf(active.id)) : -1;
    const next = bar[(((i < 0 ? 0 : i + delta) % bar.length) + bar.length) % bar.length]!;
    this.activate(this.paneGroups.focusedOf(next.id));
  }

  /** Ctrl+Shift+PgUp/PgDn: the active tab moves one place in the bar (no wrap). */
  private moveTab(delta: number): void {
    const active = this.model.active;
    if (!active) return;
    const bar = this.barTabs();
    const anchor = this.paneGroups.anchorOf(active.id);
    const j = bar.findIndex((t) => t.id === anchor) + delta;
    const to = bar[j];
    if (j < 0 || !to) return;
    this.model.move(anchor, this.model.list().findIndex((t) => t.id === to.id));
  }

  /**
   * Splits pane `tabId` right or down: a new pane with its own session beside it, on `target`
   * (default: the same pod and container, or the same favourite before it resolved).
   */
  split(tabId: number, dir: SplitDir, target?: SessionTarget, favourite: FavouriteRef | null = null): Tab | null {
    const t = this.model.get(tabId);
    if (!t || t.kind !== "terminal") return null;
    if (this.paneGroups.members(tabId).length >= MAX_PANES) {
      this.toast(tabId, `A tab holds at most ${MAX_PANES} panes`);
      return null;
    }
    if (target) return this.open(target, favourite, { beside: tabId, dir });
    if (t.favourite && !t.target.pod) return this.open(t.target, t.favourite, { beside: tabId, dir });
    return this.open(t.target, null, { beside: tabId, dir });
  }

  /**
   * One tab of panes, one per target (at most MAX_PANES: the rest are named in a notice), tiled;
   * with `broadcast`, every pane joins the broadcast (production ones after the question).
   */
  openPanes(targets: readonly SessionTarget[], broadcast: boolean, what = "pods"): Tab | null {
    if (targets.length === 0) return null;
    const shown = targets.slice(0, MAX_PANES);
    const first = this.open(shown[0]!);
    let prev = first.id;
    const ids = [first.id];
    for (const target of shown.slice(1)) {
      prev = this.open(target, null, { beside: prev, dir: "right" }).id;
      ids.push(prev);
    }
    this.paneGroups.retile(first.id);
    this.activate(first.id);
    if (targets.length > shown.length) {
      const more = `Opened ${shown.length} of ${targets.length} ${what}: a tab holds at most ${MAX_PANES} panes (not opened: ${targets
        .slice(MAX_PANES)
        .map((t) => t.pod)
        .join(", ")})`;
      this.notice(first.id, more);
      this.toast(first.id, `Opened ${shown.length} of ${targets.length} ${what} (at most ${MAX_PANES} panes)`);
    }
    if (broadcast) {
      // A production cluster's "open a shell?" comes first (the panes wait on the same answer),
      // then the broadcast's own question: never two questions on screen at once.
      const gate = this.opts.production;
      const profile = shown[0]!.profile;
      void (gate ? gate.check(profile) : Promise.resolve(true)).then((yes) => {
        const open = ids.filter((id) => this.model.get(id) !== undefined);
        if (yes && open.length > 0) void this.joinBroadcast(open);
      });
    }
    return first;
  }

  /** Panes join the broadcast; production ones only after the user says yes. */
  joinBroadcast(ids: readonly number[]): Promise<number[]> {
    return joinAsking(
      this.broadcast,
      ids,
      (id) => this.model.get(id)?.target.profile ?? null,
      (profile) => this.look(profile).production,
      this.opts.askBroadcast ?? (() => Promise.resolve(false)),
    );
  }

  /** Ctrl+Shift+B in pane `tabId`: its tab's panes join, or (a broadcasting pane) all stop. */
  broadcastKey(tabId: number): void {
    if (broadcastKey(this.broadcast, tabId) === "stop") {
      this.broadcast.stop();
      this.toast(tabId, "Broadcast stopped: typing goes to this pane only");
    } else {
      void this.joinBroadcast(this.paneGroups.members(tabId).filter((id) => this.model.get(id)?.kind === "terminal"));
    }
  }

  /** Ctrl+Shift+Arrow: the pane that way in the same tab gets the focus. */
  private focusPane(tabId: number, arrow: "left" | "right" | "up" | "down"): void {
    const tree = this.paneGroups.tree(tabId);
    const next = tree ? neighbour(tree, tabId, arrow) : null;
    if (next !== null) this.activate(next);
  }

  /** The panes of the shown tab placed (fractions of the panes' box), its dividers with them. */
  private layoutPanes(): void {
    const active = this.model.active;
    const tree = active ? this.paneGroups.tree(active.id) : null;
    const lay = tree ? layout(tree) : null;
    for (const [id, rt] of this.runtimes) {
      const r = lay?.panes.get(id);
      if (r) {
        rt.pane.style.left = `${r.x * 100}%`;
        rt.pane.style.top = `${r.y * 100}%`;
        rt.pane.style.width = `${r.w * 100}%`;
        rt.pane.style.height = `${r.h * 100}%`;
      } else if (this.paneGroups.tree(id) === null && rt.pane.style.width) {
        rt.pane.style.left = rt.pane.style.top = rt.pane.style.width = rt.pane.style.height = "";
      }
    }
    const keep = new Set<number>();
    for (const d of lay?.dividers ?? []) {
      keep.add(d.key);
      let el = this.dividers.get(d.key);
      if (!el) {
        el = this.dividerFor(d.key, d.dir);
        this.dividers.set(d.key, el);
        this.panes.appendChild(el);
      }
      if (d.dir === "right") {
        el.style.cssText = `left: ${d.at * 100}%; top: ${d.box.y * 100}%; height: ${d.box.h * 100}%;`;
      } else {
        el.style.cssText = `top: ${d.at * 100}%; left: ${d.box.x * 100}%; width: ${d.box.w * 100}%;`;
      }
      el.dataset.box = JSON.stringify(d.box);
    }
    for (const [key, el] of this.dividers) {
      if (!keep.has(key)) {
        el.remove();
        this.dividers.delete(key);
      }
    }
  }

  /** A divider between two panes: dragged, it resizes both (each refits, each session is resized). */
  private dividerFor(key: number, dir: SplitDir): HTMLElement {
    const el = h("div", {
      class: `pane-divider ${dir === "right" ? "vertical" : "horizontal"}`,
      role: "separator",
      "aria-orientation": dir === "right" ? "vertical" : "horizontal",
      "aria-label": "Resize the panes",
      "data-split": key,
    });
    el.addEventListener("pointerdown", (e: PointerEvent) => {
      if (e.button !== 0) return;
      e.preventDefault();
      el.setPointerCapture(e.pointerId);
      el.classList.add("resizing");
      const move = (m: PointerEvent) => {
        const active = this.model.active;
        if (!active) return;
        const box = JSON.parse(el.dataset.box ?? "null") as { x: number; y: number; w: number; h: number } | null;
        if (!box) return;
        const area = this.panes.getBoundingClientRect();
        const px = { x: area.left + box.x * area.width, y: area.top + box.y * area.height, w: box.w * area.width, h: box.h * area.height };
        this.paneGroups.setRatio(active.id, key, ratioAt(px, dir, m.clientX, m.clientY));
        this.layoutPanes();
      };
      const up = () => {
        el.removeEventListener("pointermove", move);
        el.removeEventListener("pointerup", up);
        el.removeEventListener("pointercancel", up);
        el.classList.remove("resizing");
        this.focusActive();
      };
      el.addEventListener("pointermove", move);
      el.addEventListener("pointerup", up);
      el.addEventListener("pointercancel", up);
    });
    return el;
  }

  /** The pane and broadcast items of a terminal's right-click menu. */
  private paneMenuItems(tabId: number): MenuItem[] {
    const items: MenuItem[] = [
      { label: "Split right", keys: "Ctrl+Shift+D", run: () => this.split(tabId, "right") },
      { label: "Split down", keys: "Ctrl+Shift+E", run: () => this.split(tabId, "down") },
    ];
    const choose = this.opts.chooseTarget;
    if (choose) {
      items.push({
        label: "Split right with…",
        run: () =>
          choose((target, favourite) => {
            const pane = this.split(tabId, "right", target, favourite);
            // The chooser's dialog gives the focus back to the pane it was opened from when it
            // closes, after this: the new pane takes it once the dialog is gone.
            if (pane) setTimeout(() => this.activate(pane.id), 0);
          }),
      });
    }
    const members = this.paneGroups.members(tabId);
    if (this.broadcast.has(tabId)) {
      items.push({ label: "Stop broadcasting", keys: BROADCAST_KEY, run: () => this.broadcast.stop() });
      items.push({ label: "Leave the broadcast (this pane)", run: () => this.broadcast.leave(tabId) });
    } else {
      if (members.length > 1) items.push({ label: "Broadcast to all panes of this tab", keys: BROADCAST_KEY, run: () => void this.joinBroadcast(members) });
      items.push({
        label: this.broadcast.size > 0 ? "Join the broadcast (this pane)" : "Broadcast from this pane",
        keys: members.length > 1 ? undefined : BROADCAST_KEY,
        run: () => void this.joinBroadcast([tabId]),
      });
    }
    return items;
  }

  /**
   * The pod list saw a pod deleted: its tabs end now (their sessions closed), saying so, rather
   * than look connected until the stream notices.
   */
  /** A cluster renamed in its edit form: its tabs follow it (their Reconnect, the tabs kept). */
  renameProfile(old: string, name: string): void {
    if (this.model.renameProfile(old, name) > 0) this.render();
  }

  podGone(profile: string, namespace: string, pod: string): void {
    // Tabs ended before (some may only get a better reason now) are not ended again.
    const before = new Set(this.model.list().filter((t) => isEnded(t.status)).map((t) => t.id));
    for (const id of this.model.podGone(profile, namespace, pod)) this.backend.closeSession(id).catch(() => {});
    // A pod's tab already waiting to reconnect (its stream noticed first) stops: the pod is gone.
    for (const t of this.model.list()) {
      const rt = this.runtimes.get(t.id);
      const { target } = t;
      if (!rt?.waiting || t.favourite || target.profile !== profile || target.namespace !== namespace || sessionPod(target) !== pod) continue;
      if (rt.retryTimer) clearTimeout(rt.retryTimer);
      rt.retryTimer = null;
      rt.waiting = null;
      rt.retry = null;
      rt.view.notice(`not reconnecting: the pod ${namespace}/${pod} was deleted`);
      this.render();
    }
    for (const t of this.model.list()) {
      if (t.status.kind !== "lost" || !t.status.podGone || before.has(t.id)) continue;
      const rt = this.runtimes.get(t.id);
      if (!rt) continue;
      rt.flow?.dispose();
      rt.flow = null;
      rt.input.clear();
      rt.view.notice(`ended: ${t.status.reason}`);
      rt.view.term.write("\x1b[?25l"); // no cursor in a dead terminal
      this.ended(t.id, t.attempt);
    }
  }

  /**
   * Drag to reorder: a press on a tab (not its × button) that moves more than a few pixels
   * drags it; on release it goes where the pointer is (before the first tab whose middle is to
   * the right of the pointer). Window listeners, not the tab's: the tab bar may be rebuilt
   * while dragging. As in browsers, the dragged tab also becomes active (its click).
   */
  private dragStart(id: number, e: PointerEvent): void {
    if (e.button !== 0 || (e.target as HTMLElement).closest(".tab-close")) return;
    this.drag = { id: this.paneGroups.anchorOf(id), pointer: e.pointerId, startX: e.clientX, moved: false, to: -1 };
    const move = (ev: PointerEvent) => {
      const d = this.drag;
      if (!d || ev.pointerId !== d.pointer) return;
      if (!d.moved && Math.abs(ev.clientX - d.startX) < 6) return;
      d.moved = true;
      d.to = this.dropIndex(ev.clientX);
      this.showDrop();
    };
    const end = (ev: PointerEvent) => {
      const d = this.drag;
      if (!d || ev.pointerId !== d.pointer) return;
      window.removeEventListener("pointermove", move, true);
      window.removeEventListener("pointerup", end, true);
      window.removeEventListener("pointercancel", end, true);
      this.drag = null;
      this.tabBar.classList.remove("dragging");
      if (!d.moved) return;
      if (ev.type === "pointerup") {
        // Places in the bar (a split tab once) to places in the model's list.
        const bar = this.barTabs();
        const from = bar.findIndex((t) => t.id === d.id);
        const to = bar[d.to > from ? d.to - 1 : d.to] ?? bar[bar.length - 1];
        if (to) this.model.move(d.id, this.model.list().findIndex((t) => t.id === to.id));
      }
      this.render();
      // The dragged tab is the active one, its terminal focused (no click follows a drag that
      // ends over another tab).
      this.activate(this.paneGroups.focusedOf(d.id));
    };
    window.addEventListener("pointermove", move, true);
    window.addEventListener("pointerup", end, true);
    window.addEventListener("pointercancel", end, true);
  }

  /** Where a tab dropped at `x` goes: the index of the first tab whose middle is right of it. */
  private dropIndex(x: number): number {
    const tabs = [...this.tabBar.querySelectorAll<HTMLElement>(".tab")];
    const i = tabs.findIndex((el) => {
      const r = el.getBoundingClientRect();
      return x < r.left + r.width / 2;
    });
    return i < 0 ? tabs.length : i;
  }

  /** The dragged tab and the place it would go, marked in the tab bar. */
  private showDrop(): void {
    const d = this.drag;
    this.tabBar.classList.toggle("dragging", d !== null && d.moved);
    this.tabBar.querySelectorAll<HTMLElement>(".tab").forEach((el, i, all) => {
      el.classList.toggle("drag-source", d !== null && el.dataset.anchor === String(d.id));
      el.classList.toggle("drop-before", d !== null && d.moved && i === d.to);
      el.classList.toggle("drop-after", d !== null && d.moved && d.to === all.length && i === all.length - 1);
    });
  }

  /** A line of Podterm's own in a tab's terminal (a restored tab whose pod moved, say). */
  notice(tabId: number, text: string): void {
    this.runtimes.get(tabId)?.view.notice(text);
  }

  /** A profile's look (its colour, production or not). */
  private look(profile: string): ProfileLook {
    return this.opts.profileLook?.(profile) ?? profileLook(profile);
  }

  /** The profiles' colours or production marks changed: the tabs show them anew. */
  looksChanged(): void {
    this.render();
  }

  /** Sessions of this run for quick open: the open tabs (newest first), then closed ones. */
  recentTargets(): SessionTarget[] {
    // A copy's tab is offered as its original pod's: the copy belongs to its tab.
    // A shell on a node is made anew from the pod menu (its pod goes with its tab).
    const open = [...this.model.list()]
      .sort((a, b) => b.id - a.id)
      .filter((t) => !t.favourite && nodeOf(t.target) === null)
      .map((t) => withoutCopy(t.target));
    return [...open, ...this.model.closedTargets()];
  }

  /** Tabs whose session is open or opening (closing the window ends them). */
  liveCount(): number {
    return this.model.list().filter((t) => t.kind === "terminal" && !isEnded(t.status)).length;
  }

  private toggleOverflowMenu(): void {
    if (!this.overflowMenu.hidden) {
      this.overflowMenu.hidden = true;
      return;
    }
    clear(this.overflowMenu);
    const bar = this.barTabs().map((t) => this.model.get(this.paneGroups.focusedOf(t.id)) ?? t);
    const labels = tabLabels(bar);
    bar.forEach((t, i) => {
      const l = labels[i]!;
      this.overflowMenu.appendChild(
        h(
          "button",
          {
            class: `menu-item tab-menu-item${this.model.active && this.paneGroups.sameTab(this.model.active.id, t.id) ? " active" : ""}`,
            role: "menuitem",
            "data-tab-id": t.id,
            title: tabTooltip(t),
            onclick: () => {
              this.overflowMenu.hidden = true;
              this.activate(t.id);
            },
          },
          h("span", { class: "tab-profile-dot", "aria-hidden": "true", style: `--profile-hue: ${this.look(t.target.profile).hue}` }),
          this.look(t.target.profile).production ? h("span", { class: "prod-badge" }, "PROD") : null,
          `${[t.target.profile, t.target.namespace, l.title].filter(Boolean).join(" · ")} — ${t.kind === "logs" ? logsStatusText(t.status) : statusText(t.status)}`,
          // A debug tab is marked here as in the bar: its shell is in another container.
          isDebugTarget(t.target) ? h("span", { class: "tab-debug", title: debugDescription(t.target) ?? "" }, "debug") : null,
        t.target.copy ? tabCopyBadge(t.target) : null,
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

  /** Whether the tab strip stays with no tab open: it also holds the transfers' button, reached
   *  while a copy runs or its panel is open (transfers/view.ts). */
  private stripKept = false;

  keepStrip(kept: boolean): void {
    if (this.stripKept === kept) return;
    this.stripKept = kept;
    this.render();
  }

  private render(): void {
    const tabs = this.model.list();
    const active = this.model.active;
    if (active) this.paneGroups.focus(active.id);
    // One entry per tab in the bar: a split tab shows its focused pane, at its anchor's place.
    const bar = this.barTabs().map((t) => this.model.get(this.paneGroups.focusedOf(t.id)) ?? t);
    const labels = tabLabels(bar);
    const scrollLeft = this.tabBar.scrollLeft;
    clear(this.tabBar);
    this.tabStrip.hidden = tabs.length === 0 && !this.stripKept;
    if (tabs.length === 0) this.overflowMenu.hidden = true;
    bar.forEach((t, i) => {
      const label = labels[i]!;
      const selected = active !== undefined && this.paneGroups.sameTab(active.id, t.id);
      const members = this.paneGroups.members(t.id);
      const broadcasting = members.some((id) => this.broadcast.has(id));
      const look = this.look(t.target.profile);
      const button = h(
        "div",
        {
          class: `tab state-${t.status.kind}${t.kind === "logs" ? " kind-logs" : ""}${selected ? " active" : ""}${look.production ? " production" : ""}${broadcasting ? " broadcast" : ""}`,
          "data-kind": t.kind,
          "data-anchor": this.paneGroups.anchorOf(t.id),
          "data-panes": members.length > 1 ? members.length : null,
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
          style: `--profile-hue: ${look.hue}`,
          title: `${tabTooltip(t)}${look.production ? " · PRODUCTION" : ""}`,
          onclick: (e: Event) => {
            if (!(e.target as HTMLElement).closest(".tab-close")) this.activate(t.id);
          },
          onauxclick: (e: Event) => {
            if ((e as MouseEvent).button === 1) this.closeTab(t.id);
          },
          onpointerdown: (e: Event) => this.dragStart(t.id, e as PointerEvent),
        },
        h("span", { class: "tab-dot", "aria-hidden": "true" }),
        look.production ? h("span", { class: "prod-badge", title: "A production cluster" }, "PROD") : null,
        h(
          "span",
          { class: "tab-label" },
          label.profile ? h("span", { class: "tab-profile" }, `${label.profile} · `) : null,
          label.namespace ? h("span", { class: "tab-namespace" }, `${label.namespace} · `) : null,
          h("span", { class: "tab-title" }, label.title),
        ),
        isDebugTarget(t.target) ? h("span", { class: "tab-debug", title: debugDescription(t.target) ?? "" }, "debug") : null,
        t.target.copy ? tabCopyBadge(t.target) : null,
        members.length > 1 ? h("span", { class: "tab-panes", title: `${members.length} panes` }, `▥ ${members.length}`) : null,
        broadcasting ? h("span", { class: "tab-broadcast", title: `Broadcast input: ${BROADCAST_KEY} in a broadcasting pane stops it` }, "BROADCAST") : null,
        recordingBadge(members.map((id) => this.recording.get(id)).filter((r) => r !== undefined)),
        h("span", { class: "tab-status" }, t.kind === "logs" ? logsStatusText(t.status) : statusText(t.status)),
        h(
          "button",
          {
            class: "tab-close icon-button",
            title: members.length > 1 ? `Close tab (ends its ${members.length} sessions)` : "Close tab (ends the session) · Ctrl+Shift+W",
            "aria-label": "Close tab",
            onclick: () => this.closeTab(t.id),
          },
          "×",
        ),
      );
      this.tabBar.appendChild(button);
    });
    this.tabBar.scrollLeft = scrollLeft;
    if (this.drag?.moved) this.showDrop();
    // A newly active tab is brought into sight (only then: the user may scroll away).
    if (active && active.id !== this.scrolledTo) {
      this.tabBar.querySelector<HTMLElement>(`.tab[data-tab-id="${active.id}"]`)?.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
    this.scrolledTo = active?.id ?? null;
    this.updateOverflow();
    let connecting = false;
    const look = (profile: string) => this.look(profile);
    for (const t of tabs) {
      const lv = this.logViews.get(t.id);
      if (lv) lv.pane.hidden = active?.id !== t.id;
      const rt = this.runtimes.get(t.id);
      if (!rt) continue;
      const visible = active !== undefined && this.paneGroups.sameTab(active.id, t.id);
      if (rt.pane.hidden === visible) {
        rt.pane.hidden = !visible;
        if (visible) rt.view.fit();
      }
      const split = this.paneGroups.tree(t.id) !== null;
      rt.pane.classList.toggle("split-pane", split);
      rt.pane.classList.toggle("focused-pane", split && active?.id === t.id);
      rt.pane.classList.toggle("broadcast", this.broadcast.has(t.id));
      rt.broadcastBadge.hidden = !this.broadcast.has(t.id);
      rt.pane.dataset.state = t.status.kind;
      rt.pane.classList.toggle("production", look(t.target.profile).production);
      if (t.favourite) rt.pane.dataset.favourite = t.favourite.name;
      this.renderBanner(t, rt);
      if (t.status.kind === "connecting") connecting = true;
    }
    this.layoutPanes();
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
    // `pod/container`, or the pod alone while its default container is not yet known.
    const where = nodeOf(t.target) !== null ? t.target.pod : tabTitle({ ...t.target, command: null });
    const s = t.status;
    rt.progress.hidden = s.kind !== "connecting";
    rt.bannerDebug.hidden = !(s.kind === "lost" && s.noShell);
    rt.bannerCopy.hidden = !(s.kind === "lost" && s.crashing);
    switch (s.kind) {
      case "connecting": {
        const ms = Date.now() - s.since;
        const gate = this.opts.production;
        const asking = !(s.resolving && t.favourite) && !t.target.debug && gate !== undefined && !gate.allows(t.target.profile);
        if (ms < CONNECTING_BANNER_DELAY_MS && !asking) {
          // Not yet: most connections are done before it would show (the constant's note).
          rt.banner.hidden = true;
          rt.progress.hidden = true;
          this.bannerTimer ??= setTimeout(() => {
            this.bannerTimer = null;
            this.tickConnecting();
          }, CONNECTING_BANNER_DELAY_MS - ms);
          break;
        }
        const secs = Math.max(0, ms / 1000);
        rt.banner.hidden = false;
        rt.banner.className = "banner connecting";
        if (s.resolving && t.favourite) {
          const about = [t.favourite.target, t.target.namespace ? `in ${t.target.namespace}` : ""].filter(Boolean).join(" ");
          setText(rt.bannerText, `Finding the pod for ${t.favourite.name}${about ? ` (${about})` : ""}… ${secs.toFixed(0)} s`);
        } else if (t.target.copy && nodeOf(t.target) !== null) {
          setText(rt.bannerText, `Making the pod ${t.target.copy.name} on node ${nodeOf(t.target)} in ${t.target.namespace} (${t.target.profile}) and waiting for its shell… ${secs.toFixed(0)} s`);
        } else if (t.target.copy) {
          setText(rt.bannerText, `Making the copy ${t.target.copy.name} of ${where} in ${t.target.namespace} (${t.target.profile}) and waiting for its shell… ${secs.toFixed(0)} s`);
        } else if (t.target.debug) {
          setText(
            rt.bannerText,
            `Starting ${debugContainerName(t.target.debug).replace(/^debug/, "the debug")} (${t.target.debug.image}) beside ${where} in ${t.target.namespace} (${t.target.profile})… ${secs.toFixed(0)} s`,
          );
        } else if (this.opts.production && !this.opts.production.allows(t.target.profile)) {
          // Nothing connects before the answer: no seconds counting a connection that has not begun.
          setText(rt.bannerText, `Waiting for your answer: ${t.target.profile} is a production cluster.`);
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
        if (rt.waiting) {
          rt.bannerText.append(
            ` Reconnecting automatically in ${Math.round(rt.waiting.delayMs / 1000)} s (attempt ${rt.waiting.attempt} of ${MAX_RECONNECT_ATTEMPTS})…`,
          );
        } else if (rt.gaveUp !== null) {
          rt.bannerText.append(` Gave up reconnecting after ${rt.gaveUp} attempts.`);
        }
        rt.banner.dataset.reconnect = rt.waiting ? "waiting" : rt.gaveUp !== null ? "gave-up" : "";
        rt.bannerButton.hidden = false;
        setText(rt.bannerButton, rt.waiting ? "Reconnect now" : "Reconnect");
        break;
    }
  }
}

/** A tab's tooltip: what it runs and where. */
function tabTooltip(t: Tab): string {
  if (t.kind === "logs" && t.workload) {
    // Not the pod it was opened from: a rollout may have replaced it.
    const what = t.workloadName ?? `the workload of ${t.target.pod}`;
    return `Logs of every pod of ${what} in ${t.target.namespace} (${t.target.profile})`;
  }
  const debug = debugDescription(t.target);
  const where = t.target.pod ? `${nodeOf(t.target) !== null ? t.target.pod : tabTitle(t.target)} in ${t.target.namespace} (${t.target.profile})${debug ? `: ${debug}` : ""}` : "";
  if (!t.favourite) return where;
  const fav = `★ ${t.favourite.name}${t.favourite.target ? ` (${t.favourite.target})` : ""}`;
  return where ? `${fav}: ${where}` : fav;
}

/** A copy tab's mark in the tab bar: "node" for a shell on a node, else "copy". */
function tabCopyBadge(target: SessionTarget): HTMLElement {
  const node = nodeOf(target) !== null;
  return h("span", { class: node ? "tab-copy tab-node" : "tab-copy", title: (node ? nodeDescription(target) : copyDescription(target)) ?? "" }, node ? "node" : "copy");
}
