//! The current-thread scheduler: every task runs on the thread that calls
//! `block_on`, interleaved with the future passed to it.
//!
//! The scheduler's state is split in two:
//! * [`Shared`] (behind an `Arc`, reachable from wakers on any thread): the
//!   remote queue, the owned-task list, the driver handle, and the `Core`
//!   while no thread is running it;
//! * `Core` (one `Box`, owned by the thread inside `block_on`): the local
//!   run queue and the driver. While a thread runs the scheduler, the core
//!   sits in that thread's `CORE` slot so wakes from its own tasks are a
//!   plain `VecDeque` push.
//!
//! The loop: poll the `block_on` future if it was woken; run up to
//! `event_interval` queued tasks; then, if nothing is left to run, park in
//! the driver; otherwise (a full batch ran, or tasks yielded) poll the
//! driver without blocking and requeue the yielded tasks behind what it
//! woke. Before parking while blocking-pool jobs are in flight, the thread
//! spins for a moment for their results (`spin_for_blocking_result`).
//!
//! `block_on` may be called again and again, from any thread, one at a
//! time; a second concurrent caller waits for its own future (driven by the
//! first caller's thread) or for the core to come free.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use super::builder::{Builder, ParkHooks};
use super::context;
use super::coop;
use super::park::ThreadParker;
use super::scheduler::SchedulerHandle;
use super::stats::{bump, WorkerStats};
use super::Runtime;
use crate::driver::{Driver, DriverHandle};
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use crate::loom::sync::Mutex;
use crate::task::list::OwnedTasks;
use crate::task::{self, Header, JoinHandle, Notified, Schedule};
use crate::util::spin::{self, SpinBackoff, SPIN_FOR};

/// The thread-independent part of the scheduler.
pub(crate) struct Shared {
    pub(crate) driver: Arc<DriverHandle>,
    /// The runtime's name, if the builder gave one.
    pub(crate) name: Option<String>,
    pub(crate) owned: OwnedTasks,
    pub(crate) blocking: super::blocking::BlockingPool,
    /// Tasks woken from other threads.
    remote: Mutex<VecDeque<Notified>>,
    remote_len: AtomicUsize,
    /// The core, while no thread is inside `block_on`.
    core: Mutex<Option<Box<Core>>>,
    /// Threads waiting for the core to come free.
    core_waiters: Mutex<Vec<Waker>>,
    /// The `block_on` future was woken.
    woken: AtomicBool,
    /// The core's thread is blocked in the driver (wake it via `unpark`).
    parked: AtomicBool,
    event_interval: u32,
    /// Poll/park counters (written by the thread running the core).
    pub(crate) stats: WorkerStats,
    global_queue_interval: u32,
    /// `on_thread_park`/`on_thread_unpark`, run around each idle park.
    park_hooks: ParkHooks,
    /// For a `LocalRuntime`: the thread that created it, the only one its
    /// `!Send` tasks may be spawned from.
    pub(crate) local_owner: Option<std::thread::ThreadId>,
}

/// The part only the running thread touches.
struct Core {
    tasks: VecDeque<Notified>,
    /// Tasks that yielded (woke themselves while running); requeued after
    /// the batch, once the driver was polled, behind what it woke.
    deferred: Vec<Notified>,
    driver: Option<Driver>,
    /// Tasks run so far (wrapping).
    tick: u32,
    /// Skips the spin before a park after spins that caught nothing.
    spin_backoff: SpinBackoff,
}

/// This thread's running core, if it runs one.
struct CoreSlot {
    shared: Cell<*const Shared>,
    core: RefCell<Option<Box<Core>>>,
}

thread_local! {
    static CORE: CoreSlot = const { CoreSlot { shared: Cell::new(std::ptr::null()), core: RefCell::new(None) } };
}

