//! A multi-producer, multi-consumer channel where every receiver sees
//! every value, held in a bounded ring.
//!
//! ```
//! use heddle::sync::broadcast;
//!
//! #[heddle::main(flavor = "current_thread")]
//! async fn main() {
//!     let (tx, mut rx1) = broadcast::channel(16);
//!     let mut rx2 = tx.subscribe();
//!     tx.send(10).unwrap();
//!     tx.send(20).unwrap();
//!     assert_eq!(rx1.recv().await.unwrap(), 10);
//!     assert_eq!(rx2.recv().await.unwrap(), 10);
//!     assert_eq!(rx1.recv().await.unwrap(), 20);
//! }
//! ```
//!
//! A receiver that falls more than `capacity` values behind loses the
//! oldest ones: its next `recv` returns [`RecvError::Lagged`] with how many
//! it missed, and the one after resumes at the oldest value still held.
//!
//! # Design
//!
//! One mutex guards the ring. Slot `pos % capacity` holds value number
//! `pos`, tagged with `pos` and with how many receivers still have to read
//! it; the last reader moves the value out instead of cloning it. Waiting
//! receivers park on a [`Notify`] that each send fires with
//! `notify_waiters`; [`Sender::closed`] parks on a second one, fired when
//! the last receiver goes.
//!
//! Only strong senders (`tx_count`, under the mutex) keep the channel
//! open. A [`WeakSender`] holds the shared state alive but counts apart
//! (`weak_count`, an atomic only read for statistics); upgrading it takes
//! the mutex and succeeds only while `tx_count > 0`, so once the last
//! strong sender has gone the channel stays closed.
//!
//! The pieces live in `error` (the error types) and `weak`
//! ([`WeakSender`]).
//!
//! ```text
//!   receiver at `next`:  next == tail          → wait (or Closed if no sender)
//!                        slot tag == next      → take value, next += 1
//!                        slot tag  > next      → Lagged(tail - cap - next),
//!                                                next = tail - cap
//! ```

use std::fmt;

use super::{lock, Notify};
use crate::loom::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use crate::loom::sync::{Arc, Mutex};

pub mod error;
mod weak;

use error::{RecvError, SendError, TryRecvError};
pub use weak::WeakSender;

struct Slot<T> {
    /// Which value (by position) the slot holds.
    pos: u64,
    /// Receivers that have yet to read it.
    remaining: usize,
    value: Option<T>,
}

struct Ring<T> {
    slots: Box<[Slot<T>]>,
    /// Position of the next value to send.
    tail: u64,
    rx_count: usize,
    tx_count: usize,
}

struct Shared<T> {
    ring: Mutex<Ring<T>>,
    mask: u64,
    /// Wakes receivers: a value was sent, or the last sender went.
    notify: Notify,
    /// Wakes [`Sender::closed`]: the last receiver went.
    closed_notify: Notify,
    /// Live [`WeakSender`]s (statistics only; they keep nothing open).
    weak_count: AtomicUsize,
}

/// Sends values to every receiver; cheap to clone.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// Receives every value sent after it subscribed.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    next: u64,
}

/// A broadcast channel retaining up to `capacity` values (rounded up to a
/// power of two).
///
/// # Panics
/// If `capacity` is 0.
#[track_caller]
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = new_shared(capacity, 1);
    (Sender { shared: shared.clone() }, Receiver { shared, next: 0 })
}

/// The shared state of a channel with one strong sender and `rx_count`
/// receivers.
#[track_caller]
fn new_shared<T>(capacity: usize, rx_count: usize) -> Arc<Shared<T>> {
    assert!(capacity > 0, "broadcast channel capacity cannot be zero");
    assert!(capacity <= usize::MAX >> 1, "broadcast channel capacity exceeded `usize::MAX / 2`");
    let cap = capacity.next_power_of_two();
    let slots = (0..cap).map(|_| Slot { pos: 0, remaining: 0, value: None }).collect();
    Arc::new(Shared {
        ring: Mutex::new(Ring { slots, tail: 0, rx_count, tx_count: 1 }),
        mask: cap as u64 - 1,
        notify: Notify::new(),
        closed_notify: Notify::new(),
        weak_count: AtomicUsize::new(0),
    })
}

impl<T> Sender<T> {
    /// A sender of a new channel with no receiver yet; receivers come from
    /// [`subscribe`](Self::subscribe). Sends fail until one exists.
    ///
    /// ```
    /// use heddle::sync::broadcast;
    ///
    /// let tx = broadcast::Sender::new(4);
    /// assert!(tx.send(0).is_err()); // nobody listens yet
    /// let mut rx = tx.subscribe();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    ///
    /// # Panics
    /// If `capacity` is 0 or above `usize::MAX / 2`.
    #[track_caller]
    pub fn new(capacity: usize) -> Self {
        Sender { shared: new_shared(capacity, 0) }
    }

