//! Benchmarks that put heddle and tokio side by side.
//!
//! * [`tinyhttp`]: the HTTP server of tokio's tinyhttp example, generic over
//!   the socket type, served by `examples/tinyhttp.rs` on either runtime
//!   (driven by `bench/http.sh`).
//! * `benches/rt.rs`, `benches/sync.rs`, `benches/timer.rs`: criterion
//!   micro-benchmarks, each a group with one `heddle` and one `tokio`
//!   function running the same code (`bench/micro.sh` prints the ratios).
//!   `rt.rs` and `sync.rs` also have a paired runner (`-- --paired`,
//!   `benches/support/mod.rs`) that alternates short batches of the two,
//!   and gives each median ratio a 95% interval ([`ratio_ci`]).
//! * `src/bin/timer-lateness.rs`: how late `sleep(100 µs)` wakes up.
//!
//! `BENCHMARKS.md` at the repository root has the commands and the figures.

pub mod ratio_ci;
pub mod tinyhttp;

/// Worker threads for the multi-thread micro-benchmarks: 4, as tokio's
/// benches use, unless `HEDDLE_BENCH_WORKERS` says otherwise.
pub fn bench_workers() -> usize {
    std::env::var("HEDDLE_BENCH_WORKERS").ok().and_then(|v| v.parse().ok()).unwrap_or(4)
}
