//! The futures that wait on a [`Notify`]: [`Notified`] borrows it,
//! [`OwnedNotified`] holds an `Arc` of it (so it can be moved into a
//! spawned task).
//!
//! Both are thin wrappers around one [`Waiting`], which does all the work
//! (the `Init → Waiting → Done` stages of the module docs, its queue node,
//! and the clean-up on drop) for any `N: Deref<Target = Notify>`: the two
//! futures share the waiter state machine, and differ only in how they
//! hold the `Notify`.

use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::ops::Deref;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use super::waiters::{Waiter, ALL, LAST, NONE, ONE};
use super::{End, Notify, EMPTY, NOTIFIED, STATE_MASK, WAITING};
use crate::loom::sync::atomic::Ordering::*;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    /// Not queued yet.
    Init,
    /// Queued: `waiter` is (or was, until a notifier took it) in the list.
    Waiting,
    /// Completed; nothing left to clean up.
    Done,
}

/// A wait on the `Notify` that `notify` leads to. `!Unpin`: once polled,
/// its `waiter` is linked into the `Notify`'s queue and must not move
/// until `Drop` unlinks it.
struct Waiting<N: Deref<Target = Notify>> {
    notify: N,
    /// The `notify_waiters` generation this wait was created in.
    generation: usize,
    stage: Stage,
    waiter: Waiter,
    _pinned: PhantomPinned,
}

impl<N: Deref<Target = Notify>> Waiting<N> {
    // Always inlined, down to `Waiter::new`: otherwise the future is built
    // on the stack and copied twice into the task (partly overlapping
    // copies that stall store forwarding), which cost `notified().await`
    // ~10% in the notify benches.
    #[inline(always)]
    fn new(notify: N) -> Self {
        let generation = notify.state.load(SeqCst) & !STATE_MASK;
        Waiting { notify, generation, stage: Stage::Init, waiter: Waiter::new(), _pinned: PhantomPinned }
    }

    fn poll_wait(self: Pin<&mut Self>, waker: Option<&Waker>) -> Poll<()> {
        // SAFETY: nothing is moved out; `waiter` stays where it is.
        let this = unsafe { self.get_unchecked_mut() };
        match this.stage {
            Stage::Done => Poll::Ready(()),
            Stage::Waiting => this.poll_waiting(waker),
            Stage::Init => this.poll_init(waker),
        }
    }

    fn poll_waiting(&mut self, waker: Option<&Waker>) -> Poll<()> {
        // Fast path: a notifier published its verdict and is done with us.
        if self.waiter.notification() != NONE {
            self.stage = Stage::Done;
            return Poll::Ready(());
        }
        let list = self.notify.waiters.lock();
        if self.waiter.notification() != NONE {
            self.stage = Stage::Done;
            return Poll::Ready(());
        }
        // SAFETY: still linked (no verdict) and the lock is held.
        let old = waker.and_then(|w| unsafe { self.waiter.set_waker(w) });
        drop(list);
        // Outside the lock: its drop may notify this same `Notify`.
        drop(old);
        Poll::Pending
    }

    /// Only reached through [`poll_wait`](Self::poll_wait), that is with
    /// `self` pinned.
    fn poll_init(&mut self, waker: Option<&Waker>) -> Poll<()> {
        let notify: &Notify = &self.notify;
        // First try to consume a permit, or see a notify_waiters, lock-free.
        let cur = notify.state.load(SeqCst);
        if cur & !STATE_MASK != self.generation {
            self.stage = Stage::Done;
            return Poll::Ready(());
        }
        // The CAS is tried whatever state the load saw: a notifier storing
        // permits back to back often stores one in between, which is then
        // taken here rather than under the lock. (Checking for NOTIFIED
        // first made `sync_notify_one_10` ~1.4x slower; BENCHMARKS.md.)
        let generation = self.generation;
        if notify.state.compare_exchange(generation | NOTIFIED, generation, SeqCst, SeqCst).is_ok() {
            self.stage = Stage::Done;
            return Poll::Ready(());
        }

        // Cloned before locking: the clone is an atomic on the task's
        // header, and the lock is contended by every waiter and notifier.
        let waker = waker.cloned();
        // One more lock-free try: under a stream of notify_one calls the
        // permit is often back by now, and taking it here skips the lock
        // and unlock (two more RMWs on the contended line). When nobody is
        // notifying it costs one failed CAS on a line we already hold.
        if notify.state.compare_exchange(generation | NOTIFIED, generation, SeqCst, SeqCst).is_ok() {
            self.stage = Stage::Done;
            return Poll::Ready(());
        }
        let mut list = notify.waiters.lock();
        let mut cur = notify.state.load(SeqCst);
        loop {
            if cur & !STATE_MASK != self.generation {
                self.stage = Stage::Done;
                return Poll::Ready(());
            }
            let (new, ready) = match cur & STATE_MASK {
                NOTIFIED => (cur & !STATE_MASK, true),
                EMPTY => ((cur & !STATE_MASK) | WAITING, false),
                // WAITING, with or without a notifier's NOTIFIED: join the
                // queue; that notifier serves it under the lock.
                _ => break,
            };
            match notify.state.compare_exchange(cur, new, SeqCst, SeqCst) {
                Ok(_) if ready => {
                    self.stage = Stage::Done;
                    return Poll::Ready(());
                }
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }
        // SAFETY: `self` is pinned (we were reached through `Pin<&mut>`),
        // the node is not linked (stage Init), and `Drop` unlinks it before
        // the memory can go away.
        unsafe { list.push_back(NonNull::from(&self.waiter), waker) };
        self.stage = Stage::Waiting;
        Poll::Pending
    }
}

impl<N: Deref<Target = Notify>> Drop for Waiting<N> {
    fn drop(&mut self) {
        if self.stage != Stage::Waiting {
            return;
        }
        let notification = self.waiter.notification();
        if notification == ALL {
            return;
        }
        let notify: &Notify = &self.notify;
        let mut list = notify.waiters.lock();
        match self.waiter.notification() {
            NONE => {
                // SAFETY: no verdict, so still linked; the lock is held.
                unsafe { list.remove(NonNull::from(&self.waiter)) };
                if list.is_empty() && notify.state.load(SeqCst) & WAITING != 0 {
                    notify.clear_waiting();
                }
            }
            // Picked by notify_one or notify_last but never reported: pass
            // it on in the order the notifier asked for.
            ONE => notify.deliver(list, End::Front),
            LAST => notify.deliver(list, End::Back),
            _ => {}
        }
    }
}

/// Future returned by [`Notify::notified`].
///
/// Cancel-safe: dropping it after `notify_one` picked it hands the
/// notification to the next waiter (`notify_last`'s to the newest one
/// left), or stores it as the permit. It is `!Unpin` (it carries its own
/// queue node): pin it (`.await` does) before polling.
#[must_use = "futures do nothing unless polled"]
pub struct Notified<'a> {
    wait: Waiting<&'a Notify>,
}

