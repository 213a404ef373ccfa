//! `SchedulerHandle`: the shared side of whichever scheduler a runtime uses.

use std::future::Future;
use std::sync::Arc;

use super::{current_thread, multi_thread};
use crate::driver::DriverHandle;
use crate::task::JoinHandle;

/// A clone-able reference to a runtime's scheduler.
#[derive(Clone)]
pub(crate) enum SchedulerHandle {
    CurrentThread(Arc<current_thread::Shared>),
    MultiThread(Arc<multi_thread::Shared>),
}

impl SchedulerHandle {
    pub(crate) fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            SchedulerHandle::CurrentThread(s) => current_thread::Shared::spawn(s, future),
            SchedulerHandle::MultiThread(s) => multi_thread::Shared::spawn(s, future),
        }
    }

    /// The runtime's name, if its builder gave one.
    pub(crate) fn name(&self) -> Option<&str> {
        match self {
            SchedulerHandle::CurrentThread(s) => s.name.as_deref(),
            SchedulerHandle::MultiThread(s) => s.name.as_deref(),
        }
    }

    pub(crate) fn driver(&self) -> &Arc<DriverHandle> {
        match self {
            SchedulerHandle::CurrentThread(s) => &s.driver,
            SchedulerHandle::MultiThread(s) => &s.driver,
        }
    }

    /// The runtime's blocking pool.
    pub(crate) fn blocking(&self) -> &super::blocking::BlockingPool {
        match self {
            SchedulerHandle::CurrentThread(s) => &s.blocking,
            SchedulerHandle::MultiThread(s) => &s.blocking,
        }
    }

    pub(crate) fn num_workers(&self) -> usize {
        match self {
            SchedulerHandle::CurrentThread(_) => 1,
            SchedulerHandle::MultiThread(s) => s.num_workers(),
        }
    }

    /// Counters of worker `index` (the only "worker" of a current-thread
    /// runtime is index 0).
    pub(crate) fn worker_stats(&self, index: usize) -> &super::stats::WorkerStats {
        match self {
            SchedulerHandle::CurrentThread(s) => {
                assert_eq!(index, 0, "worker index out of range");
                &s.stats
            }
            SchedulerHandle::MultiThread(s) => s.worker_stats(index),
        }
    }

    pub(crate) fn local_queue_depth(&self, index: usize) -> usize {
        match self {
            // The local queue of a current-thread runtime lives on the
            // running thread; only the remote queue is visible.
            SchedulerHandle::CurrentThread(_) => 0,
            SchedulerHandle::MultiThread(s) => s.local_queue_depth(index),
        }
    }

    pub(crate) fn global_queue_depth(&self) -> usize {
        match self {
            SchedulerHandle::CurrentThread(s) => s.remote_queue_depth(),
            SchedulerHandle::MultiThread(s) => s.global_queue_depth(),
        }
    }

    pub(crate) fn spawned_tasks(&self) -> u64 {
        match self {
            SchedulerHandle::CurrentThread(s) => s.owned.spawned(),
            SchedulerHandle::MultiThread(s) => s.owned.spawned(),
        }
    }

    pub(crate) fn num_alive_tasks(&self) -> usize {
        match self {
            SchedulerHandle::CurrentThread(s) => s.owned.len(),
            SchedulerHandle::MultiThread(s) => s.owned.len(),
        }
    }
}
