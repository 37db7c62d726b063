// An in-page stand-in for the Rust backend, used when the page runs outside Tauri (`vite dev` or
// `vite preview` in a browser, the Playwright tests). It has a Demo profile, a few namespaces and
// pods with live updates, and a fake shell per session:
//   echo …, exit [N], yes [WORD] (a flood until Ctrl-C), lose (the connection drops), seq N,
//   clear, help, and a few harmless others.
// Output obeys the same flow control as the engine: sending stops while more than HIGH_WATER
// bytes are unacknowledged and resumes once fewer than LOW_WATER are.
//
// Favourites behave as the Rust side's (src-tauri/favourites.rs over podterm_core::favourites):
// a star saves the pod's owning workload (ReplicaSet → its Deployment, StatefulSet, DaemonSet; a
// bare pod or a Job's pod stays a fixed pod), named after it ("web", then "web (2)"...); resolving
// picks the newest Ready pod that is not terminating, or says which pods exist and why none is
// Ready, in the engine's words. Requests (the tray, `--connect NAME`) come from
// window.__podtermMock.requestOpen(NAME) and are held until the UI listens, as the app holds them.
// Profiles typed by hand are kept in memory; the "native file dialog" answers the path set with
// window.__podtermMock.setPickedFile(PATH | null).
import type { Backend } from "./index";
import type {
  AppRequest,
  FavouriteSummary,
  OpenSessionRequest,
  PodEvent,
  PodSummary,
  ProfileDetails,
  ProfileSummary,
  ResolvedFavourite,
  SessionState,
  WatchStatus,
} from "./types";

/** The engine's watermarks and batch size (podterm_core::flow). */
export const HIGH_WATER = 1024 * 1024;
export const LOW_WATER = 256 * 1024;
/** Largest output message, as the engine coalesces (256 KiB). */
export const CHUNK_MAX = 256 * 1024;

