//! [`Pusher`]: the gateway, job and grouping key, and the blocking calls.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use vitals_core::Registry;
use vitals_expfmt::{encode, Format};

use crate::error::{Error, ErrorKind, Result};
use crate::path::grouping_path;

/// The default [`Pusher::with_timeout`]: long enough for a loaded gateway, short enough that a
/// batch job does not hang on a dead one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Pushes a registry's metrics to a Prometheus Pushgateway under a grouping key (the job and
/// any grouping labels).
///
/// - [`push`](Self::push) (HTTP `PUT`) replaces every metric of the group;
/// - [`push_add`](Self::push_add) (`POST`) replaces only the metrics with the names pushed;
/// - [`delete`](Self::delete) (`DELETE`) removes the group.
///
/// With the `async` feature the same three exist as `push_async`, `push_add_async` and
/// `delete_async`, for a tokio runtime. The metrics are sent in the Prometheus text format
/// 0.0.4.
///
/// ```no_run
/// use std::time::Duration;
/// use vitals_core::Registry;
/// use vitals_push::Pusher;
///
/// let registry = Registry::new();
/// let processed = registry.counter("batch_records_processed", "Records processed.").register()?;
/// processed.inc_by(1042);
///
/// Pusher::new("http://pushgateway:9091", "nightly_import")?
///     .with_grouping("instance", "db-2")?
///     .with_timeout(Duration::from_secs(5))
///     .push(&registry)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Pusher {
    /// Scheme, authority and any route prefix, without a trailing `/`.
    base: String,
    job: String,
    grouping: Vec<(String, String)>,
    timeout: Duration,
    /// The whole `Authorization` header value.
    authorization: Option<String>,
}

impl std::fmt::Debug for Pusher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the credentials.
        f.debug_struct("Pusher")
            .field("url", &self.url())
            .field("timeout", &self.timeout)
            .field("basic_auth", &self.authorization.is_some())
            .finish()
    }
}

