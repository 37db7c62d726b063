//! The vault against a real Secret Service (gnome-keyring in a private D-Bus session).
//!
//! Run these through the harness: `make test`, or
//! `bash scripts/with-keyring.sh cargo test -p podterm-core --test vault`. Without a session bus
//! the keyring tests fail and say so; they never skip.
//!
//! Some tests re-run this test binary as a child process (filtered to `child_process_helper`,
//! with `PODTERM_VAULT_TEST_CHILD` naming what to do) to see the vault from another process, with
//! no session bus, or inside a second private session whose keyring is locked.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

use podterm_core::vault::{account, Secret, Vault, VaultError, SERVICE};

const CHILD_ENV: &str = "PODTERM_VAULT_TEST_CHILD";
const CHILD_ACCT_ENV: &str = "PODTERM_VAULT_TEST_PROFILE";
const CHILD_VALUE_ENV: &str = "PODTERM_VAULT_TEST_VALUE";
const CHILD_PREFIX: &str = "CHILD-RESULT:";

/// Fails (never skips) when there is no session bus to find a Secret Service on.
fn require_secret_service() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        panic!(
            "these tests need a real Secret Service, and DBUS_SESSION_BUS_ADDRESS is not set: run them \
             via `make test` or `bash scripts/with-keyring.sh cargo test -p podterm-core --test vault` \
             (needs the Debian packages dbus, gnome-keyring and libsecret-tools: `make deps`)"
        );
    }
}

/// A profile id no other test (or earlier run) uses.
fn unique_profile(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("vault-test-{tag}-{}-{nanos}", std::process::id())
}

fn os_vault() -> Vault {
    require_secret_service();
    match Vault::os() {
        Ok(v) => v,
        Err(e) => panic!("Vault::os() failed under the keyring harness: {e}"),
    }
}

fn repo_script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts")
        .join(name)
}

