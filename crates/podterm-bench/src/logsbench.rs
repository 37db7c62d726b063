//! `podterm-bench --logs`: `podterm logs` against `kubectl logs` on one testcluster of its own.
//!
//! Two measurements, every client taking turns:
//! - **read a long log whole**: a container that wrote `--log-mib` MiB of 200-byte lines and
//!   ended them with `END` (testcluster keeps that much of it: `logCapBytes` in its cluster
//!   file, as a kubelet with a large `containerLogMaxSize`); `logs biglog` over a pipe, every
//!   byte counted, with the client's CPU and peak RSS from `/usr/bin/time`.
//! - **follow a fast writer**: a container running `yes` (as fast as the machine lets it) and
//!   `logs -f --tail=10 fastlog` for `--follow-secs` seconds, then SIGINT: the MB/s the follow
//!   delivered, its CPU and peak RSS.
//!
//! Writes `bench/results/logs-<UTC time>.json`, `logs-latest.json` and `logs-latest.md` (the
//! README's Logs section; `podterm-bench --readme-only` puts it in bench/README.md).

use crate::clients::{self, Client, RunEnv, TimeUsage, Watchdog};
use crate::stats::median;
use crate::throughput::{self, TransferRun};
use crate::{Ctx, MIB};
use podterm_test_support::cluster::Served;
use serde::{Deserialize, Serialize};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// One run's MB/s and what `/usr/bin/time` saw of the client.
type Run = (f64, Option<TimeUsage>);

/// One line of the long log: 199 characters and its newline.
const LINE_BYTES: u64 = 200;

#[derive(Debug, Clone)]
pub struct LogsArgs {
    pub log_mib: u64,
    pub reps: usize,
    pub follow_secs: u64,
    /// Said of the machine in the summary (`--log-note`: "shared with other builds" …).
    pub note: Option<String>,
}

/// One client's figures for one measurement (medians over its runs).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogFigure {
    pub client: String,
    /// 10^6 bytes a second.
    pub mb_per_s: Option<f64>,
    pub cpu_s: Option<f64>,
    pub max_rss_mb: Option<f64>,
    /// Why there is no figure.
    pub error: Option<String>,
}

/// What `logs-latest.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogsSummary {
    pub schema: u32,
    pub started_at: String,
    pub note: String,
    pub log_bytes: u64,
    pub line_bytes: u64,
    pub reps: usize,
    pub follow_secs: u64,
    pub read_whole: Vec<LogFigure>,
    pub follow_fast_writer: Vec<LogFigure>,
}

fn line() -> String {
    // 199 characters, like a structured log line.
    let head = "2026-11-30T10:00:00Z INFO request handled method=GET path=/api/v1/items status=200 bytes=5120 duration_ms=3 trace=";
    let mut s = head.to_string();
    while s.len() < (LINE_BYTES - 1) as usize {
        s.push('x');
    }
    s
}

/// The Demo topology with the two writers added and room for the long log.
fn cluster_file(testcluster: &Path, dir: &Path, log_bytes: u64) -> Result<PathBuf, String> {
    let out = std::process::Command::new(testcluster)
        .arg("demo")
        .output()
        .ctx("testcluster demo")?;
    let mut doc: serde_yaml::Value =
        serde_yaml::from_slice(&out.stdout).ctx("the demo topology")?;
    let pods = doc["pods"].as_sequence().ctx("the demo's pods")?.clone();
    let shell = pods
        .iter()
        .find(|p| p["name"].as_str() == Some("shell"))
        .ctx("the demo's shell pod")?
        .clone();
    let go = dir.join("go");
    let lines = log_bytes / LINE_BYTES;
    let l = line();
    let writer = |name: &str, script: String| {
        let mut p = shell.clone();
        p["name"] = name.into();
        p["labels"]["app"] = name.into();
        let c = &mut p["containers"][0];
        c["name"] = "main".into();
        c["tty"] = false.into();
        c["command"] = serde_yaml::Value::Sequence(vec!["sh".into(), "-c".into(), script.into()]);
        p
    };
    let mut all = pods;
    all.push(writer(
        "biglog",
        format!("yes '{l}' | head -n {lines}; echo END; exec sleep 36000"),
    ));
    all.push(writer(
        "fastlog",
        format!(
            "while [ ! -e '{}' ]; do sleep 0.2; done; yes '{l}'",
            go.display()
        ),
    ));
    doc["pods"] = serde_yaml::Value::Sequence(all);
    doc["logCapBytes"] = (log_bytes + 64 * MIB).into();
    let path = dir.join("cluster.yaml");
    std::fs::write(&path, serde_yaml::to_string(&doc).ctx("the cluster file")?)
        .ctx("writing the cluster file")?;
    Ok(path)
}

