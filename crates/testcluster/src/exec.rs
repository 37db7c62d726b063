//! `pods/exec` and `pods/attach` over WebSocket (`v5.channel.k8s.io`, `v4.channel.k8s.io`).
//!
//! Framing (binary messages): the first byte is the channel — 0 stdin, 1 stdout, 2 stderr,
//! 3 status (a `metav1.Status` in JSON), 4 resize (`{"Width":W,"Height":H}`), 255 close
//! (v5 only: `[255, 0]` closes stdin). When the process ends the server writes the status, sends
//! a close frame and closes the connection at once, without waiting for the client, as the API
//! server does.

use crate::api::{status_response, Body};
use crate::config::Phase;
use crate::process::{self, Input, Stream};
use crate::runtime::{self, MainProc};
use crate::store::Pod;
use crate::Shared;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const V5: &str = "v5.channel.k8s.io";
const V4: &str = "v4.channel.k8s.io";

/// The largest frame a client may send (stdin chunks are small; 16 MiB is refused).
const MAX_MESSAGE: usize = 4 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proto {
    V4,
    V5,
}

/// What the client asked for.
#[derive(Debug, Clone)]
pub struct ExecParams {
    pub namespace: String,
    pub pod: String,
    pub container: Option<String>,
    pub command: Vec<String>,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
    pub attach: bool,
}

pub(crate) fn bad(message: &str) -> Response<Body> {
    status_response(400, "BadRequest", message, None)
}

/// Checks an exec/attach request the way the API server does, then upgrades it.
pub fn upgrade(req: Request<Incoming>, shared: Arc<Shared>, p: ExecParams) -> Response<Body> {
    let Some(pod) = shared.store.pod(&p.namespace, &p.pod) else {
        return status_response(
            404,
            "NotFound",
            &format!("pods {:?} not found", p.pod),
            Some(json!({ "name": p.pod, "kind": "pods" })),
        );
    };
    let names: Vec<&str> = pod
        .spec
        .containers
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let ephemeral = pod
        .ephemeral
        .iter()
        .any(|e| Some(&e.name) == p.container.as_ref());
    let container = match &p.container {
        Some(c) if names.contains(&c.as_str()) || ephemeral => c.clone(),
        Some(c) => return bad(&format!("container {c} is not valid for pod {}", p.pod)),
        None if names.len() == 1 => names[0].to_string(),
        None => {
            return bad(&format!(
                "a container name must be specified for pod {}, choose one of: [{}]",
                p.pod,
                names.join(" ")
            ))
        }
    };
    if matches!(pod.spec.phase, Phase::Succeeded | Phase::Failed) {
        return bad(&format!(
            "cannot {} into a container in a completed pod; current phase is {}",
            if p.attach { "attach" } else { "exec" },
            pod.spec.phase.as_str()
        ));
    }
    // A created pod's container that does not run now (still starting, an image that cannot be
    // pulled, backing off after a crash, ended for good): the kubelet finds no running container to exec or
    // attach in, and the API server passes its plain-text answer on, for WebSocket and SPDY
    // alike (kubectl: `unable to upgrade connection: container not found ("app")`).
    let not_running = pod.posted.is_some()
        && !ephemeral
        && (!pod.started.contains(&container)
            || pod.backoff.contains(&container)
            || pod.done.contains_key(&container));
    if not_running {
        let mut res = Response::new(http_body_util::BodyExt::boxed(http_body_util::Full::new(
            Bytes::from(format!("container not found ({container:?})")),
        )));
        *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        return res;
    }
    let exited = pod.ephemeral.iter().any(|e| {
        e.name == container && matches!(e.state, crate::store::EphemeralState::Terminated { .. })
    });
    if p.attach && exited {
        return status_response(
            500,
            "InternalError",
            "Internal error occurred: error attaching to container: container is in CONTAINER_EXITED state",
            None,
        );
    }
    if !p.stdin && !p.stdout && !p.stderr {
        return bad("you must specify at least one of stdin, stdout, stderr");
    }
    if !p.attach && p.command.is_empty() {
        return bad("you must specify at least one command for the container");
    }
    let (key, offered) = match ws_offer(req.headers(), "v5.channel.k8s.io, v4.channel.k8s.io") {
        Ok(o) => o,
        Err(r) => return *r,
    };
    let proto = if offered.iter().any(|s| s == V5) {
        Proto::V5
    } else if offered.iter().any(|s| s == V4) {
        Proto::V4
    } else {
        return bad(&format!(
            "unable to upgrade connection: none of the requested subprotocols {offered:?} is supported; use {V5} or {V4}"
        ));
    };
    let res = switching(&key, if proto == Proto::V5 { V5 } else { V4 });
    let settle = if from_kubectl(req.headers()) {
        shared.kubectl_settle
    } else {
        std::time::Duration::ZERO
    };
    let shared2 = shared.clone();
    serve_upgraded(req, &shared, move |ws| async move {
        // See `KUBECTL_SETTLE`: kubectl is not listening yet.
        if !settle.is_zero() {
            tokio::time::sleep(settle).await;
        }
        session(ws, proto, shared2, pod, container, p).await
    });
    res
}

