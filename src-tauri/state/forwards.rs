//! Port forwards by id: each a task serving a loopback listener (podterm_core::portforward), and
//! what the UI lists of it. Changes go out to one listener (the page's forwards list) as
//! connections open and end, as a forward follows its pod's workload to the next pod (waiting,
//! moved), and when it ends. A forward listens on 127.0.0.1 only: nothing off this machine
//! reaches a pod through the app.

use super::{lock, next_id, Profiles};
use crate::error::{Error, Result};
use crate::ipc::{
    ForwardInfo, ForwardRequest, ForwardService, ForwardState, ServiceList, ServiceSummary,
};
use podterm_core::cluster::{duration_words, within};
use podterm_core::exec::Tuning;
use podterm_core::pods::PodError;
use podterm_core::portforward::{self, ForwardError, Moved, PortSpec, Served};
use podterm_core::savedforwards::{self, SavedForward};
use podterm_core::text;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::task::AbortHandle;

type Sink = Box<dyn Fn(ForwardInfo) -> bool + Send + Sync>;

struct Item {
    info: ForwardInfo,
    /// When its connection counts go out next.
    pace: Pace,
    task: Option<AbortHandle>,
    /// What starts it again after a restart: kept while it runs, and for one that could not be
    /// started again (a cluster unreachable at launch must not lose it); none once it ended.
    keep: Option<SavedForward>,
}

#[derive(Default)]
struct Inner {
    items: BTreeMap<u32, Item>,
    sink: Option<Sink>,
}

impl Inner {
    /// Applies `change` to forward `id`, counting one more revision; none when it is not
    /// listed.
    fn change(&mut self, id: u32, change: impl FnOnce(&mut ForwardInfo)) -> Option<&mut Item> {
        let item = self.items.get_mut(&id)?;
        change(&mut item.info);
        item.info.revision = item.info.revision.saturating_add(1);
        Some(item)
    }

    /// Gives `info` to the listener (dropped once it refuses).
    fn tell(&mut self, info: ForwardInfo) {
        if let Some(sink) = &self.sink {
            if !sink(info) {
                self.sink = None;
            }
        }
    }
}

/// The shortest time between two events about one forward's connection counts.
pub const COUNTS_GAP: Duration = Duration::from_millis(250);

/// When a forward's changed counts go out: at once when the last event is [`COUNTS_GAP`] old,
/// else once, that long after it (changes meanwhile ride along).
#[derive(Debug, Default, Clone, Copy)]
struct Pace {
    last: Option<Instant>,
    /// A send is scheduled.
    due: bool,
}

/// What [`Pace::change`] says to do.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Now,
    /// Schedule one send this much later.
    Later(Duration),
    /// One is scheduled already: it carries this change.
    Merged,
}

impl Pace {
    /// The counts changed at `now`.
    fn change(&mut self, now: Instant) -> Step {
        if self.due {
            return Step::Merged;
        }
        match self.last.map(|l| now.saturating_duration_since(l)) {
            Some(since) if since < COUNTS_GAP => {
                self.due = true;
                Step::Later(COUNTS_GAP - since)
            }
            _ => Step::Now,
        }
    }

    /// The scheduled event went out at `now` (it carries every change so far).
    fn sent(&mut self, now: Instant) {
        self.last = Some(now);
        self.due = false;
    }

    /// Another event about the forward went out at `now` (a move, its end): the next change
    /// waits the gap from it; a scheduled one still goes.
    fn told(&mut self, now: Instant) {
        self.last = Some(now);
    }
}

/// The forward registry. Cheap to clone.
#[derive(Clone, Default)]
pub struct Forwards {
    inner: Arc<Mutex<Inner>>,
    /// Where `forwards.json` is kept (none: nothing is saved).
    dir: Option<Arc<PathBuf>>,
    /// Whether the last run's forwards were started again (once per run).
    restored: Arc<AtomicBool>,
    /// Held from reading the list to writing it: saves land in the order of the changes.
    saving: Arc<Mutex<()>>,
    /// Set as the app exits: from then on nothing is saved (the file keeps what ran).
    closed: Arc<AtomicBool>,
    /// Saved forwards being started now by Start again: saved meanwhile
    /// unless a listed forward already has the local port (it is the one that started).
    /// Locked inside `inner` when both are held.
    in_flight: Arc<Mutex<Vec<SavedForward>>>,
    /// Whether forwards are kept for the next start (the "reopen at start" setting).
    keeping: Arc<AtomicBool>,
    /// Told when a forward starts, moves, ends or goes (not its counts): the tray's list.
    on_list: Arc<Mutex<Option<ListListener>>>,
}

type ListListener = Arc<dyn Fn() + Send + Sync>;

