// The IPC contract between the webview and the Rust side (src-tauri/).
//
// Hand-written for now; the Rust side will generate these types with ts-rs into
// `src/ipc/generated/`. Everything the UI imports about the contract comes from this one file, so
// swapping it for a re-export of the generated types is a one-file change.
//
// Command names and argument names as the UI calls them through `invoke` (Tauri turns a Rust
// argument `on_event` into the JavaScript key `onEvent`):
//   list_profiles()                                          -> ProfileSummary[]
//   import_kubeconfig({ path, context, all })                -> ProfileSummary[]
//   delete_profile({ name })                                 -> void
//   demo_profile()                                           -> ProfileSummary
//   list_namespaces({ profile })                             -> string[]
//   watch_pods({ profile, namespace, onEvent: Channel<PodEvent> })          -> number (watch id)
//   stop_watch({ id })                                       -> void
//   open_session({ req: OpenSessionRequest, onOutput: Channel<ArrayBuffer>,
//                  onState: Channel<SessionState> })         -> number (session id)
//   send_input({ id, data })  resize({ id, cols, rows })  ack({ id, bytes })  close_session({ id })
// Errors: a command that fails rejects with a string (or an object with a `message`) meant for
// the user.

/** A saved cluster profile as the UI may see it: never a secret. */
export interface ProfileSummary {
  name: string;
  server: string;
  /** "token", "client-certificate", "exec", "basic", "oidc", "none"… shown as-is. */
  authKind: string;
  insecure: boolean;
  namespace: string | null;
}

export interface PodSummary {
  name: string;
  namespace: string;
  /** Pending, Running, Succeeded, Failed, Unknown. */
  phase: string;
  /** Ready containers over all containers, as kubectl prints it: "1/2". */
  ready: string;
  restarts: number;
  /** RFC 3339 creation timestamp. */
  createdAt: string;
  containers: string[];
  /** kubectl's choice: the default-container annotation, else the first container. */
  defaultContainer: string;
  /** deletionTimestamp is set. */
  terminating: boolean;
}

export type PodEventType = "Added" | "Modified" | "Deleted";

export interface PodEvent {
  type: PodEventType;
  pod: PodSummary;
}

export interface OpenSessionRequest {
  profile: string;
  namespace: string;
  pod: string;
  container: string;
  /** null: the shell fallback (`bash`, else `sh`). */
  command: string[] | null;
  cols: number;
  rows: number;
}

export type SessionState =
  | { state: "connecting" }
  | { state: "connected" }
  | { state: "exited"; code: number }
  | { state: "lost"; reason: string };
