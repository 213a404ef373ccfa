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
//!
//! `block_in_place` moves a worker's core to another thread while the
//! calling thread blocks; see [`block_in_place`] below.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::ptr::NonNull;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::handoff::Handoff;
use super::idle::Idle;
use super::inject::Inject;
use super::parker::Parker;
use super::queue::{self, Local, Steal};
use crate::driver::{Driver, DriverHandle};
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use crate::loom::sync::{Condvar, Mutex};
use crate::runtime::builder::{Builder, ThreadCallback, ThreadHooks};
use crate::runtime::scheduler::SchedulerHandle;
use crate::runtime::stats::{bump, WorkerStats};
use crate::runtime::{context, coop, Runtime};
use crate::task::list::OwnedTasks;
use crate::task::{self, Header, JoinHandle, Notified, Schedule};
use crate::util::rand::FastRand;

/// Polls of the LIFO slot in a row before it yields to the queue.
const MAX_LIFO_POLLS_PER_TICK: u32 = 3;

/// How often an idle worker looks at the reactor of a peer that is not
/// asleep (see `poll_busy_peers`).
const BUSY_PEER_RECHECK: Duration = Duration::from_millis(1);

/// State shared by all workers.
pub(crate) struct Shared {
    pub(crate) driver: Arc<DriverHandle>,
    /// Each worker's driver (its own reactor). The worker sleeps in it; an
    /// idle peer may briefly take it to poll without blocking.
    drivers: Box<[Mutex<Option<Driver>>]>,
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
    /// Set (under the `cores` lock) once shutdown has drained `cores`: a
    /// worker exiting later drains its own core instead of parking it there.
    cores_drained: AtomicBool,
    /// Worker threads alive, counting the replacements started by
    /// `block_in_place` (a thread that hands its core off still counts
    /// until it leaves its loop).
    workers_running: AtomicUsize,
    workers_exited: Condvar,
    event_interval: u32,
    global_queue_interval: u32,
    /// For replacement worker threads.
    thread_name: String,
    thread_stack_size: Option<usize>,
    on_thread_start: Option<ThreadCallback>,
    on_thread_stop: Option<ThreadCallback>,
}

/// What other workers may touch of a worker.
struct Remote {
    steal: Steal<Notified>,
    parker: Parker,
    /// Written by the owning worker only.
    stats: WorkerStats,
    /// The core on its way to a replacement thread (`block_in_place`).
    handoff: Handoff<Box<Core>>,
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
    /// Set while this worker dispatches reactor events: a woken task then
    /// queues without waking a sleeper, and the worker wakes at most one
    /// when the dispatch is over (`notify_after_dispatch`). Waking one per
    /// event batch, mid-batch, had the sleeper steal two tasks, run out and
    /// park again, and its wake-up preempt the dispatching worker.
    dispatching: bool,
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
        drivers: drivers.into_iter().map(|driver| Mutex::new(Some(driver))).collect(),
        owned: OwnedTasks::new(),
        blocking: crate::runtime::blocking::BlockingPool::new(builder.blocking_config()),
        inject: Inject::new(),
        remotes: remotes.into_boxed_slice(),
        idle: Idle::new(num_workers),
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
    });
    let mut threads = Vec::with_capacity(num_workers);
    for core in cores {
        let shared = shared.clone();
        threads.push(shared.thread_builder().spawn(move || run_worker(shared, core))?);
    }
    Ok(Runtime::from_parts(SchedulerHandle::MultiThread(shared), super::super::RuntimeKind::MultiThread(threads)))
}

