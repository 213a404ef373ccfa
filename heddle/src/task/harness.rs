//! The vtable functions: how a task is run, completed, cancelled, joined
//! and freed. Generic over the future `F` and the scheduler `S`; everything
//! else in the task module works on type-erased `NonNull<Header>`.
//!
//! Running a task, step by step:
//! 1. `transition_to_running` decides: poll, cancel, or skip.
//! 2. Poll the future under `catch_unwind` with a waker that borrows the
//!    poll's reference (no refcount traffic on the hot path).
//! 3. `Pending` → `transition_to_idle`; `Ready` or a panic → store the
//!    output and `complete`.
//! 4. `complete` wakes the JoinHandle, lets the scheduler drop the task from
//!    its owned list, and releases the references in one atomic step.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use super::cell::{Cell, Header, Stage, Vtable};
use super::state::{ToIdle, ToRunning};
use super::{waker, JoinError, Notified, Schedule};

/// The vtable for tasks of future type `F` on scheduler `S`.
pub(crate) fn vtable<F: Future, S: Schedule>() -> &'static Vtable {
    &Vtable {
        run: run::<F, S>,
        schedule: schedule::<F, S>,
        dealloc: dealloc::<F, S>,
        try_read_output: try_read_output::<F, S>,
        drop_join_handle: drop_join_handle::<F, S>,
        shutdown: shutdown::<F, S>,
    }
}

/// # Safety
/// `ptr` must point to a live `Cell<F, S>`.
unsafe fn cell<'a, F: Future, S>(ptr: NonNull<Header>) -> &'a Cell<F, S> {
    // SAFETY: the header is the first field of the repr(C) cell, and the
    // caller guarantees the cell is alive and of this type.
    unsafe { ptr.cast::<Cell<F, S>>().as_ref() }
}

unsafe fn run<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the Notified being run holds a reference.
    let cell = unsafe { cell::<F, S>(ptr) };
    match cell.header.state.transition_to_running() {
        ToRunning::Poll => {}
        ToRunning::Cancel => {
            cancel_and_complete(cell);
            return;
        }
        ToRunning::Skip => {
            if cell.header.state.release(1) {
                // SAFETY: that was the last reference.
                unsafe { dealloc::<F, S>(ptr) };
            }
            return;
        }
    }

    #[cfg(feature = "tracing")]
    let _span = tracing::trace_span!("heddle.task.poll", task_id = cell.header.id.0).entered();
    // SAFETY: the waker borrows the poll's reference, which outlives it; it
    // is never dropped (ManuallyDrop), so no reference is released by it.
    let waker = std::mem::ManuallyDrop::new(unsafe { waker::borrowed(ptr) });
    let mut cx = Context::from_waker(&waker);
    let _task_id = crate::runtime::context::set_current_task_id(cell.header.id);
    // Whether this poll yields on purpose is this poll's own business.
    crate::runtime::coop::take_yield();
    let polled = catch_unwind(AssertUnwindSafe(|| {
        // If the poll panics, the future is dropped while the panic is still
        // unwinding (its `Drop` sees `std::thread::panicking()`, as in tokio).
        let guard = DropFutureOnUnwind(cell);
        // SAFETY: we hold RUNNING, so we alone touch the stage; the future
        // never moves (the cell is heap-allocated and never moved).
        let poll = cell.stage.with_mut(|stage| unsafe {
            match &mut *stage {
                Stage::Running(future) => std::pin::Pin::new_unchecked(future).poll(&mut cx),
                _ => unreachable!("polled a task that is not running"),
            }
        });
        std::mem::forget(guard);
        poll
    }));

    match polled {
        Ok(Poll::Pending) => match cell.header.state.transition_to_idle() {
            ToIdle::Idle => {}
            // SAFETY: the poll's reference was the last.
            ToIdle::IdleDealloc => unsafe { dealloc::<F, S>(ptr) },
            ToIdle::Reschedule => {
                // SAFETY: the poll's reference became this Notified's.
                let notified = unsafe { Notified::from_raw(ptr) };
                cell.scheduler.yield_now(notified);
            }
            ToIdle::Cancel => cancel_and_complete(cell),
        },
        Ok(Poll::Ready(output)) => {
            store_quietly(cell, Stage::Finished(Ok(output)));
            complete(cell);
        }
        Err(panic) => {
            // The guard already dropped the future.
            store_quietly(cell, Stage::Finished(Err(JoinError::panic(cell.header.id, panic))));
            complete(cell);
        }
    }
}

/// Drops the task's future if the poll it guards unwinds; forgotten when
/// the poll returns normally.
struct DropFutureOnUnwind<'a, F: Future, S>(&'a Cell<F, S>);

impl<F: Future, S> Drop for DropFutureOnUnwind<'_, F, S> {
    fn drop(&mut self) {
        drop_future_quietly(self.0);
    }
}

/// Replaces the stage. Dropping the old stage may run user code (a
/// future's or output's `Drop`); a panic there is caught and returned.
fn set_stage<F: Future, S>(cell: &Cell<F, S>, new: Stage<F>) -> std::thread::Result<()> {
    // `task::id()` works in the dropped future's or output's `Drop`.
    let _task_id = crate::runtime::context::set_current_task_id(cell.header.id);
    // SAFETY: callers hold RUNNING (or exclusive access after COMPLETE).
    let old = cell.stage.with_mut(|stage| unsafe { std::mem::replace(&mut *stage, new) });
    catch_unwind(AssertUnwindSafe(move || drop(old)))
}

