//! One command in many pods at once (`podterm exec --all`): every Ready pod a selector or a
//! workload matches, concurrently (at most `concurrency` sessions open), without a TTY or stdin.
//!
//! - [`plan`] lists the pods (through [`pods::matching`], the resolution `exec`, `logs` and
//!   favourites share) and decides, per pod, where the command runs or why it does not (not
//!   Ready, no such container).
//! - [`run`] runs it: each session's stdout and stderr are cut into lines, each pod's own, and
//!   every line leaves whole as one [`Line`], so a consumer that writes one line at a time never
//!   interleaves two pods. A line longer than [`MAX_LINE`] leaves in pieces (never held whole, cut
//!   on a UTF-8 boundary when there is one); a last line without a newline still leaves.
//! - Memory is bounded whatever the pods write: each session's read-ahead is [`READ_AHEAD`], each
//!   stream holds at most one [`MAX_LINE`], and the queue to the consumer holds [`QUEUE`] lines,
//!   so a slow consumer pauses every pod (back-pressure to the sockets), not the process's memory.
//! - A stop (Ctrl-C) ends every session at once: their tasks end, their WebSockets close, and the
//!   API server ends the processes.

use crate::exec::{ExecSpec, Session, Tuning};
use crate::pods::{self, PodError, PodTarget};
use crate::protocol::Outcome;
use crate::text;
use bytes::Bytes;
use k8s_openapi::api::core::v1::Pod;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{mpsc, Semaphore};

/// Sessions open at once unless told otherwise (`--max-concurrency`).
pub const DEFAULT_CONCURRENCY: usize = 10;
/// The longest piece of a line handed on whole; longer lines leave in pieces of this size.
pub const MAX_LINE: usize = 64 * 1024;
/// Each session's read-ahead (a single `exec` has 8 MiB; here many share one process).
pub const READ_AHEAD: usize = 256 * 1024;
/// Lines waiting for the consumer.
pub const QUEUE: usize = 64;

/// Why the command cannot run across the pods at all.
#[derive(Debug, thiserror::Error)]
pub enum FanoutError {
    /// Listing the pods failed (the API server's words), or the workload has no selector.
    #[error(transparent)]
    Pods(#[from] PodError),
    /// Nothing matches.
    #[error("{target} matches no pod in namespace {namespace}: nothing to run in")]
    NoMatch { target: String, namespace: String },
    /// Pods match, none of them Ready.
    #[error("none of the {count} pods that {target} matches in namespace {namespace} is Ready: {detail}")]
    NoneReady {
        count: usize,
        target: String,
        namespace: String,
        /// Each pod and why it is not Ready.
        detail: String,
    },
    /// `--all` with one pod named.
    #[error("--all runs in every pod of a selector or a workload: give -l SELECTOR or TYPE/NAME (deploy/NAME, sts/NAME, ds/NAME, rs/NAME, svc/NAME), or leave out --all to exec into pod {0}")]
    OnePod(String),
    /// `--max-concurrency 0`.
    #[error("--max-concurrency must be at least 1")]
    NoConcurrency,
}

impl From<crate::cluster::ApiError> for FanoutError {
    fn from(e: crate::cluster::ApiError) -> Self {
        FanoutError::Pods(PodError::Api(e))
    }
}

/// One matching pod and what happens there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The pod's name, as the server has it (escape it before showing it).
    pub pod: String,
    /// The container the command runs in (or would have): `-c`, else the default-container
    /// annotation, else the first, chosen per pod.
    pub container: String,
    /// Why the command does not run here (not Ready, no such container), in words.
    pub skip: Option<Skip>,
}

/// Why a pod is left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Not Ready, terminating or finished; with the reason (escaped).
    NotReady(String),
    /// The pod cannot take the command (no such container, no containers); in words (escaped).
    Unusable(String),
}

/// The pods a run covers, sorted by name.
#[derive(Debug, Clone)]
pub struct Plan {
    pub namespace: String,
    pub members: Vec<Member>,
}

