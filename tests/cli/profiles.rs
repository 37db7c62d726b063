//! Saved profiles end to end, with a real Secret Service (run under scripts/with-keyring.sh, as
//! `make test` does): import testcluster's kubeconfig, exec through each profile, no secret on
//! disk, `rm` clears the keyring, exec credential plugins, a revoked token.

use podterm_test_support::{all_files, bin, client, keyring_has, keyring_value, require_keyring};
use std::path::{Path, PathBuf};
use std::time::Duration;
use testcluster::process::write_executable;
use testcluster::{Options, TestCluster};

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn podterm(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = tokio::process::Command::new(bin::podterm());
    cmd.args(args)
        .env("PODTERM_CONFIG_DIR", config)
        .env_remove("KUBECONFIG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = client::run(cmd, None, Duration::from_secs(60)).await;
    Out {
        code: out.code,
        stdout: out.stdout_text(),
        stderr: out.stderr_text(),
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Every keyring account the profiles in `profiles.json` refer to.
fn profile_accounts(config: &Path) -> Vec<String> {
    let profiles: serde_json::Value = serde_json::from_slice(
        &std::fs::read(config.join("profiles.json")).expect("profiles.json"),
    )
    .expect("json");
    let mut out = Vec::new();
    for p in profiles["profiles"].as_array().expect("profiles") {
        let profile: podterm_core::profiles::Profile =
            serde_json::from_value(p.clone()).expect("a profile");
        let fields = profile.auth.secret_fields();
        assert!(!fields.is_empty(), "{} keeps no secret", profile.name);
        out.extend(
            fields
                .iter()
                .map(|f| podterm_core::vault::account(&profile.id, f)),
        );
    }
    out
}

/// The viewer's client key from testcluster's kubeconfig (PEM).
fn viewer_key(kubeconfig: &Path) -> String {
    use base64::Engine as _;
    let text = std::fs::read_to_string(kubeconfig).expect("kubeconfig");
    let v: serde_json::Value = serde_yaml::from_str(&text).expect("yaml");
    let users = v["users"].as_array().expect("users");
    let viewer = users
        .iter()
        .find(|u| u["name"] == "viewer")
        .expect("viewer");
    let data = viewer["user"]["client-key-data"]
        .as_str()
        .expect("key data");
    let pem = base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("base64");
    String::from_utf8(pem).expect("pem")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_exec_and_remove_with_the_keyring() {
    require_keyring();
    let c = TestCluster::start(Options::demo()).await.expect("cluster");
    let config = tempfile::tempdir().expect("config dir");
    let kc = c.kubeconfig().to_string_lossy().into_owned();

    let out = podterm(
        config.path(),
        &["profile", "import", "--kubeconfig", &kc, "--all"],
        &[],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("imported demo-admin"), "{}", out.stdout);
    assert!(out.stdout.contains("imported viewer"), "{}", out.stdout);

    let out = podterm(config.path(), &["profile", "list"], &[]).await;
    // Columns under a header, as `kubectl config get-contexts`.
    let url = c.url();
    let w = " ".repeat(url.len().saturating_sub("SERVER".len()));
    assert_eq!(
        out.stdout,
        format!(
            "NAME         SERVER{w}   AUTH                 NAMESPACE   TLS\n\
             demo-admin   {url}   token                demo        verified\n\
             viewer       {url}   client certificate   demo        verified\n"
        )
    );

    let token = c.token("demo-admin").expect("token").to_string();
    let key = viewer_key(c.kubeconfig());
    let key_body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();

    let out = podterm(config.path(), &["profile", "show", "demo-admin"], &[]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("auth:       token"), "{}", out.stdout);
    assert!(!out.stdout.contains(&token) && !out.stderr.contains(&token));

    // Through each profile: the token and the client key come from the keyring.
    let out = podterm(
        config.path(),
        &[
            "exec",
            "--profile",
            "demo-admin",
            "shell",
            "--",
            "echo",
            "via-profile",
        ],
        &[],
    )
    .await;
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "via-profile\n"),
        "{}",
        out.stderr
    );
    // Before `debug`, --profile is kubectl's debug profile (as in kubectl): a saved profile's
    // name there is refused in kubectl's words, and then told the flag that means it.
    let out = podterm(
        config.path(),
        &[
            "--profile",
            "demo-admin",
            "debug",
            "shell",
            "--image=busybox",
        ],
        &[],
    )
    .await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("error: unknown profile: demo-admin; ")
            && out.stderr.contains("--cluster-profile demo-admin"),
        "{}",
        out.stderr
    );
    let out = podterm(
        config.path(),
        &["exec", "--profile", "viewer", "shell", "--", "true"],
        &[],
    )
    .await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains(r#"User "viewer" cannot create resource "pods/exec""#),
        "the certificate authenticated as viewer: {}",
        out.stderr
    );
    assert!(!out.stderr.contains(&token));

    // No byte of any secret under the config dir.
    for (path, bytes) in all_files(config.path()) {
        assert!(
            !contains(&bytes, token.as_bytes()),
            "token in {}",
            path.display()
        );
        for line in key
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() > 16)
        {
            assert!(
                !contains(&bytes, line.as_bytes()),
                "client key in {}",
                path.display()
            );
        }
        assert!(!contains(&bytes, key_body.as_bytes()));
    }

    // The keyring holds them; rm takes them away.
    let accounts = profile_accounts(config.path());
    assert_eq!(accounts.len(), 2, "{accounts:?}");
    for acct in &accounts {
        assert!(
            keyring_has(podterm_core::vault::SERVICE, acct),
            "no keyring entry for {acct}"
        );
    }
    for name in ["demo-admin", "viewer"] {
        let out = podterm(config.path(), &["profile", "rm", name], &[]).await;
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    for acct in &accounts {
        assert!(
            !keyring_has(podterm_core::vault::SERVICE, acct),
            "entry left for {acct}"
        );
    }
    let out = podterm(
        config.path(),
        &["exec", "--profile", "demo-admin", "shell", "--", "true"],
        &[],
    )
    .await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("no profile named \"demo-admin\""),
        "{}",
        out.stderr
    );
}

