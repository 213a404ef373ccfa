//! Asynchronous signal handling: [`ctrl_c`] for the common case and
//! [`unix::signal`] for any Unix signal.
//!
//! Listening for a signal replaces its default action (for `SIGINT`,
//! terminating the process) for the rest of the process's life, even after
//! every listener is dropped: that is how POSIX signal handlers work, and
//! unregistering would race with deliveries in flight.
//!
//! Several deliveries of a signal that arrive before a listener looks may
//! be coalesced into one notification.
//!
//! ```
//! use heddle::signal::unix::{signal, SignalKind};
//!
//! # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
//! // SAFETY: `raise` only signals this thread, and SIGUSR1 now has a handler.
//! assert_eq!(unsafe { libc::raise(libc::SIGUSR1) }, 0);
//! usr1.recv().await;
//! # });
//! ```

mod registry;
pub mod unix;

use std::io;

/// Waits for the next `SIGINT` (what Ctrl-C in a terminal sends).
///
/// The first call installs heddle's handler, so from then on Ctrl-C no
/// longer terminates the process: the program decides what to do.
///
/// # Errors
/// When the handler cannot be installed, or outside a heddle runtime with
/// I/O enabled.
///
/// ```no_run
/// #[heddle::main]
/// async fn main() {
///     println!("press Ctrl-C to stop");
///     heddle::signal::ctrl_c().await.expect("listen for Ctrl-C");
///     println!("stopping");
/// }
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    let mut interrupts = unix::signal(unix::SignalKind::interrupt())?;
    interrupts.recv().await;
    Ok(())
}
