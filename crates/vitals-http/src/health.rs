//! The health route's answer: [`Health`], and [`HealthCheck`], what produces it.

/// What the health route reports: `{"status":"ok"}` with 200, or, when any named check
/// failed, `{"status":"unhealthy","checks":{"database":"fail",...}}` with 503.
///
/// ```
/// use vitals_http::Health;
///
/// assert_eq!(Health::ok().to_json(), r#"{"status":"ok"}"#);
/// let health = Health::ok().with_check("database", true).with_check("queue", false);
/// assert!(!health.is_healthy());
/// assert_eq!(
///     health.to_json(),
///     r#"{"status":"unhealthy","checks":{"database":"ok","queue":"fail"}}"#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    checks: Vec<(String, bool)>,
}

impl Health {
    /// Healthy, with no named checks.
    ///
    /// ```
    /// assert!(vitals_http::Health::ok().is_healthy());
    /// ```
    pub fn ok() -> Self {
        Self::default()
    }

    /// Adds a named check and whether it passed; the route is healthy when all pass.
    ///
    /// ```
    /// let health = vitals_http::Health::ok().with_check("disk", false);
    /// assert!(!health.is_healthy());
    /// ```
    pub fn with_check(mut self, name: impl Into<String>, passed: bool) -> Self {
        self.checks.push((name.into(), passed));
        self
    }

    /// Whether every check passed.
    ///
    /// ```
    /// assert!(vitals_http::Health::ok().with_check("db", true).is_healthy());
    /// ```
    pub fn is_healthy(&self) -> bool {
        self.checks.iter().all(|(_, passed)| *passed)
    }

    /// The JSON body the route sends.
    ///
    /// ```
    /// assert_eq!(vitals_http::Health::ok().to_json(), r#"{"status":"ok"}"#);
    /// ```
    pub fn to_json(&self) -> String {
        // Written by hand to keep `status` first and the checks in the order given
        // (serde_json's map would sort them).
        let status = if self.is_healthy() { "ok" } else { "unhealthy" };
        let mut out = format!("{{\"status\":\"{status}\"");
        if !self.checks.is_empty() {
            out.push_str(",\"checks\":{");
            for (i, (name, passed)) in self.checks.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::from(name.as_str()).to_string());
                out.push_str(if *passed { ":\"ok\"" } else { ":\"fail\"" });
            }
            out.push('}');
        }
        out.push('}');
        out
    }
}

/// Produces the health route's answer on each request. Implemented for every
/// `Fn() -> Health` (so for closures, and for `&F` and `Box<F>` of one). There are no
/// `Box<T>`/`Arc<T>` impls for other implementations: they would overlap the closure impl;
/// wrap such a value in a closure instead.
///
/// ```
/// use vitals_http::{Health, HealthCheck};
///
/// struct Always;
/// impl HealthCheck for Always {
///     fn check(&self) -> Health {
///         Health::ok()
///     }
/// }
/// assert!(Always.check().is_healthy());
/// assert!((|| Health::ok().with_check("x", false)).check().to_json().contains("fail"));
/// ```
pub trait HealthCheck: Send + Sync + 'static {
    /// The current health. Called on the request's task: keep it quick and non-blocking.
    fn check(&self) -> Health;
}

impl<F> HealthCheck for F
where
    F: Fn() -> Health + Send + Sync + 'static,
{
    fn check(&self) -> Health {
        self()
    }
}
