//! `podterm`: the command line over podterm-core. `podterm exec` and `podterm attach` behave as
//! `kubectl exec` and `kubectl attach` do: same flags, messages and exit codes. `podterm
//! favourite` keeps quick-connects and `podterm connect NAME` opens one.

mod term;

use bytes::Bytes;
use clap::{Args, Parser, Subcommand};
use podterm_core::cluster::{self, Target};
use podterm_core::exec::{ExecSpec, Session, Tuning};
use podterm_core::favourites::{self, Favourite, FavouriteStore};
use podterm_core::import::{self, ImportOptions};
use podterm_core::pods::{self, PodTarget};
use podterm_core::profiles::ProfileStore;
use podterm_core::protocol::Outcome;
use podterm_core::vault::Vault;
use std::path::PathBuf;
use std::process::ExitCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Parser)]
#[command(name = "podterm", version, about = "A fast `kubectl exec`")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a command in a container (as `kubectl exec`); a shell when no command is given.
    Exec(ExecArgs),
    /// Attach to a container's main process (as `kubectl attach`).
    Attach(AttachArgs),
    /// Saved cluster profiles (secrets in the OS keyring).
    #[command(subcommand)]
    Profile(ProfileCmd),
    /// Favourites: a profile, namespace, workload or pod, container and command, saved by name.
    #[command(subcommand)]
    Favourite(FavouriteCmd),
    /// Open a favourite: a shell (or its command) in the newest Ready pod of its workload now.
    Connect(ConnectArgs),
}

#[derive(Subcommand)]
enum FavouriteCmd {
    /// Save a favourite. A workload (deploy/NAME, sts/NAME, ds/NAME, rs/NAME) is resolved to its
    /// newest Ready pod at each connect; pod/NAME or NAME is that fixed pod.
    Add {
        /// The favourite's name (what `podterm connect` takes).
        name: String,
        /// The saved profile to connect through (see `podterm profile list`).
        #[arg(long)]
        profile: String,
        /// Namespace (default: the profile's, else "default").
        #[arg(short = 'n', long)]
        namespace: Option<String>,
        /// deploy/NAME, sts/NAME, ds/NAME, rs/NAME, pod/NAME or a pod NAME.
        target: String,
        /// Container (default: the pod's default container).
        #[arg(short = 'c', long)]
        container: Option<String>,
        /// The command and its arguments, after `--` (default: a shell).
        #[arg(last = true)]
        command: Vec<String>,
    },
    /// List favourites: name, profile, namespace, target, container, command.
    List,
    /// Remove a favourite.
    Rm { name: String },
}

#[derive(Args)]
struct ConnectArgs {
    /// The favourite (see `podterm favourite list`).
    name: String,
    /// Only print output from the remote session.
    #[arg(short = 'q', long)]
    quiet: bool,
    /// No TTY, even when stdin is a terminal.
    #[arg(short = 'T', long = "no-tty")]
    no_tty: bool,
    /// A command to run instead of the favourite's (after `--`).
    #[arg(last = true)]
    command: Vec<String>,
}

#[derive(Subcommand)]
enum ProfileCmd {
    /// Import kubeconfig contexts as profiles; their secrets go to the OS keyring.
    Import {
        /// Kubeconfig file (default: $KUBECONFIG merged, else ~/.kube/config).
        #[arg(long)]
        kubeconfig: Option<PathBuf>,
        /// Import this context (default: the current one).
        #[arg(long, conflicts_with = "all")]
        context: Option<String>,
        /// Import every context.
        #[arg(long)]
        all: bool,
    },
    /// List profiles: name, server, auth kind.
    List,
    /// Show one profile (never its secrets).
    Show { name: String },
    /// Delete a profile and its keyring entries.
    Rm { name: String },
}

