//! `saturate`'s decision rule: raise the rate round after round until the
//! target is no longer sustained.

use std::fmt;

use crate::stats::RoundReport;

/// When a round counts as sustained.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    /// How far the achieved rate may fall behind the target, as a fraction
    /// (0.02: at least 98 % of the target).
    pub tolerance: f64,
    /// How much the median latency (from the scheduled start) may grow over
    /// the best median of the sustained rounds so far (2.0: up to twice).
    pub slowdown: f64,
}

impl Default for Rule {
    fn default() -> Self {
        Rule { tolerance: 0.02, slowdown: 2.0 }
    }
}

/// The judgement on one round.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// Achieved within tolerance, latency not grown too much.
    Sustained,
    /// The achieved rate fell behind the target by more than the tolerance.
    BehindTarget {
        /// Connections per second achieved.
        achieved: f64,
        /// Connections per second asked for.
        target: f64,
    },
    /// The median latency grew by more than the slowdown factor.
    SlowedDown {
        /// This round's median, µs.
        p50_us: f64,
        /// The best median of the sustained rounds, µs.
        baseline_us: f64,
    },
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Verdict::Sustained => f.write_str("sustained"),
            Verdict::BehindTarget { achieved, target } => write!(
                f,
                "not sustained: achieved {achieved:.1}/s is {:.1}% behind the target {target:.0}/s",
                100.0 * (1.0 - achieved / target)
            ),
            Verdict::SlowedDown { p50_us, baseline_us } => write!(
                f,
                "not sustained: median latency {p50_us:.1} µs is {:.2}x the best sustained median {baseline_us:.1} µs",
                p50_us / baseline_us
            ),
        }
    }
}

impl Rule {
    /// Judges a round given the best sustained median so far, if any.
    pub fn judge(&self, report: &RoundReport, baseline_p50_us: Option<f64>) -> Verdict {
        if report.achieved_rate < report.target_rate * (1.0 - self.tolerance) {
            return Verdict::BehindTarget { achieved: report.achieved_rate, target: report.target_rate };
        }
        let p50_us = report.latency.p50_us;
        match baseline_p50_us {
            Some(baseline_us) if p50_us > baseline_us * self.slowdown => Verdict::SlowedDown { p50_us, baseline_us },
            _ => Verdict::Sustained,
        }
    }
}

/// The state of a `saturate` run.
#[derive(Clone, Debug)]
pub struct Saturator {
    rule: Rule,
    increment: f64,
    next: Option<f64>,
    baseline_p50_us: Option<f64>,
    last_sustained: Option<f64>,
}

impl Saturator {
    /// Starts at `start` conn/s, multiplying the rate by `increment` after
    /// each sustained round.
    ///
    /// # Panics
    /// If `start` is not positive or `increment` is not above 1.
    pub fn new(start: f64, increment: f64, rule: Rule) -> Saturator {
        assert!(start.is_finite() && start > 0.0, "the start rate must be positive");
        assert!(increment.is_finite() && increment > 1.0, "the increment factor must be above 1");
        Saturator { rule, increment, next: Some(start), baseline_p50_us: None, last_sustained: None }
    }

    /// The rate of the next round, or `None` once a round was not sustained.
    pub fn next_rate(&self) -> Option<f64> {
        self.next
    }

    /// The highest rate sustained so far.
    pub fn last_sustained(&self) -> Option<f64> {
        self.last_sustained
    }

    /// Takes in the report of the round run at [`next_rate`](Self::next_rate).
    pub fn observe(&mut self, report: &RoundReport) -> Verdict {
        let verdict = self.rule.judge(report, self.baseline_p50_us);
        match verdict {
            Verdict::Sustained => {
                self.last_sustained = Some(report.target_rate);
                let p50 = report.latency.p50_us;
                self.baseline_p50_us = Some(self.baseline_p50_us.map_or(p50, |b| b.min(p50)));
                self.next = Some(report.target_rate * self.increment);
            }
            _ => self.next = None,
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::ErrorCounts;
    use crate::stats::Summary;
    use std::collections::BTreeMap;

    fn report(target: f64, achieved: f64, p50_us: f64) -> RoundReport {
        RoundReport {
            target_rate: target,
            achieved_rate: achieved,
            scheduled: 0,
            samples: 0,
            errors: ErrorCounts::default(),
            bytes_received: 0,
            duration_s: 0.0,
            latency: Summary { p50_us, ..Summary::default() },
            connect_latency: Summary::default(),
            start_lag: Summary::default(),
            pacer_lag: Summary::default(),
            first_errors: BTreeMap::new(),
            latency_histogram: Vec::new(),
        }
    }

    #[test]
    fn tolerance_of_two_percent() {
        let rule = Rule::default();
        assert_eq!(rule.judge(&report(1000.0, 980.5, 100.0), None), Verdict::Sustained);
        assert_eq!(
            rule.judge(&report(1000.0, 979.0, 100.0), None),
            Verdict::BehindTarget { achieved: 979.0, target: 1000.0 }
        );
    }

    #[test]
    fn slowdown_against_the_baseline() {
        let rule = Rule { tolerance: 0.02, slowdown: 2.0 };
        assert_eq!(rule.judge(&report(1000.0, 1000.0, 199.0), Some(100.0)), Verdict::Sustained);
        assert_eq!(
            rule.judge(&report(1000.0, 1000.0, 201.0), Some(100.0)),
            Verdict::SlowedDown { p50_us: 201.0, baseline_us: 100.0 }
        );
        let text = Verdict::SlowedDown { p50_us: 201.0, baseline_us: 100.0 }.to_string();
        assert!(text.contains("2.01x"), "{text}");
    }

    #[test]
    fn raises_until_not_sustained() {
        let mut s = Saturator::new(1000.0, 1.5, Rule::default());
        assert_eq!(s.next_rate(), Some(1000.0));
        assert_eq!(s.observe(&report(1000.0, 1000.0, 100.0)), Verdict::Sustained);
        assert_eq!(s.next_rate(), Some(1500.0));
        // Latency shrinks with load at first (seed 002): the baseline follows the best median.
        assert_eq!(s.observe(&report(1500.0, 1500.0, 80.0)), Verdict::Sustained);
        assert_eq!(s.next_rate(), Some(2250.0));
        assert_eq!(s.observe(&report(2250.0, 2250.0, 170.0)), Verdict::SlowedDown { p50_us: 170.0, baseline_us: 80.0 });
        assert_eq!(s.next_rate(), None);
        assert_eq!(s.last_sustained(), Some(1500.0));
    }

    #[test]
    fn first_round_failing_sustains_nothing() {
        let mut s = Saturator::new(1000.0, 2.0, Rule::default());
        assert!(matches!(s.observe(&report(1000.0, 0.0, 0.0)), Verdict::BehindTarget { .. }));
        assert_eq!(s.last_sustained(), None);
        assert_eq!(s.next_rate(), None);
    }

    #[test]
    #[should_panic(expected = "above 1")]
    fn increment_must_grow() {
        Saturator::new(1000.0, 1.0, Rule::default());
    }
}
