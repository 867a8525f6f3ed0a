//! # vitals-derive
//!
//! Derive macros for typed labels in the [vitals] Prometheus metrics framework: a struct whose
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
