//! Everything measured, as JSON (raw figures, versions, machine facts) and as a Markdown table
//! against DESIGN.md's targets. Ratios are always podterm ÷ kubectl.

use crate::ceiling::Ceiling;
use crate::clients::Client;
use crate::procstat::Machine;
use crate::sessions::Sessions;
use crate::startup::Startup;
use crate::stats::{Figure, Latency};
use crate::throughput::Throughput;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
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
    pub mb: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Versions {
    pub podterm: String,
    pub testcluster: String,
    pub kubectls: Vec<String>,
    pub git_commit: Option<String>,
    pub git_dirty: Option<bool>,
    pub rustc: Option<String>,
    pub time_bin: Option<String>,
}

/// One client's figures; `clients[0]` is podterm.
#[derive(Debug, Clone, Serialize)]
pub struct ClientResults {
    pub client: Client,
    pub stdout_pipe: Figure<Throughput>,
    pub stdout_tty: Figure<Throughput>,
    pub stdin_pipe: Figure<Throughput>,
    pub echo: Figure<Latency>,
    pub exec_true: Figure<Startup>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetCheck {
    pub what: String,
    pub target: String,
    /// None when the figures needed are missing.
    pub met: Option<bool>,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub schema: u32,
    pub started_at: String,
    pub finished_at: String,
    pub duration_s: f64,
    pub testcluster_url: String,
    pub parameters: Parameters,
    pub machine: Machine,
    pub versions: Versions,
    pub kubectl_notes: Vec<String>,
    pub ceiling: Figure<Ceiling>,
    pub ceiling_tty: Figure<Ceiling>,
    pub clients: Vec<ClientResults>,
    pub engine_echo: Figure<Latency>,
    pub sessions: Figure<Sessions>,
    pub targets: Vec<TargetCheck>,
}

impl Results {
    fn podterm(&self) -> Option<&ClientResults> {
        self.clients.iter().find(|c| c.client.is_podterm())
    }

    fn kubectls(&self) -> impl Iterator<Item = &ClientResults> {
        self.clients.iter().filter(|c| !c.client.is_podterm())
    }

    /// podterm ÷ each kubectl for a figure.
    fn ratios(&self, f: impl Fn(&ClientResults) -> Option<f64>) -> Vec<Option<f64>> {
        let p = self.podterm().and_then(&f);
        self.kubectls()
            .map(|k| match (p, f(k)) {
                (Some(p), Some(k)) if k > 0.0 => Some(p / k),
                _ => None,
            })
            .collect()
    }

    /// Checks DESIGN.md's targets against the figures.
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

        let rs = self.ratios(|c| c.stdout_tty.ok().map(|t| t.mb_per_s));
        out.push(TargetCheck {
            what: "stdout throughput, TTY".into(),
            target: "≥ 1.5× kubectl (aim 1.7×)".into(),
            met: all_at_least(&rs, 1.5),
            detail: format!("ratios {}", show(&rs)),
        });

