// The UI half of flow control (docs/architecture.md, "Flow control"): output goes to xterm.write;
// the bytes are acknowledged to the engine only once xterm's write callback says it has parsed
// them. The engine stops reading the pod's stream while too many bytes are unacknowledged, so a
// flood (`yes`) can never pile up in the webview.
//
// Acks are batched: one `ack` per ACK_SIZE bytes written, and whatever is left is acknowledged
// when output goes quiet for ACK_IDLE_MS, so a small prompt never waits. A message of at least
// ACK_MESSAGE bytes is acknowledged as soon as xterm has written all of it: a terminal's window
// follows what its tab draws in a few tens of milliseconds, and its batches (a quarter of the
// window) can be smaller than ACK_SIZE; each has to come back once drawn, not ACK_IDLE_MS later.
//
// Each ack says how long xterm spent parsing the bytes it acknowledges: each piece of a message
// of at least MARK_MIN bytes goes after an empty write whose callback runs when xterm reaches
// the piece, so the time from that callback to the piece's own is the piece's parse alone (not
// the wait for xterm's timer, a frame, or other work in between). A smaller message (an echo, a
// prompt) gets no mark: xterm parses the first write after a keystroke at once, and a mark
// would take that write's place (the echo would then wait for xterm's timer); its time counts
// from its hand-over or the previous piece's end, and the engine does not measure acks that
// small. The engine sizes a skipped flood's paced batches by it: what the tab draws now in a
// quarter of a frame (`yes`'s two-byte lines parse ~10x slower per byte than long lines).
//
// A message is handed to xterm in pieces (views, no copy): xterm parses one write whole before it
// looks at the clock, and yields the page's one thread only between writes, so a 256 KiB message
// of `yes` held a keystroke for tens of milliseconds. A piece is what xterm parses in PIECE_MS at
// the rate it parsed the last marked pieces, between WRITE_PIECE_MIN (`yes`'s two-byte lines, or
// before any is measured) and WRITE_PIECE_MAX (long lines: a whole message). Each write costs the
// page more than its parse (xterm's bookkeeping, a callback, an ack every ACK_SIZE): a drawn
// flood of long lines took ~20% less of the page's time per MB than in fixed 32 KiB pieces
// (docs/architecture.md, "Flow control").

import { ACK_IDLE_MS, ACK_MESSAGE, ACK_SIZE, DRAW_MIN_ACK, MAX_BATCH } from "../ipc/generated/flow";

// The constants are the engine's (podterm_core::flow), generated into ipc/generated/flow.ts.
export { ACK_IDLE_MS, ACK_MESSAGE, ACK_SIZE };

/** What the controller needs of xterm's Terminal. */
export interface WritableTerminal {
  write(data: Uint8Array, callback?: () => void): void;
}

/** The empty write before each piece: its callback says xterm has reached the piece. */
const NOTHING = new Uint8Array(0);

/** Messages of at least this many bytes are timed from a mark (above): those whose acks the
 *  engine measures (under its smallest paced batch, over an echo's or a prompt's few bytes). */
export const MARK_MIN = DRAW_MIN_ACK;

/** The smallest piece handed to xterm in one write: ~3 ms of parsing at a `yes` flood's rate. */
export const WRITE_PIECE_MIN = 32 * 1024;

/** The largest piece: the largest message the engine sends. */
export const WRITE_PIECE_MAX = MAX_BATCH;

/** Pieces at least this long measure the parse rate (a message's short last piece parses in
 *  under the clock's step, or in one step: either would throw the rate far off). */
const RATE_MIN_PIECE = WRITE_PIECE_MIN / 2;

/** A piece above WRITE_PIECE_MIN is sized to take about this long to parse: what a keystroke
 *  may wait behind it, half a frame. */
export const PIECE_MS = 8;

/** Weight of the newest marked piece in the parse rate (an exponential moving average). */
const RATE_WEIGHT = 0.25;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface FlowStats {
  /** Bytes handed to the controller. */
  received: number;
  /** Bytes xterm has parsed (write callbacks run). */
  written: number;
  /** Bytes acknowledged to the engine. */
  acked: number;
  /** Number of ack calls. */
  acks: number;
  /** Written but not yet acknowledged. */
  pending: number;
  /** Milliseconds xterm spent parsing what was written (see above). */
  drawMs: number;
  /** Handed to xterm, callback not yet run. */
  inFlight: number;
  /** Largest `inFlight` seen. */
  maxInFlight: number;
  chunks: number;
}

export interface FlowOptions {
  ackSize?: number;
  idleMs?: number;
  timers?: Timers;
  /** The page's clock in milliseconds (`performance.now`). */
  now?: () => number;
}

export class FlowController {
  private readonly ackSize: number;
  private readonly idleMs: number;
  private readonly timers: Timers;
  private readonly now: () => number;
  /** When xterm reached the piece it parses now (its mark's callback), or finished the last one. */
  private reached = 0;
  /** Drawing time of the written bytes not yet acknowledged. */
  private pendingDrawMs = 0;
  /** xterm's parse time per byte over the last marked pieces; null until one is measured. */
  private msPerByte: number | null = null;
  private sessionId: number | null = null;
  private idleTimer: unknown = null;
  /** Callbacks waiting for a count of written bytes ([`whenWritten`]), in the order asked. */
  private waiters: { count: number; fn: () => void }[] = [];
  private disposed = false;
  /** Closes what carries the session's output to it (a page socket), with it. */
  private detach: (() => void) | null = null;
  private s: FlowStats = {
    received: 0,
    written: 0,
    acked: 0,
    acks: 0,
    pending: 0,
    drawMs: 0,
    inFlight: 0,
    maxInFlight: 0,
    chunks: 0,
  };

