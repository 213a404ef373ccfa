//! The per-thread runtime context: which runtime this thread is in, and
//! which worker and task it runs (the budget has its own slot, in `coop`).
//!
//! One `thread_local!` holds it all so the hot paths (spawn, I/O readiness
//! checks) pay for a single TLS lookup.

use std::cell::{Cell, RefCell};

use super::scheduler::SchedulerHandle;

pub(crate) struct Context {
    /// The runtime that `Handle::current()` returns.
    pub(crate) handle: RefCell<Option<SchedulerHandle>>,
    /// How many `set_handle` guards are alive on this thread, so one
    /// dropped out of order is caught.
    pub(crate) handle_depth: Cell<usize>,
    /// True while this thread runs a runtime (a worker, or inside
    /// `block_on`): starting another `block_on` here would deadlock.
    pub(crate) in_runtime: Cell<bool>,
    /// Set while a `LocalSet` runs (its poll, `run_until`, its drop):
    /// `block_in_place` then panics unless this thread is a worker, as in
    /// tokio. Reset for the extent of each `enter_runtime`.
    pub(crate) block_in_place_disallowed: Cell<bool>,
    /// Set inside `Handle::block_on` of a current-thread runtime (not
    /// `Runtime::block_on`): its future may `block_in_place`, as in tokio.
    pub(crate) block_in_place_on_current_thread: Cell<bool>,
    /// The worker this thread is (0 elsewhere): its timers go to that
    /// timer wheel, its new sockets preferably to that reactor.
    pub(crate) worker_index: Cell<usize>,
    /// What `runtime::worker_index()` reports: `Some` on a multi-thread
    /// worker, and while this thread runs a current-thread runtime's tasks
    /// from `Runtime::block_on`; `None` elsewhere.
    pub(crate) worker: Cell<Option<usize>>,
    /// The task being polled (or dropped) on this thread.
    pub(crate) task_id: Cell<Option<crate::task::Id>>,
}

thread_local! {
    pub(crate) static CONTEXT: Context = const {
        Context {
            handle: RefCell::new(None),
            handle_depth: Cell::new(0),
            in_runtime: Cell::new(false),
            block_in_place_disallowed: Cell::new(false),
            block_in_place_on_current_thread: Cell::new(false),
            worker_index: Cell::new(0),
            worker: Cell::new(None),
            task_id: Cell::new(None),
        }
    };
}

/// Restores the previous `Handle::current()` when dropped.
pub(crate) struct SetHandleGuard {
    previous: Option<SchedulerHandle>,
    /// How many handles were set on this thread, this one included, when
    /// it was made; 0 if the thread-local was already gone.
    depth: usize,
}

/// Makes `handle` the current runtime for this thread until the guard drops.
///
/// During thread teardown, when the thread-local is already gone (a
/// runtime kept in another thread-local and dropped with it), this does
/// nothing rather than panic: a panic there would abort the process.
pub(crate) fn set_handle(handle: SchedulerHandle) -> SetHandleGuard {
    let set = CONTEXT.try_with(|c| {
        let previous = c.handle.replace(Some(handle));
        let depth = c.handle_depth.get() + 1;
        c.handle_depth.set(depth);
        (previous, depth)
    });
    match set {
        Ok((previous, depth)) => SetHandleGuard { previous, depth },
        Err(_) => SetHandleGuard { previous: None, depth: 0 },
    }
}

impl Drop for SetHandleGuard {
    /// # Panics
    /// If a guard set after this one is still alive (`EnterGuard`s dropped
    /// out of order), unless the thread is already panicking; the current
    /// handle is then left as it is, as in tokio.
    fn drop(&mut self) {
        if self.depth == 0 {
            return;
        }
        let previous = self.previous.take();
        let restored = CONTEXT.try_with(|c| {
            if c.handle_depth.get() != self.depth {
                return Err(previous);
            }
            c.handle_depth.set(self.depth - 1);
            Ok(c.handle.replace(previous))
        });
        // Whatever is dropped here (perhaps a runtime's last handle) is
        // dropped outside the thread-local's borrow.
        if let Ok(Err(_)) = restored {
            if !std::thread::panicking() {
                panic!(
                    "`EnterGuard` values dropped out of order: guards returned by \
                     `heddle::runtime::Handle::enter()` must be dropped in the reverse order of their creation"
                );
            }
        }
    }
}

/// Marks this thread as running a runtime until the guard drops.
pub(crate) struct RuntimeGuard {
    previous: bool,
    previous_disallowed: bool,
}

/// Enters "running a runtime" mode.
///
/// # Panics
/// If this thread already runs one: blocking inside a runtime would stall
/// every task scheduled on this thread.
#[track_caller]
pub(crate) fn enter_runtime() -> RuntimeGuard {
    let previous = CONTEXT.with(|c| c.in_runtime.replace(true));
    if previous {
        CONTEXT.with(|c| c.in_runtime.set(true));
        panic!(
            "Cannot start a runtime from within a runtime. This happens because a function (like `block_on`) \
             attempted to block the current thread while the thread is being used to drive asynchronous tasks. \
             If you are in an async function, use `.await` on the future instead of blocking on it."
        );
    }
    let previous_disallowed = CONTEXT.with(|c| c.block_in_place_disallowed.replace(false));
    RuntimeGuard { previous, previous_disallowed }
}

impl Drop for RuntimeGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|c| {
            c.in_runtime.set(self.previous);
            c.block_in_place_disallowed.set(self.previous_disallowed);
        });
    }
}

