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
//! * Dropping a `Notified` that `notify_one` chose, before it reported
//!   `Ready`, passes the notification on, so none is lost to cancellation.
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
//! verdict goes `NONE → ONE | ALL`. Dropped with verdict `ONE` (chosen by
//! `notify_one`/`notify_last` but never reported), it passes the
//! notification on.

mod waiters;

use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use self::waiters::{Waiter, WaiterList, ALL, NONE, ONE};
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
enum End {
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

    /// A future that completes on the next notification meant for it.
    ///
    /// It already counts for [`notify_waiters`](Self::notify_waiters) calls
    /// made after this returns, even before it is first polled.
    pub fn notified(&self) -> Notified<'_> {
        let generation = self.state.load(SeqCst) & !STATE_MASK;
        Notified { notify: self, generation, stage: Stage::Init, waiter: Waiter::new(), _pinned: PhantomPinned }
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
            End::Back => list.pop_back(ONE),
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
    /// never reported: to the next waiter, or as the stored permit.
    fn forward(&self, mut list: HotMutexGuard<'_, WaiterList>) {
        let mut cur = self.state.load(SeqCst);
        loop {
            if cur & STATE_MASK == WAITING {
                let waker = self.choose(&mut list, cur, End::Front);
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

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    /// Not queued yet.
    Init,
    /// Queued: `waiter` is (or was, until a notifier took it) in the list.
    Waiting,
    /// Completed; nothing left to clean up.
    Done,
}

/// Future returned by [`Notify::notified`].
///
/// Cancel-safe: dropping it after `notify_one` picked it hands the
/// notification to the next waiter (or stores it as the permit). It is
/// `!Unpin` (it carries its own queue node): pin it (`.await` does) before
/// polling.
#[must_use = "futures do nothing unless polled"]
pub struct Notified<'a> {
    notify: &'a Notify,
    generation: usize,
    stage: Stage,
    waiter: Waiter,
    _pinned: PhantomPinned,
}

// SAFETY: the node's raw links are only followed with the Notify's mutex
// held, and its waker is `Send + Sync`; the rest is plain data and a shared
// reference to a `Sync` Notify.
unsafe impl Send for Notified<'_> {}
// SAFETY: as above; `&Notified` exposes no method that touches the node.
unsafe impl Sync for Notified<'_> {}

impl Notified<'_> {
    /// Queues this future as a waiter without polling it, so it is in
    /// line for `notify_one` from now on. Returns true if it is already
    /// notified.
    pub fn enable(self: Pin<&mut Self>) -> bool {
        self.poll_inner(None).is_ready()
    }

    fn poll_inner(self: Pin<&mut Self>, waker: Option<&Waker>) -> Poll<()> {
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
        let _list = self.notify.waiters.lock();
        if self.waiter.notification() != NONE {
            self.stage = Stage::Done;
            return Poll::Ready(());
        }
        if let Some(w) = waker {
            // SAFETY: still linked (no verdict) and the lock is held.
            unsafe { self.waiter.set_waker(w) };
        }
        Poll::Pending
    }

    fn poll_init(&mut self, waker: Option<&Waker>) -> Poll<()> {
        let notify = self.notify;
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

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.poll_inner(Some(cx.waker()))
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        if self.stage != Stage::Waiting {
            return;
        }
        let notification = self.waiter.notification();
        if notification == ALL {
            return;
        }
        let notify = self.notify;
        let mut list = notify.waiters.lock();
        match self.waiter.notification() {
            NONE => {
                // SAFETY: no verdict, so still linked; the lock is held.
                unsafe { list.remove(NonNull::from(&self.waiter)) };
                let cur = notify.state.load(SeqCst);
                if cur & STATE_MASK == WAITING && list.is_empty() {
                    notify.state.store(cur & !STATE_MASK, SeqCst);
                }
            }
            // Picked by notify_one/notify_last but never reported: pass it on.
            ONE => notify.forward(list),
            _ => {}
        }
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified").field("stage", &self.stage).finish()
    }
}
