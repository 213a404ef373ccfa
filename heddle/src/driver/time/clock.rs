//! The runtime's clock, which tests may pause, advance and resume.
//!
//! Normally a runtime's time is the OS monotonic clock and this type is
//! never consulted: [`TimeHandle`](super::TimeHandle) checks one relaxed
//! flag ([`Clock::is_virtual`]) and reads `std::time::Instant` directly.
//! Once [`pause`](crate::time::pause) (or `Builder::start_paused`) froze the
//! clock, the flag stays set for the runtime's life and "now" comes from
//! here instead:
//!
//! ```text
//!   frozen:   now = base                    (advance: base += d)
//!   running:  now = base + unfrozen.elapsed()
//! ```
//!
//! The driver (see `Driver::park`) auto-advances a frozen clock to the next
//! timer's deadline when the runtime has nothing else to do, as tokio does.
//! Pausing is only allowed on the current-thread runtime: with several
//! workers there is no single point at which "nothing else to do" holds.

use std::time::{Duration, Instant};

use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use crate::loom::sync::Mutex;

/// Set once any runtime's clock has been paused in this process, so that
/// [`crate::time::Instant::now`] knows to ask the runtime (one relaxed load
/// otherwise).
pub(crate) static DID_PAUSE_CLOCK: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A pausable clock; see the module docs.
pub(crate) struct Clock {
    /// Pausing is allowed (current-thread runtimes only).
    enable_pausing: bool,
    /// The timer driver's tick 0: a paused clock is kept on whole ticks
    /// (µs) from it, so a deadline `now + d` is exactly a tick and
    /// `advance(d)` fires the timers due at exactly `now + d`.
    start: Instant,
    /// The clock has been paused at least once: read it instead of the OS.
    is_virtual: AtomicBool,
    /// Blocking-pool tasks in flight on a paused runtime: while any runs,
    /// the runtime is not idle, so the clock must not auto-advance.
    inhibit_auto_advance: AtomicUsize,
    inner: Mutex<Inner>,
}

struct Inner {
    /// The clock's reading when it was frozen (or last unfrozen).
    base: Instant,
    /// When the clock was last unfrozen; None while frozen.
    unfrozen: Option<Instant>,
}

/// `time::pause()` on a runtime that does not allow it.
pub(crate) const PAUSE_NEEDS_CURRENT_THREAD: &str = "`time::pause()` requires the `current_thread` heddle runtime. \
     This is the default Runtime used by `#[heddle::test]`.";

impl Clock {
    /// A clock reading the OS clock, whose timer ticks count from `start`;
    /// `enable_pausing` allows `pause`, and `start_paused` pauses it right
    /// away.
    ///
    /// # Panics
    /// If `start_paused` is set without `enable_pausing`.
    #[track_caller]
    pub(crate) fn new(enable_pausing: bool, start_paused: bool, start: Instant) -> Clock {
        let now = Instant::now();
        let clock = Clock {
            enable_pausing,
            start,
            is_virtual: AtomicBool::new(false),
            inhibit_auto_advance: AtomicUsize::new(0),
            inner: Mutex::new(Inner { base: now, unfrozen: Some(now) }),
        };
        if start_paused {
            if let Err(msg) = clock.pause() {
                panic!("{msg}");
            }
        }
        clock
    }

    /// True once the clock has been paused: `now()` must be used.
    #[inline(always)]
    pub(crate) fn is_virtual(&self) -> bool {
        self.is_virtual.load(Relaxed)
    }

    /// The clock's current reading.
    pub(crate) fn now(&self) -> Instant {
        let inner = self.inner.lock().unwrap();
        match inner.unfrozen {
            Some(since) => inner.base + since.elapsed(),
            None => inner.base,
        }
    }

