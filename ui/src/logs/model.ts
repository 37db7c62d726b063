// A Logs view's model, without DOM or IPC: the log's bytes (as the engine batches them) become
// lines, at most `limit` of them (the oldest go first), each with its timestamp apart (the engine
// always asks for timestamps; the view shows or hides them). Pausing holds new output unparsed
// and unacknowledged, so the engine's flow control pauses the stream itself (memory stays bounded
// by its window) and resuming shows it all. Search finds lines by their text without colours.

import { DEFAULT_LOG_LINES, MAX_LOG_LINES, MIN_LOG_LINES } from "../ipc/generated/limits";

/** The line limits the view offers (the app setting `logLines`, podterm_core::settings). */
export const LINE_LIMITS = [1_000, 5_000, 10_000, 50_000, 100_000] as const;
export const DEFAULT_LINE_LIMIT = DEFAULT_LOG_LINES;

/** `n` brought within the setting's bounds, as the engine saves it. */
export function boundLineLimit(n: number): number {
  if (!Number.isFinite(n)) return DEFAULT_LOG_LINES;
  return Math.min(MAX_LOG_LINES, Math.max(MIN_LOG_LINES, Math.round(n)));
}

/** The choices offered: the usual ones and the one saved (a hand-edited settings.json's). */
export function lineLimitChoices(current: number): number[] {
  const all = new Set<number>([...LINE_LIMITS, current]);
  return [...all].sort((a, b) => a - b);
}

export interface LogLine {
  /** Numbered from 1 in the order received (survives the oldest lines being dropped). */
  readonly n: number;
  /** RFC 3339 with nanoseconds, as the API server gives it; null when the line had none. */
  readonly stamp: string | null;
  /** Which pod and container wrote it (`pod/NAME/CONTAINER`), in a workload's log; else null. */
  readonly source: string | null;
  /** The line as the container wrote it (ANSI colours kept), without its newline. */
  readonly text: string;
}

// A timestamp the API server puts before each line: `2026-01-02T03:04:05.123456789Z `, after
// the engine's `[pod/NAME/CONTAINER] ` in a workload's log.
const STAMP = /^(?:\[(pod\/[^\]\s]+)\] )?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) /;
// ANSI escape sequences (CSI, OSC ending with BEL or ST, and two-byte escapes).
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** A line's text as searched and downloaded: without its escape sequences. */
export function plain(text: string): string {
  return text.replace(ANSI, "");
}

export type LogsListener = () => void;

/** One line of the log (its newline taken off), its source and timestamp apart. */
function parse(raw: string, n: number): LogLine {
  const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  const m = STAMP.exec(line);
  return {
    n,
    source: m?.[1] ?? null,
    stamp: m ? m[2]! : null,
    text: m ? line.slice(m[0].length) : line,
  };
}

export class LogModel {
  private readonly decoder = new TextDecoder("utf-8");
  private lines: LogLine[] = [];
  /** Text of a line whose newline has not come yet. */
  private partial = "";
  private next = 1;
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private pausedNow = false;
  private query = "";
  /** Lines dropped off the front because of the limit. */
  dropped = 0;
  private readonly listeners = new Set<LogsListener>();

  constructor(
    private lineLimit: number = DEFAULT_LINE_LIMIT,
    /** Called with the bytes taken into the model, to acknowledge them to the engine. */
    private readonly ack: (bytes: number) => void = () => {},
  ) {}

  onChange(fn: LogsListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  get limit(): number {
    return this.lineLimit;
  }

  /** Keeps at most `n` lines from now on (the oldest go at once). */
  setLimit(n: number): void {
    this.lineLimit = Math.max(1, Math.floor(n));
    this.trim();
    this.changed();
  }

  get paused(): boolean {
    return this.pausedNow;
  }

  /** Bytes held while paused (not yet acknowledged). */
  get heldByteCount(): number {
    return this.heldBytes;
  }

  /** Stops taking output: it is held, unacknowledged, until `resume`. */
  pause(): void {
    if (this.pausedNow) return;
    this.pausedNow = true;
    this.changed();
  }

  /** Takes what was held, then follows again. */
  resume(): void {
    if (!this.pausedNow) return;
    this.pausedNow = false;
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const b of held) this.take(b);
    this.changed();
  }

  /** A batch of the log's bytes from the engine. */
  write(bytes: Uint8Array): void {
    if (this.pausedNow) {
      this.held.push(bytes);
      this.heldBytes += bytes.length;
      return;
    }
    this.take(bytes);
    this.changed();
  }

  /** The stream ended: a last line without a newline is a line. */
  end(): void {
    const rest = this.partial + this.decoder.decode();
    this.partial = "";
    if (rest !== "") this.push(rest);
    this.trim();
    this.changed();
  }

  private take(bytes: Uint8Array): void {
    const text = this.partial + this.decoder.decode(bytes, { stream: true });
    const parts = text.split("\n");
    this.partial = parts.pop() ?? "";
    for (const p of parts) this.push(p);
    this.trim();
    this.ack(bytes.length);
  }

  private push(raw: string): void {
    this.lines.push(parse(raw, this.next++));
  }

  private trim(): void {
    const over = this.lines.length - this.lineLimit;
    if (over > 0) {
      this.lines.splice(0, over);
      this.dropped += over;
    }
  }

