//! A channel for sending exactly one value between tasks.
//!
//! ```
//! use heddle::sync::oneshot;
//!
//! #[heddle::main(flavor = "current_thread")]
//! async fn main() {
//!     let (tx, rx) = oneshot::channel();
//!     heddle::spawn(async move {
//!         let _ = tx.send(42);
//!     });
//!     assert_eq!(rx.await, Ok(42));
//! }
//! ```
//!
//! # Design
//!
//! Lock-free: one allocation holding an atomic state, the value slot and
//! two `AtomicWaker`s (the receiver's, and the sender's for
//! [`Sender::closed`]). The sender writes the slot *before* publishing
//! `VALUE_SENT`; the receiver reads it only *after* seeing `VALUE_SENT`.
//!
//! ```text
//!              send: CAS (no CLOSED) → VALUE_SENT        recv: take value
//!   EMPTY ───────────────────────────────────▶ SENT ──────────────▶ done
//!     │ rx close/drop: set CLOSED  (a later send fails and returns the value)
//!     │ tx drop: set TX_DROPPED    (recv → RecvError)
//! ```
//!
//! `send` publishes with a CAS that fails if `CLOSED` is set, so once the
//! receiver has closed no value can appear behind its back, and a value
//! sent before `close` can still be received.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::Arc;
use crate::loom::UnsafeCell;
use crate::runtime::coop;
use crate::util::atomic_waker::AtomicWaker;

const VALUE_SENT: usize = 0b001;
const CLOSED: usize = 0b010;
const TX_DROPPED: usize = 0b100;

/// Errors of the receiving side.
///
/// ```
/// use heddle::sync::oneshot::{self, error::{RecvError, TryRecvError}};
///
/// #[heddle::main(flavor = "current_thread")]
/// async fn main() {
///     let (tx, mut rx) = oneshot::channel::<u32>();
///     assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
///     drop(tx);
///     assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
///     let (tx, rx) = oneshot::channel::<u32>();
///     drop(tx);
///     let err: RecvError = rx.await.unwrap_err();
///     println!("{err}");
/// }
/// ```
pub mod error {
    use std::fmt;

    /// The sender was dropped without sending a value.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct RecvError(pub(super) ());

    /// Why [`Receiver::try_recv`](super::Receiver::try_recv) returned no value.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum TryRecvError {
        /// No value yet; the sender is still alive.
        Empty,
        /// The sender is gone (or the value was already taken).
        Closed,
    }

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }
    impl std::error::Error for RecvError {}

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("channel empty"),
                TryRecvError::Closed => f.write_str("channel closed"),
            }
        }
    }
    impl std::error::Error for TryRecvError {}
}

pub use error::{RecvError, TryRecvError};

struct Inner<T> {
    state: AtomicUsize,
    value: UnsafeCell<Option<T>>,
    rx_waker: AtomicWaker,
    tx_waker: AtomicWaker,
}

// SAFETY: `value` is written only by the sender before it publishes
// VALUE_SENT and read only by the receiver after observing it (or by the
// sender again when publication failed), so it is never shared; moving a
// `T` between threads needs `T: Send`.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: as above; no `&T` is ever handed out to two threads.
unsafe impl<T: Send> Sync for Inner<T> {}

/// Sends the value; created by [`channel`].
pub struct Sender<T> {
    inner: Option<Arc<Inner<T>>>,
}

/// Receives the value; a future resolving to it. Created by [`channel`].
pub struct Receiver<T> {
    inner: Option<Arc<Inner<T>>>,
}

/// A new oneshot channel.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Inner {
        state: AtomicUsize::new(0),
        value: UnsafeCell::new(None),
        rx_waker: AtomicWaker::new(),
        tx_waker: AtomicWaker::new(),
    });
    (Sender { inner: Some(inner.clone()) }, Receiver { inner: Some(inner) })
}

impl<T> Sender<T> {
    /// Sends `value`. Fails, giving it back, if the receiver was dropped or
    /// closed.
    ///
    /// # Errors
    /// `Err(value)` when the receiver can no longer receive.
    pub fn send(mut self, value: T) -> Result<(), T> {
        let inner = self.inner.take().expect("sender used after send");
        // SAFETY: VALUE_SENT is not set and only this (consumed) sender
        // writes the slot; the receiver does not read it before VALUE_SENT.
        inner.value.with_mut(|slot| unsafe { *slot = Some(value) });
        let mut cur = inner.state.load(Acquire);
        loop {
            if cur & CLOSED != 0 {
                // SAFETY: publication failed, so the slot is still ours alone.
                let value = inner.value.with_mut(|slot| unsafe { (*slot).take() });
                return Err(value.expect("value just written"));
            }
            match inner.state.compare_exchange_weak(cur, cur | VALUE_SENT, AcqRel, Acquire) {
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }
        inner.rx_waker.wake();
        Ok(())
    }

    /// True once the receiver has been dropped or closed.
    pub fn is_closed(&self) -> bool {
        self.inner.as_ref().map_or(true, |i| i.state.load(Acquire) & CLOSED != 0)
    }

    /// Polls for the receiver going away; registers the task to be woken
    /// when it does.
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(inner) = &self.inner else { return Poll::Ready(()) };
        if inner.state.load(Acquire) & CLOSED != 0 {
            return Poll::Ready(());
        }
        inner.tx_waker.register(cx.waker());
        if inner.state.load(Acquire) & CLOSED != 0 {
            return Poll::Ready(());
        }
        Poll::Pending
    }

