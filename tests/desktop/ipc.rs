//! The functions behind the IPC commands, without a window: the Demo cluster, namespaces, the
//! pod watch and TTY sessions against testcluster, with the output and state channels
//! replaced by plain sinks and the UI's acknowledgements sent by the test.

use bytes::Bytes;
use podterm_desktop_lib::demo::{DEMO_NAME, DEMO_VIEWER_NAME};
use podterm_desktop_lib::error::{Error, ErrorKind};
use podterm_desktop_lib::ipc::{
    ChangeKind, CopyPlan, CopyRequest, DebugPlan, DebugRequest, Deleted, FavouriteSummary,
    LogsRequest, LogsState, MadeCopy, ManualProfile, OpenLogsRequest, OpenSessionRequest,
    PodChange, ProfileDetails, ProfileSummary, ResolvedFavourite, SessionState, TerminalRequest,
    WatchStatus,
};
use podterm_desktop_lib::state::{favourites, Config, LogViews, Profiles, Sessions, Watches};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::time::timeout;

struct Fixture {
    app: App,
    dir: tempfile::TempDir,
}

type Res<T> = Result<T, Error>;

/// The registries as the commands use them (each call here is one command's handler body).
#[derive(Clone)]
struct App {
    profiles: Profiles,
    sessions: Sessions,
    watches: Watches,
}

impl App {
    fn new(rt: tokio::runtime::Handle, config: Config) -> Self {
        App {
            profiles: Profiles::new(rt, config),
            sessions: Sessions::new(),
            watches: Watches::new(),
        }
    }
    fn list_profiles(&self) -> Res<Vec<ProfileSummary>> {
        self.profiles.list()
    }
    async fn demo_profile(&self) -> Res<ProfileSummary> {
        self.profiles.demo().await
    }
    async fn delete_profile(&self, name: &str) -> Res<()> {
        self.profiles.delete(name).await
    }
    async fn save_profile(&self, input: ManualProfile) -> Res<ProfileSummary> {
        self.profiles.save(input).await
    }
    fn profile_details(&self, name: &str) -> Res<ProfileDetails> {
        self.profiles.details(name)
    }
    async fn import_profiles(&self, path: &std::path::Path) -> Res<Vec<ProfileSummary>> {
        self.profiles
            .import(Some(path.display().to_string()), None, true)
            .await
    }
    async fn list_namespaces(&self, profile: &str) -> Res<Vec<String>> {
        self.profiles.namespaces(profile).await
    }
    async fn with_demo_cluster<R>(
        &self,
        f: impl FnOnce(&testcluster::TestCluster) -> R,
    ) -> Option<R> {
        self.profiles.with_demo_cluster(f).await
    }
    async fn watch_pods(
        &self,
        profile: &str,
        namespace: &str,
        mut sink: impl FnMut(PodChange) -> bool + Send + 'static,
        status: impl Fn(WatchStatus) + Send + 'static,
    ) -> Res<u32> {
        // One change at a time to the tests; `pod_list_comes_in_one_message` sees the batches.
        let each = move |batch: Vec<PodChange>| batch.into_iter().all(&mut sink);
        self.watches
            .watch_pods(&self.profiles, profile, namespace, each, status)
            .await
    }
    async fn watch_all_pods(
        &self,
        profile: &str,
        mut sink: impl FnMut(PodChange) -> bool + Send + 'static,
        status: impl Fn(WatchStatus) + Send + 'static,
    ) -> Res<u32> {
        let each = move |batch: Vec<PodChange>| batch.into_iter().all(&mut sink);
        self.watches
            .watch_all_pods(&self.profiles, profile, each, status)
            .await
    }
    fn stop_watch(&self, id: u32) {
        self.watches.stop(id)
    }
    fn open_session(
        &self,
        req: OpenSessionRequest,
        output: impl FnMut(Bytes) -> bool + Send + 'static,
        state: impl Fn(SessionState) + Send + Sync + 'static,
    ) -> u32 {
        // As the app opens them by default: skipping what a tab behind a flood cannot show.
        let skip = Some(podterm_core::settings::DEFAULT_SCROLLBACK_LINES as usize);
        self.sessions.open(&self.profiles, req, skip, output, state)
    }
    fn send_input(&self, id: u32, data: Bytes) -> Res<()> {
        self.sessions.send_input(id, data)
    }
    fn resize(&self, id: u32, cols: u16, rows: u16) -> Res<()> {
        self.sessions.resize(id, cols, rows)
    }
    fn ack(&self, id: u32, bytes: usize) {
        // A UI that reports no drawing time (the engine then paces by the drain rate).
        self.sessions.ack(id, bytes, Duration::ZERO)
    }
    fn close_session(&self, id: u32) {
        self.sessions.close(id)
    }
    fn session_count(&self) -> usize {
        self.sessions.count()
    }
    fn list_favourites(&self) -> Res<Vec<FavouriteSummary>> {
        favourites::list(&self.profiles)
    }
    async fn add_favourite(
        &self,
        profile: &str,
        namespace: &str,
        pod: &str,
        container: Option<String>,
    ) -> Res<FavouriteSummary> {
        favourites::add(&self.profiles, profile, namespace, pod, container).await
    }
    fn rename_favourite(&self, name: &str, new_name: &str) -> Res<()> {
        favourites::rename(&self.profiles, name, new_name)
    }
    fn delete_favourite(&self, name: &str) -> Res<()> {
        favourites::delete(&self.profiles, name)
    }
    fn reorder_favourites(&self, names: &[String]) -> Res<()> {
        favourites::reorder(&self.profiles, names)
    }
    async fn resolve_favourite(&self, name: &str) -> Res<ResolvedFavourite> {
        favourites::resolve(&self.profiles, name).await
    }
    async fn plan_debug(
        &self,
        profile: &str,
        namespace: &str,
        pod: &str,
        container: &str,
        image: &str,
    ) -> Res<DebugPlan> {
        self.profiles
            .plan_debug(profile, namespace, pod, container, image)
            .await
    }
    async fn plan_copy(
        &self,
        profile: &str,
        namespace: &str,
        pod: &str,
        container: &str,
    ) -> Res<CopyPlan> {
        Sessions::plan_copy(&self.profiles, profile, namespace, pod, container).await
    }
    async fn plan_node_shell(
        &self,
        profile: &str,
        namespace: &str,
        node: &str,
        image: &str,
    ) -> Res<CopyPlan> {
        Sessions::plan_node_shell(&self.profiles, profile, namespace, node, image).await
    }
    async fn delete_copy(&self, profile: &str, namespace: &str, name: &str, of: &str) -> Res<()> {
        self.sessions
            .delete_copy(&self.profiles, profile, namespace, name, of)
            .await
    }
}

async fn app() -> Fixture {
    app_with(None).await
}

/// [`app`], its callers waiting `connect_wait` for a connect under way (`None`: the app's).
async fn app_with(connect_wait: Option<Duration>) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    // The rest as by default: no Demo fault port (a field only with the test-fixtures feature).
    #[allow(clippy::needless_update)]
    let config = Config {
        profiles_dir: Some(dir.path().to_path_buf()),
        connect_wait,
        ..Config::default()
    };
    let app = App::new(tokio::runtime::Handle::current(), config);
    let demo = app.demo_profile().await.expect("demo profile");
    assert_eq!(demo.name, DEMO_NAME);
    Fixture { app, dir }
}

/// A cluster typed by hand into the profile form: the Demo cluster's server, CA and token (as
/// `demo-admin`), in namespace `demo`.
async fn demo_by_hand(
    app: &App,
    original: Option<&str>,
    name: &str,
    with_token: bool,
) -> ManualProfile {
    let (url, ca, token) = app
        .with_demo_cluster(|c| {
            (
                c.url(),
                c.ca_pem().to_string(),
                c.token("demo-admin").map(str::to_string),
            )
        })
        .await
        .expect("demo");
    ManualProfile {
        original: original.map(str::to_string),
        name: name.into(),
        server: url,
        namespace: Some("demo".into()),
        ca_pem: Some(ca),
        ca_file: None,
        insecure: false,
        token: token
            .filter(|_| with_token)
            .map(podterm_core::vault::Secret::new),
        keepalive_secs: None,
        dead_link_secs: None,
        colour: None,
        production: false,
        client_cert: None,
        client_key: None,
        client_key_file: None,
        reconnect: false,
        record_sessions: false,
        record_folder: None,
        record_input: false,
    }
}

/// A session as the UI sees it: its output and its states.
struct Tab {
    id: u32,
    output: mpsc::UnboundedReceiver<Bytes>,
    states: mpsc::UnboundedReceiver<SessionState>,
    seen: Vec<u8>,
}

fn open(app: &App, profile: &str, pod: &str, command: Option<&[&str]>) -> Tab {
    open_in(app, profile, pod, "", command, None)
}

/// A debug tab: a shell in our debug container beside `container` of `pod`.
fn open_debug(app: &App, profile: &str, pod: &str, container: &str, debug: DebugRequest) -> Tab {
    open_in(app, profile, pod, container, None, Some(debug))
}

fn open_in(
    app: &App,
    profile: &str,
    pod: &str,
    container: &str,
    command: Option<&[&str]>,
    debug: Option<DebugRequest>,
) -> Tab {
    open_with(app, profile, pod, container, command, debug, None)
}

/// A tab in a copy of `pod` whose `container` runs a shell instead of its command.
fn open_copy(app: &App, pod: &str, container: &str, name: &str) -> Tab {
    let copy = Some(CopyRequest {
        name: name.into(),
        image: None,
    });
    open_with(app, DEMO_NAME, pod, container, None, None, copy)
}

fn open_with(
    app: &App,
    profile: &str,
    pod: &str,
    container: &str,
    command: Option<&[&str]>,
    debug: Option<DebugRequest>,
    copy: Option<CopyRequest>,
) -> Tab {
    let (out_tx, output) = mpsc::unbounded_channel();
    let (state_tx, states) = mpsc::unbounded_channel();
    let id = app.open_session(
        OpenSessionRequest {
            profile: profile.into(),
            terminal: TerminalRequest {
                namespace: "demo".into(),
                pod: pod.into(),
                container: container.into(),
                command: command.map(|c| c.iter().map(|s| s.to_string()).collect()),
                cols: 100,
                rows: 30,
                debug,
                copy,
            },
            socket: None,
        },
        move |b| out_tx.send(b).is_ok(),
        move |s| {
            let _ = state_tx.send(s);
        },
    );
    Tab {
        id,
        output,
        states,
        seen: Vec::new(),
    }
}

/// A final state as compared in these tests (its output count checked apart, by [`Tab::end`]).
fn exited(code: i32) -> SessionState {
    SessionState::Exited {
        code,
        output_bytes: 0,
    }
}

fn lost(reason: &str) -> SessionState {
    SessionState::Lost {
        reason: reason.into(),
        output_bytes: 0,
        crashing: None,
        no_executable: false,
    }
}

/// The final state with its output count set aside.
fn uncounted(s: SessionState) -> (SessionState, u64) {
    match s {
        SessionState::Exited { code, output_bytes } => (exited(code), output_bytes),
        SessionState::Lost {
            reason,
            output_bytes,
            crashing,
            no_executable,
        } => (
            SessionState::Lost {
                reason,
                output_bytes: 0,
                crashing,
                no_executable,
            },
            output_bytes,
        ),
        other => panic!("not a final state: {other:?}"),
    }
}

impl Tab {
    /// Reads and acknowledges output until the final state, then until as many bytes as the
    /// state counts have arrived (the state may overtake output on its way, as it may in the
    /// webview); checks the count is exactly what arrived.
    async fn end(&mut self, app: &App) -> SessionState {
        let end = loop {
            tokio::select! {
                Some(chunk) = self.output.recv() => {
                    app.ack(self.id, chunk.len());
                    self.seen.extend_from_slice(&chunk);
                }
                s = self.states.recv() => break s.expect("final state"),
            }
        };
        let (end, count) = uncounted(end);
        while (self.seen.len() as u64) < count {
            let chunk = timeout(Duration::from_secs(10), self.output.recv())
                .await
                .expect("the output the final state counts")
                .expect("output channel open");
            app.ack(self.id, chunk.len());
            self.seen.extend_from_slice(&chunk);
        }
        assert_eq!(
            self.seen.len() as u64,
            count,
            "output bytes counted by the final state"
        );
        end
    }

    async fn state(&mut self) -> SessionState {
        timeout(Duration::from_secs(10), self.states.recv())
            .await
            .expect("a state within 10 s")
            .expect("state channel open")
    }

