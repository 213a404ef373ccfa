//! blobd-tokio: heddle-blobd built on tokio, for the benchmark.
//!
//! Every module except `rt` is heddle-blobd's own source file: `build.rs`
//! reads the `mod` lines of `heddle-blobd/src/main.rs` and this file
//! includes them by path. `rt` is the tokio twin of heddle-blobd's
//! `src/rt.rs`. The binary takes the same options and behaves the same way,
//! so `heddle-blobd/scripts/bench.sh` compares the runtimes and nothing
//! else. No cargo feature does this switch on purpose: `cargo test
//! --all-features` must keep testing heddle-blobd on heddle.

include!(concat!(env!("OUT_DIR"), "/modules.rs"));
mod rt;

use std::process::ExitCode;

fn main() -> ExitCode {
    entry::main("blobd-tokio")
}
