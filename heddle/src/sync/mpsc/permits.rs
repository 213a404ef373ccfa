//! The capacity of a bounded channel: a fair counting semaphore, tuned for
//! one permit per acquire (whose fast paths are a single atomic
//! read-modify-write each) but able to take `n` at once for
//! `reserve_many`.
//!
//! One word holds `(BIAS + free) << 2 | WAITERS | CLOSED`. The bias lets the
//! free count dip below zero for a moment, so taking a permit is one
//! `fetch_sub` (no load-and-CAS loop): the returned value says whether a
//! permit was really there; if not, the taker adds its unit back and goes
//! to the slow path. Giving permits back is one `fetch_add`.
//!
//! Waiting senders queue (FIFO) in a mutex-protected [`WaitList`]. While
//! `WAITERS` is set, the fast path refuses to take permits (nobody jumps
//! the queue), and every `fetch_add` that sees `WAITERS` runs a *hand-off*
//! under the lock, which moves free permits to the queue's front waiters.
//! So a permit added while someone waits is always handed on: either the
//! adder saw `WAITERS` and hands off, or it did not, and then whoever sets
//! `WAITERS` (under the lock) first re-checks the free count.
//!
//! Multi-permit acquires (`n > 1`) never overdraw: with `n` up to the
//! capacity, concurrent overdraws could exhaust the bias. They take with a
//! CAS that checks the free count first. A queued waiter records how many
//! permits it needs, and the hand-off grants the front waiter all of them
//! at once or nothing (the permits stay in the word meanwhile), so a
//! request for `n` is all-or-nothing and strict FIFO: a small request
//! queued behind a large one waits for it.
//!
//! Once closed (by the receiver), no acquire completes, but permits already
//! out may still be used or given back, and the receiver waits for all of
//! them (the channel is *idle* when every permit is free again): the add
//! that makes a closed channel idle wakes [`Permits::register_idle`]'s
//! waker.
//!
//! The task's coop budget is checked after the permits are taken (as
//! tokio does), so a task out of budget keeps its place in the queue.
//!
//! ```text
//!  acquire: fetch_sub ─ok─▶ done
//!              └─no permit / WAITERS / CLOSED: fetch_add back, then under the lock:
//!                 take a permit (CAS) if free and WAITERS clear, else set WAITERS and queue
//!  acquire(n > 1): CAS (free >= n, no WAITERS) ─ok─▶ done, else the same slow path
//!
//!  waiter:  QUEUED ──hand-off (granted)──▶ GRANTED ──poll──▶ Ok
//!             │                              └──poll, closed since──▶ Err (permits given back)
//!             └──────close──────────────▶ REFUSED ──poll──▶ Err
//!           dropped while GRANTED: the permit is given back
//!  future:  permits taken but out of budget: HELD ──next poll──▶ Ok (Err if closed since)
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::Mutex;
use crate::runtime::coop;
use crate::sync::semaphore::TryAcquireError;
use crate::sync::wait_list::{WaitList, WakeList};
use crate::sync::{lock, LockGuard};
use crate::util::atomic_waker::AtomicWaker;

const CLOSED: usize = 0b01;
const WAITERS: usize = 0b10;
const SHIFT: u32 = 2;
/// One permit in the state word.
const ONE: usize = 1 << SHIFT;
/// Offset of the free count, so that brief overdraws stay positive; with
/// up to `BIAS - 1` free permits the word keeps its top bit clear.
const BIAS: usize = 1 << (usize::BITS - 3);

/// The most permits a channel can have: `usize::MAX >> 3`, the same as
/// [`Semaphore::MAX_PERMITS`](crate::sync::Semaphore::MAX_PERMITS).
pub(super) const MAX_PERMITS: usize = BIAS - 1;

/// Free permits in a state word (negative while takers overdraw).
fn free(state: usize) -> isize {
    (state >> SHIFT) as isize - BIAS as isize
}

/// The capacity semaphore of a bounded channel.
pub(crate) struct Permits {
    state: AtomicUsize,
    waiters: Mutex<WaitList<Waiter>>,
    /// The capacity: free permits when the channel is idle.
    bound: usize,
    /// The receiver, waiting on a closed channel for the last permits to
    /// come back; woken by the add that makes it idle.
    idle: AtomicWaker,
}

struct Waiter {
    waker: Option<Waker>,
    /// Permits this waiter takes, all at once.
    needed: usize,
    /// Set by a hand-off when it dequeues the waiter with a permit.
    granted: bool,
}

