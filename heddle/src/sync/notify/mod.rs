//! `Notify`: wake one task, or all waiting tasks, without sending data.
//!
//! ```
//! use std::sync::Arc;
//! use heddle::sync::Notify;
//!
//! #[heddle::main(flavor = "current_thread")]
//! async fn main() {
//!     let notify = Arc::new(Notify::new());
//!     let n2 = notify.clone();
//!     let waiter = heddle::spawn(async move { n2.notified().await; "woken" });
//!     notify.notify_one();
//!     assert_eq!(waiter.await.unwrap(), "woken");
//! }
//! ```
//!
//! # Semantics
//!
//! * [`notify_one`](Notify::notify_one) wakes the longest-waiting
//!   [`Notified`]; with nobody waiting it stores **one** permit that the next
//!   `notified().await` consumes at once (permits do not accumulate).
//!   [`notify_last`](Notify::notify_last) is the same but wakes the most
//!   recent waiter.
//! * [`notify_waiters`](Notify::notify_waiters) completes every `Notified`
//!   that exists at the time of the call (polled or not) and stores nothing.
//! * Dropping a `Notified` that `notify_one` (or `notify_last`) chose,
//!   before it reported `Ready`, passes the notification on, so none is
//!   lost to cancellation: to the oldest remaining waiter for `notify_one`,
//!   to the newest for `notify_last`.
//!
//! # Design
//!
//! One atomic word `generation << 2 | STATE`, plus an intrusive queue of
//! waiters behind a mutex (`waiters.rs`: each parked `Notified` carries its
//! own list node, so waiting allocates nothing). `notify_waiters` bumps the
//! generation; a `Notified` remembers the generation it was created in and
//! completes once it differs. A queued `Notified` that has been notified
//! learns it from an atomic in its node, without the mutex.
//!
//! ```text
//!        notify_one (CAS, no lock)          notified() (CAS, no lock)
//!  EMPTY ───────────────────────▶ NOTIFIED ─────────────────────────▶ EMPTY
//!    │  ▲
//!    │  └── last waiter dequeued (under lock)
//!    └────▶ WAITING  ◀── a Notified enqueues (under lock)
//!           notify_one under lock: dequeue the front waiter, mark it chosen
//! ```
//!
//! A `Notified` moves `Init → Waiting → Done`; while `Waiting` its node's
//! verdict goes `NONE → ONE | LAST | ALL`. Dropped with verdict `ONE` or
//! `LAST` (chosen by `notify_one` or `notify_last` but never reported), it
//! passes the notification on in the same order: `ONE` to the oldest
//! remaining waiter, `LAST` to the newest (as tokio does).
//!
//! [`OwnedNotified`] (from [`notified_owned`](Notify::notified_owned)) is
//! the same future holding an `Arc<Notify>`; both wrap one implementation
//! (`notified.rs`).

mod notified;
mod waiters;

use std::fmt;
use std::task::Waker;

pub use self::notified::{Notified, OwnedNotified};
use self::waiters::{WaiterList, ALL, LAST, ONE};
use super::wait_list::WakeList;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::{HotMutex, HotMutexGuard};

const EMPTY: usize = 0;
const WAITING: usize = 1;
const NOTIFIED: usize = 2;
const STATE_MASK: usize = 0b11;
const GEN_ONE: usize = 0b100;

/// Notifies waiting tasks of an event. See the [`sync` module docs](crate::sync).
pub struct Notify {
    state: AtomicUsize,
    waiters: HotMutex<WaiterList>,
}

/// Which end of the queue a single notification goes to.
#[derive(Clone, Copy)]
pub(super) enum End {
    Front,
    Back,
}

impl Notify {
    /// A `Notify` with no stored permit.
    #[cfg(not(loom))]
    pub const fn new() -> Notify {
        Notify { state: AtomicUsize::new(EMPTY), waiters: HotMutex::new(WaiterList::new()) }
    }

    /// A `Notify` with no stored permit.
    #[cfg(loom)]
    pub fn new() -> Notify {
        Notify { state: AtomicUsize::new(EMPTY), waiters: HotMutex::new(WaiterList::new()) }
    }

    /// Same as [`new`](Self::new), usable in `static`s.
    #[cfg(not(loom))]
    pub const fn const_new() -> Notify {
        Notify::new()
    }

