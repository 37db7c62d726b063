//! Open exec sessions by id: each a task running podterm_core::terminal, its keystroke queue,
//! its flow-control credit, and its recording tap (podterm_core::recordings); the pods' copies
//! they were opened in, listed in `copies.json` until deleted (podterm_core::madecopies), and
//! those a run before left there.

use super::{lock, next_id, Profiles};
use crate::error::{Error, Result};
use crate::ipc::{OpenSessionRequest, SessionEnd, SessionState};
use bytes::Bytes;
use podterm_core::cluster::within;
use podterm_core::exec::Tuning;
use podterm_core::flow::{Credit, FlowConfig};
use podterm_core::madecopies::{self, MadeCopy};
use podterm_core::nodedebug;
use podterm_core::podcopy::{self, CopyPlan, Deleted};
use podterm_core::recordings::{AutoRecord, Tap, TapEvent};
use podterm_core::terminal::{self, Control, TerminalEnd};
use podterm_core::text::shown;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

struct Entry {
    /// The session's one ordered queue of keystrokes and resizes.
    control: mpsc::UnboundedSender<Control>,
    credit: Credit,
    task: Option<AbortHandle>,
    /// Its recording, when one runs.
    tap: Tap,
    /// The profile it runs with.
    profile: String,
}

type Listener = Arc<dyn Fn(usize) + Send + Sync>;

/// The session registry. Cheap to clone.
#[derive(Clone, Default)]
pub struct Sessions {
    open: Arc<Mutex<HashMap<u32, Entry>>>,
    /// Told the number of open sessions after each change (the tray's live count).
    listener: Arc<Mutex<Option<Listener>>>,
    /// The pods' copies sessions were opened in, until deleted: their tab closes, or the app
    /// exits ([`Sessions::delete_copies`]).
    copies: Arc<Mutex<Vec<MadeCopy>>>,
    /// Where the copies are listed until deleted (`copies.json`'s directory; none: nowhere).
    ledger: Option<PathBuf>,
    /// The copies a run before listed and never deleted, until deleted or kept
    /// ([`Sessions::left_copies`]).
    left: Arc<Mutex<Vec<MadeCopy>>>,
}

/// Whether copies made in `profile` outlive the app: not the Demo cluster's, which ends with
/// the run that started it.
fn outlives_the_app(profile: &str) -> bool {
    profile != crate::demo::DEMO_NAME && profile != crate::demo::DEMO_VIEWER_NAME
}

/// How long the app's exit waits for its copies to be deleted.
const COPIES_AT_EXIT: Duration = Duration::from_secs(3);

/// How long deleting a copy a run before left waits for its cluster's client (a credential
/// plugin may ask for a login that never comes).
const LEFT_COPY_CONNECT: Duration = Duration::from_secs(30);

/// When a copy to delete is not there yet, how long after to look again (each after the one
/// before): its creation may still be on its way, for up to a request's timeout (30 s).
const LATE_COPY_LOOKS: [Duration; 3] = [
    Duration::from_secs(2),
    Duration::from_secs(10),
    Duration::from_secs(30),
];

impl Sessions {
    pub fn new() -> Self {
        Self::default()
    }

    /// A registry that lists its copies in `dir/copies.json` until they are deleted, and takes
    /// the copies listed there (a run before did not delete them) as [`Sessions::left_copies`].
    /// The Demo cluster's are dropped from the list: that cluster ended with its run.
    pub fn with_ledger(dir: Option<PathBuf>) -> Self {
        let mut left = Vec::new();
        if let Some(d) = &dir {
            match madecopies::load(d) {
                Ok(listed) => {
                    for c in listed {
                        if outlives_the_app(&c.profile) {
                            left.push(c);
                        } else {
                            unlist(d, &c);
                        }
                    }
                }
                Err(e) => tracing::warn!("the pod copies a run before left are unknown: {e}"),
            }
        }
        Sessions {
            ledger: dir,
            left: Arc::new(Mutex::new(left)),
            ..Self::default()
        }
    }

    /// `f` is told how many sessions are open after each open, end or close (replacing an
    /// earlier listener).
    pub fn on_change(&self, f: impl Fn(usize) + Send + Sync + 'static) {
        *lock(&self.listener) = Some(Arc::new(f));
    }

