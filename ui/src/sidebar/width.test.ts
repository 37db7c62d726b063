import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clampSidebarWidth, DEFAULT_SIDEBAR_WIDTH, loadSidebarWidth, MIN_SIDEBAR_WIDTH, saveSidebarWidth } from "./width";

describe("the sidebar's width", () => {
  beforeEach(() => {
    const items = new Map<string, string>();
    vi.stubGlobal("localStorage", {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => void items.set(k, v),
      clear: () => items.clear(),
    });
  });
  afterEach(() => vi.unstubAllGlobals());

  it("is kept between a minimum and what leaves the terminal room", () => {
    expect(clampSidebarWidth(100, 1280)).toBe(MIN_SIDEBAR_WIDTH);
    expect(clampSidebarWidth(400.4, 1280)).toBe(400);
    expect(clampSidebarWidth(2000, 1280)).toBe(720);
    expect(clampSidebarWidth(600, 800)).toBe(480);
    expect(clampSidebarWidth(NaN, 1280)).toBe(DEFAULT_SIDEBAR_WIDTH);
  });

  it("is remembered, and a bad saved value gives the default", () => {
    expect(loadSidebarWidth(1280)).toBe(DEFAULT_SIDEBAR_WIDTH);
    saveSidebarWidth(444);
    expect(loadSidebarWidth(1280)).toBe(444);
    expect(loadSidebarWidth(700)).toBe(380);
    localStorage.setItem("podterm.sidebarWidth", "wide");
    expect(loadSidebarWidth(1280)).toBe(DEFAULT_SIDEBAR_WIDTH);
  });
});
