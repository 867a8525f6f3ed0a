//! `#[derive(LabelSet)]`: names, renames, value order, cardinality, dense index, generics.

use std::borrow::Cow;
use std::collections::HashSet;

use vitals::{LabelSet, LabelValue};

use crate::visited;

/// All values of a label set, in order.
fn values<L: LabelSet>(labels: &L) -> Vec<String> {
    visited(|visit| labels.visit_values(visit))
}

#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    Get,
    Post,
    Delete,
}

#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Success,
    ClientError,
    ServerError,
    Timeout,
}

#[derive(LabelSet)]
struct Request {
    method: Method,
    outcome: Outcome,
    cached: bool,
}

#[test]
fn label_names_are_the_field_names_in_order() {
    assert_eq!(Request::label_names(), ["method", "outcome", "cached"]);
}

#[test]
fn values_are_visited_in_field_order() {
    let request = Request {
        method: Method::Delete,
        outcome: Outcome::ClientError,
        cached: true,
    };
    assert_eq!(values(&request), ["delete", "client_error", "true"]);
}

#[derive(LabelSet)]
struct Renamed {
    #[label(rename = "http_method")]
    method: Method,
    r#type: &'static str,
    #[label(rename = "_private")]
    status_code: u16,
}

#[test]
fn renames_and_raw_identifiers() {
    assert_eq!(Renamed::label_names(), ["http_method", "type", "_private"]);
    let renamed = Renamed {
        method: Method::Post,
        r#type: "batch",
        status_code: 503,
    };
    assert_eq!(values(&renamed), ["post", "batch", "503"]);
}

/// Every combination of the fields of [`Request`].
fn all_requests() -> Vec<Request> {
    let methods = [Method::Get, Method::Post, Method::Delete];
    let outcomes = [
        Outcome::Success,
        Outcome::ClientError,
        Outcome::ServerError,
        Outcome::Timeout,
    ];
    let mut all = Vec::new();
    for method in methods {
        for outcome in outcomes {
            for cached in [false, true] {
                all.push(Request {
                    method,
                    outcome,
                    cached,
                });
            }
        }
    }
    all
}

#[test]
fn cardinality_of_enums_and_bools_is_the_product() {
    assert_eq!(Request::CARDINALITY, Some(3 * 4 * 2));
}

#[test]
fn dense_index_is_a_bijection_onto_0_to_cardinality() {
    let cardinality = Request::CARDINALITY.expect("finite");
    let all = all_requests();
    assert_eq!(all.len(), cardinality);
    let mut seen = HashSet::new();
    for request in &all {
        let index = request.dense_index();
        assert!(index < cardinality, "{index} out of range");
        assert!(
            seen.insert(index),
            "index {index} given twice (second time to {:?})",
            values(request)
        );
    }
    assert_eq!(seen.len(), cardinality);
}

#[derive(LabelSet)]
struct WithString<'a> {
    method: Method,
    route: &'a str,
}

#[derive(LabelSet)]
struct WithInteger {
    cached: bool,
    shard: u8,
}

#[test]
fn any_unbounded_field_makes_the_cardinality_unknown() {
    assert_eq!(WithString::CARDINALITY, None);
    assert_eq!(WithInteger::CARDINALITY, None);
}

#[test]
fn dense_index_does_not_panic_when_cardinality_is_unknown() {
    // Never called by a family in this case; calling it anyway must not overflow or panic.
    let labels = WithInteger {
        cached: true,
        shard: 255,
    };
    let _ = labels.dense_index();
}

#[derive(LabelSet)]
struct Empty {}

#[test]
fn a_struct_without_fields_has_one_label_set() {
    assert!(Empty::label_names().is_empty());
    assert!(values(&Empty {}).is_empty());
    assert_eq!(Empty::CARDINALITY, Some(1));
    assert_eq!(Empty {}.dense_index(), 0);
}

#[derive(LabelSet)]
struct Generic<'a, T, U: Copy = bool> {
    route: &'a str,
    value: T,
    flag: U,
    label: Cow<'a, str>,
}

