//! Parsing of the `#[label(...)]` helper attribute, shared by both derives.
//!
//! Each place an attribute can stand (the type, a field, a variant) accepts its own keys; any
//! other key is an error that lists the keys the place accepts, so a typo never passes silently.

use syn::{Attribute, LitStr, Path};

/// Where a `#[label(...)]` attribute stands, which decides the keys it accepts.
#[derive(Clone, Copy)]
pub(crate) enum Place {
    /// On a struct deriving `LabelSet`.
    Struct,
    /// On a field of such a struct.
    Field,
    /// On an enum deriving `LabelValue`.
    Enum,
    /// On a variant of such an enum.
    Variant,
}

impl Place {
    /// The keys this place accepts, in the order the error message lists them.
    fn keys(self) -> &'static [&'static str] {
        match self {
            Place::Struct => &["crate"],
            Place::Field | Place::Variant => &["rename"],
            Place::Enum => &["crate", "rename_all"],
        }
    }

    /// How an error message names the place.
    fn describe(self) -> &'static str {
        match self {
            Place::Struct => "a struct deriving LabelSet",
            Place::Field => "a field of a struct deriving LabelSet",
            Place::Enum => "an enum deriving LabelValue",
            Place::Variant => "a variant of an enum deriving LabelValue",
        }
    }
}

/// The keys found in the `#[label(...)]` attributes of one place. Keys the place does not accept
/// are rejected while parsing, so the derives can read every field without checking the place.
#[derive(Default)]
pub(crate) struct LabelAttrs {
    /// `crate = "path"`: where the generated code finds the vitals items.
    pub(crate) krate: Option<Path>,
    /// `rename = "..."`: the label name (on a field) or label value (on a variant).
    pub(crate) rename: Option<LitStr>,
    /// `rename_all = "..."`: the casing rule for every variant's value.
    pub(crate) rename_all: Option<LitStr>,
}

/// Reads every `#[label(...)]` attribute in `attrs` (other attributes are not ours) and returns
/// the keys found, or an error spanned on the first key that is unknown, misplaced, repeated or
/// malformed.
pub(crate) fn parse(attrs: &[Attribute], place: Place) -> syn::Result<LabelAttrs> {
    let mut found = LabelAttrs::default();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("label")) {
        attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            if !place.keys().contains(&key.as_str()) {
                let shown = if key.is_empty() {
                    "this key".to_owned()
                } else {
                    format!("`{key}`")
                };
                return Err(meta.error(format!(
                    "{shown} is not allowed in #[label(...)] on {}; expected {}",
                    place.describe(),
                    list(place.keys()),
                )));
            }
            let slot_taken = match key.as_str() {
                "crate" => found.krate.is_some(),
                "rename" => found.rename.is_some(),
                _ => found.rename_all.is_some(),
            };
            if slot_taken {
                return Err(meta.error(format!(
                    "`{key}` is given twice; keep one #[label({key} = \"...\")]"
                )));
            }
            let value: LitStr = meta.value()?.parse().map_err(|error| {
                syn::Error::new(
                    error.span(),
                    format!("expected a string literal: #[label({key} = \"...\")]"),
                )
            })?;
            match key.as_str() {
                "crate" => {
                    let path = value.parse::<Path>().map_err(|_| {
                        syn::Error::new(
                            value.span(),
                            "expected the path of the crate that defines the label traits, \
                             such as #[label(crate = \"vitals_core\")]",
                        )
                    })?;
                    found.krate = Some(path);
                }
                "rename" => found.rename = Some(value),
                _ => found.rename_all = Some(value),
            }
            Ok(())
        })?;
    }
    Ok(found)
}

/// `a`, `a` or `b`, `a`, `b` or `c`: the keys in backticks, for error messages.
fn list(keys: &[&str]) -> String {
    let quoted: Vec<String> = keys.iter().map(|key| format!("`{key}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// The path generated code uses for the vitals items: `crate = "..."` if given, else `::vitals`.
pub(crate) fn crate_path(krate: Option<Path>) -> Path {
    krate.unwrap_or_else(|| syn::parse_quote!(::vitals))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn attrs_of(source: &str) -> Vec<Attribute> {
        syn::parse_str::<syn::DeriveInput>(source)
            .expect("parses")
            .attrs
    }

    #[test]
    fn crate_paths_include_keywords() {
        // `crate = "crate"` is what a test inside vitals-core itself would write.
        for (given, expected) in [
            ("crate", "crate"),
            ("vitals_core", "vitals_core"),
            ("::vitals", ":: vitals"),
        ] {
            let attrs = attrs_of(&format!("#[label(crate = \"{given}\")] enum E {{ A }}"));
            let found = parse(&attrs, Place::Enum).expect(given);
            let path = found.krate.expect("a path");
            assert_eq!(path.to_token_stream().to_string(), expected);
        }
        let default = crate_path(None);
        assert_eq!(default.to_token_stream().to_string(), ":: vitals");
    }

    #[test]
    fn keys_are_checked() {
        let split = attrs_of(
            "#[label(rename_all = \"lowercase\")] #[doc = \"x\"] #[label(crate = \"c\")] enum E { A }",
        );
        let found = parse(&split, Place::Enum).expect("keys may be split over attributes");
        assert!(found.krate.is_some() && found.rename_all.is_some());

        for (source, place, fragment) in [
            (
                "#[label(rename = \"a\", rename = \"b\")] struct S;",
                Place::Field,
                "given twice",
            ),
            ("#[label(rename)] struct S;", Place::Field, "expected `=`"),
            (
                "#[label(skip)] struct S;",
                Place::Field,
                "`skip` is not allowed in #[label(...)] on a field",
            ),
            (
                "#[label(crate = \"a\")] struct S;",
                Place::Variant,
                "expected `rename`",
            ),
            (
                "#[label(foo::bar = \"a\")] struct S;",
                Place::Enum,
                "expected `crate` or `rename_all`",
            ),
        ] {
            let error = parse(&attrs_of(source), place)
                .err()
                .unwrap_or_else(|| panic!("{source} accepted"));
            assert!(error.to_string().contains(fragment), "{source}: {error}");
        }
    }

    #[test]
    fn key_lists_read_as_english() {
        assert_eq!(list(&["a"]), "`a`");
        assert_eq!(list(&["a", "b"]), "`a` or `b`");
        assert_eq!(list(&["a", "b", "c"]), "`a`, `b` or `c`");
        assert_eq!(list(&[]), "");
    }
}
