//! Reading the exposition: from a file, standard input, or an HTTP(S) URL.

use std::fmt;
use std::io::Read;
use std::time::Duration;

/// What a scraper sends: OpenMetrics preferred, 0.0.4 accepted.
pub(crate) const ACCEPT: &str =
    "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";

/// How long a whole HTTP exchange may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest body read from a URL: far past any real exposition, but a bound all the same.
const HTTP_LIMIT: u64 = 1 << 30;

/// Where the exposition comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// Standard input (`-`).
    Stdin,
    /// A file.
    File(String),
    /// An `http://` or `https://` URL.
    Url(String),
}

impl Source {
    /// Reads the command-line argument: `-`, a URL, or else a path.
    pub(crate) fn from_arg(arg: &str) -> Self {
        let lower = arg.to_ascii_lowercase();
        if arg == "-" {
            Source::Stdin
        } else if lower.starts_with("http://") || lower.starts_with("https://") {
            Source::Url(arg.to_owned())
        } else {
            Source::File(arg.to_owned())
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Stdin => f.write_str("<stdin>"),
            Source::File(path) => f.write_str(path),
            Source::Url(url) => f.write_str(url),
        }
    }
}

/// What was read.
#[derive(Debug)]
pub(crate) struct Input {
    /// The exposition.
    pub(crate) text: String,
    /// The response's `Content-Type`, for a URL.
    pub(crate) content_type: Option<String>,
}

/// Why the exposition could not be read (exit code 2).
#[derive(Debug)]
pub(crate) struct ReadError(pub(crate) String);

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads `source` whole.
pub(crate) fn read(source: &Source) -> Result<Input, ReadError> {
    let (bytes, content_type) = match source {
        Source::Stdin => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .map_err(|e| ReadError(format!("cannot read standard input: {e}")))?;
            (bytes, None)
        }
        Source::File(path) => {
            let bytes =
                std::fs::read(path).map_err(|e| ReadError(format!("cannot read {path}: {e}")))?;
            (bytes, None)
        }
        Source::Url(url) => fetch(url)?,
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        ReadError(format!(
            "{source} is not UTF-8 text (invalid byte at offset {}): expositions are UTF-8",
            e.utf8_error().valid_up_to()
        ))
    })?;
    Ok(Input { text, content_type })
}

/// GETs `url` as a scraper would; any status but 2xx is an error.
fn fetch(url: &str) -> Result<(Vec<u8>, Option<String>), ReadError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(HTTP_TIMEOUT))
        .build()
        .into();
    let mut response = agent
        .get(url)
        .header("Accept", ACCEPT)
        .call()
        .map_err(|e| match e {
            ureq::Error::StatusCode(code) => ReadError(format!(
                "cannot read {url}: the server answered HTTP {code}"
            )),
            other => ReadError(format!("cannot read {url}: {other}")),
        })?;
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = response
        .body_mut()
        .with_config()
        .limit(HTTP_LIMIT)
        .read_to_vec()
        .map_err(|e| ReadError(format!("cannot read the body of {url}: {e}")))?;
    Ok((bytes, content_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_name_their_source() {
        assert_eq!(Source::from_arg("-"), Source::Stdin);
        assert_eq!(
            Source::from_arg("HTTP://localhost/metrics"),
            Source::Url("HTTP://localhost/metrics".into())
        );
        assert_eq!(
            Source::from_arg("metrics.prom"),
            Source::File("metrics.prom".into())
        );
    }
}
