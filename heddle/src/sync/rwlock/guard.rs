//! The borrowed guards of an [`RwLock`]: [`RwLockReadGuard`],
//! [`RwLockWriteGuard`] and [`RwLockMappedWriteGuard`].
//!
//! Each one borrows the lock (or its semaphore) for `'a` and holds permits
//! of the lock's semaphore: one for a read guard, all `max_readers` for a
//! write guard. [`RwLock::read`], [`RwLock::write`] and their `try_` and
//! `blocking_` forms (in the parent module) create them; dropping a guard
//! gives its permits back. The guards that own an `Arc<RwLock<T>>` instead
//! live in the sibling `owned_guard` module.

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use super::RwLock;
use crate::sync::Semaphore;

/// Shared access to an [`RwLock`]'s value (or, after
/// [`map`](RwLockReadGuard::map), to a part of it); released on drop.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    /// The lock's semaphore; the guard holds one of its permits.
    pub(super) sem: &'a Semaphore,
    pub(super) data: *const T,
    pub(super) _marker: PhantomData<&'a T>,
}

/// Exclusive access to an [`RwLock`]'s value; released on drop.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    pub(super) lock: &'a RwLock<T>,
}

// SAFETY: a read guard only gives `&T`.
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}
// SAFETY: a read guard only gives `&T`.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}
// SAFETY: a write guard gives `&mut T` to whoever holds it.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockWriteGuard<'_, T> {}
// `&RwLockWriteGuard` only reaches `&T`, so it is as unwind-safe as `&T`
// (tokio's guard is too).
impl<T: ?Sized + std::panic::RefUnwindSafe> std::panic::RefUnwindSafe for RwLockWriteGuard<'_, T> {}
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

guard_fmt!(['a, T: ?Sized] RwLockMappedWriteGuard<'a, T> => T);
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

guard_fmt!(['a, T: ?Sized] RwLockReadGuard<'a, T> => T);

guard_fmt!(['a, T: ?Sized] RwLockWriteGuard<'a, T> => T);
