//! `cp` through each client: one large file and many small files, up and down, on the demo
//! pod `shell` (a testcluster container is a process on this machine, so its paths are ours).
//! Every run's result is checked (size, file count); a wrong copy fails the figure. The
//! summary (medians and ranges, no raw samples) goes to `bench/results/cp-<UTC>.json` and
//! `cp-latest.json`, its table to `cp-latest.md`, which the README includes.

use crate::clients::{tail, Client, RunEnv, TimeUsage, Watchdog};
use crate::cluster::Access;
use crate::cpceiling::{self, Raw};
use crate::stats::median;
use crate::Ctx;
use podterm_core::transfer::ranges::{RANGES_FROM, STREAMS};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

const RUN_LIMIT: Duration = Duration::from_secs(600);

/// What is copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BigUp,
    BigDown,
    ManyUp,
    ManyDown,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::BigUp, Kind::BigDown, Kind::ManyUp, Kind::ManyDown];

    fn name(self, p: &Params) -> String {
        match self {
            Kind::BigUp => format!("upload, one {} MiB file", p.big_mib),
            Kind::BigDown => format!("download, one {} MiB file", p.big_mib),
            Kind::ManyUp => format!("upload, {} × 1 KiB files", p.small_files),
            Kind::ManyDown => format!("download, {} × 1 KiB files", p.small_files),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Params {
    pub big_mib: u64,
    pub small_files: usize,
    pub reps: usize,
}

/// One kind of copy through one client: medians and ranges over the runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Figure {
    pub kind: String,
    pub client: String,
    /// Whether `client` is podterm (the figure measured) rather than a kubectl (a reference).
    #[serde(default)]
    pub podterm: bool,
    pub runs: usize,
    pub mb_per_s: f64,
    pub mb_per_s_min: f64,
    pub mb_per_s_max: f64,
    pub wall_s: f64,
    pub cpu_s: Option<f64>,
    pub max_rss_mb: Option<f64>,
    /// testcluster's own CPU seconds during a run (median).
    #[serde(default)]
    pub server_cpu_s: Option<f64>,
    /// CPU seconds of the pod's commands (`tar`, `dd` …) during a run (median).
    #[serde(default)]
    pub pod_cpu_s: Option<f64>,
    /// How busy the machine's cores were during a run, everything on it counted (median, 0–1).
    #[serde(default)]
    pub busy: Option<f64>,
    /// Why the figure is missing (a run failed).
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub started_at: String,
    pub params: Params,
    /// The load beside the bench (1-minute load average at the start, and cores).
    pub load: String,
    pub figures: Vec<Figure>,
    /// The ceilings: the same pod side moved by a bare WebSocket client ([`crate::cpceiling`]),
    /// client `raw`.
    #[serde(default)]
    pub ceilings: Vec<Figure>,
    /// Cores of the machine (the share of them a run used is said against these).
    #[serde(default)]
    pub cores: usize,
}

struct Run {
    wall_s: f64,
    bytes: u64,
    time: Option<TimeUsage>,
    server: Option<ServerCpu>,
    busy: Option<f64>,
}

/// CPU seconds of testcluster (`own`: its threads) and of its children once reaped (`pods`:
/// the pod's commands, with their own children), from /proc/PID/stat.
#[derive(Debug, Clone, Copy)]
pub struct ServerCpu {
    pub own: f64,
    pub pods: f64,
}

impl ServerCpu {
    /// Now, for process `pid` (`None` when /proc cannot say).
    pub fn read(pid: u32) -> Option<ServerCpu> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // After the command name in parentheses: field 3 on; utime is field 14.
        let rest = &stat[stat.rfind(')')? + 1..];
        let f: Vec<f64> = rest
            .split_whitespace()
            .skip(11)
            .take(4)
            .filter_map(|v| v.parse().ok())
            .collect();
        // Clock ticks: USER_HZ, 100 on Linux whatever the kernel's HZ.
        let tick = 100.0;
        match f[..] {
            [u, s, cu, cs] => Some(ServerCpu {
                own: (u + s) / tick,
                pods: (cu + cs) / tick,
            }),
            _ => None,
        }
    }

    pub fn since(&self, before: &ServerCpu) -> ServerCpu {
        ServerCpu {
            own: self.own - before.own,
            pods: self.pods - before.pods,
        }
    }
}

