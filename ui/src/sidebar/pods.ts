// The pod list: the pods of one namespace kept current from watch events, and what the sidebar
// shows of each (pure: no DOM, no IPC).
import { formatAge } from "./age";
import type { PodChange, PodSummary } from "../ipc/types";

/** The value of the namespace menu's "All namespaces" (never a namespace's name). */
export const ALL_NAMESPACES = "\u0000all";

/** A pod's key in a list that may hold several namespaces. */
export const podKey = (p: Pick<PodSummary, "namespace" | "name">): string => `${p.namespace}/${p.name}`;

/** The pods of one namespace (or of all), kept current from watch events. */
export class PodList {
  private byKey = new Map<string, PodSummary>();
  /** The keys of the pods of each name, in the order they came: a bare name finds its first at
   *  once (a scan of the list for each of a long list's rows was quadratic). */
  private byName = new Map<string, Set<string>>();

  /** Applies a watch event; false when it changed nothing. */
  apply(event: PodChange): boolean {
    const { pod } = event;
    const key = podKey(pod);
    switch (event.type) {
      case "Added":
      case "Modified": {
        this.byKey.set(key, pod);
        const keys = this.byName.get(pod.name);
        if (keys) keys.add(key);
        else this.byName.set(pod.name, new Set([key]));
        return true;
      }
      case "Deleted": {
        const keys = this.byName.get(pod.name);
        keys?.delete(key);
        if (keys?.size === 0) this.byName.delete(pod.name);
        return this.byKey.delete(key);
      }
      default:
        return false;
    }
  }

  clear(): void {
    this.byKey.clear();
    this.byName.clear();
  }

  get size(): number {
    return this.byKey.size;
  }

  /** A pod by `namespace/name`, or by its bare name (the first of that name). */
  get(ref: string): PodSummary | undefined {
    const exact = this.byKey.get(ref);
    if (exact) return exact;
    const first = this.byName.get(ref)?.values().next();
    return first && !first.done ? this.byKey.get(first.value) : undefined;
  }

