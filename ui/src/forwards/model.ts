// Port forwards in the app: what the "Forward a port…" question accepts, and how a forward is
// said in the sidebar's list. The bytes move in the engine, on 127.0.0.1 only.
import type { DeclaredPort, ForwardInfo, ServicePortSummary, ServiceSummary } from "../ipc/types";

/** What is wrong with `text` as the pod's port (null: nothing): a number, or a port's name. */
export function portProblem(text: string): string | null {
  const t = text.trim();
  if (t === "") return "Name the port in the pod: its number (8080) or the name a container gives it (http)";
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return n >= 1 && n <= 65535 ? null : `${t.slice(0, 12)} is not a port: a port is a number from 1 to 65535`;
  }
  // A container port's name: an IANA service name (lowercase letters, digits, '-', at most 15).
  if (t.length <= 15 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(t) && /[a-z]/.test(t)) return null;
  return `"${t.slice(0, 40)}" is neither a port number nor a port's name (lowercase letters, digits and '-', at most 15)`;
}

/** What is wrong with `text` as the local port (null: nothing; empty: the pod's number when free, else any). */
export function localProblem(text: string): string | null {
  const t = text.trim();
  if (t === "") return null;
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n >= 1 && n <= 65535) return null;
  }
  return `${t.slice(0, 12)} is not a local port: a number from 1 to 65535, or empty for a free one`;
}

/** What the pod's port field takes for a declared port: its name (found again in the next pod a forward follows), else its number. */
export function declaredPortValue(p: DeclaredPort): string {
  return p.name ?? String(p.port);
}

/** A declared port's button: `http 80`, and its container when the pod's ports are in more than one. */
export function declaredPortLabel(p: DeclaredPort, all: readonly DeclaredPort[]): string {
  const port = p.name ? `${p.name} ${p.port}` : String(p.port);
  const containers = new Set(all.map((x) => x.container));
  return containers.size > 1 ? `${port} · ${p.container}` : port;
}

/** The pod's port as a row says it: `80`, `80 (http)` when asked by name, `http` when its number is not known. */
export function remotePort(f: ForwardInfo): string {
  if (f.portName === null) return String(f.remote);
  return f.remote === 0 ? f.portName : `${f.remote} (${f.portName})`;
}

/** Where a forward is reached from this computer. */
export function forwardAddress(f: ForwardInfo): string {
  return `127.0.0.1:${f.local}`;
}

/** The address as a link the browser opens (the engine's: https when the port says TLS, else http). */
export function forwardUrl(f: ForwardInfo): string {
  return f.url;
}

/** The Service's port as a row says it: `80`, `80 (http)` when asked by name, `http` when its number is not known. */
export function servicePort(f: ForwardInfo): string {
  const s = f.service;
  if (!s) return remotePort(f);
  if (f.portName === null) return String(s.port);
  return s.port === 0 ? f.portName : `${s.port} (${f.portName})`;
}

/** Where a forward goes: the pod's port (`web-1:80 (http)`), or the Service's (`svc/web:80 (http)`). */
export function forwardTarget(f: ForwardInfo): string {
  return f.service ? `svc/${f.service.name}:${servicePort(f)}` : `${f.pod}:${remotePort(f)}`;
}

/** The row's first line: this computer's address → the pod's port (or the Service's). */
export function forwardTitle(f: ForwardInfo): string {
  return `${forwardAddress(f)} \u2192 ${forwardTarget(f)}`;
}

/** The row's second line: connections, the last one's failure, why the forward ended, or that it is not listening yet. */
export function forwardStatus(f: ForwardInfo): string {
  if (f.state.state === "ended") return `Ended: ${f.state.reason}`;
  if (f.state.state === "starting") return `${f.namespace} \u00b7 starting again: not listening yet`;
  const count = f.connections === 1 ? "1 connection" : `${f.connections} connections`;
  const open = f.open > 0 ? `, ${f.open} open` : "";
  const failed = f.error ? ` \u2014 the last failed: ${f.error}` : "";
  return `${f.namespace} \u00b7 ${count}${open}${failed}`;
}

