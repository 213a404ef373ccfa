//! Unit tests of the argument parsing and the expansion (compile-fail
//! behaviour is checked through the generated tokens).

// Not a glob import: `crate::test` (the attribute macro) would make
// `#[test]` ambiguous.
use crate::config::{parse_args, parse_config, Config, Flavor, Kind};
use crate::expand::expand;
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

fn path_str(p: &Option<syn::Path>) -> String {
    p.as_ref().expect("no crate path").to_token_stream().to_string()
}

#[test]
fn defaults() {
    let main = config(Kind::Main, quote!()).unwrap();
    assert_eq!(main.flavor, Flavor::MultiThread);
    assert_eq!(main.worker_threads, None);
    assert!(main.crate_path.is_none());
    assert!(main.name.is_none());

    let test = config(Kind::Test, quote!()).unwrap();
    assert_eq!(test.flavor, Flavor::CurrentThread);
    assert_eq!(test.worker_threads, None);
    assert!(test.crate_path.is_none());
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
    assert!(e.contains("`flavor`, `worker_threads`, `start_paused`, `name` or `crate`"), "{e}");
    let e = err(Kind::Test, quote!(multi_thread));
    assert!(e.contains("write `flavor = \"multi_thread\"`"), "{e}");
    let e = err(Kind::Test, quote!(foo));
    assert!(e.contains("expected `key = value`, found `foo`"), "{e}");
    let e = err(Kind::Test, quote!(flavor("multi_thread")));
    assert!(e.contains("expected `key = value`"), "{e}");
}

#[test]
fn keys_ignore_case() {
    // tokio lower-cases the argument names; so does heddle.
    let c = config(Kind::Main, quote!(Flavor = "current_thread")).unwrap();
    assert_eq!(c.flavor, Flavor::CurrentThread);
    let c = config(Kind::Main, quote!(WORKER_THREADS = 2)).unwrap();
    assert_eq!(c.worker_threads, NonZeroUsize::new(2));
}

#[test]
fn runtime_name() {
    let c = config(Kind::Test, quote!(name = "a valid runtime name")).unwrap();
    assert_eq!(c.name.map(|n| n.value()).as_deref(), Some("a valid runtime name"));
    let e = err(Kind::Test, quote!(name = 3));
    assert!(e.contains("`name` expects a string literal"), "{e}");
    let e = err(Kind::Test, quote!(name = "a", name = "b"));
    assert!(e.contains("duplicate argument `name`"), "{e}");
    let item = quote! { async fn t() {} };
    let out = expanded(Kind::Test, quote!(name = "rt"), item.clone());
    assert!(out.contains(". enable_all () . name (\"rt\") . build ()"), "{out}");
    let out = expanded(Kind::Test, quote!(), item);
    assert!(!out.contains(". name ("), "{out}");
}

#[test]
fn value_missing() {
    for key in ["flavor", "worker_threads", "start_paused", "name", "crate"] {
        let e = err(Kind::Main, key.parse().unwrap());
        assert!(e.contains(&format!("the `{key}` argument needs a value")), "{e}");
    }
}

