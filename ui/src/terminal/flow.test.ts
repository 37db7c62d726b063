import { describe, expect, it } from "vitest";
import {
  ACK_MESSAGE,
  ACK_SIZE,
  FlowController,
  MARK_MIN,
  PIECE_MS,
  type Timers,
  type WritableTerminal,
  WRITE_PIECE_MAX,
  WRITE_PIECE_MIN,
} from "./flow";

/**
 * A terminal that completes writes only when told to, like xterm's async parser. An empty write
 * (the controller's marker before each piece) runs its callback when the next write is reached.
 */
class FakeTerminal implements WritableTerminal {
  pending: { data: Uint8Array; cb?: () => void; reached?: () => void }[] = [];
  written = 0;
  private marker: (() => void) | undefined;
  constructor(private readonly clock: { now: number }) {}
  write(data: Uint8Array, cb?: () => void): void {
    if (data.length === 0) {
      this.marker = cb;
      return;
    }
    this.pending.push({ data, cb, reached: this.marker });
    this.marker = undefined;
  }
  /** Completes the oldest `n` writes, each taking `parseMs` once reached. */
  complete(n = this.pending.length, parseMs = 0): void {
    for (const w of this.pending.splice(0, n)) {
      w.reached?.();
      this.clock.now += parseMs;
      this.written += w.data.length;
      w.cb?.();
    }
  }
}

class FakeTimers implements Timers {
  now = 0;
  private seq = 0;
  timers = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [id, t] of [...this.timers]) {
      if (t.at <= this.now) {
        this.timers.delete(id);
        t.fn();
      }
    }
  }
}

function setup(opts: { idleMs?: number } = {}) {
  const timers = new FakeTimers();
  const term = new FakeTerminal(timers);
  const acks: [number, number][] = [];
  const draws: number[] = [];
  const flow = new FlowController(
    term,
    (id, n, drawUs) => {
      acks.push([id, n]);
      draws.push(drawUs);
    },
    { timers, idleMs: opts.idleMs ?? 15, now: () => timers.now },
  );
  return { term, timers, acks, draws, flow };
}

const bytes = (n: number) => new Uint8Array(n);

