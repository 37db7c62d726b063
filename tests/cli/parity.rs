//! `podterm exec` against `kubectl exec` on the same testcluster: the same stdout, stderr and exit
//! code for every scenario, with each kubectl under test (`PODTERM_KUBECTLS`). And one scenario
//! where podterm must do better than kubectl: a slow reader still gets every byte.

use podterm_test_support::kubectl::{clean_stderr, kubectls, newest as newest_kubectl};
use podterm_test_support::pty::Pty;
use podterm_test_support::{bin, client, cluster};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use testcluster::TestCluster;
use tokio::io::AsyncReadExt;

/// The environment of a client under test: the cluster's kubeconfig and its own HOME.
fn cluster_env(c: &TestCluster, home: &Path) -> Vec<(String, Option<std::ffi::OsString>)> {
    vec![
        ("KUBECONFIG".into(), Some(c.kubeconfig().into())),
        ("HOME".into(), Some(home.into())),
    ]
}

fn podterm() -> PathBuf {
    bin::podterm()
}

/// podterm, then every kubectl under test.
fn clients() -> Vec<PathBuf> {
    let mut bins = vec![podterm()];
    bins.extend(kubectls());
    bins
}

#[derive(Debug, PartialEq)]
struct Out {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

async fn run(
    bin: &Path,
    c: &TestCluster,
    args: &[&str],
    stdin: Option<Vec<u8>>,
    env: &[(&str, &str)],
) -> Out {
    let (cmd, _home) = command(bin, c, args, env);
    out_of(client::run(cmd, stdin, Duration::from_secs(120)).await)
}

/// As [`run`], with `then` done once the client's stdout has begun with `first`
/// ([`client::run_then`]).
async fn run_then(
    bin: &Path,
    c: &TestCluster,
    args: &[&str],
    env: &[(&str, &str)],
    first: &[u8],
    then: impl std::future::Future<Output = ()>,
) -> Out {
    let (cmd, _home) = command(bin, c, args, env);
    out_of(client::run_then(cmd, first, then, Duration::from_secs(120)).await)
}

/// A client under test against `c` with `env`, and the HOME of its own it is given (kept while
/// it runs).
fn command(
    bin: &Path,
    c: &TestCluster,
    args: &[&str],
    env: &[(&str, &str)],
) -> (tokio::process::Command, tempfile::TempDir) {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = tokio::process::Command::new(bin);
    cmd.args(args)
        .env("KUBECONFIG", c.kubeconfig())
        .env("HOME", home.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    (cmd, home)
}

/// What a client did, its stderr without kubectl's own log lines.
fn out_of(out: client::Output) -> Out {
    Out {
        code: out.code,
        stderr: clean_stderr(&out.stderr_text()),
        stdout: out.stdout,
    }
}

/// A client under test started against `c`, its output read as it comes.
fn spawn_piped(bin: &Path, c: &TestCluster, home: &Path, args: &[&str]) -> tokio::process::Child {
    client::spawn(bin, c.kubeconfig(), home, args)
}

/// Runs the same arguments through podterm and every kubectl. Stdout and exit code must equal
/// every kubectl's; stderr must equal at least one kubectl's word for word (kubectl versions
/// word a few errors differently, e.g. a 403 on the exec upgrade).
async fn same(c: &TestCluster, args: &[&str], stdin: Option<Vec<u8>>) -> Out {
    let ours = run(&podterm(), c, args, stdin.clone(), &[]).await;
    let mut stderrs = vec![];
    for k in kubectls() {
        let theirs = run(&k, c, args, stdin.clone(), &[]).await;
        assert_eq!(
            (theirs.code, String::from_utf8_lossy(&theirs.stdout)),
            (ours.code, String::from_utf8_lossy(&ours.stdout)),
            "{} vs podterm differ for {args:?} (stderr: {:?} vs {:?})",
            k.display(),
            theirs.stderr,
            ours.stderr
        );
        stderrs.push(theirs.stderr);
    }
    assert!(
        stderrs.contains(&ours.stderr),
        "stderr for {args:?}: podterm {:?}, kubectl {stderrs:?}",
        ours.stderr
    );
    ours
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_table_matches_kubectl() {
    let c = cluster::demo().await;
    type Row<'a> = (&'a [&'a str], Option<&'a [u8]>, i32);
    let table: &[Row] = &[
        (&["exec", "shell", "--", "echo", "hello"], None, 0),
        (
            &[
                "exec",
                "shell",
                "--",
                "sh",
                "-c",
                "echo to-out; echo to-err >&2",
            ],
            None,
            0,
        ),
        (&["exec", "shell", "--", "sh", "-c", "exit 1"], None, 1),
        (
            &["exec", "shell", "--", "sh", "-c", "echo partial; exit 7"],
            None,
            7,
        ),
        (&["exec", "shell", "--", "sh", "-c", "exit 126"], None, 126),
        (
            &["exec", "shell", "--", "sh", "-c", "no-such-command-here"],
            None,
            127,
        ),
        (&["exec", "-i", "shell", "--", "cat"], Some(b"abc"), 0),
        (&["exec", "-i", "shell", "--", "wc", "-c"], Some(b""), 0),
        (
            &["exec", "pair", "--", "sh", "-c", "basename $PWD"],
            None,
            0,
        ),
        (
            &["exec", "multi", "--", "sh", "-c", "basename $PWD"],
            None,
            0,
        ),
        (&["exec", "-q", "pair", "--", "true"], None, 0),
        (&["exec", "nope", "--", "true"], None, 1),
        // No command and no -i: kubectl's refusal (with -i, podterm's shell).
        (&["exec", "shell"], None, 1),
        (&["exec", "shell", "--"], None, 1),
        // Not found in a namespace that is not there: the namespace is the answer, unless the
        // user may not read it.
        (&["exec", "-n", "MISSING", "shell", "--", "true"], None, 1),
        (
            &["exec", "-n", "MISSING", "deploy/web", "--", "true"],
            None,
            1,
        ),
        (&["attach", "-n", "MISSING", "shell"], None, 1),
        (
            &[
                "exec",
                "--context",
                "viewer",
                "-n",
                "MISSING",
                "shell",
                "--",
                "true",
            ],
            None,
            1,
        ),
        (&["exec", "deploy/nosuch", "--", "true"], None, 1),
        // Boolean flags with a value, as scripts written for kubectl give them.
        (
            &["exec", "--stdin=true", "--tty=false", "shell", "--", "cat"],
            Some(b"typed"),
            0,
        ),
        (
            &["exec", "-i=false", "shell", "--", "cat"],
            Some(b"unread"),
            0,
        ),
        (
            &["exec", "--quiet=true", "pair", "--", "echo", "q"],
            None,
            0,
        ),
        // kubectl's RESOURCE.VERSION.GROUP forms.
        (
            &["exec", "pods.v1./pair", "-c", "one", "--", "echo", "a"],
            None,
            0,
        ),
        (
            &["exec", "deployments.v1.apps/nosuch", "--", "true"],
            None,
            1,
        ),
        (
            &["exec", "--context", "viewer", "shell", "--", "true"],
            None,
            1,
        ),
        (&["exec", "distroless", "--", "sh"], None, 1),
        (&["exec", "shell", "-c", "nope", "--", "true"], None, 1),
        (&["exec", "distroless", "--", "echo", "static"], None, 0),
        (
            &[
                "exec",
                "-n",
                "kube-system",
                "coredns-7db6d8ff4d-4xk2m",
                "--",
                "echo",
                "ns",
            ],
            None,
            0,
        ),
        (&["exec", "deploy/nope", "--", "true"], None, 1),
        // -t with stdin that is not a terminal: kubectl's warning, no TTY.
        (
            &[
                "exec",
                "-ti",
                "shell",
                "--",
                "sh",
                "-c",
                "test -t 0 || echo no-tty",
            ],
            Some(b""),
            0,
        ),
        // -t without -i: no TTY, silently.
        (
            &[
                "exec",
                "-t",
                "shell",
                "--",
                "sh",
                "-c",
                "test -t 1 || echo no-tty",
            ],
            None,
            0,
        ),
    ];
    for (args, stdin, want) in table {
        let out = same(&c, args, stdin.map(<[u8]>::to_vec)).await;
        assert_eq!(out.code, *want, "{args:?}: {out:?}");
    }
    // kubectl 1.32 leaves an unknown container to the server; newer kubectl checks it first and
    // lists the containers. podterm does the latter: the newest kubectl is the reference here.
    let args = ["exec", "shell", "-c", "nope", "--", "true"];
    let ours = run(&podterm(), &c, &args, None, &[]).await;
    assert_eq!(ours.code, 1);
    assert_eq!(
        ours.stderr,
        "error: container nope is not valid for pod shell out of: main\n"
    );
    let newest = newest_kubectl();
    let theirs = run(&newest, &c, &args, None, &[]).await;
    assert_eq!(theirs, ours, "{}", newest.display());
    // Spot checks of what "the same" was.
    let out = same(
        &c,
        &["exec", "shell", "--", "sh", "-c", "echo partial; exit 7"],
        None,
    )
    .await;
    assert_eq!(out.stdout, b"partial\n");
    assert_eq!(out.stderr, "command terminated with exit code 7\n");
    let out = same(&c, &["exec", "pair", "--", "true"], None).await;
    assert_eq!(out.stderr, "Defaulted container \"one\" out of: one, two\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_megabytes_round_trip_hash() {
    use sha2::Digest;
    let c = cluster::demo().await;
    let data = podterm_test_support::noise(100 * 1024 * 1024, 0x2545_f491_4f6c_dd1d);
    let want = sha2::Sha256::digest(&data);
    let bins = clients();
    for bin in bins {
        let out = run(
            &bin,
            &c,
            &["exec", "-i", "shell", "--", "cat"],
            Some(data.clone()),
            &[],
        )
        .await;
        assert_eq!(out.code, 0, "{}: {}", bin.display(), out.stderr);
        assert_eq!(out.stdout.len(), data.len(), "{}", bin.display());
        assert_eq!(sha2::Sha256::digest(&out.stdout), want, "{}", bin.display());
    }
}

/// The pod deleted while a command runs in it: the session ends as kubectl's does (137, what was
/// printed, kubectl's words). The command's `sleep 300` outlasts the client's time limit, so
/// ending at all is the delete's doing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_deleted_mid_session_ends_the_session_as_kubectl() {
    let c = cluster::demo().await;
    let bins = clients();
    let mut results = vec![];
    for bin in bins {
        let out = run_then(
            &bin,
            &c,
            &["exec", "multi", "--", "sh", "-c", "echo started; sleep 300"],
            &[],
            b"started\n",
            async { assert!(c.delete_pod("demo", "multi")) },
        )
        .await;
        c.apply_pod(testcluster::ClusterSpec::demo().pods[1].clone());
        results.push(out);
    }
    for r in &results[1..] {
        assert_eq!(r, &results[0]);
    }
    assert_eq!(results[0].code, 137);
    assert_eq!(results[0].stdout, b"started\n");
    assert_eq!(results[0].stderr, "command terminated with exit code 137\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_restart_breaks_sessions_and_serves_new_ones() {
    let c = cluster::demo().await;
    let bins = clients();
    for bin in &bins {
        let out = run_then(
            bin,
            &c,
            &["exec", "shell", "--", "sh", "-c", "echo before; sleep 300"],
            &[],
            b"before\n",
            async { c.restart().await.expect("restart") },
        )
        .await;
        assert_ne!(
            out.code,
            0,
            "{}: a broken session is not success: {out:?}",
            bin.display()
        );
        assert_eq!(out.stdout, b"before\n", "{}", bin.display());
        if bin == &podterm() {
            assert!(
                out.stderr.contains("output may be incomplete"),
                "{}",
                out.stderr
            );
        }
    }
    // After the restart, both work again with the same credentials.
    let out = same(&c, &["exec", "shell", "--", "echo", "after"], None).await;
    assert_eq!(out.stdout, b"after\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_link_fails_with_a_deadline_error() {
    let c = cluster::demo().await;
    let pt = podterm();
    // The command's `sleep 300` outlasts the client's time limit: ending at all is the deadline's
    // doing, and the error names it.
    let out = run_then(
        &pt,
        &c,
        &["exec", "shell", "--", "sh", "-c", "echo up; sleep 300"],
        &[("PODTERM_PING_SECS", "0.5"), ("PODTERM_DEADLINE_SECS", "2")],
        b"up\n",
        async { c.set_stalled(true) },
    )
    .await;
    c.set_stalled(false);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stdout, b"up\n");
    assert!(
        out.stderr.contains("no data from the API server for 2 s"),
        "{}",
        out.stderr
    );
}

/// `attach -it` to a container started without a terminal: kubectl's words, then a session
/// without one, so what is typed echoes here and Ctrl-C ends the client (in raw mode neither
/// would, and the user would be stuck).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_to_a_container_without_a_tty_goes_on_without_one() {
    let c = cluster::demo().await;
    for bin in clients() {
        let home = tempfile::tempdir().expect("home");
        let mut pty = Pty::spawn(
            &bin,
            &["attach", "-it", "pair", "-c", "one"],
            &cluster_env(&c, home.path()),
        );
        pty.expect("error: Unable to use a TTY - container one did not allocate one");
        pty.expect("If you don't see a command prompt, try pressing enter.");
        pty.type_str("typed-here\r");
        pty.expect("typed-here");
        pty.type_str("\x03");
        pty.exit_code();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tty_session_follows_resize() {
    let c = cluster::demo().await;
    let bins = clients();
    for bin in bins {
        let home = tempfile::tempdir().expect("home");
        let mut pty = Pty::spawn(
            &bin,
            &["exec", "-it", "shell", "--", "sh"],
            &cluster_env(&c, home.path()),
        );
        pty.type_str("stty size\r");
        pty.wait_for("24 80", None, Duration::from_millis(20));
        pty.resize(101, 33);
        pty.wait_for("33 101", Some("stty size\r"), Duration::from_millis(150));
        pty.type_str("exit 4\r");
        assert_eq!(pty.exit_code(), 4, "{}: {}", bin.display(), pty.text());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_reader_gets_every_byte() {
    // 64 MiB of numbered lines into a reader that takes ~4 s; the server closes the way the API
    // server does. podterm must deliver all of it, every time.
    let c = cluster::demo().await;
    let lines = 8_500_000u64;
    let want: Vec<u8> = {
        let out = std::process::Command::new("seq")
            .arg("1")
            .arg(lines.to_string())
            .output()
            .expect("seq");
        out.stdout
    };
    assert!(want.len() > 60 << 20);
    let mut report = vec![];
    let bins = clients();
    for bin in bins {
        let home = tempfile::tempdir().expect("home");
        let mut child = tokio::process::Command::new(&bin)
            .args(["exec", "shell", "--", "seq", "1", &lines.to_string()])
            .env("KUBECONFIG", c.kubeconfig())
            .env("HOME", home.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn");
        let mut stdout = child.stdout.take().expect("stdout");
        let mut got = Vec::with_capacity(want.len());
        let mut buf = vec![0u8; 64 * 1024];
        let start = Instant::now();
        loop {
            let n = stdout.read(&mut buf).await.expect("read");
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            tokio::time::sleep(Duration::from_micros(3500)).await;
        }
        let status = child.wait().await.expect("wait");
        let whole = got == want;
        report.push(format!(
            "{}: {} of {} bytes in {:.1}s, exit {:?}, whole={whole}",
            bin.display(),
            got.len(),
            want.len(),
            start.elapsed().as_secs_f64(),
            status.code()
        ));
        if bin == podterm() {
            assert!(whole, "podterm lost bytes: {report:?}");
            assert_eq!(status.code(), Some(0));
        }
    }
    println!("slow reader: {report:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workloads_and_selectors_pick_the_newest_ready_pod() {
    let c = cluster::demo().await;
    let pt = podterm();
    let host = |args: &'static [&'static str]| {
        let (pt, c) = (&pt, &c);
        async move {
            let out = run(pt, c, args, None, &[]).await;
            (
                out.code,
                String::from_utf8_lossy(&out.stdout).trim().to_string(),
                out.stderr,
            )
        }
    };
    // The demo's newest web pod is p9m7q (created 90 min ago; h2x4k 120 min ago).
    let (code, name, err) = host(&["exec", "deploy/web", "--", "sh", "-c", "echo $HOSTNAME"]).await;
    assert_eq!((code, name.as_str()), (0, "web-6b7f9c8d5-p9m7q"), "{err}");
    let (_, name, _) = host(&["exec", "-l", "app=web", "--", "sh", "-c", "echo $HOSTNAME"]).await;
    assert_eq!(name, "web-6b7f9c8d5-p9m7q");
    let (_, name, _) = host(&[
        "exec",
        "rs/web-6b7f9c8d5",
        "--",
        "sh",
        "-c",
        "echo $HOSTNAME",
    ])
    .await;
    assert_eq!(name, "web-6b7f9c8d5-p9m7q");

    // A rollout: the old pods terminate, a new one comes up Ready.
    let mut new = testcluster::ClusterSpec::demo()
        .pods
        .into_iter()
        .find(|p| p.name.starts_with("web-"))
        .expect("web pod");
    new.name = "web-6b7f9c8d5-zz9new".into();
    new.age_seconds = 5;
    c.apply_pod(new);
    assert!(c.mark_terminating("demo", "web-6b7f9c8d5-p9m7q"));
    let (_, name, _) = host(&["exec", "deploy/web", "--", "sh", "-c", "echo $HOSTNAME"]).await;
    assert_eq!(name, "web-6b7f9c8d5-zz9new");

    // Nothing Ready, two running (a readiness probe fails): the newest of those, as kubectl
    // takes a pod that runs, with a note.
    assert!(c.set_ready("demo", "web-6b7f9c8d5-zz9new", false));
    assert!(c.set_ready("demo", "web-6b7f9c8d5-h2x4k", false));
    for args in [
        &["exec", "deploy/web", "--", "sh", "-c", "echo $HOSTNAME"][..],
        &["exec", "-l", "app=web", "--", "sh", "-c", "echo $HOSTNAME"],
    ] {
        let out = run(&pt, &c, args, None, &[]).await;
        let target = if args[1] == "-l" {
            "pods with labels app=web"
        } else {
            "deployment/web"
        };
        assert_eq!(
            (
                out.code,
                String::from_utf8_lossy(&out.stdout).as_ref(),
                out.stderr.as_str()
            ),
            (
                0,
                "web-6b7f9c8d5-zz9new\n",
                format!(
                    "No Ready pod for {target}; using web-6b7f9c8d5-zz9new (not Ready: \
                     container web not ready)\n"
                )
                .as_str()
            ),
            "{args:?}"
        );
    }
    // -q says nothing.
    let out = run(
        &pt,
        &c,
        &["exec", "-q", "deploy/web", "--", "true"],
        None,
        &[],
    )
    .await;
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));

    // Nothing that runs: an error that says which pods exist and why.
    assert!(c.mark_terminating("demo", "web-6b7f9c8d5-zz9new"));
    assert!(c.mark_terminating("demo", "web-6b7f9c8d5-h2x4k"));
    let (code, _, err) = host(&["exec", "deploy/web", "--", "true"]).await;
    assert_eq!(code, 1);
    assert!(
        err.starts_with("error: no Ready pod for deployment/web in namespace demo:"),
        "{err}"
    );
    assert!(err.contains("web-6b7f9c8d5-p9m7q (terminating)"), "{err}");
    assert!(err.contains("web-6b7f9c8d5-zz9new (terminating)"), "{err}");

    // A pod whose sidecar crashes beside a container that runs: not Ready, yet the container
    // exec runs in is there to run in.
    let pod = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": "web-sidecar", "labels": { "app": "web" } },
        "spec": { "containers": [
            { "name": "web", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 600"] },
            { "name": "sidecar", "image": "busybox:1.36", "command": ["sh", "-c", "exit 3"] },
        ] },
    });
    let kubectl = newest_kubectl();
    let made = run(
        &kubectl,
        &c,
        &["create", "--validate=false", "-f", "-"],
        Some(pod.to_string().into_bytes()),
        &[],
    )
    .await;
    assert_eq!(made.code, 0, "{made:?}");
    // (Never Ready, also in the moments its sidecar runs between crashes.)
    assert!(c.set_ready("demo", "web-sidecar", false));
    let web_runs = [
        "get",
        "pod",
        "web-sidecar",
        "-o",
        "jsonpath={.status.containerStatuses[?(@.name==\"web\")].state.running.startedAt}",
    ];
    let deadline = Instant::now() + Duration::from_secs(30);
    while run(&kubectl, &c, &web_runs, None, &[])
        .await
        .stdout
        .is_empty()
    {
        assert!(Instant::now() < deadline, "web never ran");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let out = run(
        &pt,
        &c,
        &[
            "exec",
            "deploy/web",
            "-c",
            "web",
            "--",
            "sh",
            "-c",
            "echo $HOSTNAME",
        ],
        None,
        &[],
    )
    .await;
    assert_eq!(
        (out.code, String::from_utf8_lossy(&out.stdout).as_ref()),
        (0, "web-sidecar\n"),
        "{out:?}"
    );
    assert!(
        out.stderr
            .starts_with("No Ready pod for deployment/web; using web-sidecar (not Ready: "),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_joins_the_main_process_like_kubectl() {
    let c = cluster::demo().await;
    let bins = clients();
    for bin in bins {
        let home = tempfile::tempdir().expect("home");
        let mut pty = Pty::spawn(
            &bin,
            &["attach", "-it", "shell"],
            &cluster_env(&c, home.path()),
        );
        pty.wait_for(
            "If you don't see a command prompt, try pressing enter.",
            None,
            Duration::from_millis(20),
        );
        pty.wait_for(
            "attached-42",
            Some("echo attached-$((40+2))\r"),
            Duration::from_millis(300),
        );
        // Ending the main process ends the session (the pod restarts it), and each says how
        // to come back.
        let restarts = || async {
            let out = run(
                &newest_kubectl(),
                &c,
                &["get", "pod", "shell", "-o", "jsonpath={.status.containerStatuses[0].restartCount}/{.status.containerStatuses[0].state.running}"],
                None,
                &[],
            )
            .await;
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let before = restarts().await;
        let count = |s: &str| s.split('/').next().unwrap_or("").to_string();
        pty.type_str("exit\r");
        let code = pty.exit_code();
        // The client writes its last line just before it exits: the reader may not have it yet.
        let text = pty.drained_until(" -i -t' command");
        assert_eq!(code, 0, "{}: {text}", bin.display());
        // kubectl 1.37 names the namespace too, as podterm does.
        assert!(
            text.contains("Session ended, resume using '")
                && text.contains(" attach shell -c main ")
                && text.contains(" -i -t' command"),
            "{}: {text}",
            bin.display()
        );
        // Restarted and running before the next client attaches.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let now = restarts().await;
            if count(&now) != count(&before) && !now.ends_with('/') {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "shell never ran again: {before} → {now}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// No command, in a container without a shell: podterm says what to do instead of the
/// runtime's words about the `sh` it chose itself (kubectl, given no command, asks for one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_command_in_a_container_without_a_shell_says_what_to_do() {
    let c = cluster::demo().await;
    let out = run(&podterm(), &c, &["exec", "-i", "distroless"], None, &[]).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("error: container app of pod demo/distroless has no shell")
            && out
                .stderr
                .contains("podterm debug -it -n demo distroless --image=busybox --target=app"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("executable file not found"),
        "{}",
        out.stderr
    );
    // A command the user named keeps the runtime's words, as kubectl's (the scenario table).

    // The commands suggested reach the same cluster: the flags that chose it come along.
    let kc = c.kubeconfig().display().to_string();
    let out = run(
        &podterm(),
        &c,
        &[
            "exec",
            "-i",
            "distroless",
            "--kubeconfig",
            &kc,
            "--context=demo-admin",
        ],
        None,
        &[],
    )
    .await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    let again = format!("--kubeconfig {kc} --context demo-admin -n demo distroless");
    for suggested in [
        format!("podterm exec {again} -c app -- PROGRAM"),
        format!("podterm debug -it {again} --image=busybox --target=app"),
    ] {
        assert!(
            out.stderr.contains(&suggested),
            "{suggested}: {}",
            out.stderr
        );
    }
}

/// `--as`, `--as-group`, `--as-uid`: the API server checks that we may impersonate, then
/// answers as the one impersonated, on every request and on the exec upgrade; as kubectl.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impersonation_matches_kubectl() {
    let c = cluster::demo().await;
    type Row<'a> = (&'a [&'a str], i32);
    let table: &[Row] = &[
        // The admin may impersonate: the viewer's own refusal of the exec.
        (&["exec", "shell", "--as=viewer", "--", "true"], 1),
        (&["logs", "shell", "--as=viewer"], 1),
        // A service account and a user the cluster does not know: what they may not do.
        (
            &[
                "exec",
                "shell",
                "--as=system:serviceaccount:demo:app",
                "--",
                "true",
            ],
            1,
        ),
        // Groups and a UID beside the user; each flag given before or after the subcommand.
        (
            &[
                "--as-group=a",
                "exec",
                "shell",
                "--as=demo-admin",
                "--as-group=b",
                "--as-uid=7",
                "--",
                "echo",
                "hi",
            ],
            0,
        ),
        // Groups without a user: refused before the server is asked.
        (&["exec", "shell", "--as-group=x", "--", "true"], 1),
    ];
    for (args, code) in table {
        let out = same(&c, args, None).await;
        assert_eq!(out.code, *code, "{args:?}: {out:?}");
    }
    let args = [
        "debug",
        "shell",
        "--image=busybox",
        "--as=viewer",
        "--",
        "true",
    ];
    let out = same_debug(&c, &args, None).await;
    assert_eq!(out.code, 1, "{out:?}");
    // The viewer may not impersonate: the API server's words. (kubectl, asking for discovery
    // first with a fresh cache, says only `Error from server (Forbidden): unknown`.)
    let args = [
        "--context",
        "viewer",
        "exec",
        "shell",
        "--as=demo-admin",
        "--",
        "true",
    ];
    for bin in clients() {
        let out = run(&bin, &c, &args, None, &[]).await;
        assert_eq!(out.code, 1, "{}: {out:?}", bin.display());
        if bin == podterm() {
            assert_eq!(
                out.stderr,
                "Error from server (Forbidden): users \"demo-admin\" is forbidden: User \"viewer\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope\n"
            );
        }
    }
    let out = run(
        &podterm(),
        &c,
        &["exec", "shell", "--as=nobody", "--", "true"],
        None,
        &[],
    )
    .await;
    assert_eq!(
        out.stderr,
        "Error from server (Forbidden): pods \"shell\" is forbidden: User \"nobody\" cannot get resource \"pods\" in API group \"\" in the namespace \"demo\"\n"
    );
}

/// `--pod-running-timeout`: a workload with no Ready pod is waited for (kubectl waits only for
/// one with no pods at all, then says `timed out waiting for the condition`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_running_timeout_waits_for_a_ready_pod() {
    use tokio::io::AsyncBufReadExt;
    let c = cluster::demo().await;
    for pod in ["web-6b7f9c8d5-p9m7q", "web-6b7f9c8d5-h2x4k"] {
        assert!(c.set_ready("demo", pod, false), "{pod}");
    }
    // None Ready within the time, both running: the newest of them, once the time is up.
    let args = [
        "exec",
        "deploy/web",
        "--pod-running-timeout=1s",
        "--",
        "sh",
        "-c",
        "echo $HOSTNAME",
    ];
    let out = run(&podterm(), &c, &args, None, &[]).await;
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(
        (out.code, String::from_utf8_lossy(&out.stdout).as_ref()),
        (0, "web-6b7f9c8d5-p9m7q\n"),
        "{out:?}"
    );
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    assert!(
        lines[0].starts_with("Waiting up to 1 s for a Ready pod of deployment/web: "),
        "{}",
        out.stderr
    );
    assert_eq!(
        lines[1],
        "No Ready pod for deployment/web; using web-6b7f9c8d5-p9m7q (not Ready: container web \
         not ready)"
    );
    // attach takes it too (its main process runs on: the note is read, then it is stopped).
    let home = tempfile::tempdir().expect("home");
    let args = ["attach", "deploy/web", "--pod-running-timeout=1s"];
    let mut child = spawn_piped(&podterm(), &c, home.path(), &args);
    let mut stderr = tokio::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut said = vec![];
    while said.len() < 2 {
        let line = tokio::time::timeout(Duration::from_secs(60), stderr.next_line())
            .await
            .expect("attach says what it does")
            .expect("stderr");
        said.push(line.unwrap_or_else(|| panic!("attach ended: {said:?}")));
    }
    assert_eq!(
        said[1],
        "No Ready pod for deployment/web; using web-6b7f9c8d5-p9m7q (not Ready: container web \
         not ready)"
    );
    let _ = child.kill().await;
    // port-forward takes it too, as kubectl's does (a failing readiness probe is what one
    // forwards a port to look into).
    {
        use podterm_test_support::portforward::Forward;
        let args = ["port-forward", "deploy/web", ":8080"];
        let mut f = Forward::start(&podterm(), c.kubeconfig(), home.path(), &args).await;
        let note = f
            .wait_stderr("No Ready pod for deployment/web", Duration::from_secs(30))
            .await;
        assert_eq!(
            note,
            "No Ready pod for deployment/web; using web-6b7f9c8d5-p9m7q (not Ready: container \
             web not ready)"
        );
        assert_eq!(f.interrupt().await, Some(0), "{}", f.stderr_text());
    }

    // None that runs either: what there is and why, and how long it waited.
    for pod in ["web-6b7f9c8d5-p9m7q", "web-6b7f9c8d5-h2x4k"] {
        assert!(c.mark_terminating("demo", pod), "{pod}");
    }
    for args in [
        &[
            "exec",
            "deploy/web",
            "--pod-running-timeout=1s",
            "--",
            "true",
        ][..],
        &["attach", "deploy/web", "--pod-running-timeout=1s"],
    ] {
        let out = run(&podterm(), &c, args, None, &[]).await;
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}: {}", out.stderr);
        assert!(
            lines[0].starts_with("Waiting up to 1 s for a Ready pod of deployment/web: ")
                && lines[0].contains("web-6b7f9c8d5-h2x4k (terminating)"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(
            lines[1].starts_with("error: no Ready pod for deployment/web in namespace demo: ")
                && lines[1].ends_with("(waited 1 s)"),
            "{args:?}: {}",
            out.stderr
        );
    }

    // One that runs but is not Ready yet (just rolled out) is waited for, not taken at once;
    // it comes Ready while the command waits, and the command runs in it.
    let mut new = testcluster::ClusterSpec::demo()
        .pods
        .into_iter()
        .find(|p| p.name.starts_with("web-"))
        .expect("web pod");
    new.name = "web-6b7f9c8d5-l8t3r".into();
    new.age_seconds = 1;
    new.ready = false;
    c.apply_pod(new);
    let home = tempfile::tempdir().expect("home");
    let mut child = spawn_piped(
        &podterm(),
        &c,
        home.path(),
        &[
            "exec",
            "deploy/web",
            "--pod-running-timeout=2m",
            "--",
            "sh",
            "-c",
            "echo $HOSTNAME",
        ],
    );
    let mut stderr = tokio::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
    let first = tokio::time::timeout(Duration::from_secs(60), stderr.next_line())
        .await
        .expect("the wait is said")
        .expect("stderr")
        .unwrap_or_default();
    assert!(
        first.starts_with("Waiting up to 120 s for a Ready pod of deployment/web"),
        "{first}"
    );
    assert!(c.set_ready("demo", "web-6b7f9c8d5-l8t3r", true));
    let (code, stdout) = client::finish(&mut child, Duration::from_secs(60)).await;
    assert_eq!((code, stdout.as_str()), (Some(0), "web-6b7f9c8d5-l8t3r\n"));

    // The flag's own errors, in kubectl's words (zero after parsing, as kubectl checks it).
    for (value, said) in [
        ("0", "error: --pod-running-timeout must be higher than zero\n".to_string()),
        (
            "5",
            "Error: invalid argument \"5\" for \"--pod-running-timeout\" flag: time: missing unit in duration \"5\"\nSee 'podterm exec --help' for usage.\n".to_string(),
        ),
    ] {
        let flag = format!("--pod-running-timeout={value}");
        let out = run(&podterm(), &c, &["exec", "shell", &flag, "--", "true"], None, &[]).await;
        assert_eq!((out.code, out.stderr), (1, said), "{value}");
    }
}

/// `job/NAME` (and kubectl's other names for a Job) is read as kubectl reads it: `logs` reads
/// its pod, `exec` runs in it; a Job that is not there is the server's 404 in kubectl's words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jobs_pod_is_reached_through_the_job_like_kubectl() {
    use testcluster::config::{OwnerRef, WorkloadKind, WorkloadSpec};
    let mut spec = testcluster::ClusterSpec::demo();
    let selector: std::collections::BTreeMap<String, String> =
        [("job-name".to_string(), "migrate".to_string())].into();
    spec.workloads.push(WorkloadSpec {
        kind: WorkloadKind::Job,
        namespace: "demo".into(),
        name: "migrate".into(),
        selector: selector.clone(),
        labels: selector.clone(),
        owner: None,
        replicas: 1,
        age_seconds: 600,
    });
    let mut pod = spec
        .pods
        .iter()
        .find(|p| p.name == "shell")
        .expect("the demo's shell pod")
        .clone();
    pod.name = "migrate-x7kq2".into();
    pod.labels = selector;
    pod.owner = Some(OwnerRef {
        kind: "Job".into(),
        name: "migrate".into(),
    });
    pod.containers.truncate(1);
    pod.containers[0].name = "migrate".into();
    pod.containers[0].tty = false;
    pod.containers[0].command = ["sh", "-c", "echo migrating; exec sleep 3600"]
        .map(String::from)
        .to_vec();
    spec.pods.push(pod);
    let c = TestCluster::start(testcluster::Options {
        spec,
        ..testcluster::Options::demo()
    })
    .await
    .expect("testcluster starts");
    for args in [
        &["logs", "job/migrate"][..],
        &["logs", "jobs.batch/migrate"],
        &["logs", "jobs.v1.batch/migrate"],
        &["exec", "job/migrate", "--", "sh", "-c", "echo $HOSTNAME"],
        &["logs", "job/nope"],
    ] {
        let out = same(&c, args, None).await;
        match args {
            ["exec", ..] => assert_eq!(out.stdout, b"migrate-x7kq2\n", "{args:?}"),
            [_, "job/nope"] => assert_eq!(out.code, 1, "{args:?}"),
            _ => assert_eq!(out.stdout, b"migrating\n", "{args:?}: {}", out.stderr),
        }
    }
}

/// A target that is not a pod nor a workload is refused before asking the server, in words
/// that fit the command (not "exec into" for logs), and debug says it takes a pod or a node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_runs_no_pods_is_refused_in_the_commands_words() {
    let c = cluster::demo().await;
    for args in [
        &["logs", "configmap/web"][..],
        &["exec", "node/node-1", "--", "true"][..],
    ] {
        let out = run(&podterm(), &c, args, None, &[]).await;
        let err = out.stderr.clone();
        assert_eq!(out.code, 1, "{args:?}: {err}");
        assert!(
            err.contains("is neither a pod nor a workload that runs pods: name a pod, deploy/NAME")
                && !err.contains("exec into"),
            "{args:?}: {err}"
        );
    }
    let out = run(
        &podterm(),
        &c,
        &["debug", "deploy/web", "--image=busybox"],
        None,
        &[],
    )
    .await;
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: deploy/web: podterm debug takes a pod (POD or pod/POD) or a node (node/NAME); debugging workloads is not supported\n"
    );
}

/// A usage error (a misspelt flag, a missing argument) exits 1, as kubectl's do (clap's own code
/// is 2), and says what was wrong; help still exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_usage_error_exits_1_like_kubectl() {
    let c = cluster::demo().await;
    for args in [
        &["exec", "--contianer", "main", "shell", "--", "true"][..],
        &["logs", "--tail"][..],
    ] {
        for bin in clients() {
            let out = run(&bin, &c, args, None, &[]).await;
            assert_eq!(out.code, 1, "{} {args:?}: {}", bin.display(), out.stderr);
        }
    }
    let out = run(
        &podterm(),
        &c,
        &["exec", "--contianer", "main", "shell"],
        None,
        &[],
    )
    .await;
    assert_eq!(
        out.stderr,
        "Error: unknown flag: --contianer\nDid you mean --container?\nSee 'podterm exec --help' for usage.\n"
    );
    let help = run(&podterm(), &c, &["exec", "--help"], None, &[]).await;
    assert_eq!(help.code, 0, "{}", help.stderr);
    assert!(String::from_utf8_lossy(&help.stdout).contains("Usage:"));
    // The usage errors a person makes most, word for word as one kubectl says them (its name
    // for podterm's): a command without `--`, a flag with no value, a missing argument, a
    // misspelt subcommand.
    for args in [
        &["exec", "shell", "echo", "ok"][..],
        &["exec", "-it", "shell", "sh"],
        &["exec", "-n"],
        &["exec", "shell", "--namespace"],
        &["logs", "shell", "--tail"],
        &["attach"],
        &["cp"],
        &["cp", "a"],
        &["exe"],
        &["exec", "--request-timeout", "-1", "shell", "--", "true"],
    ] {
        let ours = run(&podterm(), &c, args, None, &[]).await;
        assert_eq!(ours.code, 1, "{args:?}: {}", ours.stderr);
        let mut theirs = vec![];
        for k in kubectls() {
            let out = run(&k, &c, args, None, &[]).await;
            assert_eq!(out.code, 1, "{} {args:?}: {}", k.display(), out.stderr);
            theirs.push(
                out.stderr
                    .replace("'kubectl ", "'podterm ")
                    .replace("\"kubectl\"", "\"podterm\""),
            );
        }
        assert!(
            theirs.contains(&ours.stderr),
            "{args:?}: podterm {:?}, kubectl {theirs:?}",
            ours.stderr
        );
    }
}

/// A server whose certificate the kubeconfig's CA did not sign (a cluster made again with a new
/// CA, or the wrong address): every kubectl fails with x509's words, podterm with which
/// certificate and what to do, never rustls's own text ("invalid peer certificate: BadSignature").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_certificate_from_another_ca_is_said_in_words() {
    let ours = cluster::demo().await;
    let other = cluster::demo().await;
    let server = other.url();
    let args = ["exec", "--server", server.as_str(), "shell", "--", "true"];
    for k in kubectls() {
        let theirs = run(&k, &ours, &args, None, &[]).await;
        assert_eq!(theirs.code, 1, "{}: {}", k.display(), theirs.stderr);
        assert!(
            theirs.stderr.contains("x509"),
            "{}: {}",
            k.display(),
            theirs.stderr
        );
    }
    let out = run(&podterm(), &ours, &args, None, &[]).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("cannot reach the API server: the API server's certificate is not signed by a certificate authority this cluster trusts"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("invalid peer certificate") && !out.stderr.contains("BadSignature"),
        "{}",
        out.stderr
    );
}

/// Processes whose command line holds `word`, from /proc.
fn processes_with(word: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            std::fs::read(format!("/proc/{p}/cmdline"))
                .is_ok_and(|c| c.split(|b| *b == 0).any(|a| a == word.as_bytes()))
        })
        .collect()
}

/// A reader that stops (`| head -1`) ends the session at once, as it ends kubectl (SIGPIPE: 141
/// in a shell), and with it the command in the pod. podterm used to stream on for ever, the
/// pod's `yes` with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_stops_ends_the_session_like_kubectl() {
    use std::os::unix::process::ExitStatusExt as _;
    use tokio::io::AsyncBufReadExt as _;
    let c = cluster::demo().await;
    for (i, bin) in clients().iter().enumerate() {
        // A word of its own, to find this run's `yes` among the test's other pods.
        let word = format!("reader-gone-{}-{i}", std::process::id());
        let home = tempfile::tempdir().expect("home");
        let mut child = spawn_piped(bin, &c, home.path(), &["exec", "shell", "--", "yes", &word]);
        let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next_line().await.expect("read");
        assert_eq!(first.as_deref(), Some(word.as_str()), "{}", bin.display());
        assert!(
            !processes_with(&word).is_empty(),
            "the pod's yes is not running"
        );
        // The reader goes, as `head -1` does once it has its line.
        drop(lines);
        // A bound, not a timing: a client that never notices its reader left waits here for ever.
        let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
            .await
            .unwrap_or_else(|_| {
                panic!("{} still ran a minute after its reader left", bin.display())
            })
            .expect("wait");
        let code = status.code().or_else(|| status.signal().map(|s| 128 + s));
        assert_eq!(code, Some(141), "{}: {status:?}", bin.display());
        if i == 0 {
            let mut err = String::new();
            child
                .stderr
                .take()
                .expect("stderr")
                .read_to_string(&mut err)
                .await
                .expect("stderr");
            assert_eq!(err, "", "podterm said something for a reader that left");
        }
        // The command in the pod ends with the session (its output has nowhere to go).
        for n in 0.. {
            if processes_with(&word).is_empty() {
                break;
            }
            assert!(
                n < 600,
                "the pod's yes ran on after {} ended",
                bin.display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Children of a process, from /proc.
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|s| {
                    let rest = s.rsplit_once(')')?.1.split_whitespace().nth(1)?.to_string();
                    rest.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_mode_is_restored_after_sigterm() {
    let c = cluster::demo().await;
    let home = tempfile::tempdir().expect("home");
    let script = format!(
        "{} exec -it shell -- sh; echo podterm-exit=$?; stty -a",
        podterm().display()
    );
    let mut pty = Pty::spawn(
        Path::new("sh"),
        &["-c", &script],
        &cluster_env(&c, home.path()),
    );
    pty.wait_for(
        "in-1session",
        Some("echo in-$((1))session\r"),
        Duration::from_millis(300),
    );
    let sh = pty.child.process_id().expect("pid");
    let podterm_pid = children_of(sh)
        .into_iter()
        .next()
        .expect("podterm runs under sh");
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &podterm_pid.to_string()])
        .status();
    let _ = pty.exit_code();
    let out = pty.all_output();
    assert!(out.contains("podterm-exit=143"), "{out}");
    let settings = out.split("podterm-exit=143").nth(1).unwrap_or("");
    let tokens: Vec<&str> = settings.split_whitespace().collect();
    for flag in ["icanon", "echo", "isig", "opost"] {
        assert!(
            tokens.contains(&flag),
            "terminal not restored, no {flag} in {settings}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_token_is_unauthorized_like_kubectl() {
    let c = cluster::demo().await;
    assert!(c.set_token("demo-admin", Some("rotated-elsewhere")));
    let out = same(&c, &["exec", "shell", "--", "true"], None).await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .starts_with("error: You must be logged in to the server"),
        "{}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// podterm debug against kubectl debug (the ephemeral-container form)
// ---------------------------------------------------------------------------------------------

/// Debug container names end in five random characters: the same placeholder for every client.
fn unrandom(s: &str) -> String {
    unrandom_after(s, podterm_core::debug::NAME_PREFIX)
}

/// Five random characters after each `prefix` in `s` made `XXXXX`.
fn unrandom_after(s: &str, prefix: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(prefix) {
        let start = i + prefix.len();
        out.push_str(&rest[..start]);
        let suffix = rest[start..].chars().take(5).collect::<String>();
        if suffix.len() == 5 && suffix.chars().all(|c| c.is_ascii_alphanumeric()) {
            out.push_str("XXXXX");
            rest = &rest[start + 5..];
        } else {
            rest = &rest[start..];
        }
    }
    out.push_str(rest);
    out
}

/// As [`same`], with debug container names made equal.
async fn same_debug(c: &TestCluster, args: &[&str], stdin: Option<Vec<u8>>) -> Out {
    let ours = run(&podterm(), c, args, stdin.clone(), &[]).await;
    let (our_out, our_err) = (
        unrandom(&String::from_utf8_lossy(&ours.stdout)),
        unrandom(&ours.stderr),
    );
    let mut stderrs = vec![];
    for k in kubectls() {
        let theirs = run(&k, c, args, stdin.clone(), &[]).await;
        assert_eq!(
            (
                theirs.code,
                unrandom(&String::from_utf8_lossy(&theirs.stdout))
            ),
            (ours.code, our_out.clone()),
            "{} vs podterm differ for {args:?} (stderr: {:?} vs {:?})",
            k.display(),
            theirs.stderr,
            ours.stderr
        );
        stderrs.push(unrandom(&theirs.stderr));
    }
    assert!(
        stderrs.contains(&our_err),
        "stderr for {args:?}: podterm {our_err:?}, kubectl {stderrs:?}"
    );
    ours
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_matches_kubectl_debug() {
    let c = cluster::demo().await;
    type Row<'a> = (&'a [&'a str], Option<&'a [u8]>, i32);
    let table: &[Row] = &[
        (
            &[
                "debug",
                "distroless",
                "--image=busybox",
                "--target=app",
                "--",
                "true",
            ],
            None,
            0,
        ),
        (
            &["debug", "distroless", "--image=busybox", "-q", "--", "true"],
            None,
            0,
        ),
        // kubectl's old default profile: nothing added, and its deprecation said.
        (
            &[
                "debug",
                "distroless",
                "--image=busybox",
                "--profile=legacy",
                "--",
                "true",
            ],
            None,
            0,
        ),
        (
            &[
                "debug",
                "-i",
                "distroless",
                "--image=busybox",
                "--",
                "sh",
                "-c",
                "read x; echo got-$x",
            ],
            Some(b"abc\n"),
            0,
        ),
        // Errors: kubectl's checks, the API server's refusals.
        (&["debug", "distroless", "--", "true"], None, 1),
        (
            &[
                "debug",
                "-t",
                "distroless",
                "--image=busybox",
                "--target=app",
            ],
            None,
            1,
        ),
        (&["debug", "--image=busybox"], None, 1),
        (&["debug", "nope", "--image=busybox"], None, 1),
        (
            &["debug", "-n", "MISSING", "shell", "--image=busybox"],
            None,
            1,
        ),
        // A name the pod has already: the server's Invalid, in kubectl's words for it.
        (&["debug", "pair", "--image=busybox", "-c", "one"], None, 1),
        (
            &["debug", "distroless", "--image=busybox", "--profile=nosuch"],
            None,
            1,
        ),
        (
            &[
                "debug",
                "--context",
                "viewer",
                "distroless",
                "--image=busybox",
                "--",
                "true",
            ],
            None,
            1,
        ),
    ];
    for (args, stdin, code) in table {
        let out = same_debug(&c, args, stdin.map(<[u8]>::to_vec)).await;
        assert_eq!(out.code, *code, "{args:?}: {out:?}");
    }
    let viewer = run(
        &podterm(),
        &c,
        &[
            "debug",
            "--context",
            "viewer",
            "distroless",
            "--image=busybox",
            "--",
            "true",
        ],
        None,
        &[],
    )
    .await;
    assert_eq!(
        viewer.stderr,
        "Error from server (Forbidden): pods \"distroless\" is forbidden: User \"viewer\" cannot patch resource \"pods/ephemeralcontainers\" in API group \"\" in the namespace \"demo\"\n"
    );

    // A cluster without ephemeral containers.
    let mut opts = testcluster::Options::demo();
    opts.spec.ephemeral_containers = false;
    let off = TestCluster::start(opts).await.expect("cluster");
    let out = same_debug(
        &off,
        &["debug", "distroless", "--image=busybox", "--", "true"],
        None,
    )
    .await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.ends_with("error: ephemeral containers are disabled for this cluster (error from server: \"the server could not find the requested resource\")\n"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_says_what_kubectl_waits_for_ever_on() {
    // kubectl debug -i waits for ever for a container whose image cannot be pulled, or in a
    // pod that has finished; podterm says why and exits 1.
    let c = cluster::demo().await;
    let out = run(
        &podterm(),
        &c,
        &[
            "debug",
            "-i",
            "-q",
            "distroless",
            "--image=registry.invalid/tools:1",
        ],
        None,
        &[],
    )
    .await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.starts_with("error: debug container debugger-")
            && out.stderr.contains(
                "cannot start: image \"registry.invalid/tools:1\" cannot be pulled (ErrImagePull: "
            )
            && out
                .stderr
                .contains("failed to pull and unpack image \"registry.invalid/tools:1\""),
        "{}",
        out.stderr
    );
    let mut finished = testcluster::ClusterSpec::demo().pods[2].clone();
    finished.name = "finished".into();
    finished.phase = testcluster::Phase::Succeeded;
    c.apply_pod(finished);
    let out = run(
        &podterm(),
        &c,
        &["debug", "-it", "finished", "--image=busybox"],
        None,
        &[],
    )
    .await;
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: pod finished is not running (phase Succeeded): a debug container would never start in it; debug a running pod of the same workload instead; or debug a copy of this one, its container running a shell instead of its command (podterm debug -it -n demo finished --copy-to=finished-debug -c app -- sh; delete the copy when done)\n"
    );
}

/// A `KUBECONFIG` list with a file that is not there: the others are read, as kubectl reads
/// them; with none there, the first missing file is named (kubectl would try localhost:8080).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeconfig_files_that_are_not_there_are_skipped() {
    let c = cluster::demo().await;
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("missing.yaml");
    let list = std::env::join_paths([missing.clone(), c.kubeconfig().to_path_buf()]).expect("join");
    let list = list.to_string_lossy().into_owned();
    let args = ["exec", "shell", "--", "echo", "read"];
    for bin in std::iter::once(podterm()).chain(kubectls()) {
        let out = run(&bin, &c, &args, None, &[("KUBECONFIG", &list)]).await;
        assert_eq!(
            (out.code, out.stdout.as_slice()),
            (0, &b"read\n"[..]),
            "{}: {}",
            bin.display(),
            out.stderr
        );
    }
    let only_missing = missing.display().to_string();
    let out = run(
        &podterm(),
        &c,
        &args,
        None,
        &[("KUBECONFIG", &only_missing)],
    )
    .await;
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            1,
            format!(
                "error: cannot load kubeconfig: {only_missing}: No such file or directory (os error 2)\n"
            )
            .as_str()
        )
    );
}

/// A finished pod is refused in kubectl's words for each verb.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_pod_is_refused_as_kubectl_refuses_it() {
    let c = cluster::demo().await;
    let mut finished = testcluster::ClusterSpec::demo().pods[2].clone();
    finished.name = "finished".into();
    finished.phase = testcluster::Phase::Succeeded;
    c.apply_pod(finished);
    // kubectl's words for an attach and an exec, then what podterm adds: the copy that runs
    // again.
    let copy = "; or debug a copy of this one, its container running a shell instead of its command (podterm debug -it -n demo finished --copy-to=finished-debug -c app -- sh; delete the copy when done)";
    for (args, verb) in [
        (&["attach", "finished"][..], "attach a container"),
        (
            &["exec", "finished", "--", "true"][..],
            "exec into a container",
        ),
    ] {
        let words = format!("error: cannot {verb} in a completed pod; current phase is Succeeded");
        for k in kubectls() {
            let theirs = run(&k, &c, args, None, &[]).await;
            assert_eq!(
                (theirs.code, theirs.stderr.as_str()),
                (1, format!("{words}\n").as_str()),
                "{}",
                k.display()
            );
        }
        let ours = run(&podterm(), &c, args, None, &[]).await;
        assert_eq!(
            (ours.code, ours.stderr.as_str()),
            (1, format!("{words}{copy}\n").as_str())
        );
    }
    let words =
        "error: cannot exec into a container in a completed pod; current phase is Succeeded";
    // An ephemeral container named in a completed pod: a copy would not have it, so none is
    // suggested; kubectl's words alone.
    let pod = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": "ends" },
        "spec": {
            "restartPolicy": "Never",
            "containers": [{ "name": "main", "image": "busybox:1.36", "command": ["sh", "-c", "while [ ! -e stop ]; do sleep 0.1; done"] }],
        },
    });
    let kubectl = newest_kubectl();
    let ok = |out: &Out| out.code == 0;
    let made = run(
        &kubectl,
        &c,
        &["create", "--validate=false", "-f", "-"],
        Some(pod.to_string().into_bytes()),
        &[],
    )
    .await;
    assert!(ok(&made), "{made:?}");
    let debug = [
        "debug",
        "ends",
        "--image=busybox:1.36",
        "-c",
        "dbg",
        "--",
        "sleep",
        "600",
    ];
    let deadline = Instant::now() + Duration::from_secs(30);
    let phase = ["get", "pod", "ends", "-o", "jsonpath={.status.phase}"];
    while run(&kubectl, &c, &phase, None, &[]).await.stdout != b"Running" {
        assert!(Instant::now() < deadline, "never Running");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let added = run(&kubectl, &c, &debug, None, &[]).await;
    assert!(ok(&added), "{added:?}");
    // (Refused until the container has started.)
    let touch = ["exec", "ends", "-c", "main", "--", "touch", "stop"];
    while !ok(&run(&kubectl, &c, &touch, None, &[]).await) {
        assert!(Instant::now() < deadline, "never touched");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    while run(&kubectl, &c, &phase, None, &[]).await.stdout != b"Succeeded" {
        assert!(Instant::now() < deadline, "never Succeeded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ours = run(
        &podterm(),
        &c,
        &["exec", "ends", "-c", "dbg", "--", "true"],
        None,
        &[],
    )
    .await;
    assert_eq!(
        (ours.code, ours.stderr.as_str()),
        (1, format!("{words}\n").as_str())
    );
}

/// A command in a debug container that ended before it could be attached to: its log is
/// printed instead, and the exit is kubectl's 0. The container's Running is not reported (its
/// status goes from waiting to Terminated, as a kubelet reports a command that ended between
/// two status updates), so the end comes first for every client whatever the machine's load;
/// the command's second of sleep makes that the knob's doing (reported, both clients attach
/// and miss what was printed before the attach, kubectl too).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_of_a_quick_command_prints_its_log_as_kubectl() {
    let c = cluster::demo().await;
    c.report_ephemeral_running(false);
    let args = [
        "debug",
        "-i",
        "distroless",
        "--image=busybox",
        "--",
        "sh",
        "-c",
        "echo quick-$((6*7)); echo to-stderr >&2; sleep 1; exit 3",
    ];
    for bin in std::iter::once(podterm()).chain(kubectls()) {
        let out = run(&bin, &c, &args, Some(Vec::new()), &[]).await;
        let text = String::from_utf8_lossy(&out.stdout);
        // The log's two streams in either order (two pipes in the container), after the name.
        let mut lines: Vec<_> = text.lines().collect();
        assert!(
            lines
                .first()
                .is_some_and(|l| l.starts_with("Defaulting debug container name to debugger-")),
            "{}: {text}",
            bin.display()
        );
        lines.remove(0);
        lines.sort_unstable();
        assert_eq!(
            (out.code, lines),
            (0, vec!["quick-42", "to-stderr"]),
            "{}: {}",
            bin.display(),
            out.stderr
        );
        if bin == podterm() {
            // Nothing to attach to, so no attach's words.
            assert_eq!(out.stderr, "", "{}", out.stderr);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_reuse_attaches_to_our_running_container() {
    let c = cluster::demo().await;
    let home = tempfile::tempdir().expect("home");
    let args = [
        "debug",
        "-it",
        "distroless",
        "--image=busybox",
        "--target=app",
        "--reuse",
    ];
    let mut first = Pty::spawn(&podterm(), &args, &cluster_env(&c, home.path()));
    first.wait_for(
        "If you don't see a command prompt",
        None,
        Duration::from_millis(20),
    );
    let text = first.text();
    let name = text
        .split("Defaulting debug container name to ")
        .nth(1)
        .and_then(|r| r.split('.').next())
        .unwrap_or_else(|| panic!("no name in {text:?}"))
        .to_string();
    first.wait_for(
        "first-42",
        Some("export MARK=first-$((40+2)); echo $MARK\r"),
        Duration::from_millis(300),
    );
    let _ = first.child.kill();

    // Again with --reuse: the same container and shell, nothing added.
    let mut second = Pty::spawn(&podterm(), &args, &cluster_env(&c, home.path()));
    second.wait_for(
        &format!("Reusing debug container {name}."),
        None,
        Duration::from_millis(20),
    );
    second.wait_for(
        "again-first-42",
        Some("echo again-$MARK\r"),
        Duration::from_millis(300),
    );
    let _ = second.child.kill();

    // podterm attach names the ephemeral container as kubectl attach does.
    let mut third = Pty::spawn(
        &podterm(),
        &["attach", "-it", "distroless", "-c", &name],
        &cluster_env(&c, home.path()),
    );
    third.wait_for(
        "third-first-42",
        Some("echo third-$MARK\r"),
        Duration::from_millis(300),
    );
    third.type_str("exit\r");
    assert_eq!(third.exit_code(), 0, "{}", third.text());

    assert_eq!(
        distroless_field(&c, "{.spec.ephemeralContainers[*].name}").await,
        name,
        "one debug container"
    );

    // --reuse with a command of its own, or another name, adds one: the running shell is not
    // what was asked for.
    for extra in [&["--", "sleep", "1000"][..], &["-c", "mine"][..]] {
        let mut with: Vec<&str> = vec![
            "debug",
            "distroless",
            "--image=busybox",
            "--target=app",
            "--reuse",
        ];
        with.extend_from_slice(extra);
        let out = run(&podterm(), &c, &with, None, &[]).await;
        assert_eq!(out.code, 0, "{with:?}: {out:?}");
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("Reusing"),
            "{with:?}: {out:?}"
        );
    }
    // Not attached to (no -i): once the `sleep` one runs, the same again reuses it.
    let running = || async {
        distroless_field(
            &c,
            "{range .status.ephemeralContainerStatuses[*]}{.name}={.state.running.startedAt};{end}",
        )
        .await
        .matches("=2")
        .count()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    // (The shell one ended with `exit`; `mine`, a shell without stdin, ends at once.)
    while running().await < 1 {
        assert!(std::time::Instant::now() < deadline, "the sleep never ran");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let again = [
        "debug",
        "distroless",
        "--image=busybox",
        "--target=app",
        "--reuse",
        "--",
        "sleep",
        "1000",
    ];
    let out = run(&podterm(), &c, &again, None, &[]).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("\nReusing debug container debugger-"),
        "{out:?}"
    );
}

/// The debug container `name` of pod `distroless` as the API server keeps it, made comparable
/// across clients: no name, podterm's marker left out, the environment in name order (kubectl
/// sends its `--env` map in any order).
async fn debug_container(c: &TestCluster, name: &str) -> serde_json::Value {
    let path = format!("{{.spec.ephemeralContainers[?(@.name=='{name}')]}}");
    let text = distroless_field(c, &path).await;
    let mut v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}: {text:?}"));
    v.as_object_mut().expect("container").remove("name");
    if let Some(env) = v["env"].as_array_mut() {
        env.retain(|e| e["name"] != podterm_core::debug::MARKER_ENV);
        env.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_flags_shape_the_container_as_kubectls_do() {
    let c = cluster::demo().await;
    let dir = tempfile::tempdir().expect("dir");
    let custom = dir.path().join("custom.yaml");
    std::fs::write(
        &custom,
        "securityContext:\n  runAsUser: 0\n  capabilities:\n    add: [NET_ADMIN]\nenv:\n- name: B\n  value: from-custom\nworkingDir: /tmp\nnotAField: 1\n",
    )
    .expect("custom");
    let custom = custom.display().to_string();
    // --env (one pair with a comma in it; CSV pairs), the pull policy, the command as the
    // entrypoint's arguments, a custom profile over the netadmin profile.
    let mut want = None;
    for (i, bin) in clients().iter().enumerate() {
        let name = format!("flags-{i}");
        let args = [
            "debug",
            "distroless",
            "--image=busybox",
            "-c",
            &name,
            "--env",
            "A=1,2",
            "--env",
            "B=x,\"C=y,z\"",
            "--image-pull-policy=Never",
            "--profile=netadmin",
            "--custom",
            &custom,
            "--arguments-only",
            "--",
            "-c",
            "true",
        ];
        let out = run(bin, &c, &args, None, &[]).await;
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (0, ""),
            "{}",
            bin.display()
        );
        let got = debug_container(&c, &name).await;
        match &want {
            None => {
                // podterm's, checked field by field: what kubectl's must equal.
                assert_eq!(got["args"], serde_json::json!(["-c", "true"]), "{got}");
                assert!(got.get("command").is_none(), "{got}");
                assert_eq!(
                    got["env"],
                    serde_json::json!([{"name": "A", "value": "1,2"}, {"name": "B", "value": "from-custom"}, {"name": "C", "value": "y,z"}])
                );
                assert_eq!(got["imagePullPolicy"], "Never");
                assert_eq!(
                    got["securityContext"],
                    serde_json::json!({"capabilities": {"add": ["NET_ADMIN"]}, "runAsUser": 0})
                );
                assert_eq!(got["workingDir"], "/tmp");
                assert!(got.get("notAField").is_none(), "{got}");
                want = Some(got);
            }
            Some(w) => assert_eq!(&got, w, "{} made another container", bin.display()),
        }
    }

    // --attach without -i: the container's output, up to its last line (attached to, or from
    // its log when it ended first), and kubectl's attach words.
    for bin in clients() {
        let out = run(
            &bin,
            &c,
            &[
                "debug",
                "distroless",
                "--image=busybox",
                "--attach",
                "--",
                "sh",
                "-c",
                "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.2; echo line-$i; done",
            ],
            None,
            &[],
        )
        .await;
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.code, 0, "{}: {out:?}", bin.display());
        assert!(text.ends_with("line-10\n"), "{}: {text:?}", bin.display());
    }

    // Refusals, in kubectl's words and order.
    std::fs::write(
        dir.path().join("named.json"),
        r#"{"name": "x", "workingDir": "/"}"#,
    )
    .expect("named");
    let named = dir.path().join("named.json").display().to_string();
    let nowhere = dir.path().join("nowhere.yaml").display().to_string();
    type Row<'a> = &'a [&'a str];
    let table: &[Row] = &[
        &[
            "debug",
            "distroless",
            "--image=busybox",
            "--image-pull-policy=Sometimes",
        ],
        &["debug", "distroless", "--attach"],
        &[
            "debug",
            "distroless",
            "--attach",
            "--image=busybox",
            "--custom",
            &named,
        ],
        &[
            "debug",
            "distroless",
            "--image=busybox",
            "--custom",
            &nowhere,
        ],
    ];
    for args in table {
        let out = same_debug(&c, args, None).await;
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
    }
    // Flag values: kubectl's words, our command's name.
    for (value, why) in [
        ("foo", "foo must be formatted as key=value"),
        ("a=1,b=2,c", "c must be formatted as key=value"),
    ] {
        for bin in clients() {
            let out = run(
                &bin,
                &c,
                &["debug", "distroless", "--image=busybox", "--env", value],
                None,
                &[],
            )
            .await;
            let me = if bin == podterm() {
                "podterm"
            } else {
                "kubectl"
            };
            assert_eq!(
                (out.code, out.stderr.to_lowercase()),
                (1, format!("error: invalid argument {value:?} for \"--env\" flag: {why}\nsee '{me} debug --help' for usage.\n")),
                "{}",
                bin.display()
            );
        }
    }
}

/// A field of pod `distroless`, as `kubectl get -o jsonpath=PATH` prints it.
async fn distroless_field(c: &TestCluster, path: &str) -> String {
    let jsonpath = format!("jsonpath={path}");
    let out = run(
        &newest_kubectl(),
        c,
        &["get", "pod", "distroless", "-o", &jsonpath],
        None,
        &[],
    )
    .await;
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The demo cluster plus `reader`, a token user who may read pods but not exec into them.
async fn with_reader() -> TestCluster {
    use testcluster::config::{Rule, UserSpec};
    let mut spec = testcluster::ClusterSpec::demo();
    spec.users.push(UserSpec {
        name: "reader".into(),
        auth: testcluster::AuthKind::Token,
        token: None,
        groups: vec!["readers".into()],
        rules: vec![Rule {
            namespaces: vec!["*".into()],
            verbs: vec!["get".into(), "list".into()],
            resources: vec!["pods".into()],
        }],
    });
    TestCluster::start(testcluster::Options {
        spec,
        ..testcluster::Options::demo()
    })
    .await
    .expect("testcluster starts")
}

/// `cmd` (a subcommand and its arguments) with the connection `flags` before the subcommand,
/// then after it (before any `--`).
fn both_positions(flags: &[String], cmd: &[&str]) -> [Vec<String>; 2] {
    let before: Vec<String> = flags
        .iter()
        .cloned()
        .chain(cmd.iter().map(|s| s.to_string()))
        .collect();
    let after: Vec<String> = cmd[..1]
        .iter()
        .map(|s| s.to_string())
        .chain(flags.iter().cloned())
        .chain(cmd[1..].iter().map(|s| s.to_string()))
        .collect();
    [before, after]
}

/// How closely podterm must match each kubectl in a flag scenario.
#[derive(Clone, Copy, PartialEq)]
enum Match {
    /// Stdout, exit code and stderr word for word (one kubectl's).
    All,
    /// Stdout and exit code; the stderr wording differs (noted where used).
    Outcome,
}

/// Runs a flag scenario in both flag positions through podterm and every kubectl, with `env`
/// over the cluster's; returns podterm's result (the same in both positions).
async fn same_both_ways(
    c: &TestCluster,
    flags: &[String],
    cmd: &[&str],
    env: &[(&str, &str)],
    how: Match,
) -> Out {
    let mut first: Option<Out> = None;
    for args in both_positions(flags, cmd) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let ours = run(&podterm(), c, &args, None, env).await;
        let mut stderrs = vec![];
        for k in kubectls() {
            let theirs = run(&k, c, &args, None, env).await;
            assert_eq!(
                (theirs.code, String::from_utf8_lossy(&theirs.stdout)),
                (ours.code, String::from_utf8_lossy(&ours.stdout)),
                "{} vs podterm differ for {args:?} (stderr: {:?} vs {:?})",
                k.display(),
                theirs.stderr,
                ours.stderr
            );
            stderrs.push(theirs.stderr);
        }
        if how == Match::All {
            assert!(
                stderrs.contains(&ours.stderr),
                "stderr for {args:?}: podterm {:?}, kubectl {stderrs:?}",
                ours.stderr
            );
        }
        match &first {
            None => first = Some(ours),
            Some(f) => assert_eq!(f, &ours, "podterm differs by flag position: {args:?}"),
        }
    }
    first.expect("two runs")
}

fn strings(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// kubectl's global flags before and after the subcommand, each with kubectl's meaning: the
/// same stdout, exit code and (mostly) stderr as every kubectl, in both positions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_flags_match_kubectl_in_both_positions() {
    let c = with_reader().await;
    let dir = tempfile::tempdir().expect("dir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, c.ca_pem()).expect("ca file");
    let ca = ca.display().to_string();
    let (cert, key) = viewer_cert_files(c.kubeconfig(), dir.path());
    let url = c.url();
    let reader = c.token("reader").expect("reader's token").to_string();
    let admin = c.token("demo-admin").expect("admin's token").to_string();
    let nowhere = dir.path().join("no-kubeconfig").display().to_string();
    let no_kubeconfig: &[(&str, &str)] = &[("KUBECONFIG", &nowhere)];
    // The same kubeconfig, its current context deleted since.
    let stale = dir.path().join("stale-kubeconfig");
    let text = std::fs::read_to_string(c.kubeconfig()).expect("kubeconfig");
    let current = text
        .lines()
        .find(|l| l.starts_with("current-context:"))
        .expect("a current context")
        .to_string();
    std::fs::write(&stale, text.replace(&current, "current-context: gone")).expect("stale");
    let stale = stale.display().to_string();
    let echo = ["exec", "shell", "--", "echo", "ok"];
    let ok = |out: &Out| out.code == 0 && out.stdout == b"ok\n";
    type Case<'a> = (Vec<String>, &'a [(&'a str, &'a str)], Match, bool);
    let cases: Vec<Case> = vec![
        // --namespace over the context's.
        (strings(&["-n", "kube-system"]), &[], Match::All, true),
        (strings(&["--namespace=demo"]), &[], Match::All, true),
        // An empty value is no flag (`-n "$NS"` with NS unset): the context's namespace.
        (
            strings(&["-n", "", "--context=", "--kubeconfig", "", "--user="]),
            &[],
            Match::All,
            true,
        ),
        // --context picks the viewer (403), --user then picks another kubeconfig user.
        (strings(&["--context", "viewer"]), &[], Match::All, false),
        (
            strings(&["--context", "viewer", "--user", "demo-admin"]),
            &[],
            Match::All,
            true,
        ),
        (strings(&["--context", "reader"]), &[], Match::All, false),
        // Entries that are not there, in kubectl's words.
        (strings(&["--context", "nope"]), &[], Match::All, false),
        (strings(&["--kubeconfig", &stale]), &[], Match::All, false),
        (strings(&["--cluster", "nope"]), &[], Match::All, false),
        (strings(&["--user", "nope"]), &[], Match::All, false),
        (
            strings(&["--cluster", "testcluster"]),
            &[],
            Match::All,
            true,
        ),
        // --token beats the context's token: another user's token gets that user's answer.
        (strings(&["--token", &reader]), &[], Match::All, false),
        (
            strings(&["--context", "reader", "--token", &admin]),
            &[],
            Match::All,
            true,
        ),
        // A refused token: the same exit code; podterm words the 401 its own way.
        (
            strings(&["--token", "not-a-token"]),
            &[],
            Match::Outcome,
            false,
        ),
        // --server with --token, and no kubeconfig at all: TLS from --certificate-authority
        // or --insecure-skip-tls-verify.
        (
            strings(&[
                "-s",
                &url,
                "--certificate-authority",
                &ca,
                "--token",
                &admin,
                "-n",
                "demo",
            ]),
            no_kubeconfig,
            Match::All,
            true,
        ),
        (
            strings(&[
                "--server",
                &url,
                "--insecure-skip-tls-verify",
                "--token",
                &reader,
                "-n",
                "demo",
            ]),
            no_kubeconfig,
            Match::All,
            false,
        ),
        // --server over the kubeconfig's keeps its CA.
        (strings(&["--server", &url]), &[], Match::All, true),
        // --tls-server-name: a name the certificate has, and one it has not (the TLS error is
        // worded by each TLS library).
        (
            strings(&["--tls-server-name", "testcluster"]),
            &[],
            Match::All,
            true,
        ),
        (
            strings(&["--tls-server-name", "elsewhere"]),
            &[],
            Match::Outcome,
            false,
        ),
        // --client-certificate and --client-key: the viewer's certificate beside the admin's
        // token is the viewer, as with a real API server (certificates are checked first).
        (
            strings(&["--client-certificate", &cert, "--client-key", &key]),
            &[],
            Match::All,
            false,
        ),
        // --request-timeout is taken (and the server answers in time).
        (
            strings(&["--request-timeout", "20s"]),
            &[],
            Match::All,
            true,
        ),
    ];
    for (flags, env, how, succeeds) in cases {
        let cmd: &[&str] = if flags.iter().any(|f| f == "kube-system") {
            &["exec", "coredns-7db6d8ff4d-4xk2m", "--", "echo", "ok"]
        } else {
            &echo
        };
        let out = same_both_ways(&c, &flags, cmd, env, how).await;
        assert_eq!(ok(&out), succeeds, "{flags:?}: {out:?}");
        if flags.iter().any(|f| f == &reader) {
            assert!(
                out.stderr
                    .contains("User \"reader\" cannot create resource \"pods/exec\""),
                "{flags:?}: {out:?}"
            );
        }
    }
    // A name the certificate does not hold: podterm names those it does, as x509's words do.
    let out = run(
        &podterm(),
        &c,
        &[
            "--tls-server-name",
            "elsewhere",
            "exec",
            "shell",
            "--",
            "true",
        ],
        None,
        &[],
    )
    .await;
    assert!(
        out.stderr
            .contains("certificate is valid for localhost, testcluster, not elsewhere: "),
        "{out:?}"
    );
}

/// Flags after `--` are the command's, not podterm's (nor kubectl's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_after_the_double_dash_are_the_commands() {
    let c = cluster::demo().await;
    let out = same(
        &c,
        &[
            "exec",
            "shell",
            "--",
            "sh",
            "-c",
            "printf '%s|' \"$@\"",
            "sh",
            "-n",
            "x",
            "--context",
            "nope",
            "-s",
            "--profile",
            "p",
        ],
        None,
    )
    .await;
    assert_eq!(out.stdout, b"-n|x|--context|nope|-s|--profile|p|");
}

/// The viewer's client certificate and key from the cluster's kubeconfig, written to files.
fn viewer_cert_files(kubeconfig: &Path, dir: &Path) -> (String, String) {
    use base64::Engine as _;
    let kc: serde_yaml::Value =
        serde_yaml::from_slice(&std::fs::read(kubeconfig).expect("kubeconfig")).expect("yaml");
    let users = kc["users"].as_sequence().expect("users");
    let viewer = users
        .iter()
        .find(|u| u["name"].as_str() == Some("viewer"))
        .expect("viewer");
    let file = |field: &str, name: &str| {
        let b64 = viewer["user"][field].as_str().expect(field);
        let pem = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64");
        let path = dir.join(name);
        std::fs::write(&path, pem).expect("write");
        path.display().to_string()
    };
    (
        file("client-certificate-data", "viewer.crt"),
        file("client-key-data", "viewer.key"),
    )
}

/// A pod as the cluster keeps it, for comparing copies: labels, annotations and spec.
/// podterm's (stdout, stderr), first in `outs`, against every kubectl's after it: the same
/// stdout as each, the same stderr as one (kubectl versions word a few things differently).
fn same_words<'a>(args: &[&str], outs: &'a [(String, String)]) -> &'a (String, String) {
    let (ours, theirs) = outs.split_first().expect("podterm");
    assert!(
        theirs.iter().all(|t| t.0 == ours.0),
        "stdout for {args:?}: podterm {:?}, kubectl {theirs:?}",
        ours.0
    );
    assert!(
        theirs.iter().any(|t| t.1 == ours.1),
        "stderr for {args:?}: podterm {:?}, kubectl {theirs:?}",
        ours.1
    );
    ours
}

async fn pod_shape(c: &TestCluster, name: &str) -> serde_json::Value {
    let out = run(
        &newest_kubectl(),
        c,
        &["get", "pod", name, "-o", "json"],
        None,
        &[],
    )
    .await;
    assert_eq!(out.code, 0, "{name}: {out:?}");
    let pod: serde_json::Value = serde_json::from_slice(&out.stdout).expect("pod json");
    serde_json::json!({
        "labels": pod["metadata"]["labels"],
        "annotations": pod["metadata"]["annotations"],
        "spec": pod["spec"],
    })
}

/// Waits (up to 30 s) until the pod is gone.
async fn wait_gone(c: &TestCluster, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while run(&newest_kubectl(), c, &["get", "pod", name], None, &[])
        .await
        .code
        == 0
    {
        assert!(Instant::now() < deadline, "{name} was not deleted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn delete_pod(c: &TestCluster, name: &str) {
    let out = run(
        &newest_kubectl(),
        c,
        &["delete", "pod", name, "--wait=false"],
        None,
        &[],
    )
    .await;
    assert_eq!(out.code, 0, "{name}: {out:?}");
}

/// A pod that crashes as it starts, with what a debugging copy leaves out (labels, annotations,
/// probes) and an init container, created as a user would (`kubectl create -f`, JSON).
async fn crashing_pod(c: &TestCluster, dir: &Path, name: &str) {
    let file = dir.join(format!("{name}.json"));
    let pod = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": { "name": name, "labels": { "app": "crashy" }, "annotations": { "note": "kept?" } },
        "spec": {
            // Another node than the one testcluster schedules new pods on (`testnode`).
            "nodeName": "other-node",
            "securityContext": { "runAsUser": 1000 },
            "initContainers": [{ "name": "init", "image": "busybox:1.36", "command": ["true"] }],
            "containers": [{
                "name": "app",
                "image": "busybox:1.36",
                "command": ["sh", "-c", "echo starting; exit 3"],
                "livenessProbe": { "exec": { "command": ["true"] }, "periodSeconds": 5 },
                "readinessProbe": { "exec": { "command": ["true"] } },
                "startupProbe": { "tcpSocket": { "port": 8080 }, "failureThreshold": 30 },
            }, { "name": "side", "image": "busybox:1.36" }],
        },
    });
    std::fs::write(&file, pod.to_string()).expect("pod file");
    let path = file.display().to_string();
    let out = run(
        &newest_kubectl(),
        c,
        &["create", "--validate=false", "-f", &path],
        None,
        &[],
    )
    .await;
    assert_eq!(out.code, 0, "{out:?}");
}

/// `debug --copy-to`: the copy each client makes (the pod the API server keeps, field by field),
/// what each prints and its exit code are kubectl's, for a crashing pod's copy with a shell, a
/// copy with a debug container added, one with its images changed, the legacy profile, and
/// `--replace`. kubectl sends the copy as protobuf, podterm as JSON: testcluster reads both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_copy_matches_kubectl() {
    let c = cluster::demo().await;
    let dir = tempfile::tempdir().expect("dir");
    crashing_pod(&c, dir.path(), "crashy").await;
    // An ephemeral container in it, which a copy must leave out (a new pod may not have one).
    let added = run(
        &newest_kubectl(),
        &c,
        &[
            "debug",
            "crashy",
            "--image=busybox",
            "-c",
            "eph",
            "--profile=general",
        ],
        None,
        &[],
    )
    .await;
    assert_eq!(added.code, 0, "{added:?}");
    type Case<'a> = (&'a [&'a str], Option<&'a str>);
    let cases: &[Case] = &[
        // The crashing container runs a shell instead, attached through stdin.
        (
            &["--profile=general", "-c", "app", "-i", "--", "sh"],
            Some("echo in-the-copy; exit\n"),
        ),
        // A debug container added, with what it keeps and its environment; not attached.
        (
            &[
                "--profile=restricted",
                "--image=busybox",
                "-c",
                "dbg",
                "--keep-labels",
                "--keep-liveness",
                "--keep-init-containers=false",
                "--share-processes=false",
                "--env=A=1",
                "--image-pull-policy=IfNotPresent",
                "--",
                "sleep",
                "1000",
            ],
            None,
        ),
        // Other images only: nothing debugged, so nothing left out.
        (&["--set-image=*=busybox:1.37,side=busybox:1.38"], None),
        // What the flags keep, and a container beside that cannot start: the debugged one
        // runs all the same.
        (
            &[
                "--profile=baseline",
                "-c",
                "app",
                "--keep-annotations",
                "--keep-readiness",
                "--keep-startup",
                "--set-image=side=registry.invalid/side:1",
                "-i",
                "--",
                "sh",
            ],
            Some("echo beside-a-broken-one; exit\n"),
        ),
        // The old profile: the labels go, the rest stays; the command as arguments.
        (
            &[
                "--profile=legacy",
                "-c",
                "side",
                "--keep-annotations",
                "--arguments-only",
                "--",
                "-c",
                "sleep 1000",
            ],
            None,
        ),
        // A new container under a generated name, the pod's node kept.
        (
            &[
                "--profile=netadmin",
                "--image=busybox",
                "--same-node",
                "--",
                "sleep",
                "1000",
            ],
            None,
        ),
    ];
    for (flags, stdin) in cases {
        let mut args = vec!["debug", "crashy", "--copy-to=crashy-copy"];
        args.extend_from_slice(flags);
        let mut want: Option<serde_json::Value> = None;
        let mut outs = vec![];
        for bin in clients() {
            let out = run(&bin, &c, &args, stdin.map(|s| s.as_bytes().to_vec()), &[]).await;
            assert_eq!(out.code, 0, "{} {args:?}: {out:?}", bin.display());
            let mut got = pod_shape(&c, "crashy-copy").await;
            // A generated container name differs by run.
            let text = unrandom(&got.to_string());
            got = serde_json::from_str(&text).expect("json");
            match &want {
                None => want = Some(got),
                Some(w) => assert_eq!(&got, w, "{} made another copy for {args:?}", bin.display()),
            }
            delete_pod(&c, "crashy-copy").await;
            // The next client's copy takes the same name once this one is gone.
            wait_gone(&c, "crashy-copy").await;
            outs.push((
                unrandom(&String::from_utf8_lossy(&out.stdout)),
                unrandom(&out.stderr),
            ));
        }
        let ours = same_words(&args, &outs);
        let w = want.expect("a copy");
        match flags[0] {
            "--profile=general" => {
                assert_eq!(ours.0, "in-the-copy\n", "{args:?}");
                assert_eq!(w["spec"]["nodeName"], "testnode");
                assert!(w["spec"]["ephemeralContainers"].is_null(), "{w}");
                // What a real API server serves too, and kubectl sends back as varints.
                assert_eq!(w["spec"]["priority"], 0);
                assert_eq!(
                    w["spec"]["containers"][0]["command"],
                    serde_json::json!(["sh"])
                );
                assert!(w["labels"].is_null() && w["annotations"].is_null(), "{w}");
                assert!(w["spec"]["containers"][0]["livenessProbe"].is_null(), "{w}");
                assert_eq!(w["spec"]["shareProcessNamespace"], true);
                // The pod runs as 1000: both newer kubectl and podterm warn about SYS_PTRACE.
                assert!(ours.1.contains("Non-root user is configured"), "{}", ours.1);
            }
            "--profile=restricted" => {
                assert_eq!(w["labels"]["app"], "crashy");
                assert!(w["spec"]["initContainers"].is_null(), "{w}");
                assert_eq!(w["spec"]["shareProcessNamespace"], false);
                assert_eq!(
                    w["spec"]["containers"][2]["securityContext"]["capabilities"]["drop"],
                    serde_json::json!(["ALL"])
                );
            }
            "--set-image=*=busybox:1.37,side=busybox:1.38" => {
                assert_eq!(w["spec"]["containers"][0]["image"], "busybox:1.37");
                assert_eq!(w["spec"]["containers"][1]["image"], "busybox:1.38");
                assert_eq!(w["labels"]["app"], "crashy");
            }
            "--profile=baseline" => {
                assert_eq!(ours.0, "beside-a-broken-one\n", "{args:?}");
                assert_eq!(w["annotations"]["note"], "kept?");
                let app = &w["spec"]["containers"][0];
                assert!(app["livenessProbe"].is_null(), "{w}");
                assert_eq!(
                    app["readinessProbe"]["exec"]["command"],
                    serde_json::json!(["true"])
                );
                assert_eq!(app["startupProbe"]["tcpSocket"]["port"], 8080);
                assert!(app["securityContext"].is_null(), "{w}");
                assert_eq!(
                    w["spec"]["containers"][1]["image"],
                    "registry.invalid/side:1"
                );
            }
            "--profile=legacy" => {
                assert!(w["labels"].is_null(), "{w}");
                assert_eq!(w["annotations"]["note"], "kept?");
                assert_eq!(
                    w["spec"]["containers"][1]["args"],
                    serde_json::json!(["-c", "sleep 1000"])
                );
            }
            _ => {
                assert_eq!(
                    ours.0,
                    "Defaulting debug container name to debugger-XXXXX.\n"
                );
                assert_eq!(w["spec"]["nodeName"], "other-node");
                assert_eq!(
                    w["spec"]["containers"][2]["securityContext"]["capabilities"]["add"],
                    serde_json::json!(["NET_ADMIN", "NET_RAW"])
                );
            }
        }
    }

    // --replace: the copy made, then the original deleted.
    for (i, bin) in clients().iter().enumerate() {
        let original = format!("crashy-{i}");
        crashing_pod(&c, dir.path(), &original).await;
        let copy = format!("--copy-to={original}-copy");
        let args = [
            "debug",
            &original,
            &copy,
            "--image=busybox",
            "--replace",
            "-c",
            "dbg",
            "--profile=baseline",
        ];
        let out = run(bin, &c, &args, None, &[]).await;
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (0, ""),
            "{}",
            bin.display()
        );
        wait_gone(&c, &original).await;
        pod_shape(&c, &format!("{original}-copy")).await;
    }

    // Refusals, in kubectl's words and order, and the API server's.
    let table: &[&[&str]] = &[
        &["debug", "crashy", "--copy-to=x"],
        &["debug", "crashy", "--copy-to=x", "--", "sh"],
        &["debug", "crashy", "--image=busybox", "--replace"],
        &["debug", "crashy", "--image=busybox", "--same-node"],
        &["debug", "crashy", "--set-image=app=busybox"],
        &[
            "debug",
            "crashy",
            "--copy-to=x",
            "--image=busybox",
            "--target=app",
        ],
        &[
            "debug",
            "crashy",
            "--copy-to=crashy",
            "--image=busybox",
            "-c",
            "dbg",
        ],
        &[
            "debug",
            "crashy",
            "--copy-to=Bad_Name",
            "--image=busybox",
            "-c",
            "dbg",
        ],
        &["debug", "crashy", "--copy-to=x", "--set-image=app=Busy_Box"],
        &["debug", "crashy", "--copy-to=x", "--set-image=app="],
        &["debug", "crashy", "--image=Busy_Box"],
        &[
            "debug",
            "crashy",
            "--copy-to=",
            "--image=busybox",
            "--replace",
        ],
        &["debug", "crashy", "--copy-to=x", "-c", "", "--", "sh"],
    ];
    for args in table {
        let out = same_debug(&c, args, None).await;
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
    }
    // Ours: --reuse finds a debug container in the pod, which a copy is not.
    let args = [
        "debug",
        "crashy",
        "--copy-to=x",
        "--image=busybox",
        "--reuse",
    ];
    let out = run(&podterm(), &c, &args, None, &[]).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("cannot be used with --copy-to"),
        "{out:?}"
    );
}

/// Runs the podterm command a message suggests (between `(podterm ` and `; delete`), with stdin.
async fn run_suggested(c: &TestCluster, message: &str, stdin: &str) -> Out {
    let start = message.find("(podterm ").expect("a suggested command") + "(podterm ".len();
    let end = start + message[start..].find("; delete").expect("its end");
    let args: Vec<&str> = message[start..end].split_whitespace().collect();
    run(&podterm(), c, &args, Some(stdin.as_bytes().to_vec()), &[]).await
}

/// Where there is nothing to run in (a workload's pod crashing as it starts, a finished pod),
/// podterm says so and names the copy that gets one in; that command works as said.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_that_cannot_be_entered_points_to_a_copy_that_can() {
    let c = cluster::demo().await;
    let dir = tempfile::tempdir().expect("dir");
    crashing_pod(&c, dir.path(), "crashy").await;
    // The pod's container is backing off between its short runs almost always; a look that
    // caught it running or not yet started is taken again.
    let deadline = Instant::now() + Duration::from_secs(30);
    let out = loop {
        let out = run(
            &podterm(),
            &c,
            &["exec", "-l", "app=crashy", "--", "true"],
            None,
            &[],
        )
        .await;
        // Caught in the few milliseconds it runs between back-offs: Ready then, and it ran.
        if out.code == 0 {
            assert!(Instant::now() < deadline, "never crash-looping: {out:?}");
            continue;
        }
        assert_eq!(out.code, 1, "{out:?}");
        assert!(
            out.stderr
                .starts_with("error: no Ready pod for pods with labels app=crashy"),
            "{out:?}"
        );
        if out.stderr.contains("CrashLoopBackOff") {
            break out;
        }
        assert!(Instant::now() < deadline, "never crash-looping: {out:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        out.stderr.contains(
            "Pod crashy's container app crashes as it starts, so there is nothing to run in: debug a copy of the pod whose container runs a shell instead (podterm debug -it -n demo crashy --copy-to=crashy-debug -c app -- sh; delete the copy when done)"
        ),
        "{out:?}"
    );
    // The pod named: the API server passes on the kubelet's refusal, in kubectl's words for
    // exec and attach; podterm adds the same way out. (A look that caught the container in the
    // milliseconds it runs is taken again.)
    let refused = "error: unable to upgrade connection: container not found (\"app\")";
    for verb in [
        &["exec", "crashy", "--", "true"][..],
        &["attach", "crashy"][..],
    ] {
        for bin in std::iter::once(podterm()).chain(kubectls()) {
            let deadline = Instant::now() + Duration::from_secs(30);
            let out = loop {
                let out = run(&bin, &c, verb, None, &[]).await;
                // podterm's way out comes from its look before the session: a look that caught
                // the container running says none.
                let told = bin != podterm() || out.stderr.contains("--copy-to=crashy-debug");
                if out.code == 1 && out.stderr.contains(refused) && told {
                    break out;
                }
                assert!(Instant::now() < deadline, "{bin:?} {verb:?}: {out:?}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            let last = out.stderr.lines().last().unwrap_or_default();
            if bin == podterm() {
                assert_eq!(
                    last,
                    format!("{refused}. Pod crashy's container app crashes as it starts, so there is nothing to run in: debug a copy of the pod whose container runs a shell instead (podterm debug -it -n demo crashy --copy-to=crashy-debug -c app -- sh; delete the copy when done)"),
                    "{verb:?}"
                );
            } else {
                assert_eq!(last, refused, "{bin:?} {verb:?}: {out:?}");
            }
        }
    }
    // What only a shell prints (the terminal echoes what is typed).
    let inside = run_suggested(&c, &out.stderr, "echo $((40+2)); exit\n").await;
    assert_eq!(inside.code, 0, "{inside:?}");
    assert!(
        String::from_utf8_lossy(&inside.stdout).contains("42"),
        "{inside:?}"
    );

    // That copy is there now: the same hint opens a shell in it (`debug --copy-to` would meet
    // kubectl's AlreadyExists), and that command works as said. (A look that caught the
    // original's container running is taken again; so is the copy's shell between restarts.)
    let deadline = Instant::now() + Duration::from_secs(30);
    let out = loop {
        let out = run(&podterm(), &c, &["exec", "crashy", "--", "true"], None, &[]).await;
        if out.code == 1 && out.stderr.contains("the copy of the pod made before") {
            break out;
        }
        assert!(Instant::now() < deadline, "{out:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        out.stderr.lines().last().unwrap_or_default(),
        format!("{refused}. Pod crashy's container app crashes as it starts, so there is nothing to run in: open a shell in crashy-debug, the copy of the pod made before, whose container runs one instead (podterm exec -it -n demo crashy-debug -c app -- sh; delete the copy when done)")
    );
    let inside = loop {
        let inside = run_suggested(&c, &out.stderr, "echo $((40+2)); exit\n").await;
        if String::from_utf8_lossy(&inside.stdout).contains("42") {
            break inside;
        }
        assert!(Instant::now() < deadline, "{inside:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(inside.code, 0, "{inside:?}");

    // A finished pod: no debug container starts in it; its copy runs.
    let mut finished = testcluster::ClusterSpec::demo().pods[0].clone();
    finished.name = "finished".into();
    finished.labels.clear();
    finished.phase = testcluster::Phase::Failed;
    let container = finished.containers[0].name.clone();
    c.apply_pod(finished);
    let out = run(
        &podterm(),
        &c,
        &["debug", "finished", "--image=busybox"],
        None,
        &[],
    )
    .await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "pod finished is not running (phase Failed): a debug container would never start in it; debug a running pod of the same workload instead; or debug a copy of this one, its container running a shell instead of its command (podterm debug -it -n demo finished --copy-to=finished-debug -c {container} -- sh; delete the copy when done)"
        )),
        "{out:?}"
    );
    let inside = run_suggested(&c, &out.stderr, "echo $((6*7)); exit\n").await;
    assert_eq!(inside.code, 0, "{inside:?}");
    assert!(
        String::from_utf8_lossy(&inside.stdout).contains("42"),
        "{inside:?}"
    );

    // A Job's container ended beside a sidecar that keeps the pod running: the kubelet finds no
    // running container (kubectl's words, for exec and attach); podterm adds the copy.
    let job = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": "job-side" },
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                { "name": "work", "image": "busybox:1.36", "command": ["sh", "-c", "exit 0"] },
                { "name": "side", "image": "busybox:1.36", "command": ["sleep", "3600"] },
            ],
        },
    });
    let made = run(
        &newest_kubectl(),
        &c,
        &["create", "--validate=false", "-f", "-"],
        Some(job.to_string().into_bytes()),
        &[],
    )
    .await;
    assert_eq!(made.code, 0, "{made:?}");
    let state = [
        "get",
        "pod",
        "job-side",
        "-o",
        "jsonpath={.status.containerStatuses[?(@.name==\"work\")].state.terminated.reason}",
    ];
    let deadline = Instant::now() + Duration::from_secs(30);
    while run(&newest_kubectl(), &c, &state, None, &[]).await.stdout != b"Completed" {
        assert!(Instant::now() < deadline, "work never ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let refused = "error: unable to upgrade connection: container not found (\"work\")";
    let said = format!("{refused}. Container work of pod job-side has ended (Completed, exit code 0) and is never restarted, so there is nothing to run in: debug a copy of the pod whose container runs a shell instead (podterm debug -it -n demo job-side --copy-to=job-side-debug -c work -- sh; delete the copy when done)");
    for verb in [
        &["exec", "job-side", "-c", "work", "--", "true"][..],
        &["attach", "job-side", "-c", "work"][..],
    ] {
        for bin in std::iter::once(podterm()).chain(kubectls()) {
            let out = run(&bin, &c, verb, None, &[]).await;
            let last = out.stderr.lines().last().unwrap_or_default();
            let want = if bin == podterm() {
                said.as_str()
            } else {
                refused
            };
            assert_eq!((out.code, last), (1, want), "{bin:?} {verb:?}: {out:?}");
        }
    }
    let inside = run_suggested(&c, &said, "echo $((6*7)); exit\n").await;
    assert_eq!(inside.code, 0, "{inside:?}");
    assert!(
        String::from_utf8_lossy(&inside.stdout).contains("42"),
        "{inside:?}"
    );

    // A copy whose shell is not in its image exits as it starts, again and again: podterm says
    // so (its log first) instead of waiting for ever as kubectl does.
    let args = [
        "debug",
        "finished",
        "--copy-to=no-shell",
        "-c",
        &container,
        "--image=testcluster.local/distroless-static:nonroot",
        "-i",
        "--",
        "sh",
    ];
    let out = run(&podterm(), &c, &args, None, &[]).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "debug container {container} exits as soon as it starts (exit code 128: failed to create containerd task"
        )),
        "{out:?}"
    );
    assert!(
        out.stderr.contains("--image=busybox")
            && out.stderr.contains("The copy no-shell stays in the cluster: delete it (kubectl delete pod -n demo no-shell)"),
        "{out:?}"
    );
}

