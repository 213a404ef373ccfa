//! `LocalRuntime`: a current-thread runtime that belongs to the thread that
//! built it, so `!Send` futures can be spawned on it directly.
//!
//! It is a current-thread [`Runtime`] paired with a [`LocalSet`] that is
//! current for as long as the runtime is in use on its thread: inside
//! [`LocalRuntime::block_on`] (which drives the set alongside the future)
//! and under a [`LocalRuntime::enter`] guard. `task::spawn_local` therefore
//! finds the set, and the local tasks run on the runtime's own thread
//! interleaved with its `Send` tasks. Neither scheduler changes: the set is
//! polled as part of the `block_on` future, exactly as `LocalSet::block_on`
//! would poll it.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use super::context::{self, CONTEXT};
use super::scheduler::SchedulerHandle;
use super::{Builder, EnterGuard, Handle, Runtime, RuntimeMetrics};
use crate::task::{JoinHandle, LocalSet};

/// Settings specific to a [`LocalRuntime`], passed to
/// [`Builder::build_local`]. There are none yet; the type exists so options
/// can be added without breaking callers.
///
/// ```
/// let options = heddle::runtime::LocalOptions::default();
/// let rt = heddle::runtime::Builder::new_current_thread().build_local(options).unwrap();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
#[derive(Default, Debug)]
#[non_exhaustive]
pub struct LocalOptions {
    /// `!Send` and `!Sync`, as tokio's (room for thread-bound options).
    _not_send: PhantomData<*mut u8>,
}

/// A single-threaded runtime that stays on the thread that built it, and
/// so can run `!Send` futures: [`spawn_local`](LocalRuntime::spawn_local),
/// or [`task::spawn_local`](crate::task::spawn_local) from code it runs,
/// work without a [`LocalSet`].
///
/// It is otherwise a current-thread runtime: [`block_on`](Self::block_on)
/// drives every task, as often as you like; `Send` futures are spawned
/// through [`handle`](Self::handle) (from any thread). The runtime itself
/// is `!Send`. Build one with [`LocalRuntime::new`] or
/// [`Builder::build_local`].
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use heddle::runtime::LocalRuntime;
///
/// let rt = LocalRuntime::new().unwrap();
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let task = rt.spawn_local({
///     let log = log.clone();
///     async move { log.borrow_mut().push("spawned before block_on") }
/// });
/// rt.block_on(async {
///     task.await.unwrap();
///     let log = log.clone();
///     heddle::task::spawn_local(async move { log.borrow_mut().push("spawned inside") }).await.unwrap();
/// });
/// assert_eq!(*log.borrow(), ["spawned before block_on", "spawned inside"]);
/// ```
pub struct LocalRuntime {
    /// Holds the `!Send` tasks; dropped before the runtime, inside it.
    local: LocalSet,
    /// `None` only once shut down explicitly.
    rt: Option<Runtime>,
}

impl LocalRuntime {
    /// A local runtime with I/O and time enabled.
    ///
    /// ```
    /// let rt = heddle::runtime::LocalRuntime::new().unwrap();
    /// rt.block_on(async { heddle::time::sleep(std::time::Duration::from_millis(1)).await });
    /// ```
    pub fn new() -> std::io::Result<LocalRuntime> {
        Builder::new_current_thread().enable_all().build_local(LocalOptions::default())
    }

    /// Wraps a runtime built by `current_thread::build(.., true)`.
    pub(crate) fn new_from(rt: Runtime, _options: LocalOptions) -> LocalRuntime {
        LocalRuntime { local: LocalSet::new(), rt: Some(rt) }
    }

    fn runtime(&self) -> &Runtime {
        self.rt.as_ref().expect("a LocalRuntime is only shut down by value")
    }

    /// A handle to this runtime. It is `Send`: other threads can spawn
    /// `Send` futures with it, but not local ones.
    pub fn handle(&self) -> &Handle {
        self.runtime().handle()
    }

    /// Spawns a future that need not be `Send` onto this runtime. It runs
    /// on this thread, the next time [`block_on`](Self::block_on) drives the
    /// runtime; the [`JoinHandle`] awaits its output.
    ///
    /// ```
    /// let rt = heddle::runtime::LocalRuntime::new().unwrap();
    /// let handle = rt.spawn_local(async { std::rc::Rc::new(7) });
    /// assert_eq!(*rt.block_on(handle).unwrap(), 7);
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.local.spawn_local(future)
    }

    /// Runs a blocking closure on this runtime's blocking pool; see
    /// [`spawn_blocking`](crate::task::spawn_blocking).
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.runtime().spawn_blocking(f)
    }

    /// Runs `future` to completion on this thread, driving the runtime's
    /// tasks, local and `Send`, meanwhile. May be called again and again.
    ///
    /// ```
    /// let rt = heddle::runtime::LocalRuntime::new().unwrap();
    /// for round in 0..3 {
    ///     let v = rt.block_on(async move { heddle::task::spawn_local(async move { round }).await.unwrap() });
    ///     assert_eq!(v, round);
    /// }
    /// ```
    ///
    /// # Panics
    /// When called from inside a runtime (an async context), as
    /// [`Runtime::block_on`] does.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        // The set stays current for the whole call, so `Send` tasks of this
        // runtime may `spawn_local` too; their local wakes then wake the
        // `block_on` future, which drives the set.
        let _local = self.local.enter();
        self.runtime().block_on(self.local.run_until(future))
    }

    /// Makes this runtime current on this thread until the guard drops:
    /// `heddle::spawn` and `task::spawn_local` spawn onto it (their tasks
    /// run at the next [`block_on`](Self::block_on)).
    ///
    /// ```
    /// let rt = heddle::runtime::LocalRuntime::new().unwrap();
    /// let handle = {
    ///     let _guard = rt.enter();
    ///     heddle::task::spawn_local(async { std::rc::Rc::new("local") })
    /// };
    /// assert_eq!(*rt.block_on(handle).unwrap(), "local");
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle().enter_with_local(self.local.enter())
    }

    /// Shuts down: cancels every task, then waits at most `timeout` for
    /// running blocking-pool jobs.
    ///
    /// ```
    /// let rt = heddle::runtime::LocalRuntime::new().unwrap();
    /// let never = rt.spawn_local(std::future::pending::<()>());
    /// rt.shutdown_timeout(std::time::Duration::from_millis(100));
    /// drop(never);
    /// ```
    ///
    /// # Panics
    /// With a non-zero `timeout` inside an async context, as
    /// [`Runtime::shutdown_timeout`] does.
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.close_local();
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(timeout);
        }
    }

    /// Shuts down without waiting for blocking-pool jobs.
    pub fn shutdown_background(mut self) {
        self.close_local();
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }

    /// Runtime metrics.
    pub fn metrics(&self) -> RuntimeMetrics {
        self.runtime().metrics()
    }

    /// Drops the local tasks with the runtime current, so their destructors
    /// still find it.
    fn close_local(&mut self) {
        if let Some(rt) = &self.rt {
            let _enter = rt.enter();
            drop(std::mem::take(&mut self.local));
        }
    }
}

