//! Macros for combining futures inside one task: [`select!`](crate::select),
//! [`join!`](crate::join), [`try_join!`](crate::try_join) and
//! [`pin!`](crate::pin).
//!
//! They are exported at the crate root (`heddle::select!` and so on); this
//! module only holds their documentation overview and runtime support.
//!
//! ```
//! # heddle::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! use std::time::Duration;
//!
//! let (a, b) = heddle::join!(async { 1 }, async { 2 });
//! assert_eq!(a + b, 3);
//!
//! let winner = heddle::select! {
//!     _ = heddle::time::sleep(Duration::from_secs(5)) => "slow",
//!     v = async { "fast" } => v,
//! };
//! assert_eq!(winner, "fast");
//! # });
//! ```

mod join;
mod pin;
mod select;
#[doc(hidden)]
pub mod support;
