//! `podterm logs` against `kubectl logs` on the same testcluster: the same stdout and exit code,
//! stderr word for word as one kubectl has it, for every scenario and each kubectl under test
//! (`PODTERM_KUBECTLS`). And what kubectl does not do: a follow that survives dropped
//! connections without a line twice or one lost, and a 1 GiB line streamed in bounded memory.

use podterm_test_support::hostile::{self, Hostile, Reply};
use podterm_test_support::kubectl::{clean_stderr, kubectls};
use podterm_test_support::{bin, client, cluster};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use testcluster::TestCluster;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, PartialEq)]
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn run(bin: &Path, c: &TestCluster, args: &[&str]) -> Out {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = tokio::process::Command::new(bin);
    cmd.args(args)
        .env("KUBECONFIG", c.kubeconfig())
        .env("HOME", home.path());
    let out = client::run(cmd, None, Duration::from_secs(120)).await;
    Out {
        code: out.code,
        stdout: out.stdout_text(),
        stderr: clean_stderr(&out.stderr_text()),
    }
}

fn sorted(s: &str) -> Vec<&str> {
    let mut l: Vec<&str> = s.lines().collect();
    l.sort();
    l
}

/// The same arguments through podterm and every kubectl: stdout (as sorted lines when
/// `any_order`: kubectl reads several containers in a map's order) and exit code equal to
/// every kubectl's, stderr equal to at least one kubectl's.
async fn same(c: &TestCluster, args: &[&str], any_order: bool) -> Out {
    let ours = run(&bin::podterm(), c, args).await;
    let mut theirs = Vec::new();
    for k in kubectls() {
        let out = run(&k, c, args).await;
        let equal = if any_order {
            sorted(&out.stdout) == sorted(&ours.stdout)
        } else {
            out.stdout == ours.stdout
        };
        assert!(
            equal,
            "{args:?}: stdout differs from {}:\n  kubectl: {:?}\n  podterm: {:?}",
            k.display(),
            out.stdout,
            ours.stdout
        );
        assert_eq!(
            out.code,
            ours.code,
            "{args:?}: exit code differs from {}; podterm's stderr: {}",
            k.display(),
            ours.stderr
        );
        theirs.push((k, out.stderr));
    }
    assert!(
        theirs.iter().any(|(_, e)| *e == ours.stderr),
        "{args:?}: stderr differs from every kubectl's:\n  podterm: {:?}\n{}",
        ours.stderr,
        theirs
            .iter()
            .map(|(k, e)| format!("  {}: {e:?}\n", k.display()))
            .collect::<String>()
    );
    ours
}

/// A pod in `demo` whose container `main` runs `script` under sh.
fn script_pod(name: &str, script: &str) -> testcluster::PodSpec {
    let mut p = testcluster::ClusterSpec::demo().pods[0].clone();
    p.name = name.into();
    p.labels = [("app".to_string(), name.to_string())].into();
    p.containers[0].command = vec!["sh".into(), "-c".into(), script.into()];
    p.containers[0].tty = false;
    p
}

