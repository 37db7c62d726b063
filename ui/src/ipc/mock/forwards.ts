// Port forwards as the app runs them, in the page: no socket is opened (the mock has no pod to
// reach). A forward is checked as the engine checks it (the pod there and running; a port by
// number, or by a name one of the pod's containers declares, else refused in the engine's
// words), takes the pod's port number as its local port unless another forward has it, and ends
// when its pod is deleted, unless a workload owns the pod: then it follows the workload to its
// newest Ready pod (a rollout), or says it waits for one. Tests make connections through it
// (`connectForward`), each opening and ending at once, or failing with words.
import type { ForwardInfo, ForwardRequest } from "../types";
import { mockError } from "./errors";
import { mockPodReady, type MockCluster } from "./pods";

/** What a browser opens for a forward, as the engine says it (https when the port says TLS). */
function mockUrl(local: number, remote: number, name: string | null): string {
  const tls = (name !== null && (name.startsWith("https") || name.endsWith("https"))) || remote === 443 || remote === 8443;
  return `${tls ? "https" : "http"}://127.0.0.1:${local}/`;
}

/** How long a restored forward waits for a Ready pod of its workload (the engine's RESTORE_READY_WAIT). */
export const MOCK_RESTORE_READY_WAIT_MS = 45_000;

/** Where the mock keeps the running forwards (a page reload is a restart), as forwards.json. */
export const MOCK_FORWARDS_KEY = "podterm.mock.forwards";

/** A forward as forwards.json keeps it (the engine's SavedForward). */
export interface MockSavedForward {
  profile: string;
  namespace: string;
  pod: string;
  remote: string;
  local: number;
  workload: string | null;
  /** The Service it goes through (`remote` is then the Service's port). */
  service?: string | null;
}

export class MockForwards {
  private readonly items = new Map<number, ForwardInfo>();
  /** What starts each forward again after a restart (none once it ended). */
  private readonly keep = new Map<number, MockSavedForward>();
  private next = 1;
  private sink: ((f: ForwardInfo) => void) | null = null;
  private restored = false;

  constructor(
    private readonly cluster: MockCluster,
    private readonly store: Storage | null = null,
    /** Whether forwards are kept for the next start (the "reopen at start" setting). */
    private readonly keeping: () => boolean = () => true,
  ) {}

  private persist(): void {
    if (this.keeping()) this.store?.setItem(MOCK_FORWARDS_KEY, JSON.stringify([...this.keep.values()]));
  }

  /**
   * The last run's forwards started again (once): each listed at once as starting, then on its
   * pod, else its workload's newest Ready pod, in its row's place; else ended there, saying why.
   * One whose workload (or Service) has no Ready pod yet says so and waits for one (ended when
   * the wait is over; removed meanwhile, it never starts); the others do not wait for it.
   */
  async restore(): Promise<ForwardInfo[]> {
    const first = !this.restored;
    this.restored = true;
    if (!first || !this.keeping()) return [];
    let saved: MockSavedForward[] = [];
    try {
      const v: unknown = JSON.parse(this.store?.getItem(MOCK_FORWARDS_KEY) ?? "[]");
      if (Array.isArray(v)) saved = v as MockSavedForward[];
    } catch {
      /* a broken entry: none */
    }
    const rows = saved.map((s) => ({ s, id: this.starting(s) }));
    // Those that can start do so now (before the first await); the others wait.
    const done = await Promise.all(rows.map(({ s, id }) => this.resolve(s, id)));
    return done.filter((f): f is ForwardInfo => f !== null);
  }

  /** Starting row `id` (saved forward `s`) started in place, or waiting for its Ready pod first. */
  private async resolve(s: MockSavedForward, id: number): Promise<ForwardInfo | null> {
    const target = this.noneReady(s);
    if (target === null) return this.startInPlace(s, id);
    const row = this.items.get(id);
    if (row) {
      row.waiting = true;
      row.note = `no Ready pod of ${target} yet: waiting up to 45 s for one`;
      this.changed(row);
    }
    return this.waitReady(s, id);
  }

