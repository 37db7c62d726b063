//! Kubeconfig import: fixtures are written to temp dirs at test time, with fake secrets made up
//! per run (no key or token is committed). No cluster needed; secrets go to a memory vault.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use base64::Engine as _;
use podterm_core::import::{
    import, import_from, looks_like_token, looks_secret, ImportError, ImportOptions, Kubeconfig,
    KubeconfigSource,
};
use podterm_core::profiles::{
    mask_arg, new_id, placeholder, restore_secrets, Auth, Ca, CertSource, KeySource, Profile,
    ProfileStore, PROXY_CREDENTIALS_FIELD,
};
use podterm_core::vault::Vault;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A fake secret, different on every run.
fn fake(prefix: &str) -> String {
    format!("{prefix}-{}{}", new_id(), new_id())
}

fn fake_pem(kind: &str) -> String {
    format!(
        "-----BEGIN {kind}-----\n{}\n-----END {kind}-----\n",
        b64(&fake("pem-body"))
    )
}

struct Env {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    store: ProfileStore,
    vault: Vault,
}

impl Env {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let store = ProfileStore::open(root.join("podterm-config"));
        Env {
            _tmp: tmp,
            root,
            store,
            vault: Vault::memory(),
        }
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    async fn import(
        &self,
        file: &Path,
        context: Option<&str>,
        all: bool,
    ) -> Result<Vec<Profile>, ImportError> {
        let opts = ImportOptions {
            kubeconfig: Some(file.to_path_buf()),
            context: context.map(str::to_owned),
            all,
        };
        import(&opts, &self.store, &self.vault).await
    }

    async fn secret(&self, p: &Profile, field: &str) -> Option<String> {
        self.vault
            .get(&p.id, field)
            .await
            .unwrap()
            .map(|s| s.expose().to_owned())
    }

    /// No byte of any secret in any file under the config dir.
    fn assert_no_secrets(&self, secrets: &[&str]) {
        let mut stack = vec![self.store.dir().to_path_buf()];
        let mut files = 0;
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                files += 1;
                let bytes = std::fs::read(&p).unwrap();
                for s in secrets {
                    assert!(!s.is_empty());
                    assert!(
                        !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                        "a secret leaked into {}",
                        p.display()
                    );
                }
            }
        }
        assert!(files >= 1, "the config dir has the profile file");
    }
}

fn cluster_yaml(name: &str, server: &str, extra: &str) -> String {
    format!("- name: {name}\n  cluster:\n    server: {server}\n{extra}")
}

#[tokio::test]
async fn token_user_goes_to_the_vault() {
    let env = Env::new();
    let token = fake("token");
    let ca = fake_pem("CERTIFICATE");
    let cfg = format!(
        r#"apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: c1
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: {ca}
    tls-server-name: kubernetes.default
    proxy-url: socks5://127.0.0.1:1080
users:
- name: u1
  user:
    token: {token}
contexts:
- name: dev
  context:
    cluster: c1
    user: u1
    namespace: team-a
"#,
        ca = b64(&ca)
    );
    let file = env.write("kube/config", &cfg);
    let got = env.import(&file, None, false).await.unwrap();
    assert_eq!(got.len(), 1);
    let p = &got[0];
    assert_eq!(p.name, "dev");
    assert_eq!(p.server, "https://10.0.0.1:6443");
    assert_eq!(p.ca, Some(Ca::Pem(ca.clone())));
    assert_eq!(p.tls_server_name.as_deref(), Some("kubernetes.default"));
    assert_eq!(p.proxy_url.as_deref(), Some("socks5://127.0.0.1:1080"));
    assert!(!p.insecure);
    assert_eq!(p.namespace.as_deref(), Some("team-a"));
    assert_eq!(
        p.auth,
        Auth::Token {
            secret: "token".into()
        }
    );
    assert_eq!(p.auth.kind_name(), "token");
    assert_eq!(p.source, Some(format!("{}#dev", file.display())));
    assert_eq!(p.id.len(), 16);
    assert_eq!(
        env.secret(p, "token").await.as_deref(),
        Some(token.as_str())
    );
    assert_eq!(env.store.list().unwrap(), got);
    env.assert_no_secrets(&[&token]);
}

#[tokio::test]
async fn client_certificates_inline_and_relative_files() {
    let env = Env::new();
    let cert = fake_pem("CERTIFICATE");
    let key = fake_pem("PRIVATE KEY");
    let key_b64 = b64(&key);
    let cfg = format!(
        r#"clusters:
- name: c
  cluster:
    server: https://c.example:443
    certificate-authority: pki/ca.crt
    insecure-skip-tls-verify: true
users:
- name: inline
  user:
    client-certificate-data: {cert}
    client-key-data: {key_b64}
- name: files
  user:
    client-certificate: pki/client.crt
    client-key: ../keys/client.key
- name: abs
  user:
    client-certificate: /etc/podterm/client.crt
    client-key-data: {key_b64}
- name: tokenfile
  user:
    tokenFile: secrets/token
contexts:
- name: inline
  context: {{cluster: c, user: inline}}
- name: files
  context: {{cluster: c, user: files}}
- name: abs
  context: {{cluster: c, user: abs}}
- name: tokenfile
  context: {{cluster: c, user: tokenfile}}
"#,
        cert = b64(&cert)
    );
    let file = env.write("kube/nested/config", &cfg);
    let dir = file.parent().unwrap();
    let got = env.import(&file, None, true).await.unwrap();
    let names: Vec<_> = got.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["inline", "files", "abs", "tokenfile"]);
    for p in &got {
        assert_eq!(p.ca, Some(Ca::File(dir.join("pki/ca.crt"))));
        assert!(p.insecure);
    }
    assert_eq!(
        got[0].auth,
        Auth::ClientCertificate {
            cert: CertSource::Pem(cert.clone()),
            key: KeySource::Vault {
                field: "client-key".into()
            },
        }
    );
    assert_eq!(
        env.secret(&got[0], "client-key").await.as_deref(),
        Some(key.as_str())
    );
    assert_eq!(
        got[1].auth,
        Auth::ClientCertificate {
            cert: CertSource::File(dir.join("pki/client.crt")),
            key: KeySource::File(dir.join("../keys/client.key")),
        }
    );
    assert!(got[1].secret_fields().is_empty());
    assert_eq!(
        got[2].auth,
        Auth::ClientCertificate {
            cert: CertSource::File("/etc/podterm/client.crt".into()),
            key: KeySource::Vault {
                field: "client-key".into()
            },
        }
    );
    assert_eq!(
        got[3].auth,
        Auth::TokenFile {
            path: dir.join("secrets/token")
        }
    );
    assert_eq!(got[3].auth.kind_name(), "token file");
    env.assert_no_secrets(&[&key, &key_b64]);
}

