// The scrollback setting: how many lines each terminal tab keeps, and what that costs in memory.

/**
 * Memory one line of scrollback costs in the web process: about 2.5 KB at 108 columns (xterm.js
 * keeps every cell of a line, so wider windows cost more). Measured by filling five tabs'
 * 10,000-line scrollback (+127 MB); docs/architecture.md, "Memory over long sessions".
 */
export const BYTES_PER_SCROLLBACK_LINE = 2_500;

/** The lines a tab keeps unless the user chose otherwise (as settings.rs says). */
export const DEFAULT_SCROLLBACK_LINES = 10_000;

/** The most the app saves (settings.rs cuts more to this). */
export const MAX_SCROLLBACK_LINES = 100_000;

/** The choices the control offers. */
export const SCROLLBACK_CHOICES: readonly number[] = [1_000, 5_000, 10_000, 50_000];

/** The choices, with `current` among them if it is another value (a settings.json edited by hand). */
export function scrollbackChoices(current: number): number[] {
  const all = new Set([...SCROLLBACK_CHOICES, current]);
  return [...all].sort((a, b) => a - b);
}

/** `10000` → "10,000 lines". */
export function linesLabel(lines: number): string {
  return `${lines.toLocaleString("en-US")} ${lines === 1 ? "line" : "lines"}`;
}

/** What a full scrollback of `lines` costs a tab: "≈ 25 MB per tab" (1 MB = 1,000,000 bytes). */
export function scrollbackCost(lines: number): string {
  if (lines <= 0) return "no scrollback";
  const mb = (lines * BYTES_PER_SCROLLBACK_LINE) / 1_000_000;
  const shown = mb < 10 ? String(Math.round(mb * 10) / 10) : String(Math.round(mb));
  return `≈ ${shown} MB per tab`;
}