    /// No more change notices (the app is on its way out).
    pub fn stop_notifying(&self) {
        *lock(&self.listener) = None;
    }

    /// Tells the listener, outside the registry's lock.
    fn changed(&self) {
        let n = self.count();
        let listener = lock(&self.listener).clone();
        if let Some(f) = listener {
            f(n);
        }
    }

    /// Opens a TTY exec session with `profiles`' client and returns its id at once. `state`
    /// gets `connecting`, `connected`, then one final state that counts the output bytes sent
    /// before it; `output` gets the coalesced output while the UI's acknowledgements
    /// ([`Sessions::ack`]) allow, and returns false once nobody listens. `skip`: the tab's
    /// scrollback lines when output it cannot show may be skipped while it is behind
    /// ([`FlowConfig::skipping`]); `None` draws every byte.
    pub fn open(
        &self,
        profiles: &Profiles,
        req: OpenSessionRequest,
        skip: Option<usize>,
        output: impl FnMut(Bytes) -> bool + Send + 'static,
        state: impl Fn(SessionState) + Send + Sync + 'static,
    ) -> u32 {
        self.open_recorded(profiles, req, skip, None, output, state)
    }

    /// [`Sessions::open`], recorded from the first byte when `auto` is set (the profile records
    /// every session). `state` also gets `recording` and `recordingStopped`.
    pub fn open_recorded(
        &self,
        profiles: &Profiles,
        req: OpenSessionRequest,
        skip: Option<usize>,
        auto: Option<AutoRecord>,
        mut output: impl FnMut(Bytes) -> bool + Send + 'static,
        state: impl Fn(SessionState) + Send + Sync + 'static,
    ) -> u32 {
        // A copy is listed before it is made: a run killed while making it leaves it listed.
        let mut list_copy = None;
        if let Some(c) = &req.terminal.copy {
            let made = MadeCopy {
                profile: req.profile.clone(),
                namespace: req.terminal.namespace.clone(),
                name: c.name.clone(),
                of: req.terminal.pod.clone(),
            };
            let mut copies = lock(&self.copies);
            if !copies.contains(&made) {
                copies.push(made.clone());
                if outlives_the_app(&made.profile) {
                    list_copy = self.ledger.clone().map(|dir| (dir, made));
                }
            }
        }
        let state = Arc::new(state);
        let told = state.clone();
        let tap = Tap::new(req.profile.clone(), auto, move |e| told(tap_state(e)));
        let id = next_id();
        let flow_cfg = FlowConfig::terminal().skipping(skip);
        let credit = Credit::new(&flow_cfg);
        let (tx, rx) = mpsc::unbounded_channel();
        // Registered before the task starts, so it can always remove itself.
        let mut open = lock(&self.open);
        open.insert(
            id,
            Entry {
                control: tx,
                credit: credit.clone(),
                task: None,
                tap: tap.clone(),
                profile: req.profile.clone(),
            },
        );
        let registry = self.clone();
        let rt = profiles.runtime().clone();
        let profiles = profiles.clone();
        let task = rt.spawn(async move {
            state(SessionState::Connecting);
            if let Some((dir, asked)) = list_copy {
                registry.list(&profiles, dir, asked).await;
            }
            let sent = Arc::new(AtomicU64::new(0));
            let counter = sent.clone();
            let output = move |b: Bytes| {
                let n = b.len() as u64;
                let ok = output(b);
                if ok {
                    counter.fetch_add(n, Ordering::SeqCst);
                }
                ok
            };
            let end = run(&profiles, req, rx, credit, flow_cfg, output, &*state, &tap).await;
            tap.end();
            let removed = lock(&registry.open).remove(&id).is_some();
            state(end.into_state(sent.load(Ordering::SeqCst)));
            if removed {
                registry.changed();
            }
        });
        if let Some(e) = open.get_mut(&id) {
            e.task = Some(task.abort_handle());
        }
        drop(open);
        self.changed();
        id
    }

