//! The global "inject" queue: tasks scheduled from outside the workers, and
//! the overflow of full local queues. A deque behind a short-held
//! `HotMutex`, with an atomic length so workers can skip the lock when it
//! is empty.

use std::collections::VecDeque;

use super::queue::Overflow;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::HotMutex;
use crate::task::Notified;
use crate::util::cache_line::CacheLine;

pub(crate) struct Inject {
    queue: HotMutex<VecDeque<Notified>>,
    /// On its own cache line: idle workers poll it, and those reads should
    /// not pull the lock's line away from a thread pushing or popping.
    len: CacheLine<AtomicUsize>,
}

impl Inject {
    pub(crate) fn new() -> Inject {
        Inject { queue: HotMutex::new(VecDeque::new()), len: CacheLine(AtomicUsize::new(0)) }
    }

    pub(crate) fn push(&self, task: Notified) {
        let mut q = self.queue.lock();
        q.push_back(task);
        self.len.store(q.len(), SeqCst);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len.load(SeqCst) == 0
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(Acquire)
    }

    /// Pops up to `max` tasks (at least one if any): returns the first and
    /// hands the rest to `rest` while the lock is held, so a batch moves
    /// into a local queue without an intermediate allocation.
    ///
    /// Gives up (None) if another thread holds the lock: that is a pusher,
    /// whose task wakes a sleeper or is seen by the last searcher's final
    /// check (see `idle`), or another popper taking the same tasks. Waiting
    /// there made idle workers queue up behind each other on the lock, and
    /// on a 2-vCPU VM behind a holder that had been preempted.
    pub(crate) fn pop_batch(
        &self,
        max: usize,
        rest: impl FnOnce(std::collections::vec_deque::Drain<'_, Notified>),
    ) -> Option<Notified> {
        if self.is_empty() {
            return None;
        }
        let mut q = self.queue.try_lock()?;
        let n = max.max(1).min(q.len());
        let first = q.pop_front();
        if n > 1 {
            rest(q.drain(..n - 1));
        }
        self.len.store(q.len(), SeqCst);
        first
    }

    /// Takes everything (shutdown).
    pub(crate) fn drain(&self) -> Vec<Notified> {
        let mut q = self.queue.lock();
        self.len.store(0, SeqCst);
        q.drain(..).collect()
    }
}

impl Overflow<Notified> for Inject {
    fn push_batch(&self, batch: impl Iterator<Item = Notified>) {
        let mut q = self.queue.lock();
        q.extend(batch);
        self.len.store(q.len(), SeqCst);
    }
}
