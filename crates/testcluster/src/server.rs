//! The HTTPS listener: TLS with optional client certificates, HTTP/1.1 with upgrades, and the
//! fault controls that act on every connection (stall, latency, drop).

use crate::Shared;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// Errors setting up TLS.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("TLS setup failed: {0}")]
    Tls(#[from] rustls::Error),
    #[error("client certificate verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}

/// Faults injected into every connection.
#[derive(Default)]
pub struct Faults {
    latency_ms: AtomicU64,
    stalled: AtomicBool,
    parked: Mutex<Vec<Waker>>,
    /// Requests to let through, then requests to cut: a cut request's connection closes once
    /// the request is read, with no answer (what a hop that drops an idle connection does to a
    /// request sent on it in that instant).
    cut: Mutex<(u64, u64)>,
    /// While true, a pod list's later page (a request carrying `continue`) waits before it is
    /// read: a test changes the store between a list's pages.
    pages_held: tokio::sync::watch::Sender<bool>,
    /// Later pages waiting now.
    pages_waiting: AtomicU64,
    /// While true, pod watches send nothing more (what a watch broken and not yet resumed, or a
    /// slow one, tells a client): a test changes pods its client does not hear of.
    watches_held: tokio::sync::watch::Sender<bool>,
}

/// The error that closes a cut request's connection (hyper ends a connection whose service
/// fails, without answering).
#[derive(Debug, thiserror::Error)]
#[error("request cut on purpose")]
pub struct Cut;

impl Faults {
    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.load(Ordering::Relaxed))
    }

    pub fn set_latency(&self, d: Duration) {
        self.latency_ms.store(
            d.as_millis().try_into().unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// Sleeps for the injected latency, if any.
    pub async fn delay(&self) {
        let d = self.latency();
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
    }

    /// For the admin port's status.
    #[cfg(feature = "admin")]
    pub fn stalled(&self) -> bool {
        self.stalled.load(Ordering::SeqCst)
    }

    /// Stops (or resumes) reading and writing on every connection.
    pub fn set_stalled(&self, on: bool) {
        let mut parked = self.parked.lock().unwrap_or_else(|p| p.into_inner());
        self.stalled.store(on, Ordering::SeqCst);
        if !on {
            for w in parked.drain(..) {
                w.wake();
            }
        }
    }

    /// Lets `skip` requests through, then cuts the `n` after them (see the `cut` field);
    /// `n` = 0 stops cutting.
    pub fn cut_requests(&self, skip: u64, n: u64) {
        *self.cut.lock().unwrap_or_else(|p| p.into_inner()) = (skip, n);
    }

    /// How many requests are still to be cut.
    pub fn cuts_left(&self) -> u64 {
        self.cut.lock().unwrap_or_else(|p| p.into_inner()).1
    }

    /// Whether this request is cut (counting it off).
    fn take_cut(&self) -> bool {
        let mut cut = self.cut.lock().unwrap_or_else(|p| p.into_inner());
        match *cut {
            (_, 0) => false,
            (0, n) => {
                cut.1 = n - 1;
                true
            }
            (skip, _) => {
                cut.0 = skip - 1;
                false
            }
        }
    }

    /// Holds (or lets go) a list's later pages (see the `pages_held` field).
    pub fn hold_pages(&self, on: bool) {
        self.pages_held.send_replace(on);
    }

    /// How many of a list's later pages are held now.
    pub fn pages_waiting(&self) -> u64 {
        self.pages_waiting.load(Ordering::SeqCst)
    }

    /// Holds (or lets go) what pod watches send (see the `watches_held` field).
    pub fn hold_watches(&self, on: bool) {
        self.watches_held.send_replace(on);
    }

    /// Waits while pod watches are held.
    pub async fn watch_gate(&self) {
        let mut held = self.watches_held.subscribe();
        // The sender lives as long as `self`: an error cannot come while this borrows it.
        let _ = held.wait_for(|on| !on).await;
    }

    /// Waits while later pages are held.
    pub async fn page_gate(&self) {
        let mut held = self.pages_held.subscribe();
        if !*held.borrow_and_update() {
            return;
        }
        // Counted while it waits, also when the request is dropped (its client went).
        struct Waiting<'a>(&'a AtomicU64);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        self.pages_waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.pages_waiting);
        // The sender lives as long as `self`: an error cannot come while this borrows it.
        let _ = held.wait_for(|on| !on).await;
    }

    fn park_if_stalled(&self, waker: &Waker) -> bool {
        let mut parked = self.parked.lock().unwrap_or_else(|p| p.into_inner());
        if !self.stalled.load(Ordering::SeqCst) {
            return false;
        }
        if !parked.iter().any(|w| w.will_wake(waker)) {
            parked.push(waker.clone());
        }
        true
    }
}