    /// Sends `value` to every current receiver; returns how many there are.
    /// May overwrite the oldest value, making slow receivers lag.
    ///
    /// # Errors
    /// [`SendError`] with the value if there is no receiver.
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let (receivers, old) = {
            let mut ring = lock(&self.shared.ring);
            if ring.rx_count == 0 {
                return Err(SendError(value));
            }
            let tail = ring.tail;
            let receivers = ring.rx_count;
            let slot = &mut ring.slots[(tail & self.shared.mask) as usize];
            slot.pos = tail;
            slot.remaining = receivers;
            let old = slot.value.replace(value);
            ring.tail = tail + 1;
            (receivers, old)
        };
        drop(old);
        self.shared.notify.notify_waiters();
        Ok(receivers)
    }

    /// A new receiver that will see values sent from now on.
    pub fn subscribe(&self) -> Receiver<T> {
        new_receiver(&self.shared)
    }

    /// Number of live receivers.
    pub fn receiver_count(&self) -> usize {
        lock(&self.shared.ring).rx_count
    }

    /// Number of values held that some receiver has yet to read.
    pub fn len(&self) -> usize {
        let ring = lock(&self.shared.ring);
        let cap = self.shared.mask + 1;
        let start = ring.tail.saturating_sub(cap);
        (start..ring.tail).filter(|&p| ring.slots[(p & self.shared.mask) as usize].value.is_some()).count()
    }

    /// True if [`len`](Self::len) is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True if both senders belong to the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Completes once the channel has no receiver (at once if it has none
    /// now). A later [`subscribe`](Self::subscribe) can add one again.
    ///
    /// ```
    /// use heddle::sync::broadcast;
    ///
    /// #[heddle::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let (tx, rx) = broadcast::channel::<u32>(4);
    ///     let rx2 = tx.subscribe();
    ///     heddle::spawn(async move {
    ///         drop(rx);
    ///         heddle::task::yield_now().await;
    ///         drop(rx2);
    ///     });
    ///     tx.closed().await;
    ///     assert_eq!(tx.receiver_count(), 0);
    /// }
    /// ```
    pub async fn closed(&self) {
        loop {
            let notified = self.shared.closed_notify.notified();
            if self.receiver_count() == 0 {
                return;
            }
            notified.await;
        }
    }

    /// A [`WeakSender`] for this channel: it does not keep the channel
    /// open, and can be [upgraded](WeakSender::upgrade) while a strong
    /// sender lives.
    ///
    /// ```
    /// use heddle::sync::broadcast::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = broadcast::channel::<u32>(4);
    /// let weak = tx.downgrade();
    /// assert_eq!((tx.strong_count(), tx.weak_count()), (1, 1));
    /// weak.upgrade().unwrap().send(1).unwrap();
    /// drop(tx);
    /// // The weak sender does not keep the channel open.
    /// assert!(weak.upgrade().is_none());
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn downgrade(&self) -> WeakSender<T> {
        WeakSender::new(self.shared.clone())
    }

    /// Number of strong senders (this one included).
    pub fn strong_count(&self) -> usize {
        lock(&self.shared.ring).tx_count
    }

    /// Number of [`WeakSender`]s.
    pub fn weak_count(&self) -> usize {
        self.shared.weak_count.load(Relaxed)
    }
}

fn new_receiver<T>(shared: &Arc<Shared<T>>) -> Receiver<T> {
    let mut ring = lock(&shared.ring);
    ring.rx_count += 1;
    Receiver { shared: shared.clone(), next: ring.tail }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        lock(&self.shared.ring).tx_count += 1;
        Sender { shared: self.shared.clone() }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let last = {
            let mut ring = lock(&self.shared.ring);
            ring.tx_count -= 1;
            ring.tx_count == 0
        };
        if last {
            self.shared.notify.notify_waiters();
        }
    }
}