/// A node debugging pod's generated name made equal across runs.
fn unrandom_node(s: &str) -> String {
    unrandom_after(s, "node-debugger-testnode-")
}

/// The debugging pod a `debug node/…` run said it created ("Creating debugging pod NAME …").
fn created_pod(stdout: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("Creating debugging pod "))?;
    line.split(' ').nth(3).map(str::to_owned)
}

/// `bin debug -it TARGET --image=busybox` on a terminal: the shell answers, then `exit`; all it
/// printed, once it has ended with 0.
fn debug_shell_then_exit(bin: &Path, c: &TestCluster, target: &str) -> String {
    let home = tempfile::tempdir().expect("home");
    let mut pty = Pty::spawn(
        bin,
        &["debug", "-it", target, "--image=busybox"],
        &cluster_env(c, home.path()),
    );
    pty.wait_for(
        "shell-42",
        Some("echo shell-$((40+2))\r"),
        Duration::from_millis(300),
    );
    pty.type_str("exit\r");
    assert_eq!(pty.exit_code(), 0, "{}: {}", bin.display(), pty.text());
    pty.all_output()
}

/// An interactive shell in a node's debugging pod (or an ephemeral container of a pod that does
/// not restart), ended: no line saying how to attach again, as kubectl 1.32 prints none. The
/// pod's restartPolicy is Never, so the shell will not run again and an attach is refused
/// (`cannot attach a container in a completed pod`); kubectl 1.37 prints the line anyway, a way
/// back that leads nowhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_node_interactive_ends_without_a_resume_line_like_kubectl() {
    let c = cluster::demo().await;
    let mut silent = vec![];
    for bin in clients() {
        let text = debug_shell_then_exit(&bin, &c, "node/testnode");
        let said = text.contains("Session ended");
        if bin == podterm() {
            assert!(!said, "{text}");
        } else {
            silent.push(!said);
        }
        let name = created_pod(text.as_bytes())
            .unwrap_or_else(|| panic!("{}: no pod named in {text}", bin.display()));
        delete_pod(&c, name.trim_end_matches('\r')).await;
    }
    assert!(
        silent.iter().any(|s| *s),
        "every kubectl under test prints a resume line now"
    );

    // An ephemeral container in a pod that does not restart its containers (a Job's, say):
    // no line either, as kubectl gates it on the pod's restartPolicy.
    let pod = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": "once" },
        "spec": {
            "restartPolicy": "Never",
            "containers": [{ "name": "main", "image": "busybox:1.36", "command": ["sleep", "600"] }],
        },
    });
    let made = run(
        &newest_kubectl(),
        &c,
        &["create", "--validate=false", "-f", "-"],
        Some(pod.to_string().into_bytes()),
        &[],
    )
    .await;
    assert_eq!(made.code, 0, "{made:?}");
    let text = debug_shell_then_exit(&podterm(), &c, "once");
    assert!(!text.contains("Session ended"), "{text}");
    // In a pod that restarts its containers, the line is said, as kubectl says it.
    let text = debug_shell_then_exit(&podterm(), &c, "shell");
    assert!(
        text.contains("Session ended, the ephemeral container will not be restarted but may be reattached using 'podterm attach shell -c debugger-"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_node_matches_kubectl() {
    let c = cluster::demo().await;
    let dir = tempfile::tempdir().expect("dir");
    let custom = dir.path().join("custom.json");
    std::fs::write(
        &custom,
        r#"{"workingDir": "/host", "env": [{"name": "B", "value": "2"}]}"#,
    )
    .expect("custom");
    let custom_flag = format!("--custom={}", custom.display());
    type Case<'a> = (Vec<&'a str>, Option<&'a str>);
    let cases: Vec<Case> = vec![
        // kubectl's default journey: a shell on the node, attached through stdin. In the node's
        // network namespace the host name is the node's.
        (
            vec!["--profile=general", "-i"],
            Some("echo host=$HOSTNAME; exit\n"),
        ),
        (
            vec![
                "--profile=sysadmin",
                "-c",
                "dbg",
                "--env=A=1",
                "--image-pull-policy=IfNotPresent",
                "--",
                "sleep",
                "1000",
            ],
            None,
        ),
        (
            vec![
                "--profile=netadmin",
                "-q",
                "--arguments-only",
                "--",
                "-c",
                "sleep 1000",
            ],
            None,
        ),
        (vec!["--profile=baseline", custom_flag.as_str()], None),
        (vec!["--profile=restricted"], None),
    ];
    let newest = newest_kubectl();
    for (flags, stdin) in &cases {
        let mut args = vec!["debug", "node/testnode", "--image=busybox"];
        args.extend_from_slice(flags);
        let mut want: Option<serde_json::Value> = None;
        let mut outs = vec![];
        for bin in clients() {
            let out = run(&bin, &c, &args, stdin.map(|s| s.as_bytes().to_vec()), &[]).await;
            assert_eq!(out.code, 0, "{} {args:?}: {out:?}", bin.display());
            let name = match created_pod(&out.stdout) {
                Some(n) => n,
                // Quiet: the one debugging pod there is.
                None => {
                    let list = run(&newest, &c, &["get", "pods", "-o", "name"], None, &[]).await;
                    let text = String::from_utf8_lossy(&list.stdout).to_string();
                    let found: Vec<&str> = text
                        .lines()
                        .filter_map(|l| l.strip_prefix("pod/"))
                        .filter(|n| n.starts_with("node-debugger-testnode-"))
                        .collect();
                    assert_eq!(found.len(), 1, "{} {args:?}: {text}", bin.display());
                    found[0].to_string()
                }
            };
            let mut got = pod_shape(&c, &name).await;
            // kubectl before 1.33 put no label on the pod; the newest kubectl's is compared.
            let newest_or_ours = bin == podterm() || bin == newest;
            if !newest_or_ours {
                got["labels"] = serde_json::Value::Null;
            }
            match &want {
                None => want = Some(got),
                Some(w) => {
                    let mut w = w.clone();
                    if !newest_or_ours {
                        w["labels"] = serde_json::Value::Null;
                    }
                    assert_eq!(got, w, "{} made another pod for {args:?}", bin.display())
                }
            }
            delete_pod(&c, &name).await;
            wait_gone(&c, &name).await;
            outs.push((
                unrandom_node(&String::from_utf8_lossy(&out.stdout)),
                unrandom_node(&out.stderr),
            ));
        }
        let ours = same_words(&args, &outs);
        let w = want.expect("a pod");
        let s = &w["spec"];
        assert_eq!(s["nodeName"], "testnode", "{w}");
        assert_eq!(s["restartPolicy"], "Never", "{w}");
        assert_eq!(
            s["tolerations"],
            serde_json::json!([{ "operator": "Exists" }])
        );
        assert_eq!(w["labels"]["app.kubernetes.io/managed-by"], "kubectl-debug");
        let c0 = &s["containers"][0];
        match flags[0] {
            "--profile=general" => {
                assert_eq!(
                    ours.0,
                    "Creating debugging pod node-debugger-testnode-XXXXX with container debugger on node testnode.\nhost=testnode\n"
                );
                assert_eq!(
                    (&s["hostPID"], &s["hostNetwork"], &s["hostIPC"]),
                    (
                        &serde_json::json!(true),
                        &serde_json::json!(true),
                        &serde_json::json!(true)
                    )
                );
                assert_eq!(s["volumes"][0]["hostPath"]["path"], "/");
                assert_eq!(c0["volumeMounts"][0]["mountPath"], "/host");
                assert!(c0["securityContext"].is_null(), "{w}");
            }
            "--profile=sysadmin" => {
                assert_eq!(c0["name"], "dbg");
                assert_eq!(c0["securityContext"]["privileged"], true);
                assert_eq!(
                    c0["env"],
                    serde_json::json!([{ "name": "A", "value": "1" }])
                );
                assert_eq!(c0["imagePullPolicy"], "IfNotPresent");
                assert_eq!(c0["command"], serde_json::json!(["sleep", "1000"]));
            }
            "--profile=netadmin" => {
                assert_eq!(ours.0, "");
                assert!(s["volumes"].is_null(), "{w}");
                assert_eq!(s["hostNetwork"], true);
                assert_eq!(c0["args"], serde_json::json!(["-c", "sleep 1000"]));
            }
            "--profile=baseline" => {
                assert!(s["hostPID"].is_null() && s["volumes"].is_null(), "{w}");
                assert_eq!(c0["workingDir"], "/host");
                assert_eq!(
                    c0["env"],
                    serde_json::json!([{ "name": "B", "value": "2" }])
                );
            }
            _ => {
                assert_eq!(c0["securityContext"]["runAsNonRoot"], true);
                assert_eq!(
                    c0["securityContext"]["capabilities"]["drop"],
                    serde_json::json!(["ALL"])
                );
            }
        }
    }
    // An unknown node: the API server's words, nothing made.
    let out = same(
        &c,
        &["debug", "node/nope", "--image=busybox", "--profile=general"],
        None,
    )
    .await;
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("nodes \"nope\" not found"), "{out:?}");
    // kubectl's other spellings of a node.
    let out = run(
        &podterm(),
        &c,
        &["debug", "no/testnode", "--image=busybox", "-q"],
        None,
        &[],
    )
    .await;
    assert_eq!(out.code, 0, "{out:?}");
    // kubectl's words for a name with a slash.
    let out = same(
        &c,
        &[
            "debug",
            "node/testnode/proxy",
            "--image=busybox",
            "--profile=general",
        ],
        None,
    )
    .await;
    assert_eq!(out.code, 1);
    // What applies only to a pod is refused before anything is made (or said).
    for flag in [
        "--copy-to=x",
        "--target=app",
        "--reuse",
        "--share-processes",
    ] {
        let out = run(
            &podterm(),
            &c,
            &["debug", "nodes/testnode", "--image=busybox", flag],
            None,
            &[],
        )
        .await;
        assert_eq!(
            (out.code, out.stdout.as_slice()),
            (1, &b""[..]),
            "{flag}: {out:?}"
        );
        assert!(
            out.stderr.contains("applies to a pod, not to a node"),
            "{flag}: {out:?}"
        );
    }
    let list = run(&newest, &c, &["get", "pods", "-o", "name"], None, &[]).await;
    let made = String::from_utf8_lossy(&list.stdout)
        .lines()
        .filter(|l| l.contains("node-debugger-"))
        .count();
    assert_eq!(made, 1, "only the no/testnode run made a pod");
}

/// Creates a pod from JSON with the first kubectl, and waits until its server listens on
/// `port` (on this computer's loopback, where testcluster's pods listen).
async fn create_listening(c: &TestCluster, pod: String, port: u16) {
    let k = newest_kubectl();
    let made = run(
        &k,
        c,
        &["create", "--validate=false", "-f", "-"],
        Some(pod.into_bytes()),
        &[],
    )
    .await;
    assert_eq!(made.code, 0, "{}", made.stderr);
    podterm_test_support::portforward::listening(port, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_forward_matches_kubectl() {
    use podterm_test_support::portforward::{echo, echo_pod, free_port, Forward};
    let c = cluster::demo().await;
    let port = free_port();
    create_listening(
        &c,
        echo_pod("demo", "pf", port, serde_json::json!({})),
        port,
    )
    .await;
    let one: Vec<u8> = (0..(6u32 << 20))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let two: Vec<u8> = one.iter().rev().copied().take(1 << 20).collect();
    let home = tempfile::tempdir().expect("home");
    let spec = format!(":{port}");
    let mut lines = Vec::new();
    for bin in clients() {
        let args = ["port-forward", "-n", "demo", "pod/pf", spec.as_str()];
        let mut f = Forward::start(&bin, c.kubeconfig(), home.path(), &args).await;
        let ipv6 = format!("Forwarding from [::1]:{} -> {port}", f.local);
        f.wait_stdout(&ipv6, Duration::from_secs(10)).await;
        // Two connections at once, both ways at the same time.
        let ((g1, b1), (g2, b2)) = tokio::join!(echo(f.local, &one), echo(f.local, &two));
        assert_eq!(
            (g1.as_str(), g2.as_str()),
            ("hello from pf", "hello from pf"),
            "{}",
            bin.display()
        );
        assert!(
            b1 == one && b2 == two,
            "{}: the echo differs",
            bin.display()
        );
        let handled = format!("Handling connection for {}", f.local);
        f.wait_stdout(&handled, Duration::from_secs(10)).await;
        assert_eq!(
            f.interrupt().await,
            Some(0),
            "{}: {}",
            bin.display(),
            f.stderr_text()
        );
        lines.push(f.stdout_text().replace(&f.local.to_string(), "LOCAL"));
    }
    assert!(lines.iter().all(|l| *l == lines[0]), "{lines:#?}");
    assert!(
        lines[0].starts_with(&format!(
            "Forwarding from 127.0.0.1:LOCAL -> {port}\nForwarding from [::1]:LOCAL -> {port}\n"
        )),
        "{}",
        lines[0]
    );

    // Refusals in kubectl's words: a pod that is not running, one that is not there, a port
    // name the pod does not declare, RBAC.
    let pending = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": "pf-pending", "namespace": "demo" },
        "spec": { "containers": [{ "name": "app", "image": "testcluster.local/never:1" }] },
    });
    let k = newest_kubectl();
    let made = run(
        &k,
        &c,
        &["create", "--validate=false", "-f", "-"],
        Some(pending.to_string().into_bytes()),
        &[],
    )
    .await;
    assert_eq!(made.code, 0, "{}", made.stderr);
    same(
        &c,
        &["port-forward", "-n", "demo", "pf-pending", "1:80"],
        None,
    )
    .await;
    same(&c, &["port-forward", "-n", "demo", "nope", "80"], None).await;
    same(&c, &["port-forward", "-n", "demo", "pf", "8080:x"], None).await;
    same(
        &c,
        &["port-forward", "-n", "demo", "deploy/nope", "80"],
        None,
    )
    .await;
    // No port: kubectl's words (its name ours), then, past kubectl, the ports the pod
    // declares when it is there.
    for (target, hint) in [
        ("nope", String::new()),
        (
            "pf",
            format!("pf declares {port} (echo, container echo); for example (any free local port): podterm port-forward -n demo pf :echo\n"),
        ),
    ] {
        let args = ["port-forward", "-n", "demo", target];
        let ours = run(&podterm(), &c, &args, None, &[]).await;
        for k in kubectls() {
            let theirs = run(&k, &c, &args, None, &[]).await;
            assert_eq!(
                (ours.code, ours.stderr.clone()),
                (
                    theirs.code,
                    format!(
                        "{}{hint}",
                        theirs.stderr.replace("'kubectl port-forward", "'podterm port-forward")
                    )
                ),
                "{}",
                k.display()
            );
        }
    }
    // RBAC: refused before anything listens (kubectl upgrades to learn it, podterm asks a
    // self access review, which reaches nothing in the pod), in podterm's words.
    let viewer = run(
        &podterm(),
        &c,
        &[
            "--context",
            "viewer",
            "port-forward",
            "-n",
            "demo",
            "pf",
            "1:80",
        ],
        None,
        &[],
    )
    .await;
    assert_eq!((viewer.code, viewer.stdout.as_slice()), (1, &b""[..]));
    assert_eq!(
        viewer.stderr,
        "error: pods \"pf\" is forbidden: you may not create resource \"pods/portforward\" in API group \"\" in the namespace \"demo\" (nor get it: a self access review said so)\n"
    );
    let named = same(
        &c,
        &[
            "port-forward",
            "-n",
            "demo",
            "pf",
            "8080:echo",
            "--address",
            "256.0.0.1",
        ],
        None,
    )
    .await;
    assert_eq!(named.code, 1);
}

/// `svc/NAME` as kubectl takes it: a pod its selector finds, and for a forward the Service's
/// ports (by number or name) translated to the pod's ports they target (a container port's
/// name, a number), with kubectl's refusals; `exec svc/NAME` runs in that pod. Past kubectl,
/// the no-port hint lists the Service's ports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_forward_and_exec_to_a_service_like_kubectl() {
    use podterm_test_support::portforward::{echo_pod, free_port, greet, listening, Forward};
    let c = cluster::demo().await;
    let port = free_port();
    let labelled = |app: &str| serde_json::json!({ "labels": { "app": app } });
    create_listening(&c, echo_pod("demo", "pfs", port, labelled("pfs")), port).await;
    // A Service port that is free here, to listen on when it is given alone.
    let high = free_port();
    let k = newest_kubectl();
    for svc in [
        serde_json::json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": { "name": "pfs", "namespace": "demo" },
            "spec": { "selector": { "app": "pfs" }, "ports": [
                { "name": "main", "port": 80, "targetPort": "echo" },
                { "name": "direct", "port": 81, "targetPort": port },
                { "name": "high", "port": high, "targetPort": "echo" },
            ] },
        }),
        serde_json::json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": { "name": "pfs-bare", "namespace": "demo" },
            "spec": { "ports": [{ "port": 80 }] },
        }),
        serde_json::json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": { "name": "roll", "namespace": "demo" },
            "spec": { "selector": { "app": "roll" }, "ports": [
                { "name": "main", "port": 80, "targetPort": "echo" },
            ] },
        }),
    ] {
        let made = run(
            &k,
            &c,
            &["create", "--validate=false", "-f", "-"],
            Some(svc.to_string().into_bytes()),
            &[],
        )
        .await;
        assert_eq!(made.code, 0, "{}", made.stderr);
    }
    let home = tempfile::tempdir().expect("home");
    let alone = high.to_string();
    for spec in [":main", ":81", "high", alone.as_str()] {
        let mut lines = Vec::new();
        for bin in clients() {
            let args = ["port-forward", "-n", "demo", "svc/pfs", spec];
            let mut f = Forward::start(&bin, c.kubeconfig(), home.path(), &args).await;
            let ipv6 = format!("Forwarding from [::1]:{} -> {port}", f.local);
            f.wait_stdout(&ipv6, Duration::from_secs(10)).await;
            // A port given alone listens on the Service's port number.
            if !spec.starts_with(':') {
                assert_eq!(f.local, high, "{spec}: {}", bin.display());
            }
            let said = greet(f.local).await.0;
            assert_eq!(said, "hello from pfs", "{}", bin.display());
            let handled = format!("Handling connection for {}", f.local);
            f.wait_stdout(&handled, Duration::from_secs(10)).await;
            let code = f.interrupt().await;
            assert_eq!(code, Some(0), "{}: {}", bin.display(), f.stderr_text());
            lines.push(f.stdout_text().replace(&f.local.to_string(), "LOCAL"));
        }
        assert!(lines.iter().all(|l| *l == lines[0]), "{spec}: {lines:#?}");
        let first = format!("Forwarding from 127.0.0.1:LOCAL -> {port}\n");
        assert!(lines[0].starts_with(&first), "{}", lines[0]);
    }
    // Refusals in kubectl's words: a port the Service does not serve, by number and by name
    // (names looked up first); no such Service; a Service without a selector, for port-forward,
    // exec, logs and attach.
    for args in [
        &["port-forward", "-n", "demo", "svc/pfs", "1:82"][..],
        &["port-forward", "-n", "demo", "svc/pfs", "1:82", "1:nope"][..],
        &["port-forward", "-n", "demo", "svc/nope", "1:80"][..],
        &["port-forward", "-n", "demo", "svc/pfs-bare", "1:80"][..],
        &["exec", "-n", "demo", "svc/pfs-bare", "--", "true"][..],
        &["logs", "-n", "demo", "svc/pfs-bare"][..],
        &["attach", "-n", "demo", "svc/pfs-bare"][..],
    ] {
        assert_eq!(same(&c, args, None).await.code, 1, "{args:?}");
    }
    // exec and logs: the Service's pod (its log is empty: both say nothing, and succeed).
    let logs = same(&c, &["logs", "-n", "demo", "svc/pfs", "--tail=5"], None).await;
    assert_eq!(logs.code, 0, "{}", logs.stderr);
    let hostname = [
        "exec",
        "-n",
        "demo",
        "service/pfs",
        "--",
        "sh",
        "-c",
        "echo $HOSTNAME",
    ];
    let out = same(&c, &hostname, None).await;
    assert_eq!(
        (out.code, String::from_utf8_lossy(&out.stdout).into_owned()),
        (0, "pfs\n".to_string())
    );
    // No port: kubectl's words, then the Service's ports.
    let args = ["port-forward", "-n", "demo", "svc/pfs"];
    let ours = run(&podterm(), &c, &args, None, &[]).await;
    let hint = format!("svc/pfs serves 80 (main \u{2192} echo), 81 (direct \u{2192} {port}), {high} (high \u{2192} echo); for example (any free local port): podterm port-forward -n demo svc/pfs :main\n");
    for k in kubectls() {
        let theirs = run(&k, &c, &args, None, &[]).await;
        let words = theirs
            .stderr
            .replace("'kubectl port-forward", "'podterm port-forward");
        assert_eq!(
            (ours.code, ours.stderr.clone()),
            (theirs.code, format!("{words}{hint}")),
            "{}",
            k.display()
        );
    }
    // Past kubectl (whose forward ends with its pod): the forward follows the Service's pods,
    // its named target translated again in the next pod, whose port has another number.
    let (first, next) = (free_port(), free_port());
    create_listening(
        &c,
        echo_pod("demo", "roll-1", first, labelled("roll")),
        first,
    )
    .await;
    let args = ["port-forward", "-n", "demo", "svc/roll", ":main"];
    let mut f = Forward::start(&podterm(), c.kubeconfig(), home.path(), &args).await;
    assert_eq!(greet(f.local).await.0, "hello from roll-1");
    let gone = run(
        &k,
        &c,
        &["delete", "pod", "-n", "demo", "roll-1"],
        None,
        &[],
    )
    .await;
    assert_eq!(gone.code, 0, "{}", gone.stderr);
    listening(first, false).await;
    create_listening(&c, echo_pod("demo", "roll-2", next, labelled("roll")), next).await;
    assert_eq!(greet(f.local).await.0, "hello from roll-2");
    let said = f
        .wait_stderr(
            "Forwarding to pod roll-2 of service/roll now: the pod roll-1 was deleted",
            Duration::from_secs(10),
        )
        .await;
    assert!(said.ends_with("was deleted"), "{said}");
    // The Service is changed (`main` now targets the port named `alt`), then its pod replaced:
    // the next pod is reached on `alt`, its `echo` a port nothing listens on.
    for step in [
        vec!["delete", "service", "-n", "demo", "roll"],
        vec!["create", "--validate=false", "-f", "-"],
    ] {
        let changed = serde_json::json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": { "name": "roll", "namespace": "demo" },
            "spec": { "selector": { "app": "roll" }, "ports": [
                { "name": "main", "port": 80, "targetPort": "alt" },
            ] },
        });
        let input = (step[0] == "create").then(|| changed.to_string().into_bytes());
        let done = run(&k, &c, &step, input, &[]).await;
        assert_eq!(done.code, 0, "{}", done.stderr);
    }
    let third = free_port();
    let mut pod: serde_json::Value =
        serde_json::from_str(&echo_pod("demo", "roll-3", third, labelled("roll")))
            .expect("pod json");
    pod["spec"]["containers"][0]["ports"] = serde_json::json!([
        { "name": "echo", "containerPort": free_port() },
        { "name": "alt", "containerPort": third },
    ]);
    let gone = run(
        &k,
        &c,
        &["delete", "pod", "-n", "demo", "roll-2"],
        None,
        &[],
    )
    .await;
    assert_eq!(gone.code, 0, "{}", gone.stderr);
    listening(next, false).await;
    create_listening(&c, pod.to_string(), third).await;
    assert_eq!(greet(f.local).await.0, "hello from roll-3");
    assert_eq!(f.interrupt().await, Some(0), "{}", f.stderr_text());
}

