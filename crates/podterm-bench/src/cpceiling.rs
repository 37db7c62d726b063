//! The `cp` ceilings: what one large file's bytes cost testcluster and the pod's commands when
//! the client does nothing but move them. A bare WebSocket client in this process (as
//! [`crate::ceiling`]) runs the pod side of a copy and only counts or generates the bytes: no
//! file is read or written on our side, no tar is packed or unpacked here.
//!
//! - download, tar: `tar cf - FILE` (what `kubectl cp` runs), stdout counted;
//! - download, N ranges: N sessions at once, each `dd if=FILE iflag=skip_bytes,count_bytes` of
//!   its byte range, the bytes counted (what parallel streams for one file could reach);
//! - upload, tar: `tar -xmf - -C DIR` fed a tar stream made in memory (one header, the body
//!   from a 1 MiB block, the end blocks);
//! - upload, N ranges: N sessions at once, each `dd of=FILE oflag=seek_bytes conv=notrunc` fed
//!   its byte range.
//!
//! Each result is checked (bytes counted, the file's size in the pod). With each run, the CPU
//! testcluster and the pod's commands used ([`crate::copy::ServerCpu`]).

use crate::ceiling::{self, Ws};
use crate::cluster::Access;
use crate::copy::{Busy, ServerCpu};
use crate::Ctx;
use futures_util::{SinkExt, StreamExt};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// One stdin message's payload.
const PIECE: usize = 1 << 20;

/// What a raw run moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raw {
    TarDown,
    RangesDown(u32),
    TarUp,
    RangesUp(u32),
}

impl Raw {
    pub fn label(self) -> String {
        match self {
            Raw::TarDown => "raw WebSocket, `tar cf -`".into(),
            Raw::RangesDown(n) => format!("raw WebSocket, {n} × `dd` byte ranges"),
            Raw::TarUp => "raw WebSocket, `tar -xmf -`".into(),
            Raw::RangesUp(n) => format!("raw WebSocket, {n} × `dd` byte ranges"),
        }
    }

