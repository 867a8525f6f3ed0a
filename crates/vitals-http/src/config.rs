//! [`MetricsConfig`]: paths, formats, protection and health for the metrics routes, and
//! [`ConfigError`], what is wrong with one.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;

use crate::health::{Health, HealthCheck};

/// How the metrics routes are served: their paths, whether OpenMetrics is offered, gzip, who
/// may scrape, and what the health route reports.
///
/// `new()` gives the defaults; each `with_*` setter documents its own. Setters never fail:
/// everything is checked once, by [`metrics_router`](crate::metrics_router), which returns a
/// [`ConfigError`].
///
/// Seed 002's layout, under `/api`, with a bearer token and a network allow-list:
///
/// ```
/// use vitals_http::{metrics_router, MetricsConfig};
///
/// let config = MetricsConfig::new()
///     .with_path("/api/metrics")
///     .with_json_path("/api/metrics/json")
///     .with_health_path("/api/metrics/health")
///     .with_bearer_token("s3cret")
///     .with_allowed_networks(["10.0.0.0/8".parse()?, "127.0.0.1".parse()?]);
/// let router = metrics_router(vitals_core::Registry::new(), config)?;
/// # let _: axum::Router = router;
/// # Ok::<(), vitals_http::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct MetricsConfig {
    pub(crate) path: String,
    pub(crate) json_path: Option<String>,
    pub(crate) health_path: Option<String>,
    pub(crate) openmetrics: bool,
    pub(crate) gzip: bool,
    pub(crate) auth: Option<Credentials>,
    pub(crate) allowed: Option<Vec<IpNetwork>>,
    /// `None`: protected exactly when credentials or an allow-list are configured.
    pub(crate) protect_health: Option<bool>,
    pub(crate) health: Arc<dyn HealthCheck>,
}

