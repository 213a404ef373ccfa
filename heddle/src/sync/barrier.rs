//! `Barrier`: lets `n` tasks wait until all of them have arrived.
//!
//! ```
//! use std::sync::Arc;
//! use heddle::sync::Barrier;
//!
//! #[heddle::main(flavor = "current_thread")]
//! async fn main() {
//!     let barrier = Arc::new(Barrier::new(3));
//!     let handles: Vec<_> = (0..3)
//!         .map(|_| {
//!             let b = barrier.clone();
//!             heddle::spawn(async move { b.wait().await.is_leader() })
//!         })
//!         .collect();
//!     let mut leaders = 0;
//!     for h in handles {
//!         leaders += h.await.unwrap() as usize;
//!     }
//!     assert_eq!(leaders, 1);
//! }
//! ```
//!
//! # Design
//!
//! A counter behind a mutex and a [`Notify`]. Each arrival counts itself;
//! all but the last take a `Notified` while still holding the mutex, then
//! wait on it. The last arrival (the leader) resets the count for the next
//! round and calls `notify_waiters`, which completes exactly the
//! `Notified`s created before it, i.e. this round's.
//!
//! ```text
//!   FILLING(k) ──arrive──▶ FILLING(k+1) ... ──n-th arrival──▶ released,
//!   FILLING(0) again for the next round (reusable)
//! ```

use std::fmt;

use super::{lock, Notify};
use crate::loom::sync::Mutex;

/// A reusable rendezvous point for a fixed number of tasks.
pub struct Barrier {
    n: usize,
    arrived: Mutex<usize>,
    notify: Notify,
}

/// What [`Barrier::wait`] returns.
#[derive(Debug, Clone)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// True for exactly one task per round: the last one to arrive.
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Barrier {
    /// A barrier releasing tasks in groups of `n` (`0` behaves like `1`).
    pub fn new(n: usize) -> Barrier {
        Barrier { n: n.max(1), arrived: Mutex::new(0), notify: Notify::new() }
    }

    /// Waits until `n` tasks (this one included) have called `wait`.
    ///
    /// Not cancel-safe: a cancelled wait still counts as arrived.
    pub async fn wait(&self) -> BarrierWaitResult {
        let notified = {
            let mut arrived = lock(&self.arrived);
            *arrived += 1;
            if *arrived == self.n {
                *arrived = 0;
                drop(arrived);
                self.notify.notify_waiters();
                return BarrierWaitResult(true);
            }
            self.notify.notified()
        };
        notified.await;
        BarrierWaitResult(false)
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier").field("n", &self.n).finish()
    }
}