#[tokio::test]
async fn basic_auth_password_goes_to_the_vault() {
    let env = Env::new();
    let password = fake("pw");
    let cfg = format!(
        "current-context: b\nclusters:\n{}users:\n- name: u\n  user:\n    username: admin\n    password: {password}\ncontexts:\n- name: b\n  context: {{cluster: c, user: u}}\n",
        cluster_yaml("c", "https://b:6443", "")
    );
    let file = env.write("config", &cfg);
    let got = env.import(&file, None, false).await.unwrap();
    assert_eq!(
        got[0].auth,
        Auth::Basic {
            username: "admin".into(),
            password_field: "password".into()
        }
    );
    assert_eq!(got[0].secret_fields(), ["password"]);
    assert_eq!(
        env.secret(&got[0], "password").await.as_deref(),
        Some(password.as_str())
    );
    env.assert_no_secrets(&[&password]);
}

#[tokio::test]
async fn exec_plugin_keeps_settings_and_vaults_secret_env() {
    let env = Env::new();
    let secret_key = fake("aws-secret");
    let session = fake("aws-session");
    let cfg = format!(
        r#"current-context: eks
clusters:
- name: c
  cluster: {{server: "https://eks.example"}}
users:
- name: rel
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: ./bin/get-token
      args: [--cluster, prod]
      env:
      - name: AWS_PROFILE
        value: prod
      - name: AWS_SECRET_ACCESS_KEY
        value: {secret_key}
      - name: aws_session_token
        value: {session}
      installHint: install the plugin
      provideClusterInfo: true
      interactiveMode: Never
- name: bare
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: aws
      args: null
      env: null
contexts:
- name: eks
  context: {{cluster: c, user: rel}}
- name: bare
  context: {{cluster: c, user: bare}}
"#
    );
    let file = env.write("k/config", &cfg);
    let dir = file.parent().unwrap();
    let got = env.import(&file, None, true).await.unwrap();
    let Auth::ExecPlugin {
        api_version,
        command,
        args,
        env: vars,
        install_hint,
        provide_cluster_info,
        interactive_mode,
    } = &got[0].auth
    else {
        panic!("not an exec plugin: {:?}", got[0].auth)
    };
    assert_eq!(
        api_version.as_deref(),
        Some("client.authentication.k8s.io/v1beta1")
    );
    assert_eq!(Path::new(command), dir.join("./bin/get-token"));
    assert_eq!(args, &["--cluster", "prod"]);
    assert_eq!(install_hint.as_deref(), Some("install the plugin"));
    assert!(*provide_cluster_info);
    assert_eq!(interactive_mode.as_deref(), Some("Never"));
    assert_eq!(vars.len(), 3);
    assert_eq!(
        (vars[0].value.as_deref(), vars[0].secret_field.as_deref()),
        (Some("prod"), None)
    );
    assert_eq!(vars[1].value, None);
    assert_eq!(
        vars[1].secret_field.as_deref(),
        Some("env-AWS_SECRET_ACCESS_KEY")
    );
    assert_eq!(
        vars[2].secret_field.as_deref(),
        Some("env-aws_session_token")
    );
    assert_eq!(
        env.secret(&got[0], "env-AWS_SECRET_ACCESS_KEY")
            .await
            .as_deref(),
        Some(secret_key.as_str())
    );
    assert_eq!(
        env.secret(&got[0], "env-aws_session_token")
            .await
            .as_deref(),
        Some(session.as_str())
    );
    assert_eq!(got[0].auth.kind_name(), "exec plugin");
    // A bare command is looked up in PATH at run time, not resolved.
    let Auth::ExecPlugin {
        command,
        args,
        env: vars,
        ..
    } = &got[1].auth
    else {
        panic!("not an exec plugin")
    };
    assert_eq!(command, "aws");
    assert!(args.is_empty() && vars.is_empty());
    env.assert_no_secrets(&[&secret_key, &session]);
}

#[tokio::test]
async fn oidc_tokens_and_client_secret_go_to_the_vault() {
    let env = Env::new();
    let id_token = fake("idt");
    let refresh = fake("rt");
    let client_secret = fake("cs");
    let cfg = format!(
        r#"current-context: oidc
clusters:
- name: c
  cluster: {{server: "https://oidc.example"}}
users:
- name: u
  user:
    auth-provider:
      name: oidc
      config:
        client-id: podterm
        client-secret: {client_secret}
        id-token: {id_token}
        refresh-token: {refresh}
        idp-issuer-url: https://issuer.example
        extra-scopes: groups
contexts:
- name: oidc
  context: {{cluster: c, user: u}}
"#
    );
    let file = env.write("config", &cfg);
    let got = env.import(&file, None, false).await.unwrap();
    let Auth::Oidc {
        config,
        secret_fields,
    } = &got[0].auth
    else {
        panic!("not OIDC: {:?}", got[0].auth)
    };
    assert_eq!(config.get("client-id").map(String::as_str), Some("podterm"));
    assert_eq!(
        config.get("idp-issuer-url").map(String::as_str),
        Some("https://issuer.example")
    );
    assert_eq!(
        config.get("extra-scopes").map(String::as_str),
        Some("groups")
    );
    assert_eq!(config.len(), 3);
    assert_eq!(secret_fields.len(), 3);
    for (key, value) in [
        ("id-token", &id_token),
        ("refresh-token", &refresh),
        ("client-secret", &client_secret),
    ] {
        let field = &secret_fields[key];
        assert_eq!(env.secret(&got[0], field).await.as_ref(), Some(value));
    }
    assert_eq!(got[0].auth.kind_name(), "OIDC");
    env.assert_no_secrets(&[&id_token, &refresh, &client_secret]);
}

