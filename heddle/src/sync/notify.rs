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
//! * [`notify_waiters`](Notify::notify_waiters) completes every `Notified`
//!   that exists at the time of the call (polled or not) and stores nothing.
//! * Dropping a `Notified` that `notify_one` chose, before it reported
//!   `Ready`, passes the notification on, so none is lost to cancellation.
//!
//! # Design
//!
//! One atomic word `generation << 2 | STATE`, plus the waiter queue behind a
//! mutex. `notify_waiters` bumps the generation; a `Notified` remembers the
//! generation it was created in and completes once it differs.
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
//! A queued `Notified` moves `WAITING → CHOSEN(one|all) → done`; dropped
//! while `CHOSEN(one)`, it re-runs `notify_one`'s locked path for it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::lock;
use super::wait_list::{WaitList, WakeList};
use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::Mutex;

const EMPTY: usize = 0;
const WAITING: usize = 1;
const NOTIFIED: usize = 2;
const STATE_MASK: usize = 0b11;
const GEN_ONE: usize = 0b100;

/// Notifies waiting tasks of an event. See the [`sync` module docs](crate::sync).
pub struct Notify {
    state: AtomicUsize,
    waiters: Mutex<WaitList<Waiter>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Chosen {
    /// Still queued.
    No,
    /// Picked by `notify_one`: must be passed on if dropped unobserved.
    One,
    /// Released by `notify_waiters`.
    All,
}

struct Waiter {
    waker: Option<Waker>,
    chosen: Chosen,
}

impl Notify {
    /// A `Notify` with no stored permit.
    #[cfg(not(loom))]
    pub const fn new() -> Notify {
        Notify { state: AtomicUsize::new(EMPTY), waiters: Mutex::new(WaitList::new()) }
    }

    /// A `Notify` with no stored permit.
    #[cfg(loom)]
    pub fn new() -> Notify {
        Notify { state: AtomicUsize::new(EMPTY), waiters: Mutex::new(WaitList::new()) }
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
        Notified { notify: self, generation, key: None, done: false }
    }

    /// Wakes the longest-waiting task, or stores a permit for the next
    /// [`notified`](Self::notified) if none waits.
    pub fn notify_one(&self) {
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
            let mut list = lock(&self.waiters);
            // WAITING only changes under the lock; re-read now that we hold it.
            cur = self.state.load(SeqCst);
            if cur & STATE_MASK != WAITING {
                continue;
            }
            let waker = self.choose_front(&mut list, cur);
            drop(list);
            if let Some(w) = waker {
                w.wake();
            }
            return;
        }
    }

    /// Dequeues the front waiter as chosen by `notify_one`. The state is
    /// `WAITING` (so the list is not empty) and the lock is held.
    fn choose_front(&self, list: &mut WaitList<Waiter>, cur: usize) -> Option<Waker> {
        let key = list.pop_front().expect("WAITING with an empty queue");
        let waiter = list.get_mut(key);
        waiter.chosen = Chosen::One;
        let waker = waiter.waker.take();
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
            let mut list = lock(&self.waiters);
            let cur = self.state.load(SeqCst);
            if cur & STATE_MASK == WAITING {
                while let Some(key) = list.pop_front() {
                    let waiter = list.get_mut(key);
                    waiter.chosen = Chosen::All;
                    if let Some(w) = waiter.waker.take() {
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

/// Future returned by [`Notify::notified`].
///
/// Cancel-safe: dropping it after `notify_one` picked it hands the
/// notification to the next waiter (or stores it as the permit).
#[must_use = "futures do nothing unless polled"]
pub struct Notified<'a> {
    notify: &'a Notify,
    generation: usize,
    key: Option<usize>,
    done: bool,
}

impl Notified<'_> {
    /// Queues this future as a waiter without polling it, so it is in
    /// line for `notify_one` from now on. Returns true if it is already
    /// notified.
    pub fn enable(self: Pin<&mut Self>) -> bool {
        self.get_mut().poll_inner(None).is_ready()
    }

    fn poll_inner(&mut self, waker: Option<&Waker>) -> Poll<()> {
        if self.done {
            return Poll::Ready(());
        }
        let notify = self.notify;
        if let Some(key) = self.key {
            let mut list = lock(&notify.waiters);
            let waiter = list.get_mut(key);
            if waiter.chosen == Chosen::No {
                if let Some(new) = waker {
                    match &waiter.waker {
                        Some(old) if old.will_wake(new) => {}
                        _ => waiter.waker = Some(new.clone()),
                    }
                }
                return Poll::Pending;
            }
            list.remove(key);
            self.key = None;
            self.done = true;
            return Poll::Ready(());
        }

        // First poll: try to consume a permit without the lock.
        let mut cur = notify.state.load(SeqCst);
        loop {
            if cur & !STATE_MASK != self.generation {
                self.done = true;
                return Poll::Ready(());
            }
            if cur & STATE_MASK != NOTIFIED {
                break;
            }
            match notify.state.compare_exchange(cur, cur & !STATE_MASK, SeqCst, SeqCst) {
                Ok(_) => {
                    self.done = true;
                    return Poll::Ready(());
                }
                Err(actual) => cur = actual,
            }
        }

        let mut list = lock(&notify.waiters);
        let mut cur = notify.state.load(SeqCst);
        loop {
            if cur & !STATE_MASK != self.generation {
                self.done = true;
                return Poll::Ready(());
            }
            let (new, ready) = match cur & STATE_MASK {
                NOTIFIED => (cur & !STATE_MASK, true),
                EMPTY => ((cur & !STATE_MASK) | WAITING, false),
                _ => break,
            };
            match notify.state.compare_exchange(cur, new, SeqCst, SeqCst) {
                Ok(_) if ready => {
                    self.done = true;
                    return Poll::Ready(());
                }
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }
        self.key = Some(list.push_back(Waiter { waker: waker.cloned(), chosen: Chosen::No }));
        Poll::Pending
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.get_mut().poll_inner(Some(cx.waker()))
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let notify = self.notify;
        let mut list = lock(&notify.waiters);
        let waiter = list.remove(key);
        let cur = notify.state.load(SeqCst);
        if cur & STATE_MASK == WAITING && list.is_empty() {
            notify.state.store(cur & !STATE_MASK, SeqCst);
        }
        if waiter.chosen != Chosen::One {
            return;
        }
        // We were picked by notify_one but never reported it: pass it on.
        let mut cur = notify.state.load(SeqCst);
        loop {
            if cur & STATE_MASK == WAITING {
                let waker = notify.choose_front(&mut list, cur);
                drop(list);
                if let Some(w) = waker {
                    w.wake();
                }
                return;
            }
            match notify.state.compare_exchange(cur, (cur & !STATE_MASK) | NOTIFIED, SeqCst, SeqCst) {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified").field("queued", &self.key.is_some()).field("done", &self.done).finish()
    }
}
