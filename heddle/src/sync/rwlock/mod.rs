//! An async reader-writer lock: many readers or one writer.
//!
//! ```
//! use heddle::sync::RwLock;
//!
//! #[heddle::main(flavor = "current_thread")]
//! async fn main() {
//!     let lock = RwLock::new(5);
//!     {
//!         let r1 = lock.read().await;
//!         let r2 = lock.read().await;
//!         assert_eq!(*r1 + *r2, 10);
//!         assert!(lock.try_write().is_err());
//!     }
//!     *lock.write().await += 1;
//!     assert_eq!(lock.into_inner(), 6);
//! }
//! ```
//!
//! # Design
//!
//! A [`Semaphore`] with `max_readers` permits: a reader takes one, a
//! writer takes all of them. Because the semaphore is FIFO, a queued
//! writer blocks readers that arrive after it (write-preferring, no writer
//! starvation), and a writer collects permits as readers leave.
//!
//! ```text
//!   IDLE ──read──▶ READ(k) ──last reader leaves──▶ IDLE
//!     └───write (all permits)──▶ WRITE ──guard dropped──▶ IDLE
//! ```

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use super::{Semaphore, TryLockError};

mod guard;
mod owned_guard;

pub use guard::{RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard};
pub use owned_guard::{OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard};

/// The default (and largest) number of concurrent readers.
const MAX_READS: u32 = u32::MAX >> 3;

/// An asynchronous reader-writer lock. See the [`sync` module docs](crate::sync).
pub struct RwLock<T: ?Sized> {
    max_readers: u32,
    sem: Semaphore,
    data: UnsafeCell<T>,
}

