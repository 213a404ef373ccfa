//! `TimerEntry`: what a pending `Sleep` shares with the timer wheel, and
//! `EntryRef`, the pointer to it that the wheel stores.
//!
//! The `Sleep` owns its entry (boxed, so its address is stable) and the
//! wheel holds only a pointer: arming and cancelling a timer then touch no
//! reference count. The ownership rule that makes the pointer safe:
//!
//! ```text
//!   Sleep inserts entry ──► wheel holds EntryRef ──► driver fires it (under the shard lock)
//!          │                                              │
//!          └── remove/reset under the shard lock ◄────────┘
//!              (returns only once the driver is done with the entry;
//!               only then may the Sleep free, clear or re-arm it)
//! ```
//!
//! The driver touches an entry only while holding the lock of the shard
//! that holds it, and the `Sleep` always takes that lock (a `remove` or a
//! `reset`, which are no-ops on a fired key) before it frees or reuses the
//! entry. Seeing `fired` is not enough: the driver sets it before it takes
//! the waker out.

use std::ptr::NonNull;
use std::task::{Context, Poll};

use crate::loom::sync::atomic::{AtomicBool, Ordering::*};
use crate::loom::UnsafeCell;
use crate::util::atomic_waker::AtomicWaker;

/// Shared between a `Sleep` and the timer driver.
#[derive(Debug)]
pub(crate) struct TimerEntry {
    fired: AtomicBool,
    waker: AtomicWaker,
    /// Holds nothing (zero-sized outside loom); under loom, the owner's
    /// claims and the driver's touches access it, so loom checks that the
    /// driver's last touch happens-before the owner's next claim.
    touch: UnsafeCell<()>,
}

// SAFETY: `touch` holds no data (`()`): its accesses only mark, for loom,
// when the entry passes between its owner and the driver. The rest is
// atomics.
unsafe impl Sync for TimerEntry {}

impl Default for TimerEntry {
    fn default() -> Self {
        TimerEntry { fired: AtomicBool::new(false), waker: AtomicWaker::new(), touch: UnsafeCell::new(()) }
    }
}

impl TimerEntry {
    /// Driver side: marks the timer fired and returns its waker, to be woken
    /// once the wheel's lock is released.
    pub(crate) fn fire(&self) -> Option<std::task::Waker> {
        self.fired.store(true, Release);
        let waker = self.waker.take();
        self.touch.with(|_| ());
        waker
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
    /// The wheel must no longer hold the entry (see the module doc).
    pub(crate) fn clear(&mut self) {
        self.claim();
        // `&mut`: nobody else sees the entry, so fresh fields beat the
        // atomic read-modify-writes of `AtomicWaker::take`.
        self.waker = AtomicWaker::new();
        self.fired = AtomicBool::new(false);
    }

    /// Re-arms a fired entry so a `Sleep` can be reset and reuse it. The
    /// wheel must no longer hold the entry (see the module doc).
    pub(crate) fn rearm(&mut self) {
        self.claim();
        self.fired.store(false, Release);
    }

    /// The owner takes the entry back from the driver (checked under loom).
    fn claim(&self) {
        self.touch.with_mut(|_| ());
    }
}

/// The wheel's pointer to a `TimerEntry` that a `Sleep` owns.
pub(crate) struct EntryRef(NonNull<TimerEntry>);

// SAFETY: the pointee is `Sync` (atomics only), and it is only dereferenced
// under the lock of the shard holding the pointer, while its owner keeps it
// alive (module doc).
unsafe impl Send for EntryRef {}

impl EntryRef {
    /// Points at `entry`, which must outlive the pointer's stay in the wheel.
    pub(crate) fn new(entry: &TimerEntry) -> EntryRef {
        EntryRef(NonNull::from(entry))
    }

    /// The entry.
    ///
    /// # Safety
    /// The caller holds the lock of the shard whose wheel held this pointer
    /// (the owner then keeps the entry alive; module doc).
    pub(crate) unsafe fn get(&self) -> &TimerEntry {
        // SAFETY: the caller's contract.
        unsafe { self.0.as_ref() }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! A `Sleep`'s use of its entry against the driver firing it, on the
    //! real `TimeHandle` (tick 0 is due at once, so `process` fires it).

    use std::future::poll_fn;

    use super::TimerEntry;
    use crate::driver::time::TimeHandle;
    use crate::loom::sync::Arc;
    use crate::loom::thread;

    fn time() -> Arc<TimeHandle> {
        Arc::new(TimeHandle::new(1, 0, false, false).unwrap())
    }

    /// Cancelling a timer while the driver fires it: the owner reuses the
    /// entry only after the driver is done with it.
    #[test]
    fn cancel_races_fire() {
        loom::model(|| {
            let time = time();
            let mut entry = Box::new(TimerEntry::default());
            // SAFETY: `remove` below returns before the entry is cleared.
            let key = unsafe { time.insert(0, &entry) };
            let driver = {
                let time = time.clone();
                thread::spawn(move || {
                    time.process();
                })
            };
            time.remove(key);
            entry.clear();
            driver.join().unwrap();
        });
    }

    /// A wait racing the fire is woken, and re-arming the fired entry (a
    /// `Sleep::reset`) waits for the driver to be done with it.
    #[test]
    fn wait_then_rearm_races_fire() {
        loom::model(|| {
            let time = time();
            let mut entry = Box::new(TimerEntry::default());
            // SAFETY: `reset` below returns before the entry is re-armed.
            let key = unsafe { time.insert(0, &entry) };
            let driver = {
                let time = time.clone();
                thread::spawn(move || {
                    time.process();
                })
            };
            loom::future::block_on(poll_fn(|cx| entry.poll_fired(cx)));
            // The driver may still be inside `fire`: `reset` waits for it.
            assert!(!time.reset(key, 5), "a fired timer cannot be reset");
            entry.rearm();
            driver.join().unwrap();
        });
    }
}
