//! `RuntimeMetrics`: counters an operator can read from a live runtime.

use super::scheduler::SchedulerHandle;

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