/// `secret-tool ARGS...`: stdout and stderr together, and whether it succeeded.
fn secret_tool(args: &[&str]) -> (bool, String) {
    let out = Command::new("secret-tool")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run secret-tool (package libsecret-tools): {e}"));
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn text(out: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The `CHILD-RESULT:` lines a child printed.
fn child_results(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        // The first line may follow libtest's "test child_process_helper ... ".
        .filter_map(|l| l.find(CHILD_PREFIX).map(|i| &l[i + CHILD_PREFIX.len()..]))
        .map(|l| l.trim().to_string())
        .collect()
}

/// This test binary, filtered to the child helper, as a command to add env and run.
fn child_args() -> Vec<String> {
    [
        "--exact",
        "child_process_helper",
        "--nocapture",
        "--test-threads=1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn this_exe() -> PathBuf {
    std::env::current_exe().unwrap_or_else(|e| panic!("cannot find the test binary: {e}"))
}

fn kind(e: &VaultError) -> &'static str {
    match e {
        VaultError::NoService(_) => "NoService",
        VaultError::Locked(_) => "Locked",
        VaultError::Backend(_) => "Backend",
    }
}

#[tokio::test]
async fn round_trip_set_get_delete() {
    let vault = os_vault();
    assert!(vault.is_persistent());
    let id = unique_profile("roundtrip");

    assert_eq!(vault.get(&id, "token").await.expect("get missing"), None);
    vault
        .set(&id, "token", &Secret::new("tok-123"))
        .await
        .expect("set");
    let got = vault
        .get(&id, "token")
        .await
        .expect("get")
        .expect("present");
    assert_eq!(got.expose(), "tok-123");

    // Overwrite: still one entry, new value.
    vault
        .set(&id, "token", &Secret::new("tok-456"))
        .await
        .expect("overwrite");
    let got = vault
        .get(&id, "token")
        .await
        .expect("get")
        .expect("present");
    assert_eq!(got.expose(), "tok-456");
    let (_, found) = secret_tool(&[
        "search",
        "--all",
        "service",
        SERVICE,
        "username",
        &account(&id, "token"),
    ]);
    assert_eq!(
        found.matches("attribute.username = ").count(),
        1,
        "one item after overwrite:\n{found}"
    );

    // Another field of the same profile is another entry.
    assert_eq!(vault.get(&id, "password").await.expect("get other"), None);

    // A second Vault sees the value.
    let second = os_vault();
    let got = second
        .get(&id, "token")
        .await
        .expect("get 2")
        .expect("present 2");
    assert_eq!(got.expose(), "tok-456");

    vault.delete(&id, "token").await.expect("delete");
    assert_eq!(
        vault.get(&id, "token").await.expect("get after delete"),
        None
    );
    vault
        .delete(&id, "token")
        .await
        .expect("second delete is fine");
    second
        .delete(&id, "never-set")
        .await
        .expect("delete of a missing entry");
}

#[tokio::test]
async fn unicode_and_long_secrets_survive() {
    let vault = os_vault();
    let id = unique_profile("unicode");
    let unicode = "pässwört 🔐 秘密 — \"quotes\" 'single' \\ back\nnewline\ttab";
    let mut long = String::new();
    while long.len() < 8 * 1024 {
        long.push_str("0123456789abcdef-ключ-");
    }
    assert!(long.len() >= 8 * 1024);

    vault
        .set(&id, "unicode", &Secret::new(unicode))
        .await
        .expect("set unicode");
    vault
        .set(&id, "long", &Secret::new(long.clone()))
        .await
        .expect("set long");
    assert_eq!(
        vault
            .get(&id, "unicode")
            .await
            .expect("get unicode")
            .expect("present")
            .expose(),
        unicode
    );
    assert_eq!(
        vault
            .get(&id, "long")
            .await
            .expect("get long")
            .expect("present")
            .expose(),
        long
    );
    // Another client of the same Secret Service reads the same bytes.
    let (ok, looked_up) = secret_tool(&[
        "lookup",
        "service",
        SERVICE,
        "username",
        &account(&id, "unicode"),
    ]);
    assert!(ok, "secret-tool lookup failed: {looked_up}");
    assert_eq!(looked_up, unicode);

    vault
        .delete_profile(&id, &["unicode", "long", "missing"])
        .await
        .expect("delete_profile");
    assert_eq!(vault.get(&id, "unicode").await.expect("get"), None);
    assert_eq!(vault.get(&id, "long").await.expect("get"), None);
}

#[tokio::test]
async fn entries_have_service_and_account_attributes_and_no_secret() {
    let vault = os_vault();
    let id = unique_profile("attrs");
    let acct = account(&id, "client-key");
    let value = format!("very-secret-{}", unique_profile("value"));
    vault
        .set(&id, "client-key", &Secret::new(value.clone()))
        .await
        .expect("set");

    let (ok, out) = secret_tool(&["search", "--all", "service", SERVICE, "username", &acct]);
    assert!(ok, "secret-tool search failed: {out}");
    let attrs: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("attribute.") || l.starts_with("label = "))
        .collect();
    assert!(
        attrs.contains(&"attribute.service = podterm"),
        "service attribute missing:\n{out}"
    );
    assert!(
        attrs.contains(&format!("attribute.username = {acct}").as_str()),
        "username attribute missing:\n{out}"
    );
    assert!(
        attrs.contains(&format!("label = keyring:{acct}@podterm").as_str()),
        "label missing:\n{out}"
    );
    for line in &attrs {
        assert!(
            !line.contains(&value),
            "secret in an attribute or label: {line}"
        );
    }
    // Also found by the service alone (how a person would look for Podterm's entries).
    let (_, by_service) = secret_tool(&["search", "--all", "service", SERVICE]);
    assert!(
        by_service.contains(&format!("attribute.username = {acct}")),
        "{by_service}"
    );

    vault.delete(&id, "client-key").await.expect("delete");
    let (_, after) = secret_tool(&["search", "--all", "service", SERVICE, "username", &acct]);
    assert!(
        !after.contains("attribute.username"),
        "entry still there after delete:\n{after}"
    );
}

#[tokio::test]
async fn another_process_sees_the_value() {
    let vault = os_vault();
    let id = unique_profile("xproc");
    let value = "shared-across-processes-✓";
    vault
        .set(&id, "token", &Secret::new(value))
        .await
        .expect("set");

    let out = Command::new(this_exe())
        .args(child_args())
        .env(CHILD_ENV, "get")
        .env(CHILD_ACCT_ENV, &id)
        .env(CHILD_VALUE_ENV, value)
        .output()
        .expect("run child");
    let results = child_results(&out);
    vault.delete(&id, "token").await.expect("delete");
    assert_eq!(results, vec!["ok: match".to_string()], "{}", text(&out));
}

#[tokio::test]
async fn concurrent_calls() {
    let vault = os_vault();
    let id = unique_profile("concurrent");
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (v, id) = (vault.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            let field = format!("f{i}");
            v.set(&id, &field, &Secret::new(format!("value-{i}")))
                .await?;
            let got = v.get(&id, &field).await?;
            v.delete(&id, &field).await?;
            Ok::<_, VaultError>(got.map(|s| s.expose().to_string()))
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let got = t.await.expect("join").expect("vault call");
        assert_eq!(got, Some(format!("value-{i}")));
    }
}

/// No session bus at the given address: `NoService`, with the reason and the gnome-keyring hint.
fn assert_no_service(out: &Output, extra: &str) {
    let results = child_results(out);
    assert_eq!(results.len(), 1, "{}", text(out));
    let r = &results[0];
    assert!(
        r.starts_with("NoService: "),
        "expected NoService, got {r}\n{}",
        text(out)
    );
    assert!(
        r.contains("gnome-keyring"),
        "message should name gnome-keyring: {r}"
    );
    assert!(r.contains(extra), "message should contain {extra:?}: {r}");
}

#[test]
fn no_session_bus_is_no_service() {
    // A bus address whose socket does not exist.
    let out = Command::new(this_exe())
        .args(child_args())
        .env(CHILD_ENV, "no-service")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/podterm-test-bus",
        )
        .output()
        .expect("run child");
    assert_no_service(&out, "no OS keyring is available");

    // No bus address at all, and no bus socket in XDG_RUNTIME_DIR.
    let empty = std::env::temp_dir().join(unique_profile("no-bus-runtime"));
    std::fs::create_dir_all(&empty).expect("temp dir");
    let out = Command::new(this_exe())
        .args(child_args())
        .env(CHILD_ENV, "no-service")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("XDG_RUNTIME_DIR", &empty)
        .output()
        .expect("run child");
    let _ = std::fs::remove_dir_all(&empty);
    assert_no_service(&out, "DBUS_SESSION_BUS_ADDRESS is not set");
}

