//! A Kubernetes client from kubeconfig, the kubectl way: `--kubeconfig FILE`, else every file in
//! `KUBECONFIG` merged, else `~/.kube/config`; `--context`; the context's namespace.

use std::path::PathBuf;

/// Why no client could be made.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The kubeconfig could not be read or parsed (`path`: the file named with `--kubeconfig`;
    /// `None`: `KUBECONFIG` or `~/.kube/config`).
    #[error("cannot load kubeconfig: {}", kubeconfig_failure(path.as_deref(), source))]
    Kubeconfig {
        path: Option<PathBuf>,
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// A saved profile made a kubeconfig kube cannot read.
    #[error("cannot load kubeconfig: profile \"{profile}\" is not usable: {source}")]
    Profile {
        profile: String,
        #[source]
        source: serde_json::Error,
    },
    /// A connection flag (`--context`, `--cluster`, `--user`) names an entry the kubeconfig
    /// lacks.
    #[error(transparent)]
    Flags(#[from] crate::overrides::OverrideError),
    /// The context's cluster or user is missing or unusable (kube's words, with their causes).
    #[error("{}", describe(source))]
    Context {
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// The client could not be built (TLS material, proxy, auth plugin).
    #[error("cannot set up a client for the cluster: {}", describe(source))]
    Client {
        #[source]
        source: kube::Error,
    },
    /// The exec credential plugin failed while the client was built. Its program, status and
    /// stderr only: kube's own error quotes the whole command line with its environment and
    /// arguments, which hold secrets put back from the keyring, so it is not kept.
    #[error("cannot set up a client for the cluster: {0}")]
    Plugin(ApiError),
    /// The proxy URL (the kubeconfig's `proxy-url` or `HTTPS_PROXY`) is not a URL; `shown` is it
    /// without credentials.
    #[error("the proxy URL \"{shown}\" is not a valid URL: {source}")]
    ProxyUrl {
        shown: String,
        #[source]
        source: http::uri::InvalidUri,
    },
    /// Building the client off the async workers failed (it panicked, or the runtime is
    /// shutting down).
    #[error("setting up a client for the cluster was interrupted: {source}")]
    Interrupted {
        #[source]
        source: tokio::task::JoinError,
    },
}

impl ClusterError {
    /// A failed client build: a credential plugin's failure in its own words (see
    /// [`ClusterError::Plugin`]), anything else with kube's causes.
    fn client(source: kube::Error) -> ClusterError {
        match plugin_failure(&source) {
            Some(plugin) => ClusterError::Plugin(plugin),
            None => ClusterError::Client { source },
        }
    }
}

fn kubeconfig_failure(path: Option<&std::path::Path>, e: &kube::config::KubeconfigError) -> String {
    match (path, e) {
        // The file and the system's words (kube's own quote the path twice over).
        (_, kube::config::KubeconfigError::ReadConfig(io, file)) => {
            format!("{}: {io}", file.display())
        }
        // The parser's snippet quotes the lines around the error, a token or key among them:
        // its words alone (they say the line and column), values reduced to their kind.
        (path, kube::config::KubeconfigError::Parse(p)) => {
            let words = crate::text::shown(&crate::import::redact_values(
                &p.without_snippet().to_string(),
            ));
            match path {
                Some(path) => format!("{}: not a valid kubeconfig: {words}", path.display()),
                None => format!("not a valid kubeconfig: {words}"),
            }
        }
        (Some(p), e) => format!("{}: {}", p.display(), describe(e)),
        (None, e) => describe(e),
    }
}

/// kubectl's reading of `KUBECONFIG`: its files merged in order, those that are not there
/// skipped (a list with optional files is common). With none there, or no `KUBECONFIG`, kube's
/// reading, whose error names the first missing file (where kubectl would try localhost:8080).
fn read_kubeconfig() -> Result<kube::config::Kubeconfig, kube::config::KubeconfigError> {
    use kube::config::Kubeconfig;
    let present = kubeconfig_env_files();
    if !present.is_empty() {
        return present.iter().try_fold(Kubeconfig::default(), |merged, p| {
            let read = Kubeconfig::read_from(p).and_then(|c| merged.merge(c))?;
            loaded_from(p);
            Ok(read)
        });
    }
    let read = Kubeconfig::read()?;
    if let Some(home) = dirs::home_dir() {
        loaded_from(&home.join(".kube").join("config"));
    }
    Ok(read)
}

/// The kubeconfig files read when none is named, in the order they are merged: `KUBECONFIG`'s
/// that exist, else `~/.kube/config`.
fn kubeconfig_files() -> Vec<PathBuf> {
    let present = kubeconfig_env_files();
    if !present.is_empty() {
        return present;
    }
    dirs::home_dir()
        .map(|h| vec![h.join(".kube").join("config")])
        .unwrap_or_default()
}

/// The files `KUBECONFIG` lists that exist, in its order (none without it).
fn kubeconfig_env_files() -> Vec<PathBuf> {
    std::env::var_os("KUBECONFIG")
        .map(|value| {
            std::env::split_paths(&value)
                .filter(|p| !p.as_os_str().is_empty() && p.exists())
                .collect()
        })
        .unwrap_or_default()
}

/// The verbose log's line for a kubeconfig file read (`podterm -v 6`), as kubectl's.
fn loaded_from(path: &std::path::Path) {
    tracing::debug!(
        "Config loaded from file: {}",
        crate::text::shown(&path.to_string_lossy())
    );
}

/// Which cluster to talk to: a kubeconfig, a context, a namespace, and kubectl's other
/// connection flags over them ([`crate::overrides`]).
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub namespace: Option<String>,
    pub overrides: crate::overrides::Overrides,
}

/// A client and the namespace to use by default.
#[derive(Clone)]
pub struct Cluster {
    pub client: kube::Client,
    pub namespace: String,
    /// The API server URL, for messages.
    pub server: String,
    /// The keepalive interval and dead-link deadline for sessions and watches on this cluster
    /// (a profile's settings; the defaults for a kubeconfig context).
    pub liveness: crate::exec::Liveness,
}

impl Cluster {
    /// The namespace a request names, else (empty) this cluster's default one.
    pub fn namespace_or<'a>(&'a self, asked: &'a str) -> &'a str {
        if asked.is_empty() {
            &self.namespace
        } else {
            asked
        }
    }
}

impl Target {
    /// Reads the kubeconfig, lays the flags over it and builds a client.
    pub async fn connect(&self) -> Result<Cluster, ClusterError> {
        use kube::config::{Config, KubeConfigOptions, Kubeconfig, KubeconfigError};
        let kubeconfig = match &self.kubeconfig {
            Some(path) => {
                let read =
                    Kubeconfig::read_from(path).map_err(|source| ClusterError::Kubeconfig {
                        path: Some(path.clone()),
                        source,
                    })?;
                loaded_from(path);
                read
            }
            None => match read_kubeconfig() {
                Ok(k) => k,
                // As kubectl: with `--server`, a missing ~/.kube/config is no kubeconfig.
                Err(KubeconfigError::ReadConfig(e, _))
                    if e.kind() == std::io::ErrorKind::NotFound
                        && self.overrides.names_a_server() =>
                {
                    Kubeconfig::default()
                }
                Err(source) => return Err(ClusterError::Kubeconfig { path: None, source }),
            },
        };
        let kubeconfig = crate::overrides::resolve(
            kubeconfig,
            self.context.as_deref(),
            self.namespace.as_deref(),
            &self.overrides,
        )?;
        // The resolved kubeconfig has one context, the current one: its cluster's proxy-url.
        let kubeconfig_proxy = kubeconfig
            .current_context
            .as_ref()
            .and_then(|n| kubeconfig.contexts.iter().find(|c| &c.name == n))
            .and_then(|c| c.context.as_ref())
            .and_then(|c| kubeconfig.clusters.iter().find(|cl| cl.name == c.cluster))
            .and_then(|cl| cl.cluster.as_ref())
            .and_then(|cl| cl.proxy_url.clone());
        // The resolved kubeconfig's one user entry (its name, as the kubeconfig files have it).
        let user = kubeconfig
            .auth_infos
            .first()
            .map(|u| u.name.clone())
            .unwrap_or_default();
        let mut config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .map_err(|source| ClusterError::Context { source })?;
        choose_proxy(&mut config, kubeconfig_proxy.as_deref(), &process_env)?;
        let server = config.cluster_url.to_string();
        let namespace = config.default_namespace.clone();
        // A kubeconfig's oidc user: refreshed by our login (its answers bounded), the new
        // tokens written back to the file that defines the user, as kubectl writes them.
        let login = match config.auth_info.auth_provider.take() {
            Some(p) if p.name == "oidc" => {
                let files = match &self.kubeconfig {
                    Some(path) => vec![path.clone()],
                    None => kubeconfig_files(),
                };
                let kept = crate::oidclogin::defining_file(&files, &user)
                    .map(|path| crate::oidclogin::Kept::Kubeconfig { path, user });
                Some(crate::oidclogin::Login::new(
                    p.config.into_iter().collect(),
                    kept,
                ))
            }
            other => {
                config.auth_info.auth_provider = other;
                None
            }
        };
        let client = build_client(config, login).map_err(ClusterError::client)?;
        Ok(Cluster {
            client,
            namespace,
            server,
            liveness: crate::exec::Liveness::default(),
        })
    }
}

/// The receive buffer of a connection to the API server. Linux grows an untouched one up to
/// 6 MiB, and in an output flood all of it fills: a keystroke's echo or a Ctrl-C then waits
/// behind megabytes a terminal must still draw. 256 KiB (the kernel doubles it) still carries
/// more than a terminal can draw at a 20 ms round trip.
pub const RECV_BUFFER: usize = 256 * 1024;

/// A client like `kube::Client::try_from(config)`, but with TCP_NODELAY on its connections, as
/// kubectl has: without it Nagle's algorithm now and then holds a small write (a keystroke, the
/// upgrade request) for a delayed ACK, ~40 ms. Its receive buffer is [`RECV_BUFFER`].
///
/// With a proxy (`config.proxy_url`: `http://`, `https://` or `socks5://`, see [`proxy_for`]) the
/// connections go through it, with the proxy URL's `user:password` (percent-decoded) as its basic
/// credentials (HTTP CONNECT) or its user name and password (SOCKS5); a proxy that cannot be
/// reached or refuses the tunnel fails with [`ProxyFailure`], which names it.
///
/// `login`: an OIDC login whose id-token each request carries ([`crate::oidclogin`]).
pub fn build_client(
    config: kube::Config,
    login: Option<crate::oidclogin::Login>,
) -> Result<kube::Client, kube::Error> {
    use hyper_util::client::legacy::connect::proxy::{SocksV5, Tunnel};
    use kube::client::ConfigExt as _;
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_recv_buffer_size(Some(RECV_BUFFER));
    let Some(proxy) = config.proxy_url.clone() else {
        return client_over(config, http, login);
    };
    let named: std::sync::Arc<str> = proxy_shown(&proxy).into();
    let creds = proxy_credentials(&proxy);
    let basic = |(user, pass): (String, String)| {
        use base64::Engine as _;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        http::HeaderValue::from_str(&format!("Basic {token}")).ok()
    };
    match proxy.scheme_str() {
        Some("socks5") => {
            let mut socks = SocksV5::new(proxy.clone(), http);
            if let Some((user, pass)) = creds {
                socks = socks.with_auth(user, pass);
            }
            client_over(config, ViaProxy::new(socks, named), login)
        }
        Some("http") => {
            let mut tunnel = Tunnel::new(proxy.clone(), http);
            if let Some(h) = creds.and_then(basic) {
                tunnel = tunnel.with_auth(h);
            }
            client_over(config, ViaProxy::new(tunnel, named), login)
        }
        Some("https") => {
            // TLS to the proxy itself, with the cluster's trust settings (as kube does).
            let tls = config.rustls_https_connector_with_connector(http)?;
            let mut tunnel = Tunnel::new(proxy.clone(), tls);
            if let Some(h) = creds.and_then(basic) {
                tunnel = tunnel.with_auth(h);
            }
            client_over(config, ViaProxy::new(tunnel, named), login)
        }
        // kube's error for a scheme no proxy support covers (kubectl too takes only these
        // three), with the URL as shown: kube's own would print its `user:password@`.
        _ => Err(kube::Error::ProxyProtocolUnsupported {
            proxy_url: Box::new(
                named
                    .parse()
                    .unwrap_or_else(|_| http::Uri::from_static("unknown://proxy")),
            ),
        }),
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The client stack over `connector`: TLS to the API server, timeouts, base URI, auth, headers,
/// each request logged when asked ([`crate::httplog`]), the server's warnings handed on
/// ([`crate::warnings`]), a read cut before its answer sent once more ([`crate::resend`]), and
/// each answer's size bounded ([`crate::bodylimit`]).
fn client_over<C>(
    config: kube::Config,
    connector: C,
    login: Option<crate::oidclogin::Login>,
) -> Result<kube::Client, kube::Error>
where
    C: tower::Service<http::Uri> + Clone + Send + Sync + 'static,
    C::Response: hyper_util::client::legacy::connect::Connection
        + hyper::rt::Read
        + hyper::rt::Write
        + Send
        + Unpin
        + 'static,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    use kube::client::ConfigExt as _;
    let https = config.rustls_https_connector_with_connector(connector)?;
    let mut connector = hyper_timeout::TimeoutConnector::new(https);
    connector.set_connect_timeout(config.connect_timeout);
    connector.set_read_timeout(config.read_timeout);
    connector.set_write_timeout(config.write_timeout);
    let client: hyper_util::client::legacy::Client<_, kube::client::Body> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(connector);
    let service = tower::ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer()?)
        .option_layer(login.map(|login| {
            let login: crate::oidclogin::Shared = std::sync::Arc::new(login.into());
            tower::layer::layer_fn(move |inner| crate::oidclogin::Bearer::new(inner, login.clone()))
        }))
        .layer(config.extra_headers_layer()?)
        .map_err(
            |e: hyper_util::client::legacy::Error| -> Box<dyn std::error::Error + Send + Sync> {
                Box::new(e)
            },
        )
        .layer(tower::layer::layer_fn(crate::bodylimit::BodyLimit::new))
        .layer(tower::layer::layer_fn(crate::httplog::HttpLog::new))
        .layer(tower::layer::layer_fn(crate::warnings::ServerWarnings::new))
        .service(crate::resend::ResendOnce::new(client));
    Ok(kube::Client::new(service, config.default_namespace))
}

/// A connection through a proxy failed: the proxy could not be reached, asked for credentials,
/// or refused to open a tunnel to the API server. `proxy` is its URL without credentials.
#[derive(Debug, thiserror::Error)]
#[error("the proxy {proxy} did not open a connection to the API server ({}): check the proxy's address and credentials, and that it allows tunnels (CONNECT) to the API server's host and port", crate::text::shown(&describe(&**source)))]
pub struct ProxyFailure {
    pub proxy: String,
    #[source]
    source: BoxError,
}

/// A proxy connector whose failures say which proxy failed ([`ProxyFailure`]).
#[derive(Clone)]
struct ViaProxy<C> {
    inner: C,
    proxy: std::sync::Arc<str>,
}

impl<C> ViaProxy<C> {
    fn new(inner: C, proxy: std::sync::Arc<str>) -> Self {
        ViaProxy { inner, proxy }
    }
}

/// A proxy URL as messages show it: without its `user:password@`.
pub fn proxy_shown(proxy: &http::Uri) -> String {
    let host = proxy.host().unwrap_or("");
    let port = proxy
        .port_u16()
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
    format!("{}://{host}{port}", proxy.scheme_str().unwrap_or("http"))
}

impl<C> tower::Service<http::Uri> for ViaProxy<C>
where
    C: tower::Service<http::Uri>,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    type Response = C::Response;
    type Error = ProxyFailure;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<C::Response, ProxyFailure>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), ProxyFailure>> {
        let proxy = &self.proxy;
        self.inner.poll_ready(cx).map_err(|e| ProxyFailure {
            proxy: proxy.to_string(),
            source: e.into(),
        })
    }

    fn call(&mut self, dst: http::Uri) -> Self::Future {
        let proxy = self.proxy.clone();
        let f = self.inner.call(dst);
        Box::pin(async move {
            f.await.map_err(|e| ProxyFailure {
                proxy: proxy.to_string(),
                source: e.into(),
            })
        })
    }
}

