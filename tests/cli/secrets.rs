//! Every secret of an imported kubeconfig stays in the keyring (run under
//! scripts/with-keyring.sh, as `make test` does): a kubeconfig with a token, a client key, a
//! basic-auth password, proxy credentials, OIDC tokens and client secret, and an exec plugin with a
//! secret argument and a secret environment value is imported by the CLI and by the app's command
//! layer. Each secret is then looked for in every file of the config directory, in the CLI's
//! output of `profile import/list/show`, in the IPC payloads that list and describe profiles and in
//! the app's logs (at trace level): found 0 times. Each is in the keyring.

use base64::Engine as _;
use podterm_core::profiles::{new_id, Profile};
use podterm_desktop_lib::state::{Config, Profiles};
use podterm_test_support::{all_files, bin, client, keyring_has, require_keyring};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A fake secret, new on every run, with nothing YAML would read specially.
fn fake(prefix: &str) -> String {
    format!("{prefix}{}{}", new_id(), new_id())
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

struct Secrets {
    token: String,
    key_body: String,
    password: String,
    proxy_user: String,
    proxy_password: String,
    id_token: String,
    refresh_token: String,
    client_secret: String,
    plugin_arg: String,
    plugin_env: String,
}

impl Secrets {
    fn new() -> Self {
        Secrets {
            token: fake("tok"),
            key_body: b64(&fake("keybody")),
            password: fake("pw"),
            proxy_user: fake("proxyuser"),
            proxy_password: fake("proxypw"),
            id_token: fake("idt"),
            refresh_token: fake("rt"),
            client_secret: fake("cs"),
            plugin_arg: fake("arg"),
            plugin_env: fake("env"),
        }
    }

    fn all(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("token", &self.token),
            ("client key", &self.key_body),
            ("basic password", &self.password),
            ("proxy user", &self.proxy_user),
            ("proxy password", &self.proxy_password),
            ("OIDC id-token", &self.id_token),
            ("OIDC refresh-token", &self.refresh_token),
            ("OIDC client-secret", &self.client_secret),
            ("plugin argument", &self.plugin_arg),
            ("plugin env value", &self.plugin_env),
        ]
    }

    fn kubeconfig(&self) -> String {
        let cert = b64(&format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            b64("public")
        ));
        let key = b64(&format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            self.key_body
        ));
        format!(
            r#"apiVersion: v1
kind: Config
current-context: tok
clusters:
- name: plain
  cluster: {{server: "https://127.0.0.1:1"}}
- name: proxied
  cluster:
    server: https://127.0.0.1:1
    proxy-url: http://{pu}:{pp}@proxy.example:3128
users:
- name: tok
  user: {{token: {token}}}
- name: cert
  user: {{client-certificate-data: {cert}, client-key-data: {key}}}
- name: basic
  user: {{username: me, password: {password}}}
- name: oidc
  user:
    auth-provider:
      name: oidc
      config:
        client-id: podterm
        client-secret: {cs}
        id-token: {idt}
        refresh-token: {rt}
        idp-issuer-url: https://issuer.example
- name: plugin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: kubelogin
      args: [get-token, --client-secret, {arg}, --login, spn]
      env:
      - {{name: VAULT_AUTH, value: {env}}}
      - {{name: AWS_PROFILE, value: prod}}
contexts:
- {{name: tok, context: {{cluster: proxied, user: tok}}}}
- {{name: cert, context: {{cluster: plain, user: cert}}}}
- {{name: basic, context: {{cluster: plain, user: basic}}}}
- {{name: oidc, context: {{cluster: plain, user: oidc}}}}
- {{name: plugin, context: {{cluster: plain, user: plugin}}}}
"#,
            pu = self.proxy_user,
            pp = self.proxy_password,
            token = self.token,
            password = self.password,
            cs = self.client_secret,
            idt = self.id_token,
            rt = self.refresh_token,
            arg = self.plugin_arg,
            env = self.plugin_env,
        )
    }

    /// Fails naming the secret and where it was found.
    fn assert_absent(&self, what: &str, hay: &[u8]) {
        for (name, s) in self.all() {
            let found = hay.windows(s.len()).filter(|w| *w == s.as_bytes()).count();
            assert_eq!(found, 0, "the {name} was found in {what}");
        }
    }
}

const CONTEXTS: [&str; 5] = ["tok", "cert", "basic", "oidc", "plugin"];

async fn podterm(config: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = tokio::process::Command::new(bin::podterm());
    cmd.args(args)
        .env("PODTERM_CONFIG_DIR", config)
        .env("RUST_LOG", "trace")
        .env_remove("KUBECONFIG");
    let out = client::run(cmd, None, Duration::from_secs(60)).await;
    (out.code, out.stdout_text(), out.stderr_text())
}

/// Every file of `config` holds no secret, and every secret field its profiles name is in the
/// keyring.
fn assert_files_clean_and_keyring_full(secrets: &Secrets, config: &Path) {
    let files = all_files(config);
    assert!(files.iter().any(|(p, _)| p.ends_with("profiles.json")));
    for (path, bytes) in &files {
        secrets.assert_absent(&path.display().to_string(), bytes);
    }
    let doc: serde_json::Value = serde_json::from_slice(
        &std::fs::read(config.join("profiles.json")).expect("profiles.json"),
    )
    .expect("json");
    let mut fields = 0;
    for p in doc["profiles"].as_array().expect("profiles") {
        let p: Profile = serde_json::from_value(p.clone()).expect("a profile");
        for f in p.secret_fields() {
            // OIDC names the tokens a refresh may write even when the import had none.
            let account = podterm_core::vault::account(&p.id, &f);
            if keyring_has(podterm_core::vault::SERVICE, &account) {
                fields += 1;
            }
        }
    }
    // token, client-key, password, proxy-credentials, 3 OIDC, the argument and the env value.
    assert_eq!(fields, 9, "every secret is in the keyring");
}

