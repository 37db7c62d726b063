import { describe, expect, it } from "vitest";
import type { PodSummary } from "../ipc/types";
import { layout, leaves, MAX_RATIO, MIN_RATIO, neighbour, PaneGroups, podsOfWorkload, ratioAt, removeLeaf, splitLeaf, tile, withRatio, type PaneNode } from "./panes";

const leaf = (id: number): PaneNode => ({ kind: "leaf", id });

describe("the pane tree", () => {
  it("splits a leaf in two, the new pane right or below, and lays them out by the ratio", () => {
    let t = splitLeaf(leaf(1), 1, 2, "right", 10);
    t = splitLeaf(t, 2, 3, "down", 11);
    expect(leaves(t)).toEqual([1, 2, 3]);
    const l = layout(t);
    expect(l.panes.get(1)).toEqual({ x: 0, y: 0, w: 0.5, h: 1 });
    expect(l.panes.get(2)).toEqual({ x: 0.5, y: 0, w: 0.5, h: 0.5 });
    expect(l.panes.get(3)).toEqual({ x: 0.5, y: 0.5, w: 0.5, h: 0.5 });
    expect(l.dividers.map((d) => [d.key, d.dir, d.at])).toEqual([
      [10, "right", 0.5],
      [11, "down", 0.5],
    ]);
    const wide = layout(withRatio(t, 10, 0.7));
    expect(wide.panes.get(1)!.w).toBeCloseTo(0.7);
    expect(wide.panes.get(2)!.x).toBeCloseTo(0.7);
    expect(wide.panes.get(3)!.w).toBeCloseTo(0.3);
  });

  it("keeps a dragged divider within bounds, whatever the pointer does", () => {
    const box = { x: 100, y: 50, w: 400, h: 200 };
    expect(ratioAt(box, "right", 200, 0)).toBeCloseTo(0.25);
    expect(ratioAt(box, "down", 0, 200)).toBeCloseTo(0.75);
    expect(ratioAt(box, "right", -1000, 0)).toBe(MIN_RATIO);
    expect(ratioAt(box, "right", 5000, 0)).toBe(MAX_RATIO);
    expect(ratioAt({ x: 0, y: 0, w: 0, h: 0 }, "right", 10, 10)).toBe(0.5);
  });

  it("removes a leaf: its sibling takes the split's place; nothing left gives null", () => {
    const t = splitLeaf(splitLeaf(leaf(1), 1, 2, "right", 1), 2, 3, "down", 2);
    const without2 = removeLeaf(t, 2)!;
    expect(leaves(without2)).toEqual([1, 3]);
    expect(layout(without2).panes.get(3)).toEqual({ x: 0.5, y: 0, w: 0.5, h: 1 });
    expect(removeLeaf(leaf(1), 1)).toBeNull();
  });

  it("moves between panes with the arrows: the nearest pane that way, none past the edge", () => {
    // 1 | 2       (2 above 3 on the right)
    //   | 3
    const t = splitLeaf(splitLeaf(leaf(1), 1, 2, "right", 1), 2, 3, "down", 2);
    expect(neighbour(t, 1, "right")).toBe(2); // both overlap 1; equally near, 2 comes first
    expect(neighbour(t, 3, "left")).toBe(1);
    expect(neighbour(t, 2, "down")).toBe(3);
    expect(neighbour(t, 3, "up")).toBe(2);
    expect(neighbour(t, 1, "left")).toBeNull();
    expect(neighbour(t, 2, "right")).toBeNull();
    expect(neighbour(t, 1, "up")).toBeNull();
  });

  it("tiles many panes evenly: four make a 2×2 grid, nine fill the area", () => {
    let k = 0;
    const four = tile([1, 2, 3, 4], () => ++k)!;
    const l = layout(four);
    expect(l.panes.get(1)).toEqual({ x: 0, y: 0, w: 0.5, h: 0.5 });
    expect(l.panes.get(4)).toEqual({ x: 0.5, y: 0.5, w: 0.5, h: 0.5 });
    const nine = layout(tile([1, 2, 3, 4, 5, 6, 7, 8, 9], () => ++k)!);
    const area = [...nine.panes.values()].reduce((s, r) => s + r.w * r.h, 0);
    expect(area).toBeCloseTo(1);
    for (const r of nine.panes.values()) expect(r.w * r.h).toBeCloseTo(1 / 9);
    expect(tile([], () => ++k)).toBeNull();
  });
});

