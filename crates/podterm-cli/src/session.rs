//! A session between the local terminal (or pipes) and a pod: stdin, stdout, stderr, resizes,
//! signals, and the exit code kubectl would end with.

use crate::failure::Failure;
use crate::record::Recording;
use crate::term;
use podterm_core::cluster::Cluster;
use podterm_core::exec::{ExecSpec, Liveness, Session, Tuning};
use podterm_core::protocol::Outcome;
use podterm_core::recording::Recorder;
use tokio::io::AsyncWriteExt;

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
    run_recorded(cluster, spec, request_timeout, None, "").await
}

/// [`run`], the session also written to `recording` (`--record`): output as the terminal gets
/// it, resizes, input when asked. The recording ends with the session, however it ends.
/// `again`: the connection flags that reach this cluster again (`Conn::again`), for the
/// commands a hint suggests.
pub async fn run_recorded(
    cluster: &Cluster,
    spec: ExecSpec,
    request_timeout: Option<std::time::Duration>,
    recording: Option<Recording>,
    again: &str,
) -> Result<i32, Failure> {
    let recorder = recording.as_ref().map(|r| r.recorder.clone());
    let r = pump(cluster, spec, request_timeout, recorder, again).await;
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
    again: &str,
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
    // hop through tokio's blocking pool per chunk. When stdout can take no more (its reader
    // gone: `| head`), the session ends, as kubectl is ended by SIGPIPE; else the command in
    // the pod would run on with nobody reading it.
    let (closed_tx, closed_rx) = tokio::sync::oneshot::channel::<std::io::Error>();
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
            if let Err(e) = out.write_all(&chunk).and_then(|_| out.flush()) {
                let _ = closed_tx.send(e);
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
        // A thread of its own reads stdin (as one writes stdout): tokio's stdin would hop
        // through the blocking pool for every read. If the session ends first, the thread may
        // stay blocked in a read; the process exits without waiting for it.
        let spawned = std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || read_stdin(&input, rec.as_ref()));
        if let Err(e) = spawned {
            return Err(Failure::new(format!(
                "could not start the stdin reader: {e}"
            )));
        }
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
        // Only when a write failed: the channel also closes when the output simply ended.
        // The session (in `finish`) is dropped with the other branch: its tasks stop and its
        // connection closes.
        Ok(e) = closed_rx => {
            drop(raw);
            return stdout_closed(&e);
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
        // No command was given and the container has none of our shells: what to do instead,
        // not the runtime's words about an `sh` the user never typed.
        Ok(Outcome::Failure { message, .. })
            if spec.command == podterm_core::pods::shell_command()
                && podterm_core::pods::no_shell(&message) =>
        {
            Err(Failure::new(no_shell_words(&spec, again)))
        }
        Ok(Outcome::Failure { message, .. }) => Err(Failure::new(message)),
        Err(e) => Err(e.into()),
    }
}

/// What to do in a container without a shell: run one of its programs, or a debug container,
/// each a command that reaches the same cluster (`again`'s flags).
fn no_shell_words(spec: &ExecSpec, again: &str) -> String {
    let shown = podterm_core::text::shown;
    let (ns, pod, c) = (
        shown(&spec.namespace),
        shown(&spec.pod),
        shown(&spec.container),
    );
    format!(
        "container {c} of pod {ns}/{pod} has no shell: neither bash nor sh is in its image (as in \
         distroless or scratch images). Run one of its own programs (podterm exec{again} -n {ns} \
         {pod} -c {c} -- PROGRAM), or open a shell beside it in a debug container (podterm debug \
         -it{again} -n {ns} {pod} --image=busybox --target={c})"
    )
}

/// The exit of a session whose stdout could take no more. Its reader gone (`EPIPE`: `| head`
/// has what it wanted): 141, what a shell reports for a process ended by SIGPIPE, as kubectl
/// is, and nothing said. Any other failure (a full disk) is said.
fn stdout_closed(e: &std::io::Error) -> Result<i32, Failure> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(SIGPIPE_EXIT)
    } else {
        Err(Failure::new(format!(
            "could not write the command's output: {e}"
        )))
    }
}

/// What a shell reports for a process ended by SIGPIPE (128 + 13).
const SIGPIPE_EXIT: i32 = 141;

/// The capacity asked for a pipe on stdin (Linux's default is 64 KiB). A reader that takes
/// 64 KiB per read pays a wake-up and a frame per 64 KiB; with a larger pipe a fast writer is
/// read in up to 4× fewer (a read takes up to 256 KiB) and is seldom made to wait. Unprivileged
/// processes may go up to `/proc/sys/fs/pipe-max-size` (1 MiB by default); a refusal leaves the
/// pipe as it was.
const STDIN_PIPE: usize = 1 << 20;

/// Reads stdin until its end and hands it to the session (recorded first, if recording). On a
/// thread of its own: each read blocks, and the session's input waits for room. Each read lands
/// in its frame's place ([`podterm_core::stdin::Reader`]): the bytes are sent as read.
fn read_stdin(input: &podterm_core::exec::Input, rec: Option<&Recorder>) {
    let stdin = std::io::stdin();
    grow_pipe(&stdin);
    // Reads of at least std's buffer size go straight to the descriptor.
    let mut frames = podterm_core::stdin::Reader::new(stdin.lock());
    loop {
        match frames.next_frame() {
            Ok(Some(frame)) => {
                if let Some(r) = rec {
                    r.input(&frame.payload());
                }
                if !input.send_frame_blocking(frame) {
                    return;
                }
            }
            Ok(None) | Err(_) => {
                input.close_stdin_blocking();
                return;
            }
        }
    }
}

/// Asks for a larger pipe when stdin is one ([`STDIN_PIPE`]); anything else is left alone.
fn grow_pipe(stdin: &std::io::Stdin) {
    use std::os::fd::AsFd as _;
    let fd = stdin.as_fd();
    let is_pipe = rustix::fs::fstat(fd)
        .map(|st| rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Fifo)
        .unwrap_or(false);
    if is_pipe {
        let _ = rustix::pipe::fcntl_setpipe_size(fd, STDIN_PIPE);
    }
}
