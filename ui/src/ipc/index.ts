// A thin typed layer over Tauri's `invoke` and `Channel`. The rest of the UI talks to a `Backend`,
// never to Tauri directly, so tests can hand it a fake and the browser preview an in-page mock.
import { tauriCommands, type Commands } from "./generated/commands";
import type { CommandError, ErrorKind } from "./types";

export type * from "./types";
export { toBytes } from "./bytes";

/**
 * What the UI talks to: the app's commands, declared once in src-tauri/contract.rs and generated
 * into `./generated/commands.ts` (each documented there), plus where they run.
 */
export interface Backend extends Commands {
  /** "tauri" in the app, "mock" in a plain browser (vite preview, Playwright). */
  readonly kind: "tauri" | "mock";
}

/** A failed command's error: `{ kind, message, hint }` (see CommandError), else null. */
export function commandError(err: unknown): CommandError | null {
  if (!err || typeof err !== "object") return null;
  const o = err as Record<string, unknown>;
  if (typeof o.kind !== "string" || typeof o.message !== "string") return null;
  return { kind: o.kind as ErrorKind, message: o.message, hint: typeof o.hint === "string" ? o.hint : null };
}

/** Whether a failed command failed for this reason. */
export function errorKind(err: unknown): ErrorKind | null {
  return commandError(err)?.kind ?? null;
}

/** The words to show for a failed command: its message and what to do, never "[object Object]". */
export function errorMessage(err: unknown): string {
  const e = commandError(err);
  if (e) return e.hint ? `${e.message}: ${e.hint}` : e.message;
  if (typeof err === "string") return err;
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

export function tauriBackend(): Backend {
  return { kind: "tauri", ...tauriCommands() };
}

declare global {
  interface Window {
    __TAURI_INTERNALS__?: unknown;
  }
}

export function inTauri(): boolean {
  return typeof window !== "undefined" && window.__TAURI_INTERNALS__ !== undefined;
}

/** The real backend inside the app; the in-page mock in a plain browser. */
export async function connectBackend(): Promise<Backend> {
  if (inTauri()) return tauriBackend();
  const { mockBackend } = await import("./mock");
  return mockBackend();
}
