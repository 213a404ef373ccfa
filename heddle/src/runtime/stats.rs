//! Counters behind `RuntimeMetrics`.
//!
//! Per-worker counters are written only by their worker, so a plain
//! load + store (no locked read-modify-write) is enough; readers on other
//! threads see a recent value. Runtime-wide counters are bumped once per
//! batch (a driver turn, a timer sweep), not per event.

use crate::loom::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Adds `n` to a counter that only one thread writes.
#[inline]
pub(crate) fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Relaxed).wrapping_add(n), Relaxed);
}

/// What one worker (or the current-thread scheduler) counts.
#[derive(Debug, Default)]
pub(crate) struct WorkerStats {
    /// Task polls (including cancellations).
    pub(crate) polls: AtomicU64,
    /// Successful steals from another worker's queue.
    pub(crate) steals: AtomicU64,
    /// Times the worker went to sleep.
    pub(crate) parks: AtomicU64,
}

/// Counters shared by the whole runtime (several writers: atomic adds).
#[derive(Debug, Default)]
pub(crate) struct RuntimeStats {
    /// Readiness events the reactor dispatched.
    pub(crate) io_ready: AtomicU64,
    /// Timers that fired.
    pub(crate) timers_fired: AtomicU64,
    /// Times a task was made to yield because its budget ran out.
    pub(crate) budget_forced_yields: AtomicU64,
}

impl RuntimeStats {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        if n != 0 {
            counter.fetch_add(n, Relaxed);
        }
    }
}

/// Reads a counter.
pub(crate) fn read(counter: &AtomicU64) -> u64 {
    counter.load(Relaxed)
}
