//! Shell completion (`podterm completion bash|zsh|fish`, `podterm __complete`): the names it
//! offers against kubectl's own completion on the same cluster, then in the real shells, bash
//! and zsh in a terminal with TAB pressed and fish's `complete -C`; saved profiles and favourites by name
//! (with a real Secret Service, as `make test` runs it).

use podterm_test_support::kubectl::kubectls;
use podterm_test_support::pty::Pty;
use podterm_test_support::{bin, client, require_keyring};
use std::path::Path;
use std::time::Duration;
use testcluster::{Options, TestCluster};

/// `bin ARGS` with the cluster's kubeconfig and `config` as Podterm's config directory.
async fn run(bin: &Path, c: &TestCluster, config: &Path, args: &[&str]) -> client::Output {
    let mut cmd = tokio::process::Command::new(bin);
    cmd.args(args)
        .env("KUBECONFIG", c.kubeconfig())
        .env("PODTERM_CONFIG_DIR", config)
        .env("HOME", config);
    client::run(cmd, None, Duration::from_secs(60)).await
}

/// The candidates of a `__complete` answer (cobra's format: a line each, `:N` last), without
/// what each is; and the directive.
fn candidates(out: &client::Output) -> (Vec<String>, String) {
    let text = out.stdout_text();
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default().to_string())
        .collect();
    let directive = lines.pop().unwrap_or_default();
    assert!(directive.starts_with(':'), "no directive: {text}");
    (lines, directive)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_offered_as_kubectl_offers_them() {
    let c = TestCluster::start(Options::demo()).await.expect("cluster");
    let config = tempfile::tempdir().expect("config");
    let cases: &[&[&str]] = &[
        &["exec", ""],
        &["attach", ""],
        &["logs", ""],
        &["port-forward", ""],
        &["exec", "-n", "demo", "sh"],
        &["exec", "-n", ""],
        &["logs", "--namespace", "kube-system", ""],
        &["exec", "--context", ""],
        &["exec", "shell", "-c", ""],
        &["exec", "deploy/web", "-c", ""],
        &["exec", "deploy/"],
        &["exec", "deployments/w"],
        &["exec", "pods/sh"],
    ];
    for args in cases {
        // (A slow machine's cluster answers within the line's own request timeout.)
        let mut args_with = vec!["__complete", "--request-timeout=60s"];
        args_with.extend_from_slice(args);
        let ours = run(&bin::podterm(), &c, config.path(), &args_with).await;
        assert_eq!(ours.code, 0, "{args:?}: {}", ours.stderr_text());
        let (offered, directive) = candidates(&ours);
        // The cluster's names, never a file name in their place.
        assert_eq!(directive, ":4", "{args:?}");
        assert!(!offered.is_empty(), "{args:?}: nothing offered");
        for kubectl in kubectls() {
            let theirs = run(&kubectl, &c, config.path(), &args_with).await;
            let (mut expected, _) = candidates(&theirs);
            // ReplicationControllers: podterm refuses rc/NAME, so it does not offer it.
            expected.retain(|n| n != "replicationcontrollers/");
            let mut ours_sorted = offered.clone();
            ours_sorted.sort();
            expected.sort();
            assert_eq!(
                ours_sorted,
                expected,
                "{args:?} against {}",
                kubectl.display()
            );
        }
    }
    // Where kubectl offers nothing, podterm's own: debug's pods and node/, the shells.
    let out = run(
        &bin::podterm(),
        &c,
        config.path(),
        &["__complete", "debug", "sh"],
    )
    .await;
    assert_eq!(
        candidates(&out),
        (vec!["shell".to_string()], ":4".to_string())
    );
    // debug's --target names one of the pod's containers; its -c names the new one.
    let out = run(
        &bin::podterm(),
        &c,
        config.path(),
        &["__complete", "debug", "shell", "--target", ""],
    )
    .await;
    assert_eq!(
        candidates(&out),
        (vec!["main".to_string()], ":4".to_string())
    );
    let out = run(
        &bin::podterm(),
        &c,
        config.path(),
        &[
            "__complete",
            "debug",
            "--share-processes",
            "shell",
            "-c",
            "",
        ],
    )
    .await;
    assert_eq!(candidates(&out), (vec![], ":4".to_string()));
    let out = run(
        &bin::podterm(),
        &c,
        config.path(),
        &["__complete", "cp", "sh"],
    )
    .await;
    assert_eq!(
        candidates(&out),
        (vec!["shell:".to_string()], ":2".to_string())
    );
    // A cluster that cannot be reached: nothing, at once and quietly.
    let out = run(
        &bin::podterm(),
        &c,
        config.path(),
        &["__complete", "--server", "https://127.0.0.1:9", "exec", ""],
    )
    .await;
    assert_eq!(
        (out.code, candidates(&out).0.len()),
        (0, 7),
        "only the kinds: {out:?}"
    );
    assert!(out.stderr.is_empty(), "{}", out.stderr_text());
}