/// Waits until the long log has been written whole (its last line is `END`).
fn wait_written(env: &RunEnv, client: &Client) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let argv = env.argv(client, &["logs", "biglog", "--tail=1"], None);
        let out = env
            .command(&argv)
            .output()
            .ctx("reading the log's last line")?;
        if String::from_utf8_lossy(&out.stdout).trim_end() == "END" {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err("the long log was not written within 10 minutes".into());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn figure(client: &Client, runs: Result<Vec<Run>, String>) -> LogFigure {
    match runs {
        Ok(runs) => {
            let rates: Vec<f64> = runs.iter().map(|r| r.0).collect();
            let cpu: Vec<f64> = runs.iter().filter_map(|r| r.1.map(|t| t.cpu_s())).collect();
            let rss: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.1.map(|t| t.max_rss_mb()))
                .collect();
            LogFigure {
                client: client.label(),
                mb_per_s: median(&rates),
                cpu_s: median(&cpu),
                max_rss_mb: median(&rss),
                error: None,
            }
        }
        Err(e) => LogFigure {
            client: client.label(),
            mb_per_s: None,
            cpu_s: None,
            max_rss_mb: None,
            error: Some(e),
        },
    }
}

/// `client logs -f --tail=10 fastlog` for `secs`, then SIGINT: MB/s delivered and its usage.
fn follow(env: &RunEnv, client: &Client, secs: u64) -> Result<Run, String> {
    // `timeout` sends the SIGINT; /usr/bin/time around it sees the client as its descendant.
    let wrapper = Client {
        kind: client.kind,
        path: PathBuf::from("timeout"),
        version: client.version.clone(),
    };
    let time_file = env.time_file();
    let secs_s = secs.to_string();
    let path = client.path.display().to_string();
    let argv = env.argv(
        &wrapper,
        &[
            "-s",
            "INT",
            &secs_s,
            &path,
            "logs",
            "-f",
            "--tail=10",
            "fastlog",
        ],
        Some(&time_file),
    );
    let mut cmd = env.command(&argv);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let start = Instant::now();
    let mut child = cmd.spawn().ctx(format!("spawning {}", argv.join(" ")))?;
    let dog = Watchdog::new(Some(child.id()), Duration::from_secs(secs + 30));
    let mut out = child.stdout.take().ctx("child stdout")?;
    let mut buf = vec![0u8; 256 << 10];
    let mut got = 0u64;
    loop {
        match out.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => got += k as u64,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("reading the client's stdout: {e}")),
        }
    }
    let _ = child.wait();
    let took = start.elapsed();
    if dog.finish() {
        return Err("the follow did not stop on SIGINT".into());
    }
    if got < 1_000_000 {
        return Err(format!("only {got} bytes in {secs} s"));
    }
    let time = match env.time_bin {
        Some(_) => Some(TimeUsage::read(&time_file)?),
        None => None,
    };
    Ok((got as f64 / 1e6 / took.as_secs_f64(), time))
}