/// Whether the request comes from kubectl (its `User-Agent` is `kubectl/v1.32.0 (linux/amd64) …`).
fn from_kubectl(headers: &HeaderMap) -> bool {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ua| ua.starts_with("kubectl/"))
}

/// Once the client has the `101` answer: the upgraded connection as a WebSocket, served by
/// `run`, counted as a live session, ended with the cluster's other tasks.
pub(crate) fn serve_upgraded<F, Fut>(req: Request<Incoming>, shared: &Arc<Shared>, run: F)
where
    F: FnOnce(Ws) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let shared2 = shared.clone();
    shared.tasks.spawn(async move {
        let upgraded = match hyper::upgrade::on(req).await {
            Ok(u) => u,
            Err(e) => {
                tracing::debug!("upgrade failed: {e}");
                return;
            }
        };
        let ws = server_ws(upgraded).await;
        let _active = shared2.session_started();
        run(ws).await;
    });
}

pub(crate) type Ws = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// A WebSocket upgrade's key and the subprotocols the client offers, or the answer to a request
/// that is no WebSocket upgrade (`speaks`: what this endpoint speaks, for the words).
pub(crate) fn ws_offer(
    headers: &hyper::HeaderMap,
    speaks: &str,
) -> Result<(HeaderValue, Vec<String>), Box<Response<Body>>> {
    let is_ws = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !is_ws {
        if headers.contains_key(header::UPGRADE) {
            return Err(Box::new(bad(&format!(
                "testcluster speaks WebSocket only ({speaks}); SPDY is not supported"
            ))));
        }
        return Err(Box::new(bad("Upgrade request required")));
    }
    let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY).cloned() else {
        return Err(Box::new(bad(
            "unable to upgrade connection: missing Sec-WebSocket-Key",
        )));
    };
    let offered = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    Ok((key, offered))
}

/// `101 Switching Protocols` to a WebSocket speaking `protocol`.
pub(crate) fn switching(key: &HeaderValue, protocol: &'static str) -> Response<Body> {
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    let mut res = Response::new(http_body_util::BodyExt::boxed(http_body_util::Empty::new()));
    *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = res.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        h.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    h.insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(protocol),
    );
    res
}

/// The upgraded connection as the server's WebSocket, frames bounded by `MAX_MESSAGE`.
pub(crate) async fn server_ws(upgraded: hyper::upgrade::Upgraded) -> Ws {
    let cfg = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(cfg)).await
}

fn frame(channel: u8, data: &[u8]) -> Message {
    let mut v = Vec::with_capacity(data.len() + 1);
    v.push(channel);
    v.extend_from_slice(data);
    Message::Binary(v.into())
}

/// The status the kubelet writes for an exit code.
pub fn exit_status(code: i32, command: &[String]) -> Value {
    if code == 0 {
        return json!({ "metadata": {}, "status": "Success" });
    }
    json!({
        "metadata": {},
        "status": "Failure",
        "message": format!(
            "command terminated with non-zero exit code: error executing command [{}], exit code {code}",
            command.join(" ")
        ),
        "reason": "NonZeroExitCode",
        "details": { "causes": [{ "reason": "ExitCode", "message": code.to_string() }] },
    })
}

