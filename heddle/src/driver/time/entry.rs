//! `TimerEntry`: what the wheel stores for one pending `Sleep`, and what
//! the `Sleep` keeps to learn that it fired.

use std::task::{Context, Poll};

use crate::loom::sync::atomic::{AtomicBool, Ordering::*};
use crate::util::atomic_waker::AtomicWaker;

/// Shared between a `Sleep` and the timer wheel.
#[derive(Debug, Default)]
pub(crate) struct TimerEntry {
    fired: AtomicBool,
    waker: AtomicWaker,
}

impl TimerEntry {
    /// Driver side: marks the timer fired and returns its waker, to be woken
    /// once the wheel's lock is released.
    pub(crate) fn fire(&self) -> Option<std::task::Waker> {
        self.fired.store(true, Release);
        self.waker.take()
    }

    /// Sleep side: Ready once fired, otherwise registers the waker.
    pub(crate) fn poll_fired(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.fired.load(Acquire) {
            return Poll::Ready(());
        }
        self.waker.register(cx.waker());
        if self.fired.load(Acquire) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    pub(crate) fn is_fired(&self) -> bool {
        self.fired.load(Acquire)
    }

    /// Forgets the waker and the fired flag, for reuse by another `Sleep`.
    /// The caller is the entry's only owner.
    pub(crate) fn clear(&self) {
        drop(self.waker.take());
        self.fired.store(false, Release);
    }

    /// Re-arms a fired entry so a `Sleep` can be reset and reuse it.
    pub(crate) fn rearm(&self) {
        self.fired.store(false, Release);
    }
}
