//! Loom models of the blocking pool's hand-offs, run on loom's mutex and
//! condvar with the pool's real decision code (`State` in `state.rs`): a
//! push racing the last idle thread timing out, a push racing shutdown
//! while the pool's thread goes idle, and pushes racing a spinning thread
//! that gives up. Loom's `wait_timeout` never times out, so a timeout is a
//! third thread that sets a flag and wakes the waiter.

use super::state::{Push, State, Wake};
use crate::loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::*};
use crate::loom::sync::{Arc, Condvar, Mutex};
use crate::loom::thread;

struct Pool {
    state: Mutex<State<u32>>,
    work: Condvar,
    timed_out: AtomicBool,
    ran: AtomicUsize,
}

impl Pool {
    fn new(initial: State<u32>) -> Arc<Pool> {
        Arc::new(Pool {
            state: Mutex::new(initial),
            work: Condvar::new(),
            timed_out: AtomicBool::new(false),
            ran: AtomicUsize::new(0),
        })
    }

    /// Runs the queue to empty (the lock is held on entry and exit).
    fn drain<'a>(
        &'a self,
        mut state: crate::loom::sync::MutexGuard<'a, State<u32>>,
    ) -> crate::loom::sync::MutexGuard<'a, State<u32>> {
        while let Some(job) = state.queue.pop_front() {
            drop(state);
            assert_eq!(job, 7);
            self.ran.fetch_add(1, SeqCst);
            state = self.state.lock().unwrap();
        }
        state
    }
}

#[test]
fn push_races_last_idle_thread_timing_out() {
    crate::loom::model(|| {
        let mut initial = State::new();
        // One thread, idle: the last one.
        initial.num_threads = 1;
        initial.num_idle = 1;
        let pool = Pool::new(initial);

        let idle = {
            let pool = pool.clone();
            thread::spawn(move || {
                let mut state = pool.state.lock().unwrap();
                loop {
                    match state.after_wait(pool.timed_out.load(SeqCst)) {
                        Wake::Work => {
                            drop(pool.drain(state));
                            return;
                        }
                        Wake::Exit => return,
                        Wake::Sleep => state = pool.work.wait(state).unwrap(),
                    }
                }
            })
        };
        let timer = {
            let pool = pool.clone();
            thread::spawn(move || {
                pool.timed_out.store(true, SeqCst);
                let _state = pool.state.lock().unwrap();
                pool.work.notify_all();
            })
        };

        let action = pool.state.lock().unwrap().push(7, 1, true);
        let spawned = match action {
            Push::NotifyIdle => {
                pool.work.notify_one();
                false
            }
            Push::SpawnThread => true,
            Push::Queued | Push::Rejected(_) => panic!("job stranded: {action:?}"),
            Push::ClaimedSpinner(_) => panic!("nobody spins in this model"),
        };
        if spawned {
            // The new thread's first act is to run the queue.
            let fresh = {
                let pool = pool.clone();
                thread::spawn(move || {
                    let mut state = pool.state.lock().unwrap();
                    state.thread_started();
                    drop(pool.drain(state));
                })
            };
            fresh.join().unwrap();
        }
        idle.join().unwrap();
        timer.join().unwrap();
        assert_eq!(pool.ran.load(SeqCst), 1, "the job ran exactly once");
        let state = pool.state.lock().unwrap();
        assert!(state.queue.is_empty());
        assert_eq!(state.num_notify, 0);
    });
}

