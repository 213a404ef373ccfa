//! Cooperative scheduling budget.
//!
//! A task that always finds its socket ready would never return `Pending`
//! and would hold its worker forever (the seed's tokio run shows a 1.93 s
//! maximum latency). Each task poll gets [`BUDGET`] units; every resource
//! operation that makes progress spends one; with none left, resources
//! answer `Pending` (after waking the task), so it goes to the back of the
//! queue.

use std::task::{Context, Poll};

use super::context::CONTEXT;

/// Units per task poll.
pub(crate) const BUDGET: u8 = 128;

/// Runs `f` (a task poll) with a fresh budget.
#[inline]
pub(crate) fn with_budget<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u8>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = CONTEXT.try_with(|c| c.budget.set(self.0));
        }
    }
    let _restore = Restore(CONTEXT.with(|c| c.budget.replace(Some(BUDGET))));
    f()
}

/// Replaces the current task's budget (None: unconstrained), returning
/// the previous one.
pub(crate) fn set_budget(budget: Option<u8>) -> Option<u8> {
    CONTEXT.try_with(|c| c.budget.replace(budget)).unwrap_or(None)
}

/// Spent one unit; gives it back unless `made_progress` is called.
#[must_use]
pub(crate) struct RestoreOnPending(Option<u8>);

impl RestoreOnPending {
    /// The operation completed: keep the unit spent.
    pub(crate) fn made_progress(mut self) {
        self.0 = None;
    }
}

impl Drop for RestoreOnPending {
    fn drop(&mut self) {
        if let Some(units) = self.0 {
            let _ = CONTEXT.try_with(|c| c.budget.set(Some(units)));
        }
    }
}

/// Takes one unit of budget, or wakes the task and returns `Pending` when
/// it has none left.
#[inline]
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    CONTEXT.with(|c| match c.budget.get() {
        None => Poll::Ready(RestoreOnPending(None)),
        Some(0) => {
            if let Some(handle) = c.handle.borrow().as_ref() {
                super::stats::RuntimeStats::add(&handle.driver().stats.budget_forced_yields, 1);
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Some(units) => {
            c.budget.set(Some(units - 1));
            Poll::Ready(RestoreOnPending(Some(units)))
        }
    })
}

/// True if the current task has spent its whole budget.
pub(crate) fn has_budget_remaining() -> bool {
    CONTEXT.with(|c| c.budget.get() != Some(0))
}
