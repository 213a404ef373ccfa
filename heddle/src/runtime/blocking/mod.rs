//! The blocking pool: threads for work that would stall an async worker
//! (synchronous file I/O, CPU-heavy computation, blocking C libraries).
//!
//! Each runtime owns one pool. Threads are created when work arrives and
//! no idle thread is free, up to
//! [`Builder::max_blocking_threads`](crate::runtime::Builder::max_blocking_threads),
//! and leave after
//! [`Builder::thread_keep_alive`](crate::runtime::Builder::thread_keep_alive)
//! without work. Use it through [`spawn_blocking`](crate::task::spawn_blocking).
//!
//! ```
//! # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let sum = heddle::task::spawn_blocking(|| (1..=100u64).sum::<u64>()).await.unwrap();
//! assert_eq!(sum, 5050);
//! # });
//! ```

#[cfg(all(test, loom))]
mod loom_tests;
pub(crate) mod pool;
pub(crate) mod state;

pub(crate) use pool::{BlockingPool, Config};

use crate::runtime::Handle;
use crate::task::JoinHandle;

/// Runs the blocking closure `f` on the current runtime's blocking pool
/// and returns a handle to await its result.
///
/// The closure runs on a dedicated thread, so it may block freely. A panic
/// in it becomes a [`JoinError`](crate::task::JoinError). Aborting the
/// handle has no effect once the closure has started. A closure spawned
/// before the runtime shuts down still runs, queued or not (shutdown waits
/// for it, up to its timeout); one spawned after shutdown is cancelled.
///
/// ```
/// # heddle::runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap().block_on(async {
/// let contents = heddle::task::spawn_blocking(|| {
///     std::thread::sleep(std::time::Duration::from_millis(5));
///     "done"
/// })
/// .await
/// .unwrap();
/// assert_eq!(contents, "done");
/// # });
/// ```
///
/// # Panics
/// When called outside a heddle runtime (use
/// [`Handle::spawn_blocking`] from other threads).
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    Handle::current().spawn_blocking(f)
}