impl fmt::Debug for MetricsConfig {
    // By hand: the credentials must never reach a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsConfig")
            .field("path", &self.path)
            .field("json_path", &self.json_path)
            .field("health_path", &self.health_path)
            .field("openmetrics", &self.openmetrics)
            .field("gzip", &self.gzip)
            .field("auth", &self.auth.as_ref().map(Credentials::scheme))
            .field("allowed", &self.allowed)
            .field("protect_health", &self.protect_health)
            .finish_non_exhaustive()
    }
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl MetricsConfig {
    /// The defaults: `/metrics`, `/metrics/json`, `/health`; OpenMetrics offered; gzip on
    /// request; no authentication; every client address allowed; a health route that always
    /// reports `{"status":"ok"}` and is not protected.
    ///
    /// ```
    /// let config = vitals_http::MetricsConfig::new();
    /// assert_eq!(config.path(), "/metrics");
    /// ```
    pub fn new() -> Self {
        Self {
            path: "/metrics".to_owned(),
            json_path: Some("/metrics/json".to_owned()),
            health_path: Some("/health".to_owned()),
            openmetrics: true,
            gzip: true,
            auth: None,
            allowed: None,
            protect_health: None,
            health: Arc::new(Health::ok),
        }
    }

    /// The path of the negotiated exposition. Default `/metrics`.
    ///
    /// ```
    /// let config = vitals_http::MetricsConfig::new().with_path("/api/metrics");
    /// assert_eq!(config.path(), "/api/metrics");
    /// ```
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The path of the exposition, as set by [`with_path`](Self::with_path).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The path of the JSON exposition (always JSON, whatever `Accept` says). Default
    /// `/metrics/json`.
    ///
    /// ```
    /// let config = vitals_http::MetricsConfig::new().with_json_path("/api/metrics/json");
    /// ```
    pub fn with_json_path(mut self, path: impl Into<String>) -> Self {
        self.json_path = Some(path.into());
        self
    }

    /// Serves no JSON route. (JSON can still be negotiated on the main path with
    /// `Accept: application/json`.)
    ///
    /// ```
    /// let config = vitals_http::MetricsConfig::new().without_json();
    /// ```
    pub fn without_json(mut self) -> Self {
        self.json_path = None;
        self
    }

    /// The path of the health route. Default `/health`.
    ///
    /// ```
    /// let config = vitals_http::MetricsConfig::new().with_health_path("/api/metrics/health");
    /// ```
    pub fn with_health_path(mut self, path: impl Into<String>) -> Self {
        self.health_path = Some(path.into());
        self
    }

    /// Serves no health route.
    ///
    /// ```
    /// let config = vitals_http::MetricsConfig::new().without_health();
    /// ```
    pub fn without_health(mut self) -> Self {
        self.health_path = None;
        self
    }

    /// What the health route reports: anything implementing [`HealthCheck`], such as a closure
    /// returning [`Health`]. It runs on each request, so it should be quick. Default: always
    /// [`Health::ok`].
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use vitals_http::{Health, MetricsConfig};
    ///
    /// let db_up = Arc::new(AtomicBool::new(true));
    /// let config = MetricsConfig::new().with_health(move || {
    ///     Health::ok().with_check("database", db_up.load(Ordering::Relaxed))
    /// });
    /// ```
    pub fn with_health(mut self, check: impl HealthCheck) -> Self {
        self.health = Arc::new(check);
        self
    }

    /// Whether OpenMetrics is offered. Default `true`. When `false`, a scraper asking for
    /// OpenMetrics gets Prometheus text 0.0.4, as client_golang does with `EnableOpenMetrics`
    /// off: useful where something downstream reads only 0.0.4.
    ///
    /// ```
    /// let config = vitals_http::MetricsConfig::new().with_openmetrics(false);
    /// ```
    pub fn with_openmetrics(mut self, enabled: bool) -> Self {
        self.openmetrics = enabled;
        self
    }

    /// Whether responses are gzipped when the client's `Accept-Encoding` allows it. Default
    /// `true`. Turn it off when a proxy in front compresses already.
    ///
    /// ```
    /// let config = vitals_http::MetricsConfig::new().with_gzip(false);
    /// ```
    pub fn with_gzip(mut self, enabled: bool) -> Self {
        self.gzip = enabled;
        self
    }

    /// Requires `Authorization: Bearer <token>` (Prometheus: `authorization: {credentials:
    /// ...}` in the scrape config). Replaces any basic-auth requirement. Default: none.
    ///
    /// ```
    /// let config = vitals_http::MetricsConfig::new().with_bearer_token("s3cret");
    /// ```
    pub fn with_bearer_token(mut self, token: impl Into<String>) -> Self {
        self.auth = Some(Credentials::Bearer(token.into()));
        self
    }

    /// Requires HTTP basic authentication with this user and password (Prometheus:
    /// `basic_auth` in the scrape config). Replaces any bearer-token requirement. Default:
    /// none.
    ///
    /// ```
    /// let config = vitals_http::MetricsConfig::new().with_basic_auth("prometheus", "s3cret");
    /// ```
    pub fn with_basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Some(Credentials::Basic {
            user: user.into(),
            password: password.into(),
        });
        self
    }

    /// Serves only clients whose address is in one of these networks; others get 403.
    /// Default: every address. The client address comes from axum's
    /// [`ConnectInfo`](axum::extract::ConnectInfo), so serve the router with
    /// `into_make_service_with_connect_info::<SocketAddr>()` (the standalone
    /// [`serve`](crate::serve) does); without it every request is refused, since the check
    /// cannot be made. Behind a proxy the address is the proxy's.
    ///
    /// ```
    /// use vitals_http::MetricsConfig;
    /// let config = MetricsConfig::new()
    ///     .with_allowed_networks(["10.0.0.0/8".parse()?, "::1".parse()?]);
    /// # Ok::<(), vitals_http::ConfigError>(())
    /// ```
    pub fn with_allowed_networks(mut self, networks: impl IntoIterator<Item = IpNetwork>) -> Self {
        self.allowed = Some(networks.into_iter().collect());
        self
    }

    /// Whether authentication and the allow-list apply to the health route too. Default: yes
    /// when credentials or an allow-list are configured (a custom [`HealthCheck`] names the
    /// dependencies it checks and whether they fail, which is not for everyone to read); pass
    /// `false` to open it for liveness probes that carry no credentials.
    ///
    /// ```
    /// let config = vitals_http::MetricsConfig::new().with_protected_health(true);
    /// ```
    pub fn with_protected_health(mut self, protected: bool) -> Self {
        self.protect_health = Some(protected);
        self
    }

    /// Checks the paths and credentials; [`metrics_router`](crate::metrics_router) calls it.
    ///
    /// ```
    /// use vitals_http::{ConfigError, MetricsConfig};
    /// let bad = MetricsConfig::new().with_path("metrics");
    /// assert!(matches!(bad.validate(), Err(ConfigError::InvalidPath { .. })));
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut seen: Vec<&str> = Vec::new();
        let paths = std::iter::once(self.path.as_str())
            .chain(self.json_path.as_deref())
            .chain(self.health_path.as_deref());
        for path in paths {
            // axum treats `{`, `}` and `*` as captures and wildcards and panics on some of
            // them; a metrics path never needs one, so refuse them here with a clear error.
            let reason = if !path.starts_with('/') {
                Some("must start with '/'")
            } else if path.contains(['{', '}', '*']) {
                Some("must not contain '{', '}' or '*'")
            } else if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
                Some("must not contain whitespace or control characters")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(ConfigError::InvalidPath {
                    path: path.to_owned(),
                    reason,
                });
            }
            if seen.contains(&path) {
                return Err(ConfigError::DuplicatePath {
                    path: path.to_owned(),
                });
            }
            seen.push(path);
        }
        match &self.auth {
            Some(Credentials::Bearer(token)) if token.is_empty() => {
                return Err(ConfigError::EmptyCredentials)
            }
            Some(Credentials::Bearer(token)) if !token.bytes().all(|b| b.is_ascii_graphic()) => {
                return Err(ConfigError::InvalidToken)
            }
            Some(Credentials::Basic { user, password }) => {
                if user.is_empty() || password.is_empty() {
                    return Err(ConfigError::EmptyCredentials);
                }
                // RFC 7617: the user-id cannot contain a colon, the password can.
                if user.contains(':') {
                    return Err(ConfigError::ColonInUser);
                }
            }
            _ => {}
        }
        if self.allowed.as_ref().is_some_and(Vec::is_empty) {
            return Err(ConfigError::EmptyAllowList);
        }
        Ok(())
    }
}

