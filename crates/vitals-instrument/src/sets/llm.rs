//! LLM and paid-API metrics: requests by outcome, latency, tokens and cost, per provider and
//! model.
//!
//! | metric | type | meaning |
//! | --- | --- | --- |
//! | `llm_requests_total{provider, model, status}` | counter | finished requests, by `status` (`success`, `error`, a classifier's value, `cancelled`, `panic`) |
//! | `llm_request_duration_seconds{provider, model}` | histogram | every finished request's duration, failed ones included |
//! | `llm_tokens_total{provider, model, type}` | counter | tokens used, `type` = `prompt` or `completion` |
//! | `llm_cost_usd_total{provider, model}` | counter (float) | money spent, in US dollars |
//! | `llm_requests_in_flight{provider, model}` | gauge | requests started and not yet finished |
//!
//! Each request is counted once, when it finishes, with its final status. The seed's client
//! also counted a `"started"` status before each call, so summing `llm_requests_total` over
//! statuses counted every request twice; requests under way are the in-flight gauge instead.
//! (The seed's `llm_tokens_used_total` is `llm_tokens_total` here.)
//!
//! Cost is a float counter, not the seed's `ai_cost_usd` histogram. A histogram's buckets of
//! cost per request answer a question nobody asks, cost one series per bucket per model, and
//! their bounds must be guessed before the prices are known; what dashboards and alerts use is
//! the total, which a counter gives directly and exactly:
//!
//! ```text
//! sum by (model) (increase(llm_cost_usd_total[1h])) > 10   # the seed's HighAICost alert
//! ```
//!
//! ```
//! use vitals_core::Registry;
//! use vitals_instrument::sets::{LlmMetrics, LlmOutcome, LlmUsage};
//!
//! let registry = Registry::new();
//! let llm = LlmMetrics::builder().register_in(&registry)?;
//!
//! // After the fact, as the seed's record_ai_request(model, status, tokens, cost):
//! llm.record(
//!     "openai",
//!     "gpt-4",
//!     &LlmOutcome::success().with_tokens(1200, 300).with_cost_usd(0.05),
//! );
//!
//! // Or around the call, with the model's series resolved once and a price list:
//! let gpt4 = llm.model("openai", "gpt-4").with_usd_per_million_tokens(30.0, 60.0);
//! let answer = gpt4.call(
//!     || Ok::<_, std::io::Error>(("42", 10, 2)), // (text, prompt tokens, completion tokens)
//!     |&(_, prompt, completion)| LlmUsage::tokens(prompt, completion),
//! )?;
//! assert_eq!(answer.0, "42");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`LlmModelMetrics::call_async`] wraps a future the same way; no runtime is needed.

use std::error::Error as StdError;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use vitals_core::{
    current_registry, Counter, DynamicLabels, Family, FloatCounter, Gauge, Histogram, Registry,
    Result,
};

use super::{abandoned, classify_as_error, prefixed, report, ErrorClassifier};
use crate::sink::ErrorRef;

/// Default bounds of `llm_request_duration_seconds`, the seed's: 100 ms to 60 s, since
/// completions take from a fraction of a second to a minute.
pub const LLM_DURATION_BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0];

/// What errors reported to the [error sink](crate::sink) are called (their `source`).
const SOURCE: &str = "llm_request";

/// Configures and registers an [`LlmMetrics`]; made by [`LlmMetrics::builder`].
#[derive(Debug, Clone)]
#[must_use = "nothing is registered until `register` or `register_in`"]
pub struct LlmMetricsBuilder {
    prefix: Option<String>,
    buckets: Vec<f64>,
    classify: ErrorClassifier,
}

impl LlmMetricsBuilder {
    /// Prepends `prefix_` to every metric name (`shop` gives `shop_llm_requests_total`).
    /// Default: no prefix.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// The bucket bounds of `llm_request_duration_seconds`, in seconds. Default:
    /// [`LLM_DURATION_BUCKETS`].
    pub fn with_buckets(mut self, bounds: &[f64]) -> Self {
        self.buckets = bounds.to_vec();
        self
    }

    /// The function that names a failed call's `status` in [`LlmModelMetrics::call`] and
    /// [`call_async`](LlmModelMetrics::call_async) (`"timeout"`, `"rate_limited"`, ...).
    /// Default: `"error"` for every error.
    pub fn with_error_classifier(mut self, classify: ErrorClassifier) -> Self {
        self.classify = classify;
        self
    }

    /// Registers in the [current registry](vitals_core::current_registry).
    pub fn register(self) -> Result<LlmMetrics> {
        self.register_in(&current_registry())
    }

