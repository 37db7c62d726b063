//! The transfer commands' registry (`state::Transfers`, `podfs`) against the Demo cluster,
//! without a window: what a drop on a tab and the tab's Download… do, with the progress
//! listener replaced by a channel.
//!
//! testcluster's containers are local processes, each in a working directory of its own on
//! this machine: the test reads and writes that directory directly to set up a large file and
//! to check what an upload wrote.

use podterm_desktop_lib::demo::DEMO_NAME;
use podterm_desktop_lib::error::ErrorKind;
use podterm_desktop_lib::ipc::{TransferDirection, TransferInfo, TransferState, TransferTarget};
use podterm_desktop_lib::state::transfers::resolve_target;
use podterm_desktop_lib::state::{Config, Profiles, Transfers};
use podterm_test_support::files::{random_file, sha256};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

struct Fixture {
    profiles: Profiles,
    transfers: Transfers,
    updates: mpsc::UnboundedReceiver<TransferInfo>,
    _dir: tempfile::TempDir,
}

async fn app() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    #[allow(clippy::needless_update)]
    let config = Config {
        profiles_dir: Some(dir.path().to_path_buf()),
        ..Config::default()
    };
    let profiles = Profiles::new(tokio::runtime::Handle::current(), config);
    profiles.demo().await.expect("demo profile");
    let transfers = Transfers::new();
    let (tx, updates) = mpsc::unbounded_channel();
    transfers.listen(move |t| tx.send(t).is_ok());
    Fixture {
        profiles,
        transfers,
        updates,
        _dir: dir,
    }
}

fn shell() -> TransferTarget {
    TransferTarget {
        profile: DEMO_NAME.into(),
        namespace: "demo".into(),
        pod: "shell".into(),
        container: String::new(),
        debug_image: None,
    }
}

/// Once a running transfer has moved 8 MiB, every connection to the Demo cluster's API server
/// is cut.
async fn cut_after_8_mib(f: &mut Fixture) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let u = tokio::time::timeout(
            deadline.saturating_duration_since(Instant::now()),
            f.updates.recv(),
        )
        .await
        .expect("8 MiB within 120 s")
        .expect("listener");
        assert_eq!(
            u.state,
            TransferState::Running,
            "ended before the cut: {u:?}"
        );
        if u.bytes > 8 << 20 {
            break;
        }
    }
    f.profiles
        .with_demo_cluster(|c| c.drop_connections())
        .await
        .expect("the Demo cluster");
}

