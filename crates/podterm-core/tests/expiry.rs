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
    let profile = Profile {
        ca: Some(Ca::Pem(c.ca_pem().to_string())),
        namespace: Some("demo".into()),
        ..Profile::new(
            "expiring",
            c.url(),
            Auth::ExecPlugin {
                api_version: Some("client.authentication.k8s.io/v1".into()),
                command: plugin.display().to_string(),
                args: vec![],
                env: vec![],
                install_hint: None,
                provide_cluster_info: false,
                interactive_mode: Some("Never".into()),
            },
        )
    };
    let vault = Vault::memory();
    let cluster = connect_profile(&profile, &vault, None)
        .await
        .expect("a client through the plugin");

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