    /// Freezes the clock.
    pub(crate) fn pause(&self) -> Result<(), &'static str> {
        if !self.enable_pausing {
            return Err(PAUSE_NEEDS_CURRENT_THREAD);
        }
        let mut inner = self.inner.lock().unwrap();
        let Some(since) = inner.unfrozen else { return Err("time is already frozen") };
        // Round up to a whole tick: never backwards, and by under 1 µs.
        let elapsed = (inner.base + since.elapsed()).saturating_duration_since(self.start);
        let us = elapsed.as_micros() + u128::from(elapsed.subsec_nanos() % 1000 != 0);
        inner.base = self.start + Duration::from_micros(u64::try_from(us).unwrap_or(u64::MAX));
        inner.unfrozen = None;
        DID_PAUSE_CLOCK.store(true, Relaxed);
        self.is_virtual.store(true, Relaxed);
        Ok(())
    }

    /// Lets the clock run again from where it stands.
    pub(crate) fn resume(&self) -> Result<(), &'static str> {
        let mut inner = self.inner.lock().unwrap();
        if inner.unfrozen.is_some() {
            return Err("time is not frozen");
        }
        inner.unfrozen = Some(Instant::now());
        Ok(())
    }

    /// True while the clock is frozen.
    pub(crate) fn is_frozen(&self) -> bool {
        self.is_virtual() && self.inner.lock().unwrap().unfrozen.is_none()
    }

    /// True if the runtime may jump the clock to the next timer when idle.
    pub(crate) fn can_auto_advance(&self) -> bool {
        self.inhibit_auto_advance.load(Acquire) == 0 && self.is_frozen()
    }

    /// A blocking task started: no auto-advance until [`allow_auto_advance`](Self::allow_auto_advance).
    pub(crate) fn inhibit_auto_advance(&self) {
        self.inhibit_auto_advance.fetch_add(1, AcqRel);
    }

    /// The blocking task that called `inhibit_auto_advance` finished.
    pub(crate) fn allow_auto_advance(&self) {
        self.inhibit_auto_advance.fetch_sub(1, AcqRel);
    }

    /// Moves a frozen clock forward by `duration`.
    pub(crate) fn advance(&self, duration: Duration) -> Result<(), &'static str> {
        let mut inner = self.inner.lock().unwrap();
        if inner.unfrozen.is_some() {
            return Err("time is not frozen");
        }
        inner.base = inner.base.checked_add(duration).ok_or("time advanced too far: `Instant` overflow")?;
        Ok(())
    }

    /// Moves a frozen clock forward to `target` (never backwards). False if
    /// the clock is not frozen.
    pub(crate) fn advance_to(&self, target: Instant) -> bool {
        let mut inner = self.inner.lock().unwrap();
        if inner.unfrozen.is_some() {
            return false;
        }
        if target > inner.base {
            inner.base = target;
        }
        true
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_moves_only_when_advanced() {
        let start = Instant::now();
        let clock = Clock::new(true, true, start);
        assert!(clock.is_virtual() && clock.is_frozen() && clock.can_auto_advance());
        clock.inhibit_auto_advance();
        assert!(!clock.can_auto_advance());
        clock.allow_auto_advance();
        assert!(clock.can_auto_advance());
        let t0 = clock.now();
        assert_eq!(t0.duration_since(start).subsec_nanos() % 1000, 0, "paused clock is on the tick grid");
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(clock.now(), t0);
        clock.advance(Duration::from_secs(3600)).unwrap();
        assert_eq!(clock.now(), t0 + Duration::from_secs(3600));
        assert!(clock.advance_to(t0));
        assert_eq!(clock.now(), t0 + Duration::from_secs(3600), "advance_to went backwards");
        assert_eq!(clock.pause(), Err("time is already frozen"));
        clock.resume().unwrap();
        assert_eq!(clock.resume(), Err("time is not frozen"));
        assert_eq!(clock.advance(Duration::from_secs(1)), Err("time is not frozen"));
        assert!(clock.now() >= t0 + Duration::from_secs(3600));
        assert!(clock.is_virtual() && !clock.is_frozen());
    }

    #[test]
    fn pausing_can_be_disallowed() {
        let clock = Clock::new(false, false, Instant::now());
        assert_eq!(clock.pause(), Err(PAUSE_NEEDS_CURRENT_THREAD));
        assert!(!clock.is_virtual());
    }
}