/// `podterm profile import --kubeconfig KC --context CONTEXT`, which must succeed.
async fn import_context(config: &Path, kc: &str, context: &str) {
    let out = podterm(
        config,
        &[
            "profile",
            "import",
            "--kubeconfig",
            kc,
            "--context",
            context,
        ],
        &[],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_says_to_re_enter_it() {
    require_keyring();
    let c = TestCluster::start(Options::demo()).await.expect("cluster");
    let config = tempfile::tempdir().expect("config dir");
    let kc = c.kubeconfig().to_string_lossy().into_owned();
    import_context(config.path(), &kc, "demo-admin").await;
    assert!(c.set_token("demo-admin", Some("rotated")));
    let out = podterm(
        config.path(),
        &["exec", "--profile", "demo-admin", "shell", "--", "true"],
        &[],
    )
    .await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("(401)") && out.stderr.contains("re-enter it"),
        "{}",
        out.stderr
    );
    let _ = podterm(config.path(), &["profile", "rm", "demo-admin"], &[]).await;
}

/// A kubeconfig user that acts as another (`as:`) imports into a profile that does too, and
/// `--as` over a profile replaces whom it acts as.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_acts_as_its_kubeconfig_users_impersonation() {
    require_keyring();
    let c = TestCluster::start(Options::demo()).await.expect("cluster");
    let config = tempfile::tempdir().expect("config dir");
    // The demo's kubeconfig, its admin acting as the viewer.
    let text = std::fs::read_to_string(c.kubeconfig()).expect("kubeconfig");
    let token = c.token("demo-admin").expect("token").to_string();
    let line = format!("token: {token}");
    assert!(text.contains(&line), "{text}");
    let acting = text.replace(
        &line,
        &format!("{line}\n    as: viewer\n    as-groups: [readers]"),
    );
    let kc = config.path().join("acting.yaml");
    std::fs::write(&kc, acting).expect("write");
    let kc = kc.to_string_lossy().into_owned();
    import_context(config.path(), &kc, "demo-admin").await;
    let out = podterm(config.path(), &["profile", "show", "demo-admin"], &[]).await;
    assert!(
        out.stdout.contains("acts as:    viewer (groups readers)\n"),
        "{}",
        out.stdout
    );
    // As the viewer: may read the pod, may not exec.
    let out = podterm(
        config.path(),
        &["exec", "--profile", "demo-admin", "shell", "--", "true"],
        &[],
    )
    .await;
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, "Error from server (Forbidden): pods \"shell\" is forbidden: User \"viewer\" cannot create resource \"pods/exec\" in API group \"\" in the namespace \"demo\"\n")
    );
    // --as over the profile's: the admin itself again.
    let out = podterm(
        config.path(),
        &[
            "exec",
            "--profile",
            "demo-admin",
            "--as",
            "demo-admin",
            "shell",
            "--",
            "echo",
            "as-admin",
        ],
        &[],
    )
    .await;
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "as-admin\n"),
        "{}",
        out.stderr
    );
    let _ = podterm(config.path(), &["profile", "rm", "demo-admin"], &[]).await;
}