/// The machine's busy share over a run, from /proc/stat (all cores, everything on them).
pub struct Busy(u64, u64);

impl Busy {
    fn now() -> Option<(u64, u64)> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let line = stat.lines().next()?.strip_prefix("cpu ")?;
        let v: Vec<u64> = line
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal (guest time is inside user).
        let total: u64 = v.iter().take(8).sum();
        let idle = v.get(3)? + v.get(4).copied().unwrap_or(0);
        Some((total, total - idle))
    }

    pub fn start() -> Option<Busy> {
        Busy::now().map(|(t, b)| Busy(t, b))
    }

    pub fn finish(self) -> Option<f64> {
        let (t, b) = Busy::now()?;
        let dt = t.checked_sub(self.0)?;
        (dt > 0).then(|| b.saturating_sub(self.1) as f64 / dt as f64)
    }
}

/// Files of `n` bytes of varied content.
fn make_big(path: &Path, mib: u64) -> Result<(), String> {
    use std::io::Write as _;
    let mut f = std::fs::File::create(path).ctx(format!("creating {}", path.display()))?;
    let block: Vec<u8> = (0..1 << 20)
        .map(|i: u32| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    for i in 0..mib {
        let mut b = block.clone();
        b[0] = i as u8;
        f.write_all(&b).ctx("writing the large file")?;
    }
    Ok(())
}

fn make_many(dir: &Path, n: usize) -> Result<(), String> {
    for i in 0..n {
        let sub = dir.join(format!("d{:02}", i % 100));
        std::fs::create_dir_all(&sub).ctx("mkdir")?;
        let data: Vec<u8> = (0..1024).map(|j| ((i * 31 + j) % 251) as u8).collect();
        std::fs::write(sub.join(format!("f{i:05}")), data).ctx("writing a small file")?;
    }
    Ok(())
}

/// Files and bytes under `p`.
fn count(p: &Path) -> (u64, u64) {
    let Ok(md) = std::fs::symlink_metadata(p) else {
        return (0, 0);
    };
    if md.is_file() {
        return (1, md.len());
    }
    let mut out = (0, 0);
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            let (f, b) = count(&e.path());
            out.0 += f;
            out.1 += b;
        }
    }
    out
}

struct Measured {
    wall: f64,
    time: Option<TimeUsage>,
    server: Option<ServerCpu>,
    busy: Option<f64>,
}

fn one(
    env: &RunEnv,
    client: &Client,
    src: &str,
    dest: &str,
    server_pid: Option<u32>,
) -> Result<Measured, String> {
    let time_file = env.time_file();
    let argv = env.argv(client, &["cp", src, dest], Some(&time_file));
    let before = server_pid.and_then(ServerCpu::read);
    let busy = Busy::start();
    let started = Instant::now();
    let child = env
        .command(&argv)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .ctx(format!("starting {}", client.path.display()))?;
    let dog = Watchdog::new(Some(child.id()), RUN_LIMIT);
    let out = child.wait_with_output().ctx("waiting for the client")?;
    let wall = started.elapsed().as_secs_f64();
    let busy = busy.and_then(Busy::finish);
    let server = match (before, server_pid.and_then(ServerCpu::read)) {
        (Some(a), Some(b)) => Some(b.since(&a)),
        _ => None,
    };
    if dog.finish() {
        return Err(format!("killed after {} s", RUN_LIMIT.as_secs()));
    }
    if !out.status.success() {
        return Err(format!(
            "{}: {}",
            out.status,
            tail(&String::from_utf8_lossy(&out.stderr), 600)
        ));
    }
    let time = match env.time_bin {
        Some(_) => Some(TimeUsage::read(&time_file)?),
        None => None,
    };
    Ok(Measured {
        wall,
        time,
        server,
        busy,
    })
}

