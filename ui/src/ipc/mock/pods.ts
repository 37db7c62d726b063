// The mock's cluster: a few namespaces and pods, each with its owner as the API server gives it
// (the controller ownerReference), the ReplicaSets' Deployments, and live pod watches.
//
// Which workload runs a pod comes from its owner (a ReplicaSet's pod belongs to the Deployment
// that owns the ReplicaSet), never from the pod's name.
import type { PodChange, PodOwner, PodSummary, ServiceSummary, WatchStatus } from "../types";
import { later } from "./tasks";

/**
 * A pod as the mock holds it: the summary with its owner. `PodSummary` is to carry `owner`
 * itself; until the generated type has it, this narrow type adds it.
 */
/** A pod of the mock cluster (the app's own PodSummary, owner included). */
export type MockPod = PodSummary;

function ago(ms: number): string {
  return new Date(Date.now() - ms).toISOString();
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const rs = (name: string): PodOwner => ({ kind: "ReplicaSet", name });

export function mockPod(
  namespace: string,
  name: string,
  containers: string[],
  extra: Partial<MockPod> = {},
): MockPod {
  return {
    name,
    namespace,
    phase: "Running",
    ready: `${containers.length}/${containers.length}`,
    restarts: 0,
    createdAt: ago(5 * MIN),
    containers,
    ephemeralContainers: [],
    defaultContainer: containers[0]!,
    terminating: false,
    owner: null,
    reason: null,
    node: "mock-node-1",
    ips: [mockIp(namespace, name)],
    ports: [],
    ...extra,
  };
}

/** A stable made-up pod IP for a name. */
function mockIp(namespace: string, name: string): string {
  let h = 7;
  for (const c of `${namespace}/${name}`) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `10.244.${(h >> 8) & 0xff}.${h & 0xff}`;
}

function demoPods(): MockPod[] {
  return [
    mockPod("demo", "shell", ["shell"], { createdAt: ago(5 * MIN) }),
    mockPod("demo", "web-7c9d6b5f4-kx2lp", ["log-shipper", "nginx"], {
      defaultContainer: "nginx",
      ports: [{ container: "nginx", name: "http", port: 80 }],
      createdAt: ago(3 * HOUR + 12 * MIN),
      owner: rs("web-7c9d6b5f4"),
    }),
    mockPod("demo", "web-7c9d6b5f4-q8z7m", ["log-shipper", "nginx"], {
      defaultContainer: "nginx",
      ports: [{ container: "nginx", name: "http", port: 80 }],
      createdAt: ago(3 * HOUR + 11 * MIN),
      owner: rs("web-7c9d6b5f4"),
    }),
    mockPod("demo", "db-0", ["postgres", "metrics"], {
      ports: [
        { container: "postgres", name: "postgres", port: 5432 },
        { container: "metrics", name: "metrics", port: 9187 },
      ],
      createdAt: ago(2 * DAY + 3 * HOUR),
      restarts: 1,
      owner: { kind: "StatefulSet", name: "db" },
    }),
    mockPod("demo", "crashy", ["app"], { ready: "0/1", restarts: 7, createdAt: ago(47 * MIN) }),
    mockPod("demo", "distroless", ["app"], { createdAt: ago(26 * HOUR) }),
    mockPod("demo", "migrate-28493115-x7kq2", ["migrate"], {
      phase: "Succeeded",
      ready: "0/1",
      createdAt: ago(DAY + 2 * HOUR),
      owner: { kind: "Job", name: "migrate-28493115" },
    }),
  ];
}

function otherPods(): MockPod[] {
  return [
    mockPod("default", "hello", ["hello"], { createdAt: ago(9 * DAY) }),
    mockPod("kube-system", "coredns-5d78c9869d-4vq2t", ["coredns"], {
      createdAt: ago(40 * DAY),
      owner: rs("coredns-5d78c9869d"),
    }),
    mockPod("kube-system", "kube-proxy-7xk2p", ["kube-proxy"], {
      createdAt: ago(40 * DAY),
      owner: { kind: "DaemonSet", name: "kube-proxy" },
    }),
  ];
}

export const NAMESPACES = ["default", "demo", "kube-system"];

/** A Service of the mock: its summary, and the workload whose pods its selector finds (null: it has no selector). */
interface MockService {
  namespace: string;
  selects: { kind: string; name: string } | null;
  summary: ServiceSummary;
}

function demoServices(): MockService[] {
  const tcp = (name: string | null, port: number, target: string) => ({ name, port, target, protocol: "TCP" });
  return [
    {
      namespace: "demo",
      selects: null,
      summary: { name: "billing-db", kind: "ExternalName", headless: false, selector: null, ports: [tcp(null, 5432, "5432")] },
    },
    {
      namespace: "demo",
      selects: { kind: "deployment", name: "web" },
      summary: {
        name: "web",
        kind: "ClusterIP",
        headless: false,
        selector: "app=web",
        ports: [tcp("http", 8080, "http"), { name: "syslog", port: 514, target: "514", protocol: "UDP" }],
      },
    },
  ];
}

/** The ReplicaSets that a Deployment owns (namespace/replicaset → deployment). */
const DEMO_REPLICA_SETS: Record<string, string> = {
  "demo/web-7c9d6b5f4": "web",
  "kube-system/coredns-5d78c9869d": "coredns",
};

/** Why a demo pod is not Ready (the engine's not_ready_reason, less the phase part). */
const DEMO_REASONS: Record<string, string> = {
  "demo/crashy": "container app waiting: CrashLoopBackOff",
};

/** Ready as the engine reads it: Running, every container ready, not terminating. */
export function mockPodReady(p: PodSummary): boolean {
  if (p.terminating || p.phase !== "Running") return false;
  const m = /^(\d+)\/(\d+)$/.exec(p.ready);
  return m !== null && Number(m[2]) > 0 && m[1] === m[2];
}

/** The engine's not_ready_reason: `terminating`, `Pending: ContainerCreating`, `not Ready: …`. */
export function mockNotReadyReason(p: PodSummary, reason: string | undefined): string {
  if (p.terminating) return "terminating";
  if (p.phase !== "Running") return reason ? `${p.phase}: ${reason}` : p.phase;
  return reason ? `not Ready: ${reason}` : "not Ready";
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

interface Watch {
  /** null: every namespace. */
  namespace: string | null;
  emit: (e: PodChange[]) => void;
  status?: (s: WatchStatus) => void;
}

/** A copy of a pod for an event or an answer (the UI must not share the mock's objects). */
function copyPod(p: MockPod): MockPod {
  return { ...p, containers: [...p.containers], owner: p.owner ? { ...p.owner } : null, ips: [...p.ips], ports: p.ports.map((x) => ({ ...x })) };
}

export class MockCluster {
  readonly pods: MockPod[] = [...demoPods(), ...otherPods()];
  /** namespace/replicaset → the Deployment that owns it. */
  private readonly replicaSets = new Map<string, string>(Object.entries(DEMO_REPLICA_SETS));
  private readonly reasons = new Map<string, string>(Object.entries(DEMO_REASONS));
  /** The workloads that exist: `namespace/kind/name`. */
  private readonly workloads = new Set<string>();
  private readonly watches = new Map<number, Watch>();
  private nextWatch = 1;
  private readonly services = demoServices();
  /** Called for each pod deleted (its sessions end). */
  onPodDeleted: (namespace: string, name: string) => void = () => {};

  constructor() {
    for (const p of this.pods) this.noteOwner(p);
  }

  find(namespace: string, name: string): MockPod | undefined {
    return this.pods.find((p) => p.namespace === namespace && p.name === name);
  }

  /** Why a pod is not Ready, when the mock was told. */
  reason(p: PodSummary): string | undefined {
    return this.reasons.get(key(p.namespace, p.name));
  }

  setReason(namespace: string, name: string, reason: string | undefined): void {
    if (reason) this.reasons.set(key(namespace, name), reason);
    else this.reasons.delete(key(namespace, name));
  }

  /** Records that Deployment `deployment` owns ReplicaSet `replicaSet`. */
  addReplicaSet(namespace: string, replicaSet: string, deployment: string): void {
    this.replicaSets.set(key(namespace, replicaSet), deployment);
    this.workloads.add(`${namespace}/replicaset/${replicaSet}`);
    this.workloads.add(`${namespace}/deployment/${deployment}`);
  }

  /** favourite_for_pod: the owning workload (a ReplicaSet's Deployment), else the pod itself. */
  targetForPod(p: PodSummary): { kind: string; target: string } {
    const o = p.owner;
    switch (o?.kind) {
      case "ReplicaSet": {
        const d = this.replicaSets.get(key(p.namespace, o.name));
        return d ? { kind: "deployment", target: d } : { kind: "replicaset", target: o.name };
      }
      case "StatefulSet":
        return { kind: "statefulset", target: o.name };
      case "DaemonSet":
        return { kind: "daemonset", target: o.name };
      default:
        return { kind: "pod", target: p.name };
    }
  }

  /** The pods a workload's selector matches now (the pods it owns). */
  workloadPods(namespace: string, kind: string, name: string): MockPod[] {
    if (kind === "service") {
      const selects = this.service(namespace, name)?.selects;
      return selects ? this.workloadPods(namespace, selects.kind, selects.name) : [];
    }
    return this.pods.filter((p) => {
      if (p.namespace !== namespace || p.owner === null) return false;
      const o = p.owner;
      switch (kind) {
        case "deployment":
          return o.kind === "ReplicaSet" && this.replicaSets.get(key(namespace, o.name)) === name;
        case "replicaset":
          return o.kind === "ReplicaSet" && o.name === name;
        case "statefulset":
          return o.kind === "StatefulSet" && o.name === name;
        case "daemonset":
          return o.kind === "DaemonSet" && o.name === name;
        default:
          return false;
      }
    });
  }

  /** The Services of `namespace`, by name. */
  listServices(namespace: string): ServiceSummary[] {
    return this.services
      .filter((s) => s.namespace === namespace)
      .map((s) => ({ ...s.summary, ports: s.summary.ports.map((p) => ({ ...p })) }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** A Service, and the workload its selector's pods belong to. */
  service(namespace: string, name: string): MockService | undefined {
    return this.services.find((s) => s.namespace === namespace && s.summary.name === name);
  }

  /** Whether the workload exists (it did once some pod or ReplicaSet named it). */
  workloadExists(namespace: string, kind: string, name: string): boolean {
    return this.workloads.has(`${namespace}/${kind}/${name}`);
  }

  /** Notes the workloads a pod's owner names. */
  private noteOwner(p: MockPod): void {
    const o = p.owner;
    switch (o?.kind) {
      case "ReplicaSet": {
        this.workloads.add(`${p.namespace}/replicaset/${o.name}`);
        const d = this.replicaSets.get(key(p.namespace, o.name));
        if (d) this.workloads.add(`${p.namespace}/deployment/${d}`);
        break;
      }
      case "StatefulSet":
        this.workloads.add(`${p.namespace}/statefulset/${o.name}`);
        break;
      case "DaemonSet":
        this.workloads.add(`${p.namespace}/daemonset/${o.name}`);
        break;
    }
  }

  private broadcast(type: PodChange["type"], p: MockPod): void {
    for (const w of this.watches.values()) {
      if (w.namespace === null || w.namespace === p.namespace) {
        const ev: PodChange = { type, pod: this.summary(p) };
        later(() => w.emit([ev]));
      }
    }
  }

  /** A pod as the engine sends it: with why it is not Ready (PodSummary.reason). */
  private summary(p: MockPod): PodSummary {
    return { ...copyPod(p), reason: mockPodReady(p) ? null : mockNotReadyReason(p, this.reason(p)) };
  }

  /** Adds a pod, or replaces the one of that name. */
  put(p: MockPod): void {
    const i = this.pods.findIndex((x) => x.namespace === p.namespace && x.name === p.name);
    if (i >= 0) this.pods[i] = p;
    else this.pods.push(p);
    this.noteOwner(p);
    this.broadcast(i >= 0 ? "Modified" : "Added", p);
  }

  modify(namespace: string, name: string, change: Partial<MockPod>): void {
    const p = this.find(namespace, name);
    if (!p) return;
    Object.assign(p, change);
    this.broadcast("Modified", p);
  }

  /** Deletes a pod; its sessions end too unless `endSessions` is false (a node gone). */
  delete(namespace: string, name: string, endSessions = true): void {
    const i = this.pods.findIndex((x) => x.namespace === namespace && x.name === name);
    if (i < 0) return;
    const [p] = this.pods.splice(i, 1);
    this.reasons.delete(key(namespace, name));
    this.broadcast("Deleted", p!);
    if (endSessions) this.onPodDeleted(namespace, name);
  }

  /**
   * A rollout of Deployment `name`: a new ReplicaSet with as many pods (Ready, created now) as it
   * has, then the old pods are deleted. Returns the new pods' names, newest first.
   */
  rollout(namespace: string, name: string): string[] {
    const old = this.workloadPods(namespace, "deployment", name).sort((a, b) => (a.name < b.name ? -1 : 1));
    if (old.length === 0) throw new Error(`mock: deployment ${name} has no pods in ${namespace}`);
    const replicaSet = `${name}-${newHash()}`;
    this.addReplicaSet(namespace, replicaSet, name);
    const fresh: string[] = [];
    old.forEach((o, i) => {
      const suffix = newHash().slice(0, 5);
      const p = mockPod(namespace, `${replicaSet}-${suffix}`, [...o.containers], {
        defaultContainer: o.defaultContainer,
        ports: o.ports.map((x) => ({ ...x })),
        createdAt: new Date(Date.now() - (old.length - 1 - i) * 1000).toISOString(),
        owner: rs(replicaSet),
      });
      this.pods.push(p);
      this.noteOwner(p);
      this.broadcast("Added", p);
      fresh.unshift(p.name);
    });
    for (const o of old) this.delete(namespace, o.name);
    return fresh;
  }

  /** Starts a watch: the namespace's pods (null: every pod) first, as Added in one message (as
   * the engine sends a first list), then every change in one of its own. */
  watch(namespace: string | null, emit: (e: PodChange[]) => void, status?: (s: WatchStatus) => void): number {
    const id = this.nextWatch++;
    this.watches.set(id, { namespace, emit, status });
    const first: PodChange[] = this.pods
      .filter((p) => namespace === null || p.namespace === namespace)
      .map((p) => ({ type: "Added", pod: this.summary(p) }));
    if (first.length > 0) {
      later(() => {
        if (this.watches.has(id)) emit(first);
      });
    }
    return id;
  }

  stopWatch(id: number): void {
    this.watches.delete(id);
  }

  /** Every watch reports that it holds `limit` pods and leaves out the rest. */
  setWatchCapped(limit: number): void {
    const s: WatchStatus = { kind: "capped", limit };
    for (const w of this.watches.values()) later(() => w.status?.(s));
  }

  /** Every watch reports it broke (`reason`), or, with null, that it is back. */
  setWatchBroken(reason: string | null): void {
    const s: WatchStatus = reason === null ? { kind: "live" } : { kind: "broken", reason };
    for (const w of this.watches.values()) later(() => w.status?.(s));
  }
}

let nextHash = 0;
/** A pod-template-hash-like name part, different each time. */
function newHash(): string {
  nextHash += 1;
  const alphabet = "bcdfghjklmnpqrstvwxz2456789";
  let x = 0x5f3759 + nextHash * 7919;
  let out = "";
  for (let i = 0; i < 9; i++) {
    out += alphabet[x % alphabet.length];
    x = Math.floor(x / alphabet.length) + i * 31 + nextHash;
  }
  return out;
}