  /** All pods by name (then namespace), as kubectl lists them. */
  sorted(): PodSummary[] {
    return [...this.byKey.values()].sort((a, b) => cmp(a.name, b.name) || cmp(a.namespace, b.namespace));
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** How the pod list is ordered. */
export type PodSort = "name" | "age" | "status" | "restarts";

export const POD_SORTS: readonly { value: PodSort; label: string }[] = [
  { value: "name", label: "Name" },
  { value: "age", label: "Newest" },
  { value: "status", label: "Status" },
  { value: "restarts", label: "Restarts" },
];

/**
 * Pods in `sort` order: by name; by age (newest first); by status (pods that are not Ready
 * first, grouped by their status word, then the rest); by restarts (most first), each by name
 * within.
 */
export function sortPods(pods: PodSummary[], sort: PodSort): PodSummary[] {
  const byName = (a: PodSummary, b: PodSummary) => cmp(a.name, b.name) || cmp(a.namespace, b.namespace);
  const out = [...pods];
  switch (sort) {
    case "name":
      return out.sort(byName);
    case "age": {
      const t = (p: PodSummary) => (p.createdAt ? Date.parse(p.createdAt) : Number.NEGATIVE_INFINITY);
      return out.sort((a, b) => t(b) - t(a) || byName(a, b));
    }
    case "status": {
      const ok = (p: PodSummary) => (p.reason === null && p.phase === "Running" ? 1 : 0);
      return out.sort((a, b) => ok(a) - ok(b) || cmp(podStatus(a), podStatus(b)) || byName(a, b));
    }
    case "restarts":
      return out.sort((a, b) => b.restarts - a.restarts || byName(a, b));
  }
}

/** What a pod row's tooltip says: where it is and runs (node, IPs), and why it is not Ready. */
export function podTooltip(p: PodSummary): string {
  const lines = [`${p.namespace}/${p.name}`, `node: ${p.node ?? "(not scheduled)"}`, `IP: ${p.ips.length > 0 ? p.ips.join(", ") : "(none yet)"}`];
  if (p.reason) lines.push(p.reason);
  return lines.join("\n");
}

/**
 * kubectl's STATUS column: Terminating, else the reason the pod is not Ready when there is a word
 * for it (ContainerCreating, CrashLoopBackOff, ImagePullBackOff, OOMKilled), else the phase.
 */
export function podStatus(p: PodSummary): string {
  if (p.terminating) return "Terminating";
  const last = p.reason?.split(": ").at(-1)?.trim() ?? "";
  // One word (`CrashLoopBackOff`), not a sentence (`container app not ready`).
  return /^[A-Za-z]+$/.test(last) && last !== "Ready" ? last : p.phase;
}

/**
 * The filter box: every whitespace-separated word must appear (case-insensitive) in the pod's
 * name, status or container names.
 */
export function matchesFilter(p: PodSummary, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = [p.name, podStatus(p), ...p.containers, p.namespace].join(" ").toLowerCase();
  return words.every((w) => hay.includes(w));
}

export function visiblePods(pods: PodList, query: string, sort: PodSort = "name"): PodSummary[] {
  return sortPods(pods.sorted().filter((p) => matchesFilter(p, query)), sort);
}

/** Lists longer than this draw only the rows in and near the view; spacers stand for the rest. */
export const WINDOW_FROM = 150;
/** Rows drawn beyond each edge of the view (a picker's taller row, a fast scroll). */
export const WINDOW_MARGIN = 30;

/**
 * The rows of a list of `count` to draw, `[from, to)`: all of a list up to WINDOW_FROM;
 * of a longer one, those the view shows (`scrollTop`, `viewHeight`, rows of `rowHeight`) and
 * WINDOW_MARGIN beyond each edge. A list of 3,000 pods rewrote, restyled and laid out 3,000
 * rows, and WebKit held them all (~145 MB in the page); drawn so, it costs a screenful.
 */
export function podWindow(count: number, scrollTop: number, viewHeight: number, rowHeight: number): { from: number; to: number } {
  if (count <= WINDOW_FROM || !(rowHeight > 0)) return { from: 0, to: count };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const last = Math.ceil((Math.max(0, scrollTop) + Math.max(0, viewHeight)) / rowHeight);
  const to = Math.min(count, last + WINDOW_MARGIN);
  // Scrolled past the end (the list shrank under the view): the last rows.
  const from = Math.max(0, Math.min(first, to - (last - first)) - WINDOW_MARGIN);
  return { from, to };
}

export interface PodRow {
  name: string;
  status: string;
  ready: string;
  restarts: string;
  age: string;
}

export function podRow(p: PodSummary, now: number): PodRow {
  return {
    name: p.name,
    status: podStatus(p),
    ready: p.ready,
    restarts: String(p.restarts),
    age: formatAge(p.createdAt, now),
  };
}

/** The picker's containers: the pod's own, then its ephemeral (debug) ones, each once. */
export function pickerContainers(p: Pick<PodSummary, "containers" | "ephemeralContainers">): string[] {
  const extra = (p.ephemeralContainers ?? []).filter((c) => !p.containers.includes(c));
  return [...p.containers, ...extra];
}

/**
 * Whether the pod has completed (a Job's: `Succeeded` or `Failed`): nothing runs in it, nor ever
 * will. Its tab is still opened: the engine says kubectl's words and the tab offers a copy of it.
 */
export function isCompleted(p: Pick<PodSummary, "phase">): boolean {
  return p.phase === "Succeeded" || p.phase === "Failed";
}

/**
 * A Pending pod's containers are not running yet: say why before trying, rather than let the API
 * server answer with a bare BadRequest. (A completed pod is not refused here: its tab offers a
 * copy, [`isCompleted`].)
 */
export function execRefusal(p: PodSummary): string | null {
  if (p.phase === "Pending") {
    const why = p.reason && p.reason !== "Pending" ? ` (${p.reason.replace(/^Pending: /, "")})` : "";
    return `${p.name} is Pending${why}: its containers are not running yet; a shell can be opened once it is Running`;
  }
  return null;
}

/** What the pod list says when it shows no pod (empty: it shows pods, or nothing to say). */
export function podListEmptyText(s: {
  profile: string | null;
  profilesLoaded: boolean;
  namespace: string | null;
  busy: boolean;
  loading: boolean;
  unlisted: "forbidden" | "failed" | null;
  total: number;
  shown: number;
  filter: string;
}): string {
  if (s.profile === null) return s.profilesLoaded ? "Add a cluster to see its pods." : "Loading…";
  if (s.namespace === null) return s.busy ? "" : "No namespace to show.";
  if (s.unlisted === "forbidden") {
    return `Listing the pods in ${s.namespace} is forbidden for this cluster's credentials: the pods are unknown. Open one by name above if you know it.`;
  }
  if (s.unlisted === "failed") return `The pods in ${s.namespace} could not be listed: they are unknown.`;
  if (s.loading && s.total === 0) return "Loading pods…";
  if (s.total === 0) return `No pods in ${s.namespace}.`;
  if (s.shown === 0) return `No pod matches "${s.filter}".`;
  return "";
}

/**
 * Splits a command line the way a shell would for simple cases: whitespace separates words,
 * '…' and "…" quote, a backslash escapes the next character. Empty input means "no command"
 * (the shell fallback): null.
 */
export function parseCommand(text: string): string[] | null {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < text.length && /["\\$`]/.test(text[i + 1]!)) cur += text[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words.length > 0 ? words : null;
}

/** The namespace to show first for a profile. */
export function pickNamespace(namespaces: string[], preferred: string | null): string | null {
  if (preferred && namespaces.includes(preferred)) return preferred;
  if (namespaces.includes("default")) return "default";
  return namespaces[0] ?? preferred ?? null;
}

/** What a pod list that left pods out says: how many it holds, and what narrows it. */
export function cappedWords(limit: number, allNamespaces: boolean): string {
  const narrow = allNamespaces ? ": pick a namespace to list its own" : ": open one by its name above";
  return `${limit.toLocaleString("en-US")} pods listed, the most a list holds; the others are left out${narrow}.`;
}
