//! The process entry point, shared by `heddle-blobd` and its tokio build.
//!
//! `main.rs` of this crate and `blobd-tokio/src/main.rs` both include this
//! file, so the two binaries parse the same options, build their runtime
//! (whichever `crate::rt` names) the same way and exit the same way: the
//! benchmark compares runtimes, not start-up code.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use crate::{cli, server};

/// Parses the command line, builds a multi-threaded runtime and runs the
/// server on it until SIGTERM or SIGINT. `prog` prefixes fatal errors.
pub fn main(prog: &str) -> ExitCode {
    let cli = cli::Cli::parse();
    let level = if cli.quiet { tracing::Level::WARN } else { tracing::Level::INFO };
    tracing_subscriber::fmt().with_max_level(level).with_writer(std::io::stderr).init();

    let mut builder = crate::rt::runtime::Builder::new_multi_thread();
    builder.enable_all().thread_name("blobd-worker");
    if let Some(n) = cli.workers {
        builder.worker_threads(n.max(1));
    }
    let rt = match builder.build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{prog}: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let res = rt.block_on(server::run(cli));
    rt.shutdown_timeout(Duration::from_secs(1));
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{prog}: {e}");
            ExitCode::FAILURE
        }
    }
}
