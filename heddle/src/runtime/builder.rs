//! `Builder`: configures and creates a [`Runtime`](super::Runtime).

use std::io;
use std::time::Duration;

use super::{current_thread, multi_thread, Runtime};
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

    /// Enables the time driver (`sleep`, `timeout`, `interval`).
    pub fn enable_time(&mut self) -> &mut Builder {
        self.enable_time = true;
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
    /// close.
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
            Flavor::CurrentThread => current_thread::build(self),
            Flavor::MultiThread => multi_thread::build(self, self.resolved_worker_threads()?),
        }
    }

    pub(crate) fn driver_config(&self, workers: usize) -> DriverConfig {
        DriverConfig {
            enable_io: self.enable_io,
            enable_time: self.enable_time,
            event_capacity: 1024,
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
