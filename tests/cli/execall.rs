//! `podterm exec --all` (issue 18, item 1) through the built CLI against testcluster: every Ready
//! pod of a workload or selector answers once, each line whole and prefixed with its pod, stdout
//! and stderr apart, the summary and the worst exit code, pods not Ready reported, nothing
//! matching refused, an endless line in pieces within bounded memory, 50 pods of a larger
//! cluster file (`fleet.yaml`) with the concurrency bound held, Ctrl-C ending every session, and
//! colour only on a terminal without NO_COLOR.

use podterm_test_support::pty::Pty;
use podterm_test_support::{bin, client, cluster};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use testcluster::TestCluster;

#[derive(Debug)]
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn command(c: &TestCluster, home: &Path, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(bin::podterm());
    cmd.args(args)
        .env("KUBECONFIG", c.kubeconfig())
        .env("HOME", home)
        .env_remove("NO_COLOR");
    cmd
}

async fn run(c: &TestCluster, args: &[&str]) -> Out {
    let home = tempfile::tempdir().expect("home");
    let out = client::run(
        command(c, home.path(), args),
        None,
        Duration::from_secs(120),
    )
    .await;
    Out {
        code: out.code,
        stdout: out.stdout_text(),
        stderr: out.stderr_text(),
    }
}

const HASH: &str = "6b7f9c8d5";

/// What the summary says of `pod` (its row after the padded name), if it has a row.
fn row<'a>(stderr: &'a str, pod: &str, container: &str) -> Option<&'a str> {
    let name = format!("[pod/{pod}/{container}]");
    stderr
        .lines()
        .find_map(|l| l.strip_prefix(&name).filter(|r| r.starts_with("  ")))
        .map(str::trim_start)
}

/// The demo cluster with a third `web` pod (the Deployment's selector matches it).
async fn three_web_pods() -> (TestCluster, Vec<String>) {
    let c = cluster::demo().await;
    let mut third = testcluster::ClusterSpec::demo()
        .pods
        .into_iter()
        .find(|p| p.name.starts_with("web-"))
        .expect("a demo web pod");
    third.name = format!("web-{HASH}-z3r8t");
    c.apply_pod(third);
    let names = ["h2x4k", "p9m7q", "z3r8t"]
        .map(|id| format!("web-{HASH}-{id}"))
        .to_vec();
    (c, names)
}

