//! `#[derive(LabelValue)]`: an enum of unit variants, one label value per variant.

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident};

use crate::attrs::{self, Place};
use crate::case::RenameRule;

/// The message for anything that is not an enum of unit variants.
const NEEDS_UNIT_ENUM: &str =
    "derive(LabelValue) needs an enum whose variants have no fields; each variant becomes one \
     label value";

/// One variant, as the generated code needs it.
struct Value<'a> {
    /// The variant's identifier, for `Self::Variant`.
    variant: &'a Ident,
    /// The label value: the variant's name in the enum's casing rule, or its `rename`.
    text: String,
}

/// Expands `#[derive(LabelValue)]`, or returns the errors (all of them, combined) to report.
pub(crate) fn expand(input: DeriveInput) -> syn::Result<TokenStream> {
    let data = match &input.data {
        Data::Enum(data) => data,
        Data::Struct(data) => {
            return Err(syn::Error::new(
                data.struct_token.span,
                format!(
                    "{NEEDS_UNIT_ENUM} (a struct whose fields are labels takes \
                     #[derive(LabelSet)])"
                ),
            ))
        }
        Data::Union(data) => return Err(syn::Error::new(data.union_token.span, NEEDS_UNIT_ENUM)),
    };
    if data.variants.is_empty() {
        return Err(syn::Error::new(
            input.ident.span(),
            "derive(LabelValue) needs at least one variant: an enum without variants has no \
             value to give a label; add the variants it can take",
        ));
    }

    let attrs = attrs::parse(&input.attrs, Place::Enum)?;
    let krate = attrs::crate_path(attrs.krate);
    let rule = match &attrs.rename_all {
        None => RenameRule::SnakeCase,
        Some(name) => RenameRule::from_name(&name.value()).ok_or_else(|| {
            let known: Vec<String> = RenameRule::ALL
                .iter()
                .map(|(name, _)| format!("\"{name}\""))
                .collect();
            syn::Error::new(
                name.span(),
                format!(
                    "unknown rename_all rule \"{}\"; expected one of {}",
                    name.value(),
                    known.join(", "),
                ),
            )
        })?,
    };

    let mut errors: Option<syn::Error> = None;
    let mut push_error = |error: syn::Error| match &mut errors {
        Some(all) => all.combine(error),
        None => errors = Some(error),
    };
    let mut values: Vec<Value<'_>> = Vec::with_capacity(data.variants.len());
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            push_error(syn::Error::new(
                variant.fields.span(),
                format!(
                    "variant `{}` has fields, but a label value is one fixed string per \
                     variant; remove the fields (derive(LabelValue) needs unit variants only)",
                    variant.ident,
                ),
            ));
            continue;
        }
        let attrs = match attrs::parse(&variant.attrs, Place::Variant) {
            Ok(attrs) => attrs,
            Err(error) => {
                push_error(error);
                continue;
            }
        };
        let (text, span) = match &attrs.rename {
            Some(rename) => (rename.value(), rename.span()),
            None => (
                rule.apply(&variant.ident.unraw().to_string()),
                variant.ident.span(),
            ),
        };
        if let Some(first) = values.iter().find(|value| value.text == text) {
            // Two variants with one value would be one series: the family could not tell them
            // apart on the way out, only on the way in.
            push_error(syn::Error::new(
                span,
                format!(
                    "label value \"{text}\" of variant `{}` is already the value of variant \
                     `{}`; give one of them #[label(rename = \"...\")]",
                    variant.ident, first.variant,
                ),
            ));
        }
        values.push(Value {
            variant: &variant.ident,
            text,
        });
    }
    if let Some(errors) = errors {
        return Err(errors);
    }

    let count = values.len();
    let variants: Vec<&Ident> = values.iter().map(|value| value.variant).collect();
    let texts = values.iter().map(|value| value.text.as_str());
    // The variant's position, not `as usize`: explicit discriminants may be anything.
    let indices = (0..count).map(Literal::usize_unsuffixed);
    let ident = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    // Naming a deprecated variant in a pattern would warn in the user's crate for code they did
    // not write.
    Ok(quote! {
        #[automatically_derived]
        #[allow(deprecated)]
        impl #impl_generics #krate::LabelValue for #ident #type_generics #where_clause {
            const CARDINALITY: ::core::option::Option<::core::primitive::usize> =
                ::core::option::Option::Some(#count);

            fn visit_value(&self, visit: &mut dyn ::core::ops::FnMut(&::core::primitive::str)) {
                visit(match self {
                    #( Self::#variants => #texts, )*
                })
            }

            fn index(&self) -> ::core::primitive::usize {
                match self {
                    #( Self::#variants => #indices, )*
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(source: &str) -> syn::Result<String> {
        expand(syn::parse_str(source)?).map(|tokens| tokens.to_string())
    }

    #[test]
    fn values_follow_the_casing_rule_and_renames() {
        let out = expand_str(
            "#[label(rename_all = \"kebab-case\")] enum E { GetUser, #[label(rename = \"X\")] Y }",
        )
        .expect("expands");
        assert!(out.contains("Self :: GetUser => \"get-user\""), "{out}");
        assert!(out.contains("Self :: Y => \"X\""), "{out}");
        assert!(out.contains("Some (2usize)"), "{out}");
    }

    #[test]
    fn data_variants_and_duplicates_are_all_reported() {
        let error = expand_str("enum E { A(u8), B { x: u8 }, C, #[label(rename = \"c\")] D }")
            .expect_err("rejected");
        let messages: Vec<String> = error.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(
            messages[0].contains("variant `A` has fields"),
            "{messages:?}"
        );
        assert!(
            messages[1].contains("variant `B` has fields"),
            "{messages:?}"
        );
        assert!(
            messages[2].contains("already the value of variant `C`"),
            "{messages:?}"
        );
    }
}