// SAFETY: the value moves with the lock; readers on several threads need
// `T: Sync`, a writer on another thread needs `T: Send`.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: shared readers need `T: Sync`; a writer may be on any thread, so `T: Send`.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    /// A new, unlocked lock allowing up to `u32::MAX >> 3` readers.
    pub fn new(value: T) -> Self {
        Self::with_max_readers(value, MAX_READS)
    }

    /// A new lock allowing at most `max_readers` concurrent readers.
    ///
    /// # Panics
    /// If `max_readers` is 0 or above `u32::MAX >> 3`.
    #[track_caller]
    pub fn with_max_readers(value: T, max_readers: u32) -> Self {
        assert!(max_readers != 0, "a RwLock may not be created with 0 readers");
        assert!(max_readers <= MAX_READS, "a RwLock may not be created with more than {MAX_READS} readers");
        RwLock { max_readers, sem: Semaphore::new(max_readers as usize), data: UnsafeCell::new(value) }
    }

    /// Same as [`new`](Self::new), usable in `static`s.
    #[cfg(not(loom))]
    pub const fn const_new(value: T) -> Self {
        RwLock { max_readers: MAX_READS, sem: Semaphore::const_new(MAX_READS as usize), data: UnsafeCell::new(value) }
    }

    /// Same as [`with_max_readers`](Self::with_max_readers), usable in
    /// `static`s.
    ///
    /// # Panics
    /// If `max_readers` is 0 or above `u32::MAX >> 3`.
    #[cfg(not(loom))]
    #[track_caller]
    pub const fn const_with_max_readers(value: T, max_readers: u32) -> Self {
        assert!(max_readers != 0, "a RwLock may not be created with 0 readers");
        assert!(max_readers <= MAX_READS, "a RwLock may not be created with more than u32::MAX >> 3 readers");
        RwLock { max_readers, sem: Semaphore::const_new(max_readers as usize), data: UnsafeCell::new(value) }
    }

    /// Consumes the lock, returning the value.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// The guard for a read permit just acquired.
    fn read_guard(&self) -> RwLockReadGuard<'_, T> {
        RwLockReadGuard { sem: &self.sem, data: self.data.get(), _marker: PhantomData }
    }

    /// Waits for shared access. Queues behind any earlier writer.
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        self.sem.acquire_raw(1).await.expect("an RwLock's semaphore is never closed");
        self.read_guard()
    }

    /// Shared access if available now.
    ///
    /// # Errors
    /// [`TryLockError`] if a writer holds or waits for the lock.
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        self.sem.try_acquire_raw(1).map_err(|_| TryLockError(()))?;
        Ok(self.read_guard())
    }

    /// Waits for exclusive access.
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.sem.acquire_raw(self.max_readers as usize).await.expect("an RwLock's semaphore is never closed");
        RwLockWriteGuard { lock: self }
    }

    /// Exclusive access if available now.
    ///
    /// # Errors
    /// [`TryLockError`] if anyone holds or waits for the lock.
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        self.sem.try_acquire_raw(self.max_readers as usize).map_err(|_| TryLockError(()))?;
        Ok(RwLockWriteGuard { lock: self })
    }

    /// Mutable access without locking: `&mut self` proves exclusivity.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// [`read`](Self::read) from synchronous code, blocking the thread.
    ///
    /// ```
    /// let lock = std::sync::Arc::new(heddle::sync::RwLock::new(5));
    /// let l = lock.clone();
    /// assert_eq!(std::thread::spawn(move || *l.blocking_read()).join().unwrap(), 5);
    /// ```
    ///
    /// # Panics
    /// When called from an async context (inside a runtime).
    #[track_caller]
    pub fn blocking_read(&self) -> RwLockReadGuard<'_, T> {
        super::block_on(self.read())
    }

    /// [`write`](Self::write) from synchronous code, blocking the thread.
    ///
    /// # Panics
    /// When called from an async context (inside a runtime).
    #[track_caller]
    pub fn blocking_write(&self) -> RwLockWriteGuard<'_, T> {
        super::block_on(self.write())
    }

    /// Waits for shared access, returning a guard that owns the `Arc` (so
    /// it can move into a spawned task).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use heddle::sync::RwLock;
    ///
    /// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let lock = Arc::new(RwLock::new(vec![1, 2]));
    /// let guard = lock.clone().read_owned().await;
    /// let len = heddle::spawn(async move { guard.len() }).await.unwrap();
    /// assert_eq!(len, 2);
    /// lock.clone().write_owned().await.push(3);
    /// assert_eq!(*lock.read().await, [1, 2, 3]);
    /// # });
    /// ```
    pub async fn read_owned(self: Arc<Self>) -> OwnedRwLockReadGuard<T> {
        self.sem.acquire_raw(1).await.expect("an RwLock's semaphore is never closed");
        let data: *const T = self.data.get();
        OwnedRwLockReadGuard { lock: self, data }
    }

    /// [`try_read`](Self::try_read) returning an owned guard.
    ///
    /// # Errors
    /// [`TryLockError`] if a writer holds or waits for the lock.
    pub fn try_read_owned(self: Arc<Self>) -> Result<OwnedRwLockReadGuard<T>, TryLockError> {
        self.sem.try_acquire_raw(1).map_err(|_| TryLockError(()))?;
        let data: *const T = self.data.get();
        Ok(OwnedRwLockReadGuard { lock: self, data })
    }

    /// Waits for exclusive access, returning a guard that owns the `Arc`.
    pub async fn write_owned(self: Arc<Self>) -> OwnedRwLockWriteGuard<T> {
        self.sem.acquire_raw(self.max_readers as usize).await.expect("an RwLock's semaphore is never closed");
        OwnedRwLockWriteGuard { lock: self }
    }

    /// [`try_write`](Self::try_write) returning an owned guard.
    ///
    /// # Errors
    /// [`TryLockError`] if anyone holds or waits for the lock.
    pub fn try_write_owned(self: Arc<Self>) -> Result<OwnedRwLockWriteGuard<T>, TryLockError> {
        self.sem.try_acquire_raw(self.max_readers as usize).map_err(|_| TryLockError(()))?;
        Ok(OwnedRwLockWriteGuard { lock: self })
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}
