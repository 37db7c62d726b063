//! `-v N` (kubectl's `-v` / `--v`): a log on stderr of what podterm does, in kubectl's line
//! format (`I1207 08:37:04.997864    8127 http] GET https://… 200 OK in 2 milliseconds`).
//!
//! - 1 to 5: the engine's warnings.
//! - 6: the kubeconfig files read (or the saved profile), each request to the API server with
//!   its status and time ([`podterm_core::httplog`]), and the engine's own notes (a request sent
//!   again after its connection closed, a watch that broke and came back).
//! - 7: the headers of each request too, credentials masked.
//! - 8 and up: the headers of each answer too.
//!
//! Bodies are never logged; the log never holds a credential (the engine masks them).

use podterm_core::httplog::{REQUESTS, REQUEST_HEADERS, RESPONSE_HEADERS};
use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The level from which requests are logged, as in kubectl.
pub const REQUESTS_FROM: u8 = 6;

/// Starts the log at `level` (nothing at 0).
pub fn install(level: u8) {
    if level == 0 {
        return;
    }
    // Only fails when a subscriber is already set, which nothing else in the CLI does.
    let _ = tracing_subscriber::registry()
        .with(filter(level))
        .with(Klog)
        .try_init();
}

/// What each level shows (see the module's description).
fn filter(level: u8) -> Targets {
    let engine = if level >= REQUESTS_FROM {
        Level::DEBUG
    } else {
        Level::WARN
    };
    let mut t = Targets::new().with_target("podterm_core", engine);
    if level >= REQUESTS_FROM {
        t = t.with_target(REQUESTS, Level::DEBUG);
    }
    if level > REQUESTS_FROM {
        t = t.with_target(REQUEST_HEADERS, Level::TRACE);
    }
    if level >= REQUESTS_FROM + 2 {
        t = t.with_target(RESPONSE_HEADERS, Level::TRACE);
    }
    t
}

/// Each event as one line of kubectl's (klog's) format, on stderr.
struct Klog;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Klog {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        use std::io::Write as _;
        // One write, so the line is never split by another writer of stderr (a session's).
        let mut line = line(event, &jiff::Zoned::now(), std::process::id());
        line.push('\n');
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// `event` as klog writes a line: severity, date and time, process id, where, message; its
/// fields after the message as `name=value`. Cut and escaped as any message ([`podterm_core::text`]).
fn line(event: &tracing::Event<'_>, now: &jiff::Zoned, pid: u32) -> String {
    let meta = event.metadata();
    let severity = match *meta.level() {
        Level::ERROR => 'E',
        Level::WARN => 'W',
        _ => 'I',
    };
    let mut fields = Fields::default();
    event.record(&mut fields);
    podterm_core::text::message(&format!(
        "{severity}{} {pid:>7} {}] {}{}",
        now.strftime("%m%d %H:%M:%S%.6f"),
        source(meta.target()),
        fields.message,
        fields.rest
    ))
}

/// Where a line comes from, in a word: `http` for the requests, else the engine's module.
fn source(target: &str) -> &str {
    let rest = target
        .strip_prefix("podterm::")
        .or_else(|| target.strip_prefix("podterm_core::"))
        .unwrap_or(target);
    rest.split("::").next().unwrap_or(rest)
}

/// An event's message and its other fields.
#[derive(Default)]
struct Fields {
    message: String,
    rest: String,
}

impl tracing::field::Visit for Fields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.rest.push_str(&format!(" {}={value:?}", field.name()));
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message.push_str(&format!("{value:?}"));
        } else {
            self.rest.push_str(&format!(" {}={value:?}", field.name()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_level_turns_on_what_kubectl_shows_at_it() {
        let on = |level: u8, target: &str, at: Level| filter(level).would_enable(target, &at);
        for level in 1..=5 {
            assert!(on(level, "podterm_core::browse", Level::WARN));
            assert!(!on(level, "podterm_core::resend", Level::DEBUG));
            assert!(!on(level, REQUESTS, Level::DEBUG));
        }
        assert!(on(6, REQUESTS, Level::DEBUG));
        assert!(on(6, "podterm_core::resend", Level::DEBUG));
        assert!(!on(6, REQUEST_HEADERS, Level::TRACE));
        assert!(on(7, REQUEST_HEADERS, Level::TRACE));
        assert!(!on(7, RESPONSE_HEADERS, Level::TRACE));
        assert!(on(8, RESPONSE_HEADERS, Level::TRACE));
        assert!(on(10, RESPONSE_HEADERS, Level::TRACE));
        // Nothing else (kube's, hyper's own events) at any level.
        assert!(!on(10, "kube_client::client", Level::DEBUG));
    }

    #[test]
    fn a_line_is_klogs_and_says_where_it_came_from() {
        assert_eq!(source(REQUESTS), "http");
        assert_eq!(source(RESPONSE_HEADERS), "http");
        assert_eq!(source("podterm_core::cluster"), "cluster");
        assert_eq!(source("other"), "other");
        let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = out.clone();
        let now: jiff::Zoned = "2026-12-07T08:37:04.997864123+00:00[UTC]"
            .parse()
            .expect("a time");
        let subscriber = tracing_subscriber::registry().with(Capture(seen, now));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "podterm::http", "GET https://api/x 200 OK in 2 milliseconds");
            tracing::warn!(target: "podterm_core::browse", namespace = "web", "pod watch broke\x1b[2J");
        });
        assert_eq!(
            *out.lock().expect("lines"),
            [
                "I1207 08:37:04.997864      42 http] GET https://api/x 200 OK in 2 milliseconds",
                "W1207 08:37:04.997864      42 browse] pod watch broke\\x1b[2J namespace=\"web\"",
            ]
        );
    }

    /// [`line`] of each event, at a fixed time and process id.
    struct Capture(std::sync::Arc<std::sync::Mutex<Vec<String>>>, jiff::Zoned);

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _ctx: tracing_subscriber::layer::Context<'_, S>,
        ) {
            if let Ok(mut lines) = self.0.lock() {
                lines.push(line(event, &self.1, 42));
            }
        }
    }
}