    pub fn upload(self) -> bool {
        matches!(self, Raw::TarUp | Raw::RangesUp(_))
    }
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A WebSocket running `command` in the demo pod (stdin too when asked).
async fn connect(
    access: &Access,
    connector: &tokio_rustls::TlsConnector,
    command: &[String],
    stdin: bool,
) -> Result<Ws, String> {
    let mut query: Vec<String> = command
        .iter()
        .map(|c| format!("command={}", encode(c)))
        .collect();
    query.push("stdout=true&stderr=true".into());
    if stdin {
        query.push("stdin=true".into());
    }
    let path = format!(
        "/api/v1/namespaces/demo/pods/shell/exec?{}",
        query.join("&")
    );
    ceiling::connect(access, connector, &path).await
}

/// The pieces of stdin: `head`, then `body` bytes cut from `block`, then `tail`.
struct Feed {
    head: Vec<u8>,
    body: u64,
    tail: Vec<u8>,
}

/// Runs `command` (stdin fed from `feed`); the stdout bytes counted, the status checked.
async fn session(
    access: &Access,
    connector: &tokio_rustls::TlsConnector,
    command: Vec<String>,
    feed: Option<Feed>,
    block: &[u8],
) -> Result<u64, String> {
    let ws = connect(access, connector, &command, feed.is_some()).await?;
    let (mut sink, mut stream) = ws.split();
    let writer = async {
        let Some(f) = feed else {
            return Ok::<(), String>(());
        };
        let msg = |payload: &[u8]| {
            let mut m = Vec::with_capacity(payload.len() + 1);
            m.push(0u8);
            m.extend_from_slice(payload);
            Message::Binary(m.into())
        };
        sink.send(msg(&f.head)).await.ctx("sending stdin")?;
        let mut left = f.body;
        while left > 0 {
            let n = left.min(block.len() as u64) as usize;
            sink.send(msg(&block[..n])).await.ctx("sending stdin")?;
            left -= n as u64;
        }
        if !f.tail.is_empty() {
            sink.send(msg(&f.tail)).await.ctx("sending stdin")?;
        }
        sink.send(Message::Binary(vec![255u8, 0].into()))
            .await
            .ctx("closing stdin")?;
        Ok(())
    };
    let reader = async {
        let mut got = 0u64;
        let mut stderr = Vec::new();
        while let Some(msg) = stream.next().await {
            let data = match msg {
                Ok(Message::Binary(d)) => d,
                Ok(Message::Close(_)) => break,
                Ok(_) => continue,
                Err(e) => return Err(format!("the WebSocket broke after {got} bytes: {e}")),
            };
            match data.first() {
                Some(1) => got += data.len() as u64 - 1,
                Some(2) => stderr.extend_from_slice(&data[1..]),
                Some(3) => {
                    let v: serde_json::Value =
                        serde_json::from_slice(&data[1..]).ctx("the status frame")?;
                    if v["status"] != "Success" {
                        return Err(format!(
                            "{}: {} {}",
                            command.join(" "),
                            v,
                            String::from_utf8_lossy(&stderr)
                        ));
                    }
                    return Ok(got);
                }
                _ => {}
            }
        }
        Err(format!("no status frame (after {got} bytes)"))
    };
    let (w, r) = tokio::join!(writer, reader);
    w?;
    r
}

/// A ustar header for one regular file `name` of `size` bytes.
fn tar_header(name: &str, size: u64) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    let put = |h: &mut Vec<u8>, at: usize, s: &[u8]| h[at..at + s.len()].copy_from_slice(s);
    put(&mut h, 0, name.as_bytes());
    put(&mut h, 100, b"0000644\0");
    put(&mut h, 108, b"0000000\0");
    put(&mut h, 116, b"0000000\0");
    put(&mut h, 124, format!("{size:011o}\0").as_bytes());
    put(&mut h, 136, b"00000000000\0");
    put(&mut h, 148, b"        ");
    h[156] = b'0';
    put(&mut h, 257, b"ustar\x0000");
    let sum: u32 = h.iter().map(|&b| b as u32).sum();
    put(&mut h, 148, format!("{sum:06o}\0 ").as_bytes());
    h
}

/// The end of a tar stream after `size` bytes of body: padding to 512, two zero blocks.
fn tar_tail(size: u64) -> Vec<u8> {
    let pad = (512 - size % 512) % 512;
    vec![0u8; pad as usize + 1024]
}

/// The ranges of `size` bytes cut in `n`.
fn ranges(size: u64, n: u32) -> Vec<(u64, u64)> {
    let n = u64::from(n.max(1));
    let each = size.div_ceil(n);
    (0..n)
        .map(|i| (i * each, each.min(size.saturating_sub(i * each))))
        .filter(|(_, len)| *len > 0)
        .collect()
}

