//! The remote-command wire format over WebSocket (`v5.channel.k8s.io`, `v4.channel.k8s.io`):
//! every binary message starts with a channel byte. Pure functions, no I/O.

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

pub fn stdin_frame(data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(data.len() + 1);
    v.push(STDIN);
    v.extend_from_slice(data);
    v
}

pub fn resize_frame(cols: u16, rows: u16) -> Vec<u8> {
    let mut v = vec![RESIZE];
    v.extend_from_slice(format!("{{\"Width\":{cols},\"Height\":{rows}}}").as_bytes());
    v
}

pub fn close_stdin_frame() -> Vec<u8> {
    vec![CLOSE, STDIN]
}

/// Reads the status channel's `metav1.Status`.
pub fn parse_status(bytes: &[u8]) -> Outcome {
    let v: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(_) => {
            return Outcome::Failure {
                reason: "InvalidStatus".into(),
                message: String::from_utf8_lossy(bytes).into_owned(),
            }
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
            .and_then(|c| c["message"].as_str())
            .and_then(|m| m.trim().parse::<i32>().ok());
        if let Some(code) = code {
            return Outcome::Exit(code);
        }
    }
    Outcome::Failure {
        reason,
        message: v["message"].as_str().unwrap_or("").to_string(),
    }
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

    #[test]
    fn frames() {
        assert_eq!(stdin_frame(b"ab"), vec![0, b'a', b'b']);
        assert_eq!(&resize_frame(80, 24)[1..], br#"{"Width":80,"Height":24}"#);
        assert_eq!(resize_frame(80, 24)[0], RESIZE);
        assert_eq!(close_stdin_frame(), vec![255, 0]);
    }
}
