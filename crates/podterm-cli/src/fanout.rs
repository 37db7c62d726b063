//! `podterm exec --all`: the printing side of `podterm_core::fanout`. Each line leaves with a
//! `[pod/NAME/CONTAINER] ` prefix (`podterm logs --prefix`'s, so one grep serves both, and the
//! container is named because each pod's default container is chosen on its own), on stdout or
//! stderr as the pod wrote it, and the summary of exit codes goes to stderr at the end.

use crate::exec::ExecArgs;
use crate::failure::Failure;
use crate::session::tuning_from_env;
use crate::term;
use podterm_core::cluster::{within, Cluster};
use podterm_core::fanout::{self, End, Job, Line, Plan, Skip, Stream};
use podterm_core::pods::PodTarget;
use podterm_core::text;
use std::io::Write;

/// The colours of the prefixes on a terminal, one per pod in turn (no red: it reads as an error).
const COLOURS: [&str; 10] = ["32", "33", "34", "35", "36", "92", "93", "94", "95", "96"];

pub async fn exec_all(
    a: ExecArgs,
    cluster: &Cluster,
    target: &PodTarget,
    limit: Option<std::time::Duration>,
) -> Result<i32, Failure> {
    if a.stdin || a.tty {
        return Err(Failure::new(
            "--all runs the command in many pods at once, without a terminal and without stdin: leave out -i and -t (or exec into one pod)",
        ));
    }
    if a.record.record.is_some() {
        return Err(Failure::new(
            "--record records one terminal session; --all runs many at once: leave out --record (or record one pod's session without --all)",
        ));
    }
    if a.command.is_empty() {
        return Err(Failure::new(
            "--all needs a command after --: without stdin a shell in each pod would end at once (e.g. podterm exec deploy/web --all -- hostname)",
        ));
    }
    let concurrency = a
        .max_concurrency
        .unwrap_or(podterm_core::fanout::DEFAULT_CONCURRENCY);
    if concurrency == 0 {
        return Err(fanout::FanoutError::NoConcurrency.into());
    }
    let stop = stop_signals();
    tokio::pin!(stop);
    let listed = within(
        limit,
        fanout::plan(
            &cluster.client,
            &cluster.namespace,
            target,
            a.container.as_deref(),
        ),
    );
    let plan = tokio::select! {
        plan = listed => plan?,
        _ = &mut stop => return Ok(130),
    };
    let job = Job {
        command: a.command.clone(),
        concurrency,
        tuning: podterm_core::exec::Tuning {
            request_timeout: limit,
            ..tuning_from_env(cluster.liveness)
        },
    };
    let colour = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let prefixes = Prefixes::new(
        &plan,
        colour && term::stdout_is_terminal(),
        colour && term::stderr_is_terminal(),
    );
    let (tx, rx) = tokio::sync::mpsc::channel(fanout::QUEUE);
    let writer = tokio::task::spawn_blocking(move || write_lines(rx, &prefixes));
    let report = fanout::run(&cluster.client, &plan, &job, tx, &mut stop).await;
    // Every line is out before the summary.
    let _ = writer.await;
    let code = report.exit_code();
    let quiet_ok = a.quiet
        && report
            .ends
            .iter()
            .all(|e| matches!(e, End::Exited(0) | End::Skipped(Skip::NotReady(_))));
    if !quiet_ok {
        eprint!("{}", summary(&plan, &report.ends, code));
    }
    Ok(code)
}

/// Completes on Ctrl-C, SIGTERM or SIGHUP. The handlers are installed now, before any session
/// starts, so a Ctrl-C never finds the default action (which would end the process without
/// the summary).
fn stop_signals() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, Signal, SignalKind};
    async fn recv(s: Option<&mut Signal>) {
        match s {
            Some(s) => {
                s.recv().await;
            }
            None => std::future::pending().await,
        }
    }
    let mut int = signal(SignalKind::interrupt()).ok();
    let mut term = signal(SignalKind::terminate()).ok();
    let mut hup = signal(SignalKind::hangup()).ok();
    async move {
        tokio::select! {
            _ = recv(int.as_mut()) => {}
            _ = recv(term.as_mut()) => {}
            _ = recv(hup.as_mut()) => {}
        }
    }
}

/// Each pod's prefix, coloured (per stream) only on a terminal.
struct Prefixes {
    out: Vec<Vec<u8>>,
    err: Vec<Vec<u8>>,
}

impl Prefixes {
    fn new(plan: &Plan, colour_out: bool, colour_err: bool) -> Self {
        let make = |colour: bool| {
            plan.members
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let name = name(m);
                    if colour {
                        format!("\x1b[{}m{name}\x1b[0m ", COLOURS[i % COLOURS.len()]).into_bytes()
                    } else {
                        format!("{name} ").into_bytes()
                    }
                })
                .collect()
        };
        Prefixes {
            out: make(colour_out),
            err: make(colour_err),
        }
    }
}

/// `[pod/NAME/CONTAINER]`, the names escaped (they come from the server).
fn name(m: &fanout::Member) -> String {
    format!(
        "[pod/{}/{}]",
        text::shown(&m.pod),
        text::shown(&m.container)
    )
}