#[derive(Args)]
struct Conn {
    /// Namespace (default: the context's).
    #[arg(short = 'n', long)]
    namespace: Option<String>,
    /// Kubeconfig context.
    #[arg(long)]
    context: Option<String>,
    /// Kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).
    #[arg(long, conflicts_with = "profile")]
    kubeconfig: Option<PathBuf>,
    /// A saved profile (see `podterm profile`) instead of a kubeconfig.
    #[arg(long, conflicts_with = "context")]
    profile: Option<String>,
}

#[derive(Args)]
struct ExecArgs {
    #[command(flatten)]
    conn: Conn,
    /// Container name (default: the default-container annotation, else the first).
    #[arg(short = 'c', long)]
    container: Option<String>,
    /// Pass stdin to the container.
    #[arg(short = 'i', long)]
    stdin: bool,
    /// Stdin is a TTY.
    #[arg(short = 't', long)]
    tty: bool,
    /// Only print output from the remote session.
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Pick the newest Ready pod matching this label selector.
    #[arg(short = 'l', long)]
    selector: Option<String>,
    /// POD, pod/POD, deploy/NAME, sts/NAME, ds/NAME or rs/NAME.
    target: Option<String>,
    /// The command and its arguments (after `--`).
    #[arg(last = true)]
    command: Vec<String>,
}

#[derive(Args)]
struct AttachArgs {
    #[command(flatten)]
    conn: Conn,
    #[arg(short = 'c', long)]
    container: Option<String>,
    #[arg(short = 'i', long)]
    stdin: bool,
    #[arg(short = 't', long)]
    tty: bool,
    #[arg(short = 'q', long)]
    quiet: bool,
    target: String,
}

/// An error to print as kubectl would, and the exit code.
struct Failure(String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
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
                let conn = a.conn.profile.clone();
                exec(a)
                    .await
                    .map_err(|f| with_profile_hint(conn.as_deref(), f))
            }
            Cmd::Attach(a) => attach(a).await,
            Cmd::Profile(p) => profile(p).await,
            Cmd::Favourite(f) => favourite(f),
            Cmd::Connect(a) => connect_favourite(a).await,
        };
        match r {
            Ok(code) => code,
            Err(Failure(msg)) => {
                term::restore();
                if msg.starts_with("Error from server") {
                    eprintln!("{msg}");
                } else {
                    eprintln!("error: {msg}");
                }
                1
            }
        }
    });
    // Leave at once: the stdin reader may be blocked in a read that never returns.
    rt.shutdown_background();
    std::process::exit(code);
}

/// A client from `--profile`, else from kubeconfig.
async fn connect(conn: &Conn) -> Result<podterm_core::cluster::Cluster, Failure> {
    let Some(name) = &conn.profile else {
        let target = Target {
            kubeconfig: conn.kubeconfig.clone(),
            context: conn.context.clone(),
            namespace: conn.namespace.clone(),
        };
        return Ok(target.connect().await?);
    };
    let store = ProfileStore::open_default()?;
    let Some(profile) = store.get(name)? else {
        return Err(no_profile(&store, name, None));
    };
    connect_profile(&profile, conn.namespace.as_deref()).await
}

/// The profile `name` does not exist: say which do, and how to add one.
fn no_profile(store: &ProfileStore, name: &str, favourite: Option<&str>) -> Failure {
    let names: Vec<String> = match store.list() {
        Ok(list) => list.into_iter().map(|p| p.name).collect(),
        Err(e) => return Failure(e.to_string()),
    };
    let known = if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    };
    Failure(match favourite {
        None => format!(
            "no profile named \"{name}\" (profiles: {known}); import one with `podterm profile import`"
        ),
        Some(fav) => format!(
            "favourite \"{fav}\" connects through profile \"{name}\", which does not exist (profiles: {known}): import it with `podterm profile import`, or remove the favourite (`podterm favourite rm {fav}`) and add it again with another profile"
        ),
    })
}

