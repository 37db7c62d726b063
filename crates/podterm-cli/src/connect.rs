//! `podterm connect NAME`: open a favourite in the newest Ready pod of its workload now.

use crate::conn::{connect_profile, no_profile, Conn};
use crate::failure::Failure;
use crate::record::RecordArgs;
use crate::session::run_recorded;
use crate::term;
use clap::Args;
use podterm_core::cluster::within;
use podterm_core::debug::{self, DebugSpec};
use podterm_core::exec::ExecSpec;
use podterm_core::favourites::{self, FavouriteStore};
use podterm_core::profiles::ProfileStore;
use podterm_core::settings;

#[derive(Args)]
pub struct ConnectArgs {
    /// The favourite (see `podterm favourite list`).
    pub name: String,
    /// Only print output from the remote session.
    #[arg(short = 'q', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub quiet: bool,
    /// Send stdin to the session (default: true). `--stdin=false` leaves it unread, as `ssh -n`
    /// does: a favourite's command in a script's `while read` loop then leaves the loop's input
    /// to the loop (and gets no TTY).
    #[arg(short = 'i', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "true", hide_default_value = true, value_name = "BOOL")]
    pub stdin: bool,
    /// No TTY, even when stdin is a terminal.
    #[arg(short = 'T', long = "no-tty", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub no_tty: bool,
    /// A command to run instead of the favourite's (after `--`).
    #[arg(last = true)]
    pub command: Vec<String>,
    #[command(flatten)]
    pub record: RecordArgs,
}

/// `podterm connect NAME [-- CMD]`: the favourite's profile, then its newest Ready pod now, then
/// the same session as `podterm exec -i [-t]` (as `podterm exec` with `--stdin=false`).
///
/// Of the connection flags, `--profile` and `-n` replace the favourite's profile and namespace
/// for this once, and `--request-timeout` applies; kubeconfig flags are refused (a favourite
/// connects through a saved profile).
pub async fn connect_favourite(a: ConnectArgs, conn: &Conn) -> Result<i32, Failure> {
    if let Some(flag) = conn.kubeconfig_flag() {
        return Err(Failure::new(format!(
            "{flag} chooses a kubeconfig's cluster or credentials, but `podterm connect` opens a favourite through its saved profile: leave {flag} out, or use `podterm exec`"
        )));
    }
    let store = FavouriteStore::open_default()?;
    let mut fav = store.get(&a.name)?;
    // A shell with no stdin ends at once and says nothing: refused, as exec refuses it.
    if !a.stdin && a.command.is_empty() && fav.command.is_empty() {
        return Err(Failure::new(format!(
            "--stdin=false needs a command: favourite {} opens a shell, which without stdin would end at once; give one after -- (podterm connect {} --stdin=false -- CMD)",
            podterm_core::text::shown(&fav.name),
            podterm_core::text::shown(&fav.name)
        )));
    }
    if let Some(p) = &conn.profile {
        fav.profile = p.clone();
    }
    if let Some(ns) = &conn.namespace {
        fav.namespace = ns.clone();
    }
    let profiles = ProfileStore::open(store.dir());
    let Some(mut profile) = profiles.get(&fav.profile)? else {
        let of_favourite = conn.profile.is_none().then_some(fav.name.as_str());
        return Err(no_profile(&profiles, &fav.profile, of_favourite));
    };
    conn.impersonate_over(&mut profile)?;
    let hint = |f: Failure| f.with_profile_hint(Some(&fav.profile));
    let cluster = connect_profile(&profile, Some(&fav.namespace))
        .await
        .map_err(hint)?;
    // `--request-timeout` (as `podterm exec`) on the lookup and the upgrade.
    let limit = conn.request_timeout();
    let found = within(limit, async {
        favourites::resolve(&cluster.client, &fav)
            .await
            .map_err(Failure::from)
    })
    .await
    .map_err(hint)?;
    if let (Some(n), false) = (&found.unready, a.quiet) {
        eprintln!("{n}");
    }
    // A debug favourite's line below names the container it goes beside: the note would only
    // list the debug containers it adds to.
    if let (Some(n), false, false) = (&found.note, a.quiet, fav.debug) {
        eprintln!("{n}");
    }
    // A debug favourite: the session runs in our debug container beside the container (one per
    // pod, image and target, added now when the pod has none running).
    let mut container = found.container;
    if fav.debug {
        let image = settings::load(store.dir())
            .map_err(|e| Failure::new(e.to_string()))?
            .debug_image;
        let spec = DebugSpec::shared_shell(&image, &container);
        let ensured = debug::ensure(&cluster.client, &found.namespace, &found.pod_name, &spec)
            .await
            .map_err(|e| hint(e.into()))?;
        if !a.quiet {
            eprintln!(
                "{} debug container {} ({}) beside container {}.",
                if ensured.added { "Added" } else { "Reusing" },
                podterm_core::text::shown(&ensured.name),
                podterm_core::text::shown(&image),
                podterm_core::text::shown(&container)
            );
        }
        container = ensured.name;
    }
    // As `exec -i -t` where there is a terminal to be raw; as `exec -i` elsewhere (pipes,
    // scripts), without kubectl's warning.
    let tty = a.stdin && !a.no_tty && term::stdin_is_terminal();
    let spec = ExecSpec {
        namespace: found.namespace,
        pod: found.pod_name,
        container,
        command: if a.command.is_empty() {
            found.command
        } else {
            a.command
        },
        stdin: a.stdin,
        stdout: true,
        stderr: true,
        tty,
        size: if tty { term::size() } else { None },
        attach: false,
    };
    let recording = a.record.start(&spec)?;
    // A hint's commands go through the same profile (the namespace is theirs already).
    let again = format!(" --profile {}", crate::conn::shell_quote(&fav.profile));
    run_recorded(&cluster, spec, limit, recording, &again)
        .await
        .map_err(hint)
}