    /// Registers in `registry`: the families are created, or shared with the
    /// [`LlmMetrics`] already registered there.
    pub fn register_in(self, registry: &Registry) -> Result<LlmMetrics> {
        let prefix = self.prefix.as_deref();
        let requests = registry
            .counter(
                &prefixed(prefix, "llm_requests"),
                "Finished LLM API requests, by status.",
            )
            .register_shared(&["provider", "model", "status"])?;
        let duration = registry
            .histogram(
                &prefixed(prefix, "llm_request_duration_seconds"),
                "Duration of LLM API requests, failed ones included.",
            )
            .with_unit("seconds")
            .with_buckets(&self.buckets)
            .register_shared(&["provider", "model"])?;
        let tokens = registry
            .counter(
                &prefixed(prefix, "llm_tokens"),
                "Tokens used by LLM API requests, by type: prompt or completion.",
            )
            .register_shared(&["provider", "model", "type"])?;
        let cost = registry
            .float_counter(
                &prefixed(prefix, "llm_cost_usd"),
                "Cost of LLM API requests in US dollars.",
            )
            .with_unit("usd")
            .register_shared(&["provider", "model"])?;
        let in_flight = registry
            .gauge(
                &prefixed(prefix, "llm_requests_in_flight"),
                "LLM API requests started and not yet finished.",
            )
            .register_shared(&["provider", "model"])?;
        Ok(LlmMetrics {
            inner: Arc::new(LlmFamilies {
                requests,
                duration,
                tokens,
                cost,
                in_flight,
                classify: self.classify,
            }),
        })
    }
}

/// LLM and API cost metrics (see the [module docs](self)). Cloning is cheap and shares the
/// families.
#[derive(Debug, Clone)]
pub struct LlmMetrics {
    inner: Arc<LlmFamilies>,
}

#[derive(Debug)]
struct LlmFamilies {
    requests: Family<Counter, DynamicLabels>,
    duration: Family<Histogram, DynamicLabels>,
    tokens: Family<Counter, DynamicLabels>,
    cost: Family<FloatCounter, DynamicLabels>,
    in_flight: Family<Gauge, DynamicLabels>,
    classify: ErrorClassifier,
}

impl LlmMetrics {
    /// A builder. Defaults: no prefix, buckets [`LLM_DURATION_BUCKETS`], every error's status
    /// `"error"`.
    pub fn builder() -> LlmMetricsBuilder {
        LlmMetricsBuilder {
            prefix: None,
            buckets: LLM_DURATION_BUCKETS.to_vec(),
            classify: classify_as_error,
        }
    }

    /// The series of one provider and model, resolved once: keep it (per client) so that
    /// each call records without label lookups. Its `success` request series exists from
    /// now on, at 0.
    pub fn model(&self, provider: &str, model: &str) -> LlmModelMetrics {
        let families = &self.inner;
        let pm = [provider, model];
        LlmModelMetrics {
            inner: Arc::new(ModelInner {
                success: families.requests.with_labels(&[provider, model, "success"]),
                duration: families.duration.with_labels(&pm),
                prompt: families.tokens.with_labels(&[provider, model, "prompt"]),
                completion: families
                    .tokens
                    .with_labels(&[provider, model, "completion"]),
                cost: families.cost.with_labels(&pm),
                in_flight: families.in_flight.with_labels(&pm),
                families: Arc::clone(&self.inner),
                provider: provider.into(),
                model: model.into(),
            }),
            pricing: None,
        }
    }

    /// Records one finished request, looking its series up: the seed's `record_ai_request`.
    /// Counts the request under `outcome`'s status; observes its duration if it has one; adds
    /// its tokens and cost (those that are not zero). Does not touch the in-flight gauge and
    /// reports nothing to the error sink (there is no error value here).
    pub fn record(&self, provider: &str, model: &str, outcome: &LlmOutcome) {
        let families = &self.inner;
        let pm = [provider, model];
        families
            .requests
            .with_labels(&[provider, model, outcome.status])
            .inc();
        if let Some(duration) = outcome.duration {
            families
                .duration
                .with_labels(&pm)
                .observe(duration.as_secs_f64());
        }
        let usage = &outcome.usage;
        if usage.prompt_tokens > 0 {
            families
                .tokens
                .with_labels(&[provider, model, "prompt"])
                .inc_by(usage.prompt_tokens);
        }
        if usage.completion_tokens > 0 {
            families
                .tokens
                .with_labels(&[provider, model, "completion"])
                .inc_by(usage.completion_tokens);
        }
        if let Some(cost) = usage.cost_usd.filter(|&c| c != 0.0) {
            families.cost.with_labels(&pm).inc_by(cost);
        }
    }
}

/// The series of one provider and model; made by [`LlmMetrics::model`]. Cloning is cheap and
/// shares the series.
#[derive(Debug, Clone)]
pub struct LlmModelMetrics {
    inner: Arc<ModelInner>,
    /// US dollars per million prompt and completion tokens.
    pricing: Option<(f64, f64)>,
}

