//! A fair counting semaphore.
//!
//! [`Semaphore`] hands out permits in strict FIFO order: a task asking for
//! more permits than are free waits, and nobody behind it in the queue is
//! served first, even if they want fewer. It is also the engine of
//! [`Mutex`](super::Mutex) and [`RwLock`](super::RwLock).
//!
//! ```
//! use std::sync::Arc;
//! use heddle::sync::Semaphore;
//!
//! #[heddle::main(flavor = "current_thread")]
//! async fn main() {
//!     let sem = Arc::new(Semaphore::new(2));
//!     let a = sem.acquire().await.unwrap();
//!     let b = sem.clone().acquire_owned().await.unwrap();
//!     assert!(sem.try_acquire().is_err());
//!     drop(a);
//!     assert_eq!(sem.available_permits(), 1);
//!     drop(b);
//!     assert_eq!(sem.available_permits(), 2);
//! }
//! ```
//!
//! # Design
//!
//! One atomic word holds `free permits << 2 | WAITERS | CLOSED`; waiters
//! sit in a mutex-protected [`WaitList`]. The invariant that makes the fast
//! paths lock-free: **while `WAITERS` is set the word holds no free
//! permits** — every released permit is handed to the queue's front.
//!
//! ```text
//!  try_acquire:   CAS free -= n                         (no lock)
//!  release:       WAITERS clear → CAS free += n         (no lock)
//!                 WAITERS set   → lock, give permits to the front waiters
//!                                 in order; if the queue empties, clear
//!                                 WAITERS and put the rest in the word
//!  acquire (slow): lock, take all free permits as a partial grant,
//!                 set WAITERS, enqueue needing the remainder
//!
//!  waiter:  QUEUED ──(fully granted, unlinked)──▶ GRANTED ──poll──▶ Ok
//!             │  │                                  └─closed since─▶ Err (grant given back)
//!             │  └────(close: unlinked, short)──▶ CLOSED  ──poll──▶ Err
//!             └─ drop at any point: dequeue, give back the partial grant
//!
//!  budget: checked after the permits are taken; out of budget, the
//!          future keeps them (HELD) and hands them over on its next poll
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use super::lock;
use super::wait_list::{WaitList, WakeList};
use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::Mutex;
use crate::runtime::coop;

const CLOSED: usize = 0b01;
const WAITERS: usize = 0b10;
const SHIFT: usize = 2;

/// A counting semaphore with fair (FIFO) acquisition.
pub struct Semaphore {
    state: AtomicUsize,
    waiters: Mutex<WaitList<Waiter>>,
}

struct Waiter {
    /// Permits still missing; 0 once fully granted.
    needed: usize,
    waker: Option<Waker>,
}

/// The semaphore was closed while (or before) waiting for permits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcquireError(());

/// Why a `try_acquire*` call got no permits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore has been closed.
    Closed,
    /// Not enough permits are free right now.
    NoPermits,
}

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("semaphore closed")
    }
}
impl std::error::Error for AcquireError {}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::Closed => f.write_str("semaphore closed"),
            TryAcquireError::NoPermits => f.write_str("no permits available"),
        }
    }
}
impl std::error::Error for TryAcquireError {}

impl Semaphore {
    /// The largest number of permits a semaphore can hold.
    pub const MAX_PERMITS: usize = usize::MAX >> 3;

    /// A semaphore with `permits` free permits.
    ///
    /// # Panics
    /// If `permits` exceeds [`MAX_PERMITS`](Self::MAX_PERMITS).
    #[cfg(not(loom))]
    pub const fn new(permits: usize) -> Self {
        assert!(permits <= Self::MAX_PERMITS, "a semaphore may not have more than MAX_PERMITS permits");
        Semaphore { state: AtomicUsize::new(permits << SHIFT), waiters: Mutex::new(WaitList::new()) }
    }

    /// A semaphore with `permits` free permits.
    #[cfg(loom)]
    pub fn new(permits: usize) -> Self {
        assert!(permits <= Self::MAX_PERMITS, "a semaphore may not have more than MAX_PERMITS permits");
        Semaphore { state: AtomicUsize::new(permits << SHIFT), waiters: Mutex::new(WaitList::new()) }
    }