#[tokio::test]
async fn kubeconfig_env_merges_the_kubectl_way() {
    let env = Env::new();
    let a = env.write(
        "a/config",
        &format!(
            "current-context: a\nclusters:\n{}{}users:\n- name: shared\n  user:\n    tokenFile: tok-a\ncontexts:\n- name: a\n  context: {{cluster: shared, user: shared}}\n- name: shared\n  context: {{cluster: shared, user: shared, namespace: from-a}}\n",
            cluster_yaml("shared", "https://a.example", ""),
            cluster_yaml("a-only", "https://a-only.example", "")
        ),
    );
    let b = env.write(
        "b/config",
        &format!(
            "current-context: b\nclusters:\n{}{}users:\n- name: shared\n  user:\n    tokenFile: tok-b\n- name: b\n  user:\n    client-certificate: b.crt\n    client-key: b.key\ncontexts:\n- name: b\n  context: {{cluster: b, user: b}}\n- name: shared\n  context: {{cluster: b, user: b, namespace: from-b}}\n",
            cluster_yaml("shared", "https://b-shared.example", ""),
            cluster_yaml("b", "https://b.example", "")
        ),
    );
    let missing = env.root.join("nope/config");
    let joined = std::env::join_paths([&a, &missing, &b, &a]).unwrap();
    let source = KubeconfigSource::resolve_with(None, Some(&joined), None).unwrap();
    assert_eq!(
        source,
        KubeconfigSource::Search(vec![a.clone(), missing, b.clone()]),
        "deduplicated"
    );
    let kc = source.load().unwrap();
    assert_eq!(kc.files(), [a.clone(), b.clone()]);
    assert_eq!(
        kc.current_context(),
        Some("a"),
        "the first file's current-context wins"
    );
    assert_eq!(kc.context_names(), ["a", "shared", "b"]);

    let opts = |context: Option<&str>, all| ImportOptions {
        kubeconfig: None,
        context: context.map(str::to_owned),
        all,
    };
    let cur = import_from(&kc, &opts(None, false), &env.store, &env.vault)
        .await
        .unwrap();
    assert_eq!(cur[0].name, "a");
    assert_eq!(cur[0].server, "https://a.example");
    assert_eq!(
        cur[0].auth,
        Auth::TokenFile {
            path: a.parent().unwrap().join("tok-a")
        }
    );

    let all = import_from(&kc, &opts(None, true), &env.store, &env.vault)
        .await
        .unwrap();
    let shared = all.iter().find(|p| p.name == "shared").unwrap();
    assert_eq!(
        shared.namespace.as_deref(),
        Some("from-a"),
        "the first definition wins"
    );
    assert_eq!(shared.server, "https://a.example");
    assert_eq!(shared.source, Some(format!("{}#shared", a.display())));
    let pb = all.iter().find(|p| p.name == "b").unwrap();
    assert_eq!(pb.server, "https://b.example");
    assert_eq!(
        pb.auth,
        Auth::ClientCertificate {
            cert: CertSource::File(b.parent().unwrap().join("b.crt")),
            key: KeySource::File(b.parent().unwrap().join("b.key")),
        },
        "paths resolve against the file that defined them"
    );
    assert_eq!(pb.source, Some(format!("{}#b", b.display())));
    // Re-importing kept the id of "a".
    assert_eq!(all.iter().find(|p| p.name == "a").unwrap().id, cur[0].id);
    assert_eq!(env.store.list().unwrap().len(), 3);

    // A first file without current-context lets a later one set it.
    let none = env.write("none/config", "clusters: []\n");
    let joined = std::env::join_paths([&none, &b]).unwrap();
    let kc = KubeconfigSource::resolve_with(None, Some(&joined), None)
        .unwrap()
        .load()
        .unwrap();
    assert_eq!(kc.current_context(), Some("b"));
}

