//! How a worker finds its next task, and how idle workers sleep and are
//! woken: the LIFO slot and local ring first, the inject queue every
//! `global_queue_interval` ticks (and when the ring is empty), then
//! stealing from peers; with nothing anywhere, parking in its own reactor.
//!
//! ```text
//!   next_task ──none──▶ steal_work (searching) ──none──▶ park
//!       ▲                                                 │
//!       └──── woken: notify_parked / I/O / timer ◀────────┘
//! ```
//!
//! A sleeper is woken only when no worker is searching, and at most half
//! the workers search at once (`idle`). A worker re-checks the queues once
//! listed as a sleeper, so a task pushed while everybody went to sleep is
//! never stranded.

use super::idle::Idle;
use std::time::Duration;

use super::worker::{has_local_work, with_core, Shared, WORKER};
use crate::loom::sync::atomic::Ordering::*;
use crate::runtime::stats::bump;
use crate::task::Notified;
use crate::util::spin::{self, SPIN_FOR};

/// How often an idle worker looks at the reactor of a peer that is not
/// asleep (see `poll_busy_peers`).
const BUSY_PEER_RECHECK: Duration = Duration::from_millis(1);

impl Shared {
    pub(super) fn next_task(&self, tick: u32) -> Option<Notified> {
        if tick % self.global_queue_interval == 0 {
            // Take a batch, not one task: a worker whose own queue never
            // empties would otherwise drain remote spawns one per interval.
            if let Some(task) = self.pop_inject_batch() {
                return Some(task);
            }
        }
        if let Some(task) = with_core(|core| core.lifo_slot.take().or_else(|| core.run_queue.pop())) {
            return Some(task);
        }
        self.pop_inject_batch()
    }

    /// Moves a fair share of the inject queue into the local ring and
    /// returns one task to run.
    pub(super) fn pop_inject_batch(&self) -> Option<Notified> {
        if self.inject.is_empty() {
            return None;
        }
        let mut moved = false;
        let task = with_core(|core| {
            let share = self.inject.len() / self.num_workers() + 1;
            let max = share.min(core.run_queue.remaining_slots() + 1).min(128);
            self.inject.pop_batch(max, |rest| {
                moved = rest.len() > 0;
                core.run_queue.push_back_batch(rest)
            })
        });
        if moved {
            // The rest is stealable now; its pushes may have woken nobody
            // (a searcher was about), and the task we run may take long.
            self.notify_parked();
        }
        task
    }

    pub(super) fn steal_work(&self) -> Option<Notified> {
        let (index, start) = with_core(|core| {
            if !core.is_searching {
                core.is_searching = self.idle.transition_worker_to_searching();
            }
            (core.index, core.rand.below(self.num_workers()))
        });
        if !with_core(|core| core.is_searching) {
            return None;
        }
        let n = self.num_workers();
        for i in 0..n {
            let victim = (start + i) % n;
            if victim == index {
                continue;
            }
            if let Some(task) = with_core(|core| self.remotes[victim].steal.steal_into(&mut core.run_queue)) {
                bump(&self.remotes[index].stats.steals, 1);
                return Some(task);
            }
        }
        self.pop_inject_batch()
    }

    /// Sleeps until there is work, with the `on_thread_park` and
    /// `on_thread_unpark` hooks around the whole idle stretch (once each,
    /// however many timed wake-ups `park_idle` takes). A task the park hook
    /// spawns lands in this worker's LIFO slot, and `park_idle` returns at
    /// once for it.
    pub(super) fn park(&self) {
        self.park_hooks.before_park();
        self.park_idle();
        self.park_hooks.after_unpark();
    }