fn run_kind(
    env: &RunEnv,
    client: &Client,
    kind: Kind,
    work: &Path,
    p: &Params,
    tag: &str,
    server_pid: Option<u32>,
) -> Result<Run, String> {
    let big = work.join("big.bin");
    let many = work.join("many");
    let pod = |path: &Path| format!("demo/shell:{}", path.display());
    let (src, dest, want_files, want_bytes) = match kind {
        Kind::BigUp => (
            big.display().to_string(),
            work.join(format!("up-{tag}.bin")),
            1,
            p.big_mib << 20,
        ),
        Kind::BigDown => (
            pod(&big),
            work.join(format!("down-{tag}.bin")),
            1,
            p.big_mib << 20,
        ),
        Kind::ManyUp => (
            many.display().to_string(),
            work.join(format!("many-up-{tag}")),
            p.small_files as u64,
            p.small_files as u64 * 1024,
        ),
        Kind::ManyDown => (
            pod(&many),
            work.join(format!("many-down-{tag}")),
            p.small_files as u64,
            p.small_files as u64 * 1024,
        ),
    };
    let dest_arg = match kind {
        Kind::BigUp | Kind::ManyUp => pod(&dest),
        _ => dest.display().to_string(),
    };
    let result = one(env, client, &src, &dest_arg, server_pid);
    let got = count(&dest);
    // A large file goes at once (disk). The trees of small files stay until the end: on an
    // ext4 without a journal (this machine's) a new inode is never one freed in the last
    // minute, and the allocator reads the inode table to skip each of them, so a tree
    // created right after another was removed took 10–50× longer (35 s instead of 1.5 s for
    // 10,000 files), whichever client came next.
    if matches!(kind, Kind::BigUp | Kind::BigDown) {
        let _ = std::fs::remove_file(&dest);
    }
    let m = result?;
    if got != (want_files, want_bytes) {
        return Err(format!(
            "copied {} files, {} bytes; expected {want_files}, {want_bytes}",
            got.0, got.1
        ));
    }
    Ok(Run {
        wall_s: m.wall,
        bytes: want_bytes,
        time: m.time,
        server: m.server,
        busy: m.busy,
    })
}

fn load() -> String {
    let avg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    format!(
        "load average {} on {cores} cores",
        avg.split_whitespace().next().unwrap_or("?")
    )
}

