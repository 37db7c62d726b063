// A thin typed layer over Tauri's `invoke` and `Channel`. The rest of the UI talks to a `Backend`,
// never to Tauri directly, so tests can hand it a fake and the browser preview an in-page mock.
import { tauriCommands, type Commands } from "./generated/commands";

export type * from "./types";
export { toBytes } from "./bytes";
export { commandError, crashingOf, errorKind, errorMessage } from "./errors";

/**
 * What the UI talks to: the app's commands, declared once in src-tauri/contract.rs and generated
 * into `./generated/commands.ts` (each documented there), plus where they run.
 */
export interface Backend extends Commands {
  /** "tauri" in the app, "mock" in a plain browser (vite preview, Playwright). */
  readonly kind: "tauri" | "mock";
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