fn prefix(pod: &str) -> String {
    format!("[pod/{pod}/web] ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_web_pod_answers_once_with_its_own_hostname() {
    let (c, names) = three_web_pods().await;
    // A Service over the same pods: kubectl's svc/NAME, its selector's pods.
    assert!(c.apply_service(serde_json::json!({
        "metadata": { "name": "web", "namespace": "demo" },
        "spec": { "selector": { "app": "web" }, "ports": [{ "port": 80 }] },
    })));
    for target in [
        &["deploy/web"][..],
        &["-l", "app=web"],
        &["rs/web-6b7f9c8d5"],
        &["svc/web"],
    ] {
        let args: Vec<&str> = ["exec", "-n", "demo"]
            .into_iter()
            .chain(target.iter().copied())
            .chain(["--all", "--", "sh", "-c", "echo $HOSTNAME"])
            .collect();
        let out = run(&c, &args).await;
        assert_eq!(out.code, 0, "{args:?}: {out:?}");
        let lines: BTreeSet<&str> = out.stdout.lines().collect();
        let want: BTreeSet<String> = names.iter().map(|n| format!("{}{n}", prefix(n))).collect();
        assert_eq!(
            lines,
            want.iter().map(String::as_str).collect(),
            "{args:?}: three different hostnames, each from its own pod"
        );
        assert_eq!(out.stdout.lines().count(), 3, "{out:?}");
        for n in &names {
            assert!(
                row(&out.stderr, n, "web") == Some("exit 0"),
                "{args:?}: no summary row for {n}: {}",
                out.stderr
            );
        }
        assert!(
            out.stderr.ends_with("3 pods: 3 exited 0; exit code 0\n"),
            "{}",
            out.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worst_exit_code_wins_stderr_stays_apart_and_pods_not_ready_are_reported() {
    let (c, names) = three_web_pods().await;
    assert!(c.set_ready("demo", &names[2], false));
    let script = "echo out $HOSTNAME; echo err $HOSTNAME >&2; printf 'no newline'; \
                  case $HOSTNAME in *h2x4k) exit 7;; *p9m7q) exit 3;; esac";
    let out = run(
        &c,
        &[
            "exec",
            "-n",
            "demo",
            "deploy/web",
            "--all",
            "--",
            "sh",
            "-c",
            script,
        ],
    )
    .await;
    assert_eq!(out.code, 7, "the largest of 7 and 3: {out:?}");
    let mut stdout: Vec<&str> = out.stdout.lines().collect();
    stdout.sort();
    let (a, b) = (&names[0], &names[1]);
    let mut want = vec![
        format!("{}out {a}", prefix(a)),
        format!("{}no newline", prefix(a)),
        format!("{}out {b}", prefix(b)),
        format!("{}no newline", prefix(b)),
    ];
    want.sort();
    assert_eq!(
        stdout, want,
        "stdout: only stdout lines, the last one without its newline kept"
    );
    for n in [a, b] {
        assert!(
            out.stderr.contains(&format!("{}err {n}\n", prefix(n))),
            "{}",
            out.stderr
        );
    }
    assert!(!out.stdout.contains("err "), "{}", out.stdout);
    assert!(
        !out.stdout.contains(&names[2]),
        "a pod not Ready runs nothing"
    );
    assert!(
        row(&out.stderr, &names[2], "web").is_some_and(|r| r.starts_with("not run: not Ready")),
        "{}",
        out.stderr
    );
    assert!(
        row(&out.stderr, a, "web") == Some("exit 7")
            && row(&out.stderr, b, "web") == Some("exit 3"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.ends_with(
            "3 pods: 0 exited 0, 2 exited non-zero, 1 not Ready (skipped); exit code 7\n"
        ),
        "{}",
        out.stderr
    );

    // A pod where the command cannot run (no shell) is a failure, in words.
    let out = run(
        &c,
        &[
            "exec",
            "-n",
            "demo",
            "-l",
            "app in (web,distroless)",
            "--all",
            "--",
            "sh",
            "-c",
            "true",
        ],
    )
    .await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        row(&out.stderr, "distroless", "app")
            .is_some_and(|r| r.starts_with("failed: ") && r.contains("executable file not found")),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_to_run_in_is_refused_in_words() {
    let (c, names) = three_web_pods().await;
    let out = run(
        &c,
        &[
            "exec", "-n", "demo", "-l", "app=nope", "--all", "--", "true",
        ],
    )
    .await;
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "error: the selector app=nope matches no pod in namespace demo: nothing to run in\n"
    );
    for n in &names {
        assert!(c.set_ready("demo", n, false));
    }
    let out = run(
        &c,
        &["exec", "-n", "demo", "deploy/web", "--all", "--", "true"],
    )
    .await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.starts_with(
            "error: none of the 3 pods that deployment/web matches in namespace demo is Ready: "
        ),
        "{}",
        out.stderr
    );
    let out = run(
        &c,
        &[
            "exec", "-n", "demo", "-i", "-l", "app=web", "--all", "--", "cat",
        ],
    )
    .await;
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("leave out -i and -t"), "{}", out.stderr);
    // A recording is of one terminal session: with --all it was silently not made.
    let cast = tempfile::tempdir().expect("temp dir");
    let file = cast.path().join("all.cast");
    let file_arg = file.to_string_lossy().into_owned();
    let out = run(
        &c,
        &[
            "exec", "-n", "demo", "-l", "app=web", "--all", "--record", &file_arg, "--", "true",
        ],
    )
    .await;
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("leave out --record"), "{}", out.stderr);
    assert!(!file.exists(), "a recording file was made");
    // No command: a shell without stdin would end at once in every pod, reported as exit 0.
    let out = run(&c, &["exec", "-n", "demo", "-l", "app=web", "--all"]).await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("--all needs a command after --"),
        "{}",
        out.stderr
    );
    let out = run(&c, &["exec", "-n", "demo", "shell", "--all", "--", "true"]).await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("leave out --all to exec into pod shell"),
        "{}",
        out.stderr
    );
    let out = run(
        &c,
        &[
            "exec",
            "-n",
            "demo",
            "shell",
            "--max-concurrency",
            "3",
            "--",
            "true",
        ],
    )
    .await;
    assert_ne!(out.code, 0, "--max-concurrency without --all: {out:?}");
    assert!(
        out.stderr.contains("--max-concurrency is for --all"),
        "{}",
        out.stderr
    );
    // `--all=false` is --all not given: the flags that go with it are refused, the ones it
    // excludes taken.
    let out = run(
        &c,
        &[
            "exec",
            "-n",
            "demo",
            "shell",
            "--all=false",
            "--max-concurrency",
            "3",
            "--",
            "true",
        ],
    )
    .await;
    assert_eq!(out.code, 1, "{out:?}");
    let out = run(
        &c,
        &[
            "exec",
            "-n",
            "demo",
            "deploy/web",
            "--all",
            "--pod-running-timeout=5s",
            "--",
            "true",
        ],
    )
    .await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .contains("--pod-running-timeout cannot be used with --all"),
        "{}",
        out.stderr
    );
    let out = run(
        &c,
        &[
            "exec",
            "-n",
            "demo",
            "deploy/web",
            "--all=false",
            "--pod-running-timeout=5s",
            "--",
            "echo",
            "ran",
        ],
    )
    .await;
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "ran\n"),
        "{}",
        out.stderr
    );
}

