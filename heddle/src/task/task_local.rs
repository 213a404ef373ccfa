//! Task-local storage: values visible to one future (and whatever it
//! awaits), set for the duration of each of its polls.
//!
//! ```
//! heddle::task_local! {
//!     static REQUEST_ID: u64;
//! }
//!
//! # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! REQUEST_ID
//!     .scope(7, async {
//!         heddle::task::yield_now().await;
//!         assert_eq!(REQUEST_ID.get(), 7);
//!     })
//!     .await;
//! assert!(REQUEST_ID.try_with(|_| ()).is_err());
//! # });
//! ```

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Declares task-local keys of type [`LocalKey`].
///
/// ```
/// heddle::task_local! {
///     /// A documented key.
///     pub static NAME: String;
///     static COUNT: u32;
/// }
/// let n = COUNT.sync_scope(3, || COUNT.get());
/// assert_eq!(n, 3);
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty; $($rest:tt)*) => {
        $crate::__task_local_inner!($(#[$attr])* $vis $name, $t);
        $crate::task_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty) => {
        $crate::__task_local_inner!($(#[$attr])* $vis $name, $t);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __task_local_inner {
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty) => {
        $(#[$attr])*
        $vis static $name: $crate::task::LocalKey<$t> = {
            ::std::thread_local! {
                static __KEY: ::std::cell::RefCell<::std::option::Option<$t>> = const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::task::LocalKey { inner: __KEY }
        };
    };
}

/// A key for task-local data, declared with [`task_local!`](crate::task_local).
pub struct LocalKey<T: 'static> {
    #[doc(hidden)]
    pub inner: std::thread::LocalKey<RefCell<Option<T>>>,
}

/// Returned by [`LocalKey::try_with`] and [`LocalKey::try_get`] outside
/// a scope of the key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AccessError {
    _private: (),
}

impl fmt::Debug for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessError")
    }
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task-local value not set")
    }
}

impl std::error::Error for AccessError {}

/// Swaps a value into the key's slot; swaps it back out when dropped.
struct Swap<'a, T: 'static> {
    key: &'static LocalKey<T>,
    slot: &'a mut Option<T>,
}

impl<'a, T: 'static> Swap<'a, T> {
    fn enter(key: &'static LocalKey<T>, slot: &'a mut Option<T>) -> Result<Swap<'a, T>, ScopeError> {
        key.inner
            .try_with(|cell| cell.try_borrow_mut().map(|mut v| std::mem::swap(&mut *v, slot)))
            .map_err(|_| ScopeError)?
            .map_err(|_| ScopeError)?;
        Ok(Swap { key, slot })
    }
}

impl<T: 'static> Drop for Swap<'_, T> {
    fn drop(&mut self) {
        let _ = self.key.inner.try_with(|cell| std::mem::swap(&mut *cell.borrow_mut(), self.slot));
    }
}

#[derive(Debug)]
struct ScopeError;

impl<T: 'static> LocalKey<T> {
    /// Runs `future` with the key set to `value` during each of its polls.
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture { key: self, slot: Some(value), future: Some(future) }
    }

    /// Runs `f` with the key set to `value`.
    ///
    /// # Panics
    /// If the key is being accessed (inside `with`) on this thread.
    #[track_caller]
    pub fn sync_scope<F: FnOnce() -> R, R>(&'static self, value: T, f: F) -> R {
        let mut slot = Some(value);
        let _swap = Swap::enter(self, &mut slot).expect("cannot enter a task-local scope while the value is borrowed");
        f()
    }

    /// Runs `f` with a reference to the value.
    ///
    /// # Panics
    /// Outside a scope of this key.
    #[track_caller]
    pub fn with<F: FnOnce(&T) -> R, R>(&'static self, f: F) -> R {
        match self.try_with(f) {
            Ok(r) => r,
            Err(e) => panic!("cannot access a task-local storage value without setting it first: {e}"),
        }
    }

    /// Runs `f` with a reference to the value, or fails outside a scope.
    pub fn try_with<F: FnOnce(&T) -> R, R>(&'static self, f: F) -> Result<R, AccessError> {
        let err = AccessError { _private: () };
        self.inner
            .try_with(|cell| {
                let value = cell.try_borrow().map_err(|_| err)?;
                match value.as_ref() {
                    Some(v) => Ok(f(v)),
                    None => Err(err),
                }
            })
            .map_err(|_| err)?
    }
}

impl<T: Clone + 'static> LocalKey<T> {
    /// A copy of the value.
    ///
    /// # Panics
    /// Outside a scope of this key.
    #[track_caller]
    pub fn get(&'static self) -> T {
        self.with(T::clone)
    }

    /// A copy of the value, or an error outside a scope of this key (the
    /// non-panicking [`get`](Self::get)).
    ///
    /// ```
    /// heddle::task_local! {
    ///     static DEPTH: u32;
    /// }
    ///
    /// assert!(DEPTH.try_get().is_err());
    /// assert_eq!(DEPTH.sync_scope(3, || DEPTH.try_get()), Ok(3));
    /// ```
    ///
    /// # Errors
    /// [`AccessError`] outside a scope of this key.
    pub fn try_get(&'static self) -> Result<T, AccessError> {
        self.try_with(T::clone)
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("LocalKey { .. }")
    }
}

pin_project_lite::pin_project! {
    /// A future run with a task-local value set; see [`LocalKey::scope`].
    ///
    /// The wrapped future is also dropped with the value set (when it
    /// completes, or when this is dropped first), so its destructors can
    /// still read the key.
    pub struct TaskLocalFuture<T: 'static, F> {
        key: &'static LocalKey<T>,
        slot: Option<T>,
        #[pin]
        future: Option<F>,
    }

    impl<T: 'static, F> PinnedDrop for TaskLocalFuture<T, F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if std::mem::needs_drop::<F>() && this.future.is_some() {
                // If the scope cannot be entered (the key is borrowed, or
                // the thread is exiting), the future drops without it.
                let mut future = this.future;
                if let Ok(_swap) = Swap::enter(this.key, this.slot) {
                    future.set(None);
                }
            }
        }
    }
}

impl<T: 'static, F> TaskLocalFuture<T, F> {
    /// The value, if the future is not being polled.
    pub fn take_value(self: Pin<&mut Self>) -> Option<T> {
        self.project().slot.take()
    }
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _swap =
            Swap::enter(this.key, this.slot).expect("cannot enter a task-local scope while the value is borrowed");
        let mut future = this.future;
        let Some(inner) = future.as_mut().as_pin_mut() else {
            panic!("TaskLocalFuture polled after completion");
        };
        let poll = inner.poll(cx);
        if poll.is_ready() {
            // Drop the finished future while the value is still set.
            future.set(None);
        }
        poll
    }
}

impl<T: 'static + fmt::Debug, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalFuture").field("value", &self.slot).finish()
    }
}