/// A client for a saved profile; its secrets come from the OS keyring (only when it has any).
async fn connect_profile(
    profile: &podterm_core::profiles::Profile,
    namespace: Option<&str>,
) -> Result<podterm_core::cluster::Cluster, Failure> {
    let vault = Vault::for_profile(profile)?;
    let mut cluster = cluster::connect_saved(profile, &vault).await?;
    if let Some(ns) = namespace {
        cluster.namespace = ns.to_string();
    }
    Ok(cluster)
}

/// Adds what to do about refused credentials of a saved profile.
fn with_profile_hint(profile: Option<&str>, f: Failure) -> Failure {
    match profile {
        Some(name) if f.0.starts_with("You must be logged in") => Failure(format!(
            "{}: the cluster refused the credentials of profile \"{name}\" (401); the token may be revoked or expired: re-enter it (podterm profile import) and try again",
            f.0
        )),
        _ => f,
    }
}

async fn profile(cmd: ProfileCmd) -> Result<i32, Failure> {
    let store = ProfileStore::open_default()?;
    match cmd {
        ProfileCmd::Import {
            kubeconfig,
            context,
            all,
        } => {
            let vault = Vault::os()?;
            let opts = ImportOptions {
                kubeconfig,
                context,
                all,
            };
            let saved = import::import(&opts, &store, &vault).await?;
            for p in saved {
                println!("imported {} ({}, {})", p.name, p.server, p.auth.kind_name());
            }
        }
        ProfileCmd::List => {
            let profiles = store.list()?;
            if profiles.is_empty() {
                eprintln!("no profiles yet: import one with `podterm profile import`");
            }
            for p in profiles {
                let warn = if p.insecure {
                    "  (TLS not verified)"
                } else {
                    ""
                };
                println!("{}\t{}\t{}{warn}", p.name, p.server, p.auth.kind_name());
            }
        }
        ProfileCmd::Show { name } => match store.get(&name)? {
            Some(p) => {
                println!("name:       {}", p.name);
                println!("server:     {}", p.server);
                println!("auth:       {}", p.auth.kind_name());
                println!(
                    "namespace:  {}",
                    p.namespace.as_deref().unwrap_or("default")
                );
                if let Some(n) = &p.tls_server_name {
                    println!("tls name:   {n}");
                }
                if let Some(x) = &p.proxy_url {
                    println!("proxy:      {x}");
                }
                if p.insecure {
                    println!("warning:    TLS certificates are not verified for this cluster");
                }
                let fields = p.secret_fields();
                if !fields.is_empty() {
                    println!("in keyring: {}", fields.join(", "));
                }
                if let Some(src) = &p.source {
                    println!("source:     {src}");
                }
            }
            None => return Err(Failure(format!("no profile named \"{name}\""))),
        },
        ProfileCmd::Rm { name } => {
            let Some(p) = store.get(&name)? else {
                return Err(Failure(format!("no profile named \"{name}\"")));
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

fn favourite(cmd: FavouriteCmd) -> Result<i32, Failure> {
    let store = FavouriteStore::open_default()?;
    match cmd {
        FavouriteCmd::Add {
            name,
            profile,
            namespace,
            target,
            container,
            command,
        } => {
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
                ..Favourite::new(&name, &profile, &namespace, target)
            };
            store.add(fav.clone())?;
            println!(
                "added favourite {name}: {} in namespace {namespace} through profile {profile}",
                fav.target
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
                        .map(|a| shell_quote(a))
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                rows.push([
                    f.name.clone(),
                    f.profile.clone(),
                    f.namespace.clone(),
                    f.target.to_string(),
                    f.container.clone().unwrap_or_else(|| "<default>".into()),
                    command,
                ]);
            }
            print!("{}", table(&rows));
        }
        FavouriteCmd::Rm { name } => {
            let f = store.remove(&name)?;
            println!("removed favourite {} ({})", f.name, f.target);
        }
    }
    Ok(0)
}

/// Columns padded as kubectl pads them (three spaces apart); the last one is not padded.
fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == N {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<width$}   ", width = widths[i]));
            }
        }
        out.push('\n');
    }
    out
}