/// Polls `podterm ARGS` until its stdout passes `done`.
async fn until(c: &TestCluster, args: &[&str], done: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = run(&bin::podterm(), c, args).await;
        if out.code == 0 && done(&out.stdout) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{args:?} never got there: {out:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_match_kubectl() {
    let c = cluster::demo().await;
    c.apply_pod(script_pod(
        "logger",
        "echo start; sleep 0.2; echo oops >&2; sleep 0.2; \
         for i in $(seq 1 30); do echo line $i; done; exec sleep 300",
    ));
    let mut twin = script_pod("twin", "echo main says hi; exec sleep 300");
    let mut side = twin.containers[0].clone();
    side.name = "side".into();
    side.command = vec![
        "sh".into(),
        "-c".into(),
        "echo side says hi; exec sleep 300".into(),
    ];
    twin.containers.push(side);
    c.apply_pod(twin);
    let mut web = script_pod("web-6b7f9c8d5-zz9zz", "echo web here; exec sleep 300");
    web.labels = [("app".to_string(), "web".to_string())].into();
    c.apply_pod(web);
    c.apply_pod(script_pod(
        "crasher",
        "n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; \
         echo run $n; if [ $n -ge 3 ]; then exec sleep 300; fi; exit 3",
    ));
    c.apply_pod(script_pod(
        "ticker",
        "for i in 1 2 3; do echo tick $i; sleep 0.2; done; exit 0",
    ));
    let mut pending = script_pod("pending", "true");
    pending.phase = testcluster::Phase::Pending;
    c.apply_pod(pending);
    until(&c, &["logs", "logger"], |s| s.ends_with("line 30\n")).await;
    until(&c, &["logs", "crasher"], |s| s == "run 3\n").await;
    until(&c, &["logs", "twin", "-c", "side"], |s| !s.is_empty()).await;
    until(&c, &["logs", "web-6b7f9c8d5-zz9zz"], |s| !s.is_empty()).await;

    let out = same(&c, &["logs", "logger"], false).await;
    // The pod's two streams reach its log through two pipes: `oops` (stderr) is in it once, and
    // stdout's lines in their order, wherever a loaded machine put `oops` among them.
    let full = out.stdout;
    let lines: Vec<&str> = full.lines().collect();
    assert_eq!(
        lines.iter().filter(|l| **l == "oops").count(),
        1,
        "{full:?}"
    );
    let stdout_lines: Vec<&str> = lines.iter().copied().filter(|l| *l != "oops").collect();
    let want: Vec<String> = std::iter::once("start".to_string())
        .chain((1..=30).map(|i| format!("line {i}")))
        .collect();
    assert_eq!(stdout_lines, want, "{full:?}");
    // Boolean flags with a value, as scripts written for kubectl give them.
    let out = same(
        &c,
        &[
            "logs",
            "logger",
            "--timestamps=false",
            "-f=false",
            "--tail=1",
        ],
        false,
    )
    .await;
    assert_eq!(out.stdout, "line 30\n");
    let out = same(&c, &["logs", "logger", "--tail", "3"], false).await;
    assert_eq!(out.stdout, "line 28\nline 29\nline 30\n");
    same(&c, &["logs", "pod/logger", "--tail=0"], false).await;
    let out = same(&c, &["logs", "logger", "--limit-bytes", "20"], false).await;
    assert_eq!(out.stdout, full[..20]);
    same(
        &c,
        &["logs", "logger", "--since", "1h", "--tail", "2"],
        false,
    )
    .await;
    let out = same(
        &c,
        &["logs", "logger", "--since-time", "2099-01-01T00:00:00Z"],
        false,
    )
    .await;
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
    let out = same(
        &c,
        &["logs", "logger", "--timestamps", "--tail", "2"],
        false,
    )
    .await;
    assert_eq!(out.stdout.lines().count(), 2);
    let out = same(&c, &["logs", "twin"], false).await;
    assert_eq!(out.stdout, "main says hi\n");
    same(&c, &["logs", "twin", "-c", "side"], false).await;
    let out = same(&c, &["logs", "twin", "--all-containers", "--prefix"], true).await;
    assert_eq!(
        sorted(&out.stdout),
        vec![
            "[pod/twin/main] main says hi",
            "[pod/twin/side] side says hi"
        ]
    );
    same(&c, &["logs", "twin", "-c", "nope"], false).await;
    // Refused before the server is asked, in kubectl's words.
    let out = same(
        &c,
        &["logs", "twin", "--all-containers", "-c", "main"],
        false,
    )
    .await;
    assert_eq!(out.code, 1, "{out:?}");
    let out = same(&c, &["logs", "logger", "--tail=-5"], false).await;
    assert_eq!(out.code, 1, "{out:?}");
    let out = same(&c, &["logs", "logger", "--limit-bytes=-1"], false).await;
    assert_eq!(out.code, 1, "{out:?}");
    let out = same(&c, &["logs", "crasher", "-p"], false).await;
    assert_eq!(out.stdout, "run 2\n");
    let out = same(&c, &["logs", "logger", "-p"], false).await;
    assert_eq!(out.code, 1);
    let out = same(
        &c,
        &["logs", "twin", "-p", "--all-containers", "--ignore-errors"],
        true,
    )
    .await;
    assert_eq!(out.stdout.lines().count(), 2, "{out:?}");
    same(&c, &["logs", "pending"], false).await;
    same(&c, &["logs", "nope"], false).await;
    // Not found, in kubectl's logs words (the namespace after the server's message); in a
    // namespace that is not there, the namespace is the answer unless it may not be read.
    // kubectl's older POD CONTAINER form, and its refusals beside -c and --all-containers.
    same(&c, &["logs", "twin", "main"], false).await;
    same(&c, &["logs", "twin", "main", "-c", "side"], false).await;
    same(&c, &["logs", "twin", "main", "--all-containers"], false).await;
    same(&c, &["logs", "deploy/nosuch"], false).await;
    same(&c, &["logs", "-n", "MISSING", "shell"], false).await;
    same(&c, &["logs", "-n", "MISSING", "deploy/web"], false).await;
    same(
        &c,
        &["logs", "--context", "viewer", "-n", "MISSING", "shell"],
        false,
    )
    .await;
    let out = same(&c, &["logs", "deploy/web"], false).await;
    assert!(
        out.stderr.starts_with("Found 3 pods, using pod/"),
        "{out:?}"
    );
    let out = same(&c, &["logs", "-l", "app=web", "--prefix"], true).await;
    assert_eq!(out.stdout, "[pod/web-6b7f9c8d5-zz9zz/main] web here\n");
    // Every pod of a workload, each line prefixed, no default container's note for each.
    let out = same(&c, &["logs", "deploy/web", "--all-pods"], true).await;
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        ("[pod/web-6b7f9c8d5-zz9zz/main] web here\n", "")
    );
    let out = same(&c, &["logs", "twin", "--all-pods"], false).await;
    assert_eq!(out.stdout, "[pod/twin/main] main says hi\n");
    let out = same(&c, &["logs", "logger", "--pod-running-timeout=0"], false).await;
    assert_eq!(out.code, 1, "{out:?}");
    let out = same(&c, &["logs", "-l", "app=none"], false).await;
    assert_eq!(out.stderr, "No resources found in demo namespace.\n");
    same(
        &c,
        &["logs", "-l", "app=web", "-f", "--max-log-requests", "2"],
        false,
    )
    .await;
    // A follow ends with its container: each run of ticker prints three ticks and exits.
    let out = same(&c, &["logs", "-f", "ticker"], false).await;
    assert_eq!(out.stdout, "tick 1\ntick 2\ntick 3\n");
    // A time that is not one: what was given and what is wanted, not the parser's words.
    let out = run(
        &bin::podterm(),
        &c,
        &["logs", "logger", "--since-time", "yesterday"],
    )
    .await;
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: --since-time yesterday: not an RFC3339 time; give one such as 2026-01-02T15:04:05Z (with its Z or offset)\n"
    );
}

