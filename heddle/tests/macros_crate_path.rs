//! `#[heddle::main]` / `#[heddle::test]` in the forms tokio's own macro tests
//! use: `crate = "..."` pointing at heddle under another name, methods with a
//! `self` receiver, functions with arguments, `-> !`, bodies on one line,
//! macro-generated tests, and shadowed names. Every test checks what the body
//! did or returned on the runtime the attribute asked for.

use heddle::runtime::{Handle, RuntimeFlavor};

/// The flavor and worker count of the runtime the caller runs on.
fn current_runtime() -> (RuntimeFlavor, usize) {
    let handle = Handle::current();
    (handle.runtime_flavor(), handle.metrics().num_workers())
}

// ---------------------------------------------------------------------------
// `crate = "..."`
// ---------------------------------------------------------------------------

use heddle as renamed;

/// Reached through `use heddle as renamed;`.
#[renamed::main(crate = "renamed", flavor = "multi_thread", worker_threads = 2)]
async fn through_renamed_use() -> (RuntimeFlavor, usize, u32) {
    let (flavor, workers) = current_runtime();
    let n = renamed::spawn(async { 20 }).await.expect("task failed");
    (flavor, workers, n + 1)
}

#[test]
fn crate_option_with_use_rename() {
    assert_eq!(through_renamed_use(), (RuntimeFlavor::MultiThread, 2, 21));
}

#[renamed::test(crate = "renamed")]
async fn crate_option_on_test() {
    // `#[heddle::test]` defaults to the current-thread flavor.
    assert_eq!(current_runtime().0, RuntimeFlavor::CurrentThread);
    assert_eq!(renamed::spawn(async { 7 }).await.expect("task failed"), 7);
}

/// A module called `test` holding the crate, as in tokio's
/// `#[test::tokio::test(crate = "test::tokio")]`.
mod test {
    pub use ::heddle;
}

#[test::heddle::test(crate = "test::heddle", flavor = "multi_thread", worker_threads = 3)]
async fn crate_option_with_multi_segment_path() {
    assert_eq!(current_runtime(), (RuntimeFlavor::MultiThread, 3));
}

/// A local item named `heddle` does not capture the expansion's default
/// path, which starts at the crate root (`::heddle`).
mod shadowed {
    #[allow(dead_code)]
    mod heddle {}

    #[::heddle::test]
    async fn local_heddle_module_does_not_interfere() {
        assert_eq!(super::current_runtime().0, ::heddle::runtime::RuntimeFlavor::CurrentThread);
    }
}

/// `use heddle::test;` makes plain `#[test]` heddle's attribute.
mod test_via_use {
    use heddle::test;

    #[test]
    async fn test_attribute_imported_with_use() {
        let ran = heddle::spawn(async { std::thread::current().id() }).await.expect("task failed");
        // Current-thread flavor: the task ran on the test's thread.
        assert_eq!(ran, std::thread::current().id());
    }
}

// ---------------------------------------------------------------------------
// Methods and functions with arguments
// ---------------------------------------------------------------------------

trait Compute {
    fn by_value(self) -> u64;
    fn by_ref(&self) -> (RuntimeFlavor, u64);
    fn by_mut(&mut self, add: u64) -> u64;
}

struct Counter {
    total: u64,
}

impl Counter {
    async fn doubled(&self) -> u64 {
        heddle::task::yield_now().await;
        self.total * 2
    }
}

impl Compute for Counter {
    /// A `self` receiver, as in tokio's `impl A for () { async fn f(self) }`.
    #[heddle::main(flavor = "current_thread")]
    async fn by_value(self) -> u64 {
        self.doubled().await
    }

    #[heddle::main(flavor = "multi_thread", worker_threads = 2)]
    async fn by_ref(&self) -> (RuntimeFlavor, u64) {
        (current_runtime().0, self.doubled().await)
    }

    #[heddle::main(flavor = "current_thread")]
    async fn by_mut(&mut self, add: u64) -> u64 {
        let add = heddle::spawn(async move { add }).await.expect("task failed");
        self.total += add;
        Self::describe(self.total)
    }
}

impl Counter {
    fn describe(total: u64) -> u64 {
        total + 1000
    }
}

#[test]
fn methods_with_receivers() {
    let mut counter = Counter { total: 5 };
    assert_eq!(counter.by_mut(4), 1009);
    assert_eq!(counter.total, 9, "the `&mut self` body changed the caller's value");
    assert_eq!(counter.by_ref(), (RuntimeFlavor::MultiThread, 18));
    assert_eq!(counter.by_value(), 18);
}