/// Which stream a line came on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One line (or one [`MAX_LINE`] piece of a longer one) of one pod, without its newline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The index of the pod in [`Plan::members`].
    pub member: usize,
    pub stream: Stream,
    /// The pod's bytes, as they came (a `\r` before the newline stays).
    pub text: Bytes,
}

/// How the command ended in one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// It ran and exited with this code (0: success).
    Exited(i32),
    /// It was not run there ([`Member::skip`]).
    Skipped(Skip),
    /// It could not start or did not finish (refused, no such command, the connection broke, a
    /// status that is not an exit code): in words, outside text escaped.
    Failed(String),
    /// Stopped by the user (Ctrl-C) before it ended.
    Interrupted,
}

impl End {
    /// This pod's share of the exit code: its own code, 1 for a command that could not run or
    /// finish (as a single `podterm exec` exits) and for a Ready pod without the container, 130
    /// when interrupted; a pod not Ready counts 0 (`--all` runs in the Ready pods; the summary
    /// names the others).
    pub fn code(&self) -> i32 {
        match self {
            End::Exited(c) => *c,
            End::Skipped(Skip::NotReady(_)) => 0,
            End::Skipped(Skip::Unusable(_)) => 1,
            End::Failed(_) => 1,
            End::Interrupted => 130,
        }
    }
}

/// How the run ended, per pod (in [`Plan::members`]' order).
#[derive(Debug, Clone)]
pub struct Report {
    pub ends: Vec<End>,
}

impl Report {
    /// The worst exit code: the largest pod's [`End::code`] (as `pdsh -S`), so 0 only when the
    /// command exited 0 in every Ready pod, and 130 after a Ctrl-C.
    pub fn exit_code(&self) -> i32 {
        self.ends.iter().map(End::code).max().unwrap_or(0)
    }
}

/// Lists the pods of `target` and decides where the command runs (`container`: `-c`).
pub async fn plan(
    client: &kube::Client,
    namespace: &str,
    target: &PodTarget,
    container: Option<&str>,
) -> Result<Plan, FanoutError> {
    if let PodTarget::Pod(name) = target {
        return Err(FanoutError::OnePod(text::shown(name)));
    }
    let found = pods::matching(client, namespace, target).await?;
    let what = match target {
        PodTarget::Selector(s) => format!("the selector {s}"),
        other => other.to_string(),
    };
    plan_pods(namespace, &what, found, container)
}

/// [`plan`] over pods already listed.
pub fn plan_pods(
    namespace: &str,
    target: &str,
    mut found: Vec<Pod>,
    container: Option<&str>,
) -> Result<Plan, FanoutError> {
    if found.is_empty() {
        return Err(FanoutError::NoMatch {
            target: text::shown(target),
            namespace: text::shown(namespace),
        });
    }
    found.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    let members: Vec<Member> = found.iter().map(|p| member(p, container)).collect();
    if members
        .iter()
        .all(|m| matches!(m.skip, Some(Skip::NotReady(_))))
    {
        let detail = members
            .iter()
            .map(|m| match &m.skip {
                Some(Skip::NotReady(why)) => format!("{} ({why})", text::shown(&m.pod)),
                _ => text::shown(&m.pod),
            })
            .collect::<Vec<_>>()
            .join(", ");
        return Err(FanoutError::NoneReady {
            count: members.len(),
            target: text::shown(target),
            namespace: text::shown(namespace),
            detail,
        });
    }
    Ok(Plan {
        namespace: namespace.to_string(),
        members,
    })
}

fn member(p: &Pod, container: Option<&str>) -> Member {
    let pod = p.metadata.name.clone().unwrap_or_default();
    let chosen = pods::choose_container(p, container);
    let name = match &chosen {
        Ok((c, _)) => c.clone(),
        Err(_) => container.unwrap_or_default().to_string(),
    };
    let skip = if !pods::is_ready(p) || pods::check_running(p).is_err() {
        Some(Skip::NotReady(text::shown(&pods::not_ready_reason(p))))
    } else {
        chosen.err().map(|e| Skip::Unusable(e.to_string()))
    };
    Member {
        pod,
        container: name,
        skip,
    }
}

