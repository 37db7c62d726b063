//! The real kubectl against testcluster: every scenario runs with each kubectl under test
//! (`PODTERM_KUBECTLS`), and asserts output and exit code.

use podterm_test_support::pty::Pty;
use podterm_test_support::{client, cluster, kubectl::kubectls};
use std::ffi::OsString;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use testcluster::TestCluster;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
    raw: Vec<u8>,
}

/// Runs kubectl against the cluster with an isolated HOME (discovery cache) and a time limit.
async fn kubectl(k: &Path, c: &TestCluster, args: &[&str], stdin: Option<Vec<u8>>) -> Out {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = tokio::process::Command::new(k);
    cmd.args(args)
        .env("KUBECONFIG", c.kubeconfig())
        .env("HOME", home.path());
    let out = client::run(cmd, stdin, Duration::from_secs(90)).await;
    Out {
        code: out.code,
        stdout: out.stdout_text(),
        stderr: out.stderr_text(),
        raw: out.stdout,
    }
}

fn label(k: &Path) -> String {
    k.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_pods_with_selectors_and_json() {
    let c = cluster::demo().await;
    for k in kubectls() {
        let out = kubectl(&k, &c, &["get", "pods"], None).await;
        assert_eq!(out.code, 0, "{}: {}", label(&k), out.stderr);
        let header = out.stdout.lines().next().unwrap_or("");
        for col in ["NAME", "READY", "STATUS", "RESTARTS", "AGE"] {
            assert!(header.contains(col), "{}: header {header:?}", label(&k));
        }
        for pod in [
            "shell",
            "multi",
            "distroless",
            "pair",
            "web-6b7f9c8d5-h2x4k",
            "web-6b7f9c8d5-p9m7q",
        ] {
            assert!(
                out.stdout.contains(pod),
                "{}: {pod} missing in\n{}",
                label(&k),
                out.stdout
            );
        }
        assert!(
            out.stdout.contains("2/2"),
            "multi shows 2/2 ready:\n{}",
            out.stdout
        );

        let out = kubectl(
            &k,
            &c,
            &["get", "pods", "-l", "app=web", "-o", "name"],
            None,
        )
        .await;
        assert_eq!(out.code, 0, "{}: {}", label(&k), out.stderr);
        let mut names: Vec<&str> = out.stdout.lines().collect();
        names.sort();
        assert_eq!(
            names,
            vec!["pod/web-6b7f9c8d5-h2x4k", "pod/web-6b7f9c8d5-p9m7q"]
        );

        let out = kubectl(
            &k,
            &c,
            &["get", "pods", "-l", "app notin (web,shell)", "-o", "name"],
            None,
        )
        .await;
        assert_eq!(out.code, 0, "{}: {}", label(&k), out.stderr);
        let mut names: Vec<&str> = out.stdout.lines().collect();
        names.sort();
        assert_eq!(names, vec!["pod/distroless", "pod/multi", "pod/pair"]);

        let out = kubectl(
            &k,
            &c,
            &[
                "get",
                "pods",
                "--field-selector",
                "metadata.name=shell",
                "-o",
                "json",
            ],
            None,
        )
        .await;
        assert_eq!(out.code, 0, "{}: {}", label(&k), out.stderr);
        let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
        assert_eq!(v["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(v["items"][0]["metadata"]["name"], "shell");
        assert_eq!(v["items"][0]["spec"]["containers"][0]["name"], "main");
        assert_eq!(v["items"][0]["status"]["phase"], "Running");

        let out = kubectl(&k, &c, &["get", "pods", "-A", "-o", "name"], None).await;
        assert!(
            out.stdout.contains("pod/coredns-"),
            "{}: {}",
            label(&k),
            out.stdout
        );

        let out = kubectl(
            &k,
            &c,
            &[
                "get",
                "pod",
                "multi",
                "-o",
                "jsonpath={.metadata.annotations}",
            ],
            None,
        )
        .await;
        assert!(
            out.stdout
                .contains("\"kubectl.kubernetes.io/default-container\":\"sidecar\""),
            "{}",
            out.stdout
        );

        let out = kubectl(
            &k,
            &c,
            &[
                "get",
                "deploy/web",
                "-o",
                "jsonpath={.spec.selector.matchLabels.app}",
            ],
            None,
        )
        .await;
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, "web"),
            "{}",
            out.stderr
        );

        let out = kubectl(&k, &c, &["get", "namespaces", "-o", "name"], None).await;
        assert!(
            out.stdout.contains("namespace/kube-system"),
            "{}",
            out.stdout
        );

        // The one node every pod runs on, as `kubectl get nodes` and `-o json` show it.
        let out = kubectl(&k, &c, &["get", "nodes"], None).await;
        let row: Vec<&str> = out
            .stdout
            .lines()
            .nth(1)
            .unwrap_or("")
            .split_whitespace()
            .collect();
        assert_eq!(
            row.get(..3),
            Some(&["testnode", "Ready", "control-plane"][..]),
            "{}{}",
            out.stdout,
            out.stderr
        );
        let out = kubectl(
            &k,
            &c,
            &[
                "get",
                "no",
                "testnode",
                "-o",
                "jsonpath={.status.addresses[0].address}",
            ],
            None,
        )
        .await;
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, "127.0.0.1"),
            "{}",
            out.stderr
        );
        let out = kubectl(&k, &c, &["get", "node", "nope"], None).await;
        assert_eq!(out.code, 1);
        assert!(
            out.stderr.contains("nodes \"nope\" not found"),
            "{}",
            out.stderr
        );
    }
}

