//! `podterm cp`, as `kubectl cp`: `[-n NS] [-c C] SRC DST`, one side `[NS/]POD:PATH`, the same
//! commands and tar streams in the pod (so the two interoperate), `--no-preserve`, `--retries N`
//! resuming a broken download where it stopped. Progress (bytes, rate, ETA) on stderr when it
//! is a terminal; Ctrl-C (or SIGTERM) cancels and leaves no partial file under a final name.

use crate::conn::{connect, Conn};
use crate::failure::Failure;
use crate::session::tuning_from_env;
use crate::term;
use clap::Args;
use podterm_core::cluster::within;
use podterm_core::exec::Tuning;
use podterm_core::pods::{self, PodTarget};
use podterm_core::settings::DEFAULT_DEBUG_IMAGE;
use podterm_core::transfer::{
    self, Cancel, Fallback, FileSpec, Meter, Options, Target, TransferError,
};
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Args)]
pub struct CpArgs {
    /// Container name (default: the default-container annotation, else the first).
    #[arg(short = 'c', long)]
    pub container: Option<String>,
    /// The copied file/directory's ownership and permissions will not be preserved in the
    /// container.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub no_preserve: bool,
    /// How often a broken copy goes on: a download resumes where it stopped, a large file's
    /// byte ranges (either way) each go on by themselves, any other upload starts its tar
    /// stream over; 0 never, a negative number for ever.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub retries: i32,
    /// When the container has no tar and nothing to copy a single file with (distroless,
    /// scratch): copy through an ephemeral debug container beside it (`--debug=IMAGE` to
    /// choose the image). It cannot be removed: it stays until the pod is deleted, and later
    /// copies and debug tabs reuse it.
    #[arg(long, value_name = "IMAGE", num_args = 0..=1, require_equals = true, default_missing_value = DEFAULT_DEBUG_IMAGE)]
    pub debug: Option<String>,
    /// `[[NAMESPACE/]POD:]PATH`
    pub src: String,
    /// `[[NAMESPACE/]POD:]PATH`
    pub dest: String,
}

/// The two sides checked as kubectl checks them.
fn sides(a: &CpArgs) -> Result<(FileSpec, FileSpec), TransferError> {
    let src = FileSpec::parse(&a.src)?;
    let dest = FileSpec::parse(&a.dest)?;
    if src.is_remote() && dest.is_remote() {
        return Err(TransferError::BothRemote);
    }
    if src.path.is_empty() || dest.path.is_empty() {
        return Err(TransferError::EmptyPath);
    }
    if !src.is_remote() && !dest.is_remote() {
        return Err(TransferError::NeitherRemote);
    }
    Ok((src, dest))
}

pub async fn cp(a: CpArgs, conn: &Conn) -> Result<i32, Failure> {
    let (src, dest) = sides(&a)?;
    let cluster = connect(conn).await?;
    let limit = conn.request_timeout();
    let remote = if src.is_remote() { &src } else { &dest };
    let namespace = remote
        .namespace
        .clone()
        .unwrap_or_else(|| cluster.namespace.clone());
    let name = remote.pod.clone().unwrap_or_default();
    let pod = within(
        limit,
        pods::resolve(&cluster.client, &namespace, &PodTarget::Pod(name.clone())),
    )
    .await?;
    pods::check_running(&pod)?;
    let (container, note) = pods::choose_container(&pod, a.container.as_deref())?;
    if let Some(n) = note {
        eprintln!("{n}");
    }
    let target = Target {
        namespace,
        pod: name,
        container,
    };
    let opts = Options {
        no_preserve: a.no_preserve,
        retries: a.retries,
        tuning: Tuning {
            request_timeout: limit,
            ..tuning_from_env(cluster.liveness)
        },
        // Over what is there, as kubectl writes.
        new_only: false,
    };
    let fallback = Fallback {
        debug_image: a.debug.clone(),
    };
    let meter = Meter::default();
    let cancel = Cancel::default();
    let signals = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            use tokio::signal::unix::{signal, SignalKind};
            let mut term_sig = signal(SignalKind::terminate()).ok();
            let term = async {
                match term_sig.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term => {}
            }
            cancel.cancel();
        })
    };
    let started = Instant::now();
    let progress =
        term::stderr_is_terminal().then(|| tokio::spawn(show_progress(meter.clone(), started)));
    let client = &cluster.client;
    let result = if src.is_remote() {
        transfer::download_with(
            client,
            &target,
            &src.path,
            Path::new(&dest.path),
            &opts,
            &fallback,
            &meter,
            &cancel,
        )
        .await
    } else {
        transfer::upload_with(
            client,
            &target,
            Path::new(&src.path),
            &dest.path,
            &opts,
            &fallback,
            &meter,
            &cancel,
        )
        .await
    };
    signals.abort();
    if let Some(p) = progress {
        p.abort();
        // A finished copy leaves its last line (how much, how fast), as scp and curl do, however
        // short it was; a cancelled or failed one leaves none.
        if result.is_ok() {
            let line = progress_line(meter.done(), meter.total(), started.elapsed());
            eprintln!("\r\x1b[K{line}");
        } else {
            eprint!("\r\x1b[K");
        }
    }
    match result {
        Ok(report) => {
            for line in report.notes.iter().chain(&report.warnings) {
                eprintln!("{line}");
            }
            Ok(0)
        }
        Err(TransferError::Cancelled) => {
            eprintln!("{}", TransferError::Cancelled);
            Ok(130)
        }
        Err(e) => Err(e.into()),
    }
}

/// `1.5 MiB`.
fn bytes(n: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// One progress line: what moved (of how much), the rate, and the time left when known.
fn progress_line(done: u64, total: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(0.001);
    let rate = done as f64 / secs;
    let mut line = bytes(done as f64);
    if total > 0 {
        line.push_str(&format!(" of {}", bytes(total.max(done) as f64)));
    }
    line.push_str(&format!("  {}/s", bytes(rate)));
    if total > done && rate > 0.0 {
        let left = ((total - done) as f64 / rate) as u64;
        line.push_str(&format!("  ETA {}:{:02}", left / 60, left % 60));
    }
    line
}

async fn show_progress(meter: Meter, started: Instant) {
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tick.tick().await;
        let line = progress_line(meter.done(), meter.total(), started.elapsed());
        let mut err = std::io::stderr();
        let _ = write!(err, "\r\x1b[K{line}");
        let _ = err.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_says_bytes_rate_and_time_left() {
        let l = progress_line(50 << 20, 100 << 20, Duration::from_secs(5));
        assert_eq!(l, "50.0 MiB of 100.0 MiB  10.0 MiB/s  ETA 0:05");
        let l = progress_line(3 << 10, 0, Duration::from_secs(1));
        assert_eq!(l, "3.0 KiB  3.0 KiB/s");
    }
}
