//! The `#[heddle::main]` and `#[heddle::test]` attributes.
//!
//! These macros are re-exported by the `heddle` crate as `heddle::main` and
//! `heddle::test` (behind its default `macros` feature); depend on `heddle`,
//! not on this crate.
//!
//! Both attributes turn an `async fn` into an ordinary blocking `fn` that
//! builds a heddle runtime and drives the original body to completion on it.
//!
//! # Expansion
//!
//! ```ignore
//! /// Docs, attributes and visibility are kept.
//! #[heddle::main(flavor = "multi_thread", worker_threads = 4)]
//! pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let n = read_config().await?;
//!     println!("{n}");
//!     Ok(())
//! }
//! ```
//!
//! becomes
//!
//! ```ignore
//! /// Docs, attributes and visibility are kept.
//! pub fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let __heddle_body = {
//!         // The body, unchanged, with the function's own return type.
//!         #[allow(clippy::unused_async)]
//!         async fn __heddle_body() -> Result<(), Box<dyn std::error::Error>> {
//!             let n = read_config().await?;
//!             println!("{n}");
//!             Ok(())
//!         }
//!         __heddle_body()
//!     };
//!     #[allow(clippy::expect_used)]
//!     let __heddle_output = ::heddle::runtime::Builder::new_multi_thread()
//!         .worker_threads(4)
//!         .enable_all()
//!         .build()
//!         .expect("Failed building the heddle runtime")
//!         .block_on(__heddle_body);
//!     __heddle_output
//! }
//! ```
//!
//! The body moves into a nested `async fn` carrying the declared return type,
//! so `return`, `?` (which needs to know the error type to convert into) and
//! type errors work and are reported exactly as in any `async fn`: a wrong
//! tail expression gets "expected `u32` because of return type", pointing at
//! the user's code rather than at the attribute.
//!
//! A nested item cannot see the outer function's generic parameters or
//! `Self`, so for a generic function, or one mentioning `Self` (an associated
//! function in an `impl` block), the body becomes an `async move` block whose
//! output is pinned to the return type instead:
//!
//! ```ignore
//! let __heddle_body = {
//!     fn __heddle_output_is<O, F: ::core::future::Future<Output = O>>(f: F) -> F {
//!         f
//!     }
//!     __heddle_output_is::<RETURN_TYPE, _>(async move { /* body */ })
//! };
//! ```
//!
//! (When that return type contains `impl Trait` or is `!`, it cannot be
//! written as a generic argument and the output is left to inference.)
//!
//! With `flavor = "current_thread"` the builder line is
//! `::heddle::runtime::Builder::new_current_thread()` and there is no
//! `.worker_threads(..)` call; without `worker_threads` under the
//! `multi_thread` flavor, the runtime picks the count (`HEDDLE_WORKER_THREADS`,
//! else the number of CPUs). `#[heddle::test]` expands the same way and
//! additionally puts `#[::core::prelude::v1::test]` in front of the function's
//! own attributes, so `#[should_panic]`, `#[ignore]` and friends keep working.
//! The runtime is built on each call and dropped before the function returns.
//!
//! # Arguments
//!
//! | argument | values | default |
//! | --- | --- | --- |
//! | `flavor` | `"current_thread"` or `"multi_thread"` | `"multi_thread"` for `main`, `"current_thread"` for `test` |
//! | `worker_threads` | an integer literal `>= 1`; only with the `multi_thread` flavor | unset: the runtime reads `HEDDLE_WORKER_THREADS`, else uses the CPU count |
//! | `crate` | a string literal holding a path to the heddle crate | `"::heddle"` |
//!
//! Unknown or duplicated arguments, bad values, `worker_threads` with the
//! `current_thread` flavor, a function that is not `async`, and a function
//! that takes arguments are all reported as `compile_error!`s pointing at the
//! offending tokens.
//!
//! `start_paused = true` (current-thread flavor only, as in tokio) adds
//! `.start_paused(true)` after `.enable_all()`: the runtime's clock starts
//! paused and auto-advances to the next timer when the runtime is idle.

use std::fmt;
use std::num::NonZeroUsize;

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ItemFn, Lit, Meta, ReturnType, Token};