/// The `user:password` of a proxy URL, percent-decoded.
fn proxy_credentials(proxy: &http::Uri) -> Option<(String, String)> {
    let authority = proxy.authority()?.as_str();
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    Some((percent_decoded(user), percent_decoded(pass)))
}

fn percent_decoded(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The proxy for a connection to `server`, as kubectl chooses it: the kubeconfig cluster's
/// `proxy-url` if it has one; else `HTTPS_PROXY`/`https_proxy` (`HTTP_PROXY`/`http_proxy` for an
/// `http://` server), unless `NO_PROXY`/`no_proxy` names the server (`*`, a host or domain
/// suffix, an IP, a CIDR, optionally with `:port`) or the server is `localhost` or a loopback
/// address. A value without a scheme is `http://`. `env` reads a variable.
pub fn proxy_for(
    kubeconfig_proxy: Option<&str>,
    server: &http::Uri,
    env: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    if let Some(p) = kubeconfig_proxy.filter(|p| !p.trim().is_empty()) {
        return Some(p.trim().to_string());
    }
    let var = |a: &str, b: &str| env(a).or_else(|| env(b)).filter(|v| !v.trim().is_empty());
    let value = if server.scheme_str() == Some("http") {
        var("HTTP_PROXY", "http_proxy")
    } else {
        var("HTTPS_PROXY", "https_proxy")
    }?;
    let host = server.host()?.trim_start_matches('[').trim_end_matches(']');
    let ip = host.parse::<std::net::IpAddr>().ok();
    if host.eq_ignore_ascii_case("localhost") || ip.is_some_and(|ip| ip.is_loopback()) {
        return None;
    }
    let port = server
        .port_u16()
        .unwrap_or(if server.scheme_str() == Some("http") {
            80
        } else {
            443
        });
    if let Some(no) = var("NO_PROXY", "no_proxy") {
        if no
            .split(',')
            .any(|e| no_proxy_matches(e.trim(), host, ip, port))
        {
            return None;
        }
    }
    let value = value.trim();
    Some(if value.contains("://") {
        value.to_string()
    } else {
        format!("http://{value}")
    })
}

/// Whether one `NO_PROXY` entry names the host (Go's rules, which kubectl follows).
fn no_proxy_matches(entry: &str, host: &str, ip: Option<std::net::IpAddr>, port: u16) -> bool {
    if entry.is_empty() {
        return false;
    }
    if entry == "*" {
        return true;
    }
    if let Some((net, bits)) = entry.split_once('/') {
        let (Ok(net), Ok(bits), Some(ip)) =
            (net.parse::<std::net::IpAddr>(), bits.parse::<u32>(), ip)
        else {
            return false;
        };
        return in_cidr(ip, net, bits);
    }
    // An entry may carry a port: `host:port`, `[v6]:port`.
    let (name, want_port) = match entry.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.ends_with(']') => match p.parse::<u16>() {
            Ok(p) => (h, Some(p)),
            Err(_) => (entry, None),
        },
        _ => (entry, None),
    };
    if want_port.is_some_and(|p| p != port) {
        return false;
    }
    let name = name.trim_start_matches('[').trim_end_matches(']');
    if let (Ok(e), Some(ip)) = (name.parse::<std::net::IpAddr>(), ip) {
        return e == ip;
    }
    let name = name.trim_start_matches('*').to_ascii_lowercase();
    let host = host.to_ascii_lowercase();
    match name.strip_prefix('.') {
        Some(suffix) => host.ends_with(&format!(".{suffix}")),
        None => host == name || host.ends_with(&format!(".{name}")),
    }
}

