//! `podterm`: the command line over podterm-core. `podterm exec` and `podterm attach` behave as
//! `kubectl exec` and `kubectl attach` do: same flags, messages and exit codes. `podterm
//! debug` adds an ephemeral container as `kubectl debug` does. `podterm
//! favourite` keeps quick-connects and `podterm connect NAME` opens one.
//!
//! One module per subcommand ([`exec`] for exec and attach, [`logs`], [`profile`], [`favourite`],
//! [`connect`]); [`conn`] chooses the cluster, [`session`] runs a session against the local
//! terminal, [`failure`] prints what went wrong. This file parses and dispatches.

mod conn;
mod connect;
mod debug;
mod exec;
mod failure;
mod favourite;
mod logs;
mod profile;
mod session;
mod term;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "podterm", version, about = "A fast `kubectl exec`")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a command in a container (as `kubectl exec`); a shell when no command is given.
    Exec(exec::ExecArgs),
    /// Attach to a container's main process (as `kubectl attach`).
    Attach(exec::AttachArgs),
    /// Add a debug (ephemeral) container to a running pod and attach to it (as `kubectl debug`).
    Debug(debug::DebugArgs),
    /// Print a container's logs (as `kubectl logs`); a follow resumes after a dropped connection.
    Logs(logs::LogsArgs),
    /// Saved cluster profiles (secrets in the OS keyring).
    #[command(subcommand)]
    Profile(profile::ProfileCmd),
    /// Favourites: a profile, namespace, workload or pod, container and command, saved by name.
    #[command(subcommand)]
    Favourite(favourite::FavouriteCmd),
    /// Open a favourite: a shell (or its command) in the newest Ready pod of its workload now.
    Connect(connect::ConnectArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = rt.block_on(async {
        let r = match cli.cmd {
            Cmd::Exec(a) => {
                let profile = a.conn.profile.clone();
                exec::exec(a)
                    .await
                    .map_err(|f| f.with_profile_hint(profile.as_deref()))
            }
            Cmd::Attach(a) => exec::attach(a).await,
            Cmd::Debug(a) => {
                let profile = a.cluster_profile.clone();
                debug::debug(a)
                    .await
                    .map_err(|f| f.with_profile_hint(profile.as_deref()))
            }
            Cmd::Logs(a) => {
                let profile = a.conn.profile.clone();
                logs::logs(a)
                    .await
                    .map_err(|f| f.with_profile_hint(profile.as_deref()))
            }
            Cmd::Profile(p) => profile::profile(p).await,
            Cmd::Favourite(f) => favourite::favourite(f),
            Cmd::Connect(a) => connect::connect_favourite(a).await,
        };
        r.unwrap_or_else(failure::Failure::report)
    });
    // Leave at once: the stdin reader may be blocked in a read that never returns.
    rt.shutdown_background();
    std::process::exit(code);
}
