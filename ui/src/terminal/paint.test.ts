import { describe, expect, it } from "vitest";
import { FRAME_MS, paintAtOnce, type PaintableTerminal } from "./paint";

/** xterm.js as far as paint.ts sees it: its onWriteParsed event, and its render debouncer, which asks for a
 *  frame when output is parsed and draws in that frame (or when told to draw now). */
class FakeTerminal implements PaintableTerminal {
  private parsedListeners: (() => void)[] = [];
  frames = new Set<number>();
  private nextFrame = 1;
  draws = 0;
  cancelled: number[] = [];
  _core = {
    _renderService: {
      _renderDebouncer: {
        _animationFrame: undefined as number | undefined,
        _rowStart: undefined as number | undefined,
        _rowEnd: undefined as number | undefined,
        _innerRefresh: () => {
          const d = this._core._renderService._renderDebouncer;
          if (d._animationFrame !== undefined) this.frames.delete(d._animationFrame);
          d._animationFrame = undefined;
          d._rowStart = d._rowEnd = undefined;
          this.draws++;
        },
      },
    },
  };
  onWriteParsed(l: () => void) {
    this.parsedListeners.push(l);
    return { dispose: () => (this.parsedListeners = this.parsedListeners.filter((x) => x !== l)) };
  }
  /** Output parsed that changed rows `from`..`to` (the cursor's line by default): a frame is
   *  asked for (once) to draw them with any not drawn yet, then onWriteParsed fires. */
  parse(from = 5, to = from): void {
    const d = this._core._renderService._renderDebouncer;
    d._rowStart = Math.min(d._rowStart ?? from, from);
    d._rowEnd = Math.max(d._rowEnd ?? to, to);
    if (d._animationFrame === undefined) {
      d._animationFrame = this.nextFrame++;
      this.frames.add(d._animationFrame);
    }
    for (const l of this.parsedListeners) l();
  }
  /** The frame clock ticks: the frame asked for draws. */
  tick(): void {
    const d = this._core._renderService._renderDebouncer;
    if (d._animationFrame !== undefined) d._innerRefresh();
  }
}

function setup() {
  const clock = { now: 1000 };
  const term = new FakeTerminal();
  const painter = paintAtOnce(term, {
    now: () => clock.now,
    cancelFrame: (id) => {
      term.cancelled.push(id);
      term.frames.delete(id);
    },
  });
  return { clock, term, painter };
}

describe("paintAtOnce", () => {
  it("draws output that reaches a quiet terminal at once, and cancels the frame it asked for", () => {
    const { term, painter } = setup();
    expect(painter.engaged).toBe(true);
    term.parse();
    expect(term.draws).toBe(1);
    expect(term.cancelled).toEqual([1]);
    expect(term.frames.size).toBe(0);
    expect(painter.drawnAtOnce).toBe(1);
  });

  it("leaves output that follows other output within a frame to the frame clock", () => {
    const { clock, term, painter } = setup();
    term.parse(); // quiet before: drawn at once
    expect(painter.lastQuiet).toBe(true);
    clock.now += FRAME_MS - 1;
    term.parse(); // a frame has not passed since: waits for the frame
    expect(painter.lastQuiet).toBe(false);
    expect(term.draws).toBe(1);
    expect(term.frames.size).toBe(1);
    term.tick();
    expect(term.draws).toBe(2);
    expect(painter.drawnAtOnce).toBe(1);
  });

  it("keeps a flood on the frame clock: never more than one draw a frame", () => {
    const { clock, term, painter } = setup();
    // A parse slice every 5 ms for a second, the frame clock ticking every 16.7 ms.
    let nextTick = clock.now + 16.7;
    for (let t = 0; t < 1000; t += 5) {
      clock.now += 5;
      if (clock.now >= nextTick) {
        term.tick();
        nextTick += 16.7;
      }
      term.parse();
    }
    // The first output came to a quiet terminal; everything after it kept the frame clock.
    expect(painter.drawnAtOnce).toBe(1);
    expect(term.draws).toBeLessThanOrEqual(1 + Math.ceil(1000 / 16.7));
  });

  it("draws at once again once no output has come for a frame, whatever the frame clock drew since", () => {
    const { clock, term, painter } = setup();
    term.parse();
    clock.now += 5;
    term.parse(); // within the frame: left to the clock
    clock.now += 3;
    term.tick(); // drawn by the frame at 1008
    clock.now += FRAME_MS - 3; // 16 ms after the last output, 13 after that frame's draw
    term.parse();
    expect(painter.drawnAtOnce).toBe(2);
    expect(term.frames.size).toBe(0);
  });

  it("leaves output that scrolls (every row redrawn) to the frame clock, even in a quiet terminal", () => {
    const { clock, term, painter } = setup();
    term.parse(0, 45); // a screen's worth: a flood's burst, or a command's output scrolling
    expect(term.draws).toBe(0);
    expect(term.frames.size).toBe(1);
    term.tick();
    clock.now += FRAME_MS;
    term.parse(44, 45); // a line that wraps: still drawn at once
    expect(painter.drawnAtOnce).toBe(1);
    clock.now += FRAME_MS;
    term.parse(40, 45); // six rows
    expect(painter.drawnAtOnce).toBe(1);
  });

  it("does nothing when no frame is asked for (a hidden tab's renderer is paused)", () => {
    const { term, painter } = setup();
    for (const l of (term as unknown as { parsedListeners: (() => void)[] }).parsedListeners) l();
    expect(term.draws).toBe(0);
    expect(painter.drawnAtOnce).toBe(0);
  });

  it("stops when disposed", () => {
    const { term, painter } = setup();
    painter.dispose();
    term.parse();
    expect(term.draws).toBe(0);
    expect(term.frames.size).toBe(1);
  });

  it("stops for good, without throwing into xterm's write loop, when a draw fails; the rows are asked for again", () => {
    const { term, painter } = setup();
    const refreshed: number[][] = [];
    (term as unknown as { refresh(a: number, b: number): void }).refresh = (a, b) => refreshed.push([a, b]);
    const d = term._core._renderService._renderDebouncer;
    d._innerRefresh = () => {
      d._animationFrame = undefined;
      throw new Error("renamed inside");
    };
    expect(() => term.parse()).not.toThrow();
    expect(painter.engaged).toBe(false);
    expect(refreshed).toEqual([[0, Number.MAX_SAFE_INTEGER]]);
    term.parse(); // no longer tried
    expect(painter.drawnAtOnce).toBe(0);
    expect(refreshed.length).toBe(1);
  });

  it("says it is not engaged, and changes nothing, when xterm.js's internals are not found", () => {
    const term = new FakeTerminal();
    // A release that renamed the draw: the debouncer is there, its method is not.
    (term._core._renderService as { _renderDebouncer: unknown })._renderDebouncer = { _animationFrame: undefined };
    const painter = paintAtOnce(term, { now: () => 0, cancelFrame: () => {} });
    expect(painter.engaged).toBe(false);
    term.parse();
    expect(term.draws).toBe(0);
    expect(term.frames.size).toBe(1);
  });
});
