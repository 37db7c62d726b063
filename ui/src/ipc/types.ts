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
// Errors: a command that fails rejects with a string (or an object with a `message`) meant for
// the user.

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
