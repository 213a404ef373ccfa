//! Synchronisation for async tasks, with tokio's names and semantics.
//!
//! * Channels: [`oneshot`] (one value), [`mpsc`] (many senders, one
//!   receiver, bounded or unbounded), [`broadcast`] (every receiver sees
//!   every value), [`watch`] (receivers see the latest value).
//! * Waiting: [`Notify`], [`Semaphore`], [`Barrier`].
//! * Shared state: [`Mutex`], [`RwLock`], [`OnceCell`], [`SetOnce`].
//!
//! Waits never block the thread, and every waiting primitive is fair:
//! waiters are served in arrival order.
//!
//! ```
//! use heddle::sync::{mpsc, oneshot};
//!
//! #[heddle::main(flavor = "current_thread")]
//! async fn main() {
//!     // A request carrying its own reply channel.
//!     let (tx, mut rx) = mpsc::channel::<(u32, oneshot::Sender<u32>)>(4);
//!     heddle::spawn(async move {
//!         while let Some((n, reply)) = rx.recv().await {
//!             let _ = reply.send(n * 2);
//!         }
//!     });
//!     let (reply_tx, reply_rx) = oneshot::channel();
//!     tx.send((21, reply_tx)).await.unwrap();
//!     assert_eq!(reply_rx.await.unwrap(), 42);
//! }
//! ```
//!
//! Internally the blocking primitives share one building block, a
//! slab-backed FIFO of waiters (`wait_list`), kept behind each primitive's
//! own mutex and touched only on the slow (contended) path.

/// Implements `Debug` and `Display` for a lock guard by formatting the
/// value it dereferences to (as tokio's guards do):
/// `guard_fmt!(['a, T: ?Sized] MutexGuard<'a, T> => T);`
macro_rules! guard_fmt {
    ([$($generics:tt)*] $guard:ty => $target:ident) => {
        impl<$($generics)*> std::fmt::Debug for $guard
        where
            $target: std::fmt::Debug,
        {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&**self, f)
            }
        }

        impl<$($generics)*> std::fmt::Display for $guard
        where
            $target: std::fmt::Display,
        {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&**self, f)
            }
        }
    };
}

pub(crate) mod barrier;
pub mod broadcast;
pub mod mpsc;
pub(crate) mod mutex;
pub(crate) mod notify;
pub(crate) mod once_cell;
pub mod oneshot;
pub(crate) mod rwlock;
pub(crate) mod semaphore;
pub(crate) mod set_once;
mod wait_list;
pub mod watch;

#[cfg(all(test, loom))]
mod loom_tests;

pub use barrier::{Barrier, BarrierWaitResult};
pub use mutex::{MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard, TryLockError};
pub use notify::{Notified, Notify};

/// Named future types of this module, at the paths tokio gives them
/// (`sync::futures::Notified`, `sync::futures::OwnedNotified`).
///
/// ```
/// use heddle::sync::futures::Notified;
/// use heddle::sync::Notify;
///
/// // A named type lets a struct keep the future between polls.
/// struct Waiting<'a> {
///     notified: std::pin::Pin<Box<Notified<'a>>>,
/// }
///
/// #[heddle::main(flavor = "current_thread")]
/// async fn main() {
///     let notify = Notify::new();
///     let waiting = Waiting { notified: Box::pin(notify.notified()) };
///     notify.notify_waiters();
///     waiting.notified.await;
/// }
/// ```
pub mod futures {
    pub use super::notify::{Notified, OwnedNotified};
}
pub use once_cell::{OnceCell, SetError};
pub use rwlock::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock, RwLockMappedWriteGuard,
    RwLockReadGuard, RwLockWriteGuard,
};
pub use semaphore::{AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError};
pub use set_once::{SetOnce, SetOnceError};

pub(crate) type LockGuard<'a, T> = crate::loom::sync::MutexGuard<'a, T>;

/// Locks an internal mutex. No user code runs while these are held, so
/// poisoning cannot leave them inconsistent; it is ignored.
#[inline]
pub(crate) fn lock<T>(m: &crate::loom::sync::Mutex<T>) -> LockGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Spends one unit of the task's cooperative budget (yielding first if
/// none is left). For operations built from other futures.
pub(crate) async fn consume_budget() {
    std::future::poll_fn(|cx| crate::runtime::coop::poll_proceed(cx).map(|r| r.made_progress())).await
}

/// Runs `future` to completion on this thread, sleeping between polls:
/// the body of the `blocking_*` methods, for synchronous code.
///
/// # Panics
/// Inside a runtime (an async context), where blocking would stall the
/// tasks this thread runs.
#[track_caller]
pub(crate) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    if crate::runtime::context::in_runtime() {
        panic!(
            "Cannot block the current thread from within a runtime. This happens because a function attempted \
             to block the current thread while the thread is being used to drive asynchronous tasks."
        );
    }
    // Outside any runtime: nothing to tell whether a CPU is free, and the
    // spin is short.
    crate::runtime::park::block_on_parked(std::pin::pin!(future), || Some(()))
}