/// A credential plugin that never answers (a browser sign-in no one completes) does not hang
/// the TAB: the answer comes once the cluster's time is up, the plugin left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_never_answers_does_not_hang_completion() {
    let c = TestCluster::start(Options::demo()).await.expect("cluster");
    let dir = tempfile::tempdir().expect("dir");
    let release = dir.path().join("release");
    let kubeconfig = dir.path().join("kubeconfig");
    // (It ends when released, or once the test's directory is gone, whatever happens.)
    let waits = format!(
        "while [ ! -e '{}' ]; do [ -d '{}' ] || exit 1; sleep 0.1; done",
        release.display(),
        dir.path().display()
    );
    let config = serde_json::json!({
        "apiVersion": "v1", "kind": "Config", "current-context": "slow",
        "clusters": [{ "name": "c", "cluster": {
            "server": c.url(),
            "certificate-authority-data": base64_of(c.ca_pem()),
        } }],
        "users": [{ "name": "u", "user": { "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": "sh", "args": ["-c", waits],
            "interactiveMode": "Never",
        } } }],
        "contexts": [{ "name": "slow", "context": { "cluster": "c", "user": "u", "namespace": "demo" } }],
    });
    std::fs::write(&kubeconfig, config.to_string()).expect("kubeconfig");
    let kc = kubeconfig.to_string_lossy().into_owned();
    // (client::run fails the test if it is still running after 60 s.)
    let out = run(
        &bin::podterm(),
        &c,
        dir.path(),
        &["__complete", "--kubeconfig", &kc, "exec", "sh"],
    )
    .await;
    std::fs::write(&release, "").expect("release the plugin");
    assert_eq!(
        (out.code, candidates(&out)),
        (0, (vec![], ":4".to_string()))
    );
}

