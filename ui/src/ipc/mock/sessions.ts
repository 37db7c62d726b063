// The mock's exec sessions: a fake shell per session (echo, exit [N], yes [WORD] until Ctrl-C,
// lose, seq N, clear, help and a few harmless others), whose output obeys the engine's flow
// control: sending stops while more than HIGH_WATER bytes are unacknowledged and resumes once
// fewer than LOW_WATER are.
import type { OpenSessionRequest, SessionState } from "../types";
import { mockError } from "./errors";
import { Gate, later } from "./tasks";

/** What a cluster's Pod Security in warn mode says of a node's debugging pod. */
export const MOCK_NODE_POD_WARNING =
  'would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true, hostPID=true, hostIPC=true), hostPath volumes (volume "host-root")';

import { HIGH_WATER, LOW_WATER, MAX_BATCH } from "../generated/flow";

/** The engine's watermarks and batch size (podterm_core::flow, generated). */
export { HIGH_WATER, LOW_WATER };
/** Largest output message, as the engine coalesces. */
export const CHUNK_MAX = MAX_BATCH;

const enc = new TextEncoder();

const SHELLS = new Set(["sh", "bash", "ash", "zsh", "/bin/sh", "/bin/bash", "/bin/ash", "/bin/zsh"]);

export interface MockSessionStats {
  id: number;
  pod: string;
  container: string;
  /** Bytes handed to the output channel. */
  sent: number;
  acked: number;
  /** Microseconds of drawing the UI reported with its acks (what paces a skipped flood). */
  drawUs: number;
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
   * which its echo has been written: once the UI has written that many bytes, the echo is on screen;
   * and how many bytes were acknowledged then (the echo waits behind `endOffset - ackedAt`).
   */
  echoes: { data: string; at: number; endOffset: number; ackedAt: number }[];
  /** The terminal's size as last opened or resized (each split pane resizes its own session). */
  cols: number;
  rows: number;
}