    fn park_idle(&self) {
        let (index, is_searching) = with_core(|core| (core.index, std::mem::replace(&mut core.is_searching, false)));
        bump(&self.remotes[index].stats.parks, 1);
        self.idle.transition_worker_to_parked(index, is_searching);
        if self.has_pending_work() {
            // Work arrived while we searched (or while we were on our way
            // here: a waker that looked before we were listed as a sleeper
            // saw nobody to wake); make sure someone takes it.
            self.notify_parked();
        }
        // The first sleep comes before any look at the peers' reactors: an
        // epoll_wait per peer on every park was a system call too many when
        // workers park and wake many times a millisecond.
        let mut slept = false;
        let mut rechecking = false;
        loop {
            if self.is_shutdown.load(Acquire) {
                self.idle.unpark_worker_by_id(index);
                return;
            }
            if rechecking && self.has_pending_work() {
                // Queued work that woke nobody: behind a peer stuck in one
                // long poll (the last searcher wakes a sleeper only after
                // polling what it found), or pushed while it searched.
                if !self.idle.unpark_worker_by_id(index) {
                    with_core(|core| core.is_searching = true);
                }
                return;
            }
            if has_local_work() {
                if !self.idle.unpark_worker_by_id(index) {
                    with_core(|core| core.is_searching = true);
                }
                if with_core(|core| !core.run_queue.is_empty()) {
                    self.notify_parked();
                }
                return;
            }
            if !self.idle.is_parked(index) {
                // Woken by `notify_parked`: counted as searching.
                with_core(|core| core.is_searching = true);
                return;
            }
            // No re-check of the queues on every turn: a task pushed there
            // wakes a sleeper unless a worker is searching, and every
            // worker re-checks once listed as a sleeper (above), and after
            // each timed wake. Re-checking on every turn made workers spin
            // through park and the queues' locks while remote threads kept
            // pushing.
            with_core(|core| core.dispatching = true);
            let any_busy = self.poll_busy_peers(index, slept);
            if !has_local_work() {
                // While a peer is busy, wake now and then to look at its
                // reactor: its worker may be stuck in one long poll.
                let timeout = any_busy.then_some(BUSY_PEER_RECHECK);
                if !slept {
                    self.spin_for_blocking_result(index);
                }
                self.remotes[index].parker.park(&self.drivers[index], timeout);
                slept = true;
                rechecking = timeout.is_some();
            }
            with_core(|core| core.dispatching = false);
        }
    }

    /// Before a worker's first sleep, while blocking-pool jobs run and a
    /// spin slot is free: spins up to `SPIN_FOR` for an `unpark`. A task
    /// that awaits a short blocking job (a file read) is woken from the
    /// pool thread, and the wake-up goes to the spinning sleeper first
    /// (`Idle::set_spinner`); caught awake, it costs neither side a system
    /// call. Spins that catch nothing make later parks skip theirs
    /// (`SpinBackoff`).
    fn spin_for_blocking_result(&self, index: usize) {
        if !self.blocking.worth_spinning_for_a_result() {
            return;
        }
        if !with_core(|core| core.spin_backoff.should_spin()) {
            return;
        }
        let Some(_slot) = self.spin_slots.try_take() else { return };
        let parker = &self.remotes[index].parker;
        self.idle.set_spinner(Some(index));
        let caught = spin::spin_until(SPIN_FOR, &self.idle.spinner_heartbeat, || parker.is_notified());
        self.idle.set_spinner(None);
        with_core(|core| core.spin_backoff.record(caught));
    }

    /// True if some peer is not asleep; if `poll`, also polls those peers'
    /// reactors without blocking (what they wake queues here): a busy
    /// worker only looks at its reactor between task polls, every
    /// `event_interval` of them, and its sockets' events should not wait
    /// for long while this worker idles.
    pub(super) fn poll_busy_peers(&self, index: usize, poll: bool) -> bool {
        let mut any_busy = false;
        for (peer, driver) in self.drivers.iter().enumerate() {
            if peer == index || self.remotes[peer].parker.is_sleeping() {
                continue;
            }
            // Still counted as busy: it may register a socket at any time.
            any_busy = true;
            // A peer without sockets has nothing in its reactor for us:
            // timers fire in whichever reactor wakes for the timerfd.
            if !poll || !self.driver.io.has_sources(peer) {
                continue;
            }
            if let Ok(mut guard) = driver.try_lock() {
                if let Some(driver) = guard.as_mut() {
                    driver.poll_now(&self.driver);
                }
            }
        }
        any_busy
    }

    /// True if a task waits in the inject queue or in any worker's ring.
    /// Call right after a worker is listed as a sleeper (it fences; see
    /// `idle`).
    pub(super) fn has_pending_work(&self) -> bool {
        Idle::fence_before_check();
        !self.inject.is_empty() || self.remotes.iter().any(|r| !r.steal.is_empty())
    }

    /// Wakes one sleeping worker if no worker is searching.
    pub(super) fn notify_parked(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            // A worker dispatching I/O events inside its own park is still
            // listed as asleep; it is awake, so waking it would only cost
            // an eventfd write and an empty epoll round.
            if self.current_worker_index() == Some(index) {
                return;
            }
            self.remotes[index].parker.unpark();
        }
    }

    /// Index of the worker running on this thread, if it is one of ours.
    pub(super) fn current_worker_index(&self) -> Option<usize> {
        WORKER
            .try_with(|slot| {
                if !std::ptr::eq(slot.shared.get(), self) {
                    return None;
                }
                slot.core.try_borrow().ok()?.as_ref().map(|core| core.index)
            })
            .ok()
            .flatten()
    }
}