    /// Same as [`new`](Self::new), usable in `static`s.
    #[cfg(not(loom))]
    pub const fn const_new(permits: usize) -> Self {
        Self::new(permits)
    }

    /// The number of permits free right now.
    pub fn available_permits(&self) -> usize {
        self.state.load(Acquire) >> SHIFT
    }

    /// Adds `n` permits, waking waiters they satisfy (in queue order).
    ///
    /// # Panics
    /// If the total would exceed [`MAX_PERMITS`](Self::MAX_PERMITS).
    pub fn add_permits(&self, n: usize) {
        self.release(n);
    }

    /// Removes up to `n` free permits and returns how many were removed.
    pub fn forget_permits(&self, n: usize) -> usize {
        let mut cur = self.state.load(Acquire);
        loop {
            let take = n.min(cur >> SHIFT);
            match self.state.compare_exchange_weak(cur, cur - (take << SHIFT), AcqRel, Acquire) {
                Ok(_) => return take,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Closes the semaphore: waiting and future acquires fail. Permits
    /// already handed out stay valid and may still be released.
    pub fn close(&self) {
        self.state.fetch_or(CLOSED, AcqRel);
        let mut wakers = WakeList::new();
        {
            let mut list = lock(&self.waiters);
            while let Some(key) = list.pop_front() {
                if let Some(w) = list.get_mut(key).waker.take() {
                    wakers.push(w);
                }
            }
            // The queue is empty: permits released from now on go to the word.
            self.state.fetch_and(!WAITERS, AcqRel);
        }
        wakers.wake_all();
    }

    /// True once [`close`](Self::close) has been called.
    pub fn is_closed(&self) -> bool {
        self.state.load(Acquire) & CLOSED != 0
    }

    /// Waits for one permit.
    ///
    /// # Errors
    /// [`AcquireError`] if the semaphore is closed.
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        Acquire::new(self, 1).await?;
        Ok(SemaphorePermit { sem: self, permits: 1 })
    }

    /// Waits for `n` permits, taken together.
    ///
    /// # Errors
    /// [`AcquireError`] if the semaphore is closed.
    pub async fn acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        Acquire::new(self, n as usize).await?;
        Ok(SemaphorePermit { sem: self, permits: n as usize })
    }

    /// Takes one permit if one is free and nobody is queued ahead.
    ///
    /// # Errors
    /// [`TryAcquireError::NoPermits`] or [`TryAcquireError::Closed`].
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_raw(1)?;
        Ok(SemaphorePermit { sem: self, permits: 1 })
    }