/// Marks an `async fn` as the program's entry point, run on a heddle runtime.
///
/// The function body runs inside `block_on` on a freshly built runtime; the
/// function's signature (visibility, attributes, doc comments, return type)
/// is kept, minus `async`. It may return anything, including a `Result`, and
/// `?` and `return` work inside it. The attribute may also be put on functions
/// not named `main`, which then become blocking functions returning the
/// body's value. The function must not take arguments.
///
/// # Arguments
///
/// * `flavor = "multi_thread"` (the default) or `flavor = "current_thread"`.
/// * `worker_threads = N` (`N >= 1`, `multi_thread` only). Without it the
///   runtime uses `HEDDLE_WORKER_THREADS` if set, else the number of CPUs.
/// * `crate = "path::to::heddle"` when heddle is not reachable as `::heddle`
///   (renamed dependency, re-export from another crate).
///
/// * `start_paused = true` starts the runtime's clock paused (see
///   `heddle::time::pause`); requires `flavor = "current_thread"`.
///
/// # Examples
///
/// ```ignore
/// #[heddle::main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let listener = heddle::net::TcpListener::bind("127.0.0.1:8080").await?;
///     // ...
///     Ok(())
/// }
/// ```
///
/// ```ignore
/// #[heddle::main(flavor = "current_thread")]
/// async fn main() {
///     println!("hello from a single-threaded runtime");
/// }
/// ```
///
/// ```ignore
/// #[heddle::main(flavor = "multi_thread", worker_threads = 4)]
/// async fn main() {}
/// ```
///
/// # Expansion
///
/// ```ignore
/// #[heddle::main(worker_threads = 2)]
/// async fn main() { body }
/// ```
///
/// expands to roughly
///
/// ```ignore
/// fn main() {
///     async fn body() { body }
///     ::heddle::runtime::Builder::new_multi_thread()
///         .worker_threads(2)
///         .enable_all()
///         .build()
///         .expect("Failed building the heddle runtime")
///         .block_on(body())
/// }
/// ```
///
/// (generic functions and functions using `Self` get a typed `async move`
/// block instead of the nested `async fn`; see the crate documentation for the
/// exact code).
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Main, args.into(), item.into()).into()
}

/// Marks an `async fn` as a test, run on a heddle runtime.
///
/// Like [`macro@main`], but the default flavor is `current_thread` (one
/// runtime per test, on the test's own thread) and the generated function gets
/// `#[::core::prelude::v1::test]`, so do not add `#[test]` yourself. Other
/// attributes such as `#[should_panic]` or `#[ignore]` are kept. The test may
/// return a `Result` and use `?`.
///
/// # Arguments
///
/// * `flavor = "current_thread"` (the default) or `flavor = "multi_thread"`.
/// * `worker_threads = N` (`N >= 1`); requires `flavor = "multi_thread"`.
/// * `crate = "path::to::heddle"` when heddle is not reachable as `::heddle`.
///
/// * `start_paused = true` starts the runtime's clock paused (see
///   `heddle::time::pause`); requires `flavor = "current_thread"`.
///
/// # Examples
///
/// ```ignore
/// #[heddle::test]
/// async fn adds() {
///     let h = heddle::spawn(async { 1 + 1 });
///     assert_eq!(h.await.unwrap(), 2);
/// }
///
/// #[heddle::test(flavor = "multi_thread", worker_threads = 2)]
/// async fn on_two_workers() -> Result<(), Box<dyn std::error::Error>> {
///     let v: u32 = "7".parse()?;
///     assert_eq!(v, 7);
///     Ok(())
/// }
/// ```
///
/// # Expansion
///
/// ```ignore
/// #[heddle::test]
/// async fn adds() { body }
/// ```
///
/// expands to roughly
///
/// ```ignore
/// #[::core::prelude::v1::test]
/// fn adds() {
///     async fn body() { body }
///     ::heddle::runtime::Builder::new_current_thread()
///         .enable_all()
///         .build()
///         .expect("Failed building the heddle runtime")
///         .block_on(body())
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Test, args.into(), item.into()).into()
}

/// Which attribute is being expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Main,
    Test,
}

