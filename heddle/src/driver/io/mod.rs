//! The I/O reactor: epoll through mio, turning OS readiness events into
//! task wake-ups.
//!
//! * [`IoHandle`] is shared by everything that registers sockets. It owns the
//!   `mio::Registry`, the cross-thread `mio::Waker` and the set of live
//!   registrations.
//! * [`IoDriver`] is owned by whichever thread parks on the poller (one at a
//!   time; workers that find it taken park on their own condvar instead, so
//!   nobody ever waits on the poller's lock).
//!
//! A registration's mio token is the address of its `ScheduledIo`, so an
//! event is dispatched without a lookup or a lock. That address stays valid
//! because deregistration does not free the record at once: it moves it to
//! a "pending release" list that only the driver empties, at the start of a
//! turn, after the events that might name it have been handled.

mod registration;
mod scheduled_io;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use mio::event::Source;
use mio::{Events, Interest, Poll, Registry, Token};
use slab::Slab;

pub(crate) use registration::Registration;
pub(crate) use scheduled_io::{Direction, ReadyEvent};
use scheduled_io::{ScheduledIo, ERROR, READABLE, READ_CLOSED, WRITABLE, WRITE_CLOSED};

use crate::loom::sync::atomic::{AtomicBool, Ordering::*};
use crate::loom::sync::Mutex;

/// Token of the cross-thread waker (an eventfd).
const WAKE_TOKEN: Token = Token(usize::MAX);
/// Token of the timer driver's timerfd.
pub(crate) const TIMER_TOKEN: Token = Token(usize::MAX - 1);

/// What the driver's owner holds: the poller and its event buffer.
pub(crate) struct IoDriver {
    poll: Poll,
    events: Events,
    tick: u16,
}

/// Shared side of the reactor.
pub(crate) struct IoHandle {
    registry: Registry,
    waker: mio::Waker,
    registrations: Mutex<Registrations>,
    has_pending_release: AtomicBool,
}

struct Registrations {
    live: Slab<Arc<ScheduledIo>>,
    pending_release: Vec<Arc<ScheduledIo>>,
    is_shutdown: bool,
}

/// What one turn of the reactor saw.
pub(crate) struct TurnOutcome {
    /// The timerfd fired: the time driver should advance.
    pub(crate) timer_fired: bool,
    /// Socket readiness events dispatched.
    pub(crate) io_events: u64,
    /// The cross-thread waker fired (work was handed to this thread).
    pub(crate) unparked: bool,
}

impl IoDriver {
    /// A new poller with `capacity` events per turn, and its shared handle.
    pub(crate) fn new(capacity: usize) -> io::Result<(IoDriver, IoHandle)> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(&registry, WAKE_TOKEN)?;
        let handle = IoHandle {
            registry,
            waker,
            registrations: Mutex::new(Registrations {
                live: Slab::new(),
                pending_release: Vec::new(),
                is_shutdown: false,
            }),
            has_pending_release: AtomicBool::new(false),
        };
        Ok((IoDriver { poll, events: Events::with_capacity(capacity), tick: 0 }, handle))
    }

    /// Waits for events (at most `timeout`; `Some(ZERO)` only polls) and
    /// wakes the tasks they concern.
    pub(crate) fn turn(&mut self, handle: &IoHandle, timeout: Option<Duration>) -> TurnOutcome {
        if handle.has_pending_release.load(Acquire) {
            handle.release_pending();
        }
        if let Err(e) = self.poll.poll(&mut self.events, timeout) {
            // EINTR is a normal early return; anything else is a broken
            // epoll fd, which we cannot recover from.
            if e.kind() != io::ErrorKind::Interrupted {
                panic!("heddle: epoll_wait failed: {e}");
            }
        }
        self.tick = self.tick.wrapping_add(1);
        let mut outcome = TurnOutcome { timer_fired: false, io_events: 0, unparked: false };
        for event in self.events.iter() {
            match event.token() {
                WAKE_TOKEN => outcome.unparked = true,
                TIMER_TOKEN => outcome.timer_fired = true,
                Token(addr) => {
                    outcome.io_events += 1;
                    let mut ready = 0;
                    if event.is_readable() {
                        ready |= READABLE;
                    }
                    if event.is_writable() {
                        ready |= WRITABLE;
                    }
                    if event.is_read_closed() {
                        ready |= READ_CLOSED;
                    }
                    if event.is_write_closed() {
                        ready |= WRITE_CLOSED;
                    }
                    if event.is_error() {
                        ready |= ERROR;
                    }
                    // SAFETY: the token is the address of a ScheduledIo kept
                    // alive by `live` or `pending_release`; pending releases
                    // are only dropped at the start of a turn, before the
                    // poll whose events could name them (module doc).
                    let io = unsafe { &*(addr as *const ScheduledIo) };
                    for waker in io.set_readiness(self.tick, ready).into_iter().flatten() {
                        waker.wake();
                    }
                }
            }
        }
        outcome
    }

    /// Registers the timer driver's timerfd.
    pub(crate) fn register_timer(&self, fd: &mut mio::unix::SourceFd<'_>) -> io::Result<()> {
        self.poll.registry().register(fd, TIMER_TOKEN, Interest::READABLE)
    }
}

impl IoHandle {
    /// Wakes the thread parked in the driver, if any.
    pub(crate) fn unpark(&self) {
        // An eventfd write; failure means the reactor is gone.
        let _ = self.waker.wake();
    }

    fn register(&self, source: &mut impl Source, interest: Interest) -> io::Result<Arc<ScheduledIo>> {
        let io = {
            let mut regs = self.registrations.lock().unwrap();
            if regs.is_shutdown {
                return Err(io::Error::other("heddle: the runtime's reactor has shut down"));
            }
            let entry = regs.live.vacant_entry();
            let io = Arc::new(ScheduledIo::new(entry.key()));
            entry.insert(io.clone());
            io
        };
        let token = Token(Arc::as_ptr(&io) as usize);
        if let Err(e) = self.registry.register(source, token, interest) {
            self.forget(&io);
            return Err(e);
        }
        Ok(io)
    }

    fn deregister(&self, source: &mut impl Source, io: &Arc<ScheduledIo>) -> io::Result<()> {
        let result = self.registry.deregister(source);
        self.forget(io);
        result
    }

    /// Moves `io` from the live set to the pending-release list, to be
    /// dropped by the driver at its next turn.
    fn forget(&self, io: &Arc<ScheduledIo>) {
        let mut regs = self.registrations.lock().unwrap();
        let key = io.key();
        if regs.live.get(key).is_some_and(|live| Arc::ptr_eq(live, io)) {
            let io = regs.live.remove(key);
            regs.pending_release.push(io);
            self.has_pending_release.store(true, Release);
        }
    }

    fn release_pending(&self) {
        let released = {
            let mut regs = self.registrations.lock().unwrap();
            self.has_pending_release.store(false, Release);
            std::mem::take(&mut regs.pending_release)
        };
        drop(released);
    }

    /// Shuts the reactor down: every registered socket's waiters wake and get
    /// an error, and no new registration is accepted.
    pub(crate) fn shutdown(&self) {
        let live: Vec<Arc<ScheduledIo>> = {
            let mut regs = self.registrations.lock().unwrap();
            regs.is_shutdown = true;
            regs.live.drain().collect()
        };
        for io in live {
            io.shutdown();
        }
    }
}
