import { describe, expect, it } from "vitest";
import {
  afterEnd,
  clockTime,
  MAX_RECONNECT_ATTEMPTS,
  RECONNECT_DELAYS_MS,
  reconnectDelay,
  sessionMarker,
  startsRun,
  type ReconnectRun,
} from "./reconnect";
import { CANCELLED, NO_SHELL, type TabStatus } from "./tabs";

const lostAfterConnect: TabStatus = { kind: "lost", reason: "no data from the API server for 30 s", beforeConnect: false };
const failedToConnect: TabStatus = { kind: "lost", reason: "cannot reach the API server", beforeConnect: true };
const on = { enabled: true, favourite: false };

describe("reconnecting automatically", () => {
  it("a lost session starts a run: the first attempt after the first delay", () => {
    expect(afterEnd(null, lostAfterConnect, on)).toEqual({
      run: { attempts: 1 },
      decision: { kind: "wait", delayMs: RECONNECT_DELAYS_MS[0], attempt: 1 },
    });
  });

  it("nothing when the profile's setting is off", () => {
    expect(afterEnd(null, lostAfterConnect, { enabled: false, favourite: false })).toEqual({ run: null, decision: { kind: "none" } });
    // Even in the middle of a run (the setting was turned off meanwhile).
    expect(afterEnd({ attempts: 3 }, failedToConnect, { enabled: false, favourite: false }).decision).toEqual({ kind: "none" });
  });

  it("never after the process exited, whatever its code: the shell ended as the user asked", () => {
    for (const code of [0, 1, 130]) {
      expect(afterEnd(null, { kind: "exited", code }, on)).toEqual({ run: null, decision: { kind: "none" } });
      expect(afterEnd({ attempts: 2 }, { kind: "exited", code }, on)).toEqual({ run: null, decision: { kind: "none" } });
    }
  });

  it("never after a Cancel or for a container without a shell", () => {
    const cancelled: TabStatus = { kind: "lost", reason: CANCELLED, beforeConnect: true, cancelled: true };
    const noShell: TabStatus = { kind: "lost", reason: NO_SHELL, beforeConnect: true, noShell: true };
    for (const s of [cancelled, noShell]) {
      expect(afterEnd(null, s, on).decision).toEqual({ kind: "none" });
      expect(afterEnd({ attempts: 4 }, s, on)).toEqual({ run: null, decision: { kind: "none" } });
    }
  });

  it("a first connect that fails is the user's to see (a 403 stays a 403), not a run", () => {
    expect(startsRun(failedToConnect, false)).toBe(false);
    expect(afterEnd(null, failedToConnect, on)).toEqual({ run: null, decision: { kind: "none" } });
    const unresolved: TabStatus = { kind: "lost", reason: "no Ready pod", beforeConnect: true, unresolved: true };
    expect(afterEnd(null, unresolved, { enabled: true, favourite: true }).decision).toEqual({ kind: "none" });
  });

  it("a deleted pod: a favourite's tab reconnects (to the workload's current pod), a pod's tab does not", () => {
    const gone: TabStatus = { kind: "lost", reason: "the pod demo/web-1 was deleted", beforeConnect: false, podGone: true };
    expect(afterEnd(null, gone, { enabled: true, favourite: true }).decision).toMatchObject({ kind: "wait", attempt: 1 });
    expect(afterEnd(null, gone, { enabled: true, favourite: false }).decision).toEqual({ kind: "none" });
  });

  it("within a run, failed attempts back off, then the run gives up", () => {
    let run: ReconnectRun | null = afterEnd(null, lostAfterConnect, on).run;
    const delays: number[] = [RECONNECT_DELAYS_MS[0]!];
    for (;;) {
      const next = afterEnd(run, failedToConnect, on);
      run = next.run;
      if (next.decision.kind !== "wait") {
        expect(next.decision).toEqual({ kind: "giveUp", attempts: MAX_RECONNECT_ATTEMPTS });
        expect(run).toBeNull();
        break;
      }
      expect(next.decision.attempt).toBe(delays.length + 1);
      delays.push(next.decision.delayMs);
      expect(delays.length).toBeLessThanOrEqual(MAX_RECONNECT_ATTEMPTS);
    }
    expect(delays).toHaveLength(MAX_RECONNECT_ATTEMPTS);
    // Never shorter than the one before, capped at the last.
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]!);
    expect(delays.slice(0, 4)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(Math.max(...delays)).toBe(RECONNECT_DELAYS_MS.at(-1));
    // After giving up, the next end starts nothing until a session connects again.
    expect(afterEnd(run, failedToConnect, on).decision).toEqual({ kind: "none" });
  });

  it("a favourite with no Ready pod yet keeps the run going (a rollout in progress)", () => {
    const unresolved: TabStatus = { kind: "lost", reason: "no Ready pod", beforeConnect: true, unresolved: true };
    expect(afterEnd({ attempts: 2 }, unresolved, { enabled: true, favourite: true })).toEqual({
      run: { attempts: 3 },
      decision: { kind: "wait", delayMs: reconnectDelay(3), attempt: 3 },
    });
  });

  it("a session lost again after a reconnect starts a new run from the first delay", () => {
    // The workspace ends a run when a session connects (run = null): the next loss is attempt 1.
    expect(afterEnd(null, lostAfterConnect, on).decision).toMatchObject({ attempt: 1, delayMs: 1_000 });
  });

  it("the delay of an attempt out of range is the nearest end's", () => {
    expect(reconnectDelay(0)).toBe(1_000);
    expect(reconnectDelay(1_000)).toBe(RECONNECT_DELAYS_MS.at(-1));
  });
});

describe("the line marking a new session", () => {
  const at = new Date(2026, 10, 30, 9, 5, 0);

  it("says where and when, in HH:MM", () => {
    expect(clockTime(at)).toBe("09:05");
    expect(sessionMarker("lost", "web-6b7f9c8d5-p9m7q", at)).toBe("── reconnected to web-6b7f9c8d5-p9m7q at 09:05 ──");
    expect(sessionMarker("exited", "shell", at)).toBe("── new session in shell at 09:05 ──");
  });

  it("a pod name with control or bidi characters is shown harmless and cut", () => {
    const m = sessionMarker("lost", `evil\x1b]0;owned\x07\u202e${"x".repeat(5000)}`, at);
    // eslint-disable-next-line no-control-regex
    expect(m).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(m.length).toBeLessThan(300);
    expect(m).toContain("evil?]0;owned??");
  });
});
