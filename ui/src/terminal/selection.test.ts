import { describe, expect, it } from "vitest";
import { skipEmptySelectionRedraws } from "./selection";

type Position = [number, number] | undefined;

/** xterm.js as far as selection.ts sees it: its buffer's view, and its renderer, whose
 *  `handleSelectionChanged` (called by the selection service at each frame after a scroll or a
 *  selection, and by the renderer's own resize) redraws every row and the selection. */
class FakeTerminal {
  redraws: { start: Position; end: Position; self: unknown }[] = [];
  buffer = { active: { viewportY: 100, baseY: 100 } };
  _core = {
    _renderService: {
      _renderer: {
        value: {
          name: "renderer",
          handleSelectionChanged(this: unknown, start: Position, end: Position, _column: boolean) {
            fake.redraws.push({ start, end, self: this });
          },
        },
      },
    },
  };
  get renderer() {
    return this._core._renderService._renderer.value;
  }
  /** What xterm's selection service does at a frame: asks its renderer to redraw. */
  selectionFrame(start?: Position, end?: Position): void {
    this.renderer.handleSelectionChanged(start, end, false);
  }
  /** The view scrolled `n` lines back from the bottom (0: at the bottom). */
  scrolledBack(n: number): void {
    this.buffer.active.viewportY = this.buffer.active.baseY - n;
  }
}
let fake: FakeTerminal;

function setup() {
  fake = new FakeTerminal();
  const own = fake.renderer.handleSelectionChanged;
  const redraws = skipEmptySelectionRedraws(fake);
  return { term: fake, redraws, own };
}

describe("skipEmptySelectionRedraws", () => {
  it("skips the redraws a scrolling terminal asks for while nothing is selected", () => {
    const { term, redraws } = setup();
    expect(redraws.engaged).toBe(true);
    for (let i = 0; i < 5; i++) term.selectionFrame();
    expect(term.redraws).toEqual([]);
    expect(redraws.skipped).toBe(5);
  });

  it("draws a selection, redraws it while it is there, and clears it once", () => {
    const { term, redraws } = setup();
    term.selectionFrame([0, 3], [10, 3]);
    term.selectionFrame([0, 3], [10, 3]); // output scrolled: the selection moves with it
    term.selectionFrame(); // cleared: its elements must go
    term.selectionFrame(); // nothing drawn any more: skipped
    expect(term.redraws.map((r) => r.start)).toEqual([[0, 3], [0, 3], undefined]);
    expect(redraws.skipped).toBe(1);
    // xterm's method runs as its render service's own (its `this`).
    expect(term.redraws.every((r) => r.self === term.renderer)).toBe(true);
  });

  it("treats a selection with only one end as drawn", () => {
    const { term } = setup();
    term.selectionFrame([2, 1], undefined);
    term.selectionFrame();
    expect(term.redraws.map((r) => [r.start, r.end])).toEqual([
      [[2, 1], undefined],
      [undefined, undefined],
    ]);
  });

  it("redraws while the view is scrolled back, and once when it is back at the bottom", () => {
    // Scrolled back, lines can move under the view: the redraw is what draws them.
    const { term, redraws } = setup();
    term.selectionFrame();
    term.scrolledBack(30);
    term.selectionFrame();
    term.selectionFrame();
    // The scrollback erased (CSI 3 J) puts the view at the bottom: that frame redraws too.
    term.scrolledBack(0);
    term.selectionFrame();
    term.selectionFrame();
    expect(term.redraws.length).toBe(3);
    expect(redraws.skipped).toBe(2);
  });

  it("a resize's redraw of the selection it last drew counts as drawn: the next request clears it", () => {
    // xterm's renderer, on resize, redraws the selection it last drew (its own model, which an
    // empty request does not reset) through the same method.
    const { term } = setup();
    term.selectionFrame([0, 3], [10, 3]);
    term.selectionFrame(); // cleared
    term.selectionFrame([0, 3], [10, 3]); // the resize redraws the old one
    term.selectionFrame(); // the next scroll: must go through, or the old highlight stays
    expect(term.redraws.map((r) => r.start)).toEqual([[0, 3], undefined, [0, 3], undefined]);
  });

  it("puts xterm's own method back when disposed", () => {
    const { term, redraws, own } = setup();
    redraws.dispose();
    expect(term.renderer.handleSelectionChanged).toBe(own);
    term.selectionFrame();
    expect(term.redraws.length).toBe(1);
    expect(redraws.engaged).toBe(false);
  });

  it("is not engaged, and changes nothing, when xterm's render service is not found", () => {
    const buffer = { active: { viewportY: 0, baseY: 0 } };
    const redraws = skipEmptySelectionRedraws(Object.assign({ buffer }, { _core: { _renderService: { _renderer: {} } } }));
    expect(redraws.engaged).toBe(false);
    expect(skipEmptySelectionRedraws({ buffer }).engaged).toBe(false);
    redraws.dispose();
  });
});
