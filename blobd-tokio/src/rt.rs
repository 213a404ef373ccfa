//! The async runtime under blobd-tokio: tokio, behind the same names as
//! heddle-blobd's `src/rt.rs`.
//!
//! heddle-blobd's modules name the runtime only through `crate::rt`; this
//! file is that module's twin, so the very same server source compiles on
//! tokio. Keep the two in step: every name exported there is exported here.

pub use tokio::{net, pin, runtime, select, signal, spawn, sync, task, time};

/// hyper's I/O adapter for the runtime's TCP stream.
pub type HyperIo<T> = hyper_util::rt::TokioIo<T>;

/// hyper's timer on the runtime's clock.
pub fn hyper_timer() -> hyper_util::rt::TokioTimer {
    hyper_util::rt::TokioTimer::new()
}
