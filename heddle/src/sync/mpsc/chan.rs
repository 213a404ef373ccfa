//! The channel state shared by the bounded and unbounded channels.
//!
//! Messages go through the lock-free block list of the [`list`](super::list)
//! module: a send is one `fetch_add` to claim a slot, a write, and one
//! `fetch_or` to publish it; the receiver reads slots in order without
//! touching any lock. Waking the receiver goes through an [`AtomicWaker`];
//! bounded capacity is a [`Permits`] semaphore whose permits travel with the
//! messages (taken by the sender, given back when the receiver takes the
//! message out).
//!
//! ```text
//!  channel state:   OPEN ──last sender dropped──▶ TX_CLOSED ─┐
//!                     └──receiver close/drop──▶ RX_CLOSED ───┴─▶ drained
//!  TX_CLOSED: recv drains what is queued, then yields None.
//!  RX_CLOSED: new sends fail and return the value; capacity waiters fail;
//!             the receiver still drains what was queued before.
//! ```
//!
//! Closing differs by kind, as in tokio. Unbounded: the close flag lives in
//! the queue's tail word, so each send lands either before the close (and
//! is received) or after (and fails). Bounded: closing closes the capacity
//! semaphore only; permits already reserved may still send, and `recv`
//! yields `None` once the queue is empty *and* every permit is back (the
//! semaphore is idle), woken by the give-back that makes it so. Only
//! dropping the receiver closes a bounded channel's queue as well.
//!
//! A message leaves the queue only inside a poll that returns it, so a
//! `recv()` future dropped at any point loses nothing. Messages never
//! received are dropped with the receiver (or, if a sender was still
//! writing one then, with the last handle on the channel).

use std::task::{ready, Context, Poll};

use super::error::TryRecvError;
use super::list::{self, Cursor, List, Pop};
use super::permits::Permits;
use crate::loom::sync::atomic::{fence, AtomicUsize, Ordering::*};
use crate::loom::sync::Arc;
use crate::runtime::coop;
use crate::sync::Notify;
use crate::util::atomic_waker::AtomicWaker;

pub(crate) struct Chan<T> {
    list: List<T>,
    rx_waker: AtomicWaker,
    /// Live senders (weak senders excluded).
    tx_count: AtomicUsize,
    /// Live weak senders; they keep the allocation, not the channel, alive.
    tx_weak_count: AtomicUsize,
    /// Wakes `Sender::closed` waiters when the receiver closes.
    closed_notify: Notify,
    /// Capacity permits of a bounded channel.
    pub(crate) sem: Option<Permits>,
    /// The bound, or 0 when unbounded.
    pub(crate) bound: usize,
}

// A panic unwinding past a channel handle cannot leave the channel half
// updated: its queue, counts and wakers change only by atomic steps or
// under its own locks, and no user code (not even a message's `Drop`) runs
// in the middle of such a step. So every handle is unwind-safe, whatever
// the message type (as tokio's).
impl<T> std::panic::UnwindSafe for Chan<T> {}
impl<T> std::panic::RefUnwindSafe for Chan<T> {}

/// One strong sender's handle on the channel.
pub(crate) struct Tx<T> {
    pub(crate) chan: Arc<Chan<T>>,
}

/// A weak sender's handle: counted, but does not keep the channel open.
pub(crate) struct WeakTx<T> {
    chan: Arc<Chan<T>>,
}

/// The receiver's handle, with its read position in the queue.
pub(crate) struct Rx<T> {
    chan: Arc<Chan<T>>,
    cursor: Cursor<T>,
    /// This receiver closed the channel (only it can): a local copy, so
    /// the receive paths of an open channel never read the shared
    /// semaphore word.
    closed: bool,
}

pub(crate) fn new<T>(bound: Option<usize>) -> (Tx<T>, Rx<T>) {
    let (list, cursor) = list::new();
    let chan = Arc::new(Chan {
        list,
        rx_waker: AtomicWaker::new(),
        tx_count: AtomicUsize::new(1),
        tx_weak_count: AtomicUsize::new(0),
        closed_notify: Notify::new(),
        sem: bound.map(Permits::new),
        bound: bound.unwrap_or(0),
    });
    (Tx { chan: chan.clone() }, Rx { chan, cursor, closed: false })
}

impl<T> Chan<T> {
    /// True once the receiver closed (or was dropped).
    fn is_rx_closed(&self) -> bool {
        match &self.sem {
            Some(sem) => sem.is_closed(),
            None => self.list.is_rx_closed(),
        }
    }

