import { describe, expect, it } from "vitest";
import { formatAge, humanDuration } from "./age";

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const Y = 365 * D;

describe("humanDuration (kubectl's AGE)", () => {
  it.each([
    [-5 * S, "<invalid>"],
    [-1 * S, "0s"],
    [0, "0s"],
    [999, "0s"],
    [45 * S, "45s"],
    [119 * S, "119s"],
    [2 * M, "2m"],
    [5 * M, "5m"],
    [5 * M + 30 * S, "5m30s"],
    [9 * M + 59 * S, "9m59s"],
    [10 * M + 30 * S, "10m"],
    [179 * M, "179m"],
    [3 * H, "3h"],
    [3 * H + 12 * M, "3h12m"],
    [7 * H + 59 * M, "7h59m"],
    [8 * H + 30 * M, "8h"],
    [47 * H, "47h"],
    [2 * D, "2d"],
    [3 * D + 4 * H, "3d4h"],
    [7 * D + 23 * H, "7d23h"],
    [8 * D + 5 * H, "8d"],
    [400 * D, "400d"],
    [2 * Y, "2y"],
    [3 * Y + 100 * D, "3y100d"],
    [9 * Y + 100 * D, "9y"],
  ])("%d ms → %s", (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });

  it("formats an RFC 3339 creation time against now", () => {
    const now = Date.parse("2025-01-10T12:00:00Z");
    expect(formatAge("2025-01-10T11:55:00Z", now)).toBe("5m");
    expect(formatAge("2025-01-10T08:48:00Z", now)).toBe("3h12m");
    expect(formatAge("2025-01-08T12:00:00Z", now)).toBe("2d");
    expect(formatAge("2025-01-10T12:00:01Z", now)).toBe("0s"); // a clock a second ahead
    expect(formatAge("not a time", now)).toBe("<unknown>");
  });
});
