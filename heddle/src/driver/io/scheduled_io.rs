//! `ScheduledIo`: the reactor's per-socket record: readiness bits, the
//! driver tick they were set on, and one waker slot per direction.
//!
//! ```text
//!  readiness word:  [ tick: 16 bits ][ SHUTDOWN WRITE_ERROR READ_ERROR ERRORED PRIORITY
//!                                      WRITE_CLOSED READ_CLOSED WRITABLE READABLE ]
//! ```
//!
//! The driver ORs bits in and stamps its tick; a task that got `WouldBlock`
//! clears its direction's bits only if the tick is still the one it saw, so
//! an event that arrived between its check and its syscall is never lost.
//!
//! An error the kernel reports (`EPOLLERR`) is kept three times: once for
//! readers, once for writers, and once for tasks waiting for
//! `Interest::ERROR`. Each direction clears only its own copy, so a reader
//! that sees `WouldBlock` neither hides the error from an `ERROR` waiter
//! nor keeps finding it set and spinning.

use std::task::{Context, Poll, Waker};

use crate::io::Ready;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::util::atomic_waker::AtomicWaker;

/// One kind of readiness a task waits on, with its own waker slot: the
/// read and write sides, urgent (out-of-band) data, and error conditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
    /// `EPOLLPRI`: TCP urgent data, a sysfs GPIO edge... (`Interest::PRIORITY`).
    Priority,
    /// `EPOLLERR`: an error is pending on the descriptor (`Interest::ERROR`).
    Error,
}

pub(crate) const READABLE: usize = 1 << 0;
pub(crate) const WRITABLE: usize = 1 << 1;
pub(crate) const READ_CLOSED: usize = 1 << 2;
pub(crate) const WRITE_CLOSED: usize = 1 << 3;
pub(crate) const PRIORITY: usize = 1 << 4;
/// The error as seen by `Interest::ERROR` waiters.
const ERRORED: usize = 1 << 5;
/// The error as seen by readers (so a read returns it instead of waiting).
const READ_ERROR: usize = 1 << 6;
/// The error as seen by writers.
const WRITE_ERROR: usize = 1 << 7;
/// What the driver sets when the kernel reports an error: every
/// direction's copy of it.
pub(crate) const ERROR: usize = ERRORED | READ_ERROR | WRITE_ERROR;
/// The reactor is gone: every waiter must give up.
pub(crate) const SHUTDOWN: usize = 1 << 8;
const READY_MASK: usize = (1 << 16) - 1;
const TICK_SHIFT: usize = 16;
const TICK_MASK: usize = 0xffff << TICK_SHIFT;

impl Direction {
    /// How many directions there are.
    pub(crate) const COUNT: usize = 4;
    /// Every direction, in waker-slot order.
    const ALL: [Direction; Direction::COUNT] =
        [Direction::Read, Direction::Write, Direction::Priority, Direction::Error];

    /// Readiness bits that let an operation in this direction proceed.
    /// A priority wait also ends when the read side closes (no urgent data
    /// can come any more), as tokio's does.
    fn mask(self) -> usize {
        match self {
            Direction::Read => READABLE | READ_CLOSED | READ_ERROR | SHUTDOWN,
            Direction::Write => WRITABLE | WRITE_CLOSED | WRITE_ERROR | SHUTDOWN,
            Direction::Priority => PRIORITY | READ_CLOSED | SHUTDOWN,
            Direction::Error => ERRORED | SHUTDOWN,
        }
    }

    /// The bits a `WouldBlock` clears: the closed states are final.
    fn clearable(self) -> usize {
        match self {
            Direction::Read => READABLE | READ_ERROR,
            Direction::Write => WRITABLE | WRITE_ERROR,
            Direction::Priority => PRIORITY,
            Direction::Error => ERRORED,
        }
    }

    /// This direction's place in per-direction arrays (waker slots, an
    /// `AsyncFd` guard's events), below [`COUNT`](Self::COUNT).
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The public readiness flag that names this direction.
    pub(crate) fn flag(self) -> Ready {
        match self {
            Direction::Read => Ready::READABLE,
            Direction::Write => Ready::WRITABLE,
            Direction::Priority => Ready::PRIORITY,
            Direction::Error => Ready::ERROR,
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

    /// The direction this readiness was observed in.
    pub(crate) fn direction(&self) -> Direction {
        self.direction
    }

    /// What this event tells a caller, as the public `Ready`: readable or
    /// writable for those directions (heddle does not report their closed
    /// states apart), `PRIORITY` and/or `READ_CLOSED` for a priority wait
    /// (so a wait ended by the read side closing is not taken for urgent
    /// data), `ERROR` for an error wait.
    pub(crate) fn readiness(&self) -> Ready {
        if self.direction != Direction::Priority {
            return self.direction.flag();
        }
        let mut ready = Ready::EMPTY;
        if self.ready & PRIORITY != 0 {
            ready |= Ready::PRIORITY;
        }
        if self.ready & READ_CLOSED != 0 {
            ready |= Ready::READ_CLOSED;
        }
        ready
    }
}

/// Per-registration state shared by the reactor and the socket's tasks.
pub(crate) struct ScheduledIo {
    /// This record's key in its reactor's set of live registrations.
    key: usize,
    /// Which of the runtime's reactors (epoll instances) it is in.
    reactor: usize,
    readiness: AtomicUsize,
    /// One slot per [`Direction`], in [`Direction::ALL`] order: the task
    /// waiting to read, to write, for urgent data, for an error.
    wakers: [AtomicWaker; Direction::COUNT],
}

impl ScheduledIo {
    pub(crate) fn new(reactor: usize, key: usize) -> ScheduledIo {
        ScheduledIo {
            key,
            reactor,
            readiness: AtomicUsize::new(0),
            wakers: [AtomicWaker::new(), AtomicWaker::new(), AtomicWaker::new(), AtomicWaker::new()],
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
    pub(crate) fn set_readiness(&self, tick: u16, ready: usize) -> [Option<Waker>; Direction::COUNT] {
        let stamp = (tick as usize) << TICK_SHIFT;
        let mut current = self.readiness.load(Acquire);
        loop {
            let next = (current & READY_MASK) | ready | stamp;
            match self.readiness.compare_exchange_weak(current, next, AcqRel, Acquire) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        Direction::ALL.map(|direction| {
            let concerned = ready & direction.mask() != 0;
            concerned.then(|| self.wakers[direction.index()].take()).flatten()
        })
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
        self.wakers[direction.index()].register(cx.waker());
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
        for slot in &self.wakers {
            slot.wake();
        }
    }
}

impl std::fmt::Debug for ScheduledIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ScheduledIo({:#x})", self.readiness.load(Relaxed))
    }
}