    /// Reads (and acknowledges, as xterm's write callback would) until `needle` shows.
    async fn expect_output(&mut self, app: &App, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !String::from_utf8_lossy(&self.seen).contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            let chunk = timeout(left, self.output.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "{needle:?} not seen within 10 s; got {:?}",
                        String::from_utf8_lossy(&self.seen)
                    )
                })
                .expect("output channel open");
            app.ack(self.id, chunk.len());
            self.seen.extend_from_slice(&chunk);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_profiles_live_in_memory_only() {
    let f = app().await;
    let names: Vec<String> = f
        .app
        .list_profiles()
        .expect("list")
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, [DEMO_NAME, DEMO_VIEWER_NAME]);
    let profiles = f.app.list_profiles().expect("list");
    assert_eq!(profiles[0].auth_kind, "token");
    assert_eq!(profiles[1].auth_kind, "client certificate");
    assert_eq!(profiles[0].namespace.as_deref(), Some("demo"));
    assert!(
        !f.dir.path().join("profiles.json").exists(),
        "the Demo profiles were written to profiles.json"
    );
    // Asking again starts no second cluster and gives the same profile.
    assert_eq!(
        f.app.demo_profile().await.expect("again").server,
        profiles[0].server
    );
    f.app
        .delete_profile(DEMO_VIEWER_NAME)
        .await
        .expect("delete");
    assert_eq!(f.app.list_profiles().expect("list").len(), 1);
    assert!(f.app.delete_profile("nope").await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaces_and_the_viewer_s_fallback() {
    let f = app().await;
    assert_eq!(
        f.app.list_namespaces(DEMO_NAME).await.expect("namespaces"),
        ["default", "demo", "kube-system"]
    );
    // The viewer may list pods, not namespaces: its own namespace is offered.
    assert_eq!(
        f.app
            .list_namespaces(DEMO_VIEWER_NAME)
            .await
            .expect("viewer"),
        ["demo"]
    );
    let err = f.app.list_namespaces("missing").await.expect_err("no such");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(
        err.to_string().contains("no profile named \"missing\""),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_namespaces_watch_lists_every_namespace_with_node_and_ips() {
    let f = app().await;
    let (tx, mut events) = mpsc::unbounded_channel::<PodChange>();
    let id = f
        .app
        .watch_all_pods(DEMO_NAME, move |e| tx.send(e).is_ok(), |_| {})
        .await
        .expect("watch across namespaces");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = std::collections::BTreeSet::new();
    let mut shell = None;
    while !(seen.contains("demo") && seen.contains("kube-system") && shell.is_some()) {
        let e = timeout(
            deadline.saturating_duration_since(Instant::now()),
            events.recv(),
        )
        .await
        .unwrap_or_else(|_| panic!("pods of demo and kube-system within 10 s; seen {seen:?}"))
        .expect("open");
        seen.insert(e.pod.namespace.clone());
        if e.pod.namespace == "demo" && e.pod.name == "shell" {
            shell = Some(e.pod);
        }
    }
    let shell = shell.expect("shell");
    assert_eq!(shell.node.as_deref(), Some("testnode"));
    assert!(
        !shell.ips.is_empty()
            && shell
                .ips
                .iter()
                .all(|ip| ip.parse::<std::net::IpAddr>().is_ok()),
        "{:?}",
        shell.ips
    );
    f.app.stop_watch(id);
}

/// `bulk` pods (`bulk-0000`, …, no processes) added to the Demo cluster's `demo`, and a pod
/// watch of `demo` started with the list's later pages held (`TestCluster::hold_later_pages`):
/// returned once its second page waits, with the watch's start and its events.
async fn watch_a_long_list_held(
    f: &Fixture,
    bulk: usize,
) -> (
    tokio::task::JoinHandle<Res<u32>>,
    mpsc::UnboundedReceiver<PodChange>,
) {
    f.app
        .with_demo_cluster(|c| {
            let mut p = testcluster::ClusterSpec::demo().pods[0].clone();
            p.labels.clear();
            for c in &mut p.containers {
                c.command.clear();
            }
            for i in 0..bulk {
                p.name = format!("bulk-{i:04}");
                c.apply_pod(p.clone());
            }
            c.hold_later_pages(true);
        })
        .await
        .expect("demo running");
    let (tx, events) = mpsc::unbounded_channel::<PodChange>();
    let app = f.app.clone();
    let watch = tokio::spawn(async move {
        app.watch_pods(DEMO_NAME, "demo", move |e| tx.send(e).is_ok(), |_| {})
            .await
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while f
        .app
        .with_demo_cluster(|c| c.later_pages_held())
        .await
        .expect("demo running")
        == 0
    {
        assert!(
            Instant::now() < deadline,
            "the second page asked for within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (watch, events)
}

/// A namespace's first list reaches the page in one message, not one a pod (3,000 pods took 3,000
/// messages through the webview), and a change after it in one of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_list_comes_in_one_message() {
    const BULK: usize = 1203; // three pages of the watch's list
    let f = app().await;
    f.app
        .with_demo_cluster(|c| {
            let mut p = testcluster::ClusterSpec::demo().pods[0].clone();
            p.namespace = "batched".into();
            p.labels.clear();
            for c in &mut p.containers {
                c.command.clear();
            }
            for i in 0..BULK {
                p.name = format!("bulk-{i:04}");
                c.apply_pod(p.clone());
            }
        })
        .await
        .expect("demo running");
    let (tx, mut batches) = mpsc::unbounded_channel::<Vec<PodChange>>();
    let id = f
        .app
        .watches
        .watch_pods(
            &f.app.profiles,
            DEMO_NAME,
            "batched",
            move |b| tx.send(b).is_ok(),
            |_| {},
        )
        .await
        .expect("watch");
    let first = tokio::time::timeout(Duration::from_secs(30), batches.recv())
        .await
        .expect("the first list within 30 s")
        .expect("a batch");
    assert_eq!(
        first.len(),
        BULK,
        "every pod of the first list in one message"
    );
    assert!(first.iter().all(|c| c.kind == ChangeKind::Added));
    f.app
        .with_demo_cluster(|c| assert!(c.set_ready("batched", "bulk-0007", false)))
        .await
        .expect("demo running");
    let change = tokio::time::timeout(Duration::from_secs(30), batches.recv())
        .await
        .expect("the change within 30 s")
        .expect("a batch");
    assert_eq!(change.len(), 1, "{change:?}");
    assert_eq!(
        (change[0].kind, change[0].pod.name.as_str()),
        (ChangeKind::Modified, "bulk-0007")
    );
    f.app.stop_watch(id);
}

/// A namespace of more pods than one page of the watch's list (500): the list comes in three
/// pages, and the watch after them starts from the first page's version, so a pod changed while
/// later pages were read is followed too (with each page's own version, the change to a pod of
/// the first page was lost).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_watch_reads_a_long_list_in_pages_and_misses_no_change_between_them() {
    const BULK: usize = 1203;
    let f = app().await;
    let bulk = |i: usize| format!("bulk-{i:04}");
    let (watch, mut events) = watch_a_long_list_held(&f, BULK).await;
    // While the second page waits: a pod of the first page stops being ready, one of the third
    // goes.
    f.app
        .with_demo_cluster(|c| {
            assert!(c.set_ready("demo", &bulk(1), false));
            assert!(c.delete_pod("demo", &bulk(1100)));
            c.hold_later_pages(false);
        })
        .await
        .expect("demo running");
    let id = watch.await.expect("joins").expect("watch");
    type Pods = std::collections::BTreeMap<String, podterm_desktop_lib::ipc::PodSummary>;
    let mut pods = Pods::new();
    let apply = |pods: &mut Pods, e: PodChange| match e.kind {
        ChangeKind::Deleted => {
            pods.remove(&e.pod.name);
        }
        _ => {
            pods.insert(e.pod.name.clone(), e.pod);
        }
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let expected = 6 + BULK - 1;
    while !(pods.len() == expected
        && !pods.contains_key(&bulk(1100))
        && pods
            .get(&bulk(1))
            .is_some_and(|p| p.ready.starts_with("0/")))
    {
        let e = timeout(
            deadline.saturating_duration_since(Instant::now()),
            events.recv(),
        )
        .await
        .unwrap_or_else(|_| {
            panic!(
                "within 60 s: {} pods (want {expected}), {} listed, {} ready {:?}",
                pods.len(),
                if pods.contains_key(&bulk(1100)) {
                    "bulk-1100"
                } else {
                    "no bulk-1100"
                },
                bulk(1),
                pods.get(&bulk(1)).map(|p| p.ready.clone())
            )
        })
        .expect("open");
        apply(&mut pods, e);
    }
    // And it follows on: a pod added after the list.
    f.app
        .with_demo_cluster(|c| {
            let mut p = testcluster::ClusterSpec::demo().pods[0].clone();
            p.name = "after-the-list".into();
            c.apply_pod(p);
        })
        .await
        .expect("demo running");
    loop {
        let e = timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("the pod added after the list")
            .expect("open");
        if e.pod.name == "after-the-list" {
            assert_eq!(e.kind, ChangeKind::Added);
            break;
        }
    }
    f.app.stop_watch(id);
}

/// The pods change faster than testcluster keeps their changes (1,024) while a long list's second
/// page waits: that page is refused as expired (410), and the watch lists again from the start
/// instead of failing, ending with every change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_watch_lists_again_when_a_later_page_has_expired() {
    const BULK: usize = 1203;
    const CHANGED: usize = 1100;
    let f = app().await;
    let bulk = |i: usize| format!("bulk-{i:04}");
    let (watch, mut events) = watch_a_long_list_held(&f, BULK).await;
    f.app
        .with_demo_cluster(|c| {
            for i in 0..CHANGED {
                assert!(c.set_ready("demo", &bulk(i), false));
            }
            c.hold_later_pages(false);
        })
        .await
        .expect("demo running");
    let id = watch
        .await
        .expect("joins")
        .expect("the watch lists again instead of failing");
    type Pods = std::collections::BTreeMap<String, podterm_desktop_lib::ipc::PodSummary>;
    let mut pods = Pods::new();
    let not_ready = |pods: &Pods| {
        pods.values()
            .filter(|p| p.name.starts_with("bulk-") && p.ready.starts_with("0/"))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !(pods.len() == 6 + BULK && not_ready(&pods) == CHANGED) {
        let e = timeout(
            deadline.saturating_duration_since(Instant::now()),
            events.recv(),
        )
        .await
        .unwrap_or_else(|_| {
            panic!(
                "within 60 s: {} pods (want {}), {} not ready (want {CHANGED})",
                pods.len(),
                6 + BULK,
                not_ready(&pods)
            )
        })
        .expect("open");
        match e.kind {
            ChangeKind::Deleted => {
                pods.remove(&e.pod.name);
            }
            _ => {
                pods.insert(e.pod.name.clone(), e.pod);
            }
        }
    }
    f.app.stop_watch(id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_watch_lists_then_follows_a_deletion() {
    let f = app().await;
    let (tx, mut events) = mpsc::unbounded_channel::<PodChange>();
    let id = f
        .app
        .watch_pods(DEMO_NAME, "demo", move |e| tx.send(e).is_ok(), |_| {})
        .await
        .expect("watch");
    let mut names = Vec::new();
    while names.len() < 6 {
        let e = timeout(Duration::from_secs(5), events.recv())
            .await
            .expect("initial list")
            .expect("open");
        assert_eq!(e.kind, ChangeKind::Added);
        names.push(e.pod.name.clone());
        if e.pod.name == "multi" {
            assert_eq!(e.pod.default_container, "sidecar");
            assert_eq!(e.pod.containers, ["app", "sidecar"]);
            assert_eq!(e.pod.ready, "2/2");
            assert_eq!(e.pod.phase, "Running");
            assert!(e.pod.created_at.ends_with('Z'), "{}", e.pod.created_at);
        }
    }
    names.sort();
    assert_eq!(&names[..4], ["distroless", "multi", "pair", "shell"]);
    assert!(f
        .app
        .with_demo_cluster(|c| c.delete_pod("demo", "pair"))
        .await
        .expect("demo running"));
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let e = timeout(
            deadline.saturating_duration_since(Instant::now()),
            events.recv(),
        )
        .await
        .expect("the deletion within 5 s")
        .expect("open");
        assert_eq!(e.pod.name, "pair");
        if e.kind == ChangeKind::Deleted {
            break;
        }
        assert_eq!(e.kind, ChangeKind::Modified);
    }
    f.app.stop_watch(id);

    // The viewer may watch pods too.
    let id = f
        .app
        .watch_pods(DEMO_VIEWER_NAME, "demo", |_| true, |_| {})
        .await
        .expect("the viewer may watch pods");
    f.app.stop_watch(id);
    // A first list that fails is the command's error, with what to do about it.
    assert!(f
        .app
        .with_demo_cluster(|c| c.set_token("demo-admin", None))
        .await
        .expect("demo"));
    let err = f
        .app
        .watch_pods(DEMO_NAME, "demo", |_| true, |_| {})
        .await
        .expect_err("a revoked token");
    assert_eq!(err.kind(), ErrorKind::CredentialsRefused);
    assert!(
        err.to_string()
            .starts_with("You must be logged in to the server"),
        "{err}"
    );
    assert!(
        err.hint()
            .unwrap_or_default()
            .contains("the cluster refused the credentials of profile \"Demo cluster\" (401)"),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_echoes_and_exit_code_arrives() {
    let f = app().await;
    let mut tab = open(&f.app, DEMO_NAME, "shell", None);
    assert_eq!(tab.state().await, SessionState::Connecting);
    assert_eq!(tab.state().await, SessionState::Connected);
    f.app
        .send_input(tab.id, Bytes::from_static(b"echo hel''lo\r"))
        .expect("input");
    tab.expect_output(&f.app, "hello").await;
    f.app.resize(tab.id, 120, 40).expect("resize");
    f.app
        .send_input(tab.id, Bytes::from_static(b"stty size\r"))
        .expect("input");
    tab.expect_output(&f.app, "40 120").await;
    f.app
        .send_input(tab.id, Bytes::from_static(b"exit 3\r"))
        .expect("input");
    // Output keeps flowing (and being acknowledged) until the end, and the end counts it all.
    assert_eq!(tab.end(&f.app).await, exited(3));
    assert!(tab.seen.len() > "hello40 120".len());
    assert!(f.app.send_input(tab.id, Bytes::from_static(b"x")).is_err());
    assert_eq!(f.app.session_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_pod_ends_the_session_saying_so() {
    let f = app().await;
    let mut tab = open(&f.app, DEMO_NAME, "shell", None);
    assert_eq!(tab.state().await, SessionState::Connecting);
    assert_eq!(tab.state().await, SessionState::Connected);
    f.app
        .send_input(tab.id, Bytes::from_static(b"echo rea''dy\r"))
        .expect("input");
    tab.expect_output(&f.app, "ready").await;
    assert!(f
        .app
        .with_demo_cluster(|c| c.delete_pod("demo", "shell"))
        .await
        .expect("demo"));
    // The shell died of SIGKILL (137) because its pod went: the tab says the latter.
    assert_eq!(
        tab.end(&f.app).await,
        lost("the pod demo/shell was deleted (the shell was killed, exit code 137)")
    );
    // The pod is gone now: a new session says so in kubectl's words.
    let mut again = open(&f.app, DEMO_NAME, "shell", None);
    assert_eq!(again.state().await, SessionState::Connecting);
    assert_eq!(
        again.end(&f.app).await,
        lost("Error from server (NotFound): pods \"shell\" not found")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewer_exec_is_lost_with_the_forbidden_message() {
    let f = app().await;
    let mut tab = open(&f.app, DEMO_VIEWER_NAME, "shell", None);
    assert_eq!(tab.state().await, SessionState::Connecting);
    assert_eq!(
        tab.end(&f.app).await,
        lost("Error from server (Forbidden): pods \"shell\" is forbidden: User \"viewer\" cannot create resource \"pods/exec\" in API group \"\" in the namespace \"demo\"")
    );
}

/// The ephemeral containers of a Demo pod, from the pod list's summary.
async fn ephemeral_of(app: &App, pod: &str) -> Vec<String> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let id = app
        .watch_pods(DEMO_NAME, "demo", move |c| tx.send(c).is_ok(), |_| {})
        .await
        .expect("watch");
    let found = loop {
        let c = timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("the pod in the list within 10 s")
            .expect("watch open");
        if c.pod.name == pod {
            break c.pod.ephemeral_containers;
        }
    };
    app.stop_watch(id);
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debug_tab_adds_one_container_per_pod_and_image_and_sees_the_target() {
    let f = app().await;
    let image = "busybox:1.36";
    // The plan: the default container is the target, a fresh name, nothing added yet.
    let plan = f
        .app
        .plan_debug(DEMO_NAME, "demo", "distroless", "", image)
        .await
        .expect("plan");
    assert_eq!(
        (plan.target.as_str(), plan.image.as_str(), plan.reuse),
        ("app", image, false)
    );
    assert!(plan.name.starts_with("debugger-"), "{plan:?}");
    assert!(ephemeral_of(&f.app, "distroless").await.is_empty());
    let request = DebugRequest {
        image: image.into(),
        name: plan.name.clone(),
    };
    let mut tab = open_debug(&f.app, DEMO_NAME, "distroless", "app", request.clone());
    assert_eq!(tab.state().await, SessionState::Connecting);
    assert_eq!(tab.state().await, SessionState::Connected);
    // The shell starts in the target's working directory: the target's files.
    f.app
        .send_input(
            tab.id,
            Bytes::from_static(b"echo \"cwd=$PWD\"; echo ok > from-debug\r"),
        )
        .expect("input");
    tab.expect_output(&f.app, "/demo/distroless/app\r\n").await;
    assert_eq!(
        ephemeral_of(&f.app, "distroless").await,
        std::slice::from_ref(&plan.name),
        "added under the name shown"
    );
    // A second tab: the same container, reused (one per pod, image and target).
    let again = f
        .app
        .plan_debug(DEMO_NAME, "demo", "distroless", "app", image)
        .await
        .expect("plan");
    assert!(again.reuse && again.name == plan.name, "{again:?}");
    let mut second = open_debug(&f.app, DEMO_NAME, "distroless", "app", request);
    assert_eq!(second.state().await, SessionState::Connecting);
    assert_eq!(second.state().await, SessionState::Connected);
    f.app
        .send_input(second.id, Bytes::from_static(b"cat from-debug\r"))
        .expect("input");
    second.expect_output(&f.app, "ok\r\n").await;
    f.app
        .send_input(second.id, Bytes::from_static(b"exit 4\r"))
        .expect("input");
    assert_eq!(second.end(&f.app).await, exited(4));
    // Its exit ended its own shell, not the container: the first tab goes on.
    f.app
        .send_input(tab.id, Bytes::from_static(b"echo still-$((6*7))\r"))
        .expect("input");
    tab.expect_output(&f.app, "still-42").await;
    assert_eq!(
        ephemeral_of(&f.app, "distroless").await,
        std::slice::from_ref(&plan.name),
        "still one debug container"
    );
}

/// The Demo cluster's client, as an administrator would have it (kubectl's kubeconfig).
async fn demo_client(app: &App) -> kube::Client {
    let kubeconfig = app
        .with_demo_cluster(|c| c.kubeconfig().to_path_buf())
        .await
        .expect("the Demo cluster runs");
    let target = podterm_core::cluster::Target {
        kubeconfig: Some(kubeconfig),
        ..Default::default()
    };
    target.connect().await.expect("client").client
}

/// The pod `name` as the API server has it now (`None`: gone).
async fn pod_now(client: &kube::Client, name: &str) -> Option<k8s_openapi::api::core::v1::Pod> {
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "demo");
    pods.get_opt(name).await.expect("get pod")
}

/// Ends the main shell of `container` in pod `name` (one waiting on its terminal), as `kubectl
/// attach -it` and `exit` would: the container ends, and so does every shell a tab runs in it.
async fn end_main_shell(client: &kube::Client, name: &str, container: &str) {
    use tokio::io::AsyncWriteExt;
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "demo");
    let params = kube::api::AttachParams::interactive_tty().container(container);
    let mut attached = pods.attach(name, &params).await.expect("attach");
    let mut stdin = attached.stdin().expect("stdin");
    stdin.write_all(b"exit\n").await.expect("exit");
    drop(stdin);
    let _ = timeout(Duration::from_secs(20), attached.join()).await;
}

/// Whether pod `p` has ended for good (`Succeeded` or `Failed`).
fn pod_finished(p: Option<&k8s_openapi::api::core::v1::Pod>) -> bool {
    let phase = p.and_then(|p| p.status.as_ref()?.phase.clone());
    matches!(phase.as_deref(), Some("Succeeded" | "Failed"))
}

/// Waits (on the API server's state, up to 20 s) until `ok` holds for pod `name`.
async fn wait_pod(
    client: &kube::Client,
    name: &str,
    what: &str,
    ok: impl Fn(Option<&k8s_openapi::api::core::v1::Pod>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = pod_now(client, name).await;
        if ok(now.as_ref()) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "pod {name} never {what}: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A pod whose container crashes as it starts: no shell can be opened in it, and the tab's
/// end says so in a typed way; a copy whose container runs a shell can (made, reused, refused
/// over a pod that is not ours), and is deleted when asked, or when the app exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashing_pod_is_entered_through_a_copy_deleted_with_its_tab() {
    let f = app().await;
    let client = demo_client(&f.app).await;
    let crashy = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": "crashy", "namespace": "demo", "labels": { "app": "crashy" } },
        "spec": { "containers": [{
            "name": "app", "image": "busybox:1.36",
            "command": ["sh", "-c", "echo starting; exit 3"],
        }] },
    });
    podterm_core::podcopy::create(&client, "demo", &crashy, None)
        .await
        .expect("create crashy");
    let crash_looping = |p: Option<&k8s_openapi::api::core::v1::Pod>| {
        p.is_some_and(|p| podterm_core::pods::crash_looping(p, "app"))
    };
    wait_pod(&client, "crashy", "crash-looping", crash_looping).await;
    // A tab on it: refused, with the container named for the UI's offer. (A tab that caught
    // the container in the moments it runs between back-offs is opened again.)
    let deadline = Instant::now() + Duration::from_secs(20);
    let refused = loop {
        let mut tab = open(&f.app, DEMO_NAME, "crashy", None);
        assert_eq!(tab.state().await, SessionState::Connecting);
        let next = tab.state().await;
        if next == SessionState::Connected {
            assert!(Instant::now() < deadline, "always caught running");
            f.app.close_session(tab.id);
            continue;
        }
        break next;
    };
    match refused {
        SessionState::Lost {
            reason, crashing, ..
        } => {
            assert_eq!(crashing.as_deref(), Some("app"), "{reason}");
            assert!(
                reason.starts_with(
                    "container \"app\" of pod \"crashy\" crashes as it starts (CrashLoopBackOff)"
                ) && reason.contains("Debug a copy of the pod"),
                "{reason}"
            );
        }
        other => panic!("not lost: {other:?}"),
    }
    // The plan names the copy; nothing is made yet.
    let plan = f
        .app
        .plan_copy(DEMO_NAME, "demo", "crashy", "")
        .await
        .expect("plan");
    assert_eq!(
        (
            plan.pod.as_str(),
            plan.container.as_str(),
            plan.image.as_str()
        ),
        ("crashy", "app", "busybox:1.36")
    );
    assert!(plan.name.starts_with("crashy-debug-"), "{plan:?}");
    assert!(pod_now(&client, &plan.name).await.is_none());
    // The copy's tab: a shell in the copy's container.
    let mut copy = open_copy(&f.app, "crashy", &plan.container, &plan.name);
    assert_eq!(copy.state().await, SessionState::Connecting);
    assert_eq!(copy.state().await, SessionState::Connected);
    f.app
        .send_input(copy.id, Bytes::from_static(b"echo in-copy-$((40+2))\r"))
        .expect("input");
    copy.expect_output(&f.app, "in-copy-42").await;
    let made = pod_now(&client, &plan.name).await.expect("the copy");
    let marked = made.metadata.annotations.unwrap_or_default();
    assert_eq!(
        marked
            .get(podterm_core::podcopy::COPY_OF)
            .map(String::as_str),
        Some("crashy")
    );
    assert!(
        made.metadata.labels.is_none_or(|l| l.is_empty()),
        "no Service picks it"
    );
    // A second tab on the same copy (a reconnect) reuses it.
    let mut again = open_copy(&f.app, "crashy", "app", &plan.name);
    assert_eq!(again.state().await, SessionState::Connecting);
    assert_eq!(again.state().await, SessionState::Connected);
    f.app
        .send_input(again.id, Bytes::from_static(b"exit 5\r"))
        .expect("input");
    assert_eq!(again.end(&f.app).await, exited(5));
    // Its exit ended its own shell, not the copy: the first tab goes on.
    f.app
        .send_input(copy.id, Bytes::from_static(b"echo still-$((6*7))\r"))
        .expect("input");
    copy.expect_output(&f.app, "still-42").await;
    // A copy's name that another pod has: neither used nor deleted.
    let mut foreign = open_copy(&f.app, "crashy", "app", "shell");
    assert_eq!(foreign.state().await, SessionState::Connecting);
    let end = foreign.end(&f.app).await;
    assert!(
        matches!(&end, SessionState::Lost { reason, .. } if reason.contains("pod \"shell\" exists and is not a copy Podterm made of pod \"crashy\"")),
        "{end:?}"
    );
    // The tab closes: the copy is deleted, and a second delete is no error.
    f.app.close_session(copy.id);
    f.app
        .delete_copy(DEMO_NAME, "demo", &plan.name, "crashy")
        .await
        .expect("delete");
    wait_pod(&client, &plan.name, "gone", |p| p.is_none()).await;
    f.app
        .delete_copy(DEMO_NAME, "demo", &plan.name, "crashy")
        .await
        .expect("gone already");
    assert!(
        pod_now(&client, "crashy").await.is_some(),
        "the original stays"
    );
    // A copy still open when the app exits is deleted then.
    let name = f
        .app
        .plan_copy(DEMO_NAME, "demo", "crashy", "app")
        .await
        .expect("plan")
        .name;
    let mut open_at_exit = open_copy(&f.app, "crashy", "app", &name);
    assert_eq!(open_at_exit.state().await, SessionState::Connecting);
    assert_eq!(open_at_exit.state().await, SessionState::Connected);
    // The original deleted (a rollout): the copy's tab reconnects all the same.
    f.app.close_session(open_at_exit.id);
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "demo");
    pods.delete("crashy", &Default::default())
        .await
        .expect("delete crashy");
    wait_pod(&client, "crashy", "gone", |p| p.is_none()).await;
    let mut again = open_copy(&f.app, "crashy", "app", &name);
    assert_eq!(again.state().await, SessionState::Connecting);
    assert_eq!(again.state().await, SessionState::Connected);
    f.app
        .send_input(again.id, Bytes::from_static(b"echo again-$((7*6))\r"))
        .expect("input");
    again.expect_output(&f.app, "again-42").await;
    let (sessions, profiles) = (f.app.sessions.clone(), f.app.profiles.clone());
    tokio::task::spawn_blocking(move || {
        sessions.close_all();
        sessions.delete_copies(&profiles);
    })
    .await
    .expect("exit");
    wait_pod(&client, &name, "gone", |p| p.is_none()).await;
    // The pod whose name a tab asked for as a copy is not one: it stays, at exit and when
    // asked.
    assert!(
        pod_now(&client, "shell").await.is_some(),
        "another pod deleted at exit"
    );
    f.app
        .delete_copy(DEMO_NAME, "demo", "shell", "crashy")
        .await
        .expect("not ours: nothing to delete");
    assert!(
        pod_now(&client, "shell").await.is_some(),
        "another pod deleted"
    );
    // A copy asked to be deleted before its creation landed (the tab closed while it was made)
    // is looked for again, and deleted once there.
    f.app
        .delete_copy(DEMO_NAME, "demo", "late-copy", "crashy")
        .await
        .expect("not there yet");
    let late = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": "late-copy", "namespace": "demo",
                      "annotations": { podterm_core::podcopy::COPY_OF: "crashy" } },
        "spec": { "containers": [{ "name": "app", "image": "busybox:1.36", "command": ["sh"], "stdin": true, "tty": true }] },
    });
    podterm_core::podcopy::create(&client, "demo", &late, None)
        .await
        .expect("create the late copy");
    wait_pod(&client, "late-copy", "deleted after it landed", |p| {
        p.is_none()
    })
    .await;
}

/// A shell tab in a container without a shell: the runtime's status marks the end as a program
/// not found (`noExecutable`, what the tab reads as "no shell"); a failure in other words is
/// never so marked, even one reading alike (see `ipc.rs`'s unit test).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_tab_without_a_shell_ends_marked_as_no_executable() {
    let f = app().await;
    // Connecting (and, where the exec started, connected), then its end.
    async fn last(tab: &mut Tab) -> SessionState {
        loop {
            let s = tab.state().await;
            if s.is_final() {
                return s;
            }
        }
    }
    let mut tab = open(&f.app, DEMO_NAME, "distroless", None);
    match last(&mut tab).await {
        SessionState::Lost {
            reason,
            no_executable,
            ..
        } => assert!(
            no_executable && reason.contains("executable file not found"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    let mut missing = open(&f.app, DEMO_NAME, "nope", None);
    match last(&mut missing).await {
        SessionState::Lost {
            reason,
            no_executable,
            ..
        } => assert!(!no_executable, "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_refusals_in_words_rbac_an_unpullable_image_a_missing_container() {
    let f = app().await;
    // The viewer may not patch pods/ephemeralcontainers: the API server's words name both.
    let mut viewer = open_debug(
        &f.app,
        DEMO_VIEWER_NAME,
        "distroless",
        "app",
        DebugRequest {
            image: "busybox:1.36".into(),
            name: String::new(),
        },
    );
    assert_eq!(viewer.state().await, SessionState::Connecting);
    assert_eq!(
        viewer.end(&f.app).await,
        lost("Error from server (Forbidden): pods \"distroless\" is forbidden: User \"viewer\" cannot patch resource \"pods/ephemeralcontainers\" in API group \"\" in the namespace \"demo\"")
    );
    // An image that cannot be pulled: the kubelet's reason, from the container's status.
    let mut unpullable = open_debug(
        &f.app,
        DEMO_NAME,
        "distroless",
        "app",
        DebugRequest {
            image: "testcluster.local/nope:1".into(),
            name: String::new(),
        },
    );
    assert_eq!(unpullable.state().await, SessionState::Connecting);
    match unpullable.end(&f.app).await {
        SessionState::Lost { reason, .. } => assert!(
            reason.starts_with("debug container debugger-")
                && reason.contains("cannot start: image \"testcluster.local/nope:1\" cannot be pulled (ErrImagePull"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    // The plan refuses a container the pod lacks, as kubectl would, and says which it has.
    let e = f
        .app
        .plan_debug(DEMO_NAME, "demo", "distroless", "nope", "busybox:1.36")
        .await
        .expect_err("no such container");
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.to_string().contains("nope"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_its_exit_code_and_a_missing_container() {
    let f = app().await;
    let mut tab = open(
        &f.app,
        DEMO_NAME,
        "pair",
        Some(&["sh", "-c", "echo $0; exit 7"]),
    );
    assert_eq!(tab.state().await, SessionState::Connecting);
    assert_eq!(tab.state().await, SessionState::Connected);
    tab.expect_output(&f.app, "sh").await;
    assert_eq!(tab.end(&f.app).await, exited(7));

    let (out, _o) = mpsc::unbounded_channel::<Bytes>();
    let (st, mut states) = mpsc::unbounded_channel();
    f.app.open_session(
        OpenSessionRequest {
            profile: DEMO_NAME.into(),
            terminal: TerminalRequest {
                namespace: String::new(),
                pod: "pair".into(),
                container: "three".into(),
                command: None,
                cols: 80,
                rows: 24,
                debug: None,
                copy: None,
            },
            socket: None,
        },
        move |b| out.send(b).is_ok(),
        move |s| {
            let _ = st.send(s);
        },
    );
    assert_eq!(states.recv().await, Some(SessionState::Connecting));
    assert_eq!(
        states.recv().await,
        Some(SessionState::Lost {
            reason: "container three is not valid for pod pair out of: one, two".into(),
            output_bytes: 0,
            crashing: None,
            no_executable: false,
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unacknowledged_flood_pauses_and_ctrl_c_lands() {
    let f = app().await;
    let mut tab = open(&f.app, DEMO_NAME, "shell", Some(&["yes"]));
    assert_eq!(tab.state().await, SessionState::Connecting);
    assert_eq!(tab.state().await, SessionState::Connected);
    // A UI that never acknowledges: the flood flows at first (waited for as it comes, however
    // slowly a loaded machine starts `yes`), then output stops near the high watermark (+ a
    // batch). A pause read too early can only pass the bound below, never fail it wrongly.
    let bound = podterm_core::flow::HIGH_WATER + 2 * podterm_core::flow::MAX_BATCH;
    let mut received = 0usize;
    while received <= 50 * 1024 {
        let chunk = timeout(Duration::from_secs(60), tab.output.recv())
            .await
            .unwrap_or_else(|_| panic!("the flood stopped at {received} bytes"))
            .expect("output channel open");
        received += chunk.len();
    }
    let quiet_for = Duration::from_millis(700);
    while let Ok(Some(chunk)) = timeout(quiet_for, tab.output.recv()).await {
        received += chunk.len();
        assert!(
            received <= bound,
            "{received} bytes without an acknowledgement"
        );
    }
    // Ctrl-C goes through while output is paused; the UI then catches up.
    f.app
        .send_input(tab.id, Bytes::from_static(b"\x03"))
        .expect("input");
    f.app.ack(tab.id, received);
    let t = Instant::now();
    let mut backlog = 0usize;
    let end = loop {
        tokio::select! {
            Some(chunk) = tab.output.recv() => {
                backlog += chunk.len();
                f.app.ack(tab.id, chunk.len());
            }
            s = tab.states.recv() => break s.expect("final state"),
        }
    };
    eprintln!("backlog after Ctrl-C: {backlog} bytes in {:?}", t.elapsed());
    let (end, count) = uncounted(end);
    assert_eq!(end, exited(130));
    // What arrived after the state (it may overtake output) and what the state counts agree.
    while ((received + backlog) as u64) < count {
        let chunk = timeout(Duration::from_secs(10), tab.output.recv())
            .await
            .expect("the output the final state counts")
            .expect("output channel open");
        backlog += chunk.len();
    }
    assert_eq!((received + backlog) as u64, count);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_a_session_ends_its_process() {
    let f = app().await;
    let mut tab = open(
        &f.app,
        DEMO_NAME,
        "shell",
        Some(&["sh", "-c", "echo up; sleep 600"]),
    );
    assert_eq!(tab.state().await, SessionState::Connecting);
    assert_eq!(tab.state().await, SessionState::Connected);
    tab.expect_output(&f.app, "up").await;
    assert_eq!(f.app.with_demo_cluster(|c| c.sessions()).await, Some(1));
    f.app.close_session(tab.id);
    f.app.close_session(tab.id); // twice is fine
    let deadline = Instant::now() + Duration::from_secs(5);
    while f.app.with_demo_cluster(|c| c.sessions()).await != Some(0) {
        assert!(
            Instant::now() < deadline,
            "the server still holds the session"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(f.app.session_count(), 0);
    assert!(f.app.resize(tab.id, 80, 24).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn favourites_follow_the_workload_and_keep_their_order() {
    let f = app().await;
    let a = &f.app;
    assert!(a.list_favourites().expect("list").is_empty());
    // A star on a Deployment's pod saves the Deployment; a second star gets a fresh name.
    let web = a
        .add_favourite(DEMO_NAME, "demo", "web-6b7f9c8d5-h2x4k", None)
        .await
        .expect("star web");
    assert_eq!(
        (web.name.as_str(), web.kind.as_str(), web.target.as_str()),
        ("web", "deployment", "web")
    );
    let again = a
        .add_favourite(DEMO_NAME, "demo", "web-6b7f9c8d5-p9m7q", None)
        .await
        .expect("star web again");
    assert_eq!(again.name, "web (2)");
    let shell = a
        .add_favourite(DEMO_NAME, "demo", "shell", Some("main".into()))
        .await
        .expect("star shell");
    assert_eq!(
        (shell.kind.as_str(), shell.container.as_deref()),
        ("pod", Some("main"))
    );
    // Stored beside the profiles.
    assert!(f.dir.path().join("favourites.json").exists());
    let names = |a: &App| -> Vec<String> {
        a.list_favourites()
            .expect("list")
            .into_iter()
            .map(|f| f.name)
            .collect()
    };
    assert_eq!(names(a), ["web", "web (2)", "shell"]);
    a.rename_favourite("web (2)", "  web-b ").expect("rename");
    a.reorder_favourites(&["shell".into(), "web".into(), "web-b".into()])
        .expect("reorder");
    assert_eq!(names(a), ["shell", "web", "web-b"]);
    let bad = a
        .reorder_favourites(&["shell".into()])
        .expect_err("a partial order");
    assert_eq!(bad.kind(), ErrorKind::InvalidInput);
    assert!(
        bad.to_string().contains("every favourite exactly once"),
        "{bad}"
    );
    a.delete_favourite("web-b").expect("delete");
    assert_eq!(names(a), ["shell", "web"]);

    // Resolution: the newest Ready pod of the Deployment, then its successor once it is gone.
    let r = a.resolve_favourite("web").await.expect("resolve");
    assert_eq!((r.pod.as_str(), r.command), ("web-6b7f9c8d5-p9m7q", None));
    assert!(a
        .with_demo_cluster(|c| c.delete_pod("demo", "web-6b7f9c8d5-p9m7q"))
        .await
        .expect("demo"));
    let r = a.resolve_favourite("web").await.expect("resolve again");
    assert_eq!(r.pod, "web-6b7f9c8d5-h2x4k");
    assert!(r.unready.is_none(), "{r:?}");
    // Not Ready, its container running (a readiness probe fails): taken, and said.
    assert!(a
        .with_demo_cluster(|c| c.set_ready("demo", "web-6b7f9c8d5-h2x4k", false))
        .await
        .expect("demo"));
    let r = a.resolve_favourite("web").await.expect("a pod that runs");
    assert_eq!(
        (r.pod.as_str(), r.unready.as_deref()),
        (
            "web-6b7f9c8d5-h2x4k",
            Some(
                "No Ready pod for deployment/web; using web-6b7f9c8d5-h2x4k \
                 (not Ready: container web not ready)"
            )
        )
    );
    // Terminating: nothing to take.
    assert!(a
        .with_demo_cluster(|c| c.mark_terminating("demo", "web-6b7f9c8d5-h2x4k"))
        .await
        .expect("demo"));
    let e = a.resolve_favourite("web").await.expect_err("none Ready");
    assert!(
        e.to_string().contains("web-6b7f9c8d5-h2x4k") && e.to_string().contains("Ready"),
        "{e}"
    );
    assert_eq!(
        serde_json::to_value(&e).expect("json")["crashing"],
        serde_json::json!(null)
    );
    // One of its pods crash-looping: the error names it, in a typed way, for the tab's copy offer.
    let client = demo_client(a).await;
    let crashing = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": "web-crashy", "namespace": "demo", "labels": { "app": "web" } },
        "spec": { "containers": [{
            "name": "nginx", "image": "busybox:1.36",
            "command": ["sh", "-c", "echo starting; exit 3"],
        }] },
    });
    podterm_core::podcopy::create(&client, "demo", &crashing, None)
        .await
        .expect("create web-crashy");
    let deadline = Instant::now() + Duration::from_secs(20);
    let named = loop {
        // Caught before its first crash, or in the moments it runs (Ready) between back-offs:
        // looked at again.
        let seen = match a.resolve_favourite("web").await {
            Ok(r) => format!("resolved to {}", r.pod),
            Err(e) => {
                let j = serde_json::to_value(&e).expect("json");
                if !j["crashing"].is_null() {
                    break j;
                }
                e.to_string()
            }
        };
        assert!(Instant::now() < deadline, "never named as crashing: {seen}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        named["crashing"],
        serde_json::json!({ "namespace": "demo", "pod": "web-crashy", "container": "nginx" })
    );
    let hint = named["hint"].as_str().expect("a hint");
    assert!(
        hint.contains("Debug a copy of the pod… (on this tab) makes a copy of web-crashy"),
        "{hint}"
    );
    // The copy it offers is planned as a tab on that pod plans it.
    let plan = a
        .plan_copy(DEMO_NAME, "demo", "web-crashy", "nginx")
        .await
        .expect("plan");
    assert_eq!(
        (plan.pod.as_str(), plan.container.as_str()),
        ("web-crashy", "nginx")
    );
    // A favourite that opens in a debug container (its image has no shell) is offered no copy:
    // the copy's shell would exit at once.
    let mut debug_fav = podterm_core::favourites::Favourite::new(
        "web-debug",
        DEMO_NAME,
        "demo",
        podterm_core::favourites::Target::Workload {
            kind: podterm_core::pods::WorkloadKind::Deployment,
            name: "web".into(),
        },
    );
    debug_fav.debug = true;
    podterm_core::favourites::FavouriteStore::open(f.dir.path())
        .add(debug_fav)
        .expect("add the debug favourite");
    // (A look that caught web-crashy Ready, in the moments it runs, is taken again.)
    let deadline = Instant::now() + Duration::from_secs(20);
    let e = loop {
        match a.resolve_favourite("web-debug").await {
            Err(e) if e.to_string().contains("CrashLoopBackOff") => break e,
            other => {
                let seen = other.map(|r| r.pod);
                assert!(Instant::now() < deadline, "never crash-looping: {seen:?}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let j = serde_json::to_value(&e).expect("json");
    assert_eq!(j["crashing"], serde_json::json!(null), "{e}");
    assert!(!e.to_string().contains("Debug a copy"), "{e}");
    let e = a.resolve_favourite("nope").await.expect_err("unknown");
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.to_string().contains("no favourite named \"nope\""), "{e}");
    let r = a.resolve_favourite("shell").await.expect("shell");
    assert_eq!((r.pod.as_str(), r.container.as_str()), ("shell", "main"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_pod_watch_says_so_and_says_when_it_is_back() {
    let f = app().await;
    let (tx, mut statuses) = mpsc::unbounded_channel::<WatchStatus>();
    let id = f
        .app
        .watch_pods(
            DEMO_NAME,
            "demo",
            |_| true,
            move |s| {
                let _ = tx.send(s);
            },
        )
        .await
        .expect("watch");
    let token = f
        .app
        .with_demo_cluster(|c| c.token("demo-admin").map(str::to_string))
        .await
        .expect("demo")
        .expect("a token");
    // The credentials are refused from now on, and every connection drops: the watch breaks.
    f.app
        .with_demo_cluster(|c| {
            c.set_token("demo-admin", None);
            c.drop_connections();
        })
        .await
        .expect("demo");
    // First the dropped connection, then what the retries meet: the refused credentials, with
    // what to do about them. Each reason once, however often the watch retries.
    let mut reasons = Vec::new();
    loop {
        let s = timeout(Duration::from_secs(30), statuses.recv())
            .await
            .expect("the break reported")
            .expect("open");
        let WatchStatus::Broken { reason } = s else {
            panic!("expected broken, got {s:?} after {reasons:?}");
        };
        let refused = reason
            .contains("the cluster refused the credentials of profile \"Demo cluster\" (401)");
        reasons.push(reason);
        if refused {
            break;
        }
    }
    assert!(reasons.len() <= 2, "{reasons:?}");
    assert!(
        timeout(Duration::from_secs(3), statuses.recv())
            .await
            .is_err(),
        "the same reason again"
    );
    f.app
        .with_demo_cluster(|c| c.set_token("demo-admin", Some(&token)))
        .await
        .expect("demo");
    let back = timeout(Duration::from_secs(60), statuses.recv())
        .await
        .expect("the watch back")
        .expect("open");
    assert_eq!(back, WatchStatus::Live);
    f.app.stop_watch(id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_typed_by_hand_connects_and_edits_keep_its_token() {
    let f = app().await;
    let token = f
        .app
        .with_demo_cluster(|c| c.token("demo-admin").map(str::to_string))
        .await
        .expect("demo")
        .expect("a token");
    let saved = f
        .app
        .save_profile(demo_by_hand(&f.app, None, "by hand", true).await)
        .await
        .expect("save");
    assert_eq!(
        (saved.name.as_str(), saved.auth_kind.as_str()),
        ("by hand", "token")
    );
    let ns = f.app.list_namespaces("by hand").await.expect("namespaces");
    assert!(ns.contains(&"demo".to_string()), "{ns:?}");
    // The token is in the keyring, not in the file, and never comes back.
    let file = std::fs::read_to_string(f.dir.path().join("profiles.json")).expect("file");
    assert!(!file.contains(&token), "the token is in profiles.json");
    let d = f.app.profile_details("by hand").expect("details");
    assert!(d.has_token && d.ca_pem.is_some(), "{d:?}");
    assert!(!format!("{d:?}").contains(&token));
    // Renamed, token left as it was: it still connects.
    f.app
        .save_profile(demo_by_hand(&f.app, Some("by hand"), "renamed", false).await)
        .await
        .expect("edit");
    let ns = f
        .app
        .list_namespaces("renamed")
        .await
        .expect("namespaces after edit");
    assert!(ns.contains(&"demo".to_string()), "{ns:?}");
    let e = f
        .app
        .list_namespaces("by hand")
        .await
        .expect_err("old name");
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(
        e.to_string().contains("no profile named \"by hand\""),
        "{e}"
    );
    // Bad input and the Demo's names are refused in words.
    let mut bad = demo_by_hand(&f.app, None, "x", false).await;
    bad.server = "http://a:1".into();
    let e = f.app.save_profile(bad).await.expect_err("http");
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("must be an https:// URL"), "{e}");
    let e = f
        .app
        .save_profile(demo_by_hand(&f.app, None, DEMO_NAME, false).await)
        .await
        .expect_err("demo name");
    assert_eq!(e.kind(), ErrorKind::DemoReadOnly);
    assert!(e.to_string().contains("built-in Demo cluster"), "{e}");
    let e = f.app.profile_details(DEMO_NAME).expect_err("demo details");
    assert_eq!(e.kind(), ErrorKind::DemoReadOnly);
    assert!(e.to_string().contains("cannot be edited"), "{e}");
}

/// A server's words reach the webview escaped and cut: a 403 whose message would retitle the
/// terminal and runs to 50 MB arrives as a command error and as a tab's "lost" reason with the
/// escape visible, no raw control character, a few KiB long with "(N more bytes)".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_server_s_words_reach_the_ui_escaped_and_cut() {
    use podterm_test_support::hostile::{self, Hostile, Reply};
    let hostile_words = |code, reason| {
        let mut message = String::from("forbidden \x1b]0;pwned\x07\u{9b}31m");
        message.push_str(&"A".repeat(50 * 1024 * 1024));
        Reply::status(code, reason, &message)
    };
    let server = Hostile::start(move |req| match req.path.as_str() {
        // (A 403 here would be answered with the profile's namespace alone, by design.)
        "/api/v1/namespaces" => hostile_words(500, "InternalError\x1b[2J"),
        _ if req.method == "GET" && req.pod().is_some() => hostile_words(403, "Forbidden"),
        _ => hostile::default_reply(req),
    })
    .await
    .expect("hostile server");
    let f = app().await;
    let saved = f
        .app
        .import_profiles(&server.kubeconfig())
        .await
        .expect("import");
    assert_eq!(saved.len(), 1, "{saved:?}");
    let check = |what: &str, text: &str| {
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{what}: a raw control character: {text:.200}"
        );
        assert!(
            text.contains("forbidden \\x1b]0;pwned\\x07\\u{9b}31mAAA"),
            "{what}: {text:.200}"
        );
        assert!(text.len() < 16 * 1024, "{what}: {} bytes", text.len());
        assert!(
            text.ends_with("more bytes)"),
            "{what}: …{}",
            &text[text.len() - 60..]
        );
    };
    // A command's error, as serialized for the webview.
    let e = f
        .app
        .list_namespaces("hostile")
        .await
        .expect_err("forbidden");
    assert_eq!(e.kind(), ErrorKind::Refused);
    let payload = serde_json::to_value(&e).expect("json");
    let message = payload["message"].as_str().expect("message");
    assert!(
        message.starts_with("Error from server (InternalError\\x1b[2J): "),
        "{message:.100}"
    );
    check("error message", message);
    // A tab's "lost" reason.
    let mut tab = open(&f.app, "hostile", "shell", Some(&["true"]));
    assert_eq!(tab.state().await, SessionState::Connecting);
    let SessionState::Lost { reason, .. } = tab.end(&f.app).await else {
        panic!("the session should be lost");
    };
    check("lost reason", &reason);
    let _ = f.app.delete_profile("hostile").await;
}

/// A cluster that never answers a pod's lookup (the connection stays open, silent), imported as
/// a profile: the server, how many lookups it was asked, and the profile's name. Needs the
/// keyring (the import stores the kubeconfig's token).
async fn silent_cluster(
    app: &App,
) -> (
    podterm_test_support::hostile::Hostile,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
    String,
) {
    use podterm_test_support::hostile::{self, Hostile, Reply};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let asked = Arc::new(AtomicUsize::new(0));
    let seen = asked.clone();
    let server = Hostile::start(move |req| {
        if req.method == "GET" && req.pod().is_some() {
            seen.fetch_add(1, Ordering::SeqCst);
            Reply::Silence
        } else {
            hostile::default_reply(req)
        }
    })
    .await
    .expect("server");
    let imported = app
        .profiles
        .import(
            Some(server.kubeconfig().to_string_lossy().into_owned()),
            None,
            false,
        )
        .await
        .expect("import the silent cluster's kubeconfig");
    let profile = imported[0].name.clone();
    (server, asked, profile)
}

/// A profile imported into `app` from a kubeconfig (context `name`) for `server` whose user is an
/// exec plugin writing a line to its own file each time it runs, answering at once or, with
/// `go`, once that file exists (with a token, or with `fails` a failure): the profile's name and
/// the plugin's file of runs (in the server's dir, with the kubeconfig).
async fn plugin_profile(
    app: &App,
    server: &podterm_test_support::hostile::Hostile,
    name: &str,
    go: Option<&std::path::Path>,
    fails: bool,
) -> (String, std::path::PathBuf) {
    let dir = server.dir();
    let plugin = dir.join(format!("{name}-credential"));
    let calls = dir.join(format!("{name}-calls"));
    let wait = go
        .map(|g| {
            // Or until the server's dir is gone (the test ended).
            format!(
                "while [ ! -f '{}' ] && [ -d '{}' ]; do sleep 0.02; done\n",
                g.display(),
                dir.display()
            )
        })
        .unwrap_or_default();
    let wait = if fails {
        format!("{wait}echo 'the login was cancelled' >&2\nexit 1\n")
    } else {
        wait
    };
    testcluster::process::write_executable(
        &plugin,
        &format!(
            "#!/bin/sh\necho call >> '{}'\n{wait}printf '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"t\"}}}}'\n",
            calls.display()
        ),
    )
    .expect("the plugin");
    let kubeconfig = dir.join(format!("{name}-kubeconfig"));
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: {name}\n\
             clusters:\n- name: {name}\n  cluster:\n    server: {}\n\
             users:\n- name: {name}\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      interactiveMode: Never\n\
             contexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: {name}\n    namespace: default\n",
            server.url(),
            plugin.display()
        ),
    )
    .expect("kubeconfig");
    let imported = app
        .profiles
        .import(Some(kubeconfig.to_string_lossy().into_owned()), None, false)
        .await
        .expect("import");
    (imported[0].name.clone(), calls)
}

/// The first calls to a cluster at once (the last run's forwards and tabs start together) share
/// one client: its exec plugin runs once, not once a caller. Needs the keyring (the import).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_at_once_share_one_client_and_its_plugin_run() {
    use podterm_test_support::hostile::{self, Hostile};
    let f = app().await;
    let server = Hostile::start(hostile::default_reply)
        .await
        .expect("server");
    let mut counts = Vec::new();
    for (name, callers) in [("alone", 1), ("together", 6)] {
        let (profile, calls) = plugin_profile(&f.app, &server, name, None, false).await;
        futures_util::future::join_all((0..callers).map(|_| f.app.profiles.namespaces(&profile)))
            .await;
        counts.push(plugin_runs(&calls));
        let _ = f.app.delete_profile(&profile).await;
    }
    // Six callers at once run the plugin as often as one caller does.
    assert!(counts[0] > 0, "the plugin never ran");
    assert_eq!(counts[1], counts[0], "plugin runs: one caller, six at once");
}

/// Lets a held plugin go ([`plugin_kubeconfig`]'s `go`) when dropped: a failing test does not
/// leave it running, which its runtime would wait for.
struct LetGo(std::path::PathBuf);

impl LetGo {
    fn now(&self) {
        std::fs::write(&self.0, "").expect("go");
    }
}

impl Drop for LetGo {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.0, "");
    }
}

/// Runs of a plugin's file so far.
fn plugin_runs(calls: &std::path::Path) -> usize {
    std::fs::read_to_string(calls)
        .unwrap_or_default()
        .lines()
        .count()
}

/// Waits until the plugin whose file of runs is `calls` has run `n` times.
async fn plugin_ran(calls: &std::path::Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while plugin_runs(calls) < n {
        assert!(
            Instant::now() < deadline,
            "the plugin did not run {n} times"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A connect that fails (a credential plugin's login cancelled, a keyring unlock denied) fails
/// once for all the callers waiting for it: the plugin (or the unlock prompt) is not run again
/// for each of them in turn. A caller after it tries again. Needs the keyring (the import).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_connect_fails_once_for_the_callers_waiting_for_it() {
    use podterm_test_support::hostile::{self, Hostile};
    let f = app().await;
    let server = Hostile::start(hostile::default_reply)
        .await
        .expect("server");
    let mut runs = Vec::new();
    for (name, callers) in [("alone", 1), ("together", 6)] {
        let go = LetGo(server.dir().join(format!("go-{name}")));
        let (profile, calls) = plugin_profile(&f.app, &server, name, Some(&go.0), true).await;
        // The callers are polled first, so each has asked before the plugin is let go; then
        // its run fails.
        let (ended, ()) = tokio::join!(
            futures_util::future::join_all(
                (0..callers).map(|_| f.app.profiles.namespaces(&profile))
            ),
            async {
                plugin_ran(&calls, 1).await;
                go.now();
            }
        );
        for e in ended {
            let e = e.expect_err("a caller connected");
            assert_eq!(e.kind(), ErrorKind::Unreachable, "{e}");
            assert!(e.to_string().contains("the login was cancelled"), "{e}");
        }
        let once = plugin_runs(&calls);
        runs.push(once);
        // The next caller tries again.
        let _ = f.app.profiles.namespaces(&profile).await;
        assert!(
            plugin_runs(&calls) > once,
            "the plugin did not run for a new call"
        );
    }
    assert_eq!(runs[1], runs[0], "plugin runs: one caller, six at once");
}

/// A connect that takes longer than its callers wait (the app's CONNECT_WAIT, 60 s; here 300 ms)
/// is begun once more by the first of them to notice, and the others join that one: while both
/// hang, six callers at once have run the plugin twice, not once each, and begin no third.
/// Needs the keyring (the import).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_that_wait_too_long_begin_one_more_connect_between_them() {
    use podterm_test_support::hostile::{self, Hostile};
    let wait = Duration::from_millis(300);
    let f = app_with(Some(wait)).await;
    let server = Hostile::start(hostile::default_reply)
        .await
        .expect("server");
    let go = LetGo(server.dir().join("go-slow"));
    let (profile, calls) = plugin_profile(&f.app, &server, "slow", Some(&go.0), false).await;
    let (ended, ()) = tokio::join!(
        futures_util::future::join_all((0..6).map(|_| f.app.profiles.namespaces(&profile))),
        async {
            // The first connect, then the one begun when the callers' wait ran out.
            plugin_ran(&calls, 2).await;
            // Five more waits of the callers, with both connects hanging: none begins a third.
            tokio::time::sleep(wait * 5).await;
            assert_eq!(
                plugin_runs(&calls),
                2,
                "plugin runs while the connects hang"
            );
            go.now();
        }
    );
    // Each caller was answered (the server has no namespaces to list: its 404).
    assert_eq!(ended.len(), 6);
    for e in ended {
        let e = e.expect_err("the server lists no namespaces");
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    }
}

/// A caller that goes away while its connect is under way (a restored forward removed while its
/// cluster's plugin runs) leaves the connect running: the next caller shares it rather than
/// running the plugin again. Needs the keyring (the import).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connect_outlives_a_caller_that_went_away() {
    use podterm_test_support::hostile::{self, Hostile};
    let f = app().await;
    let server = Hostile::start(hostile::default_reply)
        .await
        .expect("server");
    let mut runs = Vec::new();
    for (name, leaves) in [("stays", false), ("leaves", true)] {
        let go = LetGo(server.dir().join(format!("go-{name}")));
        let (profile, calls) = plugin_profile(&f.app, &server, name, Some(&go.0), false).await;
        if leaves {
            let first = {
                let (profiles, name) = (f.app.profiles.clone(), profile.clone());
                tokio::spawn(async move { profiles.namespaces(&name).await })
            };
            plugin_ran(&calls, 1).await;
            first.abort();
            assert!(
                first.await.is_err_and(|e| e.is_cancelled()),
                "the first caller ended"
            );
        }
        // The next caller asks first (polled first), then the plugin is let go.
        let (next, ()) = tokio::join!(f.app.profiles.namespaces(&profile), async {
            plugin_ran(&calls, 1).await;
            go.now();
        });
        // The server answers the namespaces' list with a 404; the connect is what counts.
        let _ = next;
        runs.push(plugin_runs(&calls));
    }
    // One connect either way: the plugin ran as often as for a caller that stayed.
    assert_eq!(
        runs[1], runs[0],
        "plugin runs: a caller that stayed, one that left"
    );
}

/// A profile deleted while a connect of it is under way (its exec plugin still running) leaves
/// no client behind, and a call meanwhile does not share that connect: each call after the delete
/// says the profile is gone, rather than reaching the old server with the old settings. Needs the
/// keyring (the import).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_made_as_its_profile_is_deleted_is_not_kept() {
    use podterm_test_support::hostile::{self, Hostile};
    let f = app().await;
    let server = Hostile::start(hostile::default_reply)
        .await
        .expect("server");
    // The plugin answers once the test lets it.
    let go = LetGo(server.dir().join("go"));
    let (profile, calls) = plugin_profile(&f.app, &server, "held", Some(&go.0), false).await;
    let first = {
        let (profiles, name) = (f.app.profiles.clone(), profile.clone());
        tokio::spawn(async move { profiles.namespaces(&name).await })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(&calls)
        .unwrap_or_default()
        .is_empty()
    {
        assert!(Instant::now() < deadline, "the plugin never ran");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Deleted while its plugin runs. A call now does not wait for that connect, begun with
    // the old settings; then the plugin answers and that connect ends, and is not kept.
    f.app
        .profiles
        .delete(&profile)
        .await
        .expect("delete the profile");
    let gone = |ended: Result<Vec<String>, Error>| match ended {
        Err(e) => match e.root() {
            Error::NoProfile(name) => assert_eq!(name, &profile),
            other => panic!("after the profile was deleted: {other:?}"),
        },
        other => panic!("after the profile was deleted: {other:?}"),
    };
    gone(
        timeout(Duration::from_secs(20), f.app.profiles.namespaces(&profile))
            .await
            .expect("a call after the delete waited for the connect begun before it"),
    );
    go.now();
    let _ = first.await.expect("the first call");
    gone(f.app.profiles.namespaces(&profile).await);
}

/// A tab's "Connecting…" is bounded: against a server that never answers the pod lookup, the
/// session ends lost after the request timeout (podterm_core::exec::REQUEST_TIMEOUT, 30 s), in
/// words; and closing a connecting session (the tab's Cancel) drops its connection at once.
/// Before, the first tab stayed connecting forever. Needs the keyring (the import stores the
/// kubeconfig's token).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connecting_tab_gives_up_in_time_and_cancel_drops_the_connection() {
    use std::sync::atomic::Ordering;
    let f = app().await;
    let (server, asked, profile) = silent_cluster(&f.app).await;
    // Cancel: the session is closed while the server is silent; its connection goes.
    let mut tab = open(&f.app, &profile, "shell", Some(&["true"]));
    assert_eq!(tab.state().await, SessionState::Connecting);
    let deadline = Instant::now() + Duration::from_secs(20);
    while asked.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "the pod lookup never came");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    f.app.close_session(tab.id);
    assert_eq!(f.app.session_count(), 0);
    while server.silent_closed() == 0 {
        assert!(
            Instant::now() < deadline,
            "the cancelled session's connection is still open"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Left alone, a connecting tab gives up after the request timeout.
    let mut tab = open(&f.app, &profile, "shell", Some(&["true"]));
    assert_eq!(tab.state().await, SessionState::Connecting);
    let end = timeout(Duration::from_secs(90), tab.end(&f.app))
        .await
        .expect("a final state within 90 s (a liveness bound)");
    match end {
        SessionState::Lost { reason, .. } => {
            assert!(reason.contains("did not answer within 30 s"), "{reason}")
        }
        other => panic!("expected lost, got {other:?}"),
    }
}

/// A pod in the Demo cluster whose container `main` runs `script` under sh.
fn script_pod(name: &str, script: &str) -> testcluster::PodSpec {
    let mut p = testcluster::ClusterSpec::demo().pods[0].clone();
    p.name = name.into();
    p.labels = [("app".to_string(), name.to_string())].into();
    p.containers[0].command = vec!["sh".into(), "-c".into(), script.into()];
    p.containers[0].tty = false;
    p
}

/// A Logs view as the UI sees it: its output batches and its states.
struct LogsTab {
    id: u32,
    output: mpsc::UnboundedReceiver<Bytes>,
    states: mpsc::UnboundedReceiver<LogsState>,
}

fn open_logs(
    logs: &LogViews,
    profiles: &Profiles,
    pod: &str,
    tail: Option<u32>,
    workload: bool,
) -> LogsTab {
    let (out_tx, output) = mpsc::unbounded_channel();
    let (state_tx, states) = mpsc::unbounded_channel();
    let id = logs.open(
        profiles,
        OpenLogsRequest {
            profile: DEMO_NAME.into(),
            logs: LogsRequest {
                namespace: "demo".into(),
                pod: pod.into(),
                container: String::new(),
                previous: false,
                tail_lines: tail,
                workload,
            },
        },
        move |b| out_tx.send(b).is_ok(),
        move |s| {
            let _ = state_tx.send(s);
        },
    );
    LogsTab { id, output, states }
}

/// The Logs view's stream: the log in batches (never a message a line), every line once with its
/// timestamp, held at the high watermark while the view does not acknowledge, and the pod's
/// status and events beside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logs_view_streams_in_acknowledged_batches_beside_the_pod_s_events() {
    let f = app().await;
    let logs = LogViews::new();
    f.app
        .with_demo_cluster(|c| {
            c.apply_pod(script_pod(
                "counter",
                "seq 1 5000 | sed 's/^/line /'; exec sleep 300",
            ));
            c.apply_pod(script_pod("flood", "exec yes flooding"));
            let mut talky = script_pod("web-6b7f9c8d5-talky", "echo talky says hi; exec sleep 300");
            talky.labels = [
                ("app".to_string(), "web".to_string()),
                ("pod-template-hash".to_string(), "6b7f9c8d5".to_string()),
            ]
            .into();
            talky.owner = Some(testcluster::OwnerRef {
                kind: "ReplicaSet".into(),
                name: "web-6b7f9c8d5".into(),
            });
            c.apply_pod(talky);
        })
        .await
        .expect("the Demo cluster runs");

    // Every line once, in order, with its timestamp, in a few batches.
    let deadline = Instant::now() + Duration::from_secs(60);
    let (text, messages) = loop {
        let mut tab = open_logs(&logs, &f.app.profiles, "counter", None, false);
        let mut text = Vec::new();
        let mut messages = 0;
        let state = timeout(Duration::from_secs(30), tab.states.recv())
            .await
            .expect("a state")
            .expect("states open");
        if let LogsState::Failed { reason, .. } = &state {
            // The container may not have started yet: the API server's words, then again.
            assert!(Instant::now() < deadline, "never streamed: {reason}");
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        assert_eq!(
            state,
            LogsState::Streaming {
                container: "main".into()
            }
        );
        while !text.ends_with(b"line 5000\n") {
            let chunk = timeout(Duration::from_secs(30), tab.output.recv())
                .await
                .expect("the log's lines")
                .expect("output open");
            messages += 1;
            logs.ack(tab.id, chunk.len());
            text.extend_from_slice(&chunk);
        }
        logs.close(tab.id);
        break (String::from_utf8(text).expect("utf8"), messages);
    };
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5000, "{messages} messages");
    for (i, l) in lines.iter().enumerate() {
        let (stamp, rest) = l.split_once(' ').expect("a timestamp first");
        assert!(
            stamp.len() >= 20 && stamp.as_bytes()[10] == b'T' && stamp.ends_with('Z'),
            "an RFC 3339 timestamp first: {l:?}"
        );
        assert_eq!(rest, format!("line {}", i + 1));
    }
    assert!(
        messages * 10 <= lines.len(),
        "{messages} messages for {} lines: not batched",
        lines.len()
    );

    // A view that does not acknowledge holds the stream at the high watermark.
    let mut tab = open_logs(&logs, &f.app.profiles, "flood", Some(10), false);
    let mut received = 0usize;
    let bound = podterm_core::flow::HIGH_WATER + 2 * podterm_core::flow::MAX_BATCH;
    while received <= podterm_core::flow::HIGH_WATER {
        let chunk = timeout(Duration::from_secs(30), tab.output.recv())
            .await
            .expect("the flood flows")
            .expect("output open");
        received += chunk.len();
    }
    // Nothing more comes without an acknowledgement (the pump waits on its credit).
    while let Ok(Some(chunk)) = timeout(Duration::from_millis(700), tab.output.recv()).await {
        received += chunk.len();
        assert!(
            received <= bound,
            "{received} bytes without an acknowledgement"
        );
    }
    logs.ack(tab.id, received);
    let more = timeout(Duration::from_secs(30), tab.output.recv())
        .await
        .expect("output resumes after an acknowledgement")
        .expect("output open");
    assert!(!more.is_empty());
    logs.close(tab.id);
    assert_eq!(logs.count(), 0, "closed streams leave the registry");

    // The workload's log: every pod of the Deployment, each line prefixed.
    let mut tab = open_logs(&logs, &f.app.profiles, "web-6b7f9c8d5-talky", None, true);
    let state = timeout(Duration::from_secs(30), tab.states.recv())
        .await
        .expect("a state")
        .expect("states open");
    assert_eq!(
        state,
        LogsState::Streaming {
            container: "deployment/web".into()
        }
    );
    let mut text = String::new();
    while !text.contains(" talky says hi\n") {
        let chunk = timeout(Duration::from_secs(30), tab.output.recv())
            .await
            .expect("the workload's lines")
            .expect("output open");
        logs.ack(tab.id, chunk.len());
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let line = text
        .lines()
        .find(|l| l.ends_with(" talky says hi"))
        .expect("the line");
    assert!(
        line.starts_with("[pod/web-6b7f9c8d5-talky/main] 20"),
        "prefixed, then its timestamp: {line:?}"
    );
    logs.close(tab.id);

    // The pod's details and events.
    let d = podterm_desktop_lib::state::logs::pod_details(
        &f.app.profiles,
        DEMO_NAME,
        "demo",
        "counter",
    )
    .await
    .expect("details");
    assert_eq!(d.phase, "Running");
    assert_eq!(d.containers[0].name, "main");
    assert_eq!(d.containers[0].state, "Running");
    let reasons: Vec<&str> = d.events.iter().map(|e| e.reason.as_str()).collect();
    assert!(reasons.contains(&"Started"), "events: {reasons:?}");
    let e =
        podterm_desktop_lib::state::logs::pod_details(&f.app.profiles, DEMO_NAME, "demo", "nope")
            .await
            .expect_err("a missing pod");
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}

/// A copy's tab lists the copy in `copies.json` before making it; a run that dies without
/// deleting it (killed) leaves it there, and the next start offers it: deleted on request only
/// while it is still our copy (a pod that took its name is left alone), or kept; the Demo
/// cluster's copies ended with their run and are not offered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_a_killed_run_left_are_offered_at_the_next_start() {
    let f = app().await;
    let client = demo_client(&f.app).await;
    // A saved cluster (the Demo cluster's copies end with the app that started it).
    f.app
        .save_profile(demo_by_hand(&f.app, None, "ops", true).await)
        .await
        .expect("save");
    let ledger = tempfile::tempdir().expect("ledger dir");
    let run = App {
        sessions: Sessions::with_ledger(Some(ledger.path().to_path_buf())),
        ..f.app.clone()
    };
    assert_eq!(run.sessions.left_copies(), vec![]);
    let plan = run
        .plan_copy("ops", "demo", "shell", "")
        .await
        .expect("plan");
    let copy = Some(CopyRequest {
        name: plan.name.clone(),
        image: None,
    });
    let mut tab = open_with(&run, "ops", "shell", &plan.container, None, None, copy);
    assert_eq!(tab.state().await, SessionState::Connecting);
    assert_eq!(tab.state().await, SessionState::Connected);
    run.send_input(tab.id, Bytes::from_static(b"echo copied-$((40+2))\r"))
        .expect("input");
    tab.expect_output(&run, "copied-42").await;
    let made = MadeCopy {
        profile: "ops".into(),
        namespace: "demo".into(),
        name: plan.name.clone(),
        of: "shell".into(),
    };
    assert_eq!(
        podterm_core::madecopies::load(ledger.path()).expect("listed"),
        vec![made.clone()]
    );
    // A Demo tab's copy is listed nowhere.
    let demo_plan = run
        .plan_copy(DEMO_NAME, "demo", "shell", "")
        .await
        .expect("demo plan");
    let mut demo_tab = open_copy(&run, "shell", &demo_plan.container, &demo_plan.name);
    assert_eq!(demo_tab.state().await, SessionState::Connecting);
    assert_eq!(demo_tab.state().await, SessionState::Connected);
    assert_eq!(
        podterm_core::madecopies::load(ledger.path()).expect("listed"),
        vec![made.clone()]
    );
    // The run is killed: its sessions' connections end, nothing is deleted. What a run before
    // left of the Demo cluster, and a listed name another pod now has, are in the file too.
    run.close_session(tab.id);
    run.close_session(demo_tab.id);
    let demo_left = MadeCopy {
        profile: DEMO_NAME.into(),
        namespace: "demo".into(),
        name: demo_plan.name.clone(),
        of: "shell".into(),
    };
    let taken = MadeCopy {
        profile: "ops".into(),
        namespace: "".into(),
        name: "web-6b7f9c8d5-h2x4k".into(),
        of: "shell".into(),
    };
    podterm_core::madecopies::add(ledger.path(), &demo_left).expect("list");
    podterm_core::madecopies::add(ledger.path(), &taken).expect("list");
    assert!(pod_now(&client, &plan.name).await.is_some());
    // The next start offers the saved cluster's two, and drops the Demo's from the file.
    let next = Sessions::with_ledger(Some(ledger.path().to_path_buf()));
    assert_eq!(next.left_copies(), vec![made.clone(), taken.clone()]);
    assert_eq!(
        podterm_core::madecopies::load(ledger.path()).expect("listed"),
        vec![made.clone(), taken.clone()]
    );
    // A cluster that is not there: an error, and the copy stays offered.
    let nowhere = MadeCopy {
        profile: "gone".into(),
        ..made.clone()
    };
    podterm_core::madecopies::add(ledger.path(), &nowhere).expect("list");
    let later = Sessions::with_ledger(Some(ledger.path().to_path_buf()));
    let e = later
        .delete_left_copy(&f.app.profiles, nowhere.clone())
        .await
        .expect_err("no such cluster");
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(later.left_copies().contains(&nowhere));
    // Deleted on request: the copy goes, the pod that took a listed name stays.
    assert_eq!(
        next.delete_left_copy(&f.app.profiles, made.clone())
            .await
            .expect("delete"),
        Deleted::Deleted
    );
    wait_pod(&client, &plan.name, "deleted", |p| p.is_none()).await;
    assert_eq!(
        next.delete_left_copy(&f.app.profiles, taken.clone())
            .await
            .expect("not ours"),
        Deleted::NotOurs
    );
    assert!(pod_now(&client, "web-6b7f9c8d5-h2x4k").await.is_some());
    assert_eq!(next.left_copies(), vec![]);
    assert_eq!(
        podterm_core::madecopies::load(ledger.path()).expect("listed"),
        vec![nowhere.clone()]
    );
    // Kept: off the list, nothing deleted.
    later.keep_left_copies().await.expect("keep");
    assert_eq!(later.left_copies(), vec![]);
    assert_eq!(
        podterm_core::madecopies::load(ledger.path()).expect("listed"),
        vec![]
    );
    // A tab's copy asked in the profile's namespace is listed where it is; its tab's close
    // (delete_copy) takes it off the list.
    let plan = run.plan_copy("ops", "", "shell", "").await.expect("plan");
    let (out_tx, _output) = mpsc::unbounded_channel();
    let (state_tx, mut states) = mpsc::unbounded_channel();
    let id = run.open_session(
        OpenSessionRequest {
            profile: "ops".into(),
            terminal: TerminalRequest {
                namespace: "".into(),
                pod: "shell".into(),
                container: plan.container.clone(),
                command: None,
                cols: 100,
                rows: 30,
                debug: None,
                copy: Some(CopyRequest {
                    name: plan.name.clone(),
                    image: None,
                }),
            },
            socket: None,
        },
        move |b| out_tx.send(b).is_ok(),
        move |s| {
            let _ = state_tx.send(s);
        },
    );
    for want in [SessionState::Connecting, SessionState::Connected] {
        let got = timeout(Duration::from_secs(20), states.recv()).await;
        assert_eq!(got.ok().flatten(), Some(want));
    }
    assert_eq!(
        podterm_core::madecopies::load(ledger.path()).expect("listed"),
        vec![MadeCopy {
            profile: "ops".into(),
            namespace: "demo".into(),
            name: plan.name.clone(),
            of: "shell".into(),
        }]
    );
    run.close_session(id);
    run.delete_copy("ops", "", &plan.name, "shell")
        .await
        .expect("delete");
    wait_pod(&client, &plan.name, "deleted", |p| p.is_none()).await;
    assert_eq!(
        podterm_core::madecopies::load(ledger.path()).expect("listed"),
        vec![]
    );
    // The Demo tab's copy was never the file's: it is deleted as its tab's is.
    f.app
        .delete_copy(DEMO_NAME, "demo", &demo_plan.name, "shell")
        .await
        .expect("demo copy");
    wait_pod(&client, &demo_plan.name, "deleted", |p| p.is_none()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_on_a_node_runs_in_a_pod_deleted_with_its_tab() {
    let f = app().await;
    let client = demo_client(&f.app).await;
    // An unknown node: the API server's words, nothing planned.
    let e = f
        .app
        .plan_node_shell(DEMO_NAME, "", "nope", "busybox:1.36")
        .await
        .expect_err("no such node");
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(e.to_string().contains("nodes \"nope\" not found"), "{e}");
    // The plan: in the profile's namespace, a copy of node/NODE; nothing made yet.
    let plan = f
        .app
        .plan_node_shell(DEMO_NAME, "", "testnode", "busybox:1.36")
        .await
        .expect("plan");
    assert_eq!(
        (
            plan.namespace.as_str(),
            plan.pod.as_str(),
            plan.container.as_str(),
            plan.image.as_str()
        ),
        ("demo", "node/testnode", "debugger", "busybox:1.36")
    );
    assert!(plan.name.starts_with("node-debugger-testnode-"), "{plan:?}");
    assert!(pod_now(&client, &plan.name).await.is_none());
    // A tab on the node, in our pod `name` there.
    let open_node = |name: &str| {
        let copy = Some(CopyRequest {
            name: name.into(),
            image: Some("busybox:1.36".into()),
        });
        open_with(&f.app, DEMO_NAME, "node/testnode", "", None, None, copy)
    };
    let mut tab = open_node(&plan.name);
    assert_eq!(tab.state().await, SessionState::Connecting);
    assert_eq!(tab.state().await, SessionState::Connected);
    // In the node's network namespace: the node's host name.
    f.app
        .send_input(tab.id, Bytes::from_static(b"echo on-$HOSTNAME\r"))
        .expect("input");
    tab.expect_output(&f.app, "on-testnode").await;
    let made = pod_now(&client, &plan.name).await.expect("the node's pod");
    assert_eq!(
        made.metadata
            .annotations
            .unwrap_or_default()
            .get(podterm_core::podcopy::COPY_OF)
            .map(String::as_str),
        Some("node/testnode")
    );
    let spec = made.spec.expect("spec");
    assert_eq!(spec.node_name.as_deref(), Some("testnode"));
    assert_eq!((spec.host_pid, spec.host_network), (Some(true), Some(true)));
    let uid = made.metadata.uid.clone().expect("uid");
    // A second tab on it (a reconnect) reuses it; its exit ends its own shell only.
    let mut again = open_node(&plan.name);
    assert_eq!(again.state().await, SessionState::Connecting);
    assert_eq!(again.state().await, SessionState::Connected);
    f.app
        .send_input(again.id, Bytes::from_static(b"exit 4\r"))
        .expect("input");
    assert_eq!(again.end(&f.app).await, exited(4));
    let still = pod_now(&client, &plan.name).await.expect("still there");
    assert_eq!(
        still.metadata.uid.as_deref(),
        Some(uid.as_str()),
        "made again"
    );
    // A pod of the planned name that is not ours: neither used nor deleted.
    let mut foreign = open_node("shell");
    assert_eq!(foreign.state().await, SessionState::Connecting);
    let end = foreign.end(&f.app).await;
    assert!(
        matches!(&end, SessionState::Lost { reason, .. } if reason.contains("pod \"shell\" exists and is not Podterm's pod for a shell on node \"testnode\"")),
        "{end:?}"
    );
    f.app
        .delete_copy(DEMO_NAME, "demo", "shell", "node/testnode")
        .await
        .expect("not ours: left alone");
    assert!(
        pod_now(&client, "shell").await.is_some(),
        "a pod not ours was deleted"
    );
    // The tab closes: its pod is deleted.
    f.app.close_session(tab.id);
    f.app
        .delete_copy(DEMO_NAME, "demo", &plan.name, "node/testnode")
        .await
        .expect("delete");
    wait_pod(&client, &plan.name, "gone", |p| p.is_none()).await;
    // Our pod on the node ends while a tab runs in it (its own shell exited; restartPolicy
    // Never, so for good): the tab's shell ends with it, and its Reconnect (a tab on the same
    // pod) makes the pod again under its name.
    let ended = "node-debugger-testnode-ended";
    let mut tab = open_node(ended);
    assert_eq!(tab.state().await, SessionState::Connecting);
    assert_eq!(tab.state().await, SessionState::Connected);
    f.app
        .send_input(tab.id, Bytes::from_static(b"echo up-$((6*7))\r"))
        .expect("input");
    tab.expect_output(&f.app, "up-42").await;
    let old = pod_now(&client, ended).await.and_then(|p| p.metadata.uid);
    end_main_shell(&client, ended, "debugger").await;
    assert_eq!(tab.end(&f.app).await, exited(137));
    wait_pod(&client, ended, "ended", pod_finished).await;
    let mut back = open_node(ended);
    assert_eq!(back.state().await, SessionState::Connecting);
    assert_eq!(back.state().await, SessionState::Connected);
    f.app
        .send_input(back.id, Bytes::from_static(b"echo again-$((6*7))\r"))
        .expect("input");
    back.expect_output(&f.app, "again-42").await;
    let new = pod_now(&client, ended).await.and_then(|p| p.metadata.uid);
    assert!(
        new.is_some() && new != old,
        "not made again: {old:?} {new:?}"
    );
    f.app.close_session(back.id);
    f.app
        .delete_copy(DEMO_NAME, "demo", ended, "node/testnode")
        .await
        .expect("delete");
}

/// The tab's start: refused before connecting, its reason beginning `words`, with a copy of the
/// pod's `container` offered.
async fn offers_copy(tab: &mut Tab, container: &str, words: &str) {
    assert_eq!(tab.state().await, SessionState::Connecting);
    match tab.state().await {
        SessionState::Lost {
            reason, crashing, ..
        } => {
            assert_eq!(crashing.as_deref(), Some(container), "{reason}");
            assert!(
                reason.starts_with(words) && reason.contains("Debug a copy of the pod"),
                "{reason}"
            );
        }
        other => panic!("not lost: {other:?}"),
    }
}

/// A tab in the shell copy `name` of `pod`'s `container`, connected.
async fn connected_copy(app: &App, pod: &str, container: &str, name: &str) -> Tab {
    let mut tab = open_copy(app, pod, container, name);
    assert_eq!(tab.state().await, SessionState::Connecting);
    assert_eq!(tab.state().await, SessionState::Connected);
    tab
}

/// A Job's pod that has completed runs nothing to open a shell in: the tab says so in kubectl's
/// words and offers a copy, whose container runs a shell instead. The copy never restarts (the
/// Job's restartPolicy): once it has ended, the tab's Reconnect makes it again from the
/// original, and with the original gone the ended copy is kept, not deleted for nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_pod_is_entered_through_a_copy_made_again_once_it_ends() {
    let f = app().await;
    let client = demo_client(&f.app).await;
    let job = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": "job-once", "namespace": "demo" },
        "spec": {
            "restartPolicy": "Never",
            "containers": [{ "name": "work", "image": "busybox:1.36", "command": ["sh", "-c", "echo working; exit 2"] }],
        },
    });
    podterm_core::podcopy::create(&client, "demo", &job, None)
        .await
        .expect("create the job's pod");
    wait_pod(&client, "job-once", "completed", pod_finished).await;
    let mut tab = open(&f.app, DEMO_NAME, "job-once", None);
    offers_copy(
        &mut tab,
        "work",
        "cannot exec into a container in a completed pod; current phase is Failed",
    )
    .await;
    let plan = f
        .app
        .plan_copy(DEMO_NAME, "demo", "job-once", "work")
        .await
        .expect("plan");
    let mut copy = connected_copy(&f.app, "job-once", "work", &plan.name).await;
    f.app
        .send_input(copy.id, Bytes::from_static(b"echo in-copy-$((40+2))\r"))
        .expect("input");
    copy.expect_output(&f.app, "in-copy-42").await;
    let made = pod_now(&client, &plan.name).await.expect("the copy");
    assert_eq!(
        made.spec.and_then(|s| s.restart_policy).as_deref(),
        Some("Never")
    );
    // The copy's own shell ends: so does the tab's, and the copy has ended for good.
    end_main_shell(&client, &plan.name, "work").await;
    assert_eq!(copy.end(&f.app).await, exited(137));
    wait_pod(&client, &plan.name, "ended", pod_finished).await;
    // Reconnect: the copy made again from the original, under its name.
    let mut back = connected_copy(&f.app, "job-once", "work", &plan.name).await;
    f.app
        .send_input(back.id, Bytes::from_static(b"echo again-$((6*7))\r"))
        .expect("input");
    back.expect_output(&f.app, "again-42").await;
    let again = pod_now(&client, &plan.name).await.expect("made again");
    assert_ne!(again.metadata.uid, made.metadata.uid, "not made again");
    // Ended again, with the original gone: nothing to make it from, and the ended copy stays.
    end_main_shell(&client, &plan.name, "work").await;
    assert_eq!(back.end(&f.app).await, exited(137));
    wait_pod(&client, &plan.name, "ended", pod_finished).await;
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "demo");
    pods.delete("job-once", &Default::default())
        .await
        .expect("delete the original");
    wait_pod(&client, "job-once", "deleted", |p| p.is_none()).await;
    let mut last = open_copy(&f.app, "job-once", "work", &plan.name);
    assert_eq!(last.state().await, SessionState::Connecting);
    match last.end(&f.app).await {
        SessionState::Lost { reason, .. } => assert!(
            reason.contains(&format!("the copy \"{}\" has ended, and the pod \"job-once\" it was made from is gone, so it cannot be made again; closing this tab deletes it", plan.name)),
            "{reason}"
        ),
        other => panic!("not lost: {other:?}"),
    }
    let kept = pod_now(&client, &plan.name)
        .await
        .expect("the ended copy kept");
    assert_eq!(kept.metadata.uid, again.metadata.uid);
    f.app
        .delete_copy(DEMO_NAME, "demo", &plan.name, "job-once")
        .await
        .expect("delete");
    wait_pod(&client, &plan.name, "gone", |p| p.is_none()).await;
    // A Job's pod with a sidecar: the copy's shell ends and the sidecar keeps the copy
    // running; its shell's container is over all the same, and Reconnect makes it again.
    let job = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": "job-side", "namespace": "demo" },
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                { "name": "work", "image": "busybox:1.36", "command": ["sh", "-c", "exit 0"] },
                { "name": "side", "image": "busybox:1.36", "command": ["sleep", "3600"] },
            ],
        },
    });
    podterm_core::podcopy::create(&client, "demo", &job, None)
        .await
        .expect("create the pod with a sidecar");
    let work_ended = |p: Option<&k8s_openapi::api::core::v1::Pod>| {
        let statuses = p.and_then(|p| p.status.as_ref()?.container_statuses.clone());
        statuses
            .unwrap_or_default()
            .iter()
            .any(|c| c.name == "work" && c.state.as_ref().is_some_and(|s| s.terminated.is_some()))
    };
    // Its own tab: the container has ended for good, the pod runs on; the copy is offered.
    wait_pod(&client, "job-side", "its work done", work_ended).await;
    let mut tab = open_in(&f.app, DEMO_NAME, "job-side", "work", None, None);
    offers_copy(&mut tab, "work", "container \"work\" of pod \"job-side\" has ended (Completed, exit code 0) and is never restarted, so there is nothing running to open a shell in").await;
    let plan = f
        .app
        .plan_copy(DEMO_NAME, "demo", "job-side", "work")
        .await
        .expect("plan");
    let mut copy = connected_copy(&f.app, "job-side", "work", &plan.name).await;
    let made = pod_now(&client, &plan.name).await.expect("the copy");
    end_main_shell(&client, &plan.name, "work").await;
    assert_eq!(copy.end(&f.app).await, exited(137));
    wait_pod(&client, &plan.name, "its shell ended", work_ended).await;
    let phase = pod_now(&client, &plan.name)
        .await
        .and_then(|p| p.status?.phase);
    assert_eq!(
        phase.as_deref(),
        Some("Running"),
        "the sidecar keeps it running"
    );
    let mut back = connected_copy(&f.app, "job-side", "work", &plan.name).await;
    f.app
        .send_input(back.id, Bytes::from_static(b"echo side-$((6*7))\r"))
        .expect("input");
    back.expect_output(&f.app, "side-42").await;
    let again = pod_now(&client, &plan.name).await.expect("made again");
    assert_ne!(again.metadata.uid, made.metadata.uid, "not made again");
    f.app.close_session(back.id);
    f.app
        .delete_copy(DEMO_NAME, "demo", &plan.name, "job-side")
        .await
        .expect("delete");
    wait_pod(&client, &plan.name, "gone", |p| p.is_none()).await;
}

/// Creates pod JSON in the Demo cluster's `demo` namespace through the API.
async fn create_pod(client: &kube::Client, json: &str) {
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "demo");
    let pod: k8s_openapi::api::core::v1::Pod = serde_json::from_str(json).expect("pod json");
    pods.create(&Default::default(), &pod)
        .await
        .expect("create pod");
}

/// The first change of the forwards list that passes `ok`, within 30 s.
async fn forward_change(
    rx: &mut mpsc::UnboundedReceiver<podterm_desktop_lib::ipc::ForwardInfo>,
    what: &str,
    ok: impl Fn(&podterm_desktop_lib::ipc::ForwardInfo) -> bool,
) -> podterm_desktop_lib::ipc::ForwardInfo {
    loop {
        let f = timeout(Duration::from_secs(30), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no change: {what}"))
            .expect("the listener");
        if ok(&f) {
            return f;
        }
    }
}

/// A port forward in the app: checked as kubectl checks (the pod running, its named port, the
/// pod there), then a loopback port (another when the pod's number is taken here) whose
/// connections reach the pod's server both ways; a refused connection is reported and the
/// forward goes on; Stop closes the port; the pod deleted ends the forward in words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_forward_reaches_the_pod_and_ends_with_it() {
    use podterm_desktop_lib::ipc::{ForwardRequest, ForwardState};
    use podterm_desktop_lib::state::Forwards;
    use podterm_test_support::portforward::{echo, echo_pod, free_port, greet};
    let f = app().await;
    let app = &f.app;
    let client = demo_client(app).await;
    let port = free_port();
    create_pod(
        &client,
        &echo_pod("demo", "fwd", port, serde_json::json!({})),
    )
    .await;
    podterm_test_support::portforward::listening(port, true).await;
    let forwards = Forwards::new();
    let (tx, mut rx) = mpsc::unbounded_channel();
    forwards.listen(move |f| tx.send(f).is_ok());
    // The tray's list: told when a forward starts, ends or goes, never for its counts.
    let lists = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    forwards.on_list_change({
        let lists = lists.clone();
        move || {
            lists.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let listed = || lists.load(std::sync::atomic::Ordering::SeqCst);
    let req = |pod: &str, remote: &str| ForwardRequest {
        profile: DEMO_NAME.into(),
        namespace: "demo".into(),
        pod: pod.into(),
        remote: remote.into(),
        local: None,
        service: None,
    };
    // Refusals, each in kubectl's words, nothing listening after them.
    let e = forwards
        .start(&app.profiles, req("nope", "80"))
        .await
        .expect_err("no pod");
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = forwards
        .start(&app.profiles, req("fwd", "grpc"))
        .await
        .expect_err("no such port");
    assert_eq!(
        (e.kind(), e.to_string()),
        (
            ErrorKind::NotFound,
            "Pod 'fwd' does not have a named port 'grpc'".to_string()
        )
    );
    let e = forwards
        .start(&app.profiles, req("fwd", "0"))
        .await
        .expect_err("port 0");
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let pending = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"fwd-pending","namespace":"demo"},"spec":{"containers":[{"name":"app","image":"testcluster.local/never:1"}]}}"#;
    create_pod(&client, pending).await;
    let e = forwards
        .start(&app.profiles, req("fwd-pending", "80"))
        .await
        .expect_err("pending");
    assert_eq!(
        (e.kind(), e.to_string()),
        (
            ErrorKind::Refused,
            "unable to forward port because pod is not running. Current status=Pending".to_string()
        )
    );
    assert!(forwards.list().is_empty());

    let mut viewer = req("fwd", "echo");
    viewer.profile = DEMO_VIEWER_NAME.into();
    let e = forwards
        .start(&app.profiles, viewer)
        .await
        .expect_err("the viewer");
    assert_eq!(e.kind(), ErrorKind::Refused, "{e}");
    assert!(
        e.to_string().starts_with("pods \"fwd\" is forbidden"),
        "{e}"
    );
    assert!(forwards.list().is_empty());

    // By its name: the pod's port number is taken here (its server runs on this computer), so
    // another local port is chosen.
    let info = forwards
        .start(&app.profiles, req("fwd", "echo"))
        .await
        .expect("forward");
    assert_eq!(
        (info.remote, info.state.clone()),
        (port, ForwardState::Listening)
    );
    assert!(
        info.local != port && info.local != 0,
        "local {}",
        info.local
    );
    let payload: Vec<u8> = (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect();
    let (hello, back) = echo(info.local, &payload).await;
    assert_eq!(hello, "hello from fwd");
    assert!(back == payload, "the echo differs");
    let seen = forward_change(&mut rx, "the connection ended", |f| {
        f.connections == 1 && f.open == 0
    })
    .await;
    assert_eq!(seen.error, None);
    // Its own port taken is said, and leaves the first forward alone.
    let mut taken = req("fwd", "echo");
    taken.local = Some(info.local);
    let e = forwards
        .start(&app.profiles, taken)
        .await
        .expect_err("taken");
    assert_eq!(e.kind(), ErrorKind::Local, "{e}");
    assert!(
        e.to_string().contains(&format!("127.0.0.1:{}", info.local))
            && e.to_string()
                .ends_with(": choose another local port, or leave it empty for a free one"),
        "{e}"
    );

    // A port nothing listens on in the pod: each connection is refused in the node's words, and
    // the forward goes on.
    let silent = free_port();
    let quiet = forwards
        .start(&app.profiles, req("fwd", &silent.to_string()))
        .await
        .expect("forward");
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", quiet.local))
        .await
        .expect("connect");
    let mut rest = Vec::new();
    let _ = tokio::io::AsyncReadExt::read_to_end(&mut s, &mut rest).await;
    assert!(rest.is_empty());
    let failed = forward_change(&mut rx, "the refusal", |f| {
        f.id == quiet.id && f.error.is_some()
    })
    .await;
    let words = failed.error.unwrap_or_default();
    assert!(
        words.contains(&format!("error forwarding port {silent} to pod fwd"))
            && words.contains("connection refused"),
        "{words}"
    );
    // A burst of connections (a load test, a browser's page): the counts reach the page in a
    // few events, the last of them with every connection counted and none open.
    let before_burst = listed();
    assert!(
        before_burst >= 2,
        "two forwards started, the tray told {before_burst} times"
    );
    let burst: Vec<_> = (0..40)
        .map(|_| {
            tokio::spawn(async move {
                if let Ok(mut s) = tokio::net::TcpStream::connect(("127.0.0.1", quiet.local)).await
                {
                    let mut rest = Vec::new();
                    let _ = tokio::io::AsyncReadExt::read_to_end(&mut s, &mut rest).await;
                }
            })
        })
        .collect();
    for b in burst {
        b.await.expect("a connection of the burst");
    }
    forward_change(&mut rx, "the burst counted", |f| {
        f.id == quiet.id && f.connections == 41 && f.open == 0
    })
    .await;
    assert_eq!(
        listed(),
        before_burst,
        "connection counts rebuilt the tray's list"
    );
    // Stop: the port closes, and the forward is forgotten.
    forwards.stop(quiet.id).expect("stop");
    assert_eq!(
        listed(),
        before_burst + 1,
        "Stop did not tell the tray's list"
    );
    podterm_test_support::portforward::listening(quiet.local, false).await;
    assert!(matches!(forwards.stop(quiet.id), Err(Error::NoForward(_))));
    assert_eq!(
        forwards.list().iter().map(|f| f.id).collect::<Vec<_>>(),
        vec![info.id]
    );

    // Stop ends the connections it carries, not only the port: a held one gets its end.
    let held = forwards
        .start(&app.profiles, req("fwd", "echo"))
        .await
        .expect("forward");
    let (hello, mut open) = greet(held.local).await;
    assert_eq!(hello, "hello from fwd");
    forward_change(&mut rx, "the held connection", |f| {
        f.id == held.id && f.open == 1
    })
    .await;
    forwards.stop(held.id).expect("stop");
    let mut after = Vec::new();
    let end = timeout(
        Duration::from_secs(30),
        tokio::io::AsyncReadExt::read_to_end(&mut open, &mut after),
    )
    .await
    .expect("the held connection ends with the forward");
    assert!(after.is_empty() || end.is_err(), "{after:?}");

    // The pod deleted: the forward ends saying so, and its port closes.
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "demo");
    pods.delete("fwd", &Default::default())
        .await
        .expect("delete");
    let ended = forward_change(&mut rx, "the end", |f| {
        f.id == info.id && f.state != ForwardState::Listening
    })
    .await;
    assert_eq!(
        ended.state,
        ForwardState::Ended {
            reason: "the pod fwd is being deleted".into()
        }
    );
    podterm_test_support::portforward::listening(info.local, false).await;
    assert_eq!(
        forwards.list().len(),
        1,
        "an ended forward stays listed until removed"
    );
    forwards.stop(info.id).expect("remove");
    assert!(forwards.list().is_empty());
}

/// A forward to a Deployment's pod follows the Deployment: when its pod is deleted (a rollout),
/// the newest Ready pod of the Deployment takes the next connections, on its own port of that
/// name; the row says where it moved and why. The local port stays the same. (The wait for a
/// next pod, and a StatefulSet's, are the real window's test: tests/app/app.mjs.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_forward_follows_its_deployment_to_the_next_pod() {
    use podterm_desktop_lib::ipc::{ForwardRequest, ForwardState};
    use podterm_desktop_lib::state::Forwards;
    use podterm_test_support::portforward::{free_port, greet, web_echo_pod};
    let f = app().await;
    let app = &f.app;
    let client = demo_client(app).await;
    // Pods of the demo's Deployment `web` (its ReplicaSet web-6b7f9c8d5), each with its own
    // server: both run on this computer, so each has its own port, named `echo` in both.
    let (first, second) = (free_port(), free_port());
    create_pod(&client, &web_echo_pod("web-6b7f9c8d5-old01", first)).await;
    podterm_test_support::portforward::listening(first, true).await;
    let forwards = Forwards::new();
    let (tx, mut rx) = mpsc::unbounded_channel();
    forwards.listen(move |f| tx.send(f).is_ok());
    let info = forwards
        .start(
            &app.profiles,
            ForwardRequest {
                profile: DEMO_NAME.into(),
                namespace: "demo".into(),
                pod: "web-6b7f9c8d5-old01".into(),
                remote: "echo".into(),
                local: None,
                service: None,
            },
        )
        .await
        .expect("forward");
    assert_eq!(
        (info.workload.as_deref(), info.remote, info.note.as_deref()),
        (Some("deployment/web"), first, None)
    );
    assert_eq!(greet(info.local).await.0, "hello from web-6b7f9c8d5-old01");

    // A rollout: the next pod is Ready, then the old one is deleted.
    create_pod(&client, &web_echo_pod("web-6b7f9c8d5-new02", second)).await;
    podterm_test_support::portforward::listening(second, true).await;
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "demo");
    pods.delete("web-6b7f9c8d5-old01", &Default::default())
        .await
        .expect("delete");
    // The next pod is there already: no wait, the first word of it is the move.
    let moved = forward_change(&mut rx, "the move", |f| f.id == info.id && f.note.is_some()).await;
    assert_eq!(
        (
            moved.pod.as_str(),
            moved.remote,
            moved.local,
            moved.state.clone(),
            moved.note.as_deref()
        ),
        (
            "web-6b7f9c8d5-new02",
            second,
            info.local,
            ForwardState::Listening,
            Some("moved from web-6b7f9c8d5-old01: the pod web-6b7f9c8d5-old01 is being deleted")
        )
    );
    assert!(moved.revision > info.revision);
    assert_eq!(greet(info.local).await.0, "hello from web-6b7f9c8d5-new02");
    forwards.stop(info.id).expect("stop");
    podterm_test_support::portforward::listening(info.local, false).await;
    pods.delete("web-6b7f9c8d5-new02", &Default::default())
        .await
        .expect("delete");
}

/// Between two pods (a followed workload waiting for its next one), a forward takes no
/// connection: a client that connects meanwhile waits in the listen queue, and once the next
/// pod is known its connection reaches it, bytes it wrote while waiting included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_between_pods_holds_new_connections_for_the_next() {
    use podterm_core::portforward::{serve, Destination, Served};
    use podterm_test_support::portforward::{echo_pod, free_port, listening};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let f = app().await;
    let client = demo_client(&f.app).await;
    let port = free_port();
    create_pod(
        &client,
        &echo_pod("demo", "held", port, serde_json::json!({})),
    )
    .await;
    listening(port, true).await;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("listen");
    let local = listener.local_addr().expect("addr").port();
    let (tx, rx) = tokio::sync::watch::channel(None);
    let opened = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = opened.clone();
    let report: std::sync::Arc<dyn Fn(Served) + Send + Sync> =
        std::sync::Arc::new(move |s: Served| {
            if matches!(s, Served::Opened) {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        });
    let (lost, _told) = tokio::sync::mpsc::channel(1);
    let serving = tokio::spawn(serve(
        client.clone(),
        "demo".into(),
        rx,
        listener,
        podterm_core::exec::Tuning::default(),
        report,
        lost,
    ));
    let mut held = tokio::net::TcpStream::connect(("127.0.0.1", local))
        .await
        .expect("the listen queue takes it");
    held.write_all(b"ping-7\n").await.expect("write");
    // Taken now, it would have been closed (there was nowhere to carry it): its answer below
    // shows it waited.
    tx.send_replace(Some(Destination {
        pod: "held".into(),
        uid: String::new(),
        remote: port,
    }));
    let want = b"hello from held\nping-7\n";
    let mut got = vec![0u8; want.len()];
    timeout(Duration::from_secs(30), held.read_exact(&mut got))
        .await
        .expect("the answer within 30 s")
        .expect("read");
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));
    assert_eq!(opened.load(Ordering::SeqCst), 1);
    serving.abort();
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "demo");
    pods.delete("held", &Default::default())
        .await
        .expect("delete");
}

/// A connection that finds its pod gone before the forward's watch says so (a watch broken and
/// not yet resumed, or a slow one) is not closed, as kubectl's would be: the forward looks at
/// the pod, moves to the workload's next pod at once, and the connection goes there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_finds_its_pod_gone_goes_to_the_next_one() {
    use podterm_desktop_lib::state::Forwards;
    use podterm_test_support::portforward::{free_port, greet, listening, web_echo_pod};
    let f = app().await;
    let app = &f.app;
    let client = demo_client(app).await;
    let (first, second) = (free_port(), free_port());
    create_pod(&client, &web_echo_pod("web-6b7f9c8d5-lost1", first)).await;
    listening(first, true).await;
    let forwards = Forwards::new();
    let (tx, mut rx) = mpsc::unbounded_channel();
    forwards.listen(move |f| tx.send(f).is_ok());
    let info = forwards
        .start(&app.profiles, echo_forward("web-6b7f9c8d5-lost1"))
        .await
        .expect("forward");
    assert_eq!(info.workload.as_deref(), Some("deployment/web"));
    assert_eq!(greet(info.local).await.0, "hello from web-6b7f9c8d5-lost1");
    create_pod(&client, &web_echo_pod("web-6b7f9c8d5-next2", second)).await;
    listening(second, true).await;

    // The forward's watch hears nothing more, and its pod goes.
    let hold = |on: bool| {
        app.profiles
            .with_demo_cluster(move |c| c.hold_pod_watches(on))
    };
    hold(true).await.expect("the Demo cluster runs");
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "demo");
    pods.delete("web-6b7f9c8d5-lost1", &Default::default())
        .await
        .expect("delete");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while pods
        .get_opt("web-6b7f9c8d5-lost1")
        .await
        .expect("get")
        .is_some()
    {
        assert!(std::time::Instant::now() < deadline, "the pod stays");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(greet(info.local).await.0, "hello from web-6b7f9c8d5-next2");
    let moved = forward_change(&mut rx, "the move", |f| {
        f.id == info.id && f.pod == "web-6b7f9c8d5-next2"
    })
    .await;
    assert_eq!(
        moved.note.as_deref(),
        Some("moved from web-6b7f9c8d5-lost1: the pod web-6b7f9c8d5-lost1 was deleted")
    );
    hold(false).await.expect("the Demo cluster runs");
    forwards.stop_all();
    pods.delete("web-6b7f9c8d5-next2", &Default::default())
        .await
        .expect("delete");
}

/// Start again on a pod that is not Ready (its saved pod gone): the row says why it moved and
/// that the pod is not Ready; once it is, only why it moved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_started_again_on_a_pod_not_ready_keeps_why_it_moved() {
    use podterm_desktop_lib::ipc::ForwardState;
    use podterm_desktop_lib::state::Forwards;
    use podterm_test_support::portforward::{free_port, greet, listening, web_echo_pod};
    let f = app().await;
    let app = &f.app;
    let client = demo_client(app).await;
    let dir = tempfile::tempdir().expect("dir");
    let (first, second) = (free_port(), free_port());
    create_pod(&client, &web_echo_pod("web-6b7f9c8d5-sag01", first)).await;
    listening(first, true).await;
    let before = Forwards::saving_in(Some(dir.path().to_path_buf()), true);
    let info = before
        .start(&app.profiles, echo_forward("web-6b7f9c8d5-sag01"))
        .await
        .expect("forward");
    before.stop_all();
    listening(info.local, false).await;
    // At the next start its local port is held: it cannot start again, and waits for Start
    // again.
    let holder =
        std::net::TcpListener::bind(("127.0.0.1", info.local)).expect("hold the local port");
    let after = Forwards::saving_in(Some(dir.path().to_path_buf()), true);
    let back = after.restore(&app.profiles).await;
    assert!(
        back.len() == 1
            && back[0].restartable
            && matches!(back[0].state, ForwardState::Ended { .. }),
        "{back:?}"
    );
    // Meanwhile its pod goes, and the workload's next one runs but is not Ready.
    create_pod(&client, &web_echo_pod("web-6b7f9c8d5-sag02", second)).await;
    listening(second, true).await;
    let set_ready = |ready: bool| {
        app.profiles
            .with_demo_cluster(move |c| assert!(c.set_ready("demo", "web-6b7f9c8d5-sag02", ready)))
    };
    set_ready(false).await.expect("the Demo cluster runs");
    // The Demo cluster's own pods of `web` are not Ready either.
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "demo");
    let demo_web: Vec<String> = pods
        .list(&Default::default())
        .await
        .expect("pods")
        .items
        .into_iter()
        .filter_map(|p| p.metadata.name)
        .filter(|n| n.starts_with("web-6b7f9c8d5-") && !n.contains("-sag"))
        .collect();
    assert!(!demo_web.is_empty());
    app.profiles
        .with_demo_cluster(move |c| {
            for name in &demo_web {
                assert!(c.set_ready("demo", name, false));
            }
        })
        .await
        .expect("the Demo cluster runs");
    delete_pod_gone(&client, "web-6b7f9c8d5-sag01").await;
    drop(holder);
    let (tx, mut rx) = mpsc::unbounded_channel();
    after.listen(move |f| tx.send(f).is_ok());
    let again = after
        .start_again(&app.profiles, back[0].id)
        .await
        .expect("started again");
    let moved = "moved from web-6b7f9c8d5-sag01: the pod web-6b7f9c8d5-sag01 was gone at the start";
    let note = again.note.clone().unwrap_or_default();
    assert!(
        note.starts_with(&format!(
            "{moved}; No Ready pod for deployment/web; using web-6b7f9c8d5-sag02 (not Ready: "
        )),
        "{note}"
    );
    assert_eq!(greet(again.local).await.0, "hello from web-6b7f9c8d5-sag02");
    set_ready(true).await.expect("the Demo cluster runs");
    forward_change(&mut rx, "the pod Ready", |f| {
        f.id == again.id && f.note.as_deref() == Some(moved)
    })
    .await;
    after.stop_all();
    delete_pod_gone(&client, "web-6b7f9c8d5-sag02").await;
}

/// A forward to the Demo cluster's pod `demo/POD`, its port named `echo`, on any local port.
fn echo_forward(pod: &str) -> podterm_desktop_lib::ipc::ForwardRequest {
    podterm_desktop_lib::ipc::ForwardRequest {
        profile: DEMO_NAME.into(),
        namespace: "demo".into(),
        pod: pod.into(),
        remote: "echo".into(),
        local: None,
        service: None,
    }
}

/// Makes a pod of Deployment `web` (`web_pod`) and a pod nothing owns (`bare_pod`), each serving
/// on a free port, and starts a forward to each in `forwards`, web's first.
async fn forward_web_and_bare(
    app: &App,
    client: &kube::Client,
    forwards: &podterm_desktop_lib::state::Forwards,
    web_pod: &str,
    bare_pod: &str,
) -> (
    podterm_desktop_lib::ipc::ForwardInfo,
    podterm_desktop_lib::ipc::ForwardInfo,
) {
    use podterm_test_support::portforward::{echo_pod, free_port, listening, web_echo_pod};
    let (first, bare) = (free_port(), free_port());
    create_pod(client, &web_echo_pod(web_pod, first)).await;
    create_pod(
        client,
        &echo_pod("demo", bare_pod, bare, serde_json::json!({})),
    )
    .await;
    listening(first, true).await;
    listening(bare, true).await;
    let web = forwards
        .start(&app.profiles, echo_forward(web_pod))
        .await
        .expect("forward");
    let other = forwards
        .start(&app.profiles, echo_forward(bare_pod))
        .await
        .expect("forward");
    (web, other)
}

/// Deletes pod `demo/NAME` and waits until it is gone.
async fn delete_pod_gone(client: &kube::Client, name: &str) {
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "demo");
    pods.delete(name, &Default::default())
        .await
        .expect("delete");
    wait_pod(client, name, "gone", |p| p.is_none()).await;
}

/// The app's forwards start again after a restart, each on its local port: a Deployment's
/// forward whose pod a rollout replaced meanwhile comes back on the newest Ready pod; one whose
/// pod is gone with nothing to follow is listed as ended, saying why, and stays saved (its
/// cluster may only be unreachable) until removed; Start again retries it, on its local port.
/// Quitting forgets nothing; Stop forgets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_forwards_start_again_after_a_restart() {
    use podterm_core::savedforwards;
    use podterm_desktop_lib::ipc::ForwardState;
    use podterm_desktop_lib::state::Forwards;
    use podterm_test_support::portforward::{echo_pod, free_port, greet, listening, web_echo_pod};
    let f = app().await;
    let app = &f.app;
    let client = demo_client(app).await;
    let dir = tempfile::tempdir().expect("dir");
    let second = free_port();
    let before = Forwards::saving_in(Some(dir.path().to_path_buf()), true);
    let (web, solo) =
        forward_web_and_bare(app, &client, &before, "web-6b7f9c8d5-rst01", "solo").await;
    let saved = || {
        savedforwards::load(dir.path())
            .expect("forwards.json")
            .forwards
            .into_iter()
            .map(|s| (s.pod, s.remote, s.local, s.workload))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        saved(),
        vec![
            (
                "web-6b7f9c8d5-rst01".to_string(),
                "echo".to_string(),
                web.local,
                Some("deployment/web".to_string())
            ),
            ("solo".to_string(), "echo".to_string(), solo.local, None),
        ]
    );
    // The app quits: the ports close, the file keeps both.
    before.stop_all();
    listening(web.local, false).await;
    listening(solo.local, false).await;
    assert_eq!(saved().len(), 2, "quitting forgot a forward");

    // While the app is away, a rollout replaces the web pod and the bare pod is deleted.
    create_pod(&client, &web_echo_pod("web-6b7f9c8d5-rst02", second)).await;
    listening(second, true).await;
    for name in ["web-6b7f9c8d5-rst01", "solo"] {
        delete_pod_gone(&client, name).await;
    }

    let after = Forwards::saving_in(Some(dir.path().to_path_buf()), true);
    let back = after.restore(&app.profiles).await;
    assert_eq!(back.len(), 2, "{back:?}");
    assert_eq!(
        (
            back[0].pod.as_str(),
            back[0].remote,
            back[0].local,
            back[0].state.clone(),
            back[0].workload.as_deref()
        ),
        (
            "web-6b7f9c8d5-rst02",
            second,
            web.local,
            ForwardState::Listening,
            Some("deployment/web")
        )
    );
    assert_eq!(
        back[0].note.as_deref(),
        Some("moved from web-6b7f9c8d5-rst01: the pod web-6b7f9c8d5-rst01 was gone at the start")
    );
    assert_eq!(greet(web.local).await.0, "hello from web-6b7f9c8d5-rst02");
    match &back[1].state {
        ForwardState::Ended { reason } => assert!(
            reason.starts_with("not started again: ") && reason.contains("\"solo\" not found"),
            "{reason}"
        ),
        other => panic!("the forward to a deleted pod: {other:?}"),
    }
    assert_eq!(back[1].local, solo.local);
    // Asked by name: both rows say it, the one that could not start with no number for it.
    assert_eq!(
        (
            back[0].port_name.as_deref(),
            back[1].port_name.as_deref(),
            back[1].remote
        ),
        (Some("echo"), Some("echo"), 0)
    );
    assert!(
        after.restore(&app.profiles).await.is_empty(),
        "restored twice in one run"
    );
    assert_eq!(
        saved().iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        vec!["web-6b7f9c8d5-rst02", "solo"],
        "the one that could not start is kept"
    );
    assert!(back[1].restartable && !back[0].restartable);
    // Start again while its pod is still missing: the same row, saying why now, still saved.
    let e = after
        .start_again(&app.profiles, back[1].id)
        .await
        .expect_err("its pod is still gone");
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let row = after.list().into_iter().find(|f| f.id == back[1].id);
    assert!(
        row.as_ref().is_some_and(|f| f.restartable
            && matches!(&f.state, ForwardState::Ended { reason } if reason.contains("\"solo\" not found"))),
        "{row:?}"
    );
    assert_eq!(saved().len(), 2, "a failed Start again forgot the forward");
    // Its pod back: the forward runs again on its local port, in the row's place. (The pod's
    // own port is any free one but that: the forward's was the system's choice, free since it
    // ended, and free_port knows only its own.)
    let back_again = std::iter::repeat_with(free_port)
        .find(|p| *p != solo.local)
        .expect("a free port");
    create_pod(
        &client,
        &echo_pod("demo", "solo", back_again, serde_json::json!({})),
    )
    .await;
    listening(back_again, true).await;
    let solo_again = after
        .start_again(&app.profiles, back[1].id)
        .await
        .expect("started again");
    assert_eq!(
        (
            solo_again.local,
            solo_again.pod.as_str(),
            solo_again.restartable
        ),
        (solo.local, "solo", false)
    );
    assert_ne!(solo_again.id, back[1].id);
    assert_eq!(greet(solo.local).await.0, "hello from solo");
    assert!(after.list().iter().all(|f| f.id != back[1].id));
    assert_eq!(saved().len(), 2);
    // Only one that could not start is tried again.
    let e = after
        .start_again(&app.profiles, solo_again.id)
        .await
        .expect_err("it runs");
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    after.stop(solo_again.id).expect("stop");
    assert_eq!(saved().len(), 1);
    {
        let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
            kube::Api::namespaced(client.clone(), "demo");
        pods.delete("solo", &Default::default())
            .await
            .expect("delete");
    }
    after.stop(back[0].id).expect("stop");
    assert!(saved().is_empty());
    listening(web.local, false).await;
    // With reopening at start turned off nothing is kept, and nothing starts again.
    let again = after
        .start(&app.profiles, echo_forward("web-6b7f9c8d5-rst02"))
        .await
        .expect("forward");
    assert_eq!(saved().len(), 1);
    after.set_keeping(false);
    assert!(
        saved().is_empty(),
        "turned off, the file still lists forwards"
    );
    let off = Forwards::saving_in(Some(dir.path().to_path_buf()), false);
    assert!(off.restore(&app.profiles).await.is_empty());
    after.stop(again.id).expect("stop");
    assert!(saved().is_empty());
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "demo");
    pods.delete("web-6b7f9c8d5-rst02", &Default::default())
        .await
        .expect("delete");
}

/// A forward restored while its workload has no Ready pod (a rollout under way as the app starts),
/// or through a Service switched to pods none of which is Ready yet (blue to green, the blue pod
/// still running), is listed at once as starting (its saved local port, what it waits for), waits
/// for one and starts on it in that row's place, rather than being listed as not started; the
/// forwards that can start do so meanwhile, without waiting behind them, a forward started
/// meanwhile does not take a waiting one's local port, and one removed while it waits is
/// forgotten and never starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_restored_during_a_rollout_waits_for_its_workloads_ready_pod() {
    use podterm_desktop_lib::ipc::{ForwardRequest, ForwardState};
    use podterm_desktop_lib::state::Forwards;
    use podterm_test_support::portforward::{echo_pod, free_port, greet, listening, web_echo_pod};
    let f = app().await;
    let app = &f.app;
    let client = demo_client(app).await;
    let dir = tempfile::tempdir().expect("dir");
    let second = free_port();
    let (blue, green, service_port) = (free_port(), free_port(), free_port());
    let coloured =
        |colour: &str| serde_json::json!({ "labels": { "app": format!("waitsvc-{colour}") } });
    create_pod(
        &client,
        &echo_pod("demo", "waitsvc-blue", blue, coloured("blue")),
    )
    .await;
    let service = |colour: &str| {
        serde_json::json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": { "name": "waitsvc", "namespace": "demo" },
            "spec": { "selector": { "app": format!("waitsvc-{colour}") }, "ports": [
                { "port": service_port, "targetPort": "echo" },
            ] },
        })
    };
    create_service(&client, service("blue")).await;
    listening(blue, true).await;
    let before = Forwards::saving_in(Some(dir.path().to_path_buf()), true);
    let through = before
        .start(
            &app.profiles,
            ForwardRequest {
                pod: String::new(),
                remote: service_port.to_string(),
                service: Some("waitsvc".into()),
                ..echo_forward("")
            },
        )
        .await
        .expect("forward through the Service");
    let (web, alone) =
        forward_web_and_bare(app, &client, &before, "web-6b7f9c8d5-wai01", "alone").await;
    // A second forward to the Deployment's pod, to be removed while it waits.
    let unwanted = before
        .start(
            &app.profiles,
            ForwardRequest {
                local: Some(free_port()),
                ..echo_forward("web-6b7f9c8d5-wai01")
            },
        )
        .await
        .expect("a second forward to web");
    assert_eq!(
        (through.pod.as_str(), through.local),
        ("waitsvc-blue", service_port)
    );
    before.stop_all();
    for port in [web.local, alone.local, through.local, unwanted.local] {
        listening(port, false).await;
    }

    // While the app is away, a rollout: the forward's pod goes, and no pod of the Deployment is
    // Ready, the new one included.
    delete_pod_gone(&client, "web-6b7f9c8d5-wai01").await;
    create_pod(&client, &web_echo_pod("web-6b7f9c8d5-wai02", second)).await;
    listening(second, true).await;
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "demo");
    let web_pods: Vec<String> = pods
        .list(&kube::api::ListParams::default().labels("app=web"))
        .await
        .expect("list")
        .items
        .into_iter()
        .filter_map(|p| p.metadata.name)
        .collect();
    assert!(web_pods.len() > 1, "{web_pods:?}");
    // And the Service moves from blue to green, whose pod is not Ready yet.
    let services: kube::Api<k8s_openapi::api::core::v1::Service> =
        kube::Api::namespaced(client.clone(), "demo");
    services
        .delete("waitsvc", &Default::default())
        .await
        .expect("delete the Service");
    create_service(&client, service("green")).await;
    create_pod(
        &client,
        &echo_pod("demo", "waitsvc-green", green, coloured("green")),
    )
    .await;
    listening(green, true).await;
    app.with_demo_cluster(|c| {
        for name in web_pods.iter().map(String::as_str).chain(["waitsvc-green"]) {
            assert!(c.set_ready("demo", name, false), "{name}");
        }
    })
    .await
    .expect("demo running");

    let after = Forwards::saving_in(Some(dir.path().to_path_buf()), true);
    let (tx, mut rx) = mpsc::unbounded_channel();
    after.listen(move |f| tx.send(f).is_ok());
    let restoring = {
        let (after, profiles) = (after.clone(), app.profiles.clone());
        tokio::spawn(async move { after.restore(&profiles).await })
    };
    // Every forward is listed at once, as starting on its saved local port, in the file's order;
    // those that wait for a Ready pod say what they wait for; the forward that can start starts:
    // it does not wait behind them.
    let mut starting = std::collections::BTreeMap::new();
    let mut started_alone = None;
    let waits = |rows: &std::collections::BTreeMap<u16, podterm_desktop_lib::ipc::ForwardInfo>| {
        rows.values().filter(|f| f.note.is_some()).count()
    };
    while started_alone.is_none() || waits(&starting) < 3 {
        let f = forward_change(&mut rx, "the starting rows and the pod's forward", |_| true).await;
        match f.state {
            ForwardState::Starting => {
                starting.insert(f.local, f);
            }
            ForwardState::Listening if f.pod == "alone" => started_alone = Some(f),
            _ => panic!("an unexpected row while the others wait: {f:?}"),
        }
    }
    let ids: Vec<u32> = [through.local, web.local, alone.local, unwanted.local]
        .iter()
        .map(|l| starting[l].id)
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "not in the file's order: {ids:?}"
    );
    let alone_row = starting.remove(&alone.local).expect("alone's starting row");
    assert_eq!(started_alone.map(|f| f.id), Some(alone_row.id));
    let notes: Vec<(u16, bool, Option<&str>)> = starting
        .values()
        .map(|f| (f.local, f.waiting, f.note.as_deref()))
        .collect();
    let mut want = vec![
        (
            service_port,
            true,
            Some("no Ready pod of service/waitsvc yet: waiting up to 45 s for one"),
        ),
        (
            web.local,
            true,
            Some("no Ready pod of deployment/web yet: waiting up to 45 s for one"),
        ),
        (
            unwanted.local,
            true,
            Some("no Ready pod of deployment/web yet: waiting up to 45 s for one"),
        ),
    ];
    want.sort_by_key(|w| w.0);
    assert_eq!(notes, want);
    // Removed while it waits: forgotten at once, and it does not start when its pod is Ready.
    let unwanted_row = starting[&unwanted.local].id;
    after
        .stop(unwanted_row)
        .expect("remove the waiting forward");
    let saved_now = podterm_core::savedforwards::load(dir.path()).expect("saved");
    assert!(
        !saved_now.forwards.iter().any(|s| s.local == unwanted.local),
        "the removed forward stayed saved: {:?}",
        saved_now.forwards
    );
    // A forward started meanwhile to a port numbered as a waiting forward's local port does not
    // take that port from it.
    let mut other: serde_json::Value = serde_json::from_str(&echo_pod(
        "demo",
        "other",
        free_port(),
        serde_json::json!({}),
    ))
    .expect("pod json");
    other["spec"]["containers"][0]["ports"]
        .as_array_mut()
        .expect("ports")
        .push(serde_json::json!({ "name": "numbered", "containerPort": web.local }));
    create_pod(&client, &other.to_string()).await;
    let meanwhile = after
        .start(
            &app.profiles,
            ForwardRequest {
                remote: "numbered".into(),
                ..echo_forward("other")
            },
        )
        .await
        .expect("a forward meanwhile");
    assert_eq!(meanwhile.remote, web.local);
    assert_ne!(meanwhile.local, web.local, "took a waiting forward's port");
    // Then the new pods are Ready.
    app.with_demo_cluster(|c| {
        assert!(c.set_ready("demo", "web-6b7f9c8d5-wai02", true));
        assert!(c.set_ready("demo", "waitsvc-green", true));
    })
    .await
    .expect("demo running");
    let back = restoring.await.expect("restore");
    let rows: Vec<(&str, u16, ForwardState)> = back
        .iter()
        .map(|f| (f.pod.as_str(), f.local, f.state.clone()))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("waitsvc-green", service_port, ForwardState::Listening),
            ("web-6b7f9c8d5-wai02", web.local, ForwardState::Listening),
            ("alone", alone.local, ForwardState::Listening),
        ]
    );
    // Each in its starting row's place: the same id, a newer revision.
    assert_eq!(back.iter().map(|f| f.id).collect::<Vec<_>>(), ids[..3]);
    for f in &back[..2] {
        let row = &starting[&f.local];
        assert!(f.revision > row.revision, "{f:?} after {row:?}");
    }
    assert!(
        !after.list().iter().any(|f| f.id == unwanted_row),
        "{:?}",
        after.list()
    );
    listening(unwanted.local, false).await;
    let saved_after = podterm_core::savedforwards::load(dir.path()).expect("saved");
    let mut saved_locals: Vec<u16> = saved_after.forwards.iter().map(|s| s.local).collect();
    saved_locals.sort_unstable();
    let mut want_locals = vec![alone.local, service_port, web.local, meanwhile.local];
    want_locals.sort_unstable();
    assert_eq!(saved_locals, want_locals);
    assert_eq!(
        (back[0].note.as_deref(), back[1].note.as_deref()),
        (
            Some("moved from waitsvc-blue: the Service waitsvc no longer selects it"),
            Some(
                "moved from web-6b7f9c8d5-wai01: the pod web-6b7f9c8d5-wai01 was gone at the start"
            )
        )
    );
    assert_eq!(greet(web.local).await.0, "hello from web-6b7f9c8d5-wai02");
    assert_eq!(greet(service_port).await.0, "hello from waitsvc-green");
    after.stop_all();
    for name in [
        "web-6b7f9c8d5-wai02",
        "alone",
        "waitsvc-blue",
        "waitsvc-green",
        "other",
    ] {
        pods.delete(name, &Default::default())
            .await
            .expect("delete");
    }
    services
        .delete("waitsvc", &Default::default())
        .await
        .expect("delete the Service");
}

