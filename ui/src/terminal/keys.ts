// The app's own keys: those that switch and close tabs, taken before the terminal sees them.
// Chosen not to steal what shells and full-screen programs need: Ctrl+Tab and Ctrl+PgUp/PgDn
// (what a shell would get from them is useless there), and Ctrl+Shift+W / Ctrl+Shift+T (the
// shifted forms; plain Ctrl+W, Ctrl+T still reach the shell). Alt+digit is left to readline.

export type AppKey =
  | { kind: "next" }
  | { kind: "previous" }
  | { kind: "close" }
  | { kind: "reopenClosed" };

/** The subset of a KeyboardEvent this reads (a plain object in tests). */
export interface KeyLike {
  type: string;
  key: string;
  code: string;
  ctrlKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  metaKey: boolean;
}

/** What a keydown means to the app, or null when it belongs to the terminal. */
export function appKey(e: KeyLike): AppKey | null {
  if (e.type !== "keydown" || !e.ctrlKey || e.altKey || e.metaKey) return null;
  if (e.key === "Tab") return e.shiftKey ? { kind: "previous" } : { kind: "next" };
  if (e.shiftKey) {
    if (e.code === "KeyW") return { kind: "close" };
    if (e.code === "KeyT") return { kind: "reopenClosed" };
    return null;
  }
  if (e.key === "PageDown") return { kind: "next" };
  if (e.key === "PageUp") return { kind: "previous" };
  return null;
}