#[tokio::test]
async fn which_files_are_read() {
    let env = Env::new();
    let home = env.root.join("home");
    // No KUBECONFIG (or an empty one): ~/.kube/config.
    for v in [None, Some(std::ffi::OsStr::new(""))] {
        assert_eq!(
            KubeconfigSource::resolve_with(None, v, Some(&home)).unwrap(),
            KubeconfigSource::Search(vec![home.join(".kube/config")])
        );
    }
    assert!(matches!(
        KubeconfigSource::resolve_with(None, None, None),
        Err(ImportError::NoHome)
    ));
    // --kubeconfig beats KUBECONFIG.
    let explicit = env.root.join("explicit");
    assert_eq!(
        KubeconfigSource::resolve_with(Some(&explicit), Some("/x:/y".as_ref()), Some(&home))
            .unwrap(),
        KubeconfigSource::Explicit(explicit.clone())
    );
    // An explicit file that is missing is an error; searched files that are all missing too.
    let err = env.import(&explicit, None, false).await.unwrap_err();
    assert!(matches!(err, ImportError::Missing { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&explicit.display().to_string()),
        "{err}"
    );
    let err = KubeconfigSource::resolve_with(None, None, Some(&home))
        .unwrap()
        .load()
        .unwrap_err();
    assert!(matches!(err, ImportError::NoKubeconfig { .. }), "{err:?}");
    assert!(err.to_string().contains(".kube/config"), "{err}");
    // An empty file is an empty kubeconfig.
    let empty = env.write("empty", "# nothing here\n\n");
    let err = env.import(&empty, None, false).await.unwrap_err();
    assert!(matches!(err, ImportError::NoContexts { .. }), "{err:?}");
}

#[tokio::test]
async fn malformed_yaml_names_the_file_and_line() {
    let env = Env::new();
    let file = env.write(
        "broken/config",
        "apiVersion: v1\nclusters:\n- name: c\n  cluster:\n    server: [https://x\ncontexts: []\n",
    );
    let err = env.import(&file, None, false).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, ImportError::Yaml { line: Some(_), .. }),
        "{err:?}"
    );
    assert!(msg.contains(&file.display().to_string()), "{msg}");
    assert!(msg.contains("line "), "{msg}");

    // A well-formed file with a wrong type deep inside also gets its line.
    let file = env.write(
        "typed/config",
        "clusters:\n- name: c\n  cluster:\n    server: https://x\n    insecure-skip-tls-verify: [yes]\ncontexts: []\n",
    );
    let err = env.import(&file, None, false).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, ImportError::Yaml { line: Some(5), .. }),
        "{err:?}"
    );
    assert!(
        msg.contains(&format!("{}, line 5", file.display())),
        "{msg}"
    );

    // A value where a mapping belongs is not echoed: it may be a pasted token.
    let token = fake("pasted");
    let file = env.write(
        "pasted/config",
        &format!("users:\n- name: u\n  user: {token}\n"),
    );
    let err = env.import(&file, None, false).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, ImportError::Yaml { line: Some(3), .. }),
        "{err:?}"
    );
    assert!(
        !msg.contains(&token) && msg.contains("users[0].user"),
        "{msg}"
    );

    // Bad indentation.
    let file = env.write(
        "indent/config",
        "clusters:\n- name: c\n   cluster: x\n  bad\n",
    );
    let err = env.import(&file, None, false).await.unwrap_err();
    assert!(
        matches!(err, ImportError::Yaml { line: Some(_), .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn unknown_fields_are_tolerated() {
    let env = Env::new();
    let token = fake("tok");
    let cfg = format!(
        r#"apiVersion: v1
kind: Config
preferences: {{colors: true, future: 1}}
extensions:
- name: x
  extension: {{anything: [1, 2]}}
future-top-level: {{a: b}}
current-context: x
clusters:
- name: c
  future-named: 1
  cluster:
    server: https://x.example
    disable-compression: true
    future-cluster-field: {{nested: true}}
    extensions:
    - name: client.authentication.k8s.io/exec
      extension: {{audience: foo}}
users:
- name: u
  also-new: [1]
  user:
    token: {token}
    future-user-field: 3
contexts:
- name: x
  unknown: here
  context:
    cluster: c
    user: u
    future-context-field: z
    extensions: []
"#
    );
    let file = env.write("config", &cfg);
    let got = env.import(&file, None, false).await.unwrap();
    assert_eq!(got[0].server, "https://x.example");
    assert_eq!(
        env.secret(&got[0], "token").await.as_deref(),
        Some(token.as_str())
    );
    // Nulls where lists are expected, a context without a user.
    let file = env.write(
        "nulls",
        "clusters:\n- name: c\n  cluster:\n    server: https://n\nusers: null\ncontexts:\n- name: anon\n  context:\n    cluster: c\ncurrent-context: anon\n",
    );
    let got = env.import(&file, None, false).await.unwrap();
    assert_eq!(got[0].auth, Auth::None);
}

#[tokio::test]
async fn unknown_context_lists_the_available_ones() {
    let env = Env::new();
    let cfg = format!(
        "clusters:\n{}contexts:\n- name: one\n  context: {{cluster: c}}\n- name: two\n  context: {{cluster: c}}\n",
        cluster_yaml("c", "https://c", "")
    );
    let file = env.write("config", &cfg);
    let err = env.import(&file, Some("three"), false).await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ImportError::UnknownContext { .. }), "{err:?}");
    assert!(
        msg.contains("\"three\"") && msg.contains("one, two"),
        "{msg}"
    );
    // No current-context: says how to choose.
    let err = env.import(&file, None, false).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("--context") && msg.contains("one, two"),
        "{msg}"
    );
    // --context picks one.
    let got = env.import(&file, Some("two"), false).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].name, "two");
    assert!(matches!(
        env.import(&file, Some("two"), true).await,
        Err(ImportError::ContextAndAll)
    ));
}

#[tokio::test]
async fn broken_references_and_data_are_reported() {
    let env = Env::new();
    let cfg = format!(
        r#"clusters:
{c}{noserver}{badca}users:
- name: u
  user: {{token: {t}}}
- name: badkey
  user:
    client-certificate: c.crt
    client-key-data: "!!!not base64!!!"
- name: certonly
  user:
    client-certificate: c.crt
- name: both
  user: {{token: {t}, username: admin}}
- name: gcp
  user:
    auth-provider: {{name: gcp}}
- name: imp
  user: {{token: {t}, as-groups: [devs]}}
contexts:
- {{name: nocluster, context: {{cluster: ghost, user: u}}}}
- {{name: nouser, context: {{cluster: c, user: ghost}}}}
- {{name: noserver, context: {{cluster: noserver}}}}
- {{name: badca, context: {{cluster: badca}}}}
- {{name: badkey, context: {{cluster: c, user: badkey}}}}
- {{name: certonly, context: {{cluster: c, user: certonly}}}}
- {{name: both, context: {{cluster: c, user: both}}}}
- {{name: gcp, context: {{cluster: c, user: gcp}}}}
- {{name: imp, context: {{cluster: c, user: imp}}}}
- {{name: good, context: {{cluster: c, user: u}}}}
"#,
        c = cluster_yaml("c", "https://c", ""),
        noserver = "- name: noserver\n  cluster: {}\n",
        badca = cluster_yaml(
            "badca",
            "https://c",
            "    certificate-authority-data: \"%%%\"\n"
        ),
        t = fake("tok"),
    );
    let file = env.write("config", &cfg);
    let check = |ctx: &'static str, want: &'static [&'static str]| {
        let env = &env;
        let file = &file;
        async move {
            let err = env.import(file, Some(ctx), false).await.unwrap_err();
            let msg = err.to_string();
            for w in want {
                assert!(msg.contains(w), "{ctx}: {msg:?} lacks {w:?}");
            }
            err
        }
    };
    assert!(matches!(
        check("nocluster", &["\"ghost\"", "cluster"]).await,
        ImportError::MissingCluster { .. }
    ));
    assert!(matches!(
        check("nouser", &["\"ghost\"", "user"]).await,
        ImportError::MissingUser { .. }
    ));
    assert!(matches!(
        check("noserver", &["no server"]).await,
        ImportError::NoServer { .. }
    ));
    assert!(matches!(
        check("badca", &["certificate-authority-data", "base64"]).await,
        ImportError::BadData { .. }
    ));
    assert!(matches!(
        check("badkey", &["client-key-data", "base64"]).await,
        ImportError::BadData { .. }
    ));
    assert!(matches!(
        check("certonly", &["without a key"]).await,
        ImportError::BadData { .. }
    ));
    assert!(matches!(
        check("both", &["token and basic auth"]).await,
        ImportError::Unsupported { .. }
    ));
    assert!(matches!(
        check("gcp", &["\"gcp\"", "exec plugin"]).await,
        ImportError::Unsupported { .. }
    ));
    // Groups without a user to act as: kubectl's refusal.
    assert!(matches!(
        check(
            "imp",
            &["requesting uid, groups or user-extra for imp without impersonating a user"]
        )
        .await,
        ImportError::Unsupported { .. }
    ));
    // --all fails as a whole: nothing is written.
    assert!(env.import(&file, None, true).await.is_err());
    assert!(env.store.list().unwrap().is_empty());
    assert!(env.import(&file, Some("good"), false).await.is_ok());
}

