//! Which workers are asleep, and whether one should be woken.
//!
//! Waking a worker costs a syscall, and waking all of them for one task is
//! a thundering herd. The rule: wake a sleeper only when no worker is
//! already searching for work (a searcher will find the new task), and let
//! at most half the workers search at once. A worker that stops searching
//! after finding work wakes one more sleeper if it was the last searcher,
//! so queued work keeps being picked up.
//!
//! A worker re-checks the queues once it is listed as a sleeper: pushers
//! skip the wake-up while anyone searches, and a waker that looked before
//! the worker was listed saw nobody to wake. Both sides are a store
//! followed by a load of the other side's location (pusher: queue, then
//! `state`; parking worker: `state`, then the queues), so each side has a
//! `SeqCst` fence
//! between them ([`Idle::fence_before_check`] and the one in
//! `should_wake`): without either, a load may be served before the other
//! thread's store is visible, both sides miss each other, and the task
//! waits with every worker asleep (the loom model below fails without
//! either fence).
//!
//! State word: `num_unparked << 16 | num_searching`.

use crate::loom::sync::atomic::{fence, AtomicUsize, Ordering::*};
use crate::loom::HotMutex;
use crate::util::spin::Heartbeat;

const SEARCH_MASK: usize = 0xffff;
const UNPARK_ONE: usize = 1 << 16;

/// No sleeper is spinning (`Idle::spinner`).
const NO_SPINNER: usize = usize::MAX;

pub(crate) struct Idle {
    state: AtomicUsize,
    sleepers: HotMutex<Vec<usize>>,
    num_workers: usize,
    /// A listed sleeper that spins before it sleeps, waiting for a
    /// blocking job's result: woken first, it costs no system call.
    spinner: AtomicUsize,
    /// The spinner's heartbeat: one that lost its CPU is not woken first.
    pub(crate) spinner_heartbeat: Heartbeat,
}

impl Idle {
    pub(crate) fn new(num_workers: usize) -> Idle {
        Idle {
            state: AtomicUsize::new(num_workers * UNPARK_ONE),
            sleepers: HotMutex::new(Vec::with_capacity(num_workers)),
            num_workers,
            spinner: AtomicUsize::new(NO_SPINNER),
            spinner_heartbeat: Heartbeat::new(),
        }
    }

    /// Marks sleeper `index` as spinning (`Some`) or no sleeper (`None`).
    pub(crate) fn set_spinner(&self, index: Option<usize>) {
        self.spinner.store(index.unwrap_or(NO_SPINNER), Relaxed);
    }

    fn num_searching(state: usize) -> usize {
        state & SEARCH_MASK
    }

    fn num_unparked(state: usize) -> usize {
        state >> 16
    }

    fn should_wake(&self) -> bool {
        // Orders the caller's queue push before the read of `state`; see
        // the module doc.
        fence(SeqCst);
        let s = self.state.load(SeqCst);
        Self::num_searching(s) == 0 && Self::num_unparked(s) < self.num_workers
    }

    /// Workers not parked (running tasks or searching); a snapshot.
    pub(crate) fn num_awake(&self) -> usize {
        Self::num_unparked(self.state.load(Relaxed))
    }

