//! The bounded channel: senders wait (FIFO) for capacity.

use std::fmt;
use std::iter::FusedIterator;
use std::task::{Context, Poll};

use super::chan::{self, Rx, Tx, WeakTx};
use super::error::{SendError, SendTimeoutError, TryRecvError, TrySendError};
use super::permits::{Permits, MAX_PERMITS};
use crate::sync::semaphore::TryAcquireError;

/// Sends messages to the [`Receiver`]; cheap to clone.
pub struct Sender<T> {
    tx: Tx<T>,
}

/// A sender that does not keep the channel open; [`upgrade`] it to send.
///
/// [`upgrade`]: WeakSender::upgrade
pub struct WeakSender<T> {
    chan: WeakTx<T>,
}

/// Receives the messages of a bounded channel.
pub struct Receiver<T> {
    rx: Rx<T>,
}

/// One reserved slot of capacity; [`send`](Permit::send) fills it
/// without waiting. Dropping it gives the slot back.
pub struct Permit<'a, T> {
    tx: &'a Tx<T>,
}

/// Several reserved slots of capacity, handed out one [`Permit`] at a
/// time; returned by [`Sender::reserve_many`] and
/// [`Sender::try_reserve_many`].
///
/// Dropping the iterator gives the slots it has not handed out back to the
/// channel (permits already taken out live on their own).
pub struct PermitIterator<'a, T> {
    tx: &'a Tx<T>,
    /// Slots not handed out yet.
    n: usize,
}

/// Like [`Permit`] but owning its [`Sender`].
pub struct OwnedPermit<T> {
    sender: Option<Sender<T>>,
}

/// A bounded channel holding at most `buffer` queued messages.
///
/// # Panics
/// If `buffer` is 0 or above [`Semaphore::MAX_PERMITS`](crate::sync::Semaphore::MAX_PERMITS).
#[track_caller]
pub fn channel<T>(buffer: usize) -> (Sender<T>, Receiver<T>) {
    assert!(buffer > 0, "mpsc bounded channel requires buffer > 0");
    assert!(buffer <= MAX_PERMITS, "mpsc bounded channel buffer too large");
    let (tx, rx) = chan::new(Some(buffer));
    (Sender { tx }, Receiver { rx })
}

fn sem<T>(tx: &Tx<T>) -> &Permits {
    tx.chan.sem.as_ref().expect("bounded channel has a semaphore")
}

