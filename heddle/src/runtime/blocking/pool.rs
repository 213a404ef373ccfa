//! The blocking thread pool.
//!
//! Threads are started on demand, up to `max_threads`, and each one exits
//! after `keep_alive` without work. All decisions are made under one mutex
//! over [`State`] (`state.rs`): a job is pushed, and then either the
//! spinning thread or an idle thread is claimed for it, a new thread is
//! started, or the job waits for a busy thread to come back for it.
//!
//! A thread that runs out of work spins for up to `SPIN_FOR` before it
//! sleeps on the condvar, so the next job of a burst (a loop of
//! `spawn_blocking`, or file operations one after another) is handed over
//! without a futex wake on the pushing side and a futex wait on this one.
//! Spins that find nothing make the thread's next spins skip
//! (`SpinBackoff`), as at every other spin site.

use std::future::Future;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::state::{Push, State, Wake};
use crate::loom::sync::atomic::{AtomicU64, AtomicUsize, Ordering::*};
use crate::loom::{HotCondvar, HotMutex};
use crate::runtime::context;
use crate::runtime::scheduler::SchedulerHandle;
use crate::task::list::OwnedTasks;
use crate::task::{self, Header, JoinHandle, Notified, Schedule};
use crate::util::spin::{self, Heartbeat, SpinBackoff, SPIN_FOR};

/// Default cap on blocking threads.
pub(crate) const DEFAULT_MAX_BLOCKING_THREADS: usize = 512;
/// Default idle time after which a blocking thread exits.
pub(crate) const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(10);

/// Pool configuration, from the runtime builder.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) thread_name: String,
    pub(crate) stack_size: Option<usize>,
    pub(crate) max_threads: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) on_thread_start: Option<crate::runtime::builder::ThreadCallback>,
    pub(crate) on_thread_stop: Option<crate::runtime::builder::ThreadCallback>,
}

struct Inner {
    state: HotMutex<State<Notified>>,
    /// The ticket of the last spinner a push claimed: the spinner polls
    /// this outside the lock (a hint; the claim itself is in `state`).
    claimed: AtomicU64,
    /// The spinner's heartbeat: a push passes over a spinner that lost its
    /// CPU.
    heartbeat: Heartbeat,
    /// Jobs pushed and not yet run to the end: idle workers spin for a
    /// result while some are (`Shared::spin_for_blocking_result`).
    in_flight: AtomicUsize,
    /// Whether a thread out of work spins before sleeping (not on one CPU,
    /// where that only delays the pusher).
    may_spin: bool,
    /// Idle threads wait here.
    work: HotCondvar,
    /// Shutdown waits here for threads to exit.
    exited: HotCondvar,
    owned: OwnedTasks,
    config: Config,
}

/// A runtime's blocking pool; cheap to clone.
#[derive(Clone)]
pub(crate) struct BlockingPool {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for BlockingPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingPool").field("num_threads", &self.num_threads()).finish()
    }
}

/// The `Schedule` impl for blocking tasks: runs them on the pool. The
/// driver is set when the task was spawned on a runtime with a paused
/// clock, whose auto-advance it holds off until it completes.
#[derive(Clone)]
struct BlockingSchedule(Arc<Inner>, Option<Arc<crate::driver::DriverHandle>>);

impl Schedule for BlockingSchedule {
    fn schedule(&self, task: Notified) {
        // Rejected after shutdown: dropping the Notified releases its
        // reference; the task is cancelled when the task list is closed.
        let _ = self.0.push(task);
    }

    fn release(&self, task: NonNull<Header>) -> bool {
        // Called once, on completion, after the JoinHandle was woken.
        if let Some(driver) = &self.1 {
            driver.time.clock.allow_auto_advance();
        }
        self.0.owned.remove(task)
    }
}

/// Runs a closure on the first poll.
struct BlockingTask<F> {
    func: Option<F>,
    /// The runtime made current while the closure runs.
    handle: Option<SchedulerHandle>,
}

impl<F> Unpin for BlockingTask<F> {}

impl<F, R> Future for BlockingTask<F>
where
    F: FnOnce() -> R,
{
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let func = self.func.take().expect("blocking task polled after completion");
        let _guard = self.handle.take().map(context::set_handle);
        Poll::Ready(func())
    }
}

impl Inner {
    fn push(self: &Arc<Self>, task: Notified) -> Result<(), Notified> {
        // Counted before the push: the job may run and finish before the
        // push returns.
        self.in_flight.fetch_add(1, Relaxed);
        let spinner_running = self.heartbeat.is_fresh();
        let action = self.state.lock().push(task, self.config.max_threads, spinner_running);
        match action {
            Push::Queued => {}
            Push::ClaimedSpinner(ticket) => self.claimed.store(ticket, Release),
            Push::NotifyIdle => self.work.notify_one(),
            Push::SpawnThread => self.spawn_thread(),
            Push::Rejected(task) => {
                self.in_flight.fetch_sub(1, Relaxed);
                return Err(task);
            }
        }
        Ok(())
    }

    fn spawn_thread(self: &Arc<Self>) {
        let mut builder = std::thread::Builder::new().name(self.config.thread_name.clone());
        if let Some(size) = self.config.stack_size {
            builder = builder.stack_size(size);
        }
        let inner = self.clone();
        if let Err(e) = builder.spawn(move || inner.run_thread()) {
            let mut state = self.state.lock();
            state.thread_failed();
            if state.num_threads == 0 {
                // Nobody would ever run the queue.
                drop(state);
                panic!("failed to spawn a blocking thread: {e}");
            }
        }
    }