/// The last run's forwards start together: one first in the file whose cluster does not answer
/// (its requests hang until their timeout, 30 s, as a cluster behind a VPN that is down) holds up
/// no other. All are listed at once as starting, in the file's order; the Demo cluster's forward
/// listens, and one whose local port is taken ends saying so, while the first still waits for
/// its cluster. Removed, that one's start stops at once (its request's connection closes).
/// Before, each forward waited for the one before it. Needs the keyring (the import stores the
/// kubeconfig's token).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_that_does_not_answer_holds_up_no_other_forward_at_start() {
    use podterm_core::savedforwards::{self, SavedForward};
    use podterm_desktop_lib::ipc::ForwardState;
    use podterm_desktop_lib::state::Forwards;
    use podterm_test_support::portforward::{echo_pod, free_port, greet, listening};
    use std::sync::atomic::Ordering;
    let f = app().await;
    let app = &f.app;
    let client = demo_client(app).await;
    let (server, asked, silent_profile) = silent_cluster(app).await;
    let serves = free_port();
    create_pod(
        &client,
        &echo_pod("demo", "prompt", serves, serde_json::json!({})),
    )
    .await;
    listening(serves, true).await;
    let (silent_local, demo_local) = (free_port(), free_port());
    // A third forward's local port is held by another program: it cannot start.
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("hold a port");
    let held = holder.local_addr().expect("held port").port();
    let saved = |profile: &str, pod: &str, local: u16| SavedForward {
        profile: profile.to_string(),
        namespace: "demo".into(),
        pod: pod.into(),
        remote: "echo".into(),
        local,
        workload: None,
        service: None,
        extra: Default::default(),
    };
    let dir = tempfile::tempdir().expect("dir");
    savedforwards::save(
        dir.path(),
        &[
            saved(&silent_profile, "far", silent_local),
            saved(DEMO_NAME, "prompt", demo_local),
            saved(DEMO_NAME, "prompt", held),
        ],
    )
    .expect("save");

    let after = Forwards::saving_in(Some(dir.path().to_path_buf()), true);
    let (tx, mut rx) = mpsc::unbounded_channel();
    after.listen(move |f| tx.send(f).is_ok());
    let restoring = {
        let (after, profiles) = (after.clone(), app.profiles.clone());
        tokio::spawn(async move { after.restore(&profiles).await })
    };
    let mut rows = Vec::new();
    for what in [
        "a starting row",
        "a second starting row",
        "a third starting row",
    ] {
        rows.push(forward_change(&mut rx, what, |_| true).await);
    }
    assert_eq!(
        rows.iter()
            .map(|f| (f.local, f.state.clone()))
            .collect::<Vec<_>>(),
        vec![
            (silent_local, ForwardState::Starting),
            (demo_local, ForwardState::Starting),
            (held, ForwardState::Starting),
        ]
    );
    assert!(rows.windows(2).all(|w| w[0].id < w[1].id), "{rows:?}");
    // The Demo cluster's forward listens, and the one whose port is taken ends saying so, each in
    // its row, while the silent cluster's still starts.
    let (mut started, mut ended) = (None, None);
    while started.is_none() || ended.is_none() {
        let f = forward_change(&mut rx, "the Demo cluster's two forwards", |_| true).await;
        match &f.state {
            ForwardState::Listening if f.local == demo_local => started = Some(f),
            ForwardState::Ended { reason } if f.local == held => {
                assert!(reason.contains("in use"), "{reason}");
                ended = Some(f);
            }
            _ => panic!("an unexpected change: {f:?}"),
        }
    }
    assert_eq!(started.map(|f| f.id), Some(rows[1].id));
    assert_eq!(ended.map(|f| f.id), Some(rows[2].id));
    assert_eq!(greet(demo_local).await.0, "hello from prompt");
    // The silent cluster is asked for its pod, and its forward still waits for the answer.
    let deadline = Instant::now() + Duration::from_secs(20);
    while asked.load(Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < deadline,
            "the silent cluster was never asked"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let waiting = after.list().into_iter().find(|f| f.id == rows[0].id);
    assert_eq!(
        waiting.map(|f| f.state),
        Some(ForwardState::Starting),
        "the silent cluster's forward"
    );
    listening(silent_local, false).await;
    // Removed while it starts: its start stops (its request's connection closes), and the
    // restore comes back with the other two (a liveness bound, far below the 30 s the silent
    // request would take).
    after.stop(rows[0].id).expect("remove the starting forward");
    let back = timeout(Duration::from_secs(20), restoring)
        .await
        .expect("the restore came back")
        .expect("restore");
    assert_eq!(
        back.iter().map(|f| f.id).collect::<Vec<_>>(),
        vec![rows[1].id, rows[2].id]
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.silent_closed() == 0 {
        assert!(
            Instant::now() < deadline,
            "the removed forward's request is still open"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(holder);
    after.stop_all();
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "demo");
    pods.delete("prompt", &Default::default())
        .await
        .expect("delete");
    let _ = app.delete_profile(&silent_profile).await;
}

/// Start again is the user's: its forward's pod gone and no pod of its Deployment Ready (their
/// readiness probe failing), it takes one that runs, as a new forward (and kubectl) does. Only
/// the restore at start waits for a Ready one, its row saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_again_takes_a_running_pod_of_its_workload_that_is_not_ready() {
    use podterm_core::savedforwards::{self, SavedForward};
    use podterm_desktop_lib::state::Forwards;
    use podterm_test_support::portforward::{free_port, greet, listening, web_echo_pod};
    let f = app().await;
    let app = &f.app;
    let client = demo_client(app).await;
    let dir = tempfile::tempdir().expect("dir");
    // The last run forwarded to a pod of web, gone since, through a cluster not there at this
    // start (its profile made later): the row waits for Start again.
    let local = free_port();
    savedforwards::save(
        dir.path(),
        &[SavedForward {
            profile: "later".into(),
            namespace: "demo".into(),
            pod: "web-6b7f9c8d5-sag01".into(),
            remote: "echo".into(),
            local,
            workload: Some("deployment/web".into()),
            service: None,
            extra: Default::default(),
        }],
    )
    .expect("forwards.json");
    let forwards = Forwards::saving_in(Some(dir.path().to_path_buf()), true);
    let back = forwards.restore(&app.profiles).await;
    assert!(back.len() == 1 && back[0].restartable, "{back:?}");
    app.save_profile(demo_by_hand(app, None, "later", true).await)
        .await
        .expect("the profile");
    // web's new pod runs, and no pod of web is Ready.
    let port = free_port();
    create_pod(&client, &web_echo_pod("web-6b7f9c8d5-sag02", port)).await;
    listening(port, true).await;
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "demo");
    let web: Vec<String> = pods
        .list(&kube::api::ListParams::default().labels("app=web"))
        .await
        .expect("list")
        .items
        .into_iter()
        .filter_map(|p| p.metadata.name)
        .collect();
    app.with_demo_cluster(|c| {
        for name in &web {
            assert!(c.set_ready("demo", name, false), "{name}");
        }
    })
    .await
    .expect("demo running");
    let again = forwards
        .start_again(&app.profiles, back[0].id)
        .await
        .expect("started again on a pod that runs");
    assert_eq!(
        (again.pod.as_str(), again.local),
        ("web-6b7f9c8d5-sag02", local)
    );
    assert_eq!(greet(local).await.0, "hello from web-6b7f9c8d5-sag02");
    forwards.stop(again.id).expect("stop");
    pods.delete("web-6b7f9c8d5-sag02", &Default::default())
        .await
        .expect("delete");
    let _ = app.delete_profile("later").await;
}

