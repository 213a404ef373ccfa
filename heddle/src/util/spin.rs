//! `spin_until`: a short, bounded busy-wait before a thread goes to sleep.
//!
//! Going to sleep and being woken costs a system call on each side, and on
//! a VM the wake-up of a sleeping vCPU can take tens of microseconds. When
//! the awaited event usually comes within a few microseconds (the next job
//! of a burst in the blocking pool, the result of a short blocking job that
//! `block_on` waits for), watching a flag for that long is cheaper than
//! sleeping. Callers spin only where another CPU can be producing the event
//! ([`may_spin`]): on a single CPU the spin would only delay the producer.

use std::sync::OnceLock;

use crate::loom::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// How long a thread watches for its event before it sleeps: about what a
/// futex hand-off costs on a VM (a wake on one side, a wait and a context
/// switch on the other), so a spin that finds nothing wastes about what
/// one hand-off would have cost.
pub(crate) const SPIN_FOR: Duration = Duration::from_micros(20);

/// CPUs this process may run on (1 under loom, whose models would have to
/// explore every look of a spin).
pub(crate) fn num_cpus() -> usize {
    if cfg!(loom) {
        return 1;
    }
    static CPUS: OnceLock<usize> = OnceLock::new();
    *CPUS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// True if this process may use more than one CPU.
pub(crate) fn may_spin() -> bool {
    num_cpus() > 1
}

/// Caps how many of a runtime's threads spin at once (half the CPUs, at
/// least one): spinners next to the thread they wait for must leave it a
/// CPU, or each spin runs out its time while that thread waits to run.
#[derive(Debug)]
pub(crate) struct SpinSlots {
    taken: AtomicUsize,
    max: usize,
}

/// A taken slot; given back on drop.
#[derive(Debug)]
pub(crate) struct SpinSlot<'a>(&'a SpinSlots);

impl SpinSlots {
    pub(crate) fn new() -> SpinSlots {
        SpinSlots { taken: AtomicUsize::new(0), max: (num_cpus() / 2).max(1) }
    }

    /// A slot if fewer than the cap are taken.
    pub(crate) fn try_take(&self) -> Option<SpinSlot<'_>> {
        if self.taken.fetch_add(1, Relaxed) < self.max {
            Some(SpinSlot(self))
        } else {
            self.taken.fetch_sub(1, Relaxed);
            None
        }
    }
}

impl Drop for SpinSlot<'_> {
    fn drop(&mut self) {
        self.0.taken.fetch_sub(1, Relaxed);
    }
}

/// When a thread that spins before it sleeps should skip its spin: after
/// a spin that caught nothing, the next one is skipped, after two misses
/// in a row the next two, then four, up to `MAX_SKIP`; a spin that catches
/// its event spins again next time. A loop whose waits are long (an
/// accept loop woken every 100 µs) then spins once in `MAX_SKIP + 1`
/// sleeps instead of on each, and one whose waits are short spins always.
#[derive(Debug, Default)]
pub(crate) struct SpinBackoff {
    /// Sleeps left to skip the spin of.
    skip: u32,
    /// What `skip` becomes after the next miss.
    next_skip: u32,
}

impl SpinBackoff {
    const MAX_SKIP: u32 = 64;

    /// True if this sleep should spin first (counts a skipped one).
    pub(crate) fn should_spin(&mut self) -> bool {
        if self.skip > 0 {
            self.skip -= 1;
            return false;
        }
        true
    }

    /// The spin caught its event (`true`) or ran out (`false`).
    pub(crate) fn record(&mut self, caught: bool) {
        if caught {
            self.next_skip = 0;
        } else {
            self.next_skip = (self.next_skip * 2).clamp(1, Self::MAX_SKIP);
            self.skip = self.next_skip;
        }
    }
}

/// Polls `done` until it returns true (then returns true) or `limit` has
/// passed (then false).
pub(crate) fn spin_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        // The clock is read every 64 looks; `done` is a load.
        for _ in 0..64 {
            if done() {
                return true;
            }
            std::hint::spin_loop();
        }
        if start.elapsed() >= limit {
            return done();
        }
        // Let a thread waiting for this CPU run: often the very thread
        // whose event we wait for (the OS tends to wake it where we spin),
        // which would otherwise wait for the whole spin.
        std::thread::yield_now();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{
        AtomicBool,
        Ordering::{Acquire, Release},
    };
    use std::sync::Arc;

    #[test]
    fn spin_until_sees_a_flag_set_by_another_thread() {
        let flag = Arc::new(AtomicBool::new(false));
        let setter = {
            let flag = flag.clone();
            std::thread::spawn(move || flag.store(true, Release))
        };
        setter.join().unwrap();
        assert!(spin_until(Duration::from_secs(10), || flag.load(Acquire)));
    }

    #[test]
    fn spin_slots_are_capped_and_given_back() {
        let slots = SpinSlots::new();
        let taken: Vec<_> = std::iter::from_fn(|| slots.try_take()).take(1000).collect();
        assert_eq!(taken.len(), (num_cpus() / 2).max(1));
        drop(taken);
        assert!(slots.try_take().is_some(), "dropped slots are free again");
    }

    #[test]
    fn spin_backoff_skips_more_after_each_miss_and_none_after_a_hit() {
        let mut backoff = SpinBackoff::default();
        let spins = |backoff: &mut SpinBackoff, sleeps: usize| (0..sleeps).filter(|_| backoff.should_spin()).count();
        assert_eq!(spins(&mut backoff, 3), 3, "nothing skipped before a miss");
        backoff.record(false);
        assert_eq!(spins(&mut backoff, 1), 0);
        assert!(backoff.should_spin());
        backoff.record(false);
        assert_eq!(spins(&mut backoff, 2), 0, "two skipped after a second miss");
        assert!(backoff.should_spin());
        for _ in 0..20 {
            backoff.record(false);
        }
        assert_eq!(spins(&mut backoff, 64), 0, "capped at MAX_SKIP");
        assert!(backoff.should_spin());
        backoff.record(true);
        assert_eq!(spins(&mut backoff, 3), 3, "a hit spins again at once");
        backoff.record(false);
        assert_eq!(spins(&mut backoff, 2), 1, "and a miss after a hit starts at one again");
    }

    #[test]
    fn spin_until_gives_up_after_its_limit() {
        let start = Instant::now();
        assert!(!spin_until(Duration::from_micros(200), || false));
        assert!(start.elapsed() >= Duration::from_micros(200));
    }
}