/// A Service whose one pod runs but whose main container crashes: kubectl's port-forward takes
/// the Running pod (its sidecar's port is the one asked for), and so does ours, where exec's
/// pick (the default container running) refused it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_forward_takes_a_running_pod_whose_main_container_crashes() {
    use podterm_test_support::portforward::{free_port, greet, listening, Forward, ECHO};
    let c = cluster::demo().await;
    let port = free_port();
    let k = newest_kubectl();
    let pod = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": "side", "namespace": "demo", "labels": { "app": "side" } },
        "spec": { "containers": [
            { "name": "app", "image": "busybox:1.36", "command": ["sh", "-c", "exit 3"] },
            {
                "name": "echo", "image": "busybox:1.36",
                "command": ["python3", "-c", ECHO, port.to_string()],
                "ports": [{ "name": "echo", "containerPort": port }],
            },
        ] },
    });
    let svc = serde_json::json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": { "name": "side", "namespace": "demo" },
        "spec": { "selector": { "app": "side" }, "ports": [
            { "name": "main", "port": 80, "targetPort": "echo" },
        ] },
    });
    for object in [pod, svc] {
        let made = run(
            &k,
            &c,
            &["create", "--validate=false", "-f", "-"],
            Some(object.to_string().into_bytes()),
            &[],
        )
        .await;
        assert_eq!(made.code, 0, "{}", made.stderr);
    }
    listening(port, true).await;
    // Not Ready for certain: between its crashes the main container runs for an instant, in
    // which testcluster would count the pod Ready.
    assert!(c.set_ready("demo", "side", false));
    // The main container in its back-off: the pod is Running and not Ready.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let got = run(&k, &c, &["get", "-n", "demo", "pod", "side"], None, &[]).await;
        let table = String::from_utf8_lossy(&got.stdout);
        if table.contains("CrashLoopBackOff") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{table}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let home = tempfile::tempdir().expect("home");
    let mut lines = Vec::new();
    for bin in clients() {
        let args = ["port-forward", "-n", "demo", "svc/side", ":main"];
        let mut f = Forward::start(&bin, c.kubeconfig(), home.path(), &args).await;
        assert_eq!(
            greet(f.local).await.0,
            "hello from side",
            "{}",
            bin.display()
        );
        let handled = format!("Handling connection for {}", f.local);
        f.wait_stdout(&handled, Duration::from_secs(10)).await;
        let code = f.interrupt().await;
        assert_eq!(code, Some(0), "{}: {}", bin.display(), f.stderr_text());
        lines.push(f.stdout_text().replace(&f.local.to_string(), "LOCAL"));
        // Ours says which pod it took, and why it is not Ready.
        if bin == podterm() {
            assert!(
                f.stderr_text()
                    .starts_with("No Ready pod for service/side; using side (not Ready: "),
                "{}",
                f.stderr_text()
            );
        }
    }
    assert!(lines.iter().all(|l| *l == lines[0]), "{lines:#?}");
}

