//! heddle-blobd: a REST blob store on heddle + hyper. See README.md.

mod body;
mod cli;
mod handlers;
mod key;
mod range;
mod rt;
mod server;
mod shutdown;
mod store;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

fn main() -> ExitCode {
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
            eprintln!("heddle-blobd: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let res = rt.block_on(server::run(cli));
    rt.shutdown_timeout(Duration::from_secs(1));
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("heddle-blobd: {e}");
            ExitCode::FAILURE
        }
    }
}