fn in_cidr(ip: std::net::IpAddr, net: std::net::IpAddr, bits: u32) -> bool {
    use std::net::IpAddr::{V4, V6};
    match (ip, net) {
        (V4(a), V4(n)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (V6(a), V6(n)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// Sets `config.proxy_url` the kubectl way ([`proxy_for`] with the process's environment).
/// kube's own choice is replaced: it matches `NO_PROXY` against the proxy's address rather than
/// the API server's.
pub(crate) fn choose_proxy(
    config: &mut kube::Config,
    kubeconfig_proxy: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ClusterError> {
    let chosen = proxy_for(kubeconfig_proxy, &config.cluster_url, env);
    config.proxy_url = match chosen {
        None => None,
        Some(p) => Some(p.parse::<http::Uri>().map_err(|source| {
            ClusterError::ProxyUrl {
                shown: p
                    .rsplit_once('@')
                    .map(|(_, rest)| rest.to_string())
                    .unwrap_or_else(|| p.clone()),
                source,
            }
        })?),
    };
    Ok(())
}

/// A variable of the process's environment.
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A failed call to the Kubernetes API server, in the words a user should read. Every module
/// that calls the API embeds it in its own error enum (`Api(ApiError)`), so a caller tells a
/// refused credential from a refusal or an unreachable server by the variant, never by text.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401: the API server refused the credentials (expired, revoked or wrong); kubectl's words.
    #[error("You must be logged in to the server (the server has asked for the client to provide credentials)")]
    Unauthorized,
    /// The API server answered with a `Status` other than 401 (403, 404, 400, 500 ...); kubectl
    /// prints it in these words. `reason` is `Unknown` when the server gave none.
    #[error("Error from server ({reason}): {message}")]
    Refused {
        /// The HTTP status code.
        code: u16,
        /// The `Status` reason (`Forbidden`, `NotFound`, ...).
        reason: String,
        /// The `Status` message.
        message: String,
    },
    /// The exec credential plugin ran and failed; its stderr says why (often "log in first").
    #[error("the credential plugin `{command}` failed ({status}): {stderr}")]
    Plugin {
        /// The plugin's command.
        command: String,
        /// How it exited (`exit status: 1`).
        status: String,
        /// What it wrote to stderr, trimmed.
        stderr: String,
    },
    /// The exec credential plugin's output is not an `ExecCredential`: the parser's words
    /// without the lines it quotes (they hold the token) and with any value it names reduced to
    /// its kind.
    #[error("the credential plugin's output could not be read as an ExecCredential ({message}): check the plugin's version and the apiVersion its kubeconfig entry asks for")]
    PluginOutput {
        /// Where and why the parser stopped.
        message: String,
    },
    /// The server answered with something no Kubernetes API server sends: bytes that are not
    /// HTTP, or a body that is not UTF-8. `what` says which; most often the kubeconfig's server
    /// address points at another service (or a proxy mangles the answer).
    #[error("the API server answered with {what} ({}): check that the kubeconfig's server address and port are those of a Kubernetes API server (not a proxy or another service), then retry", crate::text::shown(&describe(source)))]
    Garbled {
        /// "something that is not HTTP", "a response that is not UTF-8 text".
        what: &'static str,
        #[source]
        source: kube::Error,
    },
    /// The API server accepted the connection but did not answer within the request timeout
    /// (see [`within`]).
    #[error("the API server did not answer within {}: gave up (check that it is up and reachable, then try again)", duration_words(*.0))]
    Timeout(std::time::Duration),
    /// The proxy between here and the API server could not be reached or refused the tunnel
    /// ([`ProxyFailure`]'s words, which name the proxy; see [`ApiError::proxy`]).
    #[error("cannot reach the API server: {}", proxy_words(source))]
    Proxy {
        #[source]
        source: kube::Error,
    },
    /// The OIDC id-token expired while the client ran and could not be refreshed (the
    /// provider refused the refresh token, or could not be reached); the request was not sent.
    #[error(transparent)]
    Login(crate::oidc::OidcError),
    /// No answer: connection refused, TLS, a timeout, or a client-side failure. The text gives
    /// the causes on one line.
    #[error("cannot reach the API server: {}", transport_words(source))]
    Transport {
        /// What kube reported.
        #[source]
        source: kube::Error,
    },
}

impl ApiError {
    /// The API server refused the credentials (401).
    pub fn credentials_refused(&self) -> bool {
        matches!(self, ApiError::Unauthorized)
    }

    /// The OIDC provider refused the login (the refresh token expired or was revoked): only a
    /// new login helps, and the error's words say so; the API server was not asked.
    pub fn login_refused(&self) -> bool {
        use crate::oidc::OidcError;
        matches!(
            self,
            ApiError::Login(
                OidcError::Refused(_) | OidcError::NoRefreshToken | OidcError::Unusable
            )
        )
    }

    /// Whether the call is worth trying again (the server could not be reached, did not answer
    /// in time, or failed on its side: 5xx), rather than an answer to give up on (403, 404).
    pub fn transient(&self) -> bool {
        match self {
            ApiError::Transport { .. } | ApiError::Timeout(_) => true,
            ApiError::Login(crate::oidc::OidcError::Provider { .. }) => true,
            ApiError::Refused { code, .. } => *code >= 500,
            _ => false,
        }
    }

    /// The proxy (without credentials) that failed, for [`ApiError::Proxy`].
    pub fn proxy(&self) -> Option<&str> {
        match self {
            ApiError::Proxy { source } => proxy_failure(source).map(|p| p.proxy.as_str()),
            _ => None,
        }
    }

    /// The HTTP status code the API server answered with, if it answered.
    pub fn status_code(&self) -> Option<u16> {
        match self {
            ApiError::Unauthorized => Some(401),
            ApiError::Refused { code, .. } => Some(*code),
            ApiError::Plugin { .. }
            | ApiError::PluginOutput { .. }
            | ApiError::Garbled { .. }
            | ApiError::Timeout(_)
            | ApiError::Proxy { .. }
            | ApiError::Login(_)
            | ApiError::Transport { .. } => None,
        }
    }
}

impl From<kube::Error> for ApiError {
    /// Where the server's words enter Podterm: its reason, message and a plugin's stderr are
    /// escaped and cut here ([`crate::text::shown`]), once, for every place that shows them.
    fn from(e: kube::Error) -> Self {
        use crate::text::shown;
        // Run for a client, or again for a token that expired (then under the HTTP client's
        // layers): in both, never in kube's words (see `plugin_failure`).
        if let Some(plugin) = plugin_failure(&e) {
            return plugin;
        }
        // The OIDC login's refresh failed under the HTTP client's layers (`oidclogin::Bearer`).
        let e = match e {
            kube::Error::Service(b) => match b.downcast::<crate::oidc::OidcError>() {
                Ok(login) => return ApiError::Login(*login),
                Err(b) => kube::Error::Service(b),
            },
            e => e,
        };
        match e {
            kube::Error::Api(s) if s.code == 401 => ApiError::Unauthorized,
            kube::Error::Api(s) => {
                // kube's reason when the body was not a `Status` (a proxy's page, an empty body).
                let not_a_status = s.reason == NOT_A_STATUS;
                let reason = if s.reason.is_empty() || not_a_status {
                    status_reason(s.code)
                } else {
                    shown(&s.reason)
                };
                let body = s.message.trim();
                let message = match (not_a_status, body.is_empty()) {
                    (false, false) => shown(body),
                    (false, true) => generic_message(s.code).to_string(),
                    (true, true) => format!(
                        "{} (HTTP {} with an empty body, not a Kubernetes Status: {NOT_AN_API_SERVER})",
                        generic_message(s.code),
                        s.code
                    ),
                    (true, false) => format!(
                        "{} (HTTP {}, not a Kubernetes Status: {NOT_AN_API_SERVER}): {}",
                        generic_message(s.code),
                        s.code,
                        shown(body)
                    ),
                };
                ApiError::Refused {
                    code: s.code,
                    reason,
                    message,
                }
            }
            source @ kube::Error::FromUtf8(_) => ApiError::Garbled {
                what: "a response that is not UTF-8 text",
                source,
            },
            source if proxy_failure(&source).is_some() => ApiError::Proxy { source },
            source if is_http_parse_error(&source) => ApiError::Garbled {
                what: "something that is not HTTP",
                source,
            },
            source => ApiError::Transport { source },
        }
    }
}

/// Why a server could not be reached, in plain words: the operating system's reason for a
/// refused, reset or timed-out connection, with what to check; otherwise the causes on one line
/// without the HTTP client's own layers (kube's "ServiceError", hyper's "client error
/// (Connect)"), which say nothing to a user: a name that does not resolve, a TLS failure.
pub fn transport_words(e: &(dyn std::error::Error + 'static)) -> String {
    use std::io::ErrorKind as K;
    let mut cur = Some(e);
    let mut from = e;
    // A connection that ended under a request or an answer (a TLS stream cut without its
    // close, hyper's "closed before message completed"). A read cut before its answer was
    // already sent once more (`resend`).
    const CLOSED: &str = "the connection was closed by the server or by something on the way (a \
                          load balancer or proxy that drops idle connections); try again";
    while let Some(c) = cur {
        if c.downcast_ref::<hyper::Error>()
            .is_some_and(|h| h.is_incomplete_message())
        {
            return CLOSED.to_owned();
        }
        if let Some(w) = tls_words(c) {
            return w;
        }
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            let words = match io.kind() {
                K::UnexpectedEof | K::BrokenPipe => Some(CLOSED),
                K::ConnectionRefused => Some(
                    "the connection was refused (is the API server running, and is the server \
                     address in the kubeconfig right?)",
                ),
                K::TimedOut => Some(
                    "the connection timed out (is the server address right, and is a firewall or \
                     a VPN in the way?)",
                ),
                K::ConnectionReset | K::ConnectionAborted => Some(
                    "the connection was reset by the server or by something on the way (a proxy, \
                     a firewall); try again",
                ),
                K::HostUnreachable | K::NetworkUnreachable => Some(
                    "no route to the server (is the network up, and is a VPN needed to reach it?)",
                ),
                _ => None,
            };
            if let Some(w) = words {
                return w.to_owned();
            }
        }
        // The layers of the HTTP client: start the words below them.
        let layer = matches!(
            c.downcast_ref::<kube::Error>(),
            Some(kube::Error::Service(_))
        ) || c
            .downcast_ref::<hyper_util::client::legacy::Error>()
            .is_some();
        if let (true, Some(below)) = (layer, c.source()) {
            from = below;
        }
        cur = c.source();
    }
    describe(from)
}

/// A TLS failure in plain words, with what to check: the certificate checks kubectl names
/// (x509's "signed by unknown authority", "expired", "not valid for"), and a server that refused
/// this client's certificate. rustls's own text ("invalid peer certificate: UnknownIssuer") says
/// nothing to a user. The error is rustls's, or I/O errors carrying it (how TLS streams fail).
fn tls_words(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    use rustls::{AlertDescription as A, CertificateError as C};
    // kube's TLS stream wraps rustls's error in an I/O error, and that in another.
    let mut inner: &(dyn std::error::Error + 'static) = e;
    let tls = loop {
        if let Some(t) = inner.downcast_ref::<rustls::Error>() {
            break t;
        }
        inner = inner.downcast_ref::<std::io::Error>()?.get_ref()?;
    };
    Some(match tls {
        // The names the certificate holds (the server's words: escaped, the first few) against
        // the one asked for, as x509's "valid for A, B, not C" says it.
        rustls::Error::InvalidCertificate(C::NotValidForNameContext {
            expected,
            presented,
        }) if !presented.is_empty() => {
            const SHOWN: usize = 5;
            // Of the kind asked for (DNS names for a name, addresses for an address), as x509
            // lists them; every name when it holds none of that kind.
            let ip = matches!(expected, rustls::pki_types::ServerName::IpAddress(_));
            let all: Vec<(bool, String)> = presented.iter().filter_map(|n| plain_name(n)).collect();
            let of_kind: Vec<&String> = all
                .iter()
                .filter(|(is_ip, _)| *is_ip == ip)
                .map(|(_, n)| n)
                .collect();
            let all: Vec<&String> = all.iter().map(|(_, n)| n).collect();
            let list = if of_kind.is_empty() { all } else { of_kind };
            let mut names: Vec<String> = list
                .iter()
                .take(SHOWN)
                .map(|n| crate::text::shown(n))
                .collect();
            if list.len() > SHOWN {
                names.push(format!("{} more", list.len() - SHOWN));
            }
            if names.is_empty() {
                names.push("no DNS name or address".into());
            }
            return Some(format!(
                "the API server's certificate is valid for {}, not {}: connect to an address it names, or set tls-server-name to one of them",
                names.join(", "),
                crate::text::shown(&expected.to_str())
            ));
        }
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer | C::BadSignature => {
                "the API server's certificate is not signed by a certificate authority this cluster trusts (the certificate-authority in the kubeconfig, or the CA saved with the profile): if the cluster's CA changed, get its new kubeconfig (and import it again for a profile)"
            }
            C::Expired | C::ExpiredContext { .. } => {
                "the API server's certificate has expired (or this computer's clock is wrong)"
            }
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "the API server's certificate is not valid yet (is this computer's clock right?)"
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "the API server's certificate is not for this address: use the address it was issued for, or set tls-server-name to a name it holds"
            }
            _ => "the API server's certificate was not accepted (its certificate-authority in the kubeconfig or profile may be wrong)",
        },
        rustls::Error::AlertReceived(
            A::BadCertificate
            | A::UnknownCA
            | A::CertificateRequired
            | A::CertificateExpired
            | A::CertificateRevoked
            | A::AccessDenied,
        ) => {
            "the API server refused this client's certificate (client-certificate and client-key in the kubeconfig or profile: expired, or not signed by the cluster's CA?)"
        }
        _ => return None,
    }
    .to_owned())
}

/// A name rustls presents (`DnsName("localhost")`, `IpAddress(127.0.0.1)`) as x509 writes it,
/// and whether it is an address; `None` for other kinds (a URI, a directory name).
fn plain_name(presented: &str) -> Option<(bool, String)> {
    if let Some(n) = presented
        .strip_prefix("DnsName(\"")
        .and_then(|n| n.strip_suffix("\")"))
    {
        return Some((false, n.to_string()));
    }
    let ip = presented
        .strip_prefix("IpAddress(")
        .and_then(|n| n.strip_suffix(')'))?;
    // webpki may write an IPv6 address in a form of its own (`0::1`): the standard one where
    // it parses.
    let standard = ip.parse::<std::net::IpAddr>().map(|a| a.to_string());
    Some((true, standard.unwrap_or_else(|_| ip.to_string())))
}

/// What a failing proxy hop says ([`ProxyFailure`]'s words).
fn proxy_words(e: &kube::Error) -> String {
    proxy_failure(e).map_or_else(|| describe(e), |p| p.to_string())
}

/// The [`ProxyFailure`] somewhere in `e`'s causes.
fn proxy_failure<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a ProxyFailure> {
    let mut cur = Some(e);
    while let Some(c) = cur {
        if let Some(p) = c.downcast_ref::<ProxyFailure>() {
            return Some(p);
        }
        cur = c.source();
    }
    None
}

/// The reason kube gives a failure whose body is not a `metav1.Status` (its own constant).
const NOT_A_STATUS: &str = "Failed to parse error data";

/// Whether kube made this status up from a body that was not a Kubernetes `Status` (a proxy's
/// page, a node's plain words passed on by the API server, an empty body).
pub(crate) fn not_a_status(s: &kube::core::Status) -> bool {
    s.reason == NOT_A_STATUS
}

/// What to check when a server answers in a way no Kubernetes API server does.
const NOT_AN_API_SERVER: &str =
    "check that the kubeconfig's server address is that of a Kubernetes API server";

/// The `Status` reason kubectl (client-go) gives an HTTP status code when the body has none.
fn status_reason(code: u16) -> String {
    match code {
        400 => "BadRequest",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        409 => "Conflict",
        410 => "Gone",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "Unknown",
    }
    .to_string()
}

/// client-go's words for an HTTP status code whose body says nothing.
fn generic_message(code: u16) -> &'static str {
    match code {
        400 => "the server rejected our request for an unknown reason",
        403 => "the server does not allow access to the requested resource",
        404 => "the server could not find the requested resource",
        405 => "the server does not allow this method on the requested resource",
        406 => "the server was unable to respond with a content type that the client supports",
        409 => "the server reported a conflict",
        410 => "the server no longer has the requested resource",
        415 => "the server does not support the content type of the request",
        422 => "the server rejected our request due to an error in our request",
        429 => "the server has received too many requests and has asked us to try again later",
        503 => "the server is currently unable to handle the request",
        504 => "the server was unable to return a response in the time allotted, but may still be processing the request",
        _ => "an error on the server has prevented the request from succeeding",
    }
}

/// Whether `e` (or a cause of it) is hyper failing to parse what came back as HTTP.
fn is_http_parse_error(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if c.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_parse)
        {
            return true;
        }
        cur = c.source();
    }
    false
}

