//! What a UI needs around file transfers ([`crate::transfer`] moves the bytes): a container's
//! working directory (where a dropped file lands by default), a directory's entries (to complete
//! a path typed for a download) and a local file's sha256 (a finished transfer's check, on
//! request).
//!
//! Both pod-side calls are one short exec each: `sh -c 'pwd'`, and `ls -1 -p -A` of the
//! directory (POSIX `ls` in busybox and coreutils alike: directories end with `/`). The
//! listing needs `ls` in the image, the working directory `sh`; without them the UI offers no
//! completion and the path is typed whole.
//!
//! A debug tab (a container without a shell, opened through our debug container beside it)
//! asks that debug container instead, when one of ours with the tab's image runs ([`working_dir_via`],
//! [`list_dir_via`]; none is ever added just to ask): its shell sees the target's processes,
//! and through them the target's working directory (`/proc/PID/cwd`) and files
//! (`/proc/PID/root/PATH`), PID found as a copy through it finds it
//! ([`crate::transfer::single`]). What comes back names the target's paths only: the
//! `/proc/PID/...` prefix is never shown.

use crate::cluster::{within, ApiError};
use crate::debug::{self, DebugSpec};
use crate::exec::{ExecError, ExecSpec, Session, Tuning};
use crate::protocol::Outcome;
use crate::text;
use crate::transfer::Target;
use k8s_openapi::api::core::v1::Pod;
use std::path::Path;

/// At most this many entries of a directory are listed (a path field's completion).
pub const MAX_ENTRIES: usize = 1000;

/// The most of a command's output kept (names past it are not listed).
const KEEP: usize = 256 * 1024;

