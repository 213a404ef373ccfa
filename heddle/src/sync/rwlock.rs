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
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::{Semaphore, TryLockError};

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

/// Shared access to an [`RwLock`]'s value (or, after
/// [`map`](RwLockReadGuard::map), to a part of it); released on drop.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    /// The lock's semaphore; the guard holds one of its permits.
    sem: &'a Semaphore,
    data: *const T,
    _marker: PhantomData<&'a T>,
}

/// Exclusive access to an [`RwLock`]'s value; released on drop.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

// SAFETY: a read guard only gives `&T`.
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}
// SAFETY: a read guard only gives `&T`.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}
// SAFETY: a write guard gives `&mut T` to whoever holds it.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<T> RwLock<T> {
    /// A new, unlocked lock allowing up to `u32::MAX >> 3` readers.
    pub fn new(value: T) -> Self {
        Self::with_max_readers(value, MAX_READS)
    }

    /// A new lock allowing at most `max_readers` concurrent readers.
    ///
    /// # Panics
    /// If `max_readers` is 0 or above `u32::MAX >> 3`.
    pub fn with_max_readers(value: T, max_readers: u32) -> Self {
        assert!(max_readers > 0 && max_readers <= MAX_READS, "max_readers must be in 1..=u32::MAX >> 3");
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
    pub const fn const_with_max_readers(value: T, max_readers: u32) -> Self {
        assert!(max_readers > 0 && max_readers <= MAX_READS, "max_readers must be in 1..=u32::MAX >> 3");
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

/// Shared access through an `Arc<RwLock<T>>`; released on drop.
///
/// `U` is the part of the value the guard gives access to: the whole value
/// (`U = T`) from [`RwLock::read_owned`], a part of it after
/// [`map`](Self::map) or [`OwnedRwLockWriteGuard::downgrade_map`].
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedRwLockReadGuard<T: ?Sized, U: ?Sized = T> {
    /// The lock; the guard holds one of its semaphore's permits.
    lock: Arc<RwLock<T>>,
    /// Points into the value `lock` protects.
    data: *const U,
}

/// Exclusive access through an `Arc<RwLock<T>>`; released on drop.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedRwLockWriteGuard<T: ?Sized> {
    lock: Arc<RwLock<T>>,
}

/// An [`OwnedRwLockWriteGuard`] narrowed to a part `U` of the value by
/// [`OwnedRwLockWriteGuard::map`]; releases the write lock on drop.
///
/// Unlike the unmapped guard it cannot be downgraded: turning the `&mut U`
/// the closure handed out into shared access is not sound in general.
///
/// ```
/// use std::sync::Arc;
/// use heddle::sync::{OwnedRwLockMappedWriteGuard, OwnedRwLockWriteGuard, RwLock};
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let lock = Arc::new(RwLock::new((String::from("name"), vec![1u8])));
/// let bytes = OwnedRwLockWriteGuard::map(lock.clone().write_owned().await, |pair| &mut pair.1);
/// let mut first = OwnedRwLockMappedWriteGuard::map(bytes, |v| &mut v[0]);
/// *first = 9;
/// assert!(lock.try_read().is_err());
/// drop(first);
/// assert_eq!(lock.read().await.1, [9]);
/// # });
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedRwLockMappedWriteGuard<T: ?Sized, U: ?Sized = T> {
    /// The lock; the guard holds all of its semaphore's permits.
    lock: Arc<RwLock<T>>,
    /// Points into the value `lock` protects.
    data: *mut U,
}

// SAFETY: an owned read guard gives `&U` only, so moving it to another
// thread needs `U: Sync`; it also carries an `Arc<RwLock<T>>` (and may drop
// the last reference, and with it the `T`), which needs `T: Send + Sync`.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Send for OwnedRwLockReadGuard<T, U> {}
// SAFETY: sharing the guard shares `&U` and the `Arc`: as for `Send`.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Sync for OwnedRwLockReadGuard<T, U> {}
// SAFETY: an owned write guard gives `&mut T` to whoever holds it.
unsafe impl<T: ?Sized + Send + Sync> Send for OwnedRwLockWriteGuard<T> {}
// SAFETY: as for `Send`.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedRwLockWriteGuard<T> {}
// SAFETY: the guard is an exclusive `&mut U` (moving it moves that borrow:
// `U: Send`; sharing it shares `&U`: `U: Sync`) plus an `Arc<RwLock<T>>`
// (`T: Send + Sync`).
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Send for OwnedRwLockMappedWriteGuard<T, U> {}
// SAFETY: as for `Send`.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedRwLockMappedWriteGuard<T, U> {}

impl<T: ?Sized, U: ?Sized> OwnedRwLockReadGuard<T, U> {
    /// The lock this guard holds.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }

    /// Narrows the guard to a part of the value; the read lock is held
    /// until the new guard drops. An associated function (call it as
    /// `OwnedRwLockReadGuard::map(guard, f)`) so it cannot shadow a method
    /// of the value.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use heddle::sync::{OwnedRwLockReadGuard, RwLock};
    /// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let lock = Arc::new(RwLock::new((1u32, String::from("one"))));
    /// let name: OwnedRwLockReadGuard<_, str> =
    ///     OwnedRwLockReadGuard::map(lock.clone().read_owned().await, |pair| pair.1.as_str());
    /// let len = heddle::spawn(async move { name.len() }).await.unwrap();
    /// assert_eq!(len, 3);
    /// assert!(lock.try_write().is_ok(), "released when the task dropped it");
    /// # });
    /// ```
    pub fn map<V: ?Sized, F>(this: Self, f: F) -> OwnedRwLockReadGuard<T, V>
    where
        F: FnOnce(&U) -> &V,
    {
        let data: *const V = f(&*this);
        OwnedRwLockReadGuard { lock: this.into_lock(), data }
    }

    /// Like [`map`](Self::map), but `f` may decline.
    ///
    /// # Errors
    /// The original guard, when `f` returns None.
    pub fn try_map<V: ?Sized, F>(this: Self, f: F) -> Result<OwnedRwLockReadGuard<T, V>, Self>
    where
        F: FnOnce(&U) -> Option<&V>,
    {
        let data: *const V = match f(&*this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(OwnedRwLockReadGuard { lock: this.into_lock(), data })
    }

    /// Moves the `Arc` out without releasing the permit the guard holds.
    fn into_lock(self) -> Arc<RwLock<T>> {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so the `Arc` is moved out once.
        unsafe { std::ptr::read(&this.lock) }
    }
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    /// The lock this guard holds.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }

    /// Turns the write access into read access without letting another
    /// writer in between; readers queued behind this writer get in at once.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use heddle::sync::RwLock;
    /// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let lock = Arc::new(RwLock::new(1));
    /// let mut w = lock.clone().write_owned().await;
    /// *w = 2;
    /// let r = w.downgrade();
    /// assert_eq!(*lock.try_read().unwrap(), 2);
    /// assert!(lock.try_write().is_err());
    /// drop(r);
    /// # });
    /// ```
    pub fn downgrade(self) -> OwnedRwLockReadGuard<T> {
        let data: *const T = self.lock.data.get();
        self.downgrade_to(data)
    }

    /// Narrows the write guard to a part of the value; the lock stays
    /// write-locked until the new guard drops. An associated function (call
    /// it as `OwnedRwLockWriteGuard::map(guard, f)`) so it cannot shadow a
    /// method of the value.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use heddle::sync::{OwnedRwLockWriteGuard, RwLock};
    /// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let lock = Arc::new(RwLock::new((0u32, 0u32)));
    /// let mut second = OwnedRwLockWriteGuard::map(lock.clone().write_owned().await, |pair| &mut pair.1);
    /// heddle::spawn(async move { *second = 5 }).await.unwrap();
    /// assert_eq!(*lock.read().await, (0, 5));
    /// # });
    /// ```
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut *this);
        OwnedRwLockMappedWriteGuard { lock: this.into_lock(), data }
    }

    /// Like [`map`](Self::map), but `f` may decline.
    ///
    /// # Errors
    /// The original guard, when `f` returns None.
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<OwnedRwLockMappedWriteGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data: *mut U = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(OwnedRwLockMappedWriteGuard { lock: this.into_lock(), data })
    }

    /// The whole value as an [`OwnedRwLockMappedWriteGuard`] (the type
    /// [`map`](Self::map) returns), still write-locked.
    pub fn into_mapped(this: Self) -> OwnedRwLockMappedWriteGuard<T> {
        Self::map(this, |value| value)
    }

    /// [`downgrade`](Self::downgrade)s to read access narrowed to a part of
    /// the value: other readers may join at once, no writer gets in
    /// between.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use heddle::sync::{OwnedRwLockWriteGuard, RwLock};
    /// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let lock = Arc::new(RwLock::new((1u32, String::from("one"))));
    /// let mut w = lock.clone().write_owned().await;
    /// w.0 = 2;
    /// let name = OwnedRwLockWriteGuard::downgrade_map(w, |pair| pair.1.as_str());
    /// assert_eq!(&*name, "one");
    /// assert_eq!(lock.try_read().unwrap().0, 2, "readers may join");
    /// assert!(lock.try_write().is_err());
    /// # });
    /// ```
    pub fn downgrade_map<U: ?Sized, F>(this: Self, f: F) -> OwnedRwLockReadGuard<T, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let data: *const U = f(&*this);
        this.downgrade_to(data)
    }

    /// Like [`downgrade_map`](Self::downgrade_map), but `f` may decline;
    /// then the write guard is returned unchanged (still write-locked).
    ///
    /// # Errors
    /// The original guard, when `f` returns None.
    pub fn try_downgrade_map<U: ?Sized, F>(this: Self, f: F) -> Result<OwnedRwLockReadGuard<T, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let data: *const U = match f(&*this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(this.downgrade_to(data))
    }

    /// Gives back all permits but one and makes a read guard over `data`
    /// (a pointer into the locked value).
    fn downgrade_to<U: ?Sized>(self, data: *const U) -> OwnedRwLockReadGuard<T, U> {
        let lock = self.into_lock();
        // Keep one permit: a read permit.
        lock.sem.release(lock.max_readers as usize - 1);
        OwnedRwLockReadGuard { lock, data }
    }

    /// Moves the `Arc` out without releasing the permits the guard holds.
    fn into_lock(self) -> Arc<RwLock<T>> {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so the `Arc` is moved out once.
        unsafe { std::ptr::read(&this.lock) }
    }
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockMappedWriteGuard<T, U> {
    /// The lock this guard holds.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }

    /// Narrows the guard further; still write-locked.
    pub fn map<V: ?Sized, F>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, V>
    where
        F: FnOnce(&mut U) -> &mut V,
    {
        let data: *mut V = f(&mut *this);
        OwnedRwLockMappedWriteGuard { lock: this.into_lock(), data }
    }

    /// Like [`map`](Self::map), but `f` may decline.
    ///
    /// # Errors
    /// The original guard, when `f` returns None.
    pub fn try_map<V: ?Sized, F>(mut this: Self, f: F) -> Result<OwnedRwLockMappedWriteGuard<T, V>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut V>,
    {
        let data: *mut V = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(OwnedRwLockMappedWriteGuard { lock: this.into_lock(), data })
    }

    /// Moves the `Arc` out without releasing the permits the guard holds.
    fn into_lock(self) -> Arc<RwLock<T>> {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so the `Arc` is moved out once.
        unsafe { std::ptr::read(&this.lock) }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockReadGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: a read permit is held, so no writer (and no `&mut T`)
        // exists; `data` points into the value, which the `Arc` keeps alive.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockReadGuard<T, U> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl<T: ?Sized> Deref for OwnedRwLockWriteGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: all permits are held: no other guard exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedRwLockWriteGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: all permits are held and the guard is borrowed mutably.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for OwnedRwLockWriteGuard<T> {
    fn drop(&mut self) {
        self.lock.sem.release(self.lock.max_readers as usize);
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockMappedWriteGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: all permits are held, so this is the only access; `data`
        // points into the value, which the `Arc` keeps alive.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedRwLockMappedWriteGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as for `deref`, and the guard is borrowed mutably.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockMappedWriteGuard<T, U> {
    fn drop(&mut self) {
        self.lock.sem.release(self.lock.max_readers as usize);
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockReadGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockWriteGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockMappedWriteGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Turns the write access into read access without letting another
    /// writer in between.
    ///
    /// ```
    /// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let lock = heddle::sync::RwLock::new(1);
    /// let mut w = lock.write().await;
    /// *w += 1;
    /// let r = w.downgrade();
    /// assert_eq!(*r, 2);
    /// assert!(lock.try_read().is_ok(), "other readers may join");
    /// assert!(lock.try_write().is_err());
    /// # });
    /// ```
    pub fn downgrade(self) -> RwLockReadGuard<'a, T> {
        let lock = self.lock;
        std::mem::forget(self);
        // Keep one permit: a read permit.
        lock.sem.release(lock.max_readers as usize - 1);
        lock.read_guard()
    }

    /// Narrows the write guard to a part of the value; the lock stays
    /// write-locked until the new guard drops.
    ///
    /// ```
    /// use heddle::sync::{RwLock, RwLockWriteGuard};
    /// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let lock = RwLock::new((0u32, 0u32));
    /// let mut second = RwLockWriteGuard::map(lock.write().await, |pair| &mut pair.1);
    /// *second = 5;
    /// assert!(lock.try_read().is_err());
    /// drop(second);
    /// assert_eq!(*lock.read().await, (0, 5));
    /// # });
    /// ```
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut *this);
        let lock = this.lock;
        std::mem::forget(this);
        RwLockMappedWriteGuard { sem: &lock.sem, permits: lock.max_readers, data, _marker: PhantomData }
    }

    /// Like [`map`](Self::map), but `f` may decline.
    ///
    /// # Errors
    /// The original guard, when `f` returns None.
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data: *mut U = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        let lock = this.lock;
        std::mem::forget(this);
        Ok(RwLockMappedWriteGuard { sem: &lock.sem, permits: lock.max_readers, data, _marker: PhantomData })
    }

    /// The whole value as an [`RwLockMappedWriteGuard`] (the type
    /// [`map`](Self::map) returns), still write-locked.
    pub fn into_mapped(this: Self) -> RwLockMappedWriteGuard<'a, T> {
        Self::map(this, |value| value)
    }

    /// [`downgrade`](Self::downgrade)s to read access narrowed to a part of
    /// the value: other readers may join at once, no writer gets in
    /// between.
    ///
    /// ```
    /// use heddle::sync::{RwLock, RwLockWriteGuard};
    /// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let lock = RwLock::new((1u32, String::from("one")));
    /// let mut w = lock.write().await;
    /// w.0 = 2;
    /// let name = RwLockWriteGuard::downgrade_map(w, |pair| pair.1.as_str());
    /// assert_eq!(&*name, "one");
    /// assert_eq!(lock.try_read().unwrap().0, 2, "readers may join");
    /// assert!(lock.try_write().is_err());
    /// # });
    /// ```
    pub fn downgrade_map<U: ?Sized, F>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let data: *const U = f(&*this);
        this.downgrade_to(data)
    }

    /// Like [`downgrade_map`](Self::downgrade_map), but `f` may decline;
    /// then the write guard is returned unchanged.
    ///
    /// # Errors
    /// The original guard, when `f` returns None.
    pub fn try_downgrade_map<U: ?Sized, F>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let data: *const U = match f(&*this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(this.downgrade_to(data))
    }

    /// Gives back all permits but one and makes a read guard over `data`
    /// (a pointer into the locked value).
    fn downgrade_to<U: ?Sized>(self, data: *const U) -> RwLockReadGuard<'a, U> {
        let lock = self.lock;
        std::mem::forget(self);
        // Keep one permit: a read permit.
        lock.sem.release(lock.max_readers as usize - 1);
        RwLockReadGuard { sem: &lock.sem, data, _marker: PhantomData }
    }
}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// Narrows the read guard to a part of the value; the read lock is
    /// held until the new guard drops.
    ///
    /// ```
    /// use heddle::sync::{RwLock, RwLockReadGuard};
    /// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let lock = RwLock::new(vec![String::from("a"), String::from("b")]);
    /// let first: RwLockReadGuard<'_, str> = RwLockReadGuard::map(lock.read().await, |v| v[0].as_str());
    /// assert_eq!(&*first, "a");
    /// assert!(lock.try_write().is_err());
    /// # });
    /// ```
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let data: *const U = f(&*this);
        let sem = this.sem;
        std::mem::forget(this);
        RwLockReadGuard { sem, data, _marker: PhantomData }
    }

    /// Like [`map`](Self::map), but `f` may decline.
    ///
    /// # Errors
    /// The original guard, when `f` returns None.
    pub fn try_map<U: ?Sized, F>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let data: *const U = match f(&*this) {
            Some(data) => data,
            None => return Err(this),
        };
        let sem = this.sem;
        std::mem::forget(this);
        Ok(RwLockReadGuard { sem, data, _marker: PhantomData })
    }
}

