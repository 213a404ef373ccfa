//! The expansion itself: checks the annotated function, then writes the
//! blocking function that builds a runtime and runs the body on it (or, on
//! error, the errors plus the function, so rustc still checks its body).

use proc_macro2::{Span, TokenStream as TokenStream2, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{ItemFn, ReturnType};

use crate::config::{parse_args, parse_config, push_error, Config, Flavor, Kind};

/// Checks the annotated function itself: it must be `async`; a test, and a
/// function named `main`, must take no arguments (other functions may, a
/// `self` receiver included, as with tokio); a test must not carry a second
/// test attribute.
fn check_fn(item: &ItemFn, kind: Kind) -> syn::Result<()> {
    let mut errors = None;
    if item.sig.asyncness.is_none() {
        push_error(
            &mut errors,
            syn::Error::new_spanned(
                item.sig.fn_token,
                format!(
                    "the `async` keyword is missing from the function declaration; \
                     {} only applies to `async fn`",
                    kind.attr_name()
                ),
            ),
        );
    }
    let takes_arguments = !item.sig.inputs.is_empty();
    match kind {
        Kind::Main if takes_arguments && item.sig.ident == "main" => push_error(
            &mut errors,
            syn::Error::new_spanned(&item.sig.inputs, "the `main` function cannot take arguments"),
        ),
        Kind::Test if takes_arguments => push_error(
            &mut errors,
            syn::Error::new_spanned(&item.sig.inputs, "`#[heddle::test]` functions cannot take arguments"),
        ),
        Kind::Main | Kind::Test => {}
    }
    if kind == Kind::Test {
        for attr in &item.attrs {
            let path = attr.path();
            let is_test = path.is_ident("test")
                || (path.segments.len() > 1
                    && path.segments.last().is_some_and(|s| s.ident == "test")
                    && path.segments.first().is_some_and(|s| s.ident == "core" || s.ident == "std"));
            if is_test {
                push_error(
                    &mut errors,
                    syn::Error::new_spanned(
                        attr,
                        "second test attribute: `#[heddle::test]` already adds `#[test]`; remove this one",
                    ),
                );
            }
        }
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Whether `tokens` contains the `impl` keyword or is the never type, i.e.
/// a type that cannot be written as a generic argument.
fn unnameable(ty: &syn::Type) -> bool {
    fn has_impl(tokens: TokenStream2) -> bool {
        tokens.into_iter().any(|tt| match tt {
            TokenTree::Ident(ident) => ident == "impl",
            TokenTree::Group(group) => has_impl(group.stream()),
            _ => false,
        })
    }
    matches!(ty, syn::Type::Never(_)) || has_impl(ty.to_token_stream())
}

/// Whether `tokens` mention `Self`, which a nested `fn` item cannot use.
fn mentions_self_type(tokens: TokenStream2) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Ident(ident) => ident == "Self",
        TokenTree::Group(group) => mentions_self_type(group.stream()),
        _ => false,
    })
}