    /// A closed bounded channel whose permits are all back: nothing can
    /// be sent to it any more. Only asked once the receiver has closed.
    fn idle(&self) -> bool {
        self.sem.as_ref().is_some_and(Permits::is_idle)
    }
}

impl<T> Tx<T> {
    /// Queues `value` (its capacity permit, if any, is already held).
    /// Fails when the receiver has closed an unbounded channel, or dropped
    /// a bounded one.
    pub(crate) fn push(&self, value: T) -> Result<(), T> {
        self.chan.list.push(value)?;
        // Pairs with the fence in `register_rx_waker`: either the receiver
        // sees this value, or this sees its waker (a load, not a write, when
        // the receiver is busy: senders do not fight over the line).
        fence(SeqCst);
        self.chan.rx_waker.wake_if_registered();
        Ok(())
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.chan.is_rx_closed()
    }

    pub(crate) async fn closed(&self) {
        loop {
            let notified = self.chan.closed_notify.notified();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }

    pub(crate) fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    pub(crate) fn strong_count(&self) -> usize {
        self.chan.tx_count.load(Acquire)
    }

    /// Number of live weak senders.
    pub(crate) fn weak_count(&self) -> usize {
        self.chan.tx_weak_count.load(Acquire)
    }

    /// A handle that does not keep the channel open.
    pub(crate) fn downgrade(&self) -> WeakTx<T> {
        self.chan.tx_weak_count.fetch_add(1, Relaxed);
        WeakTx { chan: self.chan.clone() }
    }
}

impl<T> WeakTx<T> {
    /// Number of live strong senders.
    pub(crate) fn strong_count(&self) -> usize {
        self.chan.tx_count.load(Acquire)
    }

    /// Number of live weak senders.
    pub(crate) fn weak_count(&self) -> usize {
        self.chan.tx_weak_count.load(Acquire)
    }

    /// A strong sender from this weak handle, if any strong sender remains.
    pub(crate) fn upgrade(&self) -> Option<Tx<T>> {
        let chan = &self.chan;
        let mut cur = chan.tx_count.load(Acquire);
        loop {
            if cur == 0 {
                return None;
            }
            match chan.tx_count.compare_exchange_weak(cur, cur + 1, AcqRel, Acquire) {
                Ok(_) => return Some(Tx { chan: chan.clone() }),
                Err(actual) => cur = actual,
            }
        }
    }
}

impl<T> Clone for WeakTx<T> {
    fn clone(&self) -> Self {
        self.chan.tx_weak_count.fetch_add(1, Relaxed);
        WeakTx { chan: self.chan.clone() }
    }
}

impl<T> Drop for WeakTx<T> {
    fn drop(&mut self) {
        self.chan.tx_weak_count.fetch_sub(1, Release);
    }
}

impl<T> Clone for Tx<T> {
    fn clone(&self) -> Self {
        self.chan.tx_count.fetch_add(1, Relaxed);
        Tx { chan: self.chan.clone() }
    }
}

impl<T> Drop for Tx<T> {
    fn drop(&mut self) {
        // AcqRel: the last sender acquires every other sender's pushes, and
        // `close_tx` passes them on to the receiver.
        if self.chan.tx_count.fetch_sub(1, AcqRel) != 1 {
            return;
        }
        self.chan.list.close_tx();
        // As in `push`: either the receiver's re-check after registering
        // sees the close, or this sees its waker.
        fence(SeqCst);
        self.chan.rx_waker.wake_if_registered();
    }
}

impl<T> Rx<T> {
    /// Pops one message without waiting.
    pub(crate) fn try_recv(&mut self) -> Result<T, TryRecvError> {
        match self.cursor.pop(&self.chan.list) {
            Pop::Value(v) => {
                if let Some(sem) = &self.chan.sem {
                    sem.release(1);
                }
                Ok(v)
            }
            // A closed bounded channel ends once no permit is out: a
            // reserved one may still send.
            Pop::Empty if self.closed && self.chan.idle() => Err(TryRecvError::Disconnected),
            Pop::Empty => Err(TryRecvError::Empty),
            Pop::Closed => Err(TryRecvError::Disconnected),
        }
    }

    /// Stores the receiving task's waker before the re-check that follows;
    /// the fence pairs with the one in [`Tx::push`]. On a closed bounded
    /// channel the waker also waits for the last permit to come back.
    fn register_rx_waker(&self, cx: &Context<'_>) {
        self.chan.rx_waker.register(cx.waker());
        fence(SeqCst);
        if let (true, Some(sem)) = (self.closed, &self.chan.sem) {
            sem.register_idle(cx.waker());
        }
    }

