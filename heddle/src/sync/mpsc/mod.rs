//! Multi-producer, single-consumer channels: [`channel`] (bounded, senders
//! wait for capacity) and [`unbounded_channel`].
//!
//! ```
//! use heddle::sync::mpsc;
//!
//! #[heddle::main(flavor = "current_thread")]
//! async fn main() {
//!     let (tx, mut rx) = mpsc::channel(8);
//!     for i in 0..3 {
//!         let tx = tx.clone();
//!         heddle::spawn(async move { tx.send(i).await.unwrap() });
//!     }
//!     drop(tx);
//!     let mut sum = 0;
//!     while let Some(i) = rx.recv().await {
//!         sum += i;
//!     }
//!     assert_eq!(sum, 3);
//! }
//! ```
//!
//! * Dropping every sender ends the stream: `recv` drains what is queued,
//!   then returns `None`.
//! * Dropping (or [`close`](Receiver::close)-ing) the receiver makes every
//!   new send fail and hand its value back in the error. On a bounded
//!   channel, permits reserved before `close` may still send, and `recv`
//!   ends only once they are all used or dropped.
//! * Senders waiting for capacity are served first come, first served.
//! * `recv` is cancel-safe: a message is taken out of the channel only by
//!   the poll that returns it.
//!
//! The queue is a lock-free linked list of fixed-size blocks (one atomic
//! `fetch_add` claims a slot); its design is described in the `list`
//! module source.

mod bounded;
mod chan;
pub mod error;
mod list;
#[cfg(all(test, loom))]
mod loom_tests;
mod permits;
mod unbounded;

pub use bounded::{channel, OwnedPermit, Permit, PermitIterator, Receiver, Sender, WeakSender};
pub use unbounded::{unbounded_channel, UnboundedReceiver, UnboundedSender, WeakUnboundedSender};
