//! The blocking pool's bookkeeping: who runs a pushed job, and what a
//! thread does when it runs out of work. Pure decisions on plain fields,
//! made under the pool's one lock, so the loom models in `loom_tests.rs`
//! run this very code.
//!
//! A thread whose queue ran dry first *spins* for a moment (at most one
//! thread at a time), then sleeps as *idle*:
//!
//! ```text
//!            queue empty, nobody spinning      no push within the spin
//!   running ───────────────────────────▶ spinning ─────────────────▶ idle
//!      ▲                                    │                          │
//!      └──── claimed by a push ◀────────────┴──── claimed, notified ◀──┘
//! ```
//!
//! A push claims the spinner first (it sees the claim without a system
//! call), else an idle thread (`num_idle` moves to `num_notify`, and the
//! pusher signals the condvar), else starts a thread, else leaves the job
//! for a busy thread. A claimed thread always goes back to the queue, and
//! a push claims one only while the queue holds more jobs than threads
//! already on their way to it (`heading`), so every queued job has a
//! thread of its own heading for it (a job that blocks for long never
//! holds up the next), and a thread that takes a job another was claimed
//! for does not make the next push start a new thread.

use std::collections::VecDeque;

/// The pool's bookkeeping; every field is read and written under one lock.
#[derive(Debug)]
pub(crate) struct State<J> {
    /// Jobs waiting for a thread.
    pub(crate) queue: VecDeque<J>,
    /// Threads alive (running a job, spinning, idle, or about to start).
    pub(crate) num_threads: usize,
    /// Threads waiting for work and not yet claimed by a push.
    pub(crate) num_idle: usize,
    /// Wake-ups owed to idle threads claimed by a push.
    pub(crate) num_notify: usize,
    pub(crate) shutdown: bool,
    /// The ticket of the thread spinning for work, if one is and no push
    /// has claimed it yet.
    spinner: Option<u64>,
    /// The ticket the next spinner gets: tickets tell a spinner whether the
    /// claim it sees is its own.
    next_ticket: u64,
    /// Threads claimed by pushes and not yet back at the queue: a claimed
    /// spinner, a notified idle thread, a thread starting.
    heading: usize,
}

/// What the pusher must do after [`State::push`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Push<J> {
    /// A busy thread will pick the job up when it finishes.
    Queued,
    /// The spinning thread with this ticket was claimed: publish the ticket
    /// where it looks (no system call).
    ClaimedSpinner(u64),
    /// An idle thread was claimed: wake one.
    NotifyIdle,
    /// Start a thread (already counted in `num_threads`).
    SpawnThread,
    /// The pool is shut down.
    Rejected(J),
}

/// What an idle thread does after waking up.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Wake {
    /// A push claimed this thread: go run the queue.
    Work,
    /// Leave (timed out or shut down); the thread is no longer counted.
    Exit,
    /// Spurious wake-up: wait again.
    Sleep,
}

impl<J> State<J> {
    pub(crate) fn new() -> State<J> {
        State {
            queue: VecDeque::new(),
            num_threads: 0,
            num_idle: 0,
            num_notify: 0,
            shutdown: false,
            spinner: None,
            next_ticket: 1,
            heading: 0,
        }
    }

    /// Queues `job` and decides who runs it; `spinner_running` says
    /// whether a spinner, if there is one, still has its CPU (one that lost
    /// it is passed over, and sleeps when it finds itself unclaimed).
    pub(crate) fn push(&mut self, job: J, max_threads: usize, spinner_running: bool) -> Push<J> {
        if self.shutdown {
            return Push::Rejected(job);
        }
        self.queue.push_back(job);
        if self.queue.len() <= self.heading {
            // Enough threads are on their way already.
            return Push::Queued;
        }
        let push = if let Some(ticket) = self.spinner.filter(|_| spinner_running) {
            self.spinner = None;
            Push::ClaimedSpinner(ticket)
        } else if self.num_idle > 0 {
            self.num_idle -= 1;
            self.num_notify += 1;
            Push::NotifyIdle
        } else if self.num_threads < max_threads {
            self.num_threads += 1;
            Push::SpawnThread
        } else {
            return Push::Queued;
        };
        self.heading += 1;
        push
    }

