//! `podterm exec` against a hostile API server (`podterm_test_support::hostile`): memory stays
//! bounded with stdout unread whatever the frames, nothing before the WebSocket waits forever,
//! the status frame ends the session whatever the server does next, and no failure exits 0.
//!
//! The app runs the same read loop (`podterm_core::exec`, through `podterm_core::terminal`), so
//! the bounds proven here for the CLI hold for a tab too; `frames.rs` drives that loop
//! in-process with random frame sequences.

use podterm_test_support::hostile::{self, Hostile, Reply, RequestHead};
use podterm_test_support::{bin, client};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The resident memory `podterm exec` may reach with stdout unread (a generous bound: a
/// healthy session stays near 30 MB, most of it code).
const RSS_LIMIT_KB: u64 = 100 * 1024;

/// `podterm exec --kubeconfig <the server's> ARGS`, from a clean environment.
fn podterm(server: &Hostile, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(bin::podterm());
    cmd.arg("exec")
        .arg("--kubeconfig")
        .arg(server.kubeconfig())
        .args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", server.dir());
    cmd
}

/// `(VmRSS, VmHWM)` of a live process, in KiB.
fn memory_kb(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Runs `podterm exec` with stdout a pipe nobody reads, against `server`, until `done()` says
/// the server has pushed what the test wants; fails as soon as the client's RSS passes the
/// limit, or if it exits. Returns the client's peak RSS (VmHWM) in KiB.
async fn peak_rss_with_stdout_unread(server: &Hostile, done: impl Fn() -> bool) -> u64 {
    let mut cmd = podterm(server, &["shell", "--", "flood"]);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("podterm starts");
    let pid = child.id().expect("pid");
    // The pipe is held open and never read.
    let _stdout = child.stdout.take();
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut peak = 0;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use tokio::io::AsyncReadExt as _;
                let _ = e.read_to_string(&mut err).await;
            }
            panic!("podterm exited ({status}) while stdout was unread: {err}");
        }
        let (rss, hwm) = memory_kb(pid).expect("podterm's /proc status");
        peak = peak.max(hwm);
        assert!(
            rss < RSS_LIMIT_KB && hwm < RSS_LIMIT_KB,
            "podterm's RSS reached {} MB (peak {} MB) with stdout unread",
            rss / 1024,
            hwm / 1024
        );
        if done() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not get to push its frames within 300 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = child.start_kill();
    peak
}

/// 1 MiB of stdout in 32 KiB frames: more than the unread pipe (64 KiB) takes, so that every
/// chunk after it stays in podterm. Without it the first 64 Ki 1-byte chunks would go into the
/// pipe and be freed.
async fn fill_the_pipe(ws: &mut hostile::Ws) -> bool {
    for _ in 0..32 {
        if !ws.send(hostile::frame(1, &[b'f'; 32 * 1024])).await {
            return false;
        }
    }
    true
}

/// The server's answer to everything but the exec: discovery and a running pod.
fn serve_exec(
    script: impl Fn(hostile::Ws) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
        + Send
        + Sync
        + 'static,
) -> impl Fn(&RequestHead) -> Reply + Send + Sync + 'static {
    let script = Arc::new(script);
    move |req: &RequestHead| {
        if req.is_exec() {
            let script = script.clone();
            Reply::exec(move |ws| script(ws))
        } else {
            hostile::default_reply(req)
        }
    }
}

