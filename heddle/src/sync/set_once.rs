//! `SetOnce`: a value set at most once, which tasks can wait for.
//!
//! ```
//! use std::sync::Arc;
//! use heddle::sync::SetOnce;
//!
//! #[heddle::main(flavor = "current_thread")]
//! async fn main() {
//!     let ready = Arc::new(SetOnce::new());
//!     let waiter = {
//!         let ready = ready.clone();
//!         heddle::spawn(async move { *ready.wait().await * 2 })
//!     };
//!     assert!(ready.get().is_none());
//!     ready.set(21).unwrap();
//!     assert_eq!(waiter.await.unwrap(), 42);
//!     // The value is fixed now: a second `set` hands its value back.
//!     assert_eq!(ready.set(0).unwrap_err().0, 0);
//! }
//! ```
//!
//! # Design
//!
//! A state word, the value in a `MaybeUninit`, and a [`Notify`]. `set`
//! claims the cell with one compare-and-swap (`EMPTY → SETTING`), writes
//! the value, publishes it (`SET`, release) and calls
//! [`notify_waiters`](Notify::notify_waiters). A waiter creates its
//! `Notified` *before* checking the state: a `Notified` counts for every
//! `notify_waiters` made after its creation, so a `set` that the check
//! missed still completes it, and no wake-up is lost.
//!
//! ```text
//!   EMPTY ──set: CAS won──▶ SETTING ──value written──▶ SET (waiters woken)
//! ```

use std::cell::UnsafeCell;
use std::error::Error;
use std::fmt;
use std::mem::MaybeUninit;
use std::pin::pin;

use super::Notify;
use crate::loom::sync::atomic::{AtomicU8, Ordering};

/// No value; `set` may claim the cell.
const EMPTY: u8 = 0;
/// A `set` is writing the value.
const SETTING: u8 = 1;
/// The value is written and visible.
const SET: u8 = 2;

/// A thread-safe cell written at most once; tasks can
/// [`wait`](Self::wait) until it is. See the [`sync` module docs](crate::sync).
///
/// Unlike [`OnceCell`](super::OnceCell) nothing initialises it on demand:
/// some party calls [`set`](Self::set), the others wait. It works as an
/// "event with a payload".
///
/// ```
/// use heddle::sync::SetOnce;
///
/// static PORT: SetOnce<u16> = SetOnce::const_new();
///
/// #[heddle::main(flavor = "current_thread")]
/// async fn main() {
///     heddle::spawn(async { PORT.set(8080) });
///     assert_eq!(*PORT.wait().await, 8080);
///     assert!(PORT.initialized());
/// }
/// ```
pub struct SetOnce<T> {
    /// `EMPTY`, `SETTING` or `SET`.
    state: AtomicU8,
    /// Initialised exactly when `state` is `SET`.
    value: UnsafeCell<MaybeUninit<T>>,
    /// Woken (`notify_waiters`) once the value is published.
    notify: Notify,
}

// SAFETY: the cell owns its `T` and moves it with itself: `T: Send`.
unsafe impl<T: Send> Send for SetOnce<T> {}
// SAFETY: a shared cell hands out `&T` on any thread (`T: Sync`) and
// `set` moves a `T` in from any thread (`T: Send`). Writes happen only in
// the one `set` that won the `EMPTY → SETTING` exchange, before `SET` is
// published with release ordering; readers read only after seeing `SET`
// with acquire ordering.
unsafe impl<T: Send + Sync> Sync for SetOnce<T> {}

/// The error [`SetOnce::set`] returns when the cell already has a value;
/// it carries the value that was not stored.
#[derive(Debug, PartialEq, Eq)]
pub struct SetOnceError<T>(pub T);

impl<T> fmt::Display for SetOnceError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SetOnce already holds a value")
    }
}

impl<T: fmt::Debug> Error for SetOnceError<T> {}