/// Runs a request to the API server (or several, as one step) within `limit` (`None`: no
/// limit); past it, [`ApiError::Timeout`]. The bound of kubectl's `--request-timeout`.
pub async fn within<T, E: From<ApiError>>(
    limit: Option<std::time::Duration>,
    request: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, E> {
    match limit {
        None => request.await,
        Some(d) => match tokio::time::timeout(d, request).await {
            Ok(r) => r,
            Err(_) => Err(ApiError::Timeout(d).into()),
        },
    }
}

/// A duration as a person reads it: `30 s`, `1.5 s`, `250 ms`.
pub fn duration_words(d: std::time::Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{} s", d.as_secs())
    } else if d.as_secs() == 0 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// An error with its causes, on one line.
pub fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    if let Some(words) = secret_safe_words(e) {
        return words;
    }
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(cause) = src {
        if let Some(words) = secret_safe_words(cause) {
            s.push_str(": ");
            s.push_str(&words);
            break;
        }
        let c = cause.to_string();
        if !s.contains(&c) {
            s.push_str(": ");
            s.push_str(&c);
        }
        src = cause.source();
    }
    s
}

/// The words for an error whose own (and its causes') may quote a secret: a credential plugin's
/// failure, a kubeconfig that does not parse. `None` for any other error.
fn secret_safe_words(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    if let Some(k @ kube::config::KubeconfigError::Parse(_)) =
        e.downcast_ref::<kube::config::KubeconfigError>()
    {
        return Some(kubeconfig_failure(None, k));
    }
    plugin_failure(e).map(|p| p.to_string())
}

