//! The one allocation behind every task: header, scheduler, future/output.
//!
//! ```text
//!  ┌──────────── Cell<F, S> (repr C) ────────────┐
//!  │ Header   state · vtable · id · owned-list    │  ← NonNull<Header> is
//!  │          links · join waker                  │    what handles hold
//!  │ scheduler: S                                 │
//!  │ stage: Running(F) | Finished(output) | Consumed
//!  └──────────────────────────────────────────────┘
//! ```
//!
//! The header comes first so a `NonNull<Header>` is also a pointer to the
//! cell; the vtable carries the functions that know `F` and `S`.

use std::future::Future;
use std::ptr::NonNull;
use std::task::Waker;

use super::state::State;
use super::{Id, JoinError};
use crate::loom::UnsafeCell;

/// The type-erased part of a task, shared by every handle.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    pub(crate) id: Id,
    /// Links of the scheduler's owned-task list; only touched under that
    /// list's lock.
    pub(crate) owned_prev: UnsafeCell<Option<NonNull<Header>>>,
    pub(crate) owned_next: UnsafeCell<Option<NonNull<Header>>>,
    /// The JoinHandle's waker; access follows the JOIN_WAKER bit rules in
    /// `state.rs`.
    pub(crate) join_waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: every field is either atomic, immutable, or guarded by the
// state protocol / the owned list's lock as documented on the field.
unsafe impl Send for Header {}
// SAFETY: see `Send`.
unsafe impl Sync for Header {}

/// What the future is doing: still running, finished with an output, or the
/// output was taken.
pub(crate) enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

/// The whole allocation.
#[repr(C)]
pub(crate) struct Cell<F: Future, S> {
    pub(crate) header: Header,
    pub(crate) scheduler: S,
    /// Only touched by the holder of RUNNING, or after COMPLETE by the
    /// JoinHandle (see `state.rs`).
    pub(crate) stage: UnsafeCell<Stage<F>>,
}

/// The functions that know the concrete future and scheduler types.
pub(crate) struct Vtable {
    /// Runs a `Notified`: poll, cancel or skip. Consumes the Notified's reference.
    pub(crate) run: unsafe fn(NonNull<Header>),
    /// Hands a new `Notified` to the task's scheduler.
    pub(crate) schedule: unsafe fn(NonNull<Header>),
    /// Frees the allocation (the refcount reached zero).
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
    /// Moves the output into `dst: *mut Poll<Result<T, JoinError>>` if ready,
    /// or stores the waker.
    pub(crate) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    /// The JoinHandle is dropped.
    pub(crate) drop_join_handle: unsafe fn(NonNull<Header>),
    /// Runtime shutdown: cancel the task if nobody is polling it. Consumes
    /// the owned list's reference.
    pub(crate) shutdown: unsafe fn(NonNull<Header>),
}

impl<F: Future, S> Cell<F, S> {
    /// Allocates a new task cell and returns a pointer to its header.
    pub(crate) fn allocate(future: F, scheduler: S, id: Id, vtable: &'static Vtable) -> NonNull<Header> {
        let cell = Box::new(Cell {
            header: Header {
                state: State::new(),
                vtable,
                id,
                owned_prev: UnsafeCell::new(None),
                owned_next: UnsafeCell::new(None),
                join_waker: UnsafeCell::new(None),
            },
            scheduler,
            stage: UnsafeCell::new(Stage::Running(future)),
        });
        NonNull::from(Box::leak(cell)).cast()
    }
}
