import { describe, expect, it } from "vitest";
import { SPLIT_DEFAULT, SPLIT_MAX, SPLIT_MIN, splitShare } from "./split";

describe("the log beside a terminal", () => {
  it("takes the share of the pane right of the divider, kept within its bounds", () => {
    // A pane from x=200, 1000 px wide: the divider at 700 leaves the log half of it.
    expect(splitShare(200, 1000, 700)).toBeCloseTo(0.5);
    expect(splitShare(200, 1000, 900)).toBeCloseTo(0.3);
    expect(splitShare(200, 1000, 1190)).toBe(SPLIT_MIN);
    expect(splitShare(200, 1000, 210)).toBe(SPLIT_MAX);
    expect(splitShare(200, 1000, -50)).toBe(SPLIT_MAX);
    // A pane not laid out (0 wide): the default share.
    expect(splitShare(0, 0, 10)).toBe(SPLIT_DEFAULT);
  });
});