    /// After a [`take`](Cursor::take) that found nothing: true if nothing
    /// will ever come (the queue ended, or this receiver closed a bounded
    /// channel and no permit is out to send with).
    fn channel_ended(&self) -> bool {
        self.cursor.ended() || (self.closed && self.chan.idle())
    }

    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let coop = ready!(coop::poll_proceed(cx));
        // The message goes from the queue's `Option` straight into the
        // result, not through `Pop` and `try_recv`'s `Result`: each move of
        // a large message is a `memcpy`, and between two same-sized enums on
        // one stack frame it runs at an address gap that AMD CPUs copy ~20x
        // slower (32 KiB messages took 2.3x tokio's time).
        let mut registered = false;
        loop {
            let taken = self.cursor.take(&self.chan.list);
            if taken.is_some() {
                if let Some(sem) = &self.chan.sem {
                    sem.release(1);
                }
            } else if !self.channel_ended() {
                // Nothing yet: register, then look once more.
                if registered {
                    return Poll::Pending;
                }
                self.register_rx_waker(cx);
                registered = true;
                continue;
            }
            coop.made_progress();
            return Poll::Ready(taken);
        }
    }

    /// Moves up to `limit` ready messages into `out`; returns how many,
    /// and whether the channel ended.
    fn pop_many(&mut self, out: &mut Vec<T>, limit: usize) -> (usize, bool) {
        let mut n = 0;
        let mut closed = false;
        while n < limit {
            match self.cursor.pop(&self.chan.list) {
                Pop::Value(v) => {
                    out.push(v);
                    n += 1;
                }
                Pop::Empty => {
                    // Checked only when nothing was taken: the permits of
                    // the messages just taken are not back yet.
                    closed = n == 0 && self.closed && self.chan.idle();
                    break;
                }
                Pop::Closed => {
                    closed = true;
                    break;
                }
            }
        }
        if let Some(sem) = &self.chan.sem {
            sem.release(n);
        }
        (n, closed)
    }

    pub(crate) fn poll_recv_many(&mut self, cx: &mut Context<'_>, out: &mut Vec<T>, limit: usize) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        let coop = ready!(coop::poll_proceed(cx));
        for attempt in 0..2 {
            let (n, closed) = self.pop_many(out, limit);
            if n > 0 || closed {
                coop.made_progress();
                return Poll::Ready(n);
            }
            if attempt == 0 {
                self.register_rx_waker(cx);
            }
        }
        Poll::Pending
    }

    /// Closes the channel to new sends (see the module docs for how
    /// bounded and unbounded channels differ).
    pub(crate) fn close(&mut self) {
        self.closed = true;
        let newly = match &self.chan.sem {
            Some(sem) => sem.close(),
            None => self.cursor.close(&self.chan.list),
        };
        if newly {
            self.chan.closed_notify.notify_waiters();
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.chan.is_rx_closed() || self.chan.tx_count.load(Acquire) == 0
    }

    pub(crate) fn len(&self) -> usize {
        self.cursor.len(&self.chan.list)
    }

    pub(crate) fn sender_strong_count(&self) -> usize {
        self.chan.tx_count.load(Acquire)
    }

    pub(crate) fn sender_weak_count(&self) -> usize {
        self.chan.tx_weak_count.load(Acquire)
    }

    pub(crate) fn chan(&self) -> &Chan<T> {
        &self.chan
    }
}

impl<T> Rx<T> {
    /// Drops the queued messages, giving their permits back.
    fn drain(&mut self) {
        while let Pop::Value(v) = self.cursor.pop(&self.chan.list) {
            if let Some(sem) = &self.chan.sem {
                sem.release(1);
            }
            drop(v);
        }
    }
}

impl<T> Drop for Rx<T> {
    fn drop(&mut self) {
        /// Finishes the drain and parks the cursor even if a message's
        /// `Drop` panics: the panicking message is already out of the
        /// queue, and the others are still dropped now (as tokio does).
        struct Finish<'a, T>(&'a mut Rx<T>);
        impl<T> Drop for Finish<'_, T> {
            fn drop(&mut self) {
                self.0.drain();
                self.0.cursor.park(&self.0.chan.list);
            }
        }

        self.close();
        // A bounded channel's queue closes only now: sends still reserved
        // fail from here on and drop their values themselves.
        self.cursor.close(&self.chan.list);
        // Nothing will poll the receiver again: release its task's waker
        // before running the messages' destructors.
        drop(self.chan.rx_waker.take_as_registrar());
        if let Some(sem) = &self.chan.sem {
            sem.clear_idle();
        }
        // Drop queued messages now, not when the last sender goes. A
        // message a sender is still writing stays for the list's own drop.
        let finish = Finish(self);
        finish.0.drain();
    }
}
