//! A credential that expires while a session is open (issue 12): the open session keeps
//! running, as with kubectl (a connection is authenticated once, when it is made), and the next
//! request through the same client gets a fresh token from the exec plugin. The plugin here
//! hands out whatever token a file holds, valid for 3 s; the test "expires" it by giving the
//! cluster's user a new token and the file the same new one.

use bytes::Bytes;
use podterm_core::cluster::connect_profile;
use podterm_core::exec::{ExecSpec, Session, Tuning};
use podterm_core::pods::{self, PodTarget};
use podterm_core::profiles::{Auth, Ca, Profile};
use podterm_core::protocol::Outcome;
use podterm_core::vault::Vault;
use std::path::Path;
use std::time::{Duration, Instant};
use testcluster::{Options, TestCluster};

fn spec(command: &[&str]) -> ExecSpec {
    ExecSpec {
        namespace: "demo".into(),
        pod: "shell".into(),
        container: "main".into(),
        command: command.iter().map(|s| s.to_string()).collect(),
        stdin: true,
        stdout: true,
        stderr: true,
        tty: false,
        size: None,
        attach: false,
    }
}

/// Reads the session's stdout until `want` has arrived (20 s at most).
async fn read_until(s: &mut Session, got: &mut Vec<u8>, want: &[u8]) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !got.windows(want.len()).any(|w| w == want) {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.stdout.recv()).await {
            Ok(Some(chunk)) => got.extend_from_slice(&chunk),
            Ok(None) => panic!("the session ended; stdout so far: {got:?}"),
            Err(_) => panic!("{want:?} did not arrive; stdout so far: {got:?}"),
        }
    }
}

/// A client for `c` through the exec plugin `plugin` (its arguments and environment).
async fn through_plugin(
    c: &TestCluster,
    name: &str,
    plugin: &Path,
    args: Vec<String>,
    env: Vec<podterm_core::profiles::ExecEnv>,
) -> podterm_core::cluster::Cluster {
    let profile = Profile {
        ca: Some(Ca::Pem(c.ca_pem().to_string())),
        namespace: Some("demo".into()),
        ..Profile::new(
            name,
            c.url(),
            Auth::ExecPlugin {
                api_version: Some("client.authentication.k8s.io/v1".into()),
                command: plugin.display().to_string(),
                args,
                env,
                install_hint: None,
                provide_cluster_info: false,
                interactive_mode: Some("Never".into()),
            },
        )
    };
    connect_profile(&profile, &Vault::memory(), None)
        .await
        .expect("a client through the plugin")
}

