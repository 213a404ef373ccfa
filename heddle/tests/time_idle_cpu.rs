//! An idle runtime waiting for a timer sleeps: it does not spin.
//!
//! The driver polls instead of sleeping through the last `timer_spin`
//! window before the next timer (50 µs by default). The driver's "next
//! timer" is a lower bound (the start of a wheel slot); reaching it can just
//! move timers to a finer level. A spin that went on until a timer fired
//! spun from such a boundary to the deadline, here 0.2 s. These tests
//! sleep for one second and bound the CPU time the runtime's threads used
//! meanwhile: a few spin windows, not hundreds of milliseconds.

use std::time::Duration;

use heddle::runtime::Builder;

mod support;

const SLEEP: Duration = Duration::from_secs(1);
/// A wide spin window, so that the driver reliably starts spinning before
/// a slot boundary (with the default 50 µs, a virtual CPU often wakes too
/// late to spin at all). Spinning correctly costs up to this much per wheel
/// level the timer passes through: about 20 ms here.
const SPIN: Duration = Duration::from_millis(5);
const CPU_BOUND: Duration = Duration::from_millis(150);

/// CPU time of this process's threads named `name`, from /proc.
fn named_threads_cpu(name: &str) -> Duration {
    // SAFETY: sysconf has no preconditions.
    let ticks_per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    let mut ticks = 0;
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else { continue };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        if &stat[open + 1..close] != name {
            continue;
        }
        // After the name: state is field 3; utime and stime are 14 and 15.
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        ticks += fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    }
    Duration::from_millis(ticks * 1000 / ticks_per_sec)
}

/// Sleeps `SLEEP` with a short timer firing first: the driver then sets
/// its next wake-up from the wheel (a slot start, here about 0.79 s in)
/// rather than from the long timer's exact deadline, and has to pass that
/// slot boundary on the way.
async fn long_sleep_after_short() {
    // Spawned so that its timer is in the wheel when the short one fires.
    let long = heddle::spawn(heddle::time::sleep(SLEEP));
    heddle::time::sleep(Duration::from_millis(20)).await;
    long.await.unwrap();
}

#[test]
fn current_thread_runtime_sleeps_through_a_long_timer() {
    let rt = Builder::new_current_thread().timer_spin(SPIN).enable_all().build().unwrap();
    // The runtime runs on this thread: its CPU time is the runtime's.
    let before = support::cpu_time(libc::RUSAGE_THREAD);
    rt.block_on(long_sleep_after_short());
    let used = support::cpu_time(libc::RUSAGE_THREAD) - before;
    assert!(used < CPU_BOUND, "{used:?} of CPU during a {SLEEP:?} sleep");
}

#[test]
fn multi_thread_runtime_sleeps_through_a_long_timer() {
    const NAME: &str = "idle-cpu-check";
    let rt =
        Builder::new_multi_thread().worker_threads(2).thread_name(NAME).timer_spin(SPIN).enable_all().build().unwrap();
    // The sleep runs on a worker (spawned), so a worker parks for it.
    rt.block_on(async { heddle::spawn(async {}).await.unwrap() });
    let before = named_threads_cpu(NAME);
    rt.block_on(async { heddle::spawn(long_sleep_after_short()).await.unwrap() });
    let used = named_threads_cpu(NAME) - before;
    assert!(used < CPU_BOUND, "{used:?} of CPU in the workers during a {SLEEP:?} sleep");
}