/// Three pods print long lines (38,000 bytes of their own name) at the same time: every line
/// arrives whole, after its own pod's prefix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_lines_of_pods_printing_at_once_never_interleave() {
    let (c, names) = three_web_pods().await;
    let script = "i=0; while [ $i -lt 60 ]; do yes $HOSTNAME | head -n 2000 | tr -d '\\n'; echo; \
                  i=$((i+1)); done";
    let out = run(
        &c,
        &[
            "exec",
            "-n",
            "demo",
            "deploy/web",
            "--all",
            "--",
            "sh",
            "-c",
            script,
        ],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut per_pod = std::collections::BTreeMap::<&str, usize>::new();
    for line in out.stdout.lines() {
        let pod = names
            .iter()
            .find(|n| line.starts_with(&prefix(n)))
            .unwrap_or_else(|| panic!("a line without a pod's prefix: {:.120}", line));
        assert_eq!(
            &line[prefix(pod).len()..],
            pod.repeat(2000),
            "a line of {pod} mixed with something else"
        );
        *per_pod.entry(pod.as_str()).or_default() += 1;
    }
    assert_eq!(per_pod.len(), 3, "{per_pod:?}");
    assert!(per_pod.values().all(|&n| n == 60), "{per_pod:?}");
}

/// VmHWM (peak RSS) of a process, in kB.
fn peak_kb(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// 128 MiB without a newline from each of two pods: it arrives in pieces of at most 64 KiB, each
/// prefixed, every byte there, while the CLI's peak RSS stays under 100 MB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_line_passes_in_pieces_within_bounded_memory() {
    const MIB: usize = 128;
    let c = cluster::demo().await;
    let home = tempfile::tempdir().expect("home");
    let script = format!("head -c {}M /dev/zero | tr '\\0' x", MIB);
    let mut cmd = command(
        &c,
        home.path(),
        &[
            "exec",
            "-n",
            "demo",
            "deploy/web",
            "--all",
            "--",
            "sh",
            "-c",
            &script,
        ],
    );
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("podterm starts");
    let pid = child.id().expect("pid");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = tokio::spawn(async move {
        use tokio::io::AsyncBufReadExt as _;
        let mut r = tokio::io::BufReader::with_capacity(1 << 20, &mut stdout);
        let (mut pieces, mut bytes, mut longest) = (0usize, 0usize, 0usize);
        let mut line = Vec::new();
        loop {
            line.clear();
            if r.read_until(b'\n', &mut line).await.expect("read") == 0 {
                break;
            }
            let close = line.iter().position(|&b| b == b']').expect("a prefix") + 2;
            let body = &line[close..line.len() - 1];
            assert!(
                body.iter().all(|&b| b == b'x'),
                "only the pod's bytes after the prefix"
            );
            pieces += 1;
            bytes += body.len();
            longest = longest.max(body.len());
        }
        (pieces, bytes, longest)
    });
    let mut peak = 0;
    let deadline = Instant::now() + Duration::from_secs(300);
    while !reader.is_finished() {
        assert!(Instant::now() < deadline, "the run did not end");
        if let Some(p) = peak_kb(pid) {
            peak = p.max(peak);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (pieces, bytes, longest) = reader.await.expect("reader");
    let status = child.wait().await.expect("exit");
    assert!(status.success(), "{status:?}");
    assert_eq!(bytes, 2 * (MIB << 20), "every byte of both pods");
    assert!(longest <= 64 * 1024, "a piece of {longest} bytes");
    assert!(pieces >= bytes / (64 * 1024), "{pieces} pieces");
    assert!(peak < 100 * 1024, "peak RSS {} MB", peak / 1024);
    eprintln!(
        "2 x {MIB} MiB line: {pieces} pieces, peak RSS {} MB",
        peak / 1024
    );
}

async fn fleet() -> TestCluster {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("cli/fleet.yaml");
    let spec = testcluster::ClusterSpec::from_file(&path).expect("fleet.yaml");
    TestCluster::start(testcluster::Options {
        spec,
        ..testcluster::Options::demo()
    })
    .await
    .expect("testcluster starts")
}

/// The 50 replicas of `fleet.yaml`: each answers once; with `--max-concurrency 10` no more than
/// 10 sessions are ever open at once on the server, and more than one is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_pods_answer_within_the_concurrency_bound() {
    let c = fleet().await;
    let want: BTreeSet<String> = (1..=50)
        .map(|i| {
            let pod = format!("fleet-5d8c7b6f4-{i:03}");
            format!("[pod/{pod}/app] {pod}")
        })
        .collect();
    let started = Instant::now();
    let out = run(
        &c,
        &[
            "exec",
            "deploy/fleet",
            "--all",
            "--",
            "sh",
            "-c",
            "echo $HOSTNAME",
        ],
    )
    .await;
    let took = started.elapsed();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 50, "{}", out.stdout);
    assert_eq!(
        out.stdout
            .lines()
            .map(String::from)
            .collect::<BTreeSet<_>>(),
        want
    );
    assert!(
        out.stderr.ends_with("50 pods: 50 exited 0; exit code 0\n"),
        "{}",
        out.stderr
    );
    eprintln!("50 pods, echo: {took:?}");

    // The bound: each command writes when it starts and when it ends (host processes share
    // /tmp); no more than 10 of those spans overlap, and more than one does. A command does not
    // end before a second one has started (or a minute has passed), so with more than one at
    // once two spans overlap however slowly a loaded machine starts them; one at a time, the
    // first waits its minute alone and the check below says so.
    let stamps = tempfile::tempdir().expect("stamps");
    let script = format!(
        "d={}; date +%s%N >> $d/$HOSTNAME; i=0; \
         while [ $(ls $d | wc -l) -lt 2 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; \
         sleep 0.3; date +%s%N >> $d/$HOSTNAME",
        stamps.path().display()
    );
    let started = Instant::now();
    let out = run(
        &c,
        &[
            "exec",
            "-l",
            "app=fleet",
            "--all",
            "--max-concurrency",
            "10",
            "--",
            "sh",
            "-c",
            &script,
        ],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut events: Vec<(u128, i32)> = Vec::new();
    for entry in std::fs::read_dir(stamps.path()).expect("stamps") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("stamp");
        let t: Vec<u128> = text
            .lines()
            .map(|l| l.trim().parse().expect("a time"))
            .collect();
        assert_eq!(t.len(), 2, "one start and one end: {t:?}");
        // An end sorts before a start at the same nanosecond.
        events.extend([(t[0], 1), (t[1], -1)]);
    }
    assert_eq!(events.len(), 100, "every pod ran once");
    events.sort();
    let (mut now, mut most) = (0, 0);
    for (_, d) in events {
        now += d;
        most = most.max(now);
    }
    assert!(
        most <= 10,
        "{most} commands ran at once with --max-concurrency 10"
    );
    assert!(most >= 2, "the pods ran one at a time");
    eprintln!("50 pods, sleep 0.3 at 10 at once: {:?}", started.elapsed());
}