    /// Lists a copy a session is about to make (its namespace as resolved, so a later run looks
    /// where it is whatever the profile's namespace is by then). Under the copies' lock, as its
    /// deletion takes it off: a tab closed (its copy forgotten) before this runs lists nothing.
    /// A cluster that cannot be reached makes no copy either: nothing is listed.
    async fn list(&self, profiles: &Profiles, dir: PathBuf, asked: MadeCopy) {
        let Ok(c) = profiles.cluster(&asked.profile).await else {
            return;
        };
        let entry = MadeCopy {
            namespace: c.namespace_or(&asked.namespace).to_string(),
            ..asked.clone()
        };
        let copies = self.copies.clone();
        let listed = tokio::task::spawn_blocking(move || {
            let held = lock(&copies);
            if held.contains(&asked) {
                if let Err(e) = madecopies::add(&dir, &entry) {
                    tracing::warn!("a pod copy could not be listed: {e}");
                }
            }
            drop(held);
        });
        if let Err(e) = listed.await {
            tracing::warn!("a pod copy could not be listed: {e}");
        }
    }

    /// Keystrokes (or pasted text) for a session, queued in the order they came.
    pub fn send_input(&self, id: u32, data: Bytes) -> Result<()> {
        self.control(id, Control::Input(data))
    }

    pub fn resize(&self, id: u32, cols: u16, rows: u16) -> Result<()> {
        self.control(id, Control::Resize(cols.max(1), rows.max(1)))
    }

    fn control(&self, id: u32, c: Control) -> Result<()> {
        let open = lock(&self.open);
        match open.get(&id).map(|s| s.control.send(c).is_ok()) {
            Some(true) => Ok(()),
            _ => Err(Error::SessionEnded(id)),
        }
    }

    /// Every open tab now keeps `lines` lines of scrollback (the setting changed; xterm
    /// applies it to open tabs at once): what a skipping session keeps follows.
    pub fn set_scrollback(&self, lines: usize) {
        for s in lock(&self.open).values() {
            s.credit.set_scrollback(lines);
        }
    }

    /// The UI has written `bytes` more bytes of a session's output, which its terminal took
    /// `draw` to parse.
    pub fn ack(&self, id: u32, bytes: usize, draw: Duration) {
        if let Some(s) = lock(&self.open).get(&id) {
            s.credit.ack_drawn(bytes, draw);
        }
    }

    /// Ends a session (its connection closes; the process in the pod ends with it; its
    /// recording is finished).
    pub fn close(&self, id: u32) {
        let removed = lock(&self.open).remove(&id);
        if let Some(s) = removed {
            if let Some(t) = s.task {
                t.abort();
            }
            s.tap.end();
            self.changed();
        }
    }

    fn tap(&self, id: u32) -> Result<Tap> {
        lock(&self.open)
            .get(&id)
            .map(|s| s.tap.clone())
            .ok_or(Error::SessionEnded(id))
    }

    /// Starts recording a running session into a new file in `folder`; the file (the one
    /// already being written when it records).
    pub fn start_recording(&self, id: u32, folder: &Path, input: bool) -> Result<PathBuf> {
        Ok(self.tap(id)?.start(folder, input)?)
    }

    /// Records, as `auto` says, every open session of `profile` not recording yet (its
    /// cluster's "Record every session" was just ticked): one still connecting from its first
    /// byte. Each session's state says which started, or why one could not.
    pub fn record_all_of(&self, profile: &str, auto: &AutoRecord) {
        let taps: Vec<Tap> = lock(&self.open)
            .values()
            .filter(|s| s.profile == profile)
            .map(|s| s.tap.clone())
            .collect();
        for tap in taps {
            tap.arm(auto.clone());
        }
    }

    /// "Record every session" unticked on `profile`: its sessions still connecting no longer
    /// start recording as they begin (those recording go on).
    pub fn disarm_all_of(&self, profile: &str) {
        for s in lock(&self.open).values().filter(|s| s.profile == profile) {
            s.tap.disarm();
        }
    }

    /// Stops a session's recording (nothing when it has none).
    pub fn stop_recording(&self, id: u32) -> Result<()> {
        self.tap(id)?.stop();
        Ok(())
    }

