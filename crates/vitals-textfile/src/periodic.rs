//! The background writer: a plain thread with a stop channel. No async runtime is needed for
//! one write every few seconds, and a thread works the same in sync and async programs.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Instant;

use crate::error::WriteError;
use crate::writer::TextfileWriter;

/// Stops the background writer started by [`TextfileWriter::start`] when dropped or
/// [stopped](Self::stop), after one final write.
///
/// Keep it alive for as long as the file should be refreshed, typically in `main` or in the
/// struct that owns the service's lifetime. Dropping it blocks until the final write is done
/// (a few milliseconds); a failed final write is passed to the error handler.
///
/// ```
/// # use std::time::Duration;
/// let dir = tempfile::tempdir()?;
/// let writer = vitals_textfile::TextfileWriter::builder(dir.path(), "svc.prom")
///     .with_interval(Duration::from_secs(10))
///     .build()?;
/// {
///     let _handle = writer.start();
///     // ... the service runs ...
/// } // dropped here: final write, thread joined
/// assert!(writer.path().exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "dropping the handle stops the background writer at once"]
#[derive(Debug)]
pub struct WriterHandle {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<Result<(), WriteError>>>,
    writer: TextfileWriter,
}

impl WriterHandle {
    pub(crate) fn spawn(writer: TextfileWriter) -> Self {
        let (stop, stopped) = mpsc::channel::<()>();
        let worker = writer.clone();
        let thread = std::thread::Builder::new()
            .name("vitals-textfile".into())
            .spawn(move || {
                let interval = worker.inner.interval;
                let mut next = Instant::now();
                loop {
                    if let Err(err) = worker.write_now() {
                        (worker.inner.on_error)(&err);
                    }
                    // Fixed rate, not fixed delay, so the period does not drift by the write
                    // time; after a stall (a slow disk, a suspended machine) the missed ticks
                    // are skipped rather than written in a burst.
                    next += interval;
                    let now = Instant::now();
                    if next <= now {
                        next = now + interval;
                    }
                    match stopped.recv_timeout(next - now) {
                        Err(RecvTimeoutError::Timeout) => continue,
                        // A stop message, or the handle dropped without sending one.
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
                worker.write_now()
            });
        match thread {
            Ok(thread) => Self {
                stop: Some(stop),
                thread: Some(thread),
                writer,
            },
            // The OS refused a thread (resource limits). Writing on demand still works, so
            // report it to the error handler rather than panic in a metrics library.
            Err(e) => {
                (writer.inner.on_error)(&WriteError::io(
                    crate::error::WriteErrorKind::StartThread,
                    writer.path(),
                    e,
                ));
                Self {
                    stop: None,
                    thread: None,
                    writer,
                }
            }
        }
    }

    /// Stops the background writer after one final write, waits for it, and returns that
    /// write's result. Dropping the handle does the same and passes a failure to the error
    /// handler instead.
    ///
    /// # Errors
    ///
    /// The [`WriteError`] of the final write.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let writer = vitals_textfile::TextfileWriter::builder(dir.path(), "svc.prom").build()?;
    /// writer.start().stop()?;
    /// assert!(writer.last_success().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stop(mut self) -> Result<(), WriteError> {
        self.finish()
    }

    /// The writer this handle drives.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let writer = vitals_textfile::TextfileWriter::builder(dir.path(), "svc.prom")
    ///     .build()
    ///     .unwrap();
    /// let handle = writer.start();
    /// assert_eq!(handle.writer().path(), writer.path());
    /// ```
    pub fn writer(&self) -> &TextfileWriter {
        &self.writer
    }

    fn finish(&mut self) -> Result<(), WriteError> {
        if let Some(stop) = self.stop.take() {
            // The thread may be mid-write; it sees the message when it next waits.
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => match thread.join() {
                Ok(result) => result,
                // A panic in the writer thread is a bug; surface it where it is noticed.
                Err(panic) => std::panic::resume_unwind(panic),
            },
            None => Ok(()),
        }
    }
}

impl Drop for WriterHandle {
    fn drop(&mut self) {
        if self.thread.is_none() {
            return;
        }
        // Never panic in drop (a double panic aborts): a panicked thread is just ended here.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            if let Ok(Err(err)) = thread.join() {
                (self.writer.inner.on_error)(&err);
            }
        }
    }
}