impl<T> Sender<T> {
    /// Waits for capacity, then queues `value`. Waiting senders are
    /// served in the order they started waiting.
    ///
    /// Cancelling the future (dropping it) before it completes sends
    /// nothing.
    ///
    /// # Errors
    /// [`SendError`] with the value if the receiver is gone.
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        if sem(&self.tx).acquire(1).await.is_err() {
            return Err(SendError(value));
        }
        self.tx.push(value).map_err(|v| {
            sem(&self.tx).release(1);
            SendError(v)
        })
    }

    /// [`send`](Self::send), giving up if no capacity comes free within
    /// `timeout` (needs a runtime with time enabled).
    ///
    /// # Errors
    /// [`SendTimeoutError::Timeout`] or [`SendTimeoutError::Closed`], with
    /// the value.
    pub async fn send_timeout(&self, value: T, timeout: std::time::Duration) -> Result<(), SendTimeoutError<T>> {
        match crate::time::timeout(timeout, self.reserve()).await {
            Ok(Ok(permit)) => {
                permit.send(value);
                Ok(())
            }
            Ok(Err(_)) => Err(SendTimeoutError::Closed(value)),
            Err(_) => Err(SendTimeoutError::Timeout(value)),
        }
    }

    /// [`send`](Self::send) from synchronous code: blocks the thread until
    /// there is capacity.
    ///
    /// ```
    /// let (tx, mut rx) = heddle::sync::mpsc::channel(1);
    /// let producer = std::thread::spawn(move || {
    ///     for i in 0..3 {
    ///         tx.blocking_send(i).unwrap();
    ///     }
    /// });
    /// let mut got = Vec::new();
    /// while let Some(v) = rx.blocking_recv() {
    ///     got.push(v);
    /// }
    /// producer.join().unwrap();
    /// assert_eq!(got, [0, 1, 2]);
    /// ```
    ///
    /// # Errors
    /// [`SendError`] with the value if the receiver is gone.
    ///
    /// # Panics
    /// Inside a runtime (an async context), where blocking would stall the
    /// tasks of this thread.
    #[track_caller]
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        crate::sync::block_on(self.send(value))
    }

    /// Queues `value` if there is capacity right now.
    ///
    /// # Errors
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], with the value.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match sem(&self.tx).try_acquire(1) {
            Ok(()) => {}
            Err(TryAcquireError::NoPermits) => return Err(TrySendError::Full(value)),
            Err(TryAcquireError::Closed) => return Err(TrySendError::Closed(value)),
        }
        self.tx.push(value).map_err(|v| {
            sem(&self.tx).release(1);
            TrySendError::Closed(v)
        })
    }

    /// Waits for one slot of capacity and reserves it.
    ///
    /// # Errors
    /// [`SendError`] if the receiver is gone.
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        sem(&self.tx).acquire(1).await.map_err(|_| SendError(()))?;
        Ok(Permit { tx: &self.tx })
    }

    /// Reserves one slot if one is free right now.
    ///
    /// # Errors
    /// [`TrySendError::Full`] or [`TrySendError::Closed`].
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        match sem(&self.tx).try_acquire(1) {
            Ok(()) => Ok(Permit { tx: &self.tx }),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(())),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(())),
        }
    }

    /// Waits until `n` slots of capacity are free at once and reserves them
    /// all: every [`Permit`] of the returned iterator then sends without
    /// waiting. `n == 0` gives an empty iterator (unless the channel is
    /// closed).
    ///
    /// The reservation is all-or-nothing and takes its turn in the same
    /// FIFO queue as [`send`](Self::send) and [`reserve`](Self::reserve):
    /// while it waits for `n` slots, senders that came after it wait too,
    /// even if they need fewer. Cancelling the future gives up its place in
    /// the queue and reserves nothing.
    ///
    /// ```
    /// use heddle::sync::mpsc;
    ///
    /// #[heddle::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let (tx, mut rx) = mpsc::channel(4);
    ///     let permits = tx.reserve_many(3).await.unwrap();
    ///     assert_eq!(tx.capacity(), 1);
    ///     for (permit, word) in permits.zip(["a", "b", "c"]) {
    ///         permit.send(word);
    ///     }
    ///     assert_eq!(rx.recv().await, Some("a"));
    ///     assert_eq!(rx.recv().await, Some("b"));
    ///     assert_eq!(rx.recv().await, Some("c"));
    /// }
    /// ```
    ///
    /// # Errors
    /// [`SendError`] if the receiver is gone, or if `n` exceeds
    /// [`max_capacity`](Self::max_capacity) (such a reservation could never
    /// be met).
    pub async fn reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, SendError<()>> {
        if n > self.max_capacity() {
            return Err(SendError(()));
        }
        sem(&self.tx).acquire(n).await.map_err(|_| SendError(()))?;
        Ok(PermitIterator { tx: &self.tx, n })
    }

    /// Reserves `n` slots if that many are free right now and no sender is
    /// waiting ahead; all or nothing. `n == 0` gives an empty iterator
    /// (unless the channel is closed).
    ///
    /// ```
    /// use heddle::sync::mpsc::{self, error::TrySendError};
    ///
    /// let (tx, mut rx) = mpsc::channel::<u32>(2);
    /// tx.try_send(0).unwrap();
    /// // Only one slot is free: nothing is reserved.
    /// assert!(matches!(tx.try_reserve_many(2), Err(TrySendError::Full(()))));
    /// assert_eq!(rx.try_recv(), Ok(0));
    /// let mut permits = tx.try_reserve_many(2).unwrap();
    /// assert_eq!(permits.len(), 2);
    /// permits.next().unwrap().send(1);
    /// drop(permits); // the unused slot goes back
    /// assert_eq!(tx.capacity(), 1);
    /// ```
    ///
    /// # Errors
    /// [`TrySendError::Full`] if fewer than `n` slots are free (or others
    /// wait), or if `n` exceeds [`max_capacity`](Self::max_capacity);
    /// [`TrySendError::Closed`] if the receiver is gone.
    pub fn try_reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, TrySendError<()>> {
        if n > self.max_capacity() {
            return Err(TrySendError::Full(()));
        }
        match sem(&self.tx).try_acquire(n) {
            Ok(()) => Ok(PermitIterator { tx: &self.tx, n }),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(())),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(())),
        }
    }

    /// Like [`reserve`](Self::reserve), consuming the sender into the permit.
    ///
    /// # Errors
    /// [`SendError`] if the receiver is gone.
    pub async fn reserve_owned(self) -> Result<OwnedPermit<T>, SendError<()>> {
        sem(&self.tx).acquire(1).await.map_err(|_| SendError(()))?;
        Ok(OwnedPermit { sender: Some(self) })
    }

    /// Like [`try_reserve`](Self::try_reserve), consuming the sender.
    ///
    /// # Errors
    /// [`TrySendError::Full`] or [`TrySendError::Closed`] holding the sender.
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Self>> {
        match sem(&self.tx).try_acquire(1) {
            Ok(()) => Ok(OwnedPermit { sender: Some(self) }),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(self)),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(self)),
        }
    }

    /// Waits until the receiver is dropped or closed.
    pub async fn closed(&self) {
        self.tx.closed().await
    }

    /// True once the receiver is dropped or closed.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Free slots right now.
    pub fn capacity(&self) -> usize {
        sem(&self.tx).available()
    }

    /// The buffer size the channel was created with.
    pub fn max_capacity(&self) -> usize {
        self.tx.chan.bound
    }

    /// True if both senders feed the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        self.tx.same_channel(&other.tx)
    }

    /// A [`WeakSender`] for this channel.
    pub fn downgrade(&self) -> WeakSender<T> {
        WeakSender { chan: self.tx.downgrade() }
    }

    /// Number of live (strong) senders.
    pub fn strong_count(&self) -> usize {
        self.tx.strong_count()
    }

    /// Number of live weak senders.
    pub fn weak_count(&self) -> usize {
        self.tx.weak_count()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender { tx: self.tx.clone() }
    }
}

