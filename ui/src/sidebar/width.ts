// The sidebar's width: dragged by its right edge, remembered in localStorage.
import { pageStorage as storage } from "../storage";

const KEY = "podterm.sidebarWidth";
export const DEFAULT_SIDEBAR_WIDTH = 320;
export const MIN_SIDEBAR_WIDTH = 220;

/** A width the sidebar may take: at least MIN, and leaving the terminal at least 320 px. */
export function clampSidebarWidth(width: number, windowWidth: number): number {
  const max = Math.max(MIN_SIDEBAR_WIDTH, Math.min(720, windowWidth - 320));
  if (!Number.isFinite(width)) return DEFAULT_SIDEBAR_WIDTH;
  return Math.round(Math.min(max, Math.max(MIN_SIDEBAR_WIDTH, width)));
}

/** The remembered width (the default when none or unreadable), fitted to this window. */
export function loadSidebarWidth(windowWidth = typeof window === "undefined" ? 1280 : window.innerWidth): number {
  const saved = Number(storage()?.getItem(KEY) ?? NaN);
  return clampSidebarWidth(Number.isFinite(saved) && saved > 0 ? saved : DEFAULT_SIDEBAR_WIDTH, windowWidth);
}

export function saveSidebarWidth(width: number): void {
  try {
    storage()?.setItem(KEY, String(Math.round(width)));
  } catch {
    /* not remembered: the next start has the default */
  }
}
