//! The runtime: a scheduler plus the driver it parks on.
//!
//! * [`Builder`] picks the flavor (current-thread or multi-thread) and the
//!   drivers to enable.
//! * [`Runtime::block_on`] runs a future to completion from synchronous
//!   code, as often as you like on the same runtime.
//! * [`Handle`] spawns onto a runtime from anywhere.
//! * [`LocalRuntime`] is a current-thread runtime bound to its thread, on
//!   which `!Send` futures can be spawned directly.
//!
//! ```
//! use heddle::runtime::Runtime;
//!
//! let rt = Runtime::new().unwrap();
//! for round in 0..3 {
//!     // Synchronous code between rounds, one runtime throughout (seed 002).
//!     let answer = rt.block_on(async move { heddle::spawn(async move { round * 2 }).await.unwrap() });
//!     assert_eq!(answer, round * 2);
//! }
//! ```

pub(crate) mod blocking;
mod builder;
pub(crate) mod context;
pub(crate) mod coop;
mod current_thread;
mod handle;
mod id;
mod local_runtime;
mod metrics;
mod multi_thread;
pub(crate) use multi_thread::block_in_place;
pub(crate) mod park;
pub(crate) mod scheduler;
pub(crate) mod shutdown_error;
pub(crate) mod stats;

use std::future::Future;
use std::time::Duration;

pub use builder::{Builder, WORKER_THREADS_ENV};
pub use handle::{EnterGuard, Handle, RuntimeFlavor, TryCurrentError};
pub use id::Id;
pub(crate) use local_runtime::spawn_local_outside_set;
pub use local_runtime::{worker_index, LocalOptions, LocalRuntime};
pub use metrics::RuntimeMetrics;
use scheduler::SchedulerHandle;
pub use shutdown_error::is_rt_shutdown_err;

use crate::task::JoinHandle;

/// A heddle runtime: owns the worker threads (if any), the reactor and the
/// timers. Dropping it cancels every task still alive.
pub struct Runtime {
    handle: Handle,
    kind: RuntimeKind,
    /// Set by the first shutdown, so `Drop` after `shutdown_timeout` or
    /// `shutdown_background` has nothing left to do (and does not wait).
    shut_down: bool,
}

pub(crate) enum RuntimeKind {
    CurrentThread,
    MultiThread(Vec<std::thread::JoinHandle<()>>),
}

impl Runtime {
    /// A multi-thread runtime with I/O and time enabled and the default
    /// number of workers.
    pub fn new() -> std::io::Result<Runtime> {
        Builder::new_multi_thread().enable_all().build()
    }

    pub(crate) fn from_parts(handle: SchedulerHandle, kind: RuntimeKind) -> Runtime {
        Runtime { handle: Handle { inner: handle }, kind, shut_down: false }
    }

    /// Runs `future` to completion on this thread, driving the runtime's
    /// tasks too (current-thread) or while the workers run them
    /// (multi-thread).
    ///
    /// # Panics
    /// When called from inside a runtime (an async context): blocking there
    /// would stall the tasks that thread is meant to run.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        // Pinned here, once: the layers below take `Pin<&mut F>`, so a
        // large future is not copied again at each of them.
        let future = std::pin::pin!(future);
        self.handle.block_on_as(future, false)
    }

    /// Spawns a task on this runtime.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs a blocking closure on this runtime's blocking pool; see
    /// [`spawn_blocking`](crate::task::spawn_blocking).
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// A handle to this runtime.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Makes this runtime current on this thread until the guard drops.
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// Runtime metrics.
    pub fn metrics(&self) -> RuntimeMetrics {
        self.handle.metrics()
    }

    /// Shuts down, waiting at most `timeout` for worker threads to finish
    /// the task they are running, and for the blocking pool to finish the
    /// closures spawned before now (they run whatever the timeout; it only
    /// bounds the wait). Async tasks are cancelled either way.
    ///
    /// # Panics
    /// With a non-zero `timeout` inside an async context (a task or
    /// `block_on`), where the wait would block; the runtime is still shut
    /// down. `Duration::ZERO` (or [`shutdown_background`](Self::shutdown_background))
    /// never waits and works there.
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shutdown(Some(timeout));
    }

    /// Shuts down without waiting for worker threads.
    pub fn shutdown_background(mut self) {
        self.shutdown(None);
    }

    /// # Panics
    /// With a non-zero `wait` inside an async context, after shutting down
    /// without waiting: blocking there would stall that thread's tasks
    /// (tokio panics the same way). Not while already panicking.
    fn shutdown(&mut self, wait: Option<Duration>) {
        if std::mem::replace(&mut self.shut_down, true) {
            return;
        }
        // In an async context the wait is skipped; the panic too if the
        // thread already panics (a drop while unwinding).
        let in_async_context = wait.is_some_and(|w| !w.is_zero()) && context::in_runtime();
        let wait = if in_async_context { None } else { wait };
        self.shutdown_now_or_within(wait);
        if in_async_context && !std::thread::panicking() {
            panic!(
                "Cannot drop a runtime in a context where blocking is not allowed. \
                 This happens when a runtime is dropped from within an asynchronous context."
            );
        }
    }

    fn shutdown_now_or_within(&mut self, wait: Option<Duration>) {
        let started = std::time::Instant::now();
        match &self.handle.inner {
            SchedulerHandle::CurrentThread(shared) => shared.shutdown(),
            SchedulerHandle::MultiThread(shared) => {
                shared.shutdown(wait);
                if let RuntimeKind::MultiThread(threads) = &mut self.kind {
                    let finished = wait.is_some();
                    for thread in threads.drain(..) {
                        if finished && thread.is_finished() {
                            let _ = thread.join();
                        }
                    }
                }
            }
        }
        // Queued blocking jobs are dropped; running ones get what is left
        // of the deadline.
        self.handle.inner.blocking().shutdown(wait.map(|w| w.saturating_sub(started.elapsed())));
    }
}

impl Drop for Runtime {
    /// Shuts down as [`shutdown_timeout`](Runtime::shutdown_timeout) does
    /// with a default deadline, so it panics in an async context: drop the
    /// runtime elsewhere, or shut it down with `shutdown_background` there.
    fn drop(&mut self) {
        self.shutdown(Some(builder::DEFAULT_SHUTDOWN_WAIT));
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("handle", &self.handle).finish()
    }
}

// Unwind-safe for the reasons given at `Handle`'s impls; the worker
// threads' `JoinHandle`s only matter at shutdown, which a caught panic
// does not reach. tokio's `Runtime` is unwind-safe too.
impl std::panic::UnwindSafe for Runtime {}
impl std::panic::RefUnwindSafe for Runtime {}
