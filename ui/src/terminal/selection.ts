// No redraw of every row for a selection that is not there (issue 13).
//
// After every scroll (each line of output once the screen is full) xterm.js's selection service
// asks, at the next animation frame, for the selection to be redrawn. Its DOM renderer then
// clears the selection's elements and renders every row again, even when nothing is selected.
// Two costs follow:
// - a visible tab in a flood renders each row twice a frame: once for the output, once for this;
// - a hidden tab, which xterm pauses (its IntersectionObserver: nothing drawn while it is not on
//   the screen), still renders every row each frame its output scrolls, because this path does
//   not look at the pause. Its garbage (row elements, strings) is what the web process frees only
//   at its collections: docs/architecture.md, "Memory over long sessions".
//
// So a request to draw "no selection" is skipped when none is drawn and the view follows the
// output (at the bottom, now and at the request before): the rows the output changed are then
// drawn by xterm's own refresh of them, which respects the pause. Everything else goes through
// as before:
// - a selection, and the first request after it (which clears it);
// - any request while the view is scrolled back, or just after it was: lines can move under
//   such a view, and the redraw is what draws them (the scrollback erased, `CSI 3 J`, moves a
//   scrolled-back view to the bottom and asks for no other redraw: without this rule the app's
//   test saw the old lines stay on the screen).
//
// xterm.js has no public hook here, so this wraps its renderer's `handleSelectionChanged` by
// name: the renderer's own method, which its resize also calls, with the selection it last drew
// even when that was cleared since (a request that only went through xterm's render service
// left that highlight on the screen after a resize until the next selection). If a release
// renames it, `skipEmptySelectionRedraws` says so (`engaged` false) and xterm redraws as it does
// alone; the app's tests check it is engaged.

/** xterm's selection as its selection service reports it: a buffer position (column, row), or
 *  nothing. */
type Position = [number, number] | undefined;

type Handler = (start: Position, end: Position, columnSelectMode: boolean) => void;

/** The part of xterm.js's private renderer that is used. */
interface Renderer {
  handleSelectionChanged: Handler;
}

/** xterm's Terminal (a fake in the tests): its public buffer, and its private `_core`. */
export interface SelectableTerminal {
  readonly buffer: { readonly active: { readonly viewportY: number; readonly baseY: number } };
}

export interface SelectionRedraws {
  /** False when xterm.js's renderer was not found: it then redraws as xterm.js alone does. */
  readonly engaged: boolean;
  /** Redraws of an empty selection skipped so far (each one a render of every row). */
  readonly skipped: number;
  /** Puts xterm's own method back. */
  dispose(): void;
}

function rendererOf(term: SelectableTerminal): Renderer | null {
  const core = (term as { _core?: { _renderService?: { _renderer?: { value?: Partial<Renderer> } } } })._core;
  const renderer = core?._renderService?._renderer?.value;
  return renderer && typeof renderer.handleSelectionChanged === "function" ? (renderer as Renderer) : null;
}

/** Skips `term`'s redraws of an empty selection while none is drawn and its view follows the
 *  output (above). Call after `term.open`, when xterm.js has its renderer. */
export function skipEmptySelectionRedraws(term: SelectableTerminal): SelectionRedraws {
  const renderer = rendererOf(term);
  if (!renderer) return { engaged: false, skipped: 0, dispose() {} };
  const own = renderer.handleSelectionChanged;
  const atBottom = () => {
    const b = term.buffer.active;
    return b.viewportY === b.baseY;
  };
  // xterm starts with no selection drawn, its view at the bottom.
  let drawn = false;
  let wasAtBottom = true;
  let skipped = 0;
  let engaged = true;
  const wrapped: Handler = function (this: unknown, start, end, columnSelectMode) {
    const empty = start === undefined && end === undefined;
    const bottom = atBottom();
    const follows = bottom && wasAtBottom;
    wasAtBottom = bottom;
    if (engaged && empty && !drawn && follows) {
      skipped++;
      return;
    }
    drawn = !empty;
    own.call(this, start, end, columnSelectMode);
  };
  renderer.handleSelectionChanged = wrapped;
  return {
    get engaged() {
      return engaged;
    },
    get skipped() {
      return skipped;
    },
    dispose() {
      engaged = false;
      // Only if nothing replaced it since (another wrapper keeps its own, which forwards here).
      if (renderer.handleSelectionChanged === wrapped) renderer.handleSelectionChanged = own;
    },
  };
}
