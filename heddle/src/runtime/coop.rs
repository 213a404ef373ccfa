//! Cooperative scheduling budget.
//!
//! A task that always finds its socket ready would never return `Pending`
//! and would hold its worker forever (the seed's tokio run shows a 1.93 s
//! maximum latency). Each task poll gets [`BUDGET`] units; every resource
//! operation that makes progress spends one; with none left, resources
//! answer `Pending` (after waking the task), so it goes to the back of the
//! queue.

use std::cell::Cell;
use std::marker::PhantomData;
use std::task::{Context, Poll};

use super::context::CONTEXT;

thread_local! {
    /// Units of work the current task may still do before yielding; None
    /// when unconstrained (outside a task). Its own slot rather than a
    /// field of `CONTEXT`: a `Cell<Option<u8>>` has no destructor, so
    /// reading it is a plain thread-local load without the "alive or torn
    /// down" check that `CONTEXT` (which holds a runtime handle) needs,
    /// and every I/O operation and channel call reads it.
    static BUDGET_LEFT: Cell<Option<u8>> = const { Cell::new(None) };

    /// Set when the task being polled yields on purpose (`yield_now`, an
    /// exhausted budget) rather than being woken by someone else while it
    /// runs; see [`note_yield`].
    static YIELDED: Cell<bool> = const { Cell::new(false) };
}

/// Records that the current poll gives way on purpose: it woke its own
/// task and returns `Pending` so others can run. The scheduler then holds
/// the task until it has looked at I/O and timers (as tokio does for
/// `yield_now`). A task woken *by another party* during its poll (a
/// message from another worker) is instead queued at once, at the back.
#[inline]
pub(crate) fn note_yield() {
    YIELDED.set(true);
}

/// Whether the poll that just ended yielded on purpose; forgets it.
#[inline]
pub(crate) fn take_yield() -> bool {
    YIELDED.replace(false)
}

/// Units per task poll.
pub(crate) const BUDGET: u8 = 128;

/// Runs `f` (a task poll) with a fresh budget.
#[inline]
pub(crate) fn with_budget<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u8>);
    impl Drop for Restore {
        fn drop(&mut self) {
            BUDGET_LEFT.set(self.0);
        }
    }
    let _restore = Restore(BUDGET_LEFT.replace(Some(BUDGET)));
    f()
}

/// Replaces the current task's budget (None: unconstrained), returning
/// the previous one.
pub(crate) fn set_budget(budget: Option<u8>) -> Option<u8> {
    BUDGET_LEFT.replace(budget)
}

/// Lifts the current task's budget until dropped, then puts it back (even
/// on a panic): for `unconstrained`, blocking sections, and synchronous
/// calls that poll futures but cannot yield (`try_join_next`), which must
/// not report "nothing ready" only because the budget ran out.
pub(crate) struct BudgetLifted(Option<u8>);

impl BudgetLifted {
    pub(crate) fn new() -> BudgetLifted {
        BudgetLifted(set_budget(None))
    }
}

impl Drop for BudgetLifted {
    fn drop(&mut self) {
        set_budget(self.0);
    }
}

/// One unit of the current task's budget, taken by [`poll_proceed`]. If
/// it is dropped before [`made_progress`](Self::made_progress) is called,
/// the budget goes back to what it was before `poll_proceed` (the
/// operation did not happen, so it should not count).
///
/// Tied to the thread whose budget it took: neither `Send` nor `Sync`.
#[derive(Debug)]
#[must_use = "the budget is restored when this is dropped, unless `made_progress` is called first"]
pub struct RestoreOnPending(Cell<Option<u8>>, PhantomData<*mut ()>);

impl RestoreOnPending {
    /// The operation made progress: keep the unit spent.
    pub fn made_progress(&self) {
        self.0.set(None);
    }
}

impl Drop for RestoreOnPending {
    fn drop(&mut self) {
        if let Some(units) = self.0.get() {
            BUDGET_LEFT.set(Some(units));
        }
    }
}

/// Spends one unit of the current task's budget for an operation about to
/// be tried; with none left, wakes the task and returns `Pending` (so it
/// goes to the back of the queue) instead.
///
/// Call [`RestoreOnPending::made_progress`] on the result once the
/// operation succeeds; if it does not (the resource was not ready), drop
/// the result and the unit is given back. Outside a task, or inside
/// [`unconstrained`](crate::task::coop::unconstrained), there is no
/// budget and this is always `Ready`.
///
/// ```
/// use std::pin::Pin;
/// use std::task::{ready, Context, Poll};
/// use heddle::task::coop;
///
/// /// A channel receiver from another crate, made to spend budget like
/// /// heddle's own receivers do.
/// struct Cooperative<S>(S);
///
/// impl<S: futures::Stream + Unpin> futures::Stream for Cooperative<S> {
///     type Item = S::Item;
///
///     fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
///         let unit = ready!(coop::poll_proceed(cx));
///         let item = ready!(Pin::new(&mut self.0).poll_next(cx));
///         unit.made_progress();
///         Poll::Ready(item)
///     }
/// }
///
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use futures::StreamExt;
/// let (tx, rx) = futures::channel::mpsc::unbounded();
/// for i in 0..300 {
///     tx.unbounded_send(i).unwrap();
/// }
/// drop(tx);
/// let other = heddle::spawn(async {});
/// // 300 ready items: more than one poll's budget, so this yields
/// // part-way and the other task runs meanwhile.
/// assert_eq!(Cooperative(rx).count().await, 300);
/// assert!(other.is_finished());
/// # });
/// ```
#[inline]
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    match BUDGET_LEFT.get() {
        None => Poll::Ready(RestoreOnPending(Cell::new(None), PhantomData)),
        Some(0) => {
            note_yield();
            // During thread teardown there is no handle to count it in.
            let _ = CONTEXT.try_with(|c| {
                if let Some(handle) = c.handle.borrow().as_ref() {
                    super::stats::RuntimeStats::add(&handle.driver().stats.budget_forced_yields, 1);
                }
            });
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Some(units) => {
            BUDGET_LEFT.set(Some(units - 1));
            Poll::Ready(RestoreOnPending(Cell::new(Some(units)), PhantomData))
        }
    }
}

/// The current task's units left (None: unconstrained). Compared before
/// and after a step to learn whether something inside it spent budget.
#[inline]
pub(crate) fn budget_left() -> Option<u8> {
    BUDGET_LEFT.get()
}

/// Spends one unit for a step that began with `before` units left
/// (`budget_left` then), unless something inside the step spent budget
/// already (see `io::copy`). A step that began with none left must not
/// have run: callers yield first.
#[inline]
pub(crate) fn charge_unless_spent_since(before: u8) {
    if let Some(now) = BUDGET_LEFT.get() {
        if now >= before {
            BUDGET_LEFT.set(Some(now.saturating_sub(1)));
        }
    }
}

/// True if the current task has spent its whole budget.
pub(crate) fn has_budget_remaining() -> bool {
    BUDGET_LEFT.get() != Some(0)
}
