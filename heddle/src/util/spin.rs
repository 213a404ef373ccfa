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
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering::*};
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
    fn spin_until_gives_up_after_its_limit() {
        let start = Instant::now();
        assert!(!spin_until(Duration::from_micros(200), || false));
        assert!(start.elapsed() >= Duration::from_micros(200));
    }
}
