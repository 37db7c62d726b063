// No redraw of every row for a selection that is not there (issue 13).
//
// After every scroll (each line of output once the screen is full) xterm.js's selection service
// asks, at the next animation frame, for the selection to be redrawn. With the DOM renderer that
// redraw clears the selection's elements and renders every row again, even when nothing is
// selected. Two costs follow:
// - a visible tab in a flood renders each row twice a frame: once for the output, once for this;
// - a hidden tab, which xterm pauses (its IntersectionObserver: nothing drawn while it is not on
//   the screen), still renders every row each frame its output scrolls, because this path does
//   not look at the pause. Its garbage (row elements, strings) is what the web process frees only
//   at its collections: docs/architecture.md, "Memory over long sessions".
//
// So a request to draw "no selection" when none is drawn is skipped: the previous one already
// cleared it, and the rows the output changed are drawn by xterm's own refresh of them. A request
// with a selection, and the first one after it (which clears it), go through as before.
//
// xterm.js has no public hook here, so this wraps its render service's `handleSelectionChanged`
// by name. If a release renames it, `skipEmptySelectionRedraws` says so (`engaged` false) and
// xterm redraws as it does alone; the app's tests check it is engaged.

/** xterm's selection as its selection service reports it: a buffer position (column, row), or
 *  nothing. */
type Position = [number, number] | undefined;

type Handler = (start: Position, end: Position, columnSelectMode: boolean) => void;

/** The part of xterm.js's private render service that is used. */
interface RenderService {
  handleSelectionChanged: Handler;
}

/** xterm's Terminal (a fake in the tests): only its private `_core` is read. */
export type SelectableTerminal = object;

export interface SelectionRedraws {
  /** False when xterm.js's render service was not found: it then redraws as xterm.js alone does. */
  readonly engaged: boolean;
  /** Redraws of an empty selection skipped so far (each one a render of every row). */
  readonly skipped: number;
  /** Puts xterm's own method back. */
  dispose(): void;
}

function renderServiceOf(term: SelectableTerminal): RenderService | null {
  const core = (term as { _core?: { _renderService?: Partial<RenderService> } })._core;
  const service = core?._renderService;
  return service && typeof service.handleSelectionChanged === "function" ? (service as RenderService) : null;
}

/** Skips `term`'s redraws of an empty selection while none is drawn (above). Call after
 *  `term.open`, when xterm.js has its render service. */
export function skipEmptySelectionRedraws(term: SelectableTerminal): SelectionRedraws {
  const service = renderServiceOf(term);
  if (!service) return { engaged: false, skipped: 0, dispose() {} };
  const own = service.handleSelectionChanged;
  // xterm starts with no selection drawn.
  let drawn = false;
  let skipped = 0;
  let engaged = true;
  const wrapped: Handler = function (this: unknown, start, end, columnSelectMode) {
    const empty = start === undefined && end === undefined;
    if (engaged && empty && !drawn) {
      skipped++;
      return;
    }
    drawn = !empty;
    own.call(this, start, end, columnSelectMode);
  };
  service.handleSelectionChanged = wrapped;
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
      if (service.handleSelectionChanged === wrapped) service.handleSelectionChanged = own;
    },
  };
}
