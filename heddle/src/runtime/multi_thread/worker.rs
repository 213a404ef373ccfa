//! Worker threads and the state they share: building the runtime, the
//! worker loop (run a task, do maintenance, look for more, park), running a
//! task with its LIFO follow-ups, and queueing woken tasks.
//!
//! The rest of the scheduler lives next to this file: `search` (finding
//! work, parking, waking sleepers), `block_in_place` (handing a worker's
//! core to a replacement thread) and `shutdown` (stopping the workers and
//! cancelling every task, in the order its module doc gives).

use crate::util::spin::{SpinBackoff, SpinSlot, SpinSlots};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::ptr::NonNull;
use std::sync::Arc;

use super::handoff::Handoff;
use super::idle::Idle;
use super::inject::Inject;
use super::parker::Parker;
use super::queue::{self, Local, Steal};
use crate::driver::{Driver, DriverHandle};
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use crate::loom::sync::{Condvar, Mutex};
use crate::runtime::builder::{Builder, ParkHooks, ThreadCallback, ThreadHooks};
use crate::runtime::scheduler::SchedulerHandle;
use crate::runtime::stats::{bump, WorkerStats};
use crate::runtime::{context, coop, Runtime};
use crate::task::list::OwnedTasks;
use crate::task::{self, Header, JoinHandle, Notified, Schedule};
use crate::util::rand::FastRand;

/// Polls of the LIFO slot in a row before it yields to the queue.
const MAX_LIFO_POLLS_PER_TICK: u32 = 3;

/// State shared by all workers.
pub(crate) struct Shared {
    pub(crate) driver: Arc<DriverHandle>,
    /// The runtime's name, if the builder gave one.
    pub(crate) name: Option<String>,
    /// Each worker's driver (its own reactor). The worker sleeps in it; an
    /// idle peer may briefly take it to poll without blocking.
    pub(super) drivers: Box<[Mutex<Option<Driver>>]>,
    pub(crate) owned: OwnedTasks,
    pub(crate) blocking: crate::runtime::blocking::BlockingPool,
    pub(super) inject: Inject,
    pub(super) remotes: Box<[Remote]>,
    pub(super) idle: Idle,
    /// Threads spinning before they sleep: idle workers waiting for a
    /// blocking job's result, and `block_on` callers.
    pub(super) spin_slots: SpinSlots,
    pub(super) is_shutdown: AtomicBool,
    /// Cores handed back by exiting workers (boxed: they move between
    /// this list and the workers' thread-local slots).
    #[allow(clippy::vec_box)]
    pub(super) cores: Mutex<Vec<Box<Core>>>,
    /// Set (under the `cores` lock) once shutdown has drained `cores`: a
    /// worker exiting later drains its own core instead of parking it there.
    pub(super) cores_drained: AtomicBool,
    /// Worker threads alive, counting the replacements started by
    /// `block_in_place` (a thread that hands its core off still counts
    /// until it leaves its loop).
    pub(super) workers_running: AtomicUsize,
    pub(super) workers_exited: Condvar,
    event_interval: u32,
    pub(super) global_queue_interval: u32,
    /// For replacement worker threads.
    thread_name: String,
    thread_stack_size: Option<usize>,
    pub(super) on_thread_start: Option<ThreadCallback>,
    pub(super) on_thread_stop: Option<ThreadCallback>,
    /// `on_thread_park`/`on_thread_unpark`, run around each idle park.
    pub(super) park_hooks: ParkHooks,
}

/// What other workers may touch of a worker.
pub(super) struct Remote {
    pub(super) steal: Steal<Notified>,
    pub(super) parker: Parker,
    /// Written by the owning worker only.
    pub(super) stats: WorkerStats,
    /// The core on its way to a replacement thread (`block_in_place`).
    pub(super) handoff: Handoff<Box<Core>>,
}

/// What only the owning worker touches.
pub(super) struct Core {
    pub(super) index: usize,
    pub(super) lifo_slot: Option<Notified>,
    pub(super) run_queue: Local<Notified>,
    /// Tasks that yielded (`yield_now`, budget exhausted, woken during their
    /// own poll); requeued at maintenance, which polls the driver first
    /// (also run when nothing else is left).
    pub(super) deferred: Vec<Notified>,
    tick: u32,
    pub(super) is_searching: bool,
    /// Set while this worker dispatches reactor events: a woken task then
    /// queues without waking a sleeper, and the worker wakes at most one
    /// when the dispatch is over (`notify_after_dispatch`). Waking one per
    /// event batch, mid-batch, had the sleeper steal two tasks, run out and
    /// park again, and its wake-up preempt the dispatching worker.
    pub(super) dispatching: bool,
    pub(super) rand: FastRand,
    /// Fewer spins for a blocking job's result after spins that caught
    /// nothing (`Shared::spin_for_blocking_result`), so a job that runs
    /// long does not cost a spin on every park.
    pub(super) spin_backoff: SpinBackoff,
}

