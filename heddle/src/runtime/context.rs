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
    /// Which timer wheel this thread's timers go to (a worker's index).
    pub(crate) timer_shard: Cell<usize>,
}

thread_local! {
    pub(crate) static CONTEXT: Context = const {
        Context {
            handle: RefCell::new(None),
            in_runtime: Cell::new(false),
            budget: Cell::new(None),
            timer_shard: Cell::new(0),
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

/// The timer shard for timers created on this thread.
pub(crate) fn timer_shard_hint() -> usize {
    CONTEXT.try_with(|c| c.timer_shard.get()).unwrap_or(0)
}

/// Called by a worker thread at start: its timers go to wheel `index`.
pub(crate) fn set_timer_shard_hint(index: usize) {
    CONTEXT.with(|c| c.timer_shard.set(index));
}

/// The current runtime's driver, without cloning the scheduler handle.
pub(crate) fn current_driver() -> Option<std::sync::Arc<crate::driver::DriverHandle>> {
    CONTEXT.try_with(|c| c.handle.borrow().as_ref().map(|h| h.driver().clone())).ok().flatten()
}

/// Runs `f` on the current runtime's driver, if there is one.
pub(crate) fn with_driver<R>(f: impl FnOnce(&crate::driver::DriverHandle) -> R) -> Option<R> {
    CONTEXT.try_with(|c| c.handle.borrow().as_ref().map(|h| f(h.driver()))).ok().flatten()
}
