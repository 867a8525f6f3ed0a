//! Simulated traffic: every tick, alerts, enrichment requests and notifications arrive in
//! their queues and a bounded pool of workers takes them on, so that every instrument moves;
//! and a few requests go through the demo's own API routes, so that the request-metrics layer
//! measures them as it would a real client's.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::MissedTickBehavior;
use tower::ServiceExt as _;
use vitals::Observe;

use super::metrics::DemoMetrics;
use super::rng::XorShift;

/// How often new work arrives.
const TICK: Duration = Duration::from_millis(100);

/// How many jobs the worker pool runs at once.
const CAPACITY: usize = 8;

/// The queues, as in an incident manager: alerts come in, are enriched, and notify someone.
const QUEUES: [&str; 3] = ["alerts", "enrichment", "notifications"];

/// How a job can end.
const OUTCOMES: [&str; 3] = ["ok", "failed", "retried"];

/// The LLM models enrichment calls, with their price per token in dollars.
const MODELS: [(&str, f64); 2] = [
    ("summarizer-small", 0.000_000_5),
    ("summarizer-large", 0.000_01),
];

/// Creates every series the traffic will touch, then spawns the task that drives the
/// instruments until `stop`'s sender is dropped.
pub(crate) fn spawn(
    metrics: Arc<DemoMetrics>,
    app: Router,
    stop: watch::Receiver<()>,
) -> JoinHandle<()> {
    prime(&metrics);
    tokio::spawn(run(metrics, app, stop))
}

/// Sends one request through the app (no socket: `oneshot` calls the router directly, layer
/// included) and reads the whole body, so the layer records the request as complete.
async fn call(app: &Router, request: Request<Body>) {
    // A Router's error type is Infallible: the call always yields a response.
    let Ok(response) = app.clone().oneshot(request).await;
    let _ = axum::body::to_bytes(response.into_body(), 64 * 1024).await;
}

/// A few API calls: alerts posted (one in eight without a body, a 400), incidents fetched by
/// id (one in ten unknown, a 404), all under two route templates whatever the ids.
async fn api_calls(app: &Router, rng: &mut XorShift) {
    for _ in 0..rng.below(3) {
        let body = if rng.below(8) == 0 {
            ""
        } else {
            "cpu high on db-1"
        };
        if let Ok(request) = Request::post("/api/alerts").body(Body::from(body)) {
            call(app, request).await;
        }
    }
    for _ in 0..rng.below(3) {
        let uri = format!("/api/incidents/{}", 1 + rng.below(500));
        if let Ok(request) = Request::get(uri).body(Body::empty()) {
            call(app, request).await;
        }
    }
}

/// Creates each known label combination at zero, before the first scrape: a series that
/// appears only on its first event hides that event from `rate()` and `increase()`.
fn prime(metrics: &DemoMetrics) {
    for queue in QUEUES {
        for outcome in OUTCOMES {
            metrics.jobs_processed.with_labels(&[queue, outcome]);
        }
        metrics.jobs_in_flight.with_labels(&[queue]);
        metrics.queue_depth.with_labels(&[queue]);
        metrics.job_duration.with_labels(&[queue]);
        metrics.payload_size.with_labels(&[queue]);
    }
    for (model, _) in MODELS {
        metrics.llm_cost.with_labels(&[model]);
    }
    metrics.worker_state.set_only("idle");
}

/// Runs the simulation until `stop`'s sender is dropped, then drains the jobs in flight (the
/// worker state says `draining` meanwhile).
async fn run(metrics: Arc<DemoMetrics>, app: Router, mut stop: watch::Receiver<()>) {
    let mut rng = XorShift::from_clock();
    let mut depths = [0usize; QUEUES.len()];
    let mut backlog = 50.0f64;
    let mut jobs = JoinSet::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            // Stopping is signalled by dropping the sender, which ends `changed` with an error.
            _ = stop.changed() => break,
        }
        while jobs.try_join_next().is_some() {}

        for (&queue, depth) in QUEUES.iter().zip(&mut depths) {
            *depth += rng.below(3);
            let started = (*depth)
                .min(rng.below(4))
                .min(CAPACITY.saturating_sub(jobs.len()));
            *depth -= started;
            for _ in 0..started {
                jobs.spawn(process(Arc::clone(&metrics), Job::plan(queue, &mut rng)));
            }
            let depth = i64::try_from(*depth).unwrap_or(i64::MAX);
            metrics.queue_depth.with_labels(&[queue]).set(depth);
        }

        metrics.load_ratio.set(jobs.len() as f64 / CAPACITY as f64);
        metrics
            .worker_state
            .set_only(if jobs.is_empty() { "idle" } else { "busy" });
        backlog = (backlog + 20.0 * rng.unit() - 10.0).max(0.0);
        metrics.upstream_backlog.set(backlog.round());
        metrics.last_run.set_to_current_time();
        api_calls(&app, &mut rng).await;
    }

    metrics.worker_state.set_only("draining");
    while jobs.join_next().await.is_some() {}
    metrics.load_ratio.set(0.0);
    metrics.worker_state.set_only("idle");
}

/// One unit of simulated work, decided up front so that the job's task needs no generator.
#[derive(Debug)]
struct Job {
    queue: &'static str,
    work: Duration,
    outcome: &'static str,
    payload_bytes: f64,
    /// The model called and the call's cost in dollars, for enrichment jobs.
    llm_call: Option<(&'static str, f64)>,
}

impl Job {
    fn plan(queue: &'static str, rng: &mut XorShift) -> Self {
        // Cubing a uniform number gives mostly quick jobs and a long tail, the shape latency
        // histograms are made for.
        let u = rng.unit();
        let work = Duration::from_secs_f64(0.003 + 0.4 * u * u * u);
        let outcome = match rng.below(100) {
            0..=89 => OUTCOMES[0],
            90..=96 => OUTCOMES[1],
            _ => OUTCOMES[2],
        };
        let payload_bytes = (256.0 * (rng.unit() * 8.0).exp2()).round();
        let llm_call = (queue == "enrichment").then(|| {
            let (model, price) = MODELS[rng.below(MODELS.len())];
            let tokens = 200 + rng.below(1800);
            (model, tokens as f64 * price)
        });
        Self {
            queue,
            work,
            outcome,
            payload_bytes,
            llm_call,
        }
    }
}

async fn process(metrics: Arc<DemoMetrics>, job: Job) {
    let in_flight = metrics.jobs_in_flight.with_labels(&[job.queue]);
    in_flight.inc();
    metrics
        .payload_size
        .with_labels(&[job.queue])
        .observe(job.payload_bytes);
    let duration = metrics.job_duration.with_labels(&[job.queue]);
    {
        // The guard observes the elapsed seconds when it is dropped, however the work ends.
        let _timer = duration.start_timer();
        tokio::time::sleep(job.work).await;
    }
    if let Some((model, dollars)) = job.llm_call {
        metrics.llm_cost.with_labels(&[model]).inc_by(dollars);
    }
    metrics
        .jobs_processed
        .with_labels(&[job.queue, job.outcome])
        .inc();
    in_flight.dec();
}