#[test]
fn session_bus_without_secret_service_is_no_service() {
    // A private session bus that knows no services at all: nobody owns org.freedesktop.secrets.
    let dir = std::env::temp_dir().join(unique_profile("bare-bus"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let conf = dir.join("bus.conf");
    std::fs::write(
        &conf,
        format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir={}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
            dir.display()
        ),
    )
    .expect("write bus config");
    let out = Command::new("dbus-run-session")
        .arg(format!("--config-file={}", conf.display()))
        .arg("--")
        .arg(this_exe())
        .args(child_args())
        .env(CHILD_ENV, "no-service")
        .output()
        .unwrap_or_else(|e| panic!("cannot run dbus-run-session (package dbus): {e}"));
    let _ = std::fs::remove_dir_all(&dir);
    assert_no_service(&out, "org.freedesktop.secrets");
}

#[test]
fn locked_keyring_is_locked() {
    // A second private session (the harness script again) whose login keyring holds one entry
    // and is then locked; the child tries to read it and to write a new one. No display, so the
    // keyring cannot prompt.
    let id = unique_profile("locked");
    let script = r#"
        set -eu
        acct="$1"; shift
        printf %s locked-secret-value |
            secret-tool store --label=podterm-locked-test service podterm username "$acct"
        dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
            org.freedesktop.Secret.Service.Lock \
            array:objpath:/org/freedesktop/secrets/collection/login >/dev/null
        dbus-send --session --print-reply --dest=org.freedesktop.secrets \
            /org/freedesktop/secrets/collection/login org.freedesktop.DBus.Properties.Get \
            string:org.freedesktop.Secret.Collection string:Locked | grep -q "boolean true" ||
            { echo "could not lock the login keyring" >&2; exit 3; }
        exec "$@"
    "#;
    let mut cmd = Command::new("bash");
    cmd.arg(repo_script("with-keyring.sh"))
        .args(["bash", "-c", script, "locked-test"])
        .arg(account(&id, "token"))
        .arg(this_exe())
        .args(child_args())
        .env(CHILD_ENV, "locked")
        .env(CHILD_ACCT_ENV, &id)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY");
    let out = cmd.output().expect("run the harness");
    let results = child_results(&out);
    assert_eq!(results.len(), 3, "{}", text(&out));
    assert_eq!(results[0], "os: ok", "{}", text(&out));
    assert!(results[1].starts_with("get: Locked: "), "{}", text(&out));
    assert!(results[2].starts_with("set: Locked: "), "{}", text(&out));
    assert!(results[1].contains("unlock it"), "{}", results[1]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("locked-secret-value"));
}

#[test]
fn keyring_without_login_collection_is_locked() {
    // A session bus where gnome-keyring is only started on demand (D-Bus activation) and has no
    // login keyring yet: creating one needs a prompt, which cannot be shown headless.
    let dir = std::env::temp_dir().join(unique_profile("no-login"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out = Command::new("dbus-run-session")
        .arg("--")
        .arg(this_exe())
        .args(child_args())
        .env(CHILD_ENV, "no-service")
        .env("XDG_DATA_HOME", &dir)
        .env("XDG_CONFIG_HOME", &dir)
        .env("XDG_RUNTIME_DIR", &dir)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap_or_else(|e| panic!("cannot run dbus-run-session (package dbus): {e}"));
    let _ = std::fs::remove_dir_all(&dir);
    let results = child_results(&out);
    assert_eq!(results.len(), 1, "{}", text(&out));
    assert!(results[0].starts_with("Locked: "), "{}", text(&out));
    assert!(results[0].contains("no default keyring"), "{}", results[0]);
}

#[tokio::test]
async fn memory_vault_round_trip() {
    let vault = Vault::memory();
    assert!(!vault.is_persistent());
    assert_eq!(vault.get("p", "token").await.expect("get"), None);
    vault
        .set("p", "token", &Secret::new("in-memory"))
        .await
        .expect("set");
    let copy = vault.clone();
    assert_eq!(
        copy.get("p", "token")
            .await
            .expect("get")
            .expect("present")
            .expose(),
        "in-memory"
    );
    // Another memory vault is another run's memory.
    assert_eq!(Vault::memory().get("p", "token").await.expect("get"), None);
    vault
        .delete_profile("p", &["token", "missing"])
        .await
        .expect("delete");
    assert_eq!(vault.get("p", "token").await.expect("get"), None);
    vault.delete("p", "token").await.expect("delete twice");
}

#[test]
fn error_messages_say_what_to_do() {
    let e = VaultError::NoService("no bus".into()).to_string();
    // What to do, and nothing offered that no part of Podterm has.
    assert!(
        e.contains("gnome-keyring") && !e.contains("don't remember"),
        "{e}"
    );
    let e = VaultError::Locked("prompt dismissed".into()).to_string();
    assert!(e.contains("unlock"), "{e}");
    assert_eq!(format!("{:?}", Secret::new("x")), "Secret(<redacted>)");
}

/// Not a test of its own: the body of the child processes above. Does nothing unless
/// `PODTERM_VAULT_TEST_CHILD` is set.
#[test]
fn child_process_helper() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let profile = std::env::var(CHILD_ACCT_ENV).unwrap_or_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        match mode.as_str() {
            "get" => {
                let expected = std::env::var(CHILD_VALUE_ENV).unwrap_or_default();
                let result = match Vault::os() {
                    Err(e) => format!("{}: {e}", kind(&e)),
                    Ok(v) => match v.get(&profile, "token").await {
                        Ok(Some(s)) if s.expose() == expected => "ok: match".to_string(),
                        Ok(Some(_)) => "ok: different value".to_string(),
                        Ok(None) => "ok: none".to_string(),
                        Err(e) => format!("{}: {e}", kind(&e)),
                    },
                };
                println!("{CHILD_PREFIX} {result}");
            }
            "no-service" => {
                // Whether the failure shows at connect or at the first call, it must be NoService.
                let result = match Vault::os() {
                    Err(e) => Err(e),
                    Ok(v) => v.set("no-service", "token", &Secret::new("x")).await,
                };
                match result {
                    Ok(()) => println!("{CHILD_PREFIX} ok: stored without a session bus?!"),
                    Err(e) => println!("{CHILD_PREFIX} {}: {e}", kind(&e)),
                }
            }
            "locked" => {
                let v = match Vault::os() {
                    Ok(v) => {
                        println!("{CHILD_PREFIX} os: ok");
                        v
                    }
                    Err(e) => {
                        println!("{CHILD_PREFIX} os: {}: {e}", kind(&e));
                        return;
                    }
                };
                match v.get(&profile, "token").await {
                    Ok(Some(_)) => println!("{CHILD_PREFIX} get: ok: read a locked entry"),
                    Ok(None) => println!("{CHILD_PREFIX} get: ok: none"),
                    Err(e) => println!("{CHILD_PREFIX} get: {}: {e}", kind(&e)),
                }
                match v.set(&profile, "other", &Secret::new("new")).await {
                    Ok(()) => println!("{CHILD_PREFIX} set: ok: wrote to a locked keyring"),
                    Err(e) => println!("{CHILD_PREFIX} set: {}: {e}", kind(&e)),
                }
            }
            "daemon-dies" => daemon_dies_child(&profile).await,
            other => println!("{CHILD_PREFIX} unknown child mode {other}"),
        }
    });
}