/// Why a listing or a working directory could not be had.
#[derive(Debug, thiserror::Error)]
pub enum PodFsError {
    /// The exec session failed (connecting, the connection, the server's refusal).
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// The command ran and failed: its words (escaped, cut).
    #[error("{command} in container \"{container}\" failed{}", words(.stderr))]
    Failed {
        command: &'static str,
        container: String,
        stderr: String,
    },
    /// The image has no such program to ask with (a container without a shell, or without
    /// `ls`): the path is typed whole.
    #[error("container \"{container}\" has no {command} to ask with: type the path whole")]
    Missing {
        command: &'static str,
        container: String,
    },
    /// The debug container beside the target cannot see the target's processes, so not its
    /// working directory or files either.
    #[error("the debug container beside container \"{container}\" of pod \"{pod}\" cannot see its processes, so not its files either: the cluster's runtime does not share the target's process namespace")]
    TargetUnseen { pod: String, container: String },
    /// The pod could not be read (to find the debug container beside the target).
    #[error(transparent)]
    Api(#[from] ApiError),
}

fn words(stderr: &str) -> String {
    if stderr.is_empty() {
        String::new()
    } else {
        format!(": {stderr}")
    }
}

impl PodFsError {
    /// The API server refused the credentials (401).
    pub fn credentials_refused(&self) -> bool {
        match self {
            PodFsError::Exec(e) => e.credentials_refused(),
            PodFsError::Api(e) => e.credentials_refused(),
            _ => false,
        }
    }
}

/// Runs `command` in the target, without stdin; its stdout, or why it failed.
async fn run(
    client: &kube::Client,
    t: &Target,
    what: &'static str,
    command: Vec<String>,
    tuning: Tuning,
) -> Result<String, PodFsError> {
    let program = command.first().map(String::as_str).unwrap_or_default();
    let missing: &'static str = if program == "sh" { "sh" } else { what };
    let (outcome, stdout, stderr) = run_raw(client, t, command, tuning).await?;
    match outcome {
        Outcome::Success => Ok(stdout),
        // The program did not start: the image has none (never judged by the words).
        Outcome::Failure { .. } | Outcome::Exit(126 | 127) => Err(PodFsError::Missing {
            command: missing,
            container: text::shown(&t.container),
        }),
        _ => Err(PodFsError::Failed {
            command: what,
            container: text::shown(&t.container),
            stderr: text::shown(stderr.trim_end()),
        }),
    }
}

/// Runs `command` in the target, without stdin: its outcome, stdout and stderr (each kept up to
/// [`KEEP`] bytes).
async fn run_raw(
    client: &kube::Client,
    t: &Target,
    command: Vec<String>,
    tuning: Tuning,
) -> Result<(Outcome, String, String), PodFsError> {
    let spec = ExecSpec {
        namespace: t.namespace.clone(),
        pod: t.pod.clone(),
        container: t.container.clone(),
        command,
        stdin: false,
        stdout: true,
        stderr: true,
        tty: false,
        size: None,
        attach: false,
    };
    let parts = Session::start(client, &spec, tuning).await?.into_parts();
    let (mut out, mut err) = (parts.stdout, parts.stderr);
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let (mut out_open, mut err_open) = (true, true);
    while out_open || err_open {
        tokio::select! {
            c = out.recv(), if out_open => match c {
                Some(c) => keep(&mut stdout, &c),
                None => out_open = false,
            },
            c = err.recv(), if err_open => match c {
                Some(c) => keep(&mut stderr, &c),
                None => err_open = false,
            },
        }
    }
    let outcome = parts.end.wait().await?;
    Ok((
        outcome,
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    ))
}

/// Whether `dir` is a directory in the container (`sh -c 'test -d "$1"'`); `None` when the
/// image cannot say (no `sh`). An upload of several files checks its destination first: into a
/// path that is not a directory, each file would land *as* that path, the last one winning.
pub async fn is_dir(
    client: &kube::Client,
    t: &Target,
    dir: &str,
    tuning: Tuning,
) -> Result<Option<bool>, PodFsError> {
    let command = ["sh", "-c", "test -d \"$1\"", "sh", dir]
        .map(String::from)
        .to_vec();
    let (outcome, _, _) = run_raw(client, t, command, tuning).await?;
    Ok(match outcome {
        Outcome::Success => Some(true),
        Outcome::Exit(1) => Some(false),
        _ => None,
    })
}

fn keep(into: &mut Vec<u8>, c: &[u8]) {
    let room = KEEP.saturating_sub(into.len());
    into.extend_from_slice(&c[..room.min(c.len())]);
}

/// The container's working directory (its image's `WORKDIR`, else `/`), escaped.
pub async fn working_dir(
    client: &kube::Client,
    t: &Target,
    tuning: Tuning,
) -> Result<String, PodFsError> {
    let out = run(
        client,
        t,
        "pwd",
        vec!["sh".into(), "-c".into(), "pwd".into()],
        tuning,
    )
    .await?;
    Ok(absolute(&out))
}

/// The first line of `out` when it is an absolute path (escaped), else `/`.
fn absolute(out: &str) -> String {
    let dir = out.lines().next().unwrap_or("").trim();
    if dir.starts_with('/') {
        text::shown(dir)
    } else {
        "/".into()
    }
}

/// The entries of directory `dir` in the container, sorted, `.` and `..` left out, each
/// directory with a trailing `/`; at most [`MAX_ENTRIES`]. Names that cannot be shown as they
/// are (control characters, newlines) are left out: they could not be typed back.
pub async fn list_dir(
    client: &kube::Client,
    t: &Target,
    dir: &str,
    tuning: Tuning,
) -> Result<Vec<String>, PodFsError> {
    let out = run(
        client,
        t,
        "ls",
        vec![
            "ls".into(),
            "-1".into(),
            "-p".into(),
            "-A".into(),
            "--".into(),
            dir.into(),
        ],
        tuning,
    )
    .await?;
    Ok(entries(&out))
}

/// `ls -1 -p -A`'s output as entries (see [`list_dir`]).
fn entries(out: &str) -> Vec<String> {
    let mut names: Vec<String> = out
        .lines()
        .filter(|l| !l.is_empty() && *l != "./" && *l != "../")
        .filter(|l| text::shown(l) == *l)
        .map(String::from)
        .collect();
    names.sort();
    names.truncate(MAX_ENTRIES);
    names
}

/// The script's exit code when the debug container sees none of the target's processes.
const UNSEEN: i32 = 3;

/// Our running debug container beside `t`'s container with `image` (a debug tab's own), as a
/// target to exec in; `None` when none runs. Reads the pod; adds nothing.
async fn running_debug(
    client: &kube::Client,
    t: &Target,
    image: &str,
    tuning: Tuning,
) -> Result<Option<Target>, PodFsError> {
    let pods: kube::Api<Pod> = kube::Api::namespaced(client.clone(), &t.namespace);
    let pod = within(tuning.request_timeout, async {
        pods.get(&t.pod).await.map_err(ApiError::from)
    })
    .await?;
    let spec = DebugSpec::shared_shell(image, &t.container);
    Ok(debug::find_reusable(&pod, &spec).map(|name| Target {
        namespace: t.namespace.clone(),
        pod: t.pod.clone(),
        container: name,
    }))
}

/// Runs `script` (after [`TARGET_PID`](crate::transfer::single)'s function, with `pid` set
/// and printed on the first line) in debug container `at` beside `t`, with `arg` as `$1`: the
/// rest of its stdout. Its words name `t`'s container and the target's paths: the
/// `/proc/PID/root` and `/proc/PID/cwd/` prefixes are taken out.
async fn through_debug(
    client: &kube::Client,
    t: &Target,
    at: &Target,
    what: &'static str,
    script: &str,
    arg: &str,
    tuning: Tuning,
) -> Result<String, PodFsError> {
    let command = vec![
        "sh".into(),
        "-c".into(),
        format!(
            "{}\ntarget_pid || exit {UNSEEN}\necho \"$pid\"\n{script}",
            crate::transfer::single::TARGET_PID
        ),
        "sh".into(),
        arg.into(),
    ];
    let (outcome, stdout, stderr) = run_raw(client, at, command, tuning).await?;
    let (pid, rest) = stdout.split_once('\n').unwrap_or((stdout.as_str(), ""));
    let pid = pid.trim();
    let pid = (!pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit())).then_some(pid);
    match (outcome, pid) {
        (Outcome::Success, Some(_)) => Ok(rest.to_string()),
        (Outcome::Exit(UNSEEN), None) => Err(PodFsError::TargetUnseen {
            pod: text::shown(&t.pod),
            container: text::shown(&t.container),
        }),
        (Outcome::Failure { .. } | Outcome::Exit(126 | 127), None) => Err(PodFsError::Missing {
            command: "sh",
            container: text::shown(&at.container),
        }),
        (_, pid) => Err(PodFsError::Failed {
            command: what,
            container: text::shown(&t.container),
            stderr: text::shown(unprefixed(stderr.trim_end(), pid).trim_end()),
        }),
    }
}

