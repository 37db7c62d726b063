//! What a run measured, kept small: [`Results`] holds every sample while the bench runs;
//! [`Summary`] is what is written (per scenario: medians, percentiles, throughput, plus tool
//! versions and the machine), a few hundred bytes per figure and no raw samples. From a summary
//! come the Markdown table against the project's targets and `bench/README.md`. Ratios are
//! always podterm ÷ kubectl.

use crate::ceiling::Ceiling;
use crate::clients::Client;
use crate::procstat::Machine;
use crate::sessions::Sessions;
use crate::startup::Startup;
use crate::stats::{Figure, Latency};
use crate::throughput::Throughput;
use serde::{Deserialize, Serialize};

/// The summary format written to `bench/results/*.json`. 1 was a full dump with every sample.
pub const SCHEMA: u32 = 2;

/// Error messages kept in a summary for the concurrent-sessions test.
const SESSION_ERRORS_KEPT: usize = 3;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Parameters {
    pub reps: usize,
    pub tty_reps: usize,
    pub stdout_bytes: u64,
    pub tty_bytes: u64,
    pub stdin_bytes: u64,
    pub echo_keys: usize,
    pub echo_warmup: usize,
    pub exec_true_runs: usize,
    pub sessions: usize,
    pub sessions_limit_s: u64,
    /// MB in every figure is 10^6 bytes.
    pub mb: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Versions {
    pub podterm: String,
    pub testcluster: String,
    pub kubectls: Vec<String>,
    pub git_commit: Option<String>,
    pub git_dirty: Option<bool>,
    pub rustc: Option<String>,
    pub time_bin: Option<String>,
}

/// One client's figures, every sample included; `clients[0]` is podterm.
#[derive(Debug, Clone)]
pub struct ClientResults {
    pub client: Client,
    pub stdout_pipe: Figure<Throughput>,
    pub stdout_tty: Figure<Throughput>,
    pub stdin_pipe: Figure<Throughput>,
    pub echo: Figure<Latency>,
    pub exec_true: Figure<Startup>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetCheck {
    pub what: String,
    pub target: String,
    /// None when the figures needed are missing.
    pub met: Option<bool>,
    pub detail: String,
}

/// Everything a run measured, in memory. Only its [`Summary`] is written.
#[derive(Debug, Clone)]
pub struct Results {
    pub started_at: String,
    pub finished_at: String,
    pub duration_s: f64,
    pub parameters: Parameters,
    pub machine: Machine,
    pub versions: Versions,
    pub kubectl_notes: Vec<String>,
    pub ceiling: Figure<Ceiling>,
    pub ceiling_tty: Figure<Ceiling>,
    /// The raw WebSocket client feeding `cat` and reading it back.
    pub ceiling_stdin: Figure<Ceiling>,
    /// The local PTY alone (`dd` into a raw-mode PTY), taken in turns with the TTY runs.
    pub local_pty: Figure<Throughput>,
    /// The size of the local PTY run's writes.
    pub local_pty_write: u64,
    /// A bare client between the two PTYs (`ceiling::bare_tty_client`), taken in turns with
    /// the TTY runs: the ceiling of the whole `-t -i` path.
    pub bare_tty: Figure<Throughput>,
    pub clients: Vec<ClientResults>,
    pub engine_echo: Figure<Latency>,
    pub sessions: Figure<Sessions>,
}

/// A summarised figure, or why it could not be taken: the figures themselves, or
/// `{"error": "..."}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Measured<T> {
    Ok(T),
    Failed { error: String },
}

impl<T> Measured<T> {
    pub fn ok(&self) -> Option<&T> {
        match self {
            Measured::Ok(v) => Some(v),
            Measured::Failed { .. } => None,
        }
    }

    pub fn error(&self) -> Option<&str> {
        match self {
            Measured::Ok(_) => None,
            Measured::Failed { error } => Some(error),
        }
    }

    fn of<U>(f: &Figure<U>, summarise: impl FnOnce(&U) -> T) -> Self {
        match f {
            Figure::Ok(v) => Measured::Ok(summarise(v)),
            Figure::Failed { error } => Measured::Failed {
                error: error.clone(),
            },
        }
    }
}

/// The machine the run took place on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MachineInfo {
    pub cores: usize,
    pub cpu_model: Option<String>,
    pub kernel: Option<String>,
    pub os: Option<String>,
    pub mem_total_mb: Option<f64>,
}

/// Throughput over `runs` runs: the median and the spread, with the client's CPU and RSS
/// (medians, from `/usr/bin/time`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    pub runs: usize,
    pub mb_per_s: f64,
    pub min_mb_per_s: f64,
    pub max_mb_per_s: f64,
    pub wall_s: f64,
    pub cpu_s: Option<f64>,
    pub max_rss_mb: Option<f64>,
}

/// Round trips over a sample, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub samples: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

/// `exec -- true`, start to exit, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartTimes {
    pub runs: usize,
    pub median_ms: f64,
    pub p90_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
}

/// The raw WebSocket reader: the most a client could move.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CeilingRate {
    pub runs: usize,
    pub mb_per_s: f64,
    pub min_mb_per_s: f64,
    pub max_mb_per_s: f64,
}

/// The local PTY alone: `dd` writing into a raw-mode PTY that is read as a client's is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalPtyRate {
    pub runs: usize,
    pub mb_per_s: f64,
    pub min_mb_per_s: f64,
    pub max_mb_per_s: f64,
    /// Bytes per write.
    pub write_bytes: u64,
}

/// Many concurrent echoing sessions in one engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionCounts {
    pub sessions: usize,
    pub bytes_per_session: usize,
    pub ok: usize,
    pub bytes_wrong: usize,
    pub failed: usize,
    pub unfinished: usize,
    pub wall_s: f64,
    pub connect_p50_ms: Option<f64>,
    pub connect_p99_ms: Option<f64>,
    pub session_p50_ms: Option<f64>,
    pub session_p99_ms: Option<f64>,
    pub rss_peak_mb: Option<f64>,
    pub cpu_s: Option<f64>,
    /// The first few error messages, if any.
    pub errors: Vec<String>,
}

/// One client's summarised figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientSummary {
    /// `podterm` or `kubectl`.
    pub kind: String,
    /// The table's column heading.
    pub label: String,
    pub version: String,
    pub stdout_pipe: Measured<Rate>,
    pub stdout_tty: Measured<Rate>,
    pub stdin_pipe: Measured<Rate>,
    pub echo: Measured<Percentiles>,
    pub exec_true: Measured<StartTimes>,
}

impl ClientSummary {
    fn is_podterm(&self) -> bool {
        self.kind == "podterm"
    }
}