/// Builds a current-thread runtime; `local` marks it as the calling
/// thread's `LocalRuntime`.
pub(crate) fn build(builder: &Builder, local: bool) -> std::io::Result<Runtime> {
    let (drivers, driver_handle) = Driver::new(builder.driver_config(1))?;
    let driver = drivers.into_iter().next().expect("one driver");
    let shared = Arc::new(Shared {
        driver: Arc::new(driver_handle),
        name: builder.name.clone(),
        owned: OwnedTasks::new(),
        blocking: super::blocking::BlockingPool::new(builder.blocking_config()),
        remote: Mutex::new(VecDeque::new()),
        remote_len: AtomicUsize::new(0),
        core: Mutex::new(Some(Box::new(Core {
            tasks: VecDeque::with_capacity(64),
            deferred: Vec::new(),
            driver: Some(driver),
            tick: 0,
            spin_backoff: SpinBackoff::default(),
        }))),
        core_waiters: Mutex::new(Vec::new()),
        woken: AtomicBool::new(false),
        parked: AtomicBool::new(false),
        event_interval: builder.event_interval,
        global_queue_interval: builder.global_queue_interval,
        stats: WorkerStats::default(),
        park_hooks: builder.park_hooks.clone(),
        local_owner: local.then(|| std::thread::current().id()),
    });
    Ok(Runtime::from_parts(SchedulerHandle::CurrentThread(shared), super::RuntimeKind::CurrentThread))
}

impl Shared {
    pub(crate) fn spawn<F>(this: &Arc<Shared>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (task, notified, join) = task::new_task(future, this.clone());
        match this.owned.insert(task) {
            Ok(()) => this.schedule(notified),
            Err(task) => {
                // Shutting down: the task is cancelled before it runs.
                drop(notified);
                task.shutdown();
            }
        }
        join
    }

    fn push_remote(&self, task: Notified) {
        self.remote.lock().unwrap().push_back(task);
        self.remote_len.fetch_add(1, SeqCst);
        if self.parked.load(SeqCst) {
            self.driver.unpark();
        }
    }

    /// Tasks woken from other threads, waiting to run.
    pub(crate) fn remote_queue_depth(&self) -> usize {
        self.remote_len.load(Acquire)
    }

    fn pop_remote(&self) -> Option<Notified> {
        if self.remote_len.load(Acquire) == 0 {
            return None;
        }
        let task = self.remote.lock().unwrap().pop_front();
        if task.is_some() {
            self.remote_len.fetch_sub(1, AcqRel);
        }
        task
    }

    /// Runs the scheduler until `future` completes.
    #[track_caller]
    pub(crate) fn block_on<F: Future>(self: &Arc<Self>, mut future: Pin<&mut F>) -> F::Output {
        let _in_runtime = context::enter_runtime();
        let _handle = context::set_handle(SchedulerHandle::CurrentThread(self.clone()));
        let parker = Arc::new(ThreadParker::new());
        let parker_waker = Waker::from(parker.clone());
        loop {
            let core = self.core.lock().unwrap().take();
            if let Some(core) = core {
                return self.run(core, future.as_mut());
            }
            // Another thread runs the scheduler (and our future's tasks):
            // wait for our future, or for the core to come free.
            let mut cx = Context::from_waker(&parker_waker);
            if let Poll::Ready(out) = coop::with_budget(|| future.as_mut().poll(&mut cx)) {
                return out;
            }
            self.core_waiters.lock().unwrap().push(parker_waker.clone());
            if self.core.lock().unwrap().is_some() {
                continue;
            }
            parker.park_timeout(None);
        }
    }

