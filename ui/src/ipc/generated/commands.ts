// Generated from src-tauri/contract.rs by `cargo test -p podterm-desktop`: do not edit.
// The app's IPC commands, typed. A command that fails rejects with a CommandError
// ({ kind, message, hint }): branch on `kind`, show `message` and `hint`.
import { Channel, invoke } from "@tauri-apps/api/core";
import { toBytes } from "../bytes";
import type { AppRequest } from "./AppRequest";
import type { AppSettings } from "./AppSettings";
import type { FavouriteSummary } from "./FavouriteSummary";
import type { OpenSessionRequest } from "./OpenSessionRequest";
import type { DebugPlan } from "./DebugPlan";
import type { CopyPlan } from "./CopyPlan";
import type { MadeCopy } from "./MadeCopy";
import type { Deleted } from "./Deleted";
import type { PodChange } from "./PodChange";
import type { ProfileDetails } from "./ProfileDetails";
import type { ManualProfile } from "./ManualProfile";
import type { ProfileSummary } from "./ProfileSummary";
import type { SavedTabs } from "./SavedTabs";
import type { RestoredTabs } from "./RestoredTabs";
import type { ResolvedFavourite } from "./ResolvedFavourite";
import type { SessionState } from "./SessionState";
import type { OpenLogsRequest } from "./OpenLogsRequest";
import type { LogsState } from "./LogsState";
import type { PodDetails } from "./PodDetails";
import type { WatchStatus } from "./WatchStatus";
import type { TransferTarget } from "./TransferTarget";
import type { TransferInfo } from "./TransferInfo";
import type { ForwardRequest } from "./ForwardRequest";
import type { ForwardInfo } from "./ForwardInfo";
import type { ServiceList } from "./ServiceList";
import type { ServiceSummary } from "./ServiceSummary";
import type { RecordingEntry } from "./RecordingEntry";
import type { RecordingPage } from "./RecordingPage";

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
  "watch_all_pods",
  "stop_watch",
  "open_session",
  "page_socket",
  "plan_debug",
  "plan_copy",
  "plan_node_shell",
  "delete_copy",
  "left_copies",
  "delete_left_copy",
  "keep_left_copies",
  "send_input",
  "resize",
  "ack",
  "close_session",
  "start_recording",
  "stop_recording",
  "list_recordings",
  "read_recording",
  "delete_recording",
  "open_recordings_folder",
  "pick_recordings_folder",
  "open_logs",
  "ack_logs",
  "close_logs",
  "save_log",
  "start_upload",
  "start_download",
  "cancel_transfer",
  "list_transfers",
  "watch_transfers",
  "clear_transfers",
  "start_forward",
  "list_services",
  "find_service",
  "stop_forward",
  "list_forwards",
  "watch_forwards",
  "restore_forwards",
  "start_forward_again",
  "transfer_sha256",
  "pod_working_dir",
  "list_pod_dir",
  "pick_folder",
  "pod_details",
  "list_favourites",
  "add_favourite",
  "add_service_favourite",
  "rename_favourite",
  "delete_favourite",
  "reorder_favourites",
  "resolve_favourite",
  "watch_requests",
  "open_url",
  "config_dir",
  "app_settings",
  "set_scrollback_lines",
  "set_log_lines",
  "set_restore_tabs",
  "set_draw_every_byte",
  "save_open_tabs",
  "restore_tabs",
  "set_debug_image",
  "set_global_shortcut",
  "close_window",
  "quit_app",
] as const;

