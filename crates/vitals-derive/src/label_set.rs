//! `#[derive(LabelSet)]`: a struct with named fields, one label per field.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Generics, Ident, Type};

use crate::attrs::{self, Place};

/// The message for anything that is not a struct with named fields.
const NEEDS_NAMED_FIELDS: &str =
    "derive(LabelSet) needs a struct with named fields; each field becomes a label";

/// One field of the struct, as the generated code needs it.
struct Label<'a> {
    /// The field's identifier, for `self.field`.
    member: &'a Ident,
    /// The field's type, for `<Type as LabelValue>`.
    ty: &'a Type,
    /// The label name: the field's name, or its `rename`.
    name: String,
}

/// Expands `#[derive(LabelSet)]`, or returns the errors (all of them, combined) to report.
pub(crate) fn expand(mut input: DeriveInput) -> syn::Result<TokenStream> {
    let fields = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(fields) => fields,
            // A tuple or unit struct has no names to give its labels.
            Fields::Unnamed(_) | Fields::Unit => {
                return Err(syn::Error::new(
                    struct_span(&input, &data.fields),
                    NEEDS_NAMED_FIELDS,
                ))
            }
        },
        Data::Enum(data) => {
            return Err(syn::Error::new(
                data.enum_token.span,
                format!(
                    "{NEEDS_NAMED_FIELDS} (an enum of label values takes #[derive(LabelValue)] \
                     and becomes a field of a LabelSet struct)"
                ),
            ))
        }
        Data::Union(data) => {
            return Err(syn::Error::new(data.union_token.span, NEEDS_NAMED_FIELDS))
        }
    };

    let krate = attrs::crate_path(attrs::parse(&input.attrs, Place::Struct)?.krate);

    let mut errors: Option<syn::Error> = None;
    let mut push_error = |error: syn::Error| match &mut errors {
        Some(all) => all.combine(error),
        None => errors = Some(error),
    };
    let mut labels: Vec<Label<'_>> = Vec::with_capacity(fields.named.len());
    for field in &fields.named {
        let attrs = match attrs::parse(&field.attrs, Place::Field) {
            Ok(attrs) => attrs,
            Err(error) => {
                push_error(error);
                continue;
            }
        };
        // Named fields always carry an identifier; the guard keeps a malformed input from
        // becoming a panic.
        let Some(member) = field.ident.as_ref() else {
            continue;
        };
        let (name, name_span) = match &attrs.rename {
            Some(rename) => (rename.value(), rename.span()),
            // `r#type` is the label `type`.
            None => (member.unraw().to_string(), member.span()),
        };
        if let Err(message) = check_label_name(&name, attrs.rename.is_some()) {
            push_error(syn::Error::new(name_span, message));
        } else if let Some(first) = labels.iter().find(|label| label.name == name) {
            push_error(syn::Error::new(
                name_span,
                format!(
                    "label name `{name}` is already used by field `{}`; each label name may \
                     appear once: give one of them #[label(rename = \"...\")]",
                    first.member.unraw(),
                ),
            ));
        }
        labels.push(Label {
            member,
            ty: &field.ty,
            name,
        });
    }
    if let Some(errors) = errors {
        return Err(errors);
    }

    let label_value = quote!(#krate::LabelValue);
    // `<FieldType as LabelValue>` spanned on the field's type, so that a type that does not
    // implement LabelValue is reported at the field, not at the derive.
    let value_traits: Vec<TokenStream> = labels
        .iter()
        .map(|label| {
            let ty = label.ty;
            quote_spanned!(ty.span()=> <#ty as #label_value>)
        })
        .collect();
    let names = labels.iter().map(|label| label.name.as_str());
    let members: Vec<&Ident> = labels.iter().map(|label| label.member).collect();
    // Mixed radix: with every cardinality known, field i is a digit of base CARDINALITY_i, so
    // distinct label sets get distinct indices in 0..product. Wrapping arithmetic keeps a call
    // on a type of unknown cardinality (whose result is meaningless) from panicking.
    let dense_index = if labels.is_empty() {
        quote!(0)
    } else {
        quote! {
            let mut index: ::core::primitive::usize = 0;
            #(
                index = index
                    .wrapping_mul(::core::option::Option::unwrap_or(#value_traits::CARDINALITY, 1))
                    .wrapping_add(#value_traits::index(&self.#members));
            )*
            index
        }
    };

    add_bounds(&mut input.generics, &labels, &label_value);
    let ident = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics #krate::LabelSet for #ident #type_generics #where_clause {
            const CARDINALITY: ::core::option::Option<::core::primitive::usize> =
                #krate::labels::cardinality_product(&[#(#value_traits::CARDINALITY),*]);

            fn label_names() -> &'static [&'static ::core::primitive::str] {
                &[#(#names),*]
            }

            fn visit_values(&self, visit: &mut dyn ::core::ops::FnMut(&::core::primitive::str)) {
                #( #value_traits::visit_value(&self.#members, visit); )*
            }

            fn dense_index(&self) -> ::core::primitive::usize {
                #dense_index
            }
        }
    })
}