/// The channel was closed while (or before) waiting for a permit.
#[derive(Debug)]
pub(crate) struct Closed;

impl Permits {
    /// `n` free permits.
    pub(crate) fn new(n: usize) -> Self {
        assert!(n <= MAX_PERMITS, "mpsc bounded channel capacity too large");
        Permits {
            state: AtomicUsize::new((BIAS + n) << SHIFT),
            waiters: Mutex::new(WaitList::new()),
            bound: n,
            idle: AtomicWaker::new(),
        }
    }

    /// True once [`close`](Self::close) was called.
    pub(crate) fn is_closed(&self) -> bool {
        self.state.load(Acquire) & CLOSED != 0
    }

    /// True if every permit is free: no message queued, none reserved.
    /// (A taker overdrawing for an instant makes this false; its
    /// give-back then wakes the idle waker.)
    pub(crate) fn is_idle(&self) -> bool {
        free(self.state.load(Acquire)) == self.bound as isize
    }

    /// Stores the receiver's waker, woken when a closed channel becomes
    /// idle; the caller re-checks [`is_idle`](Self::is_idle) after this.
    pub(crate) fn register_idle(&self, waker: &std::task::Waker) {
        // No fence needed: `register` and the adder's `wake` are both
        // read-modify-writes of the waker's state, so either that wake sees
        // this waker, or this registration synchronizes with the wake, and
        // the re-check then sees the add that preceded it.
        self.idle.register(waker);
    }

    /// Drops the idle waker (the receiver is going away).
    pub(crate) fn clear_idle(&self) {
        drop(self.idle.take_as_registrar());
    }

    /// Free permits right now.
    pub(crate) fn available(&self) -> usize {
        free(self.state.load(Acquire)).max(0) as usize
    }

    /// The fast path: one `fetch_sub`. On failure the unit is added back
    /// and the state seen is returned.
    #[inline]
    fn take_fast(&self) -> Result<(), usize> {
        let prev = self.state.fetch_sub(ONE, Acquire);
        if prev & (WAITERS | CLOSED) == 0 && free(prev) >= 1 {
            return Ok(());
        }
        self.add(1);
        Err(prev)
    }

    /// Takes `n` permits if that many are free and nobody waits; all or
    /// nothing. `n == 0` succeeds unless closed.
    pub(crate) fn try_acquire(&self, n: usize) -> Result<(), TryAcquireError> {
        if n == 1 {
            let Err(seen) = self.take_fast() else { return Ok(()) };
            if seen & CLOSED != 0 {
                return Err(TryAcquireError::Closed);
            }
            if seen & WAITERS != 0 {
                return Err(TryAcquireError::NoPermits);
            }
            // No permit was there, perhaps only because another taker was
            // overdrawing at that instant: decide with the exact CAS loop.
        }
        self.take_cas(n)
    }

    /// Takes `n` permits with an exact CAS loop (never overdraws): fails if
    /// closed, if anyone waits, or if fewer than `n` are free.
    fn take_cas(&self, n: usize) -> Result<(), TryAcquireError> {
        debug_assert!(n <= MAX_PERMITS);
        let mut cur = self.state.load(Acquire);
        loop {
            if cur & CLOSED != 0 {
                return Err(TryAcquireError::Closed);
            }
            if n == 0 {
                return Ok(());
            }
            if cur & WAITERS != 0 || free(cur) < n as isize {
                return Err(TryAcquireError::NoPermits);
            }
            match self.state.compare_exchange_weak(cur, cur - n * ONE, Acquire, Acquire) {
                Ok(_) => return Ok(()),
                Err(actual) => cur = actual,
            }
        }
    }

