//! The timer driver: a microsecond wheel behind one lock, and a timerfd
//! that wakes the poller at the exact deadline.
//!
//! epoll's own timeout has millisecond resolution (the reason tokio's
//! `sleep(100µs)` wakes ~1 ms late). Here the earliest deadline is armed on
//! a timerfd with an absolute CLOCK_MONOTONIC time, so the parked thread
//! wakes within microseconds of it.
//!
//! Time is counted in ticks of 1 µs since the driver started. Deadlines
//! round up to a tick (a timer never fires early); "now" rounds down.
//!
//! The lock is taken to insert, remove or fire timers. A lock-free hint of
//! the earliest deadline lets each driver turn skip the lock when nothing is
//! due.

mod entry;
mod wheel;

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;
use std::time::Instant;

pub(crate) use entry::TimerEntry;
pub(crate) use wheel::TimerKey;
use wheel::Wheel;

use crate::loom::sync::atomic::{AtomicU64, Ordering::*};
use crate::loom::sync::Mutex;

/// The shared timer state.
pub(crate) struct TimeHandle {
    start: Instant,
    /// CLOCK_MONOTONIC at `start` (std's `Instant` reads the same clock).
    start_ns: u64,
    timerfd: OwnedFd,
    state: Mutex<TimeState>,
    /// A lower bound of the earliest pending deadline (u64::MAX: none).
    next_wake: AtomicU64,
}

struct TimeState {
    wheel: Wheel<Arc<TimerEntry>>,
    /// The tick the timerfd is armed for (u64::MAX: disarmed).
    armed: u64,
    /// Reused buffer of wakers to wake after unlocking.
    fired: Vec<std::task::Waker>,
}

fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid out-pointer; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl TimeHandle {
    pub(crate) fn new() -> io::Result<TimeHandle> {
        // SAFETY: plain syscall; the result is checked.
        let fd = unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just created and is owned by nobody else.
        let timerfd = unsafe { OwnedFd::from_raw_fd(fd) };
        let (start, start_ns) = (Instant::now(), monotonic_ns());
        Ok(TimeHandle {
            start,
            start_ns,
            timerfd,
            state: Mutex::new(TimeState { wheel: Wheel::new(), armed: u64::MAX, fired: Vec::new() }),
            next_wake: AtomicU64::new(u64::MAX),
        })
    }

    pub(crate) fn timerfd(&self) -> i32 {
        self.timerfd.as_raw_fd()
    }

    /// The tick of `deadline`, rounded up.
    pub(crate) fn deadline_to_tick(&self, deadline: Instant) -> u64 {
        let d = deadline.saturating_duration_since(self.start);
        let us = d.as_micros();
        let rounded = if d.subsec_nanos() % 1000 != 0 { us + 1 } else { us };
        u64::try_from(rounded).unwrap_or(u64::MAX)
    }

    /// The current tick, rounded down.
    pub(crate) fn now_tick(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    /// Adds a timer that fires `entry` at `tick`.
    pub(crate) fn insert(&self, tick: u64, entry: Arc<TimerEntry>) -> TimerKey {
        let mut state = self.state.lock().unwrap();
        let key = state.wheel.insert(tick, entry);
        if tick < self.next_wake.load(Relaxed) {
            self.next_wake.store(tick, Release);
        }
        if tick < state.armed {
            self.arm(&mut state, tick);
        }
        key
    }

    /// Moves a pending timer to `tick`; false if it already fired.
    pub(crate) fn reset(&self, key: TimerKey, tick: u64) -> bool {
        let mut state = self.state.lock().unwrap();
        if !state.wheel.reset(key, tick) {
            return false;
        }
        if tick < self.next_wake.load(Relaxed) {
            self.next_wake.store(tick, Release);
        }
        if tick < state.armed {
            self.arm(&mut state, tick);
        }
        true
    }

    /// Cancels a pending timer (no-op if it already fired).
    pub(crate) fn remove(&self, key: TimerKey) {
        let removed = self.state.lock().unwrap().wheel.remove(key);
        drop(removed);
    }

    /// True if some timer may be due now: the poller must not block.
    pub(crate) fn is_due(&self) -> bool {
        self.next_wake.load(Acquire) <= self.now_tick()
    }

    /// Fires every due timer and re-arms the timerfd for the next one.
    pub(crate) fn process(&self) {
        let now = self.now_tick();
        if self.next_wake.load(Acquire) > now {
            return;
        }
        let mut wakers = {
            let mut state = self.state.lock().unwrap();
            let mut fired = std::mem::take(&mut state.fired);
            state.wheel.advance(now, |_, entry| fired.extend(entry.fire()));
            let next = state.wheel.next_deadline().unwrap_or(u64::MAX);
            self.next_wake.store(next, Release);
            if next != state.armed {
                self.arm(&mut state, next);
            }
            fired
        };
        for waker in wakers.drain(..) {
            waker.wake();
        }
        // Hand the (empty) buffer back for the next turn.
        let mut state = self.state.lock().unwrap();
        if state.fired.capacity() < wakers.capacity() {
            state.fired = wakers;
        }
    }

    /// Drains the timerfd's expiry count after it fired.
    pub(crate) fn clear_timerfd(&self) {
        let mut buf = [0u8; 8];
        // SAFETY: reading 8 bytes into an 8-byte buffer from our own fd; a
        // failure (EAGAIN) just means nothing was pending.
        unsafe { libc::read(self.timerfd.as_raw_fd(), buf.as_mut_ptr().cast(), 8) };
    }

    /// Arms the timerfd for `tick` (u64::MAX disarms it). Caller holds the lock.
    fn arm(&self, state: &mut TimeState, tick: u64) {
        state.armed = tick;
        let spec = if tick == u64::MAX {
            libc::itimerspec { it_interval: zero_ts(), it_value: zero_ts() }
        } else {
            let ns = self.start_ns.saturating_add(tick.saturating_mul(1000)).max(1);
            let value = libc::timespec { tv_sec: (ns / 1_000_000_000) as _, tv_nsec: (ns % 1_000_000_000) as _ };
            libc::itimerspec { it_interval: zero_ts(), it_value: value }
        };
        // SAFETY: valid fd and itimerspec; an absolute time already past
        // makes the timerfd fire at once, which is what we want.
        unsafe {
            libc::timerfd_settime(self.timerfd.as_raw_fd(), libc::TFD_TIMER_ABSTIME, &spec, std::ptr::null_mut())
        };
    }

    /// Number of pending timers.
    pub(crate) fn pending(&self) -> usize {
        self.state.lock().unwrap().wheel.len()
    }

    /// Runtime shutdown: fire every timer so no task waits forever.
    pub(crate) fn shutdown(&self) {
        let mut wakers = Vec::new();
        {
            let mut state = self.state.lock().unwrap();
            state.wheel.advance(u64::MAX, |_, entry| wakers.extend(entry.fire()));
            self.next_wake.store(u64::MAX, Release);
        }
        for w in wakers {
            w.wake();
        }
    }
}

fn zero_ts() -> libc::timespec {
    libc::timespec { tv_sec: 0, tv_nsec: 0 }
}