/// Drops the future or output; a panic in its `Drop` is ignored.
fn drop_future_quietly<F: Future, S>(cell: &Cell<F, S>) {
    let _ = set_stage(cell, Stage::Consumed);
}

/// Drops the future and stores the task's error: `Cancelled`, or `Panic`
/// if the future's `Drop` panicked (as tokio reports it). Caller holds
/// RUNNING.
fn cancel_and_complete<F: Future, S: Schedule>(cell: &Cell<F, S>) {
    let id = cell.header.id;
    let err = match set_stage(cell, Stage::Consumed) {
        Ok(()) => JoinError::cancelled(id),
        Err(panic) => JoinError::panic(id, panic),
    };
    store_quietly(cell, Stage::Finished(Err(err)));
    complete(cell);
}

/// Stores `new`, ignoring a panic from dropping what was there.
fn store_quietly<F: Future, S>(cell: &Cell<F, S>, new: Stage<F>) {
    let _ = set_stage(cell, new);
}

/// The output is stored and the caller holds RUNNING plus one reference.
fn complete<F: Future, S: Schedule>(cell: &Cell<F, S>) {
    let prev = cell.header.state.transition_to_complete();
    if !prev.is_join_interested() {
        // Nobody will read the output: drop it here.
        drop_future_quietly(cell);
    } else if prev.is_join_waker_set() {
        // SAFETY: JOIN_WAKER was set when COMPLETE was, so the JoinHandle
        // no longer writes the slot; we only read it.
        cell.header.join_waker.with(|w| unsafe {
            if let Some(w) = &*w {
                w.wake_by_ref();
            }
        });
    }
    let ptr = NonNull::from(&cell.header);
    // The owned list's reference, if the scheduler still had the task.
    let released_by_list = usize::from(cell.scheduler.release(ptr));
    if cell.header.state.release(1 + released_by_list) {
        // SAFETY: those were the last references.
        unsafe { dealloc::<F, S>(ptr) };
    }
}

unsafe fn schedule<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the caller transfers a counted reference to this Notified.
    let cell = unsafe { cell::<F, S>(ptr) };
    // SAFETY: as above.
    cell.scheduler.schedule(unsafe { Notified::from_raw(ptr) });
}

unsafe fn dealloc<F: Future, S>(ptr: NonNull<Header>) {
    // SAFETY: the refcount reached zero, so this is the only pointer left,
    // and the cell was allocated by `Cell::allocate` as a Box.
    drop(unsafe { Box::from_raw(ptr.cast::<Cell<F, S>>().as_ptr()) });
}

unsafe fn try_read_output<F: Future, S: Schedule>(ptr: NonNull<Header>, dst: *mut (), waker: &Waker) {
    // SAFETY: the JoinHandle holds a reference.
    let cell = unsafe { cell::<F, S>(ptr) };
    if !can_read_output(&cell.header, waker) {
        return;
    }
    // SAFETY: COMPLETE with JOIN_INTEREST: the stage belongs to the JoinHandle.
    let stage = cell.stage.with_mut(|stage| unsafe { std::mem::replace(&mut *stage, Stage::Consumed) });
    let Stage::Finished(output) = stage else { panic!("JoinHandle polled after completion") };
    // SAFETY: the JoinHandle<F::Output> passes a pointer to its own
    // `Poll<Result<F::Output, JoinError>>`.
    unsafe { *dst.cast::<Poll<Result<F::Output, JoinError>>>() = Poll::Ready(output) };
}

/// True when the output can be read; otherwise makes sure `waker` is
/// stored so completion wakes it.
fn can_read_output(header: &Header, waker: &Waker) -> bool {
    let snapshot = header.state.load();
    if snapshot.is_complete() {
        return true;
    }
    if snapshot.is_join_waker_set() {
        // SAFETY: JOIN_WAKER is set, so the slot is stable; reading is allowed.
        let same = header.join_waker.with(|w| unsafe { (*w).as_ref().is_some_and(|w| w.will_wake(waker)) });
        if same {
            return false;
        }
        // Take the slot back before writing it.
        if header.state.unset_join_waker().is_err() {
            return true;
        }
    }
    // SAFETY: JOIN_WAKER is clear and only the JoinHandle sets it, so the
    // slot is ours until we set the bit.
    header.join_waker.with_mut(|w| unsafe { *w = Some(waker.clone()) });
    header.state.set_join_waker().is_err()
}

unsafe fn drop_join_handle<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the JoinHandle holds a reference.
    let cell = unsafe { cell::<F, S>(ptr) };
    match cell.header.state.unset_join_interested() {
        Ok(prev) => {
            if prev.is_join_waker_set() {
                // SAFETY: we cleared JOIN_WAKER before COMPLETE, so the slot is ours.
                let waker = cell.header.join_waker.with_mut(|w| unsafe { (*w).take() });
                drop(waker);
            }
        }
        // Complete: the output is ours to drop.
        Err(_) => drop_future_quietly(cell),
    }
    if cell.header.state.release(1) {
        // SAFETY: last reference.
        unsafe { dealloc::<F, S>(ptr) };
    }
}

unsafe fn shutdown<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the owned list's reference, handed to us, keeps it alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    if cell.header.state.transition_to_shutdown() {
        // We own RUNNING: cancel now. `complete` asks the scheduler to release
        // the task from its list; it is already out of it, so we release the
        // list's reference ourselves after.
        cell.header.state.ref_inc();
        cancel_and_complete(cell);
    }
    if cell.header.state.release(1) {
        // SAFETY: last reference.
        unsafe { dealloc::<F, S>(ptr) };
    }
}
