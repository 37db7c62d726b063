// One xterm.js terminal per tab: DOM renderer (no WebGL addon: WebKitGTK's WebGL is not trusted
// here), fit + ResizeObserver, search (Ctrl+Shift+F), web links (Ctrl+click), unicode 11 widths,
// OSC 52 clipboard writes (never reads: see osc52.ts), Ctrl+Shift+C / Ctrl+Shift+V, font zoom (Ctrl+= / Ctrl+- / Ctrl+0), and a light
// or dark theme following the OS. A hidden tab left idle gives its xterm.js terminal back and keeps
// its screen as a string until it is needed again (PARK_AFTER_MS).
import { FitAddon } from "@xterm/addon-fit";
import { SearchAddon, type ISearchOptions } from "@xterm/addon-search";
import { SerializeAddon } from "@xterm/addon-serialize";
import { Unicode11Addon } from "@xterm/addon-unicode11";
import { WebLinksAddon } from "@xterm/addon-web-links";
import { Terminal, type ITheme } from "@xterm/xterm";
import { writeClipboard } from "../clipboard";
import { h, setText } from "../dom";
import { closeMenu, showMenu, SEPARATOR, type MenuItem } from "../menu";
import { handleOsc52 } from "./osc52";
import { paintAtOnce, type Painter } from "./paint";
import { skipEmptySelectionRedraws, type SelectionRedraws } from "./selection";

// ---------------------------------------------------------------------------------------------
// Themes

export const DARK_THEME: ITheme = {
  background: "#1b1e24",
  foreground: "#d7dae0",
  cursor: "#e6e6e6",
  cursorAccent: "#1b1e24",
  selectionBackground: "#3e4a5e",
  black: "#1b1e24",
  red: "#e06c75",
  green: "#98c379",
  yellow: "#e5c07b",
  blue: "#61afef",
  magenta: "#c678dd",
  cyan: "#56b6c2",
  white: "#d7dae0",
  brightBlack: "#5c6370",
  brightRed: "#ff7b86",
  brightGreen: "#b5e890",
  brightYellow: "#ffd68a",
  brightBlue: "#7cc4ff",
  brightMagenta: "#de94f5",
  brightCyan: "#6fd6e3",
  brightWhite: "#ffffff",
};

export const LIGHT_THEME: ITheme = {
  background: "#fbfbfc",
  foreground: "#24292f",
  cursor: "#24292f",
  cursorAccent: "#fbfbfc",
  selectionBackground: "#b6d3f5",
  black: "#24292f",
  red: "#c4262e",
  green: "#1f7a34",
  yellow: "#8a6100",
  blue: "#0b5cc4",
  magenta: "#8034b0",
  cyan: "#0f7787",
  white: "#6e7781",
  brightBlack: "#57606a",
  brightRed: "#e0343c",
  brightGreen: "#2a9a45",
  brightYellow: "#a57500",
  brightBlue: "#2f7be0",
  brightMagenta: "#9b4fcb",
  brightCyan: "#1b90a3",
  brightWhite: "#8c959f",
};

const darkQuery: MediaQueryList | null =
  typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;

export function prefersDark(): boolean {
  return darkQuery ? darkQuery.matches : true;
}

export function currentTheme(): ITheme {
  return prefersDark() ? DARK_THEME : LIGHT_THEME;
}

// ---------------------------------------------------------------------------------------------
// Font size, shared by all tabs and remembered

export const DEFAULT_FONT_SIZE = 14;
export const MIN_FONT_SIZE = 8;
export const MAX_FONT_SIZE = 32;
const FONT_KEY = "podterm.fontSize";

export function clampFontSize(n: number): number {
  return Math.min(MAX_FONT_SIZE, Math.max(MIN_FONT_SIZE, Math.round(n)));
}

function loadFontSize(): number {
  try {
    const v = Number(localStorage.getItem(FONT_KEY));
    return v ? clampFontSize(v) : DEFAULT_FONT_SIZE;
  } catch {
    return DEFAULT_FONT_SIZE;
  }
}

