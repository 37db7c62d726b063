//! What `podterm` prints when an API server says something hostile or strange: control
//! characters shown, not executed; huge messages cut with a count; garbage and empty answers
//! described in words that say what happened and what to do. Each server is the hostile test
//! server (`podterm_test_support::hostile`).

use podterm_test_support::hostile::{self, Hostile, Reply};
use podterm_test_support::{bin, client};
use std::time::Duration;

/// `podterm exec shell -- true` against the server, with its own HOME and config dir.
async fn exec_against(server: &Hostile) -> client::Output {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = tokio::process::Command::new(bin::podterm());
    cmd.args(["exec", "shell", "--", "true"])
        .env("KUBECONFIG", server.kubeconfig())
        .env("HOME", home.path())
        .env("PODTERM_CONFIG_DIR", home.path().join("config"));
    client::run(cmd, None, Duration::from_secs(60)).await
}

/// A server whose pod GET gets `reply` (discovery and the rest as a normal server).
async fn pod_get_answers(reply: impl Fn() -> Reply + Send + Sync + 'static) -> Hostile {
    Hostile::start(move |req| match req.pod() {
        Some(_) if req.method == "GET" => reply(),
        _ => hostile::default_reply(req),
    })
    .await
    .expect("hostile server")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_message_is_escaped_and_cut() {
    let server = pod_get_answers(|| {
        let mut message = String::from("pods \"shell\" is forbidden \x1b]0;pwned\x07\x1b[31m");
        message.push_str(&"A".repeat(50 * 1024 * 1024));
        Reply::status(403, "Forbidden", &message)
    })
    .await;
    let out = exec_against(&server).await;
    let err = out.stderr_text();
    assert_eq!(out.code, 1, "{err:.300}");
    assert!(
        !out.stderr.contains(&0x1b) && !out.stderr.contains(&0x07),
        "a raw control character reached stderr: {err:.300}"
    );
    assert!(
        err.starts_with("Error from server (Forbidden): pods \"shell\" is forbidden \\x1b]0;pwned\\x07\\x1b[31mAAA"),
        "{err:.300}"
    );
    assert!(out.stderr.len() < 8 * 1024, "{} bytes", out.stderr.len());
    assert!(
        err.trim_end().ends_with("more bytes)"),
        "{}",
        &err[err.len() - 100..]
    );
}

/// Bytes that are not HTTP: not "UTF-8 Error" or a bare parser complaint, but what it means.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_from_the_server_is_named_as_such() {
    let server = pod_get_answers(|| {
        Reply::Raw(b"\xff\xfe\x1b]0;pwned\x07 not http at all\r\n\r\n".to_vec())
    })
    .await;
    let out = exec_against(&server).await;
    let err = out.stderr_text();
    assert_eq!(out.code, 1, "{err}");
    assert!(!out.stderr.contains(&0x1b), "{err}");
    assert!(
        err.starts_with("error: the API server answered with something that is not HTTP ("),
        "{err}"
    );
    assert!(
        err.trim_end().ends_with("check that the kubeconfig's server address and port are those of a Kubernetes API server (not a proxy or another service), then retry"),
        "{err}"
    );
}

/// A body that is not UTF-8: said so, with what to check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_from_the_server_is_named_as_such() {
    let server = pod_get_answers(|| Reply::Http {
        status: 200,
        content_type: "application/json".into(),
        body: b"{\"kind\":\"Pod\",\"metadata\":{\"name\":\"\xff\xfe\"}}".to_vec(),
    })
    .await;
    let out = exec_against(&server).await;
    let err = out.stderr_text();
    assert_eq!(out.code, 1, "{err}");
    assert!(
        err.starts_with("error: the API server answered with a response that is not UTF-8 text ("),
        "{err}"
    );
    assert!(
        err.contains("check that the kubeconfig's server address"),
        "{err}"
    );
}

