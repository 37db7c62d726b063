// The mock's recordings: one recorded session ready to play (a prompt, a command, `REC-42`,
// a long idle pause, more output), and the recordings a tab makes: every byte of a mock
// session's output while it records, with the time it was written. Paged like the engine
// (`read_recording`'s offset is the index of the next event here).
import type { RecordingEntry, RecordingPage } from "../types";
import type { MockSession, MockSessions } from "./sessions";
import { mockError } from "./errors";

interface Cast {
  id: string;
  name: string;
  title: string;
  width: number;
  height: number;
  started: number;
  events: { time: number; code: string; data: string }[];
  /** The session writing it, while it does. */
  session: number | null;
  t0: number;
}

/** Events per page, small so the player pages even through the mock's recordings. */
export const MOCK_PAGE_EVENTS = 4;

const FOLDER = "/home/user/.local/share/podterm/recordings";

function demoCast(): Cast {
  const out = (time: number, data: string) => ({ time, code: "o", data });
  return {
    id: "0/demo_demo_shell_shell_20261130T120000Z.cast",
    name: "demo_demo_shell_shell_20261130T120000Z.cast",
    title: "demo: demo/shell/shell",
    width: 80,
    height: 24,
    started: Date.UTC(2026, 10, 30, 12, 0, 0) / 1000,
    events: [
      out(0.1, "root@shell:/# "),
      out(0.6, "printf 'REC-%s\\n' $((6*7))\r\n"),
      out(0.7, "REC-42\r\nroot@shell:/# "),
      out(1.2, "echo \x1b[31mred\x1b[0m\r\n"),
      out(1.3, "red\r\nroot@shell:/# "),
      // A long pause: "skip idle" cuts it to 2 s.
      out(61.3, "echo after-the-pause\r\n"),
      out(61.4, "after-the-pause\r\nroot@shell:/# "),
      { time: 61.5, code: "r", data: "100x30" },
      out(62, "exit\r\n"),
    ],
    session: null,
    t0: 0,
  };
}

export class MockRecordings {
  private casts: Cast[] = [demoCast()];
  private serial = 0;

  constructor(private readonly sessions: MockSessions) {
    sessions.onSessionEnd = (id) => {
      for (const c of this.casts) if (c.session === id) this.finish(c, null);
    };
  }

  private name(s: MockSession): string {
    const safe = (x: string) => x.replace(/[^A-Za-z0-9.-]/g, "-") || "-";
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
    this.serial += 1;
    const suffix = this.serial > 1 ? `-${this.serial}` : "";
    return `${safe(s.req.profile)}_${safe(s.req.namespace)}_${safe(s.req.pod)}_${safe(s.req.container || "main")}_${stamp}${suffix}.cast`;
  }

  /** Starts recording a live session (the file it writes, the one already running if any). */
  start(sessionId: number): string {
    const s = this.sessions.live(sessionId);
    const running = this.casts.find((c) => c.session === sessionId);
    if (running) return running.name;
    const name = this.name(s);
    const cast: Cast = {
      id: `0/${name}`,
      name,
      title: `${s.req.profile}: ${s.req.namespace}/${s.req.pod}/${s.req.container || "main"}`,
      width: s.req.cols,
      height: s.req.rows,
      started: Date.now() / 1000,
      events: [],
      session: sessionId,
      t0: performance.now(),
    };
    this.casts.unshift(cast);
    s.tap = (text) => cast.events.push({ time: (performance.now() - cast.t0) / 1000, code: "o", data: text });
    s.tell({ state: "recording", file: name, path: `${FOLDER}/${name}` });
    return name;
  }

  stop(sessionId: number): void {
    this.sessions.live(sessionId);
    const c = this.casts.find((x) => x.session === sessionId);
    if (c) this.finish(c, null);
  }

  /** The recording of a session stops on its own (the disk is full): the session goes on. */
  fail(sessionId: number): void {
    const c = this.casts.find((x) => x.session === sessionId);
    if (c) this.finish(c, `the disk holding ${FOLDER}/${c.name} is full: the recording stopped there (the session goes on); free some space and record again`);
  }

  private finish(c: Cast, reason: string | null): void {
    const id = c.session;
    c.session = null;
    if (id === null) return;
    const s = this.sessions.peek(id);
    if (s) {
      s.tap = null;
      s.tell({ state: "recordingStopped", file: c.name, reason });
    }
  }

  list(): RecordingEntry[] {
    return this.casts.map((c) => ({
      id: c.id,
      name: c.name,
      folder: FOLDER,
      bytes: 120 + c.events.reduce((n, e) => n + e.data.length + 20, 0),
      duration: c.events.length > 0 ? c.events[c.events.length - 1]!.time : 0,
      started: Math.floor(c.started),
      title: c.title,
      problem: null,
    }));
  }

  read(id: string, offset: number): RecordingPage {
    const c = this.require(id);
    const events = c.events.slice(offset, offset + MOCK_PAGE_EVENTS);
    const next = offset + events.length;
    return { width: c.width, height: c.height, events, next: next < c.events.length || c.session !== null ? next : null };
  }

  delete(id: string): void {
    this.require(id);
    this.casts = this.casts.filter((c) => c.id !== id);
  }

  require(id: string): Cast {
    const c = this.casts.find((x) => x.id === id);
    if (!c) throw mockError("notFound", "no such recording: it may have been deleted or moved; reload the list");
    return c;
  }

  /** Whether a session is being recorded (for tests). */
  recording(sessionId: number): string | null {
    return this.casts.find((c) => c.session === sessionId)?.name ?? null;
  }
}
