//! An async mutex: `lock().await` waits without blocking the thread, and
//! the guard may be held across `.await`.
//!
//! ```
//! use std::sync::Arc;
//! use heddle::sync::Mutex;
//!
//! #[heddle::main(flavor = "current_thread")]
//! async fn main() {
//!     let count = Arc::new(Mutex::new(0));
//!     let handles: Vec<_> = (0..4)
//!         .map(|_| {
//!             let count = count.clone();
//!             heddle::spawn(async move { *count.lock().await += 1 })
//!         })
//!         .collect();
//!     for h in handles {
//!         h.await.unwrap();
//!     }
//!     assert_eq!(*count.lock().await, 4);
//! }
//! ```
//!
//! # Design
//!
//! A [`Semaphore`] with one permit guards an `UnsafeCell`: holding the
//! permit is holding the lock, so the lock inherits the semaphore's FIFO
//! fairness and its lock-free uncontended path.
//!
//! ```text
//!   UNLOCKED ──lock (permit taken)──▶ LOCKED ──guard dropped──▶ UNLOCKED
//!                                       │ (or handed straight to the
//!                                       ▼  first queued locker)
//! ```

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::Semaphore;

/// An asynchronous mutual-exclusion lock. See the [`sync` module docs](crate::sync).
pub struct Mutex<T: ?Sized> {
    sem: Semaphore,
    data: UnsafeCell<T>,
}

// SAFETY: the value is only reached through a guard, and at most one guard
// exists at a time (the semaphore's single permit), so sending or sharing
// the mutex only ever moves `T` between threads: `T: Send` suffices.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: see the `Send` impl.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

/// Exclusive access to a [`Mutex`]'s value; unlocks on drop.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    lock: &'a Mutex<T>,
}

/// Exclusive access through an `Arc<Mutex<T>>`; unlocks on drop.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedMutexGuard<T: ?Sized> {
    lock: Arc<Mutex<T>>,
}

// SAFETY: a guard gives `&T` (needs `T: Sync` to share) and `&mut T`
// (needs `T: Send` to move the value's ownership across threads).
unsafe impl<T: ?Sized + Send + Sync> Sync for MutexGuard<'_, T> {}
// SAFETY: as for `MutexGuard`.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedMutexGuard<T> {}

/// The lock was held when `try_lock` was called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryLockError(pub(super) ());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("operation would block")
    }
}
impl std::error::Error for TryLockError {}

impl<T> Mutex<T> {
    /// A new, unlocked mutex.
    #[cfg(not(loom))]
    pub const fn new(value: T) -> Self {
        Mutex { sem: Semaphore::new(1), data: UnsafeCell::new(value) }
    }

    /// A new, unlocked mutex.
    #[cfg(loom)]
    pub fn new(value: T) -> Self {
        Mutex { sem: Semaphore::new(1), data: UnsafeCell::new(value) }
    }

    /// Same as [`new`](Self::new), usable in `static`s.
    #[cfg(not(loom))]
    pub const fn const_new(value: T) -> Self {
        Self::new(value)
    }

    /// Consumes the mutex, returning the value.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock (first come, first served).
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        self.sem.acquire_raw(1).await.expect("a mutex's semaphore is never closed");
        MutexGuard { lock: self }
    }

    /// Takes the lock if it is free.
    ///
    /// # Errors
    /// [`TryLockError`] if it is held (or others are queued for it).
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        self.sem.try_acquire_raw(1).map_err(|_| TryLockError(()))?;
        Ok(MutexGuard { lock: self })
    }

    /// Waits for the lock, returning a guard that owns the `Arc`.
    pub async fn lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        self.sem.acquire_raw(1).await.expect("a mutex's semaphore is never closed");
        OwnedMutexGuard { lock: self }
    }

    /// Takes the lock if free, returning an owned guard.
    ///
    /// # Errors
    /// [`TryLockError`] if it is held.
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        self.sem.try_acquire_raw(1).map_err(|_| TryLockError(()))?;
        Ok(OwnedMutexGuard { lock: self })
    }

    /// Mutable access without locking: `&mut self` proves exclusivity.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// Locks from synchronous code, blocking the thread until the lock is
    /// free (for code that shares the mutex with async tasks).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use heddle::sync::Mutex;
    ///
    /// let rt = heddle::runtime::Runtime::new().unwrap();
    /// let count = Arc::new(Mutex::new(1));
    /// let c = count.clone();
    /// let thread = std::thread::spawn(move || *c.blocking_lock() += 1);
    /// thread.join().unwrap();
    /// assert_eq!(rt.block_on(async { *count.lock().await }), 2);
    /// ```
    ///
    /// # Panics
    /// When called from an async context (inside a runtime), where
    /// blocking would stall the tasks of this thread; use
    /// [`block_in_place`](crate::task::block_in_place) or
    /// `lock().await` there.
    #[track_caller]
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        super::block_on(self.lock())
    }

    /// [`blocking_lock`](Self::blocking_lock) returning an owned guard.
    ///
    /// # Panics
    /// When called from an async context.
    #[track_caller]
    pub fn blocking_lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        super::block_on(self.lock_owned())
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The mutex this guard locks.
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.lock
    }

    /// Narrows the guard to a part of the locked value (a field, an
    /// element); the mutex stays locked until the new guard drops.
    ///
    /// An associated function (`MutexGuard::map(guard, f)`) so it cannot
    /// clash with a method of `T`.
    ///
    /// ```
    /// use heddle::sync::{MappedMutexGuard, Mutex, MutexGuard};
    ///
    /// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let pair = Mutex::new((1, String::from("a")));
    /// let mut name: MappedMutexGuard<'_, String> = MutexGuard::map(pair.lock().await, |p| &mut p.1);
    /// name.push('b');
    /// assert!(pair.try_lock().is_err(), "still locked");
    /// drop(name);
    /// assert_eq!(pair.lock().await.1, "ab");
    /// # });
    /// ```
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        // If `f` panics, `this` still unlocks.
        let data: *mut U = f(&mut *this);
        let lock = this.lock;
        // The permit moves to the new guard: don't release it here.
        std::mem::forget(this);
        MappedMutexGuard { sem: &lock.sem, data, _marker: PhantomData }
    }

    /// Like [`map`](Self::map), but `f` may decline (returning None), in
    /// which case the original guard is given back.
    ///
    /// # Errors
    /// The original guard, when `f` returns None.
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data: *mut U = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        let lock = this.lock;
        std::mem::forget(this);
        Ok(MappedMutexGuard { sem: &lock.sem, data, _marker: PhantomData })
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the only permit, so no `&mut T` exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the only permit and is borrowed mutably.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

