//! [`TextfileWriter`], its builder, and the atomic write.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use vitals_core::{Counter, FloatGauge, Registry};
use vitals_expfmt::{encode, Format};

use crate::check::check_unique_families;
use crate::error::{BuildError, BuildErrorKind, WriteError, WriteErrorKind};
use crate::periodic::WriterHandle;

/// The default interval of the background writer started by [`TextfileWriter::start`].
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(15);

/// Called with each failed background write. See
/// [`TextfileWriterBuilder::with_error_handler`].
pub(crate) type ErrorHandler = Arc<dyn Fn(&WriteError) + Send + Sync>;

/// Writes one or more registries to a `.prom` file for node_exporter's textfile collector.
///
/// Every write renders the registries as Prometheus text 0.0.4 (the only format node_exporter
/// reads in a textfile; no timestamps), followed by the writer's own two self-metrics, into a
/// temporary file in the same directory (`.<name>.<pid>.<n>.tmp`, which node_exporter ignores
/// because it reads only `*.prom`), fsyncs it and renames it over the target. A reader
/// therefore sees the old file or the new one, never a part. A failed write leaves the old
/// file as it was, removes the temporary file, counts the failure and returns a [`WriteError`].
///
/// Writes happen on demand ([`write_now`](Self::write_now)) and periodically on a background
/// thread ([`start`](Self::start)). Cloning is cheap and shares the writer: writes through any
/// clone are serialized.
///
/// ```
/// use vitals_core::Registry;
/// use vitals_textfile::TextfileWriter;
///
/// let dir = tempfile::tempdir()?;
/// let registry = Registry::new();
/// let jobs = registry.counter("myservice_jobs", "Jobs run.").register()?;
/// jobs.inc_by(3);
///
/// let writer = TextfileWriter::builder(dir.path(), "myservice.prom")
///     .with_registry(&registry)
///     .with_self_metrics_prefix("myservice")
///     .build()?;
/// writer.write_now()?;
///
/// let text = std::fs::read_to_string(dir.path().join("myservice.prom"))?;
/// assert!(text.contains("myservice_jobs_total 3\n"));
/// assert!(text.contains("myservice_metrics_write_failures_total 0\n"));
/// assert!(text.contains("# TYPE myservice_last_metrics_write_timestamp_seconds gauge\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct TextfileWriter {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    dir: PathBuf,
    path: PathBuf,
    temp_path: PathBuf,
    registries: Vec<Registry>,
    /// The writer's own families, rendered after the user's registries; `None` when disabled.
    self_registry: Option<Registry>,
    last_write: FloatGauge,
    /// The bits of the `f64` time of the last write that completed; the gauge above also
    /// holds the time of a write in progress, which [`TextfileWriter::last_success`] must not
    /// report.
    last_success: AtomicU64,
    failures: Counter,
    pub(crate) interval: Duration,
    pub(crate) on_error: ErrorHandler,
    /// Serializes writes (they share the temporary file) and keeps the encoding buffer for
    /// reuse from write to write.
    buf: Mutex<Vec<u8>>,
}

impl std::fmt::Debug for TextfileWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextfileWriter")
            .field("path", &self.inner.path)
            .field("registries", &self.inner.registries.len())
            .field("interval", &self.inner.interval)
            .field("self_metrics", &self.inner.self_registry.is_some())
            .finish()
    }
}

/// Configures a [`TextfileWriter`]; made by [`TextfileWriter::builder`] or [`new`](Self::new).
///
/// Defaults: no registries (only the self-metrics are written), interval
/// [`DEFAULT_INTERVAL`] (15 s), self-metrics on with a prefix derived from the file name, one
/// file shared by nothing else (no per-process naming), failed background writes reported on
/// standard error.
#[must_use = "nothing is written until `build` and then `write_now` or `start`"]
pub struct TextfileWriterBuilder {
    dir: PathBuf,
    file_name: String,
    registries: Vec<Registry>,
    interval: Duration,
    self_metrics: bool,
    prefix: Option<String>,
    per_process: bool,
    on_error: Option<ErrorHandler>,
}

impl std::fmt::Debug for TextfileWriterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextfileWriterBuilder")
            .field("dir", &self.dir)
            .field("file_name", &self.file_name)
            .field("registries", &self.registries.len())
            .field("interval", &self.interval)
            .field("self_metrics", &self.self_metrics)
            .field("prefix", &self.prefix)
            .field("per_process", &self.per_process)
            .finish()
    }
}

