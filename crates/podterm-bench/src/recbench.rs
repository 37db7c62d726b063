//! What recording a session (`podterm exec --record`) costs a flood: the same flood through
//! podterm without and with `--record`, taking turns in one run, the medians compared. Goal:
//! recording costs < 5% of the throughput. Not a test: nothing here is asserted.

use crate::clients::{Client, RunEnv};
use crate::stats::median;
use crate::throughput::{read_stdout, read_tty, TransferRun};
use crate::{Ctx, MIB};
use serde::Serialize;
use std::path::Path;

/// A line of printable text with its newline (escaped in the recording's JSON, as a real
/// flood's are).
const LINE: &str = "0123456789abcdefghijklmnopqrstuvwxyz";
/// The goal: recording costs less than this share of the throughput.
pub const GOAL_PCT: f64 = 5.0;

#[derive(Debug, Clone, Serialize)]
pub struct Pair {
    /// "stdout over a pipe" or "stdout through a TTY".
    pub kind: String,
    /// The pod's command.
    pub command: String,
    pub bytes_per_run: u64,
    pub plain_mb_per_s: Vec<f64>,
    pub recorded_mb_per_s: Vec<f64>,
    /// The recording's size after each recorded run.
    pub file_bytes: Vec<u64>,
    pub plain_median: Option<f64>,
    pub recorded_median: Option<f64>,
    /// 100 × (1 − recorded ÷ plain), of the medians.
    pub cost_pct: Option<f64>,
    /// podterm's CPU time (user + system, `/usr/bin/time`) per run without / with recording:
    /// what recording costs in work, steadier than throughput on a shared machine.
    #[serde(default)]
    pub plain_cpu_s: Vec<f64>,
    #[serde(default)]
    pub recorded_cpu_s: Vec<f64>,
    #[serde(default)]
    pub plain_cpu_median: Option<f64>,
    #[serde(default)]
    pub recorded_cpu_median: Option<f64>,
    /// CPU time (user + system) of `dd` writing as many bytes as the recording holds into a
    /// file on the same disk, 256 KiB at a time: the floor of writing the file at all.
    #[serde(default)]
    pub file_write_cpu_s: Option<f64>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordSummary {
    pub started_at: String,
    pub load: String,
    pub reps: usize,
    pub podterm: String,
    pub goal_pct: f64,
    pub pairs: Vec<Pair>,
}

impl RecordSummary {
    pub fn markdown(&self) -> String {
        let mut s = String::from("# Recording a session (`podterm exec --record`)\n\n");
        s.push_str(&format!(
            "The same flood through `{}` without and with `--record FILE` (asciicast v2 on the \
             local disk), {} runs of each taking turns (started {}; {} at the start). Medians; \
             cost = 1 − with ÷ without. Goal: < {} %.\n\n",
            self.podterm, self.reps, self.started_at, self.load, self.goal_pct
        ));
        s.push_str(
            "| flood | MiB per run | without MB/s | with --record MB/s | cost | recording | podterm CPU s, without / with | `dd` writing the file alone, CPU s |\n",
        );
        s.push_str("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for p in &self.pairs {
            let f = |v: Option<f64>| v.map(|x| format!("{x:.0}")).unwrap_or_else(|| "–".into());
            let cost = match (p.cost_pct, &p.error) {
                (_, Some(e)) => format!("failed: {}", e.replace('|', "/")),
                (Some(c), None) => format!("{c:.1} %"),
                (None, None) => "–".into(),
            };
            let file = p
                .file_bytes
                .last()
                .map(|b| format!("{:.0} MiB", *b as f64 / MIB as f64))
                .unwrap_or_else(|| "–".into());
            let cpu = match (p.plain_cpu_median, p.recorded_cpu_median) {
                (Some(a), Some(b)) => format!("{a:.2} / {b:.2}"),
                _ => "–".into(),
            };
            let floor = p
                .file_write_cpu_s
                .map(|c| format!("{c:.2}"))
                .unwrap_or_else(|| "–".into());
            s.push_str(&format!(
                "| {} (`{}`) | {} | {} | {} | {cost} | {file} | {cpu} | {floor} |\n",
                p.kind,
                p.command.replace('|', "\\|"),
                p.bytes_per_run / MIB,
                f(p.plain_median),
                f(p.recorded_median),
            ));
        }
        s
    }
}

fn pair(
    env: &RunEnv,
    podterm: &Client,
    kind: &str,
    tty: bool,
    bytes: u64,
    reps: usize,
    scratch: &Path,
) -> Pair {
    let n = bytes.to_string();
    // Through a TTY the pod's terminal turns "\n" into "\r\n", which would change the count:
    // one long line there.
    let script = if tty {
        format!("head -c {n} /dev/zero | tr '\\0' y")
    } else {
        format!("yes {LINE} | head -c {n}")
    };
    let mut p = Pair {
        kind: kind.into(),
        command: script.clone(),
        bytes_per_run: bytes,
        plain_mb_per_s: vec![],
        recorded_mb_per_s: vec![],
        file_bytes: vec![],
        plain_median: None,
        recorded_median: None,
        cost_pct: None,
        plain_cpu_s: vec![],
        recorded_cpu_s: vec![],
        plain_cpu_median: None,
        recorded_cpu_median: None,
        file_write_cpu_s: None,
        error: None,
    };
    let file = scratch.join("bench.cast");
    let file_s = file.display().to_string();
    let run = |args: &[&str]| -> Result<TransferRun, String> {
        if tty {
            read_tty(env, podterm, args, bytes)
        } else {
            read_stdout(env, podterm, args, bytes)
        }
    };
    let mut base: Vec<&str> = vec!["exec"];
    if tty {
        base.extend(["-t", "-i"]);
    }
    base.push("shell");
    let tail = ["--", "sh", "-c", script.as_str()];
    for rep in 1..=reps {
        let plain: Vec<&str> = base.iter().copied().chain(tail).collect();
        let recorded: Vec<&str> = base
            .iter()
            .copied()
            .chain(["--record", &file_s, "--record-overwrite"])
            .chain(tail)
            .collect();
        for (with, args) in [(false, &plain), (true, &recorded)] {
            match run(args) {
                Ok(r) => {
                    eprintln!(
                        "  {kind:<22} {:<14} run {rep}: {:>6.0} MB/s",
                        if with { "with --record" } else { "without" },
                        r.mb_per_s
                    );
                    let cpu = r.time.map(|t| t.cpu_s());
                    if with {
                        p.recorded_cpu_s.extend(cpu);
                        p.recorded_mb_per_s.push(r.mb_per_s);
                        p.file_bytes
                            .push(std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0));
                        let _ = std::fs::remove_file(&file);
                    } else {
                        p.plain_cpu_s.extend(cpu);
                        p.plain_mb_per_s.push(r.mb_per_s);
                    }
                }
                Err(e) => {
                    eprintln!("  {kind} run {rep}: FAILED: {e}");
                    p.error = Some(format!("run {rep}: {e}"));
                    return p;
                }
            }
        }
    }
    p.plain_median = median(&p.plain_mb_per_s);
    p.recorded_median = median(&p.recorded_mb_per_s);
    p.plain_cpu_median = median(&p.plain_cpu_s);
    p.recorded_cpu_median = median(&p.recorded_cpu_s);
    if let Some(size) = p.file_bytes.last().copied().filter(|b| *b > 0) {
        match file_write_cpu(env, size, scratch) {
            Ok(c) => p.file_write_cpu_s = c,
            Err(e) => eprintln!("  writing {size} bytes with dd: FAILED: {e}"),
        }
    }
    if let (Some(a), Some(b)) = (p.plain_median, p.recorded_median) {
        p.cost_pct = Some(100.0 * (1.0 - b / a));
    }
    p
}