#[derive(LabelSet)]
struct Pair<T> {
    first: T,
    cached: bool,
}

#[test]
fn generics_and_lifetimes() {
    let generic = Generic {
        route: "/users",
        value: Method::Post,
        flag: false,
        label: Cow::Owned("owned".to_owned()),
    };
    assert_eq!(
        Generic::<Method>::label_names(),
        ["route", "value", "flag", "label"]
    );
    assert_eq!(values(&generic), ["/users", "post", "false", "owned"]);

    // The cardinality follows the type argument.
    assert_eq!(Pair::<Method>::CARDINALITY, Some(6));
    assert_eq!(Pair::<&Outcome>::CARDINALITY, Some(8));
    assert_eq!(Pair::<String>::CARDINALITY, None);
    assert_eq!(Pair::<&str>::CARDINALITY, None);
    let pair = Pair {
        first: &Outcome::Timeout,
        cached: true,
    };
    assert_eq!(values(&pair), ["timeout", "true"]);
    assert_eq!(pair.dense_index(), 3 * 2 + 1);
}

/// Names a user may have in scope that clash with what the expansion uses: fully qualified
/// paths in the generated code must keep it compiling.
mod shadowing {
    #![allow(dead_code, reason = "the items exist only to shadow names")]

    use ::vitals::LabelSet as _;

    struct Option;
    struct Some;
    struct None;
    trait LabelValue {}
    trait LabelSet {}
    trait FnMut {}
    mod core {}
    mod vitals {}
    #[allow(non_camel_case_types, reason = "shadows the primitive on purpose")]
    struct usize;
    #[allow(non_camel_case_types, reason = "shadows the primitive on purpose")]
    struct str;

    #[derive(::vitals::LabelValue)]
    enum Kind {
        A,
        B,
    }

    #[derive(::vitals::LabelSet)]
    struct Labels {
        kind: Kind,
        flag: bool,
    }

    #[test]
    fn the_expansion_ignores_user_imports() {
        assert_eq!(Labels::label_names(), ["kind", "flag"]);
        assert_eq!(
            <Labels as ::vitals::LabelSet>::CARDINALITY,
            ::core::option::Option::Some(4)
        );
    }
}

/// `#[label(crate = "...")]`: the generated code names the traits through the given path. The
/// shim defines traits of its own, so a derive that ignored the path would not implement them
/// and this module would not compile.
mod crate_path {
    mod shim {
        pub(super) trait LabelSet {
            const CARDINALITY: Option<usize> = None;
            fn label_names() -> &'static [&'static str];
            fn visit_values(&self, visit: &mut dyn FnMut(&str));
            fn dense_index(&self) -> usize {
                0
            }
        }

        pub(super) trait LabelValue {
            const CARDINALITY: Option<usize> = None;
            fn visit_value(&self, visit: &mut dyn FnMut(&str));
            fn index(&self) -> usize {
                0
            }
        }

        pub(super) mod labels {
            pub(crate) use ::vitals::labels::cardinality_product;
        }
    }

    use shim::{LabelSet, LabelValue};

    #[derive(vitals::LabelValue)]
    #[label(crate = "shim")]
    enum Color {
        Red,
        Green,
    }

    #[derive(vitals::LabelSet)]
    #[label(crate = "self::shim")]
    struct Paint {
        color: Color,
    }

    #[test]
    fn the_given_crate_path_is_used() {
        assert_eq!(<Color as LabelValue>::CARDINALITY, Some(2));
        assert_eq!(Color::Green.index(), 1);
        assert_eq!(Paint::label_names(), ["color"]);
        assert_eq!(<Paint as LabelSet>::CARDINALITY, Some(2));
        let mut seen = String::new();
        Paint {
            color: Color::Green,
        }
        .visit_values(&mut |value| seen.push_str(value));
        assert_eq!(seen, "green");
        assert_eq!(Paint { color: Color::Red }.dense_index(), 0);
    }
}
