// Generated from src-tauri (typescript.rs) by `cargo test -p podterm-desktop`: do not edit.
// The app's IPC commands, typed. Output chunks arrive as ArrayBuffer (raw bytes):
// acknowledge each one's byteLength with `ack` once xterm has written it.
import { invoke } from "@tauri-apps/api/core";
import type { Channel } from "@tauri-apps/api/core";
import type { AppRequest } from "./AppRequest";
import type { FavouriteSummary } from "./FavouriteSummary";
import type { OpenSessionRequest } from "./OpenSessionRequest";
import type { PodEvent } from "./PodEvent";
import type { ProfileSummary } from "./ProfileSummary";
import type { ResolvedFavourite } from "./ResolvedFavourite";
import type { SessionState } from "./SessionState";
import type { WatchStatus } from "./WatchStatus";
import type { ProfileDetails } from "./ProfileDetails";
import type { ProfileInput } from "./ProfileInput";

/** Every command the app allows (capabilities/default.json). */
export const COMMANDS = [
  "list_profiles",
  "import_kubeconfig",
  "profile_details",
  "save_profile",
  "pick_kubeconfig",
  "delete_profile",
  "demo_profile",
  "list_namespaces",
  "watch_pods",
  "stop_watch",
  "open_session",
  "send_input",
  "resize",
  "ack",
  "close_session",
  "list_favourites",
  "add_favourite",
  "rename_favourite",
  "delete_favourite",
  "reorder_favourites",
  "resolve_favourite",
  "watch_requests",
  "open_url",
] as const;

export function listProfiles(): Promise<ProfileSummary[]> {
  return invoke<ProfileSummary[]>("list_profiles");
}

export function importKubeconfig(path: string | null, context: string | null, all: boolean): Promise<ProfileSummary[]> {
  return invoke<ProfileSummary[]>("import_kubeconfig", { path, context, all });
}

export function profileDetails(name: string): Promise<ProfileDetails> {
  return invoke<ProfileDetails>("profile_details", { name });
}

export function saveProfile(input: ProfileInput): Promise<ProfileSummary> {
  return invoke<ProfileSummary>("save_profile", { input });
}

export function pickKubeconfig(): Promise<string | null> {
  return invoke<string | null>("pick_kubeconfig");
}

export function deleteProfile(name: string): Promise<void> {
  return invoke<void>("delete_profile", { name });
}

export function demoProfile(): Promise<ProfileSummary> {
  return invoke<ProfileSummary>("demo_profile");
}

export function listNamespaces(profile: string): Promise<string[]> {
  return invoke<string[]>("list_namespaces", { profile });
}

export function watchPods(profile: string, namespace: string, onEvent: Channel<PodEvent>, onStatus: Channel<WatchStatus>): Promise<number> {
  return invoke<number>("watch_pods", { profile, namespace, onEvent, onStatus });
}

export function stopWatch(id: number): Promise<void> {
  return invoke<void>("stop_watch", { id });
}

export function openSession(req: OpenSessionRequest, onOutput: Channel<ArrayBuffer>, onState: Channel<SessionState>): Promise<number> {
  return invoke<number>("open_session", { req, onOutput, onState });
}

export function sendInput(id: number, data: string): Promise<void> {
  return invoke<void>("send_input", { id, data });
}

export function resize(id: number, cols: number, rows: number): Promise<void> {
  return invoke<void>("resize", { id, cols, rows });
}

export function ack(id: number, bytes: number): Promise<void> {
  return invoke<void>("ack", { id, bytes });
}

export function closeSession(id: number): Promise<void> {
  return invoke<void>("close_session", { id });
}

export function listFavourites(): Promise<FavouriteSummary[]> {
  return invoke<FavouriteSummary[]>("list_favourites");
}

export function addFavourite(profile: string, namespace: string, pod: string, container: string | null): Promise<FavouriteSummary> {
  return invoke<FavouriteSummary>("add_favourite", { profile, namespace, pod, container });
}

export function renameFavourite(name: string, newName: string): Promise<void> {
  return invoke<void>("rename_favourite", { name, newName });
}

export function deleteFavourite(name: string): Promise<void> {
  return invoke<void>("delete_favourite", { name });
}

export function reorderFavourites(names: string[]): Promise<void> {
  return invoke<void>("reorder_favourites", { names });
}

export function resolveFavourite(name: string): Promise<ResolvedFavourite> {
  return invoke<ResolvedFavourite>("resolve_favourite", { name });
}

export function watchRequests(onRequest: Channel<AppRequest>): Promise<void> {
  return invoke<void>("watch_requests", { onRequest });
}

export function openUrl(url: string): Promise<void> {
  return invoke<void>("open_url", { url });
}
