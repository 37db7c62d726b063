//! A session between the local terminal (or pipes) and a pod: stdin, stdout, stderr, resizes,
//! signals, and the exit code kubectl would end with.

use crate::failure::Failure;
use crate::record::Recording;
use crate::term;
use bytes::Bytes;
use podterm_core::cluster::Cluster;
use podterm_core::exec::{ExecSpec, Liveness, Session, Tuning};
use podterm_core::protocol::Outcome;
use podterm_core::recording::Recorder;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// kubectl's TTY rules: `-t` needs `-i`, and a terminal on stdin (else a warning and no TTY).
pub fn decide_tty(tty: bool, stdin: bool, quiet: bool) -> bool {
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

/// Liveness knobs: the profile's keepalive interval and dead-link deadline (the defaults for a
/// kubeconfig context), overridable for tests and odd networks: `PODTERM_PING_SECS`,
/// `PODTERM_DEADLINE_SECS`.
pub fn tuning_from_env(liveness: Liveness) -> Tuning {
    let secs = |k: &str| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|s| *s > 0.0)
            .map(std::time::Duration::from_secs_f64)
    };
    let d = Tuning::with(liveness);
    Tuning {
        ping_every: secs("PODTERM_PING_SECS").unwrap_or(d.ping_every),
        read_deadline: secs("PODTERM_DEADLINE_SECS").unwrap_or(d.read_deadline),
        ..d
    }
}

/// Pumps a session between the local stdio and the pod; returns the exit code to end with.
/// `request_timeout` bounds the upgrade request (`--request-timeout`).
pub async fn run(
    cluster: &Cluster,
    spec: ExecSpec,
    request_timeout: Option<std::time::Duration>,
) -> Result<i32, Failure> {
    run_recorded(cluster, spec, request_timeout, None).await
}

/// [`run`], the session also written to `recording` (`--record`): output as the terminal gets
/// it, resizes, input when asked. The recording ends with the session, however it ends.
pub async fn run_recorded(
    cluster: &Cluster,
    spec: ExecSpec,
    request_timeout: Option<std::time::Duration>,
    recording: Option<Recording>,
) -> Result<i32, Failure> {
    let recorder = recording.as_ref().map(|r| r.recorder.clone());
    let r = pump(cluster, spec, request_timeout, recorder).await;
    if let Some(rec) = recording {
        rec.finish();
    }
    r
}

async fn pump(
    cluster: &Cluster,
    spec: ExecSpec,
    request_timeout: Option<std::time::Duration>,
    recorder: Option<Recorder>,
) -> Result<i32, Failure> {
    let client = &cluster.client;
    let tuning = Tuning {
        request_timeout,
        ..tuning_from_env(cluster.liveness)
    };
    let mut session = Session::start(client, &spec, tuning).await?;
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
    let rec = recorder.clone();
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
            // This thread may wait for the recording's disk: a flood is recorded whole.
            if let Some(r) = &rec {
                r.output_paced(&chunk.data);
            }
        }
    });
    let rec = recorder.clone();
    let stderr_task = tokio::spawn(async move {
        let mut err = tokio::io::stderr();
        while let Some(chunk) = err_rx.recv().await {
            if err.write_all(&chunk).await.is_err() {
                break;
            }
            if let Some(r) = &rec {
                r.output(&chunk.data);
            }
        }
        let _ = err.flush().await;
    });
    if spec.stdin {
        let input = session.input.clone();
        let rec = recorder.clone();
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
                        let typed = Bytes::copy_from_slice(&buf[..n]);
                        if let Some(r) = &rec {
                            r.input(&typed);
                        }
                        if !input.send(typed).await {
                            break;
                        }
                    }
                }
            }
        });
    }
    if spec.tty {
        let input = session.input.clone();
        let rec = recorder.clone();
        if let Ok(mut winch) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
        {
            tokio::spawn(async move {
                while winch.recv().await.is_some() {
                    if let Some((c, r)) = term::size() {
                        if let Some(rec) = &rec {
                            rec.resize(c, r);
                        }
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
        Ok(Outcome::Exit(code)) if (1..=255).contains(&code) => {
            eprintln!("command terminated with exit code {code}");
            Ok(code)
        }
        // Never exit 0 (or a code the shell would truncate) for a failed command.
        Ok(Outcome::Exit(code)) => Err(Failure::new(format!(
            "command terminated with exit code {code}, which is not an exit status a process can end with"
        ))),
        Ok(Outcome::Failure { message, .. }) => Err(Failure::new(message)),
        Err(e) => Err(e.into()),
    }
}
