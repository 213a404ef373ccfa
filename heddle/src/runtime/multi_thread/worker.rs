//! Worker threads and the shared state of the multi-threaded scheduler.
//!
//! Shutdown, in order:
//! 1. `Shared::shutdown` sets `is_shutdown` and unparks every worker.
//! 2. Each worker leaves its loop, returns its core to `Shared::cores`.
//! 3. The thread dropping the runtime waits for the workers (up to a
//!    deadline), then closes the owned-task list (cancelling every task),
//!    drains all queues, and shuts the driver down, waking every resource.
//!    Workers that did not exit in time (a task blocking the thread) are
//!    left behind; their tasks are cancelled when they return.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::ptr::NonNull;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::idle::Idle;
use super::inject::Inject;
use super::parker::Parker;
use super::queue::{self, Local, Steal};
use crate::driver::{Driver, DriverHandle};
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use crate::loom::sync::{Condvar, Mutex};
use crate::runtime::builder::Builder;
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
    /// The parking side of the driver; whoever `try_lock`s it waits in epoll.
    driver_core: Mutex<Option<Driver>>,
    pub(crate) owned: OwnedTasks,
    pub(crate) blocking: crate::runtime::blocking::BlockingPool,
    inject: Inject,
    remotes: Box<[Remote]>,
    idle: Idle,
    is_shutdown: AtomicBool,
    /// Cores handed back by exiting workers (boxed: they move between
    /// this list and the workers' thread-local slots).
    #[allow(clippy::vec_box)]
    cores: Mutex<Vec<Box<Core>>>,
    workers_running: AtomicUsize,
    workers_exited: Condvar,
    event_interval: u32,
    global_queue_interval: u32,
}

/// What other workers may touch of a worker.
struct Remote {
    steal: Steal<Notified>,
    parker: Parker,
    /// Written by the owning worker only.
    stats: WorkerStats,
}

/// What only the owning worker touches.
struct Core {
    index: usize,
    lifo_slot: Option<Notified>,
    run_queue: Local<Notified>,
    /// Tasks that yielded (`yield_now`, budget exhausted, woken during their
    /// own poll); requeued at maintenance or when nothing else is left.
    deferred: Vec<Notified>,
    tick: u32,
    is_searching: bool,
    rand: FastRand,
}

/// The worker running on this thread, if any.
struct WorkerSlot {
    shared: Cell<*const Shared>,
    core: RefCell<Option<Box<Core>>>,
}

thread_local! {
    static WORKER: WorkerSlot = const { WorkerSlot { shared: Cell::new(std::ptr::null()), core: RefCell::new(None) } };
}

pub(crate) fn build(builder: &Builder, num_workers: usize) -> std::io::Result<Runtime> {
    let (driver, driver_handle) = Driver::new(builder.driver_config(num_workers))?;
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
            rand: FastRand::new(index as u64 + 1),
        }));
        remotes.push(Remote { steal, parker: Parker::new(driver_handle.clone()), stats: WorkerStats::default() });
    }
    let shared = Arc::new(Shared {
        driver: driver_handle,
        driver_core: Mutex::new(Some(driver)),
        owned: OwnedTasks::new(),
        blocking: crate::runtime::blocking::BlockingPool::new(builder.blocking_config()),
        inject: Inject::new(),
        remotes: remotes.into_boxed_slice(),
        idle: Idle::new(num_workers),
        is_shutdown: AtomicBool::new(false),
        cores: Mutex::new(Vec::new()),
        workers_running: AtomicUsize::new(num_workers),
        workers_exited: Condvar::new(),
        event_interval: builder.event_interval,
        global_queue_interval: builder.global_queue_interval,
    });
    let mut threads = Vec::with_capacity(num_workers);
    for core in cores {
        let shared = shared.clone();
        let mut thread = std::thread::Builder::new().name(builder.thread_name.clone());
        if let Some(size) = builder.thread_stack_size {
            thread = thread.stack_size(size);
        }
        threads.push(thread.spawn(move || run_worker(shared, core))?);
    }
    Ok(Runtime::from_parts(SchedulerHandle::MultiThread(shared), super::super::RuntimeKind::MultiThread(threads)))
}

fn run_worker(shared: Arc<Shared>, core: Box<Core>) {
    let _in_runtime = context::enter_runtime();
    let _handle = context::set_handle(SchedulerHandle::MultiThread(shared.clone()));
    context::set_timer_shard_hint(core.index);
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
            let mut cores = self.0.cores.lock().unwrap();
            cores.extend(core);
            self.0.workers_running.fetch_sub(1, SeqCst);
            self.0.workers_exited.notify_all();
        }
    }
    let _exit = ExitGuard(&shared);
    shared.run();
}

/// Borrows this thread's core. Never held across a task poll.
fn with_core<R>(f: impl FnOnce(&mut Core) -> R) -> R {
    WORKER.with(|slot| f(slot.core.borrow_mut().as_mut().expect("worker core missing")))
}

