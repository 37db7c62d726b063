import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { asksBeforeClose, closeQuestion, setAsksBeforeClose } from "./confirm-close";
import { fakeStorage } from "./fake-dom";

describe("closing the window with live sessions", () => {
  beforeEach(() => fakeStorage());
  afterEach(() => vi.unstubAllGlobals());

  it("asks until told not to, and says how many sessions end", () => {
    expect(asksBeforeClose()).toBe(true);
    setAsksBeforeClose(false);
    expect(asksBeforeClose()).toBe(false);
    setAsksBeforeClose(true);
    expect(asksBeforeClose()).toBe(true);
    expect(closeQuestion(1)).toBe("1 tab has a live session. Closing the window ends it.");
    expect(closeQuestion(8)).toBe("8 tabs have live sessions. Closing the window ends them.");
    // A copy whose tab was closed runs on: closing cancels it, and the question says so.
    expect(closeQuestion(0, 1)).toBe("1 file copy is running. Closing the window cancels it.");
    expect(closeQuestion(2, 3)).toBe("2 tabs have live sessions and 3 file copies are running. Closing the window ends them.");
    // The tray's Quit: the same question, about quitting.
    expect(closeQuestion(1, 0, true)).toBe("1 tab has a live session. Quitting Podterm ends it.");
    expect(closeQuestion(0, 2, true)).toBe("2 file copies are running. Quitting Podterm cancels them.");
  });
});
