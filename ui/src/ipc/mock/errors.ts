// How the mock's commands fail: as the app's commands do, with a CommandError
// `{ kind, message, hint }` (generated from the shell's `Error`).
import type { CommandError, CrashingPod, ErrorKind } from "../generated";

/** The error a command rejects with. */
export function mockError(kind: ErrorKind, message: string, hint: string | null = null, crashing: CrashingPod | null = null): CommandError {
  return { kind, message, hint, crashing };
}
