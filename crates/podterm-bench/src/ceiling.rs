//! The raw ceiling: a bare WebSocket client in this process (TCP, tokio-rustls with the cluster's
//! CA, tokio-tungstenite, `v5.channel.k8s.io`, the admin's bearer token) that only counts the
//! stdout bytes of `head -c N /dev/zero` until the status frame. No client does less work, so
//! this is what testcluster can send on this machine: without a TTY, and with `tty=true` (the
//! remote PTY only; a client with `-t` adds a local PTY on top). The WebSocket stays open until
//! the status frame, so a run's time includes connecting and the command's start.
//!
//! The stdin ceiling is the same bare client feeding `cat` through stdin (64 KiB frames, then
//! v5's half-close) while it counts what comes back: what testcluster can echo on this machine.

use crate::cluster::Access;
use crate::stats::{mb_per_s, median};
use crate::Ctx;
use futures_util::{FutureExt, SinkExt, StreamExt};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header::{
    HeaderValue, AUTHORIZATION, SEC_WEBSOCKET_PROTOCOL,
};
use tokio_tungstenite::tungstenite::http::Uri;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

const V5: &str = "v5.channel.k8s.io";

pub(crate) type Ws =
    tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>;

#[derive(Debug, Clone, Serialize)]
pub struct CeilingRun {
    pub bytes: u64,
    pub wall_s: f64,
    pub mb_per_s: f64,
    pub frames: u64,
}

/// What a ceiling run moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `head -c N /dev/zero`'s stdout, no TTY.
    Stdout,
    /// The same with `tty=true` (the remote PTY).
    Tty,
    /// N bytes fed to `cat` through stdin, counted as they come back on stdout.
    Stdin,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ceiling {
    pub tty: bool,
    pub bytes_per_run: u64,
    pub mb_per_s: f64,
    pub runs: Vec<CeilingRun>,
}

pub(crate) fn tls(access: &Access) -> Result<tokio_rustls::TlsConnector, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(access.ca_pem.as_bytes()) {
        roots
            .add(cert.ctx("the cluster's CA PEM")?)
            .ctx("the cluster's CA as a root")?;
    }
    if roots.is_empty() {
        return Err("the kubeconfig's CA holds no certificate".into());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ctx("TLS versions")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsConnector::from(Arc::new(cfg)))
}

/// A WebSocket to `path` on the cluster, as a bare client opens one: TCP (no Nagle), TLS with
/// the cluster's CA, the upgrade with the admin's token and `v5.channel.k8s.io`.
pub(crate) async fn connect(
    access: &Access,
    connector: &tokio_rustls::TlsConnector,
    path: &str,
) -> Result<Ws, String> {
    let uri: Uri = access.server.parse().ctx("the kubeconfig's server URL")?;
    let host = uri.host().ctx("no host in the server URL")?.to_string();
    let port = uri.port_u16().unwrap_or(443);
    let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .ctx(format!("connecting to {host}:{port}"))?;
    tcp.set_nodelay(true).ctx("TCP_NODELAY")?;
    let name =
        ServerName::try_from(host.trim_matches(['[', ']']).to_string()).ctx("the server's name")?;
    let stream = connector.connect(name, tcp).await.ctx("TLS handshake")?;
    let mut req = format!("wss://{host}:{port}{path}")
        .into_client_request()
        .ctx("the WebSocket request")?;
    let auth = HeaderValue::from_str(&format!("Bearer {}", access.token)).ctx("the token")?;
    req.headers_mut().insert(AUTHORIZATION, auth);
    req.headers_mut()
        .insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(V5));
    let cfg = WebSocketConfig::default()
        .max_message_size(Some(64 << 20))
        .max_frame_size(Some(64 << 20));
    let (ws, _) = tokio_tungstenite::client_async_with_config(req, stream, Some(cfg))
        .await
        .ctx("the WebSocket upgrade")?;
    Ok(ws)
}

/// The stdin ceiling's frames: channel 0, then this many bytes of data.
const STDIN_FRAME: usize = 64 << 10;