/// `--pod-running-timeout`: a workload with no pods is waited for until one comes (kubectl
/// waits too, without a word, then says `timed out waiting for the condition`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workload_without_pods_is_waited_for_with_pod_running_timeout() {
    use tokio::io::AsyncBufReadExt;
    let mut opts = testcluster::Options::demo();
    let mut empty = opts.spec.workloads[0].clone();
    empty.name = "empty".into();
    empty.selector = [("app".to_string(), "empty".to_string())].into();
    empty.labels = empty.selector.clone();
    opts.spec.workloads.push(empty);
    let c = TestCluster::start(opts).await.expect("cluster");
    let out = run(&bin::podterm(), &c, &["logs", "deploy/empty"]).await;
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, "error: deployment/empty has no pods in namespace demo\n")
    );
    let out = run(
        &bin::podterm(),
        &c,
        &["logs", "deploy/empty", "--pod-running-timeout=1s"],
    )
    .await;
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, "Waiting up to 1 s for a pod of deployment/empty\nerror: deployment/empty has no pods in namespace demo (waited 1 s)\n")
    );

    // A pod comes while it waits: its log.
    let home = tempfile::tempdir().expect("home");
    let mut child = spawn_podterm(
        &c,
        home.path(),
        &["logs", "deploy/empty", "--pod-running-timeout=2m"],
    );
    let mut stderr = tokio::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
    let first = tokio::time::timeout(Duration::from_secs(60), stderr.next_line())
        .await
        .expect("the wait is said")
        .expect("stderr");
    assert_eq!(
        first.as_deref(),
        Some("Waiting up to 120 s for a pod of deployment/empty")
    );
    let mut pod = script_pod("empty-1", "echo arrived; exec sleep 300");
    pod.labels = [("app".to_string(), "empty".to_string())].into();
    c.apply_pod(pod);
    let (code, stdout) = client::finish(&mut child, Duration::from_secs(60)).await;
    let rest = tokio::time::timeout(Duration::from_secs(10), stderr.next_line())
        .await
        .expect("stderr ends")
        .expect("stderr");
    // The new pod's log, without an error; its one line may not be written yet.
    assert_eq!((code, rest), (Some(0), None));
    assert!(stdout.is_empty() || stdout == "arrived\n", "{stdout:?}");
}

