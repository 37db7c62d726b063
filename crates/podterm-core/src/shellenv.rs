//! The user's login-shell environment. An app started from a desktop launcher inherits a bare
//! PATH that lacks `aws`, `gke-gcloud-auth-plugin`, `kubelogin` and friends; kubectl users have
//! them on the PATH their login shell sets up. So, once at start, ask the login shell.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// Why the login environment could not be read (the caller goes on with its own).
#[derive(Debug, thiserror::Error)]
pub enum ShellEnvError {
    #[error("cannot start the login shell {shell}: {source}")]
    Spawn {
        shell: String,
        source: std::io::Error,
    },
    #[error("the login shell {shell} did not print its environment within {secs} s (check your shell start-up files)")]
    Timeout { shell: String, secs: u64 },
    #[error("the login shell {shell} failed ({status}) while printing its environment")]
    Failed { shell: String, status: String },
}

/// Runs `SHELL -l -c 'env -0'` with `HOME` as given, and parses what it prints.
pub async fn login_env(
    shell: &Path,
    home: Option<&Path>,
    timeout: Duration,
) -> Result<HashMap<String, String>, ShellEnvError> {
    let name = shell.display().to_string();
    let mut cmd = tokio::process::Command::new(shell);
    cmd.args(["-l", "-c", "env -0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    if let Some(h) = home {
        cmd.env("HOME", h);
    }
    let child = cmd.spawn().map_err(|source| ShellEnvError::Spawn {
        shell: name.clone(),
        source,
    })?;
    let out = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Err(_) => {
            return Err(ShellEnvError::Timeout {
                shell: name,
                secs: timeout.as_secs().max(1),
            })
        }
        Ok(Err(source)) => {
            return Err(ShellEnvError::Spawn {
                shell: name,
                source,
            })
        }
        Ok(Ok(out)) => out,
    };
    if !out.status.success() {
        return Err(ShellEnvError::Failed {
            shell: name,
            status: out.status.to_string(),
        });
    }
    Ok(parse_env0(&out.stdout))
}

/// The user's login environment, from `$SHELL` (else `/bin/sh`), within 5 s.
pub async fn user_login_env() -> Result<HashMap<String, String>, ShellEnvError> {
    let shell = std::env::var_os("SHELL").unwrap_or_else(|| "/bin/sh".into());
    login_env(Path::new(&shell), None, Duration::from_secs(5)).await
}

/// The PATH credential plugins run with: the login shell's (asked once per process, on first
/// use) in front of this process's own. If the login shell cannot be asked, this process's PATH.
pub async fn plugin_path_once() -> String {
    static ONCE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    ONCE.get_or_init(|| async {
        let login = match user_login_env().await {
            Ok(env) => env.get("PATH").cloned(),
            Err(e) => {
                tracing::warn!("credential plugins get this process's PATH: {e}");
                None
            }
        };
        plugin_path(login.as_deref(), std::env::var("PATH").ok().as_deref())
    })
    .await
    .clone()
}

fn parse_env0(bytes: &[u8]) -> HashMap<String, String> {
    bytes
        .split(|b| *b == 0)
        .filter_map(|kv| {
            let kv = std::str::from_utf8(kv).ok()?;
            let (k, v) = kv.split_once('=')?;
            (!k.is_empty() && !k.contains('\n')).then(|| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// A PATH for credential plugins: the login shell's entries first, then this process's own that
/// the login PATH lacks.
pub fn plugin_path(login_path: Option<&str>, own_path: Option<&str>) -> String {
    let mut seen = std::collections::HashSet::new();
    login_path
        .into_iter()
        .chain(own_path)
        .flat_map(|p| p.split(':'))
        .filter(|d| !d.is_empty() && seen.insert(d.to_string()))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_what_the_login_profile_sets() {
        let home = tempfile_dir();
        std::fs::write(
            home.join(".profile"),
            "export PATH=\"/opt/cloud-sdk/bin:$PATH\"\nexport PODTERM_PROBE='a b=c'\n",
        )
        .expect("profile");
        let env = login_env(Path::new("/bin/sh"), Some(&home), Duration::from_secs(5))
            .await
            .expect("env");
        assert!(
            env["PATH"].starts_with("/opt/cloud-sdk/bin:"),
            "{:?}",
            env.get("PATH")
        );
        assert_eq!(env["PODTERM_PROBE"], "a b=c");
        let _ = std::fs::remove_dir_all(&home);
    }

    #[tokio::test]
    async fn a_hanging_shell_times_out() {
        let home = tempfile_dir();
        std::fs::write(home.join(".profile"), "sleep 30\n").expect("profile");
        // The profile's `sleep 30` outlasts this bound: ending within it is the timeout's doing.
        let err = tokio::time::timeout(
            Duration::from_secs(25),
            login_env(
                Path::new("/bin/sh"),
                Some(&home),
                Duration::from_millis(500),
            ),
        )
        .await
        .expect("the shell's timeout ended the wait")
        .expect_err("timeout");
        assert!(
            err.to_string().contains("did not print its environment"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&home);
    }

    #[test]
    fn plugin_path_puts_the_login_path_first() {
        assert_eq!(
            plugin_path(Some("/opt/x/bin:/usr/bin"), Some("/usr/bin:/bin")),
            "/opt/x/bin:/usr/bin:/bin"
        );
        assert_eq!(plugin_path(None, Some("/bin")), "/bin");
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!(
            "podterm-shellenv-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&d).expect("dir");
        d
    }
}