/// Row 1 of issue 11: one byte of stdout between 64 KiB frames on a channel nobody reads. Each
/// retained 1-byte chunk pinned the buffer it was sliced from: 2.5 GB in seconds before the fix.
/// The server pushes 1 GiB (ten times the limit) and the client's RSS stays under 100 MB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_byte_frames_between_big_unknown_frames_keep_memory_bounded() {
    const TARGET: u64 = 1 << 30;
    let sent = Arc::new(AtomicU64::new(0));
    let count = sent.clone();
    let server = Hostile::start(serve_exec(move |mut ws| {
        let count = count.clone();
        Box::pin(async move {
            if !fill_the_pipe(&mut ws).await {
                return;
            }
            let junk = hostile::frame(9, &vec![b'j'; 64 * 1024]);
            loop {
                if !ws.send(hostile::frame(1, b"x")).await || !ws.send(junk.clone()).await {
                    return;
                }
                count.fetch_add(2 + junk.len() as u64, Ordering::SeqCst);
            }
        })
    }))
    .await
    .expect("server");
    let peak = peak_rss_with_stdout_unread(&server, || sent.load(Ordering::SeqCst) >= TARGET).await;
    eprintln!(
        "server pushed {} MB; podterm's peak RSS {} MB",
        sent.load(Ordering::SeqCst) >> 20,
        peak / 1024
    );
}

/// Row 1, the other pattern: 8 million 1-byte stdout frames with stdout unread (462 MB before
/// the fix: each chunk cost ~60 bytes of bookkeeping but was charged one). The server pushes
/// until all are sent or the client stops reading (a flush that does not complete within 5 s:
/// the client paused its socket, which is what a bounded read-ahead does).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn millions_of_tiny_frames_keep_memory_bounded() {
    const FRAMES: u64 = 8_000_000;
    let sent = Arc::new(AtomicU64::new(0));
    let stalled = Arc::new(AtomicBool::new(false));
    let (count, stall) = (sent.clone(), stalled.clone());
    let server = Hostile::start(serve_exec(move |mut ws| {
        let (count, stall) = (count.clone(), stall.clone());
        Box::pin(async move {
            if !fill_the_pipe(&mut ws).await {
                return;
            }
            while count.load(Ordering::SeqCst) < FRAMES {
                for _ in 0..4096 {
                    if !ws.feed(hostile::frame(1, b"x")).await {
                        return;
                    }
                }
                match tokio::time::timeout(Duration::from_secs(5), ws.flush()).await {
                    Ok(true) => {
                        count.fetch_add(4096, Ordering::SeqCst);
                    }
                    Ok(false) => return,
                    Err(_) => {
                        stall.store(true, Ordering::SeqCst);
                        // Hold the socket until the test ends.
                        return std::future::pending().await;
                    }
                }
            }
            ws.hold_open().await
        })
    }))
    .await
    .expect("server");
    let peak = peak_rss_with_stdout_unread(&server, || {
        sent.load(Ordering::SeqCst) >= FRAMES || stalled.load(Ordering::SeqCst)
    })
    .await;
    eprintln!(
        "server pushed {} frames (stalled: {}); podterm's peak RSS {} MB",
        sent.load(Ordering::SeqCst),
        stalled.load(Ordering::SeqCst),
        peak / 1024
    );
}

/// Row 2: nothing before the WebSocket waits forever. A server that never answers the pod GET,
/// or the upgrade, ends `podterm exec` with exit 1 and says so: after `--request-timeout`, and
/// by default after 30 s (kubectl would wait forever for an answer).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_times_out() {
    let silent_get = Hostile::start(|req: &RequestHead| {
        if req.method == "GET" && req.pod().is_some() {
            Reply::Silence
        } else {
            hostile::default_reply(req)
        }
    })
    .await
    .expect("server");
    let silent_upgrade = Hostile::start(|req: &RequestHead| {
        if req.is_exec() {
            Reply::Silence
        } else {
            hostile::default_reply(req)
        }
    })
    .await
    .expect("server");
    for (server, what) in [(&silent_get, "pod GET"), (&silent_upgrade, "upgrade")] {
        for (flag, words) in [
            ("--request-timeout=1s", "did not answer within 1 s"),
            ("--request-timeout=1", "did not answer within 1 s"),
            ("--request-timeout=500ms", "did not answer within 500 ms"),
        ] {
            let cmd = podterm(server, &[flag, "shell", "--", "true"]);
            // A liveness bound, not a speed assertion.
            let out = client::run(cmd, None, Duration::from_secs(20)).await;
            assert_eq!(out.code, 1, "{what} {flag}: {}", out.stderr_text());
            assert!(
                out.stderr_text().contains(words),
                "{what} {flag}: {}",
                out.stderr_text()
            );
        }
    }
    // No flag: the default, 30 s.
    let out = client::run(
        podterm(&silent_upgrade, &["shell", "--", "true"]),
        None,
        Duration::from_secs(90),
    )
    .await;
    assert_eq!(out.code, 1, "{}", out.stderr_text());
    assert!(
        out.stderr_text().contains("did not answer within 30 s"),
        "{}",
        out.stderr_text()
    );
    // A value kubectl refuses is refused.
    let out = client::run(
        podterm(
            &silent_get,
            &["--request-timeout=-1s", "shell", "--", "true"],
        ),
        None,
        Duration::from_secs(20),
    )
    .await;
    assert_ne!(out.code, 0);
    assert!(
        out.stderr_text().contains("Invalid timeout value"),
        "{}",
        out.stderr_text()
    );
}

