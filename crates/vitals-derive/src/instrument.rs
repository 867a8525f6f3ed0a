//! `#[instrument]`: records calls, durations and calls in flight of a function.
//!
//! The expansion keeps the function's signature and puts its body, unchanged, inside a
//! closure (sync), an async block (async) or a future wrapper (functions returning a future),
//! so that `return` and `?` in the body end the body, not the recording. The recording itself
//! is `vitals::instrument::FunctionSite`'s (in vitals-instrument): the macro only builds its
//! spec from the options, checked here so that misuse is a compile error.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{
    Expr, ExprArray, GenericArgument, ItemFn, LitBool, LitStr, Path, PathArguments, ReturnType,
    Type, TypeParamBound,
};

/// Names the families' own labels use: constant labels may not take them.
const OWN_LABELS: [&str; 4] = ["function", "module", "result", "error_kind"];

/// The options of one `#[instrument(...)]`.
#[derive(Default)]
struct Options {
    krate: Option<Path>,
    name: Option<LitStr>,
    calls: Option<LitStr>,
    duration: Option<LitStr>,
    /// `Some(None)`: `in_flight = false`.
    in_flight: Option<Option<LitStr>>,
    buckets: Option<Expr>,
    labels: Vec<(LitStr, LitStr)>,
    registry: Option<Expr>,
    /// `Some(None)`: `error_kind` (by `ErrorLabel`); `Some(Some(path))`: by that function.
    error_kind: Option<Option<Path>>,
    report_errors: Option<LitBool>,
}

const KEYS: &str = "name, calls, duration, in_flight, buckets, labels(...), registry, \
                    error_kind, report_errors, crate";

fn parse_options(args: TokenStream) -> syn::Result<Options> {
    let mut o = Options::default();
    let parser = syn::meta::parser(|meta| {
        let key = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        let repeated = || meta.error(format!("`{key}` is given twice"));
        match key.as_str() {
            "crate" => {
                let lit: LitStr = meta.value()?.parse()?;
                if o.krate.replace(lit.parse()?).is_some() {
                    return Err(repeated());
                }
            }
            "name" => {
                let lit: LitStr = meta.value()?.parse()?;
                if lit.value().is_empty() {
                    return Err(syn::Error::new(
                        lit.span(),
                        "the function label may not be empty",
                    ));
                }
                if o.name.replace(lit).is_some() {
                    return Err(repeated());
                }
            }
            "calls" | "duration" => {
                let lit: LitStr = meta.value()?.parse()?;
                check_metric_name(&lit)?;
                let slot = if key == "calls" {
                    &mut o.calls
                } else {
                    &mut o.duration
                };
                if slot.replace(lit).is_some() {
                    return Err(repeated());
                }
            }
            "in_flight" => {
                let value: Expr = meta.value()?.parse()?;
                let parsed = match &value {
                    Expr::Lit(l) => match &l.lit {
                        syn::Lit::Str(s) => {
                            check_metric_name(s)?;
                            Some(s.clone())
                        }
                        syn::Lit::Bool(b) if !b.value => None,
                        _ => return Err(in_flight_error(&value)),
                    },
                    _ => return Err(in_flight_error(&value)),
                };
                if o.in_flight.replace(parsed).is_some() {
                    return Err(repeated());
                }
            }
            "buckets" => {
                let value: Expr = meta.value()?.parse()?;
                if let Expr::Array(array) = &value {
                    check_buckets(array)?;
                }
                if o.buckets.replace(value).is_some() {
                    return Err(repeated());
                }
            }
            "labels" => {
                if !o.labels.is_empty() {
                    return Err(repeated());
                }
                meta.parse_nested_meta(|label| {
                    let Some(ident) = label.path.get_ident() else {
                        return Err(label.error("a constant label is `name = \"value\"`"));
                    };
                    let name = LitStr::new(&ident.to_string(), ident.span());
                    check_label_name(&name)?;
                    if o.labels.iter().any(|(n, _)| n.value() == name.value()) {
                        return Err(label.error(format!("label `{ident}` is given twice")));
                    }
                    let value: LitStr = label.value()?.parse()?;
                    o.labels.push((name, value));
                    Ok(())
                })?;
            }
            "registry" => {
                let value: Expr = meta.value()?.parse()?;
                if o.registry.replace(value).is_some() {
                    return Err(repeated());
                }
            }
            "error_kind" => {
                let kind = if meta.input.peek(syn::Token![=]) {
                    Some(meta.value()?.parse::<Path>()?)
                } else {
                    None
                };
                if o.error_kind.replace(kind).is_some() {
                    return Err(repeated());
                }
            }
            "report_errors" => {
                let value: LitBool = meta.value()?.parse()?;
                if o.report_errors.replace(value).is_some() {
                    return Err(repeated());
                }
            }
            _ => {
                return Err(meta.error(format!(
                    "unknown #[instrument] option `{}`; the options are: {KEYS}",
                    meta.path.to_token_stream()
                )))
            }
        }
        Ok(())
    });
    parser.parse2(args)?;
    Ok(o)
}