impl Pusher {
    /// A pusher to the gateway at `url` for `job`, with no grouping labels, a
    /// [10 s timeout](DEFAULT_TIMEOUT) and no credentials.
    ///
    /// `url` is the gateway's base URL, `http://` or `https://` (no scheme means `http://`),
    /// including its `--web.route-prefix` if it has one; `/metrics/job/…` is added. The job may
    /// hold any text but must not be empty.
    ///
    /// ```
    /// use vitals_push::{ErrorKind, Pusher};
    /// let pusher = Pusher::new("localhost:9091", "backup")?;
    /// assert_eq!(pusher.url(), "http://localhost:9091/metrics/job/backup");
    /// assert_eq!(Pusher::new("ftp://x", "backup").unwrap_err().kind(), ErrorKind::InvalidUrl);
    /// assert_eq!(Pusher::new("localhost:9091", "").unwrap_err().kind(), ErrorKind::InvalidJob);
    /// # Ok::<(), vitals_push::Error>(())
    /// ```
    pub fn new(url: &str, job: &str) -> Result<Self> {
        let url = url.trim();
        let base = match url.split_once("://") {
            Some((scheme, _))
                if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
            {
                url.to_owned()
            }
            Some((scheme, _)) => {
                return Err(Error::new(
                    ErrorKind::InvalidUrl,
                    format!(
                        "Pushgateway URL {url:?} has the scheme {scheme:?}; use http:// or https://"
                    ),
                ))
            }
            None => format!("http://{url}"),
        };
        let base = base.trim_end_matches('/').to_owned();
        if base.contains(['?', '#']) {
            return Err(Error::new(
                ErrorKind::InvalidUrl,
                format!(
                    "Pushgateway URL {url:?} has a query or fragment; give only the gateway's base \
                     URL, such as http://pushgateway:9091"
                ),
            ));
        }
        if let Err(e) = base.parse::<ureq::http::Uri>() {
            return Err(Error::new(
                ErrorKind::InvalidUrl,
                format!(
                    "Pushgateway URL {url:?} is not a valid URL ({e}); give the gateway's base URL, \
                     such as http://pushgateway:9091"
                ),
            ));
        }
        if base
            .split_once("://")
            .is_some_and(|(_, rest)| rest.is_empty() || rest.starts_with('/'))
        {
            return Err(Error::new(
                ErrorKind::InvalidUrl,
                format!("Pushgateway URL {url:?} has no host; such as http://pushgateway:9091"),
            ));
        }
        if job.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidJob,
                "the job name is empty; the Pushgateway groups metrics by job, so give one \
                 (such as the name of the batch job)"
                    .to_owned(),
            ));
        }
        Ok(Self {
            base,
            job: job.to_owned(),
            grouping: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            authorization: None,
        })
    }

    /// Adds a grouping label: the group is identified by the job and these labels, and the
    /// gateway adds them to every pushed series. Default: none. The value may be any text
    /// (empty, with `/`, non-ASCII): it is encoded as the Pushgateway expects.
    ///
    /// Fails with [`ErrorKind::InvalidLabelName`] when `name` is not a valid label name
    /// (`[a-zA-Z_][a-zA-Z0-9_]*`), starts with `__`, is `job`, or was already given.
    ///
    /// ```
    /// use vitals_push::Pusher;
    /// let pusher = Pusher::new("http://gw:9091", "backup")?
    ///     .with_grouping("instance", "db/2")?
    ///     .with_grouping("zone", "")?;
    /// assert_eq!(
    ///     pusher.url(),
    ///     "http://gw:9091/metrics/job/backup/instance@base64/ZGIvMg/zone@base64/="
    /// );
    /// assert!(pusher.clone().with_grouping("job", "x").is_err());
    /// assert!(pusher.with_grouping("zone-id", "x").is_err());
    /// # Ok::<(), vitals_push::Error>(())
    /// ```
    pub fn with_grouping(mut self, name: &str, value: &str) -> Result<Self> {
        let invalid = |why: String| Error::new(ErrorKind::InvalidLabelName, why);
        vitals_core::name::validate_label_name(name)
            .map_err(|e| invalid(format!("grouping label: {}", e.message())))?;
        if name.starts_with("__") {
            return Err(invalid(format!(
                "grouping label {name:?}: names starting with __ are reserved by Prometheus; \
                 rename it"
            )));
        }
        if name == "job" {
            return Err(invalid(
                "grouping label \"job\": the job is given to Pusher::new, not as a grouping label"
                    .to_owned(),
            ));
        }
        if self.grouping.iter().any(|(n, _)| n == name) {
            return Err(invalid(format!(
                "grouping label {name:?} was given twice; give each label once"
            )));
        }
        self.grouping.push((name.to_owned(), value.to_owned()));
        Ok(self)
    }

    /// Sets the limit on each request, from connecting to reading the answer. Default:
    /// [10 seconds](DEFAULT_TIMEOUT).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sends HTTP basic-auth credentials with each request (for a gateway behind an
    /// authenticating proxy, or started with `--web.config.file`). Default: none. Use an
    /// `https://` URL, or the password crosses the network in clear.
    pub fn with_basic_auth(mut self, username: &str, password: &str) -> Self {
        let token = STANDARD.encode(format!("{username}:{password}"));
        self.authorization = Some(format!("Basic {token}"));
        self
    }

    /// The URL of the group: `<gateway>/metrics/job/<job>{/<label>/<value>}`.
    pub fn url(&self) -> String {
        format!("{}{}", self.base, grouping_path(&self.job, &self.grouping))
    }

    /// The configured timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub(crate) fn authorization(&self) -> Option<&str> {
        self.authorization.as_deref()
    }

    /// Replaces every metric of the group with the metrics of `registry` (HTTP `PUT`).
    /// Blocks until the gateway answers or the timeout passes.
    ///
    /// ```no_run
    /// # let registry = vitals_core::Registry::new();
    /// vitals_push::Pusher::new("http://pushgateway:9091", "backup")?.push(&registry)?;
    /// # Ok::<(), vitals_push::Error>(())
    /// ```
    pub fn push(&self, registry: &Registry) -> Result<()> {
        self.send_blocking(Method::Put, Some(body(registry)))
    }

    /// Adds the metrics of `registry` to the group (HTTP `POST`): metrics of the same names
    /// are replaced, the others kept. Blocks until the gateway answers or the timeout passes.
    ///
    /// ```no_run
    /// # let registry = vitals_core::Registry::new();
    /// vitals_push::Pusher::new("http://pushgateway:9091", "backup")?.push_add(&registry)?;
    /// # Ok::<(), vitals_push::Error>(())
    /// ```
    pub fn push_add(&self, registry: &Registry) -> Result<()> {
        self.send_blocking(Method::Post, Some(body(registry)))
    }

    /// Deletes the group and all its metrics (HTTP `DELETE`). Deleting a group that does not
    /// exist succeeds. Blocks until the gateway answers or the timeout passes.
    ///
    /// ```no_run
    /// vitals_push::Pusher::new("http://pushgateway:9091", "backup")?.delete()?;
    /// # Ok::<(), vitals_push::Error>(())
    /// ```
    pub fn delete(&self) -> Result<()> {
        self.send_blocking(Method::Delete, None)
    }

    fn send_blocking(&self, method: Method, body: Option<Vec<u8>>) -> Result<()> {
        let url = self.url();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(self.timeout))
            // Status errors carry the gateway's message: read the body ourselves.
            .http_status_as_error(false)
            .build()
            .into();
        let auth = self.authorization();
        let result = match (method, body) {
            (Method::Delete, _) => {
                let mut request = agent.delete(&url);
                if let Some(auth) = auth {
                    request = request.header("Authorization", auth);
                }
                request.call()
            }
            (method, body) => {
                let mut request = if method == Method::Put {
                    agent.put(&url)
                } else {
                    agent.post(&url)
                };
                request = request.header("Content-Type", CONTENT_TYPE);
                if let Some(auth) = auth {
                    request = request.header("Authorization", auth);
                }
                request.send(body.unwrap_or_default())
            }
        };
        let mut response =
            result.map_err(|e| ureq_error(method.as_str(), &url, self.timeout, e))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        // A body that cannot be read still leaves the status to report.
        let text = response.body_mut().read_to_string().unwrap_or_default();
        Err(Error::status_error(method.as_str(), &url, status, &text))
    }
}

/// The body's `Content-Type`: the text format 0.0.4, which every Pushgateway reads.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub(crate) fn body(registry: &Registry) -> Vec<u8> {
    let mut out = Vec::new();
    encode(registry, Format::PrometheusText, &mut out);
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Put,
    Post,
    Delete,
}

impl Method {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Put => "PUT",
            Self::Post => "POST",
            Self::Delete => "DELETE",
        }
    }
}

fn ureq_error(method: &str, url: &str, timeout: Duration, error: ureq::Error) -> Error {
    match error {
        ureq::Error::Timeout(_) => Error::timeout(method, url, timeout),
        ureq::Error::Io(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            ) =>
        {
            Error::timeout(method, url, timeout)
        }
        other => Error::connection(method, url, other),
    }
}