    /// The profile a session runs with.
    pub fn profile_of(&self, id: u32) -> Option<String> {
        lock(&self.open).get(&id).map(|s| s.profile.clone())
    }

    /// The file a session is being recorded into, if it is.
    pub fn recording(&self, id: u32) -> Option<PathBuf> {
        self.tap(id).ok().and_then(|t| t.recording())
    }

    /// Sessions open now.
    pub fn count(&self) -> usize {
        lock(&self.open).len()
    }

    /// What a shell copy of `container` (empty: the default) of a pod would be.
    pub async fn plan_copy(
        profiles: &Profiles,
        profile: &str,
        namespace: &str,
        pod: &str,
        container: &str,
    ) -> Result<CopyPlan> {
        let c = profiles.cluster(profile).await?;
        let ns = c.namespace_or(namespace);
        podcopy::plan_shell_copy(&c.client, ns, pod, container)
            .await
            .map_err(|e| Error::from_call(profile, e))
    }

    /// What a shell on `node` would be: a debugging pod there (see
    /// [`podterm_core::nodedebug`]), planned as a copy of `node/NODE`.
    pub async fn plan_node_shell(
        profiles: &Profiles,
        profile: &str,
        namespace: &str,
        node: &str,
        image: &str,
    ) -> Result<CopyPlan> {
        let c = profiles.cluster(profile).await?;
        let ns = c.namespace_or(namespace);
        let limit = Tuning::with(c.liveness).request_timeout;
        within(
            limit,
            nodedebug::plan_node_shell(&c.client, ns, node, image),
        )
        .await
        .map_err(|e| Error::from_call(profile, e))
    }

    /// Deletes the copy `name` of pod `of` a session was opened in, only when it is Podterm's
    /// copy of `of` (any other pod of that name is left alone), and forgets it (off the list
    /// too); one not there (yet: its creation may still land) is looked for again a little
    /// later, and forgotten after the last look.
    pub async fn delete_copy(
        &self,
        profiles: &Profiles,
        profile: &str,
        namespace: &str,
        name: &str,
        of: &str,
    ) -> Result<()> {
        let c = profiles.cluster(profile).await?;
        let ns = c.namespace_or(namespace);
        let found = podcopy::delete_shell_copy(&c.client, ns, name, of)
            .await
            .map_err(|e| Error::from_call(profile, e))?;
        let forget = {
            let copies = self.copies.clone();
            let ledger = self.ledger.clone();
            let key = MadeCopy {
                profile: profile.to_string(),
                namespace: namespace.to_string(),
                name: name.to_string(),
                of: of.to_string(),
            };
            // As listed: the namespace resolved.
            let entry = MadeCopy {
                namespace: ns.to_string(),
                ..key.clone()
            };
            move || async move {
                // The lock held while the file changes: a listing still on its way sees the copy
                // gone and lists nothing.
                let done = tokio::task::spawn_blocking(move || {
                    let mut held = lock(&copies);
                    held.retain(|k| *k != key);
                    if let Some(dir) = &ledger {
                        unlist(dir, &entry);
                    }
                    drop(held);
                });
                if let Err(e) = done.await {
                    tracing::warn!("a pod copy could not be forgotten: {e}");
                }
            }
        };
        if found != Deleted::Gone {
            forget().await;
            return Ok(());
        }
        // Not there: its creation may still be on its way (the tab closed while the copy was
        // being made). Looked for again a little later, so it does not outlive its tab.
        let (client, ns, name, of) = (
            c.client.clone(),
            ns.to_string(),
            name.to_string(),
            of.to_string(),
        );
        profiles.runtime().spawn(async move {
            for wait in LATE_COPY_LOOKS {
                tokio::time::sleep(wait).await;
                match podcopy::delete_shell_copy(&client, &ns, &name, &of).await {
                    Ok(Deleted::Gone) => continue,
                    Ok(_) => forget().await,
                    Err(_) => {}
                }
                return;
            }
            // Never landed (its creation failed, or someone deleted it): nothing to delete.
            forget().await;
        });
        Ok(())
    }

