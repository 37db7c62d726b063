// The app's own keys: those that switch, move and close tabs, taken before the terminal sees
// them. Chosen not to steal what shells and full-screen programs need: Ctrl+Tab and
// Ctrl+PgUp/PgDn (what a shell would get from them is useless there), Ctrl+Shift+PgUp/PgDn,
// and Ctrl+Shift+W / Ctrl+Shift+T (the shifted forms; plain Ctrl+W, Ctrl+T still reach the
// shell). Alt+1…9 select a tab, as in browsers and GNOME Terminal: readline's digit argument
// (Alt+digit) is given up for it; Alt+0 and Alt with other keys still reach the shell.
// Quick open is Ctrl+K outside a terminal and Ctrl+Shift+K anywhere: in a terminal plain Ctrl+K
// stays the shell's (readline's kill to the end of the line). Ctrl+Shift+L opens or closes the
// pod's log beside a terminal (plain Ctrl+L still clears the shell's screen).
// Panes (panes.ts): Ctrl+Shift+D splits the focused pane right, Ctrl+Shift+E down (no shell or
// readline binding uses them); Ctrl+Shift+Arrow moves to the next pane that way, only from a
// terminal (in a text box it still selects words); Ctrl+Shift+B starts or stops broadcasting
// (broadcast.ts).

export type AppKey =
  | { kind: "next" }
  | { kind: "previous" }
  | { kind: "close" }
  | { kind: "reopenClosed" }
  /** Alt+N: the Nth tab (1-based); 9: the last. */
  | { kind: "select"; n: number }
  /** Ctrl+Shift+PgUp / PgDn: the active tab moves one place left (-1) or right (1). */
  | { kind: "move"; delta: number }
  /** Ctrl+K (outside a terminal), Ctrl+Shift+K: the quick-open box. */
  | { kind: "quickOpen" }
  /** Ctrl+Shift+L: the pod's log beside the active terminal, or closed. */
  | { kind: "logsSplit" }
  /** Ctrl+Shift+D / Ctrl+Shift+E: the focused pane splits right / down. */
  | { kind: "split"; dir: "right" | "down" }
  /** Ctrl+Shift+Arrow (in a terminal): the pane that way is focused. */
  | { kind: "pane"; arrow: "left" | "right" | "up" | "down" }
  /** Ctrl+Shift+B: the tab's panes broadcast, or (in a broadcasting pane) nobody does any more. */
  | { kind: "broadcast" };

/** The subset of a KeyboardEvent this reads (a plain object in tests). */
export interface KeyLike {
  type: string;
  key: string;
  code: string;
  ctrlKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  metaKey: boolean;
  /** The key went to a terminal (plain Ctrl+K is then the shell's). */
  inTerminal?: boolean;
}

/** What a keydown means to the app, or null when it belongs to the terminal. */
export function appKey(e: KeyLike): AppKey | null {
  if (e.type !== "keydown" || e.metaKey) return null;
  if (e.altKey && !e.ctrlKey && !e.shiftKey) {
    // By key position (`code`), so that it works whatever the layout puts on the digit keys.
    const digit = /^Digit([1-9])$/.exec(e.code);
    return digit ? { kind: "select", n: Number(digit[1]) } : null;
  }
  if (!e.ctrlKey || e.altKey) return null;
  // WebKitGTK names Shift+Tab's key (ISO_Left_Tab) "Unidentified": the key's position says Tab.
  if (e.key === "Tab" || e.code === "Tab") return e.shiftKey ? { kind: "previous" } : { kind: "next" };
  if (e.code === "KeyK" && (e.shiftKey || !e.inTerminal)) return { kind: "quickOpen" };
  if (e.shiftKey) {
    if (e.code === "KeyW") return { kind: "close" };
    if (e.code === "KeyT") return { kind: "reopenClosed" };
    if (e.code === "KeyL") return { kind: "logsSplit" };
    if (e.code === "KeyD") return { kind: "split", dir: "right" };
    if (e.code === "KeyE") return { kind: "split", dir: "down" };
    if (e.code === "KeyB") return { kind: "broadcast" };
    const arrow = /^Arrow(Left|Right|Up|Down)$/.exec(e.key);
    if (arrow && e.inTerminal) return { kind: "pane", arrow: arrow[1]!.toLowerCase() as "left" | "right" | "up" | "down" };
    if (e.key === "PageUp") return { kind: "move", delta: -1 };
    if (e.key === "PageDown") return { kind: "move", delta: 1 };
    return null;
  }
  if (e.key === "PageDown") return { kind: "next" };
  if (e.key === "PageUp") return { kind: "previous" };
  return null;
}
