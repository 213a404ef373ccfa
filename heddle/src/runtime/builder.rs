//! `Builder`: configures and creates a [`Runtime`](super::Runtime).

use std::io;
use std::time::Duration;

use super::{current_thread, multi_thread, LocalOptions, LocalRuntime, Runtime};
use crate::driver::DriverConfig;

/// Which scheduler a runtime uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    CurrentThread,
    MultiThread,
}

/// Builds a runtime with custom settings.
///
/// ```
/// use heddle::runtime::Builder;
///
/// let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
/// assert_eq!(rt.block_on(async { heddle::spawn(async { 40 + 2 }).await.unwrap() }), 42);
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    pub(crate) flavor: Flavor,
    pub(crate) worker_threads: Option<usize>,
    pub(crate) enable_io: bool,
    pub(crate) enable_time: bool,
    /// The runtime's name ([`Handle::name`](super::Handle::name)).
    pub(crate) name: Option<String>,
    pub(crate) thread_name: String,
    pub(crate) thread_stack_size: Option<usize>,
    /// Tasks a worker runs between non-blocking checks of the reactor.
    pub(crate) event_interval: u32,
    /// Tasks a worker runs between checks of the global queue.
    pub(crate) global_queue_interval: u32,
    /// Poll instead of sleeping this long before a timer deadline.
    pub(crate) timer_spin: Duration,
    pub(crate) max_blocking_threads: usize,
    pub(crate) thread_keep_alive: Duration,
    /// The clock starts paused (current-thread runtime only).
    pub(crate) start_paused: bool,
    /// Run on each thread the runtime starts, first thing.
    pub(crate) on_thread_start: Option<ThreadCallback>,
    /// Run on each thread the runtime started, just before it exits.
    pub(crate) on_thread_stop: Option<ThreadCallback>,
    /// Run on a runtime thread just before it goes idle, and just after.
    pub(crate) park_hooks: ParkHooks,
    /// Most I/O events the reactor takes per poll.
    pub(crate) max_io_events_per_tick: usize,
    /// Most I/O events a poll that does not wait takes (None: as many as
    /// `max_io_events_per_tick`).
    pub(crate) max_io_events_per_busy_tick: Option<usize>,
}

/// A callback run on runtime threads (`on_thread_start`/`on_thread_stop`).
#[derive(Clone)]
pub(crate) struct ThreadCallback(std::sync::Arc<dyn Fn() + Send + Sync>);

impl ThreadCallback {
    pub(crate) fn call(&self) {
        (self.0)();
    }
}

impl std::fmt::Debug for ThreadCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ThreadCallback")
    }
}

/// Runs `on_thread_start` now and `on_thread_stop` when dropped (also
/// when the thread unwinds).
pub(crate) struct ThreadHooks {
    stop: Option<ThreadCallback>,
}

impl ThreadHooks {
    pub(crate) fn enter(start: Option<&ThreadCallback>, stop: Option<&ThreadCallback>) -> ThreadHooks {
        if let Some(start) = start {
            start.call();
        }
        ThreadHooks { stop: stop.cloned() }
    }
}

impl Drop for ThreadHooks {
    fn drop(&mut self) {
        if let Some(stop) = &self.stop {
            stop.call();
        }
    }
}

/// `on_thread_park`/`on_thread_unpark`: run by a scheduler around each
/// idle sleep of one of its threads. Each call is one `Option` check when
/// no hook is set.
#[derive(Clone, Debug, Default)]
pub(crate) struct ParkHooks {
    before_park: Option<ThreadCallback>,
    after_unpark: Option<ThreadCallback>,
}

impl ParkHooks {
    /// Runs the `on_thread_park` hook, if any; true if there was one (it
    /// may have made work for this thread: look again before sleeping).
    #[inline]
    pub(crate) fn before_park(&self) -> bool {
        match &self.before_park {
            Some(hook) => {
                hook.call();
                true
            }
            None => false,
        }
    }

    /// Runs the `on_thread_unpark` hook, if any.
    #[inline]
    pub(crate) fn after_unpark(&self) {
        if let Some(hook) = &self.after_unpark {
            hook.call();
        }
    }
}

