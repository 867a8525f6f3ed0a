//! [`Error`]: what went wrong with a push, and what to do about it.

use std::fmt;
use std::time::Duration;

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The gateway URL is not an `http://` or `https://` URL.
    InvalidUrl,
    /// The job name is empty.
    InvalidJob,
    /// A grouping label name is not a valid label name, is reserved (`job`, `__…`) or was
    /// given twice.
    InvalidLabelName,
    /// The gateway answered with a status other than 2xx; see [`Error::status`] and
    /// [`Error::gateway_message`].
    Status,
    /// The gateway did not answer within the timeout.
    Timeout,
    /// The gateway could not be reached: refused, unknown host, TLS failure, connection reset.
    Connection,
}

/// A failed push, push-add or delete, or an invalid [`Pusher`](crate::Pusher) setting. The
/// message says what happened and what to do.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    gateway_message: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: String) -> Self {
        Self {
            kind,
            message,
            status: None,
            gateway_message: None,
            source: None,
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The HTTP status the gateway answered with, for [`ErrorKind::Status`].
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The gateway's own explanation (the response body, trimmed), for [`ErrorKind::Status`]:
    /// for a rejected push, what was wrong with the metrics.
    pub fn gateway_message(&self) -> Option<&str> {
        self.gateway_message.as_deref()
    }

    /// The full message, as `Display` writes it.
    pub fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn status_error(method: &str, url: &str, status: u16, body: &str) -> Self {
        // Bodies are short text messages; a proxy's HTML error page need not be shown whole.
        let body: String = body.trim().chars().take(2000).collect();
        let hint = match status {
            400 => {
                "the gateway could not parse the pushed metrics, or they are inconsistent with \
                 metrics it already holds (a name with another type, in this or another group; \
                 a series given twice); fix the metrics, or delete the conflicting group"
            }
            401 | 403 => {
                "the gateway refused the credentials; set them with Pusher::with_basic_auth"
            }
            404 | 405 => {
                "check the gateway URL: it should be the gateway's base URL (with its \
                 --web.route-prefix, if any), without /metrics"
            }
            _ if status >= 500 => "the gateway failed; see its logs and retry later",
            _ => "see the gateway's message",
        };
        let shown = if body.is_empty() {
            String::new()
        } else {
            format!(": {body}")
        };
        let mut error = Self::new(
            ErrorKind::Status,
            format!("{method} {url} answered HTTP {status}{shown}; {hint}"),
        );
        error.status = Some(status);
        error.gateway_message = Some(body);
        error
    }

    pub(crate) fn timeout(method: &str, url: &str, timeout: Duration) -> Self {
        Self::new(
            ErrorKind::Timeout,
            format!(
                "{method} {url}: no answer from the Pushgateway within {timeout:?}; check that it \
                 is up and reachable, or raise the limit with Pusher::with_timeout"
            ),
        )
    }

    pub(crate) fn connection(
        method: &str,
        url: &str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        let source = source.into();
        let mut error = Self::new(
            ErrorKind::Connection,
            format!(
                "{method} {url}: could not reach the Pushgateway ({source}); check the URL and \
                 that the gateway is running and reachable from here"
            ),
        );
        error.source = Some(source);
        error
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