/// A job pushed while the pool shuts down and its one thread goes
/// idle: the job is either refused (pushed after the flag) or run
/// exactly once, never stranded in the queue, and the thread exits.
#[test]
fn push_races_shutdown_and_a_thread_going_idle() {
    crate::loom::model(|| {
        let mut initial = State::new();
        initial.num_threads = 1;
        let pool = Pool::new(initial);

        // `run_thread`'s loop, without the keep-alive timeout.
        let worker = {
            let pool = pool.clone();
            thread::spawn(move || {
                let mut state = pool.state.lock().unwrap();
                'work: loop {
                    state = pool.drain(state);
                    if state.shutdown {
                        state.num_threads -= 1;
                        return;
                    }
                    state.num_idle += 1;
                    loop {
                        state = pool.work.wait(state).unwrap();
                        match state.after_wait(false) {
                            Wake::Work => continue 'work,
                            Wake::Exit => return,
                            Wake::Sleep => {}
                        }
                    }
                }
            })
        };
        let shutdown = {
            let pool = pool.clone();
            thread::spawn(move || {
                pool.state.lock().unwrap().shutdown = true;
                pool.work.notify_all();
            })
        };

        let action = pool.state.lock().unwrap().push(7, 1, true);
        let refused = match action {
            Push::NotifyIdle => {
                pool.work.notify_one();
                0
            }
            Push::Queued => 0,
            Push::Rejected(_) => 1,
            Push::SpawnThread => panic!("the pool is at its one-thread limit"),
            Push::ClaimedSpinner(_) => panic!("nobody spins in this model"),
        };
        worker.join().unwrap();
        shutdown.join().unwrap();
        assert_eq!(pool.ran.load(SeqCst) + refused, 1, "the job ran once or was refused");
        let state = pool.state.lock().unwrap();
        assert!(state.queue.is_empty(), "a job stranded in the queue");
        assert_eq!(state.num_threads, 0, "the thread did not exit");
    });
}

/// `run_thread`'s loop with its spin: a spin is two looks at the claimed
/// ticket (loom explores a claim landing before, between or after them;
/// no yield in between, which would let loom run the pusher first every
/// time), then the thread settles under the lock whether it was claimed.
fn run_spinning(pool: &Pool, claimed: &AtomicU64) {
    let mut state = pool.state.lock().unwrap();
    let mut may_spin = true;
    'work: loop {
        state = pool.drain(state);
        if state.shutdown {
            state.num_threads -= 1;
            return;
        }
        if may_spin {
            if let Some(ticket) = state.start_spinning() {
                drop(state);
                for _ in 0..2 {
                    if claimed.load(Acquire) == ticket {
                        break;
                    }
                }
                state = pool.state.lock().unwrap();
                may_spin = state.stop_spinning(ticket);
                continue 'work;
            }
        }
        may_spin = true;
        state.num_idle += 1;
        loop {
            state = pool.work.wait(state).unwrap();
            match state.after_wait(false) {
                Wake::Work => continue 'work,
                Wake::Exit => return,
                Wake::Sleep => {}
            }
        }
    }
}

/// One job pushed while the pool's one thread spins and may give up at
/// any moment: the push claims the spinner or wakes it idle, and the job
/// runs exactly once.
#[test]
fn a_push_races_a_spinner_giving_up() {
    pushes_race_a_spinner(1);
}

/// Two jobs: the second may find the spinner claimed and busy with the
/// first (the job then waits for it), or idle again.
#[test]
fn two_pushes_race_a_spinner_giving_up() {
    pushes_race_a_spinner(2);
}

/// `jobs` jobs pushed while the pool's one thread spins; each runs
/// exactly once, and after shutdown the thread exits.
fn pushes_race_a_spinner(jobs: usize) {
    crate::loom::model(move || {
        let mut initial = State::new();
        initial.num_threads = 1;
        let pool = Pool::new(initial);
        let claimed = Arc::new(AtomicU64::new(0));

        let worker = {
            let (pool, claimed) = (pool.clone(), claimed.clone());
            thread::spawn(move || run_spinning(&pool, &claimed))
        };
        for _ in 0..jobs {
            let action = pool.state.lock().unwrap().push(7, 1, true);
            match action {
                Push::ClaimedSpinner(ticket) => claimed.store(ticket, Release),
                Push::NotifyIdle => pool.work.notify_one(),
                Push::Queued => {}
                Push::SpawnThread | Push::Rejected(_) => panic!("unexpected {action:?}"),
            }
        }
        // Wait for the jobs, then shut down (a thread left idle would
        // otherwise wait for ever, and loom would call that a deadlock).
        while pool.ran.load(SeqCst) < jobs {
            thread::yield_now();
        }
        pool.state.lock().unwrap().shutdown = true;
        pool.work.notify_all();
        worker.join().unwrap();

        assert_eq!(pool.ran.load(SeqCst), jobs, "each job ran exactly once");
        let state = pool.state.lock().unwrap();
        assert!(state.queue.is_empty());
        assert_eq!(state.num_threads, 0, "the thread did not exit");
    });
}