/// A StatefulSet's pods are not interchangeable (`db-0` may be the primary): a saved forward to
/// `db-0`, its pod gone at the start while `db-1` runs, is looked for by its own name only (a
/// Deployment's would go to the workload's newest Ready pod). It is listed as not started,
/// saying `db-0` is missing; Start again while another program has its local port says so with
/// the row's advice; once `db-0` is made again and the port freed, it reaches `db-0`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statefulsets_forward_starts_again_only_on_its_own_pod() {
    use podterm_core::savedforwards::{self, SavedForward};
    use podterm_desktop_lib::ipc::{ForwardRequest, ForwardState};
    use podterm_desktop_lib::state::Forwards;
    use podterm_test_support::portforward::{echo_pod, free_port, greet, listening};
    let f = app().await;
    let app = &f.app;
    let client = demo_client(app).await;
    let dir = tempfile::tempdir().expect("dir");
    let of_db = serde_json::json!({
        "labels": { "app": "db" },
        "ownerReferences": [{
            "apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db",
            "uid": "00000000-0000-0000-0000-0000000000db", "controller": true,
        }],
    });
    // The last run forwarded to db-0, which is gone; db-1, of the same StatefulSet, runs.
    let (one, zero, local) = (free_port(), free_port(), free_port());
    create_pod(&client, &echo_pod("demo", "db-1", one, of_db.clone())).await;
    listening(one, true).await;
    savedforwards::save(
        dir.path(),
        &[SavedForward {
            profile: DEMO_NAME.into(),
            namespace: "demo".into(),
            pod: "db-0".into(),
            remote: "echo".into(),
            local,
            workload: Some("statefulset/db".into()),
            service: None,
            extra: Default::default(),
        }],
    )
    .expect("forwards.json");
    let forwards = Forwards::saving_in(Some(dir.path().to_path_buf()), true);
    let back = forwards.restore(&app.profiles).await;
    assert_eq!(back.len(), 1, "{back:?}");
    match &back[0].state {
        ForwardState::Ended { reason } => assert!(
            reason.starts_with("not started again: ") && reason.contains("\"db-0\" not found"),
            "{reason}"
        ),
        other => panic!(
            "the forward went on without db-0: {other:?} ({:?})",
            back[0].pod
        ),
    }
    assert!(back[0].restartable);
    listening(local, false).await;
    // A new forward whose port number is that saved local port does not take it: the saved
    // forward's Start again will want it back.
    let other = forwards
        .start(
            &app.profiles,
            ForwardRequest {
                profile: DEMO_NAME.into(),
                namespace: "demo".into(),
                pod: "db-1".into(),
                remote: local.to_string(),
                local: None,
                service: None,
            },
        )
        .await
        .expect("another forward");
    assert_eq!(other.remote, local);
    assert_ne!(other.local, local, "it took the saved forward's port");
    forwards.stop(other.id).expect("stop");
    // db-0 made again, while another program has the local port: Start again says so.
    create_pod(&client, &echo_pod("demo", "db-0", zero, of_db)).await;
    listening(zero, true).await;
    let holder = std::net::TcpListener::bind(("127.0.0.1", local)).expect("hold the local port");
    let e = forwards
        .start_again(&app.profiles, back[0].id)
        .await
        .expect_err("the local port is held");
    assert_eq!(e.kind(), ErrorKind::Local, "{e}");
    let advice = "close the program on that port and press Start again, or Remove this forward";
    assert!(
        e.to_string()
            .starts_with(&format!("unable to create listener: 127.0.0.1:{local}: "))
            && e.to_string().ends_with(advice),
        "{e}"
    );
    let row = forwards.list().into_iter().find(|f| f.id == back[0].id);
    assert!(
        row.as_ref().is_some_and(|f| f.restartable
            && matches!(&f.state, ForwardState::Ended { reason } if reason.ends_with(advice))),
        "{row:?}"
    );
    // The port freed: Start again reaches db-0, on the saved local port, still following db.
    drop(holder);
    let again = forwards
        .start_again(&app.profiles, back[0].id)
        .await
        .expect("started again");
    assert_eq!(
        (
            again.pod.as_str(),
            again.local,
            again.workload.as_deref(),
            again.state.clone()
        ),
        (
            "db-0",
            local,
            Some("statefulset/db"),
            ForwardState::Listening
        )
    );
    assert_eq!(greet(local).await.0, "hello from db-0");
    forwards.stop(again.id).expect("stop");
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "demo");
    for name in ["db-0", "db-1"] {
        pods.delete(name, &Default::default())
            .await
            .expect("delete");
    }
}

