// The IPC contract: every command the webview may call, declared once. Included by build.rs
// (an `allow-<command>` permission each) and by lib.rs, where `with_commands!` feeds the Tauri
// handlers and their list (commands/mod.rs) and, in tests, the TypeScript client and the
// `Commands` interface the UI and its in-page mock implement (typescript.rs →
// ui/src/ipc/generated/). See docs/architecture.md, "Adding an IPC command".
//
// One line a command: `sync|async name(argument: Type, ...) -> Response;`
// - `sync` commands run one after another in the order the webview sent them (keystrokes,
//   resizes, acks: nothing may overtake them); `async` ones run concurrently.
// - Every command fails with the shell's `Error` (`{ kind, message, hint }` in the webview).
// - `Channel<T>` arguments stream `T`s to a callback in the webview; `Channel<Raw>` streams
//   bytes (an `ArrayBuffer`, never a JSON array of numbers).
// - The Rust handler is `commands::<name>(&Ctx, arguments...) -> Result<Response, E>` with
//   `Error: From<E>`; the compiler checks it against this list.

macro_rules! with_commands {
    ($callback:ident) => {
        $callback! {
            /// The Demo profiles (once started), then the saved ones.
            async list_profiles() -> Vec<ProfileSummary>;
            /// Imports kubeconfig contexts (the file given, else `KUBECONFIG`, else
            /// `~/.kube/config`; the context given, every one, or the current one).
            async import_kubeconfig(path: Option<String>, context: Option<String>, all: bool) -> Vec<ProfileSummary>;
            /// A saved profile's settings for the edit form (never a secret).
            sync profile_details(name: String) -> ProfileDetails;
            /// Adds (`original` null) or edits a profile typed by hand; the token goes to the
            /// OS keyring.
            async save_profile(input: ManualProfile) -> ProfileSummary;
            /// The native file dialog for a kubeconfig; `null` when the user cancels.
            async pick_kubeconfig() -> Option<String>;
            /// Deletes a profile and its keyring entries (a Demo profile is only forgotten).
            async delete_profile(name: String) -> ();
            /// Starts the in-app Demo cluster (once) and returns its profile.
            async demo_profile() -> ProfileSummary;
            /// The namespaces (the profile's own alone when it may not list them).
            async list_namespaces(profile: String) -> Vec<String>;
            /// A live pod list: the current pods first (as `Added`, in as few messages as the
            /// engine's batch allows), then every change; the status says when the watch broke
            /// and when it is live again. Returns its id.
            async watch_pods(profile: String, namespace: String, on_event: Channel<Vec<PodChange>>, on_status: Channel<WatchStatus>) -> u32;
            /// `watch_pods` across every namespace (`kubectl get pods -A`): each pod carries its
            /// namespace. Needs the right to list pods cluster-wide (a 403 is the error).
            async watch_all_pods(profile: String, on_event: Channel<Vec<PodChange>>, on_status: Channel<WatchStatus>) -> u32;
            sync stop_watch(id: u32) -> ();
            /// Opens a TTY exec session and returns its id at once. Output may arrive before
            /// the id: acknowledge every byte with `ack` once the terminal has written it.
            sync open_session(req: OpenSessionRequest, on_output: Channel<Raw>, on_state: Channel<SessionState>) -> u32;
            /// A one-time address (`ws://127.0.0.1:PORT/TOKEN`) for a session's output: the
            /// page opens it and names it in `open_session`'s `socket` (in either order), and
            /// the output comes there as binary messages instead of on the `Channel` (cheaper
            /// per MB). Valid for one connection from the app's page, within an hour if unused.
            async page_socket() -> String;
            /// What debugging `container` (empty: the default one) of a pod with `image` would
            /// do: reuse a running debug container of ours, or add one under the name given.
            /// Changes nothing; `open_session` with `debug` set then does it.
            async plan_debug(profile: String, namespace: String, pod: String, container: String, image: String) -> DebugPlan;
            /// What debugging a copy of a pod would do: the copy's name, and the container
            /// (empty: the default one) that runs a shell in it instead of its command. Changes
            /// nothing; `open_session` with `copy` set then makes it.
            async plan_copy(profile: String, namespace: String, pod: String, container: String) -> CopyPlan;
            /// What a shell on `node` would be (`kubectl debug node/NODE`): the node looked up,
            /// a new debugging pod's name in `namespace` (empty: the profile's), its `image`.
            /// As a copy's plan, `pod` being `node/NODE`; `open_session` with that `pod` and
            /// `copy` (its name and image) then makes the pod, which its tab deletes as a copy.
            async plan_node_shell(profile: String, namespace: String, node: String, image: String) -> CopyPlan;
            /// Deletes the copy `name` of pod `of` a session was opened in: only Podterm's copy
            /// of `of` (any other pod of that name is left alone; one already gone is fine).
            /// The app deletes the copies still open when it exits.
            async delete_copy(profile: String, namespace: String, name: String, of: String) -> ();
            /// The copies of pods a run before made and did not delete (it was killed, or their
            /// cluster did not answer at its exit), for the page to offer to delete. The Demo
            /// cluster's are not listed: that cluster ended with its run.
            sync left_copies() -> Vec<MadeCopy>;
            /// Deletes one of `left_copies`, only while it is Podterm's copy of `of` (a pod of
            /// that name that is not is left alone), and takes it off the list: what it found.
            /// An error leaves it listed.
            async delete_left_copy(copy: MadeCopy) -> Deleted;
            /// Takes `left_copies` off the list, deleting none (they stay as any pod does).
            async keep_left_copies() -> ();
            /// Keystrokes or pasted text for a session.
            sync send_input(id: u32, data: String) -> ();
            sync resize(id: u32, cols: u16, rows: u16) -> ();
            /// The terminal has written `bytes` more bytes of the session's output, having
            /// spent `draw_us` microseconds parsing them (what paces a skipped flood).
            sync ack(id: u32, bytes: u32, draw_us: u32) -> ();
            /// Ends a session (its connection closes; the process in the pod ends with it).
            sync close_session(id: u32) -> ();
            /// Starts recording a session into a new file of its profile's recordings folder
            /// (output and resizes; input only when the profile asks); the file's name. The
            /// session's state channel says `recording`, and `recordingStopped` at its end.
            sync start_recording(id: u32) -> String;
            /// Stops a session's recording (the file is complete; the session goes on).
            sync stop_recording(id: u32) -> ();
            /// The recordings in the recordings folders (the app's and each profile's), newest
            /// first.
            async list_recordings() -> Vec<RecordingEntry>;
            /// A page of a recording's events from `offset` (0: the first; then the page's
            /// `next`), bounded in events and bytes.
            async read_recording(id: String, offset: u64) -> RecordingPage;
            /// Deletes a recording.
            sync delete_recording(id: String) -> ();
            /// Opens the folder holding a recording in the file manager.
            sync open_recordings_folder(id: String) -> ();
            /// The native folder dialog for a cluster's recordings folder; `null` when cancelled.
            async pick_recordings_folder() -> Option<String>;
            /// Opens a Logs view's stream (the container's log followed, with timestamps; the
            /// previous run read whole) and returns its id at once. Acknowledge every byte with
            /// `ack_logs` once shown.
            sync open_logs(req: OpenLogsRequest, on_output: Channel<Raw>, on_state: Channel<LogsState>) -> u32;
            /// The Logs view has taken `bytes` more bytes of the log's output.
            sync ack_logs(id: u32, bytes: u32) -> ();
            /// Stops a Logs view's stream.
            sync close_logs(id: u32) -> ();
            /// The native save dialog (`file_name` suggested), then `text` written to the file
            /// chosen; its path, or `null` when the user cancels (a Logs view's Download).
            async save_log(file_name: String, text: String) -> Option<String>;
            /// Uploads local files or folders (absolute paths, as a drop gives them) into
            /// directory `dir` of a tab's container, one transfer each, and returns them at once.
            /// Nothing starts when a path is unusable. Progress comes on `watch_transfers`.
            async start_upload(target: TransferTarget, paths: Vec<String>, dir: String) -> Vec<TransferInfo>;
            /// Downloads `pod_path` of a tab's container into local folder `folder` (absolute,
            /// existing) under its own name, refused when that name is taken there.
            async start_download(target: TransferTarget, pod_path: String, folder: String) -> TransferInfo;
            /// Stops a running transfer: no partial file is left under its final name.
            sync cancel_transfer(id: u32) -> ();
            /// Every transfer of this run, oldest first.
            sync list_transfers() -> Vec<TransferInfo>;
            /// Transfers as they change (a few times a second while running, once at the end),
            /// replacing an earlier listener.
            sync watch_transfers(on_change: Channel<TransferInfo>) -> ();
            /// Forgets the finished transfers.
            sync clear_transfers() -> ();
            /// Forwards a port on 127.0.0.1 to a pod's port (a number or a declared name), or to
            /// a Service's port in the pod its selector finds (translated as kubectl does, and
            /// again in each pod it follows), checked first (the pod running, the right to
            /// forward); connections and the end come on `watch_forwards`.
            async start_forward(req: ForwardRequest) -> ForwardInfo;
            /// The namespace's Services and their ports (sorted by name, the first 500, and
            /// whether it has more), to forward a port through one (`start_forward` with
            /// `service`).
            async list_services(profile: String, namespace: String) -> ServiceList;
            /// The Service of that name (`null`: none), for one past the 500 `list_services`
            /// returns.
            async find_service(profile: String, namespace: String, name: String) -> Option<ServiceSummary>;
            /// Stops a forward (an ended one is only forgotten).
            sync stop_forward(id: u32) -> ();
            /// Every forward of this run, oldest first.
            sync list_forwards() -> Vec<ForwardInfo>;
            /// Forwards as they change (a connection opened or ended, the forward ended).
            sync watch_forwards(on_change: Channel<ForwardInfo>) -> ();
            /// Starts the last run's forwards again, each on its local port (its pod, or its
            /// workload's newest Ready pod), when reopening tabs at start is on; one that cannot
            /// start comes back ended, saying why. Each is told on `watch_forwards` at once as
            /// `starting`; all start together, each in its row's place (the same id), one whose
            /// workload has no Ready pod yet waiting for one. Back in the file's order. Once per
            /// run: later calls return none.
            async restore_forwards() -> Vec<ForwardInfo>;
            /// Tries again a forward that could not start again at this run's start (its
            /// `restartable` row), on its local port: the running forward replaces its row (a
            /// new id); otherwise the row stays, saying why now, and the error comes back.
            async start_forward_again(id: u32) -> ForwardInfo;
            /// The sha256 (hex) of a finished transfer's local file, computed on request.
            async transfer_sha256(id: u32) -> String;
            /// A tab's container's working directory (a drop's default destination).
            async pod_working_dir(target: TransferTarget) -> String;
            /// The entries of directory `dir` in a tab's container (directories end with `/`),
            /// for completing a path; at most 1,000.
            async list_pod_dir(target: TransferTarget, dir: String) -> Vec<String>;
            /// The native folder dialog for a download's destination; `null` when cancelled.
            async pick_folder() -> Option<String>;
            /// A pod's status details (phase, node, IPs, conditions, containers) and its events.
            async pod_details(profile: String, namespace: String, pod: String) -> PodDetails;
            /// Every favourite, in the user's order.
            sync list_favourites() -> Vec<FavouriteSummary>;
            /// Stars a pod: saves the workload that owns it (the pod itself when it has none).
            /// `container` null: the pod's default container.
            async add_favourite(profile: String, namespace: String, pod: String, container: Option<String>) -> FavouriteSummary;
            /// Favourites a Service (`svc/NAME`: a shell in the newest Ready pod its selector
            /// finds); refused when it is not there or selects no pods.
            async add_service_favourite(profile: String, namespace: String, service: String) -> FavouriteSummary;
            sync rename_favourite(name: String, new_name: String) -> ();
            sync delete_favourite(name: String) -> ();
            /// `names`: every favourite once, in the new order.
            sync reorder_favourites(names: Vec<String>) -> ();
            /// Where a favourite leads now: the newest Ready pod of its workload.
            async resolve_favourite(name: String) -> ResolvedFavourite;
            /// Requests from the tray, a second launch or a link (held ones first).
            sync watch_requests(on_request: Channel<AppRequest>) -> ();
            /// Opens an http(s) link in the user's browser (a Ctrl+click in a terminal).
            sync open_url(url: String) -> ();
            /// Where Podterm keeps its files (profiles, favourites, settings; never a secret);
            /// `null` when there is no config directory.
            sync config_dir() -> Option<String>;
            /// The app settings the UI uses (scrollback lines per tab, lines per Logs view).
            sync app_settings() -> AppSettings;
            /// Saves how many lines of scrollback each tab keeps (cut to 100,000) and returns
            /// the value saved. An unreadable or newer settings.json is an error and stays as it is.
            sync set_scrollback_lines(lines: u32) -> u32;
            /// Saves how many lines each Logs view keeps (brought within 100..=100,000) and
            /// returns the value saved; refused like `set_scrollback_lines`.
            sync set_log_lines(lines: u32) -> u32;
            /// Reopening the last run's tabs at start on or off (off also forgets them).
            sync set_restore_tabs(on: bool) -> ();
            /// Whether new terminal sessions draw every byte of a flood (off: skip what the
            /// tab cannot show while it is behind); saved, refused like `set_scrollback_lines`.
            sync set_draw_every_byte(on: bool) -> ();
            /// The open tabs, saved (in tabs.json, never a secret) so that they reopen after a
            /// restart; nothing is saved while reopening is off.
            sync save_open_tabs(tabs: SavedTabs) -> ();
            /// The last run's tabs to reopen, each pod looked for again (none when off).
            async restore_tabs() -> RestoredTabs;
            /// Saves the image of the debug containers the app adds (blank: the default) and
            /// returns the image saved.
            sync set_debug_image(image: String) -> String;
            /// The global shortcut (`AppSettings::global_shortcut_keys`) on or off: saved, and
            /// taken from the desktop or given back. A shortcut another application holds is an
            /// error and the setting stays off.
            sync set_global_shortcut(on: bool) -> ();
            /// Closes the window after the page asked the user (a close with sessions open sends
            /// `AppRequest::ConfirmClose` instead of closing); its sessions end.
            sync close_window() -> ();
            /// Quits Podterm after the page asked the user (the tray's Quit with sessions open
            /// sends `AppRequest::ConfirmClose` with `quit` instead of quitting).
            sync quit_app() -> ();
        }
    };
}