const enc = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Ordered asynchronous delivery, like IPC messages: a MessageChannel task per batch (no 4 ms
// clamp as with nested setTimeout).

type Task = () => void;
const taskQueue: Task[] = [];
let taskPort: MessagePort | null = null;
let taskPosted = false;

function runTasks(): void {
  taskPosted = false;
  const batch = taskQueue.splice(0, taskQueue.length);
  for (const t of batch) {
    try {
      t();
    } catch (err) {
      console.error("mock backend task failed", err);
    }
  }
}

function later(task: Task): void {
  taskQueue.push(task);
  if (taskPosted) return;
  taskPosted = true;
  if (typeof MessageChannel === "undefined") {
    setTimeout(runTasks, 0);
    return;
  }
  if (!taskPort) {
    const ch = new MessageChannel();
    ch.port1.onmessage = runTasks;
    taskPort = ch.port2;
  }
  taskPort.postMessage(null);
}

const tick = (ms = 0) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Demo cluster

function ago(ms: number): string {
  return new Date(Date.now() - ms).toISOString();
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

function pod(
  namespace: string,
  name: string,
  containers: string[],
  extra: Partial<PodSummary> = {},
): PodSummary {
  return {
    name,
    namespace,
    phase: "Running",
    ready: `${containers.length}/${containers.length}`,
    restarts: 0,
    createdAt: ago(5 * MIN),
    containers,
    defaultContainer: containers[0]!,
    terminating: false,
    ...extra,
  };
}

function demoPods(): PodSummary[] {
  return [
    pod("demo", "shell", ["shell"], { createdAt: ago(5 * MIN) }),
    pod("demo", "web-7c9d6b5f4-kx2lp", ["log-shipper", "nginx"], {
      defaultContainer: "nginx",
      createdAt: ago(3 * HOUR + 12 * MIN),
    }),
    pod("demo", "web-7c9d6b5f4-q8z7m", ["log-shipper", "nginx"], {
      defaultContainer: "nginx",
      createdAt: ago(3 * HOUR + 11 * MIN),
    }),
    pod("demo", "db-0", ["postgres", "metrics"], { createdAt: ago(2 * DAY + 3 * HOUR), restarts: 1 }),
    pod("demo", "crashy", ["app"], { ready: "0/1", restarts: 7, createdAt: ago(47 * MIN) }),
    pod("demo", "distroless", ["app"], { createdAt: ago(26 * HOUR) }),
    pod("demo", "migrate-28493115-x7kq2", ["migrate"], {
      phase: "Succeeded",
      ready: "0/1",
      createdAt: ago(DAY + 2 * HOUR),
    }),
  ];
}

const NAMESPACES = ["default", "demo", "kube-system"];

function otherPods(): PodSummary[] {
  return [
    pod("default", "hello", ["hello"], { createdAt: ago(9 * DAY) }),
    pod("kube-system", "coredns-5d78c9869d-4vq2t", ["coredns"], { createdAt: ago(40 * DAY) }),
    pod("kube-system", "kube-proxy-7xk2p", ["kube-proxy"], { createdAt: ago(40 * DAY) }),
  ];
}

/**
 * Who runs a pod, as a mock control names it: `deployment/NAME` (through a ReplicaSet named
 * after the pod less its last segment), `replicaset/NAME`, `statefulset/NAME`, `daemonset/NAME`
 * or `job/NAME`; none: a bare pod.
 */
const DEMO_OWNERS: Record<string, string> = {
  "demo/web-7c9d6b5f4-kx2lp": "deployment/web",
  "demo/web-7c9d6b5f4-q8z7m": "deployment/web",
  "demo/db-0": "statefulset/db",
  "demo/migrate-28493115-x7kq2": "job/migrate-28493115",
  "kube-system/coredns-5d78c9869d-4vq2t": "deployment/coredns",
  "kube-system/kube-proxy-7xk2p": "daemonset/kube-proxy",
};

/** Why a demo pod is not Ready (the engine's not_ready_reason, less the phase part). */
const DEMO_REASONS: Record<string, string> = {
  "demo/crashy": "container app waiting: CrashLoopBackOff",
};

/** The pod's owner reference, as the API server would have it. */
interface OwnerRef {
  kind: "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job";
  name: string;
}

const WORKLOAD_KINDS = ["deployment", "statefulset", "daemonset", "replicaset"] as const;

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

const SHELLS = new Set(["sh", "bash", "ash", "zsh", "/bin/sh", "/bin/bash", "/bin/ash", "/bin/zsh"]);

// ---------------------------------------------------------------------------------------------
// Sessions

export interface MockSessionStats {
  id: number;
  pod: string;
  container: string;
  /** Bytes handed to the output channel. */
  sent: number;
  acked: number;
  unacked: number;
  maxUnacked: number;
  paused: boolean;
  pauses: number;
  flooding: boolean;
  ended: boolean;
  /** Output queued and not yet sent (held back by flow control, or not yet flushed). */
  queued: number;
  /** Inputs received (send_input calls). */
  inputs: number;
  /**
   * For each input received: when it arrived (performance.now()) and the output offset after
   * which its echo has been written: once the UI has written that many bytes, the echo is on screen.
   */
  echoes: { data: string; at: number; endOffset: number }[];
}

class MockSession {
  sent = 0;
  acked = 0;
  maxUnacked = 0;
  paused = false;
  pauses = 0;
  ended = false;
  inputs = 0;
  echoes: MockSessionStats["echoes"] = [];
  private out: Uint8Array[] = [];
  private outLen = 0;
  private flushQueued = false;
  private flood: Uint8Array | null = null;
  private line = "";
  private escape = false;
  private readonly prompt: string;
  private readonly interactive: boolean;

  constructor(
    readonly id: number,
    readonly req: OpenSessionRequest,
    private readonly onOutput: (bytes: Uint8Array) => void,
    private readonly onState: (s: SessionState) => void,
    private readonly onEnd: (s: MockSession) => void,
    private readonly connectDelay = 60,
  ) {
    this.prompt = `root@${req.pod}:/# `;
    const cmd = req.command;
    this.interactive = cmd === null || (cmd.length === 1 && SHELLS.has(cmd[0]!));
  }

  get unacked(): number {
    return this.sent - this.acked;
  }

  stats(): MockSessionStats {
    return {
      id: this.id,
      pod: this.req.pod,
      container: this.req.container,
      sent: this.sent,
      acked: this.acked,
      unacked: this.unacked,
      maxUnacked: this.maxUnacked,
      paused: this.paused,
      pauses: this.pauses,
      flooding: this.flood !== null,
      ended: this.ended,
      queued: this.outLen,
      inputs: this.inputs,
      echoes: this.echoes.slice(-50),
    };
  }

  start(): void {
    this.state({ state: "connecting" });
    setTimeout(() => {
      if (this.ended) return;
      if (this.req.pod === "distroless") {
        this.state({ state: "connected" });
        this.write(
          'OCI runtime exec failed: exec failed: unable to start container process: exec: "sh": executable file not found in $PATH: unknown\r\n',
        );
        this.exit(126);
        return;
      }
      this.state({ state: "connected" });
      if (this.interactive) this.write(this.prompt);
      else this.run(this.req.command!, true);
    }, this.connectDelay);
  }

  private state(s: SessionState): void {
    later(() => this.onState(s));
  }

  /** Queues output; it goes out in chunks of at most CHUNK_MAX as flow control allows. */
  write(text: string | Uint8Array): void {
    if (this.ended) return;
    const bytes = typeof text === "string" ? enc.encode(text) : text;
    if (bytes.length === 0) return;
    this.out.push(bytes);
    this.outLen += bytes.length;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    later(() => {
      this.flushQueued = false;
      this.pump();
    });
  }

  /** Sends queued output, then flood output, until the high watermark is crossed. */
  private pump(): void {
    if (this.ended) return;
    while (!this.paused && (this.outLen > 0 || this.flood)) {
      let chunk: Uint8Array;
      if (this.outLen > 0) {
        chunk = this.takeOut();
      } else {
        chunk = this.flood!;
      }
      this.sent += chunk.length;
      const u = this.unacked;
      if (u > this.maxUnacked) this.maxUnacked = u;
      const c = chunk;
      later(() => this.onOutput(c));
      if (u > HIGH_WATER) {
        this.paused = true;
        this.pauses++;
      }
    }
  }

  private takeOut(): Uint8Array {
    let size = 0;
    const parts: Uint8Array[] = [];
    while (this.out.length > 0 && size < CHUNK_MAX) {
      const head = this.out[0]!;
      const room = CHUNK_MAX - size;
      if (head.length <= room) {
        parts.push(head);
        size += head.length;
        this.out.shift();
      } else {
        parts.push(head.subarray(0, room));
        this.out[0] = head.subarray(room);
        size += room;
      }
    }
    this.outLen -= size;
    if (parts.length === 1) return parts[0]!.slice();
    const chunk = new Uint8Array(size);
    let off = 0;
    for (const p of parts) {
      chunk.set(p, off);
      off += p.length;
    }
    return chunk;
  }

  ack(bytes: number): void {
    this.acked += bytes;
    if (this.acked > this.sent) {
      console.warn(`mock session ${this.id}: acknowledged ${this.acked} bytes of ${this.sent} sent`);
    }
    if (this.paused && this.unacked < LOW_WATER) {
      this.paused = false;
      this.scheduleFlush();
    }
  }

  resize(cols: number, rows: number): void {
    this.req.cols = cols;
    this.req.rows = rows;
  }

  /** Keystrokes, through a small line discipline (echo, backspace, ^C, ^D, ^U, ^L). */
  input(data: string): void {
    if (this.ended) return;
    this.inputs++;
    let echo = "";
    const flushEcho = () => {
      if (echo) this.write(echo);
      echo = "";
    };
    for (const ch of data) {
      if (this.escape) {
        // Swallow escape sequences (arrows, function keys): ESC [ … final byte.
        if (/[@-~]/.test(ch) && ch !== "[" && ch !== "O") this.escape = false;
        continue;
      }
      switch (ch) {
        case "\x1b":
          this.escape = true;
          break;
        case "\r":
        case "\n": {
          echo += "\r\n";
          flushEcho();
          const line = this.line;
          this.line = "";
          if (this.flood) break; // a line typed during a flood is echoed, not run
          this.execLine(line);
          if (this.ended) return;
          break;
        }
        case "\x7f":
        case "\b":
          if (this.line.length > 0) {
            this.line = this.line.slice(0, -1);
            echo += "\b \b";
          }
          break;
        case "\x03":
          echo += "^C\r\n";
          flushEcho();
          this.line = "";
          if (this.flood) {
            this.flood = null;
            if (!this.interactive) {
              this.exit(130);
              return;
            }
          }
          this.write(this.prompt);
          break;
        case "\x04":
          if (this.line === "" && !this.flood) {
            flushEcho();
            this.write("exit\r\n");
            this.exit(0);
            return;
          }
          break;
        case "\x15":
          echo += "\b \b".repeat(this.line.length);
          this.line = "";
          break;
        case "\x0c":
          echo += `\x1b[H\x1b[2J${this.prompt}${this.line}`;
          break;
        default:
          if (ch >= " ") {
            this.line += ch;
            echo += ch;
          }
      }
    }
    flushEcho();
    this.echoes.push({ data, at: performance.now(), endOffset: this.sent + this.outLen });
    if (this.echoes.length > 200) this.echoes.splice(0, 100);
  }

  private execLine(line: string): void {
    const words = line.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) {
      this.write(this.prompt);
      return;
    }
    this.run(words, false);
  }

  /** Runs one command; `once`: the session's own command (the session ends with it). */
  private run(words: string[], once: boolean): void {
    const [cmd, ...args] = words as [string, ...string[]];
    let code = 0;
    switch (cmd) {
      case "echo":
        this.write(`${args.join(" ")}\r\n`);
        break;
      case "exit": {
        const n = args.length > 0 ? Number.parseInt(args[0]!, 10) : 0;
        if (!once) this.write("exit\r\n");
        this.exit(Number.isNaN(n) ? 2 : ((n % 256) + 256) % 256);
        return;
      }
      case "yes": {
        const word = args.length > 0 ? args.join(" ") : "y";
        const unit = enc.encode(`${word}\r\n`);
        const reps = Math.max(1, Math.floor(CHUNK_MAX / unit.length));
        const flood = new Uint8Array(unit.length * reps);
        for (let i = 0; i < reps; i++) flood.set(unit, i * unit.length);
        this.flood = flood;
        this.scheduleFlush();
        return;
      }
      case "lose":
        this.end({
          state: "lost",
          reason: "the connection to the cluster dropped (no data for 61 s); the shell may still run in the pod",
        });
        return;
      case "seq": {
        const n = Math.min(Number.parseInt(args[0] ?? "10", 10) || 0, 100_000);
        const lines: string[] = [];
        for (let i = 1; i <= n; i++) lines.push(String(i));
        if (lines.length) this.write(`${lines.join("\r\n")}\r\n`);
        break;
      }
      case "clear":
        this.write("\x1b[H\x1b[2J");
        break;
      case "help":
        this.write(
          "Podterm preview shell (mock backend). Commands:\r\n" +
            "  echo TEXT   exit [N]   yes [WORD] (Ctrl-C stops it)   lose (drop the connection)\r\n" +
            "  seq N   clear   hostname   whoami   pwd   ls   date   true   false\r\n",
        );
        break;
      case "hostname":
        this.write(`${this.req.pod}\r\n`);
        break;
      case "whoami":
        this.write("root\r\n");
        break;
      case "pwd":
        this.write("/\r\n");
        break;
      case "ls":
        this.write("bin   dev  etc  home  lib  proc  root  run  sbin  sys  tmp  usr  var\r\n");
        break;
      case "date":
        this.write(`${new Date().toUTCString()}\r\n`);
        break;
      case "true":
        break;
      case "false":
        code = 1;
        break;
      default:
        if (SHELLS.has(cmd) && once) {
          this.write(this.prompt);
          return;
        }
        this.write(`bash: ${cmd}: command not found\r\n`);
        code = 127;
    }
    if (once) this.exit(code);
    else this.write(this.prompt);
  }

  exit(code: number): void {
    this.end({ state: "exited", code });
  }

  /** Ends the session after the output queued so far has been sent. */
  end(state: SessionState): void {
    if (this.ended) return;
    this.flood = null;
    const finish = () => {
      if (this.ended) return;
      if (this.outLen > 0 && !this.paused) {
        this.pump();
      }
      if (this.outLen > 0) {
        // Wait for acks to drain what is left.
        setTimeout(finish, 10);
        return;
      }
      this.ended = true;
      this.state(state);
      this.onEnd(this);
    };
    later(finish);
  }

  close(): void {
    this.flood = null;
    this.ended = true;
    this.out = [];
    this.outLen = 0;
  }
}

// ---------------------------------------------------------------------------------------------

/** Mock-only pod details: who runs it (see DEMO_OWNERS) and why it is not Ready. */
export interface MockPodExtra {
  /** `deployment/NAME`, `replicaset/NAME`, `statefulset/NAME`, `daemonset/NAME`, `job/NAME`. */
  owner?: string;
  /** Why it is not Ready: `ContainerCreating` (Pending), `container app waiting: CrashLoopBackOff`. */
  reason?: string;
}

export interface MockControls {
  /** The links `openUrl` was asked to open, in order. */
  openedUrls: string[];
  sessions(): MockSessionStats[];
  session(id: number): MockSessionStats | null;
  addPod(p: Partial<PodSummary> & { name: string } & MockPodExtra): void;
  deletePod(namespace: string, name: string): void;
  modifyPod(namespace: string, name: string, change: Partial<PodSummary> & { reason?: string }): void;
  /**
   * A rollout of Deployment `name`: as many new pods (a new ReplicaSet, Ready, created now) as it
   * has, then the old ones are deleted (their sessions end: the pod was deleted). Returns the new
   * pods' names, newest first.
   */
  rollout(namespace: string, name: string): string[];
  /** Every pod watch reports it broke (`reason`), or, with null, that it is back. */
  setWatchBroken(reason: string | null): void;
  /** How long new sessions take to connect (default 60 ms). */
  setConnectDelay(ms: number): void;
  /** How long resolve_favourite takes (default 20 ms). */
  setResolveDelay(ms: number): void;
  /** The saved favourites, in order. */
  favourites(): FavouriteSummary[];
  /** Replaces the favourites (as another Podterm or the CLI would) and says they changed. */
  setFavourites(list: FavouriteSummary[]): void;
  /** As the tray, `podterm-desktop --connect NAME` or a podterm://connect/NAME link: open it. */
  requestOpen(name: string): void;
  /** Sends a favouritesChanged request. */
  requestFavouritesChanged(): void;
  /** Whether the UI listens for requests (watch_requests was called). */
  listening(): boolean;
  /** What pick_kubeconfig (the native file dialog) answers next: a path, or null (cancelled). */
  setPickedFile(path: string | null): void;
  /** How many times pick_kubeconfig (the native file dialog) has answered. */
  dialogsAnswered(): number;
  HIGH_WATER: number;
  LOW_WATER: number;
  CHUNK_MAX: number;
}

declare global {
  interface Window {
    __podtermMock?: MockControls;
  }
}

export interface MockOptions {
  /** Start with the Demo profile already saved (default: none, the first-run screen). */
  withDemo?: boolean;
  /** Pods change on their own now and then (default true). */
  liveUpdates?: boolean;
}

export function mockBackend(opts: MockOptions = {}): Backend {
  return createMock(opts).backend;
}

/** The mock backend and its test controls (also on window.__podtermMock in a browser). */
export function createMock(opts: MockOptions = {}): { backend: Backend; controls: MockControls } {
  const params = typeof location !== "undefined" ? new URLSearchParams(location.search) : null;
  const withDemo = opts.withDemo ?? params?.get("demo") === "1";
  const liveUpdates = opts.liveUpdates ?? params?.get("live") !== "0";

  const demo: ProfileSummary = {
    name: "demo",
    server: "https://127.0.0.1:6443",
    authKind: "token",
    insecure: false,
    namespace: "demo",
  };
  let profiles: ProfileSummary[] = withDemo ? [demo] : [];
  /** What profile_details adds to a summary: a CA as PEM, whether a token is stored. */
  const profileExtras = new Map<string, { caPem: string | null; hasToken: boolean }>();
  let pickedFile: string | null = null;
  let dialogsAnswered = 0;
  const pods: PodSummary[] = [...demoPods(), ...otherPods()];
  const watches = new Map<
    number,
    { profile: string; namespace: string; emit: (e: PodEvent) => void; status?: (s: WatchStatus) => void }
  >();
  const sessions = new Map<number, MockSession>();
  let nextWatch = 1;
  let nextSession = 1;
  let connectDelay = 60;
  let resolveDelay = 20;

  // Owners: pod → its owner reference; ReplicaSet → its Deployment; the workloads that exist.
  const owners = new Map<string, OwnerRef>();
  const rsDeployment = new Map<string, string>();
  const workloads = new Set<string>();
  const reasons = new Map<string, string>();
  const key = (namespace: string, name: string) => `${namespace}/${name}`;

  function setOwner(namespace: string, podName: string, owner: string | undefined): void {
    const k = key(namespace, podName);
    owners.delete(k);
    if (!owner) return;
    const slash = owner.indexOf("/");
    const kind = owner.slice(0, slash).toLowerCase();
    const name = owner.slice(slash + 1);
    switch (kind) {
      case "deployment": {
        const rs = podName.includes("-") ? podName.slice(0, podName.lastIndexOf("-")) : `${name}-rs`;
        owners.set(k, { kind: "ReplicaSet", name: rs });
        rsDeployment.set(key(namespace, rs), name);
        workloads.add(`${namespace}/deployment/${name}`);
        workloads.add(`${namespace}/replicaset/${rs}`);
        break;
      }
      case "replicaset":
        owners.set(k, { kind: "ReplicaSet", name });
        workloads.add(`${namespace}/replicaset/${name}`);
        break;
      case "statefulset":
        owners.set(k, { kind: "StatefulSet", name });
        workloads.add(`${namespace}/statefulset/${name}`);
        break;
      case "daemonset":
        owners.set(k, { kind: "DaemonSet", name });
        workloads.add(`${namespace}/daemonset/${name}`);
        break;
      case "job":
        owners.set(k, { kind: "Job", name });
        break;
      default:
        throw new Error(`mock: unknown owner kind in ${owner}`);
    }
  }
  for (const p of pods) setOwner(p.namespace, p.name, DEMO_OWNERS[key(p.namespace, p.name)]);
  for (const [k, r] of Object.entries(DEMO_REASONS)) reasons.set(k, r);

  /** favourite_for_pod: the owning workload, else the pod itself. */
  function targetForPod(p: PodSummary): { kind: string; target: string } {
    const o = owners.get(key(p.namespace, p.name));
    switch (o?.kind) {
      case "ReplicaSet": {
        const d = rsDeployment.get(key(p.namespace, o.name));
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

  /** The pods a workload's selector matches now. */
  function workloadPods(namespace: string, kind: string, name: string): PodSummary[] {
    return pods.filter((p) => {
      if (p.namespace !== namespace) return false;
      const o = owners.get(key(p.namespace, p.name));
      if (!o) return false;
      switch (kind) {
        case "deployment":
          return o.kind === "ReplicaSet" && rsDeployment.get(key(namespace, o.name)) === name;
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

  let favourites: FavouriteSummary[] = [];
  let requestSink: ((r: AppRequest) => void) | null = null;
  const heldRequests: AppRequest[] = [];
  const openedUrls: string[] = [];

  function pushRequest(r: AppRequest): void {
    const sink = requestSink;
    if (sink) later(() => sink(r));
    else if (r.kind === "openFavourite") heldRequests.push(r);
  }

  function copyFavourite(f: FavouriteSummary): FavouriteSummary {
    return { ...f, command: [...f.command] };
  }

  function notFound(name: string): string {
    const known = favourites.map((f) => f.name);
    return `no favourite named "${name}"; ${known.length === 0 ? "there are no favourites yet" : `the favourites are: ${known.join(", ")}`}`;
  }

  function requireFavourite(name: string): FavouriteSummary {
    const f = favourites.find((x) => x.name === name);
    if (!f) throw notFound(name);
    return f;
  }

  function checkName(name: string): void {
    let reason: string | null = null;
    if (name.trim() === "") reason = "a favourite needs a name";
    else if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) reason = "control characters are not allowed in its name";
    if (reason) throw `invalid favourite ${JSON.stringify(name)}: ${reason}`;
  }

  /** `base`, else `base (2)`, `base (3)`... whichever is free. */
  function uniqueName(base: string): string {
    const taken = new Set(favourites.map((f) => f.name));
    if (!taken.has(base)) return base;
    for (let n = 2; ; n++) if (!taken.has(`${base} (${n})`)) return `${base} (${n})`;
  }

  let nextHash = 0;
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

  function requireProfile(name: string): ProfileSummary {
    const p = profiles.find((x) => x.name === name);
    if (!p) throw `no saved cluster named "${name}"`;
    return p;
  }

  function broadcast(type: PodEvent["type"], p: PodSummary): void {
    for (const w of watches.values()) {
      if (w.namespace === p.namespace) {
        const ev: PodEvent = { type, pod: { ...p, containers: [...p.containers] } };
        later(() => w.emit(ev));
      }
    }
  }

  function findPod(namespace: string, name: string): PodSummary | undefined {
    return pods.find((p) => p.namespace === namespace && p.name === name);
  }

  function deletePod(namespace: string, name: string): void {
    const i = pods.findIndex((x) => x.namespace === namespace && x.name === name);
    if (i < 0) return;
    const [p] = pods.splice(i, 1);
    owners.delete(key(namespace, name));
    reasons.delete(key(namespace, name));
    broadcast("Deleted", p!);
    for (const s of sessions.values()) {
      if (s.req.namespace === namespace && s.req.pod === name) {
        s.end({ state: "lost", reason: `pod "${name}" was deleted` });
      }
    }
  }

  const controls: MockControls = {
    openedUrls,
    setWatchBroken: (reason) => {
      const s: WatchStatus = reason === null ? { kind: "live" } : { kind: "broken", reason };
      for (const w of watches.values()) later(() => w.status?.(s));
    },
    sessions: () => [...sessions.values()].map((s) => s.stats()),
    session: (id) => sessions.get(id)?.stats() ?? null,
    addPod: (partial) => {
      const { owner, reason, ...summary } = partial;
      const p = pod(summary.namespace ?? "demo", summary.name, summary.containers ?? ["main"], summary);
      const i = pods.findIndex((x) => x.namespace === p.namespace && x.name === p.name);
      if (i >= 0) pods[i] = p;
      else pods.push(p);
      setOwner(p.namespace, p.name, owner);
      if (reason) reasons.set(key(p.namespace, p.name), reason);
      else reasons.delete(key(p.namespace, p.name));
      broadcast(i >= 0 ? "Modified" : "Added", p);
    },
    deletePod,
    modifyPod: (namespace, name, change) => {
      const p = findPod(namespace, name);
      if (!p) return;
      const { reason, ...summary } = change;
      if (reason !== undefined) {
        if (reason) reasons.set(key(namespace, name), reason);
        else reasons.delete(key(namespace, name));
      }
      Object.assign(p, summary);
      broadcast("Modified", p);
    },
    rollout: (namespace, name) => {
      const old = workloadPods(namespace, "deployment", name).sort((a, b) => (a.name < b.name ? -1 : 1));
      if (old.length === 0) throw new Error(`mock: deployment ${name} has no pods in ${namespace}`);
      const hash = newHash();
      const fresh: string[] = [];
      old.forEach((o, i) => {
        const suffix = newHash().slice(0, 5);
        const p = pod(namespace, `${name}-${hash}-${suffix}`, [...o.containers], {
          defaultContainer: o.defaultContainer,
          createdAt: new Date(Date.now() - (old.length - 1 - i) * 1000).toISOString(),
        });
        pods.push(p);
        setOwner(namespace, p.name, `deployment/${name}`);
        broadcast("Added", p);
        fresh.unshift(p.name);
      });
      for (const o of old) deletePod(namespace, o.name);
      return fresh;
    },
    setConnectDelay: (ms) => {
      connectDelay = ms;
    },
    setResolveDelay: (ms) => {
      resolveDelay = ms;
    },
    favourites: () => favourites.map(copyFavourite),
    setFavourites: (list) => {
      favourites = list.map(copyFavourite);
      pushRequest({ kind: "favouritesChanged" });
    },
    requestOpen: (name) => pushRequest({ kind: "openFavourite", name }),
    requestFavouritesChanged: () => pushRequest({ kind: "favouritesChanged" }),
    listening: () => requestSink !== null,
    setPickedFile: (path) => {
      pickedFile = path;
    },
    dialogsAnswered: () => dialogsAnswered,
    HIGH_WATER,
    LOW_WATER,
    CHUNK_MAX,
  };
  if (typeof window !== "undefined") window.__podtermMock = controls;

  if (liveUpdates) {
    // crashy keeps crashing: its restart count goes up now and then, like a real CrashLoopBackOff.
    setInterval(() => {
      const p = findPod("demo", "crashy");
      if (p) {
        p.restarts += 1;
        broadcast("Modified", p);
      }
    }, 20_000);
  }

  const backend: Backend = {
    kind: "mock",
    async listProfiles() {
      await tick();
      return profiles.map((p) => ({ ...p }));
    },
    async importKubeconfig(path) {
      await tick(30);
      throw path
        ? `cannot read ${path}: the browser preview has no file access (run the Podterm app to import a kubeconfig)`
        : "no kubeconfig could be read: the browser preview has no file access (run the Podterm app, or use the Demo cluster)";
    },
    async profileDetails(name) {
      await tick();
      const p = requireProfile(name);
      const extra = profileExtras.get(name);
      const details: ProfileDetails = {
        name: p.name,
        server: p.server,
        namespace: p.namespace,
        caPem: extra?.caPem ?? null,
        insecure: p.insecure,
        authKind: p.authKind,
        hasToken: extra?.hasToken ?? false,
      };
      return details;
    },
    async saveProfile(input) {
      await tick(20);
      // As podterm_core::manual validates.
      const name = input.name.trim();
      if (!name) throw "give the profile a name";
      const rest = input.server.trim().match(/^https:\/\/(.*)$/i)?.[1];
      if (rest === undefined) throw "the server must be an https:// URL, e.g. https://10.0.0.1:6443";
      if (!rest || /\s/.test(rest)) throw "the server URL names no host, or has spaces in it";
      const caPem = input.caPem?.trim() || null;
      if (caPem && !caPem.includes("-----BEGIN CERTIFICATE-----")) {
        throw "the CA certificate must be PEM (-----BEGIN CERTIFICATE----- …), as in a kubeconfig's certificate-authority-data decoded";
      }
      const old = input.original === null ? undefined : requireProfile(input.original);
      if (name !== input.original && profiles.some((p) => p.name === name)) {
        throw `a profile named "${name}" already exists: pick another name`;
      }
      const hadToken = input.original === null ? false : (profileExtras.get(input.original)?.hasToken ?? false);
      const hasToken = input.token !== null || hadToken;
      const saved: ProfileSummary = {
        name,
        server: `https://${rest}`,
        authKind: input.token !== null ? "token" : (old?.authKind ?? "none"),
        insecure: input.insecure,
        namespace: input.namespace?.trim() || null,
      };
      if (old) {
        profiles = profiles.map((p) => (p === old ? saved : p));
        profileExtras.delete(old.name);
      } else {
        profiles.push(saved);
      }
      profileExtras.set(name, { caPem, hasToken });
      return { ...saved };
    },
    async pickKubeconfig() {
      await tick();
      dialogsAnswered += 1;
      return pickedFile;
    },
    async deleteProfile(name) {
      await tick();
      requireProfile(name);
      profiles = profiles.filter((p) => p.name !== name);
      profileExtras.delete(name);
    },
    async demoProfile() {
      await tick(120);
      if (!profiles.some((p) => p.name === demo.name)) profiles.push(demo);
      return { ...demo };
    },
    async listNamespaces(profile) {
      await tick(10);
      requireProfile(profile);
      return [...NAMESPACES];
    },
    async watchPods(profile, namespace, onEvent, onStatus) {
      await tick(10);
      requireProfile(profile);
      const id = nextWatch++;
      watches.set(id, { profile, namespace, emit: onEvent, status: onStatus });
      for (const p of pods) {
        if (p.namespace === namespace) {
          const ev: PodEvent = { type: "Added", pod: { ...p, containers: [...p.containers] } };
          later(() => {
            if (watches.has(id)) onEvent(ev);
          });
        }
      }
      return id;
    },
    async stopWatch(id) {
      watches.delete(id);
    },
    async openSession(req, onOutput, onState) {
      await tick(5);
      requireProfile(req.profile);
      const p = findPod(req.namespace, req.pod);
      if (!p) throw `pods "${req.pod}" not found`;
      if (p.phase === "Succeeded" || p.phase === "Failed") {
        throw `cannot exec into a container in a completed pod; current phase is ${p.phase}`;
      }
      if (!p.containers.includes(req.container)) {
        throw `container ${req.container} not found in pod ${req.pod}`;
      }
      const id = nextSession++;
      const s = new MockSession(id, { ...req }, onOutput, onState, () => {}, connectDelay);
      sessions.set(id, s);
      s.start();
      return id;
    },
    async sendInput(id, data) {
      const s = sessions.get(id);
      if (!s || s.ended) throw `session ${id} has ended`;
      s.input(data);
    },
    async resize(id, cols, rows) {
      sessions.get(id)?.resize(cols, rows);
    },
    async ack(id, bytes) {
      sessions.get(id)?.ack(bytes);
    },
    async closeSession(id) {
      const s = sessions.get(id);
      if (s) s.close();
      sessions.delete(id);
    },
    async listFavourites() {
      await tick();
      return favourites.map(copyFavourite);
    },
    async addFavourite(profile, namespace, podName, container) {
      await tick(30);
      requireProfile(profile);
      const p = findPod(namespace, podName);
      if (!p) throw `pods "${podName}" not found`;
      const { kind, target } = targetForPod(p);
      const fav: FavouriteSummary = {
        name: uniqueName(target),
        profile,
        namespace,
        kind,
        target,
        container: container ? container : null,
        command: [],
      };
      favourites.push(fav);
      return copyFavourite(fav);
    },
    async renameFavourite(name, newName) {
      await tick();
      const wanted = newName.trim();
      const f = requireFavourite(name);
      if (wanted === name) return;
      if (favourites.some((x) => x.name === wanted)) {
        throw `a favourite named "${wanted}" already exists: pick another name, or remove it first`;
      }
      checkName(wanted);
      f.name = wanted;
    },
    async deleteFavourite(name) {
      await tick();
      requireFavourite(name);
      favourites = favourites.filter((f) => f.name !== name);
    },
    async reorderFavourites(names) {
      await tick();
      const problems: string[] = [];
      const missing = favourites.map((f) => f.name).filter((n) => !names.includes(n));
      if (missing.length) problems.push(`missing ${missing.join(", ")}`);
      const unknown = names.filter((n) => !favourites.some((f) => f.name === n));
      if (unknown.length) problems.push(`no favourite named ${unknown.join(", ")}`);
      const twice = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
      if (twice.length) problems.push(`named more than once: ${twice.join(", ")}`);
      if (problems.length) throw `the new order must name every favourite exactly once: ${problems.join("; ")}`;
      favourites = names.map((n) => favourites.find((f) => f.name === n)!);
    },
    async resolveFavourite(name) {
      await tick(resolveDelay);
      const f = requireFavourite(name);
      requireProfile(f.profile);
      let chosen: PodSummary;
      if (f.kind === "pod") {
        const p = findPod(f.namespace, f.target);
        if (!p) throw `pods "${f.target}" not found`;
        chosen = p;
      } else {
        if (!(WORKLOAD_KINDS as readonly string[]).includes(f.kind) || !workloads.has(`${f.namespace}/${f.kind}/${f.target}`)) {
          throw `${f.kind}s.apps "${f.target}" not found`;
        }
        const matching = workloadPods(f.namespace, f.kind, f.target).sort((a, b) =>
          a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? 1 : -1) : a.name < b.name ? -1 : 1,
        );
        const ready = matching.find(mockPodReady);
        if (!ready) {
          const detail =
            matching.length === 0
              ? "no pods match"
              : matching.map((p) => `${p.name} (${mockNotReadyReason(p, reasons.get(key(p.namespace, p.name)))})`).join(", ");
          throw `no Ready pod for ${f.kind}/${f.target} in namespace ${f.namespace}: ${detail}`;
        }
        chosen = ready;
      }
      if (chosen.phase === "Succeeded" || chosen.phase === "Failed") {
        throw `cannot exec into a container in a completed pod; current phase is ${chosen.phase}`;
      }
      let container = chosen.defaultContainer;
      if (f.container !== null) {
        if (!chosen.containers.includes(f.container)) {
          throw `container ${f.container} is not valid for pod ${chosen.name} out of: ${chosen.containers.join(", ")}`;
        }
        container = f.container;
      }
      const resolved: ResolvedFavourite = {
        name: f.name,
        profile: f.profile,
        namespace: f.namespace,
        pod: chosen.name,
        container,
        command: f.command.length > 0 ? [...f.command] : null,
      };
      return resolved;
    },
    async watchRequests(onRequest) {
      await tick();
      requestSink = onRequest;
      for (const r of heldRequests.splice(0, heldRequests.length)) later(() => onRequest(r));
    },
    async openUrl(url) {
      await tick();
      // As the app does: http(s) only.
      if (!/^https?:\/\/\S+$/i.test(url.trim())) throw `not opened: only http and https links open from a terminal (${url})`;
      openedUrls.push(url.trim());
    },
  };
  return { backend, controls };
}
