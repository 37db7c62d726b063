//! `podterm exec --record FILE`: the asciicast v2 file it writes plays in the real player
//! (`asciinema` 2.4 from PyPI, installed by `make deps` in `.venv`) exactly as the terminal got
//! it; input only when asked; an existing file kept; a full disk ends the recording, not the
//! session.

use podterm_test_support::pty::Pty;
use podterm_test_support::{bin, client, cluster, repo_root};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use testcluster::TestCluster;

fn asciinema() -> PathBuf {
    let p = repo_root().join(".venv/bin/asciinema");
    assert!(
        p.is_file(),
        "{} is missing: run `make deps` (it installs asciinema 2.4 from PyPI into .venv)",
        p.display()
    );
    p
}

/// What `asciinema cat FILE` prints: the recording's output, as the terminal got it.
fn asciinema_cat(file: &Path) -> Vec<u8> {
    let out = std::process::Command::new(asciinema())
        .arg("cat")
        .arg(file)
        .env("PYTHONIOENCODING", "utf-8")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("asciinema runs");
    assert!(
        out.status.success(),
        "asciinema cat failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn events(file: &Path) -> (serde_json::Value, Vec<serde_json::Value>) {
    let text = std::fs::read_to_string(file).expect("the recording");
    let mut lines = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON line"));
    let header = lines.next().expect("a header");
    (header, lines.collect())
}

fn env(c: &TestCluster, home: &Path) -> Vec<(String, Option<std::ffi::OsString>)> {
    vec![
        ("KUBECONFIG".into(), Some(c.kubeconfig().into())),
        ("HOME".into(), Some(home.into())),
        ("TERM".into(), Some("xterm-256color".into())),
    ]
}

async fn podterm(c: &TestCluster, args: &[&str], stdin: Option<Vec<u8>>) -> client::Output {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = tokio::process::Command::new(bin::podterm());
    cmd.args(args)
        .env("KUBECONFIG", c.kubeconfig())
        .env("HOME", home.path());
    client::run(cmd, stdin, Duration::from_secs(120)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_tty_session_plays_in_asciinema_as_the_terminal_got_it() {
    let c = cluster::demo().await;
    let home = tempfile::tempdir().expect("home");
    let file = home.path().join("session.cast");
    let file_arg = file.to_string_lossy().into_owned();
    let mut pty = Pty::spawn(
        &bin::podterm(),
        &["exec", "-it", "shell", "--record", &file_arg, "--", "sh"],
        &env(&c, home.path()),
    );
    // The first output (the prompt) comes after the terminal went raw: nothing typed from here
    // on is echoed locally, so every byte on the terminal is the session's.
    let deadline = Instant::now() + Duration::from_secs(20);
    while pty.text().is_empty() {
        assert!(Instant::now() < deadline, "no prompt");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Colours, and "é" (C3 A9) written in two parts a moment apart: two chunks, the character
    // split between them.
    pty.type_str("printf '\\033[1;31mred\\033[0m caf\\303'; sleep 0.3; printf '\\251 \\342\\202\\254 ok\\n'\r");
    pty.expect("café € ok");
    pty.resize(101, 33);
    pty.wait_for("33 101", Some("stty size\r"), Duration::from_millis(150));
    pty.type_str("exit\r");
    assert_eq!(pty.exit_code(), 0, "{}", pty.text());
    let seen = pty.all_output();

    let (header, evs) = events(&file);
    assert_eq!(header["version"], 2);
    assert_eq!(
        (header["width"].clone(), header["height"].clone()),
        (80.into(), 24.into())
    );
    assert!(header["timestamp"].as_i64().expect("timestamp") > 1_600_000_000);
    assert_eq!(header["env"]["TERM"], "xterm-256color");
    assert_eq!(header["env"]["SHELL"], "sh");
    assert!(
        evs.iter().any(|e| e[1] == "r" && e[2] == "101x33"),
        "a resize event: {evs:?}"
    );
    assert!(
        evs.iter().all(|e| e[1] != "i"),
        "no input unless --record-input: {evs:?}"
    );
    let times: Vec<f64> = evs.iter().map(|e| e[0].as_f64().expect("time")).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "times in order: {times:?}"
    );
    assert!(
        std::fs::read_to_string(&file)
            .expect("file")
            .contains("\\u001b[1;31mred"),
        "colours kept"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the recording is private");
    }
    let played = asciinema_cat(&file);
    assert_eq!(
        String::from_utf8_lossy(&played),
        seen,
        "asciinema cat reproduces the terminal's bytes"
    );
    assert!(
        seen.contains("\u{1b}[1;31mred\u{1b}[0m café € ok"),
        "{seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_is_recorded_only_with_record_input() {
    let c = cluster::demo().await;
    let dir = tempfile::tempdir().expect("dir");
    for (flag, want_input) in [(None, false), (Some("--record-input"), true)] {
        let file = dir.path().join(format!("{want_input}.cast"));
        let f = file.to_string_lossy().into_owned();
        let mut args = vec!["exec", "-i", "shell", "--record", &f];
        args.extend(flag);
        args.extend(["--", "sh", "-c", "read x; echo got"]);
        let out = podterm(&c, &args, Some(b"hunter2\n".to_vec())).await;
        assert_eq!(
            (out.code, out.stdout_text()),
            (0, "got\n".into()),
            "{}",
            out.stderr_text()
        );
        let (_, evs) = events(&file);
        let inputs: Vec<_> = evs.iter().filter(|e| e[1] == "i").collect();
        if want_input {
            assert_eq!(inputs.len(), 1, "{evs:?}");
            assert_eq!(inputs[0][2], "hunter2\n");
        } else {
            assert!(inputs.is_empty(), "{evs:?}");
            let text = std::fs::read_to_string(&file).expect("file");
            assert!(!text.contains("hunter2"), "{text}");
        }
        assert_eq!(asciinema_cat(&file), b"got\n");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_file_is_kept_and_a_full_disk_never_ends_the_session() {
    let c = cluster::demo().await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("taken.cast");
    std::fs::write(&file, "keep me").expect("write");
    let f = file.to_string_lossy().into_owned();
    let out = podterm(
        &c,
        &["exec", "shell", "--record", &f, "--", "echo", "hi"],
        None,
    )
    .await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr_text().contains("already exists"),
        "{}",
        out.stderr_text()
    );
    assert!(
        out.stderr_text().contains("--record-overwrite"),
        "{}",
        out.stderr_text()
    );
    assert_eq!(std::fs::read_to_string(&file).expect("file"), "keep me");
    let out = podterm(
        &c,
        &[
            "exec",
            "shell",
            "--record",
            &f,
            "--record-overwrite",
            "--",
            "echo",
            "hi",
        ],
        None,
    )
    .await;
    assert_eq!(
        (out.code, out.stdout_text()),
        (0, "hi\n".into()),
        "{}",
        out.stderr_text()
    );
    assert_eq!(asciinema_cat(&file), b"hi\n");

    // Linux's full device: every write fails with ENOSPC. The command runs and exits as it
    // would unrecorded; the recording's end is said once.
    assert!(Path::new("/dev/full").exists(), "this test needs /dev/full");
    let out = podterm(
        &c,
        &[
            "exec",
            "shell",
            "--record",
            "/dev/full",
            "--record-overwrite",
            "--",
            "sh",
            "-c",
            "echo hi; exit 3",
        ],
        None,
    )
    .await;
    assert_eq!(
        (out.code, out.stdout_text()),
        (3, "hi\n".into()),
        "{}",
        out.stderr_text()
    );
    let err = out.stderr_text();
    assert_eq!(err.matches("is full").count(), 1, "{err}");
    assert!(err.contains("the session goes on"), "{err}");
}
