//! `podterm favourite add|list|rm` and `podterm connect NAME` end to end: a temporary config
//! directory, a profile imported from testcluster's kubeconfig with its token in a real Secret
//! Service (run under scripts/with-keyring.sh, as `make test` does), and the demo cluster.

use podterm_test_support::pty::Pty;
use podterm_test_support::{bin, client, require_keyring};
use std::path::Path;
use std::time::Duration;
use testcluster::{Options, Phase, TestCluster};

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn podterm(config: &Path, args: &[&str]) -> Out {
    let mut cmd = tokio::process::Command::new(bin::podterm());
    cmd.args(args)
        .env("PODTERM_CONFIG_DIR", config)
        .env_remove("KUBECONFIG");
    let out = client::run(cmd, None, Duration::from_secs(60)).await;
    Out {
        code: out.code,
        stdout: out.stdout_text(),
        stderr: out.stderr_text(),
    }
}

/// `podterm ARGS` must succeed; its stdout.
async fn ok(config: &Path, args: &[&str]) -> String {
    let out = podterm(config, args).await;
    assert_eq!(out.code, 0, "podterm {args:?}: {}", out.stderr);
    out.stdout
}

/// `podterm ARGS` must fail with exit code 1; its stderr.
async fn fails(config: &Path, args: &[&str]) -> String {
    let out = podterm(config, args).await;
    assert_eq!(
        out.code, 1,
        "podterm {args:?}: {}{}",
        out.stdout, out.stderr
    );
    out.stderr
}

