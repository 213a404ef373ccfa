//! Tasks: the unit the schedulers run.
//!
//! [`spawn`] starts a future as a task on the current runtime and returns
//! a [`JoinHandle`] that resolves to the task's output, or to a
//! [`JoinError`] if it panicked or was [aborted](JoinHandle::abort).
//! Blocking code goes to [`spawn_blocking`] (or [`block_in_place`]);
//! [`yield_now`] hands the worker back to the scheduler. [`JoinSet`],
//! [`LocalSet`] and [task-locals](LocalKey) build on these.
//!
//! ```
//! # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use heddle::task;
//!
//! let join = task::spawn(async {
//!     task::yield_now().await;
//!     1 + 1
//! });
//! assert_eq!(join.await.unwrap(), 2);
//!
//! let pending = task::spawn(std::future::pending::<()>());
//! pending.abort();
//! assert!(pending.await.unwrap_err().is_cancelled());
//!
//! let sum = task::spawn_blocking(|| (1..=10).sum::<u32>()).await.unwrap();
//! assert_eq!(sum, 55);
//! # });
//! ```
//!
//! # Internals
//!
//! A task is one heap allocation (see [`cell`](self)) holding its header,
//! its scheduler handle and its future (later, its output). Several handle
//! types point at it; each owns one reference of the count in the header's
//! state word, and the last one frees the cell:
//!
//! | handle        | held by                    | may touch                      |
//! |---------------|----------------------------|--------------------------------|
//! | `Task`        | the scheduler's owned list | links (under the list's lock)  |
//! | `Notified`    | a run queue                | the future, after RUNNING      |
//! | `JoinHandle`  | the spawner                | the output, after COMPLETE     |
//! | `AbortHandle` | anyone                     | the state word                 |
//! | `Waker`       | anything the task awaits   | the state word                 |
//!
//! The state machine and its rules are in `state.rs`; the functions that
//! run, complete and free a task are in `harness.rs`.

mod block_in_place;
mod cell;
pub mod coop;
mod error;
mod harness;
mod join;
mod join_set;
pub(crate) mod list;
mod local_set;
pub(crate) mod state;
mod task_local;
mod waker;
mod yield_now;

#[cfg(all(test, loom))]
mod loom_tests;

use std::fmt;
use std::future::Future;
use std::ptr::NonNull;

pub(crate) use cell::Header;
pub use error::JoinError;
pub use join::{AbortHandle, JoinHandle};
pub use yield_now::yield_now;

pub use join_set::JoinSet;
pub use local_set::{spawn_local, LocalEnterGuard, LocalSet, RunUntil};
pub use task_local::{AccessError, LocalKey, TaskLocalFuture};

/// Named future types of this module, at the path tokio gives them
/// (`task::futures::TaskLocalFuture`).
///
/// ```
/// use heddle::task::futures::TaskLocalFuture;
///
/// heddle::task_local! {
///     static REQUEST_ID: u64;
/// }
///
/// async fn handler() -> u64 {
///     REQUEST_ID.get()
/// }
///
/// // A named return type for a future that runs with the value set.
/// fn with_id<F: std::future::Future>(id: u64, f: F) -> TaskLocalFuture<u64, F> {
///     REQUEST_ID.scope(id, f)
/// }
///
/// #[heddle::main(flavor = "current_thread")]
/// async fn main() {
///     assert_eq!(with_id(7, handler()).await, 7);
/// }
/// ```
pub mod futures {
    pub use super::task_local::TaskLocalFuture;
}

pub use crate::runtime::blocking::spawn_blocking;
pub use block_in_place::block_in_place;
pub use coop::{consume_budget, unconstrained, Unconstrained};

use crate::loom::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A task's unique id within the process.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(pub(crate) u64);

impl Id {
    fn next() -> Id {
        #[cfg(not(loom))]
        static NEXT: AtomicU64 = AtomicU64::new(1);
        #[cfg(loom)]
        loom::lazy_static! { static ref NEXT: AtomicU64 = AtomicU64::new(1); }
        Id(NEXT.fetch_add(1, Relaxed))
    }
}

/// The id of the task currently running on this thread.
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let join = heddle::spawn(async { heddle::task::id() });
/// let expected = join.id();
/// assert_eq!(join.await.unwrap(), expected);
/// # });
/// ```
///
/// # Panics
/// When not called from inside a task (see [`try_id`]).
#[track_caller]
pub fn id() -> Id {
    try_id().expect("can't get a task id when not inside a task")
}

