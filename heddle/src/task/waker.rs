//! `std::task::Waker` for heddle tasks: a pointer to the task header, where
//! each Waker owns one reference of the task's count.

use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::cell::Header;
use super::state::ToNotified;

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// A waker that borrows a reference the caller already holds (the poll's).
///
/// # Safety
/// The returned waker must not be dropped (wrap it in `ManuallyDrop`) and must
/// not outlive the caller's reference. Clones of it are ordinary wakers.
pub(crate) unsafe fn borrowed(ptr: NonNull<Header>) -> Waker {
    // SAFETY: the vtable functions uphold RawWaker's contract for a pointer
    // to a live task header; the caller keeps the header alive.
    unsafe { Waker::from_raw(RawWaker::new(ptr.as_ptr() as *const (), &VTABLE)) }
}

/// Wakes the task behind `header` without consuming a reference.
fn wake_by_ref_header(ptr: NonNull<Header>) {
    // SAFETY: callers hold a reference to the task.
    let header = unsafe { ptr.as_ref() };
    if header.state.transition_to_notified_by_ref() == ToNotified::Submit {
        // SAFETY: the transition counted a reference for the new Notified.
        unsafe { (header.vtable.schedule)(ptr) };
    }
}

unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: `data` is a live header (the waker being cloned holds a reference).
    let header = unsafe { &*(data as *const Header) };
    header.state.ref_inc();
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: the waker owns a reference, which this call consumes.
    let ptr = unsafe { NonNull::new_unchecked(data as *mut Header) };
    // SAFETY: as above.
    let header = unsafe { ptr.as_ref() };
    match header.state.transition_to_notified_by_val() {
        // SAFETY: the waker's reference became the Notified's.
        ToNotified::Submit => unsafe { (header.vtable.schedule)(ptr) },
        ToNotified::DoNothing => {}
        // SAFETY: the waker's reference was the last.
        ToNotified::Dealloc => unsafe { (header.vtable.dealloc)(ptr) },
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: the waker holds a reference for the duration of the call.
    wake_by_ref_header(unsafe { NonNull::new_unchecked(data as *mut Header) });
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: the waker owns a reference, which this call releases.
    let ptr = unsafe { NonNull::new_unchecked(data as *mut Header) };
    // SAFETY: as above.
    let header = unsafe { ptr.as_ref() };
    if header.state.release(1) {
        // SAFETY: that was the last reference.
        unsafe { (header.vtable.dealloc)(ptr) };
    }
}