    /// A cluster renamed (`old` is now `new`): the copies made in it, held and those a run
    /// before left, are deleted through the new name (the old one names no profile now).
    pub fn rename_profile(&self, old: &str, new: &str) {
        if old == new {
            return;
        }
        // Open sessions run on under the new name (Start recording looks their profile up).
        for s in lock(&self.open).values_mut().filter(|s| s.profile == old) {
            s.profile = new.to_string();
        }
        let mut held = lock(&self.copies);
        for list in [&mut *held, &mut *lock(&self.left)] {
            for c in list.iter_mut().filter(|c| c.profile == old) {
                c.profile = new.to_string();
            }
        }
        if let Some(dir) = &self.ledger {
            if let Err(e) = madecopies::rename_profile(dir, old, new) {
                tracing::warn!("the pod copies of {old} could not follow its new name: {e}");
            }
        }
    }

    /// Deletes every copy still held (the app exits with their tabs open), all at once,
    /// waiting `COPIES_AT_EXIT` at most; one that cannot be deleted stays in the cluster.
    pub fn delete_copies(&self, profiles: &Profiles) {
        let held: Vec<MadeCopy> = lock(&self.copies).clone();
        if held.is_empty() {
            return;
        }
        let this = self.clone();
        let p = profiles.clone();
        let all = async move {
            let each = held
                .iter()
                .map(|k| this.delete_copy(&p, &k.profile, &k.namespace, &k.name, &k.of));
            futures_util::future::join_all(each).await;
        };
        let rt = profiles.runtime().clone();
        // Its own thread: the caller may be on the runtime (a test) or not (the app's exit).
        let _ = std::thread::spawn(move || {
            rt.block_on(async move { tokio::time::timeout(COPIES_AT_EXIT, all).await })
        })
        .join();
    }

    /// The copies a run before made and did not delete (it was killed, or their cluster did
    /// not answer at its exit), for the page to offer to delete.
    pub fn left_copies(&self) -> Vec<MadeCopy> {
        lock(&self.left).clone()
    }

    /// Deletes one of the [`Sessions::left_copies`], only when it is still Podterm's copy of
    /// its original (any other pod of that name is left alone), within the profile's request
    /// timeout, and takes it off the list; an error leaves it listed.
    pub async fn delete_left_copy(&self, profiles: &Profiles, copy: MadeCopy) -> Result<Deleted> {
        // Connecting (a credential plugin, the keyring) is bounded too: the card waits on it.
        let c = tokio::time::timeout(LEFT_COPY_CONNECT, profiles.cluster(&copy.profile))
            .await
            .map_err(|_| {
                Error::from_call(
                    &copy.profile,
                    podcopy::CopyError::from(podterm_core::cluster::ApiError::Timeout(
                        LEFT_COPY_CONNECT,
                    )),
                )
            })??;
        let ns = c.namespace_or(&copy.namespace);
        let found = within(
            Tuning::with(c.liveness).request_timeout,
            podcopy::delete_shell_copy(&c.client, ns, &copy.name, &copy.of),
        )
        .await
        .map_err(|e| Error::from_call(&copy.profile, e))?;
        lock(&self.left).retain(|k| *k != copy);
        if let Some(dir) = self.ledger.clone() {
            let done = tokio::task::spawn_blocking(move || unlist(&dir, &copy));
            if let Err(e) = done.await {
                tracing::warn!("a pod copy could not be taken off the list: {e}");
            }
        }
        Ok(found)
    }

    /// Takes the [`Sessions::left_copies`] off the list in one write, deleting none: they stay
    /// in their clusters as any pod does. A list that cannot be written keeps them offered.
    pub async fn keep_left_copies(&self) -> Result<()> {
        let kept = lock(&self.left).clone();
        if let Some(dir) = self.ledger.clone() {
            let off = kept.clone();
            let path = dir.join(madecopies::FILE_NAME);
            tokio::task::spawn_blocking(move || madecopies::remove_all(&dir, &off))
                .await
                .map_err(|e| podterm_core::store::StoreError::Io {
                    action: "write",
                    path,
                    source: std::io::Error::other(e),
                })??;
        }
        lock(&self.left).retain(|k| !kept.contains(k));
        Ok(())
    }