/// Creates a Service from JSON in the Demo cluster through the API (as `kubectl create -f`).
async fn create_service(client: &kube::Client, json: serde_json::Value) {
    let api: kube::Api<k8s_openapi::api::core::v1::Service> =
        kube::Api::namespaced(client.clone(), "demo");
    let svc = serde_json::from_value(json).expect("service json");
    api.create(&Default::default(), &svc)
        .await
        .expect("create service");
}

/// "Forward a Service's port…" in the app, as `kubectl port-forward svc/NAME PORT`: the
/// namespace's Services listed with their ports and where each goes; a forward through one
/// reaches the port its `targetPort` names in the pod its selector finds, listening on the
/// Service's port number when that is free here; kubectl's refusals in its words; when the pod
/// goes, the Service's next pod takes the connections, on the port its name has there; saved
/// with its Service, it starts again after a restart through the Service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_services_port_forward_reaches_its_target_and_follows_its_pods() {
    use podterm_core::savedforwards;
    use podterm_desktop_lib::ipc::{ForwardRequest, ForwardService, ForwardState};
    use podterm_desktop_lib::state::Forwards;
    use podterm_test_support::portforward::{echo_pod, free_port, greet, listening};
    let f = app().await;
    let app = &f.app;
    let client = demo_client(app).await;
    let dir = tempfile::tempdir().expect("dir");
    let labelled = serde_json::json!({ "labels": { "app": "svcfwd" } });
    // Each pod's server listens on a port of its own (both run on this computer), named `echo`
    // in both: the Service's named target finds each.
    let (first, second, service_port) = (free_port(), free_port(), free_port());
    create_pod(
        &client,
        &echo_pod("demo", "svcfwd-1", first, labelled.clone()),
    )
    .await;
    listening(first, true).await;
    create_service(
        &client,
        serde_json::json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": { "name": "svcfwd", "namespace": "demo" },
            "spec": { "selector": { "app": "svcfwd" }, "ports": [
                { "name": "main", "port": service_port, "targetPort": "echo" },
                { "name": "direct", "port": 81, "targetPort": first },
                { "name": "dns", "port": 53, "protocol": "UDP" },
            ] },
        }),
    )
    .await;
    create_service(
        &client,
        serde_json::json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": { "name": "svcfwd-bare", "namespace": "demo" },
            "spec": { "ports": [{ "port": 80 }] },
        }),
    )
    .await;
    let forwards = Forwards::saving_in(Some(dir.path().to_path_buf()), true);

    // The list: by name, each port with its target and protocol, the selector in words.
    let listed = forwards
        .services(&app.profiles, DEMO_NAME, "demo")
        .await
        .expect("services");
    assert!(!listed.more, "a few Services said to be more");
    let ours: Vec<_> = listed
        .services
        .iter()
        .filter(|s| s.name.starts_with("svcfwd"))
        .collect();
    assert_eq!(
        ours.iter()
            .map(|s| (s.name.as_str(), s.selector.as_deref()))
            .collect::<Vec<_>>(),
        vec![("svcfwd", Some("app=svcfwd")), ("svcfwd-bare", None)]
    );
    assert_eq!(
        ours[0]
            .ports
            .iter()
            .map(|p| (
                p.name.as_deref(),
                p.port,
                p.target.as_str(),
                p.protocol.as_str()
            ))
            .collect::<Vec<_>>(),
        vec![
            (Some("main"), service_port, "echo", "TCP"),
            (Some("direct"), 81, first.to_string().as_str(), "TCP"),
            (Some("dns"), 53, "53", "UDP"),
        ]
    );

    // By its exact name (the dialog's lookup past the first 500): as listed; none is None.
    let found = forwards
        .service(&app.profiles, DEMO_NAME, "demo", " svcfwd ")
        .await
        .expect("find svcfwd");
    assert_eq!(found.as_ref(), Some(ours[0]));
    let none = forwards
        .service(&app.profiles, DEMO_NAME, "demo", "svcfwd-none")
        .await
        .expect("find none");
    assert_eq!(none, None);
    // Not a name a Service can have (here a subresource's path): none, nothing asked for.
    let path = forwards
        .service(&app.profiles, DEMO_NAME, "demo", "svcfwd/proxy")
        .await
        .expect("find a path");
    assert_eq!(path, None);

    let (tx, mut rx) = mpsc::unbounded_channel();
    forwards.listen(move |f| tx.send(f).is_ok());
    let req = |service: &str, remote: &str| ForwardRequest {
        profile: DEMO_NAME.into(),
        namespace: "demo".into(),
        pod: String::new(),
        remote: remote.into(),
        local: None,
        service: Some(service.into()),
    };
    // kubectl's refusals, in its words.
    for (service, remote, kind, words) in [
        (
            "svcfwd",
            "http",
            ErrorKind::NotFound,
            "Service 'svcfwd' does not have a named port 'http'",
        ),
        (
            "svcfwd",
            "82",
            ErrorKind::NotFound,
            "Service svcfwd does not have a service port 82",
        ),
        (
            "svcfwd",
            "53",
            ErrorKind::InvalidInput,
            "UDP protocol is not supported for 53",
        ),
        (
            "svcfwd-bare",
            "80",
            ErrorKind::InvalidInput,
            "cannot attach to *v1.Service: invalid service 'svcfwd-bare': Service is defined without a selector",
        ),
    ] {
        let e = forwards
            .start(&app.profiles, req(service, remote))
            .await
            .expect_err(words);
        assert_eq!((e.to_string().as_str(), e.kind()), (words, kind));
    }
    let e = forwards
        .start(&app.profiles, req("nope", "80"))
        .await
        .expect_err("no such Service");
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(e.to_string().contains("services \"nope\" not found"), "{e}");
    assert!(forwards.list().is_empty(), "a refusal left a forward");

    // By name: the named target in the pod, on the Service's port number here.
    let info = forwards
        .start(&app.profiles, req("svcfwd", "main"))
        .await
        .expect("forward");
    assert_eq!(
        (
            info.pod.as_str(),
            info.remote,
            info.local,
            info.service.clone(),
            info.workload.as_deref(),
            info.port_name.as_deref()
        ),
        (
            "svcfwd-1",
            first,
            service_port,
            Some(ForwardService {
                name: "svcfwd".into(),
                port: service_port
            }),
            Some("service/svcfwd"),
            Some("main")
        )
    );
    assert_eq!(greet(info.local).await.0, "hello from svcfwd-1");
    // By number, a target by number, on a local port asked for.
    let local = free_port();
    let direct = forwards
        .start(
            &app.profiles,
            ForwardRequest {
                local: Some(local),
                ..req("svcfwd", "81")
            },
        )
        .await
        .expect("forward");
    assert_eq!((direct.remote, direct.local), (first, local));
    assert_eq!(greet(local).await.0, "hello from svcfwd-1");
    forwards.stop(direct.id).expect("stop");
    let saved = || {
        savedforwards::load(dir.path())
            .expect("forwards.json")
            .forwards
            .into_iter()
            .map(|s| (s.pod, s.remote, s.local, s.workload, s.service))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        saved(),
        vec![(
            "svcfwd-1".to_string(),
            "main".to_string(),
            service_port,
            Some("service/svcfwd".to_string()),
            Some("svcfwd".to_string())
        )]
    );

    // The Service is changed (its `main` now targets the port named `alt`), then its pod is
    // replaced: the forward reads the Service again, and reaches `alt` in the next pod, whose
    // `echo` names a port nothing listens on.
    let services: kube::Api<k8s_openapi::api::core::v1::Service> =
        kube::Api::namespaced(client.clone(), "demo");
    let service = |app: &str| {
        serde_json::json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": { "name": "svcfwd", "namespace": "demo" },
            "spec": { "selector": { "app": app }, "ports": [
                { "name": "main", "port": service_port, "targetPort": "alt" },
            ] },
        })
    };
    services
        .delete("svcfwd", &Default::default())
        .await
        .expect("delete the Service");
    create_service(&client, service("svcfwd")).await;
    // A pod whose server listens on `port`, `alt` naming it and `echo` a port nothing has.
    let two_ports = |name: &str, port: u16, app: &str| {
        let mut pod: serde_json::Value = serde_json::from_str(&echo_pod(
            "demo",
            name,
            port,
            serde_json::json!({ "labels": { "app": app } }),
        ))
        .expect("pod json");
        pod["spec"]["containers"][0]["ports"] = serde_json::json!([
            { "name": "echo", "containerPort": free_port() },
            { "name": "alt", "containerPort": port },
        ]);
        pod.to_string()
    };
    create_pod(&client, &two_ports("svcfwd-2", second, "svcfwd")).await;
    listening(second, true).await;
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "demo");
    pods.delete("svcfwd-1", &Default::default())
        .await
        .expect("delete");
    let moved = forward_change(&mut rx, "the move", |f| {
        f.id == info.id && f.pod == "svcfwd-2"
    })
    .await;
    assert_eq!(
        (
            moved.remote,
            moved.local,
            moved.state.clone(),
            moved.waiting
        ),
        (second, service_port, ForwardState::Listening, false)
    );
    assert_eq!(greet(service_port).await.0, "hello from svcfwd-2");
    assert_eq!(saved()[0].0, "svcfwd-2", "the saved pod did not follow");

    // While the app is away, the Service's selector moves on (blue to green): svcfwd-2 still
    // runs, but the forward starts again on the pod the Service selects now.
    forwards.stop_all();
    listening(service_port, false).await;
    services
        .delete("svcfwd", &Default::default())
        .await
        .expect("delete the Service");
    create_service(&client, service("svcfwd-green")).await;
    let third = free_port();
    create_pod(&client, &two_ports("svcfwd-3", third, "svcfwd-green")).await;
    listening(third, true).await;
    let after = Forwards::saving_in(Some(dir.path().to_path_buf()), true);
    let (tx, mut rx) = mpsc::unbounded_channel();
    after.listen(move |f| tx.send(f).is_ok());
    let back = after.restore(&app.profiles).await;
    assert_eq!(
        back.iter()
            .map(|f| (
                f.pod.as_str(),
                f.remote,
                f.local,
                f.state.clone(),
                f.service.clone(),
                f.note.as_deref()
            ))
            .collect::<Vec<_>>(),
        vec![(
            "svcfwd-3",
            third,
            service_port,
            ForwardState::Listening,
            Some(ForwardService {
                name: "svcfwd".into(),
                port: service_port
            }),
            Some("moved from svcfwd-2: the Service svcfwd no longer selects it")
        )]
    );
    assert_eq!(greet(service_port).await.0, "hello from svcfwd-3");

    // Its only pod goes: the row says it waits (and names no pod to reach), then the next one
    // takes it.
    let id = back[0].id;
    pods.delete("svcfwd-3", &Default::default())
        .await
        .expect("delete");
    let waits = forward_change(&mut rx, "the wait", |f| f.id == id && f.waiting).await;
    assert!(
        waits
            .note
            .as_deref()
            .is_some_and(|n| n.ends_with("waiting for a Ready pod of service/svcfwd")),
        "{:?}",
        waits.note
    );
    let fourth = free_port();
    create_pod(&client, &two_ports("svcfwd-4", fourth, "svcfwd-green")).await;
    listening(fourth, true).await;
    let came = forward_change(&mut rx, "the next pod", |f| f.id == id && !f.waiting).await;
    assert_eq!((came.pod.as_str(), came.remote), ("svcfwd-4", fourth));
    assert_eq!(greet(service_port).await.0, "hello from svcfwd-4");
    after.stop(id).expect("stop");
    listening(service_port, false).await;

    // Its pod runs but fails its readiness probe (often why one forwards to it): taken, as
    // kubectl's port-forward takes it, with a note. Only a Ready pod was, and this refused.
    app.profiles
        .with_demo_cluster(|c| assert!(c.set_ready("demo", "svcfwd-4", false)))
        .await
        .expect("the Demo cluster runs");
    let unready = after
        .start(&app.profiles, req("svcfwd", "main"))
        .await
        .expect("forward to a pod that runs");
    assert_eq!(
        (unready.pod.as_str(), unready.remote, unready.state.clone()),
        ("svcfwd-4", fourth, ForwardState::Listening)
    );
    let note = unready.note.clone().unwrap_or_default();
    assert!(
        note.starts_with("No Ready pod for service/svcfwd; using svcfwd-4 (not Ready"),
        "{note}"
    );
    assert_eq!(greet(unready.local).await.0, "hello from svcfwd-4");
    after.stop_all();
    for name in ["svcfwd-2", "svcfwd-4"] {
        pods.delete(name, &Default::default())
            .await
            .expect("delete");
    }
    for name in ["svcfwd", "svcfwd-bare"] {
        services
            .delete(name, &Default::default())
            .await
            .expect("delete the Service");
    }
}

