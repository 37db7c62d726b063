// The mock backend's flow control, driven by the real FlowController and a slow fake terminal.
import { describe, expect, it } from "vitest";
import { FlowController, type WritableTerminal } from "../../terminal/flow";
import { CHUNK_MAX, createMock, HIGH_WATER } from ".";
import type { PodSummary, SessionState } from "../types";

const dec = new TextDecoder();

/** A poll interval for `until`, never a wait on its own. */
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
  const flow = new FlowController(term, (id, n, drawUs) => void backend.ack(id, n, drawUs));
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
    const { backend, term, states, id, flow } = await open();
    await until(() => term.text.includes("# "));
    await backend.sendInput(id, "echo hello\r");
    await until(() => term.text.includes("hello\r\n"));
    await backend.sendInput(id, "exit 3\r");
    await until(() => states.some((s) => s.state === "exited"));
    // The end counts every byte sent before it.
    expect(states.at(-1)).toEqual({ state: "exited", code: 3, outputBytes: flow.stats().received });
  });

  it("runs a given command once", async () => {
    const { term, states, flow } = await open(["echo", "one", "shot"]);
    await until(() => states.some((s) => s.state === "exited"));
    expect(term.text).toContain("one shot");
    expect(states.at(-1)).toEqual({ state: "exited", code: 0, outputBytes: flow.stats().received });
  });

  it("'lose' ends the session as lost with a reason", async () => {
    const { backend, states, id } = await open();
    await backend.sendInput(id, "lose\r");
    await until(() => states.some((s) => s.state === "lost"));
    const last = states.at(-1);
    expect(last?.state).toBe("lost");
    expect(last?.state === "lost" && last.reason.length).toBeGreaterThan(10);
  });

  it("a yes flood stays under the high watermark plus one chunk, and Ctrl-C stops it", async () => {
    const { backend, controls, term, flow, id } = await open();
    term.keep = false;
    await backend.sendInput(id, "yes\r");
    await until(() => flow.stats().written > 12 * HIGH_WATER, 20_000);
    await backend.sendInput(id, "\x03");
    // Stopped: the flood is off, the mock holds nothing back, and the UI has all it sent.
    await until(() => {
      const m = controls.session(id)!;
      return !m.flooding && m.queued === 0 && flow.stats().received === m.sent && flow.stats().inFlight === 0;
    });
    const after = flow.stats();
    expect(after.maxInFlight).toBeLessThanOrEqual(HIGH_WATER + CHUNK_MAX);
    expect(after.acked + after.pending).toBe(after.written);
    const stats = controls.session(id)!;
    expect(stats.flooding).toBe(false);
    // The watermark did pause the flood, again and again (about once per HIGH_WATER written).
    expect(stats.pauses).toBeGreaterThanOrEqual(5);
    expect(stats.maxUnacked).toBeLessThanOrEqual(HIGH_WATER + CHUNK_MAX);
    expect(stats.sent).toBe(flow.stats().received);
  }, 30_000);
});

