//! `podterm connect NAME`: open a favourite in the newest Ready pod of its workload now.

use crate::conn::{connect_profile, no_profile};
use crate::failure::Failure;
use crate::session::run;
use crate::term;
use clap::Args;
use podterm_core::cluster::within;
use podterm_core::exec::{ExecSpec, REQUEST_TIMEOUT};
use podterm_core::favourites::{self, FavouriteStore};
use podterm_core::profiles::ProfileStore;

#[derive(Args)]
pub struct ConnectArgs {
    /// The favourite (see `podterm favourite list`).
    pub name: String,
    /// Only print output from the remote session.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// No TTY, even when stdin is a terminal.
    #[arg(short = 'T', long = "no-tty")]
    pub no_tty: bool,
    /// A command to run instead of the favourite's (after `--`).
    #[arg(last = true)]
    pub command: Vec<String>,
}

/// `podterm connect NAME [-- CMD]`: the favourite's profile, then its newest Ready pod now, then
/// the same session as `podterm exec -i [-t]`.
pub async fn connect_favourite(a: ConnectArgs) -> Result<i32, Failure> {
    let store = FavouriteStore::open_default()?;
    let fav = store.get(&a.name)?;
    let profiles = ProfileStore::open(store.dir());
    let Some(profile) = profiles.get(&fav.profile)? else {
        return Err(no_profile(&profiles, &fav.profile, Some(&fav.name)));
    };
    let hint = |f: Failure| f.with_profile_hint(Some(&fav.profile));
    let cluster = connect_profile(&profile, Some(&fav.namespace))
        .await
        .map_err(hint)?;
    // The default bound of `podterm exec` (`--request-timeout`) on the lookup and the upgrade.
    let limit = Some(REQUEST_TIMEOUT);
    let found = within(limit, async {
        favourites::resolve(&cluster.client, &fav)
            .await
            .map_err(Failure::from)
    })
    .await
    .map_err(hint)?;
    if let (Some(n), false) = (&found.note, a.quiet) {
        eprintln!("{n}");
    }
    // As `exec -i -t` where there is a terminal to be raw; as `exec -i` elsewhere (pipes,
    // scripts), without kubectl's warning.
    let tty = !a.no_tty && term::stdin_is_terminal();
    let spec = ExecSpec {
        namespace: found.namespace,
        pod: found.pod_name,
        container: found.container,
        command: if a.command.is_empty() {
            found.command
        } else {
            a.command
        },
        stdin: true,
        stdout: true,
        stderr: true,
        tty,
        size: if tty { term::size() } else { None },
        attach: false,
    };
    run(&cluster, spec, limit).await.map_err(hint)
}