#[tokio::test]
async fn reimport_replaces_and_drops_old_secrets() {
    let env = Env::new();
    let token = fake("tok");
    let v1 = format!(
        "current-context: x\nclusters:\n{}users:\n- name: u\n  user: {{token: {token}}}\ncontexts:\n- {{name: x, context: {{cluster: c, user: u}}}}\n",
        cluster_yaml("c", "https://one", "")
    );
    let file = env.write("config", &v1);
    let first = env.import(&file, None, false).await.unwrap().remove(0);
    assert_eq!(
        env.secret(&first, "token").await.as_deref(),
        Some(token.as_str())
    );

    let token2 = fake("tok2");
    std::fs::write(
        &file,
        v1.replace(&token, &token2)
            .replace("https://one", "https://two"),
    )
    .unwrap();
    let second = env.import(&file, None, false).await.unwrap().remove(0);
    assert_eq!(second.id, first.id, "the id is stable");
    assert_eq!(second.server, "https://two");
    assert_eq!(
        env.secret(&second, "token").await.as_deref(),
        Some(token2.as_str())
    );

    let password = fake("pw");
    let v3 = format!(
        "current-context: x\nclusters:\n{}users:\n- name: u\n  user: {{username: me, password: {password}}}\ncontexts:\n- {{name: x, context: {{cluster: c, user: u}}}}\n",
        cluster_yaml("c", "https://two", "")
    );
    std::fs::write(&file, v3).unwrap();
    let third = env.import(&file, None, false).await.unwrap().remove(0);
    assert_eq!(
        env.secret(&third, "token").await,
        None,
        "the old token is deleted"
    );
    assert_eq!(
        env.secret(&third, "password").await.as_deref(),
        Some(password.as_str())
    );
    assert_eq!(env.store.list().unwrap(), [third]);
    env.assert_no_secrets(&[&token, &token2, &password]);
}

#[tokio::test]
async fn proxy_credentials_go_to_the_vault_and_come_back_when_connecting() {
    let env = Env::new();
    let user = fake("proxyuser");
    let pass = fake("proxypass");
    let cfg = format!(
        "current-context: x\nclusters:\n{}users:\n- name: u\n  user: {{tokenFile: /t}}\ncontexts:\n- {{name: x, context: {{cluster: c, user: u}}}}\n- {{name: plain, context: {{cluster: p, user: u}}}}\n",
        cluster_yaml(
            "c",
            "https://c",
            &format!("    proxy-url: http://{user}:{pass}@proxy.example:3128/path@x\n")
        ) + &cluster_yaml("p", "https://p", "    proxy-url: socks5://127.0.0.1:1080\n")
    );
    let file = env.write("config", &cfg);
    let got = env.import(&file, None, true).await.unwrap();
    let p = &got[0];
    assert_eq!(
        p.proxy_url.as_deref(),
        Some("http://proxy.example:3128/path@x")
    );
    assert_eq!(
        p.proxy_credentials.as_deref(),
        Some(PROXY_CREDENTIALS_FIELD)
    );
    assert_eq!(p.secret_fields(), [PROXY_CREDENTIALS_FIELD]);
    assert_eq!(
        env.secret(p, PROXY_CREDENTIALS_FIELD).await,
        Some(format!("{user}:{pass}"))
    );
    assert_eq!(
        p.proxy_url_masked().as_deref(),
        Some("http://***@proxy.example:3128/path@x")
    );
    let restored = restore_secrets(p, &env.vault).await.unwrap();
    assert_eq!(
        restored.proxy_url,
        Some(format!("http://{user}:{pass}@proxy.example:3128/path@x"))
    );
    // A proxy without credentials is kept as it is and needs no keyring.
    assert_eq!(got[1].proxy_url.as_deref(), Some("socks5://127.0.0.1:1080"));
    assert_eq!(got[1].proxy_credentials, None);
    assert!(got[1].secret_fields().is_empty());
    env.assert_no_secrets(&[&user, &pass]);
    // Removing the profile's entries removes the proxy credentials too.
    env.vault
        .delete(&p.id, PROXY_CREDENTIALS_FIELD)
        .await
        .unwrap();
    let e = restore_secrets(p, &env.vault).await.unwrap_err();
    assert!(e.to_string().contains("proxy-credentials"), "{e}");
}

