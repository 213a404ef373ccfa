//! The attribute's arguments: what `flavor`, `worker_threads`,
//! `start_paused`, `name` and `crate` may say, parsed into a [`Config`], with
//! every mistake reported at once as a `compile_error!`.
//!
//! The accepted arguments are those of tokio's `#[tokio::main]` and
//! `#[tokio::test]`, with the same meaning, so a tokio program ports by
//! renaming the crate. tokio's unstable `unhandled_panic` and its
//! long-renamed spellings get an error saying what to write instead.

use std::fmt;
use std::num::NonZeroUsize;

use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::ToTokens;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, Meta, Token};

/// Which attribute is being expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    pub(crate) fn attr_name(self) -> &'static str {
        match self {
            Kind::Main => "#[heddle::main]",
            Kind::Test => "#[heddle::test]",
        }
    }

    pub(crate) fn default_flavor(self) -> Flavor {
        match self {
            Kind::Main => Flavor::MultiThread,
            Kind::Test => Flavor::CurrentThread,
        }
    }
}

/// The runtime scheduler to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    CurrentThread,
    MultiThread,
    /// A `LocalRuntime`: current-thread, with `spawn_local` available.
    Local,
}

impl Flavor {
    pub(crate) fn from_str(s: &str) -> Option<Flavor> {
        match s {
            "current_thread" => Some(Flavor::CurrentThread),
            "multi_thread" => Some(Flavor::MultiThread),
            "local" => Some(Flavor::Local),
            _ => None,
        }
    }

    /// Why `s` is not a flavor: a hint for old tokio spellings, a list of
    /// the flavors otherwise.
    fn unknown(s: &str) -> String {
        match s {
            "single_thread" | "single_threaded" | "basic_scheduler" => {
                format!("unknown runtime flavor `{s}`; the single-threaded flavor is called \"current_thread\"")
            }
            "threaded_scheduler" | "multi-thread" | "multi_threaded" => {
                format!("unknown runtime flavor `{s}`; the work-stealing flavor is called \"multi_thread\"")
            }
            _ => format!("unknown runtime flavor `{s}`; expected \"current_thread\", \"local\" or \"multi_thread\""),
        }
    }
}

/// The parsed attribute arguments.
pub(crate) struct Config {
    pub(crate) flavor: Flavor,
    /// `None`: let the runtime decide (`HEDDLE_WORKER_THREADS` or CPU count).
    pub(crate) worker_threads: Option<NonZeroUsize>,
    /// `crate = "..."`: the path to the heddle crate. `None`: look up the
    /// name heddle has in the calling crate's `Cargo.toml`.
    pub(crate) crate_path: Option<syn::Path>,
    /// `start_paused = true`: the runtime's clock starts paused.
    pub(crate) start_paused: bool,
    /// `name = "..."`: the runtime's name (`Builder::name`).
    pub(crate) name: Option<syn::LitStr>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("flavor", &self.flavor)
            .field("worker_threads", &self.worker_threads)
            .field("crate_path", &self.crate_path.as_ref().map(|p| p.to_token_stream().to_string()))
            .field("start_paused", &self.start_paused)
            .field("name", &self.name.as_ref().map(syn::LitStr::value))
            .finish()
    }
}

const KNOWN_ARGS: &str = "`flavor`, `worker_threads`, `start_paused`, `name` or `crate`";

/// Every argument name, for "needs a value" errors.
const KEYS: [&str; 5] = ["flavor", "worker_threads", "start_paused", "name", "crate"];

/// Adds `err` to the accumulated error, so that every problem in the
/// arguments is reported at once.
pub(crate) fn push_error(errors: &mut Option<syn::Error>, err: syn::Error) {
    match errors {
        Some(existing) => existing.combine(err),
        None => *errors = Some(err),
    }
}

/// Parses the raw tokens between the attribute's parentheses.
pub(crate) fn parse_args(args: TokenStream2) -> syn::Result<Punctuated<Meta, Token![,]>> {
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
pub(crate) fn parse_config(args: Punctuated<Meta, Token![,]>, kind: Kind) -> syn::Result<Config> {
    let mut errors: Option<syn::Error> = None;
    let mut flavor: Option<Flavor> = None;
    let mut worker_threads: Option<(NonZeroUsize, Span)> = None;
    let mut crate_path: Option<syn::Path> = None;
    let mut start_paused: Option<(bool, Span)> = None;
    let mut name: Option<syn::LitStr> = None;
    // Keys already seen, for duplicate detection (including keys whose value
    // was rejected, so a bad value is not followed by a "duplicate" error).
    let mut seen: Vec<String> = Vec::new();

    for meta in args {
        let nv = match meta {
            Meta::NameValue(nv) => nv,
            Meta::Path(path) => {
                let word = path.to_token_stream().to_string().to_lowercase();
                let msg = match word.as_str() {
                    "current_thread" | "multi_thread" => {
                        format!("unknown argument `{word}`; write `flavor = \"{word}\"`")
                    }
                    "basic_scheduler" | "single_thread" | "single_threaded" => {
                        format!("unknown argument `{word}`; write `flavor = \"current_thread\"`")
                    }
                    "threaded_scheduler" => format!("unknown argument `{word}`; write `flavor = \"multi_thread\"`"),
                    key if KEYS.contains(&key) => format!("the `{key}` argument needs a value: `{key} = ...`"),
                    _ => format!("expected `key = value`, found `{word}`; known arguments are {KNOWN_ARGS}"),
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

        // Keys are matched without regard to case, as tokio does.
        let key = match nv.path.get_ident() {
            Some(ident) => ident.to_string().to_lowercase(),
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
                    None => Err(syn::Error::new_spanned(&s, Flavor::unknown(&s.value()))),
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
                    // `LitStr::parse` gives the path the literal's span, so a
                    // path that does not resolve is reported at the argument.
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
            "name" => lit_str(&nv.value, "name", "\"my-runtime\"").map(|s| name = Some(s)),
            "core_threads" => Err(syn::Error::new(key_span, "`core_threads` was renamed to `worker_threads`")),
            "unhandled_panic" => Err(syn::Error::new(
                key_span,
                "`unhandled_panic` is not supported: it is an unstable tokio option (`--cfg tokio_unstable`); \
                 a panicking task's `JoinHandle` returns the panic as a `JoinError`",
            )),
            _ => Err(syn::Error::new(key_span, format!("unknown argument `{key}`; known arguments are {KNOWN_ARGS}"))),
        };
        if let Err(e) = result {
            push_error(&mut errors, e);
        }
    }

    let flavor_value = flavor.unwrap_or(kind.default_flavor());
    if let (Some((_, span)), Flavor::Local) = (worker_threads, flavor_value) {
        let msg = "`worker_threads` cannot be used with `flavor = \"local\"`, \
                   which runs everything on the calling thread; use `flavor = \"multi_thread\"`";
        push_error(&mut errors, syn::Error::new(span, msg));
    }
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
        crate_path,
        start_paused: start_paused.is_some_and(|(b, _)| b),
        name,
    })
}
