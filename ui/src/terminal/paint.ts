// An idle terminal's output drawn at once, not at the next animation frame (issue 13).
//
// xterm.js draws what it parsed in a requestAnimationFrame callback, and WebKitGTK runs those on
// its frame clock, every ~16.7 ms; a DOM change made outside one it paints at once. In the app's
// window (Xvfb, read back from the X screen) a style change made at a random moment was on the
// screen 2.4 ms later (p50; 4.8 p99), the same change made in an animation frame 8–10 ms later
// (p50; 19–21 p99). So when output that changes a line or two arrives at a quiet terminal (a
// keystroke's echo, a prompt on a screen not yet full), the draw xterm queued for the next frame
// is run as soon as the output is parsed: the echo reaches the screen about a frame sooner. A
// terminal being written to, and output that scrolls, keep the frame clock, as before.
//
// xterm.js has no public way to draw now (`refresh` waits for the frame too), so this reaches its
// render debouncer by name. If a release renames it, `paintAtOnce` says so (`engaged` false) and
// the terminal draws at the next frame, as before; the app's tests check it is engaged.
// docs/architecture.md, "An idle tab's echo".

/** The frame clock's interval: output parsed less than this long after the previous output is
 *  left to the next frame (the terminal is being written to: drawing each parse at once would
 *  draw it more often than the frame clock does). A draw the frame clock made just before (a
 *  cursor's style changed by the key itself) does not hold the echo back. */
export const FRAME_MS = 16;

/** The most rows a draw made at once may span: a key's echo changes its line (and the next, when
 *  it wraps). Output that scrolls the screen redraws every row: it keeps the frame clock, so a
 *  flood that arrives in bursts a frame apart is not drawn (and painted by WebKit) once more per
 *  burst. In a drawn flood, drawing each burst at once cost 10–20% of its rate. */
export const AT_ONCE_ROWS = 2;

/** The part of xterm.js's private render debouncer that is used: the frame it asked for, and the
 *  draw that frame would run. */
interface RenderDebouncer {
  _animationFrame: number | undefined;
  _rowStart: number | undefined;
  _rowEnd: number | undefined;
  _innerRefresh(): void;
}

interface Disposable {
  dispose(): void;
}

/** What is used of xterm's Terminal (a fake in the tests). */
export interface PaintableTerminal {
  onWriteParsed(listener: () => void): Disposable;
  /** Asks for rows to be drawn at the next frame (xterm's public `refresh`). */
  refresh?(start: number, end: number): void;
}

export interface PaintOptions {
  now?: () => number;
  cancelFrame?: (id: number) => void;
}

export interface Painter extends Disposable {
  /** False when xterm.js's internals were not found, or failed once: the terminal then draws at
   *  the next frame, as xterm.js alone does. */
  readonly engaged: boolean;
  /** Draws run at once so far (each one a frame sooner than the frame clock would have). */
  readonly drawnAtOnce: number;
  /** Whether the last output parsed came to a quiet terminal (none for a frame before it): what
   *  decided whether it could be drawn at once, as the painter saw it. */
  readonly lastQuiet: boolean;
}

function debouncerOf(term: PaintableTerminal): RenderDebouncer | null {
  const d = (term as unknown as { _core?: { _renderService?: { _renderDebouncer?: unknown } } })._core?._renderService
    ?._renderDebouncer as Partial<RenderDebouncer> | undefined;
  // Its other fields are only set once a draw is asked for: read (and checked) when used.
  return d && typeof d._innerRefresh === "function" ? (d as RenderDebouncer) : null;
}

/** Draws `term`'s output at once when it arrives at a quiet terminal (above). Call after
 *  `term.open`, when xterm.js has its renderer. */
export function paintAtOnce(term: PaintableTerminal, opts: PaintOptions = {}): Painter {
  const now = opts.now ?? (() => performance.now());
  const cancelFrame = opts.cancelFrame ?? ((id: number) => cancelAnimationFrame(id));
  const debouncer = debouncerOf(term);
  if (!debouncer) return { engaged: false, drawnAtOnce: 0, lastQuiet: false, dispose() {} };
  let lastParsed = -Infinity;
  let drawnAtOnce = 0;
  let engaged = true;
  let lastQuiet = false;
  const parsed = term.onWriteParsed(() => {
    const t = now();
    const quiet = t - lastParsed >= FRAME_MS;
    lastParsed = t;
    lastQuiet = quiet;
    const frame = debouncer._animationFrame;
    if (!engaged || !quiet || typeof frame !== "number") return;
    const start = debouncer._rowStart;
    const end = debouncer._rowEnd;
    if (typeof start !== "number" || typeof end !== "number" || end - start + 1 > AT_ONCE_ROWS) return;
    try {
      cancelFrame(frame);
      debouncer._innerRefresh();
      drawnAtOnce++;
    } catch {
      // xterm.js's internals are not what this expects: never again, and the frame it asked
      // for is asked for again, so what was parsed is still drawn (this runs inside xterm's
      // write loop, which must not see the error).
      engaged = false;
      parsed.dispose();
      if (debouncer._animationFrame === undefined) term.refresh?.(0, Number.MAX_SAFE_INTEGER);
    }
  });
  return {
    get engaged() {
      return engaged;
    },
    get drawnAtOnce() {
      return drawnAtOnce;
    },
    get lastQuiet() {
      return lastQuiet;
    },
    dispose() {
      engaged = false;
      parsed.dispose();
    },
  };
}
