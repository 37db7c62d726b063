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

describe("the pane keys", () => {
  it("Ctrl+Shift+D / E split right / down, Ctrl+Shift+B broadcasts, anywhere", () => {
    expect(appKey(key({ key: "D", code: "KeyD", ctrlKey: true, shiftKey: true, inTerminal: true }))).toEqual({ kind: "split", dir: "right" });
    expect(appKey(key({ key: "E", code: "KeyE", ctrlKey: true, shiftKey: true }))).toEqual({ kind: "split", dir: "down" });
    expect(appKey(key({ key: "B", code: "KeyB", ctrlKey: true, shiftKey: true, inTerminal: true }))).toEqual({ kind: "broadcast" });
    // Plain Ctrl+D (end of input) and Ctrl+E (end of line) stay the shell's.
    expect(appKey(key({ key: "d", code: "KeyD", ctrlKey: true, inTerminal: true }))).toBeNull();
    expect(appKey(key({ key: "e", code: "KeyE", ctrlKey: true, inTerminal: true }))).toBeNull();
    expect(appKey(key({ key: "b", code: "KeyB", ctrlKey: true, inTerminal: true }))).toBeNull();
  });

  it("Ctrl+Shift+Arrow moves between panes from a terminal; in a text box it selects words", () => {
    expect(appKey(key({ key: "ArrowLeft", code: "ArrowLeft", ctrlKey: true, shiftKey: true, inTerminal: true }))).toEqual({ kind: "pane", arrow: "left" });
    expect(appKey(key({ key: "ArrowDown", code: "ArrowDown", ctrlKey: true, shiftKey: true, inTerminal: true }))).toEqual({ kind: "pane", arrow: "down" });
    expect(appKey(key({ key: "ArrowLeft", code: "ArrowLeft", ctrlKey: true, shiftKey: true, inTerminal: false }))).toBeNull();
    // Alt+Arrow and Ctrl+Arrow (word moves in shells) stay the shell's.
    expect(appKey(key({ key: "ArrowLeft", code: "ArrowLeft", altKey: true, inTerminal: true }))).toBeNull();
    expect(appKey(key({ key: "ArrowLeft", code: "ArrowLeft", ctrlKey: true, inTerminal: true }))).toBeNull();
  });
});
