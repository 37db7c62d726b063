// Files in the app, the pure part: the transfers as the backend reports them (one update at a
// time, a few a second while each runs), which belong to a tab, how they read, where a drop
// lands by default, and completing a pod path from a directory's listing. The view (view.ts)
// only draws what this says. The bytes never pass through the page: the engine moves them, the
// page names paths.
import type { TransferInfo, TransferTarget } from "../ipc/types";

/** `1.5 MiB`, as the CLI's progress line says it. */
export function bytesText(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** A fraction 0..1 of the transfer done, or null when its size is not known. */
export function fraction(t: TransferInfo): number | null {
  if (t.total <= 0) return null;
  return Math.min(1, t.bytes / t.total);
}

/** `1.5 MiB of 3.0 MiB · 2.0 MiB/s`: what moved, of how much, how fast. */
export function progressText(t: TransferInfo): string {
  let s = bytesText(t.bytes);
  if (t.total > 0) s += ` of ${bytesText(Math.max(t.total, t.bytes))}`;
  if (t.state.state === "running" || t.rate > 0) s += ` · ${bytesText(t.rate)}/s`;
  return s;
}

/** The state in a word or a sentence (a failure's reason is the backend's, escaped there). */
export function stateText(t: TransferInfo): string {
  switch (t.state.state) {
    case "running":
      return "running";
    case "done":
      return "done";
    case "cancelled":
      return "cancelled";
    case "failed":
      return `failed: ${t.state.reason}`;
  }
}

/** `shell/main`: the pod and container a transfer went to or came from. */
export function podText(target: TransferTarget): string {
  return target.container ? `${target.pod}/${target.container}` : target.pod;
}

/**
 * What a transfer's bar says of a debug tab (null for any other tab): where the container has
 * nothing to copy a file with (distroless: no tar, cat, dd or base64), the engine goes through
 * this tab's debug container, which sees its files; only if that one no longer runs is another
 * added, and an added one stays in the pod (ephemeral containers cannot be removed).
 */
export function debugVia(debug: { name: string; image: string } | undefined, container: string): string | null {
  if (!debug) return null;
  const which = debug.name ? `this tab's debug container ${debug.name}` : "this tab's debug container";
  return (
    `Where ${container || "the container"} has no tar, cat, dd or base64, this goes through ${which} (${debug.image}), ` +
    "which sees its files. Should it no longer run, another is added, and stays in the pod until the pod is deleted."
  );
}

/** The notice at a transfer's end. */
export function endNotice(t: TransferInfo): string {
  const where = podText(t.target);
  const up = t.direction === "upload";
  switch (t.state.state) {
    case "running":
      return up ? `Uploading ${t.name} to ${where}:${t.podPath}` : `Downloading ${t.name} from ${where}`;
    case "done":
      return up
        ? `Uploaded ${t.name} to ${where}:${t.podPath} (${bytesText(t.bytes)})`
        : `Downloaded ${t.name} from ${where} to ${t.localPath} (${bytesText(t.bytes)})`;
    case "cancelled":
      return `${up ? "Upload" : "Download"} of ${t.name} cancelled; no partial file was left under its name`;
    case "failed":
      return `${up ? "Upload" : "Download"} of ${t.name} failed: ${t.state.reason}`;
  }
}

/** Whether a transfer went to or came from the pod of a tab (`namespace` empty: any). */
export function belongsTo(t: TransferInfo, tab: TransferTarget): boolean {
  return (
    t.target.profile === tab.profile &&
    t.target.pod === tab.pod &&
    (t.target.namespace === tab.namespace || !t.target.namespace || !tab.namespace)
  );
}

/** Every transfer of this run by id, as updates arrive; listeners hear each change. */
export class TransfersModel {
  private readonly byId = new Map<number, TransferInfo>();
  /** Finished transfers whose notice the user dismissed in their tab's strip. */
  private readonly dismissed = new Set<number>();
  private readonly listeners = new Set<(t: TransferInfo | null) => void>();

  /** An update from the backend (a newer one replaces the older; a final one stays final). */
  apply(t: TransferInfo): void {
    const had = this.byId.get(t.id);
    if (had && had.state.state !== "running" && t.state.state === "running") return;
    this.byId.set(t.id, t);
    this.emit(t);
  }

  /** The whole list, as `list_transfers` gives it after a reload. */
  replace(all: TransferInfo[]): void {
    this.byId.clear();
    for (const t of all) this.byId.set(t.id, t);
    this.emit(null);
  }

  get(id: number): TransferInfo | undefined {
    return this.byId.get(id);
  }

  /** Oldest first. */
  list(): TransferInfo[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }

  running(): TransferInfo[] {
    return this.list().filter((t) => t.state.state === "running");
  }

  /** What a tab's strip shows: its pod's running transfers and finished ones not dismissed. */
  forTab(tab: TransferTarget): TransferInfo[] {
    return this.list().filter((t) => belongsTo(t, tab) && (t.state.state === "running" || !this.dismissed.has(t.id)));
  }

  dismiss(id: number): void {
    this.dismissed.add(id);
    this.emit(this.byId.get(id) ?? null);
  }

  /** Forgets finished transfers (the backend's `clear_transfers` did the same). */
  clearFinished(): void {
    for (const [id, t] of this.byId) if (t.state.state !== "running") this.byId.delete(id);
    this.emit(null);
  }

  /** `fn` hears each change (the transfer changed, or null: many). Returns the unsubscribe. */
  onChange(fn: (t: TransferInfo | null) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(t: TransferInfo | null): void {
    for (const fn of this.listeners) fn(t);
  }
}

/** A pod's key for remembering the last directory used there (the workload's pods differ). */
export function podKey(t: TransferTarget): string {
  return JSON.stringify([t.profile, t.namespace, t.pod, t.container]);
}

/**
 * Where a drop lands by default: the last directory used for this pod's container, else the
 * container's working directory (null while not known yet), else `/tmp`.
 */
export function dropDestination(remembered: string | undefined, workingDir: string | null): string {
  return remembered ?? workingDir ?? "/tmp";
}

/**
 * The drop bar's destination once the container's working directory arrives: it replaces the
 * value the bar put there, never what the user typed meanwhile (null: the field stays as it is).
 * Where the focus is says nothing: a user who typed `/data` and tabbed to Upload meant `/data`.
 */
export function workingDirFill(field: string, prefilled: string, workingDir: string): string | null {
  return field === prefilled ? dropDestination(undefined, workingDir) : null;
}

/** What Download…'s path field starts with: the directory used last for the pod, to go on typing. */
export function downloadPathStart(remembered: string | undefined): string {
  if (!remembered) return "";
  return remembered.endsWith("/") ? remembered : `${remembered}/`;
}

/** The names a drop carries, for its bar: `a.txt`, `a.txt and b.txt`, `a.txt and 4 more`. */
export function droppedNames(paths: string[]): string {
  const names = paths.map((p) => p.replace(/\/+$/, "").split("/").pop() || p);
  if (names.length <= 2) return names.join(" and ");
  return `${names[0]} and ${names.length - 1} more`;
}

/** A pod path being typed, split for completion: the directory to list and the name begun. */
export function completionParts(typed: string): { dir: string; prefix: string } {
  const i = typed.lastIndexOf("/");
  if (i < 0) return { dir: "", prefix: typed };
  return { dir: typed.slice(0, i + 1), prefix: typed.slice(i + 1) };
}

/** The entries of a listing that continue what was typed, as whole paths. */
export function completions(typed: string, entries: string[]): string[] {
  const { dir, prefix } = completionParts(typed);
  return entries.filter((e) => e.startsWith(prefix)).map((e) => dir + e);
}

/** What Tab completes to: the longest common start of the candidates (the typed text when none). */
export function completeOnce(typed: string, candidates: string[]): string {
  if (candidates.length === 0) return typed;
  let common = candidates[0]!;
  for (const c of candidates.slice(1)) {
    let i = 0;
    while (i < common.length && i < c.length && common[i] === c[i]) i += 1;
    common = common.slice(0, i);
  }
  return common.length > typed.length ? common : typed;
}