impl Kind {
    fn attr_name(self) -> &'static str {
        match self {
            Kind::Main => "#[heddle::main]",
            Kind::Test => "#[heddle::test]",
        }
    }

    fn default_flavor(self) -> Flavor {
        match self {
            Kind::Main => Flavor::MultiThread,
            Kind::Test => Flavor::CurrentThread,
        }
    }
}

/// The runtime scheduler to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flavor {
    CurrentThread,
    MultiThread,
}

impl Flavor {
    fn from_str(s: &str) -> Option<Flavor> {
        match s {
            "current_thread" => Some(Flavor::CurrentThread),
            "multi_thread" => Some(Flavor::MultiThread),
            _ => None,
        }
    }
}

/// The parsed attribute arguments.
struct Config {
    flavor: Flavor,
    /// `None`: let the runtime decide (`HEDDLE_WORKER_THREADS` or CPU count).
    worker_threads: Option<NonZeroUsize>,
    /// Path to the heddle crate, `::heddle` unless `crate = "..."` is given.
    crate_path: syn::Path,
    /// `start_paused = true`: the runtime's clock starts paused.
    start_paused: bool,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("flavor", &self.flavor)
            .field("worker_threads", &self.worker_threads)
            .field("crate_path", &self.crate_path.to_token_stream().to_string())
            .field("start_paused", &self.start_paused)
            .finish()
    }
}

const KNOWN_ARGS: &str = "`flavor`, `worker_threads`, `start_paused` or `crate`";

/// Adds `err` to the accumulated error, so that every problem in the
/// arguments is reported at once.
fn push_error(errors: &mut Option<syn::Error>, err: syn::Error) {
    match errors {
        Some(existing) => existing.combine(err),
        None => *errors = Some(err),
    }
}

/// Parses the raw tokens between the attribute's parentheses.
fn parse_args(args: TokenStream2) -> syn::Result<Punctuated<Meta, Token![,]>> {
    Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)
}

fn lit_str(value: &Expr, key: &str, hint: &str) -> syn::Result<syn::LitStr> {
    match value {
        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Ok(s.clone()),
        other => {
            Err(syn::Error::new_spanned(other, format!("`{key}` expects a string literal, e.g. `{key} = {hint}`")))
        }
    }
}

