// A terminal's output as text: the scripts the app runs (src-tauri/output.rs) reach the handler
// registered under the channel's id, and the handler goes when the app says the output is over.
import { describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", () => {
  let next = 1;
  class Channel {
    readonly id = next++;
  }
  return { Channel };
});

// The page's global object (these tests run in Node).
vi.stubGlobal("window", globalThis);
const { textChannel, textHandlers } = await import("./text");

describe("textChannel", () => {
  it("hands each script's text and bytes to its own handler, until the output is over", () => {
    const a: [string, number][] = [];
    const b: [string, number][] = [];
    const before = textHandlers();
    const ca = textChannel((t, n) => void a.push([t, n]));
    const cb = textChannel((t, n) => void b.push([t, n]));
    expect(textHandlers()).toBe(before + 2);
    const receive = window.__podtermText!;
    receive((cb as unknown as { id: number }).id, "to b", 4);
    receive((ca as unknown as { id: number }).id, "€", 3);
    expect(a).toEqual([["€", 3]]);
    expect(b).toEqual([["to b", 4]]);
    // The end: the handler is released, and anything late for it goes nowhere.
    receive((ca as unknown as { id: number }).id, null, 0);
    expect(textHandlers()).toBe(before + 1);
    receive((ca as unknown as { id: number }).id, "late", 4);
    expect(a).toEqual([["€", 3]]);
  });
});
