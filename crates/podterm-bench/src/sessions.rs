//! Many concurrent sessions in one engine: N podterm-core sessions over one kube client, each
//! running `cat` (no TTY), each sending 16 KiB of its own pseudo-random bytes in 4 frames, then
//! closing stdin; each must get exactly its bytes back, in order.

use crate::procstat;
use crate::stats::percentile;
use bytes::Bytes;
use podterm_core::cluster::Cluster;
use podterm_core::exec::{ExecSpec, Session, Tuning};
use podterm_core::protocol::Outcome;
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const BYTES_PER_SESSION: usize = 16 << 10;
pub const FRAMES_PER_SESSION: usize = 4;

#[derive(Debug, Clone, Serialize)]
pub struct Sessions {
    pub sessions: usize,
    pub bytes_per_session: usize,
    pub frames_per_session: usize,
    /// All sessions started together; until the last one ended (or the limit).
    pub wall_s: f64,
    pub limit_s: u64,
    /// Sessions whose output was exactly their input and whose command succeeded.
    pub ok: usize,
    /// Sessions that ended with other bytes than they sent (lost, extra or reordered).
    pub bytes_wrong: usize,
    /// Sessions that could not start, broke, or ended without success.
    pub failed: usize,
    /// Sessions still running at the limit.
    pub unfinished: usize,
    /// Time to the upgrade being done, per session.
    pub connect_p50_ms: Option<f64>,
    pub connect_p99_ms: Option<f64>,
    /// Per session, start to end.
    pub session_p50_ms: Option<f64>,
    pub session_p99_ms: Option<f64>,
    /// The bench process: peak RSS during the test (VmHWM, reset just before when the kernel
    /// allows) and CPU (user + system, all threads) spent during it.
    pub rss_peak_mb: Option<f64>,
    pub rss_peak_reset: bool,
    pub rss_before_mb: Option<f64>,
    pub cpu_s: Option<f64>,
    pub cpu_user_s: Option<f64>,
    pub cpu_sys_s: Option<f64>,
    /// Up to 10 error messages, for the record.
    pub errors: Vec<String>,
}