    /// Ends every session (the page was reloaded, or the app exits).
    pub fn close_all(&self) {
        let open: Vec<Entry> = lock(&self.open).drain().map(|(_, s)| s).collect();
        let any = !open.is_empty();
        for s in open {
            if let Some(t) = s.task {
                t.abort();
            }
            s.tap.end();
        }
        if any {
            self.changed();
        }
    }
}

/// Takes a copy off `dir/copies.json`; a file that cannot be written is said in the log (the
/// copy is then offered again at the next start, where deleting it finds it gone).
fn unlist(dir: &Path, copy: &MadeCopy) {
    if let Err(e) = madecopies::remove(dir, copy) {
        tracing::warn!("a pod copy could not be taken off the list: {e}");
    }
}

/// A tap's news as the tab's state: file names escaped (a folder is the user's, a name holds a
/// pod's).
fn tap_state(e: TapEvent) -> SessionState {
    let name = |p: &Path| {
        shown(
            &p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string()),
        )
    };
    match e {
        TapEvent::Started { path } => SessionState::Recording {
            file: name(&path),
            path: shown(&path.display().to_string()),
        },
        TapEvent::Stopped { path, reason } => SessionState::RecordingStopped {
            file: name(&path),
            reason: reason.map(|r| podterm_core::text::message(&r)),
        },
    }
}

/// The most warnings of the API server one session's tab is told: one answer's, and the line
/// that says how many more it had.
const MAX_WARNINGS: usize = podterm_core::warnings::MAX_PER_ANSWER + 1;

/// Runs one session to its end.
#[allow(clippy::too_many_arguments)]
async fn run(
    profiles: &Profiles,
    req: OpenSessionRequest,
    control: mpsc::UnboundedReceiver<Control>,
    credit: Credit,
    flow_cfg: FlowConfig,
    output: impl FnMut(Bytes) -> bool + Send + 'static,
    state: &(impl Fn(SessionState) + Send + Sync),
    tap: &Tap,
) -> SessionEnd {
    let c = match profiles.cluster(&req.profile).await {
        Ok(c) => c,
        Err(e) => return SessionEnd::Lost(e.sentence()),
    };
    // The API server's warnings while the session opens (a debug container, a copy, a node's
    // pod), said to the tab as they come (before the shell's first output), each once.
    let (warn_tx, mut warnings) = mpsc::unbounded_channel::<String>();
    let heard: Mutex<Vec<String>> = Mutex::default();
    let handler: podterm_core::warnings::Handler = Arc::new(move |text: &str| {
        let mut heard = lock(&heard);
        if heard.len() < MAX_WARNINGS && !heard.iter().any(|t| t == text) {
            heard.push(text.to_string());
            let _ = warn_tx.send(text.to_string());
        }
    });
    let connected = || state(SessionState::Connected);
    let ran = podterm_core::warnings::collecting(
        handler,
        terminal::run(
            &c,
            &req.terminal,
            control,
            credit,
            flow_cfg,
            output,
            connected,
            tap,
        ),
    );
    tokio::pin!(ran);
    let end = loop {
        tokio::select! {
            end = &mut ran => break end,
            Some(text) = warnings.recv() => state(SessionState::Warning { text }),
        }
    };
    // Those of a session that never connected, said before its end.
    while let Ok(text) = warnings.try_recv() {
        state(SessionState::Warning { text });
    }
    match end {
        TerminalEnd::Ended(Ok(outcome)) => SessionEnd::Finished(outcome),
        TerminalEnd::Ended(Err(e)) => {
            SessionEnd::Lost(Error::from_call(&req.profile, e).sentence())
        }
        // Nothing runs to open a shell in (a crash loop, a container ended for good, a
        // completed pod), but a copy of the pod would: the tab offers it.
        TerminalEnd::NotStarted(e) => match e.copy_offered().map(str::to_owned) {
            Some(container) => SessionEnd::Crashing {
                reason: Error::from(e).sentence(),
                container,
            },
            None => SessionEnd::Lost(Error::from_call(&req.profile, e).sentence()),
        },
        TerminalEnd::PodGone(reason) => SessionEnd::Lost(reason),
        TerminalEnd::UiGone => SessionEnd::Lost("the terminal was closed".into()),
    }
}