/// A credential plugin's failure anywhere in `e`'s causes, in Podterm's words. kube's own hold
/// secrets: `AuthExecRun`'s command is `Command`'s Debug form, the plugin's environment values
/// and arguments (those an import moved to the keyring and `connect_profile` puts back), and its
/// output; `AuthExecParse` quotes the lines around the parse error, the token among them. A
/// token refreshed mid-session fails under the HTTP client's layers (`kube::Error::Service`),
/// so the whole chain is searched, not its top.
fn plugin_failure(e: &(dyn std::error::Error + 'static)) -> Option<ApiError> {
    use crate::text::shown;
    use kube::client::AuthError;
    let mut cur = Some(e);
    while let Some(c) = cur {
        let auth = match c.downcast_ref::<kube::Error>() {
            Some(kube::Error::Auth(a)) => Some(a),
            _ => c.downcast_ref::<AuthError>(),
        };
        match auth {
            Some(AuthError::AuthExecRun { cmd, out }) => {
                return Some(ApiError::Plugin {
                    command: shown(
                        &crate::profiles::plugin_program(cmd)
                            .unwrap_or_else(|| "(its command)".into()),
                    ),
                    status: out.status.to_string(),
                    stderr: shown(String::from_utf8_lossy(&out.stderr).trim()),
                });
            }
            Some(AuthError::AuthExecParse(p)) => {
                return Some(ApiError::PluginOutput {
                    message: shown(&crate::import::redact_values(
                        &p.without_snippet().to_string(),
                    )),
                });
            }
            _ => {}
        }
        cur = c.source();
    }
    None
}

/// What brings a lost secret back: the edit form takes a bearer token only; every other secret
/// (a client key, a plugin's argument, proxy credentials) comes back with a new import.
fn missing_secret_fix(field: &str) -> &'static str {
    if field == "token" {
        "edit the cluster and enter the token again, or import its kubeconfig again (podterm profile import)"
    } else {
        "import its kubeconfig again (+ → Import in the app, or podterm profile import); the edit form takes only a bearer token"
    }
}