fn run_worker(shared: Arc<Shared>, core: Box<Core>) {
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

/// Body of a thread started by `block_in_place`: becomes worker `index`
/// if the core is still waiting in the hand-off slot.
fn run_replacement_worker(shared: Arc<Shared>, index: usize) {
    match shared.remotes[index].handoff.take() {
        Some(core) => run_worker(shared, core),
        // The blocking section ended before this thread started, and its
        // caller took the core back.
        None => {
            let _hooks = ThreadHooks::enter(shared.on_thread_start.as_ref(), shared.on_thread_stop.as_ref());
            shared.worker_exited(None);
        }
    }
}

/// True if this worker's LIFO slot or run queue holds a task.
fn has_local_work() -> bool {
    with_core(|core| core.lifo_slot.is_some() || !core.run_queue.is_empty())
}

/// Borrows this thread's core. Never held across a task poll.
fn with_core<R>(f: impl FnOnce(&mut Core) -> R) -> R {
    WORKER.with(|slot| f(slot.core.borrow_mut().as_mut().expect("worker core missing")))
}

/// Like `with_core`, but None if this thread gave its core away (a task
/// it ran called `block_in_place`).
fn try_with_core<R>(f: impl FnOnce(&mut Core) -> R) -> Option<R> {
    WORKER.with(|slot| slot.core.borrow_mut().as_mut().map(|core| f(core)))
}

/// Runs `f`, a closure that blocks, on this thread without stalling the
/// tasks queued behind the current one; see
/// [`task::block_in_place`](crate::task::block_in_place).
///
/// On a worker, the core (run queue, LIFO slot, deferred tasks) goes into
/// the worker's hand-off slot and a replacement thread is started to run
/// it. If `f` returns before the replacement took the core, the caller
/// takes it back and stays the worker (the replacement then exits at
/// once); otherwise the calling thread finishes the current task poll as
/// a plain thread and leaves the worker loop.
pub(crate) fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    if !context::in_runtime() {
        // Outside any runtime, or nested inside another `block_in_place`:
        // blocking here stalls nobody.
        return f();
    }
    let Some(SchedulerHandle::MultiThread(shared)) = context::current_handle() else {
        panic!("can call blocking only when running on the multi-threaded runtime");
    };
    // None on a thread that is not one of our workers (inside `block_on`)
    // or that already gave its core away: nothing to hand off then.
    let handed_off = shared.hand_off_core().map(|index| (shared, index));

    /// Undoes the set-up even if `f` panics.
    struct Reset {
        handed_off: Option<(Arc<Shared>, usize)>,
        budget: Option<u8>,
        _exit: context::ExitRuntimeGuard,
    }
    impl Drop for Reset {
        fn drop(&mut self) {
            coop::set_budget(self.budget);
            if let Some((shared, index)) = self.handed_off.take() {
                if let Some(core) = shared.remotes[index].handoff.take() {
                    WORKER.with(|slot| *slot.core.borrow_mut() = Some(core));
                }
            }
        }
    }
    let _reset = Reset {
        handed_off,
        // Blocking sections are not limited by the task's budget.
        budget: coop::set_budget(None),
        _exit: context::exit_runtime(),
    };
    f()
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

    fn thread_builder(&self) -> std::thread::Builder {
        let thread = std::thread::Builder::new().name(self.thread_name.clone());
        match self.thread_stack_size {
            Some(size) => thread.stack_size(size),
            None => thread,
        }
    }

    /// Bookkeeping for a worker thread leaving: its core (if it still has
    /// one) goes back to `cores`, or is drained if shutdown already did so.
    fn worker_exited(&self, core: Option<Box<Core>>) {
        let mut cores = self.cores.lock().unwrap();
        let late = if self.cores_drained.load(SeqCst) {
            core
        } else {
            cores.extend(core);
            None
        };
        self.workers_running.fetch_sub(1, SeqCst);
        self.workers_exited.notify_all();
        drop(cores);
        if let Some(mut core) = late {
            drain_core(&mut core);
        }
    }

    /// Moves this thread's core to the hand-off slot and starts a thread to
    /// take it over. Returns the worker index, or None if this thread has
    /// no core of ours (or no thread could be started: then it keeps its
    /// core and blocks it, like the current-thread runtime would).
    fn hand_off_core(self: &Arc<Self>) -> Option<usize> {
        let mut core = WORKER.with(|slot| {
            if !std::ptr::eq(slot.shared.get(), Arc::as_ptr(self)) {
                return None;
            }
            slot.core.try_borrow_mut().ok()?.take()
        })?;
        let index = core.index;
        // Other workers can steal from the ring but not the LIFO slot: move
        // its task where they can reach it while the replacement starts.
        if let Some(task) = core.lifo_slot.take() {
            core.run_queue.push_back_or_overflow(task, &self.inject);
        }
        self.remotes[index].handoff.offer(core);
        self.workers_running.fetch_add(1, SeqCst);
        let shared = self.clone();
        if self.thread_builder().spawn(move || run_replacement_worker(shared, index)).is_err() {
            let core = self.remotes[index].handoff.take();
            self.workers_running.fetch_sub(1, SeqCst);
            WORKER.with(|slot| *slot.core.borrow_mut() = core);
            return None;
        }
        self.notify_parked();
        Some(index)
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
        let index = with_core(|core| core.index);
        if let Ok(mut guard) = self.drivers[index].try_lock() {
            if let Some(driver) = guard.as_mut() {
                with_core(|core| core.dispatching = true);
                driver.poll_now(&self.driver);
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
            self.inject.pop_batch(max, |rest| core.run_queue.push_back_batch(rest))
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
        let notify_after_poll = was_searching && self.idle.transition_worker_from_searching();
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

    fn park(&self) {
        let (index, is_searching) = with_core(|core| (core.index, std::mem::replace(&mut core.is_searching, false)));
        bump(&self.remotes[index].stats.parks, 1);
        let is_last_searcher = self.idle.transition_worker_to_parked(index, is_searching);
        if is_last_searcher && self.has_pending_work() {
            // Work arrived while we searched; make sure someone takes it.
            self.notify_parked();
        }
        // The first sleep comes before any look at the peers' reactors: an
        // epoll_wait per peer on every park was a system call too many when
        // workers park and wake many times a millisecond.
        let mut slept = false;
        loop {
            if self.is_shutdown.load(Acquire) {
                self.idle.unpark_worker_by_id(index);
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
            // No re-check of the inject queue here: a task pushed there
            // wakes a sleeper unless a worker is searching, and the last
            // searcher to park re-checks (above). Re-checking here made
            // workers spin through park and the queues' locks while remote
            // threads kept pushing.
            with_core(|core| core.dispatching = true);
            let any_busy = self.poll_busy_peers(index, slept);
            if !has_local_work() {
                // While a peer is busy, wake now and then to look at its
                // reactor: its worker may be stuck in one long poll.
                let timeout = any_busy.then_some(BUSY_PEER_RECHECK);
                self.remotes[index].parker.park(&self.drivers[index], timeout);
                slept = true;
            }
            with_core(|core| core.dispatching = false);
        }
    }

    /// True if some peer is not asleep; if `poll`, also polls those peers'
    /// reactors without blocking (what they wake queues here): a busy
    /// worker only looks at its reactor between task polls, every
    /// `event_interval` of them, and its sockets' events should not wait
    /// for long while this worker idles.
    fn poll_busy_peers(&self, index: usize, poll: bool) -> bool {
        let mut any_busy = false;
        for (peer, driver) in self.drivers.iter().enumerate() {
            if peer == index || self.remotes[peer].parker.is_sleeping() {
                continue;
            }
            any_busy = true;
            if !poll {
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
    /// Call right after the last searcher parks (it fences; see `idle`).
    fn has_pending_work(&self) -> bool {
        Idle::fence_before_check();
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
            /// In the local ring during a dispatch of reactor events: the
            /// dispatcher decides whom to wake when it is done.
            Deferred,
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
                    if core.dispatching {
                        Placed::Deferred
                    } else {
                        Placed::Ring
                    }
                }
                None => Placed::Lifo,
            }
        });
        match placed {
            Placed::Lifo => {}
            Placed::Ring => self.notify_parked(),
            Placed::Deferred => {}
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
        let cores: Vec<Box<Core>> = {
            let mut cores = self.cores.lock().unwrap();
            self.cores_drained.store(true, SeqCst);
            std::mem::take(&mut *cores)
        };
        // A core still in a hand-off slot has no thread yet to run it.
        let waiting = self.remotes.iter().filter_map(|remote| remote.handoff.take());
        for mut core in cores.into_iter().chain(waiting) {
            drain_core(&mut core);
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
            for driver in self.drivers.iter() {
                drop(driver.lock().unwrap().take());
            }
        }
    }
}

/// Drops the task references queued in `core` (at shutdown, after every
/// task was cancelled).
fn drain_core(core: &mut Core) {
    drop(core.lifo_slot.take());
    core.deferred.clear();
    while let Some(task) = core.run_queue.pop() {
        drop(task);
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
