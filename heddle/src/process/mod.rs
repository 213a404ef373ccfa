//! Child processes: [`Command`] builds and spawns one, [`Child`] waits for
//! it, and its piped standard streams ([`ChildStdin`], [`ChildStdout`],
//! [`ChildStderr`]) are asynchronous pipes driven by the reactor.
//!
//! Waiting is readiness-driven: on Linux 5.3 and later each child gets a
//! pidfd registered with the reactor, which becomes readable when the child
//! exits (older kernels fall back to `SIGCHLD`). A [`Child`] dropped before
//! it was waited for is reaped in the background, so it never stays a
//! zombie; with [`Command::kill_on_drop`] it is killed first.
//!
//! ```
//! use heddle::process::Command;
//!
//! # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let output = Command::new("echo").arg("hello").output().await.unwrap();
//! assert!(output.status.success());
//! assert_eq!(output.stdout, b"hello\n");
//! # });
//! ```

mod child;
mod command;
mod reaper;
mod stdio;

pub use child::Child;
pub use command::Command;
pub use std::process::{ExitStatus, Output, Stdio};
pub use stdio::{ChildStderr, ChildStdin, ChildStdout};