impl TextfileWriterBuilder {
    /// A builder for the file `file_name` in the directory `dir` (node_exporter's
    /// `--collector.textfile.directory`, on Debian `/var/lib/prometheus/node-exporter`), with
    /// the defaults listed on the type.
    ///
    /// `file_name` must be a plain name ending in `.prom` (checked by [`build`](Self::build)).
    ///
    /// ```
    /// use vitals_textfile::TextfileWriterBuilder;
    /// let writer = TextfileWriterBuilder::new("/tmp", "myservice.prom").build().unwrap();
    /// assert_eq!(writer.path(), std::path::Path::new("/tmp/myservice.prom"));
    /// ```
    pub fn new(dir: impl Into<PathBuf>, file_name: impl Into<String>) -> Self {
        Self {
            dir: dir.into(),
            file_name: file_name.into(),
            registries: Vec::new(),
            interval: DEFAULT_INTERVAL,
            self_metrics: true,
            prefix: None,
            per_process: false,
            on_error: None,
        }
    }

    /// Adds a registry to write; call it once per registry. Registries are written in the
    /// order they were added. Their families must be distinct: a family exposed by two of
    /// them is refused by [`build`](Self::build) and, if it appears later (a collector),
    /// by each write ([`WriteErrorKind::DuplicateFamily`]). Default: none.
    ///
    /// ```
    /// use vitals_core::Registry;
    /// use vitals_textfile::TextfileWriter;
    ///
    /// let (app, jobs) = (Registry::new(), Registry::new());
    /// app.gauge("app_up", "Whether the app is up.").register()?.set(1);
    /// jobs.gauge("jobs_queued", "Jobs waiting.").register()?.set(4);
    /// let dir = tempfile::tempdir()?;
    /// let writer = TextfileWriter::builder(dir.path(), "app.prom")
    ///     .with_registry(&app)
    ///     .with_registry(&jobs)
    ///     .build()?;
    /// writer.write_now()?;
    /// let text = std::fs::read_to_string(writer.path())?;
    /// assert!(text.contains("app_up 1\n") && text.contains("jobs_queued 4\n"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_registry(mut self, registry: &Registry) -> Self {
        self.registries.push(registry.clone());
        self
    }

    /// The interval of the background writer started by [`TextfileWriter::start`]. Pick it
    /// below node_exporter's scrape interval so scrapes see fresh values. Must not be zero.
    /// Default: [`DEFAULT_INTERVAL`] (15 s).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let writer = vitals_textfile::TextfileWriter::builder("/tmp", "x.prom")
    ///     .with_interval(Duration::from_secs(60))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(writer.interval(), Duration::from_secs(60));
    /// ```
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// The prefix of the writer's self-metrics: `myservice` names them
    /// `myservice_last_metrics_write_timestamp_seconds` (gauge: Unix time of the write that
    /// produced the file) and `myservice_metrics_write_failures_total` (counter: failed writes
    /// since the writer was built). Default: the file name up to its first `.`, with
    /// characters not allowed in metric names replaced by `_` (`my-service.prom` gives
    /// `my_service`).
    ///
    /// Alert on staleness with `time() - myservice_last_metrics_write_timestamp_seconds > 300`:
    /// it catches a writer that fails and one that stopped (the file stays, the value ages).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let writer = vitals_textfile::TextfileWriter::builder(dir.path(), "my-service.prom")
    ///     .build()
    ///     .unwrap();
    /// writer.write_now().unwrap();
    /// let text = std::fs::read_to_string(writer.path()).unwrap();
    /// assert!(text.contains("my_service_metrics_write_failures_total 0\n"));
    /// ```
    pub fn with_self_metrics_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Whether the self-metrics are written into the file. Without them, staleness can only
    /// be seen from node_exporter's `node_textfile_mtime_seconds`. Default: `true`.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let writer = vitals_textfile::TextfileWriter::builder(dir.path(), "quiet.prom")
    ///     .with_self_metrics(false)
    ///     .build()
    ///     .unwrap();
    /// writer.write_now().unwrap();
    /// assert_eq!(std::fs::read_to_string(writer.path()).unwrap(), "");
    /// ```
    pub fn with_self_metrics(mut self, enabled: bool) -> Self {
        self.self_metrics = enabled;
        self
    }

    /// Names the file after this process: `myservice.prom` becomes `myservice.<pid>.prom`,
    /// and the self-metrics carry a `pid="<pid>"` label, so that several processes of one
    /// service each write their own file into one directory and node_exporter merges them.
    /// Give the registries a distinguishing constant label too (for example
    /// `Registry::builder().with_const_label("pid", pid)`): node_exporter refuses two files
    /// with the same series. See the crate docs on several processes. Default: `false`.
    ///
    /// ```
    /// let writer = vitals_textfile::TextfileWriter::builder("/tmp", "worker.prom")
    ///     .with_per_process_file(true)
    ///     .build()
    ///     .unwrap();
    /// let expected = format!("worker.{}.prom", std::process::id());
    /// assert_eq!(writer.path().file_name().unwrap().to_str(), Some(expected.as_str()));
    /// ```
    pub fn with_per_process_file(mut self, per_process: bool) -> Self {
        self.per_process = per_process;
        self
    }

    /// What the background writer does with a failed write (besides counting it): the
    /// default prints the error as one line on standard error, since a library has no logger
    /// of its own; pass a closure to route it to `tracing`, `log` or elsewhere. Writes through
    /// [`TextfileWriter::write_now`] return their error instead.
    ///
    /// ```
    /// let writer = vitals_textfile::TextfileWriter::builder("/tmp", "x.prom")
    ///     .with_error_handler(|err| eprintln!("metrics textfile: {err}"))
    ///     .build()
    ///     .unwrap();
    /// # drop(writer);
    /// ```
    pub fn with_error_handler(
        mut self,
        handler: impl Fn(&WriteError) + Send + Sync + 'static,
    ) -> Self {
        self.on_error = Some(Arc::new(handler));
        self
    }

    /// Checks the configuration and makes the writer. Nothing is written yet, and the
    /// directory is not checked (it may appear later; each write reports it).
    ///
    /// # Errors
    ///
    /// [`BuildErrorKind::InvalidFileName`] for a name that is empty, hidden, contains a path
    /// separator or does not end in `.prom`; [`BuildErrorKind::InvalidPrefix`] for a
    /// self-metrics prefix that does not make valid metric names;
    /// [`BuildErrorKind::InvalidInterval`] for a zero interval;
    /// [`BuildErrorKind::DuplicateFamily`] when two registries (or a registry and the
    /// self-metrics) expose the same family.
    ///
    /// ```
    /// use vitals_core::Registry;
    /// use vitals_textfile::{BuildErrorKind, TextfileWriter};
    ///
    /// let (a, b) = (Registry::new(), Registry::new());
    /// a.gauge("queue_depth", "Jobs waiting.").register()?;
    /// b.gauge("queue_depth", "Jobs waiting.").register()?;
    /// let err = TextfileWriter::builder("/tmp", "x.prom")
    ///     .with_registry(&a)
    ///     .with_registry(&b)
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), BuildErrorKind::DuplicateFamily);
    /// # Ok::<(), vitals_core::Error>(())
    /// ```
    pub fn build(self) -> Result<TextfileWriter, BuildError> {
        let stem = validate_file_name(&self.file_name)?;
        if self.interval.is_zero() {
            return Err(BuildError::new(
                BuildErrorKind::InvalidInterval,
                "the textfile write interval is zero; give a positive interval such as 15 s",
            ));
        }
        let pid = std::process::id();
        let file_name = if self.per_process {
            format!("{stem}.{pid}.prom")
        } else {
            self.file_name.clone()
        };

        let (self_registry, last_write, failures) = if self.self_metrics {
            let prefix = self
                .prefix
                .unwrap_or_else(|| sanitize_prefix(stem.split('.').next().unwrap_or_default()));
            let (registry, last_write, failures) = self_metrics(&prefix, self.per_process, pid)
                .map_err(|e| {
                    BuildError::new(
                        BuildErrorKind::InvalidPrefix,
                        format!(
                            "the self-metrics prefix `{prefix}` does not make valid metric \
                             names ({e}); use letters, digits and `_`, not starting with a digit"
                        ),
                    )
                })?;
            (Some(registry), last_write, failures)
        } else {
            (None, FloatGauge::new(), Counter::new())
        };

        // One id per writer in this process, so that two writers (a misconfiguration, or a
        // test) never share a temporary file.
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let inner = Inner {
            path: self.dir.join(&file_name),
            temp_path: self.dir.join(format!(".{file_name}.{pid}.{id}.tmp")),
            dir: self.dir,
            registries: self.registries,
            self_registry,
            last_write,
            last_success: AtomicU64::new(0),
            failures,
            interval: self.interval,
            on_error: self.on_error.unwrap_or_else(|| {
                Arc::new(|err: &WriteError| eprintln!("vitals-textfile: {err}"))
            }),
            buf: Mutex::new(Vec::new()),
        };

        // A dry run now catches registries that clash as configured; a clash that appears
        // later (from a collector) is caught by every write.
        let mut buf = Vec::new();
        inner.render(&mut buf);
        check_unique_families(&buf).map_err(|detail| {
            BuildError::new(
                BuildErrorKind::DuplicateFamily,
                format!(
                    "{detail}; node_exporter rejects a file that declares a family twice: give \
                     each registry distinct metric names, write them to separate files, or \
                     change the self-metrics prefix"
                ),
            )
        })?;

        Ok(TextfileWriter {
            inner: Arc::new(inner),
        })
    }
}