async fn once(
    access: &Access,
    connector: &tokio_rustls::TlsConnector,
    bytes: u64,
    mode: Mode,
) -> Result<CeilingRun, String> {
    let tty = mode == Mode::Tty;
    // With a TTY, ask for stdin too (never written), as `exec -i -t` does: testcluster types
    // "\n" into a stdin-less PTY when the command ends (portable-pty's writer does that when
    // dropped), and the remote echo of it would add "\r\n" to the output.
    let path = match mode {
        Mode::Stdout | Mode::Tty => format!(
            "/api/v1/namespaces/demo/pods/shell/exec?command=head&command=-c&command={bytes}&command=/dev/zero&{}",
            if tty {
                "stdin=true&stdout=true&tty=true"
            } else {
                "stdout=true&stderr=true"
            }
        ),
        Mode::Stdin => {
            "/api/v1/namespaces/demo/pods/shell/exec?command=cat&stdin=true&stdout=true&stderr=true"
                .to_string()
        }
    };
    let start = Instant::now();
    let ws = connect(access, connector, &path).await?;
    let (mut sink, mut ws) = ws.split();
    // Stdin: one frame reused (a cheap clone each time), then v5's half-close of stdin.
    let feed = async {
        if mode != Mode::Stdin {
            return Ok(());
        }
        let mut frame = vec![0u8; STDIN_FRAME + 1];
        for (i, b) in frame.iter_mut().enumerate().skip(1) {
            *b = (i % 251) as u8;
        }
        let frame = bytes::Bytes::from(frame);
        let mut sent = 0u64;
        while sent < bytes {
            let k = (bytes - sent).min(STDIN_FRAME as u64) as usize;
            sink.send(Message::Binary(frame.slice(..k + 1)))
                .await
                .map_err(|e| format!("sending stdin after {sent} bytes: {e}"))?;
            sent += k as u64;
        }
        sink.send(Message::Binary(bytes::Bytes::from_static(&[255, 0])))
            .await
            .map_err(|e| format!("closing stdin: {e}"))
    };
    let (fed, read) = tokio::join!(feed, read_until_status(&mut ws, tty));
    fed?;
    let (got, frames, odd, status) = read?;
    let took = start.elapsed();
    let status = status.ctx(format!("no status frame (after {got} bytes)"))?;
    let v: serde_json::Value = serde_json::from_str(&status).ctx("the status frame")?;
    if v["status"] != "Success" {
        return Err(format!("the command failed: {status}"));
    }
    if got != bytes || !odd.is_empty() {
        return Err(format!(
            "{got} of {bytes} bytes; bytes other than NUL (offset, value): {odd:?}"
        ));
    }
    Ok(CeilingRun {
        bytes: got,
        wall_s: took.as_secs_f64(),
        mb_per_s: mb_per_s(got, took),
        frames,
    })
}

type Read = (u64, u64, Vec<(u64, u8)>, Option<String>);

/// Counts stdout until the status frame: bytes, frames, non-NUL bytes seen with a TTY, the
/// status.
async fn read_until_status<S>(ws: &mut S, tty: bool) -> Result<Read, String>
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let mut got = 0u64;
    let mut frames = 0u64;
    let mut odd: Vec<(u64, u8)> = Vec::new();
    let mut status = None;
    while let Some(msg) = ws.next().await {
        let data = match msg {
            Ok(Message::Binary(d)) => d,
            Ok(Message::Close(_)) => break,
            Ok(_) => continue,
            Err(e) => return Err(format!("the WebSocket broke after {got} bytes: {e}")),
        };
        match data.first() {
            Some(1) => {
                // Through a PTY, note any byte that is not the NUL `head` wrote (the scan is
                // cheap at PTY speeds, and skipped without a TTY).
                if tty && odd.len() < 16 {
                    for (i, b) in data[1..].iter().enumerate().filter(|(_, b)| **b != 0) {
                        if odd.len() < 16 {
                            odd.push((got + i as u64, *b));
                        }
                    }
                }
                got += data.len() as u64 - 1;
                frames += 1;
            }
            Some(3) => {
                status = Some(String::from_utf8_lossy(&data[1..]).into_owned());
                break;
            }
            _ => {}
        }
    }
    Ok((got, frames, odd, status))
}