/// The credentials a scraper must send.
#[derive(Clone)]
pub(crate) enum Credentials {
    Bearer(String),
    Basic { user: String, password: String },
}

impl Credentials {
    pub(crate) fn scheme(&self) -> &'static str {
        match self {
            Self::Bearer(_) => "Bearer",
            Self::Basic { .. } => "Basic",
        }
    }
}

/// An IP network: an address and a prefix length, written `10.0.0.0/8`, `fd00::/8`, or a bare
/// address for a single host. IPv4-mapped IPv6 client addresses (`::ffff:10.1.2.3`) match IPv4
/// networks.
///
/// ```
/// use std::net::IpAddr;
/// use vitals_http::IpNetwork;
///
/// let net: IpNetwork = "192.168.0.0/16".parse()?;
/// assert!(net.contains("192.168.4.2".parse::<IpAddr>().unwrap()));
/// assert!(!net.contains("192.169.0.1".parse::<IpAddr>().unwrap()));
/// assert!(net.contains("::ffff:192.168.0.9".parse::<IpAddr>().unwrap()));
/// assert_eq!(net.to_string(), "192.168.0.0/16");
/// # Ok::<(), vitals_http::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNetwork {
    addr: IpAddr,
    prefix: u8,
}

impl IpNetwork {
    /// The network of `addr` with `prefix` leading bits; host bits in `addr` are cleared.
    /// Fails when the prefix is longer than the address (32 for IPv4, 128 for IPv6).
    ///
    /// ```
    /// use vitals_http::IpNetwork;
    /// let net = IpNetwork::new("10.1.2.3".parse().unwrap(), 8)?;
    /// assert_eq!(net.to_string(), "10.0.0.0/8");
    /// # Ok::<(), vitals_http::ConfigError>(())
    /// ```
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Self, ConfigError> {
        // A network written in IPv4-mapped form (`::ffff:10.0.0.0/104`, as dual-stack logs show
        // addresses) is that IPv4 network: clients are compared in IPv4 form too.
        let (addr, prefix) = match addr {
            IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() && prefix >= 96 => (
                IpAddr::V4(
                    v6.to_ipv4_mapped()
                        .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED),
                ),
                prefix - 96,
            ),
            IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() && prefix != 128 => {
                return Err(ConfigError::InvalidNetwork {
                    input: format!("{addr}/{prefix}"),
                    reason: "an IPv4-mapped network needs a prefix of at least 96; write the \
                             IPv4 network instead",
                })
            }
            _ => (addr, prefix),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(ConfigError::InvalidNetwork {
                input: format!("{addr}/{prefix}"),
                reason: "prefix length longer than the address",
            });
        }
        Ok(Self {
            addr: mask(addr, prefix),
            prefix,
        })
    }

    /// Whether `addr` is in this network. IPv4 clients of a dual-stack socket
    /// (`::ffff:a.b.c.d`) are compared as IPv4, so `::/0` covers IPv6 clients only; list
    /// `0.0.0.0/0` as well to admit everyone.
    ///
    /// ```
    /// use vitals_http::IpNetwork;
    /// let net: IpNetwork = "::1".parse()?;
    /// assert!(net.contains("::1".parse().unwrap()));
    /// # Ok::<(), vitals_http::ConfigError>(())
    /// ```
    pub fn contains(&self, addr: IpAddr) -> bool {
        // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d.
        let addr = addr.to_canonical();
        addr.is_ipv4() == self.addr.is_ipv4() && mask(addr, self.prefix) == self.addr
    }
}

fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((bits & mask).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((bits & mask).into())
        }
    }
}