/// Registers the two self-metrics in a registry of their own.
fn self_metrics(
    prefix: &str,
    per_process: bool,
    pid: u32,
) -> Result<(Registry, FloatGauge, Counter), vitals_core::Error> {
    let mut builder = Registry::builder();
    if per_process {
        // Each process's file must hold distinct series, or node_exporter refuses the merge.
        builder = builder.with_const_label("pid", pid.to_string());
    }
    let registry = builder.build()?;
    let last_write = registry
        .float_gauge(
            &format!("{prefix}_last_metrics_write_timestamp_seconds"),
            "Unix time of the write that produced this file.",
        )
        .register()?;
    let failures = registry
        .counter(
            &format!("{prefix}_metrics_write_failures"),
            "Metrics textfile writes that failed since the process started.",
        )
        .register()?;
    Ok((registry, last_write, failures))
}

/// Checks a file name and returns its stem (the part before `.prom`).
fn validate_file_name(name: &str) -> Result<&str, BuildError> {
    let invalid = |why: &str| {
        BuildError::new(
            BuildErrorKind::InvalidFileName,
            format!(
                "invalid textfile name `{name}`: {why}; node_exporter's textfile collector \
                 reads only files named `*.prom` directly in its directory, so give a plain \
                 name such as `myservice.prom` and the directory separately"
            ),
        )
    };
    let Some(stem) = name.strip_suffix(".prom") else {
        return Err(invalid("it must end in `.prom`"));
    };
    if name.contains('/') || name.contains('\\') || name.contains('\0') {
        return Err(invalid("it contains a path separator"));
    }
    if stem.is_empty() || stem.starts_with('.') {
        return Err(invalid("it is empty or hidden (starts with `.`)"));
    }
    Ok(stem)
}