/** The app's commands as the UI calls them (the in-page mock implements them too). */
export interface Commands {
  /**
   * The Demo profiles (once started), then the saved ones.
   */
  listProfiles(): Promise<ProfileSummary[]>;
  /**
   * Imports kubeconfig contexts (the file given, else `KUBECONFIG`, else
   * `~/.kube/config`; the context given, every one, or the current one).
   */
  importKubeconfig(path: string | null, context: string | null, all: boolean): Promise<ProfileSummary[]>;
  /**
   * A saved profile's settings for the edit form (never a secret).
   */
  profileDetails(name: string): Promise<ProfileDetails>;
  /**
   * Adds (`original` null) or edits a profile typed by hand; the token goes to the
   * OS keyring.
   */
  saveProfile(input: ManualProfile): Promise<ProfileSummary>;
  /**
   * The native file dialog for a kubeconfig; `null` when the user cancels.
   */
  pickKubeconfig(): Promise<string | null>;
  /**
   * Deletes a profile and its keyring entries (a Demo profile is only forgotten).
   */
  deleteProfile(name: string): Promise<void>;
  /**
   * Starts the in-app Demo cluster (once) and returns its profile.
   */
  demoProfile(): Promise<ProfileSummary>;
  /**
   * The namespaces (the profile's own alone when it may not list them).
   */
  listNamespaces(profile: string): Promise<string[]>;
  /**
   * A live pod list: the current pods first (as `Added`, in as few messages as the
   * engine's batch allows), then every change; the status says when the watch broke
   * and when it is live again. Returns its id.
   */
  watchPods(profile: string, namespace: string, onEvent: (message: PodChange[]) => void, onStatus: (message: WatchStatus) => void): Promise<number>;
  /**
   * `watch_pods` across every namespace (`kubectl get pods -A`): each pod carries its
   * namespace. Needs the right to list pods cluster-wide (a 403 is the error).
   */
  watchAllPods(profile: string, onEvent: (message: PodChange[]) => void, onStatus: (message: WatchStatus) => void): Promise<number>;
  stopWatch(id: number): Promise<void>;
  /**
   * Opens a TTY exec session and returns its id at once. Output may arrive before
   * the id: acknowledge every byte with `ack` once the terminal has written it.
   */
  openSession(req: OpenSessionRequest, onOutput: (message: Uint8Array) => void, onState: (message: SessionState) => void): Promise<number>;
  /**
   * A one-time address (`ws://127.0.0.1:PORT/TOKEN`) for a session's output: the
   * page opens it and names it in `open_session`'s `socket` (in either order), and
   * the output comes there as binary messages instead of on the `Channel` (cheaper
   * per MB). Valid for one connection from the app's page, within an hour if unused.
   */
  pageSocket(): Promise<string>;
  /**
   * What debugging `container` (empty: the default one) of a pod with `image` would
   * do: reuse a running debug container of ours, or add one under the name given.
   * Changes nothing; `open_session` with `debug` set then does it.
   */
  planDebug(profile: string, namespace: string, pod: string, container: string, image: string): Promise<DebugPlan>;
  /**
   * What debugging a copy of a pod would do: the copy's name, and the container
   * (empty: the default one) that runs a shell in it instead of its command. Changes
   * nothing; `open_session` with `copy` set then makes it.
   */
  planCopy(profile: string, namespace: string, pod: string, container: string): Promise<CopyPlan>;
  /**
   * What a shell on `node` would be (`kubectl debug node/NODE`): the node looked up,
   * a new debugging pod's name in `namespace` (empty: the profile's), its `image`.
   * As a copy's plan, `pod` being `node/NODE`; `open_session` with that `pod` and
   * `copy` (its name and image) then makes the pod, which its tab deletes as a copy.
   */
  planNodeShell(profile: string, namespace: string, node: string, image: string): Promise<CopyPlan>;
  /**
   * Deletes the copy `name` of pod `of` a session was opened in: only Podterm's copy
   * of `of` (any other pod of that name is left alone; one already gone is fine).
   * The app deletes the copies still open when it exits.
   */
  deleteCopy(profile: string, namespace: string, name: string, of: string): Promise<void>;
  /**
   * The copies of pods a run before made and did not delete (it was killed, or their
   * cluster did not answer at its exit), for the page to offer to delete. The Demo
   * cluster's are not listed: that cluster ended with its run.
   */
  leftCopies(): Promise<MadeCopy[]>;
  /**
   * Deletes one of `left_copies`, only while it is Podterm's copy of `of` (a pod of
   * that name that is not is left alone), and takes it off the list: what it found.
   * An error leaves it listed.
   */
  deleteLeftCopy(copy: MadeCopy): Promise<Deleted>;
  /**
   * Takes `left_copies` off the list, deleting none (they stay as any pod does).
   */
  keepLeftCopies(): Promise<void>;
  /**
   * Keystrokes or pasted text for a session.
   */
  sendInput(id: number, data: string): Promise<void>;
  resize(id: number, cols: number, rows: number): Promise<void>;
  /**
   * The terminal has written `bytes` more bytes of the session's output, having
   * spent `draw_us` microseconds parsing them (what paces a skipped flood).
   */
  ack(id: number, bytes: number, drawUs: number): Promise<void>;
  /**
   * Ends a session (its connection closes; the process in the pod ends with it).
   */
  closeSession(id: number): Promise<void>;
  /**
   * Starts recording a session into a new file of its profile's recordings folder
   * (output and resizes; input only when the profile asks); the file's name. The
   * session's state channel says `recording`, and `recordingStopped` at its end.
   */
  startRecording(id: number): Promise<string>;
  /**
   * Stops a session's recording (the file is complete; the session goes on).
   */
  stopRecording(id: number): Promise<void>;
  /**
   * The recordings in the recordings folders (the app's and each profile's), newest
   * first.
   */
  listRecordings(): Promise<RecordingEntry[]>;
  /**
   * A page of a recording's events from `offset` (0: the first; then the page's
   * `next`), bounded in events and bytes.
   */
  readRecording(id: string, offset: number): Promise<RecordingPage>;
  /**
   * Deletes a recording.
   */
  deleteRecording(id: string): Promise<void>;
  /**
   * Opens the folder holding a recording in the file manager.
   */
  openRecordingsFolder(id: string): Promise<void>;
  /**
   * The native folder dialog for a cluster's recordings folder; `null` when cancelled.
   */
  pickRecordingsFolder(): Promise<string | null>;
  /**
   * Opens a Logs view's stream (the container's log followed, with timestamps; the
   * previous run read whole) and returns its id at once. Acknowledge every byte with
   * `ack_logs` once shown.
   */
  openLogs(req: OpenLogsRequest, onOutput: (message: Uint8Array) => void, onState: (message: LogsState) => void): Promise<number>;
  /**
   * The Logs view has taken `bytes` more bytes of the log's output.
   */
  ackLogs(id: number, bytes: number): Promise<void>;
  /**
   * Stops a Logs view's stream.
   */
  closeLogs(id: number): Promise<void>;
  /**
   * The native save dialog (`file_name` suggested), then `text` written to the file
   * chosen; its path, or `null` when the user cancels (a Logs view's Download).
   */
  saveLog(fileName: string, text: string): Promise<string | null>;
  /**
   * Uploads local files or folders (absolute paths, as a drop gives them) into
   * directory `dir` of a tab's container, one transfer each, and returns them at once.
   * Nothing starts when a path is unusable. Progress comes on `watch_transfers`.
   */
  startUpload(target: TransferTarget, paths: string[], dir: string): Promise<TransferInfo[]>;
  /**
   * Downloads `pod_path` of a tab's container into local folder `folder` (absolute,
   * existing) under its own name, refused when that name is taken there.
   */
  startDownload(target: TransferTarget, podPath: string, folder: string): Promise<TransferInfo>;
  /**
   * Stops a running transfer: no partial file is left under its final name.
   */
  cancelTransfer(id: number): Promise<void>;
  /**
   * Every transfer of this run, oldest first.
   */
  listTransfers(): Promise<TransferInfo[]>;
  /**
   * Transfers as they change (a few times a second while running, once at the end),
   * replacing an earlier listener.
   */
  watchTransfers(onChange: (message: TransferInfo) => void): Promise<void>;
  /**
   * Forgets the finished transfers.
   */
  clearTransfers(): Promise<void>;
  /**
   * Forwards a port on 127.0.0.1 to a pod's port (a number or a declared name), or to
   * a Service's port in the pod its selector finds (translated as kubectl does, and
   * again in each pod it follows), checked first (the pod running, the right to
   * forward); connections and the end come on `watch_forwards`.
   */
  startForward(req: ForwardRequest): Promise<ForwardInfo>;
  /**
   * The namespace's Services and their ports (sorted by name, the first 500, and
   * whether it has more), to forward a port through one (`start_forward` with
   * `service`).
   */
  listServices(profile: string, namespace: string): Promise<ServiceList>;
  /**
   * The Service of that name (`null`: none), for one past the 500 `list_services`
   * returns.
   */
  findService(profile: string, namespace: string, name: string): Promise<ServiceSummary | null>;
  /**
   * Stops a forward (an ended one is only forgotten).
   */
  stopForward(id: number): Promise<void>;
  /**
   * Every forward of this run, oldest first.
   */
  listForwards(): Promise<ForwardInfo[]>;
  /**
   * Forwards as they change (a connection opened or ended, the forward ended).
   */
  watchForwards(onChange: (message: ForwardInfo) => void): Promise<void>;
  /**
   * Starts the last run's forwards again, each on its local port (its pod, or its
   * workload's newest Ready pod), when reopening tabs at start is on; one that cannot
   * start comes back ended, saying why. Each is told on `watch_forwards` at once as
   * `starting`; all start together, each in its row's place (the same id), one whose
   * workload has no Ready pod yet waiting for one. Back in the file's order. Once per
   * run: later calls return none.
   */
  restoreForwards(): Promise<ForwardInfo[]>;
  /**
   * Tries again a forward that could not start again at this run's start (its
   * `restartable` row), on its local port: the running forward replaces its row (a
   * new id); otherwise the row stays, saying why now, and the error comes back.
   */
  startForwardAgain(id: number): Promise<ForwardInfo>;
  /**
   * The sha256 (hex) of a finished transfer's local file, computed on request.
   */
  transferSha256(id: number): Promise<string>;
  /**
   * A tab's container's working directory (a drop's default destination).
   */
  podWorkingDir(target: TransferTarget): Promise<string>;
  /**
   * The entries of directory `dir` in a tab's container (directories end with `/`),
   * for completing a path; at most 1,000.
   */
  listPodDir(target: TransferTarget, dir: string): Promise<string[]>;
  /**
   * The native folder dialog for a download's destination; `null` when cancelled.
   */
  pickFolder(): Promise<string | null>;
  /**
   * A pod's status details (phase, node, IPs, conditions, containers) and its events.
   */
  podDetails(profile: string, namespace: string, pod: string): Promise<PodDetails>;
  /**
   * Every favourite, in the user's order.
   */
  listFavourites(): Promise<FavouriteSummary[]>;
  /**
   * Stars a pod: saves the workload that owns it (the pod itself when it has none).
   * `container` null: the pod's default container.
   */
  addFavourite(profile: string, namespace: string, pod: string, container: string | null): Promise<FavouriteSummary>;
  /**
   * Favourites a Service (`svc/NAME`: a shell in the newest Ready pod its selector
   * finds); refused when it is not there or selects no pods.
   */
  addServiceFavourite(profile: string, namespace: string, service: string): Promise<FavouriteSummary>;
  renameFavourite(name: string, newName: string): Promise<void>;
  deleteFavourite(name: string): Promise<void>;
  /**
   * `names`: every favourite once, in the new order.
   */
  reorderFavourites(names: string[]): Promise<void>;
  /**
   * Where a favourite leads now: the newest Ready pod of its workload.
   */
  resolveFavourite(name: string): Promise<ResolvedFavourite>;
  /**
   * Requests from the tray, a second launch or a link (held ones first).
   */
  watchRequests(onRequest: (message: AppRequest) => void): Promise<void>;
  /**
   * Opens an http(s) link in the user's browser (a Ctrl+click in a terminal).
   */
  openUrl(url: string): Promise<void>;
  /**
   * Where Podterm keeps its files (profiles, favourites, settings; never a secret);
   * `null` when there is no config directory.
   */
  configDir(): Promise<string | null>;
  /**
   * The app settings the UI uses (scrollback lines per tab, lines per Logs view).
   */
  appSettings(): Promise<AppSettings>;
  /**
   * Saves how many lines of scrollback each tab keeps (cut to 100,000) and returns
   * the value saved. An unreadable or newer settings.json is an error and stays as it is.
   */
  setScrollbackLines(lines: number): Promise<number>;
  /**
   * Saves how many lines each Logs view keeps (brought within 100..=100,000) and
   * returns the value saved; refused like `set_scrollback_lines`.
   */
  setLogLines(lines: number): Promise<number>;
  /**
   * Reopening the last run's tabs at start on or off (off also forgets them).
   */
  setRestoreTabs(on: boolean): Promise<void>;
  /**
   * Whether new terminal sessions draw every byte of a flood (off: skip what the
   * tab cannot show while it is behind); saved, refused like `set_scrollback_lines`.
   */
  setDrawEveryByte(on: boolean): Promise<void>;
  /**
   * The open tabs, saved (in tabs.json, never a secret) so that they reopen after a
   * restart; nothing is saved while reopening is off.
   */
  saveOpenTabs(tabs: SavedTabs): Promise<void>;
  /**
   * The last run's tabs to reopen, each pod looked for again (none when off).
   */
  restoreTabs(): Promise<RestoredTabs>;
  /**
   * Saves the image of the debug containers the app adds (blank: the default) and
   * returns the image saved.
   */
  setDebugImage(image: string): Promise<string>;
  /**
   * The global shortcut (`AppSettings::global_shortcut_keys`) on or off: saved, and
   * taken from the desktop or given back. A shortcut another application holds is an
   * error and the setting stays off.
   */
  setGlobalShortcut(on: boolean): Promise<void>;
  /**
   * Closes the window after the page asked the user (a close with sessions open sends
   * `AppRequest::ConfirmClose` instead of closing); its sessions end.
   */
  closeWindow(): Promise<void>;
  /**
   * Quits Podterm after the page asked the user (the tray's Quit with sessions open
   * sends `AppRequest::ConfirmClose` with `quit` instead of quitting).
   */
  quitApp(): Promise<void>;
}

