//! `RuntimeMetrics`: counters an operator can read from a live runtime.

use super::scheduler::SchedulerHandle;
use super::stats;

/// A view of a runtime's counters.
///
/// ```
/// let rt = heddle::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
/// assert_eq!(rt.metrics().num_workers(), 2);
/// ```
#[derive(Clone)]
pub struct RuntimeMetrics {
    pub(crate) handle: SchedulerHandle,
}

impl RuntimeMetrics {
    /// Number of worker threads (1 for a current-thread runtime).
    pub fn num_workers(&self) -> usize {
        self.handle.num_workers()
    }

    /// Number of tasks spawned and not yet finished.
    pub fn num_alive_tasks(&self) -> usize {
        self.handle.num_alive_tasks()
    }

    /// Number of threads in the blocking pool (busy or idle).
    pub fn num_blocking_threads(&self) -> usize {
        self.handle.blocking().num_threads()
    }

    /// Number of blocking-pool threads waiting for work.
    pub fn num_idle_blocking_threads(&self) -> usize {
        self.handle.blocking().num_idle_threads()
    }

    /// Number of blocking jobs waiting for a thread.
    pub fn blocking_queue_depth(&self) -> usize {
        self.handle.blocking().queue_depth()
    }

    /// Tasks spawned since the runtime started (blocking tasks excluded).
    pub fn spawned_tasks_count(&self) -> u64 {
        self.handle.spawned_tasks()
    }

    /// Task polls worker `worker` has made.
    ///
    /// # Panics
    /// If `worker >= num_workers()`.
    pub fn worker_poll_count(&self, worker: usize) -> u64 {
        stats::read(&self.handle.worker_stats(worker).polls)
    }

    /// Times worker `worker` stole work from another worker.
    ///
    /// # Panics
    /// If `worker >= num_workers()`.
    pub fn worker_steal_count(&self, worker: usize) -> u64 {
        stats::read(&self.handle.worker_stats(worker).steals)
    }

    /// Times worker `worker` went to sleep.
    ///
    /// # Panics
    /// If `worker >= num_workers()`.
    pub fn worker_park_count(&self, worker: usize) -> u64 {
        stats::read(&self.handle.worker_stats(worker).parks)
    }

    /// Tasks queued on worker `worker` (0 on a current-thread runtime,
    /// whose queue lives on the thread inside `block_on`).
    pub fn worker_local_queue_depth(&self, worker: usize) -> usize {
        self.handle.local_queue_depth(worker)
    }

    /// Tasks in the global queue (woken or spawned from outside a worker).
    pub fn global_queue_depth(&self) -> usize {
        self.handle.global_queue_depth()
    }

    /// Times a task was made to yield because it used up its budget.
    pub fn budget_forced_yield_count(&self) -> u64 {
        stats::read(&self.handle.driver().stats.budget_forced_yields)
    }

    /// Socket readiness events the reactor has dispatched.
    pub fn io_driver_ready_count(&self) -> u64 {
        stats::read(&self.handle.driver().stats.io_ready)
    }

    /// Timers that have fired.
    pub fn timers_fired_count(&self) -> u64 {
        stats::read(&self.handle.driver().stats.timers_fired)
    }

    /// Number of timers waiting to fire.
    pub fn num_pending_timers(&self) -> usize {
        self.handle.driver().time.pending()
    }
}

impl std::fmt::Debug for RuntimeMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeMetrics")
            .field("num_workers", &self.num_workers())
            .field("num_alive_tasks", &self.num_alive_tasks())
            .finish()
    }
}