/// Turns the attribute's arguments into a [`Config`], reporting every
/// unknown, duplicated, malformed or conflicting argument.
fn parse_config(args: Punctuated<Meta, Token![,]>, kind: Kind) -> syn::Result<Config> {
    let mut errors: Option<syn::Error> = None;
    let mut flavor: Option<Flavor> = None;
    let mut worker_threads: Option<(NonZeroUsize, Span)> = None;
    let mut crate_path: Option<syn::Path> = None;
    let mut start_paused: Option<(bool, Span)> = None;
    // Keys already seen, for duplicate detection (including keys whose value
    // was rejected, so a bad value is not followed by a "duplicate" error).
    let mut seen: Vec<String> = Vec::new();

    for meta in args {
        let nv = match meta {
            Meta::NameValue(nv) => nv,
            Meta::Path(path) => {
                let name = path.to_token_stream().to_string();
                let msg = if Flavor::from_str(&name).is_some() {
                    format!("unknown argument `{name}`; write `flavor = \"{name}\"`")
                } else {
                    format!("expected `key = value`, found `{name}`; known arguments are {KNOWN_ARGS}")
                };
                push_error(&mut errors, syn::Error::new_spanned(path, msg));
                continue;
            }
            Meta::List(list) => {
                push_error(
                    &mut errors,
                    syn::Error::new_spanned(list, format!("expected `key = value`; known arguments are {KNOWN_ARGS}")),
                );
                continue;
            }
        };

        let key = match nv.path.get_ident() {
            Some(ident) => ident.to_string(),
            None => nv.path.to_token_stream().to_string(),
        };
        let key_span = nv.path.span();

        if seen.contains(&key) {
            push_error(&mut errors, syn::Error::new(key_span, format!("duplicate argument `{key}`")));
            continue;
        }
        seen.push(key.clone());

        let result: syn::Result<()> = match key.as_str() {
            "flavor" => {
                lit_str(&nv.value, "flavor", "\"multi_thread\"").and_then(|s| match Flavor::from_str(&s.value()) {
                    Some(f) => {
                        flavor = Some(f);
                        Ok(())
                    }
                    None => Err(syn::Error::new_spanned(
                        &s,
                        format!(
                            "unknown runtime flavor `{}`; expected \"current_thread\" or \"multi_thread\"",
                            s.value()
                        ),
                    )),
                })
            }
            "worker_threads" => match &nv.value {
                Expr::Lit(ExprLit { lit: Lit::Int(int), .. }) => match int.base10_parse::<usize>() {
                    // syn folds a leading `-` into the literal.
                    _ if int.base10_digits().starts_with('-') => {
                        Err(syn::Error::new_spanned(int, "`worker_threads` must be at least 1"))
                    }
                    Ok(0) => Err(syn::Error::new_spanned(int, "`worker_threads` must be at least 1")),
                    Ok(n) => {
                        // `n` is non-zero: the `Ok(0)` arm above took zero.
                        worker_threads = NonZeroUsize::new(n).map(|n| (n, nv.span()));
                        Ok(())
                    }
                    Err(e) => {
                        Err(syn::Error::new_spanned(int, format!("`worker_threads` must be a positive integer: {e}")))
                    }
                },
                other => Err(syn::Error::new_spanned(
                    other,
                    "`worker_threads` expects an integer literal, e.g. `worker_threads = 4`",
                )),
            },
            "crate" => lit_str(&nv.value, "crate", "\"::heddle\"").and_then(|s| match s.parse::<syn::Path>() {
                Ok(path) => {
                    crate_path = Some(path);
                    Ok(())
                }
                Err(_) => Err(syn::Error::new_spanned(
                    &s,
                    format!(
                        "`crate` must be a path to the heddle crate, e.g. `crate = \"::heddle\"`; `{}` is not a path",
                        s.value()
                    ),
                )),
            }),
            "start_paused" => match &nv.value {
                Expr::Lit(ExprLit { lit: Lit::Bool(b), .. }) => {
                    start_paused = Some((b.value, nv.span()));
                    Ok(())
                }
                other => Err(syn::Error::new_spanned(
                    other,
                    "`start_paused` expects a boolean literal, e.g. `start_paused = true`",
                )),
            },
            _ => Err(syn::Error::new(key_span, format!("unknown argument `{key}`; known arguments are {KNOWN_ARGS}"))),
        };
        if let Err(e) = result {
            push_error(&mut errors, e);
        }
    }

    let flavor_value = flavor.unwrap_or(kind.default_flavor());
    if let (Some((_, span)), Flavor::CurrentThread) = (worker_threads, flavor_value) {
        let msg = if flavor.is_some() {
            "`worker_threads` cannot be used with `flavor = \"current_thread\"`, \
             which runs everything on the calling thread; use `flavor = \"multi_thread\"`"
                .to_string()
        } else {
            format!(
                "`worker_threads` requires `flavor = \"multi_thread\"`; {} defaults to \
                 the `current_thread` flavor",
                kind.attr_name()
            )
        };
        push_error(&mut errors, syn::Error::new(span, msg));
    }

    if let (Some((true, span)), Flavor::MultiThread) = (start_paused, flavor_value) {
        push_error(
            &mut errors,
            syn::Error::new(
                span,
                "the `start_paused` option requires the `current_thread` runtime flavor; \
                 use `flavor = \"current_thread\"`",
            ),
        );
    }

    if let Some(e) = errors {
        return Err(e);
    }
    Ok(Config {
        flavor: flavor_value,
        worker_threads: worker_threads.map(|(n, _)| n),
        crate_path: crate_path.unwrap_or_else(|| syn::parse_quote!(::heddle)),
        start_paused: start_paused.is_some_and(|(b, _)| b),
    })
}