/// A kubeconfig whose users get their token from a credential plugin (a script here).
/// Secrets of the `failing-secret` plugin: never on disk, never in its failure's message.
const FAILING_ARG: &str = "failing-arg-5e5e7c1f9a";
const FAILING_ENV: &str = "failing-env-0b9d2e4c71";

fn plugin_kubeconfig(dir: &Path, c: &TestCluster, token: &str) -> PathBuf {
    let script = |name: &str, api: &str| {
        let p = dir.join(name);
        write_executable(
            &p,
            &format!(
                "#!/bin/sh\n[ -n \"$TC_TOKEN\" ] || {{ echo 'login required: run tc-login' >&2; exit 1; }}\nprintf '{{\"apiVersion\":\"{api}\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"%s\"}}}}' \"$TC_TOKEN\"\n"
            ),
        )
        .expect("script");
    };
    script("plugin-v1.sh", "client.authentication.k8s.io/v1");
    script("plugin-v1beta1.sh", "client.authentication.k8s.io/v1beta1");
    // A plugin given its secret as an argument (kubelogin's --client-secret): the import moves it
    // to the keyring, and connecting must hand the plugin the real value.
    let by_arg = dir.join("plugin-arg.sh");
    write_executable(
        &by_arg,
        "#!/bin/sh\n[ \"$1\" = --client-secret ] || exit 2\nprintf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"}}' \"$2\"\n",
    )
    .expect("script");
    use base64::Engine as _;
    let ca = base64::engine::general_purpose::STANDARD.encode(c.ca_pem());
    let user = |name: &str, api: &str, cmd: &str, env: &str| {
        format!(
            "- name: {name}\n  user:\n    exec:\n      apiVersion: {api}\n      command: {cmd}\n      interactiveMode: Never\n      installHint: \"install it with: apt install tc-login\"\n      env:{env}\n"
        )
    };
    let with_args = |name: &str, cmd: &str, args: &str, env: &str| {
        user(name, "client.authentication.k8s.io/v1", cmd, env)
            .replace("      env:", &format!("      args: {args}\n      env:"))
    };
    let with_token = format!("\n      - name: TC_TOKEN\n        value: {token}");
    let users = [
        user(
            "v1",
            "client.authentication.k8s.io/v1",
            "./plugin-v1.sh",
            &with_token,
        ),
        user(
            "v1beta1",
            "client.authentication.k8s.io/v1beta1",
            "./plugin-v1beta1.sh",
            &with_token,
        ),
        user(
            "failing",
            "client.authentication.k8s.io/v1",
            "./plugin-v1.sh",
            " []",
        ),
        user(
            "missing",
            "client.authentication.k8s.io/v1",
            "tc-login-not-installed",
            " []",
        ),
        with_args(
            "by-arg",
            "./plugin-arg.sh",
            &format!("[--client-secret, {token}]"),
            " []",
        ),
        with_args(
            "failing-secret",
            "./plugin-v1.sh",
            &format!("[--password, {FAILING_ARG}]"),
            &format!("\n      - name: VAULT_AUTH\n        value: {FAILING_ENV}"),
        ),
    ]
    .concat();
    let contexts: String = [
        "v1",
        "v1beta1",
        "failing",
        "missing",
        "by-arg",
        "failing-secret",
    ]
    .iter()
    .map(|n| format!("- {{name: {n}, context: {{cluster: tc, user: {n}, namespace: demo}}}}\n"))
    .collect();
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: tc\n  cluster:\n    server: {}\n    certificate-authority-data: {ca}\nusers:\n{users}contexts:\n{contexts}current-context: v1\n",
        c.url(),
    );
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text).expect("kubeconfig");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_credential_plugins_v1_and_v1beta1() {
    require_keyring();
    let c = TestCluster::start(Options::demo()).await.expect("cluster");
    let config = tempfile::tempdir().expect("config dir");
    let work = tempfile::tempdir().expect("work dir");
    let token = c.token("demo-admin").expect("token").to_string();
    let kc = plugin_kubeconfig(work.path(), &c, &token);
    let kc = kc.to_string_lossy().into_owned();
    let out = podterm(
        config.path(),
        &["profile", "import", "--kubeconfig", &kc, "--all"],
        &[],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The plugin's secret-looking env value went to the keyring, not the profile file.
    let stored = std::fs::read(config.path().join("profiles.json")).expect("profiles.json");
    assert!(
        !contains(&stored, token.as_bytes()),
        "plugin env secret on disk"
    );

    // The argument after --client-secret is in the keyring, not the file, and comes back.
    assert!(
        !contains(&stored, FAILING_ARG.as_bytes()) && !contains(&stored, FAILING_ENV.as_bytes())
    );
    for ctx in ["v1", "v1beta1", "by-arg"] {
        let out = podterm(
            config.path(),
            &["exec", "--profile", ctx, "shell", "--", "echo", ctx],
            &[],
        )
        .await;
        assert_eq!(
            (out.code, out.stdout.trim()),
            (0, ctx),
            "{ctx}: {}",
            out.stderr
        );
    }
    let out = podterm(
        config.path(),
        &["exec", "--profile", "failing", "shell", "--", "true"],
        &[],
    )
    .await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("login required: run tc-login"),
        "plugin stderr shown: {}",
        out.stderr
    );
    // A plugin that fails with secrets put back in its arguments and env: its words, not them.
    let out = podterm(
        config.path(),
        &["exec", "--profile", "failing-secret", "shell", "--", "true"],
        &[],
    )
    .await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("login required: run tc-login") && out.stderr.contains("plugin-v1.sh"),
        "the plugin named, its stderr shown: {}",
        out.stderr
    );
    assert!(
        !out.stderr.contains(FAILING_ARG) && !out.stderr.contains(FAILING_ENV),
        "a secret in the failure's message: {}",
        out.stderr
    );
    let out = podterm(
        config.path(),
        &["exec", "--profile", "missing", "shell", "--", "true"],
        &[],
    )
    .await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("tc-login-not-installed")
            && out.stderr.contains("install it with: apt install tc-login"),
        "install hint shown: {}",
        out.stderr
    );
    for ctx in [
        "v1",
        "v1beta1",
        "failing",
        "missing",
        "by-arg",
        "failing-secret",
    ] {
        let _ = podterm(config.path(), &["profile", "rm", ctx], &[]).await;
    }
}

