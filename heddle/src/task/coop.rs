//! Cooperative scheduling: each task poll gets a budget of resource
//! operations, and a task that has spent it is made to yield so the other
//! tasks on its worker get a turn.
//!
//! heddle's own resources (sockets, channels, timers, locks) spend budget
//! automatically. These functions are for code that loops without ever
//! awaiting one of them, or that must opt out; [`poll_proceed`] and
//! [`cooperative`] make other crates' resources spend it too.
//!
//! ```
//! # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! // A CPU-bound loop that stays fair to the other tasks on its thread.
//! let mut sum = 0u64;
//! for i in 0..10_000u64 {
//!     sum += i;
//!     heddle::task::coop::consume_budget().await;
//! }
//! assert_eq!(sum, 49_995_000);
//! # });
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::runtime::coop;

pub use crate::runtime::coop::{poll_proceed, RestoreOnPending};

/// Spends one unit of the current task's budget; when the budget is used
/// up, yields to the scheduler first (the task is woken again at once).
///
/// Outside a task (or inside [`unconstrained`]) it returns immediately.
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let other = heddle::spawn(async { "ran" });
/// // Never awaits anything that would yield on its own...
/// for _ in 0..1_000 {
///     heddle::task::consume_budget().await;
/// }
/// // ...yet `other` got its turn meanwhile on this single thread.
/// assert!(other.is_finished());
/// # });
/// ```
pub async fn consume_budget() {
    std::future::poll_fn(|cx| coop::poll_proceed(cx).map(|unit| unit.made_progress())).await
}

/// True unless the current task has spent its whole budget (then its next
/// resource operation will yield). Always true outside a task.
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// assert!(heddle::task::coop::has_budget_remaining());
/// # });
/// ```
pub fn has_budget_remaining() -> bool {
    coop::has_budget_remaining()
}

/// Runs `future` with no budget: its resource operations never force it to
/// yield.
///
/// This can starve the other tasks on the same worker if `future` keeps
/// finding work ready; use it for short sections that must not be
/// interrupted (for instance, draining a channel that is known to be
/// bounded).
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (tx, mut rx) = heddle::sync::mpsc::unbounded_channel();
/// for i in 0..1_000 {
///     tx.send(i).unwrap();
/// }
/// drop(tx);
/// let total = heddle::task::unconstrained(async move {
///     let mut total = 0;
///     while let Some(i) = rx.recv().await {
///         total += i;
///     }
///     total
/// })
/// .await;
/// assert_eq!(total, 499_500);
/// # });
/// ```
pub fn unconstrained<F: Future>(future: F) -> Unconstrained<F> {
    Unconstrained { future }
}

pin_project_lite::pin_project! {
    /// The future returned by [`unconstrained`].
    #[must_use = "futures do nothing unless polled"]
    #[derive(Debug)]
    pub struct Unconstrained<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // Put back after the poll, even if it panics.
        let _lifted = coop::BudgetLifted::new();
        self.project().future.poll(cx)
    }
}

/// Makes `future` spend the task's budget like heddle's own resources do:
/// each poll first takes a unit ([`poll_proceed`]), yielding instead if
/// none is left, and the unit stays spent only when `future` completes.
///
/// For futures from other crates (a `futures` channel, say) that are
/// often ready at once and would otherwise let a task run on without ever
/// yielding.
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use futures::StreamExt;
/// use heddle::task::coop::cooperative;
///
/// let (tx, mut rx) = futures::channel::mpsc::unbounded();
/// for i in 0..300 {
///     tx.unbounded_send(i).unwrap();
/// }
/// let other = heddle::spawn(async {});
/// let mut sum = 0;
/// for _ in 0..300 {
///     sum += cooperative(rx.next()).await.unwrap();
/// }
/// assert_eq!(sum, 44_850);
/// // More ready items than one poll's budget: the loop yielded, and the
/// // other task ran meanwhile.
/// assert!(other.is_finished());
/// # });
/// ```
pub fn cooperative<F: Future>(future: F) -> Coop<F> {
    Coop { future }
}

pin_project_lite::pin_project! {
    /// The future returned by [`cooperative`].
    #[must_use = "futures do nothing unless polled"]
    #[derive(Debug)]
    pub struct Coop<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Coop<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let unit = std::task::ready!(poll_proceed(cx));
        let output = std::task::ready!(self.project().future.poll(cx));
        unit.made_progress();
        Poll::Ready(output)
    }
}
