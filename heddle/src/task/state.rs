//! The task's state word: lifecycle bits and the reference count in one
//! atomic, so every transition is a single compare-and-swap.
//!
//! ```text
//!   bit 0 RUNNING        a thread is polling (or cancelling) the future
//!   bit 1 COMPLETE       the future is gone; the output (if any) is stored
//!   bit 2 NOTIFIED       woken since the last poll began; a `Notified`
//!                        exists or will be created by the poller
//!   bit 3 CANCELLED      abort() or runtime shutdown asked to cancel
//!   bit 4 JOIN_INTEREST  a JoinHandle exists and may read the output
//!   bit 5 JOIN_WAKER     the JoinHandle's waker is stored; whoever holds
//!                        this bit may not touch the waker slot unless it
//!                        is the JoinHandle and the bit was clear
//!   bits 6.. REFCOUNT    one per Task (owned list), Notified, JoinHandle,
//!                        Waker, and the in-progress poll
//!
//!   idle ──wake──▶ notified ──run──▶ running ──Pending──▶ idle
//!                     ▲                 │  └──wake──▶ running+notified
//!                     └──(re-queued)────┘        ──Pending──▶ notified
//!   running ──Ready / panic / cancelled──▶ complete ──last ref──▶ freed
//! ```
//!
//! Rules that make the handles safe to use concurrently:
//! * only the holder of RUNNING touches the future (the "stage");
//! * after COMPLETE, only the JoinHandle touches the stage, and only if
//!   JOIN_INTEREST was set when COMPLETE was; otherwise the completing thread
//!   dropped the output itself;
//! * at most one `Notified` exists at a time: it is created by whoever sets
//!   NOTIFIED on an idle task, or by the poller that finds NOTIFIED set when
//!   its poll returns `Pending`.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};

const RUNNING: usize = 1 << 0;
const COMPLETE: usize = 1 << 1;
const NOTIFIED: usize = 1 << 2;
const CANCELLED: usize = 1 << 3;
const JOIN_INTEREST: usize = 1 << 4;
const JOIN_WAKER: usize = 1 << 5;
const REF_SHIFT: usize = 6;
const REF_ONE: usize = 1 << REF_SHIFT;

/// The atomic state word.
pub(crate) struct State(AtomicUsize);

/// A copy of the state word, for inspecting bits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

impl Snapshot {
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub(crate) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(crate) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    pub(crate) fn ref_count(self) -> usize {
        self.0 >> REF_SHIFT
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("notified", &self.is_notified())
            .field("cancelled", &self.is_cancelled())
            .field("join_interest", &self.is_join_interested())
            .field("join_waker", &self.is_join_waker_set())
            .field("refs", &self.ref_count())
            .finish()
    }
}

/// What a poller should do with the task it was handed.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToRunning {
    /// Poll the future.
    Poll,
    /// Cancel the future instead of polling it.
    Cancel,
    /// Someone else owns the task (shutdown raced the queue); drop the
    /// `Notified` reference without touching the task.
    Skip,
}

/// What a poller should do after the future returned `Pending`.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToIdle {
    /// Idle; the poll's reference was released and others remain.
    Idle,
    /// Idle and the poll's reference was the last one: free the task.
    IdleDealloc,
    /// Woken during the poll: the poll's reference becomes a new `Notified`
    /// that the caller must schedule.
    Reschedule,
    /// Cancelled during the poll: the caller still holds RUNNING and must
    /// cancel the future.
    Cancel,
}

/// What a waker must do.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToNotified {
    /// Nothing: already notified, running or complete.
    DoNothing,
    /// The task was idle: submit a new `Notified` (a reference is already
    /// counted for it).
    Submit,
    /// Nothing to submit, and the caller's reference was the last one.
    Dealloc,
}

