//! `podterm favourite add|list|rm`: quick-connects saved by name.

use crate::conn::{no_profile, Conn};
use crate::failure::Failure;
use crate::table::{cell, render};
use clap::Subcommand;
use podterm_core::favourites::{self, Favourite, FavouriteStore};
use podterm_core::profiles::ProfileStore;

#[derive(Subcommand)]
pub enum FavouriteCmd {
    /// Save a favourite. A workload (deploy/NAME, sts/NAME, ds/NAME, rs/NAME, svc/NAME) is resolved to its
    /// newest Ready pod at each connect; pod/NAME or NAME is that fixed pod. Its profile is
    /// `--profile NAME` (required), its namespace `-n` (default: the profile's, else "default").
    Add {
        /// The favourite's name (what `podterm connect` takes).
        name: String,
        /// deploy/NAME, sts/NAME, ds/NAME, rs/NAME, svc/NAME, pod/NAME or a pod NAME.
        target: String,
        /// Container (default: the pod's default container).
        #[arg(short = 'c', long)]
        container: Option<String>,
        /// Open it in a debug container beside the container, for an image without a shell:
        /// an ephemeral container from the settings' debug image (`debugImage` in
        /// settings.json), added once per pod and reused (it cannot be removed).
        #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
        debug: bool,
        /// The command and its arguments, after `--` (default: a shell).
        #[arg(last = true)]
        command: Vec<String>,
    },
    /// List favourites: name, profile, namespace, target, container (`(debug)`: opened in a
    /// debug container beside it), command.
    List,
    /// Remove a favourite.
    Rm {
        /// The favourite's name (`podterm favourite list` shows them).
        name: String,
    },
}

pub fn favourite(cmd: FavouriteCmd, conn: &Conn) -> Result<i32, Failure> {
    let store = FavouriteStore::open_default()?;
    match cmd {
        FavouriteCmd::Add {
            name,
            target,
            container,
            debug,
            command,
        } => {
            let Some(profile) = conn.profile.clone() else {
                return Err(Failure::new(
                    "a favourite connects through a saved profile: give --profile NAME (see `podterm profile list`)",
                ));
            };
            let namespace = conn.namespace.clone();
            let target = favourites::Target::parse(&target)?;
            // The profile must exist now; its namespace is the default one.
            let profiles = ProfileStore::open(store.dir());
            let Some(p) = profiles.get(&profile)? else {
                return Err(no_profile(&profiles, &profile, None));
            };
            let namespace = namespace
                .or(p.namespace)
                .unwrap_or_else(|| "default".into());
            let fav = Favourite {
                container,
                command,
                debug,
                ..Favourite::new(&name, &profile, &namespace, target)
            };
            store.add(fav.clone())?;
            println!(
                "added favourite {name}: {} in namespace {namespace} through profile {profile}{}",
                fav.target,
                if debug { ", in a debug container" } else { "" }
            );
        }
        FavouriteCmd::List => {
            let all = store.list()?;
            if all.is_empty() {
                eprintln!("no favourites yet: add one with `podterm favourite add`");
                return Ok(0);
            }
            let mut rows = vec![[
                "NAME".to_string(),
                "PROFILE".into(),
                "NAMESPACE".into(),
                "TARGET".into(),
                "CONTAINER".into(),
                "COMMAND".into(),
            ]];
            for f in all {
                let command = if f.command.is_empty() {
                    "<shell>".to_string()
                } else {
                    f.command
                        .iter()
                        .map(|a| crate::conn::shell_quote(a))
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                rows.push([
                    cell(&f.name),
                    cell(&f.profile),
                    cell(&f.namespace),
                    cell(&f.target.to_string()),
                    {
                        let c = f
                            .container
                            .as_deref()
                            .map_or_else(|| "<default>".into(), cell);
                        if f.debug {
                            format!("{c} (debug)")
                        } else {
                            c
                        }
                    },
                    cell(&command),
                ]);
            }
            print!("{}", render(&rows));
        }
        FavouriteCmd::Rm { name } => {
            let f = store.remove(&name)?;
            println!("removed favourite {} ({})", f.name, f.target);
        }
    }
    Ok(0)
}