/// What to run in each pod.
#[derive(Debug, Clone)]
pub struct Job {
    pub command: Vec<String>,
    /// Sessions open at once (at least 1).
    pub concurrency: usize,
    /// The sessions' knobs; `read_ahead` is lowered to [`READ_AHEAD`] at most.
    pub tuning: Tuning,
}

/// Runs `job` in every pod of `plan` that is not skipped, sending each line to `lines` (a
/// consumer that is gone is not an error: the commands still run to their end). Ends when every
/// session has ended, or at once when `stop` completes (the rest [`End::Interrupted`]).
pub async fn run(
    client: &kube::Client,
    plan: &Plan,
    job: &Job,
    lines: mpsc::Sender<Line>,
    stop: impl Future<Output = ()>,
) -> Report {
    let mut ends: Vec<Option<End>> = plan
        .members
        .iter()
        .map(|m| m.skip.clone().map(End::Skipped))
        .collect();
    let slots = Arc::new(Semaphore::new(job.concurrency.max(1)));
    let tuning = Tuning {
        read_ahead: job.tuning.read_ahead.min(READ_AHEAD),
        ..job.tuning
    };
    let mut tasks = tokio::task::JoinSet::new();
    for (i, m) in plan.members.iter().enumerate() {
        if m.skip.is_some() {
            continue;
        }
        let spec = ExecSpec {
            namespace: plan.namespace.clone(),
            pod: m.pod.clone(),
            container: m.container.clone(),
            command: job.command.clone(),
            stdin: false,
            stdout: true,
            stderr: true,
            tty: false,
            size: None,
            attach: false,
        };
        let (client, slots, lines) = (client.clone(), slots.clone(), lines.clone());
        tasks.spawn(async move {
            // The semaphore is never closed, so a permit always comes.
            let _slot = slots.acquire_owned().await;
            (i, one(&client, &spec, tuning, i, &lines).await)
        });
    }
    drop(lines);
    tokio::pin!(stop);
    let mut stopped = false;
    loop {
        tokio::select! {
            next = tasks.join_next() => match next {
                Some(Ok((i, end))) => ends[i] = Some(end),
                // A task that panicked leaves its slot empty: said below.
                Some(Err(_)) => {}
                None => break,
            },
            _ = &mut stop => {
                tasks.abort_all();
                stopped = true;
                break;
            }
        }
    }
    // Aborted tasks end (and drop their sessions, closing the WebSockets) before we return.
    while tasks.join_next().await.is_some() {}
    Report {
        ends: ends
            .into_iter()
            .map(|e| match e {
                Some(e) => e,
                None if stopped => End::Interrupted,
                None => End::Failed("the session's task ended without a result".into()),
            })
            .collect(),
    }
}

