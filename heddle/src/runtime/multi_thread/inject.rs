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
    /// Stored with `Release`, not `SeqCst`: a pusher then wakes a sleeper
    /// through `Idle::worker_to_notify`, whose `SeqCst` fence orders the
    /// store before its look at the idle state, and a parking worker fences
    /// before it reads the length (`Idle::fence_before_check`). A `SeqCst`
    /// store is a locked `xchg` on x86, paid on every remote wake-up: the
    /// remote-spawn benches ran 10-15% faster without it.
    len: CacheLine<AtomicUsize>,
}

impl Inject {
    pub(crate) fn new() -> Inject {
        Inject { queue: HotMutex::new(VecDeque::new()), len: CacheLine(AtomicUsize::new(0)) }
    }

    pub(crate) fn push(&self, task: Notified) {
        let mut q = self.queue.lock();
        q.push_back(task);
        self.len.store(q.len(), Release);
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
    /// whose task wakes a sleeper or is seen by a parking worker's final
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
        self.len.store(q.len(), Release);
        first
    }

    /// Takes everything (shutdown).
    pub(crate) fn drain(&self) -> Vec<Notified> {
        let mut q = self.queue.lock();
        self.len.store(0, Release);
        q.drain(..).collect()
    }
}

impl Overflow<Notified> for Inject {
    fn push_batch(&self, batch: impl Iterator<Item = Notified>) {
        let mut q = self.queue.lock();
        q.extend(batch);
        self.len.store(q.len(), Release);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use std::ptr::NonNull;

    use super::*;
    use crate::loom::sync::atomic::AtomicBool;
    use crate::loom::sync::Arc;
    use crate::loom::thread;
    use crate::runtime::multi_thread::idle::Idle;
    use crate::task::{new_task, Header, Schedule};

    /// The model's task is never woken, so it is never scheduled.
    #[derive(Clone)]
    struct Unscheduled;

    impl Schedule for Unscheduled {
        fn schedule(&self, _task: Notified) {
            unreachable!("the model never wakes its task");
        }
        fn release(&self, _task: NonNull<Header>) -> bool {
            false
        }
    }

    /// The only searcher pops the inject queue while a remote thread
    /// pushes a task there. Its pop only *tries* the lock, so it can come
    /// back empty-handed while the pusher holds it; it then parks as the
    /// last searcher and re-checks. Whatever the interleaving, the task is
    /// either taken or a sleeper is woken for it.
    #[test]
    fn loom_searcher_try_pop_vs_push() {
        loom::model(|| {
            let idle = Arc::new(Idle::new(2));
            idle.transition_worker_to_parked(1, false);
            assert!(idle.transition_worker_to_searching());
            let inject = Arc::new(Inject::new());
            let (task, notified, join) = new_task(async {}, Unscheduled);
            let woken = Arc::new(AtomicBool::new(false));

            let pusher = {
                let (idle, inject, woken) = (idle.clone(), inject.clone(), woken.clone());
                thread::spawn(move || {
                    inject.push(notified);
                    if idle.worker_to_notify().is_some() {
                        woken.store(true, SeqCst);
                    }
                })
            };
            let found = inject.pop_batch(1, |_| unreachable!("a batch of one has no rest"));
            if found.is_none() {
                idle.transition_worker_to_parked(0, true);
                Idle::fence_before_check();
                if !inject.is_empty() && idle.worker_to_notify().is_some() {
                    woken.store(true, SeqCst);
                }
            }
            pusher.join().unwrap();

            assert!(found.is_some() || woken.load(SeqCst), "a queued task with every worker asleep and nobody woken");
            drop(found);
            drop(inject.drain());
            drop((task, join));
        });
    }
}