pub fn run(
    bin_dir: &Path,
    repo: &Path,
    results_dir: &Path,
    args: &LogsArgs,
) -> Result<bool, String> {
    let started_at = jiff::Timestamp::now();
    let tmp = tempfile::Builder::new()
        .prefix("podterm-bench-logs-")
        .tempdir()
        .ctx("creating a scratch directory")?;
    let log_bytes = args.log_mib * MIB / LINE_BYTES * LINE_BYTES;
    let testcluster = bin_dir.join("testcluster");
    let config = cluster_file(&testcluster, tmp.path(), log_bytes)?;
    let podterm = clients::podterm(bin_dir)?;
    let (kubectls, notes) = clients::kubectls(repo);
    for n in &notes {
        eprintln!("kubectl skipped: {n}");
    }
    let mut all = vec![podterm.clone()];
    all.extend(kubectls);
    let tc = Served::start_with(&testcluster, tmp.path(), Some(&config), &[]).ctx("testcluster")?;
    let env = RunEnv::new(tc.kubeconfig.clone(), tmp.path())?;
    eprintln!(
        "== the long log: {} MB being written",
        log_bytes / 1_000_000
    );
    wait_written(&env, &podterm)?;
    // Its lines and the last one, `END`.
    let expected = log_bytes + 4;

    eprintln!(
        "== logs biglog ({} MB, {} runs each, taking turns)",
        expected / 1_000_000,
        args.reps
    );
    let mut acc: Vec<Result<Vec<Run>, String>> = vec![Ok(Vec::new()); all.len()];
    for rep in 1..=args.reps {
        for (c, a) in all.iter().zip(acc.iter_mut()) {
            let Ok(list) = a else { continue };
            match throughput::read_stdout(&env, c, &["logs", "biglog"], expected) {
                Ok(TransferRun { mb_per_s, time, .. }) => {
                    eprintln!("  {:<28} run {rep}: {mb_per_s:>6.0} MB/s", c.label());
                    list.push((mb_per_s, time));
                }
                Err(e) => {
                    eprintln!("  {:<28} run {rep}: FAILED: {e}", c.label());
                    *a = Err(e);
                }
            }
        }
    }
    let read_whole: Vec<LogFigure> = all.iter().zip(acc).map(|(c, a)| figure(c, a)).collect();

    eprintln!(
        "== logs -f fastlog ({} s each, taking turns)",
        args.follow_secs
    );
    std::fs::write(tmp.path().join("go"), b"").ctx("starting the fast writer")?;
    let mut follow_fast_writer = Vec::new();
    for c in &all {
        let r = follow(&env, c, args.follow_secs);
        match &r {
            Ok((mb, _)) => eprintln!("  {:<28} {mb:>6.0} MB/s", c.label()),
            Err(e) => eprintln!("  {:<28} FAILED: {e}", c.label()),
        }
        follow_fast_writer.push(figure(c, r.map(|x| vec![x])));
    }
    drop(tc);

    let ok = read_whole
        .iter()
        .chain(&follow_fast_writer)
        .all(|f| f.error.is_none());
    let summary = LogsSummary {
        schema: 1,
        started_at: started_at.to_string(),
        note: format!(
            "{} cores{}",
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            args.note
                .as_deref()
                .map(|n| format!("; {n}"))
                .unwrap_or_default()
        ),
        log_bytes: expected,
        line_bytes: LINE_BYTES,
        reps: args.reps,
        follow_secs: args.follow_secs,
        read_whole,
        follow_fast_writer,
    };
    let json = serde_json::to_string_pretty(&summary).ctx("the summary")? + "\n";
    let stamp = started_at.strftime("%Y%m%dT%H%M%SZ").to_string();
    std::fs::create_dir_all(results_dir).ctx("creating the results directory")?;
    for (path, text) in [
        (results_dir.join(format!("logs-{stamp}.json")), json.clone()),
        (results_dir.join("logs-latest.json"), json),
        (results_dir.join("logs-latest.md"), markdown(&summary)),
    ] {
        std::fs::write(&path, text).ctx(format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    print!("{}", markdown(&summary));
    Ok(ok)
}

fn cell(v: Option<f64>, digits: usize) -> String {
    v.map_or("—".into(), |x| format!("{x:.digits$}"))
}

/// The Logs section of bench/README.md.
pub fn markdown(s: &LogsSummary) -> String {
    let mut md = format!(
        "`podterm logs` and `kubectl logs` reading a {} MB log of {}-byte lines whole (median of {} runs each), \
         and following a container that writes as fast as `yes` can for {} s each. \
         Started {}; {}.\n\n\
         | client | read whole (MB/s) | CPU (s) | peak RSS (MB) | follow (MB/s) | CPU (s) | peak RSS (MB) |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n",
        s.log_bytes / 1_000_000,
        s.line_bytes,
        s.reps,
        s.follow_secs,
        s.started_at,
        s.note
    );
    for (r, f) in s.read_whole.iter().zip(&s.follow_fast_writer) {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            r.client,
            cell(r.mb_per_s, 0),
            cell(r.cpu_s, 2),
            cell(r.max_rss_mb, 0),
            cell(f.mb_per_s, 0),
            cell(f.cpu_s, 2),
            cell(f.max_rss_mb, 0),
        ));
    }
    for f in s.read_whole.iter().chain(&s.follow_fast_writer) {
        if let Some(e) = &f.error {
            md.push_str(&format!(
                "\n{} failed: {}\n",
                f.client,
                e.replace('\n', " ")
            ));
        }
    }
    md
}

