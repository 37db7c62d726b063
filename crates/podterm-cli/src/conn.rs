//! Which cluster a subcommand talks to: kubectl's connection flags (`--kubeconfig`,
//! `--context`, `--cluster`, `--user`, `--server`, `--token`, the TLS files, `--as` and its
//! groups and UID, `-n`, `--request-timeout`) or `--profile NAME` (a saved profile, secrets from the OS keyring).
//! They are global: accepted before or after the subcommand, as kubectl accepts them.

use crate::failure::Failure;
use clap::Args;
use podterm_core::cluster::{self, Cluster, Target};
use podterm_core::overrides::Overrides;
use podterm_core::profiles::{Profile, ProfileStore};
use podterm_core::vault::{Secret, Vault};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Default, Clone)]
#[command(next_help_heading = "Connection (kubectl's flags; before or after the subcommand)")]
pub struct Conn {
    /// Namespace (default: the context's, or the profile's).
    #[arg(short = 'n', long, global = true, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Kubeconfig context.
    #[arg(long, global = true, value_name = "CONTEXT")]
    pub context: Option<String>,
    /// Kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).
    #[arg(long, global = true, value_name = "FILE", value_parser = any_path)]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig cluster to use (default: the context's).
    #[arg(long, global = true, value_name = "NAME")]
    pub cluster: Option<String>,
    /// The kubeconfig user to use (default: the context's).
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,
    /// The address and port of the API server.
    #[arg(short = 's', long, global = true, value_name = "URL")]
    pub server: Option<String>,
    /// Bearer token for authentication to the API server.
    #[arg(long, global = true, value_name = "TOKEN")]
    pub token: Option<String>,
    /// A certificate authority file.
    #[arg(long, global = true, value_name = "FILE", value_parser = any_path)]
    pub certificate_authority: Option<PathBuf>,
    /// A client certificate file for TLS.
    #[arg(long, global = true, value_name = "FILE", value_parser = any_path)]
    pub client_certificate: Option<PathBuf>,
    /// A client key file for TLS.
    #[arg(long, global = true, value_name = "FILE", value_parser = any_path)]
    pub client_key: Option<PathBuf>,
    /// Do not check the server's certificate (insecure).
    #[arg(long, global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub insecure_skip_tls_verify: bool,
    /// Server name to check the server's certificate against (default: the server's host).
    #[arg(long, global = true, value_name = "NAME")]
    pub tls_server_name: Option<String>,
    /// The user to act as (impersonation: a user, or system:serviceaccount:NS:NAME).
    #[arg(long = "as", global = true, value_name = "USER")]
    pub as_user: Option<String>,
    /// A group to act as, with --as (repeat for more).
    #[arg(long = "as-group", global = true, value_name = "GROUP")]
    pub as_groups: Vec<String>,
    /// The UID to act as, with --as.
    #[arg(long = "as-uid", global = true, value_name = "UID")]
    pub as_uid: Option<String>,
    /// A saved profile (see `podterm profile`) instead of a kubeconfig.
    #[arg(long, global = true, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// How long each request before the session is up (the pod lookup, the exec upgrade) waits
    /// for the API server: seconds, or a number with a unit (1s, 2m, 3h); 0 waits forever.
    /// Default: 30s.
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_timeout, allow_hyphen_values = true)]
    pub request_timeout: Option<RequestTimeout>,
    /// A log on stderr (as kubectl's -v): 6 each request to the API server with its status and
    /// time, 7 its headers too, 8 the answers' headers too; credentials masked.
    #[arg(
        short = 'v',
        long = "v",
        global = true,
        value_name = "LEVEL",
        default_value_t = 0
    )]
    pub verbosity: u8,
}

impl Conn {
    /// kubectl's reading of an empty value (`-n "$NS"` with `NS` unset): the flag is not given
    /// (`--request-timeout ""` too: [`parse_timeout`]). `--profile` is podterm's own and stays as
    /// given (an empty name is refused as unknown).
    pub fn forget_empty(&mut self) {
        for v in [
            &mut self.namespace,
            &mut self.context,
            &mut self.cluster,
            &mut self.user,
            &mut self.server,
            &mut self.token,
            &mut self.tls_server_name,
            &mut self.as_user,
            &mut self.as_uid,
        ] {
            if v.as_deref() == Some("") {
                *v = None;
            }
        }
        for p in [
            &mut self.kubeconfig,
            &mut self.certificate_authority,
            &mut self.client_certificate,
            &mut self.client_key,
        ] {
            if p.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
                *p = None;
            }
        }
        // `--as-group ""` stays: kubectl counts it (a group to act as, refused without --as).
    }

    /// `--as` and its groups and UID over a saved profile's own (as over a kubeconfig user's):
    /// each given one replaces the profile's; empty values count as not given, as in kubectl.
    pub fn impersonate_over(&self, profile: &mut Profile) -> Result<(), Failure> {
        let given = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        let groups: Vec<String> = self
            .as_groups
            .iter()
            .filter(|g| !g.is_empty())
            .cloned()
            .collect();
        if let Some(user) = given(&self.as_user) {
            profile.impersonate = Some(podterm_core::profiles::Impersonation {
                user,
                ..profile.impersonate.take().unwrap_or_default()
            });
        }
        let uid = given(&self.as_uid);
        match profile.impersonate.as_mut() {
            Some(imp) => {
                if !groups.is_empty() {
                    imp.groups = groups;
                }
                if uid.is_some() {
                    imp.uid = uid;
                }
                Ok(())
            }
            None if !groups.is_empty() || uid.is_some() => Err(Failure::new(format!(
                "requesting uid, groups or user-extra for {} without impersonating a user",
                podterm_core::text::shown(&profile.name)
            ))),
            None => Ok(()),
        }
    }
}