        let rs = self.ratios(|c| c.stdin_pipe.ok().map(|t| t.mb_per_s));
        out.push(TargetCheck {
            what: "stdin→stdout throughput".into(),
            target: "≥ 1.2× kubectl".into(),
            met: all_at_least(&rs, 1.2),
            detail: format!("ratios {}", show(&rs)),
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

    /// The Markdown report: heading, facts, the table, notes.
    pub fn markdown(&self) -> String {
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
                Figure::Ok(e) => format!("{:.3} / {:.3}", e.p50_ms, e.p99_ms),
                Figure::Failed { .. } => "FAILED".into(),
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
            Figure::Ok(s) => {
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
            Figure::Failed { error } => {
                t.engine_row(
                    &format!("{n} concurrent sessions"),
                    "FAILED".into(),
                    self.target("concurrent sessions in one engine"),
                );
                t.notes.push(format!("{n} sessions: {error}"));
            }
        }
        let ceilings: [(&str, &Figure<Ceiling>, u64, Pick); 2] = [
            ("no TTY", &self.ceiling, self.parameters.stdout_bytes, |c| {
                &c.stdout_pipe
            }),
            (
                "`tty=true` (remote PTY only)",
                &self.ceiling_tty,
                self.parameters.tty_bytes,
                |c| &c.stdout_tty,
            ),
        ];
        for (name, fig, bytes, get) in ceilings {
            let (cell, shares) = match fig {
                Figure::Ok(c) => {
                    let shares = self
                        .clients
                        .iter()
                        .map(|k| {
                            let share = get(k)
                                .ok()
                                .map(|x| format!("{:.0}%", 100.0 * x.mb_per_s / c.mb_per_s));
                            format!("{} {}", k.client.label(), share.as_deref().unwrap_or("?"))
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    (format!("{:.0}", c.mb_per_s), shares)
                }
                Figure::Failed { error } => {
                    t.notes.push(format!("raw ceiling, {name}: {error}"));
                    ("FAILED".into(), String::new())
                }
            };
            t.engine_row(
                &format!("raw WebSocket ceiling, {name}, {:.0} MiB: MB/s", mib(bytes)),
                cell,
                format!("reference; share of it: {shares}"),
            );
        }

        let m = &self.machine;
        let mut s = String::new();
        s.push_str("# podterm vs kubectl on testcluster\n\n");
        s.push_str(&format!(
            "{} · {} · {} cores ({}) · kernel {} · {}\n\n",
            self.started_at,
            self.versions.podterm,
            m.nproc,
            m.cpu_model.as_deref().unwrap_or("?"),
            m.kernel.as_deref().unwrap_or("?"),
            self.versions
                .git_commit
                .as_deref()
                .map(|c| format!(
                    "commit {}{}",
                    &c[..c.len().min(12)],
                    if self.versions.git_dirty == Some(true) {
                        " (uncommitted changes)"
                    } else {
                        ""
                    }
                ))
                .unwrap_or_default()
        ));
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
}

/// Picks one kind of throughput figure from a client's results.
type Pick = fn(&ClientResults) -> &Figure<Throughput>;

/// The Markdown table under construction.
struct Table<'a> {
    r: &'a Results,
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
    fn new(r: &'a Results) -> Self {
        let mut header = vec!["what".to_string(), "podterm".to_string()];
        header.extend(r.kubectls().map(|k| k.client.label()));
        header.push("ratio".into());
        header.push("target".into());
        Table {
            r,
            header,
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// A row with one number per client.
    fn row(
        &mut self,
        what: &str,
        value: impl Fn(&ClientResults) -> Option<f64>,
        fmt: impl Fn(f64) -> String,
        with_ratio: bool,
        target: String,
        error: impl Fn(&ClientResults) -> Option<String>,
    ) {
        let mut cells = vec![what.to_string()];
        let mut clients: Vec<&ClientResults> = self.r.podterm().into_iter().collect();
        clients.extend(self.r.kubectls());
        for c in clients {
            cells.push(match (value(c), error(c)) {
                (Some(v), _) => fmt(v),
                (None, Some(e)) => {
                    self.notes
                        .push(format!("{} / {}: {e}", what.trim(), c.client.label()));
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
        value: impl Fn(&ClientResults) -> Option<(f64, f64)>,
        fmt: impl Fn((f64, f64)) -> String,
        target: String,
        error: impl Fn(&ClientResults) -> Option<String>,
    ) {
        let first = |c: &ClientResults| value(c).map(|v| v.0);
        let mut cells = vec![what.to_string()];
        let mut clients: Vec<&ClientResults> = self.r.podterm().into_iter().collect();
        clients.extend(self.r.kubectls());
        for c in clients {
            cells.push(match (value(c), error(c)) {
                (Some(v), _) => fmt(v),
                (None, Some(e)) => {
                    self.notes
                        .push(format!("{what} / {}: {e}", c.client.label()));
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