/// What `tests/app/logs.mjs` measured of the app following a 10 MB/s writer
/// (`PODTERM_FLOOD_RESULT`; `bench/results/logs-app-latest.json`).
#[derive(Debug, Clone, Deserialize)]
pub struct AppFlood {
    pub measured_at: String,
    pub line_limit: u64,
    pub lines_through_view: u64,
    pub page_timer_delay_ms: Spread,
    pub search_typed_to_count_ms: f64,
    pub other_tab_echo_ms: f64,
    pub app_pss_mb: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Spread {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

/// The Logs section with the app's flood figures after it (when measured).
pub fn with_app(md: Option<String>, app_json: Option<&str>) -> Option<String> {
    let app = app_json.and_then(|t| serde_json::from_str::<AppFlood>(t).ok());
    match (md, app) {
        (md, None) => md,
        (md, Some(a)) => {
            let mut s = md.unwrap_or_default();
            s.push_str(&format!(
                "\nThe app following a 10 MB/s writer in a Logs view (`tests/app/logs.mjs`, {}): \
                 {} lines passed through a view keeping {}; while it followed, a zero timer in the page \
                 fired after {:.1} ms at the median, {:.1} ms at p99, {:.1} ms at most; typing into the \
                 search box to its match count shown took {:.0} ms and `echo` in another tab's shell \
                 {:.0} ms (both through WebDriver); the app's processes held {:.0} MB (PSS).\n",
                a.measured_at,
                a.lines_through_view,
                a.line_limit,
                a.page_timer_delay_ms.p50,
                a.page_timer_delay_ms.p99,
                a.page_timer_delay_ms.max,
                a.search_typed_to_count_ms,
                a.other_tab_echo_ms,
                a.app_pss_mb,
            ));
            Some(s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_flood_figures_as_tests_app_logs_mjs_writes_them_join_the_logs_section() {
        // The fields tests/app/logs.mjs writes to PODTERM_FLOOD_RESULT.
        let json = r#"{
          "measured_at": "2026-11-30T11:00:00.000Z",
          "writer": "about 10 MB/s of 64-byte lines",
          "line_limit": 5000,
          "lines_through_view": 812345,
          "page_timer_delay_ms": { "p50": 4.2, "p99": 38.5, "max": 61.0 },
          "search_typed_to_count_ms": 180,
          "other_tab_echo_ms": 95,
          "app_rss_mb": { "start": 160, "end": 171 },
          "app_pss_mb": 301
        }"#;
        let md = with_app(Some("table\n".into()), Some(json)).expect("a section");
        assert!(md.starts_with("table\n"), "{md}");
        for want in [
            "812345 lines passed through a view keeping 5000",
            "4.2 ms at the median, 38.5 ms at p99, 61.0 ms at most",
            "180 ms",
            "95 ms",
            "301 MB (PSS)",
        ] {
            assert!(md.contains(want), "{want} missing in {md}");
        }
        // No app figures (or unreadable ones): the section as it was.
        assert_eq!(with_app(Some("t\n".into()), None).as_deref(), Some("t\n"));
        assert_eq!(
            with_app(Some("t\n".into()), Some("{}")).as_deref(),
            Some("t\n")
        );
    }
}
