//! The driver: what a runtime thread runs when it has no task to poll.
//!
//! One [`Driver`] per worker thread (one in all on the current-thread
//! runtime), owned by whichever thread is parked on it, combines that
//! worker's I/O reactor ([`io`]) with the runtime's timers ([`time`]); the
//! [`DriverHandle`] is shared by every thread and by every socket and timer.
//!
//! A park is: (1) if a timer is due, don't block; (2) wait in epoll for
//! I/O, the cross-thread waker, or the timerfd; (3) fire due timers.

pub(crate) mod io;
pub(crate) mod time;

use std::time::Duration;

use self::io::{IoDriver, IoHandle};
use self::time::TimeHandle;
use crate::runtime::stats::RuntimeStats;

/// What a driver turn saw.
struct Turn {
    io_events: u64,
    unparked: bool,
    fired: u64,
}

/// The parking side, owned by one thread at a time.
pub(crate) struct Driver {
    io: IoDriver,
}

/// The shared side.
pub(crate) struct DriverHandle {
    pub(crate) io: IoHandle,
    pub(crate) time: TimeHandle,
    pub(crate) io_enabled: bool,
    pub(crate) time_enabled: bool,
    /// Runtime-wide counters (`RuntimeMetrics`).
    pub(crate) stats: crate::runtime::stats::RuntimeStats,
}

/// What the builder enabled.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DriverConfig {
    pub(crate) enable_io: bool,
    pub(crate) enable_time: bool,
    pub(crate) event_capacity: usize,
    /// Events per turn that does not wait (None: `event_capacity`).
    pub(crate) busy_event_capacity: Option<usize>,
    /// One reactor (and `Driver`) per worker thread.
    pub(crate) reactors: usize,
    /// One timer wheel per worker thread.
    pub(crate) timer_shards: usize,
    /// Poll instead of sleeping this long before a timer deadline.
    pub(crate) timer_spin_us: u64,
    /// `time::pause` is allowed (current-thread runtime).
    pub(crate) enable_pausing: bool,
    /// The clock starts paused.
    pub(crate) start_paused: bool,
}

impl Driver {
    /// `cfg.reactors` drivers and their shared handle.
    pub(crate) fn new(cfg: DriverConfig) -> std::io::Result<(Vec<Driver>, DriverHandle)> {
        let (ios, io_handle) = IoDriver::new(cfg.reactors, cfg.event_capacity, cfg.busy_event_capacity)?;
        let time = TimeHandle::new(cfg.timer_shards, cfg.timer_spin_us, cfg.enable_pausing, cfg.start_paused)?;
        let exclusive = ios.len() > 1;
        for io in &ios {
            io.register_timer(time.timerfd(), exclusive)?;
        }
        let handle = DriverHandle {
            io: io_handle,
            time,
            io_enabled: cfg.enable_io,
            time_enabled: cfg.enable_time,
            stats: Default::default(),
        };
        Ok((ios.into_iter().map(|io| Driver { io }).collect(), handle))
    }

    /// Blocks until an event, a due timer, an `unpark`, or `timeout`.
    pub(crate) fn park(&mut self, handle: &DriverHandle, timeout: Option<Duration>) {
        let time = &handle.time;
        if time.clock.is_virtual() && timeout.is_none() && self.park_paused(handle) {
            return;
        }
        if time.is_due_within_spin() && !time.is_due() && timeout.is_none() {
            // The next timer is due within the spin window: poll until it
            // is, or until anything else happens, rather than let the CPU
            // sleep and pay its wake-up latency (see `Builder::timer_spin`).
            // The bound is a lower one (a wheel slot's start): reaching it
            // may only move timers to a finer level, and the bound far
            // away; then stop, and sleep until the new bound.
            loop {
                let outcome = self.turn(handle, Some(Duration::ZERO));
                if outcome.io_events > 0 || outcome.unparked || outcome.fired > 0 || time.is_due() {
                    break;
                }
                if !time.worth_spinning_for() {
                    break;
                }
                std::hint::spin_loop();
            }
            return;
        }
        if time.is_due() {
            let _ = self.turn(handle, Some(Duration::ZERO));
            return;
        }
        // The earliest deadline (a lower bound) as we go to sleep.
        let bound = time.next_wake_tick();
        let outcome = self.turn(handle, timeout);
        if outcome.fired > 0 {
            if let Some(bound) = bound {
                time.check_wake_lateness(bound);
            }
        }
    }

    /// Parks with the clock paused: rather than sleep until the next timer,
    /// look for other events without blocking and, if there are none, move
    /// the clock to that timer's deadline and fire it (tokio's auto-advance).
    /// False if the clock runs, a blocking task is in flight, or no timer is
    /// pending: park normally then.
    fn park_paused(&mut self, handle: &DriverHandle) -> bool {
        let time = &handle.time;
        if !time.clock.can_auto_advance() {
            return false;
        }
        let Some(next) = time.next_wake_tick() else { return false };
        let outcome = self.turn(handle, Some(Duration::ZERO));
        if outcome.io_events == 0 && !outcome.unparked && outcome.fired == 0 {
            time.clock.advance_to(time.tick_to_instant(next));
            RuntimeStats::add(&handle.stats.timers_fired, time.process());
        }
        true
    }

    /// Polls for events without blocking (a busy runtime still needs to
    /// see I/O and timers).
    pub(crate) fn poll_now(&mut self, handle: &DriverHandle) {
        let _ = self.turn(handle, Some(Duration::ZERO));
    }

    /// What a busy worker does between task polls: a non-blocking turn
    /// if its reactor holds sockets; otherwise only fire the timers that
    /// are due, sparing an `epoll_wait` that could find nothing else.
    pub(crate) fn maintain(&mut self, handle: &DriverHandle) {
        if handle.io.has_sources(self.io.index()) {
            self.poll_now(handle);
        } else if handle.time.is_due() {
            RuntimeStats::add(&handle.stats.timers_fired, handle.time.process());
        }
    }

    fn turn(&mut self, handle: &DriverHandle, timeout: Option<Duration>) -> Turn {
        let outcome = self.io.turn(&handle.io, timeout);
        RuntimeStats::add(&handle.stats.io_ready, outcome.io_events);
        if outcome.timer_fired {
            handle.time.clear_timerfd();
        }
        let fired = handle.time.process();
        RuntimeStats::add(&handle.stats.timers_fired, fired);
        Turn { io_events: outcome.io_events, unparked: outcome.unparked, fired }
    }
}

impl DriverHandle {
    /// Wakes the threads parked in the drivers (the one thread, on the
    /// current-thread runtime).
    pub(crate) fn unpark(&self) {
        self.io.unpark_all();
    }

    /// Wakes everything waiting on I/O or timers with a shutdown.
    pub(crate) fn shutdown(&self) {
        self.io.shutdown();
        self.time.shutdown();
    }
}