    /// Takes `n` permits if they are free and nobody is queued ahead.
    ///
    /// # Errors
    /// [`TryAcquireError::NoPermits`] or [`TryAcquireError::Closed`].
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_raw(n as usize)?;
        Ok(SemaphorePermit { sem: self, permits: n as usize })
    }

    /// Waits for one permit, returning a permit that owns an `Arc` to the
    /// semaphore (so it can move into a spawned task).
    ///
    /// # Errors
    /// [`AcquireError`] if the semaphore is closed.
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1).await
    }

    /// Waits for `n` permits, returning an owned permit.
    ///
    /// # Errors
    /// [`AcquireError`] if the semaphore is closed.
    pub async fn acquire_many_owned(self: Arc<Self>, n: u32) -> Result<OwnedSemaphorePermit, AcquireError> {
        Acquire::new(&self, n as usize).await?;
        Ok(OwnedSemaphorePermit { sem: self, permits: n as usize })
    }

    /// [`acquire`](Self::acquire) from synchronous code, blocking the
    /// thread until a permit is free.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(heddle::sync::Semaphore::new(1));
    /// let held = sem.clone().try_acquire_owned().unwrap();
    /// let s = sem.clone();
    /// let thread = std::thread::spawn(move || s.blocking_acquire().map(|p| p.forget()).is_ok());
    /// drop(held);
    /// assert!(thread.join().unwrap());
    /// assert_eq!(sem.available_permits(), 0, "the thread kept (forgot) it");
    /// ```
    ///
    /// # Errors
    /// [`AcquireError`] if the semaphore is closed.
    ///
    /// # Panics
    /// When called from an async context (inside a runtime).
    #[track_caller]
    pub fn blocking_acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        super::block_on(self.acquire())
    }

    /// [`acquire_many`](Self::acquire_many) from synchronous code.
    ///
    /// # Errors
    /// [`AcquireError`] if the semaphore is closed.
    ///
    /// # Panics
    /// When called from an async context (inside a runtime).
    #[track_caller]
    pub fn blocking_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        super::block_on(self.acquire_many(n))
    }

    /// [`acquire_owned`](Self::acquire_owned) from synchronous code.
    ///
    /// # Errors
    /// [`AcquireError`] if the semaphore is closed.
    ///
    /// # Panics
    /// When called from an async context (inside a runtime).
    #[track_caller]
    pub fn blocking_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        super::block_on(self.acquire_owned())
    }

    /// [`acquire_many_owned`](Self::acquire_many_owned) from synchronous
    /// code.
    ///
    /// # Errors
    /// [`AcquireError`] if the semaphore is closed.
    ///
    /// # Panics
    /// When called from an async context (inside a runtime).
    #[track_caller]
    pub fn blocking_acquire_many_owned(self: Arc<Self>, n: u32) -> Result<OwnedSemaphorePermit, AcquireError> {
        super::block_on(self.acquire_many_owned(n))
    }

    /// Takes one permit without waiting, as an owned permit.
    ///
    /// # Errors
    /// [`TryAcquireError::NoPermits`] or [`TryAcquireError::Closed`].
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// Takes `n` permits without waiting, as an owned permit.
    ///
    /// # Errors
    /// [`TryAcquireError::NoPermits`] or [`TryAcquireError::Closed`].
    pub fn try_acquire_many_owned(self: Arc<Self>, n: u32) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_raw(n as usize)?;
        Ok(OwnedSemaphorePermit { sem: self, permits: n as usize })
    }

    // ----- crate-internal engine (used by Mutex, RwLock, mpsc) -----

    /// Lock-free attempt to take `n` permits.
    #[inline]
    pub(crate) fn try_acquire_raw(&self, n: usize) -> Result<(), TryAcquireError> {
        let mut cur = self.state.load(Acquire);
        loop {
            if cur & CLOSED != 0 {
                return Err(TryAcquireError::Closed);
            }
            if cur >> SHIFT < n {
                return Err(TryAcquireError::NoPermits);
            }
            match self.state.compare_exchange_weak(cur, cur - (n << SHIFT), AcqRel, Acquire) {
                Ok(_) => return Ok(()),
                Err(actual) => cur = actual,
            }
        }
    }

    /// A future taking `n` permits (as a bare count, no guard).
    pub(crate) fn acquire_raw(&self, n: usize) -> Acquire<'_> {
        Acquire::new(self, n)
    }

    /// Gives `n` permits back.
    #[inline]
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut cur = self.state.load(Acquire);
        loop {
            if cur & WAITERS != 0 {
                return self.release_locked(lock(&self.waiters), n);
            }
            assert!((cur >> SHIFT) + n <= Self::MAX_PERMITS, "a semaphore may not have more than MAX_PERMITS permits");
            match self.state.compare_exchange_weak(cur, cur + (n << SHIFT), AcqRel, Acquire) {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Hands `n` permits to queued waiters in order, the rest to the word.
    /// Also clears `WAITERS` when the queue is empty (even for `n == 0`).
    fn release_locked(&self, mut list: super::LockGuard<'_, WaitList<Waiter>>, mut n: usize) {
        let mut wakers = WakeList::new();
        while n > 0 {
            let Some(key) = list.front() else { break };
            let waiter = list.get_mut(key);
            let give = n.min(waiter.needed);
            waiter.needed -= give;
            n -= give;
            if waiter.needed == 0 {
                if let Some(w) = waiter.waker.take() {
                    wakers.push(w);
                }
                list.unlink(key);
            }
        }
        if list.is_empty() {
            // Nobody waits: clear WAITERS and publish the remainder. Others
            // may flip CLOSED or add permits (only when WAITERS was clear)
            // concurrently, hence the CAS loop.
            let mut cur = self.state.load(Acquire);
            loop {
                assert!(
                    (cur >> SHIFT) + n <= Self::MAX_PERMITS,
                    "a semaphore may not have more than MAX_PERMITS permits"
                );
                let new = (cur & !WAITERS) + (n << SHIFT);
                match self.state.compare_exchange_weak(cur, new, AcqRel, Acquire) {
                    Ok(_) => break,
                    Err(actual) => cur = actual,
                }
            }
        } else {
            debug_assert_eq!(n, 0, "permits left over while waiters queue");
        }
        drop(list);
        wakers.wake_all();
    }
}

impl Default for Semaphore {
    fn default() -> Self {
        Semaphore::new(0)
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.available_permits())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Future of [`Semaphore::acquire_raw`]: resolves once `total` permits are
/// held by the caller. Dropping it returns any partial grant.
///
/// The task's coop budget is checked only once the permits are taken (as
/// tokio does): a task out of budget still takes its place in the queue,
/// or the permits, and only then yields. So a yield never costs it its
/// turn, and it is not overtaken by tasks that came later.
pub(crate) struct Acquire<'a> {
    sem: &'a Semaphore,
    total: usize,
    key: Option<usize>,
    /// All `total` permits are taken but not yet handed to the caller (the
    /// budget ran out): the next poll hands them over, `Drop` gives them
    /// back.
    held: bool,
}

impl<'a> Acquire<'a> {
    fn new(sem: &'a Semaphore, total: usize) -> Self {
        Acquire { sem, total, key: None, held: false }
    }

    fn poll_acquire(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), AcquireError>> {
        let sem = self.sem;
        let Some(key) = self.key else {
            match sem.try_acquire_raw(self.total) {
                Ok(()) => return Poll::Ready(Ok(())),
                Err(TryAcquireError::Closed) => return Poll::Ready(Err(AcquireError(()))),
                Err(TryAcquireError::NoPermits) => {}
            }
            let mut list = lock(&sem.waiters);
            let mut cur = sem.state.load(Acquire);
            let granted = loop {
                if cur & CLOSED != 0 {
                    return Poll::Ready(Err(AcquireError(())));
                }
                let free = cur >> SHIFT;
                let new = if free >= self.total { cur - (self.total << SHIFT) } else { (cur & CLOSED) | WAITERS };
                match sem.state.compare_exchange_weak(cur, new, AcqRel, Acquire) {
                    Ok(_) if free >= self.total => return Poll::Ready(Ok(())),
                    Ok(_) => break free,
                    Err(actual) => cur = actual,
                }
            };
            let key = list.push_back(Waiter { needed: self.total - granted, waker: Some(cx.waker().clone()) });
            self.key = Some(key);
            return Poll::Pending;
        };
        let mut list = lock(&sem.waiters);
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
        // Dequeued: either fully granted, or the semaphore closed. A grant
        // not yet reported when the semaphore closed is refused too (as
        // tokio's): once closed, no acquire completes.
        let waiter = list.remove(key);
        self.key = None;
        if waiter.needed == 0 && sem.state.load(Acquire) & CLOSED == 0 {
            return Poll::Ready(Ok(()));
        }
        let partial = self.total - waiter.needed;
        sem.release_locked(list, partial);
        Poll::Ready(Err(AcquireError(())))
    }
}

impl Future for Acquire<'_> {
    type Output = Result<(), AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.held {
            // Taken on an earlier poll that ran out of budget; refused if
            // the semaphore closed since.
            if this.sem.is_closed() {
                this.held = false;
                this.sem.release(this.total);
                return Poll::Ready(Err(AcquireError(())));
            }
        } else {
            std::task::ready!(this.poll_acquire(cx))?;
            this.held = true;
        }
        let coop = std::task::ready!(coop::poll_proceed(cx));
        coop.made_progress();
        this.held = false;
        Poll::Ready(Ok(()))
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if self.held {
            self.sem.release(self.total);
            return;
        }
        let Some(key) = self.key else { return };
        let mut list = lock(&self.sem.waiters);
        let waiter = list.remove(key);
        // Give back whatever was granted so far (all of it if the grant was
        // complete but never observed); this also clears WAITERS if we were
        // the last waiter.
        self.sem.release_locked(list, self.total - waiter.needed);
    }
}