/// A TCP stream that obeys [`Faults`].
pub struct FaultyIo {
    inner: TcpStream,
    faults: Arc<Faults>,
}

impl AsyncRead for FaultyIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.faults.park_if_stalled(cx.waker()) {
            return Poll::Pending;
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for FaultyIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.faults.park_if_stalled(cx.waker()) {
            return Poll::Pending;
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if self.faults.park_if_stalled(cx.waker()) {
            return Poll::Pending;
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Every connection and session task, so that "drop all connections" can end them.
#[derive(Default)]
pub struct Tasks {
    next: AtomicU64,
    live: Mutex<HashMap<u64, AbortHandle>>,
}

impl Tasks {
    pub fn spawn<F>(self: &Arc<Self>, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let me = self.clone();
        // Hold the lock while spawning so the task cannot deregister before it is registered.
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        let handle = tokio::spawn(async move {
            fut.await;
            me.live
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
        });
        live.insert(id, handle.abort_handle());
    }

    /// Aborts every task: sockets close, sessions' processes are killed by their guards.
    pub fn abort_all(&self) {
        let live: Vec<AbortHandle> = self
            .live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .map(|(_, h)| h)
            .collect();
        for h in live {
            h.abort();
        }
    }

    /// For the admin port's status.
    #[cfg(feature = "admin")]
    pub fn count(&self) -> usize {
        self.live.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// TLS settings: our serving certificate, client certificates from our CA optional.
pub fn tls_acceptor(pki: &crate::pki::Pki) -> Result<tokio_rustls::TlsAcceptor, ServerError> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(pki.ca_der.clone()))?;
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .allow_unauthenticated()
    .build()?;
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from(pki.server_cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server_key_der.clone())),
        )?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(cfg)))
}

/// Accepts connections until the task is aborted.
pub async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    acceptor: tokio_rustls::TlsAcceptor,
) {
    loop {
        let (tcp, _peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let shared2 = shared.clone();
        let acceptor = acceptor.clone();
        shared.tasks.spawn(async move {
            let io = FaultyIo {
                inner: tcp,
                faults: shared2.faults.clone(),
            };
            let tls = match tokio::time::timeout(Duration::from_secs(30), acceptor.accept(io)).await
            {
                Ok(Ok(t)) => t,
                Ok(Err(e)) => {
                    tracing::debug!("TLS handshake failed: {e}");
                    return;
                }
                Err(_) => return,
            };
            let cert_cn: Option<Arc<str>> = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(|c| crate::pki::subject_of(c))
                .map(|(cn, _)| Arc::from(cn));
            let svc_shared = shared2.clone();
            let svc = hyper::service::service_fn(move |req| {
                let shared = svc_shared.clone();
                let cn = cert_cn.clone();
                async move {
                    if shared.faults.take_cut() {
                        return Err(Cut);
                    }
                    match crate::api::handle(req, shared, cn).await {
                        Ok(r) => Ok(r),
                        Err(never) => match never {},
                    }
                }
            });
            let conn = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(tls), svc)
                .with_upgrades();
            if let Err(e) = conn.await {
                tracing::debug!("connection ended: {e}");
            }
        });
    }
}