/// A small deterministic generator (xorshift64*), so each session has its own bytes.
fn payload(seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(BYTES_PER_SESSION + 8);
    while out.len() < BYTES_PER_SESSION {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(BYTES_PER_SESSION);
    out
}

enum End {
    Ok,
    Wrong(String),
    Failed(String),
}

struct One {
    end: End,
    connect: Option<Duration>,
    total: Duration,
}

async fn one(cluster: Arc<Cluster>, index: usize) -> One {
    let start = Instant::now();
    let data = payload(index as u64 + 1);
    let spec = ExecSpec {
        namespace: "demo".into(),
        pod: "shell".into(),
        container: "main".into(),
        command: vec!["cat".into()],
        stdin: true,
        stdout: true,
        stderr: true,
        tty: false,
        size: None,
        attach: false,
    };
    let mut session = match Session::start(&cluster.client, &spec, Tuning::default()).await {
        Ok(s) => s,
        Err(e) => {
            return One {
                end: End::Failed(format!("session {index}: start: {e}")),
                connect: None,
                total: start.elapsed(),
            }
        }
    };
    let connect = Some(start.elapsed());
    let input = session.input.clone();
    let frames: Vec<Bytes> = data
        .chunks(BYTES_PER_SESSION / FRAMES_PER_SESSION)
        .map(Bytes::copy_from_slice)
        .collect();
    let writer = tokio::spawn(async move {
        for f in frames {
            if !input.send(f).await {
                return false;
            }
        }
        input.close_stdin().await
    });
    let mut got = Vec::with_capacity(BYTES_PER_SESSION);
    while let Some(chunk) = session.stdout.recv().await {
        got.extend_from_slice(&chunk);
    }
    let mut errout = Vec::new();
    while let Ok(chunk) = session.stderr.try_recv() {
        errout.extend_from_slice(&chunk);
    }
    let sent_all = writer.await.unwrap_or(false);
    let outcome = session.finish().await;
    let end = if got != data {
        let at = got.iter().zip(&data).position(|(a, b)| a != b);
        End::Wrong(format!(
            "session {index}: {} of {} bytes back, first difference at {:?}",
            got.len(),
            data.len(),
            at.unwrap_or(got.len().min(data.len()))
        ))
    } else {
        match outcome {
            Ok(Outcome::Success) if sent_all => End::Ok,
            Ok(Outcome::Success) => End::Failed(format!("session {index}: stdin not all sent")),
            Ok(o) => End::Failed(format!(
                "session {index}: {o:?}; stderr {:?}",
                String::from_utf8_lossy(&errout)
            )),
            Err(e) => End::Failed(format!("session {index}: {e}")),
        }
    };
    One {
        end,
        connect,
        total: start.elapsed(),
    }
}

pub async fn measure(cluster: &Cluster, n: usize, limit: Duration) -> Result<Sessions, String> {
    let cluster = Arc::new(cluster.clone());
    let rss_before_mb = procstat::vm_kib("VmRSS").map(|k| k as f64 * 1024.0 / 1e6);
    let rss_peak_reset = procstat::reset_peak_rss();
    let cpu0 = procstat::cpu_self()?;
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        set.spawn(one(cluster.clone(), i));
    }
    let mut done = Vec::with_capacity(n);
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, set.join_next()).await {
            Ok(Some(Ok(r))) => done.push(r),
            Ok(Some(Err(e))) => done.push(One {
                end: End::Failed(format!("a session task failed: {e}")),
                connect: None,
                total: start.elapsed(),
            }),
            Ok(None) => break,
            Err(_) => break,
        }
    }
    let wall = start.elapsed();
    let unfinished = set.len();
    set.abort_all();
    let cpu1 = procstat::cpu_self()?;
    let rss_peak_mb = procstat::vm_kib("VmHWM").map(|k| k as f64 * 1024.0 / 1e6);

    let mut errors = Vec::new();
    let (mut ok, mut wrong, mut failed) = (0, 0, 0);
    let mut connects = Vec::new();
    let mut totals = Vec::new();
    for r in &done {
        if let Some(c) = r.connect {
            connects.push(c.as_secs_f64() * 1e3);
        }
        totals.push(r.total.as_secs_f64() * 1e3);
        match &r.end {
            End::Ok => ok += 1,
            End::Wrong(e) => {
                wrong += 1;
                if errors.len() < 10 {
                    errors.push(e.clone());
                }
            }
            End::Failed(e) => {
                failed += 1;
                if errors.len() < 10 {
                    errors.push(e.clone());
                }
            }
        }
    }
    Ok(Sessions {
        sessions: n,
        bytes_per_session: BYTES_PER_SESSION,
        frames_per_session: FRAMES_PER_SESSION,
        wall_s: wall.as_secs_f64(),
        limit_s: limit.as_secs(),
        ok,
        bytes_wrong: wrong,
        failed,
        unfinished,
        connect_p50_ms: percentile(&connects, 50.0),
        connect_p99_ms: percentile(&connects, 99.0),
        session_p50_ms: percentile(&totals, 50.0),
        session_p99_ms: percentile(&totals, 99.0),
        rss_peak_mb,
        rss_peak_reset,
        rss_before_mb,
        cpu_s: Some((cpu1.0 - cpu0.0) + (cpu1.1 - cpu0.1)),
        cpu_user_s: Some(cpu1.0 - cpu0.0),
        cpu_sys_s: Some(cpu1.1 - cpu0.1),
        errors,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn payloads_differ_and_have_the_size() {
        let a = super::payload(1);
        let b = super::payload(2);
        assert_eq!(a.len(), super::BYTES_PER_SESSION);
        assert_ne!(a, b);
        assert_eq!(a, super::payload(1));
    }
}