/// Writes each line whole, prefixed, to stdout or stderr; flushes when no line waits and before
/// switching streams, so a terminal showing both sees them in the order they came. A stream that
/// is closed (`| head`) is written no more; the other goes on.
fn write_lines(mut rx: tokio::sync::mpsc::Receiver<Line>, prefixes: &Prefixes) {
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, std::io::stdout().lock());
    let mut err = std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr().lock());
    let (mut out_ok, mut err_ok) = (true, true);
    let mut last = Stream::Stdout;
    let mut next = rx.blocking_recv();
    while let Some(line) = next {
        if line.stream != last {
            let _ = match last {
                Stream::Stdout => out.flush(),
                Stream::Stderr => err.flush(),
            };
            last = line.stream;
        }
        let (w, ok, prefix): (&mut dyn Write, &mut bool, _) = match line.stream {
            Stream::Stdout => (&mut out, &mut out_ok, &prefixes.out),
            Stream::Stderr => (&mut err, &mut err_ok, &prefixes.err),
        };
        if *ok {
            let p = prefix.get(line.member).map(Vec::as_slice).unwrap_or(b"");
            *ok = w
                .write_all(p)
                .and_then(|_| w.write_all(&line.text))
                .and_then(|_| w.write_all(b"\n"))
                .is_ok();
        }
        next = match rx.try_recv() {
            Ok(l) => Some(l),
            Err(_) => {
                out_ok = out_ok && out.flush().is_ok();
                err_ok = err_ok && err.flush().is_ok();
                rx.blocking_recv()
            }
        };
    }
    let _ = out.flush();
    let _ = err.flush();
}

/// The summary: one row per pod (its code or why not), then the counts and the exit code.
fn summary(plan: &Plan, ends: &[End], code: i32) -> String {
    let names: Vec<String> = plan.members.iter().map(name).collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let mut s = String::new();
    let (mut ok, mut nonzero, mut failed, mut not_ready, mut interrupted) = (0, 0, 0, 0, 0);
    for (n, e) in names.iter().zip(ends) {
        let what = match e {
            End::Exited(0) => {
                ok += 1;
                "exit 0".to_string()
            }
            End::Exited(c) => {
                nonzero += 1;
                format!("exit {c}")
            }
            End::Skipped(Skip::NotReady(why)) => {
                not_ready += 1;
                format!("not run: {why}")
            }
            End::Skipped(Skip::Unusable(why)) => {
                failed += 1;
                format!("not run: {why}")
            }
            End::Failed(why) => {
                failed += 1;
                format!("failed: {why}")
            }
            End::Interrupted => {
                interrupted += 1;
                "interrupted".to_string()
            }
        };
        s.push_str(&format!("{n:<width$}  {}\n", text::message(&what)));
    }
    let mut counts = vec![format!("{ok} exited 0")];
    for (n, words) in [
        (nonzero, "exited non-zero"),
        (failed, "failed"),
        (not_ready, "not Ready (skipped)"),
        (interrupted, "interrupted"),
    ] {
        if n > 0 {
            counts.push(format!("{n} {words}"));
        }
    }
    let pods = if ends.len() == 1 { "pod" } else { "pods" };
    s.push_str(&format!(
        "{} {pods}: {}; exit code {code}\n",
        ends.len(),
        counts.join(", ")
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use podterm_core::fanout::Member;

    #[test]
    fn the_summary_names_each_pod_and_escapes_names() {
        let plan = Plan {
            namespace: "demo".into(),
            members: vec![
                Member {
                    pod: "a".into(),
                    container: "web".into(),
                    skip: None,
                },
                Member {
                    pod: "b\x1b]0;x\x07".into(),
                    container: "web".into(),
                    skip: None,
                },
                Member {
                    pod: "c".into(),
                    container: "web".into(),
                    skip: Some(Skip::NotReady("Pending".into())),
                },
            ],
        };
        let ends = [
            End::Exited(0),
            End::Exited(7),
            End::Skipped(Skip::NotReady("Pending".into())),
        ];
        let s = summary(&plan, &ends, 7);
        assert!(!s.contains('\x1b'), "{s:?}");
        assert!(s.contains("[pod/a/web]"), "{s}");
        assert!(s.contains("exit 7"), "{s}");
        assert!(s.contains("not run: Pending"), "{s}");
        assert!(
            s.ends_with(
                "3 pods: 1 exited 0, 1 exited non-zero, 1 not Ready (skipped); exit code 7\n"
            ),
            "{s}"
        );
        // One pod is one pod.
        let one = Plan {
            namespace: plan.namespace.clone(),
            members: vec![Member {
                pod: "a".into(),
                container: "web".into(),
                skip: None,
            }],
        };
        assert!(
            summary(&one, &[End::Exited(0)], 0).ends_with("1 pod: 1 exited 0; exit code 0\n"),
            "{}",
            summary(&one, &[End::Exited(0)], 0)
        );
        let p = Prefixes::new(&plan, false, true);
        assert_eq!(p.out[0], b"[pod/a/web] ");
        assert!(!p.out[1].contains(&0x1b));
        assert!(p.err[0].starts_with(b"\x1b[32m"));
    }
}
