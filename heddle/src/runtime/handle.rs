//! `Handle`: a clone-able reference to a runtime, for spawning from
//! anywhere (including threads outside the runtime).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::context::{self, CONTEXT};
use super::scheduler::SchedulerHandle;
use crate::driver::DriverHandle;
use crate::task::JoinHandle;

/// A handle to a runtime.
///
/// ```
/// let rt = heddle::runtime::Runtime::new().unwrap();
/// let handle = rt.handle().clone();
/// let from_thread = std::thread::spawn(move || handle.spawn(async { 1 + 1 })).join().unwrap();
/// assert_eq!(rt.block_on(from_thread).unwrap(), 2);
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) inner: SchedulerHandle,
}

/// The kind of scheduler a runtime uses; see [`Handle::runtime_flavor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuntimeFlavor {
    /// One thread runs every task
    /// ([`Builder::new_current_thread`](super::Builder::new_current_thread)).
    CurrentThread,
    /// Worker threads share the tasks
    /// ([`Builder::new_multi_thread`](super::Builder::new_multi_thread)).
    MultiThread,
}

/// Returned by [`Handle::try_current`] outside a runtime.
#[derive(Debug)]
pub struct TryCurrentError(());

impl std::fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("there is no reactor running, must be called from the context of a heddle runtime")
    }
}

impl std::error::Error for TryCurrentError {}

impl TryCurrentError {
    pub(crate) fn new() -> TryCurrentError {
        TryCurrentError(())
    }
}

/// Makes a runtime current until dropped; see [`Handle::enter`].
#[must_use = "the runtime is only current while the guard lives"]
pub struct EnterGuard<'a> {
    _guard: context::SetHandleGuard,
    _handle: std::marker::PhantomData<&'a Handle>,
    /// Dropping the guard restores this thread's previous runtime, so it
    /// must be dropped on the thread that made it: `!Send` (as tokio's).
    /// A shared reference can do nothing, so it stays `Sync`.
    /// (A std `MutexGuard` is exactly that: `Sync`, not `Send`.)
    _not_send: std::marker::PhantomData<std::sync::MutexGuard<'static, ()>>,
    /// For a `LocalRuntime`: its task set, current until the guard drops.
    _local: Option<LocalGuard>,
}

/// A `LocalEnterGuard` inside an [`EnterGuard`], which stays `Sync`.
struct LocalGuard(#[allow(dead_code)] crate::task::LocalEnterGuard);

// SAFETY: `LocalGuard` has no methods and its field is private, so a
// shared reference to it (all `Sync` hands to other threads) can do
// nothing with the guard; it is only used by its drop, on the owning
// thread (`EnterGuard` is `!Send`).
unsafe impl Sync for LocalGuard {}

impl std::fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnterGuard")
    }
}

