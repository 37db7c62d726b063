// The mock's container logs and pod details: each pod has a log (a few lines with timestamps,
// one in colour, then a tick every second while followed), tests append lines or a flood, and
// streams honour acknowledgements as the engine does (nothing more is sent above the high
// watermark until the view acknowledges).
import type { LogsState, OpenLogsRequest, PodDetails } from "../types";
import { mockError } from "./errors";
import type { MockCluster } from "./pods";
import { HIGH_WATER, LOW_WATER } from "./sessions";
import { later } from "./tasks";

export interface MockLogStats {
  id: number;
  pod: string;
  container: string;
  previous: boolean;
  sent: number;
  unacked: number;
  closed: boolean;
}

interface Stream {
  stats: MockLogStats;
  queue: Uint8Array[];
  paused: boolean;
  onOutput: (b: Uint8Array) => void;
  onState: (s: LogsState) => void;
  timer: ReturnType<typeof setInterval> | null;
  ticks: number;
}

const enc = new TextEncoder();

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z");
}

/** The first lines of every mock log (a known line, a coloured one, one with markup). */
export function mockLogHistory(pod: string, container: string, start: number): string[] {
  return [
    `${stamp(start)} starting ${pod}/${container}`,
    `${stamp(start + 1000)} \x1b[32mINFO\x1b[0m listening on :8080`,
    `${stamp(start + 2000)} \x1b[31mERROR\x1b[0m upstream timed out <b>not bold</b>`,
    `${stamp(start + 3000)} ready to serve requests`,
  ];
}

export class MockLogs {
  private next = 1;
  private readonly streams = new Map<number, Stream>();
  /** Ticks every this many ms while followed (0: none). */
  tickMs = 1000;

  constructor(private readonly cluster: MockCluster) {}

  open(req: OpenLogsRequest, onOutput: (b: Uint8Array) => void, onState: (s: LogsState) => void): number {
    const p = this.cluster.find(req.namespace, req.pod);
    if (!p) throw mockError("notFound", `pods "${req.pod}" not found`);
    const container = req.container || p.defaultContainer;
    if (!p.containers.includes(container)) {
      throw mockError("notFound", `container ${container} is not valid for pod ${req.pod} out of: ${p.containers.join(", ")}`);
    }
    const id = this.next++;
    const s: Stream = {
      stats: { id, pod: req.pod, container, previous: req.previous, sent: 0, unacked: 0, closed: false },
      queue: [],
      paused: false,
      onOutput,
      onState,
      timer: null,
      ticks: 0,
    };
    this.streams.set(id, s);
    const workload = req.workload ? this.cluster.targetForPod(p) : null;
    if (workload && workload.kind !== "pod") {
      // Every pod of the workload, each line prefixed, as the engine's follow writes them.
      later(() => {
        if (s.stats.closed) return;
        onState({ state: "streaming", container: `${workload.kind}/${workload.target}` });
        const pods = this.cluster.workloadPods(req.namespace, workload.kind, workload.target);
        for (const w of pods) {
          const lines = mockLogHistory(w.name, w.defaultContainer, Date.parse(w.createdAt) || Date.now() - 60_000);
          this.push(s, lines.map((l) => `[pod/${w.name}/${w.defaultContainer}] ${l}\n`).join(""));
        }
      });
      return id;
    }
    later(() => {
      if (s.stats.closed) return;
      onState({ state: "streaming", container });
      if (req.previous) {
        if (p.restarts === 0) {
          s.stats.closed = true;
          onState({ state: "failed", reason: `previous terminated container "${container}" in pod "${req.pod}" not found`, outputBytes: 0 });
          return;
        }
        this.push(s, `${stamp(Date.now() - 60_000)} the run before the last restart\n${stamp(Date.now() - 59_000)} exiting with code 1\n`);
        later(() => this.finish(s));
        return;
      }
      const lines = mockLogHistory(req.pod, container, Date.parse(p.createdAt) || Date.now() - 60_000);
      const tail = req.tailLines ?? lines.length;
      this.push(s, lines.slice(Math.max(0, lines.length - tail)).map((l) => `${l}\n`).join(""));
      if (this.tickMs > 0) {
        s.timer = setInterval(() => {
          s.ticks += 1;
          this.push(s, `${stamp(Date.now())} tick ${s.ticks}\n`);
        }, this.tickMs);
      }
    });
    return id;
  }

  private push(s: Stream, text: string): void {
    if (s.stats.closed) return;
    s.queue.push(enc.encode(text));
    this.flush(s);
  }