/// The id of the task currently running on this thread, or None outside a
/// task (including in the future passed to `block_on`, which is not a
/// task). Also set while a task's future or output is dropped.
pub fn try_id() -> Option<Id> {
    crate::runtime::context::current_task_id()
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

/// What a scheduler provides to the tasks it runs.
pub(crate) trait Schedule: Send + Sync + 'static {
    /// Queues a task that was woken.
    fn schedule(&self, task: Notified);

    /// Queues a task that was woken while it was being polled: it yielded
    /// (`coop::take_yield` says so), or another party woke it meanwhile.
    /// Schedulers put these behind other work so a self-waking task cannot
    /// starve the rest, and hold a yielded one until they have looked at
    /// I/O and timers.
    fn yield_now(&self, task: Notified) {
        self.schedule(task);
    }

    /// Removes a completed task from the owned list; true if it was there
    /// (the caller then releases the list's reference).
    fn release(&self, task: NonNull<Header>) -> bool;
}

/// The owned list's reference to a task.
pub(crate) struct Task {
    raw: NonNull<Header>,
}

/// A reference to a task that is due to run; lives in run queues.
pub(crate) struct Notified {
    raw: NonNull<Header>,
}

// SAFETY: tasks are only created from `Send` futures and outputs (`spawn`
// requires it), and every access to shared task state goes through the
// atomic state protocol.
unsafe impl Send for Task {}
// SAFETY: as for `Task`.
unsafe impl Send for Notified {}

impl Task {
    pub(crate) fn raw(&self) -> NonNull<Header> {
        self.raw
    }

    /// Cancels the task if nobody is polling it, consuming this reference.
    pub(crate) fn shutdown(self) {
        let raw = self.raw;
        std::mem::forget(self);
        // SAFETY: the reference is handed to shutdown.
        unsafe { (raw.as_ref().vtable.shutdown)(raw) };
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        release_ref(self.raw);
    }
}

impl Notified {
    /// # Safety
    /// `raw` must carry a counted reference reserved for a `Notified`.
    pub(crate) unsafe fn from_raw(raw: NonNull<Header>) -> Notified {
        Notified { raw }
    }

    /// Polls (or cancels) the task, consuming this reference.
    pub(crate) fn run(self) {
        let raw = self.raw;
        std::mem::forget(self);
        // SAFETY: the Notified's reference is handed to `run`.
        unsafe { (raw.as_ref().vtable.run)(raw) };
    }
}

impl Drop for Notified {
    fn drop(&mut self) {
        release_ref(self.raw);
    }
}

fn release_ref(raw: NonNull<Header>) {
    // SAFETY: the dropped handle held a reference.
    let header = unsafe { raw.as_ref() };
    if header.state.release(1) {
        // SAFETY: last reference.
        unsafe { (header.vtable.dealloc)(raw) };
    }
}

/// Allocates a task for `future` on `scheduler`: the owned-list handle, the
/// first `Notified`, and the `JoinHandle`.
pub(crate) fn new_task<F, S>(future: F, scheduler: S) -> (Task, Notified, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let id = Id::next();
    #[cfg(feature = "tracing")]
    tracing::trace!(target: "heddle::task", task_id = id.0, "spawn");
    let raw = cell::Cell::allocate(future, scheduler, id, harness::vtable::<F, S>());
    // SAFETY: `State::new` counts three references, one per handle below.
    unsafe { (Task { raw }, Notified::from_raw(raw), JoinHandle::from_raw(raw)) }
}

/// Spawns a future onto the current runtime and returns a handle to await
/// its output.
///
/// The task starts running in the background right away; dropping the
/// handle does not cancel it.
///
/// ```
/// # heddle::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap().block_on(async {
/// let tasks: Vec<_> = (0..10).map(|i| heddle::spawn(async move { i * 2 })).collect();
/// let mut sum = 0;
/// for t in tasks {
///     sum += t.await.unwrap();
/// }
/// assert_eq!(sum, 90);
/// # });
/// ```
///
/// # Panics
/// When called outside a heddle runtime.
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // Spawn through the thread's borrowed handle: cloning it would bump the
    // scheduler's reference count, a cache line every worker shares.
    let mut future = Some(future);
    let spawned = crate::runtime::context::CONTEXT
        .try_with(|c| c.handle.borrow().as_ref().map(|h| h.spawn(future.take().expect("spawned once"))));
    match spawned {
        Ok(Some(join)) => join,
        _ => panic!("{}", crate::runtime::TryCurrentError::new()),
    }
}
