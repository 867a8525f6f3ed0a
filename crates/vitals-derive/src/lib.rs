//! # vitals-derive
//!
//! `#[instrument]`, which records the calls of a function (see its docs), and derive macros for typed labels in the [vitals] Prometheus metrics framework: a struct whose
//! fields are labels becomes a `LabelSet` with `#[derive(LabelSet)]`, and an enum whose variants
//! are a label's values becomes a `LabelValue` with `#[derive(LabelValue)]`. Depend on `vitals`
//! (feature `derive`, on by default), which re-exports both beside the traits of the same name,
//! so `use vitals::{LabelSet, LabelValue};` brings trait and derive together.
//!
//! ```
//! use vitals::{encode_to_string, Format, LabelSet, LabelValue, Registry};
//!
//! #[derive(LabelValue)]
//! #[label(rename_all = "UPPERCASE")]
//! enum Method { Get, Post }
//!
//! #[derive(LabelSet)]
//! struct Request<'a> { method: Method, route: &'a str }
//!
//! let registry = Registry::new();
//! let requests = registry
//!     .counter("http_requests", "HTTP requests served.")
//!     .register_typed::<Request>()?;
//! requests.get(&Request { method: Method::Get, route: "/users/{id}" }).inc();
//!
//! let text = encode_to_string(&registry, Format::PrometheusText);
//! assert!(text.contains("http_requests_total{method=\"GET\",route=\"/users/{id}\"} 1\n"));
//! # Ok::<(), vitals::Error>(())
//! ```
//!
//! Names and values are checked when the macro expands: an invalid or reserved label name, a
//! label name used twice, two variants with one value, or an unknown `#[label(...)]` key is a
//! compile error at the field or variant concerned, with what to do about it.
//!
//! | `#[label(...)]` key | on | effect |
//! | --- | --- | --- |
//! | `crate = "path"` | the type | the generated code names `path::LabelSet` etc. instead of `::vitals::...` (for crates that depend on `vitals_core` directly) |
//! | `rename = "name"` | a `LabelSet` field | the label name, instead of the field's name |
//! | `rename_all = "rule"` | a `LabelValue` enum | how variant names become values: `snake_case` (default), `lowercase`, `UPPERCASE`, `SCREAMING_SNAKE_CASE`, `kebab-case`, `verbatim` |
//! | `rename = "value"` | a `LabelValue` variant | the label value, instead of the cased variant name |
//!
//! [vitals]: https://docs.rs/vitals