    /// A thread started for a push is at the queue.
    pub(crate) fn thread_started(&mut self) {
        self.heading -= 1;
    }

    /// A thread could not be started after all.
    pub(crate) fn thread_failed(&mut self) {
        self.num_threads -= 1;
        self.heading -= 1;
    }

    /// A thread found the queue empty: returns its ticket if it may spin
    /// (nobody else is spinning and the pool is not shutting down).
    pub(crate) fn start_spinning(&mut self) -> Option<u64> {
        if self.spinner.is_some() || self.shutdown {
            return None;
        }
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.spinner = Some(ticket);
        Some(ticket)
    }

    /// The spinner with `ticket` stops: true if a push claimed it (it goes
    /// back to the queue), false if none did (it may now go idle).
    pub(crate) fn stop_spinning(&mut self, ticket: u64) -> bool {
        if self.spinner == Some(ticket) {
            self.spinner = None;
            false
        } else {
            self.heading -= 1;
            true
        }
    }

    /// An idle thread woke up; `timed_out` if its keep-alive expired.
    pub(crate) fn after_wait(&mut self, timed_out: bool) -> Wake {
        if self.num_notify > 0 {
            // Claimed by a push (possibly meant for another idle thread:
            // the claims are interchangeable).
            self.num_notify -= 1;
            self.heading -= 1;
            Wake::Work
        } else if self.shutdown && !self.queue.is_empty() {
            // Jobs queued before shutdown still run (as on tokio, where a
            // thread runs what is queued before it looks at the flag).
            self.num_idle -= 1;
            Wake::Work
        } else if self.shutdown || timed_out {
            self.num_idle -= 1;
            self.num_threads -= 1;
            Wake::Exit
        } else {
            Wake::Sleep
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_push_claims_the_spinner_before_an_idle_thread() {
        let mut state = State::new();
        state.num_threads = 2;
        state.num_idle = 1;
        let ticket = state.start_spinning().expect("nobody spins yet");
        assert_eq!(state.start_spinning(), None, "one spinner at a time");
        assert_eq!(state.push(1, 4, true), Push::ClaimedSpinner(ticket));
        // The spinner is taken: the next push wakes the idle thread.
        assert_eq!(state.push(2, 4, true), Push::NotifyIdle);
        assert!(state.stop_spinning(ticket), "the claimed spinner goes back to the queue");
    }

    #[test]
    fn a_spinner_nobody_claimed_may_go_idle_and_a_new_one_may_start() {
        let mut state = State::<u32>::new();
        state.num_threads = 2;
        let first = state.start_spinning().unwrap();
        assert!(!state.stop_spinning(first));
        let second = state.start_spinning().unwrap();
        assert_ne!(first, second, "tickets tell spinners apart");
        assert_eq!(state.push(9, 2, true), Push::ClaimedSpinner(second));
        assert!(state.stop_spinning(second));
    }

    #[test]
    fn a_push_claims_no_thread_while_enough_are_on_their_way() {
        let mut state = State::new();
        state.num_threads = 1;
        state.num_idle = 1;
        assert_eq!(state.push(1, 8, true), Push::NotifyIdle);
        // A busy thread takes the job before the claimed one wakes up.
        assert_eq!(state.queue.pop_front(), Some(1));
        // The next job: the claimed thread is still on its way for it.
        assert_eq!(state.push(2, 8, true), Push::Queued);
        // A third needs a thread of its own.
        assert_eq!(state.push(3, 8, true), Push::SpawnThread);
        state.thread_started();
        assert_eq!(state.queue.pop_front(), Some(2));
        assert_eq!(state.after_wait(false), Wake::Work);
        assert_eq!(state.queue.pop_front(), Some(3));
        assert_eq!(state.heading, 0, "every claimed thread arrived");
    }

    #[test]
    fn nobody_spins_once_the_pool_shuts_down() {
        let mut state = State::<u32>::new();
        state.shutdown = true;
        assert_eq!(state.start_spinning(), None);
        assert_eq!(state.push(1, 4, true), Push::Rejected(1));
    }
}
