//! `spin_until`: a short, bounded busy-wait before a thread goes to sleep.
//!
//! Going to sleep and being woken costs a system call on each side, and on
//! a VM the wake-up of a sleeping vCPU can take tens of microseconds. When
//! the awaited event usually comes within a few microseconds (the next job
//! of a burst in the blocking pool, the result of a short blocking job that
//! `block_on` waits for), watching a flag for that long is cheaper than
//! sleeping. Callers spin only where another CPU can be producing the event
//! ([`may_spin`]): on a single CPU the spin would only delay the producer.
//!
//! When other processes keep the CPUs busy, spinning goes wrong in two
//! ways, and both are guarded against: a spinner that loses its CPU stops
//! at once (`spin_until` notices the gap in its clock readings), and a
//! thread that hands work to a spinner first checks the spinner's
//! [`Heartbeat`], since a spinner without a CPU would get to the work only
//! at its next time slice. (Yielding the CPU between rounds was tried: under
//! two busy loops it made file reads 10-90x slower than tokio's.)

use std::sync::OnceLock;

use crate::loom::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
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

/// A gap between two looks at the clock longer than this means the
/// spinning thread lost its CPU (a round of 64 looks takes ~1–2 µs).
const PREEMPTED: Duration = Duration::from_micros(10);

/// Where a spinning thread shows it still has its CPU: the time of its
/// last look at the clock. A thread that hands work to a spinner checks it
/// first: a spinner that lost its CPU to other processes would only get to
/// the work at its next time slice, milliseconds away, where a sleeping
/// thread that is woken runs at once.
#[derive(Debug)]
pub(crate) struct Heartbeat(AtomicU64);

impl Heartbeat {
    pub(crate) fn new() -> Heartbeat {
        Heartbeat(AtomicU64::new(0))
    }

    pub(crate) fn beat(&self, now: Instant) {
        self.0.store(nanos_since_epoch(now), Relaxed);
    }

    fn stop(&self) {
        self.0.store(0, Relaxed);
    }

    /// True if the spinner looked at the clock within `PREEMPTED`.
    pub(crate) fn is_fresh(&self) -> bool {
        let last = self.0.load(Relaxed);
        last != 0 && nanos_since_epoch(Instant::now()).saturating_sub(last) < PREEMPTED.as_nanos() as u64
    }
}

/// True if more threads are runnable on this machine right now than it
/// has CPUs online (the caller counts as one): some wait for a CPU. Read
/// from `/proc/loadavg`'s running count (a few µs: for rare events only);
/// false if it cannot be read. Both counts are the whole machine's, also
/// in a container, so they compare.
pub(crate) fn cpus_oversubscribed() -> bool {
    use std::io::Read;
    let mut buf = [0u8; 128];
    let Ok(n) = std::fs::File::open("/proc/loadavg").and_then(|mut f| f.read(&mut buf)) else {
        return false;
    };
    // "0.52 0.58 0.59 3/87 14465": the fourth field is running/total.
    let running = std::str::from_utf8(&buf[..n])
        .ok()
        .and_then(|text| text.split_whitespace().nth(3))
        .and_then(|field| field.split('/').next())
        .and_then(|count| count.parse::<usize>().ok());
    // SAFETY: a plain query without pointers.
    let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    running.is_some_and(|running| running as i64 > online.max(1) as i64)
}

/// Nanoseconds from a process-wide start, never 0.
fn nanos_since_epoch(now: Instant) -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    now.saturating_duration_since(epoch).as_nanos() as u64 + 1
}

/// Polls `done` until it returns true (then returns true), or until `limit`
/// has passed or the thread is found to have lost its CPU meanwhile (then
/// false), keeping `heartbeat` fresh while it spins. Losing the CPU matters
/// when other processes keep the CPUs busy: a spin then only takes CPU
/// time from the thread it waits for (and yielding instead would send this
/// thread to the back of the run queue, behind whole time slices).
pub(crate) fn spin_until(limit: Duration, heartbeat: &Heartbeat, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    heartbeat.beat(start);
    let mut last = start;
    let caught = loop {
        // The clock is read every 64 looks; `done` is a load.
        if (0..64).any(|_| {
            std::hint::spin_loop();
            done()
        }) {
            break true;
        }
        let now = Instant::now();
        if now - start >= limit || now - last >= PREEMPTED {
            break done();
        }
        heartbeat.beat(now);
        last = now;
    };
    heartbeat.stop();
    caught
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
    fn more_busy_threads_than_cpus_are_seen_as_oversubscribed() {
        // SAFETY: as in `cpus_oversubscribed`.
        let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }.max(1) as usize;
        let stop = Arc::new(AtomicBool::new(false));
        let busy: Vec<_> = (0..online + 1)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || while !stop.load(Acquire) {})
            })
            .collect();
        let seen = (0..500).any(|_| {
            std::thread::sleep(Duration::from_millis(1));
            cpus_oversubscribed()
        });
        stop.store(true, Release);
        busy.into_iter().for_each(|t| t.join().unwrap());
        assert!(seen, "{} busy threads on {online} CPUs went unseen", online + 1);
    }

    #[test]
    fn spin_until_sees_a_flag_set_by_another_thread() {
        let flag = Arc::new(AtomicBool::new(false));
        let setter = {
            let flag = flag.clone();
            std::thread::spawn(move || flag.store(true, Release))
        };
        setter.join().unwrap();
        let heartbeat = Heartbeat::new();
        assert!(!heartbeat.is_fresh(), "nobody spins yet");
        assert!(spin_until(Duration::from_secs(10), &heartbeat, || flag.load(Acquire)));
        assert!(!heartbeat.is_fresh(), "the spin is over");
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
        // A spin also stops early when the thread loses its CPU (as it may
        // while other tests run), so not every try runs its full limit; one
        // of twenty must, and none may return true or run on for long.
        let limit = Duration::from_micros(200);
        let heartbeat = Heartbeat::new();
        let mut fresh_while_spinning = false;
        let mut longest = Duration::ZERO;
        for _ in 0..20 {
            let start = Instant::now();
            assert!(!spin_until(limit, &heartbeat, || {
                fresh_while_spinning |= heartbeat.is_fresh();
                false
            }));
            longest = longest.max(start.elapsed());
        }
        assert!(fresh_while_spinning);
        assert!(longest >= limit, "no try spun for its limit: longest {longest:?}");
        assert!(longest < Duration::from_secs(5), "a spin ran on: {longest:?}");
    }
}