/// A Service whose one pod runs while its main container crashes: the app's forward takes it
/// (a sidecar's port is the one asked for), as kubectl's port-forward takes a Running pod, with
/// a note that says why it is not Ready. Only a pod whose default container ran was taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_forward_takes_a_running_pod_whose_main_container_crashes() {
    use podterm_desktop_lib::ipc::{ForwardRequest, ForwardState};
    use podterm_desktop_lib::state::Forwards;
    use podterm_test_support::portforward::{free_port, greet, listening, ECHO};
    let f = app().await;
    let app = &f.app;
    let client = demo_client(app).await;
    let port = free_port();
    // With `crash`, its main container crashes; its sidecar `echo` serves on `port`; not
    // Ready (between crashes the main container runs for an instant, in which testcluster
    // would count the pod Ready).
    let not_ready = |name: &str, port: u16, crash: bool| {
        let main = crash.then(|| {
            serde_json::json!({ "name": "app", "image": "busybox:1.36", "command": ["sh", "-c", "exit 3"] })
        });
        let echo = serde_json::json!({
            "name": "echo", "image": "busybox:1.36",
            "command": ["python3", "-c", ECHO, port.to_string()],
            "ports": [{ "name": "echo", "containerPort": port }],
        });
        let pod = serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": { "name": name, "namespace": "demo", "labels": { "app": "sidecrash" } },
            "spec": { "containers": main.into_iter().chain([echo]).collect::<Vec<_>>() },
        });
        let client = client.clone();
        let name = name.to_string();
        async move {
            create_pod(&client, &pod.to_string()).await;
            listening(port, true).await;
            app.profiles
                .with_demo_cluster(|c| assert!(c.set_ready("demo", &name, false)))
                .await
                .expect("the Demo cluster runs");
        }
    };
    not_ready("sidecrash", port, true).await;
    create_service(
        &client,
        serde_json::json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": { "name": "sidecrash", "namespace": "demo" },
            "spec": { "selector": { "app": "sidecrash" }, "ports": [
                { "name": "main", "port": 80, "targetPort": "echo" },
            ] },
        }),
    )
    .await;
    // The main container in its back-off.
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "demo");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let p = pods.get("sidecrash").await.expect("the pod");
        let waiting = p
            .status
            .and_then(|s| s.container_statuses)
            .unwrap_or_default()
            .iter()
            .any(|c| {
                c.name == "app"
                    && c.state
                        .as_ref()
                        .and_then(|s| s.waiting.as_ref())
                        .and_then(|w| w.reason.as_deref())
                        == Some("CrashLoopBackOff")
            });
        if waiting {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never in back-off");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let dir = tempfile::tempdir().expect("dir");
    let forwards = Forwards::saving_in(Some(dir.path().to_path_buf()), true);
    let info = forwards
        .start(
            &app.profiles,
            ForwardRequest {
                profile: DEMO_NAME.into(),
                namespace: "demo".into(),
                pod: String::new(),
                remote: "main".into(),
                local: None,
                service: Some("sidecrash".into()),
            },
        )
        .await
        .expect("forward to the Running pod");
    assert_eq!(
        (info.pod.as_str(), info.remote, info.state.clone()),
        ("sidecrash", port, ForwardState::Listening)
    );
    let note = info.note.clone().unwrap_or_default();
    assert!(
        note.starts_with("No Ready pod for service/sidecrash; using sidecrash (not Ready: "),
        "{note}"
    );
    assert_eq!(greet(info.local).await.0, "hello from sidecrash");

    // Started on a pod not Ready, it moves at once to the next that runs when its pod goes
    // (one started on a Ready pod waits for a Ready one), and says why that one is taken.
    let (tx, mut rx) = mpsc::unbounded_channel();
    forwards.listen(move |f| tx.send(f).is_ok());
    let second = free_port();
    not_ready("sidecrash-2", second, false).await;
    pods.delete("sidecrash", &Default::default())
        .await
        .expect("delete");
    let moved = forward_change(&mut rx, "the move", |f| {
        f.id == info.id && f.pod == "sidecrash-2" && !f.waiting
    })
    .await;
    assert_eq!(moved.remote, second);
    let note = moved.note.clone().unwrap_or_default();
    assert!(
        note.starts_with("moved from sidecrash: the pod sidecrash ")
            && note
                .contains("; No Ready pod for service/sidecrash; using sidecrash-2 (not Ready: "),
        "{note}"
    );
    assert_eq!(greet(info.local).await.0, "hello from sidecrash-2");

    // Once its pod is Ready, the row no longer says it is not: the move's words stay.
    let set_ready = |ready: bool| {
        app.profiles
            .with_demo_cluster(move |c| assert!(c.set_ready("demo", "sidecrash-2", ready)))
    };
    set_ready(true).await.expect("the Demo cluster runs");
    let ready = forward_change(&mut rx, "the pod Ready", |f| {
        f.id == info.id && f.note.as_deref().is_some_and(|n| !n.contains("Ready"))
    })
    .await;
    let moved_from = note.split("; No Ready pod").next().unwrap_or_default();
    assert_eq!(ready.note.as_deref(), Some(moved_from));
    // As for a forward that started on a pod not Ready: its note goes.
    set_ready(false).await.expect("the Demo cluster runs");
    let started = forwards
        .start(
            &app.profiles,
            ForwardRequest {
                profile: DEMO_NAME.into(),
                namespace: "demo".into(),
                pod: String::new(),
                remote: "main".into(),
                local: None,
                service: Some("sidecrash".into()),
            },
        )
        .await
        .expect("forward to the pod not Ready");
    let note = started.note.clone().unwrap_or_default();
    assert!(
        note.starts_with("No Ready pod for service/sidecrash; using sidecrash-2 (not Ready: "),
        "{note}"
    );
    set_ready(true).await.expect("the Demo cluster runs");
    forward_change(&mut rx, "the note gone", |f| {
        f.id == started.id && f.note.is_none() && f.state == ForwardState::Listening
    })
    .await;
    forwards.stop_all();
    pods.delete("sidecrash-2", &Default::default())
        .await
        .expect("delete");
}