#[tokio::test]
async fn exec_plugin_secret_arguments_and_env_go_to_the_vault() {
    let env = Env::new();
    let (s1, s2, s3, s4) = (fake("cs"), fake("pw"), fake("tok"), fake("vault-auth"));
    let jwt = format!("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ{}.c2lnbmF0dXJl", new_id());
    let random = format!("AbC{}xYz{}", new_id(), new_id());
    let cfg = format!(
        r#"current-context: x
clusters:
- name: c
  cluster: {{server: "https://c"}}
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: kubelogin
      args: [get-token, --client-secret, {s1}, "--password={s2}", --token, {s3}, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630, --token-cache-dir, /tmp/cache, {jwt}, --login, azurecli]
      env:
      - {{name: VAULT_AUTH, value: {s4}}}
      - {{name: RANDOM_THING, value: {random}}}
      - {{name: AWS_PROFILE, value: prod}}
      - {{name: KUBECONFIG, value: /home/me/.kube/config}}
      - {{name: HOME, value: /home/me}}
      - {{name: AWS_SHARED_CREDENTIALS_FILE, value: /home/me/.aws/credentials}}
contexts:
- {{name: x, context: {{cluster: c, user: u}}}}
"#
    );
    let file = env.write("config", &cfg);
    let got = env.import(&file, None, false).await.unwrap();
    let p = &got[0];
    let Auth::ExecPlugin {
        args, env: vars, ..
    } = &p.auth
    else {
        panic!("not an exec plugin: {:?}", p.auth)
    };
    assert_eq!(
        args,
        &[
            "get-token",
            "--client-secret",
            &placeholder("arg-2"),
            &format!("--password={}", placeholder("arg-3")),
            "--token",
            &placeholder("arg-5"),
            "--server-id",
            "6dae42f8-4368-4678-94ff-3960e28e3630",
            "--token-cache-dir",
            "/tmp/cache",
            &placeholder("arg-10"),
            "--login",
            "azurecli",
        ]
    );
    let shown: Vec<String> = args.iter().map(|a| mask_arg(a)).collect();
    assert_eq!(
        shown[1..6],
        ["--client-secret", "***", "--password=***", "--token", "***"]
    );
    assert_eq!(shown[10], "***");
    let secret_env: Vec<&str> = vars
        .iter()
        .filter(|v| v.secret_field.is_some())
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(secret_env, ["VAULT_AUTH", "RANDOM_THING"]);
    assert_eq!(
        p.secret_fields(),
        [
            "arg-10",
            "arg-2",
            "arg-3",
            "arg-5",
            "env-RANDOM_THING",
            "env-VAULT_AUTH"
        ]
    );
    for (field, want) in [
        ("arg-2", &s1),
        ("arg-3", &s2),
        ("arg-5", &s3),
        ("arg-10", &jwt),
        ("env-VAULT_AUTH", &s4),
        ("env-RANDOM_THING", &random),
    ] {
        assert_eq!(env.secret(p, field).await.as_ref(), Some(want), "{field}");
    }
    // Connecting puts the arguments back as they were written.
    let restored = restore_secrets(p, &env.vault).await.unwrap();
    let Auth::ExecPlugin { args, .. } = &restored.auth else {
        panic!("not an exec plugin")
    };
    assert_eq!(args[2], s1);
    assert_eq!(args[3], format!("--password={s2}"));
    assert_eq!(args[5], s3);
    assert_eq!(args[10], jwt);
    env.assert_no_secrets(&[&s1, &s2, &s3, &s4, &jwt, &random]);

    // A kubeconfig that already holds the placeholder text is refused, not misread.
    let file = env.write(
        "sneaky",
        &cfg.replace("--login, azurecli", "--x, \"${podterm-secret:arg-2}\""),
    );
    let e = env.import(&file, None, false).await.unwrap_err();
    assert!(e.to_string().contains("podterm-secret"), "{e}");
}

#[test]
fn the_secret_heuristics() {
    for name in [
        "TOKEN",
        "GITHUB_TOKEN",
        "mytoken",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "DB_PASSWORD",
        "PGPASSWD",
        "VAULT_AUTH",
        "API_KEY",
        "x-api-key",
        "--client-secret",
        "--password",
        "--api-key",
        "--secret",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "SSH_PRIVATE",
        "SESSION",
        "DB_PASS",
    ] {
        assert!(looks_secret(name), "{name} is secret");
    }
    for name in [
        "AWS_PROFILE",
        "AWS_REGION",
        "KUBECONFIG",
        "HOME",
        "PATH",
        "PWD",
        "USER",
        "--cluster-name",
        "--server-id",
        "--login",
        "--token-cache-dir",
        "--password-file",
        "AWS_SHARED_CREDENTIALS_FILE",
        "idp-certificate-authority",
        "idp-issuer-url",
        "client-id",
        "KEYRING_BACKEND",
        "BYPASS_PROXY",
    ] {
        assert!(!looks_secret(name), "{name} is not secret");
    }
    for v in [
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtZSJ9.c2ln",
        "0123456789abcdef0123456789abcdef",
        "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
        "AKIAIOSFODNN7EXAMPLEwJalrXUtnFEMI/K7MDENG+bPxRfiCY",
    ] {
        assert!(looks_like_token(v), "{v} looks like a token");
    }
    for v in [
        "prod",
        "us-east-1",
        "6dae42f8-4368-4678-94ff-3960e28e3630",
        "arn:aws:iam::123456789012:role/KubernetesAdmin",
        "/home/me/.kube/Config2024-backup-Production-Cluster",
        "home/me/Projects/Cluster2Config/ca-Bundle.crt",
        "my-very-long-cluster-name-production-eu-west-1",
        "https://login.example.com/Tenant1234/oauth2/v2.0",
        "a value with Spaces and Digits 0123456789 in it",
    ] {
        assert!(!looks_like_token(v), "{v} does not look like a token");
    }
}