impl Shared {
    pub(crate) fn num_workers(&self) -> usize {
        self.remotes.len()
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
            let tick = with_core(|core| {
                core.tick = core.tick.wrapping_add(1);
                core.tick
            });
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
                // sleeping (I/O and timers still get their turn at the
                // next maintenance tick).
                self.requeue_deferred();
                continue;
            }
            self.park();
        }
    }

    /// Lets the reactor and timers make progress on a busy worker, then
    /// requeues the tasks that yielded (so they run after what the reactor
    /// woke, and cannot starve remote spawns).
    fn maintenance(&self) {
        if let Ok(mut guard) = self.driver_core.try_lock() {
            if let Some(driver) = guard.as_mut() {
                driver.poll_now(&self.driver);
            }
        }
        self.requeue_deferred();
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

    fn next_task(&self, tick: u32) -> Option<Notified> {
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
    fn pop_inject_batch(&self) -> Option<Notified> {
        if self.inject.is_empty() {
            return None;
        }
        with_core(|core| {
            let share = self.inject.len() / self.num_workers() + 1;
            let max = share.min(core.run_queue.remaining_slots() + 1).min(128);
            let mut batch = self.inject.pop_batch(max).into_iter();
            let first = batch.next();
            core.run_queue.push_back_batch(batch);
            first
        })
    }

    fn steal_work(&self) -> Option<Notified> {
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

    fn run_task(&self, task: Notified) {
        let (index, was_searching) = with_core(|core| (core.index, std::mem::replace(&mut core.is_searching, false)));
        if was_searching && self.idle.transition_worker_from_searching() {
            // The last searcher found work: there may be more, so get
            // another worker looking.
            self.notify_parked();
        }
        let stats = &self.remotes[index].stats;
        coop::with_budget(|| {
            task.run();
            // Run what the task woke (message passing), a bounded number
            // of times and only while the budget lasts.
            let mut lifo_polls = 0;
            while let Some(next) = with_core(|core| core.lifo_slot.take()) {
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

    fn park(&self) {
        let (index, is_searching) = with_core(|core| (core.index, std::mem::replace(&mut core.is_searching, false)));
        bump(&self.remotes[index].stats.parks, 1);
        let is_last_searcher = self.idle.transition_worker_to_parked(index, is_searching);
        if is_last_searcher && self.has_pending_work() {
            // Work arrived while we searched; make sure someone takes it.
            self.notify_parked();
        }
        loop {
            if self.is_shutdown.load(Acquire) {
                self.idle.unpark_worker_by_id(index);
                return;
            }
            let has_local = with_core(|core| core.lifo_slot.is_some() || !core.run_queue.is_empty());
            if has_local {
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
            if !self.inject.is_empty() && self.idle.unpark_worker_by_id(index) {
                return;
            }
            self.remotes[index].parker.park(&self.driver_core, None);
        }
    }

    fn has_pending_work(&self) -> bool {
        !self.inject.is_empty() || self.remotes.iter().any(|r| !r.steal.is_empty())
    }

    /// Wakes one sleeping worker if no worker is searching.
    fn notify_parked(&self) {
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
    fn current_worker_index(&self) -> Option<usize> {
        WORKER.with(|slot| {
            if !std::ptr::eq(slot.shared.get(), self) {
                return None;
            }
            slot.core.try_borrow().ok()?.as_ref().map(|core| core.index)
        })
    }

    /// Queues `task`: locally if called on one of our workers, else on the
    /// inject queue.
    fn schedule_task(&self, task: Notified, is_yield: bool) {
        enum Placed {
            /// In the LIFO slot or the deferred list: not stealable, nobody
            /// to wake.
            Lifo,
            /// In the local ring: a sleeper may steal it.
            Ring,
            /// Not on one of our workers.
            Remote(Notified),
        }
        let placed = WORKER.with(|slot| {
            if !std::ptr::eq(slot.shared.get(), self) {
                return Placed::Remote(task);
            }
            let Ok(mut core) = slot.core.try_borrow_mut() else { return Placed::Remote(task) };
            let Some(core) = core.as_mut() else { return Placed::Remote(task) };
            if is_yield {
                core.deferred.push(task);
                return Placed::Lifo;
            }
            match core.lifo_slot.replace(task) {
                Some(previous) => {
                    core.run_queue.push_back_or_overflow(previous, &self.inject);
                    Placed::Ring
                }
                None => Placed::Lifo,
            }
        });
        match placed {
            Placed::Lifo => {}
            Placed::Ring => self.notify_parked(),
            Placed::Remote(task) => {
                self.inject.push(task);
                self.notify_parked();
            }
        }
    }

    /// Stops the workers and cancels every task; see the module doc.
    pub(crate) fn shutdown(self: &Arc<Self>, wait: Option<Duration>) {
        if self.is_shutdown.swap(true, SeqCst) {
            return;
        }
        for remote in self.remotes.iter() {
            remote.parker.unpark();
        }
        self.driver.unpark();
        if let Some(wait) = wait {
            let deadline = Instant::now() + wait;
            let mut cores = self.cores.lock().unwrap();
            while self.workers_running.load(SeqCst) > 0 {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                cores = self.workers_exited.wait_timeout(cores, left).unwrap().0;
            }
        }
        let _handle = context::set_handle(SchedulerHandle::MultiThread(self.clone()));
        self.owned.close_and_shutdown_all();
        let cores: Vec<Box<Core>> = std::mem::take(&mut *self.cores.lock().unwrap());
        for mut core in cores {
            drop(core.lifo_slot.take());
            core.deferred.clear();
            while let Some(task) = core.run_queue.pop() {
                drop(task);
            }
        }
        loop {
            let rest = self.inject.drain();
            if rest.is_empty() {
                break;
            }
            drop(rest);
        }
        self.driver.shutdown();
        if self.workers_running.load(SeqCst) == 0 {
            drop(self.driver_core.lock().unwrap().take());
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
