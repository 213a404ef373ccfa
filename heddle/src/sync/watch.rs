//! A single-value channel where receivers see the latest value and learn
//! when it changes. Intermediate values may be skipped.
//!
//! ```
//! use heddle::sync::watch;
//!
//! #[heddle::main(flavor = "current_thread")]
//! async fn main() {
//!     let (tx, mut rx) = watch::channel("starting");
//!     heddle::spawn(async move {
//!         tx.send("running").unwrap();
//!     });
//!     rx.changed().await.unwrap();
//!     assert_eq!(*rx.borrow_and_update(), "running");
//! }
//! ```
//!
//! # Design
//!
//! The value sits in a `std`-style `RwLock`; an atomic `version` word
//! (`count << 1 | CLOSED`) is bumped under the write lock on each change.
//! Each receiver remembers the version it last saw; `changed` waits on a
//! [`Notify`] (`notify_waiters` on each send) until the version differs.
//!
//! ```text
//!   receiver:  SEEN(v) ──send──▶ UNSEEN(v+1) ──borrow_and_update / changed──▶ SEEN(v+1)
//!   channel:   OPEN ──last sender dropped──▶ CLOSED (changed → Err once seen)
//! ```

use std::fmt;
use std::ops::Deref;

use super::Notify;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::{Arc, RwLock, RwLockReadGuard};

const CLOSED: usize = 1;
const STEP: usize = 2;

/// Errors of the [`watch`](self) channel.
///
/// ```
/// use heddle::sync::watch::{self, error::SendError};
///
/// #[heddle::main(flavor = "current_thread")]
/// async fn main() {
///     let (tx, rx) = watch::channel(0);
///     drop(rx);
///     // No receiver is left: the value comes back.
///     assert_eq!(tx.send(1), Err(SendError(1)));
///
///     let (tx, mut rx) = watch::channel(0);
///     drop(tx);
///     assert!(rx.changed().await.is_err());
/// }
/// ```
pub mod error {
    use std::fmt;

    /// No receiver is left; the value is returned.
    #[derive(PartialEq, Eq, Clone, Copy)]
    pub struct SendError<T>(pub T);

    /// Every sender has been dropped.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct RecvError(pub(super) ());

    impl<T> fmt::Debug for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("SendError { .. }")
        }
    }
    impl<T> fmt::Display for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }
    impl<T> std::error::Error for SendError<T> {}

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }
    impl std::error::Error for RecvError {}
}

use error::{RecvError, SendError};

struct Shared<T> {
    value: RwLock<T>,
    version: AtomicUsize,
    rx_count: AtomicUsize,
    tx_count: AtomicUsize,
    /// Woken on every change and on close.
    changed: Notify,
    /// Woken when the last receiver goes.
    rx_gone: Notify,
}

/// Publishes values; created by [`channel`].
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// Observes the latest value; created by [`channel`] or
/// [`Sender::subscribe`].
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    version: usize,
}

/// A read borrow of the current value. Holding it blocks senders, so keep
/// it short and never across an `.await`.
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    has_changed: bool,
}

impl<T> Ref<'_, T> {
    /// True if this value had not been marked seen by the receiver when it
    /// was borrowed.
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A watch channel holding `init`.
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let tx = Sender::new(init);
    let rx = tx.subscribe();
    (tx, rx)
}

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<T> Sender<T> {
    /// A sender with no receivers yet (see [`subscribe`](Self::subscribe)).
    pub fn new(init: T) -> Self {
        let shared = Arc::new(Shared {
            value: RwLock::new(init),
            version: AtomicUsize::new(0),
            rx_count: AtomicUsize::new(0),
            tx_count: AtomicUsize::new(1),
            changed: Notify::new(),
            rx_gone: Notify::new(),
        });
        Sender { shared }
    }

    /// Replaces the value and notifies receivers.
    ///
    /// # Errors
    /// [`SendError`] with the value (which is not stored) if no receiver
    /// exists.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.receiver_count() == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Replaces the value (even with no receivers), returning the old one.
    pub fn send_replace(&self, mut value: T) -> T {
        self.send_modify(|v| std::mem::swap(v, &mut value));
        value
    }

    /// Modifies the value in place and notifies receivers.
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.send_if_modified(|v| {
            modify(v);
            true
        });
    }

    /// Runs `modify` on the value; notifies receivers only if it returns
    /// true. Returns what `modify` returned.
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        {
            let mut guard = self.shared.value.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            if !modify(&mut guard) {
                return false;
            }
            self.shared.version.fetch_add(STEP, SeqCst);
        }
        self.shared.changed.notify_waiters();
        true
    }

    /// Borrows the current value (`has_changed` is always false).
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref { guard: read(&self.shared.value), has_changed: false }
    }

    /// True once every receiver has been dropped.
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Waits until every receiver has been dropped.
    ///
    /// Spends task budget, so awaiting it in a loop on a channel that is
    /// already closed still lets other tasks run.
    pub async fn closed(&self) {
        crate::task::coop::cooperative(async {
            loop {
                let notified = self.shared.rx_gone.notified();
                if self.is_closed() {
                    return;
                }
                notified.await;
            }
        })
        .await
    }

    /// A new receiver that considers the current value seen.
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.rx_count.fetch_add(1, SeqCst);
        Receiver { shared: self.shared.clone(), version: self.shared.version.load(SeqCst) & !CLOSED }
    }

    /// Number of live receivers.
    pub fn receiver_count(&self) -> usize {
        self.shared.rx_count.load(SeqCst)
    }

    /// Number of live senders.
    pub fn sender_count(&self) -> usize {
        self.shared.tx_count.load(SeqCst)
    }

    /// True if both senders belong to the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.tx_count.fetch_add(1, SeqCst);
        Sender { shared: self.shared.clone() }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.shared.tx_count.fetch_sub(1, SeqCst) == 1 {
            self.shared.version.fetch_or(CLOSED, SeqCst);
            self.shared.changed.notify_waiters();
        }
    }
}

