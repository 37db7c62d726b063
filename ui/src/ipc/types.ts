// The IPC contract between the webview and the Rust side (src-tauri/).
//
// The types are generated from the Rust types with ts-rs into `./generated/` (a Rust test fails
// when they are stale); everything the UI imports about the contract comes through this file.
//
// Command names and argument names as the UI calls them through `invoke` (Tauri turns a Rust
// argument `on_event` into the JavaScript key `onEvent`); `./generated/commands.ts` has them typed:
//   list_profiles()                                          -> ProfileSummary[]
//   import_kubeconfig({ path, context, all })                -> ProfileSummary[]
//   profile_details({ name })                                -> ProfileDetails (no secret)
//   save_profile({ input: ProfileInput })                    -> ProfileSummary
//   pick_kubeconfig()                                        -> string | null (null: cancelled)
//   delete_profile({ name })                                 -> void
//   demo_profile()                                           -> ProfileSummary
//   list_namespaces({ profile })                             -> string[]
//   watch_pods({ profile, namespace, onEvent: Channel<PodEvent>,
//                onStatus: Channel<WatchStatus> })           -> number (watch id)
//   stop_watch({ id })                                       -> void
//   open_session({ req: OpenSessionRequest, onOutput: Channel<ArrayBuffer>,
//                  onState: Channel<SessionState> })         -> number (session id)
//   send_input({ id, data })  resize({ id, cols, rows })  ack({ id, bytes })  close_session({ id })
//   list_favourites()                                        -> FavouriteSummary[]
//   add_favourite({ profile, namespace, pod, container })    -> FavouriteSummary
//   rename_favourite({ name, newName })  delete_favourite({ name })  reorder_favourites({ names })
//   resolve_favourite({ name })                              -> ResolvedFavourite
//   watch_requests({ onRequest: Channel<AppRequest> })       -> void
//   open_url({ url })                                        -> void (http/https only)
// Errors: a command that fails rejects with `{ kind, message, hint }` (`AppError`, errors.ts);
// the UI branches on `kind`, never on the words. A plain string is still accepted.

export type {
  AppRequest,
  FavouriteSummary,
  OpenSessionRequest,
  PodEvent,
  PodEventType,
  PodSummary,
  ProfileDetails,
  ProfileInput,
  ProfileSummary,
  ResolvedFavourite,
  SessionState,
  WatchStatus,
} from "./generated";

import type { PodSummary } from "./generated";

/**
 * A pod's controller, from its ownerReferences: `{ kind: "ReplicaSet", name: "web-6b7f9c8d5" }`.
 * `PodSummary.owner` carries it (null: a bare pod).
 */
export interface PodOwner {
  kind: string;
  name: string;
}

/**
 * The owner of `pod`. Until the generated `PodSummary` has its `owner` field this reads it
 * through a narrow type (absent: no owner); once it has, this is `pod.owner`.
 */
export function podOwner(pod: PodSummary): PodOwner | null {
  return (pod as PodSummary & { owner?: PodOwner | null }).owner ?? null;
}