fn jwt(exp_from_now: i64) -> String {
    use base64::Engine as _;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.c2lnbmF0dXJl",
        enc(r#"{"alg":"RS256","typ":"JWT"}"#),
        enc(&format!(
            r#"{{"iss":"test","sub":"oidc-user","exp":{}}}"#,
            now + exp_from_now
        ))
    )
}

/// The refresh tokens a [`fake_issuer`] took, in order.
type Taken = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// A minimal OpenID provider on loopback: discovery and a token endpoint that trades each
/// `(refresh token, id-token, next refresh token)` of `steps` once, as a provider that rotates
/// refresh tokens does, while `open` is true.
async fn fake_issuer(
    steps: Vec<(&'static str, String, &'static str)>,
    open: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> (String, Taken) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let base = url.clone();
    let taken = Taken::default();
    let took = taken.clone();
    let steps = std::sync::Arc::new(steps);
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let (steps, base, open, took) =
                (steps.clone(), base.clone(), open.clone(), took.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = s.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    let Some(head_end) = text.find("\r\n\r\n") else {
                        continue;
                    };
                    let len: usize = text[..head_end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if buf.len() < head_end + 4 + len {
                        continue;
                    }
                    let body = &text[head_end + 4..];
                    let form: Vec<&str> = body.split('&').collect();
                    let (code, reply) = {
                        let mut took = took.lock().expect("lock");
                        let step = steps.iter().find(|(from, ..)| {
                            form.contains(&format!("refresh_token={from}").as_str())
                                && !took.iter().any(|t| t == from)
                        });
                        if text.starts_with("GET /.well-known/openid-configuration") {
                            (
                                200,
                                format!(r#"{{"issuer":"{base}","token_endpoint":"{base}/token"}}"#),
                            )
                        } else if let Some((from, id_token, next)) = step.filter(|_| {
                            text.starts_with("POST /token")
                                && open.load(std::sync::atomic::Ordering::SeqCst)
                                && form.contains(&"grant_type=refresh_token")
                                && form.contains(&"client_id=podterm-test")
                        }) {
                            took.push(from.to_string());
                            (
                                200,
                                format!(
                                    r#"{{"id_token":"{id_token}","refresh_token":"{next}","token_type":"Bearer"}}"#
                                ),
                            )
                        } else {
                            (400, r#"{"error":"invalid_grant"}"#.to_string())
                        }
                    };
                    let resp = format!(
                        "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                        reply.len()
                    );
                    let _ = s.write_all(resp.as_bytes()).await;
                    return;
                }
            });
        }
    });
    (url, taken)
}