impl<T> WeakSender<T> {
    /// A [`Sender`], unless every sender has been dropped.
    pub fn upgrade(&self) -> Option<Sender<T>> {
        self.chan.upgrade().map(|tx| Sender { tx })
    }

    /// Number of live (strong) senders.
    pub fn strong_count(&self) -> usize {
        self.chan.strong_count()
    }

    /// Number of live weak senders, this one included.
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        WeakSender { chan: self.chan.clone() }
    }
}

impl<T> Permit<'_, T> {
    /// Queues `value` in the reserved slot. This works even if the
    /// receiver has [`close`](Receiver::close)d the channel meanwhile (it
    /// still receives the value); if the receiver is gone, the value is
    /// dropped.
    pub fn send(self, value: T) {
        let tx = self.tx;
        std::mem::forget(self);
        if tx.push(value).is_err() {
            sem(tx).release(1);
        }
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        sem(self.tx).release(1);
    }
}

impl<'a, T> Iterator for PermitIterator<'a, T> {
    type Item = Permit<'a, T>;

    fn next(&mut self) -> Option<Permit<'a, T>> {
        if self.n == 0 {
            return None;
        }
        self.n -= 1;
        Some(Permit { tx: self.tx })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.n, Some(self.n))
    }
}

impl<T> ExactSizeIterator for PermitIterator<'_, T> {}

impl<T> FusedIterator for PermitIterator<'_, T> {}

impl<T> Drop for PermitIterator<'_, T> {
    fn drop(&mut self) {
        sem(self.tx).release(self.n);
    }
}

impl<T> OwnedPermit<T> {
    /// Queues `value` in the reserved slot and gives the sender back.
    pub fn send(mut self, value: T) -> Sender<T> {
        let sender = self.sender.take().expect("permit holds its sender");
        if sender.tx.push(value).is_err() {
            sem(&sender.tx).release(1);
        }
        sender
    }

