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
//! `notify_waiters`.
//!
//! ```text
//!   receiver at `next`:  next == tail          → wait (or Closed if no sender)
//!                        slot tag == next      → take value, next += 1
//!                        slot tag  > next      → Lagged(tail - cap - next),
//!                                                next = tail - cap
//! ```

use std::fmt;

use super::{lock, Notify};
use crate::loom::sync::{Arc, Mutex};

/// Errors of the [`broadcast`](self) channel.
pub mod error {
    use std::fmt;

    /// No receiver exists; the value is returned.
    #[derive(PartialEq, Eq, Clone, Copy)]
    pub struct SendError<T>(pub T);

    /// Why `recv` returned no value.
    #[derive(Debug, PartialEq, Eq, Clone, Copy)]
    pub enum RecvError {
        /// Every sender is gone and every value has been received.
        Closed,
        /// This receiver fell behind and this many values were dropped for it.
        Lagged(u64),
    }

    /// Why `try_recv` returned no value.
    #[derive(Debug, PartialEq, Eq, Clone, Copy)]
    pub enum TryRecvError {
        /// Nothing new yet.
        Empty,
        /// Every sender is gone and every value has been received.
        Closed,
        /// This receiver fell behind and this many values were dropped for it.
        Lagged(u64),
    }

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
            match self {
                RecvError::Closed => f.write_str("channel closed"),
                RecvError::Lagged(n) => write!(f, "channel lagged by {n}"),
            }
        }
    }
    impl std::error::Error for RecvError {}

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("channel empty"),
                TryRecvError::Closed => f.write_str("channel closed"),
                TryRecvError::Lagged(n) => write!(f, "channel lagged by {n}"),
            }
        }
    }
    impl std::error::Error for TryRecvError {}
}

use error::{RecvError, SendError, TryRecvError};

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
    notify: Notify,
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
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "broadcast channel capacity cannot be zero");
    let cap = capacity.next_power_of_two();
    let slots = (0..cap).map(|_| Slot { pos: 0, remaining: 0, value: None }).collect();
    let shared = Arc::new(Shared {
        ring: Mutex::new(Ring { slots, tail: 0, rx_count: 1, tx_count: 1 }),
        mask: cap as u64 - 1,
        notify: Notify::new(),
    });
    (Sender { shared: shared.clone() }, Receiver { shared, next: 0 })
}

impl<T> Sender<T> {
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
            match try_recv_at(&self.shared, &mut self.next) {
                Ok(v) => return Ok(v),
                Err(TryRecvError::Closed) => return Err(RecvError::Closed),
                Err(TryRecvError::Lagged(n)) => return Err(RecvError::Lagged(n)),
                Err(TryRecvError::Empty) => notified.await,
            }
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
    /// Number of values this receiver has yet to read (at most capacity).
    pub fn len(&self) -> usize {
        let ring = lock(&self.shared.ring);
        (ring.tail - self.next).min(self.shared.mask + 1) as usize
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
        {
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
        }
        drop(dropped);
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