fn calls(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("calls"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_outlives_its_token_and_the_next_request_renews_through_the_plugin() {
    // The plugin is written from a child process, and before the cluster starts its pods'
    // processes: a fork in another thread while this process held the file open for writing
    // left the child holding it, and running the plugin failed with "Text file busy".
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    std::fs::write(d.join("token"), "first-token-1").expect("token file");
    let plugin = d.join("expiring-plugin");
    testcluster::process::write_executable(
        &plugin,
        &format!(
            "#!/bin/sh\nd='{}'\necho call >> \"$d/calls\"\nexp=$(date -u -d '+3 seconds' +%Y-%m-%dT%H:%M:%SZ)\nprintf '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"%s\",\"expirationTimestamp\":\"%s\"}}}}' \"$(cat \"$d/token\")\" \"$exp\"\n",
            d.display()
        ),
    )
    .expect("plugin");
    let c = TestCluster::start(Options::demo()).await.expect("cluster");
    assert!(c.set_token("demo-admin", Some("first-token-1")));
    let cluster = through_plugin(&c, "expiring", &plugin, vec![], vec![]).await;

    let mut open = Session::start(&cluster.client, &spec(&["cat"]), Tuning::default())
        .await
        .expect("a session with the first token");
    let mut got = Vec::new();
    assert!(open.input.send(Bytes::from_static(b"before\n")).await);
    read_until(&mut open, &mut got, b"before\n").await;

    // The first token expires: the cluster takes only the new one, which the plugin now gives.
    assert!(c.set_token("demo-admin", Some("second-token-2")));
    std::fs::write(d.join("token"), "second-token-2").expect("token file");
    let before = calls(d);

    // The open session keeps running.
    assert!(open.input.send(Bytes::from_static(b"after\n")).await);
    read_until(&mut open, &mut got, b"after\n").await;

    // The next request through the same client asks the plugin again and is let in.
    let pod = pods::resolve(
        &cluster.client,
        "demo",
        &PodTarget::parse("shell").expect("target"),
    )
    .await
    .expect("the next request renews through the plugin");
    assert_eq!(pod.metadata.name.as_deref(), Some("shell"));
    assert!(calls(d) > before, "the plugin was not asked again");
    let next = Session::start(
        &cluster.client,
        &spec(&["echo", "renewed"]),
        Tuning::default(),
    )
    .await
    .expect("a new session with the renewed token");
    assert_eq!(next.finish().await.expect("outcome"), Outcome::Success);

    // And the first session is still there, on its first token.
    assert!(open.input.send(Bytes::from_static(b"still\n")).await);
    read_until(&mut open, &mut got, b"still\n").await;
    assert!(open.input.close_stdin().await);
    assert_eq!(open.finish().await.expect("outcome"), Outcome::Success);
}

/// A plugin that fails when a token expired mid-run (an SSO session that ended): the next
/// request's error says the plugin's command, exit status and stderr, and none of the secrets
/// kube's own words for it hold: the plugin's environment values and arguments (which an import
/// moved to the keyring and connect_profile puts back), nor its output. A plugin whose output
/// then does not parse: the parser's words, not the lines it quotes (the token among them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_failing_at_a_refresh_says_why_without_its_secrets() {
    const ENV_SECRET: &str = "env-s3cret-value-7f1d";
    const ARG_SECRET: &str = "arg-s3cret-value-93ac";
    const TOKEN: &str = "tok-s3cret-value-4be2";
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    // `mode` holds what the plugin does: `ok`, `fail` or `garbled`.
    std::fs::write(d.join("mode"), "ok").expect("mode file");
    let plugin = d.join("failing-plugin");
    testcluster::process::write_executable(
        &plugin,
        &format!(
            "#!/bin/sh\nd='{}'\nexp=$(date -u -d '+3 seconds' +%Y-%m-%dT%H:%M:%SZ)\ncase \"$(cat \"$d/mode\")\" in\nfail) echo 'error: the SSO session has expired; run: sso login' >&2; echo \"$SECRET_ENV $2\"; exit 3 ;;\ngarbled) printf '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":[\"%s\"]}}}}' \"$2\" ;;\n*) printf '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"%s\",\"expirationTimestamp\":\"%s\"}}}}' \"$2\" \"$exp\" ;;\nesac\n",
            d.display()
        ),
    )
    .expect("plugin");
    let c = TestCluster::start(Options::demo()).await.expect("cluster");
    assert!(c.set_token("demo-admin", Some(TOKEN)));
    // The token is the plugin's second argument: a secret in its arguments, as kubelogin's
    // --client-secret is.
    let env = vec![podterm_core::profiles::ExecEnv {
        name: "SECRET_ENV".into(),
        value: Some(ENV_SECRET.into()),
        secret_field: None,
    }];
    let cluster = through_plugin(
        &c,
        "failing",
        &plugin,
        vec![ARG_SECRET.into(), TOKEN.into()],
        env,
    )
    .await;
    let shell = PodTarget::parse("shell").expect("target");
    pods::resolve(&cluster.client, "demo", &shell)
        .await
        .expect("a request with the plugin's token");

    let secrets = [ENV_SECRET, ARG_SECRET, TOKEN];
    let check = |words: &str| {
        for s in secrets {
            assert!(!words.contains(s), "a secret in the error: {words}");
        }
    };
    // The token expires (it is valid for 3 s, and kube asks again within 60 s of the end) and
    // the plugin now fails, then answers with what does not parse: the next request's error,
    // its words and its Debug form free of every secret.
    let refresh_in = |mode: &'static str| {
        std::fs::write(d.join("mode"), mode).expect("mode file");
        async {
            let e = pods::resolve(&cluster.client, "demo", &shell)
                .await
                .expect_err("the plugin's token is refused");
            check(&e.to_string());
            check(&format!("{e:?}"));
            e
        }
    };
    let e = refresh_in("fail").await;
    assert!(
        matches!(
            e,
            pods::PodError::Api(podterm_core::cluster::ApiError::Plugin { .. })
        ),
        "not the plugin's failure: {e:?}"
    );
    let words = e.to_string();
    assert!(
        words.contains("the SSO session has expired") && words.contains("exit status: 3"),
        "{words}"
    );
    let e = refresh_in("garbled").await;
    assert!(
        matches!(
            e,
            pods::PodError::Api(podterm_core::cluster::ApiError::PluginOutput { .. })
        ),
        "not the plugin's output: {e:?}"
    );
    assert!(e.to_string().contains("line 1"), "{e}");
}