/// One run of `raw`: the bytes moved.
async fn once(
    access: &Access,
    connector: &tokio_rustls::TlsConnector,
    raw: Raw,
    big: &Path,
    size: u64,
    up_dir: &Path,
    block: &[u8],
) -> Result<u64, String> {
    let big = big.display().to_string();
    let up = up_dir.join("raw-up.bin");
    let _ = std::fs::remove_file(&up);
    let moved = match raw {
        Raw::TarDown => {
            let cmd = ["tar", "cf", "-", big.as_str()].map(String::from).to_vec();
            let got = session(access, connector, cmd, None, block).await?;
            // The tar stream: a header or two, the body padded, the end blocks, a record's fill.
            if got < size {
                return Err(format!("{got} bytes of tar for a {size}-byte file"));
            }
            got
        }
        Raw::RangesDown(n) => {
            let runs = ranges(size, n).into_iter().map(|(off, len)| {
                let cmd = vec![
                    "dd".to_string(),
                    format!("if={big}"),
                    "bs=1M".into(),
                    "iflag=skip_bytes,count_bytes".into(),
                    format!("skip={off}"),
                    format!("count={len}"),
                    "status=none".into(),
                ];
                async move {
                    let got = session(access, connector, cmd, None, block).await?;
                    if got != len {
                        return Err(format!("{got} of {len} bytes from {off}"));
                    }
                    Ok(got)
                }
            });
            futures_util::future::try_join_all(runs).await?.iter().sum()
        }
        Raw::TarUp => {
            let cmd = vec![
                "tar".to_string(),
                "-xmf".into(),
                "-".into(),
                "-C".into(),
                up_dir.display().to_string(),
            ];
            let feed = Feed {
                head: tar_header("raw-up.bin", size),
                body: size,
                tail: tar_tail(size),
            };
            session(access, connector, cmd, Some(feed), block).await?;
            size
        }
        Raw::RangesUp(n) => {
            let path = up.display().to_string();
            let runs = ranges(size, n).into_iter().map(|(off, len)| {
                let cmd = vec![
                    "dd".to_string(),
                    format!("of={path}"),
                    "bs=1M".into(),
                    "oflag=seek_bytes".into(),
                    "conv=notrunc".into(),
                    format!("seek={off}"),
                    "status=none".into(),
                ];
                let feed = Feed {
                    head: Vec::new(),
                    body: len,
                    tail: Vec::new(),
                };
                async move { session(access, connector, cmd, Some(feed), block).await }
            });
            futures_util::future::try_join_all(runs).await?;
            size
        }
    };
    if raw.upload() {
        let got = std::fs::metadata(&up).map(|m| m.len()).unwrap_or(0);
        let _ = std::fs::remove_file(&up);
        if got != size {
            return Err(format!("the pod wrote {got} of {size} bytes"));
        }
    }
    Ok(moved)
}

/// One measured raw run: its wall time and what the server side used meanwhile.
pub struct RawRun {
    pub wall_s: f64,
    pub server: Option<ServerCpu>,
    pub busy: Option<f64>,
}

/// Runs `raw` once on `rt`, measured.
pub fn run(
    rt: &tokio::runtime::Runtime,
    access: &Access,
    raw: Raw,
    big: &Path,
    size: u64,
    up_dir: &Path,
    server_pid: Option<u32>,
) -> Result<RawRun, String> {
    let connector = ceiling::tls(access)?;
    let block: Vec<u8> = (0..PIECE as u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let before = server_pid.and_then(ServerCpu::read);
    let busy = Busy::start();
    let started = Instant::now();
    // The rate is the file's bytes over the time, as the clients' (a tar stream is longer).
    rt.block_on(async {
        tokio::time::timeout(
            Duration::from_secs(300),
            once(access, &connector, raw, big, size, up_dir, &block),
        )
        .await
        .ctx("a raw run took over 300 s")?
    })?;
    let wall_s = started.elapsed().as_secs_f64();
    let server = match (before, server_pid.and_then(ServerCpu::read)) {
        (Some(a), Some(b)) => Some(b.since(&a)),
        _ => None,
    };
    Ok(RawRun {
        wall_s,
        server,
        busy: busy.and_then(|b| b.finish()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_the_file_once() {
        assert_eq!(ranges(10, 3), vec![(0, 4), (4, 4), (8, 2)]);
        assert_eq!(ranges(2, 4), vec![(0, 1), (1, 1)]);
        assert_eq!(ranges(7, 1), vec![(0, 7)]);
    }

    #[test]
    fn the_tar_header_has_a_valid_checksum() {
        let h = tar_header("raw-up.bin", 1 << 29);
        let field = std::str::from_utf8(&h[148..154]).expect("octal");
        let mut blank = h.clone();
        blank[148..156].copy_from_slice(b"        ");
        let sum: u32 = blank.iter().map(|&b| b as u32).sum();
        assert_eq!(u32::from_str_radix(field, 8).expect("octal"), sum);
        assert_eq!(&h[124..136], b"04000000000\0");
        assert_eq!(tar_tail(512).len(), 1024);
        assert_eq!(tar_tail(513).len(), 511 + 1024);
    }
}
