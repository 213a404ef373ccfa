//! Helpers shared by the integration tests: both runtime flavors, and a
//! bounded `block_on` so a hung test fails instead of hanging CI.
#![allow(dead_code)] // each test file uses a different subset

use std::future::Future;
use std::task::{Context, Poll};
use std::time::Duration;

use heddle::runtime::{Builder, Runtime};

/// A current-thread and a two-worker multi-thread runtime.
pub fn runtimes() -> [Runtime; 2] {
    [
        Builder::new_current_thread().enable_all().build().unwrap(),
        Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap(),
    ]
}

/// Runs `f` on `rt`, failing the test if it takes more than 10 s.
pub fn run<F: Future>(rt: &Runtime, f: F) -> F::Output {
    rt.block_on(async { heddle::time::timeout(Duration::from_secs(10), f).await.expect("test timed out") })
}

/// Polls `f` once with a waker that does nothing.
pub fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    std::pin::Pin::new(f).poll(&mut Context::from_waker(futures::task::noop_waker_ref()))
}