    /// Gives the slot back unused, returning the sender.
    pub fn release(mut self) -> Sender<T> {
        let sender = self.sender.take().expect("permit holds its sender");
        sem(&sender.tx).release(1);
        sender
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(sender) = &self.sender {
            sem(&sender.tx).release(1);
        }
    }
}

impl<T> Receiver<T> {
    /// Waits for the next message; `None` once every sender is gone (or
    /// the receiver was closed and every reserved permit has been used or
    /// given back) and the queue is drained.
    ///
    /// Cancel-safe: if the future is dropped, no message is lost.
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.rx.poll_recv(cx)).await
    }

    /// Waits for at least one message, then moves up to `limit` queued
    /// messages into `buffer`. Returns how many were added; 0 only if
    /// `limit` is 0 or the channel is closed and drained.
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        std::future::poll_fn(|cx| self.rx.poll_recv_many(cx, buffer, limit)).await
    }

    /// [`recv`](Self::recv) from synchronous code: blocks the thread until
    /// a message arrives or the channel is closed and drained.
    ///
    /// # Panics
    /// Inside a runtime (an async context).
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Option<T> {
        crate::sync::block_on(self.recv())
    }

    /// [`recv_many`](Self::recv_many) from synchronous code.
    ///
    /// # Panics
    /// Inside a runtime (an async context).
    #[track_caller]
    pub fn blocking_recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        crate::sync::block_on(self.recv_many(buffer, limit))
    }

    /// Takes the next message without waiting.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] or [`TryRecvError::Disconnected`].
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.rx.try_recv()
    }

    /// Polls for the next message (the building block of [`recv`](Self::recv)).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.rx.poll_recv(cx)
    }

    /// Polling form of [`recv_many`](Self::recv_many).
    pub fn poll_recv_many(&mut self, cx: &mut Context<'_>, buffer: &mut Vec<T>, limit: usize) -> Poll<usize> {
        self.rx.poll_recv_many(cx, buffer, limit)
    }

    /// Stops new sends and reservations (they fail) while keeping queued
    /// messages receivable. Permits reserved before the close stay valid:
    /// a value sent with one is still received, so [`recv`](Self::recv)
    /// returns `None` only once the queue is empty and every outstanding
    /// permit has been used or dropped.
    ///
    /// ```
    /// use heddle::sync::mpsc;
    ///
    /// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let (tx, mut rx) = mpsc::channel::<u32>(4);
    /// let permit = tx.try_reserve().unwrap();
    /// rx.close();
    /// assert!(tx.try_send(1).is_err(), "no new sends");
    /// permit.send(2); // reserved before the close: still delivered
    /// assert_eq!(rx.recv().await, Some(2));
    /// assert_eq!(rx.recv().await, None);
    /// # });
    /// ```
    pub fn close(&mut self) {
        self.rx.close();
    }

    /// True once closed, or once every sender is gone.
    pub fn is_closed(&self) -> bool {
        self.rx.is_closed()
    }

    /// Number of queued messages.
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    /// True if no message is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Free slots right now.
    pub fn capacity(&self) -> usize {
        self.rx_sem().available()
    }

    /// The buffer size the channel was created with.
    pub fn max_capacity(&self) -> usize {
        self.rx.chan().bound
    }

    /// Number of live (strong) senders.
    pub fn sender_strong_count(&self) -> usize {
        self.rx.sender_strong_count()
    }

    /// Number of live weak senders.
    pub fn sender_weak_count(&self) -> usize {
        self.rx.sender_weak_count()
    }

    fn rx_sem(&self) -> &Permits {
        self.rx.chan().sem.as_ref().expect("bounded channel has a semaphore")
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Sender").field("closed", &self.is_closed()).finish()
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("mpsc::WeakSender")
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Receiver").field("closed", &self.is_closed()).finish()
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("mpsc::Permit")
    }
}

impl<T> fmt::Debug for PermitIterator<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::PermitIterator").field("remaining", &self.n).finish()
    }
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("mpsc::OwnedPermit")
    }
}
