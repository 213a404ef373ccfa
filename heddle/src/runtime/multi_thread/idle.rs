//! Which workers are asleep, and whether one should be woken.
//!
//! Waking a worker costs a syscall, and waking all of them for one task is
//! a thundering herd. The rule: wake a sleeper only when no worker is
//! already searching for work (a searcher will find the new task), and let
//! at most half the workers search at once. A worker that stops searching
//! after finding work wakes one more sleeper if it was the last searcher,
//! so queued work keeps being picked up.
//!
//! State word: `num_unparked << 16 | num_searching`.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::HotMutex;

const SEARCH_MASK: usize = 0xffff;
const UNPARK_ONE: usize = 1 << 16;

pub(crate) struct Idle {
    state: AtomicUsize,
    sleepers: HotMutex<Vec<usize>>,
    num_workers: usize,
}

impl Idle {
    pub(crate) fn new(num_workers: usize) -> Idle {
        Idle {
            state: AtomicUsize::new(num_workers * UNPARK_ONE),
            sleepers: HotMutex::new(Vec::with_capacity(num_workers)),
            num_workers,
        }
    }

    fn num_searching(state: usize) -> usize {
        state & SEARCH_MASK
    }

    fn num_unparked(state: usize) -> usize {
        state >> 16
    }

    fn should_wake(&self) -> bool {
        let s = self.state.load(SeqCst);
        Self::num_searching(s) == 0 && Self::num_unparked(s) < self.num_workers
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
        let index = sleepers.pop()?;
        self.state.fetch_add(UNPARK_ONE | 1, SeqCst);
        Some(index)
    }

    /// Worker `index` goes to sleep. True if it was the last searcher (it
    /// must then re-check the queues before sleeping).
    pub(crate) fn transition_worker_to_parked(&self, index: usize, is_searching: bool) -> bool {
        let mut sleepers = self.sleepers.lock();
        let dec = UNPARK_ONE + usize::from(is_searching);
        let prev = self.state.fetch_sub(dec, SeqCst);
        sleepers.push(index);
        is_searching && Self::num_searching(prev) == 1
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
