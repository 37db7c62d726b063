// One xterm.js terminal per tab: DOM renderer (no WebGL addon: WebKitGTK's WebGL is not trusted
// here), fit + ResizeObserver, search (Ctrl+Shift+F), web links (Ctrl+click), unicode 11 widths,
// OSC 52 clipboard writes (never reads: see osc52.ts), Ctrl+Shift+C / Ctrl+Shift+V, font zoom (Ctrl+= / Ctrl+- / Ctrl+0), and a light
// or dark theme following the OS.
import { FitAddon } from "@xterm/addon-fit";
import { SearchAddon, type ISearchOptions } from "@xterm/addon-search";
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

export const FONT_FAMILY =
  '"DejaVu Sans Mono", "Liberation Mono", "Ubuntu Mono", "Noto Sans Mono", Menlo, Consolas, monospace';

// ---------------------------------------------------------------------------------------------
// Test hook: window.__podterm

export interface PodtermHook {
  /** The terminal of each open tab, by tab id. */
  terminals: Map<number, Terminal>;
  /** The Logs view of each Logs tab, by tab id (its `model` holds the lines). */
  logs: Map<number, unknown>;
  /** The log beside a terminal (logs/split.ts), by its terminal tab's id. */
  splits: Map<number, unknown>;
  /** How each terminal tab's current session gets its output (pagesocket.ts), by tab id. */
  transports: Map<number, "socket" | "channel">;
  /** Each terminal tab's painter (paint.ts: an idle terminal's output drawn at once), by tab id. */
  painters: Map<number, Painter>;
  /** Each terminal tab's skipped empty-selection redraws (selection.ts), by tab id. */
  selections: Map<number, SelectionRedraws>;
  [extra: string]: unknown;
}

declare global {
  interface Window {
    __podterm?: PodtermHook;
  }
}

export function podtermHook(): PodtermHook {
  if (!window.__podterm) window.__podterm = { terminals: new Map(), logs: new Map(), splits: new Map(), transports: new Map(), painters: new Map(), selections: new Map() };
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

darkQuery?.addEventListener("change", () => {
  const theme = currentTheme();
  applyToAll((v) => {
    v.term.options.theme = theme;
  });
});

/** Lines of scrollback a terminal keeps: the app setting (src/settings), 10,000 until it is read. */
let scrollback = 10_000;

/** Every terminal, open and new, keeps `lines` lines of scrollback (xterm applies it live). */
export function setScrollback(lines: number): void {
  scrollback = lines;
  applyToAll((v) => {
    v.term.options.scrollback = lines;
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

export class TerminalView {
  readonly term: Terminal;
  /** Draws output that arrives at a quiet terminal at once (paint.ts). */
  readonly painter: Painter;
  /** Skips xterm's redraws of every row for a selection that is not there (selection.ts). */
  readonly selectionRedraws: SelectionRedraws;
  readonly element: HTMLElement;
  private readonly host: HTMLElement;
  private readonly fitAddon = new FitAddon();
  private readonly searchAddon = new SearchAddon();
  private readonly searchBar: HTMLElement;
  private readonly searchInput: HTMLInputElement;
  private readonly searchCount: HTMLElement;
  private readonly resizeObserver: ResizeObserver;
  private fitScheduled = false;
  private pasteSeen = false;
  private disposed = false;
  private blinkTimer: ReturnType<typeof setTimeout> | null = null;

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

    this.term = new Terminal({
      allowProposedApi: true, // unicode 11 widths and search decorations
      fontFamily: FONT_FAMILY,
      fontSize,
      scrollback,
      cursorBlink: true,
      theme: currentTheme(),
      macOptionIsMeta: true,
      rightClickSelectsWord: true,
    });
    this.term.loadAddon(this.fitAddon);
    this.term.loadAddon(this.searchAddon);
    this.term.loadAddon(
      new WebLinksAddon((event, uri) => {
        // Ctrl+click (Cmd+click) follows a link; a plain click stays a click in the terminal.
        if (event.ctrlKey || event.metaKey) handlers.onOpenLink?.(uri);
        else handlers.onNotice?.("Ctrl+click opens the link");
      }),
    );
    this.term.loadAddon(new Unicode11Addon());
    this.term.unicode.activeVersion = "11";
    // A pod may write the clipboard (the tab says so) but never read it.
    this.term.parser.registerOscHandler(52, (data) =>
      handleOsc52(data, {
        writeClipboard,
        notice: (text) => handlers.onNotice?.(text),
      }),
    );
    this.term.open(this.host);
    this.painter = paintAtOnce(this.term);
    this.selectionRedraws = skipEmptySelectionRedraws(this.term);
    // Right-click: our menu, not the webview's text-box one (Cut, Delete, Insert Emoji…).
    this.host.addEventListener("contextmenu", (e) => {
      e.preventDefault();
      this.showMenu(e.clientX, e.clientY);
    });

    this.term.onData((d) => {
      this.wakeCursor();
      handlers.onData(d);
    });
    this.term.textarea?.addEventListener("focus", () => this.wakeCursor());
    this.wakeCursor();
    this.term.onResize(({ cols, rows }) => handlers.onResize(cols, rows));
    this.term.attachCustomKeyEventHandler((e) => this.onKey(e));
    this.term.textarea?.addEventListener("paste", () => {
      this.pasteSeen = true;
    }, true);
    this.searchAddon.onDidChangeResults(({ resultIndex, resultCount }) => {
      setText(
        this.searchCount,
        resultCount === 0 ? "no match" : resultIndex >= 0 ? `${resultIndex + 1}/${resultCount}` : `${resultCount}`,
      );
    });
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
    this.searchAddon.clearDecorations();
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
      this.searchAddon.clearDecorations();
      setText(this.searchCount, "");
      return false;
    }
    const opts = this.searchOptions(incremental);
    return next ? this.searchAddon.findNext(q, opts) : this.searchAddon.findPrevious(q, opts);
  }

  applyFontSize(): void {
    this.term.options.fontSize = fontSize;
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
    if (this.disposed) return;
    if (!this.term.options.cursorBlink) this.term.options.cursorBlink = true;
    if (this.blinkTimer !== null) clearTimeout(this.blinkTimer);
    this.blinkTimer = setTimeout(() => {
      this.blinkTimer = null;
      if (!this.disposed) this.term.options.cursorBlink = false;
    }, CURSOR_BLINK_MS);
  }

  /** Fits the grid to the element now (no-op before it is laid out). */
  fit(): void {
    if (this.disposed || this.host.offsetWidth === 0 || this.host.offsetHeight === 0) return;
    try {
      this.fitAddon.fit();
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
    views.delete(this);
    this.resizeObserver.disconnect();
    this.painter.dispose();
    this.selectionRedraws.dispose();
    this.term.dispose();
    this.element.remove();
  }
}