/// CPU time of `dd` writing `bytes` (rounded up to 256 KiB writes) into a new file in
/// `scratch`, the file removed afterwards; `None` without `/usr/bin/time`.
fn file_write_cpu(env: &RunEnv, bytes: u64, scratch: &Path) -> Result<Option<f64>, String> {
    const BS: u64 = 256 << 10;
    let Some(time) = &env.time_bin else {
        return Ok(None);
    };
    let out = scratch.join("dd.out");
    let times = scratch.join("dd.time");
    let status = std::process::Command::new(time)
        .arg("-f")
        .arg(crate::clients::TIME_FORMAT)
        .arg("-o")
        .arg(&times)
        .args(["dd", "if=/dev/zero", "bs=262144", "status=none"])
        .arg(format!("count={}", bytes.div_ceil(BS)))
        .arg(format!("of={}", out.display()))
        .status()
        .ctx("running dd")?;
    let _ = std::fs::remove_file(&out);
    if !status.success() {
        return Err(format!("dd: {status}"));
    }
    Ok(Some(crate::clients::TimeUsage::read(&times)?.cpu_s()))
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

/// Measures both floods, writes `record-<stamp>.json`, `record-latest.json` and
/// `record-latest.md`; true when every run worked.
pub fn run(
    env: &RunEnv,
    podterm: &Client,
    mib: u64,
    reps: usize,
    results_dir: &Path,
    started_at: jiff::Timestamp,
) -> Result<bool, String> {
    eprintln!("== recording's cost ({mib} MiB per run, {reps} runs each)");
    let scratch = tempfile::Builder::new()
        .prefix("podterm-bench-rec-")
        .tempdir()
        .ctx("a scratch directory for the recordings")?;
    let bytes = mib * MIB;
    let at = started_at
        .round(jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| started_at.to_string());
    let summary = RecordSummary {
        started_at: at,
        load: load(),
        reps,
        podterm: podterm.version.clone(),
        goal_pct: GOAL_PCT,
        pairs: vec![
            pair(
                env,
                podterm,
                "stdout over a pipe",
                false,
                bytes,
                reps,
                scratch.path(),
            ),
            pair(
                env,
                podterm,
                "stdout through a TTY",
                true,
                bytes,
                reps,
                scratch.path(),
            ),
        ],
    };
    let md = summary.markdown();
    println!("{md}");
    std::fs::create_dir_all(results_dir).ctx(format!("creating {}", results_dir.display()))?;
    let json = serde_json::to_string_pretty(&summary).ctx("encoding the recording results")?;
    let stamp = started_at.strftime("%Y-%m-%dT%H%M%SZ").to_string();
    for (name, text) in [
        (format!("record-{stamp}.json"), &json),
        ("record-latest.json".to_string(), &json),
        ("record-latest.md".to_string(), &md),
    ] {
        let path = results_dir.join(name);
        std::fs::write(&path, text).ctx(format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(summary.pairs.iter().all(|p| p.error.is_none()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_says_the_cost_of_the_medians() {
        let s = RecordSummary {
            started_at: "2026-11-30T14:00:00Z".into(),
            load: "load average 1.0 on 2 cores".into(),
            reps: 3,
            podterm: "podterm 0.1.0".into(),
            goal_pct: GOAL_PCT,
            pairs: vec![Pair {
                kind: "stdout over a pipe".into(),
                command: "yes | head".into(),
                bytes_per_run: 256 * MIB,
                plain_mb_per_s: vec![400.0, 500.0, 450.0],
                recorded_mb_per_s: vec![430.0, 440.0, 420.0],
                file_bytes: vec![300 * MIB],
                plain_median: Some(450.0),
                recorded_median: Some(430.0),
                cost_pct: Some(100.0 * (1.0 - 430.0 / 450.0)),
                plain_cpu_s: vec![0.3, 0.31, 0.29],
                recorded_cpu_s: vec![0.35, 0.36, 0.34],
                plain_cpu_median: Some(0.3),
                recorded_cpu_median: Some(0.35),
                file_write_cpu_s: Some(0.1),
                error: None,
            }],
        };
        let md = s.markdown();
        assert!(
            md.contains(
                "| stdout over a pipe (`yes \\| head`) | 256 | 450 | 430 | 4.4 % | 300 MiB | 0.30 / 0.35 | 0.10 |"
            ),
            "{md}"
        );
    }
}
