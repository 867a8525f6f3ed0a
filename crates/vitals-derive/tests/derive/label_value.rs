//! `#[derive(LabelValue)]`: values, casing rules, renames, cardinality and index.

use vitals::LabelValue;

use crate::visited;

/// The text an enum variant is written as.
fn text<T: LabelValue>(value: &T) -> String {
    visited(|visit| value.visit_value(visit)).concat()
}

#[derive(LabelValue)]
enum Default {
    Get,
    GetUser,
    HTTP2,
    HTTPServer,
    V1Api,
    r#Type,
}

#[test]
fn snake_case_is_the_default() {
    assert_eq!(text(&Default::Get), "get");
    assert_eq!(text(&Default::GetUser), "get_user");
    assert_eq!(text(&Default::HTTP2), "http2");
    assert_eq!(text(&Default::HTTPServer), "http_server");
    assert_eq!(text(&Default::V1Api), "v1_api");
    assert_eq!(text(&Default::Type), "type");
}

#[derive(LabelValue)]
#[label(rename_all = "lowercase")]
enum Lower {
    GetUser,
}

#[derive(LabelValue)]
#[label(rename_all = "UPPERCASE")]
enum Upper {
    GetUser,
}

#[derive(LabelValue)]
#[label(rename_all = "SCREAMING_SNAKE_CASE")]
enum Screaming {
    GetUser,
}

#[derive(LabelValue)]
#[label(rename_all = "kebab-case")]
enum Kebab {
    GetUser,
}

#[derive(LabelValue)]
#[label(rename_all = "verbatim")]
enum Verbatim {
    GetUser,
}

#[derive(LabelValue)]
#[label(rename_all = "snake_case")]
enum Snake {
    GetUser,
}

#[test]
fn rename_all_rules() {
    assert_eq!(text(&Lower::GetUser), "getuser");
    assert_eq!(text(&Upper::GetUser), "GETUSER");
    assert_eq!(text(&Screaming::GetUser), "GET_USER");
    assert_eq!(text(&Kebab::GetUser), "get-user");
    assert_eq!(text(&Verbatim::GetUser), "GetUser");
    assert_eq!(text(&Snake::GetUser), "get_user");
}

#[derive(LabelValue)]
#[label(rename_all = "UPPERCASE")]
enum Status {
    Ok,
    // A rename is taken as written: the casing rule does not apply to it.
    #[label(rename = "Not Found (404)")]
    NotFound,
    #[label(rename = "")]
    Unknown,
}

#[test]
fn a_variant_rename_overrides_the_rule() {
    assert_eq!(text(&Status::Ok), "OK");
    assert_eq!(text(&Status::NotFound), "Not Found (404)");
    assert_eq!(text(&Status::Unknown), "");
}

/// Discriminants in a different order from the declarations, and a gap: the index must follow
/// the declaration order regardless.
#[derive(LabelValue, Clone, Copy)]
#[repr(u8)]
enum Priority {
    High = 7,
    Low = 1,
    Medium = 200,
}

#[test]
fn cardinality_and_index_follow_the_declaration_order() {
    assert_eq!(<Priority as LabelValue>::CARDINALITY, Some(3));
    assert_eq!(Priority::High.index(), 0);
    assert_eq!(Priority::Low.index(), 1);
    assert_eq!(Priority::Medium.index(), 2);
    // Through a reference, as LabelSet fields of type `&T` use it.
    assert_eq!(<&Priority as LabelValue>::CARDINALITY, Some(3));
    assert_eq!(<&Priority as LabelValue>::index(&&Priority::Medium), 2);
    assert_eq!(text(&&Priority::Low), "low");
}

#[derive(LabelValue)]
enum Single {
    Only,
}

#[test]
fn one_variant() {
    assert_eq!(<Single as LabelValue>::CARDINALITY, Some(1));
    assert_eq!(Single::Only.index(), 0);
    assert_eq!(text(&Single::Only), "only");
}

#[allow(
    dead_code,
    reason = "deprecated on purpose, to show the derive does not warn about it"
)]
#[derive(LabelValue)]
enum WithDeprecated {
    Current,
    #[deprecated = "use Current"]
    Old,
}

#[test]
fn deprecated_variants_do_not_warn_in_the_expansion() {
    // The crate is built with `-D warnings` in CI; a warning from the expansion would fail it.
    assert_eq!(text(&WithDeprecated::Current), "current");
}