/// Default `max_io_events_per_tick`.
const DEFAULT_MAX_IO_EVENTS_PER_TICK: usize = 1024;

/// Default `timer_spin` window, in µs.
const DEFAULT_TIMER_SPIN_US: u64 = 50;

/// Env var that sets the default number of worker threads.
pub const WORKER_THREADS_ENV: &str = "HEDDLE_WORKER_THREADS";

impl Builder {
    fn new(flavor: Flavor) -> Builder {
        Builder {
            flavor,
            worker_threads: None,
            enable_io: false,
            enable_time: false,
            name: None,
            thread_name: "heddle-runtime-worker".into(),
            thread_stack_size: None,
            event_interval: 61,
            global_queue_interval: 31,
            timer_spin: Duration::from_micros(DEFAULT_TIMER_SPIN_US),
            max_blocking_threads: super::blocking::pool::DEFAULT_MAX_BLOCKING_THREADS,
            thread_keep_alive: super::blocking::pool::DEFAULT_KEEP_ALIVE,
            start_paused: false,
            on_thread_start: None,
            on_thread_stop: None,
            park_hooks: ParkHooks::default(),
            max_io_events_per_tick: DEFAULT_MAX_IO_EVENTS_PER_TICK,
            max_io_events_per_busy_tick: None,
        }
    }

    /// A runtime that runs every task on the thread that calls `block_on`.
    pub fn new_current_thread() -> Builder {
        Builder::new(Flavor::CurrentThread)
    }

    /// A work-stealing runtime with a pool of worker threads.
    pub fn new_multi_thread() -> Builder {
        Builder::new(Flavor::MultiThread)
    }

    /// Number of worker threads (multi-thread runtime). Defaults to
    /// `HEDDLE_WORKER_THREADS` if set, else the number of CPUs.
    ///
    /// # Panics
    /// If `n` is 0.
    #[track_caller]
    pub fn worker_threads(&mut self, n: usize) -> &mut Builder {
        assert!(n > 0, "worker_threads cannot be set to 0");
        self.worker_threads = Some(n);
        self
    }

    /// Enables both the I/O and the time drivers.
    pub fn enable_all(&mut self) -> &mut Builder {
        self.enable_io().enable_time()
    }

    /// Enables the I/O driver (sockets).
    pub fn enable_io(&mut self) -> &mut Builder {
        self.enable_io = true;
        self
    }

    /// Most I/O events the reactor takes from the kernel in one poll
    /// (default 1024). Events beyond that stay queued in the kernel for
    /// the next poll; a smaller batch lets the runtime get back to its
    /// tasks (and timers) sooner when many sockets are ready at once.
    /// Polls made while tasks are waiting to run can take a smaller batch:
    /// see [`max_io_events_per_busy_tick`](Self::max_io_events_per_busy_tick).
    ///
    /// ```
    /// let rt = heddle::runtime::Builder::new_current_thread().enable_io().max_io_events_per_tick(64).build().unwrap();
    /// # drop(rt);
    /// ```
    ///
    /// # Panics
    /// If `capacity` is 0.
    #[track_caller]
    pub fn max_io_events_per_tick(&mut self, capacity: usize) -> &mut Builder {
        assert!(capacity > 0, "max_io_events_per_tick must be non-zero");
        self.max_io_events_per_tick = capacity;
        self
    }

