//! Accounting of one round: histograms, error counts and the round report.
//!
//! Everything here works on plain durations (offsets from the round's
//! start), so it is tested without sockets or clocks.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::errors::{ErrorCounts, ErrorKind, Failure};
use crate::schedule::Schedule;

/// The longest latency a histogram holds (longer ones are clamped): one hour.
const MAX_NANOS: u64 = 3_600_000_000_000;

/// A histogram of durations in nanoseconds, 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    // The bounds are valid constants.
    Histogram::new_with_bounds(1, MAX_NANOS, 3).expect("valid histogram bounds")
}

/// Records `d` in `hist` (clamped to the histogram's range).
pub fn record(hist: &mut Histogram<u64>, d: Duration) {
    let nanos = u64::try_from(d.as_nanos()).unwrap_or(MAX_NANOS).clamp(1, MAX_NANOS);
    // Cannot fail: the value is within the bounds.
    let _ = hist.record(nanos);
}

/// A latency distribution's figures, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Number of values.
    pub count: u64,
    /// Smallest.
    pub min_us: f64,
    /// Mean.
    pub mean_us: f64,
    /// Median.
    pub p50_us: f64,
    /// 90th percentile.
    pub p90_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Largest.
    pub max_us: f64,
}

impl Summary {
    /// The figures of `hist` (nanoseconds); all zero when it is empty.
    pub fn of(hist: &Histogram<u64>) -> Summary {
        if hist.is_empty() {
            return Summary::default();
        }
        let us = |nanos: u64| nanos as f64 / 1000.0;
        Summary {
            count: hist.len(),
            min_us: us(hist.min()),
            mean_us: hist.mean() / 1000.0,
            p50_us: us(hist.value_at_quantile(0.5)),
            p90_us: us(hist.value_at_quantile(0.9)),
            p99_us: us(hist.value_at_quantile(0.99)),
            p999_us: us(hist.value_at_quantile(0.999)),
            max_us: us(hist.max()),
        }
    }

    /// `min 45 p50 80 p90 120 p99 300 p99.9 900 max 2100` (µs), or
    /// `no samples`.
    pub fn line(&self) -> String {
        if self.count == 0 {
            return "no samples".into();
        }
        format!(
            "min {} p50 {} p90 {} p99 {} p99.9 {} max {}",
            fmt_us(self.min_us),
            fmt_us(self.p50_us),
            fmt_us(self.p90_us),
            fmt_us(self.p99_us),
            fmt_us(self.p999_us),
            fmt_us(self.max_us)
        )
    }
}

fn fmt_us(us: f64) -> String {
    if us >= 100.0 {
        format!("{us:.0}")
    } else {
        format!("{us:.1}")
    }
}

/// One finished exchange, timed from the round's start.
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    /// When it was due (`i / rate`).
    pub scheduled: Duration,
    /// When the pacer woke to start it (timer accuracy).
    pub woken: Duration,
    /// When its task began to connect.
    pub started: Duration,
    /// When the answer's EOF arrived, or the exchange failed.
    pub finished: Duration,
    /// The answer's length, or why it failed.
    pub outcome: Result<u64, Failure>,
}

/// Collects a round's exchanges.
#[derive(Debug)]
pub struct RoundAccumulator {
    from_scheduled: Histogram<u64>,
    from_connect: Histogram<u64>,
    start_lag: Histogram<u64>,
    pacer_lag: Histogram<u64>,
    errors: ErrorCounts,
    first_errors: BTreeMap<ErrorKind, String>,
    ok: u64,
    bytes: u64,
    last_ok: Duration,
    last_finished: Duration,
}

impl Default for RoundAccumulator {
    fn default() -> Self {
        RoundAccumulator::new()
    }
}

impl RoundAccumulator {
    /// An empty round.
    pub fn new() -> RoundAccumulator {
        RoundAccumulator {
            from_scheduled: new_histogram(),
            from_connect: new_histogram(),
            start_lag: new_histogram(),
            pacer_lag: new_histogram(),
            errors: ErrorCounts::default(),
            first_errors: BTreeMap::new(),
            ok: 0,
            bytes: 0,
            last_ok: Duration::ZERO,
            last_finished: Duration::ZERO,
        }
    }