/// A forward whose stdout reader has gone (`podterm port-forward … | head -1`, a script that
/// read the "Forwarding from" line and closed its end) goes on forwarding: its "Handling
/// connection" lines cannot be written, which panicked the accept loop and closed the port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_forward_goes_on_when_its_stdout_reader_goes() {
    use podterm_test_support::portforward::{echo_pod, free_port, greet};
    use tokio::io::AsyncBufReadExt as _;
    let c = cluster::demo().await;
    let port = free_port();
    create_listening(
        &c,
        echo_pod("demo", "pf-head", port, serde_json::json!({})),
        port,
    )
    .await;
    let home = tempfile::tempdir().expect("home");
    let spec = format!(":{port}");
    let mut child = client::spawn(
        &podterm(),
        c.kubeconfig(),
        home.path(),
        &["port-forward", "-n", "demo", "pf-head", spec.as_str()],
    );
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("a first line within 60 s")
        .expect("read")
        .expect("a line");
    let local: u16 = first
        .split_once("127.0.0.1:")
        .and_then(|(_, r)| r.split(' ').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no local port in {first:?}"));
    // As `head -1` does once it has its line.
    drop(lines);
    for _ in 0..3 {
        let (hello, _s) = greet(local).await;
        assert_eq!(hello, "hello from pf-head");
    }
    assert!(
        child.try_wait().expect("status").is_none(),
        "the forward ended"
    );
    let _ = child.start_kill();
    let _ = child.wait().await;
}