    /// Waits until the receiver is dropped or closed.
    pub async fn closed(&mut self) {
        std::future::poll_fn(|cx| self.poll_closed(cx)).await
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            inner.state.fetch_or(TX_DROPPED, AcqRel);
            inner.rx_waker.wake();
        }
    }
}

impl<T> Receiver<T> {
    /// Stops the sender from sending. A value sent before this call can
    /// still be received.
    pub fn close(&mut self) {
        if let Some(inner) = &self.inner {
            if inner.state.fetch_or(CLOSED, AcqRel) & CLOSED == 0 {
                inner.tx_waker.wake();
            }
        }
    }

    /// Takes the value if it has been sent, without waiting.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] if not sent yet, [`TryRecvError::Closed`] if
    /// it never will be (or was already taken).
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let Some(inner) = &self.inner else { return Err(TryRecvError::Closed) };
        let state = inner.state.load(Acquire);
        match self.take(state) {
            Some(Ok(v)) => Ok(v),
            Some(Err(RecvError(()))) => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// True unless a sent value is waiting to be received (so also true
    /// before anything is sent, after the value was taken, and when the
    /// sender is gone).
    ///
    /// ```
    /// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let (tx, mut rx) = heddle::sync::oneshot::channel();
    /// assert!(rx.is_empty() && !rx.is_terminated());
    /// tx.send(1).unwrap();
    /// assert!(!rx.is_empty() && !rx.is_terminated());
    /// assert_eq!((&mut rx).await, Ok(1));
    /// assert!(rx.is_empty() && rx.is_terminated());
    /// # });
    /// ```
    pub fn is_empty(&self) -> bool {
        match &self.inner {
            Some(inner) => inner.state.load(Acquire) & VALUE_SENT == 0,
            None => true,
        }
    }

    /// True once this receiver has produced its outcome (the value, or
    /// the error for a dropped sender): awaiting it again would panic.
    pub fn is_terminated(&self) -> bool {
        self.inner.is_none()
    }

    /// Waits for the value from synchronous code, blocking the thread.
    ///
    /// ```
    /// let (tx, rx) = heddle::sync::oneshot::channel();
    /// let thread = std::thread::spawn(move || rx.blocking_recv());
    /// tx.send(3).unwrap();
    /// assert_eq!(thread.join().unwrap(), Ok(3));
    /// ```
    ///
    /// # Errors
    /// [`RecvError`] if the sender was dropped without sending.
    ///
    /// # Panics
    /// When called from an async context (inside a runtime).
    #[track_caller]
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        super::block_on(self)
    }

    /// Final outcome for `state`, if there is one (and then the channel is
    /// released).
    fn take(&mut self, state: usize) -> Option<Result<T, RecvError>> {
        let inner = self.inner.as_ref()?;
        let res = if state & VALUE_SENT != 0 {
            // SAFETY: VALUE_SENT was observed with Acquire: the sender's
            // write is visible and it never touches the slot again.
            Ok(inner.value.with_mut(|slot| unsafe { (*slot).take() }).expect("value sent"))
        } else if state & (TX_DROPPED | CLOSED) != 0 {
            Err(RecvError(()))
        } else {
            return None;
        };
        self.inner = None;
        Some(res)
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let coop = ready!(coop::poll_proceed(cx));
        let inner = this.inner.as_ref().expect("oneshot::Receiver polled after completion");
        let mut state = inner.state.load(Acquire);
        if state & (VALUE_SENT | TX_DROPPED | CLOSED) == 0 {
            inner.rx_waker.register(cx.waker());
            state = inner.state.load(Acquire);
        }
        match this.take(state) {
            Some(res) => {
                coop.made_progress();
                Poll::Ready(res)
            }
            None => Poll::Pending,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.close();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender").field("closed", &self.is_closed()).finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Receiver").field("done", &self.inner.is_none()).finish()
    }
}