    fn run<F: Future>(self: &Arc<Self>, core: Box<Core>, mut future: Pin<&mut F>) -> F::Output {
        // Installs the core in this thread's slot; hands it back on exit,
        // including when a panic unwinds out of the block_on future.
        struct CoreGuard<'a>(&'a Arc<Shared>);
        impl Drop for CoreGuard<'_> {
            fn drop(&mut self) {
                let core = CORE.with(|slot| {
                    slot.shared.set(std::ptr::null());
                    slot.core.borrow_mut().take()
                });
                *self.0.core.lock().unwrap() = core;
                for waker in self.0.core_waiters.lock().unwrap().drain(..) {
                    waker.wake();
                }
            }
        }
        CORE.with(|slot| {
            slot.shared.set(Arc::as_ptr(self));
            *slot.core.borrow_mut() = Some(core);
        });
        let _guard = CoreGuard(self);
        // `Runtime::block_on` makes this thread the runtime's worker 0;
        // `Handle::block_on` does not (as in tokio, where it drives no tasks).
        let worker = (!context::block_in_place_on_current_thread()).then_some(0);
        let _worker = context::set_worker(worker);

        let waker = Waker::from(Arc::new(BlockOnWaker(self.clone())));
        let mut cx = Context::from_waker(&waker);
        self.woken.store(true, SeqCst);
        loop {
            if self.woken.swap(false, AcqRel) {
                if let Poll::Ready(out) = coop::with_budget(|| future.as_mut().poll(&mut cx)) {
                    return out;
                }
            }
            let mut idle = false;
            // Run a batch of tasks even if the block_on future was woken
            // meanwhile: a future that keeps waking itself must not starve
            // the tasks.
            for _ in 0..self.event_interval {
                match self.next_task() {
                    Some(task) => {
                        coop::with_budget(|| task.run());
                        bump(&self.stats.polls, 1);
                    }
                    None => {
                        idle = true;
                        break;
                    }
                }
            }
            let has_deferred = CORE.with(|slot| slot.core.borrow().as_ref().is_some_and(|c| !c.deferred.is_empty()));
            if idle && !has_deferred {
                self.park();
            } else {
                // A full batch ran, or only yielded tasks are left: look at
                // I/O and timers without blocking, then requeue the yielded
                // tasks behind what that woke. A task that yields (in a
                // `yield_now` loop, or out of budget) thus runs again only
                // after the reactor was polled, as in tokio: it cannot spin
                // while the I/O it waits for sits unseen in the kernel.
                self.with_driver(|driver, handle| driver.maintain(handle));
                CORE.with(|slot| {
                    if let Some(core) = slot.core.borrow_mut().as_mut() {
                        let Core { tasks, deferred, .. } = &mut **core;
                        tasks.extend(deferred.drain(..));
                    }
                });
            }
        }
    }

    fn next_task(&self) -> Option<Notified> {
        CORE.with(|slot| {
            let mut core = slot.core.borrow_mut();
            let core = core.as_mut().expect("core missing while running");
            core.tick = core.tick.wrapping_add(1);
            if core.tick % self.global_queue_interval == 0 {
                self.pop_remote().or_else(|| core.tasks.pop_front())
            } else {
                core.tasks.pop_front().or_else(|| self.pop_remote())
            }
        })
    }

    /// Runs `f` with the driver taken out of the core, so that wakes during
    /// the driver turn can still push to the core's queue.
    fn with_driver(&self, f: impl FnOnce(&mut Driver, &DriverHandle)) {
        let mut driver = CORE.with(|slot| slot.core.borrow_mut().as_mut().and_then(|c| c.driver.take()));
        if let Some(d) = driver.as_mut() {
            f(d, &self.driver);
        }
        CORE.with(|slot| {
            if let Some(core) = slot.core.borrow_mut().as_mut() {
                core.driver = driver;
            }
        });
    }

    /// Blocks in the driver until there is something to do, with the
    /// `on_thread_park`/`on_thread_unpark` hooks around it.
    fn park(&self) {
        // The park hook runs with the core installed, so it may spawn: a
        // task it queues here is run instead of sleeping (the driver is
        // still polled once, so I/O and timers are not starved).
        let hooked = self.park_hooks.before_park();
        let local_work = hooked && CORE.with(|slot| slot.core.borrow().as_ref().is_some_and(|c| !c.tasks.is_empty()));
        if !local_work {
            self.spin_for_blocking_result();
        }
        bump(&self.stats.parks, 1);
        self.with_driver(|driver, handle| {
            self.parked.store(true, SeqCst);
            // Re-check after announcing the park (pairs with `push_remote`
            // and `BlockOnWaker`, which check `parked` after publishing).
            if !local_work && self.remote_len.load(SeqCst) == 0 && !self.woken.load(SeqCst) {
                driver.park(handle, None);
            } else {
                driver.poll_now(handle);
            }
            self.parked.store(false, SeqCst);
        });
        self.park_hooks.after_unpark();
    }

    /// While blocking-pool jobs are in flight: spins up to `SPIN_FOR` for a
    /// wake-up before parking. The result of a short job (a file read)
    /// then arrives while this thread is awake: `parked` is false, so the
    /// pool thread's wake costs neither side a system call (an eventfd
    /// write there, an `epoll_wait` return and read here). Spins that catch
    /// nothing make later parks skip theirs (`SpinBackoff`), so a loop that
    /// waits on long jobs, or on sockets while jobs run, pays for few.
    fn spin_for_blocking_result(&self) {
        if !self.blocking.worth_spinning_for_a_result() {
            return;
        }
        if !CORE.with(|slot| slot.core.borrow_mut().as_mut().is_some_and(|c| c.spin_backoff.should_spin())) {
            return;
        }
        // Nobody hands this spinner work, so nobody reads its heartbeat: a
        // wake-up finds it awake whether or not it has a CPU.
        let heartbeat = spin::Heartbeat::new();
        let caught =
            spin::spin_until(SPIN_FOR, &heartbeat, || self.woken.load(Acquire) || self.remote_len.load(Acquire) > 0);
        CORE.with(|slot| {
            if let Some(core) = slot.core.borrow_mut().as_mut() {
                core.spin_backoff.record(caught);
            }
        });
    }

    /// Cancels every task and wakes every resource waiter. Runs when the
    /// runtime is dropped.
    pub(crate) fn shutdown(self: &Arc<Self>) {
        // A runtime kept in a thread-local may be dropped after this
        // thread's context is gone: shut down without a current handle then.
        let _handle = context::CONTEXT
            .try_with(|_| ())
            .is_ok()
            .then(|| context::set_handle(SchedulerHandle::CurrentThread(self.clone())));
        self.owned.close_and_shutdown_all();
        let core = self.core.lock().unwrap().take();
        // Dropping queued tasks can wake others; drain until quiet.
        loop {
            let remote: Vec<Notified> = self.remote.lock().unwrap().drain(..).collect();
            self.remote_len.store(0, SeqCst);
            let empty = remote.is_empty();
            drop(remote);
            if empty {
                break;
            }
        }
        if let Some(mut core) = core {
            while let Some(task) = core.tasks.pop_front() {
                drop(task);
            }
            core.deferred.clear();
            self.driver.shutdown();
            drop(core);
        } else {
            self.driver.shutdown();
        }
    }
}

