//! `IoWaiters`: every task waiting on one socket through its `&self` async
//! methods (`readable()`, `ready()`, `recv()`, `accept()`, `async_io`...).
//!
//! The `poll_*` methods keep one waker slot per direction (the last task to
//! poll wins, as their docs say), which is all an `AsyncRead` needs. The
//! async methods take `&self`, so any number of tasks may wait on one socket
//! at once (several acceptors on an `Arc<TcpListener>`, several receivers on
//! one `UdpSocket`); each of them must be woken, or a wake-up is lost. They
//! queue here instead, behind the socket's mutex, each with the readiness
//! bits it waits for.
//!
//! ```text
//!   register ──▶ QUEUED (waker stored) ──take_ready──▶ WOKEN (waker taken)
//!                   │                                      │
//!                   └──────────────── remove ──────────────┴──▶ (free)
//! ```
//!
//! An entry lives from the future's first `Pending` until it completes or
//! is dropped; the slab reuses the slot, so a steady state allocates nothing.

use std::task::Waker;

use slab::Slab;

/// What one waiting future left: the readiness bits it waits for, and its
/// waker until the driver takes it.
struct Entry {
    mask: usize,
    waker: Option<Waker>,
}

/// The waiters of one socket. Always used under the socket's mutex.
#[derive(Default)]
pub(crate) struct IoWaiters {
    entries: Slab<Entry>,
    /// How many entries still hold a waker (are not woken yet).
    queued: usize,
}

/// How many wakers one pass takes out under the lock: the driver wakes
/// them after unlocking and comes back for more.
pub(crate) const WAKE_BATCH: usize = 16;

impl IoWaiters {
    /// True when no entry waits to be woken.
    pub(crate) fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// Queues (or refreshes) the waiter `*key` for readiness in `mask`.
    /// A new waiter gets its key written to `*key`.
    pub(crate) fn register(&mut self, key: &mut Option<usize>, mask: usize, waker: &Waker) {
        if let Some(entry) = key.and_then(|k| self.entries.get_mut(k)) {
            entry.mask = mask;
            match &mut entry.waker {
                Some(old) => old.clone_from(waker),
                slot @ None => {
                    *slot = Some(waker.clone());
                    self.queued += 1;
                }
            }
            return;
        }
        *key = Some(self.entries.insert(Entry { mask, waker: Some(waker.clone()) }));
        self.queued += 1;
    }

    /// Frees the waiter's entry, woken or not.
    pub(crate) fn remove(&mut self, key: usize) {
        if let Some(entry) = self.entries.try_remove(key) {
            if entry.waker.is_some() {
                self.queued -= 1;
            }
        }
    }

    /// Moves into `out` the wakers of waiters whose mask meets `ready`, at
    /// most `out.len()` of them; true if more such waiters are left.
    pub(crate) fn take_ready(&mut self, ready: usize, out: &mut [Option<Waker>; WAKE_BATCH]) -> bool {
        let mut taken = 0;
        for (_, entry) in self.entries.iter_mut() {
            if entry.mask & ready == 0 || entry.waker.is_none() {
                continue;
            }
            if taken == out.len() {
                return true;
            }
            out[taken] = entry.waker.take();
            taken += 1;
            self.queued -= 1;
        }
        false
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn takes_only_the_waiters_whose_mask_meets_the_readiness() {
        let counter = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        let mut waiters = IoWaiters::default();
        let (mut reader, mut writer, mut either) = (None, None, None);
        waiters.register(&mut reader, 0b01, &waker);
        waiters.register(&mut writer, 0b10, &waker);
        waiters.register(&mut either, 0b11, &waker);
        // Re-registering refreshes the entry instead of adding one.
        waiters.register(&mut reader, 0b01, &waker);
        assert_eq!(waiters.queued, 3);
        let mut out = [const { None }; WAKE_BATCH];
        assert!(!waiters.take_ready(0b01, &mut out));
        assert_eq!(out.iter().flatten().count(), 2);
        assert!(!waiters.is_empty());
        // The woken entries stay allocated until their futures remove them.
        waiters.remove(reader.unwrap());
        waiters.remove(either.unwrap());
        waiters.remove(writer.unwrap());
        assert!(waiters.is_empty());
        assert_eq!(waiters.entries.len(), 0);
    }

    #[test]
    fn a_full_batch_reports_that_more_are_left() {
        let counter = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        let mut waiters = IoWaiters::default();
        for _ in 0..WAKE_BATCH + 3 {
            waiters.register(&mut None, 1, &waker);
        }
        let mut out = [const { None }; WAKE_BATCH];
        assert!(waiters.take_ready(1, &mut out));
        assert_eq!(out.iter().flatten().count(), WAKE_BATCH);
        let mut out = [const { None }; WAKE_BATCH];
        assert!(!waiters.take_ready(1, &mut out));
        assert_eq!(out.iter().flatten().count(), 3);
        assert!(waiters.is_empty());
    }
}