let fontSize = typeof window === "undefined" ? DEFAULT_FONT_SIZE : loadFontSize();

/** The cursor stops blinking this long after the last key or focus, as GTK's default
 *  gtk-cursor-blink-timeout: an idle tab then draws nothing (six idle tabs: 1.7% of a core with
 *  the blink, 0.85% without; docs/architecture.md, "Memory over long sessions"). */
export const CURSOR_BLINK_MS = 10_000;

/**
 * A hidden tab whose terminal has had nothing to do for this long parks: it gives back its
 * xterm.js terminal (buffer, renderer, DOM: 3.2 MB of the web process for a 300-line terminal,
 * make bench) and keeps its screen and scrollback as the string xterm.js's serialize addon
 * writes (~23 KB for 300 lines). Shown, written to, or asked for, it is made again from that
 * string: ~23 ms of the page's thread for 300 lines, ~70 ms for 10,000. A minute keeps that cost
 * off a user switching between the tabs at hand.
 */
export const PARK_AFTER_MS = 60_000;
let parkAfterMs = PARK_AFTER_MS;

export const FONT_FAMILY =
  '"DejaVu Sans Mono", "Liberation Mono", "Ubuntu Mono", "Noto Sans Mono", Menlo, Consolas, monospace';

// ---------------------------------------------------------------------------------------------
// Test hook: window.__podterm

/**
 * What a test reads of each open tab's view, by tab id: asking for a parked tab's terminal makes
 * it again, as showing the tab does (a test reads what the user would see).
 */
export class ViewLookup<T> {
  constructor(
    private readonly views: Map<number, TerminalView>,
    private readonly pick: (v: TerminalView) => T,
  ) {}
  get(id: number): T | undefined {
    const v = this.views.get(id);
    return v ? this.pick(v) : undefined;
  }
  has(id: number): boolean {
    return this.views.has(id);
  }
  get size(): number {
    return this.views.size;
  }
  keys(): IterableIterator<number> {
    return this.views.keys();
  }
  *values(): IterableIterator<T> {
    for (const v of this.views.values()) yield this.pick(v);
  }
}

export interface PodtermHook {
  /** Each open terminal tab's view, by tab id. */
  views: Map<number, TerminalView>;
  /** The terminal of each open tab, by tab id (a parked one is made again when asked for). */
  terminals: ViewLookup<Terminal>;
  /** The Logs view of each Logs tab, by tab id (its `model` holds the lines). */
  logs: Map<number, unknown>;
  /** The log beside a terminal (logs/split.ts), by its terminal tab's id. */
  splits: Map<number, unknown>;
  /** How each terminal tab's current session gets its output (pagesocket.ts), by tab id. */
  transports: Map<number, "socket" | "channel">;
  /** Each terminal tab's painter (paint.ts: an idle terminal's output drawn at once), by tab id. */
  painters: ViewLookup<Painter>;
  /** Each terminal tab's skipped empty-selection redraws (selection.ts), by tab id. */
  selections: ViewLookup<SelectionRedraws>;
  /** Tabs whose terminal is parked now (a string, no xterm.js terminal), by tab id. */
  parked(): number[];
  /** Terminals given back when their tab parked, for a test to see whether the page still holds
   *  them once garbage is collected. */
  parkedRefs: WeakRef<Terminal>[];
  /** Sets how long a hidden tab stays idle before it parks (tests; null: PARK_AFTER_MS, the
   *  app's), for the hidden tabs too. */
  setParkAfter(ms: number | null): void;
  [extra: string]: unknown;
}

declare global {
  interface Window {
    __podterm?: PodtermHook;
  }
}