impl Shared {
    /// Pushes to this thread's core if it runs this scheduler, else gives
    /// the task back (also during thread teardown, once `CORE` is gone).
    fn push_local(&self, task: Notified, deferred: bool) -> Option<Notified> {
        let mut task = Some(task);
        let _ = CORE.try_with(|slot| {
            if !std::ptr::eq(slot.shared.get(), self) {
                return;
            }
            let Ok(mut core) = slot.core.try_borrow_mut() else { return };
            let Some(core) = core.as_mut() else { return };
            let Some(task) = task.take() else { return };
            if deferred {
                core.deferred.push(task);
            } else {
                core.tasks.push_back(task);
            }
        });
        task
    }
}

impl Schedule for Arc<Shared> {
    fn schedule(&self, task: Notified) {
        if let Some(task) = self.push_local(task, false) {
            self.push_remote(task);
        }
    }

    fn yield_now(&self, task: Notified) {
        // Only a task that yielded waits for the next look at I/O; one woken
        // by someone else while it ran just goes to the back.
        if let Some(task) = self.push_local(task, coop::take_yield()) {
            self.push_remote(task);
        }
    }

    fn release(&self, task: NonNull<Header>) -> bool {
        self.owned.remove(task)
    }
}

/// Wakes the `block_on` future.
struct BlockOnWaker(Arc<Shared>);

impl Wake for BlockOnWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.woken.store(true, SeqCst);
        if self.0.parked.load(SeqCst) {
            self.0.driver.unpark();
        }
    }
}
