//! What can stop `vitals demo`.

use std::fmt;
use std::io;

/// Why the demo could not run.
#[derive(Debug)]
pub(crate) enum Error {
    /// The `--listen` address is malformed, cannot be resolved, or cannot be bound.
    Listen {
        /// The address as given.
        addr: String,
        /// Why binding failed.
        source: io::Error,
    },
    /// Registering the demo's metrics failed: a bug in the demo or the library, never the
    /// user's doing.
    Metrics(vitals::Error),
    /// The HTTP endpoint's configuration was refused (a bug in the demo).
    Http(vitals::http::ConfigError),
    /// The `--textfile` directory or file cannot be used.
    Textfile(vitals::textfile::BuildError),
    /// The first write to the `--textfile` directory failed.
    TextfileWrite(vitals::textfile::WriteError),
    /// An operating-system failure outside the user's control.
    Io {
        /// What the demo was doing.
        context: &'static str,
        /// The failure.
        source: io::Error,
    },
}

impl Error {
    /// Whether the user can fix this by changing the arguments.
    pub(crate) fn is_usage(&self) -> bool {
        matches!(
            self,
            Self::Listen { .. } | Self::Textfile(_) | Self::TextfileWrite(_)
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Listen { addr, source } => {
                write!(f, "cannot listen on {addr:?}: {source}")?;
                match source.kind() {
                    io::ErrorKind::AddrInUse => f.write_str(
                        "; choose another port with --listen, or port 0 for any free one",
                    ),
                    io::ErrorKind::InvalidInput => {
                        f.write_str("; give --listen as HOST:PORT, such as 127.0.0.1:9898")
                    }
                    _ => Ok(()),
                }
            }
            Self::Metrics(err) => write!(f, "cannot register the demo's metrics: {err}"),
            Self::Http(err) => write!(f, "cannot set up the metrics endpoint: {err}"),
            Self::Textfile(err) => write!(f, "cannot write a textfile: {err}"),
            Self::TextfileWrite(err) => write!(f, "cannot write the textfile: {err}"),
            Self::Io { context, source } => write!(f, "{context}: {source}"),
        }
    }
}

// Each message already ends with its cause's text (so that the hint can follow it), so no
// `source` is reported: `{:#}` would print the cause twice.
impl std::error::Error for Error {}