/// tokio's exact case: a trait method returning `()` through `self`.
#[test]
fn unit_method_on_unit_type() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static CALLS: AtomicUsize = AtomicUsize::new(0);

    trait A {
        fn f(self);
        fn g(self);
    }
    impl A for () {
        #[heddle::main]
        async fn f(self) {
            self.g()
        }

        fn g(self) {
            assert_eq!(current_runtime().0, RuntimeFlavor::MultiThread);
            CALLS.fetch_add(1, Ordering::SeqCst);
        }
    }
    ().f();
    assert_eq!(CALLS.load(Ordering::SeqCst), 1);
}

/// A free function (not `main`) may take arguments, patterns included.
#[heddle::main(flavor = "current_thread")]
async fn with_arguments(words: Vec<String>, (a, b): (u32, u32)) -> String {
    let sum = heddle::spawn(async move { a + b }).await.expect("task failed");
    format!("{} {sum}", words.join("-"))
}

#[test]
fn free_function_with_arguments() {
    assert_eq!(with_arguments(vec!["x".into(), "y".into()], (2, 3)), "x-y 5");
}

// ---------------------------------------------------------------------------
// Return types and lint-sensitive forms
// ---------------------------------------------------------------------------

/// `-> !`: no "unreachable expression" from the generated tail (denied here,
/// so its return is a compile error).
#[deny(unreachable_code)]
mod never_returns {
    #[heddle::main(flavor = "current_thread")]
    pub async fn diverges() -> ! {
        heddle::task::yield_now().await;
        panic!("diverged on the runtime");
    }
}

#[test]
fn never_returning_main() {
    let panic = std::panic::catch_unwind(|| never_returns::diverges()).expect_err("must panic");
    let msg = panic.downcast_ref::<&str>().copied().unwrap_or_default();
    assert_eq!(msg, "diverged on the runtime");
}

/// `-> impl Trait` through the attribute.
#[heddle::main(flavor = "current_thread")]
async fn opaque() -> impl std::fmt::Display {
    heddle::spawn(async { 12 }).await.expect("task failed")
}

#[test]
fn impl_trait_return() {
    assert_eq!(opaque().to_string(), "12");
}

/// One-line bodies must not trip `unused_braces` (tokio issue 3403).
#[deny(unused_braces)]
mod one_line_bodies {
    use std::sync::atomic::{AtomicBool, Ordering};
    pub static RAN: AtomicBool = AtomicBool::new(false);

    #[rustfmt::skip]
    #[heddle::main(flavor = "current_thread")]
    pub async fn one_line() { RAN.store(true, Ordering::SeqCst) }

    #[rustfmt::skip]
    #[heddle::test]
    async fn one_line_test() { assert_eq!(super::current_runtime().0, heddle::runtime::RuntimeFlavor::CurrentThread) }

    #[test]
    fn one_line_main_ran() {
        one_line();
        assert!(RAN.load(Ordering::SeqCst));
    }
}

/// Tests generated by `macro_rules!` (tokio issue 5243).
mod from_macro_rules {
    macro_rules! heddle_test {
        (async fn $name:ident() -> $ret:ty $body:block) => {
            #[::heddle::test]
            async fn $name() -> $ret {
                $body
            }
        };
    }

    heddle_test!(
        async fn generated() -> Result<(), String> {
            let n = heddle::spawn(async { 3 }).await.map_err(|e| e.to_string())?;
            if n == 3 {
                Ok(())
            } else {
                Err(format!("got {n}"))
            }
        }
    );
}

/// `start_paused` on a test: timers complete without real waiting.
#[heddle::test(start_paused = true)]
async fn start_paused_test() {
    let start = std::time::Instant::now();
    heddle::time::sleep(std::time::Duration::from_secs(3600)).await;
    assert!(start.elapsed() < std::time::Duration::from_secs(60), "a paused clock auto-advances");
}

/// Bodies ending without a semicolon in several ways must not trip pedantic
/// clippy's `semicolon_if_nothing_returned` (tokio issue 4175).
#[allow(clippy::let_unit_value)]
mod clippy_semicolon_if_nothing_returned {
    #![deny(clippy::semicolon_if_nothing_returned)]

    use std::sync::atomic::{AtomicUsize, Ordering};
    pub static CALLS: AtomicUsize = AtomicUsize::new(0);

    #[heddle::main(flavor = "current_thread")]
    pub async fn local() {
        let _x = CALLS.fetch_add(1, Ordering::SeqCst);
    }

    #[heddle::main(flavor = "current_thread")]
    pub async fn item() {
        fn _f() {}
        CALLS.fetch_add(1, Ordering::SeqCst);
    }

    #[heddle::main(flavor = "current_thread")]
    pub async fn empty() {
        // Nothing: the body is only this comment.
    }

    #[test]
    fn all_ran() {
        local();
        item();
        empty();
        assert_eq!(CALLS.load(Ordering::SeqCst), 2);
    }
}
