// Split panes: the terminals of one tab laid out as a tree of splits, without DOM or IPC.
//
// Each pane is a terminal tab of the TabModel with its own session (its own flow window, its own
// size, its own reconnects); a group of panes shows as one tab in the tab bar, at the place of
// its *anchor* (the pane the tab was opened with, or the one that took its place). A tab that
// was never split has no group: it is a single pane. See docs/architecture.md, "Split panes and
// broadcast input".

import type { PodSummary } from "../ipc/types";
import { execRefusal, isCompleted } from "../sidebar/pods";

export type SplitDir = "right" | "down";
export type Arrow = "left" | "right" | "up" | "down";

export type PaneNode =
  | { kind: "leaf"; id: number }
  /** `ratio`: the share of the first (left or top) child, `key`: the split's own id (its divider). */
  | { kind: "split"; key: number; dir: SplitDir; ratio: number; a: PaneNode; b: PaneNode };

/** A rectangle in fractions of the tab's area (0..1). */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A tab holds at most this many panes (a split beyond it, or a workload's pods beyond it, are refused). */
export const MAX_PANES = 9;
/** A divider keeps each side at least this share of its split. */
export const MIN_RATIO = 0.1;
export const MAX_RATIO = 0.9;

export function leaves(n: PaneNode): number[] {
  return n.kind === "leaf" ? [n.id] : [...leaves(n.a), ...leaves(n.b)];
}

/** The tree with leaf `id` split in two: `id` first (left or top), `newId` second. */
export function splitLeaf(n: PaneNode, id: number, newId: number, dir: SplitDir, key: number): PaneNode {
  if (n.kind === "leaf") {
    return n.id === id ? { kind: "split", key, dir, ratio: 0.5, a: n, b: { kind: "leaf", id: newId } } : n;
  }
  return { ...n, a: splitLeaf(n.a, id, newId, dir, key), b: splitLeaf(n.b, id, newId, dir, key) };
}

/** The tree without leaf `id` (its sibling takes its split's place); null when nothing is left. */
export function removeLeaf(n: PaneNode, id: number): PaneNode | null {
  if (n.kind === "leaf") return n.id === id ? null : n;
  const a = removeLeaf(n.a, id);
  const b = removeLeaf(n.b, id);
  if (a === null) return b;
  if (b === null) return a;
  return a === n.a && b === n.b ? n : { ...n, a, b };
}

/** A divider dragged: split `key` gives its first child `ratio` (kept within MIN_RATIO..MAX_RATIO). */
export function withRatio(n: PaneNode, key: number, ratio: number): PaneNode {
  if (n.kind === "leaf") return n;
  if (n.key === key) return { ...n, ratio: clampRatio(ratio) };
  return { ...n, a: withRatio(n.a, key, ratio), b: withRatio(n.b, key, ratio) };
}

export function clampRatio(r: number): number {
  return Number.isFinite(r) ? Math.min(MAX_RATIO, Math.max(MIN_RATIO, r)) : 0.5;
}

/**
 * The ratio a divider of split `dir` gets when dragged to (`px`, `py`) over the split's box
 * (`box`, all in the same units, e.g. client pixels).
 */
export function ratioAt(box: Rect, dir: SplitDir, px: number, py: number): number {
  const r = dir === "right" ? (box.w > 0 ? (px - box.x) / box.w : 0.5) : box.h > 0 ? (py - box.y) / box.h : 0.5;
  return clampRatio(r);
}

export interface Layout {
  panes: Map<number, Rect>;
  /** Each split's divider: its key, direction, the split's whole box and the divider's place in it. */
  dividers: { key: number; dir: SplitDir; box: Rect; at: number }[];
}

/** Where every pane and divider of a tree goes in `box`. */
export function layout(n: PaneNode, box: Rect = { x: 0, y: 0, w: 1, h: 1 }): Layout {
  const out: Layout = { panes: new Map(), dividers: [] };
  const walk = (node: PaneNode, r: Rect) => {
    if (node.kind === "leaf") {
      out.panes.set(node.id, r);
      return;
    }
    if (node.dir === "right") {
      const w = r.w * node.ratio;
      out.dividers.push({ key: node.key, dir: node.dir, box: r, at: r.x + w });
      walk(node.a, { x: r.x, y: r.y, w, h: r.h });
      walk(node.b, { x: r.x + w, y: r.y, w: r.w - w, h: r.h });
    } else {
      const hh = r.h * node.ratio;
      out.dividers.push({ key: node.key, dir: node.dir, box: r, at: r.y + hh });
      walk(node.a, { x: r.x, y: r.y, w: r.w, h: hh });
      walk(node.b, { x: r.x, y: r.y + hh, w: r.w, h: r.h - hh });
    }
  };
  walk(n, box);
  return out;
}

const EPS = 1e-9;

/**
 * The pane next to `id` towards `arrow`: among the panes that lie beyond its edge on that side
 * and overlap it across, the nearest; of equally near ones, the one overlapping most (then the
 * first). Null at the tab's edge.
 */
export function neighbour(n: PaneNode, id: number, arrow: Arrow): number | null {
  const { panes } = layout(n);
  const from = panes.get(id);
  if (!from) return null;
  let best: { id: number; gap: number; overlap: number } | null = null;
  for (const [other, r] of panes) {
    if (other === id) continue;
    let gap: number;
    let overlap: number;
    if (arrow === "left" || arrow === "right") {
      gap = arrow === "right" ? r.x - (from.x + from.w) : from.x - (r.x + r.w);
      overlap = Math.min(from.y + from.h, r.y + r.h) - Math.max(from.y, r.y);
    } else {
      gap = arrow === "down" ? r.y - (from.y + from.h) : from.y - (r.y + r.h);
      overlap = Math.min(from.x + from.w, r.x + r.w) - Math.max(from.x, r.x);
    }
    if (gap < -EPS || overlap <= EPS) continue;
    if (!best || gap < best.gap - EPS || (Math.abs(gap - best.gap) <= EPS && overlap > best.overlap + EPS)) {
      best = { id: other, gap, overlap };
    }
  }
  return best?.id ?? null;
}

/**
 * Panes `ids` tiled evenly: halves side by side, each half split the other way, and so on (four
 * panes make a 2×2 grid; three: one on the left, two stacked on the right). `key` numbers the splits.
 */
export function tile(ids: readonly number[], key: () => number, dir: SplitDir = "right"): PaneNode | null {
  if (ids.length === 0) return null;
  if (ids.length === 1) return { kind: "leaf", id: ids[0]! };
  const half = Math.floor(ids.length / 2);
  const other: SplitDir = dir === "right" ? "down" : "right";
  const a = tile(ids.slice(0, half), key, other)!;
  const b = tile(ids.slice(half), key, other)!;
  return { kind: "split", key: key(), dir, ratio: half / ids.length, a, b };
}

interface Group {
  /** The pane whose place in the tab list the tab keeps. */
  anchor: number;
  tree: PaneNode;
  /** The pane last focused (the tab's label shows it; going back to the tab focuses it). */
  focused: number;
}

/** The groups of panes of all tabs. A pane not in any group is a tab of its own. */
export class PaneGroups {
  private readonly byPane = new Map<number, Group>();
  private nextKey = 1;

  private key = () => this.nextKey++;

  /** The panes of `id`'s tab, in layout order (`[id]` for a single pane). */
  members(id: number): number[] {
    const g = this.byPane.get(id);
    return g ? leaves(g.tree) : [id];
  }

  /** The pane whose place the tab of `id` keeps in the tab list (`id` for a single pane). */
  anchorOf(id: number): number {
    return this.byPane.get(id)?.anchor ?? id;
  }

  /** The focused pane of `id`'s tab. */
  focusedOf(id: number): number {
    return this.byPane.get(id)?.focused ?? id;
  }

  /** A pane that the tab bar does not list (a pane of a group, not its anchor). */
  isHidden(id: number): boolean {
    const g = this.byPane.get(id);
    return g !== undefined && g.anchor !== id;
  }

  /** `id`'s tab's tree, or null for a single pane. */
  tree(id: number): PaneNode | null {
    return this.byPane.get(id)?.tree ?? null;
  }

  /** Do `a` and `b` show in the same tab? */
  sameTab(a: number, b: number): boolean {
    return a === b || (this.byPane.get(a) !== undefined && this.byPane.get(a) === this.byPane.get(b));
  }

  /** `id` was focused: its tab shows it. */
  focus(id: number): void {
    const g = this.byPane.get(id);
    if (g) g.focused = id;
  }

  /** Pane `id` is split: `newId` joins its tab, beside it (right) or below it (down), focused. */
  split(id: number, newId: number, dir: SplitDir): void {
    let g = this.byPane.get(id);
    if (!g) {
      g = { anchor: id, tree: { kind: "leaf", id }, focused: id };
      this.byPane.set(id, g);
    }
    g.tree = splitLeaf(g.tree, id, newId, dir, this.key());
    g.focused = newId;
    this.byPane.set(newId, g);
  }

  /** Panes `ids` (the first one the anchor) tiled as one tab. */
  tileNew(ids: readonly number[]): void {
    if (ids.length < 2) return;
    const tree = tile(ids, this.key)!;
    const g: Group = { anchor: ids[0]!, tree, focused: ids[0]! };
    for (const id of ids) this.byPane.set(id, g);
  }

  /** `id`'s tab's panes tiled evenly again (panes.ts `tile`), in their present order. */
  retile(id: number): void {
    const g = this.byPane.get(id);
    if (g) g.tree = tile(leaves(g.tree), this.key) ?? g.tree;
  }

  /** A divider was dragged. */
  setRatio(id: number, key: number, ratio: number): void {
    const g = this.byPane.get(id);
    if (g) g.tree = withRatio(g.tree, key, ratio);
  }

  /**
   * Pane `id` goes. Returns its tab's remaining panes (empty when it was a single pane or the
   * last), the pane that takes the anchor's place when `id` was the anchor (null otherwise), and
   * the pane to focus in its stead.
   */
  remove(id: number): { rest: number[]; newAnchor: number | null; focus: number | null } {
    const g = this.byPane.get(id);
    if (!g) return { rest: [], newAnchor: null, focus: null };
    this.byPane.delete(id);
    const tree = removeLeaf(g.tree, id);
    const rest = tree ? leaves(tree) : [];
    // The focus goes to the pane that took the closed one's place (its former sibling's first leaf).
    const next = rest.length > 0 ? (this.siblingOf(g.tree, id) ?? rest[0]!) : null;
    let newAnchor: number | null = null;
    if (g.anchor === id && rest.length > 0) {
      newAnchor = rest[0]!;
      g.anchor = newAnchor;
    }
    if (g.focused === id || !rest.includes(g.focused)) g.focused = next ?? g.focused;
    if (rest.length <= 1) {
      // One pane left: a tab of its own again.
      for (const r of rest) this.byPane.delete(r);
    } else if (tree) {
      g.tree = tree;
    }
    return { rest, newAnchor, focus: next };
  }

  private siblingOf(n: PaneNode, id: number): number | null {
    if (n.kind === "leaf") return null;
    if (n.a.kind === "leaf" && n.a.id === id) return leaves(n.b)[0] ?? null;
    if (n.b.kind === "leaf" && n.b.id === id) return leaves(n.a).at(-1) ?? null;
    return this.siblingOf(n.a, id) ?? this.siblingOf(n.b, id);
  }
}

/**
 * The pods of the workload that runs `pod` (the same owner in the same namespace) that a shell
 * can open in: not terminating, not Pending or completed. By name; `pod` itself among them.
 */
export function podsOfWorkload(pods: readonly PodSummary[], pod: PodSummary): PodSummary[] {
  const owner = pod.owner;
  if (!owner) return [pod];
  return pods
    .filter((p) => p.namespace === pod.namespace && p.owner?.kind === owner.kind && p.owner.name === owner.name)
    .filter((p) => !p.terminating && !isCompleted(p) && execRefusal(p) === null)
    .sort((a, b) => a.name.localeCompare(b.name));
}
