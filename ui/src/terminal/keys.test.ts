import { describe, expect, it } from "vitest";
import { appKey, type KeyLike } from "./keys";

function key(k: Partial<KeyLike>): KeyLike {
  return { type: "keydown", key: "", code: "", ctrlKey: false, shiftKey: false, altKey: false, metaKey: false, ...k };
}

describe("the app's keys", () => {
  it("Ctrl+Tab / Ctrl+Shift+Tab and Ctrl+PgDn / Ctrl+PgUp switch tabs", () => {
    expect(appKey(key({ key: "Tab", code: "Tab", ctrlKey: true }))).toEqual({ kind: "next" });
    expect(appKey(key({ key: "Tab", code: "Tab", ctrlKey: true, shiftKey: true }))).toEqual({ kind: "previous" });
    // As WebKitGTK sends Ctrl+Shift+Tab (the real app's WebDriver suite saw it).
    expect(appKey(key({ key: "Unidentified", code: "Tab", ctrlKey: true, shiftKey: true }))).toEqual({ kind: "previous" });
    expect(appKey(key({ key: "PageDown", code: "PageDown", ctrlKey: true }))).toEqual({ kind: "next" });
    expect(appKey(key({ key: "PageUp", code: "PageUp", ctrlKey: true }))).toEqual({ kind: "previous" });
  });

  it("Ctrl+Shift+W closes, Ctrl+Shift+T reopens the last closed (by key position, any layout)", () => {
    expect(appKey(key({ key: "W", code: "KeyW", ctrlKey: true, shiftKey: true }))).toEqual({ kind: "close" });
    expect(appKey(key({ key: "T", code: "KeyT", ctrlKey: true, shiftKey: true }))).toEqual({ kind: "reopenClosed" });
  });

  it("Ctrl+Shift+L opens or closes the pod's log beside the terminal; plain Ctrl+L stays the shell's", () => {
    expect(appKey(key({ key: "L", code: "KeyL", ctrlKey: true, shiftKey: true }))).toEqual({ kind: "logsSplit" });
    expect(appKey(key({ key: "L", code: "KeyL", ctrlKey: true, shiftKey: true, inTerminal: true }))).toEqual({ kind: "logsSplit" });
    expect(appKey(key({ key: "l", code: "KeyL", ctrlKey: true, inTerminal: true }))).toBeNull();
  });

  it("Alt+1…9 select a tab (by key position); Ctrl+Shift+PgUp/PgDn move the active one", () => {
    expect(appKey(key({ key: "1", code: "Digit1", altKey: true }))).toEqual({ kind: "select", n: 1 });
    expect(appKey(key({ key: "&", code: "Digit1", altKey: true }))).toEqual({ kind: "select", n: 1 });
    expect(appKey(key({ key: "9", code: "Digit9", altKey: true }))).toEqual({ kind: "select", n: 9 });
    expect(appKey(key({ key: "PageUp", code: "PageUp", ctrlKey: true, shiftKey: true }))).toEqual({ kind: "move", delta: -1 });
    expect(appKey(key({ key: "PageDown", code: "PageDown", ctrlKey: true, shiftKey: true }))).toEqual({ kind: "move", delta: 1 });
  });

  it("leaves the shell its keys: Tab, Ctrl+W, Ctrl+T, PgDn, Shift+PgUp, Alt+0, Alt+letters, key-up events", () => {
    expect(appKey(key({ key: "Tab", code: "Tab" }))).toBeNull();
    expect(appKey(key({ key: "w", code: "KeyW", ctrlKey: true }))).toBeNull();
    expect(appKey(key({ key: "t", code: "KeyT", ctrlKey: true }))).toBeNull();
    expect(appKey(key({ key: "PageDown", code: "PageDown" }))).toBeNull();
    expect(appKey(key({ key: "PageUp", code: "PageUp", shiftKey: true }))).toBeNull();
    expect(appKey(key({ key: "0", code: "Digit0", altKey: true }))).toBeNull();
    expect(appKey(key({ key: "b", code: "KeyB", altKey: true }))).toBeNull();
    expect(appKey(key({ key: "1", code: "Digit1", altKey: true, ctrlKey: true }))).toBeNull();
    expect(appKey(key({ key: "!", code: "Digit1", altKey: true, shiftKey: true }))).toBeNull();
    expect(appKey(key({ key: "Tab", code: "Tab", ctrlKey: true, altKey: true }))).toBeNull();
    expect(appKey(key({ type: "keyup", key: "Tab", code: "Tab", ctrlKey: true }))).toBeNull();
    // Ctrl+Shift+C / V / F stay the terminal's copy, paste, find.
    expect(appKey(key({ key: "C", code: "KeyC", ctrlKey: true, shiftKey: true }))).toBeNull();
  });

  it("quick open: Ctrl+K outside a terminal, Ctrl+Shift+K anywhere; plain Ctrl+K in a terminal is the shell's", () => {
    expect(appKey(key({ key: "k", code: "KeyK", ctrlKey: true }))).toEqual({ kind: "quickOpen" });
    expect(appKey(key({ key: "K", code: "KeyK", ctrlKey: true, shiftKey: true, inTerminal: true }))).toEqual({ kind: "quickOpen" });
    expect(appKey(key({ key: "k", code: "KeyK", ctrlKey: true, inTerminal: true }))).toBeNull();
    expect(appKey(key({ key: "k", code: "KeyK", altKey: true }))).toBeNull();
  });
});