    /// Accounts one exchange. Returns the failure's kind when this is the
    /// first failure of its kind in the round (to warn about it at once).
    pub fn add(&mut self, ex: &Exchange) -> Option<ErrorKind> {
        record(&mut self.start_lag, ex.started.saturating_sub(ex.scheduled));
        record(&mut self.pacer_lag, ex.woken.saturating_sub(ex.scheduled));
        self.last_finished = self.last_finished.max(ex.finished);
        match &ex.outcome {
            Ok(bytes) => {
                self.ok += 1;
                self.bytes += bytes;
                self.last_ok = self.last_ok.max(ex.finished);
                record(&mut self.from_scheduled, ex.finished.saturating_sub(ex.scheduled));
                record(&mut self.from_connect, ex.finished.saturating_sub(ex.started));
                None
            }
            Err(failure) => {
                self.errors.add(failure.kind);
                let mut first = None;
                self.first_errors.entry(failure.kind).or_insert_with(|| {
                    first = Some(failure.kind);
                    failure.detail.clone()
                });
                first
            }
        }
    }

    /// Successful exchanges so far.
    pub fn ok(&self) -> u64 {
        self.ok
    }

    /// Errors so far.
    pub fn errors(&self) -> &ErrorCounts {
        &self.errors
    }

    /// The report of a round that ran `schedule`.
    pub fn finish(&self, schedule: &Schedule) -> RoundReport {
        RoundReport {
            target_rate: schedule.rate(),
            achieved_rate: achieved_rate(self.ok, schedule.span(), self.last_ok),
            scheduled: schedule.count(),
            samples: self.ok,
            errors: self.errors,
            bytes_received: self.bytes,
            duration_s: schedule.span().max(self.last_finished).as_secs_f64(),
            latency: Summary::of(&self.from_scheduled),
            connect_latency: Summary::of(&self.from_connect),
            start_lag: Summary::of(&self.start_lag),
            pacer_lag: Summary::of(&self.pacer_lag),
            first_errors: self.first_errors.iter().map(|(k, v)| (k.name().to_owned(), v.clone())).collect(),
            latency_histogram: log_buckets(&self.from_scheduled, BUCKETS_PER_DECADE),
        }
    }
}

/// Buckets per factor of ten in [`RoundReport::latency_histogram`].
pub const BUCKETS_PER_DECADE: u32 = 5;

/// One bucket of a log-scaled latency histogram: `count` values in
/// `[lo_us, hi_us)` microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LatencyBucket {
    /// Lower edge, µs (included).
    pub lo_us: f64,
    /// Upper edge, µs (excluded).
    pub hi_us: f64,
    /// Values in the bucket.
    pub count: u64,
}

/// The values of `hist` (nanoseconds) in log-scaled buckets of microseconds,
/// `per_decade` buckets per factor of ten, edges at `10^(k/per_decade)` µs,
/// from the first non-empty bucket to the last (empty ones in between
/// included). Empty when `hist` is.
pub fn log_buckets(hist: &Histogram<u64>, per_decade: u32) -> Vec<LatencyBucket> {
    let per_decade = f64::from(per_decade.max(1));
    let index = |us: f64| (us.max(1e-3).log10() * per_decade).floor() as i64;
    let edge = |k: i64| 10f64.powf(k as f64 / per_decade);
    let mut counts: BTreeMap<i64, u64> = BTreeMap::new();
    for v in hist.iter_recorded() {
        // The bucket of the HDR bucket's representative value.
        let us = hist.median_equivalent(v.value_iterated_to()) as f64 / 1000.0;
        *counts.entry(index(us)).or_default() += v.count_at_value();
    }
    let (Some((&first, _)), Some((&last, _))) = (counts.first_key_value(), counts.last_key_value()) else {
        return Vec::new();
    };
    (first..=last)
        .map(|k| LatencyBucket { lo_us: edge(k), hi_us: edge(k + 1), count: counts.get(&k).copied().unwrap_or(0) })
        .collect()
}

