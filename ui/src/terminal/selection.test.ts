import { describe, expect, it } from "vitest";
import { skipEmptySelectionRedraws } from "./selection";

type Position = [number, number] | undefined;

/** xterm.js as far as selection.ts sees it: its render service, whose `handleSelectionChanged`
 *  (called by the selection service at each frame after a scroll or a selection) redraws every
 *  row and the selection. */
class FakeTerminal {
  redraws: { start: Position; end: Position; self: unknown }[] = [];
  _core = {
    _renderService: {
      name: "render service",
      handleSelectionChanged(this: unknown, start: Position, end: Position, _column: boolean) {
        fake.redraws.push({ start, end, self: this });
      },
    },
  };
  /** What xterm's selection service does at a frame: asks its render service to redraw. */
  selectionFrame(start?: Position, end?: Position): void {
    this._core._renderService.handleSelectionChanged(start, end, false);
  }
}
let fake: FakeTerminal;

function setup() {
  fake = new FakeTerminal();
  const own = fake._core._renderService.handleSelectionChanged;
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
    expect(term.redraws.every((r) => r.self === term._core._renderService)).toBe(true);
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

  it("puts xterm's own method back when disposed", () => {
    const { term, redraws, own } = setup();
    redraws.dispose();
    expect(term._core._renderService.handleSelectionChanged).toBe(own);
    term.selectionFrame();
    expect(term.redraws.length).toBe(1);
    expect(redraws.engaged).toBe(false);
  });

  it("is not engaged, and changes nothing, when xterm's render service is not found", () => {
    const redraws = skipEmptySelectionRedraws({ _core: { _renderService: {} } });
    expect(redraws.engaged).toBe(false);
    expect(skipEmptySelectionRedraws({}).engaged).toBe(false);
    redraws.dispose();
  });
});