mod attrs;
mod case;
mod error_label;
mod instrument;
mod label_set;
mod label_value;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Derives `vitals::LabelSet` for a struct with named fields: each field is one label, named
/// after the field (or its `#[label(rename = "...")]`), in declaration order. Every field's
/// type must implement `vitals::LabelValue` (strings, integers, `bool`, `#[derive(LabelValue)]`
/// enums, and references to them).
///
/// When every field has a finite number of values (`bool`, derived enums), `CARDINALITY` is
/// their product and `dense_index` numbers each combination in `0..CARDINALITY`; otherwise
/// `CARDINALITY` is `None`.
///
/// ```
/// use vitals::{LabelSet, LabelValue};
///
/// #[derive(LabelValue)]
/// enum Outcome { Ok, ClientError, ServerError }
///
/// #[derive(LabelSet)]
/// struct Request {
///     outcome: Outcome,
///     #[label(rename = "cache_hit")]
///     cached: bool,
/// }
///
/// assert_eq!(Request::label_names(), ["outcome", "cache_hit"]);
/// assert_eq!(Request::CARDINALITY, Some(3 * 2));
///
/// let mut values = Vec::new();
/// Request { outcome: Outcome::ClientError, cached: true }
///     .visit_values(&mut |value| values.push(value.to_owned()));
/// assert_eq!(values, ["client_error", "true"]);
/// ```
///
/// A label name must be a valid Prometheus label name, and neither `le`, `quantile` nor start
/// with `__`:
///
/// ```compile_fail
/// #[derive(vitals::LabelSet)]
/// struct Bucket { le: bool }
/// ```
#[proc_macro_derive(LabelSet, attributes(label))]
pub fn derive_label_set(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    label_set::expand(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `vitals::LabelValue` for an enum of unit variants: each variant is one label value,
/// its name in snake_case (`GetUser` is `get_user`, `HTTP2` is `http2`) unless the enum says
/// `#[label(rename_all = "...")]` or the variant `#[label(rename = "...")]`.
///
/// `CARDINALITY` is the number of variants and `index` the variant's position (explicit
/// discriminants play no part), so label sets made of such enums get dense storage.
///
/// ```
/// use vitals::LabelValue;
///
/// #[derive(LabelValue)]
/// #[label(rename_all = "kebab-case")]
/// enum Route {
///     ListUsers,
///     GetUser,
///     #[label(rename = "/healthz")]
///     Health,
/// }
///
/// let mut text = String::new();
/// Route::GetUser.visit_value(&mut |value| text.push_str(value));
/// assert_eq!(text, "get-user");
/// Route::Health.visit_value(&mut |value| text.push_str(value));
/// assert_eq!(text, "get-user/healthz");
/// assert_eq!(<Route as LabelValue>::CARDINALITY, Some(3));
/// assert_eq!(Route::Health.index(), 2);
/// ```
///
/// Two variants may not share a value:
///
/// ```compile_fail
/// #[derive(vitals::LabelValue)]
/// enum Method { Get, #[label(rename = "get")] Fetch }
/// ```
#[proc_macro_derive(LabelValue, attributes(label))]
pub fn derive_label_value(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    label_value::expand(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Records every call of a function: a call counter by result, a duration histogram and an
/// in-flight gauge, shared by all instrumented functions of a registry (the names are
/// `vitals::instrument::function`'s). Works on free functions and methods, sync and `async`,
/// functions returning `impl Future` and `#[async_trait]` methods (`Pin<Box<dyn Future>>`).
///
/// ```
/// use vitals::testing::{sample, LocalRegistry};
///
/// #[vitals::instrument]
/// fn parse_port(text: &str) -> Result<u16, std::num::ParseIntError> {
///     text.parse()
/// }
///
/// let registry = LocalRegistry::new();
/// assert!(parse_port("8080").is_ok());
/// assert!(parse_port("http").is_err());
///
/// let calls = |result| {
///     let labels = [("function", "parse_port"), ("module", module_path!()), ("result", result), ("error_kind", "")];
///     sample(&registry, "function_calls_total", &labels)
/// };
/// assert_eq!(calls("ok"), Some(1.0));
/// assert_eq!(calls("error"), Some(1.0));
/// ```
///
/// `result` is `ok`, `error` (an `Err`, or a panic with `error_kind="panic"`) or `cancelled`
/// (a future dropped before it finished). A function that does not return a `Result` always
/// succeeds. Errors are also reported to the installed error sink
/// (`vitals::instrument::sink`), with the series' labels.
///
/// A function returning a future is recognised by its signature (`async fn`, `-> impl Future`,
/// `-> Pin<Box<dyn Future ..>>`, `BoxFuture`); one returning a future through another alias
/// is recorded as a sync call that returns a value, when the future is made, not run.
///
/// | option | effect | default |
/// | --- | --- | --- |
/// | `name = "label"` | the `function` label value (methods of two types with one name, such as `new`, share series unless named apart: `name = "Jira::new"`) | the function's name (without `r#`) |
/// | `calls = "name"` | the call counter's name | `function_calls` (`_total` in the exposition) |
/// | `duration = "name"` | the duration histogram's name, ending in `_seconds` | `function_call_duration_seconds` |
/// | `in_flight = "name"` or `false` | the in-flight gauge's name, or none | `function_calls_in_flight` |
/// | `buckets = [..]` or a `&'static [f64]` constant | the histogram's bounds, in seconds (integers allowed); functions sharing a histogram need the same bounds | `vitals::DEFAULT_BUCKETS` |
/// | `labels(k = "v", ..)` | constant labels on every series of the function; a family keeps one set of label names, so give such a function its own `calls` and `duration` names (and `in_flight`, or `in_flight = false`), or use the same labels on every function sharing them | none |
/// | `registry = expr` | the registry (a `Registry`, `&Registry` or a static that derefs to one), evaluated once | the current registry |
/// | `error_kind` | the `error_kind` label from the error's `vitals::instrument::ErrorLabel` | empty |
/// | `error_kind = path` | the `error_kind` label from `fn(&E) -> &'static str` | empty |
/// | `report_errors = false` | errors are counted but not sent to the error sink | sent |
/// | `crate = "path"` | where the expansion finds `vitals` | `::vitals` |
///
/// ```
/// use vitals::instrument::ErrorLabel;
/// use vitals::testing::{sample, LocalRegistry};
///
/// #[derive(Debug, ErrorLabel)]
/// enum JiraError { Timeout, Rejected { status: u16 } }
///
/// struct Jira;
/// impl Jira {
///     #[vitals::instrument(calls = "jira_calls", labels(component = "jira"), duration = "jira_call_duration_seconds", error_kind, in_flight = false)]
///     async fn create_issue(&self, title: &str) -> Result<u64, JiraError> {
///         if title.is_empty() { Err(JiraError::Rejected { status: 400 }) } else { Ok(7) }
///     }
/// }
///
/// let registry = LocalRegistry::new();
/// let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// runtime.block_on(async {
///     Jira.create_issue("disk full").await.unwrap();
///     Jira.create_issue("").await.unwrap_err();
/// });
/// let error = [("component", "jira"), ("function", "create_issue"), ("module", module_path!()),
///              ("result", "error"), ("error_kind", "rejected")];
/// assert_eq!(sample(&registry, "jira_calls_total", &error), Some(1.0));
/// ```
///
/// Misuse is a compile error: an unknown option, an invalid metric or label name, a constant
/// label named like one of the macro's own labels, literal buckets out of order, a duration
/// name without `_seconds`, `error_kind` on a function that does not return a `Result`, a
/// `const fn`, a function that never returns (`-> !`):
///
/// ```compile_fail
/// #[vitals::instrument(buckets = [1.0, 0.5])]
/// fn f() {}
/// ```
#[proc_macro_attribute]
pub fn instrument(args: TokenStream, item: TokenStream) -> TokenStream {
    instrument::expand(args.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `vitals::instrument::ErrorLabel` for an error enum: each variant's name in
/// snake_case (whatever its fields) is its `error_kind`, unless the enum says
/// `#[label(rename_all = "...")]` or the variant `#[label(rename = "...")]`. Two variants may
/// share a kind.
///
/// ```
/// use vitals::instrument::ErrorLabel;
///
/// #[derive(ErrorLabel)]
/// enum DbError {
///     PoolTimeout,
///     Query(String),
///     #[label(rename = "constraint")]
///     UniqueViolation { table: &'static str },
/// }
///
/// assert_eq!(DbError::Query("syntax".into()).error_label(), "query");
/// assert_eq!(DbError::UniqueViolation { table: "users" }.error_label(), "constraint");
/// ```
#[proc_macro_derive(ErrorLabel, attributes(label))]
pub fn derive_error_label(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    error_label::expand(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
