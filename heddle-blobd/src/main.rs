//! heddle-blobd: a REST blob store on heddle + hyper. See README.md.

mod activity;
mod auth;
mod body;
mod cli;
mod entry;
mod handlers;
mod key;
mod range;
mod rt;
mod server;
mod shutdown;
mod store;

use std::process::ExitCode;

fn main() -> ExitCode {
    entry::main("heddle-blobd")
}
