//! `CLIENT exec shell -- true`: process start to exit, the cost of a session that does nothing.
//! Clients take turns round by round, so drift on the machine hits them alike; round 0 is a
//! warm-up (page cache, first connection) and is not counted.

use crate::clients::{tail, Client, RunEnv, Watchdog};
use crate::stats::{median, percentile};
use crate::Ctx;
use serde::Serialize;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Serialize)]
pub struct Startup {
    pub runs: usize,
    pub median_ms: f64,
    pub p90_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    pub raw_ms: Vec<f64>,
}

fn once(env: &RunEnv, client: &Client) -> Result<Duration, String> {
    let argv = env.argv(client, &["exec", "shell", "--", "true"], None);
    let mut cmd = env.command(&argv);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let child = cmd.spawn().ctx(format!("spawning {}", argv.join(" ")))?;
    let dog = Watchdog::new(Some(child.id()), Duration::from_secs(60));
    let out = child.wait_with_output().ctx("waiting for the client")?;
    let took = start.elapsed();
    if dog.finish() {
        return Err("killed after 60 s".into());
    }
    if !out.status.success() || !out.stdout.is_empty() {
        return Err(format!(
            "{}; stdout {:?}; stderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            tail(&String::from_utf8_lossy(&out.stderr), 600)
        ));
    }
    Ok(took)
}

/// `runs` timed runs per client (after one warm-up round), one `Result` per client.
pub fn measure(env: &RunEnv, clients: &[Client], runs: usize) -> Vec<Result<Startup, String>> {
    let mut samples: Vec<Result<Vec<f64>, String>> = vec![Ok(Vec::new()); clients.len()];
    for round in 0..=runs {
        for (client, acc) in clients.iter().zip(samples.iter_mut()) {
            let Ok(list) = acc else { continue };
            match once(env, client) {
                Ok(d) => {
                    if round > 0 {
                        list.push(d.as_secs_f64() * 1e3);
                    }
                }
                Err(e) => *acc = Err(format!("run {round}: {e}")),
            }
        }
        eprint!(".");
    }
    eprintln!();
    samples
        .into_iter()
        .map(|s| {
            let raw = s?;
            let pick = |p| percentile(&raw, p).ctx("no runs");
            Ok(Startup {
                runs: raw.len(),
                median_ms: median(&raw).ctx("no runs")?,
                p90_ms: pick(90.0)?,
                min_ms: pick(0.0)?,
                max_ms: pick(100.0)?,
                raw_ms: raw,
            })
        })
        .collect()
}
