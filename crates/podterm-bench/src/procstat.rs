//! The bench process's own figures (RSS, CPU, open-file limit) and the machine's facts.

use crate::Ctx;
use nix::sys::resource::{getrlimit, getrusage, setrlimit, Resource, UsageWho};
use serde::Serialize;

/// A `Vm*` line of /proc/self/status, in KiB.
pub fn vm_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| {
        let rest = l.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// Resets VmHWM to the current RSS (writing 5 to /proc/self/clear_refs, Linux 4.0+).
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// This process's CPU time so far: (user, system) seconds, all threads.
pub fn cpu_self() -> Result<(f64, f64), String> {
    let u = getrusage(UsageWho::RUSAGE_SELF).ctx("getrusage")?;
    let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    Ok((secs(u.user_time()), secs(u.system_time())))
}

/// Raises the soft open-file limit to the hard one (children, testcluster among them, inherit
/// it). Returns (before, after).
pub fn raise_nofile() -> Result<(u64, u64), String> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ctx("getrlimit(RLIMIT_NOFILE)")?;
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).ctx("setrlimit(RLIMIT_NOFILE)")?;
    }
    let (after, _) = getrlimit(Resource::RLIMIT_NOFILE).ctx("getrlimit(RLIMIT_NOFILE)")?;
    Ok((soft, after))
}

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub nproc: usize,
    pub cpu_model: Option<String>,
    pub kernel: Option<String>,
    pub os: Option<String>,
    pub mem_total_mb: Option<f64>,
    pub nofile_limit_before: Option<u64>,
    pub nofile_limit: Option<u64>,
}

impl Machine {
    pub fn probe(nofile: Option<(u64, u64)>) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == "model name").then(|| v.trim().to_string())
        });
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .map(|s| s.trim().to_string());
        let os = std::fs::read_to_string("/etc/os-release")
            .ok()
            .and_then(|t| {
                t.lines().find_map(|l| {
                    l.strip_prefix("PRETTY_NAME=")
                        .map(|v| v.trim_matches('"').to_string())
                })
            });
        let mem_total_mb = std::fs::read_to_string("/proc/meminfo").ok().and_then(|t| {
            t.lines().find_map(|l| {
                let kib: f64 = l
                    .strip_prefix("MemTotal:")?
                    .split_whitespace()
                    .next()?
                    .parse()
                    .ok()?;
                Some(kib * 1024.0 / 1e6)
            })
        });
        Machine {
            nproc: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(0),
            cpu_model,
            kernel,
            os,
            mem_total_mb,
            nofile_limit_before: nofile.map(|n| n.0),
            nofile_limit: nofile.map(|n| n.1),
        }
    }
}
