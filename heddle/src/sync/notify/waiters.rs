//! The intrusive FIFO of parked [`Notified`](super::Notified) futures.
//!
//! Each waiting `Notified` owns its list node ([`Waiter`]) inline, so
//! parking allocates nothing. The list itself is only head and tail
//! pointers, guarded by `Notify`'s mutex: every link and waker in a node is
//! read or written with that mutex held.
//!
//! The one field read without the mutex is [`Waiter::notification`]. A
//! notifier unlinks the node and takes its waker under the mutex, and only
//! then publishes the verdict with a `Release` store: that store is its last
//! access to the node. A future that loads a verdict (`Acquire`) knows it
//! is out of the list and no one else touches its node, so it may complete
//! (and be freed) without taking the mutex.
//!
//! ```text
//!   push_back ──▶ LINKED ──pop_front / pop_back + publish(ONE|LAST|ALL)──▶ NOTIFIED
//!                   └──────────── remove (owner drops, NONE) ──────▶ (gone)
//! ```

use std::ptr::{self, NonNull};
use std::task::Waker;

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::UnsafeCell;

/// No notification yet: the node is linked, or about to be.
pub(super) const NONE: usize = 0;
/// Chosen by `notify_one`: passed on to the oldest remaining waiter if
/// dropped unobserved.
pub(super) const ONE: usize = 1;
/// Released by `notify_waiters`.
pub(super) const ALL: usize = 2;
/// Chosen by `notify_last`: passed on to the newest remaining waiter if
/// dropped unobserved (the order the notifier asked for).
pub(super) const LAST: usize = 3;

/// A list node embedded in a pinned `Notified`.
pub(super) struct Waiter {
    /// Links and waker; only touched with `Notify::waiters` locked.
    node: UnsafeCell<Node>,
    /// `NONE`, `ONE`, `LAST` or `ALL`; written once, under the lock, last.
    notification: AtomicUsize,
}

// SAFETY: the links and the waker (`node`) are only read or written with
// the owning `Notify`'s mutex held, whichever thread the future is on (the
// waker itself is `Send + Sync`); `notification` is an atomic. So a node may
// move to another thread with its future, and `&Waiter` (which only allows
// `notification()` without the lock) may be shared.
unsafe impl Send for Waiter {}
// SAFETY: see the `Send` impl.
unsafe impl Sync for Waiter {}

struct Node {
    prev: *mut Waiter,
    next: *mut Waiter,
    waker: Option<Waker>,
}

impl Waiter {
    #[inline(always)]
    pub(super) fn new() -> Self {
        Waiter {
            node: UnsafeCell::new(Node { prev: ptr::null_mut(), next: ptr::null_mut(), waker: None }),
            notification: AtomicUsize::new(NONE),
        }
    }

    /// The verdict, readable without the lock (see the module docs). Once
    /// it is not `NONE` the node belongs to its owner alone again.
    pub(super) fn notification(&self) -> usize {
        let verdict = self.notification.load(Acquire);
        if verdict != NONE {
            // A no-op access, so loom checks that the notifier's last touch
            // of the node happens-before the owner's claim to it.
            self.node.with_mut(|_| ());
        }
        verdict
    }

    /// Replaces the stored waker unless it would wake the same task, and
    /// returns the replaced one: the caller drops it only after releasing
    /// the lock, since dropping a waker may run code that uses this same
    /// `Notify` (tokio's tests do that).
    ///
    /// # Safety
    /// The caller holds the `Notify::waiters` lock of the list this node is
    /// linked in.
    #[must_use = "drop the old waker after releasing the lock"]
    pub(super) unsafe fn set_waker(&self, waker: &Waker) -> Option<Waker> {
        self.node.with_mut(|node| {
            // SAFETY: the lock (caller's contract) makes this the only
            // access to the node.
            let node = unsafe { &mut *node };
            match &node.waker {
                Some(old) if old.will_wake(waker) => None,
                _ => node.waker.replace(waker.clone()),
            }
        })
    }
}

/// Head and tail of the intrusive list. Lives inside `Notify`'s mutex.
pub(super) struct WaiterList {
    head: *mut Waiter,
    tail: *mut Waiter,
}

// SAFETY: the raw pointers are only followed with the owning mutex held,
// and the nodes they point to are `Send` parts of `Send` futures.
unsafe impl Send for WaiterList {}

impl WaiterList {
    pub(super) const fn new() -> Self {
        WaiterList { head: ptr::null_mut(), tail: ptr::null_mut() }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.head.is_null()
    }

    /// Links `waiter` at the back with `waker`.
    ///
    /// # Safety
    /// `waiter` is pinned, not linked, and stays valid until it is unlinked
    /// by [`remove`](Self::remove) or a `pop_*` (its owner's `Drop`
    /// guarantees that).
    pub(super) unsafe fn push_back(&mut self, waiter: NonNull<Waiter>, waker: Option<Waker>) {
        let w = waiter.as_ptr();
        // SAFETY: valid per the caller; we hold the lock that guards links.
        unsafe {
            (*w).node.with_mut(|node| {
                *node = Node { prev: self.tail, next: ptr::null_mut(), waker };
            });
            if self.tail.is_null() {
                self.head = w;
            } else {
                (*self.tail).node.with_mut(|tail| (*tail).next = w);
            }
        }
        self.tail = w;
    }

    /// Unlinks a node known to be linked in this list.
    ///
    /// # Safety
    /// `waiter` is linked in this list.
    pub(super) unsafe fn remove(&mut self, waiter: NonNull<Waiter>) {
        let w = waiter.as_ptr();
        // SAFETY: linked nodes are valid (push_back's contract) and their
        // links are ours while we hold the lock.
        unsafe {
            let (prev, next) = (*w).node.with_mut(|node| {
                let links = ((*node).prev, (*node).next);
                (*node).prev = ptr::null_mut();
                (*node).next = ptr::null_mut();
                links
            });
            if prev.is_null() {
                self.head = next;
            } else {
                (*prev).node.with_mut(|p| (*p).next = next);
            }
            if next.is_null() {
                self.tail = prev;
            } else {
                (*next).node.with_mut(|n| (*n).prev = prev);
            }
        }
    }

    /// Unlinks the oldest waiter, publishes `verdict` to it and returns its
    /// waker. After this the node is never touched again through the list.
    pub(super) fn pop_front(&mut self, verdict: usize) -> Option<Option<Waker>> {
        let front = NonNull::new(self.head)?;
        // SAFETY: `front` is linked in this list.
        Some(unsafe { self.take(front, verdict) })
    }

    /// As [`pop_front`](Self::pop_front), for the newest waiter.
    pub(super) fn pop_back(&mut self, verdict: usize) -> Option<Option<Waker>> {
        let back = NonNull::new(self.tail)?;
        // SAFETY: `back` is linked in this list.
        Some(unsafe { self.take(back, verdict) })
    }

    /// # Safety
    /// `waiter` is linked in this list.
    unsafe fn take(&mut self, waiter: NonNull<Waiter>, verdict: usize) -> Option<Waker> {
        // SAFETY: caller's contract; the lock is held.
        unsafe {
            self.remove(waiter);
            let w = waiter.as_ref();
            let waker = w.node.with_mut(|node| (*node).waker.take());
            // Last access: once the owner sees the verdict it may free the node.
            w.notification.store(verdict, Release);
            waker
        }
    }
}