impl Handle {
    /// The runtime this thread is in.
    ///
    /// # Panics
    /// Outside a runtime (use [`try_current`](Self::try_current) to check).
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(handle) => handle,
            Err(e) => panic!("{e}"),
        }
    }

    /// The runtime's name, if its builder gave one
    /// ([`Builder::name`](super::Builder::name)).
    ///
    /// ```
    /// #[heddle::main(flavor = "current_thread", name = "edge")]
    /// async fn main() {
    ///     assert_eq!(heddle::runtime::Handle::current().name(), Some("edge"));
    /// }
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.inner.name()
    }

    /// The id of this handle's runtime: the same for every handle of one
    /// runtime, different from every other runtime's.
    ///
    /// ```
    /// #[heddle::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let handle = heddle::runtime::Handle::current();
    ///     assert_eq!(handle.id(), heddle::runtime::Handle::current().id());
    ///     println!("running on runtime {}", handle.id());
    /// }
    /// ```
    pub fn id(&self) -> super::Id {
        let owned = match &self.inner {
            SchedulerHandle::CurrentThread(shared) => &shared.owned,
            SchedulerHandle::MultiThread(shared) => &shared.owned,
        };
        super::Id::new(owned.id())
    }

    /// The runtime this thread is in, if any.
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        CONTEXT
            .try_with(|c| c.handle.borrow().clone())
            .ok()
            .flatten()
            .map(|inner| Handle { inner })
            .ok_or(TryCurrentError(()))
    }

    /// Spawns a task on this runtime.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.spawn(future)
    }

    /// Runs `future` to completion on this thread; like
    /// [`Runtime::block_on`](super::Runtime::block_on), but callable from
    /// any thread holding a handle. On a current-thread runtime, this thread
    /// drives the runtime's tasks while no other thread does.
    ///
    /// ```
    /// let rt = heddle::runtime::Runtime::new().unwrap();
    /// let handle = rt.handle().clone();
    /// let out = std::thread::spawn(move || handle.block_on(async { heddle::spawn(async { 7 }).await.unwrap() }))
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(out, 7);
    /// ```
    ///
    /// Unlike in [`Runtime::block_on`](super::Runtime::block_on), `future`
    /// itself may call [`block_in_place`](crate::task::block_in_place) on a
    /// current-thread runtime, as in tokio (the runtime's tasks may not).
    ///
    /// # Panics
    /// When called from inside a runtime (an async context), except within
    /// [`block_in_place`](crate::task::block_in_place).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let future = std::pin::pin!(future);
        self.block_on_as(future, true)
    }

    /// `block_on`, saying whether the future may `block_in_place` on a
    /// current-thread runtime: from `Handle::block_on` it may, from
    /// `Runtime::block_on` it may not (tokio's rule).
    #[track_caller]
    pub(crate) fn block_on_as<F: Future>(&self, future: Pin<&mut F>, may_block_in_place: bool) -> F::Output {
        match &self.inner {
            SchedulerHandle::CurrentThread(shared) => {
                let _allowed = context::allow_block_in_place_on_current_thread(may_block_in_place);
                shared.block_on(future)
            }
            SchedulerHandle::MultiThread(shared) => {
                let _in_runtime = context::enter_runtime();
                let _handle = context::set_handle(SchedulerHandle::MultiThread(shared.clone()));
                super::park::block_on_parked(future, || shared.block_on_spin_slot())
            }
        }
    }

    /// Runs the blocking closure `f` on this runtime's blocking pool; see
    /// [`spawn_blocking`](crate::task::spawn_blocking). Works from any thread.
    ///
    /// ```
    /// let rt = heddle::runtime::Runtime::new().unwrap();
    /// let handle = rt.handle().clone();
    /// let join = std::thread::spawn(move || handle.spawn_blocking(|| 2 + 2)).join().unwrap();
    /// assert_eq!(rt.block_on(join).unwrap(), 4);
    /// ```
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.inner.blocking().spawn_blocking(f, Some(self.inner.clone()))
    }

    /// Makes this runtime current on this thread (so `heddle::spawn` and
    /// socket constructors find it) until the guard is dropped.
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            _guard: context::set_handle(self.inner.clone()),
            _handle: std::marker::PhantomData,
            _not_send: std::marker::PhantomData,
            _local: None,
        }
    }

    /// As [`enter`](Self::enter), also keeping a `LocalRuntime`'s task set
    /// current until the guard drops.
    pub(crate) fn enter_with_local(&self, local: crate::task::LocalEnterGuard) -> EnterGuard<'_> {
        EnterGuard { _local: Some(LocalGuard(local)), ..self.enter() }
    }

    /// Which scheduler this runtime uses.
    ///
    /// ```
    /// use heddle::runtime::{Builder, Handle, RuntimeFlavor};
    ///
    /// let rt = Builder::new_current_thread().build().unwrap();
    /// rt.block_on(async { assert_eq!(Handle::current().runtime_flavor(), RuntimeFlavor::CurrentThread) });
    /// ```
    pub fn runtime_flavor(&self) -> RuntimeFlavor {
        match self.inner {
            SchedulerHandle::CurrentThread(_) => RuntimeFlavor::CurrentThread,
            SchedulerHandle::MultiThread(_) => RuntimeFlavor::MultiThread,
        }
    }

    /// Runtime metrics.
    pub fn metrics(&self) -> super::RuntimeMetrics {
        super::RuntimeMetrics { handle: self.inner.clone() }
    }

    pub(crate) fn driver(&self) -> &Arc<DriverHandle> {
        self.inner.driver()
    }
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.inner {
            SchedulerHandle::CurrentThread(_) => "current_thread",
            SchedulerHandle::MultiThread(_) => "multi_thread",
        };
        f.debug_struct("Handle").field("flavor", &kind).finish()
    }
}

// A panic that unwinds past a `Handle` (out of a task, a `block_on`, or
// the closure given to `catch_unwind`) cannot leave the runtime half
// updated for the next user: its shared state changes only under its own
// locks and atomics, task panics are caught and kept for the `JoinHandle`,
// and `block_on` hands its scheduler core back when unwound. So, like
// tokio's, `Handle` and `RuntimeMetrics` (a `Handle` in disguise) are
// unwind-safe.
impl std::panic::UnwindSafe for Handle {}
impl std::panic::RefUnwindSafe for Handle {}
impl std::panic::UnwindSafe for super::RuntimeMetrics {}
impl std::panic::RefUnwindSafe for super::RuntimeMetrics {}