/// An argument as a shell would need it typed.
fn shell_quote(arg: &str) -> String {
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

/// `podterm connect NAME [-- CMD]`: the favourite's profile, then its newest Ready pod now, then
/// the same session as `podterm exec -i [-t]`.
async fn connect_favourite(a: ConnectArgs) -> Result<i32, Failure> {
    let store = FavouriteStore::open_default()?;
    let fav = store.get(&a.name)?;
    let profiles = ProfileStore::open(store.dir());
    let Some(profile) = profiles.get(&fav.profile)? else {
        return Err(no_profile(&profiles, &fav.profile, Some(&fav.name)));
    };
    let hint = |f: Failure| with_profile_hint(Some(&fav.profile), f);
    let cluster = connect_profile(&profile, Some(&fav.namespace))
        .await
        .map_err(hint)?;
    let found = favourites::resolve(&cluster.client, &fav)
        .await
        .map_err(|e| hint(e.into()))?;
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
    run(&cluster.client, spec).await.map_err(hint)
}

/// kubectl's TTY rules: `-t` needs `-i`, and a terminal on stdin (else a warning and no TTY).
fn decide_tty(tty: bool, stdin: bool, quiet: bool) -> bool {
    if !tty || !stdin {
        return false;
    }
    if !term::stdin_is_terminal() {
        if !quiet {
            eprintln!("Unable to use a TTY - input is not a terminal or the right kind of file");
        }
        return false;
    }
    true
}

async fn exec(a: ExecArgs) -> Result<i32, Failure> {
    let cluster = connect(&a.conn).await?;
    let pod_target = match (&a.selector, &a.target) {
        (Some(sel), None) => PodTarget::Selector(sel.clone()),
        (None, Some(t)) => PodTarget::parse(t)?,
        (Some(_), Some(_)) => {
            return Err(Failure("name a pod or give -l SELECTOR, not both".into()))
        }
        (None, None) => return Err(Failure("a pod name (or -l SELECTOR) is required".into())),
    };
    let pod = pods::resolve(&cluster.client, &cluster.namespace, &pod_target).await?;
    pods::check_running(&pod)?;
    let (container, note) = pods::choose_container(&pod, a.container.as_deref())?;
    if let (Some(n), false) = (note, a.quiet) {
        eprintln!("{n}");
    }
    let tty = decide_tty(a.tty, a.stdin, a.quiet);
    let command = if a.command.is_empty() {
        pods::shell_command()
    } else {
        a.command.clone()
    };
    let spec = ExecSpec {
        namespace: cluster.namespace.clone(),
        pod: pod.metadata.name.clone().unwrap_or_default(),
        container,
        command,
        stdin: a.stdin,
        stdout: true,
        stderr: true,
        tty,
        size: if tty { term::size() } else { None },
        attach: false,
    };
    run(&cluster.client, spec).await
}

async fn attach(a: AttachArgs) -> Result<i32, Failure> {
    let cluster = connect(&a.conn).await?;
    let pod = pods::resolve(
        &cluster.client,
        &cluster.namespace,
        &PodTarget::parse(&a.target)?,
    )
    .await?;
    pods::check_running(&pod)?;
    let (container, note) = pods::choose_container(&pod, a.container.as_deref())?;
    if let (Some(n), false) = (note, a.quiet) {
        eprintln!("{n}");
    }
    let tty = decide_tty(a.tty, a.stdin, a.quiet);
    if tty && !a.quiet {
        eprintln!("If you don't see a command prompt, try pressing enter.");
    }
    let spec = ExecSpec {
        namespace: cluster.namespace.clone(),
        pod: pod.metadata.name.clone().unwrap_or_default(),
        container,
        command: vec![],
        stdin: a.stdin,
        stdout: true,
        stderr: true,
        tty,
        size: if tty { term::size() } else { None },
        attach: true,
    };
    run(&cluster.client, spec).await
}

/// Liveness knobs, overridable for tests and odd networks: `PODTERM_PING_SECS`,
/// `PODTERM_DEADLINE_SECS`.
fn tuning_from_env() -> Tuning {
    let secs = |k: &str| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|s| *s > 0.0)
            .map(std::time::Duration::from_secs_f64)
    };
    let d = Tuning::default();
    Tuning {
        ping_every: secs("PODTERM_PING_SECS").unwrap_or(d.ping_every),
        read_deadline: secs("PODTERM_DEADLINE_SECS").unwrap_or(d.read_deadline),
        ..d
    }
}