/// Why a saved profile could not be turned into a client.
#[derive(Debug, thiserror::Error)]
pub enum ProfileConnectError {
    /// A secret the profile needs is not in the vault.
    #[error(
        "the {field} of profile \"{profile}\" is not in the keyring: {}",
        missing_secret_fix(field)
    )]
    MissingSecret { profile: String, field: String },
    /// The OS keyring could not be read.
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultError),
    /// The exec credential plugin is not on the PATH (`hint`: its install hint, `: ...`).
    #[error("the credential plugin \"{command}\" of profile \"{profile}\" was not found on the PATH ({path}){hint}")]
    PluginMissing {
        profile: String,
        command: String,
        path: String,
        hint: String,
    },
    /// The profile made no client.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// The OIDC id-token could not be refreshed.
    #[error(transparent)]
    Oidc(#[from] crate::oidc::OidcError),
    /// The refreshed OIDC tokens could not be kept.
    #[error(transparent)]
    Keep(#[from] crate::oidclogin::KeepError),
}

impl ProfileConnectError {
    /// Whether the API server refused the credentials (401). Always false here: making a client
    /// asks the API server nothing, so a 401 comes later, from the first call
    /// ([`ApiError::Unauthorized`] inside that call's error). An OIDC provider refusing the
    /// refresh token is [`crate::oidc::OidcError::Refused`], which has its own advice.
    pub fn credentials_refused(&self) -> bool {
        false
    }
}

/// A client for a saved profile as an app or the CLI connects: a credential plugin gets the
/// login shell's PATH (read once per process), as it would in a terminal.
pub async fn connect_saved(
    profile: &crate::profiles::Profile,
    vault: &crate::vault::Vault,
) -> Result<Cluster, ProfileConnectError> {
    let plugin_path = match profile.auth {
        crate::profiles::Auth::ExecPlugin { .. } => Some(crate::shellenv::plugin_path_once().await),
        _ => None,
    };
    connect_profile(profile, vault, plugin_path.as_deref()).await
}

/// Builds a client for a saved profile: its secrets come from the vault and go into an
/// in-memory kubeconfig handed to `kube`; nothing is written anywhere. `plugin_path` is the PATH
/// credential plugins run with (see [`crate::shellenv`]); `None` keeps the process's own.
pub async fn connect_profile(
    profile: &crate::profiles::Profile,
    vault: &crate::vault::Vault,
    plugin_path: Option<&str>,
) -> Result<Cluster, ProfileConnectError> {
    tracing::debug!("Saved profile: {}", crate::text::shown(&profile.name));
    // The proxy credentials and the plugin's secret arguments come back from the vault.
    let restored = crate::profiles::restore_secrets(profile, vault).await?;
    let profile = &restored;
    use crate::profiles::{Auth, Ca, CertSource, KeySource};
    use base64::Engine as _;
    use serde_json::{json, Value};
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    let secret = |field: String| async move {
        match vault.get(&profile.id, &field).await? {
            Some(s) => Ok(s),
            None => Err(ProfileConnectError::MissingSecret {
                profile: profile.name.clone(),
                field,
            }),
        }
    };
    let mut cluster = json!({ "server": profile.server });
    match &profile.ca {
        Some(Ca::Pem(pem)) => cluster["certificate-authority-data"] = json!(b64(pem)),
        Some(Ca::File(f)) => cluster["certificate-authority"] = json!(f),
        None => {}
    }
    if let Some(n) = &profile.tls_server_name {
        cluster["tls-server-name"] = json!(n);
    }
    if let Some(p) = &profile.proxy_url {
        cluster["proxy-url"] = json!(p);
    }
    if profile.insecure {
        cluster["insecure-skip-tls-verify"] = json!(true);
    }
    let mut user = json!({});
    let mut login = None;
    match &profile.auth {
        Auth::None => {}
        Auth::Token { secret: field } => {
            user["token"] = json!(secret(field.clone()).await?.expose());
        }
        Auth::TokenFile { path } => user["tokenFile"] = json!(path),
        Auth::ClientCertificate { cert, key } => {
            match cert {
                CertSource::Pem(pem) => user["client-certificate-data"] = json!(b64(pem)),
                CertSource::File(f) => user["client-certificate"] = json!(f),
            }
            match key {
                KeySource::Vault { field } => {
                    user["client-key-data"] = json!(b64(secret(field.clone()).await?.expose()));
                }
                KeySource::File(f) => user["client-key"] = json!(f),
            }
        }
        Auth::Basic {
            username,
            password_field,
        } => {
            user["username"] = json!(username);
            user["password"] = json!(secret(password_field.clone()).await?.expose());
        }
        Auth::ExecPlugin {
            api_version,
            command,
            args,
            env,
            install_hint,
            provide_cluster_info,
            interactive_mode,
        } => {
            let mut vars: Vec<Value> = Vec::new();
            for e in env {
                let value = match (&e.value, &e.secret_field) {
                    (_, Some(field)) => secret(field.clone()).await?.expose().to_string(),
                    (Some(v), None) => v.clone(),
                    (None, None) => String::new(),
                };
                vars.push(json!({ "name": e.name, "value": value }));
            }
            if let Some(path) = plugin_path {
                if !env.iter().any(|e| e.name == "PATH") {
                    vars.push(json!({ "name": "PATH", "value": path }));
                }
            }
            let search = plugin_path
                .map(str::to_owned)
                .or_else(|| std::env::var("PATH").ok())
                .unwrap_or_default();
            if !plugin_exists(command, &search) {
                return Err(ProfileConnectError::PluginMissing {
                    profile: profile.name.clone(),
                    command: command.clone(),
                    path: search,
                    hint: install_hint
                        .as_deref()
                        .map(|h| format!(": {}", h.trim()))
                        .unwrap_or_default(),
                });
            }
            let mut exec = json!({
                "command": command,
                "args": args,
                "env": vars,
                "provideClusterInfo": provide_cluster_info,
                "apiVersion": api_version.clone().unwrap_or_else(|| "client.authentication.k8s.io/v1".into()),
                "interactiveMode": interactive_mode.clone().unwrap_or_else(|| "Never".into()),
            });
            if let Some(h) = install_hint {
                exec["installHint"] = json!(h);
            }
            user["exec"] = exec;
        }
        Auth::Oidc {
            config,
            secret_fields,
        } => {
            // Not handed to kube: our login sends the id-token, and keeps each refresh.
            login = Some(oidc_login(profile, vault, config, secret_fields).await?);
        }
    }
    if let Some(imp) = &profile.impersonate {
        user["as"] = json!(imp.user);
        if !imp.groups.is_empty() {
            user["as-groups"] = json!(imp.groups);
        }
        if let Some(uid) = &imp.uid {
            user["as-uid"] = json!(uid);
        }
        if !imp.extra.is_empty() {
            user["as-user-extra"] = json!(imp.extra);
        }
    }
    let mut context = json!({ "cluster": "profile", "user": "profile" });
    if let Some(ns) = &profile.namespace {
        context["namespace"] = json!(ns);
    }
    let doc = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{ "name": "profile", "cluster": cluster }],
        "users": [{ "name": "profile", "user": user }],
        "contexts": [{ "name": "profile", "context": context }],
        "current-context": "profile",
    });
    let kubeconfig: kube::config::Kubeconfig =
        serde_json::from_value(doc).map_err(|source| ClusterError::Profile {
            profile: profile.name.clone(),
            source,
        })?;
    let mut config = kube::config::Config::from_custom_kubeconfig(
        kubeconfig,
        &kube::config::KubeConfigOptions::default(),
    )
    .await
    .map_err(|source| ClusterError::Context { source })?;
    choose_proxy(&mut config, profile.proxy_url.as_deref(), &process_env)?;
    let server = config.cluster_url.to_string();
    let namespace = config.default_namespace.clone();
    // An exec credential plugin runs while the client is built (kube's first token is a
    // blocking `Command::output()`, and a plugin may wait on a browser login): on the blocking
    // pool, so it never holds an async worker that sessions and watches need.
    let client = tokio::task::spawn_blocking(move || build_client(config, login))
        .await
        .map_err(|source| ClusterError::Interrupted { source })?
        .map_err(ClusterError::client)?;
    Ok(Cluster {
        client,
        namespace,
        server,
        liveness: crate::exec::Liveness::from_secs(profile.keepalive_secs, profile.dead_link_secs),
    })
}

