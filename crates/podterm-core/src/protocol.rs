//! The remote-command wire format over WebSocket (`v5.channel.k8s.io`, `v4.channel.k8s.io`):
//! every binary message starts with a channel byte. Pure functions, no I/O.

use crate::text::{shown_bytes, shown_within};
use serde_json::Value;

pub const STDIN: u8 = 0;
pub const STDOUT: u8 = 1;
pub const STDERR: u8 = 2;
/// A `metav1.Status` in JSON, sent once when the process ends.
pub const STATUS: u8 = 3;
/// `{"Width":W,"Height":H}`.
pub const RESIZE: u8 = 4;
/// v5 only: `[255, channel]` closes that channel (stdin: EOF for the process).
pub const CLOSE: u8 = 255;

/// The negotiated subprotocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// No half-close: stdin cannot be closed without closing the whole connection.
    V4,
    V5,
}

/// How a remote command ended, from the status channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Exit code 0.
    Success,
    /// A non-zero exit code.
    Exit(i32),
    /// The command did not run or the server gave up on it (message as the server wrote it).
    Failure { reason: String, message: String },
}

impl Outcome {
    /// The exit code a command-line client should end with (kubectl's choices).
    pub fn exit_code(&self) -> i32 {
        match self {
            Outcome::Success => 0,
            Outcome::Exit(c) => *c,
            Outcome::Failure { .. } => 1,
        }
    }
}

pub fn resize_frame(cols: u16, rows: u16) -> Vec<u8> {
    let mut v = vec![RESIZE];
    v.extend_from_slice(format!("{{\"Width\":{cols},\"Height\":{rows}}}").as_bytes());
    v
}

pub fn close_stdin_frame() -> Vec<u8> {
    vec![CLOSE, STDIN]
}

/// Reads the status channel's `metav1.Status`. Anything but a clear success or an exit code a
/// process can end with (1..=255) is a [`Outcome::Failure`]: no status a client cannot make
/// sense of ever reads as success. What arrived is quoted escaped and cut
/// ([`crate::text::shown_bytes`]).
pub fn parse_status(bytes: &[u8]) -> Outcome {
    let v: Value = match serde_json::from_slice(bytes) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            let what = if bytes.iter().all(u8::is_ascii_whitespace) {
                "an empty status".to_string()
            } else {
                format!("a status that is not a JSON object: {}", shown_bytes(bytes))
            };
            return Outcome::Failure {
                reason: "InvalidStatus".into(),
                message: format!(
                    "the API server ended the command with {what}; the command's exit code is unknown"
                ),
            };
        }
    };
    if v["status"] == "Success" {
        return Outcome::Success;
    }
    let reason = v["reason"].as_str().unwrap_or("").to_string();
    if reason == "NonZeroExitCode" {
        let code = v["details"]["causes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["reason"] == "ExitCode")
            .map(|c| &c["message"]);
        if let Some(code) = code {
            let text = match code {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            return match text.trim().parse::<i64>() {
                Ok(c @ 1..=255) => Outcome::Exit(c as i32),
                Ok(c) => Outcome::Failure {
                    reason,
                    message: format!(
                        "command terminated with exit code {c}, which is not an exit status a process can end with (1 to 255)"
                    ),
                },
                Err(_) => Outcome::Failure {
                    reason,
                    message: format!(
                        "command terminated with a non-zero exit code the API server wrote as {}",
                        shown_within(&text, 64)
                    ),
                },
            };
        }
    }
    let message = v["message"].as_str().unwrap_or("").to_string();
    if message.trim().is_empty() {
        // Nothing to quote but the status itself.
        return Outcome::Failure {
            message: format!(
                "the command failed and the API server said no more than: {}",
                shown_bytes(bytes)
            ),
            reason,
        };
    }
    Outcome::Failure { reason, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_as_the_kubelet_writes_them() {
        assert_eq!(
            parse_status(br#"{"metadata":{},"status":"Success"}"#),
            Outcome::Success
        );
        let exit = br#"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 7], exit code 7","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"7"}]}}"#;
        assert_eq!(parse_status(exit), Outcome::Exit(7));
        assert_eq!(parse_status(exit).exit_code(), 7);
        let fail = br#"{"metadata":{},"status":"Failure","message":"Internal error occurred: boom","reason":"InternalError","code":500}"#;
        assert_eq!(
            parse_status(fail),
            Outcome::Failure {
                reason: "InternalError".into(),
                message: "Internal error occurred: boom".into()
            }
        );
        assert_eq!(parse_status(b"not json").exit_code(), 1);
    }

    /// Statuses no kubelet writes: none of them may read as success, and each says what came.
    #[test]
    fn odd_statuses_are_failures_that_say_what_arrived() {
        let exit = |code: &str| {
            format!(
                r#"{{"status":"Failure","reason":"NonZeroExitCode","details":{{"causes":[{{"reason":"ExitCode","message":{code}}}]}}}}"#
            )
        };
        let message = |o: Outcome| match o {
            Outcome::Failure { message, .. } => message,
            other => panic!("expected a failure, got {other:?}"),
        };
        assert_eq!(parse_status(exit("\"255\"").as_bytes()), Outcome::Exit(255));
        // A number where the kubelet writes a string is still that number.
        assert_eq!(parse_status(exit("7").as_bytes()), Outcome::Exit(7));
        for (code, words) in [
            ("\"256\"", "exit code 256, which is not an exit status"),
            ("\"0\"", "exit code 0, which is not an exit status"),
            ("\"-1\"", "exit code -1, which is not an exit status"),
            ("\"99999999999\"", "exit code 99999999999, which"),
            ("\"seven\"", "wrote as seven"),
            ("\"\\u001b]0;pwned\\u0007\"", "wrote as \\x1b]0;pwned\\x07"),
        ] {
            let o = parse_status(exit(code).as_bytes());
            assert_eq!(o.exit_code(), 1, "{code}");
            let m = message(o);
            assert!(m.contains(words), "{code}: {m}");
        }
        assert!(message(parse_status(b"")).contains("an empty status"));
        assert!(message(parse_status(b"  \n")).contains("an empty status"));
        let m = message(parse_status(b"{\"status\":\x1b[31m"));
        assert!(
            m.contains("not a JSON object: {\"status\":\\x1b[31m"),
            "{m}"
        );
        assert!(message(parse_status(b"[1,2]")).contains("not a JSON object: [1,2]"));
        let big = vec![b'x'; 1 << 20];
        let m = message(parse_status(&big));
        assert!(
            m.len() < 8 * 1024 && m.contains("more bytes)"),
            "{}",
            m.len()
        );
        let m = message(parse_status(br#"{"status":"Failure"}"#));
        assert!(
            m.contains(r#"said no more than: {"status":"Failure"}"#),
            "{m}"
        );
    }

    #[test]
    fn frames() {
        assert_eq!(&resize_frame(80, 24)[1..], br#"{"Width":80,"Height":24}"#);
        assert_eq!(resize_frame(80, 24)[0], RESIZE);
        assert_eq!(close_stdin_frame(), vec![255, 0]);
    }
}
