//! What a UI needs around file transfers ([`crate::transfer`] moves the bytes): a container's
//! working directory (where a dropped file lands by default), a directory's entries (to complete
//! a path typed for a download) and a local file's sha256 (a finished transfer's check, on
//! request).
//!
//! Both pod-side calls are one short exec each: `sh -c 'pwd'`, and `ls -1 -p -A` of the
//! directory (POSIX `ls` in busybox and coreutils alike: directories end with `/`). The
//! listing needs `sh` and `ls` in the image; without them the UI offers no completion and the
//! path is typed whole.

use crate::exec::{ExecError, ExecSpec, Session, Tuning};
use crate::protocol::Outcome;
use crate::text;
use crate::transfer::Target;
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
        matches!(self, PodFsError::Exec(e) if e.credentials_refused())
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
    let (outcome, stdout, stderr) = run_raw(client, t, command, tuning).await?;
    match outcome {
        Outcome::Success => Ok(stdout),
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
    let dir = out.lines().next().unwrap_or("").trim();
    Ok(if dir.starts_with('/') {
        text::shown(dir)
    } else {
        "/".into()
    })
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
