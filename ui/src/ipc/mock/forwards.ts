// Port forwards as the app runs them, in the page: no socket is opened (the mock has no pod to
// reach). A forward is checked as the engine checks it (the pod there and running; a port by
// number: the mock's pods declare no port names, so every name is refused in the engine's
// words), takes the pod's port number as its local port unless another forward has it, and ends
// when its pod is deleted, unless a workload owns the pod: then it follows the workload to its
// newest Ready pod (a rollout), or says it waits for one. Tests make connections through it
// (`connectForward`), each opening and ending at once, or failing with words.
import type { ForwardInfo, ForwardRequest } from "../types";
import { mockError } from "./errors";
import { mockPodReady, type MockCluster } from "./pods";

export class MockForwards {
  private readonly items = new Map<number, ForwardInfo>();
  private next = 1;
  private sink: ((f: ForwardInfo) => void) | null = null;

  constructor(private readonly cluster: MockCluster) {}

  listen(sink: (f: ForwardInfo) => void): void {
    this.sink = sink;
  }

  list(): ForwardInfo[] {
    return [...this.items.values()].map((f) => ({ ...f })).sort((a, b) => a.id - b.id);
  }

  start(req: ForwardRequest): ForwardInfo {
    const namespace = req.namespace || "demo";
    const pod = this.cluster.find(namespace, req.pod);
    if (!pod) throw mockError("notFound", `Error from server (NotFound): pods "${req.pod}" not found`);
    if (pod.phase !== "Running") {
      throw mockError("refused", `unable to forward port because pod is not running. Current status=${pod.phase}`);
    }
    const text = req.remote.trim();
    if (!/^\d+$/.test(text)) throw mockError("notFound", `Pod '${req.pod}' does not have a named port '${text}'`);
    const remote = Number(text);
    if (remote < 1 || remote > 65535) {
      throw mockError("invalidInput", `error parsing remote port '${text}': a port is a number from 1 to 65535`);
    }
    const taken = new Set([...this.items.values()].map((f) => f.local));
    if (req.local !== null && taken.has(req.local)) {
      throw mockError("local", `unable to create listener: 127.0.0.1:${req.local}: Address already in use (os error 98): choose another local port, or leave it empty for a free one`);
    }
    let local = req.local ?? remote;
    while (taken.has(local)) local = 40000 + ((local + 1) % 20000);
    const t = this.cluster.targetForPod(pod);
    const info: ForwardInfo = {
      id: this.next++,
      profile: req.profile,
      namespace,
      pod: req.pod,
      remote,
      local,
      connections: 0,
      open: 0,
      state: { state: "listening" },
      error: null,
      workload: t.kind === "pod" ? null : `${t.kind}/${t.target}`,
      note: null,
      revision: 0,
    };
    this.items.set(info.id, info);
    return { ...info };
  }

  stop(id: number): void {
    if (!this.items.delete(id)) throw mockError("notFound", `port forward ${id} is not listed any more`);
  }

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
      } else {
        const [kind = "", name = ""] = f.workload.split("/");
        const next = this.cluster
          .workloadPods(namespace, kind, name)
          .filter((p) => p.name !== pod && mockPodReady(p))
          .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))[0];
        if (next) {
          f.note = `moved from ${pod}: ${why}`;
          f.pod = next.name;
        } else {
          f.note = `${why}: waiting for a Ready pod of ${f.workload}`;
        }
      }
      this.changed(f);
    }
  }

  private changed(f: ForwardInfo): void {
    f.revision += 1;
    this.sink?.({ ...f });
  }
}