/// The profile's OIDC login: the oidc auth-provider config with its secrets from the vault,
/// where refreshed tokens are written back. An id-token that is stale now is refreshed (and
/// kept) here, so that a refresh token the provider refuses is said at connect.
async fn oidc_login(
    profile: &crate::profiles::Profile,
    vault: &crate::vault::Vault,
    config: &std::collections::BTreeMap<String, String>,
    secret_fields: &std::collections::BTreeMap<String, String>,
) -> Result<crate::oidclogin::Login, ProfileConnectError> {
    let mut values = config.clone();
    for (key, field) in secret_fields {
        if let Some(s) = vault.get(&profile.id, field).await? {
            values.insert(key.clone(), s.expose().to_string());
        }
    }
    let mut login = crate::oidclogin::Login::new(
        values,
        Some(crate::oidclogin::Kept::Vault {
            vault: vault.clone(),
            profile_id: profile.id.clone(),
            fields: secret_fields.clone(),
        }),
    );
    login.id_token().await?;
    login.save().await.map_err(|e| match e {
        crate::oidclogin::KeepError::Vault(v) => ProfileConnectError::Vault(v),
        other => ProfileConnectError::Keep(other),
    })?;
    Ok(login)
}

fn plugin_exists(command: &str, path: &str) -> bool {
    let runnable = |p: &std::path::Path| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::metadata(p)
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        }
        #[cfg(not(unix))]
        {
            p.is_file() || p.with_extension("exe").is_file()
        }
    };
    if command.contains('/') {
        return runnable(std::path::Path::new(command));
    }
    path.split(':')
        .filter(|d| !d.is_empty())
        .any(|d| runnable(&std::path::Path::new(d).join(command)))
}

#[cfg(test)]
mod missing_secret_tests {
    use super::ProfileConnectError;

    #[test]
    fn a_lost_secret_says_what_brings_it_back() {
        let missing = |field: &str| {
            ProfileConnectError::MissingSecret {
                profile: "prod".into(),
                field: field.into(),
            }
            .to_string()
        };
        // The edit form takes a token: editing works for that one.
        assert!(
            missing("token").contains("edit the cluster and enter the token again"),
            "{}",
            missing("token")
        );
        // It takes no client key: only an import brings one back, and the message says so.
        let key = missing("client-key");
        assert!(key.starts_with("the client-key of profile \"prod\" is not in the keyring: import its kubeconfig again"), "{key}");
        assert!(!key.contains("edit the cluster and enter"), "{key}");
    }
}

#[cfg(test)]
mod kubeconfig_parse_tests {
    use super::{describe, kubeconfig_failure};

    /// A kubeconfig that does not parse: the parser's words and where, not the lines around the
    /// error (serde-saphyr's snippet), where a token sits.
    #[test]
    fn a_kubeconfig_that_does_not_parse_is_said_without_the_lines_around_it() {
        let token = "kc-s3cret-token-5d21";
        let text = format!(
            "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: {token}\n   bad: [\n"
        );
        let Err(e) = kube::config::Kubeconfig::from_yaml(&text) else {
            panic!("the broken kubeconfig parsed");
        };
        // The parser's own words quote the token: what this test guards against.
        let raw = format!(
            "{e}: {}",
            std::error::Error::source(&e)
                .map(|c| c.to_string())
                .unwrap_or_default()
        );
        assert!(
            raw.contains(token),
            "kube's words no longer quote the lines: {raw}"
        );
        for words in [
            kubeconfig_failure(Some(std::path::Path::new("/tmp/kc")), &e),
            kubeconfig_failure(None, &e),
            describe(&e),
        ] {
            assert!(!words.contains(token), "the token in: {words}");
            assert!(words.contains("line 7"), "no line in: {words}");
        }
    }
}

