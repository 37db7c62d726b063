//! `testcluster serve`: run the Kubernetes API stand-in until SIGINT/SIGTERM.

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "testcluster",
    version,
    about = "A Kubernetes API server stand-in for tests and demos"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the cluster: prints its URL, writes a kubeconfig, runs until interrupted.
    Serve {
        /// Cluster file (YAML); the built-in demo topology when absent.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Address of the HTTPS API.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
        /// Where to write the kubeconfig (one context per user; the first is current).
        #[arg(long)]
        kubeconfig: PathBuf,
        /// Address of the plain-HTTP admin port for fault control (see the README).
        #[cfg(feature = "admin")]
        #[arg(long)]
        admin: Option<SocketAddr>,
        /// Milliseconds an exec or attach by kubectl waits before its process starts, as a
        /// real node's would (kubectl drops output that comes before it is ready); 0 for a
        /// benchmark that times kubectl's start.
        #[arg(long, default_value_t = testcluster::KUBECTL_SETTLE.as_millis() as u64)]
        kubectl_settle_ms: u64,
    },
    /// Print the built-in demo topology as a cluster file.
    Demo,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TESTCLUSTER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Demo => match serde_yaml::to_string(&testcluster::ClusterSpec::demo()) {
            Ok(y) => {
                print!("{y}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("testcluster: {e}");
                ExitCode::FAILURE
            }
        },
        Cmd::Serve {
            config,
            listen,
            kubeconfig,
            #[cfg(feature = "admin")]
            admin,
            kubectl_settle_ms,
        } => {
            let spec = match config {
                Some(path) => match testcluster::ClusterSpec::from_file(&path) {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("testcluster: {e}");
                        return ExitCode::from(2);
                    }
                },
                None => testcluster::ClusterSpec::demo(),
            };
            let rt = match tokio::runtime::Runtime::new() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("testcluster: cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let opts = testcluster::Options {
                spec,
                listen,
                kubeconfig: Some(kubeconfig),
                #[cfg(feature = "admin")]
                admin,
                kubectl_settle: std::time::Duration::from_millis(kubectl_settle_ms),
            };
            rt.block_on(serve(opts))
        }
    }
}

async fn serve(opts: testcluster::Options) -> ExitCode {
    let cluster = match testcluster::TestCluster::start(opts).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("testcluster: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("testcluster serving at {}", cluster.url());
    println!("kubeconfig: {}", cluster.kubeconfig().display());
    #[cfg(feature = "admin")]
    if let Some(a) = cluster.admin_url() {
        println!("admin: {a}");
    }
    println!(
        "try: KUBECONFIG={} kubectl get pods",
        cluster.kubeconfig().display()
    );
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("testcluster: cannot watch for SIGTERM: {e}");
            return ExitCode::FAILURE;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    drop(cluster);
    ExitCode::SUCCESS
}