impl<T> Receiver<T> {
    /// Borrows the current value without marking it seen.
    pub fn borrow(&self) -> Ref<'_, T> {
        let guard = read(&self.shared.value);
        let current = self.shared.version.load(SeqCst) & !CLOSED;
        Ref { guard, has_changed: current != self.version }
    }

    /// Borrows the current value and marks it seen.
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = read(&self.shared.value);
        let current = self.shared.version.load(SeqCst) & !CLOSED;
        let has_changed = current != self.version;
        self.version = current;
        Ref { guard, has_changed }
    }

    /// True if a value not yet seen is available.
    ///
    /// # Errors
    /// [`RecvError`] if every sender is gone.
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let state = self.shared.version.load(SeqCst);
        if state & CLOSED != 0 {
            return Err(RecvError(()));
        }
        Ok(state != self.version)
    }

    /// True once every sender has been dropped (no new value can come).
    ///
    /// ```
    /// let (tx, rx) = heddle::sync::watch::channel(0);
    /// assert!(!rx.is_closed());
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// assert_eq!(*rx.borrow(), 0, "the last value stays readable");
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.version.load(SeqCst) & CLOSED != 0
    }

    /// Makes the current value count as unseen.
    pub fn mark_changed(&mut self) {
        self.version = (self.shared.version.load(SeqCst) & !CLOSED).wrapping_sub(STEP);
    }

    /// Makes the current value count as seen.
    pub fn mark_unchanged(&mut self) {
        self.version = self.shared.version.load(SeqCst) & !CLOSED;
    }

    /// Waits for a value not yet seen and marks it seen.
    ///
    /// Cancel-safe.
    ///
    /// # Errors
    /// [`RecvError`] once every sender is gone and no unseen value remains.
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        super::consume_budget().await;
        loop {
            let notified = self.shared.changed.notified();
            let state = self.shared.version.load(SeqCst);
            if state & !CLOSED != self.version {
                self.version = state & !CLOSED;
                return Ok(());
            }
            if state & CLOSED != 0 {
                return Err(RecvError(()));
            }
            notified.await;
        }
    }

    /// Waits until `f` accepts the current value, marks it seen, and
    /// returns a borrow of it.
    ///
    /// Spends task budget like the other receive methods, so a loop that
    /// keeps finding its answer at once still lets other tasks run.
    ///
    /// # Errors
    /// [`RecvError`] if every sender is gone before that.
    pub async fn wait_for(&mut self, f: impl FnMut(&T) -> bool) -> Result<Ref<'_, T>, RecvError> {
        crate::task::coop::cooperative(self.wait_for_inner(f)).await
    }

    async fn wait_for_inner(&mut self, mut f: impl FnMut(&T) -> bool) -> Result<Ref<'_, T>, RecvError> {
        loop {
            let notified = self.shared.changed.notified();
            let closed = {
                let shared = &*self.shared;
                let guard = read(&shared.value);
                let state = shared.version.load(SeqCst);
                let current = state & !CLOSED;
                let has_changed = current != self.version;
                self.version = current;
                if f(&guard) {
                    return Ok(Ref { guard, has_changed });
                }
                state & CLOSED != 0
            };
            if closed {
                return Err(RecvError(()));
            }
            notified.await;
        }
    }

    /// True if both receivers belong to the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.rx_count.fetch_add(1, SeqCst);
        Receiver { shared: self.shared.clone(), version: self.version }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if self.shared.rx_count.fetch_sub(1, SeqCst) == 1 {
            self.shared.rx_gone.notify_waiters();
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Sender").field("value", &*self.borrow()).finish()
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Receiver").field("value", &*self.borrow()).finish()
    }
}