#[derive(Debug)]
struct ModelInner {
    success: Counter,
    duration: Histogram,
    prompt: Counter,
    completion: Counter,
    cost: FloatCounter,
    in_flight: Gauge,
    /// For statuses other than `success`, looked up when they happen.
    families: Arc<LlmFamilies>,
    provider: Box<str>,
    model: Box<str>,
}

impl LlmModelMetrics {
    /// Prices the model: a call whose [`LlmUsage`] has no `cost_usd` costs
    /// `prompt_tokens × prompt / 10⁶ + completion_tokens × completion / 10⁶` dollars.
    /// Default: no price, and such calls add no cost.
    #[must_use]
    pub fn with_usd_per_million_tokens(mut self, prompt: f64, completion: f64) -> Self {
        self.pricing = Some((prompt, completion));
        self
    }

    /// The provider label value.
    pub fn provider(&self) -> &str {
        &self.inner.provider
    }

    /// The model label value.
    pub fn model(&self) -> &str {
        &self.inner.model
    }

    /// Records one finished request measured elsewhere; see [`LlmMetrics::record`]. A usage
    /// without `cost_usd` is priced by [`with_usd_per_million_tokens`](Self::with_usd_per_million_tokens).
    pub fn record(&self, outcome: &LlmOutcome) {
        self.count(outcome.status);
        if let Some(duration) = outcome.duration {
            self.inner.duration.observe(duration.as_secs_f64());
        }
        self.add_usage(&outcome.usage);
    }

    /// Starts a request by hand: in-flight + 1 until the returned call is finished with
    /// [`LlmCall::success`] or [`LlmCall::failure`] (or dropped).
    pub fn start(&self) -> LlmCall<'_> {
        // One reading of the switch decides both the +1 and the −1 in `Drop`.
        let counted = vitals_core::switch::enabled();
        if counted {
            self.inner.in_flight.inc_after_check();
        }
        LlmCall {
            model: self,
            start: Instant::now(),
            done: false,
            counted,
        }
    }

    /// Runs a request: in flight while `call` runs; then its duration, its status
    /// (`success`, or the builder's classifier's value for an error, which is also reported
    /// to the error sink), and on success the tokens and cost `usage` reads from the response.
    pub fn call<T, E>(
        &self,
        call: impl FnOnce() -> Result<T, E>,
        usage: impl FnOnce(&T) -> LlmUsage,
    ) -> Result<T, E>
    where
        E: StdError + 'static,
    {
        let started = self.start();
        let result = call();
        finish(started, result, usage)
    }

    /// Wraps a request future: like [`call`](Self::call), in flight and timed from its first
    /// poll. A future dropped before completing counts `status="cancelled"`.
    ///
    /// The returned future owns what it needs: it is `'static` (and `Send`) when `call` and
    /// `usage` are.
    pub fn call_async<F, T, E, U>(&self, call: F, usage: U) -> impl Future<Output = Result<T, E>>
    where
        F: Future<Output = Result<T, E>>,
        U: FnOnce(&T) -> LlmUsage,
        E: StdError + 'static,
    {
        let metrics = self.clone();
        async move {
            let started = metrics.start();
            let result = call.await;
            finish(started, result, usage)
        }
    }

    fn count(&self, status: &str) {
        if status == "success" {
            self.inner.success.inc();
        } else {
            self.inner
                .families
                .requests
                .with_labels(&[&self.inner.provider, &self.inner.model, status])
                .inc();
        }
    }

    fn add_usage(&self, usage: &LlmUsage) {
        self.inner.prompt.inc_by(usage.prompt_tokens);
        self.inner.completion.inc_by(usage.completion_tokens);
        let cost = usage.cost_usd.or_else(|| {
            self.pricing.map(|(prompt, completion)| {
                (usage.prompt_tokens as f64 * prompt + usage.completion_tokens as f64 * completion)
                    / 1e6
            })
        });
        if let Some(cost) = cost {
            self.inner.cost.inc_by(cost);
        }
    }
}

/// Ends `started` by `result`'s outcome and passes `result` on.
fn finish<T, E>(
    started: LlmCall<'_>,
    result: Result<T, E>,
    usage: impl FnOnce(&T) -> LlmUsage,
) -> Result<T, E>
where
    E: StdError + 'static,
{
    match &result {
        Ok(response) => {
            started.success(usage(response));
        }
        Err(error) => {
            let status = (started.model.inner.families.classify)(error);
            started.failure(status, ErrorRef::Error(error));
        }
    }
    result
}