/// Permits borrowed from a [`Semaphore`]; released on drop.
#[must_use = "dropping the permit releases it at once"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
    permits: usize,
}

impl<'a> SemaphorePermit<'a> {
    /// Keeps the permits out of the semaphore for good.
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// The semaphore these permits came from (and go back to).
    ///
    /// ```
    /// use heddle::sync::Semaphore;
    ///
    /// let sem = Semaphore::new(1);
    /// let permit = sem.try_acquire().unwrap();
    /// assert!(std::ptr::eq(permit.semaphore(), &sem));
    /// ```
    pub fn semaphore(&self) -> &'a Semaphore {
        self.sem
    }

    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// Absorbs `other`'s permits into this one.
    ///
    /// # Panics
    /// If the two come from different semaphores.
    #[track_caller]
    pub fn merge(&mut self, mut other: Self) {
        assert!(std::ptr::eq(self.sem, other.sem), "merging permits from different semaphores");
        self.permits += std::mem::take(&mut other.permits);
    }

    /// Moves `n` of this permit's permits into a new permit of the same
    /// semaphore; `None` (leaving this one unchanged) if it holds fewer
    /// than `n`.
    ///
    /// ```
    /// use heddle::sync::Semaphore;
    ///
    /// let sem = Semaphore::new(3);
    /// let mut three = sem.try_acquire_many(3).unwrap();
    /// let one = three.split(1).unwrap();
    /// assert_eq!((three.num_permits(), one.num_permits()), (2, 1));
    /// assert!(three.split(5).is_none());
    /// drop(one);
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn split(&mut self, n: usize) -> Option<Self> {
        if n > self.permits {
            return None;
        }
        self.permits -= n;
        Some(SemaphorePermit { sem: self.sem, permits: n })
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.sem.release(self.permits);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit").field("permits", &self.permits).finish()
    }
}

