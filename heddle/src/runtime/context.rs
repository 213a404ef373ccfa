//! The per-thread runtime context: which runtime this thread is in, and the
//! current task's cooperative budget.
//!
//! One `thread_local!` holds it all so the hot paths (spawn, I/O readiness
//! checks) pay for a single TLS lookup.

use std::cell::{Cell, RefCell};

use super::scheduler::SchedulerHandle;

pub(crate) struct Context {
    /// The runtime that `Handle::current()` returns.
    pub(crate) handle: RefCell<Option<SchedulerHandle>>,
    /// True while this thread runs a runtime (a worker, or inside
    /// `block_on`): starting another `block_on` here would deadlock.
    pub(crate) in_runtime: Cell<bool>,
    /// Units of work the current task may still do before yielding; None
    /// when unconstrained (outside a task).
    pub(crate) budget: Cell<Option<u8>>,
    /// The worker this thread is (0 elsewhere): its timers go to that
    /// timer wheel, its new sockets preferably to that reactor.
    pub(crate) worker_index: Cell<usize>,
    /// The task being polled (or dropped) on this thread.
    pub(crate) task_id: Cell<Option<crate::task::Id>>,
}

thread_local! {
    pub(crate) static CONTEXT: Context = const {
        Context {
            handle: RefCell::new(None),
            in_runtime: Cell::new(false),
            budget: Cell::new(None),
            worker_index: Cell::new(0),
            task_id: Cell::new(None),
        }
    };
}

/// Restores the previous `Handle::current()` when dropped.
pub(crate) struct SetHandleGuard {
    previous: Option<SchedulerHandle>,
}

/// Makes `handle` the current runtime for this thread until the guard drops.
pub(crate) fn set_handle(handle: SchedulerHandle) -> SetHandleGuard {
    let previous = CONTEXT.with(|c| c.handle.replace(Some(handle)));
    SetHandleGuard { previous }
}

impl Drop for SetHandleGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // During thread teardown the TLS may be gone; nothing to restore then.
        let _ = CONTEXT.try_with(|c| c.handle.replace(previous));
    }
}

/// Marks this thread as running a runtime until the guard drops.
pub(crate) struct RuntimeGuard {
    previous: bool,
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
             attempted to block the current thread while the thread is being used to drive asynchronous tasks."
        );
    }
    RuntimeGuard { previous }
}

impl Drop for RuntimeGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|c| c.in_runtime.set(self.previous));
    }
}

/// True while this thread runs a runtime (see [`enter_runtime`]).
pub(crate) fn in_runtime() -> bool {
    CONTEXT.try_with(|c| c.in_runtime.get()).unwrap_or(false)
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
    CONTEXT.with(|c| c.worker_index.set(index));
}

/// The current runtime's driver, without cloning the scheduler handle.
pub(crate) fn current_driver() -> Option<std::sync::Arc<crate::driver::DriverHandle>> {
    CONTEXT.try_with(|c| c.handle.borrow().as_ref().map(|h| h.driver().clone())).ok().flatten()
}

/// Runs `f` on the current runtime's driver, if there is one.
pub(crate) fn with_driver<R>(f: impl FnOnce(&crate::driver::DriverHandle) -> R) -> Option<R> {
    CONTEXT.try_with(|c| c.handle.borrow().as_ref().map(|h| f(h.driver()))).ok().flatten()
}
