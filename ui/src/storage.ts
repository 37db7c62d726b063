// The page's localStorage, for what the UI remembers between runs (widths, folds, settings of
// the window, the mock's state): null where there is none (Vitest's node) or reading it throws
// (storage turned off), so a caller keeps its default instead of failing.
export function pageStorage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}