fn in_flight_error(value: &Expr) -> syn::Error {
    syn::Error::new(
        value.span(),
        "`in_flight` is a gauge name such as \"jobs_in_flight\", or `false` for no gauge",
    )
}

fn check_metric_name(lit: &LitStr) -> syn::Result<()> {
    vitals_core::name::validate_metric_name(&lit.value())
        .map_err(|e| syn::Error::new(lit.span(), e.to_string()))
}

fn check_label_name(name: &LitStr) -> syn::Result<()> {
    let value = name.value();
    if OWN_LABELS.contains(&value.as_str()) {
        return Err(syn::Error::new(
            name.span(),
            format!(
                "label `{value}` is one of #[instrument]'s own labels (function, module, result, \
                 error_kind); choose another name for the constant label"
            ),
        ));
    }
    vitals_core::name::validate_label_name(&value)
        .map_err(|e| syn::Error::new(name.span(), e.to_string()))
}

/// Literal bucket bounds: numbers, strictly increasing (the registry checks again at run
/// time; here the mistake is caught where it is written).
fn check_buckets(array: &ExprArray) -> syn::Result<()> {
    let mut previous: Option<f64> = None;
    for element in &array.elems {
        let value = match element {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Float(f),
                ..
            }) => f.base10_parse::<f64>()?,
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(i),
                ..
            }) => i.base10_parse::<f64>()?,
            // A constant or expression: left to the registry's check.
            _ => return Ok(()),
        };
        if previous.is_some_and(|p| value <= p) {
            return Err(syn::Error::new(
                element.span(),
                "bucket bounds must be strictly increasing; sort them and remove repeats",
            ));
        }
        previous = Some(value);
    }
    Ok(())
}

/// How the function's result is produced, which decides how it is wrapped.
enum Shape {
    /// A plain function: the body runs in a closure.
    Sync,
    /// `async fn`: the body runs in an async block, wrapped.
    Async,
    /// Returns `impl Future`: the future the body returns is wrapped.
    ImplFuture,
    /// Returns `Pin<Box<dyn Future>>` (`#[async_trait]` methods, `BoxFuture`): the future the
    /// body returns is wrapped and boxed again.
    BoxedFuture,
}

fn shape(item: &ItemFn) -> Shape {
    if item.sig.asyncness.is_some() {
        return Shape::Async;
    }
    let ReturnType::Type(_, ty) = &item.sig.output else {
        return Shape::Sync;
    };
    match &**ty {
        Type::ImplTrait(t) if t.bounds.iter().any(is_future_bound) => Shape::ImplFuture,
        Type::Path(p) => {
            let Some(last) = p.path.segments.last() else {
                return Shape::Sync;
            };
            if last.ident == "BoxFuture" || last.ident == "LocalBoxFuture" {
                return Shape::BoxedFuture;
            }
            if last.ident == "Pin" && boxes_dyn_future(&last.arguments) {
                return Shape::BoxedFuture;
            }
            Shape::Sync
        }
        _ => Shape::Sync,
    }
}

fn is_future_bound(bound: &TypeParamBound) -> bool {
    matches!(bound, TypeParamBound::Trait(t)
        if t.path.segments.last().is_some_and(|s| s.ident == "Future"))
}

