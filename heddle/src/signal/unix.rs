//! Unix signals: [`signal`] returns a [`Signal`] stream of deliveries of
//! one [`SignalKind`].
//!
//! ```
//! use heddle::signal::unix::{signal, SignalKind};
//!
//! # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let mut first = signal(SignalKind::user_defined2()).unwrap();
//! let mut second = signal(SignalKind::user_defined2()).unwrap();
//! // SAFETY: `raise` only signals this thread, and SIGUSR2 now has a handler.
//! assert_eq!(unsafe { libc::raise(libc::SIGUSR2) }, 0);
//! // Every listener sees the delivery.
//! assert_eq!(first.recv().await, Some(()));
//! assert_eq!(second.recv().await, Some(()));
//! # });
//! ```

use std::io;
use std::task::{Context, Poll};

use super::registry::{self, Listener};

/// A kind of Unix signal: a signal number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(libc::c_int);

impl SignalKind {
    /// The signal with number `signum` (e.g. a real-time signal).
    pub const fn from_raw(signum: libc::c_int) -> SignalKind {
        SignalKind(signum)
    }

    /// This kind's signal number.
    pub const fn as_raw_value(&self) -> libc::c_int {
        self.0
    }

    /// `SIGALRM`: a timer set with `alarm` expired.
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// `SIGCHLD`: a child process stopped or exited.
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// `SIGHUP`: the controlling terminal closed; daemons often take it as
    /// "reload the configuration".
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// `SIGINT`: an interrupt from the keyboard (Ctrl-C).
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// `SIGIO`: I/O is possible on a descriptor set up for it.
    pub const fn io() -> SignalKind {
        SignalKind(libc::SIGIO)
    }

    /// `SIGPIPE`: a write to a pipe or socket nobody reads any more.
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }

    /// `SIGQUIT`: a quit request from the keyboard (Ctrl-\\).
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// `SIGTERM`: a polite request to terminate.
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// `SIGUSR1`: meaning defined by the application.
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// `SIGUSR2`: meaning defined by the application.
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// `SIGWINCH`: the terminal window changed size.
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }
}

impl From<libc::c_int> for SignalKind {
    fn from(signum: libc::c_int) -> SignalKind {
        SignalKind(signum)
    }
}

/// Deliveries of one kind of signal, from [`signal`].
///
/// Each `Signal` sees every delivery made after it was created; deliveries
/// that arrive while nobody polls may be merged into one.
#[derive(Debug)]
pub struct Signal {
    listener: Listener,
}

/// Starts listening for `kind`. The first listener for a kind installs a
/// process-wide handler that stays for the rest of the process (the
/// signal's default action, such as terminating, no longer happens).
///
/// # Errors
/// For signals that cannot be handled (`SIGKILL`, `SIGSTOP`, `SIGILL`,
/// `SIGFPE`, `SIGSEGV`, out-of-range numbers), when the handler cannot be
/// installed, or outside a heddle runtime with I/O enabled.
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    Ok(Signal { listener: registry::listen(kind.0)? })
}

impl Signal {
    /// Waits for the next delivery. Always `Some(())` (the `Option` mirrors
    /// stream-like APIs; the registry never closes).
    pub async fn recv(&mut self) -> Option<()> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.listener.poll_recv(cx).map(Some)
    }
}