/// What a run writes: `bench/results/<UTC time>.json` and `latest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub schema: u32,
    pub started_at: String,
    pub finished_at: String,
    pub duration_s: f64,
    pub parameters: Parameters,
    pub machine: MachineInfo,
    pub versions: Versions,
    pub kubectl_notes: Vec<String>,
    pub ceiling: Measured<CeilingRate>,
    pub ceiling_tty: Measured<CeilingRate>,
    /// stdin→stdout through `cat` (absent from runs before it was measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceiling_stdin: Option<Measured<CeilingRate>>,
    /// The local PTY alone (absent from runs before it was measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_pty: Option<Measured<LocalPtyRate>>,
    /// A bare client between the two PTYs (absent from runs before it was measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bare_tty: Option<Measured<CeilingRate>>,
    pub clients: Vec<ClientSummary>,
    pub engine_echo: Measured<Percentiles>,
    pub sessions: Measured<SessionCounts>,
    pub targets: Vec<TargetCheck>,
}

fn spread(rates: impl Iterator<Item = f64>) -> (f64, f64) {
    rates.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| {
        (lo.min(r), hi.max(r))
    })
}

fn rate(t: &Throughput) -> Rate {
    let (lo, hi) = spread(t.runs.iter().map(|r| r.mb_per_s));
    Rate {
        runs: t.runs.len(),
        mb_per_s: t.mb_per_s,
        min_mb_per_s: if t.runs.is_empty() { t.mb_per_s } else { lo },
        max_mb_per_s: if t.runs.is_empty() { t.mb_per_s } else { hi },
        wall_s: t.wall_s,
        cpu_s: t.cpu_s,
        max_rss_mb: t.max_rss_mb,
    }
}

fn percentiles(l: &Latency) -> Percentiles {
    Percentiles {
        samples: l.samples,
        p50_ms: l.p50_ms,
        p90_ms: l.p90_ms,
        p99_ms: l.p99_ms,
        max_ms: l.max_ms,
        mean_ms: l.mean_ms,
    }
}

fn ceiling_rate(c: &Ceiling) -> CeilingRate {
    let (lo, hi) = spread(c.runs.iter().map(|r| r.mb_per_s));
    CeilingRate {
        runs: c.runs.len(),
        mb_per_s: c.mb_per_s,
        min_mb_per_s: if c.runs.is_empty() { c.mb_per_s } else { lo },
        max_mb_per_s: if c.runs.is_empty() { c.mb_per_s } else { hi },
    }
}

impl Results {
    /// The figures without their samples, with the targets checked.
    pub fn summary(&self) -> Summary {
        let m = &self.machine;
        let mut s = Summary {
            schema: SCHEMA,
            started_at: self.started_at.clone(),
            finished_at: self.finished_at.clone(),
            duration_s: self.duration_s,
            parameters: self.parameters.clone(),
            machine: MachineInfo {
                cores: m.nproc,
                cpu_model: m.cpu_model.clone(),
                kernel: m.kernel.clone(),
                os: m.os.clone(),
                mem_total_mb: m.mem_total_mb,
            },
            versions: self.versions.clone(),
            kubectl_notes: self.kubectl_notes.clone(),
            ceiling: Measured::of(&self.ceiling, ceiling_rate),
            ceiling_tty: Measured::of(&self.ceiling_tty, ceiling_rate),
            ceiling_stdin: Some(Measured::of(&self.ceiling_stdin, ceiling_rate)),
            local_pty: Some(Measured::of(&self.local_pty, |t| {
                let r = rate(t);
                LocalPtyRate {
                    runs: r.runs,
                    mb_per_s: r.mb_per_s,
                    min_mb_per_s: r.min_mb_per_s,
                    max_mb_per_s: r.max_mb_per_s,
                    write_bytes: self.local_pty_write,
                }
            })),
            bare_tty: Some(Measured::of(&self.bare_tty, |t| {
                let r = rate(t);
                CeilingRate {
                    runs: r.runs,
                    mb_per_s: r.mb_per_s,
                    min_mb_per_s: r.min_mb_per_s,
                    max_mb_per_s: r.max_mb_per_s,
                }
            })),
            // podterm first, then the kubectls in the order they ran.
            clients: self
                .clients
                .iter()
                .filter(|c| c.client.is_podterm())
                .chain(self.clients.iter().filter(|c| !c.client.is_podterm()))
                .map(|c| ClientSummary {
                    kind: c.client.kind.to_string(),
                    label: c.client.label(),
                    version: c.client.version.clone(),
                    stdout_pipe: Measured::of(&c.stdout_pipe, rate),
                    stdout_tty: Measured::of(&c.stdout_tty, rate),
                    stdin_pipe: Measured::of(&c.stdin_pipe, rate),
                    echo: Measured::of(&c.echo, percentiles),
                    exec_true: Measured::of(&c.exec_true, |s| StartTimes {
                        runs: s.runs,
                        median_ms: s.median_ms,
                        p90_ms: s.p90_ms,
                        min_ms: s.min_ms,
                        max_ms: s.max_ms,
                    }),
                })
                .collect(),
            engine_echo: Measured::of(&self.engine_echo, percentiles),
            sessions: Measured::of(&self.sessions, |s| SessionCounts {
                sessions: s.sessions,
                bytes_per_session: s.bytes_per_session,
                ok: s.ok,
                bytes_wrong: s.bytes_wrong,
                failed: s.failed,
                unfinished: s.unfinished,
                wall_s: s.wall_s,
                connect_p50_ms: s.connect_p50_ms,
                connect_p99_ms: s.connect_p99_ms,
                session_p50_ms: s.session_p50_ms,
                session_p99_ms: s.session_p99_ms,
                rss_peak_mb: s.rss_peak_mb,
                cpu_s: s.cpu_s,
                errors: s.errors.iter().take(SESSION_ERRORS_KEPT).cloned().collect(),
            }),
            targets: Vec::new(),
        };
        s.check_targets();
        s
    }

    /// Whether every measurement was taken (unmet targets are not failures).
    pub fn all_ok(&self) -> bool {
        self.ceiling.ok().is_some()
            && self.ceiling_tty.ok().is_some()
            && self.ceiling_stdin.ok().is_some()
            && self.local_pty.ok().is_some()
            && self.bare_tty.ok().is_some()
            && self.engine_echo.ok().is_some()
            && self.sessions.ok().is_some_and(|s| s.ok == s.sessions)
            && self.clients.iter().all(|c| {
                c.stdout_pipe.ok().is_some()
                    && c.stdout_tty.ok().is_some()
                    && c.stdin_pipe.ok().is_some()
                    && c.echo.ok().is_some()
                    && c.exec_true.ok().is_some()
            })
    }
}

/// JSON with two-space indents, where an object or array holding only plain values (numbers,
/// strings, booleans, null) stays on one line: one line per figure keeps a summary short to
/// read and to diff. Fractions are rounded to [`DECIMALS`] places, so a file reads back as the
/// same numbers.
pub fn compact_json(v: &serde_json::Value) -> String {
    let mut v = v.clone();
    round_floats(&mut v);
    let mut out = String::new();
    write_json(&v, 0, &mut out);
    out.push('\n');
    out
}

/// Decimal places kept in a summary: 0.1 µs for times in ms, 100 B/s for MB/s.
pub const DECIMALS: i32 = 4;