  private flush(s: Stream): void {
    // Batches as the engine makes them: what is queued goes out in one message while the window allows.
    while (s.queue.length > 0 && !s.stats.closed) {
      if (s.paused) return;
      let size = 0;
      const parts: Uint8Array[] = [];
      while (s.queue.length > 0 && size < 256 * 1024) {
        const b = s.queue.shift()!;
        parts.push(b);
        size += b.length;
      }
      const out = new Uint8Array(size);
      let at = 0;
      for (const b of parts) {
        out.set(b, at);
        at += b.length;
      }
      s.stats.sent += size;
      s.stats.unacked += size;
      if (s.stats.unacked > HIGH_WATER) s.paused = true;
      later(() => s.onOutput(out));
    }
  }

  private finish(s: Stream): void {
    if (s.stats.closed) return;
    s.stats.closed = true;
    if (s.timer) clearInterval(s.timer);
    s.onState({ state: "ended", outputBytes: s.stats.sent });
  }

  ack(id: number, bytes: number): void {
    const s = this.streams.get(id);
    if (!s) return;
    s.stats.unacked = Math.max(0, s.stats.unacked - bytes);
    if (s.paused && s.stats.unacked < LOW_WATER) {
      s.paused = false;
      this.flush(s);
    }
  }

  close(id: number): void {
    const s = this.streams.get(id);
    if (!s) return;
    s.stats.closed = true;
    if (s.timer) clearInterval(s.timer);
    this.streams.delete(id);
  }

  /** Appends lines to every open stream of `pod` (tests). */
  write(pod: string, lines: string[]): void {
    const text = lines.map((l) => `${stamp(Date.now())} ${l}\n`).join("");
    for (const s of this.streams.values()) if (s.stats.pod === pod && !s.stats.previous) this.push(s, text);
  }

  /** Appends `text` as it is (no timestamp, no newline added) to the open streams of `pod`:
   *  a line that has not ended yet, or the end of one (tests). */
  writeRaw(pod: string, text: string): void {
    for (const s of this.streams.values()) if (s.stats.pod === pod && !s.stats.previous) this.push(s, text);
  }

  /** The follows of `pod` broke and wait for the API server (`back`: it answers again), as the
   *  engine says it (tests). */
  resuming(pod: string, back: boolean): void {
    for (const s of this.streams.values()) {
      if (s.stats.pod !== pod || s.stats.previous || s.stats.closed) continue;
      s.onState(back ? { state: "streaming", container: s.stats.container } : { state: "resuming", reason: "cannot reach the API server: the connection was refused" });
    }
  }

  /** Ends every open stream of `pod`, as a container that stopped (tests). */
  end(pod: string): void {
    for (const s of [...this.streams.values()]) if (s.stats.pod === pod) this.finish(s);
  }

  stats(): MockLogStats[] {
    return [...this.streams.values()].map((s) => ({ ...s.stats }));
  }

  details(namespace: string, pod: string): PodDetails {
    const p = this.cluster.find(namespace, pod);
    if (!p) throw mockError("notFound", `pods "${pod}" not found`);
    const reason = this.cluster.reason(p) ?? null;
    const waiting = reason && /CrashLoopBackOff|ContainerCreating|ImagePullBackOff/.exec(reason)?.[0];
    const t = (ago: number) => new Date(Date.now() - ago).toISOString();
    const events: PodDetails["events"] = [
      { type: "Normal", reason: "Scheduled", message: `Successfully assigned ${namespace}/${pod} to node-1`, count: 1, lastSeen: t(3_600_000), source: "default-scheduler" },
      { type: "Normal", reason: "Pulled", message: `Container image "registry.example/${p.defaultContainer}:1.0" already present on machine`, count: 1, lastSeen: t(3_590_000), source: "kubelet" },
      { type: "Normal", reason: "Started", message: `Started container ${p.defaultContainer}`, count: 1 + p.restarts, lastSeen: t(60_000), source: "kubelet" },
    ];
    if (waiting === "CrashLoopBackOff") {
      events.push({ type: "Warning", reason: "BackOff", message: `Back-off restarting failed container ${p.defaultContainer} in pod ${pod}`, count: p.restarts, lastSeen: t(5_000), source: "kubelet" });
    }
    return {
      name: p.name,
      namespace,
      phase: p.phase,
      reason: null,
      node: p.phase === "Pending" ? null : "node-1",
      podIp: p.phase === "Pending" ? null : "10.42.0.17",
      hostIp: p.phase === "Pending" ? null : "192.168.49.2",
      created: p.createdAt,
      conditions: [
        { type: "PodScheduled", status: "True", reason: null, message: null },
        { type: "Ready", status: reason ? "False" : "True", reason: reason ? "ContainersNotReady" : null, message: reason },
      ],
      containers: p.containers.map((c) => ({
        name: c,
        kind: "main",
        state: waiting ? "Waiting" : p.phase === "Running" ? "Running" : "Unknown",
        reason: waiting ?? null,
        message: null,
        exitCode: null,
        ready: !reason,
        restartCount: p.restarts,
        hasPrevious: p.restarts > 0,
        since: waiting ? null : p.createdAt,
      })),
      events,
      eventsError: null,
    };
  }
}
