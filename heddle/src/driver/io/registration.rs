//! `Registration`: a socket's link to the reactor, and the retry loop that
//! turns "would block" into waiting for readiness.

use std::io;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use mio::event::Source;

use super::scheduled_io::{Direction, ReadyEvent, ScheduledIo};
use crate::driver::DriverHandle;

/// A source registered with a runtime's reactor.
pub(crate) struct Registration {
    driver: Arc<DriverHandle>,
    io: Arc<ScheduledIo>,
}

impl Registration {
    /// Registers `source` with the reactor of the current runtime.
    ///
    /// # Panics
    /// Outside a runtime, or when the runtime's I/O is not enabled.
    #[track_caller]
    pub(crate) fn new(source: &mut impl Source) -> io::Result<Registration> {
        Self::with_interest(source, mio::Interest::READABLE | mio::Interest::WRITABLE)
    }

    /// Registers `source` for the directions in `interest` only (epoll is
    /// not asked about the others: an `AsyncFd` over a read-only fd).
    ///
    /// # Panics
    /// As [`new`](Self::new).
    #[track_caller]
    pub(crate) fn with_interest(source: &mut impl Source, interest: mio::Interest) -> io::Result<Registration> {
        let driver = crate::runtime::Handle::current().driver().clone();
        if !driver.io_enabled {
            panic!(
                "heddle: I/O is disabled on this runtime; call `enable_io()` or `enable_all()` on the runtime builder"
            );
        }
        let io = driver.io.register(source, interest)?;
        Ok(Registration { driver, io })
    }

    /// Removes `source` from the reactor.
    pub(crate) fn deregister(&self, source: &mut impl Source) -> io::Result<()> {
        self.driver.io.deregister(source, &self.io)
    }

    /// Ready once `direction` is ready; errors if the reactor shut down.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, direction: Direction) -> Poll<io::Result<ReadyEvent>> {
        let coop = ready!(crate::runtime::coop::poll_proceed(cx));
        let event = ready!(self.io.poll_readiness(cx, direction));
        if event.is_shutdown() {
            return Poll::Ready(Err(shutdown_error()));
        }
        coop.made_progress();
        Poll::Ready(Ok(event))
    }

    /// Clears readiness seen in `event` (after a short read or `WouldBlock`).
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        self.io.clear_readiness(event);
    }

    /// Runs `op` when `direction` is ready, retrying after `WouldBlock`.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let event = ready!(self.poll_ready(cx, direction))?;
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.io.clear_readiness(event),
                result => return Poll::Ready(result),
            }
        }
    }

    /// Runs `op` once if `direction` looks ready; `WouldBlock` otherwise.
    pub(crate) fn try_io<R>(&self, direction: Direction, op: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        let Some(event) = self.io.ready_now(direction) else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        if event.is_shutdown() {
            return Err(shutdown_error());
        }
        let result = op();
        if matches!(&result, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.io.clear_readiness(event);
        }
        result
    }
}

fn shutdown_error() -> io::Error {
    io::Error::other("heddle: the runtime's reactor has shut down")
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration").field("io", &self.io).finish()
    }
}