/// The body as an `async move` block whose output is tied to the function's
/// declared return type (when that type can be named), so that `?` knows which
/// error type to convert into.
///
/// This is the fallback for functions whose body cannot move into a nested
/// `async fn` (generic functions, `Self` in associated functions, methods
/// and other functions with arguments, which the block captures by move, and
/// `unsafe fn`s, whose body is an unsafe context), and the form used in the
/// error fallback.
fn async_block_body(item: &ItemFn) -> TokenStream2 {
    let block = &item.block;
    match &item.sig.output {
        ReturnType::Type(_, ty) if unnameable(ty) => quote!(async move #block),
        output => {
            let (ty, span) = match output {
                ReturnType::Default => (quote!(()), item.sig.ident.span()),
                ReturnType::Type(_, ty) => (ty.to_token_stream(), ty.span()),
            };
            // Spanned at the return type: a body of the wrong type is
            // reported against it.
            quote_spanned! {span=>
                {
                    fn __heddle_output_is<O, F: ::core::future::Future<Output = O>>(f: F) -> F {
                        f
                    }
                    __heddle_output_is::<#ty, _>(async move #block)
                }
            }
        }
    }
}

/// The expression producing the body's future.
///
/// Preferably the body becomes a nested `async fn` with the function's own
/// return type: `return`, `?` and type errors then behave and are reported
/// exactly as in any `async fn` ("expected `u32` because of return type",
/// pointing at the offending expression). A nested item cannot see the outer
/// function's generic parameters or `Self`, so such functions get the
/// [`async_block_body`] form instead.
fn body_future(item: &ItemFn) -> TokenStream2 {
    let generic = !item.sig.generics.params.is_empty() || item.sig.generics.where_clause.is_some();
    let uses_self =
        mentions_self_type(item.sig.output.to_token_stream()) || mentions_self_type(item.block.to_token_stream());
    let captures = !item.sig.inputs.is_empty();
    if generic || uses_self || captures || item.sig.unsafety.is_some() {
        return async_block_body(item);
    }
    let output = &item.sig.output;
    let block = &item.block;
    // Spanned at the function's name, so notes about the nested signature
    // (e.g. "try adding a return type") point at the user's function.
    quote_spanned! {item.sig.ident.span()=>
        {
            // The user wrote `async`; a body without `.await` is not theirs
            // to "fix" (clippy's pedantic `unused_async` would say so).
            #[allow(clippy::unused_async)]
            async fn __heddle_body() #output #block
            __heddle_body()
        }
    }
}

/// Splits the function's attributes into outer ones (`#[..]`, kept on the
/// generated function) and inner ones (`#![..]` at the top of the body, which
/// syn also stores in `ItemFn::attrs`). Inner attributes go at the top of the
/// generated function's body, so lint levels still cover the user's code.
fn split_attrs(attrs: &[syn::Attribute]) -> (Vec<&syn::Attribute>, Vec<&syn::Attribute>) {
    attrs.iter().partition(|attr| matches!(attr.style, syn::AttrStyle::Outer))
}

/// The whole expansion of either attribute, errors included. Without a
/// `crate = "..."` argument, `default_crate` gives the path to heddle (the
/// attributes pass [`crate::crate_path::from_manifest`]).
pub(crate) fn expand(
    kind: Kind,
    args: TokenStream2,
    item: TokenStream2,
    default_crate: impl FnOnce() -> syn::Path,
) -> TokenStream2 {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => {
            let err = syn::Error::new(
                Span::call_site(),
                format!("{} can only be applied to an `async fn`", kind.attr_name()),
            )
            .to_compile_error();
            return quote!(#err #item);
        }
    };

    let mut errors = None;
    let config = match parse_args(args).and_then(|args| parse_config(args, kind)) {
        Ok(config) => Some(config),
        Err(e) => {
            push_error(&mut errors, e);
            None
        }
    };
    if let Err(e) = check_fn(&func, kind) {
        push_error(&mut errors, e);
    }

    match (config, errors) {
        (Some(config), None) => {
            let krate = config.crate_path.clone().unwrap_or_else(default_crate);
            generate(kind, &config, &krate, func)
        }
        (_, Some(err)) => fallback(err, func),
        (None, None) => unreachable!("a failed config always records an error"),
    }
}

/// The successful expansion.
fn generate(kind: Kind, config: &Config, krate: &syn::Path, mut func: ItemFn) -> TokenStream2 {
    let body = body_future(&func);
    // Spans of generated code point at the attribute, so errors from the
    // runtime calls show up there (or at the argument that caused them).
    let span = Span::call_site();
    let builder = match config.flavor {
        Flavor::CurrentThread | Flavor::Local => quote_spanned!(span=> new_current_thread()),
        Flavor::MultiThread => quote_spanned!(span=> new_multi_thread()),
    };
    // `LocalOptions::default()` through `Default`, so the expansion needs
    // no path to the options type.
    let build = match config.flavor {
        Flavor::Local => quote_spanned!(span=> build_local(::core::default::Default::default())),
        Flavor::CurrentThread | Flavor::MultiThread => quote_spanned!(span=> build()),
    };
    let worker_threads = config.worker_threads.map(|n| {
        let n = syn::LitInt::new(&n.get().to_string(), span);
        quote_spanned!(span=> .worker_threads(#n))
    });

    let start_paused = config.start_paused.then(|| quote_spanned!(span=> .start_paused(true)));
    // With `crate = "..."`, the path is spanned at that argument, so one that
    // leads somewhere without a `runtime::Builder` is reported there.
    let krate_span = config.crate_path.as_ref().map_or(span, |_| krate.span());
    let builder_path = quote_spanned!(krate_span=> #krate::runtime::Builder);
    // Spanned at the argument: an error about the call points at `name = ..`.
    let name = config.name.as_ref().map(|name| quote_spanned!(name.span()=> .name(#name)));

    func.sig.asyncness = None;
    let (outer, inner) = split_attrs(&func.attrs);
    let vis = &func.vis;
    let sig = &func.sig;
    let test_attr = match kind {
        Kind::Test => Some(quote!(#[::core::prelude::v1::test])),
        Kind::Main => None,
    };

    // The runtime is a temporary of the `let`, so it is dropped (its tasks
    // cancelled, its threads joined) before the value is returned. The lints
    // allowed on the block are about this generated code only: a `-> !`
    // body makes the tail unreachable, and pedantic clippy lints would
    // otherwise flag the `expect` and the `let` followed by its use.
    quote_spanned! {span=>
        #test_attr
        #(#outer)*
        #vis #sig {
            #(#inner)*
            let __heddle_body = #body;
            #[allow(
                unreachable_code,
                clippy::expect_used,
                clippy::let_and_return,
                clippy::diverging_sub_expression,
                clippy::unwrap_in_result
            )]
            {
                let __heddle_output = #builder_path::#builder
                    #worker_threads
                    .enable_all()
                    #start_paused
                    #name
                    .#build
                    .expect("Failed building the heddle runtime")
                    .block_on(__heddle_body);
                __heddle_output
            }
        }
    }
}

/// Output on error: the errors, plus the function itself, so that the
/// compiler still checks its body (reporting the user's other mistakes) and
/// callers do not get "cannot find function" errors on top of ours.
///
/// An `async fn main` is emitted with `async` stripped and its body kept in an
/// unused `async` block, so rustc does not add "`main` function is not allowed
/// to be `async`". Anything else is emitted unchanged (with `dead_code`
/// allowed, since a test function is no longer a test).
fn fallback(err: syn::Error, mut func: ItemFn) -> TokenStream2 {
    let err = err.to_compile_error();
    if func.sig.asyncness.is_none() || func.sig.ident != "main" {
        return quote! {
            #err
            #[allow(dead_code)]
            #func
        };
    }
    let body = async_block_body(&func);
    func.sig.asyncness = None;
    let (outer, inner) = split_attrs(&func.attrs);
    let vis = &func.vis;
    let sig = &func.sig;
    quote! {
        #err
        #(#outer)*
        #vis #sig {
            #(#inner)*
            let _ = #body;
            ::core::unreachable!("heddle attribute macro failed to expand")
        }
    }
}