  /** The workload (or Service) saved forward `s` would wait for: its pod gone and none of the workload's Ready; else null. */
  private noneReady(s: MockSavedForward): string | null {
    if (s.service) {
      const svc = this.cluster.service(s.namespace, s.service);
      if (!svc || svc.selects === null) return null;
      return this.newestReady(s.namespace, "service", s.service, "") ? null : `service/${s.service}`;
    }
    const now = this.cluster.find(s.namespace, s.pod);
    if ((now && now.phase === "Running") || !s.workload) return null;
    const [kind = "", name = ""] = s.workload.split("/");
    return this.newestReady(s.namespace, kind, name, "") ? null : s.workload;
  }

  /** Lists saved forward `s` as starting again (a new id, returned): not listening yet. */
  private starting(s: MockSavedForward): number {
    const id = this.next++;
    const info: ForwardInfo = { ...this.savedInfo(s, id), state: { state: "starting" } };
    this.items.set(id, info);
    this.keep.set(id, s);
    this.changed(info);
    return id;
  }

  /** Waits for starting row `id`'s Ready pod (polls), then starts it in the row's place; null when the row was removed meanwhile. */
  private async waitReady(s: MockSavedForward, id: number): Promise<ForwardInfo | null> {
    const until = Date.now() + MOCK_RESTORE_READY_WAIT_MS;
    while (this.items.has(id) && this.noneReady(s) !== null && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.startInPlace(s, id);
  }

  /** Starts starting row `id` (saved forward `s`) in the row's place, or ends it there; null when the row was removed. */
  private startInPlace(s: MockSavedForward, id: number): ForwardInfo | null {
    const row = this.items.get(id);
    if (!row) return null;
    // (Its saved entry stays where it is: the file keeps its order.)
    this.items.delete(id);
    const { info, error } = this.startSaved(s, id);
    const f = this.items.get(info.id);
    const k = this.keep.get(info.id);
    if (!f) return null;
    if (error === undefined) {
      // The running forward takes the starting row's id.
      this.items.delete(info.id);
      this.keep.delete(info.id);
      f.id = id;
      this.items.set(id, f);
      if (k) this.keep.set(id, k);
    }
    f.revision = row.revision;
    this.changed(f);
    this.persist();
    return { ...f };
  }

  /** A saved forward started on its pod (else its workload's newest Ready pod), or listed as ended with `id`, saying why (`error`: the start's). */
  private startSaved(s: MockSavedForward, id: number): { info: ForwardInfo; error?: unknown } {
    let pod = s.pod;
    const now = this.cluster.find(s.namespace, s.pod);
    if ((!now || now.phase !== "Running") && s.workload) {
      const [kind = "", name = ""] = s.workload.split("/");
      const next = this.newestReady(s.namespace, kind, name, "");
      if (next) pod = next;
    }
    try {
      const info = this.start({ profile: s.profile, namespace: s.namespace, pod, remote: s.remote, local: s.local, ...(s.service ? { service: s.service } : {}) }, true);
      if (pod === s.pod) return { info };
      const f = this.items.get(info.id)!;
      f.note = `moved from ${s.pod}: the pod ${s.pod} was gone at the start`;
      f.revision += 1;
      return { info: { ...f } };
    } catch (err) {
      const info: ForwardInfo = {
        ...this.savedInfo(s, id),
        state: { state: "ended", reason: `not started again: ${(err as { message?: string }).message ?? String(err)}` },
        restartable: true,
      };
      this.items.set(id, info);
      this.keep.set(id, s);
      return { info: { ...info }, error: err };
    }
  }

  /** Saved forward `s`'s row as `id` while it does not run (as the engine's saved_info). */
  private savedInfo(s: MockSavedForward, id: number): ForwardInfo {
    return {
      id,
      profile: s.profile,
      namespace: s.namespace,
      pod: s.pod,
      remote: s.service ? 0 : Number(s.remote) || 0,
      portName: /^\d+$/.test(s.remote) ? null : s.remote,
      local: s.local,
      url: mockUrl(s.local, Number(s.remote) || 0, s.remote),
      connections: 0,
      open: 0,
      state: { state: "listening" },
      error: null,
      workload: s.workload,
      note: null,
      revision: 0,
      restartable: false,
      waiting: false,
      service: s.service ? { name: s.service, port: Number(s.remote) || 0 } : null,
    };
  }

  /** Tries again a forward that could not start again: the running one replaces it (another id), else it stays, saying why now. */
  startAgain(id: number): ForwardInfo {
    const old = this.items.get(id);
    const s = this.keep.get(id);
    if (!old) throw mockError("notFound", `port forward ${id} is not listed any more`);
    if (!old.restartable || !s) throw mockError("invalidInput", `port forward ${id} is not one that could not start again: start a new one from its pod's menu`);
    this.items.delete(id);
    this.keep.delete(id);
    const { info, error } = this.startSaved(s, id);
    this.persist();
    if (error !== undefined) {
      const again = this.items.get(id)!;
      again.revision = old.revision;
      this.changed(again);
      throw error;
    }
    return info;
  }

  private newestReady(namespace: string, kind: string, name: string, not: string): string | undefined {
    return this.cluster
      .workloadPods(namespace, kind, name)
      .filter((p) => p.name !== not && mockPodReady(p))
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))[0]?.name;
  }

  listen(sink: (f: ForwardInfo) => void): void {
    this.sink = sink;
  }

  list(): ForwardInfo[] {
    return [...this.items.values()].map((f) => ({ ...f })).sort((a, b) => a.id - b.id);
  }

  /** As the engine's: `saved`, one of the last run's (a taken port's advice is its row's). */
  start(req: ForwardRequest, saved = false): ForwardInfo {
    if (req.service) return this.startService(req, req.service, saved);
    const namespace = req.namespace || "demo";
    const pod = this.cluster.find(namespace, req.pod);
    if (!pod) throw mockError("notFound", `Error from server (NotFound): pods "${req.pod}" not found`);
    if (pod.phase !== "Running") {
      throw mockError("refused", `unable to forward port because pod is not running. Current status=${pod.phase}`);
    }
    const text = req.remote.trim();
    const byName = /^\d+$/.test(text) ? null : text;
    const named = byName === null ? undefined : pod.ports.find((p) => p.name === byName);
    if (byName !== null && !named) throw mockError("notFound", `Pod '${req.pod}' does not have a named port '${text}'`);
    const remote = named ? named.port : Number(text);
    if (remote < 1 || remote > 65535) {
      throw mockError("invalidInput", `error parsing remote port '${text}': a port is a number from 1 to 65535`);
    }
    const local = this.localPort(req.local, remote, saved);
    const t = this.cluster.targetForPod(pod);
    return this.listening(req, { pod: req.pod, remote, asked: text, local, workload: t.kind === "pod" ? null : `${t.kind}/${t.target}`, service: null });
  }

  /** A forward listed as listening, and kept for the next start. */
  private listening(
    req: ForwardRequest,
    f: { pod: string; remote: number; asked: string; local: number; workload: string | null; service: { name: string; port: number } | null },
  ): ForwardInfo {
    const namespace = req.namespace || "demo";
    const byName = /^\d+$/.test(f.asked) ? null : f.asked;
    const info: ForwardInfo = {
      id: this.next++,
      profile: req.profile,
      namespace,
      pod: f.pod,
      remote: f.remote,
      portName: byName,
      local: f.local,
      url: mockUrl(f.local, f.remote, byName),
      connections: 0,
      open: 0,
      state: { state: "listening" },
      error: null,
      workload: f.workload,
      note: null,
      revision: 0,
      restartable: false,
      waiting: false,
      service: f.service,
    };
    this.items.set(info.id, info);
    const keep: MockSavedForward = { profile: req.profile, namespace, pod: f.pod, remote: f.asked, local: f.local, workload: f.workload };
    if (f.service) keep.service = f.service.name;
    this.keep.set(info.id, keep);
    this.persist();
    return { ...info };
  }

  /** The local port asked (taken: refused with the dialog's or the row's advice), else `wanted` when free and no restored forward still starting wants it, else a free one. */
  private localPort(asked: number | null, wanted: number, saved: boolean): number {
    // A restored forward still starting holds no port yet: one asked for by number takes it.
    const taken = new Set([...this.items.values()].filter((f) => f.state.state !== "starting").map((f) => f.local));
    if (asked !== null && taken.has(asked)) {
      const advice = saved ? "close the program on that port and press Start again, or Remove this forward" : "choose another local port, or leave it empty for a free one";
      throw mockError("local", `unable to create listener: 127.0.0.1:${asked}: Address already in use (os error 98): ${advice}`);
    }
    let local = asked ?? wanted;
    if (asked === null) for (const f of this.items.values()) taken.add(f.local);
    while (taken.has(local)) local = 40000 + ((local + 1) % 20000);
    return local;
  }

  /** As the engine's forward through a Service: its port (by name or number) to the one it targets in the pod its selector finds (`req.pod` when running), on the Service's port number here when free; kubectl's refusals. */
  private startService(req: ForwardRequest, name: string, saved: boolean): ForwardInfo {
    const namespace = req.namespace || "demo";
    const svc = this.cluster.service(namespace, name);
    if (!svc) throw mockError("notFound", `Error from server (NotFound): services "${name}" not found`);
    if (svc.selects === null) {
      throw mockError("invalidInput", `cannot attach to *v1.Service: invalid service '${name}': Service is defined without a selector`);
    }
    const text = req.remote.trim();
    const byName = /^\d+$/.test(text) ? null : text;
    const port = svc.summary.ports.find((p) => (byName === null ? p.port === Number(text) : p.name === byName));
    if (!port) {
      throw mockError("notFound", byName === null ? `Service ${name} does not have a service port ${text}` : `Service '${name}' does not have a named port '${text}'`);
    }
    // kubectl's rule: refused only when no TCP port has the number (kube-dns serves 53 over both).
    const served = (protocol: string) => svc.summary.ports.some((p) => p.port === port.port && p.protocol === protocol);
    if (served("UDP") && !served("TCP")) throw mockError("invalidInput", `UDP protocol is not supported for ${text}`);
    // The pod asked for (a restored forward's) while it runs and the Service still selects it.
    const selected = req.pod ? this.cluster.workloadPods(namespace, "service", name).find((p) => p.name === req.pod) : undefined;
    const podName = selected?.phase === "Running" ? selected.name : this.newestReady(namespace, "service", name, "");
    const pod = podName === undefined ? undefined : this.cluster.find(namespace, podName);
    if (!pod) throw mockError("refused", `no Ready pod of service/${name} in ${namespace}`);
    const remote = /^\d+$/.test(port.target) ? Number(port.target) : pod.ports.find((p) => p.name === port.target)?.port;
    if (remote === undefined) throw mockError("notFound", `Pod '${pod.name}' does not have a named port '${port.target}'`);
    const local = this.localPort(req.local, port.port, saved);
    return this.listening(req, { pod: pod.name, remote, asked: text, local, workload: `service/${name}`, service: { name, port: port.port } });
  }

  stop(id: number): void {
    if (!this.items.delete(id)) throw mockError("notFound", `port forward ${id} is not listed any more`);
    this.keep.delete(id);
    this.persist();
  }

  /** The app exits: every forward stops, the saved ones stay saved. */
  stopAll(): void {
    this.items.clear();
  }

  /** A connection through forward `id`: it opens and ends, or fails with `error`. */
  connect(id: number, error: string | null = null): void {
    const f = this.items.get(id);
    if (!f || f.state.state !== "listening") return;
    f.connections += 1;
    f.error = error;
    this.changed(f);
  }

  /** The pod went: its forwards move to their workload's newest Ready pod, wait for one, or end. */
  podDeleted(namespace: string, pod: string): void {
    for (const f of this.items.values()) {
      if (f.namespace !== namespace || f.pod !== pod || f.state.state !== "listening") continue;
      const why = `the pod ${pod} was deleted`;
      if (f.workload === null) {
        f.state = { state: "ended", reason: why };
        f.open = 0;
        this.keep.delete(f.id);
      } else {
        const [kind = "", name = ""] = f.workload.split("/");
        const next = this.newestReady(namespace, kind, name, pod);
        if (next) {
          f.waiting = false;
          f.note = `moved from ${pod}: ${why}`;
          f.pod = next;
          const k = this.keep.get(f.id);
          if (k) k.pod = next;
        } else {
          f.waiting = true;
          f.note = `${why}: waiting for a Ready pod of ${f.workload}`;
        }
      }
      this.changed(f);
    }
    this.persist();
  }

  /** A cluster renamed: its forwards, listed and kept, follow it (as the engine's). */
  renameProfile(old: string, name: string): void {
    for (const f of this.items.values()) {
      if (f.profile !== old) continue;
      f.profile = name;
      this.changed(f);
    }
    for (const k of this.keep.values()) if (k.profile === old) k.profile = name;
    this.persist();
  }

  private changed(f: ForwardInfo): void {
    f.revision += 1;
    this.sink?.({ ...f });
  }
}
