// How the mock's commands fail: as the app's commands do, with an error object
// `{ kind, message, hint }` (see `AppError` in ../errors.ts).
import type { AppError, ErrorKind } from "../errors";

/** The error a command rejects with. */
export function mockError(kind: ErrorKind, message: string, hint: string | null = null): AppError {
  return { kind, message, hint };
}