    /// A future that takes `n` permits at once, waiting in FIFO order.
    /// The caller keeps `n` within the channel's capacity.
    pub(crate) fn acquire(&self, n: usize) -> Acquire<'_> {
        debug_assert!(n <= MAX_PERMITS);
        Acquire { permits: self, key: None, n, held: false }
    }

    /// Gives `n` permits back, handing them to waiters if any.
    #[inline]
    pub(crate) fn release(&self, n: usize) {
        if n > 0 {
            self.add(n);
        }
    }

    fn add(&self, n: usize) {
        let prev = self.state.fetch_add(n * ONE, AcqRel);
        debug_assert!(free(prev) + (n as isize) <= MAX_PERMITS as isize);
        if prev & CLOSED != 0 && free(prev) + n as isize == self.bound as isize {
            // The last permit out came back to a closed channel: the
            // receiver waiting for it can end the stream.
            self.idle.wake();
        }
        // With the count still not positive (takers overdrawing) there is
        // nothing to hand on; their own adds will see `WAITERS`.
        if prev & WAITERS != 0 && free(prev) + n as isize >= 1 {
            self.hand_off(lock(&self.waiters));
        }
    }

    /// Moves free permits to the front waiters, each getting all it needs
    /// or nothing (and then those behind it wait too); clears `WAITERS`
    /// once the queue is empty. Takes the lock guard and wakes after
    /// dropping it.
    fn hand_off(&self, mut list: LockGuard<'_, WaitList<Waiter>>) {
        let mut wakers = WakeList::new();
        while let Some(key) = list.front() {
            if !self.take_exact(list.get_mut(key).needed) {
                break;
            }
            let waiter = list.get_mut(key);
            waiter.granted = true;
            if let Some(w) = waiter.waker.take() {
                wakers.push(w);
            }
            list.unlink(key);
        }
        if list.is_empty() {
            self.state.fetch_and(!WAITERS, AcqRel);
        }
        drop(list);
        wakers.wake_all();
    }

    /// Takes `n` permits if the word holds that many, ignoring `WAITERS`
    /// (for the hand-off, which serves the queue).
    fn take_exact(&self, n: usize) -> bool {
        let mut cur = self.state.load(Acquire);
        loop {
            if cur & CLOSED != 0 || free(cur) < n as isize {
                return false;
            }
            match self.state.compare_exchange_weak(cur, cur - n * ONE, AcqRel, Acquire) {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Closes: waiting and later acquires fail. Permits already taken may
    /// still be used or released. Returns false if already closed.
    pub(crate) fn close(&self) -> bool {
        let prev = self.state.fetch_or(CLOSED, AcqRel);
        if prev & CLOSED != 0 {
            return false;
        }
        if prev & WAITERS == 0 {
            // Nobody queued, and nobody can queue from now on: a waiter
            // sets `WAITERS` with a CAS that fails on `CLOSED`, so one that
            // queued before this RMW left `WAITERS` for it to see. Skipping
            // the lock keeps dropping an unused channel cheap.
            return true;
        }
        let mut wakers = WakeList::new();
        {
            let mut list = lock(&self.waiters);
            while let Some(key) = list.pop_front() {
                if let Some(w) = list.get_mut(key).waker.take() {
                    wakers.push(w);
                }
            }
            self.state.fetch_and(!WAITERS, AcqRel);
        }
        wakers.wake_all();
        true
    }
}

/// Future of [`Permits::acquire`]. Dropping it gives back the permits it
/// was granted but had not returned yet.
pub(crate) struct Acquire<'a> {
    permits: &'a Permits,
    key: Option<usize>,
    /// Permits to take.
    n: usize,
    /// The `n` permits are taken but not yet handed over (the budget ran
    /// out): the next poll hands them over, `Drop` gives them back.
    held: bool,
}

impl Acquire<'_> {
    fn poll_acquire(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        let permits = self.permits;
        let n = self.n;
        let Some(key) = self.key else {
            let fast = if n == 1 {
                permits.take_fast().map_err(|seen| seen & CLOSED != 0)
            } else {
                permits.take_cas(n).map_err(|e| matches!(e, TryAcquireError::Closed))
            };
            match fast {
                Ok(()) => return Poll::Ready(Ok(())),
                Err(true) => return Poll::Ready(Err(Closed)),
                Err(false) => {}
            }
            let mut list = lock(&permits.waiters);
            let mut cur = permits.state.load(Acquire);
            loop {
                if cur & CLOSED != 0 {
                    return Poll::Ready(Err(Closed));
                }
                let (new, took) = if cur & WAITERS == 0 && free(cur) >= n as isize {
                    (cur - n * ONE, true)
                } else {
                    (cur | WAITERS, false)
                };
                match permits.state.compare_exchange_weak(cur, new, AcqRel, Acquire) {
                    Ok(_) if took => return Poll::Ready(Ok(())),
                    Ok(_) => break,
                    Err(actual) => cur = actual,
                }
            }
            self.key = Some(list.push_back(Waiter { waker: Some(cx.waker().clone()), needed: n, granted: false }));
            return Poll::Pending;
        };
        let mut list = lock(&permits.waiters);
        if list.is_linked(key) {
            let waiter = list.get_mut(key);
            let old = match &waiter.waker {
                Some(w) if w.will_wake(cx.waker()) => None,
                _ => waiter.waker.replace(cx.waker().clone()),
            };
            // The replaced waker is dropped outside the lock: its drop may
            // use this same semaphore.
            drop(list);
            drop(old);
            return Poll::Pending;
        }
        self.key = None;
        if !list.remove(key).granted {
            return Poll::Ready(Err(Closed));
        }
        drop(list);
        if permits.is_closed() {
            // Granted, but the channel closed before this poll reported it:
            // refused (as tokio does), and the permits go back, which may
            // leave the closed channel idle and wake its receiver.
            permits.release(n);
            return Poll::Ready(Err(Closed));
        }
        Poll::Ready(Ok(()))
    }
}