/// A user whose role has only what kubectl's port-forward needs (`get` on the pod, the
/// `pods/portforward` subresource; no `list` or `watch` on pods) still sees the forward end
/// when its pod goes: the pod is looked at instead of watched. The watch's refusal was retried
/// for ever, and a deleted pod's forward went on listening.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_forward_notices_its_pod_go_without_list_or_watch() {
    use podterm_test_support::portforward::{echo_pod, free_port, greet, Forward};
    use testcluster::config::{Rule, UserSpec};
    let mut spec = testcluster::ClusterSpec::demo();
    spec.users.push(UserSpec {
        name: "forwarder".into(),
        auth: testcluster::AuthKind::Token,
        token: None,
        groups: vec!["forwarders".into()],
        rules: vec![
            Rule {
                namespaces: vec!["demo".into()],
                verbs: vec!["get".into()],
                resources: vec!["pods".into()],
            },
            Rule {
                namespaces: vec!["demo".into()],
                verbs: vec!["get".into(), "create".into()],
                resources: vec!["pods/portforward".into()],
            },
        ],
    });
    let c = TestCluster::start(testcluster::Options {
        spec,
        ..testcluster::Options::demo()
    })
    .await
    .expect("testcluster starts");
    let port = free_port();
    create_listening(
        &c,
        echo_pod("demo", "pf", port, serde_json::json!({})),
        port,
    )
    .await;
    let home = tempfile::tempdir().expect("home");
    let spec = format!(":{port}");
    let args = [
        "--context",
        "forwarder",
        "port-forward",
        "-n",
        "demo",
        "pod/pf",
        spec.as_str(),
    ];
    let mut f = Forward::start(&podterm(), c.kubeconfig(), home.path(), &args).await;
    assert_eq!(greet(f.local).await.0, "hello from pf");
    let gone = run(
        &newest_kubectl(),
        &c,
        &["delete", "pod", "-n", "demo", "pf", "--wait=false"],
        None,
        &[],
    )
    .await;
    assert_eq!(gone.code, 0, "{}", gone.stderr);
    assert_eq!(
        f.ended(Duration::from_secs(30)).await,
        Some(1),
        "{}",
        f.stderr_text()
    );
    let said = f.stderr_text();
    assert!(
        said == "error: lost connection to pod: the pod pf is being deleted\n"
            || said == "error: lost connection to pod: the pod pf was deleted\n",
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_forward_goes_on_where_kubectl_stops() {
    use podterm_test_support::portforward::{
        echo_pod, free_port, greet, web_echo_pod, Forward, ECHO,
    };
    let c = cluster::demo().await;
    let port = free_port();
    create_listening(
        &c,
        echo_pod("demo", "pf", port, serde_json::json!({})),
        port,
    )
    .await;
    let home = tempfile::tempdir().expect("home");
    // A port nothing in the pod listens on yet: the connection is refused in the node's words,
    // and the forward goes on (kubectl's ends), so once the server is up it is reached.
    let later = free_port();
    let spec = format!(":{later}");
    let args = ["port-forward", "-n", "demo", "pf", spec.as_str()];
    let mut f = Forward::start(&podterm(), c.kubeconfig(), home.path(), &args).await;
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", f.local))
        .await
        .expect("connect");
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest).await;
    assert!(rest.is_empty());
    let said = f
        .wait_stderr(
            &format!("error: forwarding {} -> {later}: ", f.local),
            Duration::from_secs(30),
        )
        .await;
    assert!(
        said.contains(&format!("error forwarding port {later} to pod pf, uid "))
            && said.contains(&format!(
                "dial tcp4 127.0.0.1:{later}: connect: connection refused"
            )),
        "{said}"
    );
    assert!(
        f.child.try_wait().expect("status").is_none(),
        "the forward ended"
    );
    // The server starts in the pod (an exec that keeps it running).
    let mut server = client::spawn(
        &podterm(),
        c.kubeconfig(),
        home.path(),
        &[
            "exec",
            "-n",
            "demo",
            "pf",
            "--",
            "python3",
            "-c",
            ECHO,
            &later.to_string(),
        ],
    );
    podterm_test_support::portforward::listening(later, true).await;
    let (hello, _s) = greet(f.local).await;
    assert_eq!(hello, "hello from pf");
    let _ = server.kill().await;
    assert_eq!(f.interrupt().await, Some(0), "{}", f.stderr_text());

    // A server that takes one connection at a time and counts them: the forward's start reaches
    // nothing in the pod, so the first connection through it is the server's first.
    let once = free_port();
    let counting = "import socket, sys\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('127.0.0.1', int(sys.argv[1])))\ns.listen(8)\nprint('ready', flush=True)\nn = 0\nwhile True:\n    c, _ = s.accept()\n    n += 1\n    c.sendall(b'connection %d\\n' % n)\n    c.close()\n";
    let mut counter = client::spawn(
        &podterm(),
        c.kubeconfig(),
        home.path(),
        &[
            "exec",
            "-n",
            "demo",
            "pf",
            "--",
            "python3",
            "-c",
            counting,
            &once.to_string(),
        ],
    );
    let mut out = tokio::io::BufReader::new(counter.stdout.take().expect("stdout"));
    let mut ready = String::new();
    tokio::time::timeout(
        Duration::from_secs(60),
        tokio::io::AsyncBufReadExt::read_line(&mut out, &mut ready),
    )
    .await
    .expect("the counting server within 60 s")
    .expect("read");
    assert_eq!(ready, "ready\n");
    let spec = format!(":{once}");
    let args = ["port-forward", "-n", "demo", "pf", spec.as_str()];
    let mut f = Forward::start(&podterm(), c.kubeconfig(), home.path(), &args).await;
    assert_eq!(greet(f.local).await.0, "connection 1");
    assert_eq!(greet(f.local).await.0, "connection 2");
    let _ = counter.kill().await;
    assert_eq!(f.interrupt().await, Some(0), "{}", f.stderr_text());

    // A workload's forward follows its pods: the demo's web pods listen on nothing; ours is the
    // newest Ready one, then a rollout replaces it.
    let web = free_port();
    create_listening(&c, web_echo_pod("web-6b7f9c8d5-old01", web), web).await;
    let spec = format!(":{}", web);
    let args = ["port-forward", "-n", "demo", "deploy/web", spec.as_str()];
    let mut f = Forward::start(&podterm(), c.kubeconfig(), home.path(), &args).await;
    assert_eq!(greet(f.local).await.0, "hello from web-6b7f9c8d5-old01");
    let k = newest_kubectl();
    let gone = run(
        &k,
        &c,
        &["delete", "pod", "-n", "demo", "web-6b7f9c8d5-old01"],
        None,
        &[],
    )
    .await;
    assert_eq!(gone.code, 0, "{}", gone.stderr);
    podterm_test_support::portforward::listening(web, false).await;
    create_listening(&c, web_echo_pod("web-6b7f9c8d5-new02", web), web).await;
    assert_eq!(greet(f.local).await.0, "hello from web-6b7f9c8d5-new02");
    let said = f
        .wait_stderr(
            "Forwarding to pod web-6b7f9c8d5-new02 of deployment/web now: the pod web-6b7f9c8d5-old01 was deleted",
            Duration::from_secs(10),
        )
        .await;
    assert!(said.ends_with("was deleted"), "{said}");
    assert!(f.child.try_wait().expect("status").is_none());
    assert_eq!(f.interrupt().await, Some(0), "{}", f.stderr_text());

    // One that started on a pod not Ready (readiness failing everywhere) moves at once to
    // another that runs when its pod goes, and says so: it does not wait for a Ready one.
    let third = free_port();
    create_listening(&c, web_echo_pod("web-6b7f9c8d5-un03", third), third).await;
    for pod in [
        "web-6b7f9c8d5-p9m7q",
        "web-6b7f9c8d5-h2x4k",
        "web-6b7f9c8d5-new02",
        "web-6b7f9c8d5-un03",
    ] {
        assert!(c.set_ready("demo", pod, false), "{pod}");
    }
    let args = ["port-forward", "-n", "demo", "deploy/web", ":echo"];
    let mut f = Forward::start(&podterm(), c.kubeconfig(), home.path(), &args).await;
    let first = greet(f.local).await.0;
    let (took, other) = match first.as_str() {
        "hello from web-6b7f9c8d5-un03" => ("web-6b7f9c8d5-un03", "web-6b7f9c8d5-new02"),
        "hello from web-6b7f9c8d5-new02" => ("web-6b7f9c8d5-new02", "web-6b7f9c8d5-un03"),
        said => panic!("{said:?}: not one of the echo pods"),
    };
    let gone = run(&k, &c, &["delete", "pod", "-n", "demo", took], None, &[]).await;
    assert_eq!(gone.code, 0, "{}", gone.stderr);
    assert_eq!(greet(f.local).await.0, format!("hello from {other}"));
    f.wait_stderr(
        &format!("Forwarding to pod {other} of deployment/web now: the pod {took} was deleted"),
        Duration::from_secs(10),
    )
    .await;
    f.wait_stderr(
        &format!("No Ready pod for deployment/web; using {other} (not Ready"),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(f.interrupt().await, Some(0), "{}", f.stderr_text());

    // A pod named by name ends the forward when it goes, as kubectl's does, saying why.
    let spec = format!(":{port}");
    let args = ["port-forward", "-n", "demo", "pod/pf", spec.as_str()];
    let mut f = Forward::start(&podterm(), c.kubeconfig(), home.path(), &args).await;
    let gone = run(
        &k,
        &c,
        &["delete", "pod", "-n", "demo", "pf", "--wait=false"],
        None,
        &[],
    )
    .await;
    assert_eq!(gone.code, 0, "{}", gone.stderr);
    assert_eq!(f.ended(Duration::from_secs(30)).await, Some(1));
    assert_eq!(
        f.stderr_text(),
        "error: lost connection to pod: the pod pf is being deleted\n"
    );
}

/// The requests a `-v 6` log (kubectl's `-v=6`) names: method, path (no host, no query) and
/// status, in order. Reads kubectl's two line formats (`GET URL 200 OK in 2 milliseconds`, and
/// 1.33's `"Response" verb="GET" url="URL" status="200 OK" milliseconds=2`).
fn requests_logged(stderr: &str) -> Vec<(String, String, String)> {
    let path = |url: &str| {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let path = rest.find('/').map_or("", |i| &rest[i..]);
        path.split('?').next().unwrap_or(path).to_string()
    };
    let quoted = |line: &str, key: &str| {
        let start = line.find(&format!("{key}=\""))? + key.len() + 2;
        let len = line[start..].find('"')?;
        Some(line[start..start + len].to_string())
    };
    let mut out = vec![];
    for line in stderr.lines() {
        let Some((_, said)) = line.split_once("] ") else {
            continue;
        };
        if said.starts_with("\"Response\"") {
            if let (Some(verb), Some(url), Some(status)) = (
                quoted(said, "verb"),
                quoted(said, "url"),
                quoted(said, "status"),
            ) {
                out.push((verb, path(&url), status));
            }
        } else if let Some(head) = said.strip_suffix(" milliseconds") {
            let Some((head, _ms)) = head.rsplit_once(" in ") else {
                continue;
            };
            let mut words = head.splitn(3, ' ');
            if let (Some(verb), Some(url), Some(status)) =
                (words.next(), words.next(), words.next())
            {
                out.push((verb.to_string(), path(url), status.to_string()));
            }
        }
    }
    out
}

/// `podterm -v 6` logs each request to the API server as kubectl's `-v=6` does, in its words:
/// the same requests (method, path, status) in the same order for an exec into a pod, into a
/// deployment's pod, and a log; the kubeconfig read. Without `-v` nothing is logged (the other
/// tests here compare stderr with kubectl's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_six_logs_the_requests_kubectl_logs() {
    let c = cluster::demo().await;
    let kubeconfig = c.kubeconfig().to_string_lossy().into_owned();
    let cases: [&[&str]; 3] = [
        &["exec", "shell", "--", "true"],
        &["exec", "deploy/web", "--", "true"],
        &["logs", "shell", "--tail", "1"],
    ];
    for args in cases {
        let with = |flag: &'static str| {
            let mut a = vec![flag];
            a.extend_from_slice(args);
            a
        };
        let home = tempfile::tempdir().expect("home");
        let mut cmd = tokio::process::Command::new(podterm());
        cmd.args(with("-v6"))
            .env("KUBECONFIG", c.kubeconfig())
            .env("HOME", home.path());
        let raw = client::run(cmd, None, Duration::from_secs(60)).await;
        let log = raw.stderr_text();
        assert_eq!(raw.code, 0, "{args:?}: {log}");
        assert!(
            log.lines().next().is_some_and(
                |l| l.ends_with(&format!("cluster] Config loaded from file: {kubeconfig}"))
            ),
            "{log}"
        );
        let ours_said = requests_logged(&log);
        // Each request's line in kubectl's (v1.32's) words.
        for (verb, path, status) in &ours_said {
            let line = format!("http] {verb} {}", c.url());
            assert!(
                log.lines().any(|l| l.contains(&line)
                    && l.contains(path.as_str())
                    && l.contains(&format!(" {status} in "))),
                "{log}"
            );
        }
        assert!(!ours_said.is_empty(), "{log}");
        for k in kubectls() {
            let home = tempfile::tempdir().expect("home");
            let mut cmd = tokio::process::Command::new(&k);
            cmd.args(with("-v=6"))
                .env("KUBECONFIG", c.kubeconfig())
                .env("HOME", home.path());
            let theirs = client::run(cmd, None, Duration::from_secs(60)).await;
            assert_eq!(theirs.code, 0, "{}: {}", k.display(), theirs.stderr_text());
            let mut theirs_said = requests_logged(&theirs.stderr_text());
            // kubectl first fills its discovery cache (a fresh HOME has none); podterm has none.
            theirs_said.retain(|(_, path, _)| {
                let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
                !matches!(
                    parts.as_slice(),
                    ["api"] | ["apis"] | ["api", _] | ["apis", _, _]
                )
            });
            let mut ours_said = ours_said.clone();
            if args[1] == "deploy/web" {
                // Of the deployment's Ready pods podterm takes the newest, kubectl the oldest.
                for said in [&mut ours_said, &mut theirs_said] {
                    for (_, path, _) in said.iter_mut() {
                        if let Some(i) = path.find("/pods/web-") {
                            path.replace_range(i.., "/pods/WEB-POD/exec");
                        }
                    }
                }
            }
            assert_eq!(
                ours_said,
                theirs_said,
                "{} vs podterm for {args:?}",
                k.display()
            );
        }
    }
    // Where kubectl logs the command as typed, a word of it that looks secret is masked.
    let secret = "hunter2-S3cretValue";
    let password = format!("--password={secret}");
    let args = [
        "-v", "6", "exec", "shell", "--", "sh", "-c", "true", &password,
    ];
    let home = tempfile::tempdir().expect("home");
    let mut cmd = tokio::process::Command::new(podterm());
    cmd.args(args)
        .env("KUBECONFIG", c.kubeconfig())
        .env("HOME", home.path());
    let raw = client::run(cmd, None, Duration::from_secs(60)).await;
    let log = raw.stderr_text();
    assert_eq!(raw.code, 0, "{log}");
    assert!(
        log.contains("exec?container=main&command=sh&command=-c&command=true&command=<masked>&"),
        "{log}"
    );
    assert!(!log.contains(secret), "{log}");
}

