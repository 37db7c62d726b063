// A thin typed layer over Tauri's `invoke` and `Channel`. The rest of the UI talks to a `Backend`,
// never to Tauri directly, so tests can hand it a fake and the browser preview an in-page mock.
import { Channel, invoke } from "@tauri-apps/api/core";
import type {
  AppRequest,
  FavouriteSummary,
  OpenSessionRequest,
  PodEvent,
  ProfileDetails,
  ProfileInput,
  ProfileSummary,
  ResolvedFavourite,
  SessionState,
  WatchStatus,
} from "./types";

export type * from "./types";
export { podOwner } from "./types";
export { errorKind, errorMessage, isAppError, type AppError, type ErrorKind } from "./errors";

export interface Backend {
  /** "tauri" in the app, "mock" in a plain browser (vite preview, Playwright). */
  readonly kind: "tauri" | "mock";
  listProfiles(): Promise<ProfileSummary[]>;
  importKubeconfig(path: string | null, context: string | null, all: boolean): Promise<ProfileSummary[]>;
  /** A profile's settings for the edit form (never a secret: only whether a token is stored). */
  profileDetails(name: string): Promise<ProfileDetails>;
  /**
   * Adds (`original` null) or updates a profile typed by hand; rejects with an `invalidInput` error
   * ("the server must be an https:// URL, …") on bad input.
   */
  saveProfile(input: ProfileInput): Promise<ProfileSummary>;
  /** The native file dialog: the kubeconfig file chosen, or null when cancelled. */
  pickKubeconfig(): Promise<string | null>;
  deleteProfile(name: string): Promise<void>;
  demoProfile(): Promise<ProfileSummary>;
  listNamespaces(profile: string): Promise<string[]>;
  /**
   * Starts a pod watch; events arrive on `onEvent` (the current pods first, as Added), and
   * `onStatus` says when the watch broke (the list may be stale; it retries) and when it is back.
   */
  watchPods(
    profile: string,
    namespace: string,
    onEvent: (event: PodEvent) => void,
    onStatus?: (status: WatchStatus) => void,
  ): Promise<number>;
  stopWatch(id: number): Promise<void>;
  /**
   * Opens an exec session. Output may arrive on `onOutput` before the returned promise resolves.
   * Every output byte must be acknowledged with `ack` once the terminal has consumed it.
   */
  openSession(
    req: OpenSessionRequest,
    onOutput: (bytes: Uint8Array) => void,
    onState: (state: SessionState) => void,
  ): Promise<number>;
  sendInput(id: number, data: string): Promise<void>;
  resize(id: number, cols: number, rows: number): Promise<void>;
  ack(id: number, bytes: number): Promise<void>;
  closeSession(id: number): Promise<void>;
  /** Every favourite, in the user's order. */
  listFavourites(): Promise<FavouriteSummary[]>;
  /**
   * Stars a pod: saves the workload that owns it (the pod itself when it has none), named after
   * the workload (`web`, then `web (2)`...). `container` null: the pod's default container.
   */
  addFavourite(profile: string, namespace: string, pod: string, container: string | null): Promise<FavouriteSummary>;
  renameFavourite(name: string, newName: string): Promise<void>;
  deleteFavourite(name: string): Promise<void>;
  /** `names`: every favourite once, in the new order. */
  reorderFavourites(names: string[]): Promise<void>;
  /**
   * Where a favourite leads now: the newest Ready pod of its workload (or its fixed pod). Rejects
   * with words for the user, e.g. "no Ready pod for deployment/web in namespace demo: …".
   */
  resolveFavourite(name: string): Promise<ResolvedFavourite>;
  /**
   * Requests from outside the window (tray, a second launch with --connect, a podterm:// link)
   * arrive on `onRequest`; those made before the UI listened come first.
   */
  watchRequests(onRequest: (request: AppRequest) => void): Promise<void>;
  /** Opens an http(s) link in the user's browser (a Ctrl+click in a terminal). */
  openUrl(url: string): Promise<void>;
}

/** Raw channel payloads arrive as an ArrayBuffer; accept the JSON forms too, to be lenient. */
export function toBytes(message: unknown): Uint8Array {
  if (message instanceof ArrayBuffer) return new Uint8Array(message);
  if (message instanceof Uint8Array) return message;
  if (ArrayBuffer.isView(message)) {
    return new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
  }
  if (Array.isArray(message)) return Uint8Array.from(message as number[]);
  if (typeof message === "string") return new TextEncoder().encode(message);
  return new Uint8Array(0);
}

export function tauriBackend(): Backend {
  return {
    kind: "tauri",
    listProfiles: () => invoke<ProfileSummary[]>("list_profiles"),
    importKubeconfig: (path, context, all) =>
      invoke<ProfileSummary[]>("import_kubeconfig", { path, context, all }),
    profileDetails: (name) => invoke<ProfileDetails>("profile_details", { name }),
    saveProfile: (input) => invoke<ProfileSummary>("save_profile", { input }),
    pickKubeconfig: () => invoke<string | null>("pick_kubeconfig"),
    deleteProfile: (name) => invoke<void>("delete_profile", { name }),
    demoProfile: () => invoke<ProfileSummary>("demo_profile"),
    listNamespaces: (profile) => invoke<string[]>("list_namespaces", { profile }),
    watchPods: (profile, namespace, onEvent, onStatus) => {
      const channel = new Channel<PodEvent>(onEvent);
      const status = new Channel<WatchStatus>((s) => onStatus?.(s));
      return invoke<number>("watch_pods", { profile, namespace, onEvent: channel, onStatus: status });
    },
    stopWatch: (id) => invoke<void>("stop_watch", { id }),
    openSession: (req, onOutput, onState) => {
      const output = new Channel<unknown>((m) => onOutput(toBytes(m)));
      const state = new Channel<SessionState>(onState);
      return invoke<number>("open_session", { req, onOutput: output, onState: state });
    },
    sendInput: (id, data) => invoke<void>("send_input", { id, data }),
    resize: (id, cols, rows) => invoke<void>("resize", { id, cols, rows }),
    ack: (id, bytes) => invoke<void>("ack", { id, bytes }),
    closeSession: (id) => invoke<void>("close_session", { id }),
    listFavourites: () => invoke<FavouriteSummary[]>("list_favourites"),
    addFavourite: (profile, namespace, pod, container) =>
      invoke<FavouriteSummary>("add_favourite", { profile, namespace, pod, container }),
    renameFavourite: (name, newName) => invoke<void>("rename_favourite", { name, newName }),
    deleteFavourite: (name) => invoke<void>("delete_favourite", { name }),
    reorderFavourites: (names) => invoke<void>("reorder_favourites", { names }),
    resolveFavourite: (name) => invoke<ResolvedFavourite>("resolve_favourite", { name }),
    watchRequests: (onRequest) => {
      const channel = new Channel<AppRequest>(onRequest);
      return invoke<void>("watch_requests", { onRequest: channel });
    },
    openUrl: (url) => invoke<void>("open_url", { url }),
  };
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