/// Future returned by [`Notify::notified_owned`]: a [`Notified`] that
/// holds an `Arc` of its `Notify` instead of borrowing it, so it is
/// `'static` and can be moved into a spawned task. It behaves exactly like
/// `Notified` (same queue, same cancel-safety, `!Unpin`).
#[must_use = "futures do nothing unless polled"]
pub struct OwnedNotified {
    wait: Waiting<Arc<Notify>>,
}

impl Notify {
    /// A future that completes on the next notification meant for it.
    ///
    /// It already counts for [`notify_waiters`](Self::notify_waiters) calls
    /// made after this returns, even before it is first polled.
    #[inline(always)]
    pub fn notified(&self) -> Notified<'_> {
        Notified { wait: Waiting::new(self) }
    }

    /// Like [`notified`](Self::notified), but the future owns a reference
    /// to the `Notify` (an `Arc`), so it is `'static`: made before a task
    /// is spawned, it already counts for `notify_waiters` while the task is
    /// still queued.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use heddle::sync::Notify;
    ///
    /// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let notify = Arc::new(Notify::new());
    /// let waiters: Vec<_> = (0..3)
    ///     .map(|_| {
    ///         let notified = notify.clone().notified_owned();
    ///         heddle::spawn(async move { notified.await })
    ///     })
    ///     .collect();
    /// // None of the tasks has run yet, but each future already counts.
    /// notify.notify_waiters();
    /// for waiter in waiters {
    ///     waiter.await.unwrap();
    /// }
    /// # });
    /// ```
    pub fn notified_owned(self: Arc<Self>) -> OwnedNotified {
        OwnedNotified { wait: Waiting::new(self) }
    }
}

impl<'a> Notified<'a> {
    /// Queues this future as a waiter without polling it, so it is in
    /// line for `notify_one` from now on. Returns true if it is already
    /// notified.
    pub fn enable(self: Pin<&mut Self>) -> bool {
        self.wait().poll_wait(None).is_ready()
    }

    fn wait(self: Pin<&mut Self>) -> Pin<&mut Waiting<&'a Notify>> {
        // SAFETY: structural pinning of the only field; `Notified` has no
        // `Drop` of its own and never moves `wait` out.
        unsafe { self.map_unchecked_mut(|n| &mut n.wait) }
    }
}

impl OwnedNotified {
    /// Queues this future as a waiter without polling it; see
    /// [`Notified::enable`]. Returns true if it is already notified.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use heddle::sync::Notify;
    ///
    /// let notify = Arc::new(Notify::new());
    /// let mut notified = Box::pin(notify.clone().notified_owned());
    /// assert!(!notified.as_mut().enable());
    /// // Queued: this notification goes to it, not to a stored permit.
    /// notify.notify_one();
    /// assert!(notified.as_mut().enable());
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        self.wait().poll_wait(None).is_ready()
    }

    fn wait(self: Pin<&mut Self>) -> Pin<&mut Waiting<Arc<Notify>>> {
        // SAFETY: as for `Notified::wait`.
        unsafe { self.map_unchecked_mut(|n| &mut n.wait) }
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.wait().poll_wait(Some(cx.waker()))
    }
}

impl Future for OwnedNotified {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.wait().poll_wait(Some(cx.waker()))
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified").field("stage", &self.wait.stage).finish()
    }
}

impl fmt::Debug for OwnedNotified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedNotified").field("stage", &self.wait.stage).finish()
    }
}
