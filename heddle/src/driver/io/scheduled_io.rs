//! `ScheduledIo`: the reactor's per-socket record: readiness bits, the
//! driver tick they were set on, and one waker slot per direction.
//!
//! ```text
//!  readiness word:  [ tick: 16 bits ][ SHUTDOWN ERROR WRITE_CLOSED READ_CLOSED WRITABLE READABLE ]
//! ```
//!
//! The driver ORs bits in and stamps its tick; a task that got `WouldBlock`
//! clears its direction's bit only if the tick is still the one it saw, so
//! an event that arrived between its check and its syscall is never lost.

use std::task::{Context, Poll, Waker};

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::util::atomic_waker::AtomicWaker;

/// One side of a socket that a task waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

pub(crate) const READABLE: usize = 1 << 0;
pub(crate) const WRITABLE: usize = 1 << 1;
pub(crate) const READ_CLOSED: usize = 1 << 2;
pub(crate) const WRITE_CLOSED: usize = 1 << 3;
pub(crate) const ERROR: usize = 1 << 4;
/// The reactor is gone: every waiter must give up.
pub(crate) const SHUTDOWN: usize = 1 << 5;
const READY_MASK: usize = (1 << 16) - 1;
const TICK_SHIFT: usize = 16;
const TICK_MASK: usize = 0xffff << TICK_SHIFT;

impl Direction {
    /// Readiness bits that let an operation in this direction proceed.
    fn mask(self) -> usize {
        match self {
            Direction::Read => READABLE | READ_CLOSED | ERROR | SHUTDOWN,
            Direction::Write => WRITABLE | WRITE_CLOSED | ERROR | SHUTDOWN,
        }
    }

    /// The bit a `WouldBlock` clears.
    fn clearable(self) -> usize {
        match self {
            Direction::Read => READABLE,
            Direction::Write => WRITABLE,
        }
    }
}

/// Readiness observed by a task, to be cleared after a `WouldBlock`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyEvent {
    tick: usize,
    pub(crate) ready: usize,
    direction: Direction,
}

impl ReadyEvent {
    pub(crate) fn is_shutdown(&self) -> bool {
        self.ready & SHUTDOWN != 0
    }
}

/// Per-registration state shared by the reactor and the socket's tasks.
pub(crate) struct ScheduledIo {
    /// This record's key in its reactor's set of live registrations.
    key: usize,
    /// Which of the runtime's reactors (epoll instances) it is in.
    reactor: usize,
    readiness: AtomicUsize,
    reader: AtomicWaker,
    writer: AtomicWaker,
}

impl ScheduledIo {
    pub(crate) fn new(reactor: usize, key: usize) -> ScheduledIo {
        ScheduledIo {
            key,
            reactor,
            readiness: AtomicUsize::new(0),
            reader: AtomicWaker::new(),
            writer: AtomicWaker::new(),
        }
    }

    pub(crate) fn key(&self) -> usize {
        self.key
    }

    pub(crate) fn reactor(&self) -> usize {
        self.reactor
    }

    /// Driver side: ORs `ready` in, stamped with `tick`, and returns the
    /// wakers to wake (the caller wakes them, possibly after a lock).
    pub(crate) fn set_readiness(&self, tick: u16, ready: usize) -> [Option<Waker>; 2] {
        let stamp = (tick as usize) << TICK_SHIFT;
        let mut current = self.readiness.load(Acquire);
        loop {
            let next = (current & READY_MASK) | ready | stamp;
            match self.readiness.compare_exchange_weak(current, next, AcqRel, Acquire) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        let reader = if ready & Direction::Read.mask() != 0 { self.reader.take() } else { None };
        let writer = if ready & Direction::Write.mask() != 0 { self.writer.take() } else { None };
        [reader, writer]
    }

    /// Readiness in `direction` if there is any, without registering.
    pub(crate) fn ready_now(&self, direction: Direction) -> Option<ReadyEvent> {
        let current = self.readiness.load(Acquire);
        let ready = current & direction.mask();
        (ready != 0).then_some(ReadyEvent { tick: current & TICK_MASK, ready, direction })
    }

    /// Task side: Ready with the observed readiness, or registers the waker.
    pub(crate) fn poll_readiness(&self, cx: &mut Context<'_>, direction: Direction) -> Poll<ReadyEvent> {
        if let Some(event) = self.ready_now(direction) {
            return Poll::Ready(event);
        }
        let slot = match direction {
            Direction::Read => &self.reader,
            Direction::Write => &self.writer,
        };
        slot.register(cx.waker());
        // The driver may have set the bit between the check and the
        // registration; it then found no waker, so check again.
        match self.ready_now(direction) {
            Some(event) => Poll::Ready(event),
            None => Poll::Pending,
        }
    }

    /// Clears the readiness seen in `event` unless the driver has stamped a
    /// newer tick since.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        let clear = event.direction.clearable();
        let mut current = self.readiness.load(Acquire);
        while current & TICK_MASK == event.tick {
            match self.readiness.compare_exchange_weak(current, current & !clear, AcqRel, Acquire) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// The reactor is shutting down: wake every waiter with SHUTDOWN.
    pub(crate) fn shutdown(&self) {
        self.readiness.fetch_or(SHUTDOWN, AcqRel);
        self.reader.wake();
        self.writer.wake();
    }
}

impl std::fmt::Debug for ScheduledIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ScheduledIo({:#x})", self.readiness.load(Relaxed))
    }
}
