//! `block_in_place` on the multi-threaded scheduler: the blocking thread's
//! core (run queue, LIFO slot, deferred tasks) moves through the worker's
//! hand-off slot (`handoff`) to a replacement thread, so the tasks queued
//! behind the blocking one keep running.

use std::sync::Arc;

use super::worker::{run_worker, Shared, WORKER};
use crate::loom::sync::atomic::Ordering::*;
use crate::runtime::builder::ThreadHooks;
use crate::runtime::scheduler::SchedulerHandle;
use crate::runtime::{context, coop};

/// Runs `f`, a closure that blocks, on this thread without stalling the
/// tasks queued behind the current one; see
/// [`task::block_in_place`](crate::task::block_in_place).
///
/// On a worker, the core (run queue, LIFO slot, deferred tasks) goes into
/// the worker's hand-off slot and a replacement thread is started to run
/// it. If `f` returns before the replacement took the core, the caller
/// takes it back and stays the worker (the replacement then exits at
/// once); otherwise the calling thread finishes the current task poll as
/// a plain thread and leaves the worker loop.
#[track_caller]
pub(crate) fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    if !context::in_runtime() {
        // Outside any runtime, or nested inside another `block_in_place`:
        // blocking here stalls nobody.
        return f();
    }
    const NOT_HERE: &str = "can call blocking only when running on the multi-threaded runtime";
    let handed_off = match context::current_handle() {
        Some(SchedulerHandle::MultiThread(shared)) => {
            // Off a worker (in `block_on`), a `LocalSet` being run here
            // would stall with this thread, so tokio refuses there too.
            if context::block_in_place_disallowed() && !shared.is_worker_thread() {
                panic!("{NOT_HERE}");
            }
            // None on a thread that is not one of our workers (inside
            // `block_on`) or that already gave its core away: nothing to
            // hand off then.
            shared.hand_off_core().map(|index| (shared, index))
        }
        // The future of a current-thread runtime's `Handle::block_on` (not
        // one of its tasks, not inside a `LocalSet`) may block, as in
        // tokio; there is no worker to hand off.
        Some(SchedulerHandle::CurrentThread(_))
            if context::block_in_place_on_current_thread()
                && !context::block_in_place_disallowed()
                && context::current_task_id().is_none() =>
        {
            None
        }
        _ => panic!("{NOT_HERE}"),
    };

    /// Undoes the set-up even if `f` panics.
    struct Reset {
        handed_off: Option<(Arc<Shared>, usize)>,
        _budget: coop::BudgetLifted,
        _exit: context::ExitRuntimeGuard,
    }
    impl Drop for Reset {
        fn drop(&mut self) {
            if let Some((shared, index)) = self.handed_off.take() {
                if let Some(core) = shared.remotes[index].handoff.take() {
                    WORKER.with(|slot| *slot.core.borrow_mut() = Some(core));
                }
            }
        }
    }
    let _reset = Reset {
        handed_off,
        // Blocking sections are not limited by the task's budget.
        _budget: coop::BudgetLifted::new(),
        _exit: context::exit_runtime(),
    };
    f()
}

/// Body of a thread started by `block_in_place`: becomes worker `index`
/// if the core is still waiting in the hand-off slot.
fn run_replacement_worker(shared: Arc<Shared>, index: usize) {
    match shared.remotes[index].handoff.take() {
        Some(core) => run_worker(shared, core),
        // The blocking section ended before this thread started, and its
        // caller took the core back.
        None => {
            let _hooks = ThreadHooks::enter(shared.on_thread_start.as_ref(), shared.on_thread_stop.as_ref());
            shared.worker_exited(None);
        }
    }
}

impl Shared {
    /// True on a worker thread of this runtime (even one whose core was
    /// handed off and is finishing its task poll).
    fn is_worker_thread(self: &Arc<Self>) -> bool {
        WORKER.with(|slot| std::ptr::eq(slot.shared.get(), Arc::as_ptr(self)))
    }

    /// Moves this thread's core to the hand-off slot and starts a thread to
    /// take it over. Returns the worker index, or None if this thread has
    /// no core of ours (or no thread could be started: then it keeps its
    /// core and blocks it, like the current-thread runtime would).
    pub(super) fn hand_off_core(self: &Arc<Self>) -> Option<usize> {
        let mut core = WORKER.with(|slot| {
            if !std::ptr::eq(slot.shared.get(), Arc::as_ptr(self)) {
                return None;
            }
            slot.core.try_borrow_mut().ok()?.take()
        })?;
        let index = core.index;
        // Other workers can steal from the ring but not the LIFO slot: move
        // its task where they can reach it while the replacement starts.
        if let Some(task) = core.lifo_slot.take() {
            core.run_queue.push_back_or_overflow(task, &self.inject);
        }
        self.remotes[index].handoff.offer(core);
        self.workers_running.fetch_add(1, SeqCst);
        let shared = self.clone();
        if self.thread_builder().spawn(move || run_replacement_worker(shared, index)).is_err() {
            let core = self.remotes[index].handoff.take();
            self.workers_running.fetch_sub(1, SeqCst);
            WORKER.with(|slot| *slot.core.borrow_mut() = core);
            return None;
        }
        self.notify_parked();
        Some(index)
    }
}