/// A file flag's value as given, an empty one too (clap's own refuses it; kubectl reads it as
/// the flag not given: [`Conn::forget_empty`]).
fn any_path(text: &str) -> Result<PathBuf, std::convert::Infallible> {
    Ok(PathBuf::from(text))
}

/// `--request-timeout`, as kubectl reads it: `0` is no limit.
#[derive(Debug, Clone, Copy)]
pub struct RequestTimeout(pub Option<Duration>);

impl Conn {
    /// The first kubeconfig flag given, as typed (`--context`): for subcommands that connect
    /// through a saved profile only.
    pub fn kubeconfig_flag(&self) -> Option<&'static str> {
        let given = [
            ("--kubeconfig", self.kubeconfig.is_some()),
            ("--context", self.context.is_some()),
            ("--cluster", self.cluster.is_some()),
            ("--user", self.user.is_some()),
            ("--server", self.server.is_some()),
            ("--token", self.token.is_some()),
            (
                "--certificate-authority",
                self.certificate_authority.is_some(),
            ),
            ("--client-certificate", self.client_certificate.is_some()),
            ("--client-key", self.client_key.is_some()),
            ("--insecure-skip-tls-verify", self.insecure_skip_tls_verify),
            ("--tls-server-name", self.tls_server_name.is_some()),
        ];
        given.into_iter().find(|(_, on)| *on).map(|(flag, _)| flag)
    }

    /// The flags given that choose the cluster and credentials, as typed again in a command a
    /// hint suggests (` --context prod`, each with a space before it). `--token` stays out: a
    /// secret is never printed.
    pub fn again(&self) -> String {
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.to_string_lossy().into_owned());
        let given = [
            ("--profile", self.profile.clone()),
            ("--kubeconfig", path(&self.kubeconfig)),
            ("--context", self.context.clone()),
            ("--cluster", self.cluster.clone()),
            ("--user", self.user.clone()),
            ("--server", self.server.clone()),
            ("--certificate-authority", path(&self.certificate_authority)),
            ("--client-certificate", path(&self.client_certificate)),
            ("--client-key", path(&self.client_key)),
            ("--tls-server-name", self.tls_server_name.clone()),
            ("--as", self.as_user.clone()),
            ("--as-uid", self.as_uid.clone()),
        ];
        let mut out = String::new();
        for (flag, value) in given {
            if let Some(v) = value {
                out.push_str(&format!(" {flag} {}", shell_quote(&v)));
            }
        }
        for group in &self.as_groups {
            out.push_str(&format!(" --as-group {}", shell_quote(group)));
        }
        if self.insecure_skip_tls_verify {
            out.push_str(" --insecure-skip-tls-verify");
        }
        out
    }

    /// `--profile` with a flag that chooses a kubeconfig's cluster or credentials (which a
    /// saved profile has of its own) is refused, in whichever positions they were given.
    pub fn check(&self) -> Result<(), Failure> {
        match (&self.profile, self.kubeconfig_flag()) {
            (Some(name), Some(flag)) => Err(Failure::new(format!(
                "--profile {name} connects with the cluster and credentials saved in that profile; {flag} chooses a kubeconfig's: give one or the other"
            ))),
            _ => Ok(()),
        }
    }

    /// kubectl's flags over the kubeconfig.
    fn overrides(&self) -> Overrides {
        Overrides {
            cluster: self.cluster.clone(),
            user: self.user.clone(),
            server: self.server.clone(),
            token: self.token.clone().map(Secret::new),
            certificate_authority: self.certificate_authority.clone(),
            client_certificate: self.client_certificate.clone(),
            client_key: self.client_key.clone(),
            insecure_skip_tls_verify: self.insecure_skip_tls_verify,
            tls_server_name: self.tls_server_name.clone(),
            impersonate: self.as_user.clone(),
            impersonate_groups: self.as_groups.clone(),
            impersonate_uid: self.as_uid.clone(),
        }
    }

    /// The bound on each request before the session is up.
    pub fn request_timeout(&self) -> Option<Duration> {
        match self.request_timeout {
            Some(RequestTimeout(t)) => t,
            None => Some(podterm_core::exec::REQUEST_TIMEOUT),
        }
    }
}