#[tokio::test]
async fn ten_thousand_contexts_import_with_one_write() {
    let env = Env::new();
    let n = 10_000;
    let mut cfg = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
    for i in 0..n {
        cfg.push_str(&format!(
            "- name: c{i}\n  cluster:\n    server: https://10.0.{}.{}:6443\n",
            i / 250,
            i % 250
        ));
    }
    cfg.push_str("users:\n");
    for i in 0..n {
        cfg.push_str(&format!(
            "- name: u{i}\n  user:\n    tokenFile: /var/run/t{i}\n"
        ));
    }
    cfg.push_str("contexts:\n");
    for i in 0..n {
        cfg.push_str(&format!(
            "- name: ctx{i}\n  context: {{cluster: c{i}, user: u{i}}}\n"
        ));
    }
    let file = env.write("big", &cfg);
    // One profile already there, to be replaced in place.
    let earlier = Profile::new("ctx5", "https://old", Auth::None);
    env.store.upsert(earlier.clone()).unwrap();
    let writes = env.store.writes();
    let got = env.import(&file, None, true).await.unwrap();
    assert_eq!(got.len(), n);
    assert_eq!(env.store.writes() - writes, 1, "the file is written once");
    let listed = env.store.list().unwrap();
    assert_eq!(listed.len(), n);
    assert_eq!(
        listed[0].name, "ctx5",
        "a re-imported profile keeps its place"
    );
    assert_eq!(listed[0].id, earlier.id, "and its id");
    assert_eq!(listed[0].server, "https://10.0.0.5:6443");
    let names: std::collections::HashSet<&str> = listed.iter().map(|p| p.name.as_str()).collect();
    assert!((0..n).all(|i| names.contains(format!("ctx{i}").as_str())));
    // Again: nothing changed, so nothing is written, and nothing is doubled.
    env.import(&file, None, true).await.unwrap();
    assert_eq!(env.store.writes() - writes, 1);
    assert_eq!(env.store.list().unwrap().len(), n);
}

#[tokio::test]
async fn a_yaml_error_never_echoes_a_value() {
    let env = Env::new();
    let numeric = "98765432123456789";
    for (i, text) in [
        format!("clusters:\n- name: c\n  cluster:\n    server: https://x\n    insecure-skip-tls-verify: {numeric}\n"),
        format!("users:\n- name: u\n  user: {numeric}\n"),
        format!("users:\n- name: u\n  user:\n    as-groups: {numeric}\n"),
        format!("users:\n- name: u\n  user:\n    exec: \"{numeric}\"\n"),
        format!("users:\n- name: u\n  user:\n    exec:\n      provideClusterInfo: {numeric}.5\n"),
    ]
    .iter()
    .enumerate()
    {
        let file = env.write(&format!("y{i}"), text);
        let err = env.import(&file, None, false).await.unwrap_err();
        assert!(matches!(err, ImportError::Yaml { line: Some(_), .. }), "{err:?}");
        let msg = err.to_string();
        assert!(!msg.contains(numeric), "{msg}");
        assert!(msg.contains("invalid type: a"), "{msg}");
        assert!(msg.contains("expected"), "{msg}");
    }
}

// ---------------------------------------------------------------------------------------------
// Property test: mutated kubeconfigs never panic the parser or the importer.

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "clusters",
    "users",
    "contexts",
    "current-context",
    "name",
    "cluster",
    "user",
    "context",
    "server",
    "namespace",
    "token",
    "tokenFile",
    "username",
    "password",
    "certificate-authority",
    "certificate-authority-data",
    "client-certificate",
    "client-certificate-data",
    "client-key",
    "client-key-data",
    "insecure-skip-tls-verify",
    "proxy-url",
    "tls-server-name",
    "exec",
    "command",
    "args",
    "env",
    "value",
    "installHint",
    "provideClusterInfo",
    "interactiveMode",
    "auth-provider",
    "config",
    "id-token",
    "as",
    "as-groups",
    "extensions",
    "preferences",
];

fn random_value(rng: &mut XorShift, depth: usize) -> String {
    let indent = "  ".repeat(depth + 1);
    match rng.below(if depth > 4 { 6 } else { 10 }) {
        0 => "null".into(),
        1 => rng
            .pick(&["true", "false", "yes", "0", "-1", "1e9", "~"])
            .to_string(),
        2 => format!(
            "\"{}\"",
            rng.pick(&["", "c", "u", "x", "https://h:1", "a/b", "../k", "\\u00e9"])
        ),
        3 => b64(&fake_pem("CERTIFICATE")),
        4 => rng
            .pick(&[
                "c",
                "u",
                "x",
                "https://x",
                "./plugin",
                "aws",
                "oidc",
                "gcp",
                "%%%",
                "&a",
                "*a",
                "!!binary AAAA",
            ])
            .to_string(),
        5 => "[]".into(),
        6 | 7 => {
            let mut s = String::from("\n");
            for _ in 0..rng.below(4) + 1 {
                s.push_str(&format!(
                    "{indent}{}: {}\n",
                    rng.pick(KEYS),
                    random_value(rng, depth + 1)
                ));
            }
            s.trim_end().to_string()
        }
        _ => {
            let mut s = String::from("\n");
            for _ in 0..rng.below(3) + 1 {
                s.push_str(&format!(
                    "{indent}- {}: {}\n",
                    rng.pick(KEYS),
                    random_value(rng, depth + 2)
                ));
                if rng.below(2) == 0 {
                    s.push_str(&format!(
                        "{indent}  {}: {}\n",
                        rng.pick(KEYS),
                        random_value(rng, depth + 2)
                    ));
                }
            }
            s.trim_end().to_string()
        }
    }
}

fn seeds() -> Vec<String> {
    let t = fake("tok");
    let c = cluster_yaml("c", "https://c", "    certificate-authority-data: Zm9v\n");
    vec![
        format!("current-context: x\nclusters:\n{c}users:\n- name: u\n  user: {{token: {t}}}\ncontexts:\n- {{name: x, context: {{cluster: c, user: u, namespace: n}}}}\n"),
        format!("current-context: x\nclusters:\n{c}users:\n- name: u\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n", b64(&fake_pem("CERTIFICATE")), b64(&fake_pem("KEY"))),
        format!("current-context: x\nclusters:\n{c}users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: ./p\n      args: [a, b]\n      env:\n      - {{name: MY_TOKEN, value: {t}}}\n      - {{name: X, value: y}}\ncontexts:\n- {{name: x, context: {{cluster: c, user: u}}}}\n"),
        format!("current-context: x\nclusters:\n{c}users:\n- name: u\n  user:\n    auth-provider:\n      name: oidc\n      config: {{client-id: a, id-token: {t}, refresh-token: r}}\ncontexts:\n- {{name: x, context: {{cluster: c, user: u}}}}\n"),
        format!("current-context: x\nclusters:\n{c}users:\n- name: u\n  user: {{username: a, password: {t}}}\ncontexts:\n- {{name: x, context: {{cluster: c, user: u}}}}\n- {{name: y, context: {{cluster: c}}}}\n"),
        "a: &a [*a]\nb: &b {x: *b}\n".into(),
    ]
}

