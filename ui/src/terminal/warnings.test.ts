import { describe, expect, it } from "vitest";
import { warningLine } from "./warnings";

describe("warningLine", () => {
  it("is kubectl's line on a terminal, its line breaks the terminal's, nothing a terminal would obey", () => {
    expect(warningLine('would violate PodSecurity "baseline:latest": privileged')).toBe(
      '\x1b[33;1mWarning:\x1b[0m would violate PodSecurity "baseline:latest": privileged\r\n',
    );
    expect(warningLine("one\ntwo")).toBe("\x1b[33;1mWarning:\x1b[0m one\r\ntwo\r\n");
    // The engine escapes control characters; should one slip through it is dropped.
    expect(warningLine("a\x1b]0;x\x07b")).toBe("\x1b[33;1mWarning:\x1b[0m a]0;xb\r\n");
  });
});