guard_fmt!(['a, T: ?Sized] MutexGuard<'a, T> => T);

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The mutex this guard locks.
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.lock
    }

    /// Narrows the owned guard to a part of the locked value; see
    /// [`MutexGuard::map`].
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut *this);
        OwnedMappedMutexGuard { lock: this.into_lock(), data }
    }

    /// Like [`map`](Self::map), but `f` may decline.
    ///
    /// # Errors
    /// The original guard, when `f` returns None.
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data: *mut U = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(OwnedMappedMutexGuard { lock: this.into_lock(), data })
    }

    /// The `Arc`, keeping the permit (the caller takes over releasing it).
    fn into_lock(self) -> Arc<Mutex<T>> {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so the `Arc` is moved out once.
        unsafe { std::ptr::read(&this.lock) }
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the only permit, so no `&mut T` exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the only permit and is borrowed mutably.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

guard_fmt!([T: ?Sized] OwnedMutexGuard<T> => T);

/// A [`MutexGuard`] narrowed to a part of the value by
/// [`MutexGuard::map`]; unlocks on drop.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MappedMutexGuard<'a, T: ?Sized> {
    /// The locked mutex's semaphore: the guard holds its only permit.
    sem: &'a Semaphore,
    data: *mut T,
    _marker: PhantomData<&'a mut T>,
}

// SAFETY: the guard is a `&mut T` with a permit: sending it moves that
// exclusive borrow to another thread (`T: Send`); sharing it shares `&T`
// (`T: Sync`).
unsafe impl<T: ?Sized + Send> Send for MappedMutexGuard<'_, T> {}
// SAFETY: see the `Send` impl.
unsafe impl<T: ?Sized + Sync> Sync for MappedMutexGuard<'_, T> {}

impl<'a, T: ?Sized> MappedMutexGuard<'a, T> {
    /// Narrows the guard further.
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut *this);
        let sem = this.sem;
        std::mem::forget(this);
        MappedMutexGuard { sem, data, _marker: PhantomData }
    }

    /// Like [`map`](Self::map), but `f` may decline.
    ///
    /// # Errors
    /// The original guard, when `f` returns None.
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data: *mut U = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        let sem = this.sem;
        std::mem::forget(this);
        Ok(MappedMutexGuard { sem, data, _marker: PhantomData })
    }
}

impl<T: ?Sized> Deref for MappedMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's only permit; `data` points
        // into the locked value, which outlives the borrow `'a`.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for MappedMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for `deref`, and the guard is borrowed mutably.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized> Drop for MappedMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.sem.release(1);
    }
}

guard_fmt!(['a, T: ?Sized] MappedMutexGuard<'a, T> => T);

/// An [`OwnedMutexGuard`] narrowed to a part `U` of the value `T` by
/// [`OwnedMutexGuard::map`]; unlocks on drop.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedMappedMutexGuard<T: ?Sized, U: ?Sized = T> {
    /// Holds the mutex's only permit, and keeps the value alive.
    lock: Arc<Mutex<T>>,
    data: *mut U,
}

// SAFETY: the guard owns the permit (and an `Arc` to the mutex, itself
// `Send + Sync` for `T: Send`) and gives `&mut U`: sending it needs
// `U: Send`, sharing it `U: Sync`.
unsafe impl<T: ?Sized + Send, U: ?Sized + Send> Send for OwnedMappedMutexGuard<T, U> {}
// SAFETY: see the `Send` impl.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedMappedMutexGuard<T, U> {}

impl<T: ?Sized, U: ?Sized> OwnedMappedMutexGuard<T, U> {
    /// Narrows the guard further.
    pub fn map<S: ?Sized, F>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, S>
    where
        F: FnOnce(&mut U) -> &mut S,
    {
        let data: *mut S = f(&mut *this);
        OwnedMappedMutexGuard { lock: this.into_lock(), data }
    }

    /// Like [`map`](Self::map), but `f` may decline.
    ///
    /// # Errors
    /// The original guard, when `f` returns None.
    pub fn try_map<S: ?Sized, F>(mut this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, S>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut S>,
    {
        let data: *mut S = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(OwnedMappedMutexGuard { lock: this.into_lock(), data })
    }

    /// The mutex this guard locks.
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.lock
    }

    fn into_lock(self) -> Arc<Mutex<T>> {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so the `Arc` is moved out once.
        unsafe { std::ptr::read(&this.lock) }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedMappedMutexGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: the guard holds the only permit; `data` points into the
        // value the guard's `Arc` keeps alive.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedMappedMutexGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as for `deref`, and the guard is borrowed mutably.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedMappedMutexGuard<T, U> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

guard_fmt!([T: ?Sized, U: ?Sized] OwnedMappedMutexGuard<T, U> => U);
