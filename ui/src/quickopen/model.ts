// Quick open (Ctrl+K): one box over the window that finds a favourite, a recent session, a pod
// or a workload of the current cluster (in any namespace it may list), or a node its pods run
// on (a shell on the node), by a few letters of its name, and opens it on Enter. Typed `namespace/pod` opens that pod in the current cluster,
// listed or not (as "Open pod by name", for a namespace one may only exec into). The matching
// and ranking, without DOM.
import type { FavouriteSummary, PodSummary } from "../ipc/types";
import type { SessionTarget } from "../terminal/tabs";
import { ALL_NAMESPACES, execRefusal } from "../sidebar/pods";
import { favouriteWhere } from "../favourites/favourite";

export type QuickItem =
  | { kind: "favourite"; name: string; detail: string }
  | { kind: "recent"; target: SessionTarget; label: string; detail: string }
  | { kind: "pod"; target: SessionTarget; label: string; detail: string; refusal: string | null }
  /**
   * A workload (`deployment/web`) of the listed pods: its newest Ready pod opens (`target` null
   * with `refusal` when none is Ready).
   */
  | { kind: "workload"; target: SessionTarget | null; label: string; detail: string; refusal: string | null }
  /** `namespace/pod` as typed, in the current cluster. */
  | { kind: "typed"; target: SessionTarget; label: string; detail: string }
  /**
   * A node the listed pods run on (`node/NAME`), or one typed so: a shell on it, in a pod made
   * in `namespace` ("": the cluster's default) after a question (terminal/node-shell.ts).
   */
  | { kind: "node"; profile: string; namespace: string; node: string; label: string; detail: string; typed?: boolean };

export interface QuickSources {
  favourites: readonly FavouriteSummary[];
  /** Sessions opened in this run, the latest first (open tabs and closed ones). */
  recent: readonly SessionTarget[];
  /**
   * The current cluster and namespace, and its listed pods (those of every namespace when they
   * can be listed, else the current namespace's); null profile: none chosen.
   */
  profile: string | null;
  namespace: string | null;
  pods: readonly PodSummary[];
}

export interface Ranked {
  item: QuickItem;
  /** Higher is better. */
  score: number;
  /** Indexes in `label` of the letters matched (to show them). */
  matched: number[];
}

/** What a row shows as its name (the text matched). */
export function itemLabel(item: QuickItem): string {
  return item.kind === "favourite" ? item.name : item.label;
}

/**
 * A fuzzy match: every character of `query` in order in `text` (case-insensitive). The score
 * favours letters that follow each other, ones at the start of a word (after `-`, `/`, `.`,
 * space) and short texts; null when the query's letters are not all there.
 */
export function fuzzy(query: string, text: string): { score: number; matched: number[] } | null {
  const q = query.toLowerCase().replace(/\s+/g, "");
  const t = text.toLowerCase();
  if (q === "") return { score: 0, matched: [] };
  const matched: number[] = [];
  let score = 0;
  let from = 0;
  let previous = -2;
  for (const ch of q) {
    // Prefer the next word start holding the letter over the first occurrence.
    let at = t.indexOf(ch, from);
    if (at < 0) return null;
    if (at !== previous + 1) {
      for (let i = at; i < t.length; i++) {
        if (t[i] === ch && (i === 0 || /[-/. _·]/.test(t[i - 1]!))) {
          at = i;
          break;
        }
      }
    }
    score += 1;
    if (at === previous + 1) score += 5;
    if (at === 0 || /[-/. _·]/.test(t[at - 1]!)) score += 3;
    matched.push(at);
    previous = at;
    from = at + 1;
  }
  // A whole-word or prefix match beats scattered letters; shorter names win a tie.
  if (t.startsWith(q)) score += 10;
  if (t === q) score += 10;
  return { score: score - t.length / 100, matched };
}

const sameTarget = (a: SessionTarget, b: SessionTarget): boolean =>
  a.profile === b.profile && a.namespace === b.namespace && a.pod === b.pod && a.container === b.container &&
  JSON.stringify(a.command) === JSON.stringify(b.command);

const POD_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** kube's alphabet for generated name suffixes (a ReplicaSet's pod-template-hash). */
const HASH = /-[bcdfghjklmnpqrstvwxz2456789]{1,10}$/;

/**
 * The workload that runs a pod, as `kind/name` (kubectl's resource words): a ReplicaSet named
 * `NAME-HASH` is a Deployment's (the Deployment is NAME); null for a bare pod or a Node's.
 */
export function workloadOf(p: Pick<PodSummary, "owner">): string | null {
  const o = p.owner;
  if (!o) return null;
  switch (o.kind) {
    case "ReplicaSet":
      return HASH.test(o.name) ? `deployment/${o.name.replace(HASH, "")}` : `replicaset/${o.name}`;
    case "StatefulSet":
    case "DaemonSet":
    case "Job":
      return `${o.kind.toLowerCase()}/${o.name}`;
    default:
      return null;
  }
}

/**
 * A workload's pod to open: of those running and not terminating, with no container waiting, the
 * Ready ones first (`ready` "n/n"), each kind newest first; as `podterm exec deploy/x` takes a pod
 * that runs when none is Ready.
 */
export function workloadPod(pods: readonly PodSummary[]): PodSummary | null {
  const running = pods.filter((p) => p.reason === null && p.phase === "Running" && !p.terminating);
  const ready = (p: PodSummary) => /^(\d+)\/\1$/.test(p.ready) && p.ready !== "0/0";
  running.sort((a, b) => {
    if (ready(a) !== ready(b)) return ready(a) ? -1 : 1;
    return b.createdAt < a.createdAt ? -1 : b.createdAt > a.createdAt ? 1 : 0;
  });
  return running[0] ?? null;
}

