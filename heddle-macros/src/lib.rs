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
//!     // Lints about this generated block only (`unreachable_code` for a
//!     // `-> !` body, and pedantic clippy ones).
//!     #[allow(unreachable_code, clippy::expect_used, /* .. */)]
//!     {
//!         // The runtime is a temporary of this `let`: it is shut down
//!         // before the value is returned.
//!         let __heddle_output = ::heddle::runtime::Builder::new_multi_thread()
//!             .worker_threads(4)
//!             .enable_all()
//!             .build()
//!             .expect("Failed building the heddle runtime")
//!             .block_on(__heddle_body);
//!         __heddle_output
//!     }
//! }
//! ```
//!
//! The body moves into a nested `async fn` carrying the declared return type,
//! so `return`, `?` (which needs to know the error type to convert into) and
//! type errors work and are reported exactly as in any `async fn`: a wrong
//! tail expression gets "expected `u32` because of return type", pointing at
//! the user's code rather than at the attribute.
//!
//! A nested item cannot see the outer function's generic parameters, `Self`
//! or arguments, so for a generic function, one mentioning `Self` (an
//! associated function in an `impl` block), one taking arguments (a method
//! with a `self` receiver, say) or an `unsafe fn`, the body becomes an
//! `async move` block, which captures the arguments, with its output pinned
//! to the return type:
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
//! written as a generic argument and the output is left to inference.) One
//! case the nested `async fn` cannot tell: a non-generic associated function
//! of a generic `impl<T>` block whose body or return type names `T` without
//! `Self`; write `Self`-relative paths there, or make the function generic.
//!
//! With `flavor = "current_thread"` the builder line is
//! `::heddle::runtime::Builder::new_current_thread()` and there is no
//! `.worker_threads(..)` call; `flavor = "local"` is the same but ends in
//! `.build_local(Default::default())`, making a `LocalRuntime` on which
//! `heddle::task::spawn_local` works without a `LocalSet`; without `worker_threads` under the
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
//! | `flavor` | `"current_thread"`, `"multi_thread"` or `"local"` | `"multi_thread"` for `main`, `"current_thread"` for `test` |
//! | `worker_threads` | an integer literal `>= 1`; only with the `multi_thread` flavor | unset: the runtime reads `HEDDLE_WORKER_THREADS`, else uses the CPU count |
//! | `start_paused` | `true` or `false`; `true` only with the `current_thread` or `local` flavor | `false` |
//! | `name` | a string literal: the runtime's name, set with `Builder::name` | unset |
//! | `crate` | a string literal holding a path to the heddle crate | heddle's name in the calling crate's `Cargo.toml`, else `::heddle` |
//!
//! These are the arguments of tokio's `#[tokio::main]` and `#[tokio::test]`,
//! with the same meaning; like tokio, argument names ignore case. tokio's
//! unstable `unhandled_panic` is rejected with a note on what to use
//! instead, as are its old spellings (`core_threads`, `basic_scheduler`,
//! ..), each with the current one.
//!
//! # Reaching heddle
//!
//! Without `crate = "..."`, the expansion names heddle the way the calling
//! crate's `Cargo.toml` does, so a program ported from tokio by renaming the
//! dependency (`tokio = { package = "heddle", .. }`) keeps its
//! `#[tokio::main]`, which then expands to `::tokio::runtime::Builder::..`.
//! When the manifest does not say (heddle reached only through another
//! crate's re-export), the path is `::heddle`; `crate = "path"` names it
//! explicitly and always wins.
//!
//! # Errors
//!
//! Unknown or duplicated arguments, bad values, `worker_threads` with the
//! `current_thread` flavor, a function that is not `async`, arguments on a
//! test or on a function named `main`, and a second `#[test]` are all
//! reported as `compile_error!`s pointing at the offending tokens. Other
//! functions may take arguments, a `self` receiver included, so the
//! attribute works on methods too.
//!
//! `start_paused = true` (current-thread flavor only, as in tokio) adds
//! `.start_paused(true)` after `.enable_all()`: the runtime's clock starts
//! paused and auto-advances to the next timer when the runtime is idle.
//! `name = "..."` adds `.name("...")` the same way.

mod config;
mod crate_path;
mod expand;
#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

use crate::config::Kind;
use crate::expand::expand;

/// Marks an `async fn` as the program's entry point, run on a heddle runtime.
///
/// The function body runs inside `block_on` on a freshly built runtime; the
/// function's signature (visibility, attributes, doc comments, return type)
/// is kept, minus `async`. It may return anything, including a `Result`, and
/// `?` and `return` work inside it. The attribute may also be put on functions
/// not named `main`, which then become blocking functions returning the
/// body's value; those may take arguments, and methods may take `self`,
/// `&self` or `&mut self` (the body captures them). `main` itself must not
/// take arguments.
///
/// # Arguments
///
/// * `flavor = "multi_thread"` (the default) or `flavor = "current_thread"`.
/// * `worker_threads = N` (`N >= 1`, `multi_thread` only). Without it the
///   runtime uses `HEDDLE_WORKER_THREADS` if set, else the number of CPUs.
/// * `start_paused = true` starts the runtime's clock paused (see
///   `heddle::time::pause`); requires `flavor = "current_thread"`.
/// * `name = "..."` names the runtime (`Builder::name`).
/// * `crate = "path::to::heddle"` when heddle is reached through another
///   path (a re-export from another crate, a `use heddle as other;`). A
///   dependency renamed in `Cargo.toml` (`tokio = { package = "heddle" }`)
///   needs nothing: its name is read from the manifest.
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
/// (`::heddle` being heddle's name in the calling crate; generic functions,
/// functions using `Self` and functions with arguments get a typed
/// `async move` block instead of the nested `async fn`; see the crate
/// documentation for the exact code).
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Main, args.into(), item.into(), crate_path::from_manifest).into()
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
/// * `start_paused = true` starts the runtime's clock paused (see
///   `heddle::time::pause`); requires `flavor = "current_thread"`.
/// * `name = "..."` names the runtime (`Builder::name`).
/// * `crate = "path::to::heddle"` as for [`macro@main`]; a dependency
///   renamed in `Cargo.toml` is found without it.
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
    expand(Kind::Test, args.into(), item.into(), crate_path::from_manifest).into()
}
