//! The slot through which a worker's core moves to a replacement thread
//! when a task calls `block_in_place`.
//!
//! The blocking thread offers its core here and starts a replacement; the
//! first of the two to `take` it runs the worker: the replacement when it
//! starts, or the blocking thread itself if its closure returned first (a
//! short blocking section then costs no hand-off). Whoever finds the slot
//! empty has lost the race and is not the worker any more.

use crate::loom::sync::Mutex;

/// Holds at most one value in transit between two threads.
pub(crate) struct Handoff<T> {
    slot: Mutex<Option<T>>,
}

impl<T> Handoff<T> {
    pub(crate) fn new() -> Handoff<T> {
        Handoff { slot: Mutex::new(None) }
    }

    /// Puts `value` in the slot. Only the thread owning the core offers it,
    /// and it is in the slot until taken, so the slot is empty here.
    pub(crate) fn offer(&self, value: T) {
        let previous = self.slot.lock().unwrap().replace(value);
        debug_assert!(previous.is_none(), "hand-off slot already full");
    }

    /// Takes the value if it is still there.
    pub(crate) fn take(&self) -> Option<T> {
        self.slot.lock().unwrap().take()
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::Handoff;
    use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use crate::loom::sync::Arc;
    use crate::loom::thread;

    /// The blocking thread reclaiming its core races the replacement
    /// starting: exactly one of them ends up with the core, and the count
    /// of running workers comes back to where it was.
    #[test]
    fn core_goes_to_exactly_one_thread() {
        loom::model(|| {
            let handoff = Arc::new(Handoff::new());
            let running = Arc::new(AtomicUsize::new(1));
            handoff.offer(Box::new(7u32));
            running.fetch_add(1, SeqCst);
            let replacement = {
                let (handoff, running) = (handoff.clone(), running.clone());
                thread::spawn(move || {
                    let core = handoff.take();
                    // Runs the worker loop, then leaves (shutdown) or, with
                    // no core, leaves at once: either way it stops counting.
                    running.fetch_sub(1, SeqCst);
                    core
                })
            };
            let reclaimed = handoff.take();
            let taken = replacement.join().unwrap();
            assert!(reclaimed.is_some() != taken.is_some(), "core owned by one thread");
            assert_eq!(*reclaimed.or(taken).unwrap(), 7);
            assert_eq!(running.load(SeqCst), 1);
            assert!(handoff.take().is_none());
        });
    }

    /// A second hand-off of the same core (the replacement itself blocks)
    /// while the first blocking thread still waits: the core is never
    /// duplicated, whichever thread reclaims it.
    #[test]
    fn chained_handoff_never_duplicates_the_core() {
        loom::model(|| {
            let handoff = Arc::new(Handoff::new());
            handoff.offer(1u32);
            let second = {
                let handoff = handoff.clone();
                thread::spawn(move || {
                    // The replacement takes the core, then hands it off again.
                    let core = handoff.take();
                    if let Some(core) = core {
                        handoff.offer(core);
                    }
                    core.is_some()
                })
            };
            let first = handoff.take();
            let second_had = second.join().unwrap();
            let rest = handoff.take();
            let owners = usize::from(first.is_some()) + usize::from(rest.is_some());
            assert_eq!(owners, 1, "exactly one owner at the end (second had it: {second_had})");
        });
    }
}