describe("groups of panes (tabs)", () => {
  it("a split tab lists once, by its anchor, and shows its focused pane", () => {
    const g = new PaneGroups();
    expect(g.members(1)).toEqual([1]);
    g.split(1, 2, "right");
    g.split(2, 3, "down");
    expect(g.members(3)).toEqual([1, 2, 3]);
    expect(g.anchorOf(3)).toBe(1);
    expect(g.isHidden(1)).toBe(false);
    expect(g.isHidden(2)).toBe(true);
    expect(g.focusedOf(1)).toBe(3); // the new pane is focused
    g.focus(2);
    expect(g.focusedOf(1)).toBe(2);
    expect(g.sameTab(1, 3)).toBe(true);
    expect(g.sameTab(1, 4)).toBe(false);
  });

  it("closing panes: the focus goes to the neighbour, the anchor passes on, the last pane is a tab again", () => {
    const g = new PaneGroups();
    g.split(1, 2, "right");
    g.split(2, 3, "down");
    g.focus(3);
    expect(g.remove(3)).toEqual({ rest: [1, 2], newAnchor: null, focus: 2 });
    expect(g.focusedOf(1)).toBe(2);
    const r = g.remove(1);
    expect(r).toEqual({ rest: [2], newAnchor: 2, focus: 2 });
    // One pane left: a tab of its own, not hidden.
    expect(g.tree(2)).toBeNull();
    expect(g.isHidden(2)).toBe(false);
    expect(g.remove(2)).toEqual({ rest: [], newAnchor: null, focus: null });
  });

  it("retiles a tab's panes and resizes one split by its key", () => {
    const g = new PaneGroups();
    g.split(1, 2, "right");
    g.split(2, 3, "right");
    g.retile(1);
    const l = layout(g.tree(1)!);
    expect(l.panes.get(1)!.w).toBeCloseTo(1 / 3);
    const key = l.dividers[0]!.key;
    g.setRatio(1, key, 0.8);
    expect(layout(g.tree(1)!).panes.get(1)!.w).toBeCloseTo(0.8);
  });
});

function pod(name: string, owner: string | null, extra: Partial<PodSummary> = {}): PodSummary {
  return {
    name,
    namespace: "demo",
    phase: "Running",
    ready: "1/1",
    restarts: 0,
    createdAt: "",
    containers: ["main"],
    ephemeralContainers: [],
    defaultContainer: "main",
    terminating: false,
    owner: owner ? { kind: "ReplicaSet", name: owner } : null,
    reason: null,
    node: null,
    ips: [],
    ports: [],
    ...extra,
  };
}

describe("the pods of a workload, for its panes", () => {
  it("takes the pods of the same owner and namespace that a shell can open in, by name", () => {
    const pods = [
      pod("web-c", "web-1"),
      pod("web-a", "web-1"),
      pod("web-pending", "web-1", { phase: "Pending" }),
      pod("web-going", "web-1", { terminating: true }),
      pod("web-done", "web-1", { phase: "Succeeded" }),
      pod("web-other-ns", "web-1", { namespace: "prod" }),
      pod("api-a", "api-1"),
      pod("bare", null),
    ];
    expect(podsOfWorkload(pods, pods[0]!).map((p) => p.name)).toEqual(["web-a", "web-c"]);
    expect(podsOfWorkload(pods, pods[7]!).map((p) => p.name)).toEqual(["bare"]);
  });
});