impl Forwards {
    /// A registry that saves nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// A registry that keeps its running forwards in `dir/forwards.json` (none: nothing is
    /// saved) while `keeping` is on, to start them again after a restart
    /// ([`Forwards::restore`]).
    pub fn saving_in(dir: Option<PathBuf>, keeping: bool) -> Self {
        Forwards {
            dir: dir.map(Arc::new),
            keeping: Arc::new(AtomicBool::new(keeping)),
            ..Self::default()
        }
    }

    /// A cluster renamed (profile `old` is now `new`): its forwards, running or kept for the
    /// next start, are listed and saved under the new name; each changed row goes to the
    /// listener.
    pub fn rename_profile(&self, old: &str, new: &str) {
        if old == new {
            return;
        }
        {
            let mut inner = lock(&self.inner);
            let ids: Vec<u32> = inner
                .items
                .iter()
                .filter(|(_, i)| i.info.profile == old)
                .map(|(id, _)| *id)
                .collect();
            for id in ids {
                let Some(item) = inner.change(id, |info| info.profile = new.to_string()) else {
                    continue;
                };
                if let Some(k) = item.keep.as_mut() {
                    k.profile = new.to_string();
                }
                let info = item.info.clone();
                inner.tell(info);
            }
            for p in lock(&self.in_flight)
                .iter_mut()
                .filter(|p| p.profile == old)
            {
                p.profile = new.to_string();
            }
        }
        self.persist();
    }

    /// Turns keeping the forwards for the next start on (saved now) or off (the file emptied).
    pub fn set_keeping(&self, on: bool) {
        self.keeping.store(on, Ordering::SeqCst);
        if on {
            self.persist();
            return;
        }
        let Some(dir) = &self.dir else { return };
        let _order = lock(&self.saving);
        if self.closed.load(Ordering::SeqCst) {
            return;
        }
        if let Err(e) = savedforwards::save(dir, &[]) {
            tracing::warn!("the saved port forwards could not be forgotten: {e}");
        }
    }

    /// Writes what starts the forwards again (a failure is logged: the forward itself goes on).
    fn persist(&self) {
        let Some(dir) = &self.dir else { return };
        let _order = lock(&self.saving);
        if self.closed.load(Ordering::SeqCst) || !self.keeping.load(Ordering::SeqCst) {
            return;
        }
        // Read at one moment: a forward moves between these lists under `inner`'s lock.
        let keep: Vec<SavedForward> = {
            let inner = lock(&self.inner);
            let mut keep: Vec<SavedForward> = inner
                .items
                .values()
                .filter_map(|i| i.keep.clone())
                .collect();
            let started: Vec<SavedForward> = lock(&self.in_flight)
                .iter()
                .filter(|p| {
                    !keep
                        .iter()
                        .any(|k| k.local == p.local && k.profile == p.profile)
                })
                .cloned()
                .collect();
            keep.extend(started);
            keep
        };
        if keep.len() > savedforwards::MAX_FORWARDS {
            tracing::warn!(
                "{} port forwards: only the first {} are kept for the next start",
                keep.len(),
                savedforwards::MAX_FORWARDS
            );
        }
        if let Err(e) = savedforwards::save(dir, &keep) {
            tracing::warn!("the port forwards could not be saved: {e}");
        }
    }

    /// Starts the last run's forwards again, each on its local port, on its pod or, when that
    /// is gone, on its workload's newest Ready pod. Each is listed at once as starting, then all
    /// start together, each in its row's place: one whose workload (or Service) has no Ready pod
    /// yet says so and waits up to [`RESTORE_READY_WAIT`] for one. One that cannot start (within
    /// [`RESTORE_WAIT`] more) is listed as ended, saying why, and kept for the next run until
    /// removed. Each goes to the listener as it changes; the rows come back in the file's order.
    /// Once per run (later calls: none), and only while forwards are kept.
    pub async fn restore(&self, profiles: &Profiles) -> Vec<ForwardInfo> {
        if self.restored.swap(true, Ordering::SeqCst) || !self.keeping.load(Ordering::SeqCst) {
            return Vec::new();
        }
        let Some(dir) = &self.dir else {
            return Vec::new();
        };
        let saved = match savedforwards::load(dir) {
            Ok(s) => s.forwards,
            Err(e) => {
                tracing::warn!("the last run's port forwards could not be read: {e}");
                return Vec::new();
            }
        };
        // Each is listed at once, in the file's order, as starting again; its row keeps it saved.
        let rows = self.starting(saved);
        // All start together: a cluster that does not answer holds up its own forwards only, and
        // one waiting for a Ready pod none of the others. Each row is told its end as it comes.
        // Remove on a row, or the app quitting, stops its start (the row's task).
        let tasks: Vec<_> = rows
            .into_iter()
            .map(|(s, row)| {
                let (me, profiles) = (self.clone(), profiles.clone());
                let task = tokio::spawn(async move { me.restore_one(&profiles, s, row).await });
                // Still starting (not yet replaced by its forward, nor ended, nor removed).
                if let Some(item) = lock(&self.inner)
                    .items
                    .get_mut(&row)
                    .filter(|i| i.info.state == ForwardState::Starting)
                {
                    item.task = Some(task.abort_handle());
                }
                task
            })
            .collect();
        let done = futures_util::future::join_all(tasks).await;
        // (A start stopped by Remove or by the app quitting: none.)
        let out: Vec<ForwardInfo> = done.into_iter().filter_map(|d| d.ok().flatten()).collect();
        self.persist();
        out
    }