/// One request under way; made by [`LlmModelMetrics::start`]. Holds the in-flight gauge up
/// until it is finished or dropped.
///
/// Dropped without [`success`](Self::success) or [`failure`](Self::failure), it counts the
/// request as `status="panic"` (when dropped by a panic) or `"cancelled"`, and observes its
/// duration.
#[derive(Debug)]
#[must_use = "finish the call with `success` or `failure`"]
pub struct LlmCall<'a> {
    model: &'a LlmModelMetrics,
    start: Instant,
    done: bool,
    /// Whether the in-flight +1 was applied (metrics on), so the −1 is made exactly then.
    counted: bool,
}

impl LlmCall<'_> {
    /// The request succeeded: counts it as `success`, observes its duration (returned), adds
    /// `usage`'s tokens and cost.
    pub fn success(mut self, usage: LlmUsage) -> Duration {
        self.done = true;
        let elapsed = self.end("success");
        self.model.add_usage(&usage);
        elapsed
    }

    /// The request failed: counts it under `status`, observes its duration (returned), and
    /// reports `error` to the error sink with the labels `provider`, `model` and `status`.
    pub fn failure(mut self, status: &'static str, error: ErrorRef<'_>) -> Duration {
        self.done = true;
        self.fail(status, error)
    }

    fn end(&self, status: &str) -> Duration {
        let elapsed = self.start.elapsed();
        self.model.inner.duration.observe(elapsed.as_secs_f64());
        self.model.count(status);
        elapsed
    }

    fn fail(&self, status: &str, error: ErrorRef<'_>) -> Duration {
        let elapsed = self.end(status);
        let inner = &self.model.inner;
        report(
            SOURCE,
            &[
                ("provider", &inner.provider),
                ("model", &inner.model),
                ("status", status),
            ],
            error,
        );
        elapsed
    }
}

impl Drop for LlmCall<'_> {
    fn drop(&mut self) {
        // Only an applied +1 is taken back, whatever the switch says now: no drift.
        if self.counted {
            self.model.inner.in_flight.dec_after_inc();
        }
        if !self.done {
            // Counted, not reported: a panic reaches the panic hook (and Sentry's) anyway, and
            // a cancelled request (a timeout, a `select!`) is not an error worth an event each.
            let (status, _) = abandoned();
            self.end(status);
        }
    }
}

/// Tokens and cost of one request.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LlmUsage {
    /// Tokens of the prompt (input).
    pub prompt_tokens: u64,
    /// Tokens of the completion (output).
    pub completion_tokens: u64,
    /// What the request cost in US dollars, when the response says; otherwise the model's
    /// [price](LlmModelMetrics::with_usd_per_million_tokens) applies, if it has one.
    pub cost_usd: Option<f64>,
}

impl LlmUsage {
    /// Usage of `prompt` and `completion` tokens, cost unknown.
    pub fn tokens(prompt: u64, completion: u64) -> Self {
        Self {
            prompt_tokens: prompt,
            completion_tokens: completion,
            cost_usd: None,
        }
    }

    /// Sets the cost in US dollars.
    #[must_use]
    pub fn with_cost_usd(mut self, usd: f64) -> Self {
        self.cost_usd = Some(usd);
        self
    }
}

/// One finished request, for [`LlmMetrics::record`] and [`LlmModelMetrics::record`]: its
/// status, and optionally its duration, tokens and cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LlmOutcome {
    status: &'static str,
    duration: Option<Duration>,
    usage: LlmUsage,
}

impl LlmOutcome {
    /// A successful request (`status="success"`).
    pub fn success() -> Self {
        Self::status("success")
    }

    /// A failed request (`status="error"`).
    pub fn error() -> Self {
        Self::status("error")
    }

    /// A request with another status (`"timeout"`, `"rate_limited"`). A `&'static str`, so
    /// the statuses, and the series, stay a fixed few.
    pub fn status(status: &'static str) -> Self {
        Self {
            status,
            duration: None,
            usage: LlmUsage::default(),
        }
    }

    /// The request's duration, observed in `llm_request_duration_seconds`. Default: none,
    /// nothing observed.
    #[must_use]
    pub fn with_duration(mut self, duration: Duration) -> Self {
        self.duration = Some(duration);
        self
    }

    /// The tokens used. Default: none.
    #[must_use]
    pub fn with_tokens(mut self, prompt: u64, completion: u64) -> Self {
        self.usage.prompt_tokens = prompt;
        self.usage.completion_tokens = completion;
        self
    }

    /// The cost in US dollars. Default: none.
    #[must_use]
    pub fn with_cost_usd(mut self, usd: f64) -> Self {
        self.usage.cost_usd = Some(usd);
        self
    }

    /// Tokens and cost together.
    #[must_use]
    pub fn with_usage(mut self, usage: LlmUsage) -> Self {
        self.usage = usage;
        self
    }
}
