//! `podterm profile import|list|show|rm`: saved cluster profiles, secrets in the OS keyring.

use crate::conn::Conn;
use crate::failure::Failure;
use crate::table::{cell, render};
use clap::Subcommand;
use podterm_core::favourites::FavouriteStore;
use podterm_core::import::{self, ImportOptions};
use podterm_core::profiles::{mask_arg, Auth, ProfileStore, MASK};
use podterm_core::vault::Vault;

#[derive(Subcommand)]
pub enum ProfileCmd {
    /// Import kubeconfig contexts as profiles; their secrets go to the OS keyring. The
    /// kubeconfig is `--kubeconfig` (default: $KUBECONFIG merged, else ~/.kube/config); the
    /// context `--context` (default: the current one).
    Import {
        /// Import every context.
        #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
        all: bool,
    },
    /// List profiles: name, server, auth kind, namespace, whether TLS is verified.
    List,
    /// Show one profile (never its secrets).
    Show {
        /// The profile's name (`podterm profile list` shows them).
        name: String,
    },
    /// Delete a profile and its keyring entries.
    Rm {
        /// The profile's name (`podterm profile list` shows them).
        name: String,
    },
}

pub async fn profile(cmd: ProfileCmd, conn: &Conn) -> Result<i32, Failure> {
    let store = ProfileStore::open_default()?;
    match cmd {
        ProfileCmd::Import { all } => {
            if all && conn.context.is_some() {
                return Err(Failure::new(
                    "--all imports every context: give it or --context NAME, not both",
                ));
            }
            let vault = Vault::os()?;
            let opts = ImportOptions {
                kubeconfig: conn.kubeconfig.clone(),
                context: conn.context.clone(),
                all,
            };
            let saved = import::import(&opts, &store, &vault).await?;
            for p in saved {
                // The kubeconfig's words: escaped as every other line of a profile.
                println!(
                    "imported {} ({}, {})",
                    shown(&p.name),
                    shown(&p.server),
                    p.auth.kind_name()
                );
            }
        }
        ProfileCmd::List => {
            let profiles = store.list()?;
            if profiles.is_empty() {
                eprintln!("no profiles yet: import one with `podterm profile import`");
                return Ok(0);
            }
            // As `kubectl config get-contexts`, without its CURRENT column: no profile is
            // the current one (each command and each tab names its own).
            let mut rows = vec![[
                "NAME".to_string(),
                "SERVER".into(),
                "AUTH".into(),
                "NAMESPACE".into(),
                "TLS".into(),
            ]];
            for p in profiles {
                rows.push([
                    cell(&p.name),
                    cell(&p.server),
                    cell(p.auth.kind_name()),
                    p.namespace
                        .as_deref()
                        .map_or_else(|| "default".into(), cell),
                    if p.insecure {
                        "NOT VERIFIED".into()
                    } else {
                        "verified".into()
                    },
                ]);
            }
            print!("{}", render(&rows));
        }
        ProfileCmd::Show { name } => match store.get(&name)? {
            Some(p) => {
                println!("name:       {}", shown(&p.name));
                println!("server:     {}", shown(&p.server));
                println!("auth:       {}", p.auth.kind_name());
                if let Some(imp) = &p.impersonate {
                    let mut line = shown(&imp.user);
                    if !imp.groups.is_empty() {
                        let groups: Vec<String> = imp.groups.iter().map(|g| shown(g)).collect();
                        line.push_str(&format!(" (groups {})", groups.join(", ")));
                    }
                    if let Some(uid) = &imp.uid {
                        line.push_str(&format!(" (uid {})", shown(uid)));
                    }
                    println!("acts as:    {line}");
                }
                println!(
                    "namespace:  {}",
                    shown(p.namespace.as_deref().unwrap_or("default"))
                );
                if let Some(n) = &p.tls_server_name {
                    println!("tls name:   {}", shown(n));
                }
                if let Some(x) = p.proxy_url_masked() {
                    println!("proxy:      {}", shown(&x));
                }
                if p.reconnect {
                    println!("reconnect:  automatically (in the app)");
                }
                if p.insecure {
                    println!("warning:    TLS certificates are not verified for this cluster");
                }
                if let Auth::ExecPlugin {
                    command, args, env, ..
                } = &p.auth
                {
                    // What an imported profile runs, for review; its secrets masked.
                    let mut line = shown(command);
                    for a in args {
                        line.push(' ');
                        line.push_str(&shown(&mask_arg(a)));
                    }
                    println!("runs:       {line}");
                    for e in env {
                        let value = match (&e.value, &e.secret_field) {
                            (_, Some(_)) => MASK.to_owned(),
                            (Some(v), None) => shown(v),
                            (None, None) => String::new(),
                        };
                        println!("env:        {}={value}", shown(&e.name));
                    }
                }
                let fields = p.secret_fields();
                if !fields.is_empty() {
                    println!("in keyring: {}", fields.join(", "));
                }
                if let Some(src) = &p.source {
                    println!("source:     {}", shown(src));
                }
            }
            None => return Err(Failure::new(format!("no profile named \"{name}\""))),
        },
        ProfileCmd::Rm { name } => {
            let Some(p) = store.get(&name)? else {
                return Err(Failure::new(format!("no profile named \"{name}\"")));
            };
            let fields = p.secret_fields();
            if !fields.is_empty() {
                let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
                Vault::os()?.delete_profile(&p.id, &fields).await?;
            }
            store.remove(&name)?;
            println!("removed {name}");
            let users: Vec<String> = FavouriteStore::open(store.dir())
                .list()
                .unwrap_or_default()
                .into_iter()
                .filter(|f| f.profile == name)
                .map(|f| f.name)
                .collect();
            if !users.is_empty() {
                eprintln!(
                    "note: favourites still naming profile \"{name}\": {} (`podterm favourite rm NAME` removes one)",
                    users.join(", ")
                );
            }
        }
    }
    Ok(0)
}

/// A stored string as `profile show` prints it: quoted (shell style) when it has spaces, quotes
/// or control characters, which are shown escaped, never sent to the terminal.
fn shown(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| {
            !c.is_control() && !c.is_whitespace() && !matches!(c, '\'' | '"' | '\\' | '`' | '$')
        });
    if plain {
        s.to_owned()
    } else {
        format!("{s:?}")
    }
}
