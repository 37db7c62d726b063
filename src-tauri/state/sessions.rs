//! Open exec sessions by id: each a task running podterm_core::terminal, its keystroke queue,
//! its flow-control credit, and its recording tap (podterm_core::recordings).

use super::{lock, next_id, Profiles};
use crate::error::{Error, Result};
use crate::ipc::{OpenSessionRequest, SessionEnd, SessionState};
use bytes::Bytes;
use podterm_core::flow::{Credit, FlowConfig};
use podterm_core::podcopy::{self, CopyPlan, Deleted};
use podterm_core::recordings::{AutoRecord, Tap, TapEvent};
use podterm_core::terminal::{self, Control, StartError, TerminalEnd};
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
    copies: Arc<Mutex<Vec<Copy>>>,
}

/// A pod's copy a session was opened in.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Copy {
    profile: String,
    /// As asked (empty: the profile's).
    namespace: String,
    name: String,
    /// The original pod's name (the copy's mark).
    of: String,
}

/// How long the app's exit waits for its copies to be deleted.
const COPIES_AT_EXIT: Duration = Duration::from_secs(3);

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
        if let Some(c) = &req.terminal.copy {
            let made = Copy {
                profile: req.profile.clone(),
                namespace: req.terminal.namespace.clone(),
                name: c.name.clone(),
                of: req.terminal.pod.clone(),
            };
            let mut copies = lock(&self.copies);
            if !copies.contains(&made) {
                copies.push(made);
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

    /// Deletes the copy `name` of pod `of` a session was opened in, only when it is Podterm's
    /// copy of `of` (any other pod of that name is left alone), and forgets it; one not there
    /// (yet: its creation may still land) is kept in mind for the app's exit.
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
            let key = Copy {
                profile: profile.to_string(),
                namespace: namespace.to_string(),
                name: name.to_string(),
                of: of.to_string(),
            };
            move || lock(&copies).retain(|k| *k != key)
        };
        if found != Deleted::Gone {
            forget();
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
                    Ok(_) => forget(),
                    Err(_) => {}
                }
                return;
            }
        });
        Ok(())
    }

    /// Deletes every copy still held (the app exits with their tabs open), all at once,
    /// waiting `COPIES_AT_EXIT` at most; one that cannot be deleted stays in the cluster.
    pub fn delete_copies(&self, profiles: &Profiles) {
        let held: Vec<Copy> = lock(&self.copies).clone();
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
    let connected = || state(SessionState::Connected);
    match terminal::run(
        &c,
        &req.terminal,
        control,
        credit,
        flow_cfg,
        output,
        connected,
        tap,
    )
    .await
    {
        TerminalEnd::Ended(Ok(outcome)) => SessionEnd::Finished(outcome),
        TerminalEnd::Ended(Err(e)) => {
            SessionEnd::Lost(Error::from_call(&req.profile, e).sentence())
        }
        TerminalEnd::NotStarted(StartError::Crashing {
            pod,
            container,
            state,
        }) => {
            let e = Error::from(StartError::Crashing {
                pod,
                container: container.clone(),
                state,
            });
            SessionEnd::Crashing {
                reason: e.sentence(),
                container,
            }
        }
        TerminalEnd::NotStarted(e) => {
            SessionEnd::Lost(Error::from_call(&req.profile, e).sentence())
        }
        TerminalEnd::PodGone(reason) => SessionEnd::Lost(reason),
        TerminalEnd::UiGone => SessionEnd::Lost("the terminal was closed".into()),
    }
}