/// The worker running on this thread, if any.
pub(super) struct WorkerSlot {
    pub(super) shared: Cell<*const Shared>,
    pub(super) core: RefCell<Option<Box<Core>>>,
}

thread_local! {
    pub(super) static WORKER: WorkerSlot = const { WorkerSlot { shared: Cell::new(std::ptr::null()), core: RefCell::new(None) } };
}

pub(crate) fn build(builder: &Builder, num_workers: usize) -> std::io::Result<Runtime> {
    let (drivers, driver_handle) = Driver::new(builder.driver_config(num_workers))?;
    let driver_handle = Arc::new(driver_handle);
    let mut cores = Vec::with_capacity(num_workers);
    let mut remotes = Vec::with_capacity(num_workers);
    for index in 0..num_workers {
        let (run_queue, steal) = queue::local();
        cores.push(Box::new(Core {
            index,
            lifo_slot: None,
            run_queue,
            deferred: Vec::new(),
            tick: 0,
            is_searching: false,
            dispatching: false,
            rand: FastRand::new(index as u64 + 1),
            spin_backoff: SpinBackoff::default(),
        }));
        remotes.push(Remote {
            steal,
            parker: Parker::new(driver_handle.clone(), index),
            stats: WorkerStats::default(),
            handoff: Handoff::new(),
        });
    }
    let shared = Arc::new(Shared {
        driver: driver_handle,
        name: builder.name.clone(),
        drivers: drivers.into_iter().map(|driver| Mutex::new(Some(driver))).collect(),
        owned: OwnedTasks::new(),
        blocking: crate::runtime::blocking::BlockingPool::new(builder.blocking_config()),
        inject: Inject::new(),
        remotes: remotes.into_boxed_slice(),
        idle: Idle::new(num_workers),
        spin_slots: SpinSlots::new(),
        is_shutdown: AtomicBool::new(false),
        cores: Mutex::new(Vec::new()),
        cores_drained: AtomicBool::new(false),
        workers_running: AtomicUsize::new(num_workers),
        workers_exited: Condvar::new(),
        event_interval: builder.event_interval,
        global_queue_interval: builder.global_queue_interval,
        thread_name: builder.thread_name.clone(),
        thread_stack_size: builder.thread_stack_size,
        on_thread_start: builder.on_thread_start.clone(),
        on_thread_stop: builder.on_thread_stop.clone(),
        park_hooks: builder.park_hooks.clone(),
    });
    let mut threads = Vec::with_capacity(num_workers);
    for core in cores {
        let shared = shared.clone();
        threads.push(shared.thread_builder().spawn(move || run_worker(shared, core))?);
    }
    Ok(Runtime::from_parts(SchedulerHandle::MultiThread(shared), super::super::RuntimeKind::MultiThread(threads)))
}

pub(super) fn run_worker(shared: Arc<Shared>, core: Box<Core>) {
    let _in_runtime = context::enter_runtime();
    let _handle = context::set_handle(SchedulerHandle::MultiThread(shared.clone()));
    context::set_worker_index_hint(core.index);
    WORKER.with(|slot| {
        slot.shared.set(Arc::as_ptr(&shared));
        *slot.core.borrow_mut() = Some(core);
    });
    // Hand the core back even if the loop unwinds.
    struct ExitGuard<'a>(&'a Arc<Shared>);
    impl Drop for ExitGuard<'_> {
        fn drop(&mut self) {
            let core = WORKER.with(|slot| {
                slot.shared.set(std::ptr::null());
                slot.core.borrow_mut().take()
            });
            self.0.worker_exited(core);
        }
    }
    let _exit = ExitGuard(&shared);
    // Dropped before `_exit`: the stop hook has run by the time shutdown
    // sees this worker gone.
    let _hooks = ThreadHooks::enter(shared.on_thread_start.as_ref(), shared.on_thread_stop.as_ref());
    shared.run();
}

/// True if this worker's LIFO slot or run queue holds a task.
pub(super) fn has_local_work() -> bool {
    with_core(|core| core.lifo_slot.is_some() || !core.run_queue.is_empty())
}

/// Borrows this thread's core. Never held across a task poll.
pub(super) fn with_core<R>(f: impl FnOnce(&mut Core) -> R) -> R {
    WORKER.with(|slot| f(slot.core.borrow_mut().as_mut().expect("worker core missing")))
}

