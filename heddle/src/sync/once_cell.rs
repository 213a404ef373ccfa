//! `OnceCell`: a value initialised at most once, possibly by an async
//! function.
//!
//! ```
//! use heddle::sync::OnceCell;
//!
//! static CONFIG: OnceCell<u32> = OnceCell::const_new();
//!
//! #[heddle::main(flavor = "current_thread")]
//! async fn main() {
//!     let v = CONFIG.get_or_init(|| async { 7 }).await;
//!     assert_eq!(*v, 7);
//!     // Later callers see the stored value; their initialiser never runs.
//!     assert_eq!(*CONFIG.get_or_init(|| async { unreachable!() }).await, 7);
//! }
//! ```
//!
//! # Design
//!
//! The value lives in a `std::sync::OnceLock`; a one-permit [`Semaphore`]
//! picks which task runs its initialiser. Others queue on the semaphore
//! (FIFO). The winner stores the value and *closes* the semaphore, which
//! wakes every queued task to read the value. If the winner fails or is
//! cancelled, its permit returns and the next task in line tries.
//!
//! ```text
//!   EMPTY ──permit taken──▶ INITIALISING ──value set, semaphore closed──▶ SET
//!                              └── init failed / cancelled: permit back ──▶ EMPTY
//! ```

use std::fmt;
use std::future::Future;
use std::sync::OnceLock;

use super::semaphore::TryAcquireError;
use super::Semaphore;

/// A thread-safe cell written once. See the [`sync` module docs](crate::sync).
pub struct OnceCell<T> {
    value: OnceLock<T>,
    sem: Semaphore,
}

/// Why [`OnceCell::set`] failed; holds the rejected value.
#[derive(Debug, PartialEq, Eq)]
pub enum SetError<T> {
    /// The cell already holds a value.
    AlreadyInitializedError(T),
    /// Another task is initialising the cell right now.
    InitializingError(T),
}

impl<T> SetError<T> {
    /// True for [`SetError::AlreadyInitializedError`].
    pub fn is_already_init_err(&self) -> bool {
        matches!(self, SetError::AlreadyInitializedError(_))
    }

    /// True for [`SetError::InitializingError`].
    pub fn is_initializing_err(&self) -> bool {
        matches!(self, SetError::InitializingError(_))
    }
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::AlreadyInitializedError(_) => f.write_str("cell already initialized"),
            SetError::InitializingError(_) => f.write_str("cell is being initialized"),
        }
    }
}

impl<T: fmt::Debug> std::error::Error for SetError<T> {}

/// Returns the initialisation permit unless disarmed.
struct PermitGuard<'a>(Option<&'a Semaphore>);

impl Drop for PermitGuard<'_> {
    fn drop(&mut self) {
        if let Some(sem) = self.0 {
            sem.release(1);
        }
    }
}

impl<T> OnceCell<T> {
    /// An empty cell.
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        OnceCell { value: OnceLock::new(), sem: Semaphore::new(1) }
    }

    /// An empty cell.
    #[cfg(loom)]
    pub fn new() -> Self {
        OnceCell { value: OnceLock::new(), sem: Semaphore::new(1) }
    }

    /// Same as [`new`](Self::new), usable in `static`s.
    #[cfg(not(loom))]
    pub const fn const_new() -> Self {
        Self::new()
    }

    /// A cell holding `value` if it is `Some`.
    pub fn new_with(value: Option<T>) -> Self {
        let cell = Self::new();
        if let Some(v) = value {
            let _ = cell.set(v);
        }
        cell
    }

    /// The value, if set.
    pub fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// Mutable access to the value, if set.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.value.get_mut()
    }

    /// True once a value is stored.
    pub fn initialized(&self) -> bool {
        self.value.get().is_some()
    }

    /// Stores `value` if the cell is empty and nobody is initialising it.
    ///
    /// # Errors
    /// [`SetError`] with the value otherwise.
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        match self.sem.try_acquire_raw(1) {
            Ok(()) => {
                self.store(value);
                Ok(())
            }
            Err(TryAcquireError::NoPermits) => Err(SetError::InitializingError(value)),
            Err(TryAcquireError::Closed) => Err(SetError::AlreadyInitializedError(value)),
        }
    }

    /// Holding the permit: store and release every waiter.
    fn store(&self, value: T) -> &T {
        let stored = self.value.get_or_init(|| value);
        self.sem.close();
        stored
    }

    /// The value, running `f` to produce it if the cell is empty. Concurrent
    /// callers wait for the first initialiser instead of running theirs.
    pub async fn get_or_init<F, Fut>(&self, f: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        if let Some(v) = self.get() {
            return v;
        }
        if self.sem.acquire_raw(1).await.is_err() {
            return self.get().expect("closed only once set");
        }
        let mut guard = PermitGuard(Some(&self.sem));
        let value = f().await;
        guard.0 = None;
        self.store(value)
    }

    /// Like [`get_or_init`](Self::get_or_init) with a fallible initialiser;
    /// on error the cell stays empty and the next waiter tries.
    ///
    /// # Errors
    /// Whatever `f` returned.
    pub async fn get_or_try_init<E, F, Fut>(&self, f: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(v) = self.get() {
            return Ok(v);
        }
        if self.sem.acquire_raw(1).await.is_err() {
            return Ok(self.get().expect("closed only once set"));
        }
        let mut guard = PermitGuard(Some(&self.sem));
        let value = f().await?;
        guard.0 = None;
        Ok(self.store(value))
    }

    /// Consumes the cell, returning the value if set.
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }

    /// Takes the value out, leaving the cell empty.
    pub fn take(&mut self) -> Option<T> {
        let value = self.value.take();
        self.sem = Semaphore::new(1);
        value
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> Self {
        OnceCell::new()
    }
}

impl<T> From<T> for OnceCell<T> {
    fn from(value: T) -> Self {
        OnceCell::new_with(Some(value))
    }
}

impl<T: Clone> Clone for OnceCell<T> {
    fn clone(&self) -> Self {
        OnceCell::new_with(self.get().cloned())
    }
}

impl<T: PartialEq> PartialEq for OnceCell<T> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for OnceCell<T> {}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell").field("value", &self.get()).finish()
    }
}