/// A kubeconfig in `dir` whose user `oidc` has `id_token`, refresh token `R1` and the
/// client secret, its issuer `issuer`; its context `oidc` is on `c`'s namespace `demo`.
fn oidc_kubeconfig(dir: &Path, c: &TestCluster, issuer: &str, id_token: &str) -> String {
    use base64::Engine as _;
    let ca = base64::engine::general_purpose::STANDARD.encode(c.ca_pem());
    let kc = dir.join("kubeconfig");
    std::fs::write(
        &kc,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: tc\n  cluster:\n    server: {}\n    certificate-authority-data: {ca}\nusers:\n- name: oidc\n  user:\n    auth-provider:\n      name: oidc\n      config:\n        client-id: podterm-test\n        client-secret: client-s3cret-value\n        id-token: {id_token}\n        refresh-token: R1\n        idp-issuer-url: {issuer}\ncontexts:\n- {{name: oidc, context: {{cluster: tc, user: oidc, namespace: demo}}}}\ncurrent-context: oidc\n",
            c.url(),
        ),
    )
    .expect("kubeconfig");
    kc.to_string_lossy().into_owned()
}

/// The demo cluster with a user (the admin's rights) for each of `tokens`, the id-tokens a
/// fake provider hands out.
async fn oidc_cluster(tokens: &[&str]) -> TestCluster {
    let mut spec = testcluster::ClusterSpec::demo();
    for (n, token) in tokens.iter().enumerate() {
        let mut user = spec.users[0].clone();
        user.name = format!("oidc-{n}");
        user.token = Some(token.to_string());
        spec.users.push(user);
    }
    TestCluster::start(Options {
        spec,
        ..Options::demo()
    })
    .await
    .expect("cluster")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_tokens_are_refreshed_and_written_back() {
    require_keyring();
    let fresh = jwt(3600);
    let c = oidc_cluster(&[&fresh]).await;
    let open = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let (issuer, _) = fake_issuer(vec![("R1", fresh.clone(), "R2")], open.clone()).await;
    let work = tempfile::tempdir().expect("work");
    let config = tempfile::tempdir().expect("config");
    let kc = oidc_kubeconfig(work.path(), &c, &issuer, &jwt(-600));
    let out = podterm(
        config.path(),
        &["profile", "import", "--kubeconfig", &kc],
        &[],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = podterm(config.path(), &["profile", "show", "oidc"], &[]).await;
    assert!(out.stdout.contains("auth:       OIDC"), "{}", out.stdout);
    let stored = std::fs::read(config.path().join("profiles.json")).expect("profiles.json");
    assert!(!contains(&stored, b"client-s3cret-value") && !contains(&stored, b"R1\""));

    // The expired id-token is refreshed on connect...
    let out = podterm(
        config.path(),
        &[
            "exec",
            "--profile",
            "oidc",
            "shell",
            "--",
            "echo",
            "refreshed",
        ],
        &[],
    )
    .await;
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "refreshed\n"),
        "{}",
        out.stderr
    );
    // ...and written back: with the provider now refusing, the saved token still works.
    open.store(false, std::sync::atomic::Ordering::SeqCst);
    echoes_then_goes(config.path(), "shell").await;
}

