//! Integration tests for `#[heddle::main]` and `#[heddle::test]`.

use std::error::Error;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

// ---------------------------------------------------------------------------
// #[heddle::test]
// ---------------------------------------------------------------------------

#[heddle::test]
async fn test_default_flavor_is_current_thread() {
    // On a current_thread runtime every task runs on the thread that called
    // `block_on`, i.e. the test's own thread.
    let test_thread = thread::current().id();
    let handle = heddle::spawn(async { thread::current().id() });
    assert_eq!(handle.await.expect("task failed"), test_thread);
}

#[heddle::test(flavor = "current_thread")]
async fn test_explicit_current_thread() {
    let a = heddle::spawn(async { 20 });
    let b = heddle::spawn(async { 22 });
    assert_eq!(a.await.unwrap() + b.await.unwrap(), 42);
}

#[heddle::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_multi_thread_spawn_and_join() {
    let handles: Vec<_> = (0..16u64).map(|i| heddle::spawn(async move { i * i })).collect();
    let mut sum = 0;
    for handle in handles {
        sum += handle.await.expect("task failed");
    }
    assert_eq!(sum, (0..16u64).map(|i| i * i).sum::<u64>());
}

#[heddle::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_multi_thread_has_two_workers() {
    // Two tasks that each block their worker until the other has started:
    // this only completes if two workers run at the same time. The timeout
    // turns a missing worker into a failure instead of a hang.
    let (tx_a, rx_a) = mpsc::channel::<()>();
    let (tx_b, rx_b) = mpsc::channel::<()>();
    let a = heddle::spawn(async move {
        tx_a.send(()).unwrap();
        rx_b.recv_timeout(Duration::from_secs(10)).is_ok()
    });
    let b = heddle::spawn(async move {
        tx_b.send(()).unwrap();
        rx_a.recv_timeout(Duration::from_secs(10)).is_ok()
    });
    assert!(a.await.unwrap(), "task b never ran alongside task a");
    assert!(b.await.unwrap(), "task a never ran alongside task b");
}

#[heddle::test]
async fn test_returning_result_with_question_mark() -> Result<(), Box<dyn Error>> {
    // `?` converts `ParseIntError` into `Box<dyn Error>`: this needs the async
    // block's output type to be known.
    let n: u32 = "41".parse()?;
    let m = heddle::spawn(async move { n + 1 }).await?;
    assert_eq!(m, 42);
    Ok(())
}

#[heddle::test(flavor = "multi_thread")]
async fn test_early_return() -> Result<(), String> {
    let x = heddle::spawn(async { 3 }).await.map_err(|e| format!("{e:?}"))?;
    if x == 3 {
        return Ok(());
    }
    Err(format!("unexpected {x}"))
}

#[heddle::test]
#[should_panic(expected = "boom")]
async fn test_should_panic_is_kept() {
    panic!("boom");
}

/// Doc comments and other attributes are kept.
#[heddle::test(crate = "::heddle")]
#[allow(clippy::bool_assert_comparison)]
async fn test_explicit_crate_path() {
    assert_eq!(true, true);
}

mod reexport {
    pub use ::heddle as rt;
}

#[heddle::test(crate = "crate::reexport::rt")]
async fn test_crate_path_through_reexport() {
    assert_eq!(heddle::spawn(async { 1 }).await.unwrap(), 1);
}

// ---------------------------------------------------------------------------
// #[heddle::main] on ordinary (non-`main`) functions, called from plain tests
// ---------------------------------------------------------------------------

#[heddle::main(flavor = "current_thread")]
async fn run() -> u32 {
    7
}

#[test]
fn main_attribute_current_thread() {
    assert_eq!(run(), 7);
}

/// Default flavor: `multi_thread`, worker count from the runtime.
#[heddle::main]
pub(crate) async fn run_default() -> u64 {
    let handle = heddle::spawn(async { 40 });
    handle.await.expect("task failed") + 2
}

#[test]
fn main_attribute_default_multi_thread() {
    assert_eq!(run_default(), 42);
}

#[heddle::main(flavor = "multi_thread", worker_threads = 3)]
async fn run_fallible_ok() -> Result<u32, Box<dyn Error>> {
    let a: u32 = "5".parse()?;
    let b = heddle::spawn(async { 6u32 }).await?;
    Ok(a + b)
}

#[heddle::main(flavor = "current_thread")]
async fn run_fallible_err() -> Result<u32, Box<dyn Error>> {
    let a: u32 = "5".parse()?;
    let b: u32 = "six".parse()?;
    Ok(a + b)
}

#[test]
fn main_attribute_returning_result() {
    assert_eq!(run_fallible_ok().unwrap(), 11);
    let err = run_fallible_err().unwrap_err();
    assert!(err.to_string().contains("invalid digit"), "{err}");
}

#[heddle::main(flavor = "current_thread")]
async fn run_with_early_return() -> &'static str {
    for i in 0.. {
        if i == 3 {
            return "returned";
        }
        heddle::spawn(async {}).await.unwrap();
    }
    "unreachable"
}

#[test]
fn main_attribute_early_return() {
    assert_eq!(run_with_early_return(), "returned");
}

// A return type the macro cannot name in a generic argument.
#[heddle::main(flavor = "current_thread")]
async fn run_impl_trait() -> impl std::fmt::Display {
    heddle::spawn(async { 5 }).await.unwrap()
}

#[test]
fn main_attribute_impl_trait_return() {
    assert_eq!(run_impl_trait().to_string(), "5");
}

#[test]
fn main_attribute_runs_each_call_on_a_fresh_runtime() {
    for _ in 0..3 {
        assert_eq!(run(), 7);
    }
}

// Generic functions and `Self` cannot move into a nested `async fn`; the macro
// uses a typed `async move` block for them instead.
#[heddle::main(flavor = "current_thread")]
async fn run_generic<T>() -> Result<T, Box<dyn Error>>
where
    T: std::str::FromStr + Send + 'static,
    T::Err: Error + 'static,
{
    let text = heddle::spawn(async { String::from("12") }).await?;
    Ok(text.parse::<T>()?)
}

#[test]
fn main_attribute_generic_fn() {
    assert_eq!(run_generic::<u8>().unwrap(), 12);
    assert!(run_generic::<bool>().is_err());
}

#[derive(Debug, PartialEq)]
struct Counter(u32);

impl Counter {
    #[heddle::main(flavor = "multi_thread", worker_threads = 1)]
    async fn make() -> Self {
        Self(heddle::spawn(async { 3 }).await.unwrap())
    }
}

#[test]
fn main_attribute_associated_fn_using_self() {
    assert_eq!(Counter::make(), Counter(3));
}

#[heddle::test]
async fn test_inner_attributes_are_kept() {
    #![allow(unused_variables)]
    let unused = 1;
}

#[heddle::main(flavor = "current_thread")]
async fn run_with_inner_attribute() -> u8 {
    #![allow(clippy::let_and_return)]
    let x = heddle::spawn(async { 9 }).await.unwrap();
    x
}

#[test]
fn main_attribute_inner_attributes_are_kept() {
    assert_eq!(run_with_inner_attribute(), 9);
}