/// True while this thread runs a runtime (see [`enter_runtime`]).
pub(crate) fn in_runtime() -> bool {
    CONTEXT.try_with(|c| c.in_runtime.get()).unwrap_or(false)
}

/// Lets `block_in_place` run again (off a worker) when dropped.
pub(crate) struct DisallowBlockInPlaceGuard {
    previous: bool,
}

/// Forbids `block_in_place` on this thread, unless it is a worker, until
/// the guard drops. A `LocalSet` holds one while it runs its tasks: they
/// all share this thread, so blocking it would stall the whole set.
pub(crate) fn disallow_block_in_place() -> DisallowBlockInPlaceGuard {
    let previous = CONTEXT.try_with(|c| c.block_in_place_disallowed.replace(true)).unwrap_or(false);
    DisallowBlockInPlaceGuard { previous }
}

impl Drop for DisallowBlockInPlaceGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|c| c.block_in_place_disallowed.set(self.previous));
    }
}

/// Restores whether `block_in_place` may run on a current-thread runtime.
pub(crate) struct CurrentThreadBlockInPlaceGuard {
    previous: bool,
}

/// Says, until the guard drops, whether the future about to be driven by
/// a current-thread runtime's `block_on` may `block_in_place`.
pub(crate) fn allow_block_in_place_on_current_thread(allowed: bool) -> CurrentThreadBlockInPlaceGuard {
    let previous = CONTEXT.try_with(|c| c.block_in_place_on_current_thread.replace(allowed)).unwrap_or(false);
    CurrentThreadBlockInPlaceGuard { previous }
}

impl Drop for CurrentThreadBlockInPlaceGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|c| c.block_in_place_on_current_thread.set(self.previous));
    }
}

/// True inside `Handle::block_on` of a current-thread runtime (see
/// [`allow_block_in_place_on_current_thread`]).
pub(crate) fn block_in_place_on_current_thread() -> bool {
    CONTEXT.try_with(|c| c.block_in_place_on_current_thread.get()).unwrap_or(false)
}

/// True inside a [`disallow_block_in_place`] guard of the current runtime
/// context.
pub(crate) fn block_in_place_disallowed() -> bool {
    CONTEXT.try_with(|c| c.block_in_place_disallowed.get()).unwrap_or(false)
}

/// A clone of the current runtime's handle, if any.
pub(crate) fn current_handle() -> Option<SchedulerHandle> {
    CONTEXT.try_with(|c| c.handle.borrow().clone()).ok().flatten()
}

/// Marks this thread as running a runtime again when dropped.
pub(crate) struct ExitRuntimeGuard {
    previous: bool,
}

/// Leaves "running a runtime" mode until the guard drops, so blocking
/// (including `block_on`) is allowed meanwhile; `block_in_place` uses it.
pub(crate) fn exit_runtime() -> ExitRuntimeGuard {
    let previous = CONTEXT.with(|c| c.in_runtime.replace(false));
    ExitRuntimeGuard { previous }
}

impl Drop for ExitRuntimeGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|c| c.in_runtime.set(self.previous));
    }
}

/// The id of the task running on this thread (see `task::try_id`).
pub(crate) fn current_task_id() -> Option<crate::task::Id> {
    CONTEXT.try_with(|c| c.task_id.get()).ok().flatten()
}

/// Restores the previous current task id when dropped.
pub(crate) struct TaskIdGuard {
    previous: Option<crate::task::Id>,
}

/// Makes `id` the current task's id until the guard drops.
#[inline]
pub(crate) fn set_current_task_id(id: crate::task::Id) -> TaskIdGuard {
    let previous = CONTEXT.try_with(|c| c.task_id.replace(Some(id))).ok().flatten();
    TaskIdGuard { previous }
}

impl Drop for TaskIdGuard {
    #[inline]
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|c| c.task_id.set(self.previous));
    }
}

/// The index of the worker running on this thread (0 on other threads):
/// which timer wheel and which reactor its timers and sockets prefer.
pub(crate) fn worker_index_hint() -> usize {
    CONTEXT.try_with(|c| c.worker_index.get()).unwrap_or(0)
}

/// Called by a worker thread at start.
pub(crate) fn set_worker_index_hint(index: usize) {
    CONTEXT.with(|c| {
        c.worker_index.set(index);
        c.worker.set(Some(index));
    });
}

/// The worker this thread is, as `runtime::worker_index()` reports it.
pub(crate) fn worker_index() -> Option<usize> {
    CONTEXT.try_with(|c| c.worker.get()).ok().flatten()
}

/// Restores the previous `worker_index()` when dropped.
pub(crate) struct WorkerGuard {
    previous: Option<usize>,
}

/// Makes `worker_index()` report `index` until the guard drops: a
/// current-thread runtime's `block_on` is that runtime's worker 0.
pub(crate) fn set_worker(index: Option<usize>) -> WorkerGuard {
    let previous = CONTEXT.try_with(|c| c.worker.replace(index)).ok().flatten();
    WorkerGuard { previous }
}

impl Drop for WorkerGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|c| c.worker.set(self.previous));
    }
}

/// The current runtime's driver, without cloning the scheduler handle.
pub(crate) fn current_driver() -> Option<std::sync::Arc<crate::driver::DriverHandle>> {
    CONTEXT.try_with(|c| c.handle.borrow().as_ref().map(|h| h.driver().clone())).ok().flatten()
}

/// Runs `f` on the current runtime's driver, if there is one.
pub(crate) fn with_driver<R>(f: impl FnOnce(&crate::driver::DriverHandle) -> R) -> Option<R> {
    CONTEXT.try_with(|c| c.handle.borrow().as_ref().map(|h| f(h.driver()))).ok().flatten()
}
