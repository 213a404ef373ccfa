//! How sure a paired run is of its median ratio: a bootstrap confidence
//! interval for the median of the per-pair heddle/tokio time ratios.
//!
//! On a noisy 2-vCPU host a median ratio of 1.04 can be a real loss or a
//! coin flip; the interval says which. It is computed by resampling the
//! pairs with replacement (a fixed seed, so a run's figures can be
//! recomputed from its JSON) and taking the 2.5th and 97.5th percentiles
//! of the resampled medians. An interval that contains 1 means the run
//! cannot tell the two runtimes apart.

/// Resamples drawn for each interval.
const RESAMPLES: usize = 2000;

/// The 95% bootstrap interval `(low, high)` of the median of `ratios`.
/// With fewer than two ratios the interval is the single value (or NaN).
///
/// ```
/// use heddle_bench::ratio_ci::median_ci95;
///
/// let steady = [0.90, 0.91, 0.92, 0.90, 0.91, 0.89, 0.92, 0.90];
/// let (lo, hi) = median_ci95(&steady);
/// assert!(lo >= 0.89 && hi <= 0.92 && hi < 1.0);
/// ```
pub fn median_ci95(ratios: &[f64]) -> (f64, f64) {
    match ratios.len() {
        0 => return (f64::NAN, f64::NAN),
        1 => return (ratios[0], ratios[0]),
        _ => {}
    }
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut sample = vec![0.0; ratios.len()];
    let mut medians = Vec::with_capacity(RESAMPLES);
    for _ in 0..RESAMPLES {
        for slot in sample.iter_mut() {
            *slot = ratios[rng.below(ratios.len())];
        }
        medians.push(median(&mut sample));
    }
    medians.sort_by(f64::total_cmp);
    (medians[RESAMPLES * 25 / 1000], medians[RESAMPLES * 975 / 1000 - 1])
}

/// The median (upper median for an even count), sorting `values`.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// A small fixed-seed generator: the resampling needs no more.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_win_gives_an_interval_below_one() {
        let ratios: Vec<f64> = (0..60).map(|i| 0.80 + (i % 7) as f64 * 0.01).collect();
        let (lo, hi) = median_ci95(&ratios);
        assert!(lo >= 0.80 && hi <= 0.86, "({lo}, {hi})");
        assert!(lo <= 0.83 && 0.83 <= hi, "the sample median lies inside: ({lo}, {hi})");
    }

    #[test]
    fn a_coin_flip_gives_an_interval_around_one() {
        // Half the pairs at 0.8, half at 1.2: nothing to tell apart.
        let ratios: Vec<f64> = (0..60).map(|i| if i % 2 == 0 { 0.8 } else { 1.2 }).collect();
        let (lo, hi) = median_ci95(&ratios);
        assert!(lo <= 1.0 && hi >= 1.0, "({lo}, {hi})");
    }

    #[test]
    fn more_pairs_narrow_the_interval() {
        let spread = |n: usize| {
            let ratios: Vec<f64> = (0..n).map(|i| 0.7 + ((i * 37) % 61) as f64 / 100.0).collect();
            let (lo, hi) = median_ci95(&ratios);
            hi - lo
        };
        assert!(spread(400) < spread(20), "{} vs {}", spread(400), spread(20));
    }

    #[test]
    fn tiny_inputs_do_not_panic() {
        assert!(median_ci95(&[]).0.is_nan());
        assert_eq!(median_ci95(&[1.5]), (1.5, 1.5));
        let (lo, hi) = median_ci95(&[1.0, 2.0]);
        assert!((1.0..=2.0).contains(&lo) && (1.0..=2.0).contains(&hi) && lo <= hi);
    }
}
