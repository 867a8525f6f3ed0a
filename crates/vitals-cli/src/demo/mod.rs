//! `vitals demo`: a simulated job-processing service (in the style of an incident manager:
//! alerts come in, get enriched by an LLM, notifications go out) that exposes one of every
//! metric type on `/metrics`, so that a person can point curl or a Prometheus server at it.
//!
//! The pieces: [`metrics`] registers the instruments, [`traffic`] drives them, [`http`] serves
//! them, [`signal`] says when to stop, [`rng`] supplies the variety.

mod error;
mod http;
mod metrics;
mod rng;
mod signal;
mod traffic;

use std::io::Write;
use std::sync::{Arc, LazyLock};

use tokio::net::TcpListener;
use tokio::sync::watch;

pub(crate) use error::Error;

/// The address `vitals demo` listens on unless told otherwise.
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:9898";

/// Arguments of `vitals demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct DemoArgs {
    /// The address to serve on, as HOST:PORT; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    pub(crate) listen: String,

    /// Also write the metrics to DIR/vitals_demo.prom every 5 seconds, for node_exporter's
    /// textfile collector (`--collector.textfile.directory=DIR`).
    #[arg(long, value_name = "DIR")]
    pub(crate) textfile: Option<std::path::PathBuf>,
}

/// The demo's registry (namespace `demo`): a static, so that `#[vitals::instrument(registry =
/// ...)]` on the demo's functions can name it.
static REGISTRY: LazyLock<vitals::Registry> = LazyLock::new(|| {
    vitals::Registry::builder()
        .with_namespace("demo")
        .build()
        // "demo" is a valid namespace; the fallback only keeps this free of a panic path.
        .unwrap_or_default()
});

/// Runs the demo until Ctrl-C or SIGTERM.
pub(crate) fn run(args: &DemoArgs) -> Result<(), Error> {
    // One thread is plenty for a demo, and keeps its footprint small next to whatever it is
    // shown beside.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Io {
            context: "cannot start the async runtime",
            source,
        })?;
    runtime.block_on(serve(args))
}

async fn serve(args: &DemoArgs) -> Result<(), Error> {
    let registry = REGISTRY.clone();
    let metrics = Arc::new(metrics::DemoMetrics::register(&registry).map_err(Error::Metrics)?);
    registry.register_self_metrics();
    // Series per family and heap bytes: what to look at first when cardinality grows.
    registry.register_stats_metrics();
    vitals::process::register(&registry);
    let app = http::router(&registry)?;
    let textfile = match &args.textfile {
        Some(dir) => {
            let writer = vitals::textfile::TextfileWriter::builder(dir, "vitals_demo.prom")
                .with_registry(&registry)
                .with_interval(std::time::Duration::from_secs(5))
                .build()
                .map_err(Error::Textfile)?;
            // Write once now, so that a bad directory is reported before serving starts.
            writer.write_now().map_err(Error::TextfileWrite)?;
            Some((writer.path().to_path_buf(), writer.start()))
        }
        None => None,
    };

    // Bind before announcing anything, so that the printed address is the real one (port 0
    // included) and a caller that reads it can connect at once.
    let listener = TcpListener::bind(&args.listen)
        .await
        .map_err(|source| Error::Listen {
            addr: args.listen.clone(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| Error::Io {
        context: "cannot read the bound address",
        source,
    })?;
    // Installed before the announcement: a signal sent as soon as the address is known must
    // find the handlers in place, or the default action would kill the process uncleanly.
    let mut signals = signal::Signals::install().map_err(|source| Error::Io {
        context: "cannot install signal handlers",
        source,
    })?;

    let (stop_traffic, stop_rx) = watch::channel(());
    let traffic = traffic::spawn(metrics, app.clone(), stop_rx);

    say(&format!(
        "vitals demo: serving metrics at http://{addr}/metrics\n  try: curl -H 'Accept: application/openmetrics-text' http://{addr}/metrics"
    ));

    if let Some((path, _)) = &textfile {
        say(&format!("  textfile: {} (every 5 s)", path.display()));
    }
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move { signals.recv().await })
    .await;

    // Stop the traffic whether or not serving ended well, so that no job is cut off mid-way.
    drop(stop_traffic);
    if let Err(err) = traffic.await {
        eprintln!("vitals demo: the traffic task ended abnormally: {err}");
    }
    if let Some((_, handle)) = textfile {
        // The final write keeps the file current; a failure here is worth a line, not an error.
        if let Err(err) = handle.stop() {
            eprintln!("vitals demo: the last textfile write failed: {err}");
        }
    }
    served.map_err(|source| Error::Io {
        context: "serving HTTP failed",
        source,
    })?;
    say("vitals demo: stopped");
    Ok(())
}

/// Writes `text` and a newline to stdout, flushed so that a reader on a pipe sees it at once.
fn say(text: &str) {
    let mut stdout = std::io::stdout().lock();
    // A closed stdout must not stop the demo: it serves metrics whether or not anyone reads
    // its console.
    let _ = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
}
