//! The standalone server, for programs that do not run axum themselves: [`serve`] and
//! [`serve_with`] on the caller's tokio runtime, [`serve_in_background`] on a thread with its
//! own runtime for programs with no async at all.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::thread::JoinHandle as ThreadHandle;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use vitals_core::Registry;

use crate::config::{ConfigError, MetricsConfig};
use crate::endpoint::metrics_router;

/// The default address: loopback only, so nothing is exposed beyond the host unless asked
/// for, on port 9464 (the port OpenTelemetry's Prometheus exporter uses, clear of Prometheus's
/// own 9090 and node_exporter's 9100).
pub const DEFAULT_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 9464);

/// What the standalone server serves and where.
///
/// ```
/// use vitals_http::{MetricsConfig, ServerConfig};
///
/// let config = ServerConfig::new(vitals_core::Registry::new())
///     .with_addr("127.0.0.1:0".parse().unwrap())
///     .with_metrics(MetricsConfig::new().with_bearer_token("s3cret"));
/// assert_eq!(config.addr().ip().to_string(), "127.0.0.1");
/// ```
#[derive(Debug, Clone)]
pub struct ServerConfig {
    registry: Registry,
    addr: SocketAddr,
    metrics: MetricsConfig,
}

impl ServerConfig {
    /// Serves `registry` on [`DEFAULT_ADDR`] (`127.0.0.1:9464`) with
    /// [`MetricsConfig::new`]'s defaults.
    ///
    /// ```
    /// let config = vitals_http::ServerConfig::new(vitals_core::Registry::new());
    /// assert_eq!(config.addr(), vitals_http::DEFAULT_ADDR);
    /// ```
    pub fn new(registry: Registry) -> Self {
        Self {
            registry,
            addr: DEFAULT_ADDR,
            metrics: MetricsConfig::new(),
        }
    }

    /// The address to bind. Default [`DEFAULT_ADDR`], loopback only; give `0.0.0.0:PORT`
    /// deliberately, and consider [`MetricsConfig::with_allowed_networks`] then. Port 0 picks
    /// a free port; the handle tells which.
    ///
    /// ```
    /// let config = vitals_http::ServerConfig::new(vitals_core::Registry::new())
    ///     .with_addr("127.0.0.1:0".parse().unwrap());
    /// ```
    pub fn with_addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// The address to bind, as set by [`with_addr`](Self::with_addr).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The routes' paths, formats and protection. Default [`MetricsConfig::new`].
    ///
    /// ```
    /// use vitals_http::{MetricsConfig, ServerConfig};
    /// let config = ServerConfig::new(vitals_core::Registry::new())
    ///     .with_metrics(MetricsConfig::new().with_path("/api/metrics"));
    /// ```
    pub fn with_metrics(mut self, metrics: MetricsConfig) -> Self {
        self.metrics = metrics;
        self
    }
}

/// Serves `registry` at `addr` with the default routes (`/metrics`, `/metrics/json`,
/// `/health`), on the current tokio runtime. Returns once the socket is bound.
///
/// ```no_run
/// # async fn run() -> Result<(), vitals_http::ServeError> {
/// let registry = vitals_core::Registry::new();
/// let server = vitals_http::serve("127.0.0.1:9464".parse().unwrap(), registry).await?;
/// println!("metrics on http://{}/metrics", server.local_addr());
/// // ... run the program ...
/// server.shutdown().await?;
/// # Ok(())
/// # }
/// ```
pub async fn serve(addr: SocketAddr, registry: Registry) -> Result<Server, ServeError> {
    serve_with(ServerConfig::new(registry).with_addr(addr)).await
}

/// Serves as `config` says, on the current tokio runtime. Returns once the socket is bound.
///
/// ```no_run
/// use vitals_http::{MetricsConfig, ServerConfig};
/// # async fn run() -> Result<(), vitals_http::ServeError> {
/// let config = ServerConfig::new(vitals_core::Registry::new())
///     .with_metrics(MetricsConfig::new().with_basic_auth("prometheus", "s3cret"));
/// let server = vitals_http::serve_with(config).await?;
/// server.shutdown().await?;
/// # Ok(())
/// # }
/// ```
pub async fn serve_with(config: ServerConfig) -> Result<Server, ServeError> {
    let router = metrics_router(config.registry, config.metrics)?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.addr,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(ServeError::Io)?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        // Fires on shutdown() and when the handle is dropped (the sender goes away).
        .with_graceful_shutdown(async move {
            let _ = stopped.await;
        })
        .await
    });
    Ok(Server {
        local_addr,
        stop: Some(stop),
        task,
    })
}

