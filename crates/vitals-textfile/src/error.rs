//! The typed errors of the writer: [`BuildError`] for configuration, [`WriteError`] for a write
//! that did not replace the file.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// What is wrong with a [`TextfileWriterBuilder`](crate::TextfileWriterBuilder)'s configuration.
///
/// Match on [`BuildError::kind`]; the [`Display`](fmt::Display) text says what is wrong and
/// what to do.
///
/// ```
/// use vitals_textfile::{BuildErrorKind, TextfileWriter};
///
/// let err = TextfileWriter::builder("/tmp", "metrics.txt").build().unwrap_err();
/// assert_eq!(err.kind(), BuildErrorKind::InvalidFileName);
/// assert!(err.to_string().contains("must end in `.prom`"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError {
    kind: BuildErrorKind,
    message: String,
}

/// The kind of a [`BuildError`]. New kinds may be added, so a `match` needs a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BuildErrorKind {
    /// The file name does not end in `.prom`, is empty or hidden, or contains a path separator.
    InvalidFileName,
    /// The self-metrics prefix does not make valid metric names.
    InvalidPrefix,
    /// The write interval is zero.
    InvalidInterval,
    /// Two registries (or a registry and the writer's self-metrics) expose the same family or
    /// clashing sample names; node_exporter rejects a file that declares a family twice.
    DuplicateFamily,
}

impl BuildError {
    pub(crate) fn new(kind: BuildErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// The kind of error, for matching.
    pub fn kind(&self) -> BuildErrorKind {
        self.kind
    }

    /// The human-readable message, the same text as [`Display`](fmt::Display).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BuildError {}

/// The step of a write that failed: see [`WriteError::kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WriteErrorKind {
    /// The registries' exposition declares a family twice (or two families produce the same
    /// sample name), typically because a collector started producing a family that another
    /// registry also has. Nothing was written.
    DuplicateFamily,
    /// The temporary file could not be created in the target directory.
    CreateTemp,
    /// Writing or syncing the temporary file failed (disk full, I/O error).
    WriteTemp,
    /// Renaming the temporary file over the target failed.
    Rename,
    /// The background writer's thread could not be started (reported to the error handler by
    /// [`TextfileWriter::start`](crate::TextfileWriter::start); nothing was written).
    StartThread,
}

/// A write that did not replace the `.prom` file. The previous file, if there was one, is
/// untouched, the temporary file has been removed, and the writer's failure counter has been
/// incremented.
///
/// The [`Display`](fmt::Display) text names the path, the OS error and what to check.
///
/// ```no_run
/// use vitals_textfile::TextfileWriter;
///
/// let writer = TextfileWriter::builder("/var/lib/prometheus/node-exporter", "myservice.prom")
///     .build()?;
/// if let Err(err) = writer.write_now() {
///     eprintln!("{err}"); // says which path failed, why, and what to check
///     eprintln!("failed step: {:?}, path: {}", err.kind(), err.path().display());
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct WriteError {
    kind: WriteErrorKind,
    path: PathBuf,
    source: Option<io::Error>,
    detail: String,
}

impl WriteError {
    pub(crate) fn io(kind: WriteErrorKind, path: &Path, source: io::Error) -> Self {
        Self {
            kind,
            path: path.to_owned(),
            source: Some(source),
            detail: String::new(),
        }
    }

    pub(crate) fn duplicate(path: &Path, detail: String) -> Self {
        Self {
            kind: WriteErrorKind::DuplicateFamily,
            path: path.to_owned(),
            source: None,
            detail,
        }
    }

    /// Which step failed.
    pub fn kind(&self) -> WriteErrorKind {
        self.kind
    }

    /// The path the failing step worked on: the temporary file for
    /// [`CreateTemp`](WriteErrorKind::CreateTemp) and [`WriteTemp`](WriteErrorKind::WriteTemp),
    /// the target `.prom` file otherwise.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The OS error, when the failure came from the file system.
    pub fn io_error(&self) -> Option<&io::Error> {
        self.source.as_ref()
    }
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        let os = self
            .source
            .as_ref()
            .map(|e| e.to_string())
            .unwrap_or_default();
        match self.kind {
            WriteErrorKind::DuplicateFamily => write!(
                f,
                "not writing {path}: {}; node_exporter rejects a file that declares a family \
                 twice. Give each registry distinct metric names, or write them to separate \
                 files; the previous file was kept",
                self.detail
            ),
            WriteErrorKind::CreateTemp => write!(
                f,
                "cannot create temporary file {path}: {os}; check that the directory exists \
                 and is writable by this process (and that the name is not taken by a \
                 directory); the previous file was kept"
            ),
            WriteErrorKind::WriteTemp => write!(
                f,
                "cannot write temporary file {path}: {os}; check free space and the file \
                 system; the previous file was kept"
            ),
            WriteErrorKind::Rename => write!(
                f,
                "cannot rename the temporary file over {path}: {os}; check that the target is \
                 a regular file (not a directory) and that the directory is writable; the \
                 previous file was kept"
            ),
            WriteErrorKind::StartThread => write!(
                f,
                "cannot start the background writer for {path}: {os}; the OS refused a new \
                 thread (check the process's thread limit); call `write_now` periodically instead"
            ),
        }
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
