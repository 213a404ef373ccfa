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
//! One atomic word `generation << 2 | NOTIFIED | WAITING`, plus an
//! intrusive queue of waiters behind a mutex (`waiters.rs`: each parked
//! `Notified` carries its own list node, so waiting allocates nothing).
//! `notify_waiters` bumps the generation; a `Notified` remembers the
//! generation it was created in and completes once it differs. A queued
//! `Notified` that has been notified learns it from an atomic in its node,
//! without the mutex.
//!
//! `WAITING` (the queue is not empty) only changes under the lock.
//! `notify_one` sets `NOTIFIED` with one `fetch_or`, without reading the
//! word first: under a stream of notifications that is one cache-line
//! transfer per call instead of two (a load, then a CAS). If the old word
//! had `WAITING`, the bit it set means nothing and the notifier hands the
//! notification to a waiter under the lock; whoever empties the queue
//! clears both bits, and a notifier that then finds it empty stores the
//! permit instead.
//!
//! ```text
//!        notify_one (fetch_or, no lock)     notified() (CAS, no lock)
//!  EMPTY ───────────────────────▶ NOTIFIED ─────────────────────────▶ EMPTY
//!    │  ▲
//!    │  └── last waiter dequeued (under lock; clears NOTIFIED too)
//!    └────▶ WAITING (± NOTIFIED: a notifier on its way to the lock)
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
        // One RMW whatever the state: it is also what orders this call
        // before the `notified()` that takes the permit (that CAS reads
        // from it), as a load-only "already notified" check would not.
        if self.state.fetch_or(NOTIFIED, SeqCst) & WAITING == 0 {
            return;
        }
        // WAITING only changes under the lock, so this looks again there:
        // if the queue emptied meanwhile (which cleared NOTIFIED too), the
        // notification becomes the permit.
        self.deliver(self.waiters.lock(), end);
    }

    /// Dequeues one waiter as chosen by `notify_one`/`notify_last`. The
    /// state is `WAITING` (so the list is not empty) and the lock is held.
    fn choose(&self, list: &mut WaiterList, end: End) -> Option<Waker> {
        let waker = match end {
            End::Front => list.pop_front(ONE),
            End::Back => list.pop_back(LAST),
        };
        let waker = waker.expect("WAITING with an empty queue");
        if list.is_empty() {
            self.clear_waiting();
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
        while cur & WAITING == 0 {
            match self.state.compare_exchange(cur, cur.wrapping_add(GEN_ONE), SeqCst, SeqCst) {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
        let mut wakers = WakeList::new();
        {
            let mut list = self.waiters.lock();
            if self.state.load(SeqCst) & WAITING != 0 {
                while let Some(waker) = list.pop_front(ALL) {
                    if let Some(w) = waker {
                        wakers.push(w);
                    }
                }
                self.clear_waiting();
            }
            // Still under the lock, so no Notified can queue in between
            // with the old generation.
            self.state.fetch_add(GEN_ONE, SeqCst);
        }
        wakers.wake_all();
    }

    /// The queue has just been emptied (the lock is held): clears WAITING,
    /// and any NOTIFIED that notifiers set on the WAITING word. Each of
    /// those notifiers comes to the lock next, finds WAITING clear and
    /// stores the permit itself.
    ///
    /// An RMW rather than a plain store of the value read under the lock:
    /// the two are equivalent in the memory model, but loom can place a
    /// store between the read and the write of a concurrent `fetch_or`
    /// (tokio-rs/loom#254), and then reports failures the hardware cannot
    /// produce.
    pub(super) fn clear_waiting(&self) {
        self.state.fetch_and(!STATE_MASK, SeqCst);
    }

    /// Delivers one notification, the lock held: to the waiter at `end`
    /// of the queue, or as the stored permit if the queue is empty. Used by
    /// `notify_one`/`notify_last` when they found WAITING, and by a dropped
    /// `Notified` passing on a notification it received but never reported.
    fn deliver(&self, mut list: HotMutexGuard<'_, WaiterList>, end: End) {
        // WAITING cannot change while we hold the lock.
        let cur = self.state.load(SeqCst);
        if cur & WAITING == 0 {
            self.state.fetch_or(NOTIFIED, SeqCst);
            return;
        }
        let waker = self.choose(&mut list, end);
        drop(list);
        if let Some(w) = waker {
            w.wake();
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
        let cur = self.state.load(SeqCst);
        let state = if cur & WAITING != 0 {
            "waiting"
        } else if cur & NOTIFIED != 0 {
            "notified"
        } else {
            "empty"
        };
        f.debug_struct("Notify").field("state", &state).finish()
    }
}