    /// Most I/O events the reactor takes in a poll that does not wait: one
    /// a thread makes while it still has tasks to run (every
    /// [`event_interval`](Self::event_interval) tasks, or before running
    /// again a task that yielded), or while a timer is already due. The
    /// default is [`max_io_events_per_tick`](Self::max_io_events_per_tick).
    ///
    /// Every task such a poll wakes joins the queue of a thread that is
    /// already busy; under overload a large batch only makes that queue
    /// longer, and every task in it waits longer. A small busy batch leaves
    /// the other events in the kernel until the thread catches up. A thread
    /// with nothing to run, which sleeps in the poll, still takes up to
    /// `max_io_events_per_tick` events.
    ///
    /// ```
    /// let rt = heddle::runtime::Builder::new_multi_thread()
    ///     .worker_threads(1)
    ///     .enable_all()
    ///     .max_io_events_per_tick(256)
    ///     .max_io_events_per_busy_tick(16)
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async {
    ///     let socket = heddle::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     socket.send_to(b"ping", socket.local_addr().unwrap()).await.unwrap();
    ///     let mut buf = [0; 4];
    ///     assert_eq!(socket.recv(&mut buf).await.unwrap(), 4);
    /// });
    /// ```
    ///
    /// # Panics
    /// If `capacity` is 0.
    #[track_caller]
    pub fn max_io_events_per_busy_tick(&mut self, capacity: usize) -> &mut Builder {
        assert!(capacity > 0, "max_io_events_per_busy_tick must be non-zero");
        self.max_io_events_per_busy_tick = Some(capacity);
        self
    }

    /// Enables the time driver (`sleep`, `timeout`, `interval`).
    pub fn enable_time(&mut self) -> &mut Builder {
        self.enable_time = true;
        self
    }

    /// Names the runtime, for [`Handle::name`](super::Handle::name) (and
    /// `#[heddle::main(name = "...")]`); the worker threads keep their own
    /// name ([`thread_name`](Self::thread_name)).
    ///
    /// ```
    /// let rt = heddle::runtime::Builder::new_current_thread().name("ingest").build().unwrap();
    /// assert_eq!(rt.handle().name(), Some("ingest"));
    /// ```
    ///
    /// # Panics
    /// If `name` is empty or only whitespace.
    #[track_caller]
    pub fn name(&mut self, name: impl Into<String>) -> &mut Builder {
        let name = name.into();
        assert!(!name.trim().is_empty(), "runtime name shouldn't be empty");
        self.name = Some(name);
        self
    }

    /// Name of the worker threads.
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Builder {
        self.thread_name = name.into();
        self
    }

    /// Stack size of the worker threads.
    pub fn thread_stack_size(&mut self, bytes: usize) -> &mut Builder {
        self.thread_stack_size = Some(bytes);
        self
    }

    /// How many tasks a worker runs before checking the reactor for events
    /// without blocking (default 61).
    #[track_caller]
    pub fn event_interval(&mut self, ticks: u32) -> &mut Builder {
        assert!(ticks > 0, "event_interval must be > 0");
        self.event_interval = ticks;
        self
    }

    /// How many tasks a worker runs before checking the global queue first
    /// (default 31).
    #[track_caller]
    pub fn global_queue_interval(&mut self, ticks: u32) -> &mut Builder {
        assert!(ticks > 0, "global_queue_interval must be > 0");
        self.global_queue_interval = ticks;
        self
    }

    /// Most threads the blocking pool (`spawn_blocking`, `fs`) may run at
    /// once (default 512). Jobs beyond that wait in a queue.
    ///
    /// ```
    /// let rt = heddle::runtime::Builder::new_current_thread().max_blocking_threads(2).build().unwrap();
    /// assert_eq!(rt.block_on(async { heddle::task::spawn_blocking(|| 1).await.unwrap() }), 1);
    /// ```
    ///
    /// # Panics
    /// If `n` is 0.
    #[track_caller]
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Builder {
        assert!(n > 0, "max_blocking_threads cannot be set to 0");
        self.max_blocking_threads = n;
        self
    }

    /// How long an idle blocking-pool thread waits for work before it
    /// exits (default 10 s).
    pub fn thread_keep_alive(&mut self, duration: Duration) -> &mut Builder {
        self.thread_keep_alive = duration;
        self
    }

    /// Runs `f` on every thread the runtime starts (workers, and blocking
    /// pool threads), before it does anything else.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let started = Arc::new(AtomicUsize::new(0));
    /// let counter = started.clone();
    /// let rt = heddle::runtime::Builder::new_multi_thread()
    ///     .worker_threads(2)
    ///     .on_thread_start(move || {
    ///         counter.fetch_add(1, Ordering::SeqCst);
    ///     })
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async { heddle::task::spawn_blocking(|| ()).await.unwrap() });
    /// // Shutdown waits for the workers, so each has started by then.
    /// drop(rt);
    /// assert!(started.load(Ordering::SeqCst) >= 3, "two workers and a blocking thread");
    /// ```
    pub fn on_thread_start<F>(&mut self, f: F) -> &mut Builder
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.on_thread_start = Some(ThreadCallback(std::sync::Arc::new(f)));
        self
    }

    /// Runs `f` on every thread the runtime started, just before the
    /// thread exits (a blocking thread after its keep-alive, workers at
    /// shutdown).
    pub fn on_thread_stop<F>(&mut self, f: F) -> &mut Builder
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.on_thread_stop = Some(ThreadCallback(std::sync::Arc::new(f)));
        self
    }

    /// Runs `f` on a runtime thread just before it goes idle: a worker
    /// (or the thread inside `block_on`, on the current-thread runtime)
    /// that found no task to run and is about to sleep until an I/O event,
    /// a timer or a wake-up. A later call replaces the hook.
    ///
    /// `f` runs inside the runtime, so it may [`spawn`](crate::spawn);
    /// the thread then runs the new task instead of sleeping. The blocking
    /// pool's threads and a multi-thread runtime's `block_on` caller do not
    /// run it. Keep it short: it runs every time a thread idles.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    ///
    /// let once = AtomicBool::new(true);
    /// let barrier = Arc::new(heddle::sync::Barrier::new(2));
    /// let hook_barrier = barrier.clone();
    /// let rt = heddle::runtime::Builder::new_current_thread()
    ///     .on_thread_park(move || {
    ///         // The first time the thread idles, start the task that lets
    ///         // `block_on` finish.
    ///         if once.swap(false, Ordering::SeqCst) {
    ///             let barrier = hook_barrier.clone();
    ///             heddle::spawn(async move { barrier.wait().await });
    ///         }
    ///     })
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async { barrier.wait().await });
    /// ```
    pub fn on_thread_park<F>(&mut self, f: F) -> &mut Builder
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.park_hooks.before_park = Some(ThreadCallback(std::sync::Arc::new(f)));
        self
    }

    /// Runs `f` on a runtime thread just after it wakes from an idle sleep
    /// (the counterpart of [`on_thread_park`](Self::on_thread_park), run
    /// once for each time that one ran). A later call replaces the hook.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let wakes = Arc::new(AtomicUsize::new(0));
    /// let counter = wakes.clone();
    /// let rt = heddle::runtime::Builder::new_current_thread()
    ///     .enable_time()
    ///     .on_thread_unpark(move || {
    ///         counter.fetch_add(1, Ordering::SeqCst);
    ///     })
    ///     .build()
    ///     .unwrap();
    /// // Nothing else to run: the thread sleeps until the timer fires.
    /// rt.block_on(async { heddle::time::sleep(std::time::Duration::from_millis(5)).await });
    /// assert!(wakes.load(Ordering::SeqCst) >= 1);
    /// ```
    pub fn on_thread_unpark<F>(&mut self, f: F) -> &mut Builder
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.park_hooks.after_unpark = Some(ThreadCallback(std::sync::Arc::new(f)));
        self
    }

    pub(crate) fn blocking_config(&self) -> super::blocking::Config {
        super::blocking::Config {
            thread_name: self.thread_name.clone(),
            stack_size: self.thread_stack_size,
            max_threads: self.max_blocking_threads,
            keep_alive: self.thread_keep_alive,
            on_thread_start: self.on_thread_start.clone(),
            on_thread_stop: self.on_thread_stop.clone(),
        }
    }

    /// How long before a timer's deadline an idle runtime stops sleeping
    /// and polls instead (default 50 µs, at most 10 ms; zero turns it off).
    ///
    /// A parked CPU, and above all a virtual one, takes tens of
    /// microseconds to wake; polling through the last stretch makes short
    /// sleeps wake within a few microseconds of their deadline. The cost is
    /// CPU time, only while nothing else is runnable and a timer is that
    /// close. When the machine has more runnable threads than CPUs and
    /// timers start firing late, the runtime stops polling for a while
    /// (10 ms, doubling up to 1 s while it recurs) and sleeps to the
    /// deadline instead: a thread that polls loses the quick wake-up the OS
    /// gives sleepers next to busy processes.
    pub fn timer_spin(&mut self, window: Duration) -> &mut Builder {
        self.timer_spin = window;
        self
    }

    /// Starts the runtime with its clock paused, as if
    /// [`time::pause`](crate::time::pause) were called first (default
    /// false). Only the current-thread runtime supports paused time.
    ///
    /// ```
    /// use heddle::time::{sleep, Duration, Instant};
    ///
    /// let rt = heddle::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
    /// let real = std::time::Instant::now();
    /// rt.block_on(async {
    ///     let start = Instant::now();
    ///     sleep(Duration::from_secs(3600)).await; // auto-advanced: instant
    ///     assert!(start.elapsed() >= Duration::from_secs(3600));
    /// });
    /// assert!(real.elapsed() < Duration::from_secs(60));
    /// ```
    ///
    /// # Panics
    /// `build` panics if this is set on a multi-thread runtime.
    pub fn start_paused(&mut self, start_paused: bool) -> &mut Builder {
        self.start_paused = start_paused;
        self
    }

    /// Creates the runtime.
    pub fn build(&mut self) -> io::Result<Runtime> {
        match self.flavor {
            Flavor::CurrentThread => current_thread::build(self, false),
            Flavor::MultiThread => multi_thread::build(self, self.resolved_worker_threads()?),
        }
    }

    /// Creates a [`LocalRuntime`]: a current-thread runtime tied to this
    /// thread, whose [`spawn_local`](LocalRuntime::spawn_local) (and
    /// [`task::spawn_local`](crate::task::spawn_local) inside it) runs
    /// `!Send` futures without a [`LocalSet`](crate::task::LocalSet).
    ///
    /// ```
    /// use heddle::runtime::{Builder, LocalOptions};
    ///
    /// let rt = Builder::new_current_thread().enable_all().build_local(LocalOptions::default()).unwrap();
    /// let text = std::rc::Rc::new("not Send");
    /// let out = rt.block_on(async move { heddle::task::spawn_local(async move { *text }).await.unwrap() });
    /// assert_eq!(out, "not Send");
    /// ```
    ///
    /// # Panics
    /// On a [`new_multi_thread`](Builder::new_multi_thread) builder: a
    /// local runtime runs on one thread only (tokio panics the same way).
    #[track_caller]
    pub fn build_local(&mut self, options: LocalOptions) -> io::Result<LocalRuntime> {
        match self.flavor {
            Flavor::CurrentThread => Ok(LocalRuntime::new_from(current_thread::build(self, true)?, options)),
            Flavor::MultiThread => panic!("multi_thread is not supported for LocalRuntime"),
        }
    }

    pub(crate) fn driver_config(&self, workers: usize) -> DriverConfig {
        DriverConfig {
            enable_io: self.enable_io,
            enable_time: self.enable_time,
            event_capacity: self.max_io_events_per_tick,
            busy_event_capacity: self.max_io_events_per_busy_tick,
            reactors: workers,
            timer_shards: workers,
            timer_spin_us: self.timer_spin.as_micros().min(10_000) as u64,
            enable_pausing: self.flavor == Flavor::CurrentThread,
            start_paused: self.start_paused,
        }
    }

    fn resolved_worker_threads(&self) -> io::Result<usize> {
        if let Some(n) = self.worker_threads {
            return Ok(n);
        }
        match std::env::var(WORKER_THREADS_ENV) {
            Ok(value) => match value.trim().parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{WORKER_THREADS_ENV} must be a positive integer, got {value:?}"),
                )),
            },
            Err(_) => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
        }
    }
}

/// Default deadline used by `Drop for Runtime` on the multi-thread runtime
/// to wait for workers to exit.
pub(crate) const DEFAULT_SHUTDOWN_WAIT: Duration = Duration::from_secs(10);
