//! `podterm-bench`: podterm against kubectl, side by side on one testcluster (`make bench`).
//!
//! It starts `testcluster serve` from its own directory, finds the kubectls (`PODTERM_KUBECTLS`,
//! else /usr/bin/kubectl and <repo>/.venv/bin/kubectl), and measures, per client:
//! stdout throughput over a pipe and through a PTY, stdin→stdout throughput, keystroke echo
//! through the client on a PTY and `exec -- true` start-to-exit; then, in this process,
//! keystroke echo through a podterm-core session, many concurrent sessions in one engine, and
//! the raw WebSocket ceiling. It prints a Markdown table against the project's targets, writes a
//! summary of the run (no raw samples) to `bench/results/<UTC time>.json` and `latest.json`, the
//! table to `latest.md`, and `bench/README.md` from them and the app bench's `app-latest.md`.
//!
//! Progress goes to stderr; the table to stdout. Exit code 1 when a measurement failed (a
//! client that did not move every byte, a session that lost one); unmet targets are reported,
//! not failures.

mod ceiling;
mod clients;
mod cluster;
mod copy;
mod cpceiling;
mod echo;
mod logsbench;
mod procstat;
mod pty;
mod recbench;
mod report;
mod sessions;
mod startup;
mod stats;
mod throughput;

use clap::Parser;
use clients::{Client, RunEnv};
use podterm_test_support::cluster::Served;
use report::{ClientResults, Parameters, Results, Summary, Versions};
use stats::Figure;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use throughput::{Kind, Throughput, TransferRun};

pub(crate) const MIB: u64 = 1 << 20;

#[derive(Parser, Debug)]
#[command(
    name = "podterm-bench",
    version,
    about = "Benchmarks podterm against kubectl on one testcluster, against the project's targets"
)]
struct Args {
    /// Repetitions of each throughput run without a TTY (the median is reported).
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Repetitions of each TTY throughput run (slower: two PTYs in the path).
    #[arg(long, default_value_t = 3)]
    tty_reps: usize,
    /// MiB of stdout per run, no TTY (`head -c N /dev/zero`).
    #[arg(long, default_value_t = 512)]
    stdout_mib: u64,
    /// MiB of stdout per run through the local and remote PTYs.
    #[arg(long, default_value_t = 512)]
    tty_mib: u64,
    /// MiB fed through a remote `cat`.
    #[arg(long, default_value_t = 256)]
    stdin_mib: u64,
    /// Keystrokes timed per echo test (after 20 warm-up keys).
    #[arg(long, default_value_t = 1000)]
    keys: usize,
    /// Timed `exec -- true` runs per client (after one warm-up).
    #[arg(long, default_value_t = 15)]
    exec_runs: usize,
    /// Concurrent sessions in one engine.
    #[arg(long, default_value_t = 500)]
    sessions: usize,
    /// Longest the concurrent-sessions test may take, in seconds.
    #[arg(long, default_value_t = 180)]
    sessions_limit: u64,
    /// Where testcluster and podterm are (default: this program's directory).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Where to write the results (default: <repo>/bench/results).
    #[arg(long)]
    results_dir: Option<PathBuf>,
    /// Where to write the generated README (default: the results directory's parent).
    #[arg(long)]
    readme: Option<PathBuf>,
    /// `cp` runs of each kind per client (a large file and many small files, up and down).
    #[arg(long, default_value_t = 3)]
    cp_reps: usize,
    /// MiB of the large file `cp` copies.
    #[arg(long, default_value_t = 512)]
    cp_mib: u64,
    /// How many 1 KiB files `cp` copies as a tree.
    #[arg(long, default_value_t = 10_000)]
    cp_files: usize,
    /// Measure only `cp` (writes cp-*.json and cp-latest.md, then the README).
    #[arg(long)]
    cp_only: bool,
    /// Measure nothing: rewrite the README from the results already written (latest.json and
    /// the app bench's app-latest.md).
    #[arg(long)]
    readme_only: bool,
    /// Measure only `podterm logs` against `kubectl logs` (a long log read whole, a fast writer
    /// followed): bench/results/logs-latest.json and .md, then the README.
    #[arg(long)]
    logs: bool,
    /// MiB of the long log (`--logs`).
    #[arg(long, default_value_t = 500)]
    log_mib: u64,
    /// Runs of each client reading the long log (`--logs`; the median is reported).
    #[arg(long, default_value_t = 3)]
    log_reps: usize,
    /// Seconds each client follows the fast writer (`--logs`).
    #[arg(long, default_value_t = 10)]
    follow_secs: u64,
    /// A word on the machine for the logs summary (`--logs`), e.g. that it was shared.
    #[arg(long)]
    log_note: Option<String>,
    /// Measure only what recording costs a flood (`podterm exec` without and with `--record`,
    /// taking turns): bench/results/record-latest.json and .md, then the README.
    #[arg(long)]
    record: bool,
    /// MiB of each flood (`--record`).
    #[arg(long, default_value_t = 256)]
    record_mib: u64,
    /// Runs of each, with and without recording (`--record`; the median is reported).
    #[arg(long, default_value_t = 5)]
    record_reps: usize,
    /// Not a measurement: be the bare TTY client for this many bytes (the bench runs itself so
    /// on its local PTY; `ceiling::bare_tty_client`).
    #[arg(long, hide = true)]
    bare_tty_client: Option<u64>,
}