/// `Pin<Box<dyn Future ...>>`'s arguments.
fn boxes_dyn_future(args: &PathArguments) -> bool {
    let PathArguments::AngleBracketed(args) = args else {
        return false;
    };
    args.args.iter().any(|arg| match arg {
        GenericArgument::Type(Type::Path(p)) => p.path.segments.last().is_some_and(|boxed| {
            boxed.ident == "Box"
                && matches!(&boxed.arguments, PathArguments::AngleBracketed(inner)
                    if inner.args.iter().any(|a| matches!(a,
                        GenericArgument::Type(Type::TraitObject(t))
                            if t.bounds.iter().any(is_future_bound))))
        }),
        _ => false,
    })
}

/// Whether a type mentions `impl Trait`, which a `let` cannot name.
fn mentions_impl(ty: &Type) -> bool {
    ty.to_token_stream()
        .into_iter()
        .any(|t| matches!(t, proc_macro2::TokenTree::Ident(i) if i == "impl"))
}

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let options = parse_options(args)?;
    let item: ItemFn = syn::parse2(item).map_err(|e| {
        syn::Error::new(
            e.span(),
            "#[instrument] goes on a function or method with a body",
        )
    })?;
    if let Some(constness) = &item.sig.constness {
        return Err(syn::Error::new(
            constness.span(),
            "#[instrument] cannot record a `const fn` (it reads the clock); remove `const` or \
             the attribute",
        ));
    }
    if let ReturnType::Type(_, ty) = &item.sig.output {
        if matches!(**ty, Type::Never(_)) {
            return Err(syn::Error::new(
                ty.span(),
                "#[instrument] cannot record a function that never returns (`-> !`): no call \
                 of it ends; instrument the work it loops over instead",
            ));
        }
    }
    if let Some(duration) = &options.duration {
        if !duration.value().ends_with("_seconds") {
            return Err(syn::Error::new(
                duration.span(),
                "the duration histogram records seconds: its name must end in `_seconds`",
            ));
        }
    }
    if options.error_kind.is_some() && !returns_result(&item) {
        return Err(syn::Error::new(
            item.sig.output.span(),
            "`error_kind` needs a function that returns a `Result` (the kind is taken from its \
             `Err`)",
        ));
    }
    let krate = options
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::vitals));
    let site = site(&item, &options, &krate);
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = &item;
    // syn keeps a body's inner attributes (`#![allow(..)]`) with the outer ones: they go back
    // at the top of the generated body, where they apply to the original body too.
    let (inner_attrs, attrs): (Vec<_>, Vec<_>) = attrs
        .iter()
        .partition(|a| matches!(a.style, syn::AttrStyle::Inner(_)));
    let private = quote!(#krate::instrument::__private);
    let kind = kind_expr(&options, &krate);
    let probes = quote! {
        #[allow(unused_imports)]
        use #private::{
            ProbeDebug as _, ProbeDisplay as _, ProbeDynError as _, ProbeError as _,
            ProbeResult as _, ProbeSendError as _, ProbeValue as _,
        };
    };
    let classify = quote! {
        |__vitals_output| {
            #probes
            let __vitals_kind = #kind;
            ((&&&&&&&#private::Probe(__vitals_output)).outcome(), __vitals_kind(__vitals_output))
        }
    };
    // Where the body's value can be named, it is, so that `?` in the body knows its target.
    let typed_body = |output: &ReturnType| match output {
        ReturnType::Type(_, ty) if !mentions_impl(ty) => quote! {
            let __vitals_value: #ty = #block;
            #[allow(unreachable_code)]
            __vitals_value
        },
        ReturnType::Default => quote! {
            let __vitals_value: () = #block;
            #[allow(unreachable_code)]
            __vitals_value
        },
        ReturnType::Type(..) => quote! { #block },
    };
    let span = Span::call_site();
    let body = match shape(&item) {
        Shape::Sync => {
            let inner = typed_body(&sig.output);
            quote_spanned! {span=>
                #site
                let mut __vitals_call = __VITALS_SITE.start();
                // The body keeps its own braces, which rustc may call unused in a closure.
                #[allow(unused_braces)]
                let __vitals_result = #private::call_once(move || { #inner });
                {
                    #probes
                    let __vitals_kind = #kind;
                    let __vitals_outcome = (&&&&&&&#private::Probe(&__vitals_result)).outcome();
                    __vitals_call.finish(__vitals_outcome, __vitals_kind(&__vitals_result));
                }
                __vitals_result
            }
        }
        Shape::Async => {
            let inner = typed_body(&sig.output);
            quote_spanned! {span=>
                #site
                #[allow(unused_braces)]
                let __vitals_future = async move { #inner };
                #private::Instrumented::new(&__VITALS_SITE, __vitals_future, #classify).await
            }
        }
        Shape::ImplFuture => quote_spanned! {span=>
            #site
            #[allow(unused_braces)]
            let __vitals_future = #private::call_once(move || #block);
            #private::Instrumented::new(&__VITALS_SITE, __vitals_future, #classify)
        },
        Shape::BoxedFuture => quote_spanned! {span=>
            #site
            #[allow(unused_braces)]
            let __vitals_future = #private::call_once(move || #block);
            ::std::boxed::Box::pin(#private::Instrumented::new(
                &__VITALS_SITE,
                __vitals_future,
                #classify,
            ))
        },
    };
    Ok(quote! {
        #(#attrs)*
        #vis #sig {
            #(#inner_attrs)*
            #body
        }
    })
}

/// Whether the return type is (syntactically) a `Result`, or a future of one.
fn returns_result(item: &ItemFn) -> bool {
    let ReturnType::Type(_, ty) = &item.sig.output else {
        return false;
    };
    ty.to_token_stream()
        .into_iter()
        .any(|t| matches!(t, proc_macro2::TokenTree::Ident(i) if i == "Result"))
        || !matches!(shape(item), Shape::Sync | Shape::Async)
}

/// A closure from the function's output to its error kind.
fn kind_expr(options: &Options, krate: &Path) -> TokenStream {
    let private = quote!(#krate::instrument::__private);
    match &options.error_kind {
        None => {
            quote! { |_: &_| -> ::core::option::Option<&'static str> { ::core::option::Option::None } }
        }
        Some(None) => quote! {
            |__vitals_value: &_| #private::error_kind(__vitals_value, |__vitals_error| {
                #krate::instrument::ErrorLabel::error_label(__vitals_error)
            })
        },
        Some(Some(path)) => quote! {
            |__vitals_value: &_| #private::error_kind(__vitals_value, |__vitals_error| {
                #path(__vitals_error)
            })
        },
    }
}