/// Ctrl-C while three pods run `sleep 600`: podterm ends with 130, the summary says each was
/// interrupted, and the sessions and their processes end on the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_every_pod() {
    let (c, names) = three_web_pods().await;
    // The commands, counted on the host (the pods' own main processes are not `sleep 600`).
    let sleeping = || {
        c.processes()
            .into_iter()
            .filter(|p| {
                let cmdline = std::fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
                let argv: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
                argv.len() >= 2
                    && (argv[0] == b"sleep" || argv[0].ends_with(b"/sleep"))
                    && argv[1] == b"600"
            })
            .count()
    };
    let home = tempfile::tempdir().expect("home");
    let mut cmd = command(
        &c,
        home.path(),
        &[
            "exec",
            "-n",
            "demo",
            "deploy/web",
            "--all",
            "--",
            "sleep",
            "600",
        ],
    );
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().expect("podterm starts");
    let pid = child.id().expect("pid");
    let deadline = Instant::now() + Duration::from_secs(60);
    while sleeping() < 3 {
        assert!(Instant::now() < deadline, "three `sleep 600` never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .expect("SIGINT");
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("podterm ended after Ctrl-C")
        .expect("output");
    assert_eq!(out.status.code(), Some(130));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for n in &names {
        assert!(row(&stderr, n, "web") == Some("interrupted"), "{stderr}");
    }
    assert!(
        stderr.ends_with("3 pods: 0 exited 0, 3 interrupted; exit code 130\n"),
        "{stderr}"
    );
    cluster::wait_sessions(&c, 0).await;
    // ...end with their sessions.
    let deadline = Instant::now() + Duration::from_secs(10);
    while sleeping() > 0 {
        assert!(
            Instant::now() < deadline,
            "{} `sleep 600` left running",
            sleeping()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The prefixes are coloured on a terminal, one colour per pod, and not with NO_COLOR (nor in a
/// pipe: the other tests read plain prefixes). The pods' own text passes as is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefixes_are_coloured_only_on_a_terminal_without_no_color() {
    let (c, names) = three_web_pods().await;
    let home = tempfile::tempdir().expect("home");
    let env = |no_color: Option<&str>| {
        vec![
            ("KUBECONFIG".to_string(), Some(c.kubeconfig().into())),
            ("HOME".to_string(), Some(home.path().into())),
            ("NO_COLOR".to_string(), no_color.map(Into::into)),
        ]
    };
    let args = [
        "exec",
        "-n",
        "demo",
        "deploy/web",
        "--all",
        "--",
        "sh",
        "-c",
        "printf '\\033[1mbold\\033[0m %s\\n' $HOSTNAME",
    ];
    let podterm = bin::podterm();
    let (env_plain, env_colour) = (env(Some("1")), env(None));
    let (plain, coloured) = tokio::task::spawn_blocking(move || {
        let mut p = Pty::spawn(&podterm, &args, &env_colour);
        assert_eq!(p.exit_code(), 0);
        let coloured = p.all_output();
        let mut p = Pty::spawn(&podterm, &args, &env_plain);
        assert_eq!(p.exit_code(), 0);
        (p.all_output(), coloured)
    })
    .await
    .expect("pty");
    let colours: BTreeSet<String> = names
        .iter()
        .map(|n| {
            let at = coloured
                .find(&format!("[pod/{n}/web]\x1b[0m \x1b[1mbold\x1b[0m {n}"))
                .unwrap_or_else(|| panic!("no coloured line of {n}: {coloured:?}"));
            let start = coloured[..at]
                .rfind("\x1b[")
                .expect("a colour before the prefix");
            coloured[start..at].to_string()
        })
        .collect();
    assert_eq!(colours.len(), 3, "one colour per pod: {colours:?}");
    for n in &names {
        assert!(
            plain.contains(&format!("[pod/{n}/web] \x1b[1mbold\x1b[0m {n}")),
            "NO_COLOR: a plain prefix, the pod's own escapes kept: {plain:?}"
        );
    }
    assert!(!plain.contains("\x1b[3"), "{plain:?}");
    assert!(!plain.contains("\x1b[9"), "{plain:?}");
}
