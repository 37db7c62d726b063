import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { foldedCount, foldedParts, loadFolded, saveFolded } from "./fold";

describe("the sidebar's folded sections", () => {
  beforeEach(() => {
    const items = new Map<string, string>();
    vi.stubGlobal("localStorage", {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => void items.set(k, v),
    });
  });
  afterEach(() => vi.unstubAllGlobals());

  it("are remembered one by one, and unfolded again", () => {
    expect([...loadFolded()]).toEqual([]);
    saveFolded("clusters", true);
    saveFolded("forwards", true);
    expect([...loadFolded()].sort()).toEqual(["clusters", "forwards"]);
    saveFolded("clusters", false);
    expect([...loadFolded()]).toEqual(["forwards"]);
  });

  it("read as none from something unreadable", () => {
    localStorage.setItem("podterm.sidebarFolded", "{not json");
    expect(loadFolded().size).toBe(0);
    localStorage.setItem("podterm.sidebarFolded", '{"clusters":true}');
    expect(loadFolded().size).toBe(0);
    localStorage.setItem("podterm.sidebarFolded", '["clusters", 3, null]');
    expect([...loadFolded()]).toEqual(["clusters"]);
  });

  it("say how many rows they hide, and how many need a look, only while folded", () => {
    expect(foldedCount(false, 3)).toBe("");
    expect(foldedCount(true, 0)).toBe("");
    expect(foldedCount(true, 3)).toBe(" · 3");
    expect(foldedCount(true, 2, "1 stopped")).toBe(" · 2, 1 stopped");
    expect(foldedCount(true, 3, "", "2 starting")).toBe(" · 3, 2 starting");
    expect(foldedCount(true, 3, "1 stopped", "2 starting")).toBe(" · 3, 1 stopped, 2 starting");
    expect(foldedCount(false, 3, "1 stopped", "2 starting")).toBe("");
    // Only the stopped part needs a look.
    expect(foldedParts(true, 3, "1 stopped", "2 starting")).toEqual([
      { before: " · ", text: "3", attention: false },
      { before: ", ", text: "1 stopped", attention: true },
      { before: ", ", text: "2 starting", attention: false },
    ]);
    expect(foldedParts(true, 3, "", "2 starting").map((p) => p.attention)).toEqual([false, false]);
  });
});