impl Drop for LocalRuntime {
    /// Drops the local tasks, then the runtime (see [`Runtime`]'s drop).
    fn drop(&mut self) {
        self.close_local();
    }
}

impl fmt::Debug for LocalRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalRuntime").field("runtime", &self.rt).finish()
    }
}

// Unwind-safe for `Runtime`'s reasons; the set's tasks catch their panics.
impl std::panic::UnwindSafe for LocalRuntime {}
impl std::panic::RefUnwindSafe for LocalRuntime {}

/// Panics for `task::spawn_local` called with no `LocalSet` current: with
/// tokio's message for a local runtime entered on a thread other than its
/// own, and the general one otherwise.
#[track_caller]
#[cold]
pub(crate) fn spawn_local_outside_set() -> ! {
    let here = std::thread::current().id();
    let foreign = CONTEXT
        .try_with(|c| match &*c.handle.borrow() {
            Some(SchedulerHandle::CurrentThread(shared)) => shared.local_owner.is_some_and(|owner| owner != here),
            _ => false,
        })
        .unwrap_or(false);
    if foreign {
        panic!("Local tasks can only be spawned on a LocalRuntime from the thread the runtime was created on");
    }
    panic!("`spawn_local` called from outside of a `task::LocalSet` or `runtime::LocalRuntime`");
}

/// The index of the runtime worker the calling thread is, if it is one:
/// a multi-thread runtime's worker threads are numbered from 0, and the
/// thread inside a current-thread (or local) runtime's
/// [`Runtime::block_on`] is worker 0. `None` on any other thread: outside
/// runtimes, in the blocking pool, in a multi-thread runtime's `block_on`,
/// and in [`Handle::block_on`].
///
/// Useful to pick a per-worker shard of some state without contention.
///
/// ```
/// use heddle::runtime::{worker_index, Builder};
///
/// assert_eq!(worker_index(), None);
/// let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
/// let index = rt.block_on(async { heddle::spawn(async { worker_index() }).await.unwrap() });
/// assert!(matches!(index, Some(0 | 1)));
/// ```
pub fn worker_index() -> Option<usize> {
    context::worker_index()
}