/// The status for a process that could not start, as containerd words it.
fn start_failure(err: &process::SpawnError, pod: &Pod, container: &str) -> Value {
    let message = format!(
        "Internal error occurred: error executing command in container: failed to exec in container: failed to start exec \"{}-{container}\": OCI runtime exec failed: exec failed: unable to start container process: {err}: unknown",
        &pod.uid[..8]
    );
    json!({
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "InternalError",
        "details": { "causes": [{ "message": message }] },
        "code": 500,
    })
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What the client's side of the connection sent.
enum FromClient {
    Gone,
}

/// Reads the client's frames: stdin, resize, close. Returns when the client closes or vanishes.
async fn read_client(
    mut stream: futures_util::stream::SplitStream<Ws>,
    proto: Proto,
    stdin: Option<mpsc::Sender<Input>>,
    resize: impl Fn(u16, u16),
) -> FromClient {
    let mut stdin = stdin;
    while let Some(msg) = stream.next().await {
        let data = match msg {
            Ok(Message::Binary(d)) => d,
            // The API server reads a text message as it reads a binary one (channel byte first);
            // the official Python client sends stdin that way.
            Ok(Message::Text(t)) => Bytes::from(t),
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        };
        let Some((&channel, rest)) = data.split_first() else {
            continue;
        };
        match channel {
            0 => {
                if let Some(tx) = &stdin {
                    if !rest.is_empty()
                        && tx
                            .send(Input::Data(Bytes::copy_from_slice(rest)))
                            .await
                            .is_err()
                    {
                        stdin = None;
                    }
                }
            }
            4 => match serde_json::from_slice::<Value>(rest) {
                Ok(v) => {
                    let w = v["Width"].as_u64().and_then(|x| u16::try_from(x).ok());
                    let h = v["Height"].as_u64().and_then(|x| u16::try_from(x).ok());
                    match (w, h) {
                        (Some(w), Some(h)) if w > 0 && h > 0 => resize(w, h),
                        _ => tracing::debug!("ignoring resize without a usable size: {v}"),
                    }
                }
                Err(e) => tracing::debug!("ignoring malformed resize: {e}"),
            },
            255 if proto == Proto::V5 && rest.first() == Some(&0) => {
                if let Some(tx) = stdin.take() {
                    let _ = tx.send(Input::Eof).await;
                }
            }
            _ => {}
        }
    }
    FromClient::Gone
}

async fn session(
    ws: Ws,
    proto: Proto,
    shared: Arc<Shared>,
    pod: Pod,
    container: String,
    p: ExecParams,
) {
    if p.attach {
        attach(ws, proto, shared, pod, container, p).await
    } else {
        exec(ws, proto, shared, pod, container, p).await
    }
}

/// Sends the final status, a close frame, and drops the connection without waiting.
async fn finish(sink: &mut futures_util::stream::SplitSink<Ws, Message>, status: &Value) {
    let _ = sink.feed(frame(3, status.to_string().as_bytes())).await;
    let close = CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    };
    let _ = sink.send(Message::Close(Some(close))).await;
}

async fn exec(
    ws: Ws,
    proto: Proto,
    shared: Arc<Shared>,
    pod: Pod,
    container: String,
    p: ExecParams,
) {
    let (mut sink, stream) = ws.split();
    // The container's processes die with its main one (the kubelet's runtime kills what is
    // left in the container when it ends): so does this session's. A container with no main
    // process never ends.
    let mut ended = shared
        .mains
        .get(&pod, &container)
        .map(|m| m.exits.subscribe());
    // Ended for good since the request was looked at (before the subscription): the session
    // ends at once, as its process would be killed.
    let already = ended_for_good(&shared, &pod, &container);
    let spec = runtime::proc_spec(&shared, &pod, &container, &p);
    let mut proc = match spec.and_then(|s| process::spawn(&s).map_err(Into::into)) {
        Ok(proc) => proc,
        Err(runtime::StartError::Spawn(e)) => {
            finish(&mut sink, &start_failure(&e, &pod, &container)).await;
            return;
        }
        Err(runtime::StartError::Workdir(e)) => {
            let msg = format!("cannot prepare the container's working directory: {e}");
            finish(
                &mut sink,
                &crate::api::status(500, "InternalError", &msg, None),
            )
            .await;
            return;
        }
    };
    let resizer = proc.resizer.clone();
    let mut reader = tokio::spawn(read_client(
        stream,
        proto,
        proc.stdin.take(),
        move |w, h| {
            if let Some(r) = &resizer {
                r.resize(w, h);
            }
        },
    ));
    // Dropped with the session (drop_connections aborts it): the reader owns the socket's read
    // half, so it must go too or the connection stays open.
    let _reader_guard = AbortOnDrop(reader.abort_handle());
    let mut code: Option<i32> = None;
    let mut killed = false;
    if already {
        killed = true;
        proc.killer.kill();
    }
    let latency = !shared.faults.latency().is_zero();
    loop {
        tokio::select! {
            chunk = proc.output.recv() => match chunk {
                Some((stream, data)) => {
                    let ch = match stream { Stream::Stdout => 1, Stream::Stderr => 2 };
                    if latency {
                        shared.faults.delay().await;
                    }
                    if sink.send(frame(ch, &data)).await.is_err() {
                        // The client is gone: the process goes with it (Killer on drop).
                        reader.abort();
                        return;
                    }
                }
                None => break,
            },
            _ = &mut reader => {
                // The client closed or vanished: end the process, as the kubelet does.
                return;
            }
            _ = pod.life.cancelled(), if !killed => {
                killed = true;
                proc.killer.kill();
            }
            _ = container_ended(&mut ended), if !killed => {
                killed = true;
                proc.killer.kill();
            }
            c = &mut proc.exit, if code.is_none() => {
                code = Some(c.unwrap_or(1));
                // Strays keep the output open; the session ends with its process.
                proc.killer.kill();
            }
        }
    }
    let code = match code {
        Some(c) => c,
        None => (&mut proc.exit).await.unwrap_or(1),
    };
    proc.killer.kill();
    finish(&mut sink, &exit_status(code, &p.command)).await;
    reader.abort();
}