    /// A sleeper to wake for new work, counted as unparked and searching;
    /// None if nobody should be woken.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        if !self.should_wake() {
            return None;
        }
        let mut sleepers = self.sleepers.lock();
        if !self.should_wake() {
            return None;
        }
        // The spinning sleeper if it is listed and still has its CPU, else
        // the one listed last (most likely still awake, or with a warm
        // cache).
        let spinner = if self.spinner_heartbeat.is_fresh() { self.spinner.load(Relaxed) } else { NO_SPINNER };
        let index = match sleepers.iter().rposition(|&i| i == spinner) {
            Some(pos) => sleepers.remove(pos),
            None => sleepers.pop()?,
        };
        self.state.fetch_add(UNPARK_ONE | 1, SeqCst);
        Some(index)
    }

    /// Worker `index` goes to sleep; it must then re-check the queues
    /// (after [`fence_before_check`](Self::fence_before_check)) before
    /// sleeping.
    pub(crate) fn transition_worker_to_parked(&self, index: usize, is_searching: bool) {
        let mut sleepers = self.sleepers.lock();
        let dec = UNPARK_ONE + usize::from(is_searching);
        self.state.fetch_sub(dec, SeqCst);
        sleepers.push(index);
    }

    /// Orders a `transition_worker_to_parked` before the caller's look at
    /// the queues; see the module doc.
    pub(crate) fn fence_before_check() {
        fence(SeqCst);
    }

    /// Try to start searching; false if enough workers already search.
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let s = self.state.load(SeqCst);
        if 2 * Self::num_searching(s) >= self.num_workers {
            return false;
        }
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// Stop searching; true if this was the last searcher.
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, SeqCst);
        debug_assert!(Self::num_searching(prev) > 0);
        Self::num_searching(prev) == 1
    }

    /// Worker `index` woke up on its own (it had local work): if it is
    /// still listed as a sleeper, unlist it and count it as unparked.
    /// False if another thread already woke it (then it is counted as
    /// unparked and searching).
    pub(crate) fn unpark_worker_by_id(&self, index: usize) -> bool {
        let mut sleepers = self.sleepers.lock();
        match sleepers.iter().position(|&i| i == index) {
            Some(pos) => {
                sleepers.swap_remove(pos);
                self.state.fetch_add(UNPARK_ONE, SeqCst);
                true
            }
            None => false,
        }
    }

    /// True if worker `index` is listed as asleep.
    pub(crate) fn is_parked(&self, index: usize) -> bool {
        self.sleepers.lock().contains(&index)
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::atomic::AtomicBool;
    use crate::loom::sync::Arc;
    use crate::loom::thread;

    /// Worker 0 is the last searcher and finds nothing, so it parks;
    /// worker 1 already sleeps. Another thread pushes a task onto a ring
    /// (a `Release` store, as `Local::push_back` does) and asks for a
    /// sleeper. Whatever the interleaving, someone must be woken for it.
    #[test]
    fn loom_last_searcher_parks_vs_push() {
        park_vs_push(true);
    }

    /// Nobody searches (worker 0 is busy, maybe blocked in one long poll)
    /// and worker 1 is on its way to sleep when another thread pushes a
    /// task and asks for a sleeper. If the pusher looks before worker 1 is
    /// listed, it sees nobody to wake; worker 1's re-check once listed must
    /// then find the task (and unlist itself to go and take it). Only the
    /// last searcher used to re-check, so a task could wait with worker 0
    /// stuck and worker 1 asleep.
    #[test]
    fn loom_worker_parks_vs_push_with_nobody_searching() {
        park_vs_push(false);
    }

    /// A pusher races a worker going to sleep (the last searcher if
    /// `searching`, else a worker that was not searching while its peer is
    /// busy); the parking worker re-checks once listed.
    fn park_vs_push(searching: bool) {
        loom::model(move || {
            let idle = Arc::new(Idle::new(2));
            let parking = if searching {
                idle.transition_worker_to_parked(1, false);
                assert!(idle.transition_worker_to_searching());
                0
            } else {
                1
            };
            let queued = Arc::new(AtomicUsize::new(0));
            let woken = Arc::new(AtomicBool::new(false));

            let pusher = {
                let (idle, queued, woken) = (idle.clone(), queued.clone(), woken.clone());
                thread::spawn(move || {
                    queued.store(1, Release);
                    if idle.worker_to_notify().is_some() {
                        woken.store(true, Relaxed);
                    }
                })
            };
            idle.transition_worker_to_parked(parking, searching);
            Idle::fence_before_check();
            if queued.load(Acquire) > 0 && idle.worker_to_notify().is_some() {
                woken.store(true, Relaxed);
            }
            pusher.join().unwrap();

            assert!(woken.load(Relaxed), "a queued task, a sleeper, and nobody woken");
        });
    }

    /// A sleeper is woken at most once for one task: two pushers racing
    /// with no searcher wake one worker and count it as searching.
    #[test]
    fn loom_two_pushers_wake_one_sleeper() {
        loom::model(|| {
            let idle = Arc::new(Idle::new(2));
            idle.transition_worker_to_parked(0, false);
            idle.transition_worker_to_parked(1, false);
            let woke = |idle: Arc<Idle>| thread::spawn(move || usize::from(idle.worker_to_notify().is_some()));
            let a = woke(idle.clone());
            let b = woke(idle.clone());
            let total = a.join().unwrap() + b.join().unwrap();
            // The first wake-up makes a searcher, which the second sees.
            assert_eq!(total, 1);
            let s = idle.state.load(SeqCst);
            assert_eq!((Idle::num_unparked(s), Idle::num_searching(s)), (1, 1));
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn the_spinning_sleeper_is_woken_first_and_the_last_listed_otherwise() {
        let idle = Idle::new(3);
        for index in 0..3 {
            idle.transition_worker_to_parked(index, false);
        }
        // A spinner that has not shown it still has its CPU is passed over.
        idle.set_spinner(Some(1));
        assert_eq!(idle.worker_to_notify(), Some(2), "a stale spinner is not preferred");
        assert!(idle.transition_worker_from_searching());
        idle.transition_worker_to_parked(2, false);
        idle.spinner_heartbeat.beat(std::time::Instant::now());
        assert_eq!(idle.worker_to_notify(), Some(1), "the spinner, though listed in the middle");
        // Woken workers search, and nobody else is woken while one does.
        assert_eq!(idle.worker_to_notify(), None);
        assert!(idle.transition_worker_from_searching());
        idle.set_spinner(None);
        assert_eq!(idle.worker_to_notify(), Some(2), "the one listed last");
        assert!(idle.transition_worker_from_searching());
        // A spinner that is no longer listed is passed over.
        idle.set_spinner(Some(1));
        idle.spinner_heartbeat.beat(std::time::Instant::now());
        assert_eq!(idle.worker_to_notify(), Some(0));
    }
}