/// Measures every kind through every client, taking turns, `reps` times.
/// `server`: testcluster's process id and access, for its CPU and the ceilings (none without).
pub fn measure(
    env: &RunEnv,
    clients: &[Client],
    p: &Params,
    started_at: &str,
    server: Option<(u32, &Access)>,
) -> Result<Summary, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .ctx("starting the async runtime")?;
    let server_pid = server.map(|(pid, _)| pid);
    let mut ceilings = Vec::new();
    let work = env.scratch.join("cp");
    std::fs::create_dir_all(&work).ctx("mkdir")?;
    make_big(&work.join("big.bin"), p.big_mib)?;
    make_many(&work.join("many"), p.small_files)?;
    let at_start = load();
    let mut figures = Vec::new();
    for kind in Kind::ALL {
        eprintln!("== cp: {} ({} runs each)", kind.name(p), p.reps);
        let mut runs: Vec<Result<Vec<Run>, String>> =
            clients.iter().map(|_| Ok(Vec::new())).collect();
        let mut raw_runs: Vec<Result<Vec<Run>, String>> =
            raws(kind).iter().map(|_| Ok(Vec::new())).collect();
        for rep in 1..=p.reps {
            for (i, c) in clients.iter().enumerate() {
                let Ok(list) = &mut runs[i] else { continue };
                match run_kind(env, c, kind, &work, p, &format!("{i}-{rep}"), server_pid) {
                    Ok(r) => {
                        eprintln!(
                            "  {:<28} run {rep}: {:>6.1} MB/s, {:.2} s{}{}",
                            c.label(),
                            r.bytes as f64 / 1e6 / r.wall_s,
                            r.wall_s,
                            r.time
                                .map(|t| format!(
                                    ", CPU {:.2} s, max RSS {:.0} MB",
                                    t.cpu_s(),
                                    t.max_rss_mb()
                                ))
                                .unwrap_or_default(),
                            server_words(r.server, r.busy)
                        );
                        list.push(r);
                    }
                    Err(e) => {
                        eprintln!("  {:<28} run {rep}: FAILED: {e}", c.label());
                        runs[i] = Err(e);
                    }
                }
            }
            if let Some((pid, access)) = server {
                for (j, raw) in raws(kind).into_iter().enumerate() {
                    let Ok(list) = &mut raw_runs[j] else { continue };
                    let size = p.big_mib << 20;
                    match cpceiling::run(
                        &rt,
                        access,
                        raw,
                        &work.join("big.bin"),
                        size,
                        &work,
                        Some(pid),
                    ) {
                        Ok(r) => {
                            eprintln!(
                                "  {:<28} run {rep}: {:>6.1} MB/s, {:.2} s{}",
                                raw.label(),
                                size as f64 / 1e6 / r.wall_s,
                                r.wall_s,
                                server_words(r.server, r.busy)
                            );
                            list.push(Run {
                                wall_s: r.wall_s,
                                bytes: size,
                                time: None,
                                server: r.server,
                                busy: r.busy,
                            });
                        }
                        Err(e) => {
                            eprintln!("  {:<28} run {rep}: FAILED: {e}", raw.label());
                            raw_runs[j] = Err(e);
                        }
                    }
                }
            }
        }
        for (c, r) in clients.iter().zip(runs) {
            figures.push(figure(kind.name(p), c, r));
        }
        for (raw, r) in raws(kind).into_iter().zip(raw_runs) {
            ceilings.push(figure_of(kind.name(p), raw.label(), false, r));
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(Summary {
        started_at: started_at.to_string(),
        params: p.clone(),
        load: at_start,
        figures,
        ceilings,
        cores: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
    })
}

/// The ceilings measured beside a kind of copy: one stream as kubectl's tar, and byte ranges
/// in parallel as a many-stream copy of one file would move them.
fn raws(kind: Kind) -> Vec<Raw> {
    match kind {
        Kind::BigDown => vec![Raw::TarDown, Raw::RangesDown(2), Raw::RangesDown(4)],
        Kind::BigUp => vec![Raw::TarUp, Raw::RangesUp(2), Raw::RangesUp(4)],
        Kind::ManyUp | Kind::ManyDown => Vec::new(),
    }
}

fn server_words(s: Option<ServerCpu>, busy: Option<f64>) -> String {
    let mut out = String::new();
    if let Some(s) = s {
        out.push_str(&format!(
            ", testcluster CPU {:.2} s, pod CPU {:.2} s",
            s.own, s.pods
        ));
    }
    if let Some(b) = busy {
        out.push_str(&format!(", machine {:.0}% busy", b * 100.0));
    }
    out
}

fn figure(kind: String, c: &Client, runs: Result<Vec<Run>, String>) -> Figure {
    figure_of(kind, c.label(), c.is_podterm(), runs)
}

fn figure_of(
    kind: String,
    client: String,
    podterm: bool,
    runs: Result<Vec<Run>, String>,
) -> Figure {
    let empty = |error: String| Figure {
        kind: kind.clone(),
        client: client.clone(),
        podterm,
        runs: 0,
        mb_per_s: 0.0,
        mb_per_s_min: 0.0,
        mb_per_s_max: 0.0,
        wall_s: 0.0,
        cpu_s: None,
        max_rss_mb: None,
        server_cpu_s: None,
        pod_cpu_s: None,
        busy: None,
        error: Some(error),
    };
    let runs = match runs {
        Ok(r) if !r.is_empty() => r,
        Ok(_) => return empty("no runs".into()),
        Err(e) => return empty(e),
    };
    let rates: Vec<f64> = runs
        .iter()
        .map(|r| r.bytes as f64 / 1e6 / r.wall_s)
        .collect();
    let walls: Vec<f64> = runs.iter().map(|r| r.wall_s).collect();
    let cpus: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.time.map(|t| t.cpu_s()))
        .collect();
    let rss: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.time.map(|t| t.max_rss_mb()))
        .collect();
    let own: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.server.map(|s| s.own))
        .collect();
    let pods: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.server.map(|s| s.pods))
        .collect();
    let busy: Vec<f64> = runs.iter().filter_map(|r| r.busy).collect();
    Figure {
        kind: kind.clone(),
        client,
        podterm,
        runs: runs.len(),
        mb_per_s: median(&rates).unwrap_or(0.0),
        mb_per_s_min: rates.iter().copied().fold(f64::INFINITY, f64::min),
        mb_per_s_max: rates.iter().copied().fold(0.0, f64::max),
        wall_s: median(&walls).unwrap_or(0.0),
        cpu_s: median(&cpus),
        max_rss_mb: rss.iter().copied().reduce(f64::max),
        server_cpu_s: median(&own),
        pod_cpu_s: median(&pods),
        busy: median(&busy),
        error: None,
    }
}