/// Successful exchanges per second: `ok` over the round's nominal span, or
/// over the time the last success took if that is longer. A round where
/// every exchange succeeds and answers before the next one is due achieves
/// exactly its target.
pub fn achieved_rate(ok: u64, span: Duration, last_ok: Duration) -> f64 {
    let secs = span.max(last_ok).as_secs_f64();
    if secs > 0.0 {
        ok as f64 / secs
    } else {
        0.0
    }
}

/// The figures of one round.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RoundReport {
    /// Connections per second asked for.
    pub target_rate: f64,
    /// Successful exchanges per second (see [`achieved_rate`]).
    pub achieved_rate: f64,
    /// Connections the round opened (or tried to).
    pub scheduled: u64,
    /// Successful exchanges (the histograms' samples).
    pub samples: u64,
    /// Failed exchanges by kind.
    pub errors: ErrorCounts,
    /// Answer bytes received by successful exchanges.
    pub bytes_received: u64,
    /// From the round's start to its last exchange's end, seconds.
    pub duration_s: f64,
    /// Latency of successful exchanges from their *scheduled* start, free of
    /// coordinated omission.
    pub latency: Summary,
    /// Latency of successful exchanges from the actual connect start.
    pub connect_latency: Summary,
    /// How late each connection's task (successful or not) actually began
    /// to connect, behind its scheduled start.
    pub start_lag: Summary,
    /// How late the pacer's timer woke for each connection, behind its
    /// scheduled start (the part of the start lag due to the timer).
    pub pacer_lag: Summary,
    /// The first failure's description, per kind.
    pub first_errors: BTreeMap<String, String>,
    /// The latency from the scheduled start in log-scaled buckets (see
    /// [`log_buckets`]), for the HTML report's histograms.
    pub latency_histogram: Vec<LatencyBucket>,
}

impl RoundReport {
    /// `achieved / target`, 1.0 when on target.
    pub fn ratio(&self) -> f64 {
        self.achieved_rate / self.target_rate
    }