/// Error context for `Result` and `Option`, as one-line messages.
pub trait Ctx<T> {
    fn ctx(self, what: impl std::fmt::Display) -> Result<T, String>;
}

impl<T, E: std::fmt::Display> Ctx<T> for Result<T, E> {
    fn ctx(self, what: impl std::fmt::Display) -> Result<T, String> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

impl<T> Ctx<T> for Option<T> {
    fn ctx(self, what: impl std::fmt::Display) -> Result<T, String> {
        self.ok_or_else(|| what.to_string())
    }
}

const ECHO_WARMUP: usize = 20;

/// The write size of the local PTY's ceiling run: what a client writes per TTY frame from
/// testcluster (its PTY reads return at most 4 KiB).
const LOCAL_PTY_WRITE: u64 = 4096;

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(bytes) = args.bare_tty_client {
        return match ceiling::bare_tty_client(bytes) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("podterm-bench --bare-tty-client: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("podterm-bench: some measurements failed (see the table's notes)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("podterm-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The repository: the first ancestor of this program holding crates/podterm-bench, else the
/// one this was built from.
fn repo_root(bin_dir: &Path) -> PathBuf {
    bin_dir
        .ancestors()
        .find(|d| d.join("crates/podterm-bench/Cargo.toml").is_file())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

fn command_line(cmd: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn versions(
    repo: &Path,
    podterm: &Client,
    kubectls: &[Client],
    bin_dir: &Path,
    env: &RunEnv,
) -> Versions {
    let repo_s = repo.display().to_string();
    Versions {
        podterm: podterm.version.clone(),
        testcluster: command_line(
            &bin_dir.join("testcluster").display().to_string(),
            &["--version"],
        )
        .unwrap_or_default(),
        kubectls: kubectls
            .iter()
            .map(|k| format!("{} ({})", k.version, k.path.display()))
            .collect(),
        git_commit: command_line("git", &["-C", &repo_s, "rev-parse", "HEAD"]),
        git_dirty: command_line("git", &["-C", &repo_s, "status", "--porcelain"])
            .map(|s| !s.is_empty()),
        rustc: command_line("rustc", &["--version"]),
        time_bin: env.time_bin.as_ref().map(|p| p.display().to_string()),
    }
}

/// A reference run taken in turns with the clients' (the local PTY's ceiling), and its label.
type Reference<'a> = (&'a str, &'a dyn Fn() -> Result<TransferRun, String>);

/// Runs one kind of transfer `reps` times for every client, taking turns (with the
/// `references` first in each turn, in order: their figures follow the clients', in order).
fn transfers(
    env: &RunEnv,
    clients: &[Client],
    kind: Kind,
    bytes: u64,
    reps: usize,
    references: &[Reference<'_>],
) -> Vec<Figure<Throughput>> {
    eprintln!(
        "== {} ({} MiB per run, {reps} runs each)",
        kind.name(),
        bytes / MIB
    );
    let mut acc: Vec<Result<Vec<TransferRun>, String>> = vec![Ok(Vec::new()); clients.len()];
    let mut ref_acc: Vec<Result<Vec<TransferRun>, String>> = vec![Ok(Vec::new()); references.len()];
    for rep in 1..=reps {
        for ((label, run), acc) in references.iter().zip(ref_acc.iter_mut()) {
            let Ok(list) = acc else { continue };
            match run() {
                Ok(r) => {
                    eprintln!(
                        "  {label:<28} run {rep}: {:>6.0} MB/s, {:.2} s",
                        r.mb_per_s, r.wall_s
                    );
                    list.push(r);
                }
                Err(e) => {
                    eprintln!("  {label:<28} run {rep}: FAILED: {e}");
                    *acc = Err(format!("run {rep}: {e}"));
                }
            }
        }
        for (client, a) in clients.iter().zip(acc.iter_mut()) {
            let Ok(list) = a else { continue };
            match throughput::run(env, client, kind, bytes) {
                Ok(r) => {
                    eprintln!(
                        "  {:<28} run {rep}: {:>6.0} MB/s, {:.2} s{}",
                        client.label(),
                        r.mb_per_s,
                        r.wall_s,
                        r.time
                            .map(|t| format!(
                                ", CPU {:.2} s, max RSS {:.0} MB",
                                t.cpu_s(),
                                t.max_rss_mb()
                            ))
                            .unwrap_or_default()
                    );
                    list.push(r);
                }
                Err(e) => {
                    eprintln!("  {:<28} run {rep}: FAILED: {e}", client.label());
                    *a = Err(format!("run {rep}: {e}"));
                }
            }
        }
    }
    let mut out: Vec<Figure<Throughput>> = acc
        .into_iter()
        .map(|a| Figure::from_result(a.and_then(|runs| Throughput::from_runs(bytes, runs))))
        .collect();
    out.extend(
        ref_acc
            .into_iter()
            .map(|a| Figure::from_result(a.and_then(|runs| Throughput::from_runs(bytes, runs)))),
    );
    out
}

/// Reads a results file that may not exist yet: `None` when it does not.
fn read_if_present(path: &Path) -> Result<Option<String>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("reading {}: {e}", path.display())),
    }
}

/// Writes the README from `summary` (else `latest.json`, when there is one) and the app bench's
/// `app-latest.md`.
fn write_readme(
    results_dir: &Path,
    readme: &Path,
    summary: Option<&Summary>,
) -> Result<(), String> {
    let read;
    let summary = match summary {
        Some(s) => Some(s),
        None => {
            let path = results_dir.join("latest.json");
            read = read_if_present(&path)?
                .map(|text| {
                    serde_json::from_str::<Summary>(&text)
                        .ctx(format!("{} is not a summary", path.display()))
                })
                .transpose()?;
            read.as_ref()
        }
    };
    let app = read_if_present(&results_dir.join("app-latest.md"))?;
    let logs = read_if_present(&results_dir.join("logs-latest.md"))?;
    let logs_app = read_if_present(&results_dir.join("logs-app-latest.json"))?;
    let logs = logsbench::with_app(logs, logs_app.as_deref());
    let cp = read_if_present(&results_dir.join("cp-latest.md"))?;
    let record = read_if_present(&results_dir.join("record-latest.md"))?;
    let text = report::readme(
        summary,
        app.as_deref(),
        cp.as_deref(),
        logs.as_deref(),
        record.as_deref(),
    );
    std::fs::write(readme, text).ctx(format!("writing {}", readme.display()))?;
    eprintln!("wrote {}", readme.display());
    Ok(())
}

/// The `cp` part: measured, written beside the other results.
fn cp_part(
    env: &RunEnv,
    clients: &[Client],
    args: &Args,
    results_dir: &Path,
    started_at: jiff::Timestamp,
    server: Option<(u32, &cluster::Access)>,
) -> Result<bool, String> {
    let params = copy::Params {
        big_mib: args.cp_mib,
        small_files: args.cp_files,
        reps: args.cp_reps.max(1),
    };
    let at = started_at
        .round(jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| started_at.to_string());
    let summary = copy::measure(env, clients, &params, &at, server)?;
    println!("{}", summary.markdown());
    let stamp = started_at.strftime("%Y-%m-%dT%H%M%SZ").to_string();
    copy::write(results_dir, &stamp, &summary)?;
    Ok(summary.all_ok())
}

fn run(args: Args) -> Result<bool, String> {
    let started = Instant::now();
    let started_at = jiff::Timestamp::now();
    let bin_dir = match &args.bin_dir {
        Some(d) => d.clone(),
        None => std::env::current_exe()
            .ctx("locating this program")?
            .parent()
            .ctx("this program's directory")?
            .to_path_buf(),
    };
    let repo = repo_root(&bin_dir);
    let results_dir = args
        .results_dir
        .clone()
        .unwrap_or_else(|| repo.join("bench/results"));
    let readme = args.readme.clone().unwrap_or_else(|| {
        results_dir
            .parent()
            .unwrap_or(&results_dir)
            .join("README.md")
    });
    if args.readme_only {
        copy::rerender(&results_dir)?;
        write_readme(&results_dir, &readme, None)?;
        return Ok(true);
    }
    if args.logs {
        let ok = logsbench::run(
            &bin_dir,
            &repo,
            &results_dir,
            &logsbench::LogsArgs {
                log_mib: args.log_mib,
                reps: args.log_reps.max(1),
                follow_secs: args.follow_secs.max(1),
                note: args.log_note.clone(),
            },
        )?;
        write_readme(&results_dir, &readme, None)?;
        return Ok(ok);
    }
    let nofile = procstat::raise_nofile();
    if let Err(e) = &nofile {
        eprintln!("warning: cannot raise the open-file limit: {e}");
    }
    let machine = procstat::Machine::probe(nofile.ok());
    let tmp = tempfile::Builder::new()
        .prefix("podterm-bench-")
        .tempdir()
        .ctx("creating a scratch directory")?;

    let podterm = clients::podterm(&bin_dir)?;
    let (kubectls, kubectl_notes) = clients::kubectls(&repo);
    eprintln!("podterm: {} ({})", podterm.path.display(), podterm.version);
    for k in &kubectls {
        eprintln!("kubectl: {} ({})", k.path.display(), k.version);
    }
    for n in &kubectl_notes {
        eprintln!("kubectl skipped: {n}");
    }
    if kubectls.is_empty() {
        eprintln!("warning: no kubectl found: podterm's figures only, no ratios (run 'make deps')");
    }
    let mut clients_all = vec![podterm.clone()];
    clients_all.extend(kubectls.iter().cloned());

    // kubectl's exec starts as soon as podterm's: no settling time for it (testcluster's
    // `KUBECTL_SETTLE`), so the start columns compare the clients alone.
    let mut tc = Served::start_with(
        &bin_dir.join("testcluster"),
        tmp.path(),
        None,
        &["--kubectl-settle-ms", "0"],
    )
    .ctx("testcluster")?;
    eprintln!(
        "testcluster: {} (kubeconfig {})",
        tc.url,
        tc.kubeconfig.display()
    );
    let access = cluster::read_access(&tc.kubeconfig)?;
    let env = RunEnv::new(tc.kubeconfig.clone(), tmp.path())?;
    if env.time_bin.is_none() {
        eprintln!("warning: /usr/bin/time is missing (Debian package 'time'; 'make deps'): no client CPU or RSS");
    }
    if args.record {
        let ok = recbench::run(
            &env,
            &podterm,
            args.record_mib.max(1),
            args.record_reps.max(1),
            &results_dir,
            started_at,
        )?;
        if !tc.alive() {
            return Err(format!(
                "testcluster died; its log ends:\n{}",
                tc.log_tail(30)
            ));
        }
        drop(tc);
        write_readme(&results_dir, &readme, None)?;
        return Ok(ok);
    }
    if args.cp_only {
        let ok = cp_part(
            &env,
            &clients_all,
            &args,
            &results_dir,
            started_at,
            Some((tc.pid(), &access)),
        )?;
        if !tc.alive() {
            return Err(format!(
                "testcluster died; its log ends:\n{}",
                tc.log_tail(30)
            ));
        }
        drop(tc);
        write_readme(&results_dir, &readme, None)?;
        return Ok(ok);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .ctx("starting the async runtime")?;
    let target = podterm_core::cluster::Target {
        kubeconfig: Some(tc.kubeconfig.clone()),
        context: None,
        namespace: Some("demo".into()),
        ..Default::default()
    };
    let engine_cluster = rt.block_on(target.connect()).ctx("a podterm-core client")?;

    let params = Parameters {
        reps: args.reps.max(1),
        tty_reps: args.tty_reps.max(1),
        stdout_bytes: args.stdout_mib * MIB,
        tty_bytes: args.tty_mib * MIB,
        stdin_bytes: args.stdin_mib * MIB,
        echo_keys: args.keys,
        echo_warmup: ECHO_WARMUP,
        exec_true_runs: args.exec_runs,
        sessions: args.sessions,
        sessions_limit_s: args.sessions_limit,
        mb: "10^6 bytes".into(),
    };
    let alive = |tc: &mut Served| -> Result<(), String> {
        if tc.alive() {
            Ok(())
        } else {
            Err(format!(
                "testcluster died; its log ends:\n{}",
                tc.log_tail(30)
            ))
        }
    };

    // (f) The raw ceilings first: nothing else is running yet.
    eprintln!(
        "== raw WebSocket ceiling ({} MiB per run; TTY: {} MiB)",
        params.stdout_bytes / MIB,
        params.tty_bytes / MIB
    );
    let ceiling = Figure::from_result(rt.block_on(ceiling::measure(
        &access,
        params.stdout_bytes,
        params.reps,
        ceiling::Mode::Stdout,
    )));
    let ceiling_tty = Figure::from_result(rt.block_on(ceiling::measure(
        &access,
        params.tty_bytes,
        params.tty_reps,
        ceiling::Mode::Tty,
    )));
    let ceiling_stdin = Figure::from_result(rt.block_on(ceiling::measure(
        &access,
        params.stdin_bytes,
        params.reps,
        ceiling::Mode::Stdin,
    )));
    for e in [ceiling.error(), ceiling_tty.error(), ceiling_stdin.error()]
        .into_iter()
        .flatten()
    {
        eprintln!("  FAILED: {e}");
    }
    alive(&mut tc)?;

    // (a), (b) Throughput through each client.
    let stdout_pipe = transfers(
        &env,
        &clients_all,
        Kind::StdoutPipe,
        params.stdout_bytes,
        params.reps,
        &[],
    );
    alive(&mut tc)?;
    // The local PTY alone, in turns with the clients: the same bytes written in the size a
    // client writes them (testcluster's TTY frames, LOCAL_PTY_WRITE) into the same kind of
    // terminal, read the same way.
    let local_run = || throughput::local_pty(&env, params.tty_bytes, LOCAL_PTY_WRITE);
    // And a bare client in the clients' seat, between the same two PTYs: the ceiling of the
    // whole path on this machine (ceiling::bare_tty_client).
    let bare_run = || throughput::bare_tty_client(&env, params.tty_bytes);
    let mut stdout_tty = transfers(
        &env,
        &clients_all,
        Kind::StdoutTty,
        params.tty_bytes,
        params.tty_reps,
        &[
            ("local PTY alone (dd)", &local_run),
            ("bare client, both PTYs", &bare_run),
        ],
    );
    let not_measured = || Figure::Failed {
        error: "not measured".into(),
    };
    let bare_tty = stdout_tty.pop().unwrap_or_else(not_measured);
    let local_pty = stdout_tty.pop().unwrap_or_else(not_measured);
    alive(&mut tc)?;
    let stdin_pipe = transfers(
        &env,
        &clients_all,
        Kind::StdinPipe,
        params.stdin_bytes,
        params.reps,
        &[],
    );
    alive(&mut tc)?;

    // (c) Echo through each client, then in the engine.
    eprintln!(
        "== keystroke echo ({} keys after {ECHO_WARMUP} warm-up)",
        params.echo_keys
    );
    let mut echoes = Vec::new();
    for c in &clients_all {
        let r = echo::through_client(&env, c, params.echo_keys, ECHO_WARMUP);
        match &r {
            Ok(l) => eprintln!(
                "  {:<28} p50 {:.3} ms, p99 {:.3} ms",
                c.label(),
                l.p50_ms,
                l.p99_ms
            ),
            Err(e) => eprintln!("  {:<28} FAILED: {e}", c.label()),
        }
        echoes.push(Figure::from_result(r));
    }
    let engine_echo = rt.block_on(echo::engine(&engine_cluster, params.echo_keys, ECHO_WARMUP));
    match &engine_echo {
        Ok(l) => eprintln!(
            "  {:<28} p50 {:.3} ms, p99 {:.3} ms",
            "engine (in-process)", l.p50_ms, l.p99_ms
        ),
        Err(e) => eprintln!("  engine FAILED: {e}"),
    }
    let engine_echo = Figure::from_result(engine_echo);
    alive(&mut tc)?;

    // (d) exec -- true.
    eprintln!(
        "== exec shell -- true ({} runs each, taking turns)",
        params.exec_true_runs
    );
    let starts = startup::measure(&env, &clients_all, params.exec_true_runs);
    for (c, s) in clients_all.iter().zip(&starts) {
        match s {
            Ok(s) => eprintln!(
                "  {:<28} median {:.1} ms, p90 {:.1} ms",
                c.label(),
                s.median_ms,
                s.p90_ms
            ),
            Err(e) => eprintln!("  {:<28} FAILED: {e}", c.label()),
        }
    }
    alive(&mut tc)?;

    // (e) Many sessions in one engine.
    eprintln!(
        "== {} concurrent sessions in one engine (limit {} s)",
        params.sessions, params.sessions_limit_s
    );
    let sessions = rt.block_on(sessions::measure(
        &engine_cluster,
        params.sessions,
        Duration::from_secs(params.sessions_limit_s),
    ));
    match &sessions {
        Ok(s) => eprintln!(
            "  {} ok, {} wrong bytes, {} failed, {} unfinished in {:.2} s; RSS peak {:.0} MB, CPU {:.2} s",
            s.ok,
            s.bytes_wrong,
            s.failed,
            s.unfinished,
            s.wall_s,
            s.rss_peak_mb.unwrap_or(0.0),
            s.cpu_s.unwrap_or(0.0)
        ),
        Err(e) => eprintln!("  FAILED: {e}"),
    }
    let sessions = Figure::from_result(sessions);
    alive(&mut tc)?;

    // (g) cp, large and small files, up and down.
    let cp_ok = cp_part(
        &env,
        &clients_all,
        &args,
        &results_dir,
        started_at,
        Some((tc.pid(), &access)),
    )?;
    alive(&mut tc)?;

    drop(engine_cluster);
    rt.shutdown_timeout(Duration::from_secs(5));
    drop(tc);

    let clients_results: Vec<ClientResults> = clients_all
        .iter()
        .enumerate()
        .map(|(i, c)| ClientResults {
            client: c.clone(),
            stdout_pipe: stdout_pipe[i].clone(),
            stdout_tty: stdout_tty[i].clone(),
            stdin_pipe: stdin_pipe[i].clone(),
            echo: echoes[i].clone(),
            exec_true: Figure::from_result(starts[i].clone()),
        })
        .collect();
    let finished_at = jiff::Timestamp::now();
    let results = Results {
        started_at: started_at
            .round(jiff::Unit::Second)
            .map(|t| t.to_string())
            .unwrap_or_else(|_| started_at.to_string()),
        finished_at: finished_at
            .round(jiff::Unit::Second)
            .map(|t| t.to_string())
            .unwrap_or_else(|_| finished_at.to_string()),
        duration_s: started.elapsed().as_secs_f64(),
        parameters: params,
        machine,
        versions: versions(&repo, &podterm, &kubectls, &bin_dir, &env),
        kubectl_notes,
        ceiling,
        ceiling_tty,
        ceiling_stdin,
        local_pty,
        local_pty_write: LOCAL_PTY_WRITE,
        bare_tty,
        clients: clients_results,
        engine_echo,
        sessions,
    };
    let summary = results.summary();
    let md = summary.markdown();
    println!("{md}");
    let all_ok = results.all_ok() && cp_ok;

    std::fs::create_dir_all(&results_dir).ctx(format!("creating {}", results_dir.display()))?;
    let json = summary.to_json().ctx("encoding the results")?;
    let stamp = started_at.strftime("%Y-%m-%dT%H%M%SZ").to_string();
    let files = [
        (results_dir.join(format!("{stamp}.json")), json.clone()),
        (results_dir.join("latest.json"), json),
        (results_dir.join("latest.md"), md),
    ];
    for (path, text) in &files {
        std::fs::write(path, text).ctx(format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    write_readme(&results_dir, &readme, Some(&summary))?;
    Ok(all_ok)
}