/// kubectl reads a list in pages (`--chunk-size`, 500 by default) and prints them as one;
/// testcluster cuts pods at `limit`, and each later page reports the first page's version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_pods_in_pages() {
    let c = cluster::demo().await;
    let mut p = testcluster::ClusterSpec::demo().pods[0].clone();
    p.labels.clear();
    for c in &mut p.containers {
        c.command.clear();
    }
    for i in 0..23 {
        p.name = format!("bulk-{i:02}");
        c.apply_pod(p.clone());
    }
    let raw = "/api/v1/namespaces/demo/pods?limit=5";
    for k in kubectls() {
        let whole = kubectl(
            &k,
            &c,
            &["get", "pods", "--chunk-size=0", "-o", "name"],
            None,
        )
        .await;
        assert_eq!(whole.code, 0, "{}: {}", label(&k), whole.stderr);
        assert_eq!(whole.stdout.lines().count(), 29, "{}", whole.stdout);
        let paged = kubectl(
            &k,
            &c,
            &["get", "pods", "--chunk-size=5", "-o", "name"],
            None,
        )
        .await;
        assert_eq!(paged.code, 0, "{}: {}", label(&k), paged.stderr);
        assert_eq!(paged.stdout, whole.stdout, "{}", label(&k));
        // As a table: one header, then every pod once.
        let table = kubectl(&k, &c, &["get", "pods", "--chunk-size=4"], None).await;
        assert_eq!(table.code, 0, "{}: {}", label(&k), table.stderr);
        let lines: Vec<&str> = table.stdout.lines().collect();
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("NAME ")).count(),
            1,
            "{}",
            table.stdout
        );
        assert_eq!(lines.len(), 30, "{}", table.stdout);
        for i in 0..23 {
            let name = format!("bulk-{i:02} ");
            assert_eq!(
                lines.iter().filter(|l| l.starts_with(&name)).count(),
                1,
                "{name}in\n{}",
                table.stdout
            );
        }

        // The pages themselves: 5 items and a token; the next page, after a change, still at
        // the first page's version.
        let first = kubectl(&k, &c, &["get", "--raw", raw], None).await;
        assert_eq!(first.code, 0, "{}: {}", label(&k), first.stderr);
        let first: serde_json::Value = serde_json::from_str(&first.stdout).expect("json");
        assert_eq!(first["items"].as_array().map(Vec::len), Some(5));
        let token = first["metadata"]["continue"].as_str().expect("a token");
        assert!(c.set_ready("demo", "bulk-20", false));
        let next = format!("{raw}&continue={token}");
        let second = kubectl(&k, &c, &["get", "--raw", &next], None).await;
        assert_eq!(second.code, 0, "{}: {}", label(&k), second.stderr);
        let second: serde_json::Value = serde_json::from_str(&second.stdout).expect("json");
        assert_eq!(second["items"][0]["metadata"]["name"], "bulk-05");
        assert_eq!(
            second["metadata"]["resourceVersion"],
            first["metadata"]["resourceVersion"]
        );
        assert!(c.set_ready("demo", "bulk-20", true));
        // A token the server did not give.
        let bad = kubectl(
            &k,
            &c,
            &["get", "--raw", &format!("{raw}&continue=zz")],
            None,
        )
        .await;
        assert_ne!(bad.code, 0, "{}", bad.stdout);
        assert!(
            bad.stderr.contains("continue key is not valid"),
            "{}: {}",
            label(&k),
            bad.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_sees_a_pod_added_and_deleted() {
    let c = cluster::demo().await;
    for k in kubectls() {
        let home = tempfile::tempdir().expect("home");
        let mut child = tokio::process::Command::new(&k)
            .args(["get", "pods", "-w", "--output-watch-events"])
            .env("KUBECONFIG", c.kubeconfig())
            .env("HOME", home.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("kubectl");
        let stdout = child.stdout.take().expect("stdout");
        let seen = Arc::new(Mutex::new(String::new()));
        let seen2 = seen.clone();
        tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let mut r = stdout;
            let mut buf = [0u8; 4096];
            while let Ok(n) = r.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                seen2
                    .lock()
                    .expect("lock")
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let wait_for = |needle: &'static str| {
            let seen = seen.clone();
            async move {
                let start = Instant::now();
                while start.elapsed() < Duration::from_secs(20) {
                    if seen.lock().expect("lock").contains(needle) {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                panic!(
                    "watch never printed {needle:?}:\n{}",
                    seen.lock().expect("lock")
                );
            }
        };
        wait_for("web-6b7f9c8d5-p9m7q").await;
        let mut spec = testcluster::ClusterSpec::demo().pods[3].clone();
        spec.name = "watched".into();
        c.apply_pod(spec);
        wait_for("watched").await;
        assert!(c.delete_pod("demo", "watched"));
        let start = Instant::now();
        loop {
            let text = seen.lock().expect("lock").clone();
            let events: Vec<&str> = text
                .lines()
                .filter(|l| l.split_whitespace().nth(1) == Some("watched"))
                .map(|l| l.split_whitespace().next().unwrap_or(""))
                .collect();
            if events.contains(&"DELETED") {
                assert_eq!(events.first(), Some(&"ADDED"), "{text}");
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no DELETED event:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let _ = child.kill().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_output_exit_codes_and_stdin() {
    let c = cluster::demo().await;
    for k in kubectls() {
        let out = kubectl(
            &k,
            &c,
            &["exec", "shell", "--", "echo", "hello world"],
            None,
        )
        .await;
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, "hello world\n"),
            "{}: {}",
            label(&k),
            out.stderr
        );

        let out = kubectl(
            &k,
            &c,
            &[
                "exec",
                "shell",
                "--",
                "sh",
                "-c",
                "echo out; echo err >&2; exit 7",
            ],
            None,
        )
        .await;
        assert_eq!(out.code, 7, "{}: {}", label(&k), out.stderr);
        assert_eq!(out.stdout, "out\n");
        assert!(out.stderr.starts_with("err\n"), "{}", out.stderr);
        assert!(
            out.stderr.contains("command terminated with exit code 7"),
            "{}",
            out.stderr
        );

        let out = kubectl(
            &k,
            &c,
            &["exec", "-i", "shell", "--", "cat"],
            Some(b"abc".to_vec()),
        )
        .await;
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, "abc"),
            "{}: {}",
            label(&k),
            out.stderr
        );

        let out = kubectl(
            &k,
            &c,
            &[
                "exec",
                "shell",
                "--",
                "sh",
                "-c",
                "echo $GREETING; echo $HOSTNAME",
            ],
            None,
        )
        .await;
        assert_eq!(out.stdout, "hello from shell\nshell\n", "{}", out.stderr);

        let out = kubectl(
            &k,
            &c,
            &[
                "exec",
                "deploy/web",
                "--",
                "sh",
                "-c",
                "echo $HOSTNAME $APP",
            ],
            None,
        )
        .await;
        assert_eq!(out.code, 0, "{}: {}", label(&k), out.stderr);
        assert!(
            out.stdout.starts_with("web-6b7f9c8d5-") && out.stdout.ends_with(" web\n"),
            "{}",
            out.stdout
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_megabytes_through_stdin_hash_equal() {
    use sha2::Digest;
    let c = cluster::demo().await;
    let data = podterm_test_support::noise(50 * 1024 * 1024, 0x9e37_79b9_7f4a_7c15);
    let want = format!("{:x}", sha2::Sha256::digest(&data));
    for k in kubectls() {
        let out = kubectl(
            &k,
            &c,
            &["exec", "-i", "shell", "--", "sha256sum"],
            Some(data.clone()),
        )
        .await;
        assert_eq!(out.code, 0, "{}: {}", label(&k), out.stderr);
        assert_eq!(out.stdout, format!("{want}  -\n"), "{}", label(&k));
    }
    let out = kubectl(
        &kubectls()[0],
        &c,
        &["exec", "shell", "--", "head", "-c", "20000000", "/dev/zero"],
        None,
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.raw.len(), 20_000_000);
    assert!(out.raw.iter().all(|b| *b == 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn container_choice_like_kubectl() {
    let c = cluster::demo().await;
    for k in kubectls() {
        // The annotation picks sidecar, silently.
        let out = kubectl(
            &k,
            &c,
            &["exec", "multi", "--", "sh", "-c", "basename $PWD"],
            None,
        )
        .await;
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, "sidecar\n"),
            "{}: {}",
            label(&k),
            out.stderr
        );
        assert!(!out.stderr.contains("Defaulted"), "{}", out.stderr);
        // -c wins.
        let out = kubectl(
            &k,
            &c,
            &[
                "exec",
                "multi",
                "-c",
                "app",
                "--",
                "sh",
                "-c",
                "basename $PWD",
            ],
            None,
        )
        .await;
        assert_eq!(out.stdout, "app\n", "{}", out.stderr);
        // No annotation: the first, with kubectl's note.
        let out = kubectl(
            &k,
            &c,
            &["exec", "pair", "--", "sh", "-c", "basename $PWD"],
            None,
        )
        .await;
        assert_eq!(out.stdout, "one\n", "{}", out.stderr);
        assert!(
            out.stderr
                .contains("Defaulted container \"one\" out of: one, two"),
            "{}: {}",
            label(&k),
            out.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_in_the_api_servers_words() {
    let c = cluster::demo().await;
    let mut completed = testcluster::ClusterSpec::demo().pods[3].clone();
    completed.name = "finished".into();
    completed.phase = testcluster::Phase::Succeeded;
    c.apply_pod(completed);
    for k in kubectls() {
        let out = kubectl(
            &k,
            &c,
            &["--context", "viewer", "exec", "shell", "--", "true"],
            None,
        )
        .await;
        assert_eq!(out.code, 1, "{}", label(&k));
        assert!(
            out.stderr.contains(r#"pods "shell" is forbidden: User "viewer" cannot create resource "pods/exec" in API group "" in the namespace "demo""#),
            "{}: {}",
            label(&k),
            out.stderr
        );
        let out = kubectl(
            &k,
            &c,
            &["--context", "viewer", "get", "pods", "-o", "name"],
            None,
        )
        .await;
        assert_eq!(out.code, 0, "viewer may list pods: {}", out.stderr);
        let out = kubectl(&k, &c, &["--context", "viewer", "get", "deploy"], None).await;
        assert!(
            out.stderr.contains("deployments.apps is forbidden"),
            "{}",
            out.stderr
        );

        let out = kubectl(
            &k,
            &c,
            &[
                "--token",
                "not-a-token",
                "--context",
                "demo-admin",
                "get",
                "pods",
            ],
            None,
        )
        .await;
        assert_eq!(out.code, 1);
        assert!(
            out.stderr.contains("You must be logged in to the server"),
            "{}: {}",
            label(&k),
            out.stderr
        );

        let out = kubectl(&k, &c, &["exec", "nope", "--", "true"], None).await;
        assert_eq!(out.code, 1);
        assert!(
            out.stderr.contains(r#"pods "nope" not found"#),
            "{}",
            out.stderr
        );

        let out = kubectl(&k, &c, &["exec", "shell", "-c", "nope", "--", "true"], None).await;
        assert_eq!(out.code, 1);
        assert!(
            out.stderr
                .contains("container nope is not valid for pod shell"),
            "{}: {}",
            label(&k),
            out.stderr
        );

        let out = kubectl(&k, &c, &["exec", "distroless", "--", "sh"], None).await;
        assert_ne!(out.code, 0);
        assert!(
            out.stderr
                .contains(r#"exec: "sh": executable file not found in $PATH"#),
            "{}: {}",
            label(&k),
            out.stderr
        );
        // The distroless image still runs what it has.
        let out = kubectl(
            &k,
            &c,
            &["exec", "distroless", "--", "echo", "no shell needed"],
            None,
        )
        .await;
        assert_eq!(out.stdout, "no shell needed\n", "{}", out.stderr);

        let out = kubectl(&k, &c, &["exec", "finished", "--", "true"], None).await;
        assert_eq!(out.code, 1);
        assert!(
            out.stderr.contains(
                "cannot exec into a container in a completed pod; current phase is Succeeded"
            ),
            "{}: {}",
            label(&k),
            out.stderr
        );
    }
}

/// kubectl on an 80x24 terminal, with the cluster's kubeconfig and its own HOME.
fn on_pty(k: &Path, c: &TestCluster, home: &Path, args: &[&str]) -> Pty {
    let env: Vec<(String, Option<OsString>)> = vec![
        ("KUBECONFIG".into(), Some(c.kubeconfig().into())),
        ("HOME".into(), Some(home.into())),
        ("TERM".into(), Some("xterm".into())),
    ];
    Pty::spawn(k, args, &env)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactive_shell_follows_typing_and_resize() {
    let c = cluster::demo().await;
    for k in kubectls() {
        let home = tempfile::tempdir().expect("home");
        let mut pty = on_pty(&k, &c, home.path(), &["exec", "-it", "shell", "--", "sh"]);
        pty.type_str("echo typed-$((6*7))\r");
        pty.expect("typed-42");
        pty.type_str("stty size\r");
        pty.expect("24 80");
        pty.resize(111, 37);
        // kubectl notices SIGWINCH and sends the size; ask until the shell sees it.
        pty.wait_for("37 111", Some("stty size\r"), Duration::from_millis(200));
        pty.type_str("exit 5\r");
        assert_eq!(pty.exit_code(), 5, "{}", pty.text());
        // kubectl writes the line just before it exits: the reader may not have it yet.
        let text = pty.drained_until("command terminated with exit code 5");
        assert!(
            text.contains("command terminated with exit code 5"),
            "{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_joins_the_main_process() {
    let c = cluster::demo().await;
    for k in kubectls() {
        let home = tempfile::tempdir().expect("home");
        let mut pty = on_pty(&k, &c, home.path(), &["attach", "-it", "shell"]);
        pty.expect("If you don't see a command prompt, try pressing enter.");
        pty.type_str("echo attached-$((40+2))\r");
        pty.expect("attached-42");
        pty.type_str("echo $GREETING\r");
        pty.expect("hello from shell");
        // Leaving (kubectl killed) does not end the main process.
        // (The harness never drops its writer, which would type "\n^D" into the shell.)
        let _ = pty.child.kill();
    }
    // The main process survived the attachments.
    let out = kubectl(
        &kubectls()[0],
        &c,
        &[
            "get",
            "pod",
            "shell",
            "-o",
            "jsonpath={.status.containerStatuses[0].restartCount}",
        ],
        None,
    )
    .await;
    assert_eq!(out.stdout, "0", "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_pod_ends_a_kubectl_session() {
    let c = cluster::demo().await;
    for k in kubectls() {
        // Deleted once the command runs; its `sleep 300` outlasts the time limit, so ending at
        // all is the delete's doing.
        let home = tempfile::tempdir().expect("home");
        let mut cmd = tokio::process::Command::new(&k);
        cmd.args(["exec", "multi", "--", "sh", "-c", "echo up; sleep 300"])
            .env("KUBECONFIG", c.kubeconfig())
            .env("HOME", home.path());
        let deleted = async { assert!(c.delete_pod("demo", "multi")) };
        let out = client::run_then(cmd, b"up\n", deleted, Duration::from_secs(90)).await;
        let (code, stderr) = (out.code, out.stderr_text());
        assert_eq!(code, 137, "{}: {stderr}", label(&k));
        assert_eq!(out.stdout, b"up\n", "{}", label(&k));
        assert!(
            stderr.contains("command terminated with exit code 137"),
            "{stderr}"
        );
        // Bring the pod back for the next kubectl.
        c.apply_pod(testcluster::ClusterSpec::demo().pods[1].clone());
    }
}

/// The debug container's name from kubectl's "Defaulting debug container name to NAME." line.
fn debug_container_name(text: &str) -> String {
    text.split("Defaulting debug container name to ")
        .nth(1)
        .and_then(|rest| rest.split('.').next())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no debug container name in {text:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_distroless_with_an_ephemeral_container_then_attach_again() {
    let c = cluster::demo().await;
    for (i, k) in kubectls().into_iter().enumerate() {
        let home = tempfile::tempdir().expect("home");
        let mut pty = on_pty(
            &k,
            &c,
            home.path(),
            &[
                "debug",
                "-it",
                "distroless",
                "--image=busybox",
                "--target=app",
            ],
        );
        pty.expect("If you don't see a command prompt, try pressing enter.");
        let name = debug_container_name(&pty.text());
        assert!(
            pty.text().contains(r#"Targeting container "app"."#),
            "{}",
            pty.text()
        );
        pty.type_str("echo debug-$((6*7))\r");
        pty.expect("debug-42");
        // The target's files: the shell starts in the target's working directory, so what it
        // writes there the target reads, and the other way round.
        pty.type_str(&format!(
            "echo from-debug > marker-{i}; export KEPT=kept-{i}\r"
        ));
        let read = async {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let out = kubectl(
                    &k,
                    &c,
                    &[
                        "exec",
                        "distroless",
                        "-c",
                        "app",
                        "--",
                        "cat",
                        &format!("marker-{i}"),
                    ],
                    None,
                )
                .await;
                if out.code == 0 {
                    return out.stdout;
                }
                assert!(Instant::now() < deadline, "{}", out.stderr);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        assert_eq!(read.await, "from-debug\n", "{}", label(&k));
        // Detach: kubectl goes, the debug container's shell stays.
        let _ = pty.child.kill();
        let status = kubectl(
            &k,
            &c,
            &[
                "get",
                "pod",
                "distroless",
                "-o",
                &format!("jsonpath={{.status.ephemeralContainerStatuses[?(@.name==\"{name}\")].state.running.startedAt}}"),
            ],
            None,
        )
        .await;
        assert!(
            !status.stdout.is_empty(),
            "{name} not running: {}",
            status.stderr
        );

        // Attach again: the same shell, with what was set before.
        let home2 = tempfile::tempdir().expect("home");
        let mut again = on_pty(
            &k,
            &c,
            home2.path(),
            &["attach", "-it", "distroless", "-c", &name],
        );
        again.expect("If you don't see a command prompt, try pressing enter.");
        again.type_str("echo again-$KEPT\r");
        again.expect(&format!("again-kept-{i}"));
        again.type_str("exit 3\r");
        assert_eq!(again.exit_code(), 0, "{}", again.text());
        let ended = kubectl(
            &k,
            &c,
            &[
                "get",
                "pod",
                "distroless",
                "-o",
                &format!("jsonpath={{.status.ephemeralContainerStatuses[?(@.name==\"{name}\")].state.terminated.exitCode}}"),
            ],
            None,
        )
        .await;
        assert_eq!(ended.stdout, "3", "{}: {}", label(&k), ended.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_refusals_in_the_api_servers_words() {
    let c = cluster::demo().await;
    let mut opts = testcluster::Options::demo();
    opts.spec.ephemeral_containers = false;
    let off = TestCluster::start(opts).await.expect("cluster");
    for k in kubectls() {
        let out = kubectl(
            &k,
            &c,
            &[
                "--context",
                "viewer",
                "debug",
                "distroless",
                "--image=busybox",
                "--",
                "true",
            ],
            None,
        )
        .await;
        assert_eq!(out.code, 1, "{}", label(&k));
        assert!(
            out.stderr.contains(r#"pods "distroless" is forbidden: User "viewer" cannot patch resource "pods/ephemeralcontainers" in API group "" in the namespace "demo""#),
            "{}: {}",
            label(&k),
            out.stderr
        );
        let out = kubectl(
            &k,
            &off,
            &["debug", "distroless", "--image=busybox", "--", "true"],
            None,
        )
        .await;
        assert_eq!(out.code, 1, "{}", label(&k));
        assert!(
            out.stderr.contains("error: ephemeral containers are disabled for this cluster (error from server: \"the server could not find the requested resource\")"),
            "{}: {}",
            label(&k),
            out.stderr
        );
        let out = kubectl(&k, &c, &["debug", "nope", "--image=busybox"], None).await;
        assert_eq!(out.code, 1, "{}", label(&k));
        assert!(
            out.stderr.contains(r#"pods "nope" not found"#),
            "{}: {}",
            label(&k),
            out.stderr
        );
    }
}

// ---- logs and events ----

/// A pod in `demo` whose one container `main` runs `script` under sh.
fn script_pod(name: &str, script: &str) -> testcluster::PodSpec {
    let mut p = testcluster::ClusterSpec::demo().pods[0].clone();
    p.name = name.into();
    p.labels = [("app".to_string(), name.to_string())].into();
    p.containers[0].command = vec!["sh".into(), "-c".into(), script.into()];
    p.containers[0].tty = false;
    p
}

/// Polls `kubectl ARGS` until its stdout passes `done`; returns that stdout.
async fn kubectl_until(
    k: &Path,
    c: &TestCluster,
    args: &[&str],
    done: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = kubectl(k, c, args, None).await;
        if out.code == 0 && done(&out.stdout) {
            return out.stdout;
        }
        assert!(
            Instant::now() < deadline,
            "{}: kubectl {args:?} never got there: {}{}",
            label(k),
            out.stdout,
            out.stderr
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_with_tail_timestamps_limits_and_since() {
    let c = cluster::demo().await;
    let all = "start\noops\nline 1\nline 2\nline 3\nline 4\nline 5\n";
    c.apply_pod(script_pod(
        "logger",
        "echo start; sleep 0.2; echo oops >&2; sleep 0.2; for i in 1 2 3 4 5; do echo line $i; done; exec sleep 300",
    ));
    for k in kubectls() {
        let k = &k;
        let out = kubectl_until(k, &c, &["logs", "logger"], |s| s.ends_with("line 5\n")).await;
        // stdout and stderr, merged in the order they were written.
        assert_eq!(out, all, "{}", label(k));
        let out = kubectl(k, &c, &["logs", "logger", "--tail", "2"], None).await;
        assert_eq!(
            out.stdout,
            "line 4\nline 5\n",
            "{}: {}",
            label(k),
            out.stderr
        );
        let out = kubectl(k, &c, &["logs", "pod/logger", "--tail=0"], None).await;
        assert_eq!(out.stdout, "", "{}: {}", label(k), out.stderr);
        let out = kubectl(k, &c, &["logs", "logger", "--limit-bytes", "8"], None).await;
        assert_eq!(out.stdout, "start\noo", "{}: {}", label(k), out.stderr);
        // RFC 3339 with nine fraction digits, as the kubelet writes it.
        let out = kubectl(
            k,
            &c,
            &["logs", "logger", "--timestamps", "--tail", "2"],
            None,
        )
        .await;
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{}: {}", label(k), out.stdout);
        for (line, want) in lines.iter().zip(["line 4", "line 5"]) {
            let (stamp, text) = line.split_once(' ').expect("a timestamp, a space");
            assert_eq!(text, want);
            assert_eq!(stamp.len(), 30, "{stamp}");
            assert!(
                stamp.ends_with('Z') && stamp.as_bytes()[19] == b'.',
                "{stamp}"
            );
        }
        let out = kubectl(k, &c, &["logs", "logger", "--since", "1h"], None).await;
        assert_eq!(out.stdout, all, "{}: {}", label(k), out.stderr);
        let later = "2099-01-01T00:00:00Z";
        let out = kubectl(k, &c, &["logs", "logger", "--since-time", later], None).await;
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, ""),
            "{}: {}",
            label(k),
            out.stderr
        );
        // Containers chosen as for exec: the annotation, else the first with a note.
        let out = kubectl(k, &c, &["logs", "multi"], None).await;
        assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{}", label(k));
        let out = kubectl(k, &c, &["logs", "pair"], None).await;
        assert_eq!(out.code, 0, "{}: {}", label(k), out.stderr);
        assert!(
            out.stderr
                .contains("Defaulted container \"one\" out of: one, two"),
            "{}: {}",
            label(k),
            out.stderr
        );
        let out = kubectl(
            k,
            &c,
            &["logs", "pair", "--all-containers", "--prefix"],
            None,
        )
        .await;
        assert_eq!(out.code, 0, "{}: {}", label(k), out.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_errors_in_the_api_servers_words() {
    let c = cluster::demo().await;
    c.apply_pod(script_pod("logger", "echo hi; exec sleep 300"));
    let mut pending = script_pod("pending", "true");
    pending.phase = testcluster::Phase::Pending;
    c.apply_pod(pending);
    for k in kubectls() {
        let k = &k;
        let cases: [(&[&str], &str); 4] = [
            (
                &["logs", "logger", "-p"],
                r#"Error from server (BadRequest): previous terminated container "main" in pod "logger" not found"#,
            ),
            (
                &["logs", "logger", "-c", "nope"],
                "container nope is not valid for pod logger",
            ),
            (
                &["logs", "pending"],
                r#"Error from server (BadRequest): container "main" in pod "pending" is waiting to start: ContainerCreating"#,
            ),
            (&["logs", "nope"], r#"pods "nope" not found"#),
        ];
        for (args, want) in cases {
            let out = kubectl(k, &c, args, None).await;
            assert_eq!(out.code, 1, "{}: {args:?}: {}", label(k), out.stderr);
            assert!(
                out.stderr.contains(want),
                "{}: {args:?}: {}",
                label(k),
                out.stderr
            );
        }
        let out = kubectl(k, &c, &["--context", "viewer", "logs", "logger"], None).await;
        assert!(
            out.stderr
                .contains(r#"User "viewer" cannot get resource "pods/log""#),
            "{}: {}",
            label(k),
            out.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_previous_and_follow_across_restarts() {
    let c = cluster::demo().await;
    for (n, k) in kubectls().iter().enumerate() {
        // Exits twice, then stays: the previous container said "run 2", this one "run 3".
        let crasher = format!("crasher{n}");
        c.apply_pod(script_pod(
            &crasher,
            "n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; \
             echo run $n; if [ $n -ge 3 ]; then exec sleep 300; fi; exit 3",
        ));
        kubectl_until(k, &c, &["logs", &crasher], |s| s == "run 3\n").await;
        let out = kubectl(k, &c, &["logs", &crasher, "--previous"], None).await;
        assert_eq!(out.stdout, "run 2\n", "{}: {}", label(k), out.stderr);
        let out = kubectl(
            k,
            &c,
            &[
                "get",
                "pod",
                &crasher,
                "-o",
                "jsonpath={.status.containerStatuses[0].restartCount}",
            ],
            None,
        )
        .await;
        assert_eq!(out.stdout, "2", "{}: {}", label(k), out.stderr);

        // A follow ends when its container does: each run prints three ticks and exits.
        c.apply_pod(script_pod(
            "ticker",
            "for i in 1 2 3; do echo tick $i; sleep 0.2; done; exit 0",
        ));
        let out = kubectl(k, &c, &["logs", "-f", "ticker"], None).await;
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, "tick 1\ntick 2\ntick 3\n"),
            "{}: {}",
            label(k),
            out.stderr
        );

        // A follow sees lines written after it started, up to --limit-bytes.
        c.apply_pod(script_pod(
            "slow",
            "for i in 1 2 3 4 5 6 7 8 9; do echo tick $i; sleep 0.3; done; exec sleep 300",
        ));
        let out = kubectl(k, &c, &["logs", "-f", "slow", "--limit-bytes", "63"], None).await;
        let want: String = (1..=9).map(|i| format!("tick {i}\n")).collect();
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, want.as_str()),
            "{}: {}",
            label(k),
            out.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_a_pods_life() {
    let c = cluster::demo().await;
    c.apply_pod(script_pod("evented", "echo hi; exec sleep 300"));
    for k in kubectls() {
        let k = &k;
        let sel = "involvedObject.name=evented";
        let out = kubectl_until(k, &c, &["get", "events", "--field-selector", sel], |s| {
            s.contains("Started")
        })
        .await;
        let header = out.lines().next().unwrap_or("");
        for col in ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"] {
            assert!(header.contains(col), "{}: {header:?}", label(k));
        }
        for want in [
            "Successfully assigned demo/evented to testnode",
            "Created container: main",
            "Started container main",
            "pod/evented",
        ] {
            assert!(out.contains(want), "{}: {want} missing in\n{out}", label(k));
        }
        assert!(
            !out.contains("pod/shell"),
            "{}: selector ignored\n{out}",
            label(k)
        );

        let out = kubectl(k, &c, &["events", "--for", "pod/evented"], None).await;
        assert_eq!(out.code, 0, "{}: {}", label(k), out.stderr);
        assert!(
            out.stdout.contains("Scheduled"),
            "{}: {}",
            label(k),
            out.stdout
        );
        assert!(
            out.stdout.contains("Pod/evented"),
            "{}: {}",
            label(k),
            out.stdout
        );

        // `describe pod` reads the pod's events from core/v1 too (both kubectls; neither asks
        // for events.k8s.io/v1, which testcluster does not serve).
        let out = kubectl(k, &c, &["describe", "pod", "evented"], None).await;
        assert_eq!(out.code, 0, "{}: {}", label(k), out.stderr);
        let events = out.stdout.split("\nEvents:").nth(1).unwrap_or("");
        for want in [
            "default-scheduler",
            "Successfully assigned demo/evented to testnode",
            "Started container main",
        ] {
            assert!(
                events.contains(want),
                "{}: {want} missing in the Events of\n{}",
                label(k),
                out.stdout
            );
        }

        let out = kubectl(
            k,
            &c,
            &["get", "events", "-o", "json", "--field-selector", sel],
            None,
        )
        .await;
        let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
        let reasons: Vec<&str> = v["items"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["reason"].as_str()).collect())
            .unwrap_or_default();
        for r in ["Scheduled", "Pulled", "Created", "Started"] {
            assert!(reasons.contains(&r), "{}: {reasons:?}", label(k));
        }
        assert_eq!(v["items"][0]["involvedObject"]["kind"], "Pod");
        // Events are not in `kubectl get all`.
        let out = kubectl(k, &c, &["get", "all", "-o", "name"], None).await;
        assert!(
            !out.stdout.lines().any(|l| l.starts_with("event")),
            "{}: {}",
            label(k),
            out.stdout
        );
    }
    assert!(c.delete_pod("demo", "evented"));
    for k in kubectls() {
        let out = kubectl(
            &k,
            &c,
            &[
                "get",
                "events",
                "--field-selector",
                "involvedObject.name=evented,reason=Killing",
            ],
            None,
        )
        .await;
        assert!(
            out.stdout.contains("Stopping container main"),
            "{}: {}{}",
            label(&k),
            out.stdout,
            out.stderr
        );
    }
}

/// The real `kubectl cp` against testcluster, both ways: exec with stdin closed at the end of
/// the tar stream (`tar -xmf -`), `test -d` answering by exit code, `tar cf -` read to the end,
/// and `--retries` through `sh -c "tar cf - … | tail -c+N"`. (A missing path is left out: kubectl
/// reports it from a goroutine that races its own exit, and under load prints nothing.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cp_both_ways() {
    let c = cluster::demo().await;
    let work = tempfile::tempdir().expect("tmp");
    let src = work.path().join("src");
    std::fs::create_dir_all(src.join("sub")).expect("mkdir");
    std::fs::write(src.join("a.txt"), b"alpha\n").expect("write");
    let blob: Vec<u8> = (0..2_000_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(src.join("sub/blob.bin"), &blob).expect("write");
    let p = |x: &Path| x.to_string_lossy().into_owned();
    for (i, k) in kubectls().iter().enumerate() {
        let up = work.path().join(format!("up{i}"));
        let out = kubectl(
            k,
            &c,
            &["cp", &p(&src), &format!("demo/shell:{}", p(&up))],
            None,
        )
        .await;
        assert_eq!(out.code, 0, "{}: {}", label(k), out.stderr);
        assert_eq!(std::fs::read(up.join("sub/blob.bin")).expect("up"), blob);
        // Into an existing directory: under the source's name (`test -d` said yes).
        let out = kubectl(
            k,
            &c,
            &[
                "cp",
                &p(&src.join("a.txt")),
                &format!("demo/shell:{}", p(&up)),
            ],
            None,
        )
        .await;
        assert_eq!(out.code, 0, "{}: {}", label(k), out.stderr);
        assert_eq!(std::fs::read(up.join("a.txt")).expect("a"), b"alpha\n");
        for retries in ["0", "2"] {
            let down = work.path().join(format!("down{i}-{retries}"));
            let out = kubectl(
                k,
                &c,
                &[
                    "cp",
                    "--retries",
                    retries,
                    &format!("demo/shell:{}", p(&up)),
                    &p(&down),
                ],
                None,
            )
            .await;
            assert_eq!(out.code, 0, "{}: {}", label(k), out.stderr);
            assert_eq!(
                std::fs::read(down.join("sub/blob.bin")).expect("down"),
                blob
            );
            assert_eq!(std::fs::read(down.join("a.txt")).expect("down"), b"alpha\n");
        }
    }
}

/// A created pod's `restartPolicy`: `Never` ends a container for good whatever its exit, and
/// `OnFailure` after a 0; the pod is then Failed or Succeeded, as kubectl shows it, its log
/// kept, and nothing can be exec'd into it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_policies_end_a_created_pods_containers() {
    let c = cluster::demo().await;
    for (i, k) in kubectls().iter().enumerate() {
        let pod = |name: &str, policy: &str, script: &str| {
            serde_json::json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": { "name": name, "namespace": "demo" },
                "spec": {
                    "restartPolicy": policy,
                    "containers": [{ "name": "job", "image": "busybox:1.36", "command": ["sh", "-c", script] }],
                },
            })
            .to_string()
            .into_bytes()
        };
        let (never, on_failure) = (format!("once-{i}"), format!("until-ok-{i}"));
        for (name, policy, script) in [
            (never.as_str(), "Never", "echo done; exit 3"),
            (on_failure.as_str(), "OnFailure", "echo fine"),
        ] {
            let made = kubectl(
                k,
                &c,
                &["create", "--validate=false", "-f", "-"],
                Some(pod(name, policy, script)),
            )
            .await;
            assert_eq!(made.code, 0, "{}: {}", label(k), made.stderr);
        }
        let phase = |name: &str| {
            ["get", "pod", name, "-n", "demo", "-o", "jsonpath={.status.phase} {.status.containerStatuses[0].state.terminated.exitCode} {.status.containerStatuses[0].restartCount}"].map(str::to_owned)
        };
        let args = phase(&never);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(
            kubectl_until(k, &c, &args, |s| s.starts_with("Failed")).await,
            "Failed 3 0"
        );
        let args = phase(&on_failure);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(
            kubectl_until(k, &c, &args, |s| s.starts_with("Succeeded")).await,
            "Succeeded 0 0"
        );
        let out = kubectl(
            k,
            &c,
            &["get", "pod", &never, "-n", "demo", "--no-headers"],
            None,
        )
        .await;
        let cells: Vec<&str> = out.stdout.split_whitespace().collect();
        assert_eq!(
            cells.get(1..3),
            Some(&["0/1", "Error"][..]),
            "{}: {}",
            label(k),
            out.stdout
        );
        let out = kubectl(k, &c, &["logs", &never, "-n", "demo"], None).await;
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, "done\n"),
            "{}: {}",
            label(k),
            out.stderr
        );
        let out = kubectl(k, &c, &["exec", &never, "-n", "demo", "--", "true"], None).await;
        assert_eq!(out.code, 1, "{}", label(k));
        assert!(
            out.stderr.contains(
                "cannot exec into a container in a completed pod; current phase is Failed"
            ),
            "{}: {}",
            label(k),
            out.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_containers_processes_end_with_it() {
    // As a kubelet's runtime does: when a container's main process ends, what `exec` started in
    // it is killed (kubectl: exit code 137), and once the pod has finished, its ephemeral
    // containers are killed too.
    let c = cluster::demo().await;
    for (i, k) in kubectls().iter().enumerate() {
        let name = format!("ends-{i}");
        let pod = serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": { "name": name, "namespace": "demo" },
            "spec": {
                "restartPolicy": "Never",
                "containers": [{ "name": "main", "image": "busybox:1.36", "command": ["sh", "-c", "while [ ! -e stop ]; do sleep 0.1; done"] }],
            },
        });
        let made = kubectl(
            k,
            &c,
            &["create", "--validate=false", "-f", "-"],
            Some(pod.to_string().into_bytes()),
        )
        .await;
        assert_eq!(made.code, 0, "{}: {}", label(k), made.stderr);
        let phase = [
            "get",
            "pod",
            &name,
            "-n",
            "demo",
            "-o",
            "jsonpath={.status.phase}",
        ];
        kubectl_until(k, &c, &phase, |s| s == "Running").await;
        let debug = kubectl(
            k,
            &c,
            &[
                "debug",
                &name,
                "-n",
                "demo",
                "--image=busybox:1.36",
                "-c",
                "dbg",
                "--",
                "sleep",
                "600",
            ],
            None,
        )
        .await;
        assert_eq!(debug.code, 0, "{}: {}", label(k), debug.stderr);
        let ephemeral = [
            "get",
            "pod",
            &name,
            "-n",
            "demo",
            "-o",
            "jsonpath={.status.ephemeralContainerStatuses[0].state}",
        ];
        kubectl_until(k, &c, &ephemeral, |s| s.contains("running")).await;
        let args = [
            "exec",
            &name,
            "-n",
            "demo",
            "--",
            "sh",
            "-c",
            "touch up; sleep 600",
        ];
        let session = kubectl(k, &c, &args, None);
        let stopper = async {
            let ls = ["exec", &name, "-n", "demo", "--", "ls"];
            kubectl_until(k, &c, &ls, |s| s.lines().any(|l| l == "up")).await;
            let out = kubectl(
                k,
                &c,
                &["exec", &name, "-n", "demo", "--", "touch", "stop"],
                None,
            )
            .await;
            assert_eq!(out.code, 0, "{}: {}", label(k), out.stderr);
        };
        let (out, ()) = tokio::join!(session, stopper);
        assert_eq!(out.code, 137, "{}: {}", label(k), out.stderr);
        assert!(
            out.stderr.contains("command terminated with exit code 137"),
            "{}: {}",
            label(k),
            out.stderr
        );
        kubectl_until(k, &c, &phase, |s| s == "Succeeded").await;
        let ended = [
            "get",
            "pod",
            &name,
            "-n",
            "demo",
            "-o",
            "jsonpath={.status.ephemeralContainerStatuses[0].state.terminated.exitCode}",
        ];
        assert_eq!(kubectl_until(k, &c, &ended, |s| !s.is_empty()).await, "137");
    }
}

/// Bytes that are not all alike (a run of one byte would hide a reordering).
fn varied(n: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_forward_carries_connections_and_says_why_it_cannot() {
    // kubectl port-forward (SPDY tunnelled through a WebSocket) against testcluster's
    // `pods/portforward`: connections both ways at once, the node's words for a port nothing
    // listens on, a pod that is not running, RBAC, and the pod going away.
    use podterm_test_support::portforward::{echo, echo_pod, free_port, Forward};
    let c = cluster::demo().await;
    for (i, k) in kubectls().iter().enumerate() {
        let name = format!("pf-{i}");
        let port = free_port();
        let pod = echo_pod("demo", &name, port, serde_json::json!({}));
        let made = kubectl(
            k,
            &c,
            &["create", "--validate=false", "-f", "-"],
            Some(pod.into_bytes()),
        )
        .await;
        assert_eq!(made.code, 0, "{}: {}", label(k), made.stderr);
        podterm_test_support::portforward::listening(port, true).await;
        let home = tempfile::tempdir().expect("home");
        let target = format!("pod/{name}");
        let spec = format!(":{port}");
        let args = ["port-forward", "-n", "demo", target.as_str(), spec.as_str()];
        let mut f = Forward::start(k, c.kubeconfig(), home.path(), &args).await;
        let ipv6 = format!("Forwarding from [::1]:{} -> {port}", f.local);
        f.wait_stdout(&ipv6, Duration::from_secs(10)).await;
        // Two connections at once, each 4 MiB both ways at the same time.
        let (one, two) = (varied(4 << 20), varied(3 << 20));
        let ((g1, b1), (g2, b2)) = tokio::join!(echo(f.local, &one), echo(f.local, &two));
        let hello = format!("hello from {name}");
        assert_eq!((g1.as_str(), g2.as_str()), (hello.as_str(), hello.as_str()));
        assert!(b1 == one && b2 == two, "{}: the echo differs", label(k));
        let handled = format!("Handling connection for {}", f.local);
        assert_eq!(
            f.stdout_text().matches(&handled).count(),
            2,
            "{}",
            f.stdout_text()
        );
        assert_eq!(f.interrupt().await, Some(0), "{}", f.stderr_text());

        // Nothing listens on the port: the node's words, and kubectl ends the forward.
        let silent = free_port();
        let spec = format!(":{silent}");
        let args = ["port-forward", "-n", "demo", target.as_str(), spec.as_str()];
        let mut f = Forward::start(k, c.kubeconfig(), home.path(), &args).await;
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", f.local))
            .await
            .expect("connect");
        let mut rest = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut s, &mut rest).await;
        assert!(rest.is_empty());
        assert_eq!(f.ended(Duration::from_secs(30)).await, Some(1));
        let err = f.stderr_text();
        let words = format!("error forwarding port {silent} to pod {name}, uid ");
        assert!(err.contains(&words), "{}: {err}", label(k));
        assert!(
            err.contains(&format!(
                "dial tcp4 127.0.0.1:{silent}: connect: connection refused"
            )),
            "{}: {err}",
            label(k)
        );
        assert!(
            err.ends_with("error: lost connection to pod\n"),
            "{}: {err}",
            label(k)
        );

        // RBAC: the viewer may get pods, not create pods/portforward.
        let out = kubectl(
            k,
            &c,
            &[
                "--context",
                "viewer",
                "port-forward",
                "-n",
                "demo",
                &name,
                "1:80",
            ],
            None,
        )
        .await;
        assert_eq!(out.code, 1);
        // (1.37 says `unable to upgrade connection: ` between the two.)
        assert!(
            out.stderr.starts_with("error: error upgrading connection: ")
                && out.stderr.contains(&format!("pods \"{name}\" is forbidden: User \"viewer\" cannot create resource \"pods/portforward\" in API group \"\" in the namespace \"demo\"")),
            "{}: {}",
            label(k),
            out.stderr
        );

        // The same question asked first (`kubectl auth can-i`, a self access review, JSON or
        // protobuf): yes for the admin, no for the viewer.
        let can = ["auth", "can-i", "create", "pods/portforward", "-n", "demo"];
        let yes = kubectl(k, &c, &can, None).await;
        assert_eq!(
            (yes.code, yes.stdout.as_str()),
            (0, "yes\n"),
            "{}: {}",
            label(k),
            yes.stderr
        );
        let mut as_viewer = vec!["--context", "viewer"];
        as_viewer.extend(can);
        let no = kubectl(k, &c, &as_viewer, None).await;
        assert_eq!(
            (no.code, no.stdout.as_str()),
            (1, "no\n"),
            "{}: {}",
            label(k),
            no.stderr
        );
        let get = [
            "--context",
            "viewer",
            "auth",
            "can-i",
            "get",
            "pods",
            "-n",
            "demo",
        ];
        assert_eq!(
            kubectl(k, &c, &get, None).await.stdout,
            "yes\n",
            "{}",
            label(k)
        );

        // The pod goes: kubectl's forward ends.
        let spec = format!(":{port}");
        let args = ["port-forward", "-n", "demo", target.as_str(), spec.as_str()];
        let mut f = Forward::start(k, c.kubeconfig(), home.path(), &args).await;
        let gone = kubectl(
            k,
            &c,
            &["delete", "pod", "-n", "demo", &name, "--wait=false"],
            None,
        )
        .await;
        assert_eq!(gone.code, 0, "{}", gone.stderr);
        assert_eq!(f.ended(Duration::from_secs(30)).await, Some(1));
        assert!(
            f.stderr_text().contains("error: lost connection to pod"),
            "{}: {}",
            label(k),
            f.stderr_text()
        );
    }
    // A pod that is not running: kubectl's own check, before any upgrade.
    let pending = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": "pf-pending", "namespace": "demo" },
        "spec": { "containers": [{ "name": "app", "image": "testcluster.local/never:1" }] },
    });
    let k = &kubectls()[0];
    let made = kubectl(
        k,
        &c,
        &["create", "--validate=false", "-f", "-"],
        Some(pending.to_string().into_bytes()),
    )
    .await;
    assert_eq!(made.code, 0, "{}", made.stderr);
    for k in kubectls() {
        let out = kubectl(
            &k,
            &c,
            &["port-forward", "-n", "demo", "pf-pending", "1:80"],
            None,
        )
        .await;
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (1, "error: unable to forward port because pod is not running. Current status=Pending\n"),
            "{}",
            label(&k)
        );
    }
}
