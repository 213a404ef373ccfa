//! The owned guards of an [`RwLock`]: [`OwnedRwLockReadGuard`],
//! [`OwnedRwLockWriteGuard`] and [`OwnedRwLockMappedWriteGuard`].
//!
//! Each one holds an `Arc<RwLock<T>>` rather than a borrow, so it is
//! `'static` (for `T: 'static`) and can move into a spawned task. They are
//! created by [`RwLock::read_owned`], [`RwLock::write_owned`] and their
//! `try_` forms (in the parent module), hold permits of the lock's
//! semaphore exactly as the borrowed guards of the sibling `guard` module
//! do, and give them back on drop.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::RwLock;

/// Shared access through an `Arc<RwLock<T>>`; released on drop.
///
/// `U` is the part of the value the guard gives access to: the whole value
/// (`U = T`) from [`RwLock::read_owned`], a part of it after
/// [`map`](Self::map) or [`OwnedRwLockWriteGuard::downgrade_map`].
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedRwLockReadGuard<T: ?Sized, U: ?Sized = T> {
    /// The lock; the guard holds one of its semaphore's permits.
    pub(super) lock: Arc<RwLock<T>>,
    /// Points into the value `lock` protects.
    pub(super) data: *const U,
}

/// Exclusive access through an `Arc<RwLock<T>>`; released on drop.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedRwLockWriteGuard<T: ?Sized> {
    pub(super) lock: Arc<RwLock<T>>,
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

guard_fmt!([T: ?Sized, U: ?Sized] OwnedRwLockReadGuard<T, U> => U);

guard_fmt!([T: ?Sized] OwnedRwLockWriteGuard<T> => T);

guard_fmt!([T: ?Sized, U: ?Sized] OwnedRwLockMappedWriteGuard<T, U> => U);