    /// Starts saved forward `s` in its starting `row`'s place: at once, or, when its workload
    /// has no Ready pod, once one is (the row says so meanwhile); ended there when it cannot.
    /// Its row as it ends up (none: removed, or the app quitting).
    async fn restore_one(
        &self,
        profiles: &Profiles,
        s: SavedForward,
        row: u32,
    ) -> Option<ForwardInfo> {
        if self.closed.load(Ordering::SeqCst) {
            return None;
        }
        let first = self
            .start_saved(profiles, s.clone(), Duration::ZERO, Some(row))
            .await;
        // Its workload has no Ready pod now (a rollout, a blue/green switch under way): the row
        // says so, and it waits for one (unless it was removed, or the app quits, meanwhile).
        let started = match first.as_ref().err().and_then(none_ready).map(str::to_owned) {
            Some(target) if !self.closed.load(Ordering::SeqCst) && self.starting_row(row) => {
                self.waits_for(row, &target);
                self.start_saved(profiles, s.clone(), RESTORE_READY_WAIT, Some(row))
                    .await
            }
            _ => first,
        };
        self.restored(s, started, row)
    }

    /// Whether `row` is still listed as starting.
    fn starting_row(&self, row: u32) -> bool {
        lock(&self.inner)
            .items
            .get(&row)
            .is_some_and(|i| i.info.state == ForwardState::Starting)
    }

    /// Lists the last run's forwards as starting again (each as a new id, in order): not
    /// listening yet. Each row keeps its forward saved: Remove forgets it, and it does not start
    /// once removed. All listed at once: a save meanwhile has them all.
    fn starting(&self, saved: Vec<SavedForward>) -> Vec<(SavedForward, u32)> {
        let rows: Vec<(SavedForward, u32)> = saved.into_iter().map(|s| (s, next_id())).collect();
        {
            let mut inner = lock(&self.inner);
            for (s, id) in &rows {
                inner.items.insert(
                    *id,
                    Item {
                        info: saved_info(*id, s, ForwardState::Starting),
                        pace: Pace::default(),
                        task: None,
                        keep: Some(s.clone()),
                    },
                );
            }
        }
        for (_, id) in &rows {
            self.update(*id, |_| {});
        }
        rows
    }

    /// Starting row `row` waits for a Ready pod of `target`: it says so.
    fn waits_for(&self, row: u32, target: &str) {
        let note = text::message(&format!(
            "no Ready pod of {} yet: waiting up to {} for one",
            text::shown(target),
            duration_words(RESTORE_READY_WAIT)
        ));
        self.update(row, |i| {
            i.waiting = true;
            i.note = Some(note);
        });
    }

    /// Ends restored forward `s`'s starting `row`: running in its place (`started`), or ended
    /// there saying why it did not start (kept for Start again); removed meanwhile: nothing
    /// more. Saved so. The row, if it is still listed.
    fn restored(&self, s: SavedForward, started: Result<u32>, row: u32) -> Option<ForwardInfo> {
        if let Err(e) = started {
            let mut inner = lock(&self.inner);
            // Removed while it started: not wanted (its removal saved it so).
            let revision = inner.items.get(&row)?.info.revision;
            not_restarted(&mut inner, row, s, &e.to_string());
            if let Some(item) = inner.items.get_mut(&row) {
                // Newer than the starting row (the update counts one more).
                item.info.revision = revision;
            }
            drop(inner);
            self.update(row, |_| {});
        }
        self.persist();
        self.list().into_iter().find(|f| f.id == row)
    }

