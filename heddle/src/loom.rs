//! One place that picks std or loom for every synchronisation primitive.
//!
//! Under `RUSTFLAGS="--cfg loom"` the concurrent state machines (task state,
//! run queues, wakers) are built on loom's model-checked types; otherwise on
//! std's. Code elsewhere in the crate imports from here, never from
//! `std::sync` directly, so a loom model covers the real code and not a copy.
//!
//! Under loom, fixed capacities shrink (see [`LOCAL_QUEUE_CAPACITY`]) so
//! the model reaches the "queue full" paths in few steps.

#[cfg(loom)]
pub(crate) use loom::{cell::UnsafeCell, hint, sync, thread};

#[cfg(not(loom))]
#[allow(unused_imports)]
pub(crate) use std::{hint, sync, thread};

/// Capacity of a worker's local run queue. Small under loom to reach overflow.
#[cfg(not(loom))]
pub(crate) const LOCAL_QUEUE_CAPACITY: usize = 256;
/// Capacity of a worker's local run queue. Small under loom to reach overflow.
#[cfg(loom)]
pub(crate) const LOCAL_QUEUE_CAPACITY: usize = 4;

/// `UnsafeCell` with loom's access-tracking API (`with`/`with_mut`), so code
/// is written once for both builds.
#[cfg(not(loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    /// Runs `f` with a shared raw pointer to the contents.
    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Runs `f` with an exclusive raw pointer to the contents.
    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Runs `f` once normally, or under every interleaving loom explores.
#[cfg(all(test, loom))]
pub(crate) fn model(f: impl Fn() + Sync + Send + 'static) {
    loom::model(f)
}

/// Runs `f` once normally, or under every interleaving loom explores.
#[cfg(all(test, not(loom)))]
#[allow(dead_code)]
pub(crate) fn model(f: impl Fn() + Sync + Send + 'static) {
    f()
}

/// A mutex for short critical sections on hot paths (the inject queue,
/// waiter lists): std's futex mutex, which spins briefly and then sleeps in
/// the kernel. `parking_lot`'s was used before; its `sched_yield` between
/// spins gave the vCPU away to busy threads when workers outnumber cores
/// (BENCHMARKS.md, `sync_notify_one_10`). Loom's under loom. No poisoning:
/// these sections do not run user code.
#[cfg(not(loom))]
#[derive(Debug, Default)]
pub(crate) struct HotMutex<T>(std::sync::Mutex<T>);
/// Guard of [`HotMutex`].
#[cfg(not(loom))]
pub(crate) type HotMutexGuard<'a, T> = std::sync::MutexGuard<'a, T>;

#[cfg(not(loom))]
impl<T> HotMutex<T> {
    pub(crate) const fn new(value: T) -> Self {
        HotMutex(std::sync::Mutex::new(value))
    }

    #[inline]
    pub(crate) fn lock(&self) -> HotMutexGuard<'_, T> {
        // A panic while held leaves the protected state consistent (the
        // sections are plain queue operations), so poisoning is ignored.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The lock if nobody holds it, without waiting.
    #[inline]
    pub(crate) fn try_lock(&self) -> Option<HotMutexGuard<'_, T>> {
        match self.0.try_lock() {
            Ok(guard) => Some(guard),
            Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }
}

/// A mutex for short critical sections on hot paths; loom's under loom.
#[cfg(loom)]
pub(crate) struct HotMutex<T>(loom::sync::Mutex<T>);
/// Guard of [`HotMutex`].
#[cfg(loom)]
pub(crate) type HotMutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

#[cfg(loom)]
impl<T> HotMutex<T> {
    pub(crate) fn new(value: T) -> Self {
        HotMutex(loom::sync::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> HotMutexGuard<'_, T> {
        self.0.lock().unwrap()
    }

    pub(crate) fn try_lock(&self) -> Option<HotMutexGuard<'_, T>> {
        self.0.try_lock().ok()
    }
}

/// A condition variable paired with [`HotMutex`]: std's (loom's
/// under loom).
#[cfg(not(loom))]
#[derive(Debug, Default)]
pub(crate) struct HotCondvar(std::sync::Condvar);

#[cfg(not(loom))]
impl HotCondvar {
    pub(crate) const fn new() -> Self {
        HotCondvar(std::sync::Condvar::new())
    }

    pub(crate) fn notify_one(&self) {
        self.0.notify_one();
    }

    pub(crate) fn notify_all(&self) {
        self.0.notify_all();
    }

    /// Releases the lock and waits for a notification or `timeout`; the
    /// flag is true if it timed out.
    pub(crate) fn wait_timeout<'a, T>(
        &self,
        guard: HotMutexGuard<'a, T>,
        timeout: std::time::Duration,
    ) -> (HotMutexGuard<'a, T>, bool) {
        let (guard, result) = self.0.wait_timeout(guard, timeout).unwrap_or_else(std::sync::PoisonError::into_inner);
        (guard, result.timed_out())
    }
}

/// A condition variable paired with [`HotMutex`]; loom's under loom.
#[cfg(loom)]
#[derive(Debug)]
pub(crate) struct HotCondvar(loom::sync::Condvar);

#[cfg(loom)]
impl HotCondvar {
    pub(crate) fn new() -> Self {
        HotCondvar(loom::sync::Condvar::new())
    }

    pub(crate) fn notify_one(&self) {
        self.0.notify_one();
    }

    pub(crate) fn notify_all(&self) {
        self.0.notify_all();
    }

    /// As the non-loom version (loom never times out).
    pub(crate) fn wait_timeout<'a, T>(
        &self,
        guard: HotMutexGuard<'a, T>,
        _timeout: std::time::Duration,
    ) -> (HotMutexGuard<'a, T>, bool) {
        (self.0.wait(guard).unwrap(), false)
    }
}
