//! [`WeakSender`]: a broadcast sender that does not keep the channel open.
//!
//! It holds the shared state (so it can be upgraded) and is counted in
//! `Shared::weak_count`, apart from the strong senders of `Ring::tx_count`
//! that decide whether the channel is open.

use std::fmt;

use super::{lock, Sender, Shared};
use crate::loom::sync::atomic::Ordering::Relaxed;
use crate::loom::sync::Arc;

/// A sender that does not keep the channel open; made by
/// [`Sender::downgrade`].
///
/// Once every strong [`Sender`] is gone, receivers see
/// [`Closed`](super::error::RecvError::Closed) after draining, whatever weak
/// senders remain, and [`upgrade`](Self::upgrade) returns `None` from then
/// on.
///
/// ```
/// use heddle::sync::broadcast;
///
/// let (tx, mut rx) = broadcast::channel::<&str>(4);
/// let weak = tx.downgrade();
/// if let Some(tx2) = weak.upgrade() {
///     tx2.send("still open").unwrap();
/// }
/// drop(tx);
/// assert!(weak.upgrade().is_none());
/// assert_eq!(rx.try_recv(), Ok("still open"));
/// ```
pub struct WeakSender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> WeakSender<T> {
    /// Counts a new weak handle on `shared`.
    pub(super) fn new(shared: Arc<Shared<T>>) -> Self {
        shared.weak_count.fetch_add(1, Relaxed);
        WeakSender { shared }
    }

    /// A strong [`Sender`], unless every strong sender has been dropped
    /// (the channel is then closed for good).
    pub fn upgrade(&self) -> Option<Sender<T>> {
        let mut ring = lock(&self.shared.ring);
        if ring.tx_count == 0 {
            return None;
        }
        ring.tx_count += 1;
        Some(Sender { shared: self.shared.clone() })
    }

    /// Number of strong senders of the channel.
    pub fn strong_count(&self) -> usize {
        lock(&self.shared.ring).tx_count
    }

    /// Number of weak senders of the channel (this one included).
    pub fn weak_count(&self) -> usize {
        self.shared.weak_count.load(Relaxed)
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        WeakSender::new(self.shared.clone())
    }
}

impl<T> Drop for WeakSender<T> {
    fn drop(&mut self) {
        self.shared.weak_count.fetch_sub(1, Relaxed);
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("broadcast::WeakSender")
    }
}