    /// Starts a saved forward on its local port (its pod, or its workload's newest Ready pod,
    /// waited for up to `ready_wait`), within [`RESTORE_WAIT`] more, in place of its starting
    /// `row` if it has one; the row says when it moved. Returns its id.
    async fn start_saved(
        &self,
        profiles: &Profiles,
        s: SavedForward,
        ready_wait: Duration,
        row: Option<u32>,
    ) -> Result<u32> {
        let started = async {
            let c = profiles.cluster(&s.profile).await?;
            let tuning = Tuning::with(c.liveness);
            let limit = tuning.request_timeout.map(|t| t + ready_wait);
            // A restored forward's looks take a Ready pod (none makes it wait, its row saying
            // so); Start again, the user's, takes one that runs, as a new forward does.
            let unready_ok = row.is_none();
            let found = within(
                limit,
                savedforwards::locate(&c.client, &s, ready_wait, unready_ok),
            )
            .await
            .map_err(|e| Error::from_call(&s.profile, e))?;
            let (pod, unready) = (found.pod, found.unready);
            let located = pod.metadata.name.clone().unwrap_or_default();
            // Its pod was gone: the row says where it went instead.
            let old = text::shown(&s.pod);
            let gone = (located != s.pod).then(|| {
                text::message(&format!(
                    "moved from {old}: the pod {old} was gone at the start"
                ))
            });
            let req = ForwardRequest {
                profile: s.profile.clone(),
                namespace: s.namespace.clone(),
                pod: located.clone(),
                remote: s.remote.clone(),
                local: Some(s.local),
                service: s.service.clone(),
            };
            let found_again = FoundAgain { gone, unready };
            self.start_waiting(profiles, req, ready_wait, row, found_again)
                .await
        };
        let info = tokio::time::timeout(RESTORE_WAIT + ready_wait, started)
            .await
            .map_err(|_| Error::ForwardStartSlow(RESTORE_WAIT + ready_wait))?
            .map_err(|e| match e {
                // Its row's advice: Start again or Remove (no port to type).
                Error::LocalPort { port, source, .. } => Error::LocalPort {
                    port,
                    source,
                    saved: true,
                },
                e => e,
            })?;
        // What a newer Podterm saved with it stays, and the workload it followed (should it
        // not be found again now).
        let (extra, workload) = (s.extra, s.workload);
        self.keep(info.id, |k| {
            k.extra = extra;
            if k.workload.is_none() {
                k.workload = workload;
            }
        });
        // The row goes to the listener.
        self.update(info.id, |_| {});
        Ok(info.id)
    }

    /// Tries again to start forward `id`, one that could not start again at this run's start
    /// (its cluster was unreachable, its pod not there yet): on its local port, as then. Its
    /// row is replaced by the running forward's (another id); when it still cannot start, it
    /// stays (the same id), saying why now, and the error is returned. Removed meanwhile, the
    /// forward started is stopped.
    pub async fn start_again(&self, profiles: &Profiles, id: u32) -> Result<ForwardInfo> {
        let s = {
            let mut inner = lock(&self.inner);
            let item = inner.items.get_mut(&id).ok_or(Error::NoForward(id))?;
            if !item.info.restartable {
                return Err(Error::ForwardNotRestartable(id));
            }
            let s = item.keep.take().ok_or(Error::ForwardNotRestartable(id))?;
            // Not tried twice at once; saved as in flight meanwhile.
            item.info.restartable = false;
            lock(&self.in_flight).push(s.clone());
            s
        };
        let started = self
            .start_saved(profiles, s.clone(), Duration::ZERO, None)
            .await;
        let removed = {
            let mut inner = lock(&self.inner);
            let removed = !inner.items.contains_key(&id);
            match &started {
                Ok(_) => {
                    inner.items.remove(&id);
                }
                Err(e) => {
                    if let Some(item) = inner.items.get_mut(&id) {
                        item.keep = Some(s.clone());
                        item.info.restartable = true;
                        item.info.state = not_started(&e.to_string());
                    }
                }
            }
            removed
        };
        self.landed(&s);
        match started {
            Ok(new) if removed => {
                // Removed while it started: it is not wanted.
                let _ = self.stop(new);
                Err(Error::NoForward(id))
            }
            Ok(new) => self
                .list()
                .into_iter()
                .find(|f| f.id == new)
                .ok_or(Error::NoForward(new)),
            Err(e) => {
                self.update(id, |_| {});
                Err(e)
            }
        }
    }

    /// Saved forward `s` started, or was listed as not started: no longer in flight (saved).
    fn landed(&self, s: &SavedForward) {
        {
            let _inner = lock(&self.inner);
            let mut in_flight = lock(&self.in_flight);
            if let Some(at) = in_flight.iter().position(|p| p == s) {
                in_flight.remove(at);
            }
        }
        self.persist();
    }

    /// `f` is told, outside the registry's lock, when a forward starts, moves, ends or goes
    /// (not when its counts change), replacing an earlier one.
    pub fn on_list_change(&self, f: impl Fn() + Send + Sync + 'static) {
        *lock(&self.on_list) = Some(Arc::new(f));
    }

    /// No more list notices (the app is on its way out).
    pub fn stop_notifying(&self) {
        *lock(&self.on_list) = None;
    }