/// A Service made a favourite in the app (its dialog's star): saved as `service/NAME`, it opens
/// the newest Ready pod the Service's selector finds; a Service that is not there, or selects no
/// pods, is refused in kubectl's words and nothing is saved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_is_made_a_favourite_that_opens_a_pod_it_selects() {
    use podterm_desktop_lib::state::favourites;
    use podterm_test_support::portforward::{echo_pod, free_port};
    let f = app().await;
    let app = &f.app;
    let client = demo_client(app).await;
    let port = free_port();
    create_pod(
        &client,
        &echo_pod(
            "demo",
            "svcfav-1",
            port,
            serde_json::json!({ "labels": { "app": "svcfav" } }),
        ),
    )
    .await;
    // Ready once its server listens.
    podterm_test_support::portforward::listening(port, true).await;
    for (name, selector) in [
        ("svcfav", serde_json::json!({ "app": "svcfav" })),
        ("svcfav-bare", serde_json::Value::Null),
    ] {
        create_service(
            &client,
            serde_json::json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": { "name": name, "namespace": "demo" },
                "spec": { "selector": selector, "ports": [{ "port": 80 }] },
            }),
        )
        .await;
    }
    let before = app.list_favourites().expect("list").len();
    let e = favourites::add_service(&app.profiles, DEMO_NAME, "demo", "svcfav-bare")
        .await
        .expect_err("no selector");
    assert_eq!(
        (e.kind(), e.to_string()),
        (
            ErrorKind::InvalidInput,
            "cannot attach to *v1.Service: invalid service 'svcfav-bare': Service is defined without a selector".to_string()
        )
    );
    let e = favourites::add_service(&app.profiles, DEMO_NAME, "demo", "nope")
        .await
        .expect_err("no such Service");
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(e.to_string().contains("services \"nope\" not found"), "{e}");
    assert_eq!(
        app.list_favourites().expect("list").len(),
        before,
        "a refusal saved a favourite"
    );

    let fav = favourites::add_service(&app.profiles, DEMO_NAME, "demo", "svcfav")
        .await
        .expect("favourite");
    assert_eq!(
        (
            fav.name.as_str(),
            fav.kind.as_str(),
            fav.target.as_str(),
            fav.namespace.as_str()
        ),
        ("svcfav", "service", "svcfav", "demo")
    );
    let resolved = app.resolve_favourite(&fav.name).await.expect("resolve");
    assert_eq!(resolved.pod, "svcfav-1");
    // Starred again: another favourite, named apart.
    let again = favourites::add_service(&app.profiles, DEMO_NAME, "demo", "svcfav")
        .await
        .expect("favourite");
    assert_eq!(again.name, "svcfav (2)");
    for name in [&fav.name, &again.name] {
        app.delete_favourite(name).expect("delete");
    }
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "demo");
    pods.delete("svcfav-1", &Default::default())
        .await
        .expect("delete");
}

