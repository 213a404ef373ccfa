//! `ScheduledIo`: the reactor's per-socket record: readiness bits, the
//! driver tick they were set on, one waker slot per direction (for the
//! `poll_*` methods), and a list of any number of waiting futures (for the
//! `&self` async methods: [`IoWaiters`]).
//!
//! ```text
//!  readiness word:  [ tick: 16 bits ][ HAS_WAITERS SHUTDOWN WRITE_ERROR READ_ERROR ERRORED
//!                                      PRIORITY WRITE_CLOSED READ_CLOSED WRITABLE READABLE ]
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
//!
//! `HAS_WAITERS` says the waiter list is not empty, so the driver takes the
//! list's lock only then. A waiter sets it with a read-modify-write on the
//! readiness word after queueing itself, and the driver's own update is a
//! read-modify-write of the same word: whichever comes second sees the
//! other's bits, so either the waiter finds the readiness or the driver
//! finds the waiter.

use std::task::{Context, Poll, Waker};

use super::waiters::{IoWaiters, WAKE_BATCH};
use crate::io::Ready;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::HotMutex;
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
/// The waiter list holds a task to wake.
const HAS_WAITERS: usize = 1 << 9;
const READY_MASK: usize = (1 << 16) - 1;
const TICK_SHIFT: usize = 16;
const TICK_MASK: usize = 0xffff << TICK_SHIFT;

impl Direction {
    /// How many directions there are.
    pub(crate) const COUNT: usize = 4;
    /// Every direction, in waker-slot order.
    pub(crate) const ALL: [Direction; Direction::COUNT] =
        [Direction::Read, Direction::Write, Direction::Priority, Direction::Error];

