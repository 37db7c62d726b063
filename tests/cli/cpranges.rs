//! `podterm cp` of one large regular file as parallel byte ranges (issue 16, item 4;
//! `podterm_core::transfer::ranges`), against testcluster: both ways byte-identical, landing
//! with the mode and owner kubectl's own copy leaves; a range whose connection is dropped goes
//! on by itself and the file ends identical; a container whose `dd` cannot do byte offsets
//! gets today's one tar stream; Ctrl-C leaves no temporary file in the pod or here.

use podterm_core::transfer::ranges::{split, RANGES_FROM, STREAMS};
use podterm_test_support::cp::{image_with, ok, remote_in, run, s, until};
use podterm_test_support::files::{random_file, sha256};
use podterm_test_support::kubectl::kubectls;
use podterm_test_support::{bin, cluster};
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::Path;
use std::time::{Duration, SystemTime};
use testcluster::config::{ContainerSpec, PodSpec};

/// Above [`RANGES_FROM`], small enough for CI.
const MIB: usize = 96;

/// `.podterm-cp-*` entries in `dir`, with the bytes written into each (allocated blocks: a
/// file written at offsets is sparse until every range arrived).
fn parts(dir: &Path) -> Vec<(String, u64)> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(".podterm-cp-"))
                .filter_map(|e| {
                    let m = e.metadata().ok()?;
                    Some((
                        e.file_name().to_string_lossy().into_owned(),
                        m.blocks() * 512,
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn pod(name: &str, path: &Path) -> PodSpec {
    let mut spec: PodSpec = serde_yaml::from_str(&format!(
        "namespace: demo\nname: {name}\ncontainers:\n- name: main\n"
    ))
    .expect("pod yaml");
    let c: &mut ContainerSpec = &mut spec.containers[0];
    c.path = Some(s(path).to_string());
    spec
}

const RANGES_NOTE: &str = "byte ranges at once";

/// A 96 MiB file up and down as byte ranges: identical, and where kubectl's own copy of the same
/// file leaves its mode, owner and modification time (the copy's time, as `tar -xmf` leaves it,
/// not the source's), an upload as root with the local owner's numeric ids, a download made as
/// `os.Create` makes it, an existing local file keeping its mode.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_file_goes_both_ways_as_byte_ranges_landing_as_kubectls() {
    const { assert!((MIB as u64) << 20 >= RANGES_FROM) };
    let c = cluster::demo().await;
    let podterm = bin::podterm();
    let kubectl = kubectls().into_iter().next().expect("a kubectl");
    let work = tempfile::tempdir().expect("tmp");
    let src = work.path().join("src.bin");
    random_file(&src, MIB);
    let want = sha256(&src);
    std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o4751)).expect("chmod");
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    std::fs::File::options()
        .write(true)
        .open(&src)
        .and_then(|f| f.set_modified(old))
        .expect("mtime");
    // An owner tar keeps as root (numeric: the header has no names).
    std::os::unix::fs::chown(&src, Some(4321), Some(4322)).expect("chown");
    let pod_dir = work.path().join("pod");
    std::fs::create_dir_all(&pod_dir).expect("mkdir");

    let started = SystemTime::now();
    let up = ok(
        &podterm,
        &c,
        &[
            "cp",
            s(&src),
            &remote_in("shell", &pod_dir.join("ours.bin")),
        ],
    )
    .await;
    assert!(up.stderr.contains(RANGES_NOTE), "{}", up.stderr);
    assert!(
        up.stderr.contains(&format!("as {STREAMS} byte ranges")),
        "{}",
        up.stderr
    );
    ok(
        &kubectl,
        &c,
        &[
            "cp",
            s(&src),
            &remote_in("shell", &pod_dir.join("theirs.bin")),
        ],
    )
    .await;
    let ours = std::fs::metadata(pod_dir.join("ours.bin")).expect("ours");
    let theirs = std::fs::metadata(pod_dir.join("theirs.bin")).expect("theirs");
    assert_eq!(sha256(&pod_dir.join("ours.bin")), want, "upload");
    assert_eq!(
        (ours.mode() & 0o7777, ours.uid(), ours.gid()),
        (theirs.mode() & 0o7777, theirs.uid(), theirs.gid()),
        "mode and owner as kubectl's tar leaves them"
    );
    assert_eq!((ours.uid(), ours.gid()), (4321, 4322));
    let mtime = ours.modified().expect("mtime");
    assert!(
        mtime >= started - Duration::from_secs(2),
        "the copy's time, as tar -m leaves it: {mtime:?}"
    );
    assert!(theirs.modified().expect("mtime") >= started - Duration::from_secs(2));
    assert!(parts(&pod_dir).is_empty(), "{:?}", parts(&pod_dir));

    // Down: a new file as kubectl makes it; an existing one keeps its mode.
    let here = work.path().join("here");
    std::fs::create_dir_all(&here).expect("mkdir");
    let down = ok(
        &podterm,
        &c,
        &[
            "cp",
            &remote_in("shell", &pod_dir.join("ours.bin")),
            s(&here.join("ours.bin")),
        ],
    )
    .await;
    assert!(down.stderr.contains(RANGES_NOTE), "{}", down.stderr);
    ok(
        &kubectl,
        &c,
        &[
            "cp",
            &remote_in("shell", &pod_dir.join("ours.bin")),
            s(&here.join("theirs.bin")),
        ],
    )
    .await;
    assert_eq!(sha256(&here.join("ours.bin")), want, "download");
    let mode = |p: &Path| std::fs::metadata(p).expect("stat").mode() & 0o7777;
    assert_eq!(mode(&here.join("ours.bin")), mode(&here.join("theirs.bin")));
    std::fs::set_permissions(
        here.join("ours.bin"),
        std::fs::Permissions::from_mode(0o600),
    )
    .expect("chmod");
    ok(
        &podterm,
        &c,
        &["cp", &remote_in("shell", &src), s(&here.join("ours.bin"))],
    )
    .await;
    assert_eq!(sha256(&here.join("ours.bin")), want, "download over a file");
    assert_eq!(
        mode(&here.join("ours.bin")),
        0o600,
        "os.Create keeps the mode"
    );
    assert!(parts(&here).is_empty(), "{:?}", parts(&here));
}

/// Every connection dropped mid-way: each range goes on by itself (a download from the byte it
/// reached, at least one of them past its range's start; an upload from its range's start) and
/// the file ends identical, nothing left under a temporary name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_range_goes_on_by_itself_and_the_file_ends_identical() {
    let c = cluster::demo().await;
    let podterm = bin::podterm();
    let work = tempfile::tempdir().expect("tmp");
    let src = work.path().join("big.bin");
    random_file(&src, MIB);
    let want = sha256(&src);
    let ranges = split((MIB as u64) << 20, STREAMS);

    for upload in [false, true] {
        let into = work.path().join(if upload { "pod" } else { "here" });
        std::fs::create_dir_all(&into).expect("mkdir");
        let to = into.join("big.bin");
        let (from, dest) = if upload {
            (s(&src).to_string(), remote_in("shell", &to))
        } else {
            (remote_in("shell", &src), s(&to).to_string())
        };
        let child = tokio::process::Command::new(&podterm)
            .args(["cp", "--retries", "3", &from, &dest])
            .env("KUBECONFIG", c.kubeconfig())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("podterm starts");
        until("8 MiB written", Duration::from_secs(120), || {
            parts(&into).iter().any(|(_, n)| *n > 8 << 20)
        })
        .await;
        c.drop_connections();
        let out = tokio::time::timeout(Duration::from_secs(300), child.wait_with_output())
            .await
            .expect("podterm ends")
            .expect("podterm output");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "upload {upload}: {stderr}");
        // "Resuming copy at N bytes, retry 1/3 (byte range I of 4 goes on from byte B)"
        let resumes: Vec<(u64, u64)> = stderr
            .lines()
            .filter(|l| l.starts_with("Resuming copy at "))
            .map(|l| {
                let num = |after: &str| -> u64 {
                    l.split(after)
                        .nth(1)
                        .and_then(|r| r.split(|ch: char| !ch.is_ascii_digit()).next())
                        .and_then(|n| n.parse().ok())
                        .unwrap_or_else(|| panic!("{after} in {l}"))
                };
                (num("byte range "), num("from byte "))
            })
            .collect();
        assert!(
            !resumes.is_empty(),
            "upload {upload}: no resume in {stderr}"
        );
        let start_of = |i: u64| ranges[i as usize - 1].0;
        for (i, from) in &resumes {
            let (start, len) = ranges[*i as usize - 1];
            assert!(
                (start..start + len).contains(from),
                "range {i} went on from {from}: {stderr}"
            );
            if upload {
                assert_eq!(*from, start, "an upload's range goes again from its start");
            }
        }
        if !upload {
            assert!(
                resumes.iter().any(|(i, from)| *from > start_of(*i)),
                "no range went on past its start: {stderr}"
            );
        }
        assert!(stderr.contains(RANGES_NOTE), "{stderr}");
        assert_eq!(sha256(&to), want, "upload {upload}");
        assert!(parts(&into).is_empty(), "{:?}", parts(&into));
    }
}