/// The demo cluster and a config directory holding its two contexts as profiles.
async fn setup() -> (TestCluster, tempfile::TempDir) {
    require_keyring();
    let c = TestCluster::start(Options::demo()).await.expect("cluster");
    let config = tempfile::tempdir().expect("config dir");
    let kc = c.kubeconfig().to_string_lossy().into_owned();
    ok(
        config.path(),
        &["profile", "import", "--kubeconfig", &kc, "--all"],
    )
    .await;
    (c, config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn favourite_add_list_and_rm() {
    let (_c, config) = setup().await;
    let cfg = config.path();

    let out = podterm(cfg, &["favourite", "list"]).await;
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
    assert!(out.stderr.contains("no favourites yet"), "{}", out.stderr);

    assert_eq!(
        ok(
            cfg,
            &[
                "favourite",
                "add",
                "web",
                "--profile",
                "demo-admin",
                "-n",
                "demo",
                "deploy/web"
            ]
        )
        .await,
        "added favourite web: deployment/web in namespace demo through profile demo-admin\n"
    );
    // No -n: the profile's namespace (the demo context's, "demo").
    ok(
        cfg,
        &[
            "favourite",
            "add",
            "sh",
            "--profile",
            "demo-admin",
            "shell",
            "-c",
            "main",
            "--",
            "sh",
            "-c",
            "echo from-$HOSTNAME",
        ],
    )
    .await;
    ok(
        cfg,
        &[
            "favourite",
            "add",
            "db",
            "--profile",
            "viewer",
            "-n",
            "data",
            "sts/db",
        ],
    )
    .await;
    ok(
        cfg,
        &[
            "favourite",
            "add",
            "pair",
            "--profile",
            "demo-admin",
            "pod/pair",
        ],
    )
    .await;

    assert_eq!(
        ok(cfg, &["favourite", "list"]).await,
        "NAME   PROFILE      NAMESPACE   TARGET           CONTAINER   COMMAND\n\
         web    demo-admin   demo        deployment/web   <default>   <shell>\n\
         sh     demo-admin   demo        pod/shell        main        sh -c 'echo from-$HOSTNAME'\n\
         db     viewer       data        statefulset/db   <default>   <shell>\n\
         pair   demo-admin   demo        pod/pair         <default>   <shell>\n"
    );
    // Beside the profiles, in the order added.
    let file: serde_json::Value = serde_json::from_slice(
        &std::fs::read(cfg.join("favourites.json")).expect("favourites.json beside profiles.json"),
    )
    .expect("json");
    assert!(cfg.join("profiles.json").exists());
    assert_eq!(file["version"], 1);
    assert_eq!(file["favourites"][1]["command"][2], "echo from-$HOSTNAME");

    // Refusals, each saying what to do; the file is unchanged by them.
    let err = fails(
        cfg,
        &[
            "favourite",
            "add",
            "web",
            "--profile",
            "demo-admin",
            "shell",
        ],
    )
    .await;
    assert_eq!(
        err,
        "error: a favourite named \"web\" already exists: pick another name, or remove it first\n"
    );
    let err = fails(
        cfg,
        &["favourite", "add", "x", "--profile", "nope", "deploy/web"],
    )
    .await;
    assert_eq!(
        err,
        "error: no profile named \"nope\" (profiles: demo-admin, viewer); import one with `podterm profile import`\n"
    );
    let err = fails(
        cfg,
        &["favourite", "add", "x", "--profile", "demo-admin", "cm/web"],
    )
    .await;
    assert!(
        err.contains("cm/web: cm is neither a pod nor a workload that runs pods"),
        "{err}"
    );
    let err = fails(
        cfg,
        &[
            "favourite",
            "add",
            "x",
            "--profile",
            "demo-admin",
            "-c",
            "",
            "shell",
        ],
    )
    .await;
    assert!(err.contains("the container name is empty"), "{err}");

    assert_eq!(
        ok(cfg, &["favourite", "rm", "sh"]).await,
        "removed favourite sh (pod/shell)\n"
    );
    let err = fails(cfg, &["favourite", "rm", "sh"]).await;
    assert_eq!(
        err,
        "error: no favourite named \"sh\"; the favourites are: web, db, pair\n"
    );
    let listed = ok(cfg, &["favourite", "list"]).await;
    let names: Vec<&str> = listed
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ["web", "db", "pair"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_runs_in_the_newest_ready_pod() {
    let (c, config) = setup().await;
    let cfg = config.path();
    ok(
        cfg,
        &[
            "favourite",
            "add",
            "web",
            "--profile",
            "demo-admin",
            "-n",
            "demo",
            "deploy/web",
        ],
    )
    .await;
    ok(
        cfg,
        &[
            "favourite",
            "add",
            "sh",
            "--profile",
            "demo-admin",
            "shell",
            "--",
            "sh",
            "-c",
            "echo from-$HOSTNAME",
        ],
    )
    .await;
    ok(
        cfg,
        &[
            "favourite",
            "add",
            "pair",
            "--profile",
            "demo-admin",
            "pair",
        ],
    )
    .await;

    let out = podterm(cfg, &["connect", "web", "--", "echo", "hi"]).await;
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "hi\n", "")
    );
    // A Service's favourite: the pod its selector finds (one: shell).
    assert!(c.apply_service(serde_json::json!({
        "metadata": { "name": "logs", "namespace": "demo" },
        "spec": { "selector": { "app": "shell" }, "ports": [{ "port": 80 }] },
    })));
    ok(
        cfg,
        &[
            "favourite",
            "add",
            "logs",
            "--profile",
            "demo-admin",
            "-n",
            "demo",
            "svc/logs",
        ],
    )
    .await;
    assert!(ok(cfg, &["favourite", "list"])
        .await
        .contains("service/logs"));
    assert_eq!(
        ok(
            cfg,
            &["connect", "logs", "--", "sh", "-c", "echo $HOSTNAME"]
        )
        .await,
        "shell\n"
    );
    // --as over the favourite's profile: the viewer may not even read the workload.
    let err = fails(cfg, &["connect", "web", "--as", "viewer", "--", "true"]).await;
    assert_eq!(err, "Error from server (Forbidden): deployments.apps \"web\" is forbidden: User \"viewer\" cannot get resource \"deployments\" in API group \"apps\" in the namespace \"demo\"\n");
    // The favourite's own command, and a command that overrides it.
    assert_eq!(ok(cfg, &["connect", "sh"]).await, "from-shell\n");
    assert_eq!(
        ok(cfg, &["connect", "sh", "--", "echo", "instead"]).await,
        "instead\n"
    );
    // No command at all: the shell fallback, reading stdin (empty here) and exiting.
    let out = podterm(cfg, &["connect", "web"]).await;
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{}", out.stderr);
    // kubectl's note on the defaulted container, and its words on an exit code.
    let out = podterm(cfg, &["connect", "pair", "--", "true"]).await;
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (0, "Defaulted container \"one\" out of: one, two\n")
    );
    let out = podterm(cfg, &["connect", "-q", "pair", "--", "true"]).await;
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let out = podterm(cfg, &["connect", "web", "--", "sh", "-c", "exit 7"]).await;
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (7, "command terminated with exit code 7\n")
    );

    // `--stdin=false` leaves stdin to a script's loop, as `ssh -n`: each round's command runs
    // and the loop reads every line.
    let mut cmd = tokio::process::Command::new("sh");
    cmd.args([
        "-c",
        r#"printf 'a\nb\nc\n' | while read x; do echo "loop $x"; "$0" connect web --stdin=false -- echo hi; done"#,
    ])
    .arg(bin::podterm())
    .env("PODTERM_CONFIG_DIR", cfg)
    .env_remove("KUBECONFIG");
    let out = client::run(cmd, None, Duration::from_secs(60)).await;
    assert_eq!(
        (out.code, out.stdout_text()),
        (0, "loop a\nhi\nloop b\nhi\nloop c\nhi\n".to_string()),
        "{}",
        out.stderr_text()
    );

    // Without stdin and without a command, a shell would end at once: refused.
    let err = fails(cfg, &["connect", "web", "--stdin=false"]).await;
    assert!(
        err.starts_with("error: --stdin=false needs a command: favourite web opens a shell"),
        "{err}"
    );

    let hostname = |args: &'static [&'static str]| podterm(cfg, args);
    let web_host: &[&str] = &["connect", "web", "--", "sh", "-c", "echo $HOSTNAME"];
    assert_eq!(hostname(web_host).await.stdout, "web-6b7f9c8d5-p9m7q\n");

    // A rollout: a new pod comes up Ready, the old ones terminate.
    let mut new = testcluster::ClusterSpec::demo()
        .pods
        .into_iter()
        .find(|p| p.name.starts_with("web-"))
        .expect("web pod");
    new.name = "web-6b7f9c8d5-n3w01".into();
    new.age_seconds = 2;
    c.apply_pod(new.clone());
    assert!(c.mark_terminating("demo", "web-6b7f9c8d5-p9m7q"));
    assert!(c.mark_terminating("demo", "web-6b7f9c8d5-h2x4k"));
    assert_eq!(hostname(web_host).await.stdout, "web-6b7f9c8d5-n3w01\n");

    // None Ready, one running (its readiness probe fails): that one, said on stderr.
    assert!(c.set_ready("demo", "web-6b7f9c8d5-n3w01", false));
    new.name = "web-6b7f9c8d5-n3w02".into();
    new.age_seconds = 1;
    new.phase = Phase::Pending;
    c.apply_pod(new);
    let out = podterm(cfg, web_host).await;
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            0,
            "web-6b7f9c8d5-n3w01\n",
            "No Ready pod for deployment/web; using web-6b7f9c8d5-n3w01 (not Ready: container \
             web not ready)\n"
        )
    );

    // Nothing that runs: which pods there are, and why each is not Ready.
    assert!(c.mark_terminating("demo", "web-6b7f9c8d5-n3w01"));
    let err = fails(cfg, &["connect", "web", "--", "true"]).await;
    assert_eq!(
        err,
        "error: no Ready pod for deployment/web in namespace demo: \
         web-6b7f9c8d5-n3w02 (Pending: ContainerCreating), \
         web-6b7f9c8d5-n3w01 (terminating), \
         web-6b7f9c8d5-p9m7q (terminating), web-6b7f9c8d5-h2x4k (terminating)\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debug_favourite_connects_in_one_shared_debug_container_beside_its_container() {
    let (_c, config) = setup().await;
    let cfg = config.path();
    assert_eq!(
        ok(
            cfg,
            &[
                "favourite",
                "add",
                "dl",
                "--profile",
                "demo-admin",
                "-n",
                "demo",
                "distroless",
                "--debug",
            ],
        )
        .await,
        "added favourite dl: pod/distroless in namespace demo through profile demo-admin, in a debug container\n"
    );
    let list = ok(cfg, &["favourite", "list"]).await;
    assert!(list.contains("<default> (debug)"), "{list}");
    // The settings' debug image (the default: busybox:1.36) beside the default container; the
    // shell starts in the target's working directory.
    let first = podterm(
        cfg,
        &["connect", "dl", "--", "sh", "-c", "echo \"cwd=$PWD\""],
    )
    .await;
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stdout.trim_end().ends_with("/demo/distroless/app"),
        "{}",
        first.stdout
    );
    let name = first
        .stderr
        .strip_prefix("Added debug container ")
        .and_then(|r| r.strip_suffix(" (busybox:1.36) beside container app.\n"))
        .unwrap_or_else(|| panic!("{:?}", first.stderr))
        .to_string();
    assert!(name.starts_with("debugger-"), "{name}");
    // Again: the same container, reused; -q says nothing.
    let again = podterm(cfg, &["connect", "dl", "--", "true"]).await;
    assert_eq!(
        (again.code, again.stderr.as_str()),
        (
            0,
            format!("Reusing debug container {name} (busybox:1.36) beside container app.\n")
                .as_str()
        )
    );
    let quiet = podterm(cfg, &["connect", "dl", "-q", "--", "true"]).await;
    assert_eq!((quiet.code, quiet.stderr.as_str()), (0, ""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_errors_say_what_to_do() {
    let (c, config) = setup().await;
    let cfg = config.path();

    let err = fails(cfg, &["connect", "web"]).await;
    assert_eq!(
        err,
        "error: no favourite named \"web\"; there are no favourites yet\n"
    );
    ok(
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
    ok(
        cfg,
        &[
            "favourite",
            "add",
            "as-viewer",
            "--profile",
            "viewer",
            "shell",
        ],
    )
    .await;
    ok(
        cfg,
        &[
            "favourite",
            "add",
            "gone",
            "--profile",
            "demo-admin",
            "deploy/gone",
        ],
    )
    .await;
    let err = fails(cfg, &["connect", "wbe"]).await;
    assert_eq!(
        err,
        "error: no favourite named \"wbe\"; the favourites are: web, as-viewer, gone\n"
    );
    // The cluster's own words: no such workload, not allowed.
    let err = fails(cfg, &["connect", "gone", "--", "true"]).await;
    assert_eq!(
        err,
        "Error from server (NotFound): deployments.apps \"gone\" not found\n"
    );
    let err = fails(cfg, &["connect", "as-viewer", "--", "true"]).await;
    assert!(
        err.contains(r#"User "viewer" cannot create resource "pods/exec""#),
        "{err}"
    );

    // Its profile removed: `profile rm` says which favourites still name it, and connect says
    // what to do.
    let out = podterm(cfg, &["profile", "rm", "viewer"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("favourites still naming profile \"viewer\": as-viewer"),
        "{}",
        out.stderr
    );
    let err = fails(cfg, &["connect", "as-viewer", "--", "true"]).await;
    assert_eq!(
        err,
        "error: favourite \"as-viewer\" connects through profile \"viewer\", which does not exist \
         (profiles: demo-admin): import it with `podterm profile import`, or remove the favourite \
         (`podterm favourite rm as-viewer`) and add it again with another profile\n"
    );

    // A favourite's shell in a container without one: the commands suggested go through the
    // favourite's profile.
    let out = podterm(
        cfg,
        &[
            "favourite",
            "add",
            "dl",
            "--profile",
            "demo-admin",
            "-n",
            "demo",
            "distroless",
        ],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let err = fails(cfg, &["connect", "dl"]).await;
    assert!(
        err.starts_with("error: container app of pod demo/distroless has no shell")
            && err.contains("(podterm exec --profile demo-admin -n demo distroless -c app -- PROGRAM)")
            && err.contains("(podterm debug -it --profile demo-admin -n demo distroless --image=busybox --target=app)"),
        "{err}"
    );

    // A revoked token: the profile's hint.
    assert!(c.set_token("demo-admin", Some("rotated")));
    let err = fails(cfg, &["connect", "web", "--", "true"]).await;
    assert!(
        err.contains("the cluster refused the credentials of profile \"demo-admin\" (401)"),
        "{err}"
    );
}

/// On a terminal `connect` runs as `exec -i -t` (the remote side sees a TTY of the local size);
/// `-T` turns the TTY off.
#[test]
fn connect_gets_a_tty_on_a_terminal() {
    require_keyring();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (c, config) = rt.block_on(setup());
    let cfg = config.path();
    rt.block_on(ok(
        cfg,
        &[
            "favourite",
            "add",
            "tty",
            "--profile",
            "demo-admin",
            "shell",
            "--",
            "sh",
            "-c",
            "if [ -t 0 ]; then echo tty-$(stty size | tr ' ' x); else echo no-tty; fi",
        ],
    ));
    for (args, want) in [
        (&["connect", "tty"][..], "tty-24x80"),
        (&["connect", "-T", "tty"][..], "no-tty"),
    ] {
        let mut pty = Pty::spawn(
            &bin::podterm(),
            args,
            &[
                ("PODTERM_CONFIG_DIR".into(), Some(cfg.into())),
                ("KUBECONFIG".into(), None),
            ],
        );
        let code = pty.exit_code();
        // Let the reader drain what is left.
        let text = pty.drained_until(want);
        assert_eq!(code, 0, "podterm {args:?}: {text}");
        assert!(text.contains(want), "podterm {args:?}: {text:?}");
    }
    drop(c);
}

/// `podterm connect` with `--profile` and `-n`/`--namespace` overriding the favourite's for this
/// once, each before the subcommand, after it, and after the favourite's name (kubectl's global
/// flags go anywhere; issue 12).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_takes_profile_and_namespace_before_or_after_the_subcommand() {
    let (c, config) = setup().await;
    let cfg = config.path();
    // The same pod name in another namespace, telling which one answered.
    let mut other = testcluster::ClusterSpec::demo()
        .pods
        .into_iter()
        .find(|p| p.name == "shell")
        .expect("shell pod");
    other.namespace = "other".into();
    for ct in &mut other.containers {
        ct.env.insert("WHERE".into(), "other-ns".into());
    }
    c.apply_pod(other);
    ok(
        cfg,
        &[
            "favourite",
            "add",
            "sh",
            "--profile",
            "demo-admin",
            "-n",
            "demo",
            "shell",
        ],
    )
    .await;
    let cmd = ["--", "sh", "-c", "echo ns=${WHERE:-demo}"];
    let with = |args: &[&'static str]| -> Vec<&'static str> {
        let mut v = args.to_vec();
        v.extend(cmd);
        v
    };
    // The favourite's own namespace.
    assert_eq!(ok(cfg, &with(&["connect", "sh"])).await, "ns=demo\n");
    for args in [
        &["-n", "other", "connect", "sh"][..],
        &["--namespace", "other", "connect", "sh"],
        &["--namespace=other", "connect", "sh"],
        &["connect", "-n", "other", "sh"],
        &["connect", "sh", "-n", "other"],
        &["connect", "sh", "--namespace=other"],
        &["--profile", "demo-admin", "connect", "sh", "-n", "other"],
        &["-n", "other", "connect", "sh", "--profile", "demo-admin"],
    ] {
        let out = podterm(cfg, &with(args)).await;
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, "ns=other-ns\n"),
            "podterm {args:?}: {}",
            out.stderr
        );
    }
    // --profile: the viewer's credentials, whose RBAC refuses exec, in every position.
    for args in [
        &["--profile", "viewer", "connect", "sh"][..],
        &["--profile=viewer", "connect", "sh"],
        &["connect", "--profile", "viewer", "sh"],
        &["connect", "sh", "--profile", "viewer"],
        &["-n", "demo", "connect", "sh", "--profile=viewer"],
    ] {
        let err = fails(cfg, &with(args)).await;
        assert!(
            err.contains(r#"User "viewer" cannot create resource "pods/exec""#),
            "podterm {args:?}: {err}"
        );
    }
    // After `--` they are the command's, not podterm's.
    let out = podterm(
        cfg,
        &[
            "connect",
            "sh",
            "--",
            "sh",
            "-c",
            "echo \"$0 $1\"",
            "-n",
            "other",
        ],
    )
    .await;
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "-n other\n"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_records_the_session_with_record() {
    let (_c, config) = setup().await;
    let cfg = config.path();
    ok(
        cfg,
        &[
            "favourite",
            "add",
            "web",
            "--profile",
            "demo-admin",
            "-n",
            "demo",
            "deploy/web",
        ],
    )
    .await;
    let file = cfg.join("web.cast");
    let f = file.to_string_lossy().into_owned();
    assert_eq!(
        ok(
            cfg,
            &["connect", "web", "--record", &f, "--", "echo", "recorded"]
        )
        .await,
        "recorded\n"
    );
    let text = std::fs::read_to_string(&file).expect("the recording");
    let header: serde_json::Value =
        serde_json::from_str(text.lines().next().expect("a header")).expect("JSON");
    assert_eq!(header["version"], 2);
    let title = header["title"].as_str().expect("a title");
    assert!(title.starts_with("demo/web-"), "{title}");
    // The real player prints what the terminal got.
    let asciinema = podterm_test_support::repo_root().join(".venv/bin/asciinema");
    assert!(
        asciinema.is_file(),
        "run `make deps`: no {}",
        asciinema.display()
    );
    let played = std::process::Command::new(&asciinema)
        .arg("cat")
        .arg(&file)
        .env("PYTHONIOENCODING", "utf-8")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("asciinema");
    assert_eq!(String::from_utf8_lossy(&played.stdout), "recorded\n");
    // The file is there now: a second connect is refused before it runs anything.
    let err = fails(
        cfg,
        &["connect", "web", "--record", &f, "--", "echo", "again"],
    )
    .await;
    assert!(err.contains("already exists"), "{err}");
}
