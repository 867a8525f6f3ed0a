//! `#[derive(ErrorLabel)]`: an error enum's variant names as the bounded `error_kind` label of
//! `#[instrument(error_kind)]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Fields};

use crate::attrs::{self, Place};
use crate::case::RenameRule;

/// Expands `#[derive(ErrorLabel)]`: one arm per variant, whatever its fields.
pub(crate) fn expand(input: DeriveInput) -> syn::Result<TokenStream> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new(
            input.ident.span(),
            "derive(ErrorLabel) needs an enum: each variant's name becomes one error kind; for \
             a struct, implement ErrorLabel by hand and return a fixed string",
        ));
    };
    let attrs = attrs::parse(&input.attrs, Place::Enum)?;
    let krate = attrs::crate_path(attrs.krate);
    let rule = match &attrs.rename_all {
        None => RenameRule::SnakeCase,
        Some(name) => RenameRule::from_name(&name.value()).ok_or_else(|| {
            syn::Error::new(
                name.span(),
                format!("unknown rename_all rule \"{}\"", name.value()),
            )
        })?,
    };
    let mut arms = Vec::with_capacity(data.variants.len());
    for variant in &data.variants {
        let attrs = attrs::parse(&variant.attrs, Place::Variant)?;
        let text = match &attrs.rename {
            Some(rename) => rename.value(),
            None => rule.apply(&variant.ident.unraw().to_string()),
        };
        let ident = &variant.ident;
        let pattern = match &variant.fields {
            Fields::Unit => quote!(Self::#ident),
            Fields::Unnamed(_) => quote!(Self::#ident(..)),
            Fields::Named(_) => quote!(Self::#ident { .. }),
        };
        arms.push(quote!(#pattern => #text,));
    }
    let ident = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    // An empty enum has no value, so no arm: the match on `*self` is then exhaustive.
    let span = input.ident.span();
    Ok(quote::quote_spanned! {span=>
        impl #impl_generics #krate::instrument::ErrorLabel for #ident #type_generics #where_clause {
            fn error_label(&self) -> &'static str {
                match *self {
                    #(#arms)*
                }
            }
        }
    })
}
