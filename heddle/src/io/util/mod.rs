//! heddle's in-memory streams: [`empty`], [`repeat`], [`sink`], [`duplex`]
//! and [`simplex`].
//!
//! `duplex` and `simplex` wrap their tokio io-util namesakes (same
//! buffering, same end-of-file and broken-pipe rules); `empty`, `repeat`
//! and `sink` are a few lines each and heddle's own, so that a hot loop
//! over them checks one budget, not heddle's and then tokio's. All add
//! what tokio's lack when tokio's runtime is not compiled in: every read,
//! write, flush or seek first
//! spends one unit of the task's cooperative budget
//! ([`poll_proceed`](crate::task::coop::poll_proceed)). These streams are
//! often ready at once, so without it a loop over one would never return
//! `Pending`: it would hold its worker forever and a surrounding
//! [`timeout`](crate::time::timeout) could never fire. An operation that
//! is not ready (a pipe with nothing to read) gives its unit back.
//!
//! Outside a runtime, or inside
//! [`unconstrained`](crate::task::unconstrained), there is no budget and
//! they behave exactly like tokio's.
//!
//! ```
//! use heddle::io::AsyncReadExt;
//! use std::time::Duration;
//!
//! # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! // A loop that is always ready still lets the timer fire.
//! let spin = async {
//!     let mut buf = [0u8; 16];
//!     loop {
//!         let _ = heddle::io::empty().read(&mut buf).await;
//!     }
//! };
//! assert!(heddle::time::timeout(Duration::from_millis(1), spin).await.is_err());
//! # });
//! ```

use std::task::{ready, Context, Poll};

mod copy;
mod copy_buffer;
mod duplex;
mod empty;
mod repeat;
mod simplex;
mod sink;

pub use copy::{copy, copy_bidirectional, copy_bidirectional_with_sizes, copy_buf};
pub use duplex::{duplex, DuplexStream};
pub use empty::{empty, Empty};
pub use repeat::{repeat, Repeat};
pub use simplex::{simplex, SimplexStream};
pub use sink::{sink, Sink};

/// Runs one poll of an in-memory operation under the task's budget: with
/// no unit left it yields instead; a unit stays spent only if `op` is
/// ready.
#[inline]
fn budgeted<T>(cx: &mut Context<'_>, op: impl FnOnce(&mut Context<'_>) -> Poll<T>) -> Poll<T> {
    let unit = ready!(crate::runtime::coop::poll_proceed(cx));
    let polled = op(cx);
    if polled.is_ready() {
        unit.made_progress();
    }
    polled
}