/**
 * Every candidate, before matching: favourites, recent sessions, the listed pods, then their
 * workloads.
 */
export function quickItems(s: QuickSources, query: string): QuickItem[] {
  const items: QuickItem[] = [];
  for (const f of s.favourites) {
    items.push({ kind: "favourite", name: f.name, detail: `★ ${favouriteWhere(f)}` });
  }
  const seen: SessionTarget[] = [];
  for (const t of s.recent) {
    if (!t.pod || seen.some((o) => sameTarget(o, t))) continue;
    seen.push(t);
    const cmd = t.command && t.command.length > 0 ? ` (${t.command.join(" ")})` : "";
    items.push({
      kind: "recent",
      target: t,
      label: `${t.namespace}/${t.pod}${t.container ? `/${t.container}` : ""}${cmd}`,
      detail: `recent · ${t.profile}`,
    });
  }
  if (s.profile !== null && s.namespace !== null) {
    for (const p of s.pods) {
      items.push({
        kind: "pod",
        target: { profile: s.profile, namespace: p.namespace || s.namespace, pod: p.name, container: p.defaultContainer, command: null },
        label: `${p.namespace || s.namespace}/${p.name}`,
        detail: `pod · ${s.profile} · ${p.phase}`,
        refusal: execRefusal(p),
      });
    }
    const workloads = new Map<string, { namespace: string; workload: string; pods: PodSummary[] }>();
    for (const p of s.pods) {
      const workload = workloadOf(p);
      if (!workload) continue;
      const namespace = p.namespace || s.namespace;
      const key = `${namespace}/${workload}`;
      const w = workloads.get(key) ?? { namespace, workload, pods: [] };
      w.pods.push(p);
      workloads.set(key, w);
    }
    for (const [label, w] of workloads) {
      const pod = workloadPod(w.pods);
      const n = w.pods.length;
      items.push({
        kind: "workload",
        target: pod ? { profile: s.profile, namespace: w.namespace, pod: pod.name, container: pod.defaultContainer, command: null } : null,
        label,
        detail: `${s.profile} · ${n} pod${n === 1 ? "" : "s"}${pod ? ` · opens ${pod.name}` : ""}`,
        refusal: pod ? null : `No pod of ${w.workload} in ${w.namespace} runs: open one of its pods by name to see why.`,
      });
    }
  }
  // The nodes the listed pods run on, and one typed as `node/NAME`: a shell on the node.
  if (s.profile !== null && s.namespace !== null) {
    const namespace = s.namespace === ALL_NAMESPACES ? "" : s.namespace;
    const nodes = new Map<string, number>();
    for (const p of s.pods) if (p.node) nodes.set(p.node, (nodes.get(p.node) ?? 0) + 1);
    const typedNode = /^\s*(?:node|nodes)\/([a-z0-9][-a-z0-9.]*)\s*$/.exec(query)?.[1];
    if (typedNode && POD_NAME.test(typedNode) && !nodes.has(typedNode)) nodes.set(typedNode, 0);
    for (const [node, n] of nodes) {
      const listed = n === 0 ? "as typed" : `${n} listed pod${n === 1 ? "" : "s"} on it`;
      const item: QuickItem = { kind: "node", profile: s.profile, namespace, node, label: `node/${node}`, detail: `a shell on the node · ${s.profile} · ${listed}` };
      items.push(n === 0 ? { ...item, typed: true } : item);
    }
  }
  // `namespace/pod` typed whole: that pod in the current cluster, listed or not.
  const typed = /^\s*([a-z0-9][-a-z0-9.]*)\/([a-z0-9][-a-z0-9.]*)\s*$/.exec(query);
  // (`node/NAME` is also a node, above, offered first: a namespace may be named `node` too.)
  if (typed && s.profile !== null && POD_NAME.test(typed[1]!) && POD_NAME.test(typed[2]!)) {
    const [, namespace, pod] = typed as unknown as [string, string, string];
    const listed = items.some((i) => i.kind === "pod" && i.target.namespace === namespace && i.target.pod === pod);
    if (!listed) {
      items.push({
        kind: "typed",
        target: { profile: s.profile, namespace, pod, container: "", command: null },
        label: `${namespace}/${pod}`,
        detail: `open by name in ${s.profile}`,
      });
    }
  }
  return items;
}

/** The kinds' order among equal scores: favourites, recent, workloads, pods, nodes, a typed name. */
const KIND_ORDER: Record<QuickItem["kind"], number> = { favourite: 0, recent: 1, workload: 2, pod: 3, node: 4, typed: 5 };

/** The items matching `query`, best first (at most `limit`). */
export function rank(query: string, items: readonly QuickItem[], limit = 50): Ranked[] {
  const out: Ranked[] = [];
  for (const item of items) {
    if (item.kind === "typed" || (item.kind === "node" && item.typed)) {
      // Always offered when typed, below what the letters match in the lists.
      out.push({ item, score: -1, matched: [] });
      continue;
    }
    const m = fuzzy(query, itemLabel(item));
    if (m) out.push({ item, score: m.score, matched: m.matched });
  }
  out.sort((a, b) => b.score - a.score || KIND_ORDER[a.item.kind] - KIND_ORDER[b.item.kind]);
  return out.slice(0, limit);
}