/// `podterm logs -f … | grep -m1 started`: the reader takes its line and goes, and the follow
/// ends then, though the pod writes nothing more (kubectl's ends only at the pod's next line,
/// when a write finds its reader gone: with a quiet pod, never). For a pod and for a selector's
/// follow. The pod's `sleep 300` outlasts the wait below, so ending is the reader's doing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_ends_when_its_reader_goes_though_the_pod_is_quiet() {
    let c = cluster::demo().await;
    let mut quiet = script_pod("quiet", "echo started; exec sleep 300");
    quiet.labels = [("app".to_string(), "quiet".to_string())].into();
    c.apply_pod(quiet);
    until(&c, &["logs", "quiet"], |s| s == "started\n").await;
    for args in [
        &["logs", "-f", "quiet"][..],
        &["logs", "-f", "-l", "app=quiet"],
    ] {
        let home = tempfile::tempdir().expect("home");
        let mut child = spawn_podterm(&c, home.path(), args);
        let mut stdout = child.stdout.take().expect("stdout");
        let mut seen = Vec::new();
        let mut chunk = [0u8; 4096];
        while !String::from_utf8_lossy(&seen).contains("started\n") {
            let n = tokio::time::timeout(Duration::from_secs(60), stdout.read(&mut chunk))
                .await
                .unwrap_or_else(|_| panic!("{args:?}: no line in 60 s"))
                .expect("stdout");
            assert!(n > 0, "{args:?}: ended before its line");
            seen.extend_from_slice(&chunk[..n]);
        }
        drop(stdout);
        let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
            .await
            .unwrap_or_else(|_| panic!("{args:?}: still following after its reader went"))
            .expect("status");
        assert_eq!(status.code(), Some(0), "{args:?}");
    }
}

/// Reads a child's stdout as it comes, into a shared buffer.
/// `podterm ARGS` against `c` with stdout and stderr piped, killed when dropped.
fn spawn_podterm(c: &TestCluster, home: &Path, args: &[&str]) -> tokio::process::Child {
    client::spawn(&bin::podterm(), c.kubeconfig(), home, args)
}