/// Pumps a session between the local stdio and the pod; returns the exit code to end with.
async fn run(client: &kube::Client, spec: ExecSpec) -> Result<i32, Failure> {
    let mut session = Session::start(client, &spec, tuning_from_env()).await?;
    let raw = if spec.tty {
        Some(term::RawMode::enable()?)
    } else {
        None
    };

    let mut out_rx = std::mem::replace(
        &mut session.stdout,
        tokio::sync::mpsc::unbounded_channel().1,
    );
    let mut err_rx = std::mem::replace(
        &mut session.stderr,
        tokio::sync::mpsc::unbounded_channel().1,
    );
    // Stdout gets a thread of its own that writes each chunk straight to the descriptor: no
    // hop through tokio's blocking pool per chunk.
    let stdout_task = tokio::task::spawn_blocking(move || {
        use std::io::Write as _;
        use std::os::fd::AsFd as _;
        // A second descriptor for stdout, unbuffered: one write per chunk.
        let mut out: Box<dyn std::io::Write> = match std::io::stdout().as_fd().try_clone_to_owned()
        {
            Ok(fd) => Box::new(std::fs::File::from(fd)),
            Err(_) => Box::new(std::io::stdout()),
        };
        while let Some(chunk) = out_rx.blocking_recv() {
            if out.write_all(&chunk).and_then(|_| out.flush()).is_err() {
                break;
            }
        }
    });
    let stderr_task = tokio::spawn(async move {
        let mut err = tokio::io::stderr();
        while let Some(chunk) = err_rx.recv().await {
            if err.write_all(&chunk).await.is_err() {
                break;
            }
        }
        let _ = err.flush().await;
    });
    if spec.stdin {
        let input = session.input.clone();
        tokio::spawn(async move {
            let mut stdin = tokio::io::stdin();
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match stdin.read(&mut buf).await {
                    Ok(0) | Err(_) => {
                        input.close_stdin().await;
                        break;
                    }
                    Ok(n) => {
                        if !input.send(Bytes::copy_from_slice(&buf[..n])).await {
                            break;
                        }
                    }
                }
            }
        });
    }
    if spec.tty {
        let input = session.input.clone();
        if let Ok(mut winch) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
        {
            tokio::spawn(async move {
                while winch.recv().await.is_some() {
                    if let Some((c, r)) = term::size() {
                        if !input.resize(c, r).await {
                            break;
                        }
                    }
                }
            });
        }
    }
    let signals = async {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term_sig = signal(SignalKind::terminate()).ok();
        let mut hup = signal(SignalKind::hangup()).ok();
        tokio::select! {
            _ = async { match term_sig.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => 143,
            _ = async { match hup.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => 129,
        }
    };
    let outcome = tokio::select! {
        r = session.finish() => r,
        code = signals => {
            drop(raw);
            return Ok(code);
        }
    };
    let _ = stdout_task.await;
    let _ = stderr_task.await;
    drop(raw);
    match outcome {
        Ok(Outcome::Success) => Ok(0),
        Ok(Outcome::Exit(code)) => {
            eprintln!("command terminated with exit code {code}");
            Ok(code)
        }
        Ok(Outcome::Failure { message, .. }) => Err(Failure(message)),
        Err(e) => Err(Failure(e.to_string())),
    }
}