/// One pod's session, its lines handed on as they complete.
async fn one(
    client: &kube::Client,
    spec: &ExecSpec,
    tuning: Tuning,
    member: usize,
    lines: &mpsc::Sender<Line>,
) -> End {
    let session = match Session::start(client, spec, tuning).await {
        Ok(s) => s,
        Err(e) => return End::Failed(text::message(&e.to_string())),
    };
    let mut parts = session.into_parts();
    let mut out = Lines::default();
    let mut err = Lines::default();
    let (mut out_open, mut err_open) = (true, true);
    let send = |stream: Stream, text: Bytes| {
        let line = Line {
            member,
            stream,
            text,
        };
        async move {
            // A consumer that has gone (its stdout closed) ends nothing here.
            let _ = lines.send(line).await;
        }
    };
    while out_open || err_open {
        let (stream, chunk) = tokio::select! {
            c = parts.stdout.recv(), if out_open => (Stream::Stdout, c),
            c = parts.stderr.recv(), if err_open => (Stream::Stderr, c),
        };
        let buf = match stream {
            Stream::Stdout => &mut out,
            Stream::Stderr => &mut err,
        };
        match chunk {
            Some(c) => {
                let ready = buf.feed(&c);
                for l in ready {
                    send(stream, l).await;
                }
                // The chunk's read-ahead goes back only once its lines are handed on: a flood
                // of short lines holds one chunk's lines, not the read-ahead refilled behind them.
                drop(c);
            }
            None => {
                match stream {
                    Stream::Stdout => out_open = false,
                    Stream::Stderr => err_open = false,
                }
                if let Some(last) = buf.finish() {
                    send(stream, last).await;
                }
            }
        }
    }
    match parts.end.wait().await {
        Ok(Outcome::Success) => End::Exited(0),
        Ok(Outcome::Exit(code)) if (1..=255).contains(&code) => End::Exited(code),
        Ok(Outcome::Exit(code)) => End::Failed(format!(
            "exit code {code}, which is not an exit status a process can end with"
        )),
        Ok(Outcome::Failure { message, .. }) => End::Failed(text::shown(&message)),
        Err(e) => End::Failed(text::message(&e.to_string())),
    }
}

/// One stream's bytes cut into lines of at most [`MAX_LINE`].
#[derive(Debug, Default)]
pub struct Lines {
    held: Vec<u8>,
}

impl Lines {
    /// Takes `data`; returns the lines (or pieces) it completes, without their newlines.
    pub fn feed(&mut self, mut data: &[u8]) -> Vec<Bytes> {
        let mut ready = Vec::new();
        while !data.is_empty() {
            match data.iter().position(|&b| b == b'\n') {
                Some(nl) if self.held.len() + nl <= MAX_LINE => {
                    self.held.extend_from_slice(&data[..nl]);
                    ready.push(Bytes::from(std::mem::take(&mut self.held)));
                    data = &data[nl + 1..];
                }
                _ => {
                    if self.held.len() >= MAX_LINE {
                        // Full, and more of the line comes: hand on a piece.
                        let cut = utf8_cut(&self.held);
                        let rest = self.held.split_off(cut);
                        ready.push(Bytes::from(std::mem::replace(&mut self.held, rest)));
                    }
                    let room = MAX_LINE - self.held.len();
                    let take = room.min(data.len());
                    self.held.extend_from_slice(&data[..take]);
                    data = &data[take..];
                }
            }
        }
        ready
    }

    /// The last line, when the stream ended without a newline.
    pub fn finish(&mut self) -> Option<Bytes> {
        (!self.held.is_empty()).then(|| Bytes::from(std::mem::take(&mut self.held)))
    }
}

