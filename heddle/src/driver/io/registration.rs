//! `Registration`: a socket's link to the reactor, and the retry loop that
//! turns "would block" into waiting for readiness.
//!
//! Two ways to wait: the `poll_*` functions keep one waker per direction
//! (the last task to poll is the one woken, which is what `AsyncRead` and
//! `AsyncWrite` need), and [`Readiness`], the future behind every `&self`
//! async method, queues any number of tasks and wakes them all.

use std::future::Future;
use std::io;
use std::pin::Pin;
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

    /// Waits, as one of any number of tasks, until some of `directions` is
    /// ready; the output holds the readiness found in each of them.
    pub(crate) fn readiness(&self, directions: impl IntoIterator<Item = Direction>) -> Readiness<'_> {
        let (mut wanted, mut mask) = (0u8, 0usize);
        for direction in directions {
            wanted |= 1 << direction.index();
            mask |= direction.mask();
        }
        Readiness { io: &self.io, wanted, mask, key: None }
    }

    /// Runs `op` when `direction` is ready, retrying after `WouldBlock`: the
    /// async form of [`poll_io`](Self::poll_io), for any number of tasks.
    pub(crate) async fn async_io<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            let events = self.readiness([direction]).await?;
            let Some(event) = events[direction.index()] else { continue };
            // The budget is spent by operations that get somewhere, not by
            // the readiness waits (as tokio counts it).
            let coop = std::future::poll_fn(crate::runtime::coop::poll_proceed).await;
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.io.clear_readiness(event),
                result => {
                    coop.made_progress();
                    return result;
                }
            }
        }
    }

    /// Marks the socket readable and/or writable before the reactor says
    /// so, as [`ScheduledIo::assume_ready`] describes.
    pub(crate) fn assume_ready(&self, readable: bool, writable: bool) {
        use super::scheduled_io::{READABLE, WRITABLE};
        self.io.assume_ready(if readable { READABLE } else { 0 } | if writable { WRITABLE } else { 0 });
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
    /// After the reactor has shut down every direction looks ready, and the
    /// operation is still tried: the socket itself works, and what it had
    /// buffered can be read; the waits report the shutdown.
    pub(crate) fn try_io<R>(&self, direction: Direction, op: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        let Some(event) = self.io.ready_now(direction) else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        let result = op();
        if matches!(&result, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.io.clear_readiness(event);
        }
        result
    }
}

/// Readiness found per direction (indexed by [`Direction::index`]).
pub(crate) type ReadyEvents = [Option<ReadyEvent>; Direction::COUNT];

/// The future of [`Registration::readiness`]: one entry in the socket's
/// waiter list while it waits, removed when it completes or is dropped.
/// Waiting spends no budget; the operation that follows does.
pub(crate) struct Readiness<'a> {
    io: &'a ScheduledIo,
    /// Bit `i` set: direction with index `i` is waited for.
    wanted: u8,
    /// The readiness bits of those directions.
    mask: usize,
    /// This future's entry in the waiter list, once it has one.
    key: Option<usize>,
}

impl Future for Readiness<'_> {
    type Output = io::Result<ReadyEvents>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            ready!(this.io.poll_wait(cx, this.mask, &mut this.key));
            let mut events: ReadyEvents = [None; Direction::COUNT];
            for direction in Direction::ALL {
                if this.wanted & (1 << direction.index()) != 0 {
                    events[direction.index()] = this.io.ready_now(direction);
                }
            }
            if events.iter().flatten().any(ReadyEvent::is_shutdown) {
                return Poll::Ready(Err(shutdown_error()));
            }
            if events.iter().any(Option::is_some) {
                return Poll::Ready(Ok(events));
            }
            // Another task cleared the readiness since: wait again.
        }
    }
}

impl Drop for Readiness<'_> {
    fn drop(&mut self) {
        self.io.cancel_wait(&mut self.key);
    }
}

fn shutdown_error() -> io::Error {
    io::Error::other(crate::runtime::shutdown_error::SHUTDOWN_MESSAGE)
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration").field("io", &self.io).finish()
    }
}
