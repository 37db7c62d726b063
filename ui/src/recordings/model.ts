// The recordings player's timing (pure, with an injected clock): a recording's events placed on
// a play time line (each pause cut to IDLE_CAP_S with "skip idle"), a position that runs at the
// chosen speed while playing, the events due at the position, how long until the next, and a
// seek (the events to write again from a cleared terminal). Events arrive in pages
// (`read_recording`), so the line grows while it plays; the slider spans the recording's whole
// length when the list said it, and a seek past the pages loaded waits for the ones up to there.
// The view is `view.ts`.

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
/** The position slider's steps, end to end. */
export const SLIDER_STEPS = 1000;

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
  /**
   * The recording's whole length as the list gave it (its last event's time; null: not read):
   * the slider's end before the last page is in.
   */
  recordedLength: number | null = null;
  /** A resize to the header's size, once the first page said it: a replay from the start begins with it. */
  private opening: CastEvent[] = [];
  /** The play position (seconds) when `since` was taken. */
  private base = 0;
  private since = 0;

  constructor(private readonly now: () => number = () => Date.now()) {}

  /** The terminal's size as the recording starts (its header's). */
  setStartSize(cols: number, rows: number): void {
    this.opening = [{ time: 0, code: "r", data: `${cols}x${rows}` }];
  }

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

  /**
   * The slider's whole: the recording's length as the list said it while pages are still to
   * come, so that its end stays put as they load (with skip idle, the cut line's length is only
   * known from the events: what is loaded).
   */
  length(): number {
    if (this.complete || this.skipIdle || this.recordedLength === null) return this.duration();
    return Math.max(this.recordedLength, this.duration());
  }

  /** Whether `length()` is the whole (else it grows as pages load). */
  lengthKnown(): boolean {
    return this.complete || (!this.skipIdle && this.recordedLength !== null);
  }

  /** Whether the events up to `seconds` are loaded (or all there are). */
  covers(seconds: number): boolean {
    return this.complete || seconds <= this.duration();
  }

  /** The slider's value (0..SLIDER_STEPS) for the position. */
  sliderValue(): number {
    const length = this.length();
    return length > 0 ? Math.round((this.position() / length) * SLIDER_STEPS) : 0;
  }

  /** The seconds a slider value stands for. */
  sliderSeconds(value: number): number {
    return (value / SLIDER_STEPS) * this.length();
  }

  /** Seconds into the play time line (never past the last event loaded). */
  position(): number {
    const p = this.playing ? this.base + ((this.now() - this.since) / 1000) * this.speed : this.base;
    return Math.min(p, this.duration());
  }

  /**
   * Plays from the position; after the end, from the start. Returns null when it goes on, else
   * what a cleared terminal is given first (the recording's starting size: a resize during the
   * play left the terminal at another).
   */
  play(): CastEvent[] | null {
    if (this.playing) return null;
    const again = this.ended();
    if (again) {
      this.next = 0;
      this.base = 0;
    }
    this.since = this.now();
    this.playing = true;
    return again ? [...this.opening] : null;
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
   * (the view resets it first), after a resize to the starting size. Playing or paused stays as
   * it was. Only the pages loaded count: see `loadUntil` for a seek past them.
   */
  seekTo(seconds: number): CastEvent[] {
    const target = Math.max(0, Math.min(seconds, this.duration()));
    let n = 0;
    while (n < this.events.length && this.times[n]! <= target) n++;
    this.next = n;
    this.base = target;
    this.since = this.now();
    return [...this.opening, ...this.events.slice(0, n)];
  }
}

/**
 * A seek past the pages loaded: pages (`more`, each the next one, or the one on its way) until
 * the line reaches `seconds`, the last is in, or one brings nothing (a file still being
 * written has no more yet). False when `current()` says the seek was given up meanwhile (a newer
 * one, or the player closed): it must not move the play then.
 */
export async function loadUntil(p: Playback, seconds: number, more: () => Promise<void>, current: () => boolean = () => true): Promise<boolean> {
  while (!p.covers(seconds)) {
    const had = p.loaded;
    await more();
    if (!current()) return false;
    if (p.loaded === had) break;
  }
  return true;
}

/**
 * Whether the position slider's thumb is the user's, so that the play does not move it: from a
 * press or a move on it until it is let go, and while the seek it asked for loads its pages.
 * The focus says nothing: a click leaves it on the slider, and the thumb must go on following
 * the play after it.
 */
export class SliderGrip {
  private gripped = false;
  private seeks = 0;

  /** Pressed, or moved (by keys: no release follows, the seek does). */
  grip(): void {
    this.gripped = true;
  }

  /** Released (or the move is done: its seek starts). */
  letGo(): void {
    this.gripped = false;
  }

  /** A seek starts; the returned function ends it. */
  seeking(): () => void {
    this.seeks += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.seeks -= 1;
    };
  }

  get held(): boolean {
    return this.gripped || this.seeks > 0;
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