/// A metric-name prefix made from a file stem: invalid characters become `_`, and a leading
/// digit gets a `_` before it.
fn sanitize_prefix(stem: &str) -> String {
    let mut out: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

impl Inner {
    /// The whole file: every registry in order, then the self-metrics.
    fn render(&self, out: &mut Vec<u8>) {
        out.clear();
        for registry in &self.registries {
            encode(registry, Format::PrometheusText, out);
        }
        if let Some(registry) = &self.self_registry {
            encode(registry, Format::PrometheusText, out);
        }
    }

    /// Temporary file, write, fsync, rename, then fsync the directory. On failure the
    /// temporary file is removed (unless it was never ours) and the target is untouched.
    fn replace_file(&self, bytes: &[u8]) -> Result<(), WriteError> {
        let temp = &self.temp_path;
        // `create_new` (O_CREAT|O_EXCL) never opens what is already there, a symlink
        // included: someone who can write to the directory cannot plant a link at the
        // temporary name and have us overwrite its target. What is there (a leftover of a
        // crashed process with our pid, or a plant) is unlinked — the link, never its target —
        // and the creation tried once more; if something is there again, the write fails.
        let create = || OpenOptions::new().write(true).create_new(true).open(temp);
        let mut file = match create() {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let _ = fs::remove_file(temp);
                create()
            }
            other => other,
        }
        .map_err(|e| WriteError::io(WriteErrorKind::CreateTemp, temp, e))?;
        // fsync before the rename: otherwise a crash can leave the renamed file empty on
        // file systems that reorder metadata and data (ext4 without auto_da_alloc, xfs).
        let written = file.write_all(bytes).and_then(|()| file.sync_all());
        drop(file);
        if let Err(e) = written {
            let _ = fs::remove_file(temp);
            return Err(WriteError::io(WriteErrorKind::WriteTemp, temp, e));
        }
        if let Err(e) = fs::rename(temp, &self.path) {
            let _ = fs::remove_file(temp);
            return Err(WriteError::io(WriteErrorKind::Rename, &self.path, e));
        }
        // Makes the rename itself durable. Best effort: the new file is already visible to
        // node_exporter, and some file systems refuse to fsync a directory.
        if let Ok(dir) = File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

impl TextfileWriter {
    /// A builder for the file `file_name` in `dir`; the same as
    /// [`TextfileWriterBuilder::new`], which lists the defaults.
    ///
    /// ```
    /// let writer = vitals_textfile::TextfileWriter::builder("/tmp", "myservice.prom")
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(writer.path(), std::path::Path::new("/tmp/myservice.prom"));
    /// ```
    pub fn builder(dir: impl Into<PathBuf>, file_name: impl Into<String>) -> TextfileWriterBuilder {
        TextfileWriterBuilder::new(dir, file_name)
    }

    /// Renders the registries and replaces the file now, atomically.
    ///
    /// On success the last-write timestamp is the time of this write and the file holds it.
    /// On failure the previous file is untouched, the timestamp keeps its previous value, the
    /// failure counter goes up by one (the next file written shows it) and the error is
    /// returned.
    ///
    /// # Errors
    ///
    /// A [`WriteError`] naming the step, the path and the OS error: the directory is missing
    /// or not writable, the target is a directory, the disk is full, or two registries expose
    /// the same family.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let writer = vitals_textfile::TextfileWriter::builder(dir.path(), "a.prom").build()?;
    /// writer.write_now()?;
    /// assert!(writer.last_success().is_some());
    ///
    /// let gone = vitals_textfile::TextfileWriter::builder(dir.path().join("missing"), "a.prom")
    ///     .build()?;
    /// let err = gone.write_now().unwrap_err();
    /// assert_eq!(err.kind(), vitals_textfile::WriteErrorKind::CreateTemp);
    /// assert_eq!(gone.failures(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_now(&self) -> Result<(), WriteError> {
        let inner = &*self.inner;
        // A write that panicked mid-way left only the buffer behind, which is cleared anyway.
        let mut buf = inner.buf.lock().unwrap_or_else(PoisonError::into_inner);
        let previous = inner.last_write.get();
        // Set before rendering so that the file carries the time it was written; restored
        // below if the write fails, so the gauge always means "last successful write".
        let now = unix_now();
        inner.last_write.set(now);
        inner.render(&mut buf);
        let result = match check_unique_families(&buf) {
            Ok(()) => inner.replace_file(&buf),
            Err(detail) => Err(WriteError::duplicate(&inner.path, detail)),
        };
        match result {
            Ok(()) => inner.last_success.store(now.to_bits(), Ordering::Relaxed),
            Err(_) => {
                inner.last_write.set(previous);
                inner.failures.inc();
            }
        }
        result
    }

    /// Starts the background writer: a thread that writes immediately and then every
    /// [interval](TextfileWriterBuilder::with_interval), reporting failed writes to the
    /// [error handler](TextfileWriterBuilder::with_error_handler). Dropping the returned
    /// [`WriterHandle`] (or calling [`WriterHandle::stop`]) stops it after one final write, so
    /// that the file holds the values at shutdown; the handle waits for that write.
    ///
    /// [`write_now`](Self::write_now) keeps working beside it; writes are serialized.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let dir = tempfile::tempdir()?;
    /// let writer = vitals_textfile::TextfileWriter::builder(dir.path(), "bg.prom")
    ///     .with_interval(Duration::from_millis(50))
    ///     .build()?;
    /// let handle = writer.start();
    /// std::thread::sleep(Duration::from_millis(120));
    /// handle.stop()?; // one final write, then the thread ends
    /// assert!(writer.path().exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start(&self) -> WriterHandle {
        WriterHandle::spawn(self.clone())
    }

    /// Removes the file, for a process that shuts down cleanly and whose values should not
    /// outlive it (per-process files especially: node_exporter keeps serving a file until it
    /// is deleted). Stop the background writer first, or its next write recreates the file.
    /// A file that is already gone is not an error.
    ///
    /// # Errors
    ///
    /// The OS error of the removal.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let writer = vitals_textfile::TextfileWriter::builder(dir.path(), "a.prom").build()?;
    /// writer.write_now()?;
    /// writer.remove_file()?;
    /// assert!(!writer.path().exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remove_file(&self) -> std::io::Result<()> {
        let _guard = self
            .inner
            .buf
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match fs::remove_file(&self.inner.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    /// The file written: the directory joined with the file name (per-process name included).
    ///
    /// ```
    /// let writer = vitals_textfile::TextfileWriter::builder("/tmp", "a.prom").build().unwrap();
    /// assert_eq!(writer.path(), std::path::Path::new("/tmp/a.prom"));
    /// ```
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The temporary file each write goes through before the rename: a hidden name ending in
    /// `.tmp` in the same directory, so that node_exporter never reads it and the rename never
    /// crosses file systems.
    ///
    /// ```
    /// let writer = vitals_textfile::TextfileWriter::builder("/tmp", "a.prom").build().unwrap();
    /// let name = writer.temp_path().file_name().unwrap().to_str().unwrap();
    /// assert!(name.starts_with(".a.prom.") && name.ends_with(".tmp"));
    /// assert_eq!(writer.temp_path().parent(), writer.path().parent());
    /// ```
    pub fn temp_path(&self) -> &Path {
        &self.inner.temp_path
    }

    /// The interval of the background writer.
    ///
    /// ```
    /// let writer = vitals_textfile::TextfileWriter::builder("/tmp", "a.prom").build().unwrap();
    /// assert_eq!(writer.interval(), vitals_textfile::DEFAULT_INTERVAL);
    /// ```
    pub fn interval(&self) -> Duration {
        self.inner.interval
    }

    /// The number of failed writes since the writer was built (the value of the
    /// `*_metrics_write_failures_total` self-metric).
    ///
    /// ```
    /// let writer = vitals_textfile::TextfileWriter::builder("/nonexistent/dir", "a.prom")
    ///     .build()
    ///     .unwrap();
    /// assert!(writer.write_now().is_err());
    /// assert_eq!(writer.failures(), 1);
    /// ```
    pub fn failures(&self) -> u64 {
        self.inner.failures.get()
    }

    /// The time of the last successful write (the value of the
    /// `*_last_metrics_write_timestamp_seconds` self-metric), `None` before the first.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let writer = vitals_textfile::TextfileWriter::builder(dir.path(), "a.prom").build().unwrap();
    /// assert!(writer.last_success().is_none());
    /// writer.write_now().unwrap();
    /// assert!(writer.last_success().is_some());
    /// ```
    pub fn last_success(&self) -> Option<SystemTime> {
        let secs = f64::from_bits(self.inner.last_success.load(Ordering::Relaxed));
        (secs > 0.0).then(|| UNIX_EPOCH + Duration::from_secs_f64(secs))
    }

    /// The registry holding the self-metrics, to expose them elsewhere too (for example on
    /// the HTTP endpoint); `None` when they are disabled. While a write is in progress its
    /// timestamp gauge already holds that write's time (it is what goes into the file), and
    /// goes back to the previous value if the write fails.
    ///
    /// ```
    /// let writer = vitals_textfile::TextfileWriter::builder("/tmp", "svc.prom").build().unwrap();
    /// let names = writer.self_metrics_registry().unwrap().family_names();
    /// assert_eq!(
    ///     names,
    ///     ["svc_last_metrics_write_timestamp_seconds", "svc_metrics_write_failures"]
    /// );
    /// ```
    pub fn self_metrics_registry(&self) -> Option<&Registry> {
        self.inner.self_registry.as_ref()
    }
}

/// Seconds since the Unix epoch; 0 for a clock set before 1970, which then reads as "never".
fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::{sanitize_prefix, validate_file_name};

    #[test]
    fn file_names() {
        assert_eq!(validate_file_name("a.prom").ok(), Some("a"));
        assert_eq!(validate_file_name("a.b.prom").ok(), Some("a.b"));
        for bad in [
            "",
            ".prom",
            ".a.prom",
            "a.txt",
            "a/b.prom",
            "../a.prom",
            "a\\b.prom",
            "a.prom.tmp",
        ] {
            assert!(validate_file_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prefixes() {
        assert_eq!(sanitize_prefix("my-service"), "my_service");
        assert_eq!(sanitize_prefix("9lives"), "_9lives");
        assert_eq!(sanitize_prefix("a.b"), "a_b");
    }
}