/// Row 2: the status frame ends the session at once, whatever the server does with the socket
/// afterwards: keeps it open (podterm waited 30 s for the read deadline), or keeps sending
/// (podterm never ended). The 10 s limit on the whole run is a liveness bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_ends_the_session_whatever_the_server_does_next() {
    let exit7 = br#"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit code 7","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"7"}]}}"#;
    let held = Hostile::start(serve_exec(move |mut ws| {
        Box::pin(async move {
            ws.send(hostile::frame(1, b"before\n")).await;
            ws.send(hostile::frame(3, exit7)).await;
            ws.hold_open().await;
        })
    }))
    .await
    .expect("server");
    let flooding = Hostile::start(serve_exec(|mut ws| {
        Box::pin(async move {
            ws.send(hostile::frame(1, b"before\n")).await;
            ws.send_status_success().await;
            let after = hostile::frame(1, &vec![b'a'; 32 * 1024]);
            while ws.send(after.clone()).await {}
        })
    }))
    .await
    .expect("server");
    for (server, code, what) in [(&held, 7, "held open"), (&flooding, 0, "flooded")] {
        let out = client::run(
            podterm(server, &["shell", "--", "x"]),
            None,
            Duration::from_secs(10),
        )
        .await;
        assert_eq!(out.code, code, "{what}: {}", out.stderr_text());
        assert_eq!(
            out.stdout_text(),
            "before\n",
            "{what}: nothing after the status"
        );
    }
}

/// Row 3: no failure exits 0, and a status podterm cannot read says what arrived (escaped, cut).
///
/// kubectl v1.32.4 and v1.37.1, run by hand against a server playing the same statuses:
/// - exit code `256`, `99999999999`: kubectl exits 1 (`error stream protocol error: invalid exit
///   code value "256"`); podterm too, naming the code. Same.
/// - exit code `0` in a NonZeroExitCode status: kubectl prints `command terminated with exit code
///   0` and exits 0; podterm exits 1. Stricter on purpose: the server said the command failed.
/// - an empty status: kubectl exits 0 and prints nothing; podterm exits 1 and says the status was
///   empty. Stricter on purpose: nothing said success.
/// - malformed JSON with an escape in it: kubectl exits 1 and quotes it Go-escaped; podterm exits
///   1 and quotes it escaped and cut. Same.
/// - `{"status":"Failure"}` without a message: kubectl exits 1 printing only `error: `; podterm
///   exits 1 and quotes the status. Same code, more words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_statuses_exit_1_and_say_what_arrived() {
    let exit = |code: &str| {
        format!(
            r#"{{"metadata":{{}},"status":"Failure","message":"command terminated with non-zero exit code","reason":"NonZeroExitCode","details":{{"causes":[{{"reason":"ExitCode","message":"{code}"}}]}}}}"#
        )
        .into_bytes()
    };
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (exit("256"), "exit code 256, which is not an exit status"),
        (exit("99999999999"), "exit code 99999999999, which"),
        (exit("0"), "exit code 0, which is not an exit status"),
        (Vec::new(), "with an empty status"),
        (
            b"{\"status\":\x1b]0;owned\x07".to_vec(),
            r#"not a JSON object: {"status":\x1b]0;owned\x07"#,
        ),
        (
            br#"{"status":"Failure"}"#.to_vec(),
            r#"said no more than: {"status":"Failure"}"#,
        ),
    ];
    for (status, words) in cases {
        let body = status.clone();
        let server = Hostile::start(serve_exec(move |mut ws| {
            let body = body.clone();
            Box::pin(async move {
                ws.send(hostile::frame(3, &body)).await;
                ws.close().await;
            })
        }))
        .await
        .expect("server");
        let out = client::run(
            podterm(&server, &["shell", "--", "x"]),
            None,
            Duration::from_secs(20),
        )
        .await;
        let shown = String::from_utf8_lossy(&status).into_owned();
        assert_eq!(out.code, 1, "{shown:?}: {}", out.stderr_text());
        assert!(
            out.stderr_text().contains(words),
            "{shown:?}: {}",
            out.stderr_text()
        );
        assert!(
            !out.stderr.contains(&0x1b),
            "{shown:?}: a raw escape reached stderr"
        );
    }
}

