//! Time: sleeping, timeouts and intervals, with microsecond resolution.
//!
//! Timers live in the runtime's hierarchical wheel (1 µs ticks) and the
//! parked thread is woken by a timerfd at the exact deadline, so
//! `sleep(Duration::from_micros(100))` wakes after ~100 µs, not after the
//! 1 ms a millisecond wheel rounds up to.
//!
//! Tests can [`pause`] time, [`advance`] it by hand, or let the runtime
//! jump it to the next timer when idle (`#[heddle::test(start_paused = true)]`).
//!
//! ```
//! # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use heddle::time::{sleep, timeout, Duration};
//! let fast = timeout(Duration::from_millis(50), sleep(Duration::from_micros(100))).await;
//! assert!(fast.is_ok());
//! # });
//! ```

pub mod error;
mod instant;
mod interval;
mod pause;
mod sleep;
mod timeout;

pub use instant::Instant;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use pause::{advance, pause, resume};
pub use sleep::{sleep, sleep_until, Sleep};
pub use std::time::Duration;
pub use timeout::{timeout, timeout_at, Timeout};