/// Where to cut a full buffer: before a UTF-8 character its end would split, else at its end
/// (bytes that are not UTF-8 are cut anywhere).
fn utf8_cut(b: &[u8]) -> usize {
    let len = b.len();
    // The start of the last character: at most 3 continuation bytes back.
    let Some(start) = (len.saturating_sub(4)..len)
        .rev()
        .find(|&i| b[i] & 0xC0 != 0x80)
    else {
        return len;
    };
    let width = match b[start] {
        x if x < 0x80 => 1,
        x if x & 0xE0 == 0xC0 => 2,
        x if x & 0xF0 == 0xE0 => 3,
        x if x & 0xF8 == 0xF0 => 4,
        _ => 1,
    };
    if start + width > len && start > 0 {
        start
    } else {
        len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: &[Bytes]) -> Vec<String> {
        v.iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }

    #[test]
    fn lines_are_cut_at_newlines_and_held_across_chunks() {
        let mut l = Lines::default();
        assert_eq!(text(&l.feed(b"one\ntw")), ["one"]);
        assert_eq!(text(&l.feed(b"o\r\n\nthr")), ["two\r", ""]);
        assert_eq!(text(&l.feed(b"ee")), Vec::<String>::new());
        assert_eq!(l.finish().as_deref(), Some(&b"three"[..]));
        assert_eq!(l.finish(), None);
    }

    #[test]
    fn an_endless_line_leaves_in_pieces_and_is_never_held_whole() {
        let mut l = Lines::default();
        let mut pieces = Vec::new();
        for _ in 0..40 {
            pieces.extend(l.feed(&[b'a'; 10_000]));
            assert!(l.held.len() <= MAX_LINE);
        }
        pieces.extend(l.feed(b"\n"));
        assert!(pieces.iter().all(|p| p.len() <= MAX_LINE));
        assert_eq!(pieces.iter().map(|p| p.len()).sum::<usize>(), 400_000);
        assert_eq!(pieces.len(), 400_000usize.div_ceil(MAX_LINE));
        // A line of exactly MAX_LINE is one line, not a piece and an empty line.
        let mut l = Lines::default();
        let mut exact = vec![b'b'; MAX_LINE];
        exact.push(b'\n');
        let out = l.feed(&exact);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].len(), MAX_LINE);
    }

    #[test]
    fn a_piece_is_cut_before_a_split_character() {
        let mut l = Lines::default();
        let mut data = vec![b'x'; MAX_LINE - 1];
        data.extend("é and more".as_bytes());
        let out = l.feed(&data);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].len(), MAX_LINE - 1);
        assert_eq!(l.finish().as_deref(), Some("é and more".as_bytes()));
        assert_eq!(utf8_cut(&[0xff; 8]), 8);
        assert_eq!(utf8_cut("aé".as_bytes()), 3);
        assert_eq!(utf8_cut(&"a€".as_bytes()[..3]), 1);
    }

    fn pod(name: &str, ready: bool, containers: &[&str]) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": { "name": name },
            "spec": { "containers": containers.iter().map(|c| serde_json::json!({"name": c})).collect::<Vec<_>>() },
            "status": { "phase": "Running", "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}] },
        }))
        .expect("pod")
    }

    #[test]
    fn the_plan_skips_pods_not_ready_and_names_missing_containers() {
        let found = vec![
            pod("web-c", true, &["web"]),
            pod("web-a", false, &["web"]),
            pod("web-b", true, &["other"]),
        ];
        let plan = plan_pods("demo", "app=web", found, Some("web")).expect("plan");
        let names: Vec<&str> = plan.members.iter().map(|m| m.pod.as_str()).collect();
        assert_eq!(names, ["web-a", "web-b", "web-c"]);
        assert!(matches!(plan.members[0].skip, Some(Skip::NotReady(_))));
        assert!(
            matches!(&plan.members[1].skip, Some(Skip::Unusable(w)) if w.contains("not valid")),
            "{:?}",
            plan.members[1]
        );
        assert_eq!(plan.members[2].skip, None);
        assert_eq!(plan.members[2].container, "web");
    }

    #[test]
    fn nothing_matching_or_nothing_ready_is_an_error_in_words() {
        let none = plan_pods("demo", "the selector app=nope", vec![], None);
        assert!(matches!(none, Err(FanoutError::NoMatch { .. })));
        let all_down = plan_pods("demo", "x", vec![pod("a", false, &["c"])], None);
        match all_down {
            Err(e @ FanoutError::NoneReady { .. }) => {
                assert!(e.to_string().contains("a (not Ready)"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_worst_code_is_the_largest_and_skips_do_not_count() {
        let r = |ends: Vec<End>| Report { ends }.exit_code();
        assert_eq!(
            r(vec![
                End::Exited(0),
                End::Skipped(Skip::NotReady("x".into()))
            ]),
            0
        );
        assert_eq!(r(vec![End::Exited(0), End::Exited(7), End::Exited(3)]), 7);
        assert_eq!(r(vec![End::Exited(0), End::Failed("gone".into())]), 1);
        assert_eq!(r(vec![End::Exited(137), End::Failed("gone".into())]), 137);
        assert_eq!(r(vec![End::Exited(0), End::Interrupted]), 130);
        assert_eq!(r(vec![End::Skipped(Skip::Unusable("no c".into()))]), 1);
    }
}