pub async fn measure(
    access: &Access,
    bytes: u64,
    reps: usize,
    mode: Mode,
) -> Result<Ceiling, String> {
    let tty = mode == Mode::Tty;
    let connector = tls(access)?;
    let mut runs = Vec::with_capacity(reps);
    for i in 0..reps {
        let run = tokio::time::timeout(
            Duration::from_secs(120),
            once(access, &connector, bytes, mode),
        )
        .await
        .ctx("a run took over 120 s")??;
        eprintln!(
            "  raw WebSocket{} run {}: {:.0} MB/s ({} frames)",
            match mode {
                Mode::Stdout => "",
                Mode::Tty => ", TTY,",
                Mode::Stdin => ", stdin to stdout,",
            },
            i + 1,
            run.mb_per_s,
            run.frames
        );
        runs.push(run);
    }
    let rates: Vec<f64> = runs.iter().map(|r| r.mb_per_s).collect();
    Ok(Ceiling {
        tty,
        bytes_per_run: bytes,
        mb_per_s: median(&rates).ctx("no runs")?,
        runs,
    })
}

/// Output frames already read that the bare TTY client joins into one write, at most.
const BARE_JOIN: usize = 64 << 10;

/// The bare client with a TTY, in the clients' seat (`podterm-bench --bare-tty-client N`, run
/// on the bench's local PTY as a client is): the raw WebSocket stream of `head -c N /dev/zero`
/// with `tty=true`, each stdout payload written to this process's stdout (the local PTY), the
/// frames already read joined into one write as podterm joins them. It does nothing else (no
/// flow control, no keys, no resizes, no second thread), so it is what the two PTYs in series,
/// the network and the reader cost on this machine: the ceiling of the `-t -i` row. The
/// cluster comes from `$KUBECONFIG`, as a client's does.
pub fn bare_tty_client(bytes: u64) -> Result<(), String> {
    use std::io::Write as _;
    use std::os::fd::AsFd as _;
    let kubeconfig = std::env::var_os("KUBECONFIG").ctx("KUBECONFIG is not set")?;
    let access = crate::cluster::read_access(std::path::Path::new(&kubeconfig))?;
    let connector = tls(&access)?;
    let mut out = std::fs::File::from(
        std::io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .ctx("stdout's descriptor")?,
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ctx("a runtime")?;
    rt.block_on(async {
        let path = format!(
            "/api/v1/namespaces/demo/pods/shell/exec?command=head&command=-c&command={bytes}&command=/dev/zero&stdin=true&stdout=true&tty=true"
        );
        let mut ws = connect(&access, &connector, &path).await?;
        let mut joined: Vec<u8> = Vec::with_capacity(BARE_JOIN);
        let mut next = ws.next().await;
        loop {
            let data = match next {
                None => return Err("the WebSocket ended without a status".to_string()),
                Some(Err(e)) => return Err(format!("the WebSocket broke: {e}")),
                Some(Ok(Message::Binary(d))) => d,
                Some(Ok(Message::Close(_))) => {
                    return Err("the server closed before the status".to_string())
                }
                Some(Ok(_)) => {
                    next = ws.next().await;
                    continue;
                }
            };
            match data.first() {
                Some(1) => {
                    joined.extend_from_slice(&data[1..]);
                    // Whatever is already read joins this write.
                    loop {
                        match ws.next().now_or_never() {
                            Some(Some(Ok(Message::Binary(d))))
                                if d.first() == Some(&1)
                                    && joined.len() + d.len() - 1 <= BARE_JOIN =>
                            {
                                joined.extend_from_slice(&d[1..]);
                            }
                            Some(other) => {
                                next = other;
                                break;
                            }
                            None => {
                                next = None;
                                break;
                            }
                        }
                    }
                    out.write_all(&joined).ctx("writing to the terminal")?;
                    joined.clear();
                    if next.is_none() {
                        next = ws.next().await;
                    }
                }
                Some(3) => {
                    let status = String::from_utf8_lossy(&data[1..]);
                    let v: serde_json::Value =
                        serde_json::from_str(&status).ctx("the status frame")?;
                    return if v["status"] == "Success" {
                        Ok(())
                    } else {
                        Err(format!("the command failed: {status}"))
                    };
                }
                _ => next = ws.next().await,
            }
        }
    })
}