fn round_floats(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64() {
                let scale = 10f64.powi(DECIMALS);
                if let Some(r) = serde_json::Number::from_f64((f * scale).round() / scale) {
                    *n = r;
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(round_floats),
        Value::Object(o) => o.values_mut().for_each(round_floats),
        _ => {}
    }
}

fn is_flat(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    let plain = |v: &Value| !matches!(v, Value::Array(_) | Value::Object(_));
    match v {
        Value::Array(a) => a.iter().all(plain),
        Value::Object(o) => o.values().all(plain),
        _ => true,
    }
}

fn write_json(v: &serde_json::Value, depth: usize, out: &mut String) {
    use serde_json::Value;
    let pad = |d: usize| "  ".repeat(d);
    if is_flat(v) {
        let sep = |items: Vec<String>| items.join(", ");
        match v {
            Value::Array(a) => {
                out.push('[');
                out.push_str(&sep(a.iter().map(Value::to_string).collect()));
                out.push(']');
            }
            Value::Object(o) if !o.is_empty() => {
                out.push_str("{ ");
                out.push_str(&sep(o
                    .iter()
                    .map(|(k, x)| format!("{}: {x}", Value::String(k.clone())))
                    .collect()));
                out.push_str(" }");
            }
            _ => out.push_str(&v.to_string()),
        }
        return;
    }
    match v {
        Value::Array(a) => {
            out.push_str("[\n");
            for (i, x) in a.iter().enumerate() {
                out.push_str(&pad(depth + 1));
                write_json(x, depth + 1, out);
                out.push_str(if i + 1 < a.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(depth));
            out.push(']');
        }
        Value::Object(o) => {
            out.push_str("{\n");
            for (i, (k, x)) in o.iter().enumerate() {
                out.push_str(&pad(depth + 1));
                out.push_str(&Value::String(k.clone()).to_string());
                out.push_str(": ");
                write_json(x, depth + 1, out);
                out.push_str(if i + 1 < o.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(depth));
            out.push('}');
        }
        _ => out.push_str(&v.to_string()),
    }
}

impl Summary {
    fn podterm(&self) -> Option<&ClientSummary> {
        self.clients.iter().find(|c| c.is_podterm())
    }

    fn kubectls(&self) -> impl Iterator<Item = &ClientSummary> {
        self.clients.iter().filter(|c| !c.is_podterm())
    }

    /// podterm ÷ each kubectl for a figure.
    fn ratios(&self, f: impl Fn(&ClientSummary) -> Option<f64>) -> Vec<Option<f64>> {
        let p = self.podterm().and_then(&f);
        self.kubectls()
            .map(|k| match (p, f(k)) {
                (Some(p), Some(k)) if k > 0.0 => Some(p / k),
                _ => None,
            })
            .collect()
    }

    /// Checks the project's performance targets against the figures.
    pub fn check_targets(&mut self) {
        let mut out = Vec::new();
        let ceiling = self.ceiling.ok().map(|c| c.mb_per_s);
        let all_at_least = |rs: &[Option<f64>], min: f64| -> Option<bool> {
            if rs.is_empty() || rs.iter().any(Option::is_none) {
                return None;
            }
            Some(rs.iter().flatten().all(|r| *r >= min))
        };
        let show = |rs: &[Option<f64>]| -> String {
            rs.iter()
                .map(|r| r.map_or("?".into(), |r| format!("{r:.2}×")))
                .collect::<Vec<_>>()
                .join(", ")
        };

        // stdout, no TTY: 1.5× every kubectl, or within 10% of the raw ceiling.
        let rs = self.ratios(|c| c.stdout_pipe.ok().map(|t| t.mb_per_s));
        let p = self
            .podterm()
            .and_then(|c| c.stdout_pipe.ok())
            .map(|t| t.mb_per_s);
        let of_ceiling = match (p, ceiling) {
            (Some(p), Some(c)) if c > 0.0 => Some(p / c),
            _ => None,
        };
        let by_ratio = all_at_least(&rs, 1.5);
        let by_ceiling = of_ceiling.map(|f| f >= 0.9);
        out.push(TargetCheck {
            what: "stdout throughput, no TTY".into(),
            target: "≥ 1.5× kubectl (aim 1.7×), or within 10% of the raw ceiling".into(),
            met: match (by_ratio, by_ceiling) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (None, None) => None,
                _ => Some(false),
            },
            detail: format!(
                "ratios {}; podterm at {} of the ceiling",
                show(&rs),
                of_ceiling.map_or("?".into(), |f| format!("{:.0}%", f * 100.0))
            ),
        });

        // Either bound, as a share: podterm's figure ÷ the ceiling.
        let share = |p: Option<f64>, c: Option<f64>| match (p, c) {
            (Some(p), Some(c)) if c > 0.0 => Some(p / c),
            _ => None,
        };
        let either = |by_ratio: Option<bool>, by_ceiling: Option<bool>| match (by_ratio, by_ceiling)
        {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (None, None) => None,
            _ => Some(false),
        };
        let pct = |f: Option<f64>| f.map_or("?".into(), |f| format!("{:.0}%", f * 100.0));

        // TTY: the client sits between two PTYs in series. Each alone bounds it (the remote
        // one, the local one), and so does the pair: a bare client between them, on the same
        // cores (on two cores the two PTYs, the server and the reader share them, so the pair
        // is slower than either). The lowest of the three is the ceiling.
        let rs = self.ratios(|c| c.stdout_tty.ok().map(|t| t.mb_per_s));
        let p = self
            .podterm()
            .and_then(|c| c.stdout_tty.ok())
            .map(|t| t.mb_per_s);
        let remote = self.ceiling_tty.ok().map(|c| c.mb_per_s);
        let local = self
            .local_pty
            .as_ref()
            .and_then(|l| l.ok())
            .map(|l| l.mb_per_s);
        let bare = self
            .bare_tty
            .as_ref()
            .and_then(|b| b.ok())
            .map(|b| b.mb_per_s);
        let lowest = [remote, local, bare]
            .into_iter()
            .flatten()
            .fold(None, |lo: Option<f64>, c| {
                Some(lo.map_or(c, |lo| lo.min(c)))
            });
        let of_lowest = share(p, lowest);
        out.push(TargetCheck {
            what: "stdout throughput, TTY".into(),
            target: "≥ 1.5× kubectl (aim 1.7×), or within 10% of the lowest PTY ceiling".into(),
            met: either(all_at_least(&rs, 1.5), of_lowest.map(|f| f >= 0.9)),
            detail: format!(
                "ratios {}; podterm at {} of the remote PTY's ceiling, {} of the local PTY's, {} of a bare client's between them",
                show(&rs),
                pct(share(p, remote)),
                pct(share(p, local)),
                pct(share(p, bare))
            ),
        });

        let rs = self.ratios(|c| c.stdin_pipe.ok().map(|t| t.mb_per_s));
        let p = self
            .podterm()
            .and_then(|c| c.stdin_pipe.ok())
            .map(|t| t.mb_per_s);
        let stdin_ceiling = self
            .ceiling_stdin
            .as_ref()
            .and_then(|c| c.ok())
            .map(|c| c.mb_per_s);
        let of_ceiling = share(p, stdin_ceiling);
        out.push(TargetCheck {
            what: "stdin→stdout throughput".into(),
            target: "≥ 1.2× kubectl, or within 10% of the stdin ceiling".into(),
            met: either(all_at_least(&rs, 1.2), of_ceiling.map(|f| f >= 0.9)),
            detail: format!(
                "ratios {}; podterm at {} of the stdin ceiling",
                show(&rs),
                pct(of_ceiling)
            ),
        });

        let rs = self.ratios(|c| c.exec_true.ok().map(|s| s.median_ms));
        out.push(TargetCheck {
            what: "exec -- true, start to exit".into(),
            target: "≤ ¼ of kubectl's".into(),
            met: if rs.is_empty() || rs.iter().any(Option::is_none) {
                None
            } else {
                Some(rs.iter().flatten().all(|r| *r <= 0.25))
            },
            detail: format!("median ratios {}", show(&rs)),
        });

        let e = self.engine_echo.ok();
        out.push(TargetCheck {
            what: "keystroke echo in the engine".into(),
            target: "p50 < 1 ms, p99 < 5 ms".into(),
            met: e.map(|e| e.p50_ms < 1.0 && e.p99_ms < 5.0),
            detail: e.map_or("not measured".into(), |e| {
                format!("p50 {:.3} ms, p99 {:.3} ms", e.p50_ms, e.p99_ms)
            }),
        });

        let s = self.sessions.ok();
        out.push(TargetCheck {
            what: "concurrent sessions in one engine".into(),
            target: format!(
                "{} echoing sessions, no lost or reordered byte",
                self.parameters.sessions
            ),
            met: s.map(|s| s.ok == s.sessions),
            detail: s.map_or("not measured".into(), |s| {
                format!(
                    "{} ok, {} with wrong bytes, {} failed, {} unfinished, in {:.1} s",
                    s.ok, s.bytes_wrong, s.failed, s.unfinished, s.wall_s
                )
            }),
        });
        self.targets = out;
    }

    fn target(&self, what: &str) -> String {
        match self.targets.iter().find(|t| t.what == what) {
            Some(t) => format!(
                "{}: **{}**",
                t.target,
                match t.met {
                    Some(true) => "met",
                    Some(false) => "not met",
                    None => "unknown",
                }
            ),
            None => String::new(),
        }
    }

    /// The summary as the JSON file a run writes.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        Ok(compact_json(&serde_json::to_value(self)?))
    }

    /// The run's facts in one line: when, podterm, the machine, the commit.
    fn facts(&self) -> String {
        let m = &self.machine;
        format!(
            "{} · {} · {} cores ({}) · kernel {}{}",
            self.started_at,
            self.versions.podterm,
            m.cores,
            m.cpu_model.as_deref().unwrap_or("?"),
            m.kernel.as_deref().unwrap_or("?"),
            self.versions
                .git_commit
                .as_deref()
                .map(|c| format!(
                    " · commit {}{}",
                    &c[..c.len().min(12)],
                    if self.versions.git_dirty == Some(true) {
                        " (uncommitted changes)"
                    } else {
                        ""
                    }
                ))
                .unwrap_or_default()
        )
    }

    /// The table and what goes with it (the facts line, units, skipped kubectls, failures),
    /// without a heading.
    fn body(&self) -> String {
        let mut t = Table::new(self);
        let mib = |b: u64| b as f64 / (1u64 << 20) as f64;

        // Throughput rows, each with CPU and RSS under it.
        let kinds: [(&str, Pick, u64, &str); 3] = [
            (
                "stdout, no TTY",
                |c| &c.stdout_pipe,
                self.parameters.stdout_bytes,
                "stdout throughput, no TTY",
            ),
            (
                "stdout, TTY (`-t -i` on a local PTY)",
                |c| &c.stdout_tty,
                self.parameters.tty_bytes,
                "stdout throughput, TTY",
            ),
            (
                "stdin→stdout (`-i … cat`)",
                |c| &c.stdin_pipe,
                self.parameters.stdin_bytes,
                "stdin→stdout throughput",
            ),
        ];
        for (name, get, bytes, target) in kinds {
            t.row(
                &format!("{name}, {:.0} MiB: MB/s", mib(bytes)),
                |c| get(c).ok().map(|x| x.mb_per_s),
                |v| format!("{v:.0}"),
                true,
                self.target(target),
                |c| get(c).error().map(str::to_string),
            );
            t.row(
                "  ↳ client CPU, user+sys (s)",
                |c| get(c).ok().and_then(|x| x.cpu_s),
                |v| format!("{v:.2}"),
                true,
                String::new(),
                |_| None,
            );
            t.row(
                "  ↳ client max RSS (MB)",
                |c| get(c).ok().and_then(|x| x.max_rss_mb),
                |v| format!("{v:.0}"),
                true,
                String::new(),
                |_| None,
            );
        }
        t.row2(
            "echo through the client on a PTY: p50 / p99 (ms)",
            |c| c.echo.ok().map(|e| (e.p50_ms, e.p99_ms)),
            |(a, b)| format!("{a:.2} / {b:.2}"),
            "for information (the target is the engine's, next row)".into(),
            |c| c.echo.error().map(str::to_string),
        );
        t.engine_row(
            "echo in the engine (in-process session): p50 / p99 (ms)",
            match &self.engine_echo {
                Measured::Ok(e) => format!("{:.3} / {:.3}", e.p50_ms, e.p99_ms),
                Measured::Failed { .. } => "FAILED".into(),
            },
            self.target("keystroke echo in the engine"),
        );
        t.row2(
            "`exec shell -- true`: median / p90 (ms)",
            |c| c.exec_true.ok().map(|s| (s.median_ms, s.p90_ms)),
            |(a, b)| format!("{a:.0} / {b:.0}"),
            self.target("exec -- true, start to exit"),
            |c| c.exec_true.error().map(str::to_string),
        );
        let n = self.parameters.sessions;
        match &self.sessions {
            Measured::Ok(s) => {
                t.engine_row(
                    &format!("{n} concurrent sessions: ok / wrong bytes / failed / unfinished"),
                    format!(
                        "{} / {} / {} / {}",
                        s.ok, s.bytes_wrong, s.failed, s.unfinished
                    ),
                    self.target("concurrent sessions in one engine"),
                );
                t.engine_row(
                    &format!("  ↳ wall time for all {n} (s)"),
                    format!("{:.2}", s.wall_s),
                    String::new(),
                );
                t.engine_row(
                    "  ↳ bench process RSS peak (MB) / CPU (s)",
                    format!(
                        "{} / {}",
                        s.rss_peak_mb.map_or("?".into(), |v| format!("{v:.0}")),
                        s.cpu_s.map_or("?".into(), |v| format!("{v:.2}"))
                    ),
                    String::new(),
                );
            }
            Measured::Failed { error } => {
                t.engine_row(
                    &format!("{n} concurrent sessions"),
                    "FAILED".into(),
                    self.target("concurrent sessions in one engine"),
                );
                t.notes.push(format!("{n} sessions: {error}"));
            }
        }
        let not_measured = Measured::Failed {
            error: "not measured in this run".into(),
        };
        let stdin_ceiling = self.ceiling_stdin.as_ref().unwrap_or(&not_measured);
        let ceilings: [(&str, &Measured<CeilingRate>, u64, Pick); 3] = [
            ("no TTY", &self.ceiling, self.parameters.stdout_bytes, |c| {
                &c.stdout_pipe
            }),
            (
                "`tty=true` (remote PTY only)",
                &self.ceiling_tty,
                self.parameters.tty_bytes,
                |c| &c.stdout_tty,
            ),
            (
                "stdin→stdout (`cat`)",
                stdin_ceiling,
                self.parameters.stdin_bytes,
                |c| &c.stdin_pipe,
            ),
        ];
        // The local PTY's row, as a ceiling of its own beside the remote ones.
        let local = self.local_pty.as_ref().map(|l| match l {
            Measured::Ok(l) => Measured::Ok(CeilingRate {
                runs: l.runs,
                mb_per_s: l.mb_per_s,
                min_mb_per_s: l.min_mb_per_s,
                max_mb_per_s: l.max_mb_per_s,
            }),
            Measured::Failed { error } => Measured::Failed {
                error: error.clone(),
            },
        });
        let local_write = self
            .local_pty
            .as_ref()
            .and_then(|l| l.ok())
            .map_or(0, |l| l.write_bytes);
        let mut rows: Vec<(String, &Measured<CeilingRate>, Pick)> = ceilings
            .iter()
            .map(|(name, fig, bytes, get)| {
                (
                    format!(
                        "raw WebSocket ceiling, {name}, {:.0} MiB: MB/s",
                        mib(*bytes)
                    ),
                    *fig,
                    *get,
                )
            })
            .collect();
        if let Some(local) = &local {
            rows.push((
                format!(
                    "local PTY ceiling (`dd` writing {} KiB at a time into a raw-mode PTY, no network), {:.0} MiB: MB/s",
                    local_write >> 10,
                    mib(self.parameters.tty_bytes)
                ),
                local,
                |c| &c.stdout_tty,
            ));
        }
        if let Some(bare) = &self.bare_tty {
            rows.push((
                format!(
                    "both PTYs ceiling (a bare client between them: the raw WebSocket with `tty=true`, each read written to a local PTY), {:.0} MiB: MB/s",
                    mib(self.parameters.tty_bytes)
                ),
                bare,
                |c| &c.stdout_tty,
            ));
        }
        for (name, fig, get) in rows {
            let (cell, shares) = match fig {
                Measured::Ok(c) => {
                    let shares = self
                        .clients
                        .iter()
                        .map(|k| {
                            let share = get(k)
                                .ok()
                                .map(|x| format!("{:.0}%", 100.0 * x.mb_per_s / c.mb_per_s));
                            format!("{} {}", k.label, share.as_deref().unwrap_or("?"))
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    (format!("{:.0}", c.mb_per_s), shares)
                }
                Measured::Failed { error } => {
                    t.notes.push(format!("{name}: {error}"));
                    ("FAILED".into(), String::new())
                }
            };
            t.engine_row(&name, cell, format!("reference; share of it: {shares}"));
        }

        let mut s = String::new();
        s.push_str(&self.facts());
        s.push_str("\n\n");
        s.push_str(&format!(
            "MB = 10^6 bytes; throughput figures are medians of {} runs ({} with a TTY); \
             ratio = podterm ÷ kubectl, one per kubectl column. CPU and RSS of a client come \
             from `/usr/bin/time` around it.\n\n",
            self.parameters.reps, self.parameters.tty_reps
        ));
        s.push_str(&t.render());
        if !self.kubectl_notes.is_empty() {
            s.push_str("\nkubectl candidates skipped: ");
            s.push_str(&self.kubectl_notes.join("; "));
            s.push('\n');
        }
        if !t.notes.is_empty() {
            s.push_str("\nFailures:\n\n");
            for n in &t.notes {
                s.push_str(&format!("- {}\n", n.replace('\n', " ")));
            }
        }
        s
    }

    /// The Markdown report (`latest.md`, and what the run prints): heading, facts, the table,
    /// notes.
    pub fn markdown(&self) -> String {
        format!("# podterm vs kubectl on testcluster\n\n{}", self.body())
    }
}

/// The desktop app's benchmark, which writes `app-latest.md` beside this program's results.
pub const APP_BENCH: &str = "bench/app-bench.mjs";

/// `bench/README.md`: how to run the benchmarks and the latest figures, from the engine's
/// summary (`latest.json`) and, when there is one, the desktop app's report (`app-latest.md`,
/// written by [`APP_BENCH`]).
pub fn readme(
    summary: Option<&Summary>,
    app_md: Option<&str>,
    cp_md: Option<&str>,
    logs_md: Option<&str>,
    record_md: Option<&str>,
) -> String {
    let mut s = README_HEAD.replace("{APP_BENCH}", APP_BENCH);
    s.push_str("\n## The engine and the CLI (`podterm-bench`)\n\n");
    match summary {
        Some(r) => s.push_str(&r.body()),
        None => s.push_str("No results yet: run `make bench`.\n"),
    }
    s.push_str("\n## Copying files (`podterm-bench`, cp)\n\n");
    match cp_md {
        Some(md) => {
            let body = match md.strip_prefix("# ") {
                Some(rest) => rest.split_once('\n').map_or("", |(_, b)| b),
                None => md,
            };
            s.push_str(body.trim_start_matches('\n'));
            if !body.ends_with('\n') {
                s.push('\n');
            }
        }
        None => s.push_str("No results yet: run `make bench` (or `podterm-bench --cp-only`).\n"),
    }
    s.push_str("\n## Recording a session (`podterm-bench --record`)\n\n");
    match record_md {
        Some(md) => {
            let body = match md.strip_prefix("# ") {
                Some(rest) => rest.split_once('\n').map_or("", |(_, b)| b),
                None => md,
            };
            s.push_str(body.trim_start_matches('\n'));
            if !body.ends_with('\n') {
                s.push('\n');
            }
        }
        None => s.push_str("No results yet: run `make bench` (or `podterm-bench --record`).\n"),
    }
    s.push_str(&format!("\n## The desktop app (`{APP_BENCH}`)\n\n"));
    match app_md {
        Some(md) => {
            // Its own heading goes: this section is its heading.
            let body = match md.strip_prefix("# ") {
                Some(rest) => rest.split_once('\n').map_or("", |(_, b)| b),
                None => md,
            };
            s.push_str(body.trim_start_matches('\n'));
            if !body.ends_with('\n') {
                s.push('\n');
            }
        }
        None => {
            s.push_str("No results yet: run `make bench` (it runs this after `podterm-bench`).\n")
        }
    }
    s.push_str("\n## Logs (`podterm-bench --logs`)\n\n");
    s.push_str(logs_md.unwrap_or("No results yet: run `make bench`.\n"));
    s.push_str(
        &README_TAIL
            .replace("{RECV_BUFFER}", &size(podterm_core::cluster::RECV_BUFFER))
            .replace(
                "{UI_READ_AHEAD}",
                &size(podterm_core::terminal::TERMINAL_READ_AHEAD),
            )
            .replace(
                "{DRAIN_WINDOW}",
                &format!("{} ms", podterm_core::flow::DRAIN_WINDOW.as_millis()),
            )
            .replace("{MIN_WINDOW}", &size(podterm_core::flow::MIN_WINDOW))
            .replace("{HIGH_WATER}", &size(podterm_core::flow::HIGH_WATER)),
    );
    s
}

/// A buffer size as the docs write it: `1 MiB`, `256 KiB`, `100 bytes`.
fn size(bytes: usize) -> String {
    const KIB: usize = 1 << 10;
    const MIB: usize = 1 << 20;
    if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes % KIB == 0 {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

const README_HEAD: &str = "\
# Benchmarks

<!-- Generated by podterm-bench (crates/podterm-bench/src/report.rs) from bench/results/latest.json
     and bench/results/app-latest.md. Do not edit: run `make bench`, or
     `target/release/podterm-bench --readme-only` to rewrite it from the results already there. -->

`make bench` builds release binaries and runs two programs. Neither is a test and nothing in them
is a timed assertion; they measure, compare with kubectl on the same machine in the same run, and
say which of the project's targets are met. MB = 10^6 bytes, MiB = 2^20 bytes.

- `podterm-bench` (`crates/podterm-bench`) starts one testcluster, finds the kubectls as the tests
  do (`PODTERM_KUBECTLS`, else `/usr/bin/kubectl` and `.venv/bin/kubectl`) and measures podterm and
  each kubectl side by side: stdout and stdin throughput, keystroke echo, `exec -- true`, then, in
  its own process, echo through an engine session, 500 concurrent sessions and the raw WebSocket
  ceiling. `BENCH_ARGS` passes its options (`podterm-bench --help`).
- `{APP_BENCH}` drives the release app under Xvfb through tauri-driver, with a
  testcluster it imports from a kubeconfig: memory, opening a shell, a flood into xterm.js,
  keystroke echo and Ctrl-C during the flood, and where the echo waits (the bytes drawn ahead of
  it, testcluster's socket send queue from `ss`, xterm's own rate on `yes`, and kubectl's echo on
  a PTY in the same run, `bench/pty-echo.py yes`), and where a flood's time goes (the cores each
  process used; the page's thread's time on a core and runnable but waiting for one, from the
  scheduler's `schedstat`, in the tab and in xterm.js alone). Its table ends with the CLI rows of
  issue 13 from `podterm-bench`'s run. `FLOOD_MB` and `TABS` set the flood size and the number of tabs.
";

const README_TAIL: &str = "
## Reading the tables

- The raw WebSocket ceiling is a bare reader of the exec stream in the bench process: what a
  client could move if it did nothing else. podterm can pass it without a TTY because its stdout
  writer has a thread of its own.
- With a TTY every client is bound by the two pseudo-terminals in the path (the local one and the
  pod's); the `tty=true` ceiling row is the remote PTY alone, the local PTY ceiling row the local
  one alone (`dd` writing the same bytes, in the size testcluster's TTY frames have, into the
  same kind of terminal in raw mode, read the same way, in turns with the clients' TTY runs).
  A kernel PTY hands its reader at most 4 KiB per read, so the local one is usually the lower
  of the two. A client moves less than either, since both run at once on the same cores: the
  both-PTYs ceiling row is a bare client in the clients' seat (`podterm-bench
  --bare-tty-client`: the raw WebSocket with `tty=true`, the frames already read written to its
  terminal in one write, nothing else), run on the same kind of local PTY in turns with them.
  The TTY row's target takes the lowest of the three.
- The stdin ceiling is the bare WebSocket client feeding `cat` 64 KiB frames and counting what
  comes back.
- In the app, output travels through the webview's IPC and xterm.js, which share the page's one
  thread, so a flood is drawn far slower than the engine reads it. Keystroke echo during a flood
  waits behind the bytes already in flight: the server's socket buffer, the client's
  ({RECV_BUFFER}), the session's read-ahead ({UI_READ_AHEAD}) and the unacknowledged window
  (what the tab draws in {DRAIN_WINDOW}, {MIN_WINDOW} to {HIGH_WATER}, from its measured drain
  rate). The server's buffer is the one part the client cannot size.
- App memory is PSS (shared pages divided among their users) summed over the app and its WebKit
  processes; most of the web process is WebKit's, JavaScriptCore's and Mesa's code, which other
  WebKitGTK programs on a desktop share.

## Files

`bench/results/` holds one summary per run (`<UTC time>.json`, schema 2: per scenario the
medians, percentiles and throughput, the tool versions and the machine; no raw samples) and
`latest.json` / `latest.md` for the newest; the app bench writes `app-<UTC time>.json`,
`app-latest.json` and `app-latest.md`.
";

/// Picks one kind of throughput figure from a client's summary.
type Pick = fn(&ClientSummary) -> &Measured<Rate>;

/// The Markdown table under construction.
struct Table<'a> {
    r: &'a Summary,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    notes: Vec<String>,
}

fn ratio_cell(rs: &[Option<f64>]) -> String {
    if rs.is_empty() {
        return "—".into();
    }
    rs.iter()
        .map(|r| r.map_or("?".into(), |r| format!("{r:.2}×")))
        .collect::<Vec<_>>()
        .join(" / ")
}

impl<'a> Table<'a> {
    fn new(r: &'a Summary) -> Self {
        let mut header = vec!["what".to_string(), "podterm".to_string()];
        header.extend(r.kubectls().map(|k| k.label.clone()));
        header.push("ratio".into());
        header.push("target".into());
        Table {
            r,
            header,
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// podterm first, then each kubectl.
    fn clients(&self) -> Vec<&'a ClientSummary> {
        let mut clients: Vec<&ClientSummary> = self.r.podterm().into_iter().collect();
        clients.extend(self.r.kubectls());
        clients
    }

    /// A row with one number per client.
    fn row(
        &mut self,
        what: &str,
        value: impl Fn(&ClientSummary) -> Option<f64>,
        fmt: impl Fn(f64) -> String,
        with_ratio: bool,
        target: String,
        error: impl Fn(&ClientSummary) -> Option<String>,
    ) {
        let mut cells = vec![what.to_string()];
        for c in self.clients() {
            cells.push(match (value(c), error(c)) {
                (Some(v), _) => fmt(v),
                (None, Some(e)) => {
                    self.notes
                        .push(format!("{} / {}: {e}", what.trim(), c.label));
                    "FAILED".into()
                }
                (None, None) => "—".into(),
            });
        }
        cells.push(if with_ratio {
            ratio_cell(&self.r.ratios(&value))
        } else {
            "—".into()
        });
        cells.push(target);
        self.rows.push(cells);
    }

    /// A row with a pair of numbers per client; the ratio is of the first.
    fn row2(
        &mut self,
        what: &str,
        value: impl Fn(&ClientSummary) -> Option<(f64, f64)>,
        fmt: impl Fn((f64, f64)) -> String,
        target: String,
        error: impl Fn(&ClientSummary) -> Option<String>,
    ) {
        let first = |c: &ClientSummary| value(c).map(|v| v.0);
        let mut cells = vec![what.to_string()];
        for c in self.clients() {
            cells.push(match (value(c), error(c)) {
                (Some(v), _) => fmt(v),
                (None, Some(e)) => {
                    self.notes.push(format!("{what} / {}: {e}", c.label));
                    "FAILED".into()
                }
                (None, None) => "—".into(),
            });
        }
        cells.push(ratio_cell(&self.r.ratios(first)));
        cells.push(target);
        self.rows.push(cells);
    }

    /// A podterm-only row (engine figures, the ceiling).
    fn engine_row(&mut self, what: &str, value: String, target: String) {
        let mut cells = vec![what.to_string(), value];
        cells.extend(self.r.kubectls().map(|_| "—".to_string()));
        cells.push("—".into());
        cells.push(target);
        self.rows.push(cells);
    }

    fn render(&self) -> String {
        let line = |cells: &[String]| {
            format!(
                "| {} |\n",
                cells
                    .iter()
                    .map(|c| c.replace('|', "\\|"))
                    .collect::<Vec<_>>()
                    .join(" | ")
            )
        };
        let mut s = line(&self.header);
        s.push_str(&line(
            &self
                .header
                .iter()
                .map(|_| "---".to_string())
                .collect::<Vec<_>>(),
        ));
        for r in &self.rows {
            s.push_str(&line(r));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ceiling::CeilingRun;
    use crate::clients::TimeUsage;
    use crate::throughput::TransferRun;
    use std::path::PathBuf;
    use std::time::Duration;

    fn throughput(bytes: u64, rates: &[f64]) -> Figure<Throughput> {
        let runs = rates
            .iter()
            .map(|r| TransferRun {
                bytes,
                wall_s: bytes as f64 / 1e6 / r,
                mb_per_s: *r,
                time: Some(TimeUsage {
                    elapsed_s: 1.0,
                    user_s: 0.1,
                    sys_s: 0.2,
                    max_rss_kib: 25_000,
                }),
            })
            .collect();
        Figure::from_result(Throughput::from_runs(bytes, runs))
    }

    fn latency(base_ms: f64, n: usize) -> Figure<Latency> {
        let raw = (0..n)
            .map(|i| Duration::from_secs_f64((base_ms + i as f64 * 0.001) / 1e3))
            .collect();
        Figure::from_result(Latency::from_samples(raw, 20))
    }

    fn client(kind: &'static str, version: &str, rate: f64, start_ms: f64) -> ClientResults {
        ClientResults {
            client: Client {
                kind,
                path: PathBuf::from(format!("/usr/bin/{kind}")),
                version: version.into(),
            },
            stdout_pipe: throughput(512 << 20, &[rate, rate * 1.1, rate * 0.9, rate, rate]),
            stdout_tty: throughput(512 << 20, &[rate / 10.0; 3]),
            stdin_pipe: throughput(256 << 20, &[rate / 2.0; 5]),
            echo: latency(0.2, 1020),
            exec_true: Figure::Ok(Startup {
                runs: 15,
                median_ms: start_ms,
                p90_ms: start_ms + 1.0,
                min_ms: start_ms - 1.0,
                max_ms: start_ms + 2.0,
                raw_ms: vec![start_ms; 15],
            }),
        }
    }

    fn ceiling(tty: bool, rate: f64, runs: usize) -> Figure<Ceiling> {
        Figure::Ok(Ceiling {
            tty,
            bytes_per_run: 512 << 20,
            mb_per_s: rate,
            runs: (0..runs)
                .map(|i| CeilingRun {
                    bytes: 512 << 20,
                    wall_s: 0.6,
                    mb_per_s: rate + i as f64,
                    frames: 18_000,
                })
                .collect(),
        })
    }

    /// A full run's results with as many samples as a default `make bench` takes.
    fn results() -> Results {
        Results {
            started_at: "2026-11-28T01:33:03Z".into(),
            finished_at: "2026-11-28T01:34:48Z".into(),
            duration_s: 104.7,
            parameters: Parameters {
                reps: 5,
                tty_reps: 3,
                stdout_bytes: 512 << 20,
                tty_bytes: 512 << 20,
                stdin_bytes: 256 << 20,
                echo_keys: 1000,
                echo_warmup: 20,
                exec_true_runs: 15,
                sessions: 500,
                sessions_limit_s: 180,
                mb: "10^6 bytes".into(),
            },
            machine: Machine {
                nproc: 2,
                cpu_model: Some("AMD EPYC".into()),
                kernel: Some("6.18".into()),
                os: Some("Debian GNU/Linux 12 (bookworm)".into()),
                mem_total_mb: Some(25_000.0),
                nofile_limit_before: Some(20_000),
                nofile_limit: Some(20_000),
            },
            versions: Versions {
                podterm: "podterm 0.1.0".into(),
                testcluster: "testcluster 0.1.0".into(),
                kubectls: vec!["v1.37.1 (/usr/bin/kubectl)".into()],
                git_commit: Some("5fea4e6de7452a631e957eb56beb3c9a6e7ecd73".into()),
                git_dirty: Some(false),
                rustc: Some("rustc 1.95.0".into()),
                time_bin: Some("/usr/bin/time".into()),
            },
            kubectl_notes: Vec::new(),
            ceiling: ceiling(false, 818.0, 5),
            ceiling_tty: ceiling(true, 113.0, 3),
            ceiling_stdin: ceiling(false, 400.0, 5),
            local_pty: throughput(512 << 20, &[60.0, 62.0, 58.0]),
            local_pty_write: 4096,
            bare_tty: throughput(512 << 20, &[50.0, 52.0, 48.0]),
            clients: vec![
                client("podterm", "podterm 0.1.0", 939.0, 9.0),
                client("kubectl", "v1.37.1", 680.0, 45.0),
                ClientResults {
                    exec_true: Figure::Failed {
                        error: "run 3: exited 1".into(),
                    },
                    ..client("kubectl", "v1.32.4", 684.0, 49.0)
                },
            ],
            engine_echo: latency(0.1, 1020),
            sessions: Figure::Ok(Sessions {
                sessions: 500,
                bytes_per_session: 16 << 10,
                frames_per_session: 4,
                wall_s: 2.97,
                limit_s: 180,
                ok: 500,
                bytes_wrong: 0,
                failed: 0,
                unfinished: 0,
                connect_p50_ms: Some(300.0),
                connect_p99_ms: Some(960.0),
                session_p50_ms: Some(2267.0),
                session_p99_ms: Some(2932.0),
                rss_peak_mb: Some(104.3),
                rss_peak_reset: true,
                rss_before_mb: Some(11.9),
                cpu_s: Some(0.34),
                cpu_user_s: Some(0.18),
                cpu_sys_s: Some(0.16),
                errors: (0..10).map(|i| format!("session {i}: reset")).collect(),
            }),
        }
    }

    #[test]
    fn the_summary_stays_small_and_keeps_every_figure() {
        let r = results();
        let summary = r.summary();
        let json = summary.to_json().expect("a summary encodes");
        let lines = json.lines().count();
        assert!(lines < 150, "the summary is {lines} lines:\n{json}");
        assert!(json.len() < 12_000, "the summary is {} bytes", json.len());
        // No sample lists: 1000 echo samples per client went in, none came out.
        assert!(!json.contains("raw_ms"), "{json}");
        let longest_list = json
            .lines()
            .filter_map(|l| l.split_once('[').map(|(_, rest)| rest.matches(',').count()))
            .max()
            .unwrap_or(0);
        assert!(longest_list < 10, "a list of {longest_list} items:\n{json}");

        // It reads back as what was written, figures and failures alike.
        let back: Summary = serde_json::from_str(&json).expect("a summary decodes");
        assert_eq!(back.to_json().expect("encodes again"), json);
        assert_eq!(back.schema, SCHEMA);
        assert_eq!(back.clients.len(), 3);
        let podterm = &back.clients[0];
        let rate = podterm.stdout_pipe.ok().expect("podterm's stdout figure");
        assert_eq!((rate.runs, rate.mb_per_s), (5, 939.0));
        assert_eq!((rate.min_mb_per_s, rate.max_mb_per_s), (845.1, 1032.9));
        let echo = back.engine_echo.ok().expect("the engine's echo");
        assert_eq!(
            (echo.samples, echo.p50_ms, echo.p99_ms),
            (1000, 0.619, 1.109)
        );
        assert_eq!(podterm.echo.ok().map(|e| e.samples), Some(1000));
        assert_eq!(back.clients[2].exec_true.error(), Some("run 3: exited 1"));
        let errors = back.sessions.ok().map(|s| s.errors.len());
        assert_eq!(errors, Some(SESSION_ERRORS_KEPT));
        assert_eq!(back.targets.len(), 6);
    }

    #[test]
    fn the_readme_renders_from_a_summary_read_back() {
        let json = results().summary().to_json().expect("a summary encodes");
        let summary: Summary = serde_json::from_str(&json).expect("a summary decodes");
        let app = "# The desktop app on testcluster\n\n2026-11-28 · 2 cores\n\n\
                   | what | podterm app |\n| --- | --- |\n| idle app: PSS (MB) | 248.3 |\n";
        let md = readme(Some(&summary), Some(app), None, None, None);
        assert!(md.starts_with("# Benchmarks\n"), "{md}");
        assert_eq!(md.matches("\n# ").count(), 0, "one top heading only:\n{md}");
        assert!(
            md.contains("| what | podterm | kubectl v1.37.1 | kubectl v1.32.4 | ratio | target |"),
            "{md}"
        );
        assert!(
            md.contains("| stdout, no TTY, 512 MiB: MB/s | 939 | 680 | 684 |"),
            "{md}"
        );
        assert!(
            md.contains("within 10% of the raw ceiling: **met**"),
            "{md}"
        );
        // TTY: 93.9 MB/s against the lowest ceiling, the bare client's 50 (the local PTY's 60,
        // the remote one's 113).
        assert!(
            md.contains(
                "| ≥ 1.5× kubectl (aim 1.7×), or within 10% of the lowest PTY ceiling: **met** |"
            ),
            "{md}"
        );
        assert!(
            md.contains("| both PTYs ceiling (a bare client between them: the raw WebSocket with `tty=true`, each read written to a local PTY), 512 MiB: MB/s | 50 |"),
            "{md}"
        );
        assert!(
            md.contains("| local PTY ceiling (`dd` writing 4 KiB at a time into a raw-mode PTY, no network), 512 MiB: MB/s | 60 |"),
            "{md}"
        );
        assert!(
            md.contains("| raw WebSocket ceiling, stdin→stdout (`cat`), 256 MiB: MB/s | 400 |"),
            "{md}"
        );
        assert!(md.contains("share of it: podterm 117%"), "{md}");
        assert!(md.contains("≤ ¼ of kubectl's: **unknown**"), "{md}");
        assert!(md.contains("echo in the engine"), "{md}");
        assert!(
            md.contains("exec shell -- true`: median / p90 (ms) | 9 / 10 | 45 / 46 | FAILED"),
            "{md}"
        );
        assert!(
            md.contains(
                "- `exec shell -- true`: median / p90 (ms) / kubectl v1.32.4: run 3: exited 1"
            ),
            "{md}"
        );
        assert!(md.contains("· commit 5fea4e6de745\n"), "{md}");
        // The app's report, under this README's own section heading.
        assert!(
            md.contains(&format!(
                "## The desktop app (`{APP_BENCH}`)\n\n2026-11-28 · 2 cores"
            )),
            "{md}"
        );
        assert!(md.contains("| idle app: PSS (MB) | 248.3 |"), "{md}");
        assert!(!md.contains("{APP_BENCH}"), "{md}");
        // The engine's buffer sizes come from the engine's constants.
        let in_flight = format!(
            "the client's\n  ({}), the session's read-ahead ({}) and the unacknowledged window\n  \
             (what the tab draws in {} ms, {} to {}, from its measured drain",
            size(podterm_core::cluster::RECV_BUFFER),
            size(podterm_core::terminal::TERMINAL_READ_AHEAD),
            podterm_core::flow::DRAIN_WINDOW.as_millis(),
            size(podterm_core::flow::MIN_WINDOW),
            size(podterm_core::flow::HIGH_WATER)
        );
        assert!(md.contains(&in_flight), "{md}");
        assert!(
            !md.contains("{RECV_BUFFER}")
                && !md.contains("{HIGH_WATER}")
                && !md.contains("{MIN_WINDOW}")
                && !md.contains("{DRAIN_WINDOW}"),
            "{md}"
        );
        assert_eq!(
            (size(1 << 20), size(256 << 10), size(100)),
            ("1 MiB".into(), "256 KiB".into(), "100 bytes".into())
        );

        // Without app results it says how to get them; without any, how to run the bench.
        let md = readme(Some(&summary), None, None, None, None);
        assert!(
            md.contains("No results yet: run `make bench` (it runs this"),
            "{md}"
        );
        let md = readme(None, None, None, None, None);
        assert!(md.contains("No results yet: run `make bench`.\n"), "{md}");
    }

    #[test]
    fn the_committed_latest_results_are_a_small_summary() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../bench/results/latest.json");
        let text = std::fs::read_to_string(&path).expect("bench/results/latest.json is committed");
        let summary: Summary = serde_json::from_str(&text).expect("latest.json is a summary");
        assert_eq!(summary.schema, SCHEMA);
        assert!(
            text.lines().count() < 300,
            "{} is {} lines",
            path.display(),
            text.lines().count()
        );
        // Written by this code, it reads back to the same text.
        assert_eq!(summary.to_json().expect("encodes"), text);
        assert!(readme(Some(&summary), None, None, None, None)
            .contains("| stdout, no TTY, 512 MiB: MB/s |"));
    }

    #[test]
    fn compact_json_puts_each_flat_object_on_one_line() {
        let v = serde_json::json!({
            "a": { "x": 1, "y": "two" },
            "b": [1, 2, 3],
            "c": [{ "z": null }, { "z": true }],
            "d": {},
        });
        let text = compact_json(&v);
        assert_eq!(
            text,
            "{\n  \"a\": { \"x\": 1, \"y\": \"two\" },\n  \"b\": [1, 2, 3],\n  \"c\": [\n    { \"z\": null },\n    { \"z\": true }\n  ],\n  \"d\": {}\n}\n"
        );
        let back: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(back, v);
    }
}