fn collect(
    mut stdout: impl tokio::io::AsyncRead + Unpin + Send + 'static,
) -> (
    std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    tokio::task::JoinHandle<()>,
) {
    let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let b = buf.clone();
    let task = tokio::spawn(async move {
        let mut chunk = vec![0u8; 64 * 1024];
        while let Ok(n) = stdout.read(&mut chunk).await {
            if n == 0 {
                break;
            }
            b.lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(&chunk[..n]);
        }
    });
    (buf, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_survives_dropped_connections_without_a_line_twice_or_lost() {
    let c = cluster::demo().await;
    // Once told to (a file `go`), 300 numbered lines over several seconds, some of them 100 kB
    // long (so a drop may cut one), then nothing more.
    c.apply_pod(script_pod(
        "chatty",
        "echo ready; while [ ! -e go ]; do sleep 0.05; done; \
         for i in $(seq 1 300); do \
           if [ $((i % 50)) -eq 0 ]; then printf 'long %d ' $i; head -c 100000 /dev/zero | tr '\\0' x; echo; \
           else echo line $i; fi; sleep 0.03; done; exec sleep 300",
    ));
    let mut want = String::from("ready\n");
    for i in 1..=300 {
        if i % 50 == 0 {
            want.push_str(&format!("long {i} {}\n", "x".repeat(100_000)));
        } else {
            want.push_str(&format!("line {i}\n"));
        }
    }
    let home = tempfile::tempdir().expect("home");
    let limit = want.len().to_string();
    let mut child = spawn_podterm(
        &c,
        home.path(),
        &["logs", "-f", "chatty", "--limit-bytes", &limit],
    );
    let (buf, reader) = collect(child.stdout.take().expect("stdout"));
    // podterm follows: let the writer go.
    let deadline = Instant::now() + Duration::from_secs(120);
    while buf.lock().unwrap_or_else(|p| p.into_inner()).len() < "ready\n".len() {
        assert!(
            Instant::now() < deadline,
            "podterm never printed the first line"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let go = run(
        &bin::podterm(),
        &c,
        &["exec", "chatty", "--", "touch", "go"],
    )
    .await;
    assert_eq!(go.code, 0, "{go:?}");
    // Drop every connection each time more output arrived, until the writer is done.
    let mut drops = 0;
    let mut seen = 0;
    while child.try_wait().expect("wait").is_none() {
        let now = buf.lock().unwrap_or_else(|p| p.into_inner()).len();
        if now > seen && drops < 8 {
            seen = now;
            c.drop_connections();
            drops += 1;
        }
        assert!(
            Instant::now() < deadline,
            "podterm did not finish; {seen} bytes so far"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let status = child.wait().await.expect("exit");
    reader.await.expect("reader");
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err).await;
    }
    let got =
        String::from_utf8(buf.lock().unwrap_or_else(|p| p.into_inner()).clone()).expect("utf8");
    assert!(status.success(), "{status}: {err}");
    assert_eq!(got.len(), want.len(), "after {drops} drops: {err}");
    assert!(drops >= 3, "only {drops} drops happened: {err}");
    assert!(got == want, "lines twice or lost after {drops} drops");
}

/// Waits until `buf` (a collected stream) passes `done`.
async fn until_in(
    buf: &std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    what: &str,
    done: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let now =
            String::from_utf8_lossy(&buf.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
        if done(&now) {
            return now;
        }
        assert!(Instant::now() < deadline, "never saw {what}; got:\n{now}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_the_api_server_stops_answering_says_so_and_goes_on_when_it_is_back() {
    let c = cluster::demo().await;
    c.apply_pod(script_pod(
        "ticker",
        "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.1; done",
    ));
    let home = tempfile::tempdir().expect("home");
    let mut child = spawn_podterm(&c, home.path(), &["logs", "-f", "ticker"]);
    let (out, out_task) = collect(child.stdout.take().expect("stdout"));
    let (err, err_task) = collect(child.stderr.take().expect("stderr"));
    until_in(&out, "tick 3", |s| s.contains("tick 3\n")).await;
    // A drop resumed at the first try is not worth a word.
    c.drop_connections();
    let seen = out.lock().unwrap_or_else(|p| p.into_inner()).len();
    until_in(&out, "lines after the drop", |s| s.len() > seen + 20).await;
    // The API server gone: the follow says it keeps trying, rather than sit silent.
    c.stop().await;
    let said = until_in(&err, "the retrying note", |s| s.contains("trying again")).await;
    assert!(
        said.starts_with("podterm: the log of pod/ticker/")
            && said.contains("cannot be resumed yet: "),
        "{said}"
    );
    c.start_again().await.expect("the API server back");
    let said = until_in(&err, "the resumed note", |s| s.contains("podterm: resumed")).await;
    assert!(
        said.contains("\npodterm: resumed the log of pod/ticker/"),
        "{said}"
    );
    let at = out.lock().unwrap_or_else(|p| p.into_inner()).len();
    let got = until_in(&out, "lines after the return", |s| s.len() > at + 20).await;
    // Every tick once, in order, across the drop and the outage.
    let whole = &got[..got.rfind('\n').map_or(0, |n| n + 1)];
    let ticks: Vec<u64> = whole
        .lines()
        .map(|l| {
            l.strip_prefix("tick ")
                .and_then(|n| n.parse().ok())
                .expect(l)
        })
        .collect();
    let first = ticks[0];
    for (i, t) in ticks.iter().enumerate() {
        assert_eq!(
            *t,
            first + i as u64,
            "a tick twice or lost near {i}: {ticks:?}"
        );
    }
    assert_eq!(
        String::from_utf8_lossy(&err.lock().unwrap_or_else(|p| p.into_inner()))
            .lines()
            .count(),
        2,
        "one note each way"
    );
    drop(child);
    out_task.abort();
    err_task.abort();
}

/// What podterm's RSS (VmHWM) may reach while 1 GiB passes through it.
const RSS_LIMIT_KB: u64 = 100 * 1024;

fn peak_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_gibibyte_line_streams_in_bounded_memory() {
    const TOTAL: u64 = 1 << 30;
    let server = Hostile::start(|req| {
        if !req.path.ends_with("/log") {
            return hostile::default_reply(req);
        }
        // Following, the client asks for timestamps: one, then a line that never ends.
        let stamped = req.query.contains("timestamps=true");
        Reply::stream(move |mut tcp| async move {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n";
            if tcp.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            if stamped
                && tcp
                    .write_all(b"2026-01-01T00:00:00.000000001Z ")
                    .await
                    .is_err()
            {
                return;
            }
            let chunk = vec![b'x'; 1 << 20];
            for _ in 0..(TOTAL >> 20) {
                if tcp.write_all(&chunk).await.is_err() {
                    return;
                }
            }
        })
    })
    .await
    .expect("server");
    for follow in [false, true] {
        let mut args = vec!["logs", "shell"];
        if follow {
            args.push("-f");
        }
        let mut child = tokio::process::Command::new(bin::podterm())
            .args(&args)
            .arg("--kubeconfig")
            .arg(server.kubeconfig())
            .env_remove("KUBECONFIG")
            .env("HOME", server.dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("podterm starts");
        let pid = child.id().expect("pid");
        let mut stdout = child.stdout.take().expect("stdout");
        let mut count = 0u64;
        let mut peak = 0;
        let mut chunk = vec![0u8; 1 << 20];
        loop {
            let n = stdout.read(&mut chunk).await.expect("read");
            if n == 0 {
                break;
            }
            assert!(
                chunk[..n].iter().all(|b| *b == b'x'),
                "only the line's bytes"
            );
            count += n as u64;
            if let Some(p) = peak_kb(pid) {
                peak = p.max(peak);
            }
        }
        let status = child.wait().await.expect("exit");
        assert_eq!(count, TOTAL, "follow {follow}: {status}");
        assert!(
            peak < RSS_LIMIT_KB,
            "follow {follow}: podterm's peak RSS was {} MB for a 1 GiB line",
            peak / 1024
        );
        eprintln!("follow {follow}: peak RSS {} MB", peak / 1024);
    }
}

/// What a running `podterm` has written to stdout so far.
type Collected = std::sync::Arc<std::sync::Mutex<Vec<u8>>>;
/// A follower under test: what it is, its process, its output.
type Follower<'a> = (&'a str, tokio::process::Child, Collected);

/// Starts `podterm ARGS` with its stdout collected as it comes.
fn spawn_collecting(
    c: &TestCluster,
    home: &Path,
    args: &[&str],
) -> (tokio::process::Child, Collected) {
    let mut child = spawn_podterm(c, home, args);
    let (buf, _task) = collect(child.stdout.take().expect("stdout"));
    (child, buf)
}

/// Waits until every `(child, buffer)`'s output has each of `lines` (whole lines).
async fn until_lines(followers: &mut [Follower<'_>], lines: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut missing = Vec::new();
        for (what, child, buf) in followers.iter_mut() {
            let text = String::from_utf8_lossy(&buf.lock().unwrap_or_else(|p| p.into_inner()))
                .into_owned();
            for l in lines {
                if !text.lines().any(|t| t == *l) {
                    missing.push(format!("{what}: {l:?} (has {text:?})"));
                }
            }
            assert!(
                child.try_wait().expect("wait").is_none(),
                "{what} ended; it had {text:?}"
            );
        }
        if missing.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never seen:\n{}",
            missing.join("\n")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `podterm logs -f deploy/web` and `-f -l app=web` follow the pods a rollout brings (kubectl's
/// follow one pod of them and end with it): a pod replaced by one of a new ReplicaSet, whose
/// lines come prefixed, each once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_workload_picks_up_the_pods_of_a_rollout() {
    let c = cluster::demo().await;
    let web = |name: &str, hash: &str, script: &str| {
        let mut p = script_pod(name, script);
        p.labels = [
            ("app".to_string(), "web".to_string()),
            ("pod-template-hash".to_string(), hash.to_string()),
        ]
        .into();
        p.owner = Some(testcluster::OwnerRef {
            kind: "ReplicaSet".into(),
            name: format!("web-{hash}"),
        });
        p
    };
    let old = "web-6b7f9c8d5-old01";
    c.apply_pod(web(old, "6b7f9c8d5", "echo old says hi; exec sleep 300"));
    until(&c, &["logs", old], |s| s == "old says hi\n").await;
    let home = tempfile::tempdir().expect("home");
    let (a, abuf) = spawn_collecting(&c, home.path(), &["logs", "-f", "deploy/web"]);
    let (b, bbuf) = spawn_collecting(&c, home.path(), &["logs", "-f", "-l", "app=web"]);
    let mut followers = [("deploy/web", a, abuf), ("-l app=web", b, bbuf)];
    until_lines(
        &mut followers,
        &["[pod/web-6b7f9c8d5-old01/main] old says hi"],
    )
    .await;

    // The rollout: a pod of the new ReplicaSet comes, the old one goes.
    let new = "web-7d8e9f0a1-new01";
    c.apply_pod(web(
        new,
        "7d8e9f0a1",
        "for i in 1 2 3; do echo new line $i; sleep 0.1; done; exec sleep 300",
    ));
    assert!(c.delete_pod("demo", old), "the old pod is deleted");
    let want: Vec<String> = (1..=3)
        .map(|i| format!("[pod/{new}/main] new line {i}"))
        .collect();
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    until_lines(&mut followers, &want).await;
    for (what, mut child, buf) in followers {
        let _ = child.start_kill();
        let _ = child.wait().await;
        let text =
            String::from_utf8_lossy(&buf.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
        for l in want
            .iter()
            .chain(["[pod/web-6b7f9c8d5-old01/main] old says hi"].iter())
        {
            assert_eq!(
                text.lines().filter(|t| t == l).count(),
                1,
                "{what}: {l:?} once in {text:?}"
            );
        }
        assert!(
            text.lines().all(|l| l.starts_with("[pod/web-")),
            "{what}: every line prefixed: {text:?}"
        );
    }
}

/// `--max-log-requests` bounds a follow all along, not only at its start: a pod that comes when
/// as many logs are followed is not followed, with a warning naming it; a deleted pod makes room
/// for the next. (A server that keeps adding pods cannot make podterm hold a stream for each.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_keeps_to_max_log_requests_as_pods_come() {
    let c = cluster::demo().await;
    let capped = |name: &str| {
        let mut p = script_pod(name, &format!("echo {name} here; exec sleep 300"));
        p.labels = [("app".to_string(), "capped".to_string())].into();
        p
    };
    c.apply_pod(capped("capped-a"));
    until(&c, &["logs", "capped-a"], |s| s == "capped-a here\n").await;
    let home = tempfile::tempdir().expect("home");
    let mut child = spawn_podterm(
        &c,
        home.path(),
        &["logs", "-f", "-l", "app=capped", "--max-log-requests", "1"],
    );
    let (out, _o) = collect(child.stdout.take().expect("stdout"));
    let (err, _e) = collect(child.stderr.take().expect("stderr"));
    let text = |b: &Collected| {
        String::from_utf8_lossy(&b.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    };
    let wait = |what: &'static str, b: Collected, want: String| async move {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let t =
                String::from_utf8_lossy(&b.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
            if t.contains(&want) {
                return t;
            }
            assert!(Instant::now() < deadline, "{what}: never {want:?} in {t:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    wait(
        "stdout",
        out.clone(),
        "[pod/capped-a/main] capped-a here\n".into(),
    )
    .await;
    // A second pod while one is followed: said, not followed.
    c.apply_pod(capped("capped-b"));
    wait(
        "stderr",
        err.clone(),
        "warning: [pod/capped-b/main]: not followed: 1 logs are followed at once already, the most one follow takes (--max-log-requests)".into(),
    )
    .await;
    // The first goes: the next pod is followed (the new one, or the one not followed, if an
    // event of it comes first).
    assert!(c.delete_pod("demo", "capped-a"));
    c.apply_pod(capped("capped-c"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !["capped-b", "capped-c"]
        .iter()
        .any(|p| text(&out).contains(&format!("[pod/{p}/main] {p} here\n")))
    {
        assert!(
            Instant::now() < deadline,
            "no pod followed after one went: {}",
            text(&out)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
    // Said once, though the pod's later events come too.
    assert_eq!(
        text(&err).matches("[pod/capped-b/main]").count(),
        1,
        "{}",
        text(&err)
    );
}