/// Waits for transfer `id` to end; its updates seen on the way (the last one final) are
/// returned. Updates of other transfers are passed over, and one of this transfer's that an
/// earlier wait passed over is found in the registry, which holds the final state before the
/// update goes out.
async fn until_final(f: &mut Fixture, id: u32, limit: Duration) -> Vec<TransferInfo> {
    let deadline = Instant::now() + limit;
    let mut seen = Vec::new();
    loop {
        if let Some(now) = f.transfers.get(id).filter(|t| t.state.is_final()) {
            seen.push(now);
            return seen;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let u = tokio::time::timeout(left, f.updates.recv())
            .await
            .unwrap_or_else(|_| panic!("transfer {id} did not end within {limit:?}: {seen:?}"))
            .expect("listener open");
        if u.id == id && !u.state.is_final() {
            seen.push(u);
        }
    }
}

/// A container's working directory, as the app prefills a drop's destination with it.
async fn working_dir(f: &Fixture) -> String {
    let (c, t) = resolve_target(&f.profiles, &shell())
        .await
        .expect("the shell pod");
    podterm_core::podfs::working_dir(&c.client, &t, podterm_core::exec::Tuning::with(c.liveness))
        .await
        .expect("working directory")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_file_goes_up_into_the_pod_and_comes_back_identical() {
    let mut f = app().await;
    let local = tempfile::tempdir().expect("tempdir");
    let src = local.path().join("data.bin");
    // 3 MiB that are not all alike, so a misplaced byte shows in the checksum.
    let data: Vec<u8> = (0..3 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&src, &data).expect("write");
    let pwd = working_dir(&f).await;
    assert!(pwd.starts_with('/'), "{pwd}");

    let up = f
        .transfers
        .upload(
            &f.profiles,
            shell(),
            vec![src.display().to_string()],
            pwd.clone(),
        )
        .expect("upload starts");
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].direction, TransferDirection::Upload);
    assert_eq!(up[0].name, "data.bin");
    let seen = until_final(&mut f, up[0].id, Duration::from_secs(120)).await;
    let done = seen.last().expect("final");
    assert_eq!(done.state, TransferState::Done, "{done:?}");
    assert!(done.bytes >= data.len() as u64, "{done:?}");
    // In the pod: the same bytes (the container's directory is on this machine).
    assert_eq!(
        sha256(&Path::new(&pwd).join("data.bin")),
        sha256(&src),
        "the uploaded file differs"
    );

    // Download…'s completion lists the directory: the file is there, directories end in `/`.
    let (c, t) = resolve_target(&f.profiles, &shell()).await.expect("target");
    std::fs::create_dir_all(Path::new(&pwd).join("sub")).expect("mkdir");
    let entries = podterm_core::podfs::list_dir(
        &c.client,
        &t,
        &pwd,
        podterm_core::exec::Tuning::with(c.liveness),
    )
    .await
    .expect("listing");
    assert!(entries.contains(&"data.bin".to_string()), "{entries:?}");
    assert!(entries.contains(&"sub/".to_string()), "{entries:?}");

    let back = tempfile::tempdir().expect("tempdir");
    let down = f
        .transfers
        .download(
            &f.profiles,
            shell(),
            format!("{pwd}/data.bin"),
            back.path().display().to_string(),
        )
        .expect("download starts");
    assert_eq!(down.direction, TransferDirection::Download);
    let seen = until_final(&mut f, down.id, Duration::from_secs(120)).await;
    let done = seen.last().expect("final");
    assert_eq!(done.state, TransferState::Done, "{done:?}");
    let got = back.path().join("data.bin");
    assert_eq!(done.local_path, got.display().to_string());
    assert_eq!(sha256(&got), sha256(&src), "the downloaded file differs");
    // The sha256 button: computed in the engine from each side's local file.
    let up_sum = f.transfers.sha256(up[0].id).await.expect("sha of upload");
    let down_sum = f.transfers.sha256(down.id).await.expect("sha of download");
    assert_eq!(up_sum, sha256(&src));
    assert_eq!(down_sum, up_sum);
    // Both listed, oldest first; clearing forgets them.
    let ids: Vec<u32> = f.transfers.list().iter().map(|t| t.id).collect();
    assert_eq!(ids, vec![up[0].id, down.id]);
    f.transfers.clear_finished();
    assert!(f.transfers.list().is_empty());
    // A second download to the same folder would overwrite: refused, nothing started.
    let again = f.transfers.download(
        &f.profiles,
        shell(),
        format!("{pwd}/data.bin"),
        back.path().display().to_string(),
    );
    assert_eq!(
        again.map(|_| ()).map_err(|e| e.kind()),
        Err(ErrorKind::InvalidInput)
    );
    assert!(f.transfers.list().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_download_leaves_no_file_under_its_final_name() {
    let mut f = app().await;
    let pwd = working_dir(&f).await;
    // 1 GiB (sparse here: tar still streams every byte of it).
    let big = Path::new(&pwd).join("big.img");
    std::fs::File::create(&big)
        .and_then(|file| file.set_len(1 << 30))
        .expect("big file");
    let into = tempfile::tempdir().expect("tempdir");
    let down = f
        .transfers
        .download(
            &f.profiles,
            shell(),
            big.display().to_string(),
            into.path().display().to_string(),
        )
        .expect("download starts");
    // Progress arrives (throttled) while it runs; cancel once bytes have moved.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut updates = 0u32;
    loop {
        let u = tokio::time::timeout(
            deadline.saturating_duration_since(Instant::now()),
            f.updates.recv(),
        )
        .await
        .expect("progress within 60 s")
        .expect("listener");
        assert_eq!(u.state, TransferState::Running, "{u:?}");
        updates += 1;
        if u.bytes > 0 {
            assert_eq!(u.total, 1 << 30, "the probe's size: {u:?}");
            break;
        }
    }
    assert!(updates >= 1);
    f.transfers.cancel(down.id).expect("cancel");
    let seen = until_final(&mut f, down.id, Duration::from_secs(60)).await;
    assert_eq!(seen.last().expect("final").state, TransferState::Cancelled);
    let dest = into.path().join("big.img");
    assert!(!dest.exists(), "a partial file under its final name");
    let left: Vec<_> = std::fs::read_dir(into.path())
        .expect("read dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "partial files left: {left:?}");
    // A cancelled transfer has nothing to check.
    assert!(f.transfers.sha256(down.id).await.is_err());
    std::fs::remove_file(&big).expect("rm");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_paths_are_refused_in_words() {
    let mut f = app().await;
    let kind = |r: Result<Vec<TransferInfo>, podterm_desktop_lib::error::Error>| {
        r.map(|_| ()).map_err(|e| e.kind())
    };
    // The webview's paths: relative, missing, or a destination that is not absolute.
    assert_eq!(
        kind(
            f.transfers
                .upload(&f.profiles, shell(), vec!["data.bin".into()], "/tmp".into())
        ),
        Err(ErrorKind::InvalidInput)
    );
    assert_eq!(
        kind(f.transfers.upload(
            &f.profiles,
            shell(),
            vec!["/no/such/file/here".into()],
            "/tmp".into()
        )),
        Err(ErrorKind::InvalidInput)
    );
    let local = tempfile::tempdir().expect("tempdir");
    let src = local.path().join("a.txt");
    std::fs::write(&src, b"a").expect("write");
    assert_eq!(
        kind(f.transfers.upload(
            &f.profiles,
            shell(),
            vec![src.display().to_string()],
            "tmp".into()
        )),
        Err(ErrorKind::InvalidInput)
    );
    assert!(f.transfers.list().is_empty(), "nothing started");
    assert_eq!(
        f.transfers.cancel(999_999).map_err(|e| e.kind()),
        Err(ErrorKind::NotFound)
    );
    // A path not in the container: the transfer fails with the engine's words.
    let pwd = working_dir(&f).await;
    let down = f
        .transfers
        .download(
            &f.profiles,
            shell(),
            format!("{pwd}/not-here.txt"),
            local.path().display().to_string(),
        )
        .expect("starts");
    let seen = until_final(&mut f, down.id, Duration::from_secs(60)).await;
    match &seen.last().expect("final").state {
        TransferState::Failed { reason } => {
            assert!(reason.contains("no such file or directory"), "{reason}")
        }
        other => panic!("not failed: {other:?}"),
    }
    assert!(!local.path().join("not-here.txt").exists());
    // A pod that is not there: words, not a panic.
    let gone = TransferTarget {
        pod: "no-such-pod".into(),
        ..shell()
    };
    let up = f
        .transfers
        .upload(
            &f.profiles,
            gone,
            vec![src.display().to_string()],
            "/tmp".into(),
        )
        .expect("starts");
    let seen = until_final(&mut f, up[0].id, Duration::from_secs(60)).await;
    assert!(
        matches!(&seen.last().expect("final").state, TransferState::Failed { reason } if reason.contains("no-such-pod")),
        "{seen:?}"
    );
}

/// A dropped folder (one tar stream: folders never go as byte ranges) whose connections are cut
/// mid-way starts its stream over and lands whole: the app's transfers retry uploads too. 384 MiB,
/// so that the transfer is still running at the progress update (5 a second) that sees 8 MiB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_survives_a_dropped_connection_by_starting_again() {
    let mut f = app().await;
    let pwd = working_dir(&f).await;
    let local = tempfile::tempdir().expect("tempdir");
    let src = local.path().join("restart-dir");
    std::fs::create_dir(&src).expect("mkdir");
    for i in 0..4 {
        random_file(&src.join(format!("part{i}.bin")), 96);
    }
    let up = f
        .transfers
        .upload(
            &f.profiles,
            shell(),
            vec![src.display().to_string()],
            pwd.clone(),
        )
        .expect("upload starts");
    assert_eq!(up.len(), 1);
    cut_after_8_mib(&mut f).await;
    let seen = until_final(&mut f, up[0].id, Duration::from_secs(300)).await;
    let done = seen.last().expect("final");
    assert_eq!(done.state, TransferState::Done, "{done:?}");
    assert!(
        done.notes
            .iter()
            .any(|n| n.starts_with("Starting the upload again after a broken connection")),
        "no restart note in {:?}",
        done.notes
    );
    let landed = Path::new(&pwd).join("restart-dir");
    for i in 0..4 {
        let name = format!("part{i}.bin");
        assert_eq!(
            sha256(&landed.join(&name)),
            sha256(&src.join(&name)),
            "{name}"
        );
    }
    std::fs::remove_dir_all(&landed).expect("rm");
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_survives_a_dropped_connection_by_resuming() {
    let mut f = app().await;
    let pwd = working_dir(&f).await;
    let big = Path::new(&pwd).join("resume.bin");
    random_file(&big, 128);
    let into = tempfile::tempdir().expect("tempdir");
    let down = f
        .transfers
        .download(
            &f.profiles,
            shell(),
            big.display().to_string(),
            into.path().display().to_string(),
        )
        .expect("download starts");
    cut_after_8_mib(&mut f).await;
    let seen = until_final(&mut f, down.id, Duration::from_secs(300)).await;
    let done = seen.last().expect("final");
    assert_eq!(done.state, TransferState::Done, "{done:?}");
    let resumed = done
        .notes
        .iter()
        .find_map(|n| n.strip_prefix("Resuming copy at "))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no resume note in {:?}", done.notes));
    assert!(
        resumed >= 8 << 20,
        "resumed at {resumed}, not where it stopped"
    );
    assert_eq!(sha256(&into.path().join("resume.bin")), sha256(&big));
    std::fs::remove_file(&big).expect("rm");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_into_a_path_that_is_not_a_directory_is_refused() {
    let mut f = app().await;
    let pwd = working_dir(&f).await;
    let local = tempfile::tempdir().expect("tempdir");
    let (a, b) = (local.path().join("a.txt"), local.path().join("b.txt"));
    std::fs::write(&a, b"first").expect("write");
    std::fs::write(&b, b"second").expect("write");
    // Into a path not there yet: each file would land *as* it, the second over the first.
    let dest = format!("{pwd}/not-a-dir");
    let ups = f
        .transfers
        .upload(
            &f.profiles,
            shell(),
            vec![a.display().to_string(), b.display().to_string()],
            dest.clone(),
        )
        .expect("starts");
    for up in &ups {
        let seen = until_final(&mut f, up.id, Duration::from_secs(60)).await;
        match &seen.last().expect("final").state {
            TransferState::Failed { reason } => {
                assert!(reason.contains("is not a directory"), "{reason}")
            }
            other => panic!("not refused: {other:?}"),
        }
    }
    assert!(
        !Path::new(&dest).exists(),
        "something was written as {dest}"
    );
}

/// A debug tab of the Demo's `distroless` pod: its container has no shell, no tar, no dd and no
/// base64, so nothing can write a file there (its `cat` cannot without a shell). A drop on a
/// plain tab of it is refused in words, nothing written; on a debug tab (its image carried by
/// the target) the file goes through the debug container beside it, which reaches the
/// container's files under /proc/PID/root, and comes back by Download… identical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_on_a_debug_tab_of_a_distroless_pod_goes_through_its_debug_container() {
    let mut f = app().await;
    let local = tempfile::tempdir().expect("tempdir");
    let src = local.path().join("tool.bin");
    let data: Vec<u8> = (0..1024 * 1024 + 7u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    std::fs::write(&src, &data).expect("write");
    // The pod's processes run on this machine: a directory here is the same path there.
    let inside = tempfile::tempdir().expect("tempdir");
    let dir = inside.path().display().to_string();
    let plain = TransferTarget {
        pod: "distroless".into(),
        ..shell()
    };

    let up = f
        .transfers
        .upload(
            &f.profiles,
            plain.clone(),
            vec![src.display().to_string()],
            dir.clone(),
        )
        .expect("upload starts");
    let seen = until_final(&mut f, up[0].id, Duration::from_secs(120)).await;
    match &seen.last().expect("final").state {
        TransferState::Failed { reason } => {
            assert!(
                reason
                    .contains("no tar in container \"app\" of pod \"distroless\", and no fallback"),
                "{reason}"
            );
            // What to do, in the app's words: its debug tab, not the CLI's flag.
            assert!(
                reason.contains("open a debug tab on the pod") && !reason.contains("--debug"),
                "{reason}"
            );
        }
        other => panic!("a plain tab's drop did not fail: {other:?}"),
    }
    assert!(!inside.path().join("tool.bin").exists());

    let debug = TransferTarget {
        debug_image: Some(podterm_core::settings::DEFAULT_DEBUG_IMAGE.into()),
        ..plain
    };
    let up = f
        .transfers
        .upload(
            &f.profiles,
            debug.clone(),
            vec![src.display().to_string()],
            dir.clone(),
        )
        .expect("upload starts");
    let seen = until_final(&mut f, up[0].id, Duration::from_secs(120)).await;
    let done = seen.last().expect("final");
    assert_eq!(done.state, TransferState::Done, "{done:?}");
    assert!(
        done.notes
            .iter()
            .any(|n| n.contains("through debug container") && n.contains("sha256 checked")),
        "{:?}",
        done.notes
    );
    assert_eq!(sha256(&inside.path().join("tool.bin")), sha256(&src));

    let back = tempfile::tempdir().expect("tempdir");
    let down = f
        .transfers
        .download(
            &f.profiles,
            debug,
            format!("{dir}/tool.bin"),
            back.path().display().to_string(),
        )
        .expect("download starts");
    let seen = until_final(&mut f, down.id, Duration::from_secs(120)).await;
    let done = seen.last().expect("final");
    assert_eq!(done.state, TransferState::Done, "{done:?}");
    assert_eq!(sha256(&back.path().join("tool.bin")), sha256(&src));
    assert!(
        done.notes.iter().any(|n| n.contains("sha256 checked")),
        "{:?}",
        done.notes
    );
}

/// A pod whose one container is an app in a working directory of its own, with nothing else
/// in its image (no shell, no ls, no tar, no cat): `sleep` alone, as a distroless image holds
/// its program alone.
fn app_alone(name: &str, workdir: &Path, image: &Path) -> testcluster::PodSpec {
    let mut p = testcluster::ClusterSpec::demo().pods[0].clone();
    p.name = name.into();
    p.labels = [("app".to_string(), name.to_string())].into();
    let c = &mut p.containers[0];
    c.name = "app".into();
    c.image = "testcluster.local/distroless-static:nonroot".into();
    c.shell = false;
    c.tty = false;
    c.command = vec!["sleep".into(), "3600".into()];
    c.workdir = Some(workdir.to_path_buf());
    c.path = Some(image.display().to_string());
    p
}

/// A debug tab of a container with nothing in its image: its working directory (a drop's
/// prefilled destination) and a directory's listing (Download…'s completion) come from the
/// tab's debug container, which sees the target's process: the target's own directory and
/// entries, never a `/proc/PID/...` path. Before that debug container runs, asking adds none:
/// the container itself is asked, and says in words that it has no shell or ls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debug_tab_sees_the_target_s_working_directory_and_files_through_its_debug_container() {
    let f = app().await;
    let workdir = tempfile::tempdir().expect("tempdir");
    let wd = workdir.path().display().to_string();
    std::fs::create_dir(workdir.path().join("conf")).expect("mkdir");
    std::fs::write(workdir.path().join("app.bin"), b"x").expect("write");
    // The image: `sleep` and nothing else.
    let bin = tempfile::tempdir().expect("tempdir");
    let sleep = ["/usr/bin/sleep", "/bin/sleep"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("sleep on this machine");
    std::os::unix::fs::symlink(sleep, bin.path().join("sleep")).expect("symlink");
    f.profiles
        .with_demo_cluster(|c| c.apply_pod(app_alone("lonely", workdir.path(), bin.path())))
        .await
        .expect("the Demo cluster");
    let plain = TransferTarget {
        pod: "lonely".into(),
        container: "app".into(),
        ..shell()
    };
    let debug = TransferTarget {
        debug_image: Some(podterm_core::settings::DEFAULT_DEBUG_IMAGE.into()),
        ..plain.clone()
    };
    let (c, t) = resolve_target(&f.profiles, &debug).await.expect("the pod");
    let tuning = podterm_core::exec::Tuning::with(c.liveness);
    let image_of = |target: &TransferTarget| target.fallback().debug_image;

    // No debug container yet: the container itself is asked, and says what it lacks.
    let e =
        podterm_core::podfs::working_dir_via(&c.client, &t, image_of(&debug).as_deref(), tuning)
            .await
            .expect_err("no shell to ask");
    assert!(
        matches!(
            e,
            podterm_core::podfs::PodFsError::Missing { command: "sh", .. }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "container \"app\" has no sh to ask with: type the path whole"
    );
    let e =
        podterm_core::podfs::list_dir_via(&c.client, &t, &wd, image_of(&debug).as_deref(), tuning)
            .await
            .expect_err("no ls to list with");
    assert!(
        matches!(
            e,
            podterm_core::podfs::PodFsError::Missing { command: "ls", .. }
        ),
        "{e:?}"
    );
    let image = podterm_core::settings::DEFAULT_DEBUG_IMAGE;
    let plan = podterm_core::debug::plan(&c.client, "demo", "lonely", "app", image)
        .await
        .expect("plan");
    assert!(
        !plan.reuse,
        "a debug container was added just to ask: {plan:?}"
    );

    // The tab's debug container, as opening the debug tab adds it.
    let spec = podterm_core::debug::DebugSpec::shared_shell(image, "app");
    let ensured = podterm_core::debug::ensure(&c.client, "demo", "lonely", &spec)
        .await
        .expect("the debug container");
    assert!(ensured.added);

    // The target's working directory (its process may still be starting: asked until it says).
    let deadline = Instant::now() + Duration::from_secs(30);
    let pwd = loop {
        let got = podterm_core::podfs::working_dir_via(
            &c.client,
            &t,
            image_of(&debug).as_deref(),
            tuning,
        )
        .await
        .expect("the working directory through the debug container");
        if got == wd || Instant::now() > deadline {
            break got;
        }
        tokio::task::yield_now().await;
    };
    assert_eq!(pwd, wd, "not the target's working directory");

    // Its files, listed under the target's own path.
    let entries =
        podterm_core::podfs::list_dir_via(&c.client, &t, &wd, image_of(&debug).as_deref(), tuning)
            .await
            .expect("the listing through the debug container");
    assert_eq!(entries, vec!["app.bin".to_string(), "conf/".to_string()]);
    let missing = format!("{wd}/nope");
    let e = podterm_core::podfs::list_dir_via(
        &c.client,
        &t,
        &missing,
        image_of(&debug).as_deref(),
        tuning,
    )
    .await
    .expect_err("no such directory");
    let words = e.to_string();
    assert!(
        words.starts_with("ls in container \"app\" failed") && words.contains(&missing),
        "{words}"
    );
    assert!(
        !words.contains("/proc/"),
        "the debug container's path shown: {words}"
    );

    // Still the same debug container, the newest of ours: asking added none.
    let plan = podterm_core::debug::plan(&c.client, "demo", "lonely", "app", image)
        .await
        .expect("plan");
    assert!(plan.reuse && plan.name == ensured.name, "{plan:?}");

    // A plain tab of the same container asks the container itself: words, no dead end.
    let (_, pt) = resolve_target(&f.profiles, &plain).await.expect("the pod");
    let e =
        podterm_core::podfs::working_dir_via(&c.client, &pt, image_of(&plain).as_deref(), tuning)
            .await
            .expect_err("no shell");
    assert!(e.to_string().contains("type the path whole"), "{e}");
}