/// The API server's warnings while a session opens (Pod Security in warn mode on a node's pod)
/// reach its tab as `warning` states: before `connected`, each once; and for a session that
/// never connects (its pod's image cannot be pulled), before `lost`. Needs the keyring (the
/// import of the warning cluster's kubeconfig).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_servers_warnings_reach_the_tab_before_it_connects_or_fails() {
    let f = app().await;
    let mut opts = testcluster::Options::demo();
    opts.spec.pod_security_warn = vec!["demo".into()];
    let cluster = testcluster::TestCluster::start(opts)
        .await
        .expect("cluster");
    let imported = f
        .app
        .import_profiles(cluster.kubeconfig())
        .await
        .expect("import");
    let profile = imported[0].name.clone();
    let warning = SessionState::Warning {
        text: "would violate PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true, hostPID=true, hostIPC=true), hostPath volumes (volume \"host-root\")".into(),
    };
    let node_tab = |name: &str, image: &str| {
        let copy = Some(CopyRequest {
            name: name.into(),
            image: Some(image.into()),
        });
        open_with(&f.app, &profile, "node/testnode", "", None, None, copy)
    };
    let mut tab = node_tab("node-debugger-testnode-warn1", "busybox:1.36");
    assert_eq!(tab.state().await, SessionState::Connecting);
    assert_eq!(tab.state().await, warning);
    assert_eq!(tab.state().await, SessionState::Connected);
    f.app
        .send_input(tab.id, Bytes::from_static(b"exit 0\r"))
        .expect("input");
    assert_eq!(tab.end(&f.app).await, exited(0));
    // Its pod cannot start: the warning of its making, then why.
    let mut failed = node_tab("node-debugger-testnode-warn2", "registry.invalid/nope:1");
    assert_eq!(failed.state().await, SessionState::Connecting);
    assert_eq!(failed.state().await, warning);
    let end = failed.end(&f.app).await;
    assert!(matches!(&end, SessionState::Lost { .. }), "{end:?}");
}

/// A cluster renamed in its edit form takes its favourites and its port forwards along: they
/// name it, and would otherwise say "no profile" at their next use. Another cluster's stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renaming_a_cluster_takes_its_favourites_and_forwards_along() {
    use podterm_desktop_lib::ipc::ForwardRequest;
    use podterm_desktop_lib::state::{save_profile, Forwards};
    use podterm_test_support::portforward::{echo_pod, free_port, listening};
    let f = app().await;
    let app = &f.app;
    app.demo_profile().await.expect("demo");
    let forwards = Forwards::new();
    let recordings = podterm_desktop_lib::state::Recordings::new(None);
    save_profile(
        &app.profiles,
        &forwards,
        &app.sessions,
        &recordings,
        demo_by_hand(app, None, "staging", true).await,
    )
    .await
    .expect("save");
    let client = demo_client(app).await;
    let port = free_port();
    create_pod(
        &client,
        &echo_pod("demo", "fwd-rename", port, serde_json::json!({})),
    )
    .await;
    listening(port, true).await;
    let mine = app
        .add_favourite("staging", "demo", "shell", None)
        .await
        .expect("favourite");
    let other = app
        .add_favourite(DEMO_NAME, "demo", "shell", None)
        .await
        .expect("the Demo's favourite");
    let started = forwards
        .start(
            &app.profiles,
            ForwardRequest {
                profile: "staging".into(),
                namespace: "demo".into(),
                pod: "fwd-rename".into(),
                remote: port.to_string(),
                local: None,
                service: None,
            },
        )
        .await
        .expect("forward");
    save_profile(
        &app.profiles,
        &forwards,
        &app.sessions,
        &recordings,
        demo_by_hand(app, Some("staging"), "prod", false).await,
    )
    .await
    .expect("rename");
    let favs = app.list_favourites().expect("favourites");
    let of = |name: &str| {
        favs.iter()
            .find(|x| x.name == name)
            .map(|x| x.profile.clone())
    };
    assert_eq!(of(&mine.name).as_deref(), Some("prod"), "{favs:?}");
    assert_eq!(of(&other.name).as_deref(), Some(DEMO_NAME), "{favs:?}");
    // It opens under the new name.
    let resolved = favourites::resolve(&app.profiles, &mine.name)
        .await
        .expect("the renamed cluster's favourite resolves");
    assert_eq!(resolved.profile, "prod");
    let listed = forwards.list();
    let row = listed.iter().find(|x| x.id == started.id).expect("listed");
    assert_eq!(row.profile, "prod");
    forwards.stop_all();
}
