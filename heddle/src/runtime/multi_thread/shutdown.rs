//! Shutting the multi-threaded scheduler down, and what happens to a
//! worker's core when its thread leaves.
//!
//! Shutdown, in order:
//! 1. `Shared::shutdown` sets `is_shutdown` and unparks every worker.
//! 2. Each worker leaves its loop, returns its core to `Shared::cores`.
//! 3. The thread dropping the runtime waits for the workers (up to a
//!    deadline), then closes the owned-task list (cancelling every task),
//!    drains all queues, and shuts the driver down, waking every resource.
//!    Workers that did not exit in time (a task blocking the thread) are
//!    left behind; their tasks are cancelled when they return.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::worker::{Core, Shared};
use crate::loom::sync::atomic::Ordering::*;
use crate::runtime::context;
use crate::runtime::scheduler::SchedulerHandle;

impl Shared {
    /// Bookkeeping for a worker thread leaving: its core (if it still has
    /// one) goes back to `cores`, or is drained if shutdown already did so.
    pub(super) fn worker_exited(&self, core: Option<Box<Core>>) {
        let mut cores = self.cores.lock().unwrap();
        let late = if self.cores_drained.load(SeqCst) {
            core
        } else {
            cores.extend(core);
            None
        };
        self.workers_running.fetch_sub(1, SeqCst);
        self.workers_exited.notify_all();
        drop(cores);
        if let Some(mut core) = late {
            drain_core(&mut core);
        }
    }

    /// Stops the workers and cancels every task; see the module doc.
    pub(crate) fn shutdown(self: &Arc<Self>, wait: Option<Duration>) {
        if self.is_shutdown.swap(true, SeqCst) {
            return;
        }
        for remote in self.remotes.iter() {
            remote.parker.unpark();
        }
        self.driver.unpark();
        if let Some(wait) = wait {
            // None: too far to represent (`Duration::MAX`), wait for good.
            let deadline = Instant::now().checked_add(wait);
            let mut cores = self.cores.lock().unwrap();
            while self.workers_running.load(SeqCst) > 0 {
                let left =
                    deadline.map_or(Duration::MAX, |deadline| deadline.saturating_duration_since(Instant::now()));
                if left.is_zero() {
                    break;
                }
                cores = self.workers_exited.wait_timeout(cores, left).unwrap().0;
            }
        }
        // A runtime kept in a thread-local may be dropped after this
        // thread's context is gone: shut down without a current handle then.
        let _handle = context::CONTEXT
            .try_with(|_| ())
            .is_ok()
            .then(|| context::set_handle(SchedulerHandle::MultiThread(self.clone())));
        self.owned.close_and_shutdown_all();
        let cores: Vec<Box<Core>> = {
            let mut cores = self.cores.lock().unwrap();
            self.cores_drained.store(true, SeqCst);
            std::mem::take(&mut *cores)
        };
        // A core still in a hand-off slot has no thread yet to run it.
        let waiting = self.remotes.iter().filter_map(|remote| remote.handoff.take());
        for mut core in cores.into_iter().chain(waiting) {
            drain_core(&mut core);
        }
        loop {
            let rest = self.inject.drain();
            if rest.is_empty() {
                break;
            }
            drop(rest);
        }
        self.driver.shutdown();
        if self.workers_running.load(SeqCst) == 0 {
            for driver in self.drivers.iter() {
                drop(driver.lock().unwrap().take());
            }
        }
    }
}

/// Drops the task references queued in `core` (at shutdown, after every
/// task was cancelled).
fn drain_core(core: &mut Core) {
    drop(core.lifo_slot.take());
    core.deferred.clear();
    while let Some(task) = core.run_queue.pop() {
        drop(task);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::Duration;

    use crate::loom::sync::atomic::Ordering::SeqCst;
    use crate::runtime::scheduler::SchedulerHandle;
    use crate::runtime::Builder;

    /// `Duration::MAX` (tokio's way to say "wait for good") is too far for
    /// an `Instant`: the wait must not overflow computing its deadline.
    #[test]
    fn the_longest_wait_waits_for_the_workers() {
        let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let SchedulerHandle::MultiThread(shared) = &rt.handle().inner else { unreachable!("a multi-thread runtime") };
        shared.shutdown(Some(Duration::MAX));
        assert_eq!(shared.workers_running.load(SeqCst), 0, "shutdown returned before the workers exited");
    }
}