fn base64_of(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// bash with the script sourced, in a terminal: TAB as a person presses it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bash_completes_in_a_terminal() {
    let c = TestCluster::start(Options::demo()).await.expect("cluster");
    let home = tempfile::tempdir().expect("home");
    let podterm = bin::podterm();
    let dir = podterm.parent().expect("podterm's directory");
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let env = vec![
        ("PATH".to_string(), Some(path.into())),
        ("KUBECONFIG".to_string(), Some(c.kubeconfig().into())),
        ("HOME".to_string(), Some(home.path().into())),
        ("PODTERM_CONFIG_DIR".to_string(), Some(home.path().into())),
        ("TERM".to_string(), Some("dumb".into())),
        ("PS1".to_string(), Some("$ ".into())),
        ("INPUTRC".to_string(), Some("/dev/null".into())),
    ];
    let shell = tokio::task::spawn_blocking(move || {
        let mut bash = Pty::spawn(
            Path::new("/bin/bash"),
            &["--norc", "--noprofile", "-i"],
            &env,
        );
        bash.type_str("source <(podterm completion bash); echo sourced-$((40+2))\r");
        bash.expect("sourced-42");
        // A subcommand, then a workload of a kind typed, then run as completed.
        bash.type_str("podterm ex\t");
        bash.expect("podterm exec ");
        bash.type_str("deploy/\t");
        bash.expect("podterm exec deploy/web ");
        bash.type_str("-- sh -c 'echo ran-$((40+2))'\r");
        bash.expect("ran-42");
        // A flag's value after `=` (bash's own words split there).
        bash.type_str("podterm --namespace=kube-\t");
        bash.expect("--namespace=kube-system ");
        bash.type_str("\x15");
        // cp's pod side: no space after `POD:`, the path goes on.
        bash.type_str("podterm cp sh\t");
        bash.expect("podterm cp shell:");
        bash.type_str("/etc/hostname-x");
        bash.expect("podterm cp shell:/etc/hostname-x");
        bash.type_str("\x15");
        // A flag's value after `=` with nothing typed yet.
        bash.type_str("podterm exec shell --container=\t");
        bash.expect("podterm exec shell --container=main ");
        bash.type_str("\x15");
        // The cursor inside a word (Ctrl+B three times): what is before it is completed, the
        // rest of the word kept (bash's way), as running the line shows.
        bash.type_str("podterm exfoo\x02\x02\x02\t\r");
        bash.expect("unknown command \"execfoo\"");
        // Two TABs list every candidate: the pods and the kinds of workload.
        let before = bash.text().len();
        bash.type_str("podterm exec \t\t");
        bash.expect("statefulsets/");
        let listed = bash.text()[before..].to_string();
        bash.type_str("\x15exit 0\r");
        (listed, bash.exit_code())
    });
    let (listed, code) = shell.await.expect("bash");
    for name in ["web-6b7f9c8d5-h2x4k", "shell", "deployments/"] {
        assert!(listed.contains(name), "{name} not listed: {listed}");
    }
    assert_eq!(code, 0, "{listed}");
}

/// zsh with compinit and the script sourced, in a terminal: TAB as a person presses it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zsh_completes_in_a_terminal() {
    let c = TestCluster::start(Options::demo()).await.expect("cluster");
    let home = tempfile::tempdir().expect("home");
    let podterm = bin::podterm();
    let dir = podterm.parent().expect("podterm's directory");
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let env = vec![
        ("PATH".to_string(), Some(path.into())),
        ("KUBECONFIG".to_string(), Some(c.kubeconfig().into())),
        ("HOME".to_string(), Some(home.path().into())),
        ("ZDOTDIR".to_string(), Some(home.path().into())),
        ("PODTERM_CONFIG_DIR".to_string(), Some(home.path().into())),
        ("TERM".to_string(), Some("dumb".into())),
        ("PS1".to_string(), Some("%% ".into())),
    ];
    let shell = tokio::task::spawn_blocking(move || {
        let mut zsh = Pty::spawn(Path::new("/usr/bin/zsh"), &["-f", "-i"], &env);
        zsh.type_str(
            "autoload -U compinit && compinit -u && source <(podterm completion zsh) && echo sourced-$((40+2))\r",
        );
        zsh.expect("sourced-42");
        zsh.type_str("podterm ex\t");
        zsh.expect("podterm exec ");
        zsh.type_str("deploy/\t");
        zsh.expect("deploy/web ");
        zsh.type_str("-- sh -c 'echo ran-$((40+2))'\r");
        zsh.expect("ran-42");
        // A flag's value after `=`, with nothing typed yet.
        zsh.type_str("podterm exec shell --container=\t");
        zsh.expect("--container=main ");
        zsh.type_str("\x15");
        // cp's pod side: no space after `POD:`, the path goes on.
        zsh.type_str("podterm cp sh\t");
        zsh.expect("shell:");
        zsh.type_str("/etc/hostname-x");
        zsh.expect("shell:/etc/hostname-x");
        zsh.type_str("\x15exit 0\r");
        (zsh.text(), zsh.exit_code())
    });
    let (text, code) = shell.await.expect("zsh");
    assert_eq!(code, 0, "{text}");
}