describe("mock cluster", () => {
  it("pods carry their owner; a rollout's pods are owned by the new ReplicaSet", async () => {
    const { backend, controls } = createMock({ withDemo: true, liveUpdates: false });
    const pods = new Map<string, PodSummary>();
    await backend.watchPods("demo", "demo", (es) => es.forEach((e) => pods.set(e.pod.name, e.pod)), () => {});
    await until(() => pods.size >= 7);
    expect(pods.get("web-7c9d6b5f4-kx2lp")?.owner).toEqual({ kind: "ReplicaSet", name: "web-7c9d6b5f4" });
    expect(pods.get("db-0")?.owner).toEqual({ kind: "StatefulSet", name: "db" });
    expect(pods.get("migrate-28493115-x7kq2")?.owner).toEqual({ kind: "Job", name: "migrate-28493115" });
    expect(pods.get("shell")?.owner).toBeNull();
    const [fresh] = controls.rollout("demo", "web");
    await until(() => pods.has(fresh!));
    const owner = pods.get(fresh!)?.owner as { kind: string; name: string };
    expect(owner.kind).toBe("ReplicaSet");
    expect(fresh!.startsWith(`${owner.name}-`)).toBe(true);
  });

  it("a star follows the pod's owner, not its name", async () => {
    const { backend, controls } = createMock({ withDemo: true, liveUpdates: false });
    // Named like web's pods, but bare: the pod itself.
    controls.addPod({ name: "web-7c9d6b5f4-zzzzz" });
    expect(await backend.addFavourite("demo", "demo", "web-7c9d6b5f4-zzzzz", null)).toMatchObject({ kind: "pod", target: "web-7c9d6b5f4-zzzzz" });
    // Named unlike them, but run by web's ReplicaSet: the Deployment.
    controls.addPod({ name: "frontend", owner: { kind: "ReplicaSet", name: "web-7c9d6b5f4" } });
    expect(await backend.addFavourite("demo", "demo", "frontend", null)).toMatchObject({ kind: "deployment", target: "web" });
    // A ReplicaSet no Deployment owns: the ReplicaSet.
    controls.addPod({ name: "rs-pod", owner: { kind: "ReplicaSet", name: "lonely-abc12" } });
    expect(await backend.addFavourite("demo", "demo", "rs-pod", null)).toMatchObject({ kind: "replicaset", target: "lonely-abc12" });
    expect((await backend.resolveFavourite("lonely-abc12")).pod).toBe("rs-pod");
  });

  it("commands fail with an error's kind, message and hint", async () => {
    const { backend } = createMock({ withDemo: true, liveUpdates: false });
    await expect(backend.listNamespaces("nope")).rejects.toEqual({ kind: "notFound", message: 'no saved cluster named "nope"', hint: null, crashing: null });
    await expect(backend.importKubeconfig("/k", null, true)).rejects.toEqual({
      kind: "local",
      message: "cannot read /k: the browser preview has no file access",
      hint: "run the Podterm app to import a kubeconfig",
      crashing: null,
    });
    await expect(backend.sendInput(99, "x")).rejects.toMatchObject({ kind: "sessionEnded" });
    await expect(
      backend.saveProfile({ original: null, name: "x", server: "http://h", namespace: null, caPem: null, caFile: null, insecure: false, token: null, production: false, reconnect: false, recordSessions: false, recordInput: false }),
    ).rejects.toMatchObject({ kind: "invalidInput" });
  });
});

describe("the mock's debug containers", () => {
  it("plans one, adds it on the first debug session, then plans to reuse it", async () => {
    const { backend } = createMock({ withDemo: true, liveUpdates: false });
    const profile = (await backend.listProfiles())[0]!.name;
    const first = await backend.planDebug(profile, "demo", "distroless", "", "busybox:1.36");
    expect(first).toMatchObject({ pod: "distroless", target: "app", image: "busybox:1.36", reuse: false });
    expect(first.name).toMatch(/^debugger-/);
    const pods: PodSummary[] = [];
    await backend.watchPods(profile, "demo", (es) => void pods.push(...es.map((e) => e.pod)), () => {});
    const states: SessionState[] = [];
    const text: string[] = [];
    await backend.openSession(
      { profile, namespace: "demo", pod: "distroless", container: "app", command: null, cols: 80, rows: 24, debug: { image: first.image, name: first.name } },
      (b) => void text.push(dec.decode(b)),
      (s) => states.push(s),
    );
    await until(() => states.some((s) => s.state === "connected") && text.join("").includes("# "));
    await until(() => pods.some((p) => p.name === "distroless" && p.ephemeralContainers.includes(first.name)));
    const again = await backend.planDebug(profile, "demo", "distroless", "app", "busybox:1.36");
    expect(again).toMatchObject({ name: first.name, reuse: true });
  });
});