/// A container whose `dd` cannot read or write at byte offsets (an old busybox's; here a `dd`
/// that refuses every flag), and one without `dd`: the one tar stream, both ways, as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_without_byte_range_dd_gets_one_tar_stream() {
    let c = cluster::demo().await;
    let podterm = bin::podterm();
    let work = tempfile::tempdir().expect("tmp");
    let src = work.path().join("big.bin");
    random_file(&src, MIB);
    let want = sha256(&src);
    let tools = [
        "sh", "tar", "wc", "du", "chmod", "chown", "mv", "rm", "id", "cat",
    ];
    let old_dd = image_with(work.path(), "old-dd", &tools);
    testcluster::process::write_executable(
        &old_dd.join("dd"),
        "#!/bin/sh\necho \"dd: invalid option -- $1\" >&2\nexit 1\n",
    )
    .expect("dd");
    c.apply_pod(pod("old-dd", &old_dd));
    c.apply_pod(pod("no-dd", &image_with(work.path(), "no-dd", &tools)));
    for name in ["old-dd", "no-dd"] {
        let into = work.path().join(format!("{name}-pod"));
        std::fs::create_dir_all(&into).expect("mkdir");
        let up = ok(
            &podterm,
            &c,
            &["cp", s(&src), &remote_in(name, &into.join("up.bin"))],
        )
        .await;
        assert!(!up.stderr.contains(RANGES_NOTE), "{name}: {}", up.stderr);
        assert_eq!(sha256(&into.join("up.bin")), want, "{name} upload");
        // The probe's temporary file is gone with it.
        assert!(parts(&into).is_empty(), "{name}: {:?}", parts(&into));
        let here = work.path().join(format!("{name}-here"));
        std::fs::create_dir_all(&here).expect("mkdir");
        let down = ok(
            &podterm,
            &c,
            &[
                "cp",
                &remote_in(name, &into.join("up.bin")),
                s(&here.join("back.bin")),
            ],
        )
        .await;
        assert!(
            !down.stderr.contains(RANGES_NOTE),
            "{name}: {}",
            down.stderr
        );
        assert_eq!(sha256(&here.join("back.bin")), want, "{name} download");
    }
}

