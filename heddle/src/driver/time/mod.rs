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
//! There is one wheel (and lock) per worker; a timer goes into the wheel of
//! the thread that first polls it. A lock-free lower bound of the earliest
//! deadline lets each driver turn skip every lock when nothing is due.
//!
//! Tests may pause the runtime's clock (`clock.rs`); then "now" is read
//! from the paused clock instead of the OS, at the cost of one relaxed load
//! per reading when it is not paused.

pub(crate) mod clock;
mod entry;
mod spin_window;
mod wheel;

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Instant;

use clock::Clock;
pub(crate) use entry::{EntryRef, TimerEntry};
use spin_window::SpinWindow;
use wheel::{TimerKey as WheelKey, Wheel};

use crate::loom::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use crate::loom::sync::Mutex;
use crate::util::cache_line::CacheLine;
use crate::util::spin;

/// The shared timer state.
pub(crate) struct TimeHandle {
    start: Instant,
    /// CLOCK_MONOTONIC at `start` (std's `Instant` reads the same clock).
    start_ns: u64,
    timerfd: OwnedFd,
    /// One wheel per worker, so workers inserting and cancelling timers do
    /// not fight over one lock. A timer stays in the shard it was put in.
    shards: Box<[Mutex<Shard>]>,
    /// A lower bound of the earliest pending deadline over all shards
    /// (u64::MAX: none).
    next_wake: AtomicU64,
    /// "Now" as of the driver's last `process` (a lower bound of now).
    /// Written every driver turn: kept off `next_wake`'s line.
    recent_tick: CacheLine<AtomicU64>,
    /// The runtime shut its timers down: nothing will fire any more.
    shut_down: AtomicBool,
    /// The tick the timerfd is armed for (u64::MAX: disarmed); the lock
    /// orders `timerfd_settime` calls.
    armed: Mutex<u64>,
    /// Lock-free copy of `armed`, to skip the lock when no re-arm is needed.
    armed_hint: AtomicU64,
    /// Wakers of fired timers, woken after the shard locks are released;
    /// only the driver's owner takes this lock. Reused to avoid allocating.
    fired: Mutex<Vec<std::task::Waker>>,
    /// How long before a deadline the driver stops sleeping and polls.
    spin: SpinWindow,
    /// The clock, which tests may pause.
    pub(crate) clock: Clock,
}

struct Shard {
    wheel: Wheel<EntryRef>,
}

/// Identifies a pending timer: its shard and its key in that shard's wheel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerKey {
    shard: u32,
    key: WheelKey,
}

/// How far past the driver's last clock reading a deadline must be for a
/// new timer to skip reading the clock ([`TimeHandle::surely_pending`]).
const SURELY_PENDING_US: u64 = 1_000;

fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid out-pointer; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl TimeHandle {
    /// A timer driver with `shards` wheels (one per worker thread) that
    /// polls instead of sleeping for the last `spin_us` µs before a deadline,
    /// on `clock`.
    pub(crate) fn new(shards: usize, spin_us: u64, enable_pausing: bool, start_paused: bool) -> io::Result<TimeHandle> {
        // SAFETY: plain syscall; the result is checked.
        let fd = unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just created and is owned by nobody else.
        let timerfd = unsafe { OwnedFd::from_raw_fd(fd) };
        let (start, start_ns) = (Instant::now(), monotonic_ns());
        let clock = Clock::new(enable_pausing, start_paused, start);
        Ok(TimeHandle {
            start,
            start_ns,
            timerfd,
            shards: (0..shards.max(1)).map(|_| Mutex::new(Shard { wheel: Wheel::new() })).collect(),
            next_wake: AtomicU64::new(u64::MAX),
            recent_tick: CacheLine(AtomicU64::new(0)),
            shut_down: AtomicBool::new(false),
            armed: Mutex::new(u64::MAX),
            armed_hint: AtomicU64::new(u64::MAX),
            fired: Mutex::new(Vec::new()),
            spin: SpinWindow::new(spin_us),
            clock,
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
    #[inline]
    pub(crate) fn now_tick(&self) -> u64 {
        if self.clock.is_virtual() {
            return self.clock.now().saturating_duration_since(self.start).as_micros() as u64;
        }
        self.start.elapsed().as_micros() as u64
    }

    /// The runtime's current time (the paused clock's, if paused).
    pub(crate) fn now(&self) -> Instant {
        if self.clock.is_virtual() {
            return self.clock.now();
        }
        Instant::now()
    }

    /// The instant of `tick`.
    pub(crate) fn tick_to_instant(&self, tick: u64) -> Instant {
        self.start + std::time::Duration::from_micros(tick)
    }

    /// A lower bound of the earliest pending deadline, if any timer may be
    /// pending.
    pub(crate) fn next_wake_tick(&self) -> Option<u64> {
        Some(self.next_wake.load(Acquire)).filter(|&t| t != u64::MAX)
    }

    /// True if `tick` is so far past the driver's last clock reading that
    /// it cannot be due yet, so a new timer can skip an exact clock read.
    ///
    /// That reading is at most a driver turn old, and a turn comes at least
    /// every few dozen task polls on a busy worker; should it be older than
    /// [`SURELY_PENDING_US`], a timer already due is still inserted, and
    /// fires at the next turn instead of at once: late, never early. Never
    /// skipped while a test controls the clock.
    #[inline]
    pub(crate) fn surely_pending(&self, tick: u64) -> bool {
        tick > self.recent_tick.load(Relaxed).saturating_add(SURELY_PENDING_US) && !self.clock.is_virtual()
    }

    /// Adds a timer that fires `entry` at `tick`, in this thread's shard.
    ///
    /// # Safety
    /// `entry` must stay alive, and must not be cleared or re-armed, until
    /// a [`remove`](Self::remove) or [`reset`](Self::reset) of the returned
    /// key has returned (`entry.rs` explains why seeing it fired is not
    /// enough).
    pub(crate) unsafe fn insert(&self, tick: u64, entry: &TimerEntry) -> TimerKey {
        let shard = crate::runtime::context::worker_index_hint() % self.shards.len();
        let key = self.shards[shard].lock().unwrap().wheel.insert(tick, EntryRef::new(entry));
        self.lower_next_wake(tick);
        TimerKey { shard: shard as u32, key }
    }

    /// Moves a pending timer to `tick`; false if it already fired (the
    /// driver is then done with its entry).
    pub(crate) fn reset(&self, key: TimerKey, tick: u64) -> bool {
        if !self.shards[key.shard as usize].lock().unwrap().wheel.reset(key.key, tick) {
            return false;
        }
        self.lower_next_wake(tick);
        true
    }

    /// Cancels a pending timer (no-op if it already fired). On return the
    /// driver is done with its entry.
    pub(crate) fn remove(&self, key: TimerKey) {
        self.shards[key.shard as usize].lock().unwrap().wheel.remove(key.key);
    }

    /// A timer at `tick` was added: make sure the poller wakes by then.
    fn lower_next_wake(&self, tick: u64) {
        // A server arming a long timeout per request mostly adds deadlines
        // after the earliest one: a load then spares the read-modify-write.
        // (A racing `process` resetting the bound to MAX before lowering
        // it again reads every shard under its lock, ours included.)
        if tick < self.next_wake.load(Acquire) {
            self.next_wake.fetch_min(tick, AcqRel);
        }
        if tick < self.armed_hint.load(Acquire) {
            let mut armed = self.armed.lock().unwrap();
            if tick < *armed {
                self.arm(&mut armed, tick);
            }
        }
    }

    /// True if some timer may be due now: the poller must not block.
    pub(crate) fn is_due(&self) -> bool {
        self.next_wake.load(Acquire) <= self.now_tick()
    }

    /// True if the next timer is due within the spin window (closed while
    /// stood down) plus `extra` µs: close enough that polling beats
    /// sleeping (a parked virtual CPU takes tens of µs to wake). One clock
    /// reading for both.
    fn is_due_within_spin_window(&self, extra: u64) -> bool {
        let now = self.now_tick();
        let window = self.spin.at(now);
        window > 0 && self.next_wake.load(Acquire) <= now.saturating_add(window).saturating_add(extra)
    }

    /// True if the driver should poll rather than sleep for the next timer.
    pub(crate) fn is_due_within_spin(&self) -> bool {
        self.is_due_within_spin_window(0)
    }

    /// While the driver spins for a timer: true if the next wake-up is
    /// still close enough to keep spinning. The wake-up is a lower bound
    /// (a wheel slot's start); reaching it moves timers to a finer level
    /// and the bound by up to a finest-level span (keep spinning: the
    /// deadline is that close) or much further (a coarse slot: sleep).
    pub(crate) fn worth_spinning_for(&self) -> bool {
        self.is_due_within_spin_window(wheel::FINEST_LEVEL_SPAN)
    }

    /// How long before a deadline the driver polls instead of sleeping,
    /// in µs (0 while polling is stood down, see `spin_window.rs`).
    fn spin_window(&self) -> u64 {
        self.spin.at(self.now_tick())
    }

    /// After a sleep that fired timers, whose earliest deadline was at
    /// least `bound`: if they fired more than `LATE_WAKE_US` late while
    /// more threads want to run than there are CPUs, the thread is kept
    /// waiting for a CPU (see `spin_window.rs`). Stop spinning for a while,
    /// and arm the timerfd for the deadline itself rather than the start
    /// of the spin window, since nobody will poll that stretch.
    pub(crate) fn check_wake_lateness(&self, bound: u64) {
        let now = self.now_tick();
        if self.spin.at(now) == 0 || now.saturating_sub(bound) <= spin_window::LATE_WAKE_US {
            return;
        }
        if !spin::cpus_oversubscribed() {
            // The host paused the virtual CPU, or one long task poll held
            // the thread: spinning did not cause it.
            return;
        }
        self.spin.stand_down(now);
        let mut armed = self.armed.lock().unwrap();
        let tick = *armed;
        if tick != u64::MAX {
            self.arm(&mut armed, tick);
        }
    }

    /// Fires every due timer and re-arms the timerfd for the next one;
    /// returns how many fired. Called by the thread that owns the driver.
    pub(crate) fn process(&self) -> u64 {
        let now = self.now_tick();
        self.recent_tick.store(now, Relaxed);
        if self.next_wake.load(Acquire) > now {
            return 0;
        }
        // Timers added while we scan lower this again with `fetch_min`.
        self.next_wake.store(u64::MAX, Release);
        let mut earliest = u64::MAX;
        let mut fired = self.fired.lock().unwrap();
        for shard in self.shards.iter() {
            let mut shard = shard.lock().unwrap();
            // SAFETY: we hold the shard's lock, and an entry's owner keeps it
            // alive until it has taken that lock after the insert (`insert`).
            shard.wheel.advance(now, |_, entry| fired.extend(unsafe { entry.get() }.fire()));
            earliest = earliest.min(shard.wheel.next_deadline().unwrap_or(u64::MAX));
        }
        self.next_wake.fetch_min(earliest, AcqRel);
        let target = self.next_wake.load(Acquire);
        {
            let mut armed = self.armed.lock().unwrap();
            if target != *armed {
                self.arm(&mut armed, target);
            }
        }
        let count = fired.len() as u64;
        for waker in fired.drain(..) {
            waker.wake();
        }
        count
    }

    /// Drains the timerfd's expiry count after it fired.
    pub(crate) fn clear_timerfd(&self) {
        let mut buf = [0u8; 8];
        // SAFETY: reading 8 bytes into an 8-byte buffer from our own fd; a
        // failure (EAGAIN) just means nothing was pending.
        unsafe { libc::read(self.timerfd.as_raw_fd(), buf.as_mut_ptr().cast(), 8) };
    }

    /// Arms the timerfd for `tick` (u64::MAX disarms it). Caller holds the
    /// `armed` lock.
    fn arm(&self, armed: &mut u64, tick: u64) {
        *armed = tick;
        self.armed_hint.store(tick, Release);
        // The timerfd runs on the OS clock: a clock that was paused (and
        // maybe advanced) is ahead of it by a fixed amount once resumed.
        let tick = if tick != u64::MAX && self.clock.is_virtual() {
            let ahead = self.now_tick().saturating_sub(self.start.elapsed().as_micros() as u64);
            tick.saturating_sub(ahead)
        } else {
            tick
        };
        // Wake early by the spin window; the driver polls the rest.
        let tick = if tick == u64::MAX { tick } else { tick.saturating_sub(self.spin_window()) };
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
        self.shards.iter().map(|s| s.lock().unwrap().wheel.len()).sum()
    }

    /// True once [`shutdown`](Self::shutdown) has begun: a timer inserted
    /// from then on would never fire.
    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut_down.load(SeqCst)
    }

    /// Runtime shutdown: fire every timer so no task waits forever.
    pub(crate) fn shutdown(&self) {
        // Before the shard locks: an insert that takes a lock after this
        // finds the flag set (see `Sleep`).
        self.shut_down.store(true, SeqCst);
        let mut wakers = Vec::new();
        for shard in self.shards.iter() {
            // SAFETY: as in `process`: under the shard's lock.
            shard.lock().unwrap().wheel.advance(u64::MAX, |_, entry| wakers.extend(unsafe { entry.get() }.fire()));
        }
        self.next_wake.store(u64::MAX, Release);
        for w in wakers {
            w.wake();
        }
    }
}

fn zero_ts() -> libc::timespec {
    libc::timespec { tv_sec: 0, tv_nsec: 0 }
}