/// Checks the annotated function itself: it must be `async`, take no
/// arguments, and (for tests) not carry a second test attribute.
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
    if !item.sig.inputs.is_empty() {
        let msg = match kind {
            Kind::Main => "the `#[heddle::main]` function cannot take arguments",
            Kind::Test => "`#[heddle::test]` functions cannot take arguments",
        };
        push_error(&mut errors, syn::Error::new_spanned(&item.sig.inputs, msg));
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
/// `async fn` (generic functions, `Self` in associated functions), and the
/// form used in the error fallback, where the body may refer to arguments.
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
    if generic || uses_self {
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

/// The whole expansion of either attribute, errors included.
fn expand(kind: Kind, args: TokenStream2, item: TokenStream2) -> TokenStream2 {
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
        (Some(config), None) => generate(kind, &config, func),
        (_, Some(err)) => fallback(err, func),
        (None, None) => unreachable!("a failed config always records an error"),
    }
}

/// The successful expansion.
fn generate(kind: Kind, config: &Config, mut func: ItemFn) -> TokenStream2 {
    let body = body_future(&func);
    let krate = &config.crate_path;
    // Spans of generated code point at the attribute, so errors from the
    // runtime calls (e.g. a wrong `crate = ...`) show up there.
    let span = Span::call_site();
    let builder = match config.flavor {
        Flavor::CurrentThread => quote_spanned!(span=> new_current_thread()),
        Flavor::MultiThread => quote_spanned!(span=> new_multi_thread()),
    };
    let worker_threads = config.worker_threads.map(|n| {
        let n = syn::LitInt::new(&n.get().to_string(), span);
        quote_spanned!(span=> .worker_threads(#n))
    });

    let start_paused = config.start_paused.then(|| quote_spanned!(span=> .start_paused(true)));

    func.sig.asyncness = None;
    let (outer, inner) = split_attrs(&func.attrs);
    let vis = &func.vis;
    let sig = &func.sig;
    let test_attr = match kind {
        Kind::Test => Some(quote!(#[::core::prelude::v1::test])),
        Kind::Main => None,
    };

    quote_spanned! {span=>
        #test_attr
        #(#outer)*
        #vis #sig {
            #(#inner)*
            let __heddle_body = #body;
            #[allow(clippy::expect_used)]
            let __heddle_output = #krate::runtime::Builder::#builder
                #worker_threads
                .enable_all()
                #start_paused
                .build()
                .expect("Failed building the heddle runtime")
                .block_on(__heddle_body);
            __heddle_output
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

#[cfg(test)]
mod tests {
    // Not a glob import: `super::test` (the attribute macro) would make
    // `#[test]` ambiguous.
    use super::{expand, parse_args, parse_config, Config, Flavor, Kind};
    use proc_macro2::TokenStream as TokenStream2;
    use quote::{quote, ToTokens};
    use std::num::NonZeroUsize;

    fn config(kind: Kind, args: TokenStream2) -> syn::Result<Config> {
        parse_args(args).and_then(|args| parse_config(args, kind))
    }

    fn err(kind: Kind, args: TokenStream2) -> String {
        let e = config(kind, args).expect_err("expected an error");
        e.into_iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")
    }

    fn path_str(p: &syn::Path) -> String {
        p.to_token_stream().to_string()
    }

    #[test]
    fn defaults() {
        let main = config(Kind::Main, quote!()).unwrap();
        assert_eq!(main.flavor, Flavor::MultiThread);
        assert_eq!(main.worker_threads, None);
        assert_eq!(path_str(&main.crate_path), ":: heddle");

        let test = config(Kind::Test, quote!()).unwrap();
        assert_eq!(test.flavor, Flavor::CurrentThread);
        assert_eq!(test.worker_threads, None);
        assert_eq!(path_str(&test.crate_path), ":: heddle");
    }

    #[test]
    fn flavors() {
        for kind in [Kind::Main, Kind::Test] {
            let c = config(kind, quote!(flavor = "current_thread")).unwrap();
            assert_eq!(c.flavor, Flavor::CurrentThread);
            let c = config(kind, quote!(flavor = "multi_thread")).unwrap();
            assert_eq!(c.flavor, Flavor::MultiThread);
        }
    }

    #[test]
    fn worker_threads() {
        let c = config(Kind::Test, quote!(flavor = "multi_thread", worker_threads = 2)).unwrap();
        assert_eq!(c.flavor, Flavor::MultiThread);
        assert_eq!(c.worker_threads, NonZeroUsize::new(2));

        // Order does not matter; a trailing comma is fine.
        let c = config(Kind::Test, quote!(worker_threads = 8usize, flavor = "multi_thread",)).unwrap();
        assert_eq!(c.worker_threads, NonZeroUsize::new(8));

        // `main` defaults to multi_thread, so no flavor is needed.
        let c = config(Kind::Main, quote!(worker_threads = 3)).unwrap();
        assert_eq!(c.flavor, Flavor::MultiThread);
        assert_eq!(c.worker_threads, NonZeroUsize::new(3));
    }

    #[test]
    fn crate_path() {
        let c = config(Kind::Main, quote!(crate = "my_rt::heddle")).unwrap();
        assert_eq!(path_str(&c.crate_path), "my_rt :: heddle");
        let c = config(Kind::Test, quote!(crate = "crate::rt")).unwrap();
        assert_eq!(path_str(&c.crate_path), "crate :: rt");
    }

    #[test]
    fn worker_threads_zero() {
        let e = err(Kind::Main, quote!(flavor = "multi_thread", worker_threads = 0));
        assert!(e.contains("`worker_threads` must be at least 1"), "{e}");
    }

    #[test]
    fn worker_threads_with_current_thread() {
        let e = err(Kind::Main, quote!(flavor = "current_thread", worker_threads = 2));
        assert!(e.contains("cannot be used with `flavor = \"current_thread\"`"), "{e}");
        // Test defaults to current_thread: the message says so.
        let e = err(Kind::Test, quote!(worker_threads = 2));
        assert!(e.contains("requires `flavor = \"multi_thread\"`"), "{e}");
        assert!(e.contains("#[heddle::test] defaults"), "{e}");
    }

    #[test]
    fn worker_threads_bad_values() {
        let e = err(Kind::Main, quote!(worker_threads = "4"));
        assert!(e.contains("expects an integer literal"), "{e}");
        let e = err(Kind::Main, quote!(worker_threads = -1));
        assert!(e.contains("must be at least 1"), "{e}");
        let e = err(Kind::Main, quote!(worker_threads = 1 + 1));
        assert!(e.contains("expects an integer literal"), "{e}");
        let e = err(Kind::Main, quote!(worker_threads = 2.0));
        assert!(e.contains("expects an integer literal"), "{e}");
        let e = err(Kind::Main, quote!(worker_threads = 99999999999999999999999));
        assert!(e.contains("must be a positive integer"), "{e}");
    }

    #[test]
    fn bad_flavor() {
        let e = err(Kind::Main, quote!(flavor = "multi-thread"));
        assert!(e.contains("unknown runtime flavor `multi-thread`"), "{e}");
        let e = err(Kind::Main, quote!(flavor = multi_thread));
        assert!(e.contains("`flavor` expects a string literal"), "{e}");
        let e = err(Kind::Main, quote!(flavor = 1));
        assert!(e.contains("`flavor` expects a string literal"), "{e}");
    }

    #[test]
    fn bad_crate() {
        let e = err(Kind::Main, quote!(crate = "not a path"));
        assert!(e.contains("`crate` must be a path"), "{e}");
        let e = err(Kind::Main, quote!(crate = heddle));
        assert!(e.contains("`crate` expects a string literal"), "{e}");
    }

    #[test]
    fn unknown_argument() {
        let e = err(Kind::Main, quote!(threads = 4));
        assert!(e.contains("unknown argument `threads`"), "{e}");
        assert!(e.contains("`flavor`, `worker_threads`, `start_paused` or `crate`"), "{e}");
        let e = err(Kind::Test, quote!(multi_thread));
        assert!(e.contains("write `flavor = \"multi_thread\"`"), "{e}");
        let e = err(Kind::Test, quote!(foo));
        assert!(e.contains("expected `key = value`, found `foo`"), "{e}");
        let e = err(Kind::Test, quote!(flavor("multi_thread")));
        assert!(e.contains("expected `key = value`"), "{e}");
    }

    #[test]
    fn duplicates() {
        let e = err(Kind::Main, quote!(flavor = "multi_thread", flavor = "current_thread"));
        assert!(e.contains("duplicate argument `flavor`"), "{e}");
        let e = err(Kind::Main, quote!(worker_threads = 1, worker_threads = 2));
        assert!(e.contains("duplicate argument `worker_threads`"), "{e}");
        let e = err(Kind::Main, quote!(crate = "a", crate = "b"));
        assert!(e.contains("duplicate argument `crate`"), "{e}");
    }

    #[test]
    fn start_paused() {
        assert!(config(Kind::Test, quote!(start_paused = true)).unwrap().start_paused);
        assert!(!config(Kind::Test, quote!(start_paused = false)).unwrap().start_paused);
        assert!(!config(Kind::Test, quote!()).unwrap().start_paused);
        let e = err(Kind::Test, quote!(flavor = "multi_thread", start_paused = true));
        assert!(e.contains("requires the `current_thread` runtime flavor"), "{e}");
        let e = err(Kind::Main, quote!(start_paused = true));
        assert!(e.contains("requires the `current_thread` runtime flavor"), "{e}");
        let e = err(Kind::Test, quote!(start_paused = "yes"));
        assert!(e.contains("expects a boolean literal"), "{e}");
        let e = err(Kind::Test, quote!(start_paused = true, start_paused = true));
        assert!(e.contains("duplicate argument `start_paused`"), "{e}");
        let item = quote! { async fn t() {} };
        let out = expanded(Kind::Test, quote!(start_paused = true), item.clone());
        assert!(out.contains(". enable_all () . start_paused (true) . build ()"), "{out}");
        let out = expanded(Kind::Test, quote!(), item);
        assert!(!out.contains("start_paused"), "{out}");
    }

    #[test]
    fn all_errors_reported() {
        let e = err(Kind::Main, quote!(foo = 1, flavor = "x", worker_threads = 0));
        assert!(e.contains("unknown argument `foo`"), "{e}");
        assert!(e.contains("unknown runtime flavor `x`"), "{e}");
        assert!(e.contains("must be at least 1"), "{e}");
    }

    #[test]
    fn syntax_error_in_args() {
        assert!(config(Kind::Main, quote!(flavor = )).is_err());
        assert!(config(Kind::Main, quote!(, ,)).is_err());
    }

    fn expanded(kind: Kind, args: TokenStream2, item: TokenStream2) -> String {
        expand(kind, args, item).to_string()
    }

    #[test]
    fn expands_main_multi_thread() {
        let out = expanded(
            Kind::Main,
            quote!(worker_threads = 4),
            quote! {
                /// Docs.
                pub async fn main() -> Result<(), Box<dyn std::error::Error>> { Ok(()) }
            },
        );
        assert!(!out.contains("compile_error"), "{out}");
        assert!(!out.contains("async fn main"), "{out}");
        assert!(out.contains("pub fn main"), "{out}");
        assert!(out.contains("doc = r\" Docs.\""), "{out}");
        assert!(out.contains(":: heddle :: runtime :: Builder :: new_multi_thread ()"), "{out}");
        assert!(out.contains(". worker_threads (4)"), "{out}");
        assert!(out.contains(". enable_all () . build () . expect (\"Failed building the heddle runtime\") . block_on (__heddle_body)"), "{out}");
        assert!(
            out.contains("async fn __heddle_body () -> Result < () , Box < dyn std :: error :: Error > > { Ok (()) } __heddle_body ()"),
            "{out}"
        );
        assert!(!out.contains("prelude :: v1 :: test"), "{out}");
    }

    #[test]
    fn expands_test_current_thread() {
        let out = expanded(
            Kind::Test,
            quote!(crate = "my::rt"),
            quote! {
                #[should_panic]
                async fn t() { panic!() }
            },
        );
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.starts_with("# [:: core :: prelude :: v1 :: test] # [should_panic] fn t ()"), "{out}");
        assert!(out.contains("my :: rt :: runtime :: Builder :: new_current_thread () . enable_all ()"), "{out}");
        assert!(!out.contains("worker_threads"), "{out}");
        assert!(out.contains("async fn __heddle_body () { panic ! () }"), "{out}");
    }

    #[test]
    fn impl_trait_return_uses_inner_async_fn() {
        let out = expanded(
            Kind::Main,
            quote!(),
            quote!(
                async fn run() -> impl std::fmt::Display {
                    1
                }
            ),
        );
        assert!(out.contains("async fn __heddle_body () -> impl std :: fmt :: Display { 1 }"), "{out}");
    }

    #[test]
    fn generic_fn_uses_typed_async_block() {
        let out = expanded(
            Kind::Main,
            quote!(),
            quote!(
                async fn run<T: Default>() -> T {
                    T::default()
                }
            ),
        );
        assert!(!out.contains("async fn __heddle_body"), "{out}");
        assert!(out.contains("__heddle_output_is :: < T , _ > (async move { T :: default () })"), "{out}");
    }

    #[test]
    fn self_uses_typed_async_block() {
        let out = expanded(
            Kind::Main,
            quote!(),
            quote!(
                async fn make() -> Self {
                    Self
                }
            ),
        );
        assert!(!out.contains("async fn __heddle_body"), "{out}");
        assert!(out.contains("__heddle_output_is :: < Self , _ > (async move { Self })"), "{out}");
        // `Self` in the body only, with no return type.
        let out = expanded(
            Kind::Main,
            quote!(),
            quote!(
                async fn make() {
                    Self::go().await
                }
            ),
        );
        assert!(out.contains("__heddle_output_is :: < () , _ > (async move"), "{out}");
    }

    #[test]
    fn generic_impl_trait_is_not_annotated() {
        let out = expanded(
            Kind::Main,
            quote!(),
            quote!(
                async fn run<T: std::fmt::Display>() -> impl std::fmt::Display {
                    1
                }
            ),
        );
        assert!(!out.contains("__heddle_output_is"), "{out}");
        assert!(out.contains("let __heddle_body = async move { 1 }"), "{out}");
    }

    #[test]
    fn inner_attributes_move_into_the_body() {
        let out = expanded(
            Kind::Test,
            quote!(),
            quote! {
                #[ignore]
                async fn t() {
                    #![allow(unused_variables)]
                    let x = 1;
                }
            },
        );
        assert!(
            out.starts_with("# [:: core :: prelude :: v1 :: test] # [ignore] fn t () { # ! [allow (unused_variables)] let __heddle_body"),
            "{out}"
        );
    }

    #[test]
    fn rejects_non_async() {
        let out = expanded(
            Kind::Main,
            quote!(),
            quote!(
                fn main() {}
            ),
        );
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("the `async` keyword is missing"), "{out}");
        // The function is still emitted, so no "main not found" error follows.
        assert!(out.contains("fn main ()"), "{out}");
    }

    #[test]
    fn rejects_arguments() {
        let out = expanded(
            Kind::Main,
            quote!(),
            quote!(
                async fn main(x: u32) {}
            ),
        );
        assert!(out.contains("cannot take arguments"), "{out}");
        assert!(!out.contains("async fn"), "{out}");
        let out = expanded(
            Kind::Test,
            quote!(),
            quote!(
                async fn t(x: u32) {}
            ),
        );
        assert!(out.contains("cannot take arguments"), "{out}");
        // Not `main`: emitted unchanged, so its body is still type-checked.
        assert!(out.contains("# [allow (dead_code)] async fn t (x : u32) { }"), "{out}");
        assert!(!out.contains("prelude :: v1 :: test"), "{out}");
    }

    #[test]
    fn rejects_second_test_attribute() {
        let out = expanded(
            Kind::Test,
            quote!(),
            quote!(
                #[test]
                async fn t() {}
            ),
        );
        assert!(out.contains("second test attribute"), "{out}");
        let out = expanded(
            Kind::Test,
            quote!(),
            quote!(
                #[::core::prelude::v1::test]
                async fn t() {}
            ),
        );
        assert!(out.contains("second test attribute"), "{out}");
    }

    #[test]
    fn rejects_non_fn() {
        let out = expanded(
            Kind::Main,
            quote!(),
            quote!(
                struct S;
            ),
        );
        assert!(out.contains("can only be applied to an `async fn`"), "{out}");
        assert!(out.contains("struct S"), "{out}");
    }

    #[test]
    fn args_and_fn_errors_combined() {
        let out = expanded(
            Kind::Test,
            quote!(bogus = 1),
            quote!(
                fn t() {}
            ),
        );
        assert!(out.contains("unknown argument `bogus`"), "{out}");
        assert!(out.contains("the `async` keyword is missing"), "{out}");
    }
}