/**
 * The row's line about the pods it follows: the workload, and the last move (waiting for its
 * next pod, or the pod it moved from and why); for a forward still starting, what it waits for.
 * Empty for a forward to a pod nothing owns, and once the forward ended (its reason says what
 * became of it).
 */
export function forwardFollows(f: ForwardInfo): string {
  if (f.state.state === "ended") return "";
  if (f.state.state === "starting") return f.note ? `Waits: ${f.note}` : "";
  // Through a Service: the pod its selector found, and the pod's port the Service's targets.
  if (f.service && !f.waiting) {
    const at = `Reaches ${f.pod}:${f.remote}`;
    return f.note ? `${at} \u2014 ${f.note}` : at;
  }
  if (!f.workload) return "";
  return f.note ? `Follows ${f.workload} — ${f.note}` : `Follows ${f.workload}`;
}

/**
 * Whether `f` is news about `old` (the same forward): the start's answer, the list and the
 * watch's events reach the page by different ways, so an older state may come last. An ended
 * forward stays ended; otherwise the higher revision (every change counts one) is the newer.
 */
export function isNewer(old: ForwardInfo, f: ForwardInfo): boolean {
  if (old.state.state === "ended" && f.state.state !== "ended") return false;
  return f.revision >= old.revision;
}

/** The list after a change: `f` in place of its older self (unless it is older), else added; in id order. */
export function withForward(list: readonly ForwardInfo[], f: ForwardInfo): ForwardInfo[] {
  const old = list.find((x) => x.id === f.id);
  if (old && !isNewer(old, f)) return [...list];
  const rest = list.filter((x) => x.id !== f.id);
  return [...rest, f].sort((a, b) => a.id - b.id);
}

/** A Service port's button: `http 80`, with where it goes in the pod when that differs (`http 80 → 8080`, `80 → web`), and a protocol other than TCP (`dns 53/UDP`). */
export function servicePortLabel(p: ServicePortSummary): string {
  const head = p.name ? `${p.name} ${p.port}` : String(p.port);
  const proto = p.protocol === "TCP" ? "" : `/${p.protocol}`;
  const to = p.target === String(p.port) ? "" : ` \u2192 ${p.target}`;
  return `${head}${proto}${to}`;
}

/** Why no forward can go through Service `s` (or its port `p`); null: one can. */
export function serviceRefusal(s: ServiceSummary, p?: ServicePortSummary): string | null {
  if (s.selector === null) return `${s.name} has no selector: it sends to no pods a forward could reach`;
  if (p && p.protocol !== "TCP") return `${p.port} is a ${p.protocol} port: a forward carries TCP only`;
  return null;
}

/** What a forward asks for a Service's port: its name when it has one (kubectl takes either), else its number. */
export function servicePortValue(p: ServicePortSummary): string {
  return p.name ?? String(p.port);
}

/** The Services whose name, type or selector holds every word of `filter` (any case). */
export function filterServices(list: readonly ServiceSummary[], filter: string): ServiceSummary[] {
  const words = filter.toLowerCase().split(/\s+/).filter((w) => w !== "");
  return list.filter((s) => {
    const text = `${s.name} ${s.kind} ${s.selector ?? ""}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

/**
 * The name to look a Service up by when the filter finds none among the Services listed and
 * the namespace has more: the filter itself when it can be a Service's name (a DNS-1035 label:
 * lower case letters, digits and `-`, a letter first, at most 63), else null.
 */
export function serviceLookupName(filter: string): string | null {
  const name = filter.trim();
  return /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name) ? name : null;
}

/** A chosen Service port as the dialog says it: `svc/web:80 (http) → the pods' port 8080`. */
export function serviceChoice(service: string, p: ServicePortSummary): string {
  const port = p.name ? `${p.port} (${p.name})` : String(p.port);
  return `svc/${service}:${port} \u2192 the pods' port ${p.target}`;
}
