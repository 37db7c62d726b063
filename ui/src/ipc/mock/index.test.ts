// The mock backend's flow control, driven by the real FlowController and a slow fake terminal.
import { describe, expect, it } from "vitest";
import { FlowController, type WritableTerminal } from "../flow";
import { CHUNK_MAX, createMock, HIGH_WATER } from "./mock";
import type { SessionState } from "./types";

const dec = new TextDecoder();
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await wait(2);
  }
}

/** Completes each write after a delay, like a terminal slower than the producer. */
class SlowTerminal implements WritableTerminal {
  text = "";
  keep = true;
  write(data: Uint8Array, cb?: () => void): void {
    if (this.keep) this.text += dec.decode(data);
    setTimeout(() => cb?.(), 1);
  }
}

async function open(command: string[] | null = null) {
  const { backend, controls } = createMock({ withDemo: true, liveUpdates: false });
  const term = new SlowTerminal();
  const states: SessionState[] = [];
  const flow = new FlowController(term, (id, n) => void backend.ack(id, n));
  const id = await backend.openSession(
    { profile: "demo", namespace: "demo", pod: "shell", container: "shell", command, cols: 80, rows: 24 },
    (b) => flow.write(b),
    (s) => states.push(s),
  );
  flow.setSession(id);
  await until(() => states.some((s) => s.state === "connected"));
  return { backend, controls, term, states, flow, id };
}

describe("mock backend", () => {
  it("echoes a command and exits with the code given", async () => {
    const { backend, term, states, id } = await open();
    await until(() => term.text.includes("# "));
    await backend.sendInput(id, "echo hello\r");
    await until(() => term.text.includes("hello\r\n"));
    await backend.sendInput(id, "exit 3\r");
    await until(() => states.some((s) => s.state === "exited"));
    expect(states.at(-1)).toEqual({ state: "exited", code: 3 });
  });

  it("runs a given command once", async () => {
    const { term, states } = await open(["echo", "one", "shot"]);
    await until(() => states.some((s) => s.state === "exited"));
    expect(term.text).toContain("one shot");
    expect(states.at(-1)).toEqual({ state: "exited", code: 0 });
  });

  it("'lose' ends the session as lost with a reason", async () => {
    const { backend, states, id } = await open();
    await backend.sendInput(id, "lose\r");
    await until(() => states.some((s) => s.state === "lost"));
    const last = states.at(-1);
    expect(last?.state).toBe("lost");
    expect(last && "reason" in last && last.reason.length).toBeGreaterThan(10);
  });

  it("a yes flood stays under the high watermark plus one chunk, and Ctrl-C stops it", async () => {
    const { backend, controls, term, flow, id } = await open();
    term.keep = false;
    await backend.sendInput(id, "yes\r");
    await until(() => flow.stats().written > 12 * HIGH_WATER, 20_000);
    await backend.sendInput(id, "\x03");
    const at = flow.stats().received;
    await wait(100);
    const after = flow.stats();
    expect(after.received - at).toBeLessThan(HIGH_WATER + 2 * CHUNK_MAX);
    expect(after.maxInFlight).toBeLessThanOrEqual(HIGH_WATER + CHUNK_MAX);
    await wait(50);
    expect(flow.stats().received).toBe(after.received); // stopped
    expect(flow.stats().acked + flow.stats().pending).toBe(flow.stats().written);
    const stats = controls.session(id)!;
    expect(stats.flooding).toBe(false);
    // The watermark did pause the flood, again and again (about once per HIGH_WATER written).
    expect(stats.pauses).toBeGreaterThanOrEqual(5);
    expect(stats.maxUnacked).toBeLessThanOrEqual(HIGH_WATER + CHUNK_MAX);
    expect(stats.sent).toBe(flow.stats().received);
  }, 30_000);
});