    /// Tells the list's listener (never under `inner`'s lock: it may list the forwards).
    fn list_changed(&self) {
        let f = lock(&self.on_list).clone();
        if let Some(f) = f {
            f();
        }
    }

    /// Every change goes to `sink` from now on (replacing an earlier one; dropped once it
    /// returns false).
    pub fn listen(&self, sink: impl Fn(ForwardInfo) -> bool + Send + Sync + 'static) {
        lock(&self.inner).sink = Some(Box::new(sink));
    }

    /// Every forward of this run, oldest first.
    pub fn list(&self) -> Vec<ForwardInfo> {
        lock(&self.inner)
            .items
            .values()
            .map(|i| i.info.clone())
            .collect()
    }

    /// Stops a forward and forgets it (an ended one is only forgotten), here and for the next
    /// run.
    pub fn stop(&self, id: u32) -> Result<()> {
        let removed = lock(&self.inner).items.remove(&id);
        match removed {
            Some(item) => {
                if let Some(t) = item.task {
                    t.abort();
                }
                self.persist();
                self.list_changed();
                Ok(())
            }
            None => Err(Error::NoForward(id)),
        }
    }

    /// Stops every forward (the app exits): the saved ones stay saved, to start again.
    pub fn stop_all(&self) {
        self.stop_notifying();
        // Under the save lock: a save under way lands first, none comes after.
        {
            let _order = lock(&self.saving);
            self.closed.store(true, Ordering::SeqCst);
        }
        for (_, item) in std::mem::take(&mut lock(&self.inner).items) {
            if let Some(t) = item.task {
                t.abort();
            }
        }
    }

    /// Changes what starts forward `id` again, and saves it.
    fn keep(&self, id: u32, change: impl FnOnce(&mut SavedForward)) {
        if let Some(k) = lock(&self.inner)
            .items
            .get_mut(&id)
            .and_then(|i| i.keep.as_mut())
        {
            change(k);
        }
        self.persist();
    }

    /// Forward `id` will not start again (it ended), and is saved so.
    fn forget(&self, id: u32) {
        if let Some(item) = lock(&self.inner).items.get_mut(&id) {
            item.keep = None;
        }
        self.persist();
    }

    /// Changes forward `id` and tells the listener.
    fn update(&self, id: u32, change: impl FnOnce(&mut ForwardInfo)) {
        let mut inner = lock(&self.inner);
        let Some(item) = inner.change(id, change) else {
            return;
        };
        item.pace.told(Instant::now());
        let info = item.info.clone();
        inner.tell(info);
        drop(inner);
        self.list_changed();
    }

    /// Changes forward `id`'s connection counts, and tells the listener at most every
    /// [`COUNTS_GAP`]: a client opening thousands of connections a second (a load test, a
    /// browser's page) sends the page a few events, not thousands. The last change always goes
    /// out.
    fn count(&self, id: u32, change: impl FnOnce(&mut ForwardInfo)) {
        let mut inner = lock(&self.inner);
        let Some(item) = inner.change(id, change) else {
            return;
        };
        let step = item.pace.change(Instant::now());
        let info = item.info.clone();
        match (step, tokio::runtime::Handle::try_current()) {
            (Step::Merged, _) => {}
            (Step::Later(after), Ok(rt)) => {
                let me = self.clone();
                rt.spawn(async move {
                    tokio::time::sleep(after).await;
                    me.flush(id);
                });
            }
            // No runtime to wait on (none runs a forward without one): now.
            (Step::Now, _) | (Step::Later(_), Err(_)) => {
                item.pace.sent(Instant::now());
                inner.tell(info);
            }
        }
    }

    /// Sends forward `id`'s counts held back by [`Forwards::count`].
    fn flush(&self, id: u32) {
        let mut inner = lock(&self.inner);
        let Some(item) = inner.items.get_mut(&id) else {
            return;
        };
        item.pace.sent(Instant::now());
        let info = item.info.clone();
        inner.tell(info);
    }

    /// The Services of `namespace` (empty: the profile's) a forward may go through.
    pub async fn services(
        &self,
        profiles: &Profiles,
        profile: &str,
        namespace: &str,
    ) -> Result<ServiceList> {
        let c = profiles.cluster(profile).await?;
        let tuning = Tuning::with(c.liveness);
        within(
            tuning.request_timeout,
            podterm_core::services::list(&c.client, c.namespace_or(namespace)),
        )
        .await
        .map_err(|e| Error::from_call(profile, e))
    }