    fn run_thread(self: Arc<Self>) {
        let hooks = crate::runtime::builder::ThreadHooks::enter(
            self.config.on_thread_start.as_ref(),
            self.config.on_thread_stop.as_ref(),
        );
        let mut state = self.state.lock();
        state.thread_started();
        // Cleared by a spin that nobody claimed: the thread then sleeps
        // rather than spinning again at once.
        let mut spin_next = true;
        // Misses in a row make later spins skip. Without it, when the
        // thread that submits the next job shares this CPU (the kernel
        // does not move a thread that never sleeps), every job paid a
        // full spin before that thread could run: 20-50 µs a job.
        let mut backoff = SpinBackoff::default();
        'work: loop {
            while let Some(task) = state.queue.pop_front() {
                drop(state);
                task.run();
                self.in_flight.fetch_sub(1, Relaxed);
                state = self.state.lock();
            }
            if state.shutdown {
                state.num_threads -= 1;
                break;
            }
            if spin_next && self.may_spin && backoff.should_spin() {
                if let Some(ticket) = state.start_spinning() {
                    drop(state);
                    spin::spin_until(SPIN_FOR, &self.heartbeat, || self.claimed.load(Acquire) == ticket);
                    state = self.state.lock();
                    // Claimed or not, look at the queue and the shutdown
                    // flag again before sleeping.
                    spin_next = state.stop_spinning(ticket);
                    backoff.record(spin_next);
                    continue 'work;
                }
            }
            spin_next = true;
            state.num_idle += 1;
            loop {
                let (guard, timed_out) = self.work.wait_timeout(state, self.config.keep_alive);
                state = guard;
                match state.after_wait(timed_out) {
                    Wake::Work => continue 'work,
                    Wake::Exit => break 'work,
                    Wake::Sleep => {}
                }
            }
        }
        let last_out = state.shutdown && state.num_threads == 0;
        drop(state);
        if last_out {
            // Nothing runs any more: cancel what a spawn racing shutdown
            // left in the task list (inserted, then refused by the queue).
            self.owned.close_and_shutdown_all();
        }
        drop(hooks);
        self.exited.notify_all();
    }
}

impl BlockingPool {
    pub(crate) fn new(config: Config) -> BlockingPool {
        BlockingPool {
            inner: Arc::new(Inner {
                state: HotMutex::new(State::new()),
                claimed: AtomicU64::new(0),
                heartbeat: Heartbeat::new(),
                in_flight: AtomicUsize::new(0),
                may_spin: spin::may_spin(),
                work: HotCondvar::new(),
                exited: HotCondvar::new(),
                owned: OwnedTasks::new(),
                config,
            }),
        }
    }

    /// Runs `func` on the pool; `handle` is made current while it runs.
    pub(crate) fn spawn_blocking<F, R>(&self, func: F, handle: Option<SchedulerHandle>) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        // A paused clock must not jump ahead while the closure runs.
        let paused = handle.as_ref().map(|h| h.driver()).filter(|d| d.time.clock.is_virtual()).cloned();
        if let Some(driver) = &paused {
            driver.time.clock.inhibit_auto_advance();
        }
        let future = BlockingTask { func: Some(func), handle };
        let (task, notified, join) = task::new_task(future, BlockingSchedule(self.inner.clone(), paused));
        match self.inner.owned.insert(task) {
            Ok(()) => {
                if let Err(notified) = self.inner.push(notified) {
                    // Shut down between the insert and the push: the task
                    // is in the list, which is closed (cancelling it) once
                    // the last thread is out.
                    drop(notified);
                }
            }
            Err(task) => {
                drop(notified);
                task.shutdown();
            }
        }
        join
    }

    /// True if a thread about to sleep should first spin for a job's
    /// result: some job is in flight, and fewer than one per other CPU
    /// (with more, the pool threads need every CPU and the spin would take
    /// one from them). A snapshot, for both schedulers' idle paths.
    pub(crate) fn worth_spinning_for_a_result(&self) -> bool {
        let jobs = self.inner.in_flight.load(Relaxed);
        spin::may_spin() && jobs > 0 && jobs < spin::num_cpus()
    }

    /// Threads alive.
    pub(crate) fn num_threads(&self) -> usize {
        self.inner.state.lock().num_threads
    }

    /// Threads waiting for work.
    pub(crate) fn num_idle_threads(&self) -> usize {
        self.inner.state.lock().num_idle
    }

    /// Jobs waiting for a thread.
    pub(crate) fn queue_depth(&self) -> usize {
        self.inner.state.lock().queue.len()
    }

    /// Refuses new jobs and waits up to `wait` for the pool's threads to
    /// finish the running and queued ones (all of which still run; only a
    /// job spawned after shutdown is cancelled).
    pub(crate) fn shutdown(&self, wait: Option<Duration>) {
        let idle_pool = {
            let mut state = self.inner.state.lock();
            if state.shutdown {
                return;
            }
            state.shutdown = true;
            state.num_threads == 0
        };
        self.inner.work.notify_all();
        if idle_pool {
            // No thread will exit to do it: close the task list now.
            self.inner.owned.close_and_shutdown_all();
        }
        if let Some(wait) = wait {
            // A wait too long to have a deadline (`Duration::MAX`) has none.
            let deadline = Instant::now().checked_add(wait);
            let mut state = self.inner.state.lock();
            while state.num_threads > 0 {
                state = match deadline {
                    Some(deadline) => {
                        let left = deadline.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            break;
                        }
                        self.inner.exited.wait_timeout(state, left).0
                    }
                    None => self.inner.exited.wait_timeout(state, std::time::Duration::from_secs(3600)).0,
                };
            }
            if state.num_threads == 0 {
                drop(state);
                // The last thread does this too, maybe a moment after its
                // count dropped; done here as well so that every JoinHandle
                // is settled when shutdown returns.
                self.inner.owned.close_and_shutdown_all();
            }
        }
    }
}
