//! How long before a timer deadline the driver polls instead of sleeping,
//! and when it stops doing so because other processes want the CPUs.
//!
//! Polling the last few tens of µs before a deadline wakes a timer within
//! a few µs of it, where a sleeping virtual CPU takes tens of µs to wake.
//! But next to busy processes the thread is woken at once (no idle CPU to
//! wake up), so it polls for most of the window: with a `sleep(100 µs)`
//! loop, half of the time. A thread that runs more than its fair share of
//! a CPU loses the quick wake-up the OS scheduler gives sleepers, and
//! then waits for the busy process's time slice, milliseconds, on each
//! of its wake-ups: under two busy loops on two CPUs `sleep(100 µs)` woke
//! 1.5–2 ms late at p99, where a plain thread sleeping without polling
//! stayed within 100 µs.
//!
//! So a sleep whose timers fire more than [`LATE_WAKE_US`] late while more
//! threads are runnable than there are CPUs stands the window down: no
//! polling for a pause (10 ms, doubling while late wakes keep coming, up
//! to 1 s); the timerfd is then armed for the deadline itself and the
//! thread sleeps, like that plain thread. A late wake on a machine with
//! CPUs to spare (the host paused the virtual CPU) leaves the window open:
//! a sleeping thread wakes ~20–50 µs late on this kind of machine, and
//! standing down for it cost the idle machine its p99 (20 → 58 µs).
//!
//! ```text
//!            late wake                     pause over
//!   Open ------------------> StoodDown(p) -------------> Open
//!                               next late wake within 2p of the last:
//!                               p doubles (up to 1 s); later: p = 10 ms
//! ```

use crate::loom::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// How late (µs past the deadline) a sleeping thread's timers may fire
/// before the thread counts as kept from its CPU: far above a virtual
/// CPU's wake-up (tens of µs), far below the time slice it waits for when
/// it is (milliseconds).
pub(crate) const LATE_WAKE_US: u64 = 500;
/// The first pause after a late wake, in µs.
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
    /// The tick of the last late wake.
    last_late: AtomicU64,
}

impl SpinWindow {
    pub(crate) fn new(window_us: u64) -> SpinWindow {
        SpinWindow {
            window_us,
            stood_down_until: AtomicU64::new(0),
            pause_us: AtomicU64::new(0),
            last_late: AtomicU64::new(0),
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

    /// A wake at tick `now` came late: stand down.
    pub(crate) fn stand_down(&self, now: u64) {
        let pause = self.pause_us.load(Relaxed);
        let since_last = now.saturating_sub(self.last_late.load(Relaxed));
        let pause = if pause == 0 || since_last > pause.saturating_mul(2) {
            FIRST_PAUSE_US
        } else {
            pause.saturating_mul(2).min(MAX_PAUSE_US)
        };
        self.pause_us.store(pause, Relaxed);
        self.last_late.store(now, Relaxed);
        self.stood_down_until.store(now.saturating_add(pause), Relaxed);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_late_wake_closes_the_window_for_a_pause() {
        let w = SpinWindow::new(50);
        assert_eq!(w.at(5), 50);
        w.stand_down(1_000);
        assert_eq!(w.at(1_000), 0);
        assert_eq!(w.at(1_000 + FIRST_PAUSE_US - 1), 0);
        assert_eq!(w.at(1_000 + FIRST_PAUSE_US), 50);
    }

    #[test]
    fn pauses_double_while_late_wakes_keep_coming_and_reset_after_a_quiet_spell() {
        let w = SpinWindow::new(50);
        let mut now = 0;
        let mut pauses = Vec::new();
        for _ in 0..12 {
            w.stand_down(now);
            let pause = (now..).find(|&t| w.at(t) > 0).unwrap() - now;
            pauses.push(pause);
            now += pause + 100; // late again soon after the pause
        }
        assert_eq!(pauses[..3], [FIRST_PAUSE_US, 2 * FIRST_PAUSE_US, 4 * FIRST_PAUSE_US]);
        assert_eq!(*pauses.last().unwrap(), MAX_PAUSE_US);
        // Quiet for longer than twice the pause: back to the first pause.
        now += 3 * MAX_PAUSE_US;
        w.stand_down(now);
        assert_eq!(w.at(now + FIRST_PAUSE_US), 50);
    }

    #[test]
    fn a_zero_window_stays_zero() {
        let w = SpinWindow::new(0);
        assert_eq!(w.at(0), 0);
        w.stand_down(0);
        assert_eq!(w.at(u64::MAX), 0);
    }
}