  constructor(
    private readonly term: WritableTerminal,
    private readonly sendAck: (id: number, bytes: number, drawUs: number) => void,
    opts: FlowOptions = {},
  ) {
    this.ackSize = opts.ackSize ?? ACK_SIZE;
    this.idleMs = opts.idleMs ?? ACK_IDLE_MS;
    this.timers = opts.timers ?? realTimers;
    this.now = opts.now ?? (() => performance.now());
  }

  /**
   * The session id, once `open_session` has returned it. Output can arrive before that; its acks
   * are held until the id is known.
   */
  setSession(id: number): void {
    this.sessionId = id;
    if (this.s.pending > 0) this.flush();
  }

  /** Feeds one output chunk to the terminal. */
  write(chunk: Uint8Array): void {
    if (this.disposed || chunk.length === 0) return;
    const n = chunk.length;
    this.s.received += n;
    this.s.chunks += 1;
    this.s.inFlight += n;
    if (this.s.inFlight > this.s.maxInFlight) this.s.maxInFlight = this.s.inFlight;
    const marked = n >= MARK_MIN;
    const handed = marked ? undefined : this.now();
    const size = this.pieceSize();
    const ackAtEnd = n >= ACK_MESSAGE;
    for (let at = 0; at < n; at += size) {
      const piece = n <= size ? chunk : chunk.subarray(at, Math.min(n, at + size));
      const last = at + size >= n;
      if (marked) this.term.write(NOTHING, this.reach);
      this.term.write(piece, () => this.written(piece.length, handed, ackAtEnd && last));
    }
  }

  /** The piece a message is cut into now: PIECE_MS of parsing at the measured rate (above). */
  pieceSize(): number {
    if (this.msPerByte === null) return WRITE_PIECE_MIN;
    if (this.msPerByte <= 0) return WRITE_PIECE_MAX;
    return Math.min(WRITE_PIECE_MAX, Math.max(WRITE_PIECE_MIN, Math.floor(PIECE_MS / this.msPerByte)));
  }

  /**
   * Runs `fn` once xterm has written `count` bytes of this session's output: a session's end
   * counts the bytes sent before it, and may arrive before the last of them (output and state
   * travel on separate channels), so the end is shown only after them.
   */
  whenWritten(count: number, fn: () => void): void {
    if (this.s.written >= count) {
      fn();
      return;
    }
    this.waiters.push({ count, fn });
  }

  private readonly reach = (): void => {
    this.reached = this.now();
  };

  /** A piece is parsed; `handed`: when an unmarked one was handed to xterm; `ack`: the last
   *  piece of a message that is acknowledged once written (ACK_MESSAGE). */
  private written(n: number, handed: number | undefined, ack: boolean): void {
    if (this.disposed) return;
    const now = this.now();
    const drew = Math.max(0, now - Math.max(this.reached, handed ?? -Infinity));
    this.reached = now;
    if (handed === undefined && n >= RATE_MIN_PIECE) {
      // A marked piece: `drew` is its parse alone.
      const rate = drew / n;
      this.msPerByte = this.msPerByte === null ? rate : this.msPerByte + RATE_WEIGHT * (rate - this.msPerByte);
    }
    this.pendingDrawMs += drew;
    this.s.drawMs += drew;
    this.s.inFlight -= n;
    this.s.written += n;
    if (this.waiters.length > 0) {
      const ready = this.waiters.filter((w) => w.count <= this.s.written);
      this.waiters = this.waiters.filter((w) => w.count > this.s.written);
      for (const w of ready) w.fn();
    }
    this.s.pending += n;
    if (this.s.pending >= this.ackSize || ack) {
      this.flush();
    } else if (this.idleTimer === null) {
      this.idleTimer = this.timers.setTimeout(() => {
        this.idleTimer = null;
        this.flush();
      }, this.idleMs);
    }
  }

  /** Acknowledges every written byte now (if the session id is known). */
  flush(): void {
    if (this.idleTimer !== null) {
      this.timers.clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    if (this.disposed || this.sessionId === null || this.s.pending === 0) return;
    const n = this.s.pending;
    const drawUs = Math.min(Math.round(this.pendingDrawMs * 1000), 0xffff_ffff);
    this.s.pending = 0;
    this.pendingDrawMs = 0;
    this.s.acked += n;
    this.s.acks += 1;
    this.sendAck(this.sessionId, n, drawUs);
  }

  /** `close` runs when the controller is disposed (at once if it already is): the session's
   *  page socket closes with its tab's flow. */
  closeWith(close: () => void): void {
    if (this.disposed) close();
    else this.detach = close;
  }

  /** Stops acknowledging: the session is over. Late write callbacks are ignored. */
  dispose(): void {
    if (this.idleTimer !== null) this.timers.clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.waiters = [];
    this.disposed = true;
    const detach = this.detach;
    this.detach = null;
    detach?.();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  stats(): FlowStats {
    return { ...this.s };
  }
}