/// The keyring daemon of the harness's session, as `scripts/with-keyring.sh` records it.
fn keyring_daemon_pid() -> String {
    let runtime = std::env::var("XDG_RUNTIME_DIR").unwrap_or_default();
    let path = PathBuf::from(runtime).join("keyring.pid");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("no {} from scripts/with-keyring.sh: {e}", path.display()))
        .trim()
        .to_string()
}

fn kill_keyring_daemon() -> String {
    let pid = keyring_daemon_pid();
    let status = Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -KILL {pid} failed");
    pid
}

/// The child's side of [`a_keyring_daemon_that_dies_is_reached_again`]: one vault (one
/// connection) across two deaths of the daemon, one between calls and one during calls.
async fn daemon_dies_child(profile: &str) {
    let vault = match Vault::os() {
        Ok(v) => v,
        Err(e) => return println!("{CHILD_PREFIX} os: {}: {e}", kind(&e)),
    };
    let report = |step: &str, r: Result<Option<Secret>, VaultError>, want: &str| match r {
        Ok(Some(s)) if s.expose() == want => println!("{CHILD_PREFIX} {step}: ok"),
        Ok(Some(_)) => println!("{CHILD_PREFIX} {step}: a different value"),
        Ok(None) => println!("{CHILD_PREFIX} {step}: none"),
        Err(e) => println!("{CHILD_PREFIX} {step}: {}: {e}", kind(&e)),
    };
    if let Err(e) = vault.set(profile, "token", &Secret::new("before")).await {
        return println!("{CHILD_PREFIX} set: {}: {e}", kind(&e));
    }
    // Between calls: the connection's session belongs to a daemon that is gone.
    let first = kill_keyring_daemon();
    report("between", vault.get(profile, "token").await, "before");
    // During calls: eight callers in a loop, the daemon killed once each has made its first round.
    let second = keyring_daemon_pid();
    let (made, mut seen) = tokio::sync::mpsc::channel::<()>(8);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (v, id, made) = (vault.clone(), profile.to_string(), made.clone());
        tasks.push(tokio::spawn(async move {
            for round in 0..6 {
                let (field, value) = (format!("f{i}"), format!("value-{i}-{round}"));
                v.set(&id, &field, &Secret::new(value.clone())).await?;
                let got = v.get(&id, &field).await?;
                if got.as_ref().map(Secret::expose) != Some(value.as_str()) {
                    return Ok(format!("f{i} round {round}: read another value"));
                }
                if round == 0 {
                    let _ = made.try_send(());
                }
            }
            v.delete(&id, &format!("f{i}")).await?;
            Ok::<_, VaultError>("ok".to_string())
        }));
    }
    drop(made);
    for _ in 0..8 {
        let _ = seen.recv().await;
    }
    let killed = kill_keyring_daemon();
    let mut during = Vec::new();
    for t in tasks {
        match t.await {
            Ok(Ok(s)) => during.push(s),
            Ok(Err(e)) => during.push(format!("{}: {e}", kind(&e))),
            Err(e) => during.push(format!("task: {e}")),
        }
    }
    println!("{CHILD_PREFIX} during: {}", during.join(" | "));
    report("after", vault.get(profile, "token").await, "before");
    let now = keyring_daemon_pid();
    println!(
        "{CHILD_PREFIX} daemons: {}",
        if first != second && second == killed && now != killed {
            "three".to_string()
        } else {
            format!("{first} {second} {killed} {now}")
        }
    );
}