impl Summary {
    /// The table: per kind, each client's median MB/s (range), CPU (its own, testcluster's,
    /// the pod's commands'), the share of the machine's cores those three used, peak RSS, and
    /// podterm's ratio to each kubectl against the 1.5× goal; then the ceilings of that kind
    /// (podterm's share of each).
    pub fn markdown(&self) -> String {
        let mut s = String::from("# Copying files (`podterm cp` and `kubectl cp`)\n\n");
        s.push_str(&format!(
            "{} runs of each, taking turns, on the demo pod `shell` (started {}; {} at the start). \
             Medians, with the range of the runs; CPU is the client's (user + system), RSS its peak. \
             testcluster and pod CPU: what the server process and the pod's commands (`tar`, `dd`, \
             their shells) used during the run; cores used: client + testcluster + pod CPU over the \
             run's time and the machine's {} cores (machine busy: everything on it, the other \
             programs running too). Goal: podterm ≥ 1.5× kubectl's throughput.\n\n",
            self.params.reps,
            self.started_at,
            self.load,
            self.cores
        ));
        s.push_str(&format!(
            "podterm copies one regular file of at least {} MiB as {} byte ranges at once (`dd` \
             at byte offsets in the pod, one exec session each: `transfer::ranges`); a tree, and \
             a smaller file, go as one tar stream, as kubectl's.\n\n",
            RANGES_FROM >> 20,
            STREAMS
        ));
        s.push_str("| copy | client | MB/s (range) | CPU s | testcluster CPU s | pod CPU s | cores used (machine busy) | peak RSS MB | podterm ÷ this |\n");
        s.push_str("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        let mut kinds: Vec<&str> = Vec::new();
        for f in &self.figures {
            if !kinds.contains(&f.kind.as_str()) {
                kinds.push(&f.kind);
            }
        }
        for k in kinds {
            let of: Vec<&Figure> = self.figures.iter().filter(|f| f.kind == k).collect();
            let ours = of
                .iter()
                .find(|f| f.client == "podterm")
                .map(|f| f.mb_per_s);
            let raw = self.ceilings.iter().filter(|f| f.kind == k);
            for f in of.into_iter().chain(raw) {
                let ceiling = !f.podterm && f.client.starts_with("raw ");
                let rate = match &f.error {
                    Some(e) => format!("failed: {}", short_reason(e)),
                    None => format!(
                        "{:.1} ({:.1}–{:.1})",
                        f.mb_per_s, f.mb_per_s_min, f.mb_per_s_max
                    ),
                };
                let ratio = match (ours, f.client.as_str(), &f.error) {
                    (_, "podterm", _) | (_, _, Some(_)) => String::new(),
                    (Some(o), _, None) if f.mb_per_s > 0.0 && ceiling => {
                        format!("{:.2}× (of this ceiling)", o / f.mb_per_s)
                    }
                    (Some(o), _, None) if f.mb_per_s > 0.0 => {
                        let r = o / f.mb_per_s;
                        format!(
                            "{r:.2}× {}",
                            if r >= 1.5 {
                                "(goal met)"
                            } else {
                                "(goal not met)"
                            }
                        )
                    }
                    _ => String::new(),
                };
                let client = if ceiling {
                    format!("*{}* (ceiling)", f.client)
                } else {
                    f.client.clone()
                };
                s.push_str(&format!(
                    "| {k} | {client} | {rate} | {} | {} | {} | {} | {} | {ratio} |\n",
                    if ceiling {
                        "–".into()
                    } else {
                        opt(f.cpu_s, 2)
                    },
                    opt(f.server_cpu_s, 2),
                    opt(f.pod_cpu_s, 2),
                    self.cores_used(f),
                    opt(f.max_rss_mb, 0)
                ));
            }
        }
        s.push_str(&self.ceiling_words());
        s
    }

    /// Per large-file kind: how far podterm is from the one-stream ceiling, what the server side
    /// used there, and whether byte ranges in parallel streams move more than one stream.
    fn ceiling_words(&self) -> String {
        let mut s = String::new();
        let mut kinds: Vec<&str> = Vec::new();
        for f in &self.ceilings {
            if !kinds.contains(&f.kind.as_str()) {
                kinds.push(&f.kind);
            }
        }
        if kinds.is_empty() {
            return s;
        }
        s.push_str("\nCeilings (the same pod side driven by a bare WebSocket client in the bench, no file read or written on its side):\n\n");
        for k in kinds {
            let ok = |f: &&Figure| f.kind == k && f.error.is_none() && f.mb_per_s > 0.0;
            let ours = self.figures.iter().filter(ok).find(|f| f.podterm);
            let raws: Vec<&Figure> = self.ceilings.iter().filter(ok).collect();
            let Some(one) = raws.iter().find(|f| f.client.contains("tar")) else {
                continue;
            };
            let server = match (one.server_cpu_s, one.pod_cpu_s) {
                (Some(a), Some(b)) if one.wall_s > 0.0 => format!(
                    ", testcluster and the pod's commands using {:.2} of the {} cores",
                    (a + b) / one.wall_s,
                    self.cores
                ),
                _ => String::new(),
            };
            let ours_words = match ours {
                Some(o) => format!(
                    "podterm's {:.0} MB/s is {:.0}% of",
                    o.mb_per_s,
                    100.0 * o.mb_per_s / one.mb_per_s
                ),
                None => "the ceiling:".into(),
            };
            let ranges: Vec<String> = raws
                .iter()
                .filter(|f| f.client.contains("ranges"))
                .map(|f| {
                    format!(
                        "{} {:.0} MB/s ({:.2}× one stream)",
                        f.client.trim_start_matches("raw WebSocket, "),
                        f.mb_per_s,
                        f.mb_per_s / one.mb_per_s
                    )
                })
                .collect();
            s.push_str(&format!(
                "- {k}: {ours_words} the one-stream ceiling, {:.0} MB/s{server}",
                one.mb_per_s
            ));
            if ours.is_some_and(|o| o.mb_per_s > one.mb_per_s) {
                s.push_str(" (podterm above it: the bench's bare writer, 1 MiB messages from one task, is slower than podterm's, so this row is no bound; it compares tar with byte ranges under the same writer)");
            }
            if !ranges.is_empty() {
                s.push_str(&format!("; in parallel: {}", ranges.join(", ")));
            }
            // podterm's own streams against the same number of bare ones.
            let same = raws
                .iter()
                .find(|f| f.client.contains(&format!("{STREAMS} × `dd`")));
            if let (Some(o), Some(r)) = (ours, same) {
                if k.contains("one ") && self.params.big_mib << 20 >= RANGES_FROM {
                    s.push_str(&format!(
                        "; podterm's {STREAMS} byte ranges reach {:.0}% of the bare {STREAMS} ranges",
                        100.0 * o.mb_per_s / r.mb_per_s
                    ));
                }
            }
            s.push_str(".\n");
            // The work of the whole copy, whatever the machine's other load: what each client,
            // testcluster and the pod's commands used, and the floor no client goes under.
            let work: Vec<String> = self
                .figures
                .iter()
                .filter(ok)
                .filter_map(|f| {
                    let (c, a, b) = (f.cpu_s?, f.server_cpu_s?, f.pod_cpu_s?);
                    Some(format!("{} {:.2}", f.client, c + a + b))
                })
                .collect();
            if let (false, Some(a), Some(b)) = (work.is_empty(), one.server_cpu_s, one.pod_cpu_s) {
                s.push_str(&format!(
                    "  CPU seconds of the whole copy (client + testcluster + pod): {}; testcluster and the pod's tar alone, with a client doing nothing: {:.2}.\n",
                    work.join(", "),
                    a + b
                ));
            }
        }
        s
    }

    /// Client + testcluster + pod CPU over the run's time and the cores, and the machine's busy
    /// share: "1.62 of 2 (95%)".
    fn cores_used(&self, f: &Figure) -> String {
        let used = match (f.server_cpu_s, f.pod_cpu_s, f.wall_s > 0.0) {
            (Some(a), Some(b), true) => {
                let client = f.cpu_s.unwrap_or(0.0);
                Some((client + a + b) / f.wall_s)
            }
            _ => None,
        };
        match (used, f.busy) {
            (Some(u), Some(b)) => format!("{u:.2} of {} ({:.0}%)", self.cores, b * 100.0),
            (Some(u), None) => format!("{u:.2} of {}", self.cores),
            (None, Some(b)) => format!("– ({:.0}%)", b * 100.0),
            (None, None) => "–".into(),
        }
    }

    /// Whether podterm's copies were all measured. A kubectl's failure is its own result, shown in
    /// the table (`kubectl cp` of 10,000 small files down ends with a connection reset when
    /// testcluster closes the stream), and must not stop `make bench` before the app bench.
    pub fn all_ok(&self) -> bool {
        self.figures
            .iter()
            .filter(|f| f.podterm)
            .all(|f| f.error.is_none())
    }
}

fn opt(v: Option<f64>, d: usize) -> String {
    v.map(|x| format!("{x:.d$}")).unwrap_or_else(|| "–".into())
}

/// The most of a failure's reason the table shows (the JSON keeps the whole text).
const REASON_CHARS: usize = 90;

/// A failed run's reason for a table cell: the client's own last `error:` line (kubectl prints
/// its log lines first and its verdict last), else the first line; when long, its first and
/// last parts (`error reading from error stream … connection reset by peer`); control
/// characters dropped, cut to [`REASON_CHARS`], and escaped for Markdown so that it stays one
/// cell.
pub fn short_reason(error: &str) -> String {
    let lines: Vec<&str> = error
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let line = lines
        .iter()
        .rev()
        .find_map(|l| l.find("error: ").map(|i| &l[i + "error: ".len()..]))
        .or(lines.first().copied())
        .unwrap_or("no reason given");
    let plain: String = line
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let count = plain.chars().count();
    let short = if count <= REASON_CHARS {
        plain
    } else {
        let parts: Vec<&str> = plain.split(": ").collect();
        let (first, last) = (parts[0], parts[parts.len() - 1]);
        let joined = format!("{first} … {last}");
        if parts.len() > 1 && joined.chars().count() <= REASON_CHARS {
            joined
        } else {
            let mut cut: String = plain.chars().take(REASON_CHARS - 1).collect();
            cut.push('…');
            cut
        }
    };
    let mut out = String::with_capacity(short.len());
    for c in short.chars() {
        match c {
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

/// Rewrites `cp-latest.md` from `cp-latest.json` (`--readme-only`: the table's words change
/// without measuring again). Nothing when there is no JSON yet.
pub fn rerender(results_dir: &Path) -> Result<(), String> {
    let path = results_dir.join("cp-latest.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let summary: Summary =
        serde_json::from_str(&text).ctx(format!("{} is not a cp summary", path.display()))?;
    let md = results_dir.join("cp-latest.md");
    std::fs::write(&md, summary.markdown()).ctx(format!("writing {}", md.display()))
}

/// Writes the summary JSON (stamped and latest) and the table.
pub fn write(results_dir: &Path, stamp: &str, summary: &Summary) -> Result<PathBuf, String> {
    std::fs::create_dir_all(results_dir).ctx(format!("creating {}", results_dir.display()))?;
    let json = serde_json::to_string_pretty(summary).ctx("encoding the cp results")?;
    let md = summary.markdown();
    for (name, text) in [
        (format!("cp-{stamp}.json"), &json),
        ("cp-latest.json".to_string(), &json),
        ("cp-latest.md".to_string(), &md),
    ] {
        let path = results_dir.join(name);
        std::fs::write(&path, text).ctx(format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(results_dir.join("cp-latest.md"))
}

#[cfg(test)]
mod all_ok_tests {
    use super::*;

    fn fig(podterm: bool, error: Option<&str>) -> Figure {
        Figure {
            kind: "download, 10000 × 1 KiB files".into(),
            client: if podterm {
                "podterm".into()
            } else {
                "kubectl v1.37.1".into()
            },
            podterm,
            runs: 3,
            mb_per_s: 1.0,
            mb_per_s_min: 1.0,
            mb_per_s_max: 1.0,
            wall_s: 1.0,
            cpu_s: None,
            max_rss_mb: None,
            server_cpu_s: None,
            pod_cpu_s: None,
            busy: None,
            error: error.map(String::from),
        }
    }

    fn summary(figures: Vec<Figure>) -> Summary {
        Summary {
            started_at: "2026-11-30T14:23:10Z".into(),
            params: Params {
                big_mib: 1,
                small_files: 1,
                reps: 1,
            },
            load: String::new(),
            figures,
            ceilings: Vec::new(),
            cores: 2,
        }
    }

    #[test]
    fn a_kubectl_failure_is_a_result_a_podterm_failure_fails_the_run() {
        let reset = Some("exit status: 1: connection reset by peer");
        assert!(summary(vec![fig(true, None), fig(false, reset)]).all_ok());
        assert!(!summary(vec![fig(true, reset), fig(false, None)]).all_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_cell_says_a_short_reason_in_one_cell() {
        // What kubectl v1.37.1 printed when the testcluster reset its connection (cp-latest.md
        // of 2026-11-30 carried all of it in the cell).
        let e = "exit status: 1: E1130 12:01:39.595251     553 v2.go:168] \"Copying stderr failed\" err=\"read message: read tcp 127.0.0.1:33374->127.0.0.1:35843: read: connection reset by peer\"\nE1130 12:01:39.598581     553 v2.go:151] \"Copying stdout failed\" err=\"read message: read tcp 127.0.0.1:33374->127.0.0.1:35843: read: connection reset by peer\"\nerror: error reading from error stream: read message: read tcp 127.0.0.1:33374->127.0.0.1:35843: read: connection reset by peer\n";
        let r = short_reason(e);
        assert_eq!(
            r,
            "error reading from error stream … connection reset by peer"
        );
        // Markup and control characters from a client cannot break the table.
        let r = short_reason("killed | <b>x</b>\u{1b}[31m `y`");
        assert_eq!(r, "killed \\| &lt;b&gt;x&lt;/b&gt; \\[31m \\`y\\`");
        let long = "x".repeat(500);
        assert_eq!(short_reason(&long).chars().count(), REASON_CHARS);
        assert_eq!(short_reason(""), "no reason given");
    }
}