    /// The human-readable report, several lines.
    pub fn text(&self, round: usize) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "round {round}: target {:.0}/s, achieved {:.1}/s ({:.1}%), {} scheduled, {} samples, errors: {}",
            self.target_rate,
            self.achieved_rate,
            100.0 * self.ratio(),
            self.scheduled,
            self.samples,
            self.errors
        );
        let _ = writeln!(s, "  latency from scheduled start (µs): {}", self.latency.line());
        let _ = writeln!(s, "  latency from connect start   (µs): {}", self.connect_latency.line());
        let _ = writeln!(
            s,
            "  start lag behind schedule    (µs): p50 {} p99 {} max {} (timer wake: p50 {} p99 {} max {})",
            fmt_us(self.start_lag.p50_us),
            fmt_us(self.start_lag.p99_us),
            fmt_us(self.start_lag.max_us),
            fmt_us(self.pacer_lag.p50_us),
            fmt_us(self.pacer_lag.p99_us),
            fmt_us(self.pacer_lag.max_us)
        );
        for (kind, detail) in &self.first_errors {
            let _ = writeln!(s, "  first {kind} error: {detail}");
        }
        for kind in ErrorKind::ALL {
            if let (true, Some(hint)) = (self.errors.get(kind) > 0, kind.hint()) {
                let _ = writeln!(s, "  hint: {hint}");
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    #[test]
    fn summary_of_known_values() {
        let mut h = new_histogram();
        for v in 1..=1000u64 {
            record(&mut h, us(v));
        }
        let s = Summary::of(&h);
        assert_eq!(s.count, 1000);
        let close = |a: f64, b: f64| (a - b).abs() <= b * 0.002;
        assert!(close(s.min_us, 1.0), "{s:?}");
        assert!(close(s.p50_us, 500.0), "{s:?}");
        assert!(close(s.p90_us, 900.0), "{s:?}");
        assert!(close(s.p99_us, 990.0), "{s:?}");
        assert!(close(s.p999_us, 999.0), "{s:?}");
        assert!(close(s.max_us, 1000.0), "{s:?}");
        assert!(close(s.mean_us, 500.5), "{s:?}");
        assert_eq!(Summary::of(&new_histogram()), Summary::default());
        assert_eq!(Summary::default().line(), "no samples");
        assert!(s.line().starts_with("min 1.0 p50 500 "), "{}", s.line());
    }

    #[test]
    fn log_buckets_cover_the_values() {
        let mut h = new_histogram();
        assert!(log_buckets(&h, 5).is_empty());
        for v in [50u64, 55, 60, 900, 2000] {
            record(&mut h, us(v));
        }
        let b = log_buckets(&h, 5);
        assert_eq!(b.iter().map(|b| b.count).sum::<u64>(), 5);
        // From the bucket of 50 µs (10^1.6 = 39.8 .. 63.1) to the one of
        // 2000 µs (10^3.2 = 1585 .. 2512): 9 buckets, empty ones included.
        assert_eq!(b.len(), 9, "{b:?}");
        assert!((b[0].lo_us - 39.81).abs() < 0.01 && (b[0].hi_us - 63.10).abs() < 0.01, "{b:?}");
        assert_eq!(b[0].count, 3);
        assert_eq!(b[8].count, 1);
        for w in b.windows(2) {
            assert!((w[0].hi_us - w[1].lo_us).abs() < 1e-9);
        }
    }

    #[test]
    fn huge_values_are_clamped() {
        let mut h = new_histogram();
        record(&mut h, Duration::from_secs(100_000));
        record(&mut h, Duration::ZERO);
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn achieved_rate_is_target_when_on_time() {
        // 1000 connections at 1000/s, each answered after 100 µs.
        let span = Duration::from_secs(1);
        let last = Duration::from_micros(999_000 + 100);
        assert_eq!(achieved_rate(1000, span, last), 1000.0);
        // If the last answer comes 1 s late, the rate halves.
        assert_eq!(achieved_rate(1000, span, Duration::from_secs(2)), 500.0);
        assert_eq!(achieved_rate(0, Duration::ZERO, Duration::ZERO), 0.0);
    }

    #[test]
    fn round_accounting() {
        let schedule = Schedule::with_count(1000.0, 4);
        let mut acc = RoundAccumulator::new();
        let ex = |i: u64, lag: u64, took: u64, outcome| Exchange {
            scheduled: us(i * 1000),
            woken: us(i * 1000 + lag / 2),
            started: us(i * 1000 + lag),
            finished: us(i * 1000 + lag + took),
            outcome,
        };
        assert_eq!(acc.add(&ex(0, 10, 90, Ok(300))), None);
        assert_eq!(acc.add(&ex(1, 0, 200, Ok(300))), None);
        let refused = Failure::new(ErrorKind::Refused, "connect: refused");
        assert_eq!(acc.add(&ex(2, 5, 50, Err(refused.clone()))), Some(ErrorKind::Refused));
        assert_eq!(acc.add(&ex(3, 5, 50, Err(refused))), None, "only the first of a kind is news");
        let r = acc.finish(&schedule);
        assert_eq!(r.scheduled, 4);
        assert_eq!(r.samples, 2);
        assert_eq!(r.bytes_received, 600);
        assert_eq!(r.errors.refused, 2);
        assert_eq!(r.errors.total(), 2);
        assert_eq!(r.achieved_rate, 500.0); // 2 successes over the 4 ms span
                                            // From scheduled: 100 and 200 µs; from connect: 90 and 200 µs.
        assert!((r.latency.min_us - 100.0).abs() < 0.2, "{:?}", r.latency);
        assert!((r.connect_latency.min_us - 90.0).abs() < 0.2, "{:?}", r.connect_latency);
        assert!((r.latency.max_us - 200.0).abs() < 0.3, "{:?}", r.latency);
        assert_eq!(r.start_lag.count, 4, "lag counts failures too");
        assert!((r.start_lag.max_us - 10.0).abs() < 0.1);
        assert_eq!(r.first_errors["refused"], "connect: refused");

        let text = r.text(1);
        assert!(text.starts_with("round 1: target 1000/s, achieved 500.0/s (50.0%)"), "{text}");
        assert!(text.contains("errors: refused 2"), "{text}");
        assert!(text.contains("p99.9"), "{text}");
        assert!(text.contains("hint: the target refused"), "{text}");
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["errors"]["refused"], 2);
        assert_eq!(json["latency"]["count"], 2);
    }
}