/// Like `with_core`, but None if this thread gave its core away (a task
/// it ran called `block_in_place`).
pub(super) fn try_with_core<R>(f: impl FnOnce(&mut Core) -> R) -> Option<R> {
    WORKER.with(|slot| slot.core.borrow_mut().as_mut().map(|core| f(core)))
}

impl Shared {
    pub(crate) fn num_workers(&self) -> usize {
        self.remotes.len()
    }

    /// A spin slot for a thread outside the runtime (`block_on`) that is
    /// about to sleep, if the awake workers leave a CPU free for it: a spin
    /// next to workers that need every CPU would slow them down.
    pub(crate) fn block_on_spin_slot(&self) -> Option<SpinSlot<'_>> {
        if self.idle.num_awake() + 1 >= crate::util::spin::num_cpus() {
            return None;
        }
        self.spin_slots.try_take()
    }

    /// Worker `index`'s counters.
    pub(crate) fn worker_stats(&self, index: usize) -> &WorkerStats {
        &self.remotes[index].stats
    }

    /// Tasks in worker `index`'s local queue.
    pub(crate) fn local_queue_depth(&self, index: usize) -> usize {
        self.remotes[index].steal.len()
    }

    /// Tasks in the global (inject) queue.
    pub(crate) fn global_queue_depth(&self) -> usize {
        self.inject.len()
    }

    pub(super) fn thread_builder(&self) -> std::thread::Builder {
        let thread = std::thread::Builder::new().name(self.thread_name.clone());
        match self.thread_stack_size {
            Some(size) => thread.stack_size(size),
            None => thread,
        }
    }

    pub(crate) fn spawn<F>(this: &Arc<Shared>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (task, notified, join) = task::new_task(future, this.clone());
        match this.owned.insert(task) {
            Ok(()) => this.schedule_task(notified, false),
            Err(task) => {
                drop(notified);
                task.shutdown();
            }
        }
        join
    }

    /// The worker loop.
    fn run(&self) {
        while !self.is_shutdown.load(Acquire) {
            let Some(tick) = try_with_core(|core| {
                core.tick = core.tick.wrapping_add(1);
                core.tick
            }) else {
                // A task gave the core to another thread (`block_in_place`)
                // and has returned: this thread is no longer a worker.
                return;
            };
            if tick % self.event_interval == 0 {
                self.maintenance();
            }
            if let Some(task) = self.next_task(tick) {
                self.run_task(task);
                continue;
            }
            if let Some(task) = self.steal_work() {
                self.run_task(task);
                continue;
            }
            if with_core(|core| !core.deferred.is_empty()) {
                // Only yielded tasks are left: run them again instead of
                // sleeping, but look at I/O and timers first (without
                // blocking), as tokio does, so that a task spinning on
                // `yield_now` sees the readiness it waits for.
                self.maintenance();
                continue;
            }
            self.park();
        }
    }

    /// Lets the reactor and timers make progress on a busy worker, then
    /// requeues the tasks that yielded (so they run after what the reactor
    /// woke, and cannot starve remote spawns).
    fn maintenance(&self) {
        let index = with_core(|core| core.index);
        if let Ok(mut guard) = self.drivers[index].try_lock() {
            if let Some(driver) = guard.as_mut() {
                with_core(|core| core.dispatching = true);
                driver.maintain(&self.driver);
                with_core(|core| core.dispatching = false);
                self.notify_after_dispatch();
            }
        }
        self.requeue_deferred();
    }

    /// After a dispatch of reactor events: wake one sleeper if this worker
    /// has more queued than it runs next and nobody is searching already.
    fn notify_after_dispatch(&self) {
        let queued = with_core(|core| usize::from(core.lifo_slot.is_some()) + core.run_queue.len());
        if queued > 1 {
            self.notify_parked();
        }
    }

    /// Moves the yielded tasks to the back of the local queue.
    fn requeue_deferred(&self) {
        let requeued = with_core(|core| {
            let n = core.deferred.len();
            for task in core.deferred.drain(..) {
                core.run_queue.push_back_or_overflow(task, &self.inject);
            }
            n
        });
        if requeued > 1 {
            self.notify_parked();
        }
    }

    pub(super) fn run_task(&self, task: Notified) {
        let (index, was_searching) = with_core(|core| (core.index, std::mem::replace(&mut core.is_searching, false)));
        // The last searcher found work: there may be more (pushed while it
        // searched, so nobody was woken for it), so get another worker
        // looking, but after this poll: the wake-up is a system call, and
        // made first it delays the task that was found (in a request/reply
        // ping-pong, the reply). Work pushed from now on wakes a sleeper by
        // itself, since nobody is searching. (Waking one only when more work
        // is visible halves the wake-ups of a ping-pong, but on a VM it
        // leaves the other vCPU to fall asleep, and every later cross-vCPU
        // wake-up then costs ~35 µs instead of ~3: `sync_mpsc_oneshot_multi`
        // went from ~9-35 to ~35-70 µs per round trip.)
        // Work already visible once this worker stopped searching is woken
        // for before the poll, though: a poll that blocks until another
        // task runs (two tasks meeting at a `std::sync::Barrier`) would
        // otherwise strand it, if the other workers went to sleep without
        // a timed re-check while this one slept too (about once in 25,000
        // runtimes in `multi_thread_runs_tasks_in_parallel`, under load).
        // The look comes after the transition and a fence, so a task pushed
        // concurrently is either seen here or finds nobody searching and
        // wakes a sleeper itself.
        let last_searcher = was_searching && self.idle.transition_worker_from_searching();
        let notify_after_poll = if last_searcher && self.has_pending_work() {
            self.notify_parked();
            false
        } else {
            last_searcher
        };
        let stats = &self.remotes[index].stats;
        coop::with_budget(|| {
            task.run();
            if notify_after_poll {
                self.notify_parked();
            }
            // Run what the task woke (message passing), a bounded number
            // of times and only while the budget lasts.
            let mut lifo_polls = 0;
            loop {
                let next = match try_with_core(|core| core.lifo_slot.take()) {
                    Some(Some(next)) => next,
                    Some(None) => break,
                    // A task handed the core off (`block_in_place`): the
                    // counters belong to the thread that has it now.
                    None => return,
                };
                if lifo_polls >= MAX_LIFO_POLLS_PER_TICK || !coop::has_budget_remaining() {
                    with_core(|core| core.run_queue.push_back_or_overflow(next, &self.inject));
                    self.notify_parked();
                    break;
                }
                lifo_polls += 1;
                next.run();
            }
            bump(&stats.polls, 1 + u64::from(lifo_polls));
        });
    }

    /// Queues `task`: locally if called on one of our workers, else on the
    /// inject queue.
    fn schedule_task(&self, task: Notified, is_yield: bool) {
        enum Placed {
            /// Here, with nobody to wake: in the LIFO slot or the deferred
            /// list (not stealable), or, woken while it ran, at the back of
            /// the ring, which this awake worker gets to.
            Quiet,
            /// In the local ring: a sleeper may steal it.
            Ring,
            /// In the local ring during a dispatch of reactor events: the
            /// dispatcher decides whom to wake when it is done.
            Deferred,
            /// Not on one of our workers.
            Remote(Notified),
        }
        // The task stays here unless it goes to this thread's worker (not
        // during thread teardown either, once `WORKER` is gone).
        let mut task = Some(task);
        let placed = WORKER.try_with(|slot| {
            if !std::ptr::eq(slot.shared.get(), self) {
                return None;
            }
            let Ok(mut core) = slot.core.try_borrow_mut() else { return None };
            let core = core.as_mut()?;
            let task = task.take()?;
            if is_yield {
                if coop::take_yield() {
                    core.deferred.push(task);
                    return Some(Placed::Quiet);
                }
                // Woken by someone else while it ran: the back of the
                // queue. Nobody is woken for it: this worker is awake and
                // gets to it after what is queued (a peer that is already
                // searching may steal it); waking a sleeper would cost a
                // system call and move the task off its warm cache.
                core.run_queue.push_back_or_overflow(task, &self.inject);
                return Some(Placed::Quiet);
            }
            Some(match core.lifo_slot.replace(task) {
                Some(previous) => {
                    core.run_queue.push_back_or_overflow(previous, &self.inject);
                    if core.dispatching {
                        Placed::Deferred
                    } else {
                        Placed::Ring
                    }
                }
                None => Placed::Quiet,
            })
        });
        let placed = match (placed, task) {
            (Ok(Some(placed)), _) => placed,
            (_, Some(task)) => Placed::Remote(task),
            (_, None) => unreachable!("a task placed nowhere"),
        };
        match placed {
            Placed::Quiet => {}
            Placed::Ring => self.notify_parked(),
            Placed::Deferred => {}
            Placed::Remote(task) => {
                self.inject.push(task);
                self.notify_parked();
            }
        }
    }
}

impl Schedule for Arc<Shared> {
    fn schedule(&self, task: Notified) {
        self.schedule_task(task, false);
    }

    fn yield_now(&self, task: Notified) {
        self.schedule_task(task, true);
    }

    fn release(&self, task: NonNull<Header>) -> bool {
        self.owned.remove(task)
    }
}
