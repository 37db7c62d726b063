import { describe, expect, it } from "vitest";
import { MAX_LOG_LINES, MIN_LOG_LINES } from "../ipc/generated/limits";
import { LogModel, boundLineLimit, lineLimitChoices, plain, ranges, spans } from "./model";

const enc = new TextEncoder();
const T = "2026-01-02T03:04:05.123456789Z";

function feed(m: LogModel, text: string): void {
  m.write(enc.encode(text));
}

describe("LogModel", () => {
  it("splits batches into lines, whatever the cut, with the timestamp apart", () => {
    const text = `${T} one\n${T} two é\n${T} three\n`;
    const bytes = enc.encode(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const m = new LogModel(100);
      m.write(bytes.slice(0, cut));
      m.write(bytes.slice(cut));
      expect(m.all().map((l) => [l.stamp, l.text])).toEqual([
        [T, "one"],
        [T, "two é"],
        [T, "three"],
      ]);
    }
  });

  it("keeps at most the line limit, dropping the oldest, and a lower limit applies at once", () => {
    const m = new LogModel(1000);
    let text = "";
    for (let i = 1; i <= 5000; i++) text += `${T} line ${i}\n`;
    feed(m, text);
    expect(m.all().length).toBe(1000);
    expect(m.all()[0]!.text).toBe("line 4001");
    expect(m.all()[999]!.text).toBe("line 5000");
    expect(m.dropped).toBe(4000);
    m.setLimit(10);
    expect(m.all().map((l) => l.text)).toEqual(Array.from({ length: 10 }, (_, i) => `line ${4991 + i}`));
  });

  it("a long follow past the limit keeps only the newest lines and acknowledges every byte", () => {
    // 200,000 lines in 64 KiB batches, as the engine sends a fast writer's log.
    let acked = 0;
    const m = new LogModel(1000, (n) => (acked += n));
    let text = "";
    for (let i = 1; i <= 200_000; i++) text += `${T} fast line ${i} ${"x".repeat(40)}\n`;
    const bytes = enc.encode(text);
    let most = 0;
    for (let at = 0; at < bytes.length; at += 65536) {
      m.write(bytes.subarray(at, at + 65536));
      most = Math.max(most, m.all().length);
    }
    expect(most).toBe(1000);
    expect(m.all().length).toBe(1000);
    expect(m.all()[0]!.text).toBe(`fast line 199001 ${"x".repeat(40)}`);
    expect(m.all()[999]!.text).toBe(`fast line 200000 ${"x".repeat(40)}`);
    expect(m.dropped).toBe(199_000);
    expect(acked).toBe(bytes.length);
  });

  it("the line limit setting: bounded as the engine saves it, its choices include the saved one", () => {
    expect(boundLineLimit(5)).toBe(MIN_LOG_LINES);
    expect(boundLineLimit(10_000_000)).toBe(MAX_LOG_LINES);
    expect(boundLineLimit(2500.4)).toBe(2500);
    expect(boundLineLimit(Number.NaN)).toBe(10_000);
    expect(lineLimitChoices(10_000)).toEqual([1_000, 5_000, 10_000, 50_000, 100_000]);
    expect(lineLimitChoices(2_500)).toEqual([1_000, 2_500, 5_000, 10_000, 50_000, 100_000]);
  });

  it("acknowledges every byte it takes, and none while paused until it resumes", () => {
    const acked: number[] = [];
    const m = new LogModel(100, (n) => acked.push(n));
    feed(m, `${T} a\n`);
    expect(acked).toEqual([enc.encode(`${T} a\n`).length]);
    m.pause();
    feed(m, `${T} b\n`);
    feed(m, `${T} c\n`);
    expect(m.all().map((l) => l.text)).toEqual(["a"]);
    expect(acked.length).toBe(1);
    expect(m.heldByteCount).toBe(2 * enc.encode(`${T} b\n`).length);
    m.resume();
    expect(m.all().map((l) => l.text)).toEqual(["a", "b", "c"]);
    expect(acked.reduce((a, b) => a + b, 0)).toBe(3 * enc.encode(`${T} a\n`).length);
    expect(m.heldByteCount).toBe(0);
  });

  it("finds lines by their text without colours, case-insensitively", () => {
    const m = new LogModel(100);
    feed(m, `${T} \x1b[31mERROR\x1b[0m disk full\n${T} all good\n${T} error again\n`);
    m.setSearch("error");
    expect(m.matches()).toEqual([1, 3]);
    m.setSearch("[31m");
    expect(m.matches()).toEqual([]);
    expect(ranges("an Error and an error", "error")).toEqual([
      [3, 8],
      [16, 21],
    ]);
  });

  it("splits a line not yet ended as a line: its timestamp and source apart", () => {
    const m = new LogModel(100);
    feed(m, "[pod/web-1/app] 2026-12-05T06:02:36.820416907Z done\n[pod/web-1/app] 2026-12-05T06:02:37.1Z # ");
    expect(m.pending).toBe("[pod/web-1/app] 2026-12-05T06:02:37.1Z # ");
    expect(m.pendingLine).toEqual({ n: 2, source: "pod/web-1/app", stamp: "2026-12-05T06:02:37.1Z", text: "# " });
    feed(m, "ls\n");
    expect(m.pendingLine).toBeNull();
    expect(m.all().at(-1)).toEqual({ n: 2, source: "pod/web-1/app", stamp: "2026-12-05T06:02:37.1Z", text: "# ls" });
  });

  it("ends a last line without a newline, and keeps lines without a timestamp whole", () => {
    const m = new LogModel(100);
    feed(m, "no stamp here\npartial");
    expect(m.pending).toBe("partial");
    expect(m.pendingLine).toEqual({ n: 2, source: null, stamp: null, text: "partial" });
    m.end();
    expect(m.all().map((l) => [l.stamp, l.text])).toEqual([
      [null, "no stamp here"],
      [null, "partial"],
    ]);
  });

  it("downloads the lines kept, timestamps as shown, colours left out", () => {
    const m = new LogModel(100);
    feed(m, `${T} \x1b[1;32mok\x1b[0m\n${T} two\n`);
    expect(m.text(false)).toBe("ok\ntwo\n");
    expect(m.text(true)).toBe(`${T} ok\n${T} two\n`);
  });
});