/// Where to point the error for a tuple or unit struct: its fields, or the struct's name.
fn struct_span(input: &DeriveInput, fields: &Fields) -> Span {
    match fields {
        Fields::Unnamed(fields) => fields.paren_token.span.join(),
        _ => input.ident.span(),
    }
}

/// Checks a label name with vitals-core's own rule (so the macro and the registry can never
/// disagree), adding what to change in the source: the `rename` string if the name came from
/// one, else the field.
fn check_label_name(name: &str, renamed: bool) -> Result<(), String> {
    vitals_core::name::validate_label_name(name).map_err(|e| {
        let fix = if renamed {
            "fix the rename"
        } else {
            "rename the field, or set #[label(rename = \"...\")] on it"
        };
        format!("{} ({fix})", e.message())
    })
}

/// Adds `FieldType: LabelValue` to the where clause for every field whose type mentions one of
/// the struct's type parameters (`value: T`, `value: &'a T`): the impl then holds exactly when
/// the fields are label values. Fields of concrete types get no bound, so a concrete type that
/// is not a label value is reported at the field instead of making the impl silently absent.
fn add_bounds(generics: &mut Generics, labels: &[Label<'_>], label_value: &TokenStream) {
    let params: Vec<Ident> = generics
        .type_params()
        .map(|param| param.ident.clone())
        .collect();
    if params.is_empty() {
        return;
    }
    let where_clause = generics.make_where_clause();
    for label in labels {
        let ty = label.ty;
        if mentions(quote!(#ty), &params) {
            where_clause
                .predicates
                .push(syn::parse_quote!(#ty: #label_value));
        }
    }
}

/// Whether any identifier in `tokens` is one of `params`. A path such as `other::T` counts too:
/// the bound it adds is then merely redundant.
fn mentions(tokens: TokenStream, params: &[Ident]) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => params.contains(&ident),
        TokenTree::Group(group) => mentions(group.stream(), params),
        TokenTree::Punct(_) | TokenTree::Literal(_) => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_name_rules() {
        for valid in [
            "method",
            "_private",
            "a1",
            "HTTP_code",
            "_",
            "l",
            "les",
            "quantiles",
        ] {
            assert_eq!(check_label_name(valid, false), Ok(()), "{valid}");
        }
        for (invalid, fragment) in [
            ("", "invalid label name"),
            ("1st", "invalid label name"),
            ("http-method", "invalid label name"),
            ("métode", "invalid label name"),
            ("a:b", "invalid label name"),
            ("__name__", "\"__\""),
            ("__", "\"__\""),
            ("le", "reserved"),
            ("quantile", "reserved"),
        ] {
            let message = check_label_name(invalid, true).expect_err(invalid);
            assert!(message.contains(fragment), "{invalid}: {message}");
        }
    }

    #[test]
    fn messages_say_where_to_fix() {
        let from_rename = check_label_name("http-method", true).expect_err("invalid");
        assert!(from_rename.contains("\"http_method\""), "{from_rename}");
        assert!(from_rename.ends_with("(fix the rename)"), "{from_rename}");
        let from_field = check_label_name("le", false).expect_err("reserved");
        assert!(from_field.contains("rename the field"), "{from_field}");
    }
}