/// Permits from an `Arc<Semaphore>`; released on drop.
#[must_use = "dropping the permit releases it at once"]
pub struct OwnedSemaphorePermit {
    sem: Arc<Semaphore>,
    permits: usize,
}

impl OwnedSemaphorePermit {
    /// Keeps the permits out of the semaphore for good.
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// The semaphore the permits came from.
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.sem
    }

    /// Absorbs `other`'s permits into this one.
    ///
    /// # Panics
    /// If the two come from different semaphores.
    #[track_caller]
    pub fn merge(&mut self, mut other: Self) {
        assert!(Arc::ptr_eq(&self.sem, &other.sem), "merging permits from different semaphores");
        self.permits += std::mem::take(&mut other.permits);
    }

    /// Moves `n` of this permit's permits into a new owned permit of the
    /// same semaphore; `None` (leaving this one unchanged) if it holds
    /// fewer than `n`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use heddle::sync::Semaphore;
    ///
    /// let sem = Arc::new(Semaphore::new(2));
    /// let mut both = sem.clone().try_acquire_many_owned(2).unwrap();
    /// let one = both.split(1).unwrap();
    /// assert!(Arc::ptr_eq(one.semaphore(), &sem));
    /// drop(both);
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn split(&mut self, n: usize) -> Option<Self> {
        if n > self.permits {
            return None;
        }
        self.permits -= n;
        Some(OwnedSemaphorePermit { sem: self.sem.clone(), permits: n })
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.sem.release(self.permits);
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit").field("permits", &self.permits).finish()
    }
}