/// The `static` site, its spec built from the options.
fn site(item: &ItemFn, options: &Options, krate: &Path) -> TokenStream {
    let function = options
        .name
        .as_ref()
        .map(LitStr::value)
        .unwrap_or_else(|| item.sig.ident.unraw().to_string());
    let mut spec = quote! {
        #krate::instrument::FunctionSpec::new(#function, ::core::module_path!())
    };
    if let Some(calls) = &options.calls {
        spec.extend(quote!(.with_calls(#calls)));
    }
    if let Some(duration) = &options.duration {
        spec.extend(quote!(.with_duration(#duration)));
    }
    match &options.in_flight {
        Some(Some(name)) => spec.extend(quote!(.with_in_flight(#name))),
        Some(None) => spec.extend(quote!(.without_in_flight())),
        None => {}
    }
    match &options.buckets {
        Some(Expr::Array(array)) => {
            // `[1, 2, 5]` means seconds as much as `[1.0, 2.0, 5.0]`: integers become floats.
            let bounds = array.elems.iter().map(|e| match e {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(i),
                    ..
                }) => {
                    let float = syn::LitFloat::new(&format!("{}.0", i.base10_digits()), i.span());
                    quote!(#float)
                }
                other => quote!(#other),
            });
            spec.extend(quote!(.with_buckets(&[#(#bounds),*])));
        }
        Some(other) => spec.extend(quote!(.with_buckets(#other))),
        None => {}
    }
    if !options.labels.is_empty() {
        let pairs = options.labels.iter().map(|(n, v)| quote!((#n, #v)));
        spec.extend(quote!(.with_const_labels(&[#(#pairs),*])));
    }
    if let Some(registry) = &options.registry {
        spec.extend(quote! {
            .with_registry({
                fn __vitals_registry() -> #krate::Registry {
                    let registry: &#krate::Registry = &(#registry);
                    ::core::clone::Clone::clone(registry)
                }
                __vitals_registry
            })
        });
    }
    if options.report_errors.as_ref().is_some_and(|b| !b.value) {
        spec.extend(quote!(.without_error_reports()));
    }
    quote! {
        static __VITALS_SITE: #krate::instrument::FunctionSite =
            #krate::instrument::FunctionSite::new(#spec);
    }
}