describe("ANSI colours", () => {
  it("keeps SGR colours as styled runs and drops other escapes", () => {
    expect(spans("\x1b[31mred\x1b[0m plain \x1b[1;94mbright\x1b[39m bold")).toEqual([
      { text: "red", classes: ["fg-1"] },
      { text: " plain ", classes: [] },
      { text: "bright", classes: ["fg-12", "bold"] },
      { text: " bold", classes: ["bold"] },
    ]);
    expect(spans("\x1b[38;5;196mx\x1b[48;2;1;2;3my")).toEqual([
      { text: "x", classes: [], color: "rgb(255, 0, 0)" },
      { text: "y", classes: [], color: "rgb(255, 0, 0)", background: "rgb(1, 2, 3)" },
    ]);
    expect(plain("a\x1b]0;title\x07b\x1b[2Kc")).toBe("abc");
    expect(spans("<b>not html</b>")).toEqual([{ text: "<b>not html</b>", classes: [] }]);
  });
});

describe("a workload's log", () => {
  it("reads each line's pod and container before its timestamp", () => {
    const m = new LogModel(100);
    feed(m, `[pod/web-1/main] ${T} from one\n[pod/web-2/main] ${T} from two\n`);
    expect(m.all().map((l) => [l.source, l.stamp, l.text])).toEqual([
      ["pod/web-1/main", T, "from one"],
      ["pod/web-2/main", T, "from two"],
    ]);
    expect(m.text(false)).toBe("[pod/web-1/main] from one\n[pod/web-2/main] from two\n");
  });

  it("knows the pod that wrote the newest line (a rollout's new pod), none in a pod's own log", () => {
    const m = new LogModel(100);
    expect(m.newestPod()).toBeNull();
    feed(m, `[pod/web-1/main] ${T} old\n[pod/web-2/main] ${T} new\n`);
    expect(m.newestPod()).toBe("web-2");
    const own = new LogModel(100);
    feed(own, `${T} plain\n`);
    expect(own.newestPod()).toBeNull();
  });
});
