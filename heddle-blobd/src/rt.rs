//! The async runtime under blobd, in one place.
//!
//! Every other module names the runtime only through `crate::rt`, so the
//! same server code can be compiled against another runtime with the same
//! API (the benchmark builds it on tokio to compare like with like) by
//! swapping this one file.

pub use heddle::{net, pin, runtime, select, signal, spawn, sync, task, time};

/// hyper's I/O adapter for the runtime's TCP stream.
pub type HyperIo<T> = heddle_hyper::HeddleIo<T>;

/// hyper's timer on the runtime's clock.
pub fn hyper_timer() -> heddle_hyper::HeddleTimer {
    heddle_hyper::HeddleTimer::new()
}