export function podtermHook(): PodtermHook {
  if (!window.__podterm) {
    const views = new Map<number, TerminalView>();
    window.__podterm = {
      views,
      terminals: new ViewLookup(views, (v) => v.term),
      logs: new Map(),
      splits: new Map(),
      transports: new Map(),
      painters: new ViewLookup(views, (v) => v.painter),
      selections: new ViewLookup(views, (v) => v.selectionRedraws),
      parked: () => [...views].filter(([, v]) => v.isParked).map(([id]) => id),
      parkedRefs: [],
      setParkAfter: (ms) => {
        parkAfterMs = ms ?? PARK_AFTER_MS;
        applyToAll((v) => v.rearmPark());
      },
    };
  }
  return window.__podterm;
}

// ---------------------------------------------------------------------------------------------

export interface TerminalHandlers {
  /** Keystrokes and pastes (UTF-8 text) for the session. */
  onData(data: string): void;
  /** The grid changed size (after a fit). */
  onResize(cols: number, rows: number): void;
  /** A short message for the user (e.g. "Copied 12 characters"). */
  onNotice?(text: string): void;
  /** A link was Ctrl+clicked: open it in the browser. */
  onOpenLink?(uri: string): void;
  /** The tab's own items for the right-click menu (after the terminal's). */
  menuItems?(): MenuItem[];
}

const views = new Set<TerminalView>();

function applyToAll(fn: (v: TerminalView) => void): void {
  for (const v of views) fn(v);
}

// A parked terminal takes the theme, scrollback and font size in force when it is made again.
darkQuery?.addEventListener("change", () => {
  const theme = currentTheme();
  applyToAll((v) => {
    const t = v.liveTerminal;
    if (t) t.options.theme = theme;
  });
});

/** Lines of scrollback a terminal keeps: the app setting (src/settings), 10,000 until it is read. */
let scrollback = 10_000;

/** Every terminal, open and new, keeps `lines` lines of scrollback (xterm applies it live). */
export function setScrollback(lines: number): void {
  scrollback = lines;
  applyToAll((v) => {
    const t = v.liveTerminal;
    if (t) t.options.scrollback = lines;
  });
}

export function setFontSize(size: number): number {
  fontSize = clampFontSize(size);
  try {
    localStorage.setItem(FONT_KEY, String(fontSize));
  } catch {
    /* not persisted */
  }
  applyToAll((v) => v.applyFontSize());
  return fontSize;
}

/** A live terminal and what is bound to it; made again when a parked view is needed. */
interface Live {
  term: Terminal;
  fit: FitAddon;
  search: SearchAddon;
  /** Draws output that arrives at a quiet terminal at once (paint.ts). */
  painter: Painter;
  /** Skips xterm's redraws of every row for a selection that is not there (selection.ts). */
  selections: SelectionRedraws;
}

/** A parked view's screen: what the serialize addon wrote, at the size it was written. */
interface Parked {
  text: string;
  cols: number;
  rows: number;
  /** Lines the view was scrolled up from the bottom. */
  fromBottom: number;
}

/** xterm.js's private scroll region (DECSTBM), which the serialize addon does not keep. */
function scrollRegion(term: Terminal): { top: number; bottom: number } | null {
  const b = (term as unknown as { _core?: { buffer?: { scrollTop?: unknown; scrollBottom?: unknown } } })._core?.buffer;
  return typeof b?.scrollTop === "number" && typeof b.scrollBottom === "number" ? { top: b.scrollTop, bottom: b.scrollBottom } : null;
}

/**
 * Whether the serialize addon's string makes this terminal again as it is: the normal buffer
 * (a full-screen program in the alternate one keeps a state of its own), no mouse tracking,
 * insert or origin mode, and the whole screen its scroll region (the addon keeps none of those).
 */
export function parkable(term: Terminal): boolean {
  const m = term.modes;
  const region = scrollRegion(term);
  return (
    term.buffer.active.type === "normal" &&
    m.mouseTrackingMode === "none" &&
    !m.insertMode &&
    !m.originMode &&
    region !== null &&
    region.top === 0 &&
    region.bottom === term.rows - 1 &&
    !term.hasSelection()
  );
}

