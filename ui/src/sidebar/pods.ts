// The pod list: the pods of one namespace kept current from watch events, and what the sidebar
// shows of each (pure: no DOM, no IPC).
import { formatAge } from "./age";
import type { PodChange, PodSummary } from "../ipc/types";

/** The pods of one namespace, kept current from watch events. */
export class PodList {
  private byName = new Map<string, PodSummary>();

  /** Applies a watch event; false when it changed nothing. */
  apply(event: PodChange): boolean {
    const { pod } = event;
    switch (event.type) {
      case "Added":
      case "Modified":
        this.byName.set(pod.name, pod);
        return true;
      case "Deleted":
        return this.byName.delete(pod.name);
      default:
        return false;
    }
  }

  clear(): void {
    this.byName.clear();
  }

  get size(): number {
    return this.byName.size;
  }

  get(name: string): PodSummary | undefined {
    return this.byName.get(name);
  }

  /** All pods by name, as kubectl lists them. */
  sorted(): PodSummary[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** kubectl's STATUS column, as far as a summary can tell. */
export function podStatus(p: PodSummary): string {
  return p.terminating ? "Terminating" : p.phase;
}

/**
 * The filter box: every whitespace-separated word must appear (case-insensitive) in the pod's
 * name, status or container names.
 */
export function matchesFilter(p: PodSummary, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = [p.name, podStatus(p), ...p.containers].join(" ").toLowerCase();
  return words.every((w) => hay.includes(w));
}

export function visiblePods(pods: PodList, query: string): PodSummary[] {
  return pods.sorted().filter((p) => matchesFilter(p, query));
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

/** kubectl refuses to exec into a completed pod; say so before trying. */
export function execRefusal(p: PodSummary): string | null {
  if (p.phase === "Succeeded" || p.phase === "Failed") {
    return `cannot exec into a container in a completed pod; current phase is ${p.phase}`;
  }
  return null;
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