impl State {
    /// A new task: one `Notified` to run it, one `Task` in the owned list, and
    /// one JoinHandle.
    pub(crate) fn new() -> State {
        State(AtomicUsize::new(NOTIFIED | JOIN_INTEREST | (3 * REF_ONE)))
    }

    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.0.load(Acquire))
    }

    /// Runs `f` on the current value until its CAS succeeds; `f` returns the
    /// new value (or None to stop) and an outcome.
    fn update<R>(&self, mut f: impl FnMut(usize) -> (Option<usize>, R)) -> R {
        let mut current = self.0.load(Acquire);
        loop {
            let (next, outcome) = f(current);
            let Some(next) = next else { return outcome };
            match self.0.compare_exchange_weak(current, next, AcqRel, Acquire) {
                Ok(_) => return outcome,
                Err(actual) => current = actual,
            }
        }
    }

    /// A `Notified` is being run: take RUNNING.
    pub(crate) fn transition_to_running(&self) -> ToRunning {
        self.update(|s| {
            debug_assert!(s & NOTIFIED != 0 || s & (RUNNING | COMPLETE) != 0);
            if s & (RUNNING | COMPLETE) != 0 {
                // Shutdown took RUNNING while this Notified sat in a queue.
                return (None, ToRunning::Skip);
            }
            let next = (s & !NOTIFIED) | RUNNING;
            let outcome = if s & CANCELLED != 0 { ToRunning::Cancel } else { ToRunning::Poll };
            (Some(next), outcome)
        })
    }

    /// The future returned `Pending`: give up RUNNING and the poll's reference,
    /// unless the task must run again or be cancelled.
    pub(crate) fn transition_to_idle(&self) -> ToIdle {
        self.update(|s| {
            debug_assert!(s & RUNNING != 0);
            if s & CANCELLED != 0 {
                return (None, ToIdle::Cancel);
            }
            if s & NOTIFIED != 0 {
                // The poll's reference is handed to the new Notified.
                return (Some(s & !RUNNING), ToIdle::Reschedule);
            }
            let next = (s & !RUNNING) - REF_ONE;
            let outcome = if next >> REF_SHIFT == 0 { ToIdle::IdleDealloc } else { ToIdle::Idle };
            (Some(next), outcome)
        })
    }

    /// The future finished (or was cancelled) and the output is stored.
    /// Returns the state just before.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        let prev = Snapshot(self.0.fetch_xor(RUNNING | COMPLETE, AcqRel));
        debug_assert!(prev.is_running() && !prev.is_complete());
        prev
    }

    /// Drops `count` references at once; true if they were the last.
    pub(crate) fn release(&self, count: usize) -> bool {
        let prev = Snapshot(self.0.fetch_sub(count * REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= count, "task refcount underflow: {prev:?} - {count}");
        prev.ref_count() == count
    }

    /// A waker wakes the task, consuming the waker's own reference.
    pub(crate) fn transition_to_notified_by_val(&self) -> ToNotified {
        self.update(|s| {
            if s & RUNNING != 0 {
                // The poller will reschedule; drop our reference.
                (Some((s | NOTIFIED) - REF_ONE), ToNotified::DoNothing)
            } else if s & (COMPLETE | NOTIFIED) != 0 {
                let next = s - REF_ONE;
                let outcome = if next >> REF_SHIFT == 0 { ToNotified::Dealloc } else { ToNotified::DoNothing };
                (Some(next), outcome)
            } else {
                // Idle: our reference becomes the Notified's.
                (Some(s | NOTIFIED), ToNotified::Submit)
            }
        })
    }

    /// A waker wakes the task by reference, keeping its own reference.
    pub(crate) fn transition_to_notified_by_ref(&self) -> ToNotified {
        self.update(|s| {
            if s & (COMPLETE | NOTIFIED) != 0 {
                (None, ToNotified::DoNothing)
            } else if s & RUNNING != 0 {
                (Some(s | NOTIFIED), ToNotified::DoNothing)
            } else {
                (Some((s | NOTIFIED) + REF_ONE), ToNotified::Submit)
            }
        })
    }

    /// `abort()`: mark cancelled, and get the task scheduled so a poller
    /// cancels it, unless it is already queued, running or complete.
    pub(crate) fn transition_to_notified_and_cancel(&self) -> ToNotified {
        self.update(|s| {
            if s & (COMPLETE | CANCELLED) != 0 {
                (None, ToNotified::DoNothing)
            } else if s & (RUNNING | NOTIFIED) != 0 {
                (Some(s | CANCELLED | NOTIFIED), ToNotified::DoNothing)
            } else {
                (Some((s | CANCELLED | NOTIFIED) + REF_ONE), ToNotified::Submit)
            }
        })
    }

    /// Runtime shutdown: mark cancelled and, if nobody is polling, take
    /// RUNNING so the caller may cancel the future right away. True if the
    /// caller now owns the future.
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        self.update(|s| {
            let idle = s & (RUNNING | COMPLETE) == 0;
            let next = if idle { s | CANCELLED | RUNNING } else { s | CANCELLED };
            (Some(next), idle)
        })
    }

    /// Clones a reference (a new Waker).
    pub(crate) fn ref_inc(&self) {
        let prev = self.0.fetch_add(REF_ONE, Relaxed);
        // A leak of 2^57 wakers is a bug; abort rather than wrap.
        if prev > usize::MAX / 2 {
            std::process::abort();
        }
    }

    /// The JoinHandle is dropped. If the task is not complete, clears
    /// JOIN_INTEREST (and JOIN_WAKER, so the caller may drop the waker) and
    /// returns Ok. If it is complete, returns Err: the caller must drop the
    /// output itself.
    pub(crate) fn unset_join_interested(&self) -> Result<Snapshot, Snapshot> {
        self.update(|s| {
            if s & COMPLETE != 0 {
                return (None, Err(Snapshot(s)));
            }
            (Some(s & !(JOIN_INTEREST | JOIN_WAKER)), Ok(Snapshot(s)))
        })
    }

    /// The JoinHandle stored its waker: publish it. Err if the task
    /// completed first (then the output is ready to read).
    pub(crate) fn set_join_waker(&self) -> Result<(), ()> {
        self.update(|s| {
            debug_assert!(s & JOIN_INTEREST != 0 && s & JOIN_WAKER == 0);
            if s & COMPLETE != 0 {
                return (None, Err(()));
            }
            (Some(s | JOIN_WAKER), Ok(()))
        })
    }

    /// The JoinHandle wants to replace its waker: take the slot back. Err if
    /// the task completed first.
    pub(crate) fn unset_join_waker(&self) -> Result<(), ()> {
        self.update(|s| {
            debug_assert!(s & JOIN_INTEREST != 0 && s & JOIN_WAKER != 0);
            if s & COMPLETE != 0 {
                return (None, Err(()));
            }
            (Some(s & !JOIN_WAKER), Ok(()))
        })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn spawn_poll_pending_wake_poll_ready() {
        let state = State::new();
        assert_eq!(state.transition_to_running(), ToRunning::Poll);
        // Woken by reference while running: no new Notified yet.
        assert_eq!(state.transition_to_notified_by_ref(), ToNotified::DoNothing);
        assert_eq!(state.transition_to_idle(), ToIdle::Reschedule);
        assert_eq!(state.transition_to_running(), ToRunning::Poll);
        assert_eq!(state.transition_to_idle(), ToIdle::Idle);
        assert_eq!(state.load().ref_count(), 2);
        assert_eq!(state.transition_to_notified_by_ref(), ToNotified::Submit);
        assert_eq!(state.load().ref_count(), 3);
        assert_eq!(state.transition_to_running(), ToRunning::Poll);
        let prev = state.transition_to_complete();
        assert!(prev.is_join_interested());
        assert!(state.load().is_complete());
        assert!(state.unset_join_interested().is_err());
        assert!(!state.release(2));
        assert!(state.release(1));
    }

    #[test]
    fn abort_idle_task_schedules_a_cancel() {
        let state = State::new();
        assert_eq!(state.transition_to_running(), ToRunning::Poll);
        assert_eq!(state.transition_to_idle(), ToIdle::Idle);
        assert_eq!(state.transition_to_notified_and_cancel(), ToNotified::Submit);
        assert_eq!(state.transition_to_notified_and_cancel(), ToNotified::DoNothing);
        assert_eq!(state.transition_to_running(), ToRunning::Cancel);
    }

    #[test]
    fn shutdown_of_queued_task_skips_the_queue_entry() {
        let state = State::new();
        assert!(state.transition_to_shutdown());
        assert_eq!(state.transition_to_running(), ToRunning::Skip);
    }

    #[test]
    fn wake_by_val_on_complete_task_drops_last_ref() {
        let state = State::new();
        assert_eq!(state.transition_to_running(), ToRunning::Poll);
        state.ref_inc(); // a waker
        let _ = state.transition_to_complete();
        assert!(state.unset_join_interested().is_err());
        assert!(!state.release(3)); // poll, owned list, join handle
        assert_eq!(state.transition_to_notified_by_val(), ToNotified::Dealloc);
    }
}