/// `podterm exec --profile oidc POD -- echo saved` prints `saved`; then the profile is removed.
async fn echoes_then_goes(config: &Path, pod: &str) {
    let out = podterm(
        config,
        &["exec", "--profile", "oidc", pod, "--", "echo", "saved"],
        &[],
    )
    .await;
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "saved\n"),
        "{}",
        out.stderr
    );
    let _ = podterm(config, &["profile", "rm", "oidc"], &[]).await;
}

/// A kubeconfig's own oidc user (no profile): its expired id-token is refreshed, and the new
/// tokens are written back to the kubeconfig as kubectl writes them, so the next kubectl (or
/// Podterm) starts from them: a provider that rotates refresh tokens refuses the spent one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kubeconfig_s_oidc_user_is_refreshed_and_written_back_as_kubectl_does() {
    let fresh = jwt(3600);
    let c = oidc_cluster(&[&fresh]).await;
    let open = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let (issuer, taken) = fake_issuer(vec![("R1", fresh.clone(), "R2")], open.clone()).await;
    let work = tempfile::tempdir().expect("work");
    let config = tempfile::tempdir().expect("config");
    let kc = oidc_kubeconfig(work.path(), &c, &issuer, &jwt(-600));
    // A value a YAML 1.1 reader takes for a boolean unless it is quoted: kubectl refuses the
    // whole file if the write-back leaves it bare.
    let text = std::fs::read_to_string(&kc).expect("kubeconfig");
    std::fs::write(
        &kc,
        text.replace(
            "contexts:\n",
            "contexts:\n- {name: quoted, context: {cluster: tc, user: oidc, namespace: \"no\"}}\n",
        ),
    )
    .expect("kubeconfig");
    let out = podterm(
        config.path(),
        &["exec", "--kubeconfig", &kc, "shell", "--", "echo", "direct"],
        &[],
    )
    .await;
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "direct\n"),
        "{}",
        out.stderr
    );
    assert_eq!(*taken.lock().expect("lock"), ["R1"]);
    let written: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(&kc).expect("kubeconfig")).expect("yaml");
    let provider = &written["users"][0]["user"]["auth-provider"]["config"];
    assert_eq!(provider["id-token"].as_str(), Some(fresh.as_str()));
    assert_eq!(provider["refresh-token"].as_str(), Some("R2"));
    assert_eq!(
        provider["client-secret"].as_str(),
        Some("client-s3cret-value")
    );
    // kubectl reads the file as written, and needs no refresh (the provider refusing now).
    open.store(false, std::sync::atomic::Ordering::SeqCst);
    let mut get = tokio::process::Command::new(podterm_test_support::kubectl::newest());
    get.args(["--kubeconfig", &kc, "get", "pod", "shell", "-o", "name"]);
    let got = client::run(get, None, Duration::from_secs(60)).await;
    assert_eq!(
        (got.code, got.stdout_text().as_str()),
        (0, "pod/shell\n"),
        "{}",
        got.stderr_text()
    );
    let mut ns = tokio::process::Command::new(podterm_test_support::kubectl::newest());
    ns.args([
        "--kubeconfig",
        &kc,
        "config",
        "view",
        "-o",
        "jsonpath={.contexts[?(@.name==\"quoted\")].context.namespace}",
    ]);
    let got = client::run(ns, None, Duration::from_secs(60)).await;
    assert_eq!(
        (got.code, got.stdout_text().as_str()),
        (0, "no"),
        "{}",
        got.stderr_text()
    );
    assert!(
        !Path::new(&format!("{kc}.lock")).exists(),
        "the lock is left"
    );
}

