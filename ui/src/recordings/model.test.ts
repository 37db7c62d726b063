import { describe, expect, it } from "vitest";
import { Playback, SliderGrip, clockText, loadUntil, playTimes, resizeOf, sizeText, type CastEvent } from "./model";

const o = (time: number, data: string): CastEvent => ({ time, code: "o", data });

function clock() {
  let t = 1000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("recordings player", () => {
  it("places events on the line, pauses cut to 2 s with skip idle", () => {
    const events = [o(0.5, "a"), o(1, "b"), o(31, "c"), o(31.5, "d")];
    expect(playTimes(events, false)).toEqual([0.5, 1, 31, 31.5]);
    expect(playTimes(events, true)).toEqual([0.5, 1, 3, 3.5]);
  });

  it("plays events when due, at the speed chosen, and ends", () => {
    const c = clock();
    const p = new Playback(c.now);
    p.add([o(0, "$ "), o(1, "REC-"), o(3, "42\r\n")], true);
    expect(p.due()).toEqual([]); // paused: nothing runs
    p.play();
    expect(p.due().map((e) => e.data)).toEqual(["$ "]);
    expect(p.wait()).toBe(1000);
    c.advance(999);
    expect(p.due()).toEqual([]);
    c.advance(1);
    expect(p.due().map((e) => e.data)).toEqual(["REC-"]);
    p.setSpeed(4);
    expect(p.wait()).toBe(500); // 2 s of recording at 4×
    c.advance(500);
    expect(p.due().map((e) => e.data)).toEqual(["42\r\n"]);
    expect(p.ended()).toBe(true);
    expect(p.position()).toBe(3);
  });

  it("pause holds the position; play goes on from it", () => {
    const c = clock();
    const p = new Playback(c.now);
    p.add([o(0, "a"), o(10, "b")], true);
    p.play();
    p.due();
    c.advance(4000);
    p.pause();
    expect(p.position()).toBe(4);
    c.advance(60_000);
    expect(p.position()).toBe(4);
    expect(p.due()).toEqual([]);
    expect(p.wait()).toBeNull();
    p.play();
    c.advance(6000);
    expect(p.due().map((e) => e.data)).toEqual(["b"]);
  });

  it("skip idle turned on mid-way keeps the place and shortens what is left", () => {
    const c = clock();
    const p = new Playback(c.now);
    p.add([o(0, "a"), o(1, "b"), o(100, "c")], true);
    p.play();
    c.advance(1000);
    expect(p.due().map((e) => e.data)).toEqual(["a", "b"]);
    p.setSkipIdle(true);
    expect(p.duration()).toBe(3);
    expect(p.wait()).toBe(2000);
    c.advance(2000);
    expect(p.due().map((e) => e.data)).toEqual(["c"]);
  });

  it("pages add to the line and continue its times; more is wanted near the end", () => {
    const c = clock();
    const p = new Playback(c.now);
    p.add([o(0, "a"), o(50, "b")], false);
    expect(p.wantsMore()).toBe(true);
    p.setSkipIdle(true);
    p.add([o(100, "c")], true);
    expect(p.duration()).toBe(4);
    expect(p.wantsMore()).toBe(false);
  });

  it("seeks: the events up to there, to write again", () => {
    const c = clock();
    const p = new Playback(c.now);
    p.add([o(0, "a"), o(1, "b"), o(2, "c")], true);
    expect(p.seekTo(1.5).map((e) => e.data)).toEqual(["a", "b"]);
    expect(p.played).toBe(2);
    p.play();
    c.advance(500);
    expect(p.due().map((e) => e.data)).toEqual(["c"]);
    // Play after the end starts again from the beginning.
    p.pause();
    expect(p.play()).toEqual([]);
    expect(p.due().map((e) => e.data)).toEqual(["a"]);
  });

  it("the slider spans the recording's whole length while pages load; a seek past them loads up to there", async () => {
    const c = clock();
    const p = new Playback(c.now);
    p.recordedLength = 100;
    const pages = [[o(0, "a"), o(10, "b")], [o(50, "c")], [o(90, "d"), o(100, "e")]];
    let page = 0;
    const more = async () => {
      page += 1;
      p.add(pages[page] ?? [], page >= pages.length - 1);
    };
    p.add(pages[0]!, false);
    expect(p.length()).toBe(100);
    expect(p.lengthKnown()).toBe(true);
    p.play();
    c.advance(10_000);
    expect(p.due().map((e) => e.data)).toEqual(["a", "b"]);
    expect(p.sliderValue()).toBe(100); // 10 s of 100, not the end of the first page
    expect(p.sliderSeconds(950)).toBe(95);
    expect(await loadUntil(p, 95, more)).toBe(true);
    expect(page).toBe(2);
    expect(p.seekTo(95).map((e) => e.data)).toEqual(["a", "b", "c", "d"]);
    expect(p.length()).toBe(100);
    // Unknown in the list (or the line cut by skip idle): what is loaded, growing.
    const q = new Playback(c.now);
    q.add(pages[0]!, false);
    expect([q.length(), q.lengthKnown()]).toEqual([10, false]);
    q.recordedLength = 100;
    q.setSkipIdle(true);
    expect([q.length(), q.lengthKnown()]).toEqual([2, false]);
  });

  it("a seek past the pages stops at a page that brings nothing, and gives way to a newer one", async () => {
    const c = clock();
    const p = new Playback(c.now);
    p.recordedLength = 100;
    p.add([o(0, "a")], false);
    let asked = 0;
    // A file still being written: no more events yet.
    expect(await loadUntil(p, 50, async () => void (asked += 1))).toBe(true);
    expect(asked).toBe(1);
    expect(p.seekTo(50).map((e) => e.data)).toEqual(["a"]);
    let newer = false;
    const more = async () => {
      p.add([o(p.duration() + 10, "x")], false);
      newer = true;
    };
    expect(await loadUntil(p, 90, more, () => !newer)).toBe(false);
  });

  it("a replay from the start (Play again, a seek) starts at the recording's own size", () => {
    const c = clock();
    const p = new Playback(c.now);
    p.setStartSize(80, 24);
    p.add([o(0, "a"), { time: 1, code: "r", data: "100x30" }, o(2, "b")], true);
    expect(p.play()).toBeNull(); // the first play: the terminal has the size already
    c.advance(2000);
    expect(p.due().map((e) => e.data)).toEqual(["a", "100x30", "b"]);
    p.pause();
    const start = { time: 0, code: "r", data: "80x24" };
    expect(p.play()).toEqual([start]);
    expect(p.seekTo(1.5)).toEqual([start, o(0, "a"), { time: 1, code: "r", data: "100x30" }]);
    expect(p.seekTo(0)).toEqual([start, o(0, "a")]);
  });

  it("the slider's thumb is the user's while pressed or seeking, not while it merely has the focus", () => {
    const g = new SliderGrip();
    expect(g.held).toBe(false);
    g.grip(); // pressed
    expect(g.held).toBe(true);
    g.letGo(); // a click: released, the focus stays on the slider; the thumb follows the play again
    expect(g.held).toBe(false);
    // Moved by keys: a change follows at once, its seek loading pages.
    g.grip();
    const done = g.seeking();
    g.letGo();
    expect(g.held).toBe(true);
    done();
    done();
    expect(g.held).toBe(false);
  });

  it("says times, sizes and resizes in words", () => {
    expect(clockText(0)).toBe("0:00");
    expect(clockText(75.9)).toBe("1:15");
    expect(clockText(3725)).toBe("1:02:05");
    expect(sizeText(512)).toBe("512 B");
    expect(sizeText(3500)).toBe("3.4 KiB");
    expect(sizeText(12 * 1024 * 1024)).toBe("12 MiB");
    expect(resizeOf({ time: 1, code: "r", data: "101x33" })).toEqual({ cols: 101, rows: 33 });
    expect(resizeOf({ time: 1, code: "r", data: "0x33" })).toBeNull();
    expect(resizeOf({ time: 1, code: "o", data: "101x33" })).toBeNull();
  });
});