export class MockSession {
  sent = 0;
  acked = 0;
  drawUs = 0;
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
    /** Resolves when connecting may finish (a test can hold sessions in "connecting"). */
    private readonly connectGate: () => Promise<void> = () => Promise.resolve(),
  ) {
    // A copy's shell is in the copy (its hostname the copy's name); a shell on a node is in the
    // node's network namespace (its hostname the node's).
    const node = req.copy && req.pod.startsWith("node/") ? req.pod.slice("node/".length) : null;
    this.prompt = `root@${node ?? req.copy?.name ?? req.pod}:/# `;
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
      drawUs: this.drawUs,
      unacked: this.unacked,
      maxUnacked: this.maxUnacked,
      paused: this.paused,
      pauses: this.pauses,
      flooding: this.flood !== null,
      ended: this.ended,
      queued: this.outLen,
      inputs: this.inputs,
      echoes: this.echoes.slice(-50),
      cols: this.req.cols,
      rows: this.req.rows,
    };
  }

  /** Set: the container crashes as it starts (or its pod has completed), so the session ends refused, as the engine's. */
  crashing: string | null = null;
  /** Set with `crashing`: the engine's words, when not a crash loop's. */
  refusal: string | null = null;

  start(): void {
    this.state({ state: "connecting" });
    const connect = () => {
      if (this.ended) return;
      if (this.crashing) {
        const why = this.refusal ?? `container "${this.crashing}" of pod "${this.req.pod}" crashes as it starts (CrashLoopBackOff), so there is nothing running to open a shell in`;
        const reason = `${why}: Debug a copy of the pod… (on this tab) makes a copy of it whose container runs a shell instead of its command, and deletes the copy when the tab closes`;
        this.end({ state: "lost", reason, outputBytes: 0, crashing: this.crashing });
        return;
      }
      if (this.req.pod === "distroless" && !this.req.debug) {
        this.state({ state: "connected" });
        this.write(
          'OCI runtime exec failed: exec failed: unable to start container process: exec: "sh": executable file not found in $PATH: unknown\r\n',
        );
        this.exit(126);
        return;
      }
      // Pod Security in warn mode in `demo` (as a cluster whose namespaces warn): a node's pod
      // uses the host's namespaces and its root, and the API server says so.
      if (this.req.copy && this.req.pod.startsWith("node/") && this.req.namespace === "demo") {
        this.state({ state: "warning", text: MOCK_NODE_POD_WARNING });
      }
      this.state({ state: "connected" });
      if (this.interactive) this.write(this.prompt);
      else this.run(this.req.command!, true);
      const early = this.early ?? "";
      this.early = null;
      if (early) this.input(early);
    };
    setTimeout(() => void this.connectGate().then(connect), this.connectDelay);
  }

  private state(s: SessionState): void {
    later(() => this.onState(s));
  }

  /** Sees every byte of output as it is queued (a recording of the session). */
  tap: ((text: string) => void) | null = null;

  /** A state of the engine's own (a recording's start or end). */
  tell(s: SessionState): void {
    if (!this.ended) this.state(s);
  }

  /** Queues output; it goes out in chunks of at most CHUNK_MAX as flow control allows. */
  write(text: string | Uint8Array): void {
    if (this.ended) return;
    const bytes = typeof text === "string" ? enc.encode(text) : text;
    if (bytes.length === 0) return;
    this.tap?.(typeof text === "string" ? text : new TextDecoder().decode(text));
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

  ack(bytes: number, drawUs: number): void {
    this.acked += bytes;
    this.drawUs += drawUs;
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
  /** Keystrokes that came before the session connected: the shell's queue holds them too. */
  private early: string | null = "";

  input(data: string): void {
    if (this.ended) return;
    if (this.early !== null) {
      this.early += data;
      return;
    }
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
    this.echoes.push({ data, at: performance.now(), endOffset: this.sent + this.outLen, ackedAt: this.acked });
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
          outputBytes: 0,
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
      // OSC 52 as a hostile pod sends it: ask for the user's clipboard, or set it.
      case "clip-read":
        this.write("\x1b]52;c;?\x07");
        break;
      case "clip-write":
        this.write(`\x1b]52;c;${btoa(String.fromCharCode(...enc.encode(args.join(" "))))}\x07`);
        break;
      case "help":
        this.write(
          "Podterm preview shell (mock backend). Commands:\r\n" +
            "  echo TEXT   exit [N]   yes [WORD] (Ctrl-C stops it)   lose (drop the connection)\r\n" +
            "  seq N   clear   hostname   whoami   pwd   ls   date   true   false\r\n" +
            "  clip-read   clip-write TEXT (the OSC 52 clipboard escape)\r\n",
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
    this.end({ state: "exited", code, outputBytes: 0 });
  }

  /**
   * Ends the session after the output queued so far has been sent; the final state counts it
   * (`outputBytes`, whatever the caller put there), as the engine's does.
   */
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
      this.state(state.state === "exited" || state.state === "lost" ? { ...state, outputBytes: this.sent } : state);
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

/** The open sessions, by id: what open_session, send_input, resize, ack and close_session reach. */
export class MockSessions {
  private readonly byId = new Map<number, MockSession>();
  private nextId = 1;
  /** How long new sessions take to connect (ms). */
  connectDelay = 60;
  /** While set, new connections stay "connecting" until it is released. */
  private readonly hold = new Gate();

  /** Holds connections (true) in "connecting", or lets every held one finish (false). */
  holdConnect(on: boolean): void {
    this.hold.set(on);
  }

  open(
    req: OpenSessionRequest,
    onOutput: (bytes: Uint8Array) => void,
    onState: (s: SessionState) => void,
    crashing: string | null = null,
    refusal: string | null = null,
  ): number {
    const id = this.nextId++;
    const s = new MockSession(id, { ...req }, onOutput, onState, (x) => this.onSessionEnd?.(x.id), this.connectDelay, () => this.hold.wait());
    s.crashing = crashing;
    s.refusal = refusal;
    this.byId.set(id, s);
    s.start();
    return id;
  }

  input(id: number, data: string): void {
    const s = this.byId.get(id);
    if (!s || s.ended) throw mockError("sessionEnded", `session ${id} has ended`);
    s.input(data);
  }

  resize(id: number, cols: number, rows: number): void {
    this.byId.get(id)?.resize(cols, rows);
  }

  ack(id: number, bytes: number, drawUs: number): void {
    this.byId.get(id)?.ack(bytes, drawUs);
  }

  close(id: number): void {
    this.byId.get(id)?.close();
    this.byId.delete(id);
    this.onSessionEnd?.(id);
  }

  /** Told when a session ends or is closed (its recording ends). */
  onSessionEnd: ((id: number) => void) | null = null;

  /** The pod was deleted: its sessions end as lost. */
  podDeleted(namespace: string, pod: string): void {
    for (const s of this.byId.values()) {
      if (s.req.namespace === namespace && s.req.pod === pod) {
        s.end({ state: "lost", reason: `pod "${pod}" was deleted`, outputBytes: 0 });
      }
    }
  }

  stats(): MockSessionStats[] {
    return [...this.byId.values()].map((s) => s.stats());
  }

  statsOf(id: number): MockSessionStats | null {
    return this.byId.get(id)?.stats() ?? null;
  }

  /** A session, ended or not (null once closed). */
  peek(id: number): MockSession | null {
    return this.byId.get(id) ?? null;
  }

  /** A live session, or the engine's error for one that ended. */
  live(id: number): MockSession {
    const s = this.byId.get(id);
    if (!s || s.ended) throw mockError("sessionEnded", `session ${id} has ended`);
    return s;
  }
}
