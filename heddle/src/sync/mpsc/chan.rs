//! The queue shared by the bounded and unbounded channels.
//!
//! Senders push into a mutex-protected `VecDeque`; the receiver *swaps*
//! that deque with its own private one when its private one runs dry, so
//! it takes the lock once per batch, not once per message, and both
//! deques keep their capacity (no allocation per message in steady state).
//! Waking the receiver goes through an [`AtomicWaker`]; bounded capacity is
//! a [`Semaphore`] whose permits travel with the messages (taken by the
//! sender, given back when the receiver pops the message).
//!
//! ```text
//!  channel state:   OPEN ──last sender dropped──▶ TX_CLOSED ─┐
//!                     └──receiver close/drop──▶ RX_CLOSED ───┴─▶ drained
//!  TX_CLOSED: recv drains what is queued, then yields None.
//!  RX_CLOSED: pushes fail and return the value; capacity waiters fail;
//!             the receiver still drains what was queued before.
//! ```
//!
//! A message leaves the queue only inside a poll that returns it, so a
//! `recv()` future dropped at any point loses nothing.

use std::collections::VecDeque;
use std::task::{ready, Context, Poll};

use super::error::TryRecvError;
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use crate::loom::sync::{Arc, Mutex};
use crate::runtime::coop;
use crate::sync::{lock, Notify, Semaphore};
use crate::util::atomic_waker::AtomicWaker;

struct Queue<T> {
    buf: VecDeque<T>,
    rx_closed: bool,
    tx_closed: bool,
}

pub(crate) struct Chan<T> {
    queue: Mutex<Queue<T>>,
    rx_waker: AtomicWaker,
    /// Live senders (weak senders excluded).
    tx_count: AtomicUsize,
    /// Mirror of `Queue::rx_closed` for lock-free `is_closed`.
    rx_closed: AtomicBool,
    /// Wakes `Sender::closed` waiters when the receiver closes.
    closed_notify: Notify,
    /// Capacity permits of a bounded channel.
    pub(crate) sem: Option<Semaphore>,
    /// The bound, or 0 when unbounded.
    pub(crate) bound: usize,
}

/// One strong sender's handle on the channel.
pub(crate) struct Tx<T> {
    pub(crate) chan: Arc<Chan<T>>,
}

/// The receiver's handle, with its private batch of messages.
pub(crate) struct Rx<T> {
    chan: Arc<Chan<T>>,
    local: VecDeque<T>,
}

pub(crate) fn new<T>(bound: Option<usize>) -> (Tx<T>, Rx<T>) {
    let chan = Arc::new(Chan {
        queue: Mutex::new(Queue { buf: VecDeque::new(), rx_closed: false, tx_closed: false }),
        rx_waker: AtomicWaker::new(),
        tx_count: AtomicUsize::new(1),
        rx_closed: AtomicBool::new(false),
        closed_notify: Notify::new(),
        sem: bound.map(Semaphore::new),
        bound: bound.unwrap_or(0),
    });
    (Tx { chan: chan.clone() }, Rx { chan, local: VecDeque::new() })
}

impl<T> Chan<T> {
    fn release_permit(&self) {
        if let Some(sem) = &self.sem {
            sem.release(1);
        }
    }
}

impl<T> Tx<T> {
    /// Queues `value` (its capacity permit, if any, is already held).
    /// Fails when the receiver has closed.
    pub(crate) fn push(&self, value: T) -> Result<(), T> {
        {
            let mut q = lock(&self.chan.queue);
            if q.rx_closed {
                return Err(value);
            }
            q.buf.push_back(value);
        }
        self.chan.rx_waker.wake();
        Ok(())
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.chan.rx_closed.load(Acquire)
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

    /// A handle that does not keep the channel open.
    pub(crate) fn downgrade(&self) -> Arc<Chan<T>> {
        self.chan.clone()
    }

    /// A strong sender from a weak handle, if any strong sender remains.
    pub(crate) fn upgrade(chan: &Arc<Chan<T>>) -> Option<Tx<T>> {
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

impl<T> Clone for Tx<T> {
    fn clone(&self) -> Self {
        self.chan.tx_count.fetch_add(1, Relaxed);
        Tx { chan: self.chan.clone() }
    }
}

impl<T> Drop for Tx<T> {
    fn drop(&mut self) {
        if self.chan.tx_count.fetch_sub(1, AcqRel) != 1 {
            return;
        }
        lock(&self.chan.queue).tx_closed = true;
        self.chan.rx_waker.wake();
    }
}

impl<T> Rx<T> {
    /// Pops one message without waiting.
    pub(crate) fn try_recv(&mut self) -> Result<T, TryRecvError> {
        if let Some(v) = self.local.pop_front() {
            self.chan.release_permit();
            return Ok(v);
        }
        let closed = self.refill();
        match self.local.pop_front() {
            Some(v) => {
                self.chan.release_permit();
                Ok(v)
            }
            None if closed => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Swaps the shared queue into the (empty) private one. Returns true if
    /// no more messages can ever arrive.
    fn refill(&mut self) -> bool {
        debug_assert!(self.local.is_empty());
        let mut q = lock(&self.chan.queue);
        std::mem::swap(&mut q.buf, &mut self.local);
        q.tx_closed || q.rx_closed
    }

    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let coop = ready!(coop::poll_proceed(cx));
        let res = match self.try_recv() {
            Ok(v) => Some(v),
            Err(TryRecvError::Disconnected) => None,
            Err(TryRecvError::Empty) => {
                self.chan.rx_waker.register(cx.waker());
                match self.try_recv() {
                    Ok(v) => Some(v),
                    Err(TryRecvError::Disconnected) => None,
                    Err(TryRecvError::Empty) => return Poll::Pending,
                }
            }
        };
        coop.made_progress();
        Poll::Ready(res)
    }

    pub(crate) fn poll_recv_many(&mut self, cx: &mut Context<'_>, out: &mut Vec<T>, limit: usize) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        let coop = ready!(coop::poll_proceed(cx));
        let mut closed = false;
        for attempt in 0..2 {
            if self.local.is_empty() {
                closed = self.refill();
            }
            let n = limit.min(self.local.len());
            if n > 0 {
                out.extend(self.local.drain(..n));
                if let Some(sem) = &self.chan.sem {
                    sem.release(n);
                }
                coop.made_progress();
                return Poll::Ready(n);
            }
            if closed {
                coop.made_progress();
                return Poll::Ready(0);
            }
            if attempt == 0 {
                self.chan.rx_waker.register(cx.waker());
            }
        }
        Poll::Pending
    }

    pub(crate) fn close(&mut self) {
        lock(&self.chan.queue).rx_closed = true;
        if !self.chan.rx_closed.swap(true, AcqRel) {
            if let Some(sem) = &self.chan.sem {
                sem.close();
            }
            self.chan.closed_notify.notify_waiters();
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.chan.rx_closed.load(Acquire) || self.chan.tx_count.load(Acquire) == 0
    }

    pub(crate) fn len(&self) -> usize {
        self.local.len() + lock(&self.chan.queue).buf.len()
    }

    pub(crate) fn sender_strong_count(&self) -> usize {
        self.chan.tx_count.load(Acquire)
    }
}

impl<T> Drop for Rx<T> {
    fn drop(&mut self) {
        self.close();
        // Drop queued messages now (outside the lock), not when the last
        // sender goes.
        let queued = std::mem::take(&mut lock(&self.chan.queue).buf);
        drop(queued);
    }
}

impl<T> Rx<T> {
    pub(crate) fn chan(&self) -> &Chan<T> {
        &self.chan
    }
}