/// An [`RwLockWriteGuard`] narrowed to a part of the value by
/// [`RwLockWriteGuard::map`]; releases the write lock on drop.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockMappedWriteGuard<'a, T: ?Sized> {
    /// The lock's semaphore; the guard holds `permits` (all) of them.
    sem: &'a Semaphore,
    permits: u32,
    data: *mut T,
    _marker: PhantomData<&'a mut T>,
}

// SAFETY: the guard is an exclusive `&mut T` backed by all the permits:
// sending it moves that borrow (`T: Send`), sharing it shares `&T`
// (`T: Sync`).
unsafe impl<T: ?Sized + Send> Send for RwLockMappedWriteGuard<'_, T> {}
// SAFETY: see the `Send` impl.
unsafe impl<T: ?Sized + Sync> Sync for RwLockMappedWriteGuard<'_, T> {}

impl<'a, T: ?Sized> RwLockMappedWriteGuard<'a, T> {
    /// Narrows the guard further.
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut *this);
        let (sem, permits) = (this.sem, this.permits);
        std::mem::forget(this);
        RwLockMappedWriteGuard { sem, permits, data, _marker: PhantomData }
    }

    /// Like [`map`](Self::map), but `f` may decline.
    ///
    /// # Errors
    /// The original guard, when `f` returns None.
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data: *mut U = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        let (sem, permits) = (this.sem, this.permits);
        std::mem::forget(this);
        Ok(RwLockMappedWriteGuard { sem, permits, data, _marker: PhantomData })
    }
}

impl<T: ?Sized> Deref for RwLockMappedWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: all permits are held, so this is the only access; `data`
        // points into the locked value, which outlives `'a`.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for RwLockMappedWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for `deref`, and the guard is borrowed mutably.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized> Drop for RwLockMappedWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.sem.release(self.permits as usize);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockMappedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
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

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a read permit is held, so no writer (and no `&mut T`)
        // exists; `data` points into the locked value, which outlives `'a`.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.sem.release(1);
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: all permits are held: no other guard exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: all permits are held and the guard is borrowed mutably.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.release(self.lock.max_readers as usize);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
