//! The pacing schedule: when connection `i` of a round is due.
//!
//! Start times are computed from the round's start, never by adding a pause
//! to the previous start, so rounding errors do not accumulate and a rate of
//! 25k/s yields starts 40 µs apart rather than batches of 25 per millisecond.

use std::time::Duration;

/// The start offsets of one round: `count` connections at `rate` per second.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Schedule {
    rate: f64,
    count: u64,
}

impl Schedule {
    /// A round of `length` at `rate` connections per second: `rate * length`
    /// connections (rounded to the nearest, at least one).
    ///
    /// # Panics
    /// If `rate` is not a positive finite number.
    pub fn new(rate: f64, length: Duration) -> Schedule {
        assert!(rate.is_finite() && rate > 0.0, "the rate must be positive, not {rate}");
        let count = (rate * length.as_secs_f64()).round().max(1.0) as u64;
        Schedule { rate, count }
    }

    /// A schedule of exactly `count` connections.
    pub fn with_count(rate: f64, count: u64) -> Schedule {
        assert!(rate.is_finite() && rate > 0.0, "the rate must be positive, not {rate}");
        Schedule { rate, count }
    }

    /// The target rate, connections per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// How many connections the round opens.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// When connection `i` is due, counted from the round's start:
    /// `i / rate`, to the nanosecond.
    pub fn offset(&self, i: u64) -> Duration {
        // Integer rates (the common case) are exact; others round to the
        // nearest nanosecond, still without accumulating error.
        if self.rate.fract() == 0.0 && self.rate <= u64::MAX as f64 {
            let nanos = u128::from(i) * 1_000_000_000 / self.rate as u128;
            Duration::from_nanos(nanos.min(u128::from(u64::MAX)) as u64)
        } else {
            Duration::from_secs_f64(i as f64 / self.rate)
        }
    }

    /// The nominal length of the round: `count / rate`.
    pub fn span(&self) -> Duration {
        Duration::from_secs_f64(self.count as f64 / self.rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_is_rate_times_length() {
        assert_eq!(Schedule::new(5000.0, Duration::from_secs(5)).count(), 25_000);
        assert_eq!(Schedule::new(12_000.0, Duration::from_millis(250)).count(), 3000);
        assert_eq!(Schedule::new(0.5, Duration::from_millis(10)).count(), 1);
    }

    #[test]
    fn offsets_are_exact_for_integer_rates() {
        let s = Schedule::new(25_000.0, Duration::from_secs(1));
        for i in [0u64, 1, 2, 24_999] {
            assert_eq!(s.offset(i), Duration::from_nanos(i * 40_000));
        }
        let s = Schedule::new(3.0, Duration::from_secs(1));
        assert_eq!(s.offset(1), Duration::from_nanos(333_333_333));
        assert_eq!(s.offset(3), Duration::from_secs(1));
    }

    #[test]
    fn no_millisecond_batching_at_25k() {
        let s = Schedule::new(25_000.0, Duration::from_secs(1));
        let mut last = None;
        for i in 0..s.count() {
            let o = s.offset(i);
            if let Some(prev) = last {
                assert!(o > prev, "start {i} is not after start {}", i - 1);
                assert_eq!(o - prev, Duration::from_micros(40));
            }
            last = Some(o);
        }
    }

    #[test]
    fn fractional_rates_do_not_drift() {
        let s = Schedule::new(1234.5, Duration::from_secs(10));
        assert_eq!(s.count(), 12_345);
        let end = s.offset(12_345).as_secs_f64();
        assert!((end - 10.0).abs() < 1e-6, "{end}");
        assert!((s.span().as_secs_f64() - 10.0).abs() < 1e-6);
    }

    #[test]
    #[should_panic(expected = "positive")]
    fn zero_rate_is_rejected() {
        Schedule::new(0.0, Duration::from_secs(1));
    }
}
