// The recordings player's timing (pure, with an injected clock): a recording's events placed on
// a play time line (each pause cut to IDLE_CAP_S with "skip idle"), a position that runs at the
// chosen speed while playing, the events due at the position, how long until the next, and a
// seek (the events to write again from a cleared terminal). Events arrive in pages
// (`read_recording`), so the line grows while it plays. The view is `view.ts`.

/** One event of an asciicast v2 recording: `o` output, `i` input, `r` resize (`COLSxROWS`). */
export interface CastEvent {
  time: number;
  code: string;
  data: string;
}

/** With "skip idle", no pause between two events lasts longer than this (seconds). */
export const IDLE_CAP_S = 2;
/** The speeds offered. */
export const SPEEDS = [1, 2, 4] as const;

/** The play time of each event: its recorded time, pauses over `cap` cut to `cap` when skipping. */
export function playTimes(events: readonly CastEvent[], skipIdle: boolean, cap = IDLE_CAP_S, from: { time: number; at: number } | null = null): number[] {
  const out: number[] = [];
  let prev = from ? from.time : 0;
  let at = from ? from.at : 0;
  for (const e of events) {
    const gap = Math.max(0, e.time - prev);
    at += skipIdle ? Math.min(gap, cap) : gap;
    prev = e.time;
    out.push(at);
  }
  return out;
}

export class Playback {
  private events: CastEvent[] = [];
  private times: number[] = [];
  /** The next event to hand out. */
  private next = 0;
  /** No more pages to come. */
  complete = false;
  speed = 1;
  skipIdle = false;
  playing = false;
  /** The play position (seconds) when `since` was taken. */
  private base = 0;
  private since = 0;

  constructor(private readonly now: () => number = () => Date.now()) {}

  /** A page of events; `last`: the recording ends with it. */
  add(events: readonly CastEvent[], last: boolean): void {
    const prev = this.events.length > 0 ? { time: this.events[this.events.length - 1]!.time, at: this.times[this.times.length - 1]! } : null;
    this.times.push(...playTimes(events, this.skipIdle, IDLE_CAP_S, prev));
    this.events.push(...events);
    this.complete = last;
  }

  get loaded(): number {
    return this.events.length;
  }

  /** Events handed out so far. */
  get played(): number {
    return this.next;
  }

  /** The play time of the last event loaded (the whole length once complete). */
  duration(): number {
    return this.times.length > 0 ? this.times[this.times.length - 1]! : 0;
  }

  /** Seconds into the play time line (never past the last event loaded). */
  position(): number {
    const p = this.playing ? this.base + ((this.now() - this.since) / 1000) * this.speed : this.base;
    return Math.min(p, this.duration());
  }

  /** Plays from the position; after the end, from the start (true: clear the terminal first). */
  play(): boolean {
    if (this.playing) return false;
    const again = this.ended();
    if (again) {
      this.next = 0;
      this.base = 0;
    }
    this.since = this.now();
    this.playing = true;
    return again;
  }

  pause(): void {
    if (!this.playing) return;
    this.base = this.position();
    this.playing = false;
  }

  setSpeed(speed: number): void {
    this.base = this.position();
    this.since = this.now();
    this.speed = speed;
  }

  /** Skip idle on or off: the line is placed again, the position kept at the last event handed out. */
  setSkipIdle(on: boolean): void {
    if (on === this.skipIdle) return;
    this.skipIdle = on;
    this.times = playTimes(this.events, on);
    this.base = this.next > 0 ? this.times[this.next - 1]! : 0;
    this.since = this.now();
  }

  /** The events due at the position while playing, handed out once each, in order. */
  due(): CastEvent[] {
    if (!this.playing) return [];
    const p = this.position();
    const out: CastEvent[] = [];
    while (this.next < this.events.length && this.times[this.next]! <= p) out.push(this.events[this.next++]!);
    return out;
  }

  /** Milliseconds of real time until the next event is due; null when none is loaded or paused. */
  wait(): number | null {
    if (!this.playing || this.next >= this.events.length) return null;
    return Math.max(0, ((this.times[this.next]! - this.position()) * 1000) / this.speed);
  }

  /** Every event handed out and no more to come. */
  ended(): boolean {
    return this.complete && this.next >= this.events.length;
  }

  /** Wants the next page: near the end of what is loaded, and more to come. */
  wantsMore(ahead = 512): boolean {
    return !this.complete && this.events.length - this.next < ahead;
  }

  /**
   * Moves to `seconds` on the line: the events up to there, to be written to a cleared terminal
   * (the view resets it first). Playing or paused stays as it was.
   */
  seekTo(seconds: number): CastEvent[] {
    const target = Math.max(0, Math.min(seconds, this.duration()));
    let n = 0;
    while (n < this.events.length && this.times[n]! <= target) n++;
    this.next = n;
    this.base = target;
    this.since = this.now();
    return this.events.slice(0, n);
  }
}

/** `m:ss` (or `h:mm:ss`). */
export function clockText(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** A file's size in words: `512 B`, `3.4 KiB`, `12 MiB`. */
export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** A resize event's size (`COLSxROWS`), or null when it is not one. */
export function resizeOf(e: CastEvent): { cols: number; rows: number } | null {
  if (e.code !== "r") return null;
  const m = /^(\d+)x(\d+)$/.exec(e.data);
  if (!m) return null;
  const cols = Number(m[1]);
  const rows = Number(m[2]);
  return cols > 0 && rows > 0 && cols <= 1000 && rows <= 1000 ? { cols, rows } : null;
}