/// An empty 404 (no `Status`): kubectl's reason and words for the code, and what it suggests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_404_says_not_found() {
    let server = pod_get_answers(|| Reply::Http {
        status: 404,
        content_type: "text/plain".into(),
        body: Vec::new(),
    })
    .await;
    let out = exec_against(&server).await;
    let err = out.stderr_text();
    assert_eq!(out.code, 1, "{err}");
    assert_eq!(
        err.trim_end(),
        "Error from server (NotFound): the server could not find the requested resource (HTTP 404 with an empty body, not a Kubernetes Status: check that the kubeconfig's server address is that of a Kubernetes API server)"
    );
}

/// A proxy's page instead of a `Status`: its words, escaped, after kubectl's for the code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_is_not_a_status_is_shown_escaped() {
    let server = pod_get_answers(|| Reply::Http {
        status: 502,
        content_type: "text/html".into(),
        body: b"<html>Bad \x1b[5mGateway</html>".to_vec(),
    })
    .await;
    let out = exec_against(&server).await;
    let err = out.stderr_text();
    assert_eq!(out.code, 1, "{err}");
    assert_eq!(
        err.trim_end(),
        "Error from server (Unknown): an error on the server has prevented the request from succeeding (HTTP 502, not a Kubernetes Status: check that the kubeconfig's server address is that of a Kubernetes API server): <html>Bad \\x1b[5mGateway</html>"
    );
}

/// A config directory others may write to is refused, with the fix, before anything is read
/// from it or written to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_world_writable_config_dir_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().expect("home");
    let config = home.path().join("config");
    std::fs::create_dir(&config).expect("config dir");
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    for args in [&["profile", "list"][..], &["favourite", "list"][..]] {
        let mut cmd = tokio::process::Command::new(bin::podterm());
        cmd.args(args)
            .env("HOME", home.path())
            .env("PODTERM_CONFIG_DIR", &config);
        let out = client::run(cmd, None, Duration::from_secs(60)).await;
        let err = out.stderr_text();
        assert_eq!(out.code, 1, "{args:?}: {err}");
        assert_eq!(
            err.trim_end(),
            format!(
                "error: {0} is writable by other users (mode 777): anyone on this machine could change your profiles there; fix it with `chmod go-w {0}`, or set PODTERM_CONFIG_DIR to a directory of your own",
                config.display()
            ),
            "{args:?}"
        );
    }
}

/// `profile list` and `favourite list` print what files hold (written by hand, another program
/// or a newer Podterm): each cell escaped (no control character, newline or tab reaches the
/// terminal or breaks a row; no bidi override) and cut, under the header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_escape_and_cut_what_files_hold() {
    use podterm_core::favourites::{Favourite, FavouriteStore, Target};
    use podterm_core::profiles::{Auth, Profile, ProfileStore};
    let home = tempfile::tempdir().expect("home");
    let config = home.path().join("config");
    std::fs::create_dir(&config).expect("config dir");
    // Names may not hold control characters; a bidi override is not one.
    let server = format!("https://x\x1b]0;pwned\x07\n\t{}.example", "a".repeat(5000));
    ProfileStore::open(&config)
        .upsert(Profile {
            namespace: Some("ns\u{202e}x\ny".into()),
            ..Profile::new("e\u{202e}vil", server, Auth::None)
        })
        .expect("profile saved");
    FavouriteStore::open(&config)
        .add(Favourite {
            container: Some("c\tx".into()),
            command: vec!["echo".into(), "\x1b[2J\u{2066}".into()],
            ..Favourite::new(
                "fav",
                "p\x1b]0;x\x07",
                "ns\nEVIL",
                Target::parse("deploy/web").expect("target"),
            )
        })
        .expect("favourite saved");
    for (args, header) in [
        (&["profile", "list"][..], "NAME "),
        (&["favourite", "list"][..], "NAME "),
    ] {
        let mut cmd = tokio::process::Command::new(bin::podterm());
        cmd.args(args)
            .env("HOME", home.path())
            .env("PODTERM_CONFIG_DIR", &config);
        let out = client::run(cmd, None, Duration::from_secs(60)).await;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr_text());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}: one header, one row: {text:?}");
        assert!(lines[0].starts_with(header), "{text:?}");
        assert!(
            !text.chars().any(|c| (c.is_control() && c != '\n')
                || ('\u{2066}'..='\u{2069}').contains(&c)
                || c == '\u{202e}'),
            "{args:?}: a control character printed: {text:?}"
        );
        assert!(text.len() < 1024, "{args:?}: not cut: {} bytes", text.len());
    }
}

