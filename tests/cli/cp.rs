//! `podterm cp` against testcluster and every kubectl (`PODTERM_KUBECTLS`): trees copied with one
//! and read back with the other are byte-identical, both ways; kubectl's placement (into an
//! existing directory, or as the named path); errors in words (no such path, no tar, permission
//! denied, disk full, bad specs); a hostile container whose `tar` emits crafted streams
//! (`..`, absolute names, links out, devices) writes nothing outside the destination; a broken
//! download resumes where it stopped (`--retries`); Ctrl-C leaves no partial file; progress only
//! on a terminal; a 1 GiB round trip with sha256 equal both ways.

use podterm_test_support::cp::{image_with, ok, remote_in, run, s, until, Out};
use podterm_test_support::files::{random_file, sha256};
use podterm_test_support::kubectl::kubectls;
use podterm_test_support::{bin, cluster};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use testcluster::config::{ContainerSpec, PodSpec};
use testcluster::process::write_executable;

/// `demo/shell:PATH`: the demo pod whose container is a process on this machine.
fn remote(p: &Path) -> String {
    format!("demo/shell:{}", s(p))
}

/// Every file under `root`: relative path → (kind, bytes or link target, permission bits).
fn tree(root: &Path) -> BTreeMap<String, (char, Vec<u8>, u32)> {
    fn walk(root: &Path, p: &Path, out: &mut BTreeMap<String, (char, Vec<u8>, u32)>) {
        let md = std::fs::symlink_metadata(p).expect("stat");
        let rel = p
            .strip_prefix(root)
            .expect("under root")
            .to_string_lossy()
            .into_owned();
        let mode = md.permissions().mode() & 0o7777;
        if md.is_dir() {
            out.insert(rel, ('d', vec![], 0));
            for e in std::fs::read_dir(p).expect("read_dir") {
                walk(root, &e.expect("entry").path(), out);
            }
        } else if md.file_type().is_symlink() {
            let t = std::fs::read_link(p).expect("readlink");
            out.insert(rel, ('l', t.to_string_lossy().as_bytes().to_vec(), 0));
        } else {
            out.insert(rel, ('f', std::fs::read(p).expect("read"), mode));
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Without modes (a download makes files as `os.Create` does) or symlinks (kubectl skips them).
fn contents(t: &BTreeMap<String, (char, Vec<u8>, u32)>) -> BTreeMap<String, (char, Vec<u8>)> {
    t.iter()
        .filter(|(_, v)| v.0 != 'l')
        .map(|(k, v)| (k.clone(), (v.0, v.1.clone())))
        .collect()
}

/// A tree with what a copy must carry: nesting, an empty directory, modes, names with spaces,
/// an empty file, a file over a tar record, a symlink.
fn sample(root: &Path) {
    std::fs::create_dir_all(root.join("sub/deeper")).expect("mkdir");
    std::fs::create_dir_all(root.join("empty")).expect("mkdir");
    std::fs::write(root.join("a.txt"), b"hello\n").expect("write");
    std::fs::write(root.join("with space.txt"), b"spaced\n").expect("write");
    std::fs::write(root.join("sub/zero"), b"").expect("write");
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(root.join("sub/deeper/big.bin"), &big).expect("write");
    std::fs::write(root.join("run.sh"), b"#!/bin/sh\necho run\n").expect("write");
    std::fs::set_permissions(root.join("run.sh"), std::fs::Permissions::from_mode(0o750))
        .expect("chmod");
    std::fs::write(
        root.join(format!("long-{}", "n".repeat(150))),
        b"a name over 100 bytes\n",
    )
    .expect("write");
    std::os::unix::fs::symlink("a.txt", root.join("link")).expect("symlink");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trees_copied_with_either_read_back_identical_with_the_other() {
    let c = cluster::demo().await;
    let podterm = bin::podterm();
    let work = tempfile::tempdir().expect("tmp");
    let src = work.path().join("src");
    sample(&src);
    let want = tree(&src);
    for (i, k) in kubectls().iter().enumerate() {
        let base = work.path().join(format!("k{i}"));
        std::fs::create_dir_all(&base).expect("mkdir");
        // Up with podterm, down with kubectl.
        let up_ours = base.join("up-podterm");
        ok(&podterm, &c, &["cp", s(&src), &remote(&up_ours)]).await;
        let down_theirs = base.join("down-kubectl");
        ok(k, &c, &["cp", &remote(&up_ours), s(&down_theirs)]).await;
        // Up with kubectl, down with podterm.
        let up_theirs = base.join("up-kubectl");
        ok(k, &c, &["cp", s(&src), &remote(&up_theirs)]).await;
        let down_ours = base.join("down-podterm");
        let out = ok(&podterm, &c, &["cp", &remote(&up_theirs), s(&down_ours)]).await;
        // In the pod, both uploads are the source, modes and symlink included.
        assert_eq!(tree(&up_ours), want, "{}: podterm's upload", k.display());
        assert_eq!(tree(&up_theirs), want, "{}: kubectl's upload", k.display());
        // Back here, both downloads hold the same bytes (symlinks skipped, as kubectl does).
        assert_eq!(
            contents(&tree(&down_ours)),
            contents(&want),
            "{}",
            k.display()
        );
        assert_eq!(
            tree(&down_ours),
            tree(&down_theirs),
            "{}: podterm's download differs from kubectl's",
            k.display()
        );
        assert!(
            out.stderr.contains("warning: skipping symlink:"),
            "{}",
            out.stderr
        );
        // --no-preserve: the container's tar does not keep the modes.
        let plain = base.join("plain");
        ok(
            &podterm,
            &c,
            &["cp", "--no-preserve", s(&src), &remote(&plain)],
        )
        .await;
        assert_eq!(contents(&tree(&plain)), contents(&want));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_files_land_where_kubectl_puts_them() {
    let c = cluster::demo().await;
    let podterm = bin::podterm();
    let work = tempfile::tempdir().expect("tmp");
    let file = work.path().join("note.txt");
    std::fs::write(&file, b"a note\n").expect("write");
    for exe in std::iter::once(podterm.clone()).chain(kubectls()) {
        let name = exe
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = work
            .path()
            .join(format!("into-{name}-{}", exe.as_os_str().len()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        // Into an existing directory: under its own name.
        ok(&exe, &c, &["cp", s(&file), &remote(&dir)]).await;
        assert_eq!(
            std::fs::read(dir.join("note.txt")).expect("in dir"),
            b"a note\n"
        );
        // To a path that is not a directory: as that path.
        let named = dir.join("renamed");
        ok(
            &exe,
            &c,
            &[
                "-n",
                "demo",
                "cp",
                s(&file),
                &format!("shell:{}", s(&named)),
            ],
        )
        .await;
        assert_eq!(std::fs::read(&named).expect("named"), b"a note\n");
        // Down as a named file, overwriting an existing one and keeping its mode (os.Create).
        let back = dir.join("back.txt");
        std::fs::write(&back, b"old content that is longer\n").expect("write");
        std::fs::set_permissions(&back, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        ok(&exe, &c, &["cp", &remote(&named), s(&back)]).await;
        assert_eq!(std::fs::read(&back).expect("back"), b"a note\n");
        let mode = std::fs::metadata(&back).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}");
        // Down into directories that are not there yet: made, as kubectl makes them.
        let deep = dir.join("new/deeper/f.txt");
        ok(&exe, &c, &["cp", &remote(&named), s(&deep)]).await;
        assert_eq!(std::fs::read(&deep).expect("deep"), b"a note\n", "{name}");
        // `DIR/.`: the directory's contents, into an existing directory (Go's Base is `.`).
        let src = work.path().join("tree");
        std::fs::create_dir_all(src.join("sub")).expect("mkdir");
        std::fs::write(src.join("sub/b.txt"), b"b\n").expect("write");
        std::fs::write(src.join("a.txt"), b"a\n").expect("write");
        let into = dir.join("contents");
        std::fs::create_dir_all(&into).expect("mkdir");
        ok(&exe, &c, &["cp", &format!("{}/.", s(&src)), &remote(&into)]).await;
        assert_eq!(
            tree(&into).into_keys().collect::<Vec<_>>(),
            ["", "a.txt", "sub", "sub/b.txt"],
            "{name}"
        );
    }
    // A source path typed untidily (`//`, `x/..`, a trailing slash) is the path it names
    // (kubectl's tar stream then fails with `tar contents corrupted`).
    let tree_dir = work.path().join("tree");
    let typed = format!("{}//tree/sub/../sub/", s(work.path()).trim_end_matches('/'));
    let down = work.path().join("untidy");
    ok(
        &podterm,
        &c,
        &["cp", &format!("demo/shell:{typed}"), s(&down)],
    )
    .await;
    assert_eq!(std::fs::read(down.join("b.txt")).expect("b"), b"b\n");
    assert!(tree_dir.join("sub/b.txt").exists());
    // The namespace flag anywhere, as every subcommand takes it.
    let after = work.path().join("after");
    ok(
        &podterm,
        &c,
        &[
            "cp",
            s(&file),
            &format!("shell:{}", s(&after)),
            "-n",
            "demo",
        ],
    )
    .await;
    assert!(after.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_said_in_words() {
    let c = cluster::demo().await;
    let podterm = bin::podterm();
    let work = tempfile::tempdir().expect("tmp");
    let nope = work.path().join("nope");
    let check = |out: Out, words: &str| {
        assert_eq!(out.code, 1, "{words}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains(words),
            "want {words:?} in {:?}",
            out.stderr
        );
    };
    check(
        run(
            &podterm,
            &c,
            &["cp", &remote(&nope), s(&work.path().join("x"))],
        )
        .await,
        &format!(
            "\"{}\": no such file or directory in container \"main\" of pod \"shell\"",
            s(&nope)
        ),
    );
    check(
        run(
            &podterm,
            &c,
            &["cp", s(&nope), &remote(&work.path().join("x"))],
        )
        .await,
        &format!("{} doesn't exist in local filesystem", s(&nope)),
    );
    // Into a directory the container does not have: that directory named (kubectl's tar says
    // `Cannot open: No such file or directory` about it).
    let here = work.path().join("here");
    std::fs::write(&here, b"x").expect("write");
    // A directory down onto a file: said, the file left as it was (kubectl: `mkdir F: not a
    // directory`).
    let remote_dir = work.path().join("remote-dir");
    std::fs::create_dir_all(&remote_dir).expect("mkdir");
    std::fs::write(remote_dir.join("in"), b"in").expect("write");
    check(
        run(&podterm, &c, &["cp", &remote(&remote_dir), s(&here)]).await,
        &format!(
            "{}: is a file, and a directory is copied there: name a directory, or a path that is not there yet",
            s(&here)
        ),
    );
    assert_eq!(std::fs::read(&here).expect("here"), b"x");
    // With a trailing slash too (kubectl drops it: the name is then the file's).
    for dest in [s(&nope.join("f")).to_string(), format!("{}/sub/", s(&nope))] {
        let missing = s(&nope);
        check(
            run(&podterm, &c, &["cp", s(&here), &format!("shell:{dest}")]).await,
            &format!(
                "\"{missing}\": no such directory in container \"main\" of pod \"shell\" to copy into; create it first (mkdir -p)"
            ),
        );
    }
    check(
        run(&podterm, &c, &["cp", "a:/x", "b:/y"]).await,
        "one of src or dest must be a local file specification",
    );
    check(
        run(&podterm, &c, &["cp", "/x", "/y"]).await,
        "one of src or dest must be a remote file specification",
    );
    check(
        run(&podterm, &c, &["cp", "a/b/c:/x", "/y"]).await,
        "filespec must match the canonical format",
    );
    check(
        run(&podterm, &c, &["cp", "-n", "demo", "ghost:/x", "/y"]).await,
        "pods \"ghost\" not found",
    );
    // Permission denied in the container (root cannot create files in sysfs).
    let f = work.path().join("f");
    std::fs::write(&f, b"x").expect("write");
    check(
        run(
            &podterm,
            &c,
            &["cp", s(&f), "demo/shell:/sys/podterm-cp-test"],
        )
        .await,
        "Permission denied",
    );
    // No tar in the image: a shell and a few tools only.
    let tools = work.path().join("no-tar-bin");
    std::fs::create_dir_all(&tools).expect("mkdir");
    for t in ["sh", "cat", "ls", "wc", "du", "test"] {
        for d in ["/usr/bin", "/bin"] {
            let p = Path::new(d).join(t);
            if p.exists() && !tools.join(t).exists() {
                std::os::unix::fs::symlink(&p, tools.join(t)).expect("symlink");
            }
        }
    }
    c.apply_pod(pod("notar", s(&tools)));
    // (A single file goes without tar: see the tests at the end. A directory needs it.)
    check(
        run(&podterm, &c, &["cp", s(&tools), "demo/notar:/tmp"]).await,
        "there is no tar in container \"main\" of pod \"notar\"",
    );
    check(
        run(
            &podterm,
            &c,
            &["cp", "demo/notar:/etc", s(&work.path().join("h"))],
        )
        .await,
        "there is no tar in container \"main\" of pod \"notar\"",
    );
}

/// Disk full here: a download into a 1 MiB tmpfs says so and leaves no partial file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_said_and_leaves_nothing_behind() {
    let c = cluster::demo().await;
    let podterm = bin::podterm();
    let work = tempfile::tempdir().expect("tmp");
    let small = work.path().join("small");
    std::fs::create_dir_all(&small).expect("mkdir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs", s(&small)])
        .status()
        .expect("mount runs");
    assert!(
        mounted.success(),
        "mounting a tmpfs needs root (the tests run as root)"
    );
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(small.clone());
    let big = work.path().join("big.bin");
    std::fs::write(&big, vec![7u8; 3 << 20]).expect("write");
    let out = run(
        &podterm,
        &c,
        &["cp", &remote(&big), s(&small.join("big.bin"))],
    )
    .await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("disk full"), "{}", out.stderr);
    let left: Vec<_> = std::fs::read_dir(&small).expect("ls").collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

fn pod(name: &str, path: &str) -> PodSpec {
    let mut spec: PodSpec = serde_yaml::from_str(&format!(
        "namespace: demo\nname: {name}\ncontainers:\n- name: main\n"
    ))
    .expect("pod yaml");
    let c: &mut ContainerSpec = &mut spec.containers[0];
    c.path = Some(path.to_string());
    spec
}

/// One 512-byte ustar header.
fn header(name: &[u8], kind: u8, size: usize, link: &[u8]) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    h[..name.len()].copy_from_slice(name);
    h[100..107].copy_from_slice(b"0000644");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = kind;
    h[157..157 + link.len()].copy_from_slice(link);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    h
}

/// A crafted entry: name, tar type flag, data, link target.
type Entry<'a> = (Vec<u8>, u8, &'a [u8], Vec<u8>);

fn stream(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, kind, data, link) in entries {
        out.extend(header(name, *kind, data.len(), link));
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_containers_tar_writes_nothing_outside_the_destination() {
    let c = cluster::demo().await;
    let podterm = bin::podterm();
    let work = tempfile::tempdir().expect("tmp");
    // The container's image: its own `tar`, which writes whatever stream.tar holds.
    let tools = work.path().join("hostile-bin");
    std::fs::create_dir_all(&tools).expect("mkdir");
    let crafted = work.path().join("stream.tar");
    let tar = tools.join("tar");
    write_executable(&tar, &format!("#!/bin/sh\nexec cat '{}'\n", s(&crafted))).expect("write");
    c.apply_pod(pod("hostile", &format!("{}:/usr/bin:/bin", s(&tools))));
    // The source exists in the pod; its tar names start with this prefix.
    let source = work.path().join("source");
    std::fs::create_dir_all(&source).expect("mkdir");
    let prefix = s(&source).trim_start_matches('/').to_string();
    let p = |rest: &str| format!("{prefix}/{rest}").into_bytes();
    let outside = work.path().join("outside");
    let cases: Vec<(&str, Vec<Entry>, &str)> = vec![
        (
            "dot-dot",
            vec![(p("../outside/escaped"), b'0', b"pwned", vec![])],
            "a path with \"..\" in it",
        ),
        (
            "absolute",
            vec![(
                format!("{}/abs", s(&outside)).into_bytes(),
                b'0',
                b"pwned",
                vec![],
            )],
            "an absolute path",
        ),
        (
            "not-under-source",
            vec![(b"etc/elsewhere".to_vec(), b'0', b"pwned", vec![])],
            "not under the source path",
        ),
        (
            "hardlink-out",
            vec![(p("h"), b'1', b"", b"etc/passwd".to_vec())],
            "outside the destination",
        ),
        (
            "char-device",
            vec![(p("null"), b'3', b"", vec![])],
            "a device file or fifo",
        ),
        (
            "block-device",
            vec![(p("disk"), b'4', b"", vec![])],
            "a device file or fifo",
        ),
        (
            "fifo",
            vec![(p("pipe"), b'6', b"", vec![])],
            "a device file or fifo",
        ),
    ];
    for (label, entries, words) in cases {
        std::fs::write(&crafted, stream(&entries)).expect("write stream");
        let dest = work.path().join(format!("dest-{label}"));
        let out = run(
            &podterm,
            &c,
            &["cp", &remote_in("hostile", &source), s(&dest)],
        )
        .await;
        assert_eq!(out.code, 1, "{label}: {}", out.stderr);
        assert!(
            out.stderr.contains("refused") && out.stderr.contains(words),
            "{label}: {}",
            out.stderr
        );
        assert!(!outside.exists(), "{label}: wrote {}", s(&outside));
        let stray: Vec<_> = std::fs::read_dir(work.path())
            .expect("ls")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| {
                !(n.starts_with("dest-")
                    || ["hostile-bin", "stream.tar", "source"].contains(&n.as_str()))
            })
            .collect();
        assert!(stray.is_empty(), "{label}: {stray:?}");
    }
    // Symlinks, wherever they point, are skipped with kubectl's warning and the copy goes on
    // (real trees hold links to /etc and up the tree); a file "through" one lands inside.
    std::fs::write(
        &crafted,
        stream(&[
            (
                p("l"),
                b'2',
                b"",
                outside.to_string_lossy().as_bytes().to_vec(),
            ),
            (p("l/through"), b'0', b"inside", vec![]),
            (p("up"), b'2', b"", b"../../outside".to_vec()),
            (p("kept"), b'0', b"kept", vec![]),
        ]),
    )
    .expect("write stream");
    let dest = work.path().join("dest-symlinks");
    let out = run(
        &podterm,
        &c,
        &["cp", &remote_in("hostile", &source), s(&dest)],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr.matches("warning: skipping symlink: ").count(),
        2,
        "{}",
        out.stderr
    );
    assert!(!outside.exists(), "wrote {}", s(&outside));
    assert_eq!(std::fs::read(dest.join("kept")).expect("kept"), b"kept");
    assert_eq!(
        std::fs::read(dest.join("l/through")).expect("through"),
        b"inside"
    );
    for link in ["l", "up"] {
        assert!(
            std::fs::symlink_metadata(dest.join(link)).map_or(true, |m| !m.is_symlink()),
            "{link} made a symlink"
        );
    }

    // A hard link inside the destination is a hard link to its file, as in the pod, not a
    // refusal.
    std::fs::write(
        &crafted,
        stream(&[(p("f"), b'0', b"data", vec![]), (p("g"), b'1', b"", p("f"))]),
    )
    .expect("write stream");
    let dest = work.path().join("dest-hardlink-in");
    ok(
        &podterm,
        &c,
        &["cp", &remote_in("hostile", &source), s(&dest)],
    )
    .await;
    assert_eq!(std::fs::read(dest.join("g")).expect("g"), b"data");
    use std::os::unix::fs::MetadataExt as _;
    let ino = |n: &str| std::fs::metadata(dest.join(n)).expect("stat").ino();
    assert_eq!(ino("g"), ino("f"), "g is not a hard link to f");
}

/// `.podterm-cp-*.part` files in `dir` and their sizes.
fn parts(dir: &Path) -> Vec<u64> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(".podterm-cp-"))
                .filter_map(|e| e.metadata().ok().map(|m| m.len()))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_download_resumes_where_it_stopped() {
    let c = cluster::demo().await;
    let podterm = bin::podterm();
    let work = tempfile::tempdir().expect("tmp");
    let big = work.path().join("big.bin");
    // Below `transfer::ranges::RANGES_FROM`: the one tar stream's `tail -c+N` resume (a larger
    // file goes as byte ranges, each resuming by itself: tests/cli/cpranges.rs).
    random_file(&big, 48);
    const { assert!(48 << 20 < podterm_core::transfer::ranges::RANGES_FROM) };
    let down = work.path().join("down");
    std::fs::create_dir_all(&down).expect("mkdir");
    let child = tokio::process::Command::new(&podterm)
        .args([
            "cp",
            "--retries",
            "3",
            &remote(&big),
            s(&down.join("big.bin")),
        ])
        .env("KUBECONFIG", c.kubeconfig())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("podterm starts");
    // Break the connection once a part of the file has arrived.
    until("8 MiB to arrive", Duration::from_secs(120), || {
        parts(&down).iter().any(|n| *n > 8 << 20)
    })
    .await;
    c.drop_connections();
    let out = tokio::time::timeout(Duration::from_secs(300), child.wait_with_output())
        .await
        .expect("podterm ends")
        .expect("podterm output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let at: u64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("Resuming copy at "))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no resume note in {stderr}"));
    assert!(at >= 8 << 20, "resumed at {at}, not where it stopped");
    assert_eq!(sha256(&down.join("big.bin")), sha256(&big));
    assert!(parts(&down).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_leaves_no_partial_file() {
    let c = cluster::demo().await;
    let podterm = bin::podterm();
    let work = tempfile::tempdir().expect("tmp");
    let big = work.path().join("big.bin");
    random_file(&big, 256);
    let down = work.path().join("down");
    std::fs::create_dir_all(&down).expect("mkdir");
    let child = tokio::process::Command::new(&podterm)
        .args(["cp", &remote(&big), s(&down.join("big.bin"))])
        .env("KUBECONFIG", c.kubeconfig())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("podterm starts");
    until("a partial file", Duration::from_secs(120), || {
        parts(&down).iter().any(|n| *n > 1 << 20)
    })
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
    let left: Vec<_> = std::fs::read_dir(&down).expect("ls").flatten().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_shows_on_a_terminal_only() {
    let c = cluster::demo().await;
    let podterm = bin::podterm();
    let work = tempfile::tempdir().expect("tmp");
    let big = work.path().join("big.bin");
    random_file(&big, 64);
    let kc = c.kubeconfig().as_os_str().to_owned();
    let to = work.path().join("tty.bin");
    let mut pty = podterm_test_support::pty::Pty::spawn(
        &podterm,
        &["cp", &remote(&big), s(&to)],
        &[("KUBECONFIG".into(), Some(kc))],
    );
    assert_eq!(pty.exit_code(), 0, "{}", pty.all_output());
    // However fast the copy, its last progress line stays: how much of how much, and the rate.
    let seen = pty.all_output();
    assert!(seen.contains("64.0 MiB of 64.0 MiB"), "{seen:?}");
    assert!(seen.contains("/s"), "{seen:?}");
    // Not a terminal: nothing but the outcome.
    let out = ok(
        &podterm,
        &c,
        &["cp", &remote(&big), s(&work.path().join("pipe.bin"))],
    )
    .await;
    assert!(!out.stderr.contains("/s"), "{:?}", out.stderr);
}

/// 1 GiB up and down again with sha256 equal both ways (about 40 s in a debug build; at most
/// 2 GiB on disk at a time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_gib_round_trip_is_identical_both_ways() {
    round_trip(1024).await;
}

async fn round_trip(mib: usize) {
    let c = cluster::demo().await;
    let podterm = bin::podterm();
    let work = tempfile::tempdir().expect("tmp");
    let src = work.path().join("src.bin");
    random_file(&src, mib);
    let want = sha256(&src);
    let up = work.path().join("in-pod.bin");
    let t = Instant::now();
    ok(&podterm, &c, &["cp", s(&src), &remote(&up)]).await;
    let up_s = t.elapsed();
    assert_eq!(sha256(&up), want, "upload");
    std::fs::remove_file(&src).expect("rm");
    let down = work.path().join("back.bin");
    let t = Instant::now();
    ok(&podterm, &c, &["cp", &remote(&up), s(&down)]).await;
    let down_s = t.elapsed();
    assert_eq!(sha256(&down), want, "download");
    eprintln!("{mib} MiB: up {up_s:?}, down {down_s:?}");
}

// ---- Without tar (issue 16, items 2 and 6): a single file through what the image has. ----

/// Every byte value, many times over (300 KiB: more than one exec frame and one base64 piece).
fn every_byte() -> Vec<u8> {
    (0..300 * 1024).map(|i| (i % 256) as u8).collect()
}

fn no_parts_under(dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(dir)
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".podterm-cp-"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Each method on a container that has only its tools, both ways: a binary file with every byte
/// value under a name with spaces (into a directory, and back), and a relative name with a
/// leading `-`, quotes and a newline (up and back). The method and the check are said.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_file_goes_both_ways_without_tar_through_each_method() {
    let c = cluster::demo().await;
    let podterm = bin::podterm();
    let work = tempfile::tempdir().expect("tmp");
    let data = every_byte();
    let local = work.path().join("every byte.bin");
    std::fs::write(&local, &data).expect("write");
    // An odd mode, kept where the image has chmod (as tar keeps it).
    std::fs::set_permissions(&local, std::fs::Permissions::from_mode(0o751)).expect("chmod");
    // (pod, its tools, the method said, the check said)
    let images: [(&str, &[&str], &str, &str); 3] = [
        (
            "only-cat",
            &["sh", "cat", "sha256sum", "chmod"],
            "with cat",
            "sha256 checked",
        ),
        // No shell: dd reads and writes files by itself; test says what is a directory.
        ("only-dd", &["dd", "wc", "test"], "with dd", "size checked"),
        (
            "only-base64",
            &["sh", "base64"],
            "with base64",
            "not checked",
        ),
    ];
    for (name, tools, method, check) in images {
        c.apply_pod(pod(name, s(&image_with(work.path(), name, tools))));
        let inside = work.path().join(format!("{name}-in-pod"));
        std::fs::create_dir_all(&inside).expect("mkdir");
        // Up, into an existing directory: under its own name.
        let out = ok(&podterm, &c, &["cp", s(&local), &remote_in(name, &inside)]).await;
        assert!(
            out.stderr.contains(method) && out.stderr.contains(check),
            "{name}: {}",
            out.stderr
        );
        assert!(out.stderr.contains("No tar in container"), "{}", out.stderr);
        assert_eq!(
            std::fs::read(inside.join("every byte.bin")).expect("uploaded"),
            data,
            "{name}: upload"
        );
        if tools.contains(&"chmod") {
            let mode = std::fs::metadata(inside.join("every byte.bin"))
                .expect("stat")
                .permissions()
                .mode()
                & 0o7777;
            assert_eq!(mode, 0o751, "{name}: the mode");
        }
        // Down, to a named file.
        let back = work.path().join(format!("{name}-back"));
        std::fs::create_dir_all(&back).expect("mkdir");
        let to = back.join("every byte.bin");
        let out = ok(
            &podterm,
            &c,
            &[
                "cp",
                &remote_in(name, &inside.join("every byte.bin")),
                s(&to),
            ],
        )
        .await;
        assert!(out.stderr.contains(method), "{name}: {}", out.stderr);
        assert_eq!(
            std::fs::read(&to).expect("downloaded"),
            data,
            "{name}: down"
        );
        no_parts_under(&back);
        // A name no shell line would survive, relative to the container's working directory.
        let odd = "-odd 'single' \"double\"\nline $(x).bin";
        ok(
            &podterm,
            &c,
            &["cp", s(&local), &format!("demo/{name}:{odd}")],
        )
        .await;
        let again = back.join("again.bin");
        ok(
            &podterm,
            &c,
            &["cp", &format!("demo/{name}:{odd}"), s(&again)],
        )
        .await;
        assert_eq!(
            std::fs::read(&again).expect("again"),
            data,
            "{name}: odd name"
        );
    }
}

/// Nothing to copy with (no shell, no cat, no tar): refused in words that say how to allow a
/// debug container; with `--debug`, the file goes both ways through one beside the container,
/// which reaches its files under /proc/PID/root, and a second copy reuses it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_with_nothing_is_reached_through_a_debug_container() {
    let c = cluster::demo().await;
    let podterm = bin::podterm();
    let work = tempfile::tempdir().expect("tmp");
    let empty = work.path().join("nothing-bin");
    std::fs::create_dir_all(&empty).expect("mkdir");
    c.apply_pod(pod("bare", s(&empty)));
    let data = every_byte();
    let local = work.path().join("every byte.bin");
    std::fs::write(&local, &data).expect("write");
    let inside = work.path().join("bare-in-pod");
    std::fs::create_dir_all(&inside).expect("mkdir");
    let out = run(
        &podterm,
        &c,
        &["cp", s(&local), &remote_in("bare", &inside)],
    )
    .await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "there is no tar in container \"main\" of pod \"bare\", and no fallback: it has no dd, and no shell to write a file with cat or base64"
        ) && out.stderr.contains("Add --debug"),
        "{}",
        out.stderr
    );
    assert!(!inside.join("every byte.bin").exists());
    // With consent: up into the directory, then down.
    let out = ok(
        &podterm,
        &c,
        &["cp", "--debug", s(&local), &remote_in("bare", &inside)],
    )
    .await;
    assert!(
        out.stderr.contains("through debug container") && out.stderr.contains("sha256 checked"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read(inside.join("every byte.bin")).expect("uploaded"),
        data
    );
    let to = work.path().join("back.bin");
    ok(
        &podterm,
        &c,
        &[
            "cp",
            "--debug",
            &remote_in("bare", &inside.join("every byte.bin")),
            s(&to),
        ],
    )
    .await;
    assert_eq!(std::fs::read(&to).expect("downloaded"), data);
    // One debug container for both copies.
    let k = kubectls().into_iter().next().expect("a kubectl");
    let names = ok(
        &k,
        &c,
        &[
            "get",
            "pod",
            "-n",
            "demo",
            "bare",
            "-o",
            "jsonpath={.spec.ephemeralContainers[*].name}",
        ],
    )
    .await
    .stdout;
    let n = names.split_whitespace().count();
    assert_eq!(n, 1, "one debug container, reused");
}

/// Errors in words on the way without tar: no such path, a directory (needs tar), permission
/// denied in the container, the container's disk full (a 1 MiB tmpfs mounted by the test: the
/// tests run as root; the image's df tells) with no half-written file left there (its rm).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_without_tar_are_said_in_words() {
    let c = cluster::demo().await;
    let podterm = bin::podterm();
    let work = tempfile::tempdir().expect("tmp");
    c.apply_pod(pod(
        "cat-only",
        s(&image_with(
            work.path(),
            "cat-only",
            &["sh", "cat", "sha256sum", "df", "rm"],
        )),
    ));
    let check = |out: Out, words: &str| {
        assert_eq!(out.code, 1, "{words}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains(words),
            "want {words:?} in {:?}",
            out.stderr
        );
    };
    let nope = work.path().join("nope");
    check(
        run(
            &podterm,
            &c,
            &[
                "cp",
                &remote_in("cat-only", &nope),
                s(&work.path().join("x")),
            ],
        )
        .await,
        &format!(
            "\"{}\": no such file or directory in container \"main\" of pod \"cat-only\"",
            s(&nope)
        ),
    );
    let f = work.path().join("f");
    std::fs::write(&f, b"x").expect("write");
    // The local side cannot be written (its folder is a file): the writer's words, not
    // "cancelled" (exit 130), which the relay said when the writer gave up.
    let unwritable = f.join("inside");
    let out = run(
        &podterm,
        &c,
        &["cp", &remote_in("cat-only", &f), s(&unwritable)],
    )
    .await;
    assert!(!out.stderr.contains("cancelled"), "{}", out.stderr);
    check(out, "Not a directory");
    check(
        run(
            &podterm,
            &c,
            &["cp", s(&f), &remote_in("cat-only", &nope.join("deeper"))],
        )
        .await,
        &format!(
            "\"{}\": no such directory in container \"main\" of pod \"cat-only\" to copy into; create it first",
            s(&nope)
        ),
    );
    check(
        run(
            &podterm,
            &c,
            &[
                "cp",
                &remote_in("cat-only", work.path()),
                s(&work.path().join("d")),
            ],
        )
        .await,
        "a directory needs tar in the image",
    );
    check(
        run(&podterm, &c, &["cp", s(work.path()), "demo/cat-only:/tmp"]).await,
        "a directory needs tar in the image",
    );
    // Permission denied: an image whose user is nobody (its sh drops root first).
    let nobody = image_with(work.path(), "nobody", &["cat"]);
    write_executable(
        &nobody.join("sh"),
        "#!/bin/sh\nexec /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups /bin/sh \"$@\"\n",
    )
    .expect("write");
    c.apply_pod(pod("nobody", s(&nobody)));
    let locked = work.path().join("locked");
    std::fs::create_dir_all(&locked).expect("mkdir");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    std::fs::write(locked.join("secret"), b"s").expect("write");
    // (The test's temporary directory is 0700 too: open it to nobody, keep `locked` shut.)
    std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    check(
        run(&podterm, &c, &["cp", s(&f), &remote_in("nobody", &locked)]).await,
        &format!(
            "\"{}\": permission denied in container \"main\" of pod \"nobody\"",
            s(&locked)
        ),
    );
    let root_only = work.path().join("root-only");
    std::fs::write(&root_only, b"s").expect("write");
    std::fs::set_permissions(&root_only, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    check(
        run(
            &podterm,
            &c,
            &[
                "cp",
                &remote_in("nobody", &root_only),
                s(&work.path().join("r")),
            ],
        )
        .await,
        &format!(
            "\"{}\": permission denied in container \"main\" of pod \"nobody\"",
            s(&root_only)
        ),
    );
    // The container's disk full.
    let small = work.path().join("small");
    std::fs::create_dir_all(&small).expect("mkdir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs", s(&small)])
        .status()
        .expect("mount runs");
    assert!(mounted.success(), "mounting a tmpfs needs root");
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(small.clone());
    let big = work.path().join("big.bin");
    std::fs::write(&big, vec![7u8; 3 << 20]).expect("write");
    check(
        run(
            &podterm,
            &c,
            &["cp", s(&big), &remote_in("cat-only", &small)],
        )
        .await,
        "no space left in container \"main\" of pod \"cat-only\"",
    );
    let left: Vec<_> = std::fs::read_dir(&small).expect("ls").flatten().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Without tar, a download whose connection breaks goes on from the byte it reached, with
/// what the image has: `tail -c +N` (cat, and base64 behind a shell), `dd skip=` from the
/// 64 KiB block holding that byte (no shell, no tail). The file lands whole, checked by the
/// container's sha256sum or size, and nothing is left under a temporary name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_download_without_tar_resumes_from_the_byte_reached() {
    let c = cluster::demo().await;
    let podterm = bin::podterm();
    let work = tempfile::tempdir().expect("tmp");
    let big = work.path().join("big.bin");
    random_file(&big, 128);
    let want = sha256(&big);
    let images: [(&str, &[&str], &str); 3] = [
        ("resume-cat", &["sh", "cat", "tail", "sha256sum"], "tail -c"),
        ("resume-dd", &["dd", "wc", "test"], "dd skip"),
        (
            "resume-base64",
            &["sh", "base64", "tail", "sha256sum"],
            "tail -c",
        ),
    ];
    for (name, tools, how) in images {
        c.apply_pod(pod(name, s(&image_with(work.path(), name, tools))));
        let down = work.path().join(format!("{name}-down"));
        std::fs::create_dir_all(&down).expect("mkdir");
        let child = tokio::process::Command::new(&podterm)
            .args([
                "cp",
                "--retries",
                "3",
                &remote_in(name, &big),
                s(&down.join("big.bin")),
            ])
            .env("KUBECONFIG", c.kubeconfig())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("podterm starts");
        until("8 MiB to arrive", Duration::from_secs(120), || {
            parts(&down).iter().any(|n| *n > 8 << 20)
        })
        .await;
        c.drop_connections();
        let out = tokio::time::timeout(Duration::from_secs(300), child.wait_with_output())
            .await
            .expect("podterm ends")
            .expect("podterm output");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
        let note = stderr
            .lines()
            .find_map(|l| l.strip_prefix("Resuming copy at "))
            .unwrap_or_else(|| panic!("{name}: no resume note in {stderr}"));
        let at: u64 = note
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name}: {note}"));
        assert!(
            at >= 8 << 20,
            "{name}: resumed at {at}, not where it stopped"
        );
        assert!(note.contains(how), "{name}: {note}");
        assert!(stderr.contains("No tar in container"), "{name}: {stderr}");
        assert_eq!(sha256(&down.join("big.bin")), want, "{name}");
        no_parts_under(&down);
    }
}

/// A hostile container's `tar` declaring a 4 GiB long name, then sending bytes without end:
/// the copy is refused at that header (never held in memory) and the pod's `tar` is stopped
/// there, not read to an end that never comes; nothing lands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_long_name_is_refused_and_its_tar_stopped() {
    let c = cluster::demo().await;
    let podterm = bin::podterm();
    let work = tempfile::tempdir().expect("tmp");
    let tools = work.path().join("endless-bin");
    std::fs::create_dir_all(&tools).expect("mkdir");
    let source = work.path().join("source");
    std::fs::create_dir_all(&source).expect("mkdir");
    let head = work.path().join("head.bin");
    std::fs::write(&head, header(b"././@LongLink", b'L', 4 << 30, b"")).expect("head");
    write_executable(
        &tools.join("tar"),
        &format!("#!/bin/sh\ncat '{}'\nexec cat /dev/zero\n", s(&head)),
    )
    .expect("tar");
    c.apply_pod(pod("endless", &format!("{}:/usr/bin:/bin", s(&tools))));
    let dest = work.path().join("dest");
    // The run's own limit is a liveness bound: before, the copy read the pod's tar forever.
    let out = run(
        &podterm,
        &c,
        &["cp", &remote_in("endless", &source), s(&dest)],
    )
    .await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "the pod's tar stream is corrupt: a tar header's long name of 4294967296 bytes"
        ),
        "{}",
        out.stderr
    );
    assert!(!dest.exists(), "something landed");
}
