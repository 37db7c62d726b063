import { describe, expect, it } from "vitest";
import { decodeBase64Utf8, handleOsc52, MAX_CLIPBOARD_WRITE, preview, type Osc52Sink } from "./osc52";

/** A fake clipboard and notice line: what was written, what was said. */
function sink(fail = false) {
  const written: string[] = [];
  const notices: string[] = [];
  const s: Osc52Sink = {
    writeClipboard: (text) => {
      if (fail) return Promise.reject(new Error("no clipboard"));
      written.push(text);
      return Promise.resolve();
    },
    notice: (text) => notices.push(text),
  };
  return { s, written, notices };
}

const settle = () => new Promise((r) => setTimeout(r, 0));
const b64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

describe("OSC 52", () => {
  it("never answers a read: the clipboard is not touched and the user is told", async () => {
    const f = sink();
    for (const sel of ["c", "p", "s", ""]) {
      expect(handleOsc52(`${sel};?`, f.s)).toBe(true);
    }
    await settle();
    // The handler has no way to send anything back: its only outputs are the sink's two calls.
    expect(f.written).toEqual([]);
    expect(f.notices).toEqual(Array(4).fill("The pod asked to read your clipboard: refused"));
  });

  it("a write sets the clipboard and shows a notice with an escaped preview", async () => {
    const f = sink();
    handleOsc52(`c;${b64("echo hi\n\x1b]0;x\x07 ünï")}`, f.s);
    await settle();
    expect(f.written).toEqual(["echo hi\n\x1b]0;x\x07 ünï"]);
    expect(f.notices).toEqual(['The pod set your clipboard: "echo hi\\n\\x1b]0;x\\x07 ünï" (18 characters)']);
  });

  it("a long write is previewed cut; a too large, invalid or empty one changes nothing", async () => {
    expect(preview("x".repeat(100))).toBe(`"${"x".repeat(40)}…"`);
    expect(preview("a\u202eb")).toBe('"a\\u{202e}b"');
    const f = sink();
    handleOsc52(`c;${btoa("y".repeat(MAX_CLIPBOARD_WRITE + 1))}`, f.s);
    handleOsc52("c;not base64!", f.s);
    handleOsc52("c;", f.s);
    handleOsc52("no-semicolon", f.s);
    await settle();
    expect(f.written).toEqual([]);
    expect(f.notices).toEqual([
      `The pod tried to set your clipboard to ${MAX_CLIPBOARD_WRITE + 1} characters: refused (too large)`,
    ]);
    expect(decodeBase64Utf8(btoa("\xff\xfe"))).toBeNull(); // not UTF-8
  });

  it("says so when the clipboard cannot be written", async () => {
    const f = sink(true);
    handleOsc52(`c;${b64("x")}`, f.s);
    await settle();
    expect(f.notices).toEqual(["The pod tried to set your clipboard, but the clipboard is not available"]);
  });
});