/// gnome-keyring-daemon can abort when clients open sessions at the same moment (upstream issues
/// 190, 196, 199); the session bus starts it again on the next call. A vault made before the
/// death goes on working: the call that finds its session gone, or whose answer never comes, is
/// made again on a new connection. In a session of its own (the harness again), as the daemon is
/// killed.
#[test]
fn a_keyring_daemon_that_dies_is_reached_again() {
    let id = unique_profile("dies");
    let out = Command::new("bash")
        .arg(repo_script("with-keyring.sh"))
        .arg(this_exe())
        .args(child_args())
        .env(CHILD_ENV, "daemon-dies")
        .env(CHILD_ACCT_ENV, &id)
        .output()
        .expect("run the harness");
    let results = child_results(&out);
    assert_eq!(
        results,
        vec![
            "between: ok".to_string(),
            format!("during: {}", ["ok"; 8].join(" | ")),
            "after: ok".to_string(),
            "daemons: three".to_string(),
        ],
        "{}",
        text(&out)
    );
    // The harness says the daemon died, twice.
    assert!(
        text(&out).contains("gnome-keyring-daemon died 2 time(s)"),
        "{}",
        text(&out)
    );
}

#[tokio::test]
async fn dont_remember_keeps_a_secret_for_this_run_only() {
    require_secret_service();
    let vault = os_vault();
    let id = unique_profile("this-run");
    let remembered = Secret::new("remembered-value-123");
    vault.set(&id, "token", &remembered).await.expect("set");
    // The user now says "don't remember": the keyring copy goes, this run still has it.
    let temporary = Secret::new("temporary-value-456");
    vault
        .set_for_this_run(&id, "token", &temporary)
        .await
        .expect("set for this run");
    assert_eq!(vault.get(&id, "token").await.expect("get"), Some(temporary));
    let (_, listing) = secret_tool(&["search", "--all", "service", "podterm"]);
    assert!(
        !listing.contains(&id),
        "a don't-remember secret reached the keyring: {listing}"
    );
    // Another run (a fresh vault) does not see it.
    let next_run = os_vault();
    assert_eq!(next_run.get(&id, "token").await.expect("get"), None);
    vault.delete(&id, "token").await.expect("delete");
    assert_eq!(vault.get(&id, "token").await.expect("get"), None);
}