/// `words` with the debug container's view of the target's paths (`/proc/PID/root`,
/// `/proc/PID/cwd/`) taken out, so that they name the target's own paths.
fn unprefixed(words: &str, pid: Option<&str>) -> String {
    match pid {
        Some(pid) => words
            .replace(&format!("/proc/{pid}/root"), "")
            .replace(&format!("/proc/{pid}/cwd/"), ""),
        None => words.to_string(),
    }
}

/// The target's path `dir` as the debug container's shell reaches it: `$d`.
const SEEN_DIR: &str = r#"case $1 in /*) d=/proc/$pid/root$1;; *) d=/proc/$pid/cwd/$1;; esac"#;

/// The working directory of `t`'s container, as [`working_dir`]; on a debug tab (`debug_image`:
/// its image) the target's, read by our debug container beside it (`/proc/PID/cwd`) when one
/// with that image runs (none is added just to ask), else asked of the container itself.
pub async fn working_dir_via(
    client: &kube::Client,
    t: &Target,
    debug_image: Option<&str>,
    tuning: Tuning,
) -> Result<String, PodFsError> {
    let Some(image) = debug_image else {
        return working_dir(client, t, tuning).await;
    };
    let Some(at) = running_debug(client, t, image, tuning).await? else {
        return working_dir(client, t, tuning).await;
    };
    let out = through_debug(
        client,
        t,
        &at,
        "readlink",
        r#"exec readlink "/proc/$pid/cwd""#,
        "",
        tuning,
    )
    .await?;
    Ok(absolute(&out))
}

/// The entries of directory `dir` of `t`'s container, as [`list_dir`]; on a debug tab
/// (`debug_image`: its image) listed by our debug container beside it under `/proc/PID/root`
/// when one with that image runs (none is added just to list), else by the container itself.
pub async fn list_dir_via(
    client: &kube::Client,
    t: &Target,
    dir: &str,
    debug_image: Option<&str>,
    tuning: Tuning,
) -> Result<Vec<String>, PodFsError> {
    let Some(image) = debug_image else {
        return list_dir(client, t, dir, tuning).await;
    };
    let Some(at) = running_debug(client, t, image, tuning).await? else {
        return list_dir(client, t, dir, tuning).await;
    };
    let script = format!(r#"{SEEN_DIR}; exec ls -1 -p -A -- "$d""#);
    let out = through_debug(client, t, &at, "ls", &script, dir, tuning).await?;
    Ok(entries(&out))
}

/// The sha256 of a local file, in lowercase hex. Reads it in 1 MiB pieces: blocking, call it
/// off the async runtime.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_skip_dots_and_unshowable_names_and_sort() {
        let out = "b/\n./\n../\na\nbad\u{1b}]0;x\u{7}\nc d\n";
        assert_eq!(entries(out), vec!["a", "b/", "c d"]);
    }

    #[test]
    fn entries_are_capped() {
        let out: String = (0..MAX_ENTRIES + 50)
            .map(|i| format!("f{i:05}\n"))
            .collect();
        let e = entries(&out);
        assert_eq!(e.len(), MAX_ENTRIES);
        assert_eq!(e[0], "f00000");
    }

    #[test]
    fn a_debug_container_s_words_name_the_target_s_paths() {
        let words = "ls: cannot access '/proc/4242/root/srv/x': No such file or directory\nls: /proc/4242/cwd/rel: denied";
        assert_eq!(
            unprefixed(words, Some("4242")),
            "ls: cannot access '/srv/x': No such file or directory\nls: rel: denied"
        );
        // Another process's paths are not touched, nor anything without a PID known.
        assert_eq!(unprefixed("/proc/1/root/x", Some("4242")), "/proc/1/root/x");
        assert_eq!(unprefixed("/proc/4242/root/x", None), "/proc/4242/root/x");
        assert_eq!(absolute("/app\n"), "/app");
        assert_eq!(absolute("relative\n"), "/");
    }

    #[test]
    fn sha256_of_a_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("abc");
        std::fs::write(&p, b"abc").expect("write");
        assert_eq!(
            sha256_file(&p).expect("sha"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(sha256_file(&dir.path().join("missing")).is_err());
    }
}
