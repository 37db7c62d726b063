// Errors from the backend's commands. A failed command rejects with a `CommandError`
// (`{ kind, message, hint }`, generated from the shell's `Error`): `kind` says what went wrong,
// for code to branch on (never the words); `message` and `hint` are for the user. Plain strings
// (a failure before the command ran) are accepted too.
import type { CommandError, CrashingPod, ErrorKind } from "./generated";

export function isCommandError(err: unknown): err is CommandError {
  if (!err || typeof err !== "object") return false;
  const o = err as Record<string, unknown>;
  return typeof o.kind === "string" && typeof o.message === "string" && (o.hint === null || o.hint === undefined || typeof o.hint === "string");
}

/** A failed command's error, or null for one without a kind (a plain string). */
export function commandError(err: unknown): CommandError | null {
  return isCommandError(err) ? { kind: err.kind, message: err.message, hint: err.hint ?? null, crashing: crashingOf(err) } : null;
}

/**
 * The pod a failed command named as crashing as it starts (a favourite whose pods are none
 * Ready, one crash-looping): a copy of it gets a shell. Null when there is none, or it is not
 * the shape the engine sends.
 */
export function crashingOf(err: unknown): CrashingPod | null {
  if (!isCommandError(err)) return null;
  const c = (err as { crashing?: unknown }).crashing;
  if (!c || typeof c !== "object") return null;
  const { namespace, pod, container } = c as Record<string, unknown>;
  return typeof namespace === "string" && typeof pod === "string" && typeof container === "string" && pod && container ? { namespace, pod, container } : null;
}

/** The kind of a failed command's error; null for an error without one. */
export function errorKind(err: unknown): ErrorKind | null {
  return isCommandError(err) ? err.kind : null;
}

/**
 * The words to show for a failed command: the message, then what to do when there is a hint
 * (as the shell words a tab's "lost" reason); never "[object Object]".
 */
export function errorMessage(err: unknown): string {
  if (typeof err === "string") return err;
  if (isCommandError(err)) return err.hint ? `${err.message}: ${err.hint}` : err.message;
  if (err instanceof Error) return err.message;
  if (err && typeof err === "object") {
    const o = err as Record<string, unknown>;
    if (typeof o.message === "string") return o.message;
    if (typeof o.error === "string") return o.error;
    try {
      return JSON.stringify(err);
    } catch {
      /* fall through */
    }
  }
  return String(err);
}