    /// Wakes the longest-waiting task, or stores a permit for the next
    /// [`notified`](Self::notified) if none waits.
    pub fn notify_one(&self) {
        self.notify_single(End::Front)
    }

    /// Wakes the most recently queued task, or stores a permit for the next
    /// [`notified`](Self::notified) if none waits.
    ///
    /// ```
    /// use heddle::sync::Notify;
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let notify = Notify::new();
    /// let mut first = Box::pin(notify.notified());
    /// let mut second = Box::pin(notify.notified());
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(first.as_mut().poll(&mut cx).is_pending());
    /// assert!(second.as_mut().poll(&mut cx).is_pending());
    /// notify.notify_last();
    /// assert!(second.as_mut().poll(&mut cx).is_ready());
    /// assert!(first.as_mut().poll(&mut cx).is_pending());
    /// # use std::future::Future;
    /// ```
    pub fn notify_last(&self) {
        self.notify_single(End::Back)
    }

    fn notify_single(&self, end: End) {
        let mut cur = self.state.load(SeqCst);
        loop {
            if cur & STATE_MASK != WAITING {
                match self.state.compare_exchange(cur, (cur & !STATE_MASK) | NOTIFIED, SeqCst, SeqCst) {
                    Ok(_) => return,
                    Err(actual) => {
                        cur = actual;
                        continue;
                    }
                }
            }
            let mut list = self.waiters.lock();
            // WAITING only changes under the lock; re-read now that we hold it.
            cur = self.state.load(SeqCst);
            if cur & STATE_MASK != WAITING {
                continue;
            }
            let waker = self.choose(&mut list, cur, end);
            drop(list);
            if let Some(w) = waker {
                w.wake();
            }
            return;
        }
    }

    /// Dequeues one waiter as chosen by `notify_one`/`notify_last`. The
    /// state is `WAITING` (so the list is not empty) and the lock is held.
    fn choose(&self, list: &mut WaiterList, cur: usize, end: End) -> Option<Waker> {
        let waker = match end {
            End::Front => list.pop_front(ONE),
            End::Back => list.pop_back(LAST),
        };
        let waker = waker.expect("WAITING with an empty queue");
        if list.is_empty() {
            // No lock-free writer touches a WAITING word, so a store is exact.
            self.state.store((cur & !STATE_MASK) | EMPTY, SeqCst);
        }
        waker
    }

    /// Wakes every task currently waiting (and every `Notified` created
    /// before this call). Stores no permit.
    pub fn notify_waiters(&self) {
        let mut cur = self.state.load(SeqCst);
        // Fast path: nobody queued. The CAS orders us against an enqueue
        // (EMPTY → WAITING), so a Notified either sees the new generation
        // or is in the queue when we look under the lock.
        while cur & STATE_MASK != WAITING {
            match self.state.compare_exchange(cur, cur.wrapping_add(GEN_ONE), SeqCst, SeqCst) {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
        let mut wakers = WakeList::new();
        {
            let mut list = self.waiters.lock();
            let cur = self.state.load(SeqCst);
            if cur & STATE_MASK == WAITING {
                while let Some(waker) = list.pop_front(ALL) {
                    if let Some(w) = waker {
                        wakers.push(w);
                    }
                }
                self.state.store((cur.wrapping_add(GEN_ONE) & !STATE_MASK) | EMPTY, SeqCst);
            } else {
                self.state.fetch_add(GEN_ONE, SeqCst);
            }
        }
        wakers.wake_all();
    }

    /// Passes on a notification that a dropped `Notified` received but
    /// never reported: to the waiter at `end` (the end its notifier chose
    /// from), or as the stored permit.
    fn forward(&self, mut list: HotMutexGuard<'_, WaiterList>, end: End) {
        let mut cur = self.state.load(SeqCst);
        loop {
            if cur & STATE_MASK == WAITING {
                let waker = self.choose(&mut list, cur, end);
                drop(list);
                if let Some(w) = waker {
                    w.wake();
                }
                return;
            }
            match self.state.compare_exchange(cur, (cur & !STATE_MASK) | NOTIFIED, SeqCst, SeqCst) {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }
}

impl Default for Notify {
    fn default() -> Self {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state.load(SeqCst) & STATE_MASK {
            EMPTY => "empty",
            WAITING => "waiting",
            _ => "notified",
        };
        f.debug_struct("Notify").field("state", &state).finish()
    }
}
