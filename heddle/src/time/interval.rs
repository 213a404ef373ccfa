//! `Interval`: ticks at a fixed period.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use super::{sleep_until, Instant, Sleep};

/// A new interval whose first tick completes at once, then every `period`.
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use heddle::time::{interval, Duration, Instant};
/// let mut ticks = interval(Duration::from_millis(2));
/// let start = Instant::now();
/// for _ in 0..3 {
///     ticks.tick().await;
/// }
/// assert!(start.elapsed() >= Duration::from_millis(4));
/// # });
/// ```
///
/// # Panics
/// If `period` is zero, or outside a runtime with time enabled.
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// A new interval whose first tick completes at `start`.
///
/// # Panics
/// If `period` is zero, or outside a runtime with time enabled.
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(period > Duration::ZERO, "`period` must be non-zero.");
    Interval { delay: sleep_until(start), period, missed_tick_behavior: MissedTickBehavior::Burst }
}

/// What an [`Interval`] does when ticks were missed (the consumer was late).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Fire the missed ticks as fast as possible, then resume the schedule.
    #[default]
    Burst,
    /// Start the schedule over from now: next tick one period after now.
    Delay,
    /// Skip the missed ticks; the next tick is the next one on the original
    /// schedule.
    Skip,
}

impl MissedTickBehavior {
    fn next_timeout(self, deadline: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => deadline.far_add(period),
            MissedTickBehavior::Delay => now.far_add(period),
            MissedTickBehavior::Skip => {
                let behind = now.duration_since(deadline).as_nanos();
                let period_ns = period.as_nanos();
                let skipped = behind / period_ns + 1;
                let ahead = u64::try_from(skipped * period_ns).unwrap_or(u64::MAX);
                deadline.far_add(Duration::from_nanos(ahead))
            }
        }
    }
}

/// Ticks at a fixed period; see [`interval`].
#[derive(Debug)]
pub struct Interval {
    delay: Sleep,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    /// Completes at the next tick and returns its scheduled time.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        ready!(Pin::new(&mut self.delay).poll(cx));
        let deadline = self.delay.deadline();
        let now = Instant::now();
        // A tick more than 5 ms late counts as missed.
        let next = if now > deadline + Duration::from_millis(5) {
            self.missed_tick_behavior.next_timeout(deadline, now, self.period)
        } else {
            deadline.far_add(self.period)
        };
        Pin::new(&mut self.delay).reset(next);
        Poll::Ready(deadline)
    }

    /// Restarts the schedule: the next tick is one period from now.
    pub fn reset(&mut self) {
        Pin::new(&mut self.delay).reset(Instant::now().far_add(self.period));
    }

    /// Makes the next tick complete at once.
    pub fn reset_immediately(&mut self) {
        Pin::new(&mut self.delay).reset(Instant::now());
    }

    /// Moves the next tick to `after` from now (later ticks follow it
    /// one period apart).
    pub fn reset_after(&mut self, after: Duration) {
        Pin::new(&mut self.delay).reset(Instant::now().far_add(after));
    }

    /// Moves the next tick to `deadline`.
    pub fn reset_at(&mut self, deadline: Instant) {
        Pin::new(&mut self.delay).reset(deadline);
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The current missed-tick behaviour.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets the missed-tick behaviour.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }
}