  /** Every line kept, oldest first. */
  all(): readonly LogLine[] {
    return this.lines;
  }

  /** The line not yet ended (shown as the last line while it grows); "" when none. */
  get pending(): string {
    return this.partial;
  }

  /** The line not yet ended, its timestamp and source apart as a line's are (so the view
   *  shows its timestamp only when timestamps are shown); null when none. */
  get pendingLine(): LogLine | null {
    return this.partial === "" ? null : parse(this.partial, this.next);
  }

  clear(): void {
    this.dropped += this.lines.length;
    this.lines = [];
    this.changed();
  }

  get search(): string {
    return this.query;
  }

  setSearch(q: string): void {
    this.query = q;
    this.changed();
  }

  /** The line numbers (`n`) whose text (colours left out) has the search, in order. */
  matches(): number[] {
    const q = this.query.toLowerCase();
    if (q === "") return [];
    return this.lines.filter((l) => plain(l.text).toLowerCase().includes(q)).map((l) => l.n);
  }

  /** The lines as a file: one a line, timestamps first when shown, colours left out. */
  text(timestamps: boolean): string {
    return this.lines
      .map((l) => `${l.source ? `[${l.source}] ` : ""}${timestamps && l.stamp ? `${l.stamp} ` : ""}${plain(l.text)}\n`)
      .join("");
  }

  /** The pod that wrote the newest kept line, in a workload's log (`[pod/NAME/CONTAINER]`); else null. */
  newestPod(): string | null {
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const source = this.lines[i]?.source;
      if (source) return source.split("/")[1] ?? null;
    }
    return null;
  }
}

/** Where `q` occurs in `text` (case-insensitive), as [start, end) ranges. */
export function ranges(text: string, q: string): [number, number][] {
  if (q === "") return [];
  const hay = text.toLowerCase();
  const needle = q.toLowerCase();
  const out: [number, number][] = [];
  for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + needle.length)) out.push([i, i + needle.length]);
  return out;
}

/** A run of text in one style, from the line's SGR escapes. */
export interface Span {
  text: string;
  /** CSS classes: `fg-N`, `bg-N` (0–15), `bold`, `dim`, `italic`, `underline`. */
  classes: string[];
  /** 256-colour and true colours, as CSS. */
  color?: string;
  background?: string;
}

const CUBE = [0, 95, 135, 175, 215, 255];

function colour256(n: number): string | null {
  if (n < 16) return null;
  if (n < 232) {
    const i = n - 16;
    return `rgb(${CUBE[Math.floor(i / 36)]}, ${CUBE[Math.floor(i / 6) % 6]}, ${CUBE[i % 6]})`;
  }
  const g = 8 + (n - 232) * 10;
  return `rgb(${g}, ${g}, ${g})`;
}

/**
 * A line's text cut into styled runs: SGR colours and weights kept, every other escape dropped.
 * The runs are shown with textContent, never as HTML.
 */
export function spans(text: string): Span[] {
  const out: Span[] = [];
  let fg: number | string | null = null;
  let bg: number | string | null = null;
  let bold = false;
  let dim = false;
  let italic = false;
  let underline = false;
  const emit = (t: string) => {
    if (t === "") return;
    const classes: string[] = [];
    const s: Span = { text: t, classes };
    if (typeof fg === "number") classes.push(`fg-${fg}`);
    else if (typeof fg === "string") s.color = fg;
    if (typeof bg === "number") classes.push(`bg-${bg}`);
    else if (typeof bg === "string") s.background = bg;
    if (bold) classes.push("bold");
    if (dim) classes.push("dim");
    if (italic) classes.push("italic");
    if (underline) classes.push("underline");
    out.push(s);
  };
  let last = 0;
  for (const m of text.matchAll(ANSI)) {
    emit(text.slice(last, m.index));
    last = m.index + m[0].length;
    const seq = m[0];
    if (!seq.startsWith("\x1b[") || !seq.endsWith("m")) continue;
    const codes = seq.slice(2, -1).split(";").map((c) => (c === "" ? 0 : Number(c)));
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i]!;
      if (c === 0) {
        fg = bg = null;
        bold = dim = italic = underline = false;
      } else if (c === 1) bold = true;
      else if (c === 2) dim = true;
      else if (c === 3) italic = true;
      else if (c === 4) underline = true;
      else if (c === 22) bold = dim = false;
      else if (c === 23) italic = false;
      else if (c === 24) underline = false;
      else if (c >= 30 && c <= 37) fg = c - 30;
      else if (c >= 90 && c <= 97) fg = c - 90 + 8;
      else if (c === 39) fg = null;
      else if (c >= 40 && c <= 47) bg = c - 40;
      else if (c >= 100 && c <= 107) bg = c - 100 + 8;
      else if (c === 49) bg = null;
      else if ((c === 38 || c === 48) && codes[i + 1] === 5) {
        const n = codes[i + 2] ?? 0;
        const v = n < 16 ? n : colour256(n);
        if (c === 38) fg = v;
        else bg = v;
        i += 2;
      } else if ((c === 38 || c === 48) && codes[i + 1] === 2) {
        const v = `rgb(${codes[i + 2] ?? 0}, ${codes[i + 3] ?? 0}, ${codes[i + 4] ?? 0})`;
        if (c === 38) fg = v;
        else bg = v;
        i += 4;
      }
    }
  }
  emit(text.slice(last));
  return out;
}