impl Future for Acquire<'_> {
    type Output = Result<(), Closed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.held {
            if this.permits.is_closed() {
                this.held = false;
                this.permits.release(this.n);
                return Poll::Ready(Err(Closed));
            }
        } else {
            std::task::ready!(this.poll_acquire(cx))?;
            this.held = true;
        }
        // Taken (or kept our place in the queue) before the budget check,
        // so running out of budget never costs the task its turn.
        let coop = std::task::ready!(coop::poll_proceed(cx));
        coop.made_progress();
        this.held = false;
        Poll::Ready(Ok(()))
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if self.held {
            self.permits.release(self.n);
            return;
        }
        let Some(key) = self.key else { return };
        let mut list = lock(&self.permits.waiters);
        // Kept until the end: its waker (if still there) is dropped
        // outside the lock.
        let waiter = list.remove(key);
        if waiter.granted {
            drop(list);
            self.permits.release(self.n);
        } else {
            // Leaving the queue may unblock it: if this was the front waiter
            // (waiting for more than was free), the next may need fewer; if
            // it was the only one, the fast path may take permits again.
            // The hand-off serves the queue or clears `WAITERS`.
            self.permits.hand_off(list);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    use std::task::{Context, Poll};

    use futures::task::noop_waker_ref;

    use crate::sync::mpsc::{self, error::TryRecvError};

    /// The largest capacity works, and releasing up to it does not
    /// overflow the word.
    #[test]
    fn largest_capacity() {
        let max = crate::sync::Semaphore::MAX_PERMITS;
        let (tx, mut rx) = mpsc::channel::<u8>(max);
        assert_eq!(tx.capacity(), max);
        tx.try_send(1).unwrap();
        assert_eq!(tx.capacity(), max - 1);
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(tx.capacity(), max);
    }

    /// Senders on several threads poll `send` futures by hand, cancelling
    /// some while they wait; the receiver drains on another thread. Every
    /// completed send is received once, and no permit leaks or doubles.
    #[test]
    fn threads_with_cancelled_waiters() {
        const CAP: usize = 3;
        const SENDERS: usize = 4;
        const PER: usize = 3_000;
        let (tx, mut rx) = mpsc::channel::<usize>(CAP);
        let sent = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..SENDERS)
            .map(|s| {
                let (tx, sent) = (tx.clone(), sent.clone());
                std::thread::spawn(move || {
                    let mut cx = Context::from_waker(noop_waker_ref());
                    for i in 0..PER {
                        let mut fut = pin!(tx.send(i));
                        let mut polls = 0;
                        loop {
                            match fut.as_mut().poll(&mut cx) {
                                Poll::Ready(res) => {
                                    res.unwrap();
                                    sent.fetch_add(1, SeqCst);
                                    break;
                                }
                                // Give up on some waiting sends (cancel).
                                Poll::Pending if (i + s) % 3 == 0 && polls > 2 => break,
                                Poll::Pending => {
                                    polls += 1;
                                    std::thread::yield_now();
                                }
                            }
                        }
                        if i % 7 == 0 {
                            let _ = tx.try_send(usize::MAX).map(|()| sent.fetch_add(1, SeqCst));
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        let mut received = 0;
        loop {
            match rx.try_recv() {
                Ok(_) => received += 1,
                Err(TryRecvError::Empty) => std::thread::yield_now(),
                Err(TryRecvError::Disconnected) => break,
            }
        }
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(received, sent.load(SeqCst));
        assert_eq!(rx.capacity(), CAP);
    }
}
