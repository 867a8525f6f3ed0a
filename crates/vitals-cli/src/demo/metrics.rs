//! The demo's instruments: one of every metric type, named as a job-processing service would
//! name them (the registry's `demo` namespace is prepended to each).

use vitals::{
    Counter, Family, FloatCounter, FloatGauge, Gauge, Histogram, Registry, StateSet, Summary,
    Unknown,
};

/// The states of the worker pool, in the order the state set declares them.
pub(crate) const WORKER_STATES: [&str; 3] = ["idle", "busy", "draining"];

/// Handles to every instrument the demo updates. Cheap to share: each is an `Arc` inside.
#[derive(Debug)]
pub(crate) struct DemoMetrics {
    /// `demo_jobs_processed_total{queue,outcome}`: a Counter.
    pub(crate) jobs_processed: Family<Counter>,
    /// `demo_llm_cost_dollars_total{model}`: a FloatCounter with a unit, since a cost is not a
    /// whole number.
    pub(crate) llm_cost: Family<FloatCounter>,
    /// `demo_jobs_in_flight{queue}`: a Gauge that goes up and down with each job.
    pub(crate) jobs_in_flight: Family<Gauge>,
    /// `demo_queue_depth{queue}`: a Gauge set from a count.
    pub(crate) queue_depth: Family<Gauge>,
    /// `demo_worker_load_ratio`: a FloatGauge, jobs in flight over the pool's capacity.
    pub(crate) load_ratio: FloatGauge,
    /// `demo_scheduler_last_run_timestamp_seconds`: a FloatGauge set to the current time.
    pub(crate) last_run: FloatGauge,
    /// `demo_job_duration_seconds{queue}`: a Histogram fed by timer guards.
    pub(crate) job_duration: Family<Histogram>,
    /// `demo_job_payload_bytes{queue}`: a Summary, since payload quantiles are wanted per
    /// instance rather than aggregated.
    pub(crate) payload_size: Family<Summary>,
    /// `demo_worker_state`: a StateSet over [`WORKER_STATES`].
    pub(crate) worker_state: StateSet,
    /// `demo_upstream_backlog`: an Unknown, a value relayed from a system that does not say
    /// what type it is.
    pub(crate) upstream_backlog: Unknown,
}

impl DemoMetrics {
    /// Registers every instrument in `registry`, and the build-info metric whose value never
    /// changes (so no handle to it is kept).
    pub(crate) fn register(registry: &Registry) -> vitals::Result<Self> {
        registry
            .info("build", "Build information of the vitals demo.")
            .register_with(&[
                ("version", env!("CARGO_PKG_VERSION")),
                ("component", "vitals-demo"),
            ])?;
        Ok(Self {
            jobs_processed: registry
                .counter("jobs_processed", "Jobs processed, by queue and outcome.")
                .register_family(&["queue", "outcome"])?,
            llm_cost: registry
                .float_counter(
                    "llm_cost_dollars",
                    "Money spent on LLM calls to enrich alerts, by model.",
                )
                .with_unit("dollars")
                .register_family(&["model"])?,
            jobs_in_flight: registry
                .gauge("jobs_in_flight", "Jobs being processed now, by queue.")
                .register_family(&["queue"])?,
            queue_depth: registry
                .gauge("queue_depth", "Jobs waiting to be processed, by queue.")
                .register_family(&["queue"])?,
            load_ratio: registry
                .float_gauge(
                    "worker_load_ratio",
                    "Jobs in flight over the worker pool's capacity.",
                )
                .with_unit("ratio")
                .register()?,
            last_run: registry
                .float_gauge(
                    "scheduler_last_run_timestamp_seconds",
                    "When the scheduler last ran, in seconds since the Unix epoch.",
                )
                .with_unit("seconds")
                .register()?,
            job_duration: registry
                .histogram("job_duration_seconds", "Time to process a job, by queue.")
                .with_unit("seconds")
                .with_buckets(&[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0])
                .register_family(&["queue"])?,
            payload_size: registry
                .summary("job_payload_bytes", "Size of job payloads, by queue.")
                .with_unit("bytes")
                .register_family(&["queue"])?,
            worker_state: registry
                .state_set(
                    "worker_state",
                    "What the worker pool is doing.",
                    &WORKER_STATES,
                )
                .register()?,
            upstream_backlog: registry
                .unknown(
                    "upstream_backlog",
                    "Backlog reported by the upstream alert source, relayed as is.",
                )
                .register()?,
        })
    }
}