export class TerminalView {
  readonly element: HTMLElement;
  private readonly host: HTMLElement;
  /** The terminal and its addons; null while parked. */
  private live: Live | null = null;
  private parkedScreen: Parked | null = null;
  private readonly searchBar: HTMLElement;
  private readonly searchInput: HTMLInputElement;
  private readonly searchCount: HTMLElement;
  private readonly resizeObserver: ResizeObserver;
  private fitScheduled = false;
  private pasteSeen = false;
  private disposed = false;
  private blinkTimer: ReturnType<typeof setTimeout> | null = null;
  /** Hidden (its tab not shown): it may park once idle. */
  private hidden = false;
  /** When the terminal was last used (`term` asked for: written, read, typed into). */
  private lastUsed = performance.now();
  private parkTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    parent: HTMLElement,
    private readonly handlers: TerminalHandlers,
  ) {
    this.host = h("div", { class: "term-host" });
    this.searchInput = h("input", {
      type: "search",
      class: "search-input",
      placeholder: "Find",
      "aria-label": "Find in terminal",
      spellcheck: "false",
    });
    this.searchCount = h("span", { class: "search-count" });
    this.searchBar = h(
      "div",
      { class: "search-bar", hidden: true, role: "search" },
      this.searchInput,
      this.searchCount,
      h("button", { class: "icon-button", title: "Previous (Shift+Enter)", "aria-label": "Previous match", onclick: () => this.find(false) }, "↑"),
      h("button", { class: "icon-button", title: "Next (Enter)", "aria-label": "Next match", onclick: () => this.find(true) }, "↓"),
      h("button", { class: "icon-button", title: "Close (Escape)", "aria-label": "Close search", onclick: () => this.closeSearch() }, "×"),
    );
    this.element = h("div", { class: "terminal-view" }, this.host, this.searchBar);
    parent.appendChild(this.element);
    this.make(null);
    // Right-click: our menu, not the webview's text-box one (Cut, Delete, Insert Emoji…).
    this.host.addEventListener("contextmenu", (e) => {
      e.preventDefault();
      this.showMenu(e.clientX, e.clientY);
    });
    this.wakeCursor();
    this.searchInput.addEventListener("input", () => this.find(true, true));
    this.searchInput.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        this.find(!e.shiftKey);
      } else if (e.key === "Escape") {
        e.preventDefault();
        this.closeSearch();
      }
    });

    this.resizeObserver = new ResizeObserver(() => this.scheduleFit());
    this.resizeObserver.observe(this.host);
    views.add(this);
  }

  /** Makes the terminal: a new one, or a parked one again from its string. */
  private make(parked: Parked | null): Live {
    const handlers = this.handlers;
    const term = new Terminal({
      allowProposedApi: true, // unicode 11 widths and search decorations
      fontFamily: FONT_FAMILY,
      fontSize,
      scrollback,
      // A parked terminal comes back still; a key or focus makes it blink (wakeCursor).
      cursorBlink: parked === null,
      theme: currentTheme(),
      macOptionIsMeta: true,
      rightClickSelectsWord: true,
      ...(parked ? { cols: parked.cols, rows: parked.rows } : {}),
    });
    const fit = new FitAddon();
    const search = new SearchAddon();
    term.loadAddon(fit);
    term.loadAddon(search);
    term.loadAddon(
      new WebLinksAddon((event, uri) => {
        // Ctrl+click (Cmd+click) follows a link; a plain click stays a click in the terminal.
        if (event.ctrlKey || event.metaKey) handlers.onOpenLink?.(uri);
        else handlers.onNotice?.("Ctrl+click opens the link");
      }),
    );
    term.loadAddon(new Unicode11Addon());
    term.unicode.activeVersion = "11";
    // A pod may write the clipboard (the tab says so) but never read it.
    term.parser.registerOscHandler(52, (data) =>
      handleOsc52(data, {
        writeClipboard,
        notice: (text) => handlers.onNotice?.(text),
      }),
    );
    if (parked) {
      // Written before `open`, as the addon advises: no frame is drawn half made.
      term.write(parked.text, () => {
        if (parked.fromBottom > 0) term.scrollLines(-parked.fromBottom);
      });
    }
    term.open(this.host);
    const live: Live = { term, fit, search, painter: paintAtOnce(term), selections: skipEmptySelectionRedraws(term) };
    term.onData((d) => {
      this.wakeCursor();
      handlers.onData(d);
    });
    term.textarea?.addEventListener("focus", () => this.wakeCursor());
    term.onResize(({ cols, rows }) => handlers.onResize(cols, rows));
    term.attachCustomKeyEventHandler((e) => this.onKey(e));
    term.textarea?.addEventListener(
      "paste",
      () => {
        this.pasteSeen = true;
      },
      true,
    );
    search.onDidChangeResults(({ resultIndex, resultCount }) => {
      setText(
        this.searchCount,
        resultCount === 0 ? "no match" : resultIndex >= 0 ? `${resultIndex + 1}/${resultCount}` : `${resultCount}`,
      );
    });
    this.live = live;
    return live;
  }

  /** The live terminal, made again if parked; each use counts as activity (PARK_AFTER_MS). */
  private wake(): Live {
    this.lastUsed = performance.now();
    if (this.live) return this.live;
    const parked = this.parkedScreen;
    this.parkedScreen = null;
    const live = this.make(parked);
    if (this.hidden) this.armPark();
    return live;
  }

  get term(): Terminal {
    return this.wake().term;
  }

  /** Draws output that arrives at a quiet terminal at once (paint.ts). */
  get painter(): Painter {
    return this.wake().painter;
  }

  /** Skips xterm's redraws of every row for a selection that is not there (selection.ts). */
  get selectionRedraws(): SelectionRedraws {
    return this.wake().selections;
  }

  /** The terminal if it is live, without making a parked one again. */
  get liveTerminal(): Terminal | null {
    return this.live?.term ?? null;
  }

  get isParked(): boolean {
    return this.live === null && !this.disposed;
  }

  /** The grid's size, without making a parked terminal again. */
  get size(): { cols: number; rows: number } {
    if (this.live) return { cols: this.live.term.cols, rows: this.live.term.rows };
    return { cols: this.parkedScreen?.cols ?? 80, rows: this.parkedScreen?.rows ?? 24 };
  }

  /**
   * The tab is hidden (it may park once idle for PARK_AFTER_MS) or shown (a parked terminal is
   * made again at once).
   */
  setHidden(hidden: boolean): void {
    if (this.disposed || hidden === this.hidden) return;
    this.hidden = hidden;
    if (hidden) {
      this.armPark();
    } else {
      if (this.parkTimer !== null) clearTimeout(this.parkTimer);
      this.parkTimer = null;
      this.wake();
    }
  }

  /** The park delay changed: a hidden view waits for the new one. */
  rearmPark(): void {
    if (this.hidden && this.live && !this.disposed) this.armPark();
  }

  /** Waits until the view has been idle for the park delay, or (`full`: it could not park) for
   *  one delay more. */
  private armPark(full = false): void {
    if (this.parkTimer !== null) clearTimeout(this.parkTimer);
    const wait = full ? parkAfterMs : Math.max(0, parkAfterMs - (performance.now() - this.lastUsed));
    this.parkTimer = setTimeout(() => {
      this.parkTimer = null;
      this.tryPark();
    }, wait);
  }

  /** Parks if hidden and idle for PARK_AFTER_MS (else waits again), once xterm.js has parsed
   *  everything written to it. */
  private tryPark(): void {
    const live = this.live;
    if (this.disposed || !this.hidden || !live) return;
    if (performance.now() - this.lastUsed < parkAfterMs) {
      this.armPark();
      return;
    }
    const asked = this.lastUsed;
    // An empty write's callback runs once everything written before it is parsed.
    live.term.write("", () => {
      if (this.live !== live || !this.hidden || this.disposed) return;
      if (this.lastUsed !== asked) this.armPark();
      else if (!this.park()) this.armPark(true);
    });
  }

  /**
   * Gives back the terminal, keeping its screen and scrollback as a string; false (nothing
   * done) when the string would not make it again as it is ([`parkable`]), or Find is open.
   */
  park(): boolean {
    const live = this.live;
    if (this.disposed || !live || !this.searchBar.hidden || !parkable(live.term)) return false;
    const { term } = live;
    const serializer = new SerializeAddon();
    term.loadAddon(serializer);
    const buf = term.buffer.active;
    this.parkedScreen = { text: serializer.serialize(), cols: term.cols, rows: term.rows, fromBottom: buf.baseY - buf.viewportY };
    if (this.blinkTimer !== null) clearTimeout(this.blinkTimer);
    this.blinkTimer = null;
    live.painter.dispose();
    live.selections.dispose();
    term.dispose();
    this.live = null;
    if (typeof WeakRef === "function" && typeof window !== "undefined") podtermHook().parkedRefs.push(new WeakRef(term));
    return true;
  }

  private onKey(e: KeyboardEvent): boolean {
    const mod = (e.ctrlKey || e.metaKey) && !e.altKey;
    if (!mod) return true;
    const down = e.type === "keydown";
    if (e.shiftKey && e.code === "KeyC") {
      if (down) {
        e.preventDefault();
        this.copy();
      }
      return false;
    }
    if (e.shiftKey && e.code === "KeyV") {
      // Let the browser paste into xterm's textarea (xterm sends it, bracketed if the program
      // asked); if the engine gives no paste event, read the clipboard ourselves.
      if (down) {
        this.pasteSeen = false;
        setTimeout(() => {
          if (!this.pasteSeen && !this.disposed) void this.pasteFromClipboard();
        }, 50);
      }
      return false;
    }
    if (e.shiftKey && e.code === "KeyF") {
      if (down) {
        e.preventDefault();
        this.openSearch();
      }
      return false;
    }
    if (e.key === "=" || e.key === "+" || e.code === "NumpadAdd") {
      if (down) {
        e.preventDefault();
        setFontSize(fontSize + 1);
      }
      return false;
    }
    if ((e.key === "-" || e.code === "NumpadSubtract") && !e.shiftKey) {
      if (down) {
        e.preventDefault();
        setFontSize(fontSize - 1);
      }
      return false;
    }
    if ((e.key === "0" || e.code === "Numpad0") && !e.shiftKey) {
      if (down) {
        e.preventDefault();
        setFontSize(DEFAULT_FONT_SIZE);
      }
      return false;
    }
    return true;
  }

  /** The right-click menu: Copy, Paste, Select all, Clear, Find, then the tab's actions. */
  showMenu(x: number, y: number): HTMLElement {
    const items: (MenuItem | null)[] = [
      { label: "Copy", keys: "Ctrl+Shift+C", disabled: !this.term.hasSelection(), run: () => this.copy() },
      { label: "Paste", keys: "Ctrl+Shift+V", run: () => { this.term.focus(); void this.pasteFromClipboard(); } },
      { label: "Select all", run: () => { this.term.selectAll(); this.term.focus(); } },
      { label: "Clear", run: () => { this.term.clear(); this.term.focus(); } },
      { label: "Find…", keys: "Ctrl+Shift+F", run: () => this.openSearch() },
    ];
    const own = this.handlers.menuItems?.() ?? [];
    if (own.length > 0) items.push(SEPARATOR, ...own);
    return showMenu(x, y, items, "Terminal");
  }

  copy(): void {
    const text = this.term.getSelection();
    if (!text) {
      this.handlers.onNotice?.("Nothing selected to copy");
      return;
    }
    writeClipboard(text).then(
      () => this.handlers.onNotice?.(`Copied ${text.length} character${text.length === 1 ? "" : "s"}`),
      () => this.handlers.onNotice?.("Could not copy: the clipboard is not available"),
    );
  }

  async pasteFromClipboard(): Promise<void> {
    try {
      const text = await navigator.clipboard.readText();
      if (text) this.term.paste(text);
    } catch {
      this.handlers.onNotice?.("Could not paste: the clipboard is not readable here (try Shift+Insert)");
    }
  }

  openSearch(): void {
    this.searchBar.hidden = false;
    const sel = this.term.getSelection();
    if (sel && !sel.includes("\n")) this.searchInput.value = sel;
    this.searchInput.focus();
    this.searchInput.select();
    if (this.searchInput.value) this.find(true, true);
  }

  closeSearch(): void {
    this.searchBar.hidden = true;
    this.live?.search.clearDecorations();
    setText(this.searchCount, "");
    this.term.focus();
  }

  private searchOptions(incremental: boolean): ISearchOptions {
    const dark = prefersDark();
    return {
      incremental,
      decorations: {
        matchBackground: dark ? "#4b4b20" : "#fff2a8",
        matchOverviewRuler: "#d0b000",
        activeMatchBackground: dark ? "#a06a00" : "#ffb84d",
        activeMatchColorOverviewRuler: "#ff9900",
      },
    };
  }

  find(next: boolean, incremental = false): boolean {
    const q = this.searchInput.value;
    if (!q) {
      this.live?.search.clearDecorations();
      setText(this.searchCount, "");
      return false;
    }
    const opts = this.searchOptions(incremental);
    const search = this.wake().search;
    return next ? search.findNext(q, opts) : search.findPrevious(q, opts);
  }

  applyFontSize(): void {
    // A parked terminal is made at the size in force then.
    if (!this.live) return;
    this.live.term.options.fontSize = fontSize;
    this.scheduleFit();
  }

  private scheduleFit(): void {
    if (this.fitScheduled || this.disposed) return;
    this.fitScheduled = true;
    requestAnimationFrame(() => {
      this.fitScheduled = false;
      this.fit();
    });
  }

  /** The cursor blinks again, for CURSOR_BLINK_MS. */
  private wakeCursor(): void {
    const term = this.live?.term;
    if (this.disposed || !term) return;
    if (!term.options.cursorBlink) term.options.cursorBlink = true;
    if (this.blinkTimer !== null) clearTimeout(this.blinkTimer);
    this.blinkTimer = setTimeout(() => {
      this.blinkTimer = null;
      if (this.live?.term === term) term.options.cursorBlink = false;
    }, CURSOR_BLINK_MS);
  }

  /** Fits the grid to the element now (no-op before it is laid out). */
  fit(): void {
    if (this.disposed || this.host.offsetWidth === 0 || this.host.offsetHeight === 0) return;
    try {
      this.wake().fit.fit();
    } catch {
      /* not measurable yet */
    }
  }

  focus(): void {
    this.term.focus();
  }

  /** A status line from Podterm itself, dimmed so it does not pass for program output. */
  notice(text: string): void {
    // After the output already queued: start on a fresh line, without an empty one.
    this.term.write("", () => {
      if (this.disposed) return;
      const fresh = this.term.buffer.active.cursorX === 0;
      this.term.write(`${fresh ? "" : "\r\n"}\x1b[2m[${text}]\x1b[0m\r\n`);
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    closeMenu();
    if (this.blinkTimer !== null) clearTimeout(this.blinkTimer);
    if (this.parkTimer !== null) clearTimeout(this.parkTimer);
    views.delete(this);
    this.resizeObserver.disconnect();
    const live = this.live;
    this.live = null;
    this.parkedScreen = null;
    if (live) {
      live.painter.dispose();
      live.selections.dispose();
      live.term.dispose();
    }
    this.element.remove();
  }
}