/// A server that cannot be reached is said in plain words with what to check, never through
/// the HTTP client's layers ("ServiceError: client error (Connect): tcp connect error: …").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_said_in_plain_words() {
    // A loopback port nobody listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let home = tempfile::tempdir().expect("home");
    for (server, want) in [
        (
            format!("https://127.0.0.1:{port}"),
            "error: cannot reach the API server: the connection was refused (is the API server running",
        ),
        (
            "https://no-such-host.invalid:6443".to_owned(),
            "error: cannot reach the API server: dns error:",
        ),
    ] {
        let kubeconfig = home.path().join("kubeconfig");
        std::fs::write(
            &kubeconfig,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: \"{server}\"}}\n\
                 users:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\n\
                 current-context: c\n"
            ),
        )
        .expect("kubeconfig");
        let mut cmd = tokio::process::Command::new(bin::podterm());
        cmd.args(["exec", "shell", "--", "true"])
            .env("KUBECONFIG", &kubeconfig)
            .env("HOME", home.path())
            .env("PODTERM_CONFIG_DIR", home.path().join("config"));
        let out = client::run(cmd, None, Duration::from_secs(60)).await;
        let err = out.stderr_text();
        assert_eq!(out.code, 1, "{err}");
        assert!(err.starts_with(want), "{server}: {err}");
        for layer in ["ServiceError", "client error (Connect)", "tcp connect error"] {
            assert!(!err.contains(layer), "{server}: {err}");
        }
    }
}

/// Warnings from a hostile server: 60 `Warning` headers of 5,000 bytes each, with a bidi
/// override in every text. podterm prints 32 of them, each escaped (the override shown, not
/// obeyed) and cut, then one line that says how many more there were; the rest of the command
/// goes on (here to the server's 404 on the exec).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_warnings_is_escaped_cut_and_counted() {
    let server = pod_get_answers(|| {
        let body = hostile::pod_json("demo", "shell").to_string();
        let mut head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
        for i in 0..60 {
            head.push_str(&format!(
                "Warning: 299 - \"w{i} \u{202e}reversed {}\"\r\n",
                "A".repeat(5000)
            ));
        }
        head.push_str("\r\n");
        head.push_str(&body);
        Reply::Raw(head.into_bytes())
    })
    .await;
    let out = exec_against(&server).await;
    let err = out.stderr_text();
    let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("Warning: ")).collect();
    assert_eq!(warnings.len(), 33, "{}", &err[..err.len().min(2000)]);
    for (i, w) in warnings[..32].iter().enumerate() {
        assert!(
            w.starts_with(&format!("Warning: w{i} \\u{{202e}}reversed AAA")),
            "{}",
            &w[..w.len().min(200)]
        );
        assert!(
            !w.contains('\u{202e}'),
            "the override itself reached the terminal"
        );
        assert!(
            w.ends_with("more bytes)") && w.len() < 4_300,
            "{} bytes",
            w.len()
        );
    }
    assert_eq!(
        warnings[32],
        "Warning: 28 more warnings of the same answer were left out"
    );
    assert!(err.len() < 150_000, "stderr is {} bytes", err.len());
    assert_ne!(out.code, 0, "the exec itself is refused (404): {err}");
}