impl<T> SetOnce<T> {
    /// An empty cell.
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        SetOnce {
            state: AtomicU8::new(EMPTY),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            notify: Notify::const_new(),
        }
    }

    /// An empty cell.
    #[cfg(loom)]
    pub fn new() -> Self {
        SetOnce { state: AtomicU8::new(EMPTY), value: UnsafeCell::new(MaybeUninit::uninit()), notify: Notify::new() }
    }

    /// Same as [`new`](Self::new), usable in `static`s.
    #[cfg(not(loom))]
    pub const fn const_new() -> Self {
        Self::new()
    }

    /// A cell holding `value` if it is `Some`, empty otherwise.
    ///
    /// ```
    /// use heddle::sync::SetOnce;
    ///
    /// assert_eq!(SetOnce::new_with(Some(3)).get(), Some(&3));
    /// assert!(!SetOnce::<u8>::new_with(None).initialized());
    /// ```
    pub fn new_with(value: Option<T>) -> Self {
        match value {
            #[cfg(not(loom))]
            Some(value) => Self::const_new_with(value),
            #[cfg(loom)]
            Some(value) => SetOnce {
                state: AtomicU8::new(SET),
                value: UnsafeCell::new(MaybeUninit::new(value)),
                notify: Notify::new(),
            },
            None => Self::new(),
        }
    }

    /// A cell already holding `value`, usable in `static`s.
    ///
    /// ```
    /// use heddle::sync::SetOnce;
    ///
    /// static NAME: SetOnce<&str> = SetOnce::const_new_with("heddle");
    /// assert_eq!(NAME.get(), Some(&"heddle"));
    /// assert!(NAME.set("other").is_err());
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new_with(value: T) -> Self {
        SetOnce {
            state: AtomicU8::new(SET),
            value: UnsafeCell::new(MaybeUninit::new(value)),
            notify: Notify::const_new(),
        }
    }

    /// True once a value is stored (then [`get`](Self::get) returns it).
    pub fn initialized(&self) -> bool {
        self.state.load(Ordering::Acquire) == SET
    }

    /// The value, if set; never waits.
    pub fn get(&self) -> Option<&T> {
        if self.initialized() {
            // SAFETY: `SET` was seen with acquire ordering, so the write of
            // the value (made before the release store of `SET`) is visible,
            // and the value is never written or moved again while `&self`
            // lives.
            Some(unsafe { (*self.value.get()).assume_init_ref() })
        } else {
            None
        }
    }

    /// Stores `value` if the cell is empty and wakes every
    /// [`wait`](Self::wait)er. When this returns `Ok`, [`get`](Self::get)
    /// returns the value on every thread.
    ///
    /// # Errors
    /// [`SetOnceError`] carrying `value` if the cell already holds a value
    /// (or another `set` is storing one right now: it wins; this call
    /// returns once that value is visible).
    ///
    /// ```
    /// use heddle::sync::{SetOnce, SetOnceError};
    ///
    /// let cell = SetOnce::new();
    /// assert_eq!(cell.set(1), Ok(()));
    /// assert_eq!(cell.set(2), Err(SetOnceError(2)));
    /// assert_eq!(cell.get(), Some(&1));
    /// ```
    pub fn set(&self, value: T) -> Result<(), SetOnceError<T>> {
        if let Err(mut seen) = self.state.compare_exchange(EMPTY, SETTING, Ordering::Acquire, Ordering::Acquire) {
            // Another `set` won; it only moves a value in, no user code, so
            // wait the moment it takes for the value to become visible.
            let mut spins = 0u32;
            while seen == SETTING {
                if spins < 64 {
                    crate::loom::hint::spin_loop();
                    spins += 1;
                } else {
                    crate::loom::thread::yield_now();
                }
                seen = self.state.load(Ordering::Acquire);
            }
            return Err(SetOnceError(value));
        }
        // SAFETY: winning `EMPTY → SETTING` makes this the only writer ever,
        // and readers touch the value only after seeing `SET`, stored below.
        unsafe { (*self.value.get()).write(value) };
        self.state.store(SET, Ordering::Release);
        self.notify.notify_waiters();
        Ok(())
    }

    /// Consumes the cell, returning the value if set.
    ///
    /// ```
    /// use heddle::sync::SetOnce;
    ///
    /// let cell = SetOnce::new();
    /// cell.set(String::from("v")).unwrap();
    /// assert_eq!(cell.into_inner().as_deref(), Some("v"));
    /// ```
    pub fn into_inner(mut self) -> Option<T> {
        if self.state.load(Ordering::Acquire) != SET {
            return None;
        }
        // Mark the cell empty so that `Drop` leaves the value alone.
        self.state.store(EMPTY, Ordering::Relaxed);
        // SAFETY: the value is initialised (`SET` was seen), `self` is owned
        // so nobody else can reach it, and with the state now `EMPTY` it is
        // read out exactly once.
        Some(unsafe { self.value.get_mut().assume_init_read() })
    }

    /// Waits until the cell holds a value, then returns it. Returns at once
    /// if it already does. Cancel-safe: dropping the future loses nothing.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use heddle::sync::SetOnce;
    ///
    /// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let cell = Arc::new(SetOnce::new());
    /// let waiters: Vec<_> = (0..3)
    ///     .map(|_| {
    ///         let cell = cell.clone();
    ///         heddle::spawn(async move { *cell.wait().await })
    ///     })
    ///     .collect();
    /// let setter = cell.clone();
    /// std::thread::spawn(move || setter.set(7).unwrap()).join().unwrap();
    /// for w in waiters {
    ///     assert_eq!(w.await.unwrap(), 7);
    /// }
    /// # });
    /// ```
    pub async fn wait(&self) -> &T {
        loop {
            // Created (and so registered for `notify_waiters`) before the
            // check: a `set` after the check completes it.
            let notified = pin!(self.notify.notified());
            if let Some(value) = self.get() {
                return value;
            }
            notified.await;
        }
    }
}

impl<T> Drop for SetOnce<T> {
    fn drop(&mut self) {
        if self.state.load(Ordering::Acquire) == SET {
            // SAFETY: the value is initialised (`SET`) and, with `&mut self`
            // in a destructor, never touched again.
            unsafe { self.value.get_mut().assume_init_drop() };
        }
    }
}

impl<T> Default for SetOnce<T> {
    fn default() -> Self {
        SetOnce::new()
    }
}

impl<T> From<T> for SetOnce<T> {
    fn from(value: T) -> Self {
        SetOnce::new_with(Some(value))
    }
}

impl<T: Clone> Clone for SetOnce<T> {
    fn clone(&self) -> Self {
        SetOnce::new_with(self.get().cloned())
    }
}

impl<T: PartialEq> PartialEq for SetOnce<T> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for SetOnce<T> {}

impl<T: fmt::Debug> fmt::Debug for SetOnce<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetOnce").field("value", &self.get()).finish()
    }
}