#[test]
fn old_and_unstable_tokio_spellings() {
    let e = err(Kind::Main, quote!(basic_scheduler));
    assert!(e.contains("write `flavor = \"current_thread\"`"), "{e}");
    let e = err(Kind::Main, quote!(threaded_scheduler));
    assert!(e.contains("write `flavor = \"multi_thread\"`"), "{e}");
    let e = err(Kind::Main, quote!(flavor = "single_thread"));
    assert!(e.contains("is called \"current_thread\""), "{e}");
    let e = err(Kind::Main, quote!(flavor = "threaded_scheduler"));
    assert!(e.contains("is called \"multi_thread\""), "{e}");
    let e = err(Kind::Main, quote!(core_threads = 2));
    assert!(e.contains("renamed to `worker_threads`"), "{e}");
    let e = err(Kind::Test, quote!(flavor = "current_thread", unhandled_panic = "shutdown_runtime"));
    assert!(e.contains("`unhandled_panic` is not supported"), "{e}");
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
    expand(kind, args, item, || syn::parse_quote!(::heddle)).to_string()
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
    assert!(
        out.contains(
            ". enable_all () . build () . expect (\"Failed building the heddle runtime\") . block_on (__heddle_body)"
        ),
        "{out}"
    );
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
fn expands_local_flavor() {
    let out = expanded(
        Kind::Test,
        quote!(flavor = "local", start_paused = true),
        quote!(
            async fn t() {}
        ),
    );
    assert!(!out.contains("compile_error"), "{out}");
    assert!(
        out.contains(
            ":: heddle :: runtime :: Builder :: new_current_thread () . enable_all () . start_paused (true) \
             . build_local (:: core :: default :: Default :: default ()) . expect"
        ),
        "{out}"
    );
    let c = config(Kind::Main, quote!(flavor = "local")).unwrap();
    assert_eq!(c.flavor, Flavor::Local);
    let e = err(Kind::Main, quote!(flavor = "local", worker_threads = 2));
    assert!(e.contains("cannot be used with `flavor = \"local\"`"), "{e}");
    let e = err(Kind::Main, quote!(flavor = "locale"));
    assert!(e.contains("expected \"current_thread\", \"local\" or \"multi_thread\""), "{e}");
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

#[test]
fn crate_path_from_lookup() {
    use crate::crate_path::path_for;
    use proc_macro_crate::FoundCrate;
    let s = |p: syn::Path| p.to_token_stream().to_string();
    assert_eq!(s(path_for(Some(FoundCrate::Name("tokio".into())))), ":: tokio");
    assert_eq!(s(path_for(Some(FoundCrate::Name("my_heddle".into())))), ":: my_heddle");
    assert_eq!(s(path_for(Some(FoundCrate::Itself))), ":: heddle");
    assert_eq!(s(path_for(None)), ":: heddle");
    // Not an identifier: the default.
    assert_eq!(s(path_for(Some(FoundCrate::Name("a-b".into())))), ":: heddle");
}

#[test]
fn explicit_crate_skips_the_lookup() {
    let item = quote! { async fn t() {} };
    let out = expand(Kind::Test, quote!(crate = "renamed"), item.clone(), || panic!("looked up")).to_string();
    assert!(out.contains("renamed :: runtime :: Builder"), "{out}");
    let out = expand(Kind::Test, quote!(), item, || syn::parse_quote!(::tokio)).to_string();
    assert!(out.contains(":: tokio :: runtime :: Builder"), "{out}");
}

#[test]
fn method_with_receiver() {
    let out = expanded(
        Kind::Main,
        quote!(),
        quote!(
            async fn f(self) {
                self.g()
            }
        ),
    );
    assert!(!out.contains("compile_error"), "{out}");
    assert!(out.starts_with("fn f (self) {"), "{out}");
    assert!(out.contains("__heddle_output_is :: < () , _ > (async move { self . g () })"), "{out}");
    let out = expanded(
        Kind::Main,
        quote!(),
        quote!(
            async fn add(&mut self, n: u32) -> u32 {
                self.total += n;
                self.total
            }
        ),
    );
    assert!(!out.contains("compile_error"), "{out}");
    assert!(out.starts_with("fn add (& mut self , n : u32) -> u32 {"), "{out}");
    assert!(out.contains("__heddle_output_is :: < u32 , _ > (async move"), "{out}");
}

#[test]
fn only_main_named_main_rejects_arguments() {
    let out = expanded(
        Kind::Main,
        quote!(),
        quote!(
            async fn run(x: u32) -> u32 {
                x
            }
        ),
    );
    assert!(!out.contains("compile_error"), "{out}");
    assert!(out.contains("(async move { x })"), "{out}");
    let out = expanded(
        Kind::Main,
        quote!(),
        quote!(
            async fn main(x: u32) {}
        ),
    );
    assert!(out.contains("the `main` function cannot take arguments"), "{out}");
}

#[test]
fn unsafe_fn_body_stays_unsafe_context() {
    let out = expanded(
        Kind::Main,
        quote!(),
        quote!(
            async unsafe fn run() -> u8 {
                *std::ptr::null()
            }
        ),
    );
    assert!(!out.contains("async fn __heddle_body"), "{out}");
    assert!(out.starts_with("unsafe fn run () -> u8"), "{out}");
}

#[test]
fn never_return_allows_unreachable_tail() {
    let out = expanded(
        Kind::Main,
        quote!(),
        quote!(
            async fn run() -> ! {
                panic!()
            }
        ),
    );
    assert!(out.contains("# [allow (unreachable_code ,"), "{out}");
    assert!(out.contains("async fn __heddle_body () -> ! { panic ! () }"), "{out}");
}