/// An id-token that expires while a client runs is refreshed by that client, and the new tokens
/// go to the keyring at once: a provider that rotates refresh tokens (as Dex does) refuses the
/// old one, so a refresh kept in memory would lose the login at the next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_token_that_expires_while_a_client_runs_is_refreshed_and_kept() {
    use podterm_test_support::portforward::{echo, echo_pod, free_port, listening, Forward};
    require_keyring();
    // The connect trades the import's expired id-token for `first`, stale 5 s from now; the
    // running forward trades that for `second`. The cluster takes both.
    let (first, second) = (jwt(35), jwt(3600));
    let c = oidc_cluster(&[&first, &second]).await;
    let port = free_port();
    let mut create = tokio::process::Command::new(podterm_test_support::kubectl::newest());
    create
        .args(["create", "--validate=false", "-f", "-"])
        .env("KUBECONFIG", c.kubeconfig());
    let pod = echo_pod("demo", "pf", port, serde_json::json!({}));
    let made = client::run(create, Some(pod.into_bytes()), Duration::from_secs(60)).await;
    assert_eq!(made.code, 0, "{}", made.stderr_text());
    listening(port, true).await;
    let open = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let (issuer, taken) = fake_issuer(
        vec![("R1", first.clone(), "R2"), ("R2", second.clone(), "R3")],
        open.clone(),
    )
    .await;
    let work = tempfile::tempdir().expect("work");
    let config = tempfile::tempdir().expect("config");
    let kc = oidc_kubeconfig(work.path(), &c, &issuer, &jwt(-600));
    let out = podterm(
        config.path(),
        &["profile", "import", "--kubeconfig", &kc],
        &[],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);

    let dir = config.path().to_string_lossy().into_owned();
    let spec = format!(":{port}");
    let mut f = Forward::start_env(
        &bin::podterm(),
        c.kubeconfig(),
        work.path(),
        &["port-forward", "--profile", "oidc", "pod/pf", &spec],
        &[("PODTERM_CONFIG_DIR", &dir)],
    )
    .await;
    // The connect took R1 (the forward refreshes with R2 once `first` is stale, which on a slow
    // machine may be before it listens). A connection once `first` is stale: its request to the
    // API server carries a new id-token.
    while !podterm_core::oidc::expired(&first, podterm_core::oidclogin::SKEW) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (greeting, back) = echo(f.local, b"through").await;
    assert_eq!(
        (greeting.as_str(), &back[..]),
        ("hello from pf", &b"through"[..])
    );
    assert_eq!(
        *taken.lock().expect("lock"),
        ["R1", "R2"],
        "the forward refreshed"
    );
    assert_eq!(f.interrupt().await, Some(0), "{}", f.stderr_text());

    // Kept: the keyring holds the rotated refresh token, and the next run starts from the new
    // id-token (the provider refusing everything now).
    let accounts = profile_accounts(config.path());
    let refresh = accounts
        .iter()
        .find(|a| a.ends_with("refresh-token"))
        .expect("a refresh-token entry");
    assert_eq!(keyring_value("podterm", refresh).as_deref(), Some("R3"));
    open.store(false, std::sync::atomic::Ordering::SeqCst);
    echoes_then_goes(config.path(), "pf").await;
}