#[cfg(test)]
mod tls_tests {
    use super::transport_words;
    use rustls::{AlertDescription, CertificateError, Error as Tls};

    /// A TLS failure as kube reports it: an I/O error carrying an I/O error carrying rustls's,
    /// under a layer of the HTTP client's own (seen against a server of another CA).
    fn failed(tls: Tls) -> String {
        #[derive(Debug, thiserror::Error)]
        #[error("client error (Connect)")]
        struct Layer(#[source] std::io::Error);
        let io = |e: Box<dyn std::error::Error + Send + Sync>| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, e)
        };
        transport_words(&Layer(io(Box::new(io(Box::new(tls))))))
    }

    #[test]
    fn a_tls_failure_is_named_in_words_with_what_to_check() {
        let unknown = failed(Tls::InvalidCertificate(CertificateError::UnknownIssuer));
        assert!(
            unknown.starts_with("the API server's certificate is not signed by a certificate authority this cluster trusts"),
            "{unknown}"
        );
        // A CA that changed (a cluster made again under the same name) fails its signature.
        assert_eq!(
            failed(Tls::InvalidCertificate(CertificateError::BadSignature)),
            unknown
        );
        assert!(failed(Tls::InvalidCertificate(CertificateError::Expired)).contains("has expired"));
        assert!(
            failed(Tls::InvalidCertificate(CertificateError::NotValidForName))
                .contains("set tls-server-name")
        );
        // The names it holds, against the one asked for (escaped, the first five).
        let names = |presented: &[&str]| {
            failed(Tls::InvalidCertificate(
                CertificateError::NotValidForNameContext {
                    expected: rustls::pki_types::ServerName::try_from("elsewhere")
                        .expect("name")
                        .to_owned(),
                    presented: presented.iter().map(|s| s.to_string()).collect(),
                },
            ))
        };
        // rustls's forms; for a DNS name asked, the DNS names (as x509 lists them).
        let dns = |n: &str| format!("DnsName(\"{n}\")");
        assert_eq!(
            names(&[&dns("localhost"), "IpAddress(127.0.0.1)", "IpAddress(0::1)", &dns("testcluster"), "UniformResourceIdentifier(\"spiffe://x\")"]),
            "the API server's certificate is valid for localhost, testcluster, not elsewhere: connect to an address it names, or set tls-server-name to one of them"
        );
        // None of that kind: every name, addresses in their standard form.
        assert_eq!(
            names(&["IpAddress(127.0.0.1)", "IpAddress(0::1)"]),
            "the API server's certificate is valid for 127.0.0.1, ::1, not elsewhere: connect to an address it names, or set tls-server-name to one of them"
        );
        let hostile: Vec<String> = ["a\x1b]0;x\x07", "b", "c", "d", "e", "f", "g"]
            .iter()
            .map(|n| dns(n))
            .collect();
        let many = names(&hostile.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(!many.contains('\x1b'), "{many}");
        assert!(many.contains(", e, 2 more, not elsewhere"), "{many}");
        assert!(failed(Tls::AlertReceived(AlertDescription::UnknownCA))
            .starts_with("the API server refused this client's certificate"));
        for w in [
            unknown,
            failed(Tls::InvalidCertificate(CertificateError::Revoked)),
        ] {
            assert!(
                !w.contains("invalid peer certificate") && !w.contains("Issuer"),
                "rustls's words: {w}"
            );
        }
        // Not a certificate: left to the words for any other failure.
        assert!(failed(Tls::DecryptError).contains("cannot decrypt"));
    }
}

#[cfg(test)]
mod proxy_tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    fn uri(s: &str) -> http::Uri {
        s.parse().expect("uri")
    }

    #[test]
    fn the_kubeconfig_proxy_wins_and_the_environment_follows_kubectl_s_rules() {
        let api = uri("https://api.example.com:6443");
        let proxy = [("HTTPS_PROXY", "proxy:3128")];
        assert_eq!(
            proxy_for(Some("socks5://s:1080"), &api, env(&proxy)).as_deref(),
            Some("socks5://s:1080")
        );
        assert_eq!(
            proxy_for(None, &api, env(&proxy)).as_deref(),
            Some("http://proxy:3128")
        );
        assert_eq!(
            proxy_for(None, &api, env(&[("https_proxy", "http://p:1")])).as_deref(),
            Some("http://p:1")
        );
        // An http:// server takes HTTP_PROXY, not HTTPS_PROXY.
        assert_eq!(
            proxy_for(None, &uri("http://api.example.com"), env(&proxy)),
            None
        );
        // Loopback and localhost never go through the environment's proxy.
        for local in [
            "https://127.0.0.1:6443",
            "https://localhost:6443",
            "https://[::1]:6443",
        ] {
            assert_eq!(proxy_for(None, &uri(local), env(&proxy)), None, "{local}");
        }
        let with_no = |no: &str| {
            proxy_for(
                None,
                &api,
                env(&[("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", no)]),
            )
        };
        for direct in [
            "*",
            "example.com",
            ".example.com",
            "api.example.com",
            "other, api.example.com:6443",
            "API.EXAMPLE.COM",
        ] {
            assert_eq!(with_no(direct), None, "NO_PROXY={direct}");
        }
        for proxied in [
            "ample.com",
            "api.example.com:443",
            ".api.example.com",
            "10.0.0.0/8",
        ] {
            assert!(with_no(proxied).is_some(), "NO_PROXY={proxied}");
        }
        let ip = uri("https://10.1.2.3:6443");
        let ip_with = |no: &str| {
            proxy_for(
                None,
                &ip,
                env(&[("HTTPS_PROXY", "http://p:1"), ("no_proxy", no)]),
            )
        };
        assert_eq!(ip_with("10.0.0.0/8"), None);
        assert_eq!(ip_with("10.1.2.3"), None);
        assert!(ip_with("10.1.2.4,192.168.0.0/16").is_some());
    }

    #[test]
    fn proxy_credentials_are_decoded_and_never_shown() {
        let p = uri("http://us%40er:p%3Ass%25@proxy.example:3128");
        assert_eq!(
            proxy_credentials(&p),
            Some(("us@er".to_string(), "p:ss%".to_string()))
        );
        assert_eq!(proxy_shown(&p), "http://proxy.example:3128");
        assert_eq!(proxy_credentials(&uri("socks5://proxy:1080")), None);
    }

    /// A scheme no proxy support covers (`socks4://`, `socks5h://`) is refused as kube refuses
    /// it, but without the URL's credentials, which kube's words print.
    #[tokio::test]
    async fn an_unsupported_proxy_scheme_is_refused_without_its_credentials() {
        for scheme in ["socks4", "socks5h"] {
            let mut config = kube::Config::new(uri("https://127.0.0.1:6443"));
            config.proxy_url = Some(uri(&format!(
                "{scheme}://alice:S3cretPw@proxy.example:1080"
            )));
            let Err(e) = build_client(config, None) else {
                panic!("{scheme}: a client through an unsupported proxy");
            };
            let words = describe(&e);
            assert!(
                matches!(e, kube::Error::ProxyProtocolUnsupported { .. }),
                "{scheme}: {words}"
            );
            assert!(
                !words.contains("S3cretPw") && !words.contains("alice"),
                "{words}"
            );
            assert!(
                words.contains(&format!("{scheme}://proxy.example:1080")),
                "{words}"
            );
        }
    }
}