/// A container whose `dd` sends more than the range asked (a hostile image's, or a file that
/// changed): refused as a mismatch, never written over the next range, nothing landing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_longer_than_asked_is_refused_and_nothing_lands() {
    let c = cluster::demo().await;
    let podterm = bin::podterm();
    let work = tempfile::tempdir().expect("tmp");
    let src = work.path().join("big.bin");
    random_file(&src, MIB);
    let tools = [
        "sh", "tar", "wc", "du", "chmod", "chown", "mv", "rm", "id", "cat", "head",
    ];
    let long_dd = image_with(work.path(), "long-dd", &tools);
    testcluster::process::write_executable(
        &long_dd.join("dd"),
        // A range's read (`dd if=FILE …`) sends 4 KiB more; the probe's (from stdin) is kept.
        r#"#!/bin/sh
/bin/dd "$@" || exit
case "$1" in if=*) head -c 4096 /dev/zero ;; esac
"#,
    )
    .expect("dd");
    c.apply_pod(pod("long-dd", &long_dd));
    let here = work.path().join("here");
    std::fs::create_dir_all(&here).expect("mkdir");
    let out = run(
        &podterm,
        &c,
        &["cp", &remote_in("long-dd", &src), s(&here.join("back.bin"))],
    )
    .await;
    let stderr = out.stderr;
    assert_eq!(out.code, 1, "{stderr}");
    assert!(
        stderr.contains("where")
            && stderr.contains("were asked: the file in the container changed while it was copied"),
        "{stderr}"
    );
    assert!(
        std::fs::read_dir(&here).expect("here").next().is_none(),
        "{:?}",
        parts(&here)
    );
}

/// Ctrl-C during a large upload: exit 130, nothing under the final name and, once the pod's
/// commands have ended, no temporary file in the pod.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_a_large_upload_leaves_no_temporary_file_in_the_pod() {
    let c = cluster::demo().await;
    let podterm = bin::podterm();
    let work = tempfile::tempdir().expect("tmp");
    let src = work.path().join("big.bin");
    random_file(&src, 256);
    let into = work.path().join("pod");
    std::fs::create_dir_all(&into).expect("mkdir");
    let child = tokio::process::Command::new(&podterm)
        .args(["cp", s(&src), &remote_in("shell", &into.join("big.bin"))])
        .env("KUBECONFIG", c.kubeconfig())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("podterm starts");
    until(
        "a partial file in the pod",
        Duration::from_secs(120),
        || parts(&into).iter().any(|(_, n)| *n > 1 << 20),
    )
    .await;
    let pid = child.id().expect("pid") as i32;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGINT,
    )
    .expect("SIGINT");
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("podterm ends")
        .expect("output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("cancelled"), "{stderr}");
    until(
        "the pod's temporary file removed",
        Duration::from_secs(30),
        || std::fs::read_dir(&into).map(|d| d.count()).unwrap_or(1) == 0,
    )
    .await;
}