/** The commands over Tauri's IPC. */
export function tauriCommands(): Commands {
  return {
    listProfiles: () => invoke<ProfileSummary[]>("list_profiles"),
    importKubeconfig: (path, context, all) => invoke<ProfileSummary[]>("import_kubeconfig", { path, context, all }),
    profileDetails: (name) => invoke<ProfileDetails>("profile_details", { name }),
    saveProfile: (input) => invoke<ProfileSummary>("save_profile", { input }),
    pickKubeconfig: () => invoke<string | null>("pick_kubeconfig"),
    deleteProfile: (name) => invoke<void>("delete_profile", { name }),
    demoProfile: () => invoke<ProfileSummary>("demo_profile"),
    listNamespaces: (profile) => invoke<string[]>("list_namespaces", { profile }),
    watchPods: (profile, namespace, onEvent, onStatus) => invoke<number>("watch_pods", { profile, namespace, onEvent: new Channel<PodChange[]>(onEvent), onStatus: new Channel<WatchStatus>(onStatus) }),
    watchAllPods: (profile, onEvent, onStatus) => invoke<number>("watch_all_pods", { profile, onEvent: new Channel<PodChange[]>(onEvent), onStatus: new Channel<WatchStatus>(onStatus) }),
    stopWatch: (id) => invoke<void>("stop_watch", { id }),
    openSession: (req, onOutput, onState) => invoke<number>("open_session", { req, onOutput: new Channel<unknown>((m) => onOutput(toBytes(m))), onState: new Channel<SessionState>(onState) }),
    pageSocket: () => invoke<string>("page_socket"),
    planDebug: (profile, namespace, pod, container, image) => invoke<DebugPlan>("plan_debug", { profile, namespace, pod, container, image }),
    planCopy: (profile, namespace, pod, container) => invoke<CopyPlan>("plan_copy", { profile, namespace, pod, container }),
    planNodeShell: (profile, namespace, node, image) => invoke<CopyPlan>("plan_node_shell", { profile, namespace, node, image }),
    deleteCopy: (profile, namespace, name, of) => invoke<void>("delete_copy", { profile, namespace, name, of }),
    leftCopies: () => invoke<MadeCopy[]>("left_copies"),
    deleteLeftCopy: (copy) => invoke<Deleted>("delete_left_copy", { copy }),
    keepLeftCopies: () => invoke<void>("keep_left_copies"),
    sendInput: (id, data) => invoke<void>("send_input", { id, data }),
    resize: (id, cols, rows) => invoke<void>("resize", { id, cols, rows }),
    ack: (id, bytes, drawUs) => invoke<void>("ack", { id, bytes, drawUs }),
    closeSession: (id) => invoke<void>("close_session", { id }),
    startRecording: (id) => invoke<string>("start_recording", { id }),
    stopRecording: (id) => invoke<void>("stop_recording", { id }),
    listRecordings: () => invoke<RecordingEntry[]>("list_recordings"),
    readRecording: (id, offset) => invoke<RecordingPage>("read_recording", { id, offset }),
    deleteRecording: (id) => invoke<void>("delete_recording", { id }),
    openRecordingsFolder: (id) => invoke<void>("open_recordings_folder", { id }),
    pickRecordingsFolder: () => invoke<string | null>("pick_recordings_folder"),
    openLogs: (req, onOutput, onState) => invoke<number>("open_logs", { req, onOutput: new Channel<unknown>((m) => onOutput(toBytes(m))), onState: new Channel<LogsState>(onState) }),
    ackLogs: (id, bytes) => invoke<void>("ack_logs", { id, bytes }),
    closeLogs: (id) => invoke<void>("close_logs", { id }),
    saveLog: (fileName, text) => invoke<string | null>("save_log", { fileName, text }),
    startUpload: (target, paths, dir) => invoke<TransferInfo[]>("start_upload", { target, paths, dir }),
    startDownload: (target, podPath, folder) => invoke<TransferInfo>("start_download", { target, podPath, folder }),
    cancelTransfer: (id) => invoke<void>("cancel_transfer", { id }),
    listTransfers: () => invoke<TransferInfo[]>("list_transfers"),
    watchTransfers: (onChange) => invoke<void>("watch_transfers", { onChange: new Channel<TransferInfo>(onChange) }),
    clearTransfers: () => invoke<void>("clear_transfers"),
    startForward: (req) => invoke<ForwardInfo>("start_forward", { req }),
    listServices: (profile, namespace) => invoke<ServiceList>("list_services", { profile, namespace }),
    findService: (profile, namespace, name) => invoke<ServiceSummary | null>("find_service", { profile, namespace, name }),
    stopForward: (id) => invoke<void>("stop_forward", { id }),
    listForwards: () => invoke<ForwardInfo[]>("list_forwards"),
    watchForwards: (onChange) => invoke<void>("watch_forwards", { onChange: new Channel<ForwardInfo>(onChange) }),
    restoreForwards: () => invoke<ForwardInfo[]>("restore_forwards"),
    startForwardAgain: (id) => invoke<ForwardInfo>("start_forward_again", { id }),
    transferSha256: (id) => invoke<string>("transfer_sha256", { id }),
    podWorkingDir: (target) => invoke<string>("pod_working_dir", { target }),
    listPodDir: (target, dir) => invoke<string[]>("list_pod_dir", { target, dir }),
    pickFolder: () => invoke<string | null>("pick_folder"),
    podDetails: (profile, namespace, pod) => invoke<PodDetails>("pod_details", { profile, namespace, pod }),
    listFavourites: () => invoke<FavouriteSummary[]>("list_favourites"),
    addFavourite: (profile, namespace, pod, container) => invoke<FavouriteSummary>("add_favourite", { profile, namespace, pod, container }),
    addServiceFavourite: (profile, namespace, service) => invoke<FavouriteSummary>("add_service_favourite", { profile, namespace, service }),
    renameFavourite: (name, newName) => invoke<void>("rename_favourite", { name, newName }),
    deleteFavourite: (name) => invoke<void>("delete_favourite", { name }),
    reorderFavourites: (names) => invoke<void>("reorder_favourites", { names }),
    resolveFavourite: (name) => invoke<ResolvedFavourite>("resolve_favourite", { name }),
    watchRequests: (onRequest) => invoke<void>("watch_requests", { onRequest: new Channel<AppRequest>(onRequest) }),
    openUrl: (url) => invoke<void>("open_url", { url }),
    configDir: () => invoke<string | null>("config_dir"),
    appSettings: () => invoke<AppSettings>("app_settings"),
    setScrollbackLines: (lines) => invoke<number>("set_scrollback_lines", { lines }),
    setLogLines: (lines) => invoke<number>("set_log_lines", { lines }),
    setRestoreTabs: (on) => invoke<void>("set_restore_tabs", { on }),
    setDrawEveryByte: (on) => invoke<void>("set_draw_every_byte", { on }),
    saveOpenTabs: (tabs) => invoke<void>("save_open_tabs", { tabs }),
    restoreTabs: () => invoke<RestoredTabs>("restore_tabs"),
    setDebugImage: (image) => invoke<string>("set_debug_image", { image }),
    setGlobalShortcut: (on) => invoke<void>("set_global_shortcut", { on }),
    closeWindow: () => invoke<void>("close_window"),
    quitApp: () => invoke<void>("quit_app"),
  };
}