/// A `tracing` writer into a shared buffer: the app's logs, as it would write them.
#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_of_an_imported_kubeconfig_leaves_the_keyring() {
    require_keyring();
    let secrets = Secrets::new();
    let tmp = tempfile::tempdir().expect("temp dir");
    let kubeconfig = tmp.path().join("kubeconfig");
    std::fs::write(&kubeconfig, secrets.kubeconfig()).expect("write the kubeconfig");
    let kc = kubeconfig.to_string_lossy().into_owned();

    // The CLI.
    let config = tmp.path().join("cli-config");
    let (code, out, err) = podterm(
        &config,
        &["profile", "import", "--kubeconfig", &kc, "--all"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    for name in CONTEXTS {
        assert!(out.contains(&format!("imported {name} ")), "{out}");
    }
    secrets.assert_absent(
        "the output of profile import",
        format!("{out}{err}").as_bytes(),
    );
    let (code, out, err) = podterm(&config, &["profile", "list"]).await;
    assert_eq!(code, 0, "{err}");
    secrets.assert_absent(
        "the output of profile list",
        format!("{out}{err}").as_bytes(),
    );
    for name in CONTEXTS {
        let (code, out, err) = podterm(&config, &["profile", "show", name]).await;
        assert_eq!(code, 0, "{err}");
        secrets.assert_absent(
            &format!("the output of profile show {name}"),
            format!("{out}{err}").as_bytes(),
        );
        match name {
            "tok" => assert!(
                out.contains("proxy:      http://***@proxy.example:3128"),
                "{out}"
            ),
            "plugin" => {
                assert!(
                    out.contains("runs:       kubelogin get-token --client-secret *** --login spn"),
                    "{out}"
                );
                assert!(out.contains("env:        VAULT_AUTH=***"), "{out}");
                assert!(out.contains("env:        AWS_PROFILE=prod"), "{out}");
            }
            _ => {}
        }
    }
    assert_files_clean_and_keyring_full(&secrets, &config);

    // `-v 9` (every header logged) with each profile, with the kubeconfig itself and with
    // `--token`: the log names each request and masks the credential it carries.
    let basic = b64(&format!("me:{}", secrets.password));
    let mut runs: Vec<Vec<String>> = CONTEXTS
        .iter()
        .map(|name| vec!["--profile".to_string(), name.to_string()])
        .collect();
    for name in ["tok", "basic"] {
        runs.push(vec![
            "--kubeconfig".into(),
            kc.clone(),
            "--context".into(),
            name.into(),
        ]);
    }
    runs.push(vec![
        "-s".into(),
        "https://127.0.0.1:1".into(),
        "--token".into(),
        secrets.token.clone(),
    ]);
    for run in runs {
        let mut args: Vec<&str> = vec!["-v", "9", "--request-timeout", "5s"];
        args.extend(run.iter().map(String::as_str));
        args.extend(["exec", "p", "--", "true"]);
        let (code, out, err) = podterm(&config, &args).await;
        assert_ne!(code, 0, "nothing listens there: {run:?}");
        let said = format!("{out}{err}");
        secrets.assert_absent(&format!("the -v 9 log of {run:?}"), said.as_bytes());
        assert!(
            !said.contains(&basic),
            "the basic credentials in the log of {run:?}"
        );
        // A client certificate is no header; the plugin and OIDC fail before any request.
        let named = |n: &str| run.iter().any(|w| w == n);
        let scheme = if named("basic") {
            "Basic"
        } else if named("cert") || named("plugin") || named("oidc") {
            continue;
        } else {
            "Bearer"
        };
        assert!(
            said.contains("http] GET https://127.0.0.1:1/api/v1/namespaces/default/pods/p")
                && said.contains(&format!("http]     Authorization: {scheme} <masked>")),
            "{run:?}: {said}"
        );
    }

    // The app's command layer: import_kubeconfig, list_profiles, profile_details, and its logs.
    let logs = LogBuf::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app_config = tmp.path().join("app-config");
    // The rest as by default (a field only with the test-fixtures feature).
    #[allow(clippy::needless_update)]
    let config = Config {
        profiles_dir: Some(app_config.clone()),
        ..Config::default()
    };
    let profiles = Profiles::new(tokio::runtime::Handle::current(), config);
    let imported = profiles
        .import(Some(kc.clone()), None, true)
        .await
        .expect("import through the app");
    assert_eq!(imported.len(), CONTEXTS.len());
    let mut payloads = serde_json::to_vec(&imported).expect("json");
    payloads.extend(serde_json::to_vec(&profiles.list().expect("list")).expect("json"));
    for name in CONTEXTS {
        let details = profiles.details(name).expect("details");
        payloads.extend(serde_json::to_vec(&details).expect("json"));
    }
    secrets.assert_absent("the IPC payloads", &payloads);
    let logged = logs
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    assert!(
        String::from_utf8_lossy(&logged).contains("imported profile"),
        "the app logged the import"
    );
    secrets.assert_absent("the app's logs", &logged);
    assert_files_clean_and_keyring_full(&secrets, &app_config);
}