/// fish's own completion machinery (`complete -C`, what a TAB shows) over the fish script.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fish_completes_with_its_own_machinery() {
    let c = TestCluster::start(Options::demo()).await.expect("cluster");
    let home = tempfile::tempdir().expect("home");
    let podterm = bin::podterm();
    let dir = podterm.parent().expect("podterm's directory");
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let fish = |line: &str| {
        let line = line.to_string();
        let script = format!("podterm completion fish | source; complete -C '{line}'");
        let mut cmd = tokio::process::Command::new("fish");
        cmd.args(["--no-config", "-c", &script])
            .env("PATH", &path)
            .env("KUBECONFIG", c.kubeconfig())
            .env("HOME", home.path())
            .env("PODTERM_CONFIG_DIR", home.path());
        async move {
            let out = client::run(cmd, None, Duration::from_secs(60)).await;
            assert_eq!(out.code, 0, "{line}: {}", out.stderr_text());
            out.stdout_text()
        }
    };
    // A subcommand, with what it is.
    let subs = fish("podterm ex").await;
    assert!(
        subs.lines()
            .any(|l| l.starts_with("exec\tRun a command in a container")),
        "{subs}"
    );
    assert_eq!(fish("podterm exec deploy/").await, "deploy/web\n");
    assert_eq!(fish("podterm -n kube-").await, "kube-system\n");
    assert_eq!(fish("podterm exec shell -c ").await, "main\n");
    // No candidate for a file flag: fish's own file names.
    assert_eq!(
        fish("podterm exec --kubeconfig /etc/hostnam").await,
        "/etc/hostname\n"
    );
}

/// Saved profiles and favourites, by name; a profile's own cluster through the keyring.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_profiles_and_favourites_complete_by_name() {
    require_keyring();
    let c = TestCluster::start(Options::demo()).await.expect("cluster");
    let config = tempfile::tempdir().expect("config");
    let cfg = config.path();
    let kc = c.kubeconfig().to_string_lossy().into_owned();
    let pt = bin::podterm();
    let ok = |args: Vec<&'static str>| {
        let (pt, c) = (&pt, &c);
        async move {
            let out = run(pt, c, cfg, &args).await;
            assert_eq!(out.code, 0, "{args:?}: {}", out.stderr_text());
            candidates(&out).0
        }
    };
    let import = run(
        &pt,
        &c,
        cfg,
        &["profile", "import", "--kubeconfig", &kc, "--all"],
    )
    .await;
    assert_eq!(import.code, 0, "{}", import.stderr_text());
    let added = run(
        &pt,
        &c,
        cfg,
        &[
            "favourite",
            "add",
            "web",
            "--profile",
            "demo-admin",
            "deploy/web",
        ],
    )
    .await;
    assert_eq!(added.code, 0, "{}", added.stderr_text());

    assert_eq!(
        ok(vec!["__complete", "--profile", ""]).await,
        ["demo-admin", "viewer"]
    );
    assert_eq!(
        ok(vec!["__complete", "profile", "rm", "v"]).await,
        ["viewer"]
    );
    assert_eq!(ok(vec!["__complete", "connect", ""]).await, ["web"]);
    assert_eq!(ok(vec!["__complete", "favourite", "rm", ""]).await, ["web"]);
    // debug's --profile is kubectl's debug profile; the saved one is --cluster-profile there.
    assert_eq!(
        ok(vec!["__complete", "debug", "--profile", "net"]).await,
        ["netadmin"]
    );
    assert_eq!(
        ok(vec!["__complete", "debug", "--cluster-profile", "d"]).await,
        ["demo-admin"]
    );
    // The profile's cluster, its token from the keyring: its pods.
    let pods = ok(vec!["__complete", "--profile", "demo-admin", "exec", "sh"]).await;
    assert_eq!(pods, ["shell"]);
}
