//! Test time: [`pause`], [`resume`] and [`advance`] the runtime's clock.
//!
//! These are the user-facing side of the pausable clock in
//! `driver/time/clock.rs`. While the clock is paused, [`Instant::now`]
//! (heddle's, not std's) and every timer read the paused clock, which moves
//! only when [`advance`] is called or when the runtime auto-advances it:
//! whenever the runtime has no task to run and no I/O event is ready, it
//! jumps the clock to the next timer's deadline instead of sleeping. A test
//! of an hour-long timeout thus takes microseconds.
//!
//! Only the current-thread runtime supports paused time (the default for
//! `#[heddle::test]`); start one paused with
//! `#[heddle::test(start_paused = true)]` or
//! [`Builder::start_paused`](crate::runtime::Builder::start_paused).
//!
//! ```
//! use heddle::time::{self, Duration, Instant};
//!
//! # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! time::pause();
//! let start = Instant::now();
//! time::advance(Duration::from_secs(5)).await;
//! assert_eq!(start.elapsed(), Duration::from_secs(5));
//! time::sleep(Duration::from_secs(60)).await; // auto-advanced
//! assert_eq!(start.elapsed(), Duration::from_secs(65));
//! time::resume();
//! # });
//! ```
//!
//! [`Instant::now`]: crate::time::Instant::now

use std::time::Duration;

use crate::runtime::stats::RuntimeStats;

const OUTSIDE_RUNTIME: &str = "time cannot be frozen from outside the heddle runtime";

/// Runs `f` on the current runtime's driver, panicking with `f`'s error or
/// when there is no runtime.
#[track_caller]
fn with_clock(f: impl FnOnce(&crate::driver::DriverHandle) -> Result<(), &'static str>) {
    let result = crate::runtime::context::with_driver(f).unwrap_or(Err(OUTSIDE_RUNTIME));
    if let Err(msg) = result {
        panic!("{msg}");
    }
}

/// Pauses the current runtime's clock.
///
/// From now on, [`Instant::now`](crate::time::Instant::now) and every timer
/// of this runtime use the paused clock, which moves only through
/// [`advance`] or auto-advance until [`resume`] is called. Auto-advance:
/// whenever the runtime has no task to run and no I/O event is ready, it
/// jumps the clock to the next timer's deadline instead of sleeping, so a
/// test of an hour-long timeout takes microseconds. Timers that are
/// already due still fire.
///
/// Only the current-thread runtime supports paused time (the default for
/// `#[heddle::test]`); start one paused with
/// `#[heddle::test(start_paused = true)]` or
/// [`Builder::start_paused`](crate::runtime::Builder::start_paused).
///
/// ```
/// use heddle::time::{self, Duration, Instant};
///
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// time::pause();
/// let t = Instant::now();
/// std::thread::sleep(std::time::Duration::from_millis(2));
/// assert_eq!(Instant::now(), t, "paused time does not move on its own");
/// # });
/// ```
///
/// # Panics
/// If the clock is already paused, outside a runtime, or on a multi-thread
/// runtime (paused time requires the current-thread runtime).
#[track_caller]
pub fn pause() {
    with_clock(|driver| driver.time.clock.pause());
}

/// Resumes the current runtime's paused clock: it runs at the OS clock's
/// pace again, from the time it had reached.
///
/// ```
/// use heddle::time::{self, Duration, Instant};
///
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let start = Instant::now();
/// time::pause();
/// time::advance(Duration::from_secs(10)).await;
/// time::resume();
/// assert!(start.elapsed() >= Duration::from_secs(10));
/// # });
/// ```
///
/// # Panics
/// If the clock is not paused, or outside a runtime.
#[track_caller]
pub fn resume() {
    with_clock(|driver| driver.time.clock.resume());
}

/// Moves the current runtime's paused clock forward by `duration`, fires
/// every timer that is then due (in deadline order), and yields once so
/// the tasks they woke can run.
///
/// All timers due within `duration` fire together, at the new time; to see
/// each fire at its own time, `sleep` instead and let the runtime
/// auto-advance.
///
/// ```
/// use heddle::time::{self, Duration};
///
/// # heddle::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
/// let sleep = time::sleep(Duration::from_secs(10));
/// let timer = heddle::spawn(sleep);
/// heddle::task::yield_now().await; // the task registers its timer
/// time::advance(Duration::from_secs(9)).await;
/// assert!(!timer.is_finished());
/// time::advance(Duration::from_secs(1)).await;
/// assert!(timer.is_finished());
/// # });
/// ```
///
/// # Panics
/// If the clock is not paused, outside a runtime, or if `duration` moves
/// the clock past what `Instant` can represent.
pub async fn advance(duration: Duration) {
    with_clock(|driver| {
        driver.time.clock.advance(duration)?;
        RuntimeStats::add(&driver.stats.timers_fired, driver.time.process());
        Ok(())
    });
    crate::task::yield_now().await;
}
