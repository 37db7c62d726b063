import { afterEach, describe, expect, it, vi } from "vitest";
import { removeKeepingFocus } from "./dom";

/** An element holding `inside` (what `contains` answers for), removed once. */
function fakeBar(inside: object[]) {
  const bar = { removed: false, contains: (n: unknown) => inside.includes(n as object), remove: () => void (bar.removed = true) };
  return bar;
}

describe("removeKeepingFocus", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("a closed bar that had the focus gives it back; one that had not leaves it", () => {
    const body = {};
    const field = {};
    const elsewhere = {};
    const doc = { activeElement: field as object | null, body };
    vi.stubGlobal("document", doc);
    const refocused: string[] = [];

    const bar = fakeBar([field]);
    removeKeepingFocus(bar as unknown as Element, () => refocused.push("terminal"));
    expect(bar.removed).toBe(true);
    expect(refocused).toEqual(["terminal"]);

    // The focus is elsewhere (the sidebar's filter, another dialog): it stays there.
    doc.activeElement = elsewhere;
    removeKeepingFocus(fakeBar([field]) as unknown as Element, () => refocused.push("elsewhere"), true);
    expect(refocused).toEqual(["terminal"]);

    // On the body (the bar's Upload was clicked and disabled): back only where asked.
    doc.activeElement = body;
    removeKeepingFocus(fakeBar([field]) as unknown as Element, () => refocused.push("not asked"));
    removeKeepingFocus(fakeBar([field]) as unknown as Element, () => refocused.push("from the body"), true);
    expect(refocused).toEqual(["terminal", "from the body"]);
  });
});