    /// The Service `name` of `namespace` (empty: the profile's), `None` when there is none:
    /// one past the first page [`Forwards::services`] lists.
    pub async fn service(
        &self,
        profiles: &Profiles,
        profile: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Option<ServiceSummary>> {
        let c = profiles.cluster(profile).await?;
        let tuning = Tuning::with(c.liveness);
        within(
            tuning.request_timeout,
            podterm_core::services::find(&c.client, c.namespace_or(namespace), name.trim()),
        )
        .await
        .map_err(|e| Error::from_call(profile, e))
    }

    /// Starts forwarding a loopback port to the pod's port, or through a Service, checked
    /// first ([`portforward::prepare`], [`portforward::prepare_service`]): a forward that
    /// cannot work is refused here rather than at its first connection.
    pub async fn start(&self, profiles: &Profiles, req: ForwardRequest) -> Result<ForwardInfo> {
        self.start_waiting(profiles, req, Duration::ZERO, None, FoundAgain::default())
            .await
    }

    /// [`Forwards::start`], a forward through a Service waiting up to `ready_wait` for a Ready
    /// pod when its selector has none now (a restored forward's Service switched to pods still
    /// starting); listed in place of the starting `row` (its id, a newer revision) if there is
    /// one: removed meanwhile, the forward is not wanted and does not start.
    /// `found_again`: what a saved forward's pod found again says.
    async fn start_waiting(
        &self,
        profiles: &Profiles,
        req: ForwardRequest,
        ready_wait: Duration,
        row: Option<u32>,
        found_again: FoundAgain,
    ) -> Result<ForwardInfo> {
        let spec = PortSpec::parse(&format!("0:{}", req.remote.trim())).map_err(Error::Forward)?;
        let c = profiles.cluster(&req.profile).await?;
        let namespace = c.namespace_or(&req.namespace).to_string();
        let tuning = Tuning::with(c.liveness);
        let service = req
            .service
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let prepared = match service {
            Some(name) => {
                let pod = Some(req.pod.trim()).filter(|p| !p.is_empty());
                // A pod that is not Ready for a forward the user starts (or starts again), as
                // kubectl takes it; a restored one waits for a Ready pod (its row says so).
                let pick = portforward::ServicePick {
                    ready_wait,
                    unready_ok: row.is_none(),
                };
                portforward::prepare_service(&c.client, &namespace, name, pod, &spec, tuning, pick)
                    .await
            }
            None => portforward::prepare(&c.client, &namespace, &req.pod, &spec, tuning).await,
        };
        let portforward::Prepared {
            pod,
            remote,
            port,
            workload,
            passed_over,
            unready,
        } = prepared.map_err(|e| Error::from_call(&req.profile, e))?;
        let FoundAgain {
            gone,
            unready: saved_unready,
        } = found_again;
        let pod_name = pod.metadata.name.clone().unwrap_or_default();
        // The saved forward's pod found again is the one taken, unless a Service passed it over
        // (then its own note stands).
        let unready = match saved_unready {
            Some(note) if pod_name == req.pod.trim() => Some(note),
            _ => unready,
        };
        let service_port = port.service_port();
        // Through a Service, kubectl listens on the Service's port number; not one a restored
        // forward still starting will take again, nor one a saved forward that could not start
        // again waits to have back (its Start again would fail on it).
        let same = service_port.unwrap_or(remote);
        let reserved = {
            let inner = lock(&self.inner);
            let wanted = inner.items.values().any(|i| {
                i.info.local == same
                    && (i.info.state == ForwardState::Starting || i.info.restartable)
            });
            wanted || lock(&self.in_flight).iter().any(|s| s.local == same)
        };
        let listener = bind(req.local, same, reserved).await?;
        let local = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let id = row.unwrap_or_else(next_id);
        // A restored forward's pod was `gone`, and the one found for it passed over (through a
        // Service: which, and why). The note says that, and that the pod taken is not Ready
        // until it is.
        let passed_over = passed_over.map(|why| {
            text::message(&format!(
                "moved from {}: {}",
                text::shown(req.pod.trim()),
                text::shown(&why)
            ))
        });
        let moved_from = gone
            .into_iter()
            .chain(passed_over)
            .reduce(|a, b| format!("{a}; {b}"));
        let mut info = ForwardInfo {
            id,
            profile: req.profile.clone(),
            namespace: namespace.clone(),
            pod: text::shown(&pod_name),
            remote,
            port_name: port_name(&req.remote),
            local,
            url: browser_url(local, remote, service_port, Some(req.remote.trim())),
            connections: 0,
            open: 0,
            state: ForwardState::Listening,
            error: None,
            workload: workload.as_ref().map(|w| text::shown(&w.to_string())),
            note: with_unready(moved_from.clone(), unready),
            revision: 0,
            restartable: false,
            waiting: false,
            service: service.map(|name| ForwardService {
                name: text::shown(name),
                port: service_port.unwrap_or(0),
            }),
        };
        let keep = SavedForward {
            profile: req.profile.clone(),
            namespace: namespace.clone(),
            pod: pod_name,
            remote: req.remote.trim().to_string(),
            local,
            workload: workload.as_ref().map(|w| w.to_string()),
            service: service.map(str::to_string),
            extra: Default::default(),
        };
        {
            let mut inner = lock(&self.inner);
            if let Some(row) = row {
                // Its starting row was removed meanwhile: not wanted (the listener closes here).
                let old = inner.items.get(&row).ok_or(Error::NoForward(row))?;
                info.revision = old.info.revision.saturating_add(1);
            }
            inner.items.insert(
                id,
                Item {
                    info: info.clone(),
                    pace: Pace::default(),
                    task: None,
                    keep: Some(keep),
                },
            );
        }
        self.persist();
        let me = self.clone();
        let report: Arc<dyn Fn(Served) + Send + Sync> = Arc::new(move |s: Served| {
            me.count(id, |i| match s {
                Served::Opened => {
                    i.connections += 1;
                    i.open += 1;
                }
                Served::Ended(r) => {
                    i.open = i.open.saturating_sub(1);
                    i.error = r.err().map(|e| text::shown(&e.to_string()));
                }
            })
        });
        let me = self.clone();
        let moves = self.clone();
        let client = c.client.clone();
        let task = tokio::spawn(async move {
            let follows = workload.as_ref().map(|w| w.to_string()).unwrap_or_default();
            // The note without its "not Ready" part: what it says once the pod is Ready.
            let settled = Mutex::new(moved_from);
            let moved = move |m: Moved| {
                if let Moved::To { to, .. } = &m {
                    moves.keep(id, |k| k.pod = to.pod.clone());
                }
                moves.update(id, |i| match m {
                    Moved::Waiting { why } => {
                        i.waiting = true;
                        i.note = Some(text::message(&format!(
                            "{}: waiting for a Ready pod of {}",
                            text::shown(&why),
                            text::shown(&follows)
                        )));
                    }
                    Moved::To { to, why, unready } => {
                        i.waiting = false;
                        // `i.pod` was shown when it was stored.
                        let moved_from =
                            text::message(&format!("moved from {}: {}", i.pod, text::shown(&why)));
                        *lock(&settled) = Some(moved_from.clone());
                        i.note = with_unready(Some(moved_from), unready);
                        i.pod = text::shown(&to.pod);
                        i.remote = to.remote;
                        let through = i.service.as_ref().map(|s| s.port);
                        i.url = browser_url(i.local, to.remote, through, i.port_name.as_deref());
                    }
                    Moved::Ready => i.note = lock(&settled).clone(),
                })
            };
            let why = portforward::run(
                client, namespace, &pod, port, workload, listener, tuning, report, moved,
            )
            .await;
            // The listener closed with the forward: nothing reaches the pod any more.
            me.update(id, |i| {
                i.state = ForwardState::Ended {
                    reason: text::shown(&why),
                };
                i.open = 0;
                // The reason says what became of the move, if any.
                i.note = None;
                i.waiting = false;
            });
            // Ended: nothing to start again.
            me.forget(id);
        });
        {
            let mut inner = lock(&self.inner);
            match inner.items.get_mut(&id) {
                // The app exited while it started: nothing would stop it.
                Some(_) if self.closed.load(Ordering::SeqCst) => {
                    inner.items.remove(&id);
                    task.abort();
                }
                Some(item) => item.task = Some(task.abort_handle()),
                // Stopped before it was stored: nothing holds the task.
                None => task.abort(),
            }
        }
        self.list_changed();
        Ok(info)
    }
}

/// A saved forward's pod found again ([`savedforwards::locate`]): why it is not on its saved
/// pod (gone), and the note of a pod taken though not Ready.
#[derive(Default)]
struct FoundAgain {
    gone: Option<String>,
    unready: Option<String>,
}

/// A forward's note: `moved_from` (why it is on this pod), then `unready` (the core's note
/// that the pod runs though it is not Ready, its names escaped where it was made).
fn with_unready(moved_from: Option<String>, unready: Option<String>) -> Option<String> {
    moved_from
        .into_iter()
        .chain(unready.map(|n| text::message(&n)))
        .reduce(|a, b| format!("{a}; {b}"))
}

/// What a browser opens for a forward ([`portforward::browser_url`]): through a Service, its
/// port (443, 8443) says TLS as the pod's would.
fn browser_url(local: u16, remote: u16, service_port: Option<u16>, name: Option<&str>) -> String {
    match service_port {
        Some(p @ (443 | 8443)) => portforward::browser_url(local, p, name),
        _ => portforward::browser_url(local, remote, name),
    }
}

/// The name a forward's port was asked by (`http`), shown; none for a number.
fn port_name(asked: &str) -> Option<String> {
    let asked = asked.trim();
    (!asked.is_empty() && asked.parse::<u16>().is_err()).then(|| text::shown(asked))
}

/// Lists a saved forward that could not be started again as ended (as `id`), saying why; it
/// stays saved until removed.
fn not_restarted(inner: &mut Inner, id: u32, s: SavedForward, why: &str) {
    let mut info = saved_info(id, &s, not_started(why));
    info.restartable = true;
    inner.items.insert(
        id,
        Item {
            info,
            pace: Pace::default(),
            task: None,
            keep: Some(s),
        },
    );
}

/// The row of saved forward `s` as `id` while it does not run (`state`): its own local port,
/// its pod's port when asked by number (through a Service: not known).
fn saved_info(id: u32, s: &SavedForward, state: ForwardState) -> ForwardInfo {
    // Through a Service, `remote` is the Service's port: the pod's is not known.
    let remote = match s.service {
        Some(_) => 0,
        None => s.remote.parse().unwrap_or(0),
    };
    ForwardInfo {
        id,
        profile: s.profile.clone(),
        namespace: s.namespace.clone(),
        pod: text::shown(&s.pod),
        remote,
        port_name: port_name(&s.remote),
        local: s.local,
        url: browser_url(
            s.local,
            remote,
            s.service.as_ref().and_then(|_| s.remote.parse().ok()),
            Some(&s.remote),
        ),
        connections: 0,
        open: 0,
        state,
        error: None,
        workload: s.workload.as_deref().map(text::shown),
        note: None,
        revision: 0,
        restartable: false,
        waiting: false,
        service: s.service.as_deref().map(|name| ForwardService {
            name: text::shown(name),
            port: s.remote.parse().unwrap_or(0),
        }),
    }
}

/// The workload or Service a saved forward found no Ready pod of (it may wait for one).
fn none_ready(e: &Error) -> Option<&str> {
    match e {
        Error::Pod(PodError::NoneReady { target, .. })
        | Error::Forward(ForwardError::Pod(PodError::NoneReady { target, .. })) => Some(target),
        _ => None,
    }
}

/// The state of a saved forward that could not start again: ended, saying why.
fn not_started(why: &str) -> ForwardState {
    ForwardState::Ended {
        reason: text::message(&format!("not started again: {}", text::shown(why))),
    }
}

/// How long one of the last run's forwards may take to start again (the cluster reached, its
/// pod found, its port opened) before it is listed as not started.
pub const RESTORE_WAIT: Duration = Duration::from_secs(60);

/// How long one of the last run's forwards whose pod is gone waits for its workload's next
/// Ready pod (a rollout or a blue/green switch under way as the app starts) before it is listed
/// as not started. The others do not wait for it.
pub const RESTORE_READY_WAIT: Duration = Duration::from_secs(45);

/// A loopback listener: on `local` when asked (taken is an error), else on the pod's port
/// number when it is free here and not `reserved` (a saved forward's, starting again), else on
/// any free port.
async fn bind(local: Option<u16>, remote: u16, reserved: bool) -> Result<TcpListener> {
    let at = |port: u16| SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    match local {
        Some(port) => TcpListener::bind(at(port))
            .await
            .map_err(|source| Error::LocalPort {
                port,
                source,
                saved: false,
            }),
        None => {
            // The pod's number only when nothing here has it on IPv6 loopback either: a local
            // server on [::1]:P would share `localhost:P` with the pod.
            let v6_taken = std::net::TcpListener::bind(("::1", remote))
                .err()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::AddrInUse);
            let same = if v6_taken || reserved {
                None
            } else {
                TcpListener::bind(at(remote)).await.ok()
            };
            match same {
                Some(l) => Ok(l),
                None => TcpListener::bind(at(0))
                    .await
                    .map_err(|e| Error::Forward(ForwardError::Listen(format!("127.0.0.1: {e}")))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_go_out_at_once_then_at_most_every_gap_and_the_last_always() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut pace = Pace::default();
        // The first change goes out at once.
        assert_eq!(pace.change(t0), Step::Now);
        pace.sent(t0);
        // One soon after waits for the rest of the gap; those after it ride along.
        assert_eq!(
            pace.change(ms(10)),
            Step::Later(COUNTS_GAP - Duration::from_millis(10))
        );
        for n in 11..200 {
            assert_eq!(pace.change(ms(n)), Step::Merged);
        }
        // The scheduled send goes out; the next change waits again.
        pace.sent(ms(250));
        assert_eq!(
            pace.change(ms(260)),
            Step::Later(COUNTS_GAP - Duration::from_millis(10))
        );
        // Another event (a move) went out meanwhile: the scheduled one still goes, and
        // changes ride along with it.
        pace.told(ms(300));
        assert_eq!(pace.change(ms(310)), Step::Merged);
        pace.sent(ms(510));
        // After a quiet gap, a change goes out at once.
        assert_eq!(pace.change(ms(800)), Step::Now);
    }
}
