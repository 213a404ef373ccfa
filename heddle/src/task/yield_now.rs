//! `yield_now`: let other tasks run before continuing.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields once to the scheduler: the current task is queued behind the
/// other ready tasks and resumes after them.
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// heddle::task::yield_now().await;
/// # });
/// ```
pub async fn yield_now() {
    YieldNow { yielded: false }.await
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // Waking while running makes the scheduler re-queue the task behind
        // the other ready ones (`Schedule::yield_now`); marked as a yield,
        // it also waits for the scheduler's next look at I/O and timers.
        crate::runtime::coop::note_yield();
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