/// The API server's warnings are printed as kubectl prints them (`Warning: TEXT` on stderr,
/// `-q` or not): Pod Security admission in warn mode (testcluster's `podSecurityWarn`) on a
/// privileged debug container, a node's debugging pod and a privileged copy of a pod. Each
/// client gets a pod of its own, so each warning names the same containers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_warnings_are_printed_as_kubectl_prints_them() {
    let mut opts = testcluster::Options::demo();
    opts.spec.pod_security_warn = vec!["demo".into()];
    let c = TestCluster::start(opts).await.expect("cluster");
    let privileged = "Warning: would violate PodSecurity \"baseline:latest\": privileged (container \"dbg\" must not set securityContext.privileged=true)\n";
    let targets = ["shell", "multi", "pair", "distroless"];
    let mut outs = vec![];
    for (bin, pod) in clients().iter().zip(targets) {
        let args = [
            "debug",
            pod,
            "--image=busybox",
            "-c",
            "dbg",
            "--profile=sysadmin",
            "--",
            "true",
        ];
        let out = run(bin, &c, &args, None, &[]).await;
        assert_eq!(out.code, 0, "{} {args:?}: {out:?}", bin.display());
        outs.push((
            String::from_utf8_lossy(&out.stdout).into_owned(),
            out.stderr,
        ));
    }
    assert!(outs.len() >= 2, "podterm and a kubectl at least");
    for (i, out) in outs.iter().enumerate() {
        assert_eq!(out, &(String::new(), privileged.to_string()), "client {i}");
    }

    // A copy of a pod with a privileged debug container (a pod created).
    for bin in clients() {
        let args = [
            "debug",
            "shell",
            "--copy-to=shell-dbg",
            "--image=busybox",
            "-c",
            "dbg",
            "--profile=sysadmin",
            "--",
            "true",
        ];
        let out = run(&bin, &c, &args, None, &[]).await;
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (0, privileged),
            "{} {args:?}",
            bin.display()
        );
        delete_pod(&c, "shell-dbg").await;
        wait_gone(&c, "shell-dbg").await;
    }

    // A node's debugging pod, with -q: the warning all the same.
    let mut outs = vec![];
    for bin in clients() {
        let args = [
            "debug",
            "node/testnode",
            "--image=busybox",
            "--profile=general",
            "-q",
            "--",
            "true",
        ];
        let out = run(&bin, &c, &args, None, &[]).await;
        assert_eq!(out.code, 0, "{} {args:?}: {out:?}", bin.display());
        outs.push(out.stderr);
        let list = run(
            &newest_kubectl(),
            &c,
            &["get", "pods", "-o", "name"],
            None,
            &[],
        )
        .await;
        for name in String::from_utf8_lossy(&list.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("pod/"))
            .filter(|n| n.starts_with("node-debugger-testnode-"))
        {
            delete_pod(&c, name).await;
            wait_gone(&c, name).await;
        }
    }
    for out in &outs {
        assert_eq!(
            out,
            "Warning: would violate PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true, hostPID=true, hostIPC=true), hostPath volumes (volume \"host-root\")\n"
        );
    }
}
