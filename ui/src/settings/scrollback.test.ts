import { describe, expect, it } from "vitest";
import { BYTES_PER_SCROLLBACK_LINE, linesLabel, scrollbackChoices, scrollbackCost } from "./scrollback";

describe("scrollback cost", () => {
  it("is 2.5 KB a line, in MB per tab", () => {
    expect(BYTES_PER_SCROLLBACK_LINE).toBe(2_500);
    expect(scrollbackCost(10_000)).toBe("≈ 25 MB per tab");
    expect(scrollbackCost(50_000)).toBe("≈ 125 MB per tab");
    expect(scrollbackCost(5_000)).toBe("≈ 13 MB per tab");
    expect(scrollbackCost(1_000)).toBe("≈ 2.5 MB per tab");
    expect(scrollbackCost(100_000)).toBe("≈ 250 MB per tab");
    expect(scrollbackCost(100)).toBe("≈ 0.3 MB per tab");
    expect(scrollbackCost(0)).toBe("no scrollback");
  });

  it("labels lines and keeps a value of the file among the choices", () => {
    expect(linesLabel(10_000)).toBe("10,000 lines");
    expect(linesLabel(1)).toBe("1 line");
    expect(scrollbackChoices(10_000)).toEqual([1_000, 5_000, 10_000, 50_000]);
    expect(scrollbackChoices(20_000)).toEqual([1_000, 5_000, 10_000, 20_000, 50_000]);
  });
});