describe("FlowController", () => {
  it("runs a session's end once the bytes it counts are written, however early it came", () => {
    const { term, flow } = setup();
    flow.setSession(1);
    flow.write(bytes(100));
    const shown: string[] = [];
    // The end arrives before its last 50 bytes (output and state travel apart).
    flow.whenWritten(150, () => shown.push("exited"));
    term.complete();
    expect(shown).toEqual([]);
    flow.write(bytes(50));
    expect(shown).toEqual([]);
    term.complete();
    expect(shown).toEqual(["exited"]);
    // An end whose bytes are already written shows at once.
    flow.whenWritten(150, () => shown.push("again"));
    expect(shown).toEqual(["exited", "again"]);
  });

  it("acknowledges only after xterm has written the bytes", () => {
    const { term, acks, flow } = setup();
    flow.setSession(7);
    flow.write(bytes(ACK_SIZE * 2));
    expect(acks).toEqual([]);
    expect(flow.stats().inFlight).toBe(ACK_SIZE * 2);
    term.complete();
    // One ack per ACK_SIZE step (the message reached xterm in pieces of WRITE_PIECE_MIN: no rate yet).
    expect(acks).toEqual([
      [7, ACK_SIZE],
      [7, ACK_SIZE],
    ]);
    expect(flow.stats()).toMatchObject({ written: ACK_SIZE * 2, acked: ACK_SIZE * 2, pending: 0, inFlight: 0, acks: 2 });
  });

  it("says with each ack how long xterm spent parsing its bytes, not how long they waited", () => {
    const { term, timers, acks, draws, flow } = setup();
    flow.setSession(1);
    flow.write(bytes(MARK_MIN));
    // xterm reaches it 5 ms later (its timer, a frame) and parses it in 3.
    timers.advance(5);
    term.complete(1, 3);
    // Two messages at 10 ms: the first parsed in 2; xterm yields (4 ms of other work), then
    // parses the second in 3. Only the parsing counts: 3 + 2 + 3.
    timers.advance(2);
    flow.write(bytes(MARK_MIN));
    flow.write(bytes(MARK_MIN));
    term.complete(1, 2);
    timers.advance(4);
    term.complete(1, 3);
    expect(acks).toEqual([]);
    timers.advance(4); // the idle ack, 15 ms after the first byte was written
    expect(acks).toEqual([[1, 3 * MARK_MIN]]);
    expect(draws).toEqual([8000]);
    // The next ack counts only what was parsed since.
    timers.advance(10);
    flow.write(bytes(MARK_MIN));
    term.complete(1, 1.5);
    timers.advance(15);
    expect(acks).toEqual([
      [1, 3 * MARK_MIN],
      [1, MARK_MIN],
    ]);
    expect(draws).toEqual([8000, 1500]);
    expect(flow.stats().drawMs).toBe(9.5);
  });

  it("hands an echo to xterm alone, so xterm can parse it at once, and times it from the hand-over", () => {
    const { term, timers, draws, flow } = setup();
    flow.setSession(1);
    const writes: number[] = [];
    const write = term.write.bind(term);
    term.write = (data, cb) => {
      writes.push(data.length);
      write(data, cb);
    };
    flow.write(bytes(3));
    // One write, no mark before it: xterm's first write after a keystroke is parsed at once.
    expect(writes).toEqual([3]);
    timers.advance(2);
    term.complete(1, 0.5);
    timers.advance(15);
    expect(draws).toEqual([2500]);
    flow.write(bytes(MARK_MIN));
    expect(writes).toEqual([3, 0, MARK_MIN]);
  });

  it("batches small writes until ACK_SIZE bytes are pending", () => {
    const { term, acks, flow } = setup();
    flow.setSession(1);
    const kib = ACK_SIZE / 1024;
    for (let i = 0; i < 2 * kib; i++) flow.write(bytes(1024));
    term.complete(kib - 1);
    expect(acks).toEqual([]); // one KiB short of ACK_SIZE
    term.complete(1);
    expect(acks).toEqual([[1, ACK_SIZE]]);
    term.complete(kib);
    expect(acks).toEqual([[1, ACK_SIZE], [1, ACK_SIZE]]);
    expect(flow.stats().acks).toBe(2);
  });

  it("acknowledges a message of ACK_MESSAGE bytes once all of it is written, a smaller one when idle", () => {
    const { term, timers, acks, flow } = setup({ idleMs: 15 });
    flow.setSession(2);
    // Two pieces (WRITE_PIECE_MIN each, no rate yet), under one ACK_SIZE step.
    const n = WRITE_PIECE_MIN + ACK_MESSAGE;
    expect(n).toBeLessThan(ACK_SIZE);
    flow.write(bytes(n));
    term.complete(1);
    expect(acks).toEqual([]); // its first piece only
    term.complete(1);
    expect(acks).toEqual([[2, n]]);
    expect(timers.timers.size).toBe(0);
    // An echo's or a paced batch's few bytes wait for the idle ack, joined with what follows.
    flow.write(bytes(ACK_MESSAGE - 1));
    term.complete();
    flow.write(bytes(10));
    term.complete();
    expect(acks).toEqual([[2, n]]);
    timers.advance(15);
    expect(acks).toEqual([[2, n], [2, ACK_MESSAGE + 9]]);
  });

  it("acknowledges a small remainder once output goes idle", () => {
    const { term, timers, acks, flow } = setup({ idleMs: 15 });
    flow.setSession(3);
    flow.write(bytes(100));
    term.complete();
    expect(acks).toEqual([]);
    timers.advance(14);
    expect(acks).toEqual([]);
    timers.advance(1);
    expect(acks).toEqual([[3, 100]]);
    expect(flow.stats().pending).toBe(0);
  });

  it("an ACK_SIZE ack cancels the idle timer", () => {
    const { term, timers, acks, flow } = setup();
    flow.setSession(3);
    flow.write(bytes(100));
    term.complete();
    flow.write(bytes(ACK_SIZE));
    term.complete();
    expect(acks).toEqual([[3, ACK_SIZE + 100]]);
    expect(timers.timers.size).toBe(0);
    timers.advance(100);
    expect(acks.length).toBe(1);
  });

  it("holds acks until the session id is known", () => {
    const { term, acks, flow } = setup();
    flow.write(bytes(ACK_SIZE + 1));
    term.complete();
    expect(acks).toEqual([]);
    expect(flow.stats().pending).toBe(ACK_SIZE + 1);
    flow.setSession(9);
    expect(acks).toEqual([[9, ACK_SIZE + 1]]);
  });

  it("never acknowledges more than was written, and everything in the end", () => {
    const { term, timers, acks, flow } = setup();
    flow.setSession(1);
    let total = 0;
    for (let i = 0; i < 200; i++) {
      const n = 1 + ((i * 7919) % 9000);
      total += n;
      flow.write(bytes(n));
      if (i % 3 === 0) term.complete(2);
      const s = flow.stats();
      expect(s.acked).toBeLessThanOrEqual(s.written);
      expect(s.acked + s.pending).toBe(s.written);
      expect(s.written + s.inFlight).toBe(s.received);
    }
    term.complete();
    timers.advance(100);
    expect(acks.reduce((a, [, n]) => a + n, 0)).toBe(total);
    expect(flow.stats()).toMatchObject({ received: total, written: total, acked: total, pending: 0, inFlight: 0 });
    expect(flow.stats().maxInFlight).toBeGreaterThan(0);
  });

  it("ignores empty chunks and everything after dispose", () => {
    const { term, timers, acks, flow } = setup();
    flow.setSession(1);
    flow.write(bytes(0));
    expect(term.pending.length).toBe(0);
    flow.write(bytes(10));
    flow.dispose();
    term.complete();
    timers.advance(100);
    flow.write(bytes(10));
    expect(acks).toEqual([]);
    expect(term.pending.length).toBe(0);
    expect(flow.isDisposed).toBe(true);
  });
  it("hands a large message to xterm in pieces, in order, without copying", () => {
    const { term, timers, acks, flow } = setup();
    flow.setSession(1);
    // Before xterm's parse rate is known, pieces are the smallest.
    const n = 2 * WRITE_PIECE_MIN + 100;
    const msg = new Uint8Array(n).map((_, i) => i % 251);
    flow.write(msg);
    expect(term.pending.map((w) => w.data.length)).toEqual([WRITE_PIECE_MIN, WRITE_PIECE_MIN, 100]);
    expect(term.pending.every((w) => w.data.buffer === msg.buffer)).toBe(true);
    const joined = new Uint8Array(term.pending.flatMap((w) => [...w.data]));
    expect(joined).toEqual(msg);
    term.complete(1);
    expect(flow.stats().written).toBe(WRITE_PIECE_MIN);
    term.complete();
    expect(flow.stats().written).toBe(n);
    expect(flow.stats().inFlight).toBe(0);
    timers.advance(15);
    expect(acks.reduce((a, [, b]) => a + b, 0)).toBe(n);
  });

  it("cuts a message into what xterm parses in PIECE_MS at the rate it parsed the last pieces", () => {
    const { term, flow } = setup();
    flow.setSession(1);
    // Two pieces, each parsed in PIECE_MS / 2: the next pieces hold twice as much.
    flow.write(bytes(2 * WRITE_PIECE_MIN));
    term.complete(2, PIECE_MS / 2);
    expect(flow.pieceSize()).toBe(2 * WRITE_PIECE_MIN);
    const msg = new Uint8Array(5 * WRITE_PIECE_MIN + 100).map((_, i) => i % 251);
    flow.write(msg);
    const sizes = term.pending.map((w) => w.data.length);
    expect(sizes).toEqual([2 * WRITE_PIECE_MIN, 2 * WRITE_PIECE_MIN, WRITE_PIECE_MIN + 100]);
    expect(new Uint8Array(term.pending.flatMap((w) => [...w.data]))).toEqual(msg);
    term.complete();
    expect(flow.stats().written).toBe(7 * WRITE_PIECE_MIN + 100);
  });

  it("keeps pieces within WRITE_PIECE_MIN and WRITE_PIECE_MAX, and learns a new rate", () => {
    const { term, flow } = setup();
    flow.setSession(1);
    // Long lines parsed fast: a whole message of the engine's largest goes in one write.
    flow.write(bytes(WRITE_PIECE_MIN));
    term.complete(1, 0.1);
    expect(flow.pieceSize()).toBe(WRITE_PIECE_MAX);
    flow.write(bytes(WRITE_PIECE_MAX));
    expect(term.pending.map((w) => w.data.length)).toEqual([WRITE_PIECE_MAX]);
    // `yes` (each two-byte line scrolls): pieces parse slowly, and shrink to the smallest
    // within a few of them, never below it.
    term.complete(1, 100);
    for (let i = 0; i < 8; i++) {
      flow.write(bytes(WRITE_PIECE_MIN));
      term.complete(1, 20);
    }
    expect(flow.pieceSize()).toBe(WRITE_PIECE_MIN);
    flow.write(bytes(3 * WRITE_PIECE_MIN));
    expect(term.pending.map((w) => w.data.length)).toEqual([WRITE_PIECE_MIN, WRITE_PIECE_MIN, WRITE_PIECE_MIN]);
  });

  it("measures the rate on full pieces only, not on a message's short last piece or an echo", () => {
    const { term, flow } = setup();
    flow.setSession(1);
    flow.write(bytes(WRITE_PIECE_MIN));
    term.complete(1, PIECE_MS / 2);
    expect(flow.pieceSize()).toBe(2 * WRITE_PIECE_MIN);
    // A short last piece that took a whole clock step, and an echo (unmarked) that took long.
    flow.write(bytes(2 * WRITE_PIECE_MIN + 100));
    term.complete(1, PIECE_MS);
    term.complete(1, 1);
    flow.write(bytes(3));
    term.complete(1, 50);
    expect(flow.pieceSize()).toBe(2 * WRITE_PIECE_MIN);
  });

  it("closes what carries the output (a page socket) when it is disposed, once", () => {
    const { flow } = setup();
    let closed = 0;
    flow.closeWith(() => closed++);
    expect(closed).toBe(0);
    flow.dispose();
    expect(closed).toBe(1);
    flow.dispose();
    expect(closed).toBe(1);
    // Attached after the session ended (the socket opened late): closed at once.
    flow.closeWith(() => closed++);
    expect(closed).toBe(2);
  });
});