    /// Readiness bits that let an operation in this direction proceed.
    /// A priority wait also ends when the read side closes (no urgent data
    /// can come any more), as tokio's does.
    pub(crate) fn mask(self) -> usize {
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
    /// writable for those directions, with `READ_CLOSED` / `WRITE_CLOSED`
    /// when the kernel said that side is shut (a peer that closed: the
    /// caller can stop waiting for more); `PRIORITY` and/or `READ_CLOSED`
    /// for a priority wait (so a wait ended by the read side closing is not
    /// taken for urgent data); `ERROR` for an error wait.
    pub(crate) fn readiness(&self) -> Ready {
        let closed = |bit: usize, flag: Ready| if self.ready & bit != 0 { flag } else { Ready::EMPTY };
        match self.direction {
            Direction::Read => Ready::READABLE | closed(READ_CLOSED, Ready::READ_CLOSED),
            Direction::Write => Ready::WRITABLE | closed(WRITE_CLOSED, Ready::WRITE_CLOSED),
            Direction::Priority => closed(PRIORITY, Ready::PRIORITY) | closed(READ_CLOSED, Ready::READ_CLOSED),
            Direction::Error => Ready::ERROR,
        }
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
    /// The futures of the `&self` async methods: any number of tasks.
    waiters: HotMutex<IoWaiters>,
}

impl ScheduledIo {
    pub(crate) fn new(reactor: usize, key: usize) -> ScheduledIo {
        ScheduledIo {
            key,
            reactor,
            readiness: AtomicUsize::new(0),
            wakers: [AtomicWaker::new(), AtomicWaker::new(), AtomicWaker::new(), AtomicWaker::new()],
            waiters: HotMutex::new(IoWaiters::default()),
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
        if current & HAS_WAITERS != 0 {
            self.wake_waiters(ready);
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

    /// Marks `ready` (`READABLE`, `WRITABLE`) as set without an event from
    /// the kernel, for a socket known to be in that state when it is
    /// registered; keeps the tick, and does nothing after shutdown. A false
    /// guess costs one `WouldBlock`, which clears it as usual.
    pub(crate) fn assume_ready(&self, ready: usize) {
        let _ = self
            .readiness
            .fetch_update(AcqRel, Acquire, |current| (current & SHUTDOWN == 0).then_some(current | ready));
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

    /// Task side, for any number of tasks at once: Ready when readiness
    /// in `mask` is set, else queues the task as waiter `*key` (a new one
    /// gets its key written there) and returns Pending. The key must go to
    /// [`cancel_wait`](Self::cancel_wait) when the caller stops waiting.
    pub(crate) fn poll_wait(&self, cx: &mut Context<'_>, mask: usize, key: &mut Option<usize>) -> Poll<()> {
        if self.readiness.load(Acquire) & mask != 0 {
            self.cancel_wait(key);
            return Poll::Ready(());
        }
        let mut waiters = self.waiters.lock();
        waiters.register(key, mask, cx.waker());
        // Read-modify-write, so it is ordered with the driver's (module doc).
        let seen = self.readiness.fetch_or(HAS_WAITERS, AcqRel);
        if seen & mask == 0 {
            return Poll::Pending;
        }
        if let Some(k) = key.take() {
            waiters.remove(k);
        }
        self.sync_has_waiters(&waiters);
        Poll::Ready(())
    }

    /// Forgets waiter `*key` (woken or not), if there is one.
    pub(crate) fn cancel_wait(&self, key: &mut Option<usize>) {
        let Some(k) = key.take() else { return };
        let mut waiters = self.waiters.lock();
        waiters.remove(k);
        self.sync_has_waiters(&waiters);
    }

    /// Clears `HAS_WAITERS` once the list (whose lock the caller holds)
    /// has nobody left to wake; the bit is only set under that lock too.
    fn sync_has_waiters(&self, waiters: &IoWaiters) {
        if waiters.is_empty() {
            self.readiness.fetch_and(!HAS_WAITERS, AcqRel);
        }
    }

    /// Wakes every queued waiter whose mask meets `ready`, outside the lock.
    fn wake_waiters(&self, ready: usize) {
        loop {
            let mut batch = [const { None }; WAKE_BATCH];
            let more = {
                let mut waiters = self.waiters.lock();
                let more = waiters.take_ready(ready, &mut batch);
                self.sync_has_waiters(&waiters);
                more
            };
            for waker in batch.into_iter().flatten() {
                waker.wake();
            }
            if !more {
                return;
            }
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
        self.wake_waiters(usize::MAX);
    }
}

impl std::fmt::Debug for ScheduledIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ScheduledIo({:#x})", self.readiness.load(Relaxed))
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::{Direction, ScheduledIo, READABLE};
    use crate::loom::sync::Arc;
    use crate::loom::thread;
    use std::future::poll_fn;

    /// Waits on `io` as a waiter-list future would, until read readiness.
    fn wait_readable(io: &ScheduledIo) {
        let mut key = None;
        loom::future::block_on(poll_fn(|cx| io.poll_wait(cx, Direction::Read.mask(), &mut key)));
        io.cancel_wait(&mut key);
    }

    /// A waiter that queues itself while the driver sets readiness is
    /// either told at once or woken: the two read-modify-writes on the
    /// readiness word order them (module doc).
    #[test]
    fn waiter_is_never_missed_by_the_driver() {
        loom::model(|| {
            let io = Arc::new(ScheduledIo::new(0, 0));
            let driver_io = io.clone();
            let driver = thread::spawn(move || {
                for waker in driver_io.set_readiness(1, READABLE).into_iter().flatten() {
                    waker.wake();
                }
            });
            wait_readable(&io);
            driver.join().unwrap();
        });
    }

    /// Two tasks waiting on one socket both wake from one event (the
    /// per-direction slot would wake only the last).
    #[test]
    fn every_waiter_wakes_from_one_event() {
        loom::model(|| {
            let io = Arc::new(ScheduledIo::new(0, 0));
            let other_io = io.clone();
            let other = thread::spawn(move || wait_readable(&other_io));
            let driver_io = io.clone();
            let driver = thread::spawn(move || {
                for waker in driver_io.set_readiness(1, READABLE).into_iter().flatten() {
                    waker.wake();
                }
            });
            wait_readable(&io);
            other.join().unwrap();
            driver.join().unwrap();
        });
    }
}