/// A reply written by hand: `head` (status line and headers, chunked), then 1 MiB chunks of
/// `fill` until the client stops reading; the bytes of body written go into `sent`.
fn endless(head: &'static str, fill: u8, sent: Arc<AtomicU64>) -> Reply {
    Reply::stream(move |mut tcp| async move {
        use tokio::io::AsyncWriteExt as _;
        if tcp.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let mut chunk = format!("{:x}\r\n", 1 << 20).into_bytes();
        chunk.extend(std::iter::repeat_n(fill, 1 << 20));
        chunk.extend_from_slice(b"\r\n");
        // At most 2 GiB: a client that never stops ends the test, not the machine.
        for _ in 0..2048 {
            if tcp.write_all(&chunk).await.is_err() {
                return;
            }
            sent.fetch_add(1 << 20, Ordering::Relaxed);
        }
    })
}

/// What a server sends is held up to a bound (`podterm_core::bodylimit`): a refusal whose body
/// never ends is cut at 256 MiB, and the client says the server is not an API server, rather
/// than holding gigabytes until it is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_answer_is_cut_at_its_bound() {
    const HEAD: &str = "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    let sent = Arc::new(AtomicU64::new(0));
    let counted = sent.clone();
    let server = Hostile::start(move |req: &RequestHead| {
        if req.method == "GET" && req.pod().is_some() {
            endless(HEAD, b'x', counted.clone())
        } else {
            hostile::default_reply(req)
        }
    })
    .await
    .expect("server");
    // A liveness bound, not a speed assertion.
    let out = client::run(
        podterm(&server, &["shell", "--", "true"]),
        None,
        Duration::from_secs(120),
    )
    .await;
    assert_eq!(out.code, 1, "{}", out.stderr_text());
    assert!(
        out.stderr_text().contains("an answer of more than 256 MiB"),
        "{}",
        out.stderr_text()
    );
    // What it read, and what the sockets' buffers held beside it.
    let mib = sent.load(Ordering::Relaxed) >> 20;
    assert!(mib <= 256 + 64, "the server wrote {mib} MiB");
}

