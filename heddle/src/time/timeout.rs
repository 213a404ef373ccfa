//! `timeout`: bound how long a future may take.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::sleep::assert_timers_enabled;
use super::{Instant, Sleep};

/// Requires `future` to complete within `duration`, else gives [`Elapsed`].
/// The future is dropped (cancelled) when time runs out.
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use heddle::time::{sleep, timeout, Duration};
/// let slow = sleep(Duration::from_secs(10));
/// assert!(timeout(Duration::from_millis(1), slow).await.is_err());
/// assert_eq!(timeout(Duration::from_secs(1), async { 5 }).await, Ok(5));
/// # });
/// ```
#[track_caller]
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    timeout_at(Instant::now().far_add(duration), future)
}

/// Like [`timeout`] with an absolute deadline.
#[track_caller]
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    assert_timers_enabled();
    Timeout { value: future.into_future(), deadline, delay: None }
}

pin_project_lite::pin_project! {
    /// Future returned by [`timeout`] and [`timeout_at`].
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    #[derive(Debug)]
    pub struct Timeout<T> {
        #[pin]
        value: T,
        deadline: Instant,
        // Made at the first poll that finds `value` pending: a future that
        // is ready at once (the common case) then costs no `Sleep` at all,
        // not even the moves of one.
        delay: Option<Sleep>,
    }
}

impl<T> Timeout<T> {
    /// The wrapped future.
    pub fn get_ref(&self) -> &T {
        &self.value
    }

    /// The wrapped future, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.value
    }

    /// Unwraps the future.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T: Future> Future for Timeout<T> {
    type Output = Result<T::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(v) = this.value.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        // The inner future may have spent the whole budget; the deadline
        // must still be able to fire, so check it unconstrained.
        let deadline = *this.deadline;
        let delay = this.delay.get_or_insert_with(|| Sleep::unchecked(deadline));
        match Pin::new(delay).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed(()))),
            Poll::Pending => {
                if deadline <= Instant::now() {
                    return Poll::Ready(Err(Elapsed(())));
                }
                Poll::Pending
            }
        }
    }
}

/// The error of a [`Timeout`] whose deadline passed.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(_: Elapsed) -> std::io::Error {
        std::io::ErrorKind::TimedOut.into()
    }
}
