//! How long before a timer deadline the driver polls instead of sleeping,
//! and when it stops doing so because other processes want the CPUs.
//!
//! Polling the last few tens of µs before a deadline wakes a timer within
//! a few µs of it, where a sleeping virtual CPU takes tens of µs to wake.
//! But a thread that polls half of the time looks CPU-bound to the OS
//! scheduler: next to busy processes it no longer gets the quick wake-up a
//! sleeper gets, and once its time slice is taken mid-poll it waits whole
//! slices (milliseconds) for the next one. Under two busy loops on two
//! CPUs that made `sleep(100 µs)` wake 1.6–4.4 ms late at p99, where a plain
//! thread's `nanosleep` stayed within 70 µs.
//!
//! So a poll that finds it lost its CPU (a gap in its clock readings)
//! stands the window down: no polling for a pause (10 ms, doubling while
//! the preemptions keep coming, up to 1 s); the timerfd is then armed for
//! the deadline itself and the thread sleeps, like that plain thread.
//!
//! ```text
//!            poll preempted                 pause over
//!   Open ------------------> StoodDown(p) -------------> Open
//!     ^                          |  next preemption within 2p of the last:
//!     |                          |  p doubles (up to 1 s); later: p = 10 ms
//! ```

use crate::loom::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// The first pause after a preemption, in µs.
const FIRST_PAUSE_US: u64 = 10_000;
/// The longest pause, in µs: under steady contention about one timer a
/// second pays for finding out whether the contention is gone.
const MAX_PAUSE_US: u64 = 1_000_000;

/// The spin window and its stand-down state. Times are the timer driver's
/// ticks (µs). Every field is a hint shared by the workers: racing updates
/// only make a pause a little shorter or longer, so relaxed ordering does.
#[derive(Debug)]
pub(crate) struct SpinWindow {
    /// The window when not stood down, in µs (0: never poll).
    window_us: u64,
    /// No polling before this tick.
    stood_down_until: AtomicU64,
    /// Length of the current pause, in µs (0: none yet).
    pause_us: AtomicU64,
    /// The tick of the last preemption.
    last_preempted: AtomicU64,
}

impl SpinWindow {
    pub(crate) fn new(window_us: u64) -> SpinWindow {
        SpinWindow {
            window_us,
            stood_down_until: AtomicU64::new(0),
            pause_us: AtomicU64::new(0),
            last_preempted: AtomicU64::new(0),
        }
    }

    /// The window at tick `now`, in µs: 0 while stood down.
    pub(crate) fn at(&self, now: u64) -> u64 {
        if self.window_us == 0 || now < self.stood_down_until.load(Relaxed) {
            0
        } else {
            self.window_us
        }
    }

    /// A poll at tick `now` found it had lost its CPU: stand down.
    pub(crate) fn preempted(&self, now: u64) {
        let pause = self.pause_us.load(Relaxed);
        let since_last = now.saturating_sub(self.last_preempted.load(Relaxed));
        let pause = if pause == 0 || since_last > pause.saturating_mul(2) {
            FIRST_PAUSE_US
        } else {
            pause.saturating_mul(2).min(MAX_PAUSE_US)
        };
        self.pause_us.store(pause, Relaxed);
        self.last_preempted.store(now, Relaxed);
        self.stood_down_until.store(now.saturating_add(pause), Relaxed);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_preemption_closes_the_window_for_a_pause() {
        let w = SpinWindow::new(50);
        assert_eq!(w.at(5), 50);
        w.preempted(1_000);
        assert_eq!(w.at(1_000), 0);
        assert_eq!(w.at(1_000 + FIRST_PAUSE_US - 1), 0);
        assert_eq!(w.at(1_000 + FIRST_PAUSE_US), 50);
    }

    #[test]
    fn pauses_double_while_preemptions_keep_coming_and_reset_after_a_quiet_spell() {
        let w = SpinWindow::new(50);
        let mut now = 0;
        let mut pauses = Vec::new();
        for _ in 0..9 {
            w.preempted(now);
            let pause = (now..).find(|&t| w.at(t) > 0).unwrap() - now;
            pauses.push(pause);
            now += pause + 100; // preempted again soon after the pause
        }
        assert_eq!(pauses[..3], [10_000, 20_000, 40_000]);
        assert_eq!(*pauses.last().unwrap(), MAX_PAUSE_US);
        // Quiet for longer than twice the pause: back to the first pause.
        now += 3 * MAX_PAUSE_US;
        w.preempted(now);
        assert_eq!(w.at(now + FIRST_PAUSE_US), 50);
    }

    #[test]
    fn a_zero_window_stays_zero() {
        let w = SpinWindow::new(0);
        assert_eq!(w.at(0), 0);
        w.preempted(0);
        assert_eq!(w.at(u64::MAX), 0);
    }
}