/// Hostile values for a key: huge strings, deep nesting, invalid base64, control characters.
fn hostile_value(rng: &mut XorShift) -> String {
    match rng.below(6) {
        // A huge scalar (up to 2 MiB).
        0 => "x".repeat(1 << (10 + rng.below(12))),
        // Deep flow nesting, past any sane depth.
        1 => {
            let depth = 1 + rng.below(5000);
            format!("{}{}", "[".repeat(depth), "]".repeat(depth))
        }
        // Deep block nesting.
        2 => {
            let mut s = String::new();
            for d in 0..1 + rng.below(300) {
                s.push_str(&format!("\n{}k{d}:", " ".repeat(d + 1)));
            }
            s
        }
        // Invalid base64, or base64 of bytes that are not text.
        3 => rng
            .pick(&[
                "!!!not-base64!!!",
                "QUJD=====",
                "////",
                "AA",
                "gICA",
                "Zm9v\u{0}",
            ])
            .to_string(),
        // Control characters and escapes inside a quoted string.
        4 => format!(
            "\"{}\"",
            rng.pick(&[
                "\\x1b]0;title\\x07",
                "\\0\\r\\n",
                "\\u202e",
                "\\t\\x7f",
                "\\x1b[2J"
            ])
        ),
        // A big sequence of aliases (a "billion laughs" attempt).
        _ => {
            let mut s = String::from("&l0 [x, x, x, x, x, x, x, x, x]");
            for i in 1..8 {
                s = format!(
                    "{s}\nl{i}: &l{i} [{}]",
                    vec![format!("*l{}", i - 1); 9].join(", ")
                );
            }
            s
        }
    }
}

fn mutate(rng: &mut XorShift, base: &str) -> Vec<u8> {
    let mut b = base.as_bytes().to_vec();
    for _ in 0..rng.below(4) + 1 {
        let len = b.len().max(1);
        match rng.below(9) {
            7 | 8 => {
                // A known key with a hostile value, at the start of a line.
                let at = rng.below(len).min(b.len());
                let line_start = b[..at]
                    .iter()
                    .rposition(|c| *c == b'\n')
                    .map_or(0, |i| i + 1);
                let s = format!("{}: {}\n", rng.pick(KEYS), hostile_value(rng));
                b.splice(line_start..line_start, s.into_bytes());
            }
            0 => {
                let i = rng.below(len);
                if let Some(x) = b.get_mut(i) {
                    *x ^= 1 << rng.below(8);
                }
            }
            1 => b.truncate(rng.below(len)),
            2 => {
                let i = rng.below(len).min(b.len());
                let c = *rng.pick(b":-[]{}&*!|>#'\"\n \t%@`,?\0\xff");
                b.insert(i, c);
            }
            3 => {
                let i = rng.below(len).min(b.len());
                let j = (i + rng.below(16)).min(b.len());
                b.drain(i..j);
            }
            4 => {
                // Duplicate a line somewhere else.
                let text = String::from_utf8_lossy(&b).into_owned();
                let lines: Vec<&str> = text.lines().collect();
                if !lines.is_empty() {
                    let l = *rng.pick(&lines);
                    let at = rng.below(lines.len());
                    let mut out: Vec<&str> = lines.clone();
                    out.insert(at, l);
                    b = (out.join("\n") + "\n").into_bytes();
                }
            }
            5 => {
                let i = rng.below(len).min(b.len());
                let v = random_value(rng, 0);
                let s = format!("{}: {v}\n", rng.pick(KEYS));
                b.splice(i..i, s.into_bytes());
            }
            _ => {
                // A whole random document.
                let mut s = String::new();
                for _ in 0..rng.below(5) + 1 {
                    s.push_str(&format!("{}: {}\n", rng.pick(KEYS), random_value(rng, 0)));
                }
                b = s.into_bytes();
            }
        }
    }
    b
}

#[tokio::test]
async fn mutated_kubeconfigs_never_panic() {
    let env = Env::new();
    let seeds = seeds();
    // A new seed each run; PODTERM_FUZZ_SEED=0x... replays a failing one.
    let seed = std::env::var("PODTERM_FUZZ_SEED")
        .ok()
        .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok())
        .unwrap_or_else(|| 0x9e37_79b9_7f4a_7c15 ^ u64::from_str_radix(&new_id(), 16).unwrap_or(1));
    let mut rng = XorShift(seed.max(1));
    let seed0 = rng.0;
    eprintln!("fuzz seed {seed0:#x} (replay with PODTERM_FUZZ_SEED={seed0:#x})");
    let (mut ok, mut failed) = (0, 0);
    for case in 0..2000 {
        let base = rng.pick(&seeds).clone();
        let bytes = mutate(&mut rng, &base);
        let path = env.root.join(format!("fuzz/{case}/config"));
        let parsed = Kubeconfig::parse(&path, &bytes);
        let Ok(kc) = parsed else {
            failed += 1;
            continue;
        };
        for all in [false, true] {
            let opts = ImportOptions {
                kubeconfig: None,
                context: None,
                all,
            };
            match import_from(&kc, &opts, &env.store, &env.vault).await {
                Ok(_) => ok += 1,
                Err(e) => {
                    failed += 1;
                    assert!(!e.to_string().is_empty(), "seed {seed0:#x} case {case}");
                }
            }
        }
    }
    eprintln!("fuzz: {ok} imports, {failed} errors (seed {seed0:#x})");
    assert!(
        ok > 0 && failed > 0,
        "the mutator exercises both paths: {ok} ok, {failed} errors"
    );
    // Memory stays bounded: the largest input is a few MiB; no input may blow it up (aliases,
    // nesting). A generous bound on the whole test process's peak.
    if let Some(peak) = peak_rss_kib() {
        eprintln!("fuzz: peak RSS {} MiB", peak / 1024);
        assert!(
            peak < 1024 * 1024,
            "peak RSS {peak} KiB: an input blew memory up (seed {seed0:#x})"
        );
    }
}

/// The process's peak resident set (VmHWM), in KiB; `None` where /proc is not there.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