/// A running server on a tokio runtime. Dropping it stops the server gracefully in the
/// background; [`shutdown`](Self::shutdown) stops it and waits.
#[derive(Debug)]
pub struct Server {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<io::Result<()>>,
}

impl Server {
    /// The bound address (with the real port when port 0 was asked for).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), vitals_http::ServeError> {
    /// let server = vitals_http::serve("127.0.0.1:0".parse().unwrap(), vitals_core::Registry::new()).await?;
    /// assert_ne!(server.local_addr().port(), 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting connections, lets requests in flight finish, and waits for that.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), vitals_http::ServeError> {
    /// let server = vitals_http::serve("127.0.0.1:0".parse().unwrap(), vitals_core::Registry::new()).await?;
    /// server.shutdown().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn shutdown(mut self) -> Result<(), ServeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result.map_err(ServeError::Io),
            Err(_) => Err(ServeError::Panicked),
        }
    }
}

/// Serves as `config` says on a thread of its own with its own single-threaded tokio
/// runtime, for programs that do not use tokio. Returns once the socket is bound, so a bind
/// error is reported here.
///
/// ```no_run
/// use vitals_http::{serve_in_background, ServerConfig};
///
/// let registry = vitals_core::Registry::new();
/// let server = serve_in_background(ServerConfig::new(registry.clone()))?;
/// println!("metrics on http://{}/metrics", server.local_addr());
/// // ... the program's own work ...
/// server.shutdown()?;
/// # Ok::<(), vitals_http::ServeError>(())
/// ```
pub fn serve_in_background(config: ServerConfig) -> Result<BackgroundServer, ServeError> {
    let router = metrics_router(config.registry, config.metrics)?;
    // Bound here rather than on the thread so the caller gets the error and the real port.
    let listener = std::net::TcpListener::bind(config.addr).map_err(|source| ServeError::Bind {
        addr: config.addr,
        source,
    })?;
    let local_addr = listener.local_addr().map_err(ServeError::Io)?;
    listener.set_nonblocking(true).map_err(ServeError::Io)?;
    // One thread is plenty: encoding a scrape takes microseconds to milliseconds.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Io)?;
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("vitals-http".to_owned())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                axum::serve(
                    listener,
                    router.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
            })
        })
        .map_err(ServeError::Io)?;
    Ok(BackgroundServer {
        local_addr,
        stop: Some(stop),
        thread: Some(thread),
    })
}

/// A server running on its own thread. Dropping it stops the server gracefully without
/// waiting; [`shutdown`](Self::shutdown) stops it and waits.
#[derive(Debug)]
pub struct BackgroundServer {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<ThreadHandle<io::Result<()>>>,
}

impl BackgroundServer {
    /// The bound address (with the real port when port 0 was asked for).
    ///
    /// ```no_run
    /// # let config = vitals_http::ServerConfig::new(vitals_core::Registry::new());
    /// let server = vitals_http::serve_in_background(config)?;
    /// println!("{}", server.local_addr());
    /// # Ok::<(), vitals_http::ServeError>(())
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting connections, lets requests in flight finish, and joins the thread.
    ///
    /// ```no_run
    /// # let config = vitals_http::ServerConfig::new(vitals_core::Registry::new());
    /// vitals_http::serve_in_background(config)?.shutdown()?;
    /// # Ok::<(), vitals_http::ServeError>(())
    /// ```
    pub fn shutdown(mut self) -> Result<(), ServeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(ThreadHandle::join) {
            Some(Ok(result)) => result.map_err(ServeError::Io),
            Some(Err(_)) => Err(ServeError::Panicked),
            None => Ok(()),
        }
    }
}

/// Why the standalone server could not start or stopped with an error.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeError {
    /// The metrics configuration is invalid.
    Config(ConfigError),
    /// The address could not be bound (in use, or not permitted).
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        source: io::Error,
    },
    /// Another I/O error: starting the runtime or thread, or accepting connections.
    Io(io::Error),
    /// The server's task or thread panicked.
    Panicked,
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(e) => write!(f, "invalid metrics configuration: {e}"),
            Self::Bind { addr, source } => write!(
                f,
                "cannot listen on {addr}: {source}; pick a free port, or port 0 for any"
            ),
            Self::Io(e) => write!(f, "metrics server I/O error: {e}"),
            Self::Panicked => f.write_str("the metrics server panicked"),
        }
    }
}

impl std::error::Error for ServeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Config(e) => Some(e),
            Self::Bind { source, .. } | Self::Io(source) => Some(source),
            Self::Panicked => None,
        }
    }
}

impl From<ConfigError> for ServeError {
    fn from(e: ConfigError) -> Self {
        Self::Config(e)
    }
}
