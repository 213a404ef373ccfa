//! `JoinHandle` and `AbortHandle`: the spawner's view of a task.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

use super::cell::Header;
use super::state::ToNotified;
use super::{Id, JoinError};

/// An owned permission to await a spawned task's output.
///
/// Dropping a `JoinHandle` detaches the task: it keeps running. A task that
/// panicked or was aborted yields a [`JoinError`].
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let handle = heddle::spawn(async { 6 * 7 });
/// assert_eq!(handle.await.unwrap(), 42);
/// # });
/// ```
pub struct JoinHandle<T> {
    raw: NonNull<Header>,
    _output: PhantomData<T>,
}

// SAFETY: the handle only moves the output (`T: Send`) out of the task, and
// the task's shared state is synchronised by its atomic state word.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only allows `abort`/`is_finished`/`id`, which are
// atomic operations on the header.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

// A panic unwinding past a `JoinHandle` cannot leave the task half
// updated: its state changes by atomic transitions of the header, the
// task's own panics are caught by the harness and kept as a `JoinError`,
// and the output (`T`) is only moved out once, whole, when the task is
// complete. So the handle is unwind-safe whatever `T` is (as tokio's).
impl<T> std::panic::UnwindSafe for JoinHandle<T> {}
impl<T> std::panic::RefUnwindSafe for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// # Safety
    /// `raw` must carry a JoinHandle reference to a task whose output is `T`.
    pub(crate) unsafe fn from_raw(raw: NonNull<Header>) -> JoinHandle<T> {
        JoinHandle { raw, _output: PhantomData }
    }

    fn header(&self) -> &Header {
        // SAFETY: the handle holds a reference, so the header is alive.
        unsafe { self.raw.as_ref() }
    }

    /// Cancels the task. If it has not finished, it is dropped at its next
    /// scheduling point and awaiting this handle gives a cancelled
    /// [`JoinError`]. Aborting a finished task does nothing.
    pub fn abort(&self) {
        abort_task(self.raw);
    }

    /// True once the task has finished (output stored, panicked or cancelled).
    pub fn is_finished(&self) -> bool {
        self.header().state.load().is_complete()
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.header().id
    }

    /// A handle that can abort the task without owning its output.
    pub fn abort_handle(&self) -> AbortHandle {
        self.header().state.ref_inc();
        AbortHandle { raw: self.raw }
    }
}

fn abort_task(raw: NonNull<Header>) {
    // SAFETY: callers hold a reference.
    let header = unsafe { raw.as_ref() };
    if header.state.transition_to_notified_and_cancel() == ToNotified::Submit {
        // SAFETY: the transition counted a reference for the new Notified.
        unsafe { (header.vtable.schedule)(raw) };
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = std::task::ready!(crate::runtime::coop::poll_proceed(cx));
        let mut out: Poll<Result<T, JoinError>> = Poll::Pending;
        // SAFETY: `out` has the type the vtable's try_read_output writes for
        // a task with output `T`.
        unsafe { (self.header().vtable.try_read_output)(self.raw, &mut out as *mut _ as *mut (), cx.waker()) };
        if out.is_ready() {
            coop.made_progress();
        }
        out
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        // SAFETY: consumes this handle's reference exactly once.
        unsafe { (self.header().vtable.drop_join_handle)(self.raw) };
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").field("id", &self.id()).finish()
    }
}

/// A handle that can abort a task but not await it.
pub struct AbortHandle {
    raw: NonNull<Header>,
}

// SAFETY: only atomic operations on the header are reachable.
unsafe impl Send for AbortHandle {}
// SAFETY: as above.
unsafe impl Sync for AbortHandle {}

// Unwind-safe for the reasons given at `JoinHandle`'s impls, and it can
// reach even less (as tokio's).
impl std::panic::UnwindSafe for AbortHandle {}
impl std::panic::RefUnwindSafe for AbortHandle {}

impl AbortHandle {
    /// Cancels the task; see [`JoinHandle::abort`].
    pub fn abort(&self) {
        abort_task(self.raw);
    }

    /// True once the task has finished.
    pub fn is_finished(&self) -> bool {
        // SAFETY: the handle holds a reference.
        unsafe { self.raw.as_ref() }.state.load().is_complete()
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        // SAFETY: the handle holds a reference.
        unsafe { self.raw.as_ref() }.id
    }
}

impl Clone for AbortHandle {
    fn clone(&self) -> Self {
        // SAFETY: the handle holds a reference.
        unsafe { self.raw.as_ref() }.state.ref_inc();
        AbortHandle { raw: self.raw }
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        // SAFETY: the handle holds a reference, released here.
        let header = unsafe { self.raw.as_ref() };
        if header.state.release(1) {
            // SAFETY: last reference.
            unsafe { (header.vtable.dealloc)(self.raw) };
        }
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle").field("id", &self.id()).finish()
    }
}
