// Reconnecting a tab on its own (a profile's "reconnect automatically" setting), without DOM,
// timers or IPC: what to do when a tab's attempt ends, and the line that marks a new session.
//
// A run of automatic attempts starts when a session that was connected is lost (a dead link, a
// dropped connection, a laptop waking up), and for a favourite's tab also when the pod list saw
// its pod deleted (each attempt resolves the favourite again, to the workload's current pod).
// Each attempt that fails (the cluster does not answer yet, the favourite has no Ready pod)
// waits longer before the next (RECONNECT_DELAYS_MS), and after MAX_RECONNECT_ATTEMPTS the run
// gives up: the tab stays lost and its Reconnect button starts over. Never after the process
// exited (the shell ended as the user asked), a Cancel, a container without a shell, a session
// that never connected (a 403 stays a 403), or a closed tab (nothing is left to end).
import type { TabStatus } from "./tabs";

/** Waits before automatic attempt 1, 2, …; the last repeats. */
export const RECONNECT_DELAYS_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000, 15_000, 30_000];

/** Automatic attempts in one run before it gives up (about 8 minutes of trying). */
export const MAX_RECONNECT_ATTEMPTS = 20;

/** A run of automatic attempts: how many were started. */
export interface ReconnectRun {
  attempts: number;
}

export type ReconnectDecision =
  /** Nothing to do: the tab waits for the user. */
  | { kind: "none" }
  /** Reopen the tab after `delayMs`; it will be automatic attempt `attempt` of the run. */
  | { kind: "wait"; delayMs: number; attempt: number }
  /** The run tried `attempts` times and stops. */
  | { kind: "giveUp"; attempts: number };

/** The wait before automatic attempt `attempt` (1-based). */
export function reconnectDelay(attempt: number): number {
  const i = Math.min(Math.max(attempt, 1), RECONNECT_DELAYS_MS.length) - 1;
  return RECONNECT_DELAYS_MS[i]!;
}

/** Would a run start from this end (see the top of the file)? */
export function startsRun(status: TabStatus, favourite: boolean): boolean {
  if (status.kind !== "lost") return false;
  if (status.cancelled || status.noShell) return false;
  if (status.podGone) return favourite;
  return !status.beforeConnect;
}

/**
 * A tab's attempt ended with `status`. `run`: the run in progress (null: none); `enabled`: the
 * profile's setting. Returns the run from now on and what to do.
 */
export function afterEnd(
  run: ReconnectRun | null,
  status: TabStatus,
  opts: { enabled: boolean; favourite: boolean },
): { run: ReconnectRun | null; decision: ReconnectDecision } {
  if (!opts.enabled || status.kind !== "lost" || status.cancelled || status.noShell) {
    return { run: null, decision: { kind: "none" } };
  }
  if (run === null && !startsRun(status, opts.favourite)) return { run: null, decision: { kind: "none" } };
  const done = run?.attempts ?? 0;
  if (done >= MAX_RECONNECT_ATTEMPTS) return { run: null, decision: { kind: "giveUp", attempts: done } };
  const attempt = done + 1;
  return { run: { attempts: attempt }, decision: { kind: "wait", delayMs: reconnectDelay(attempt), attempt } };
}

/** The pod name as the marker shows it: no control or bidi characters, 253 at most. */
function shownName(s: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "?");
  return clean.length > 253 ? `${clean.slice(0, 253)}…` : clean;
}

/** HH:MM, local time. */
export function clockTime(at: Date): string {
  return `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
}

/**
 * The line written into the terminal (by the UI, never sent to the pod) before a new session's
 * first output: `── reconnected to POD at HH:MM ──` after a lost session, `── new session in POD
 * at HH:MM ──` after an exited one.
 */
export function sessionMarker(after: "lost" | "exited", pod: string, at: Date): string {
  const what = after === "lost" ? "reconnected to" : "new session in";
  return `── ${what} ${shownName(pod)} at ${clockTime(at)} ──`;
}
