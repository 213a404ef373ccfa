//! The global "inject" queue: tasks scheduled from outside the workers, and
//! the overflow of full local queues. A mutex-protected deque with an atomic
//! length so workers can skip the lock when it is empty.

use std::collections::VecDeque;

use super::queue::Overflow;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::Mutex;
use crate::task::Notified;

pub(crate) struct Inject {
    queue: Mutex<VecDeque<Notified>>,
    len: AtomicUsize,
}

impl Inject {
    pub(crate) fn new() -> Inject {
        Inject { queue: Mutex::new(VecDeque::new()), len: AtomicUsize::new(0) }
    }

    pub(crate) fn push(&self, task: Notified) {
        let mut q = self.queue.lock().unwrap();
        q.push_back(task);
        self.len.store(q.len(), SeqCst);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len.load(SeqCst) == 0
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(Acquire)
    }

    /// Pops up to `max` tasks (at least one if any).
    pub(crate) fn pop_batch(&self, max: usize) -> Vec<Notified> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut q = self.queue.lock().unwrap();
        let n = max.max(1).min(q.len());
        let batch: Vec<Notified> = q.drain(..n).collect();
        self.len.store(q.len(), SeqCst);
        batch
    }

    /// Takes everything (shutdown).
    pub(crate) fn drain(&self) -> Vec<Notified> {
        let mut q = self.queue.lock().unwrap();
        self.len.store(0, SeqCst);
        q.drain(..).collect()
    }
}

impl Overflow<Notified> for Inject {
    fn push_batch(&self, batch: impl Iterator<Item = Notified>) {
        let mut q = self.queue.lock().unwrap();
        q.extend(batch);
        self.len.store(q.len(), SeqCst);
    }
}