impl FromStr for IpNetwork {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = |reason| ConfigError::InvalidNetwork {
            input: s.to_owned(),
            reason,
        };
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| invalid("not an IPv4 or IPv6 address"))?;
        let prefix = match prefix {
            // A bare address is one host.
            None => {
                if addr.is_ipv4() {
                    32
                } else {
                    128
                }
            }
            Some(p) => p
                .parse::<u8>()
                .map_err(|_| invalid("prefix length is not a number from 0 to 128"))?,
        };
        Self::new(addr, prefix).map_err(|_| invalid("prefix length longer than the address"))
    }
}

impl fmt::Display for IpNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// What is wrong with a [`MetricsConfig`] or an [`IpNetwork`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A route path that axum cannot serve as a plain path.
    InvalidPath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Two routes were given the same path.
    DuplicatePath {
        /// The path given twice.
        path: String,
    },
    /// An empty bearer token, user or password: it would let anyone in.
    EmptyCredentials,
    /// A bearer token with characters that cannot travel in an HTTP header.
    InvalidToken,
    /// A basic-auth user containing `:`, which the header format cannot carry.
    ColonInUser,
    /// An allow-list with no networks, which would refuse every client.
    EmptyAllowList,
    /// A network that does not parse.
    InvalidNetwork {
        /// The text as given.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidPath { path, reason } => {
                write!(f, "invalid route path {path:?}: it {reason}")
            }
            Self::DuplicatePath { path } => write!(
                f,
                "route path {path:?} is used twice; give the metrics, JSON and health routes distinct paths"
            ),
            Self::EmptyCredentials => f.write_str(
                "empty bearer token, user or password; give a non-empty one or leave authentication off",
            ),
            Self::InvalidToken => f.write_str(
                "bearer token has spaces or non-ASCII characters; use visible ASCII only",
            ),
            Self::ColonInUser => {
                f.write_str("basic-auth user contains ':'; RFC 7617 allows it only in the password")
            }
            Self::EmptyAllowList => f.write_str(
                "allow-list has no networks and would refuse every client; add a network such as 127.0.0.1",
            ),
            Self::InvalidNetwork { input, reason } => write!(
                f,
                "invalid network {input:?}: {reason}; write an address (10.1.2.3) or a CIDR (10.0.0.0/8)"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks() {
        let table: &[(&str, &str, bool)] = &[
            ("10.0.0.0/8", "10.255.1.2", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("0.0.0.0/0", "203.0.113.9", true),
            ("127.0.0.1", "127.0.0.1", true),
            ("127.0.0.1", "127.0.0.2", false),
            ("127.0.0.1", "::ffff:127.0.0.1", true),
            ("::1", "::1", true),
            ("::1", "127.0.0.1", false),
            ("fd00::/8", "fd12:3456::1", true),
            ("fd00::/8", "fe80::1", false),
            ("::/0", "2001:db8::1", true),
            ("10.1.2.3/31", "10.1.2.2", true),
        ];
        for &(net, addr, expected) in table {
            let parsed: IpNetwork = net.parse().unwrap();
            assert_eq!(
                parsed.contains(addr.parse().unwrap()),
                expected,
                "{net} contains {addr}"
            );
        }
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "x",
            "10.0.0.0/",
            "10.0.0.0/-1",
        ] {
            assert!(bad.parse::<IpNetwork>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn validation() {
        assert!(MetricsConfig::new().validate().is_ok());
        let dup = MetricsConfig::new().with_json_path("/metrics");
        assert!(matches!(
            dup.validate(),
            Err(ConfigError::DuplicatePath { .. })
        ));
        let capture = MetricsConfig::new().with_path("/{x}");
        assert!(matches!(
            capture.validate(),
            Err(ConfigError::InvalidPath { .. })
        ));
        assert_eq!(
            MetricsConfig::new().with_bearer_token("").validate(),
            Err(ConfigError::EmptyCredentials)
        );
        assert_eq!(
            MetricsConfig::new().with_bearer_token("a b").validate(),
            Err(ConfigError::InvalidToken)
        );
        assert_eq!(
            MetricsConfig::new().with_basic_auth("a:b", "c").validate(),
            Err(ConfigError::ColonInUser)
        );
        assert_eq!(
            MetricsConfig::new()
                .with_allowed_networks(Vec::new())
                .validate(),
            Err(ConfigError::EmptyAllowList)
        );
        // Paths may repeat only if a route is off.
        assert!(MetricsConfig::new()
            .without_json()
            .with_health_path("/metrics/json")
            .validate()
            .is_ok());
    }

    #[test]
    fn debug_hides_secrets() {
        let shown = format!("{:?}", MetricsConfig::new().with_bearer_token("hunter2"));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("Bearer"), "{shown}");
    }
}