/// Whether `container` of `pod` (the same pod still) has ended for good: a regular container
/// that is never restarted, or an ephemeral one that terminated.
fn ended_for_good(shared: &Shared, pod: &Pod, container: &str) -> bool {
    let Some(now) = shared.store.pod(&pod.spec.namespace, &pod.spec.name) else {
        return false;
    };
    now.uid == pod.uid
        && (now.done.contains_key(container)
            || now.ephemeral.iter().any(|e| {
                e.name == container
                    && matches!(e.state, crate::store::EphemeralState::Terminated { .. })
            }))
}

/// Resolves when the container's main process exits (at once when the announcements were
/// missed); never for a container without one.
async fn container_ended(ended: &mut Option<broadcast::Receiver<i32>>) {
    match ended {
        Some(rx) => match rx.recv().await {
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
            // Its announcer is gone with the pod, which ends the session its own way.
            Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

async fn attach(
    ws: Ws,
    proto: Proto,
    shared: Arc<Shared>,
    pod: Pod,
    container: String,
    _p: ExecParams,
) {
    let (mut sink, stream) = ws.split();
    let main: Option<Arc<MainProc>> = shared.mains.get(&pod, &container);
    // Input goes to whichever incarnation of the main process runs when it arrives.
    let stdin = main.clone().map(|m| {
        let (tx, mut rx) = mpsc::channel::<Input>(16);
        tokio::spawn(async move {
            while let Some(input) = rx.recv().await {
                if let Some(current) = m.input() {
                    let _ = current.send(input).await;
                }
            }
        });
        tx
    });
    let m2 = main.clone();
    let mut reader = tokio::spawn(read_client(stream, proto, stdin, move |w, h| {
        if let Some(m) = &m2 {
            m.resize(w, h);
        }
    }));
    let _reader_guard = AbortOnDrop(reader.abort_handle());
    let Some(main) = main else {
        // A silent main process: nothing to read until the pod goes.
        tokio::select! {
            _ = &mut reader => {}
            _ = pod.life.cancelled() => {
                finish(&mut sink, &exit_status(137, &["(main)".to_string()])).await;
            }
        }
        return;
    };
    let mut output = main.output.subscribe();
    let mut exits = main.exits.subscribe();
    let command = main.command.clone();
    // Ended for good since the look (its exit announced before this subscription): its exit
    // code, not a wait for an exit that will not come again.
    let ended = shared
        .store
        .pod(&pod.spec.namespace, &pod.spec.name)
        .filter(|p| p.uid == pod.uid)
        .and_then(|p| p.done.get(&container).map(|(code, _)| *code));
    if let Some(code) = ended {
        finish(&mut sink, &exit_status(code, &command)).await;
        reader.abort();
        return;
    }
    loop {
        tokio::select! {
            chunk = output.recv() => match chunk {
                Ok(data) => {
                    if sink.send(frame(1, &data)).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = &mut reader => return,
            code = exits.recv() => {
                // Drain what the process wrote before it ended.
                while let Ok(data) = output.try_recv() {
                    if sink.feed(frame(1, &data)).await.is_err() {
                        return;
                    }
                }
                // An ephemeral container's end is reported as the container runtime's attach
                // reports it: the stream ends, with no exit code (kubectl then prints
                // "Session ended, the ephemeral container will not be restarted…").
                let status = if pod.ephemeral.iter().any(|e| e.name == container) {
                    exit_status(0, &command)
                } else {
                    exit_status(code.unwrap_or(137), &command)
                };
                finish(&mut sink, &status).await;
                reader.abort();
                return;
            }
        }
    }
    finish(&mut sink, &exit_status(137, &command)).await;
    reader.abort();
}