/// A watch's line that never ends (an event without its newline) is cut at 16 MiB: kube reads a
/// watch line by line with no longest line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_line_without_its_end_is_cut_at_its_bound() {
    use futures_util::StreamExt as _;
    const HEAD: &str =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    let sent = Arc::new(AtomicU64::new(0));
    let counted = sent.clone();
    let server = Hostile::start(move |req: &RequestHead| {
        if req.query.contains("watch=true") {
            endless(HEAD, b' ', counted.clone())
        } else {
            hostile::default_reply(req)
        }
    })
    .await
    .expect("server");
    let config = kube::Config::new(server.url().parse().expect("url"));
    let client = podterm_core::cluster::build_client(config, None).expect("client");
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> = kube::Api::namespaced(client, "demo");
    let mut events = pods
        .watch(&kube::api::WatchParams::default(), "0")
        .await
        .expect("a watch")
        .boxed();
    let end = tokio::time::timeout(Duration::from_secs(120), events.next())
        .await
        .expect("the watch ended within the liveness bound");
    let Some(Err(e)) = end else {
        panic!("the watch went on: {end:?}");
    };
    let words = podterm_core::cluster::describe(&e);
    assert!(
        words.contains("a watch event of more than 16 MiB"),
        "{words}"
    );
    let mib = sent.load(Ordering::Relaxed) >> 20;
    assert!(mib <= 16 + 64, "the server wrote {mib} MiB");
}

/// A server whose pod watch sends pods without end: the app's live list holds at most
/// `MAX_PODS` of them and says once that it left the others out, rather than growing until the
/// machine runs out of memory. Pods it holds still change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_that_sends_pods_without_end_is_held_to_the_list_s_bound() {
    use futures_util::StreamExt as _;
    use podterm_core::browse::{ChangeKind, WatchEvent, MAX_PODS};
    const HEAD: &str =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    let event = |kind: &str, n: usize, phase: &str| {
        format!(
            r#"{{"type":"{kind}","object":{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"p{n}","namespace":"demo","resourceVersion":"{}"}},"spec":{{"containers":[{{"name":"c"}}]}},"status":{{"phase":"{phase}"}}}}}}"#,
            n + 2
        ) + "\n"
    };
    let server = Hostile::start(move |req: &RequestHead| {
        if req.query.contains("watch=true") {
            Reply::stream(move |mut tcp| async move {
                use tokio::io::AsyncWriteExt as _;
                if tcp.write_all(HEAD.as_bytes()).await.is_err() {
                    return;
                }
                // More pods than a list holds, then a change to the first: the last thing sent.
                let mut events: Vec<String> = (0..MAX_PODS + 5_000)
                    .map(|n| event("ADDED", n, "Running"))
                    .collect();
                events.push(event("MODIFIED", 0, "Failed"));
                for batch in events.chunks(1000) {
                    let body = batch.concat();
                    let chunk = format!("{:x}\r\n{body}\r\n", body.len());
                    if tcp.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_secs(600)).await;
            })
        } else if req.method == "GET" && req.path == "/api/v1/namespaces/demo/pods" {
            Reply::json(
                200,
                r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]}"#,
            )
        } else {
            hostile::default_reply(req)
        }
    })
    .await
    .expect("server");
    let config = kube::Config::new(server.url().parse().expect("url"));
    let client = podterm_core::cluster::build_client(config, None).expect("client");
    let mut events =
        podterm_core::browse::watch_pods(&client, "demo", podterm_core::exec::Liveness::default())
            .await
            .expect("a watch")
            .boxed();
    let (mut added, mut capped, mut last_change) = (0usize, Vec::new(), None);
    // A liveness bound, not a speed assertion.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    while last_change.is_none() {
        let next = tokio::time::timeout_at(deadline, events.next())
            .await
            .expect("the watch's last change within the liveness bound")
            .expect("the watch goes on");
        match next {
            WatchEvent::Changes(changes) => {
                for c in changes {
                    match c.kind {
                        ChangeKind::Added => added += 1,
                        ChangeKind::Modified => last_change = Some(c.pod.name),
                        ChangeKind::Deleted => panic!("deleted {}", c.pod.name),
                    }
                }
            }
            WatchEvent::Capped { limit } => capped.push(limit),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(added, MAX_PODS);
    assert_eq!(capped, [MAX_PODS]);
    assert_eq!(last_change.as_deref(), Some("p0"));
}
