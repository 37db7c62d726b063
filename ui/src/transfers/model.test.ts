import { describe, expect, it } from "vitest";
import type { TransferInfo } from "../ipc/types";
import {
  belongsTo,
  bytesText,
  completeOnce,
  completionParts,
  completions,
  debugVia,
  downloadPathStart,
  dropDestination,
  droppedNames,
  endNotice,
  fraction,
  progressText,
  TransfersModel,
  workingDirFill,
} from "./model";

const target = { profile: "Demo cluster", namespace: "demo", pod: "shell", container: "main", debugImage: null };

function info(over: Partial<TransferInfo> = {}): TransferInfo {
  return {
    id: 1,
    direction: "upload",
    name: "data.bin",
    target,
    podPath: "/home/app",
    localPath: "/home/you/data.bin",
    bytes: 0,
    total: 3 * 1024 * 1024,
    rate: 0,
    state: { state: "running" },
    notes: [],
    ...over,
  };
}

describe("transfers model", () => {
  it("says on a debug tab that a copy may go through its debug container, and what stays", () => {
    expect(debugVia(undefined, "app")).toBeNull();
    const words = debugVia({ name: "debugger-ab12c", image: "busybox:1.36" }, "app");
    expect(words).toBe(
      "Where app has no tar, cat, dd or base64, this goes through this tab's debug container debugger-ab12c (busybox:1.36), " +
        "which sees its files. Should it no longer run, another is added, and stays in the pod until the pod is deleted.",
    );
    expect(debugVia({ name: "", image: "busybox:1.36" }, "")).toMatch(/^Where the container has no tar.*this tab's debug container \(busybox:1\.36\)/);
  });

  it("reads sizes and progress as the CLI does", () => {
    expect(bytesText(0)).toBe("0 B");
    expect(bytesText(1536)).toBe("1.5 KiB");
    expect(bytesText(3 * 1024 * 1024)).toBe("3.0 MiB");
    const t = info({ bytes: 1024 * 1024, rate: 2 * 1024 * 1024 });
    expect(progressText(t)).toBe("1.0 MiB of 3.0 MiB · 2.0 MiB/s");
    expect(fraction(t)).toBeCloseTo(1 / 3);
    // An unknown total: no fraction, no "of".
    expect(fraction(info({ total: 0 }))).toBeNull();
    expect(progressText(info({ total: 0, bytes: 10 }))).toBe("10 B · 0 B/s");
  });

  it("says how each transfer ended", () => {
    expect(endNotice(info({ state: { state: "done" }, bytes: 3 * 1024 * 1024 }))).toBe(
      "Uploaded data.bin to shell/main:/home/app (3.0 MiB)",
    );
    expect(
      endNotice(info({ direction: "download", localPath: "/home/you/Downloads/app.log", name: "app.log", state: { state: "done" }, bytes: 2048 })),
    ).toBe("Downloaded app.log from shell/main to /home/you/Downloads/app.log (2.0 KiB)");
    expect(endNotice(info({ state: { state: "cancelled" } }))).toContain("no partial file was left");
    expect(endNotice(info({ state: { state: "failed", reason: "disk full" } }))).toBe("Upload of data.bin failed: disk full");
  });

  it("keeps the newest update, never reopens a finished transfer, and lists per tab", () => {
    const m = new TransfersModel();
    const seen: (number | null)[] = [];
    m.onChange((t) => seen.push(t?.id ?? null));
    m.apply(info({ bytes: 10 }));
    m.apply(info({ bytes: 20 }));
    m.apply(info({ state: { state: "done" }, bytes: 30 }));
    // A late progress update (sent before the end, delivered after) changes nothing.
    m.apply(info({ bytes: 25 }));
    expect(m.get(1)?.state.state).toBe("done");
    expect(m.get(1)?.bytes).toBe(30);
    m.apply(info({ id: 2, target: { ...target, pod: "web-1" } }));
    expect(m.running().map((t) => t.id)).toEqual([2]);
    expect(m.forTab(target).map((t) => t.id)).toEqual([1]);
    m.dismiss(1);
    expect(m.forTab(target)).toEqual([]);
    expect(m.list().map((t) => t.id)).toEqual([1, 2]);
    m.clearFinished();
    expect(m.list().map((t) => t.id)).toEqual([2]);
    expect(seen.length).toBeGreaterThanOrEqual(6);
    // A tab of a favourite whose namespace is the profile's: still its pod's.
    expect(belongsTo(info(), { ...target, namespace: "" })).toBe(true);
    expect(belongsTo(info(), { ...target, profile: "prod" })).toBe(false);
  });

  it("prefills a drop with the last directory used, else the working directory", () => {
    expect(dropDestination("/data", "/home/app")).toBe("/data");
    expect(dropDestination(undefined, "/home/app")).toBe("/home/app");
    expect(dropDestination(undefined, null)).toBe("/tmp");
    expect(downloadPathStart("/home/app/data")).toBe("/home/app/data/");
    expect(downloadPathStart("/")).toBe("/");
    expect(downloadPathStart(undefined)).toBe("");
    expect(droppedNames(["/a/x.txt"])).toBe("x.txt");
    expect(droppedNames(["/a/x.txt", "/a/dir/"])).toBe("x.txt and dir");
    expect(droppedNames(["/a/1", "/a/2", "/a/3", "/a/4"])).toBe("1 and 3 more");
  });

  it("the working directory fills a drop's destination only while the user has not edited it", () => {
    const prefilled = dropDestination(undefined, null);
    expect(workingDirFill(prefilled, prefilled, "/home/app")).toBe("/home/app");
    // Typed `/data` and tabbed to Upload before the container answered: `/data` it is.
    expect(workingDirFill("/data", prefilled, "/home/app")).toBeNull();
    expect(workingDirFill("", prefilled, "/home/app")).toBeNull();
  });

  it("completes a pod path from its directory's listing", () => {
    expect(completionParts("/home/ap")).toEqual({ dir: "/home/", prefix: "ap" });
    expect(completionParts("/")).toEqual({ dir: "/", prefix: "" });
    expect(completionParts("rel")).toEqual({ dir: "", prefix: "rel" });
    const entries = ["app/", "apt.log", "bin/"];
    expect(completions("/home/ap", entries)).toEqual(["/home/app/", "/home/apt.log"]);
    expect(completeOnce("/home/ap", completions("/home/ap", entries))).toBe("/home/ap");
    expect(completeOnce("/home/b", completions("/home/b", entries))).toBe("/home/bin/");
    expect(completeOnce("/home/x", [])).toBe("/home/x");
  });
});