/// kubectl's rule: a whole number is seconds, else a Go duration (`1m30s`, `1.5h`, `500ms`);
/// zero means no timeout. Negative durations are refused. Empty is the flag not given (the
/// default), as kubectl reads it.
pub fn parse_timeout(text: &str) -> Result<RequestTimeout, String> {
    if text.is_empty() {
        return Ok(RequestTimeout(Some(podterm_core::exec::REQUEST_TIMEOUT)));
    }
    let invalid = || {
        "Invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)".to_string()
    };
    let d = if let Ok(secs) = text.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        go_duration(text).ok_or_else(invalid)?
    };
    Ok(RequestTimeout(if d.is_zero() { None } else { Some(d) }))
}

/// Go's `time.ParseDuration` for non-negative values: `0`, or numbers (decimals allowed) each
/// followed by a unit (ns, us, µs, ms, s, m, h).
pub fn go_duration(text: &str) -> Option<Duration> {
    let rest = text.strip_prefix('+').unwrap_or(text);
    if rest == "0" {
        return Some(Duration::ZERO);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    let mut s = rest;
    while !s.is_empty() {
        let num_end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (num, tail) = s.split_at(num_end);
        if num.is_empty() || num == "." {
            return None;
        }
        let value: f64 = num.parse().ok()?;
        let unit_end = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_end);
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += value * scale;
        s = tail;
    }
    Duration::try_from_secs_f64(total).ok()
}

/// A client from `--profile`, else from kubeconfig.
pub async fn connect(conn: &Conn) -> Result<Cluster, Failure> {
    let Some(name) = &conn.profile else {
        let target = Target {
            kubeconfig: conn.kubeconfig.clone(),
            context: conn.context.clone(),
            namespace: conn.namespace.clone(),
            overrides: conn.overrides(),
        };
        return Ok(target.connect().await?);
    };
    let store = ProfileStore::open_default()?;
    let Some(mut profile) = store.get(name)? else {
        return Err(no_profile(&store, name, None));
    };
    conn.impersonate_over(&mut profile)?;
    connect_profile(&profile, conn.namespace.as_deref()).await
}

/// The profile `name` does not exist: say which do, and how to add one.
pub fn no_profile(store: &ProfileStore, name: &str, favourite: Option<&str>) -> Failure {
    let names: Vec<String> = match store.list() {
        Ok(list) => list.into_iter().map(|p| p.name).collect(),
        Err(e) => return e.into(),
    };
    let known = if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    };
    Failure::new(match favourite {
        None => format!(
            "no profile named \"{name}\" (profiles: {known}); import one with `podterm profile import`"
        ),
        Some(fav) => format!(
            "favourite \"{fav}\" connects through profile \"{name}\", which does not exist (profiles: {known}): import it with `podterm profile import`, or remove the favourite (`podterm favourite rm {fav}`) and add it again with another profile"
        ),
    })
}

/// A client for a saved profile; its secrets come from the OS keyring (only when it has any).
pub async fn connect_profile(
    profile: &Profile,
    namespace: Option<&str>,
) -> Result<Cluster, Failure> {
    let vault = Vault::for_profile(profile)?;
    let mut cluster = cluster::connect_saved(profile, &vault).await?;
    if let Some(ns) = namespace {
        cluster.namespace = ns.to_string();
    }
    Ok(cluster)
}

/// An argument as a shell would need it typed.
pub fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flags_again_are_typed_as_given_quoted_and_never_the_token() {
        assert_eq!(Conn::default().again(), "");
        let conn = Conn {
            profile: Some("prod eu".into()),
            ..Conn::default()
        };
        assert_eq!(conn.again(), " --profile 'prod eu'");
        let conn = Conn {
            kubeconfig: Some("/home/a/it's.yaml".into()),
            context: Some("ctx".into()),
            server: Some("https://api:6443".into()),
            token: Some("s3cret".into()),
            insecure_skip_tls_verify: true,
            namespace: Some("web".into()),
            ..Conn::default()
        };
        assert_eq!(
            conn.again(),
            r" --kubeconfig '/home/a/it'\''s.yaml' --context ctx --server https://api:6443 --insecure-skip-tls-verify"
        );
    }

    #[test]
    fn request_timeouts_read_as_kubectl_reads_them() {
        let t = |s: &str| parse_timeout(s).map(|t| t.0);
        assert_eq!(t("0"), Ok(None));
        assert_eq!(t("0s"), Ok(None));
        assert_eq!(t("5"), Ok(Some(Duration::from_secs(5))));
        assert_eq!(t("30s"), Ok(Some(Duration::from_secs(30))));
        assert_eq!(t("1m"), Ok(Some(Duration::from_secs(60))));
        assert_eq!(t("1m30s"), Ok(Some(Duration::from_secs(90))));
        assert_eq!(t("1.5h"), Ok(Some(Duration::from_secs(5400))));
        assert_eq!(t("250ms"), Ok(Some(Duration::from_millis(250))));
        assert_eq!(t(""), Ok(Some(podterm_core::exec::REQUEST_TIMEOUT)));
        for bad in ["-1", "-1s", "5x", "s", "1.2.3s", "abc", "1 s"] {
            assert!(t(bad).is_err(), "{bad:?}");
        }
    }
}
