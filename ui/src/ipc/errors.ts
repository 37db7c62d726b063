// Errors from the backend's commands. A failed command rejects with `{ kind, message, hint }`:
// `kind` says what went wrong, for code to branch on (never the words); `message` and `hint` are
// for the user. Plain strings (older builds, a failure before the command ran) are accepted too.

/**
 * What went wrong. Known kinds (the app may add more; unknown ones are shown as any other):
 * `notFound` (a profile, pod, container, favourite or workload is not there), `credentialsRefused`
 * (the cluster refused the saved credentials), `invalidInput` (bad input: a server URL, a name,
 * an order), `demoReadOnly`, `keyring`, `store` (a saved file), `cluster` (the API server said no),
 * `sessionEnded`, `io`.
 */
export type ErrorKind =
  | "notFound"
  | "credentialsRefused"
  | "invalidInput"
  | "demoReadOnly"
  | "keyring"
  | "store"
  | "cluster"
  | "sessionEnded"
  | "io"
  | (string & {});

/** A failed command's error, as the backend sends it. */
export interface AppError {
  kind: ErrorKind;
  message: string;
  /** What the user can do about it, when there is something to say. */
  hint: string | null;
}

export function isAppError(err: unknown): err is AppError {
  if (!err || typeof err !== "object") return false;
  const o = err as Record<string, unknown>;
  return typeof o.kind === "string" && typeof o.message === "string" && (o.hint === null || o.hint === undefined || typeof o.hint === "string");
}

/** The kind of a failed command's error; null for an error without one (a plain string). */
export function errorKind(err: unknown): ErrorKind | null {
  return isAppError(err) ? err.kind : null;
}

/**
 * The words to show for a failed command: the message, then the hint in parentheses when there
 * is one; never "[object Object]".
 */
export function errorMessage(err: unknown): string {
  if (typeof err === "string") return err;
  if (isAppError(err)) return err.hint ? `${err.message} (${err.hint})` : err.message;
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