impl<T: Clone> Receiver<T> {
    /// Waits for the next value.
    ///
    /// Cancel-safe: a value is consumed only when returned.
    ///
    /// # Errors
    /// [`RecvError::Lagged`] if values were dropped for this receiver (the
    /// next call resumes at the oldest one held), [`RecvError::Closed`]
    /// once every sender is gone and everything has been read.
    pub async fn recv(&mut self) -> Result<T, RecvError> {
        super::consume_budget().await;
        loop {
            let notified = self.shared.notify.notified();
            // A statement, not the tail of the loop: the attempt's result
            // (which may hold a `T`) is gone before the await, so the
            // future is `Sync` whenever the receiver is, even if `T` is not.
            match try_recv_at(&self.shared, &mut self.next) {
                Ok(v) => return Ok(v),
                Err(TryRecvError::Closed) => return Err(RecvError::Closed),
                Err(TryRecvError::Lagged(n)) => return Err(RecvError::Lagged(n)),
                Err(TryRecvError::Empty) => {}
            }
            notified.await;
        }
    }

    /// Takes the next value without waiting.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`], [`TryRecvError::Lagged`] or
    /// [`TryRecvError::Closed`].
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        try_recv_at(&self.shared, &mut self.next)
    }

    /// [`recv`](Self::recv) from synchronous code, blocking the thread.
    ///
    /// ```
    /// let (tx, mut rx) = heddle::sync::broadcast::channel(4);
    /// let thread = std::thread::spawn(move || (rx.blocking_recv(), rx.blocking_recv()));
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// let (first, second) = thread.join().unwrap();
    /// assert_eq!(first, Ok(1));
    /// assert_eq!(second, Err(heddle::sync::broadcast::error::RecvError::Closed));
    /// ```
    ///
    /// # Errors
    /// As for [`recv`](Self::recv).
    ///
    /// # Panics
    /// When called from an async context (inside a runtime).
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Result<T, RecvError> {
        super::block_on(self.recv())
    }

    /// A new receiver starting at the current tail (it does not see values
    /// this one has not read yet).
    pub fn resubscribe(&self) -> Self {
        new_receiver(&self.shared)
    }
}

/// Reads the value at `*next` (advancing it), or says why not.
fn try_recv_at<T: Clone>(shared: &Shared<T>, next: &mut u64) -> Result<T, TryRecvError> {
    let mut ring = lock(&shared.ring);
    if *next == ring.tail {
        return Err(if ring.tx_count == 0 { TryRecvError::Closed } else { TryRecvError::Empty });
    }
    let tail = ring.tail;
    let slot = &mut ring.slots[(*next & shared.mask) as usize];
    if slot.pos != *next {
        // Overwritten: skip to the oldest value still held.
        let oldest = tail - (shared.mask + 1);
        let missed = oldest - *next;
        *next = oldest;
        return Err(TryRecvError::Lagged(missed));
    }
    *next += 1;
    slot.remaining -= 1;
    let value = if slot.remaining == 0 {
        slot.value.take().expect("unread slot holds its value")
    } else {
        slot.value.clone().expect("unread slot holds its value")
    };
    Ok(value)
}

impl<T> Receiver<T> {
    /// Number of strong senders of the channel.
    pub fn sender_strong_count(&self) -> usize {
        lock(&self.shared.ring).tx_count
    }

    /// Number of [`WeakSender`]s of the channel.
    pub fn sender_weak_count(&self) -> usize {
        self.shared.weak_count.load(Relaxed)
    }

    /// Number of values sent since this receiver's last read that it has
    /// yet to receive. As in tokio, this counts values already overwritten
    /// too: above the ring size (the capacity rounded up to a power of
    /// two), the next receive reports [`Lagged`](error::RecvError::Lagged).
    ///
    /// ```
    /// use heddle::sync::broadcast::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = broadcast::channel(2);
    /// for i in 0..3 {
    ///     tx.send(i).unwrap();
    /// }
    /// assert_eq!(rx.len(), 3);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(1)));
    /// assert_eq!(rx.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        let ring = lock(&self.shared.ring);
        (ring.tail - self.next) as usize
    }

    /// True if [`len`](Self::len) is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True once every sender is gone.
    pub fn is_closed(&self) -> bool {
        lock(&self.shared.ring).tx_count == 0
    }

    /// True if both receivers belong to the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut dropped = Vec::new();
        let last = {
            let mut ring = lock(&self.shared.ring);
            ring.rx_count -= 1;
            let mask = self.shared.mask;
            for pos in self.next.max(ring.tail.saturating_sub(mask + 1))..ring.tail {
                let slot = &mut ring.slots[(pos & mask) as usize];
                if slot.pos == pos {
                    slot.remaining -= 1;
                    if slot.remaining == 0 {
                        dropped.extend(slot.value.take());
                    }
                }
            }
            ring.rx_count == 0
        };
        drop(dropped);
        if last {
            self.shared.closed_notify.notify_waiters();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("broadcast::Sender")
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Receiver").field("next", &self.next).finish()
    }
}