/// A desktop launcher's environment: nothing but HOME, DISPLAY and the D-Bus address (`env -i`
/// as macOS and some Linux launchers start apps). An exec-plugin profile whose plugin is only on
/// the PATH the login shell's start-up file sets still connects: the plugin gets the login
/// shell's PATH. Without that line in the start-up file it is not found, and the message says
/// which PATH was searched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_on_the_login_shells_path_works_from_a_bare_launcher_environment() {
    require_keyring();
    let c = TestCluster::start(Options::demo()).await.expect("cluster");
    let home = tempfile::tempdir().expect("home");
    let bin_dir = home.path().join("opt/tc/bin");
    std::fs::create_dir_all(&bin_dir).expect("bin dir");
    let token = c.token("demo-admin").expect("token");
    let plugin = bin_dir.join("tc-login");
    write_executable(
        &plugin,
        &format!("#!/bin/sh\nprintf '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{token}\"}}}}'\n"),
    )
    .expect("plugin");
    use base64::Engine as _;
    let ca = base64::engine::general_purpose::STANDARD.encode(c.ca_pem());
    let kc = home.path().join("kubeconfig");
    std::fs::write(
        &kc,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: tc\n  cluster:\n    server: {}\n    certificate-authority-data: {ca}\nusers:\n- name: sso\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: tc-login\n      interactiveMode: Never\ncontexts:\n- {{name: sso, context: {{cluster: tc, user: sso, namespace: demo}}}}\ncurrent-context: sso\n",
            c.url()
        ),
    )
    .expect("kubeconfig");
    let config = home.path().join(".config/podterm");
    let kc = kc.to_string_lossy().into_owned();
    let out = podterm(&config, &["profile", "import", "--kubeconfig", &kc], &[]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);

    // What a launcher gives: HOME, DISPLAY, the session bus; no PATH, no SHELL.
    let launched = |args: &[&str]| {
        let mut cmd = tokio::process::Command::new(bin::podterm());
        cmd.env_clear()
            .args(args)
            .env("HOME", home.path())
            .env("DISPLAY", ":0");
        if let Some(bus) = std::env::var_os("DBUS_SESSION_BUS_ADDRESS") {
            cmd.env("DBUS_SESSION_BUS_ADDRESS", bus);
        }
        client::run(cmd, None, Duration::from_secs(60))
    };
    let args = [
        "exec",
        "--profile",
        "sso",
        "shell",
        "--",
        "echo",
        "via-login-path",
    ];
    // The login shell's start-up file does not know the plugin's directory yet.
    std::fs::write(home.path().join(".profile"), "umask 022\n").expect(".profile");
    let out = launched(&args).await;
    assert_eq!(
        out.code,
        1,
        "found without the login PATH: {}",
        out.stdout_text()
    );
    assert!(
        out.stderr_text().contains(
            "the credential plugin \"tc-login\" of profile \"sso\" was not found on the PATH"
        ),
        "{}",
        out.stderr_text()
    );
    // Now it does, as a user's ~/.profile does after installing a cloud SDK.
    std::fs::write(
        home.path().join(".profile"),
        "export PATH=\"$HOME/opt/tc/bin:$PATH\"\n",
    )
    .expect(".profile");
    let out = launched(&args).await;
    assert_eq!(
        (out.code, out.stdout_text().trim()),
        (0, "via-login-path"),
        "{}",
        out.stderr_text()
    );
    let _ = podterm(&config, &["profile", "rm", "sso"], &[]).await;
}

/// A kubeconfig's words reach the terminal escaped: a server address, namespace and TLS name
/// holding an escape sequence (a crafted kubeconfig someone was sent) are shown as text by
/// `profile import` and `profile show`, never sent to the terminal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kubeconfig_s_control_characters_are_shown_escaped() {
    require_keyring();
    let config = tempfile::tempdir().expect("config dir");
    let kc = config.path().join("crafted.yaml");
    std::fs::write(
        &kc,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: \"https://x\\e]0;pwned\\a:6443\"\n    tls-server-name: \"n\\e[2J\"\nusers:\n- name: u\n  user:\n    token: t0k3n-value\ncontexts:\n- name: crafted\n  context: {cluster: c, user: u, namespace: \"ns\\e[31m\"}\ncurrent-context: crafted\n",
    )
    .expect("kubeconfig");
    let kc = kc.to_string_lossy().into_owned();
    let out = podterm(
        config.path(),
        &["profile", "import", "--kubeconfig", &kc],
        &[],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("imported crafted"), "{}", out.stdout);
    let show = podterm(config.path(), &["profile", "show", "crafted"], &[]).await;
    assert_eq!(show.code, 0, "{}", show.stderr);
    for text in [&out.stdout, &out.stderr, &show.stdout, &show.stderr] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "a control character reached the terminal: {text:?}"
        );
    }
    assert!(show.stdout.contains("\\u{1b}[2J"), "{}", show.stdout);
    let _ = podterm(config.path(), &["profile", "rm", "crafted"], &[]).await;
}
