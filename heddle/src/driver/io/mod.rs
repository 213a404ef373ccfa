//! The I/O reactors: epoll through mio, turning OS readiness events into
//! task wake-ups.
//!
//! A runtime has one reactor (epoll instance) per worker thread. A worker
//! sleeps in its own reactor, so an event on one of its sockets wakes that
//! worker directly, and the tasks the event wakes queue where it runs: no
//! worker dispatches events for another and then has to wake it. (With one
//! shared reactor, the worker parked in epoll received every event and
//! handed half of them over with a second wake-up.)
//!
//! * [`IoHandle`] is shared by everything that registers sockets. For each
//!   reactor it owns the `mio::Registry`, the cross-thread `mio::Waker` and
//!   the set of live registrations. A new socket goes to the reactor with
//!   the fewest live sockets, the calling worker's own on a tie, so
//!   connections spread evenly over the workers.
//! * [`IoDriver`] is one reactor's parking side, owned by its worker, which
//!   sleeps in it. An idle worker also polls, without blocking, the reactor
//!   of a peer that is busy, so that peer's events do not wait for it.
//!
//! A registration's mio token is the address of its `ScheduledIo`, so an
//! event is dispatched without a lookup or a lock. That address stays valid
//! because deregistration does not free the record at once: it moves it to
//! its reactor's "pending release" list, which only that reactor's driver
//! empties, at the start of a turn, after the events that might name it
//! have been handled.

mod registration;
mod scheduled_io;
mod waiters;

use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Duration;

use mio::event::Source;
use mio::{Events, Interest, Poll, Registry, Token};
use slab::Slab;

pub(crate) use registration::{ReadyEvents, Registration};
pub(crate) use scheduled_io::{Direction, ReadyEvent};
use scheduled_io::{ScheduledIo, ERROR, PRIORITY, READABLE, READ_CLOSED, WRITABLE, WRITE_CLOSED};

use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use crate::loom::sync::Mutex;

/// Token of the cross-thread waker (an eventfd).
const WAKE_TOKEN: Token = Token(usize::MAX);
/// Token of the timer driver's timerfd.
pub(crate) const TIMER_TOKEN: Token = Token(usize::MAX - 1);

/// What a reactor's owner holds: its poller and event buffer.
pub(crate) struct IoDriver {
    /// Which reactor this is (index into `IoHandle::reactors`).
    index: usize,
    poll: Poll,
    events: Events,
    /// The smaller buffer of a turn that does not wait, if the builder
    /// set one (`max_io_events_per_busy_tick`).
    events_busy: Option<Events>,
    tick: u16,
}

/// Shared side of the reactors.
pub(crate) struct IoHandle {
    reactors: Box<[Reactor]>,
}

/// Shared side of one reactor.
struct Reactor {
    registry: Registry,
    waker: mio::Waker,
    registrations: Mutex<Registrations>,
    /// `registrations.live.len()`, readable without the lock (to choose a
    /// reactor for a new socket).
    live_count: AtomicUsize,
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
    /// `count` reactors with `capacity` events per turn each
    /// (`busy_capacity` per turn that does not wait, if given), and their
    /// shared handle.
    pub(crate) fn new(
        count: usize,
        capacity: usize,
        busy_capacity: Option<usize>,
    ) -> io::Result<(Vec<IoDriver>, IoHandle)> {
        let mut drivers = Vec::with_capacity(count);
        let mut reactors = Vec::with_capacity(count);
        for index in 0..count.max(1) {
            let poll = Poll::new()?;
            let registry = poll.registry().try_clone()?;
            let waker = mio::Waker::new(&registry, WAKE_TOKEN)?;
            reactors.push(Reactor {
                registry,
                waker,
                registrations: Mutex::new(Registrations {
                    live: Slab::new(),
                    pending_release: Vec::new(),
                    is_shutdown: false,
                }),
                live_count: AtomicUsize::new(0),
                has_pending_release: AtomicBool::new(false),
            });
            drivers.push(IoDriver {
                index,
                poll,
                events: Events::with_capacity(capacity),
                events_busy: busy_capacity.map(Events::with_capacity),
                tick: 0,
            });
        }
        Ok((drivers, IoHandle { reactors: reactors.into_boxed_slice() }))
    }

    /// Which reactor this is.
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// Waits for events (at most `timeout`; `Some(ZERO)` only polls) and
    /// wakes the tasks they concern. A turn that does not wait takes the
    /// busy batch, if there is one: its caller has tasks to run already.
    pub(crate) fn turn(&mut self, handle: &IoHandle, timeout: Option<Duration>) -> TurnOutcome {
        let reactor = &handle.reactors[self.index];
        if reactor.has_pending_release.load(Acquire) {
            reactor.release_pending();
        }
        let events = match (&mut self.events_busy, timeout) {
            (Some(busy), Some(wait)) if wait.is_zero() => busy,
            _ => &mut self.events,
        };
        if let Err(e) = self.poll.poll(events, timeout) {
            // EINTR is a normal early return; anything else is a broken
            // epoll fd, which we cannot recover from.
            if e.kind() != io::ErrorKind::Interrupted {
                panic!("heddle: epoll_wait failed: {e}");
            }
        }
        self.tick = self.tick.wrapping_add(1);
        let mut outcome = TurnOutcome { timer_fired: false, io_events: 0, unparked: false };
        for event in events.iter() {
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
                    // Only sources registered for it get `EPOLLPRI` (an
                    // `AsyncFd` with `Interest::PRIORITY`).
                    if event.is_priority() {
                        ready |= PRIORITY;
                    }
                    // SAFETY: the token is the address of a ScheduledIo kept
                    // alive by this reactor's `live` or `pending_release`;
                    // pending releases are only dropped at the start of a
                    // turn of this reactor, before the poll whose events
                    // could name them (module doc).
                    let io = unsafe { &*(addr as *const ScheduledIo) };
                    for waker in io.set_readiness(self.tick, ready).into_iter().flatten() {
                        waker.wake();
                    }
                }
            }
        }
        outcome
    }

    /// Registers the timer driver's timerfd. With several reactors it goes
    /// into each with `EPOLLEXCLUSIVE`: the kernel then wakes one worker
    /// sleeping in its reactor, not all of them, and a reactor nobody waits
    /// in (its worker is busy) just keeps the event for its next turn.
    pub(crate) fn register_timer(&self, timerfd: i32, exclusive: bool) -> io::Result<()> {
        if !exclusive {
            return self.poll.registry().register(&mut mio::unix::SourceFd(&timerfd), TIMER_TOKEN, Interest::READABLE);
        }
        let mut event = libc::epoll_event {
            events: (libc::EPOLLIN | libc::EPOLLET | libc::EPOLLEXCLUSIVE) as u32,
            u64: TIMER_TOKEN.0 as u64,
        };
        // SAFETY: both fds are open (the poller's is owned by `self.poll`);
        // `event` is a valid epoll_event for the call's duration.
        let rc = unsafe { libc::epoll_ctl(self.poll.as_raw_fd(), libc::EPOLL_CTL_ADD, timerfd, &mut event) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

impl IoHandle {
    /// Wakes the thread parked in reactor `index`, if any.
    pub(crate) fn unpark(&self, index: usize) {
        // An eventfd write; failure means the reactor is gone.
        let _ = self.reactors[index].waker.wake();
    }

    /// Wakes the threads parked in every reactor.
    pub(crate) fn unpark_all(&self) {
        for index in 0..self.reactors.len() {
            self.unpark(index);
        }
    }

    /// True if reactor `index` has a socket registered, or one deregistered
    /// that its driver has yet to release: only then can a turn of it find
    /// anything besides the timerfd and wake-ups, which need no poll.
    pub(crate) fn has_sources(&self, index: usize) -> bool {
        let reactor = &self.reactors[index];
        reactor.live_count.load(Relaxed) > 0 || reactor.has_pending_release.load(Relaxed)
    }

    /// The reactor for a new socket: the one with the fewest live sockets,
    /// preferring the calling worker's own.
    fn choose_reactor(&self) -> usize {
        let n = self.reactors.len();
        if n == 1 {
            return 0;
        }
        let home = crate::runtime::context::worker_index_hint() % n;
        let mut best = home;
        let mut best_count = self.reactors[home].live_count.load(Relaxed);
        for (index, reactor) in self.reactors.iter().enumerate() {
            let count = reactor.live_count.load(Relaxed);
            if count < best_count {
                best = index;
                best_count = count;
            }
        }
        best
    }

    fn register(&self, source: &mut impl Source, interest: Interest) -> io::Result<Arc<ScheduledIo>> {
        let index = self.choose_reactor();
        let reactor = &self.reactors[index];
        let io = {
            let mut regs = reactor.registrations.lock().unwrap();
            if regs.is_shutdown {
                return Err(io::Error::other(crate::runtime::shutdown_error::SHUTDOWN_MESSAGE));
            }
            let entry = regs.live.vacant_entry();
            let io = Arc::new(ScheduledIo::new(index, entry.key()));
            entry.insert(io.clone());
            reactor.live_count.store(regs.live.len(), Relaxed);
            io
        };
        let token = Token(Arc::as_ptr(&io) as usize);
        if let Err(e) = reactor.registry.register(source, token, interest) {
            reactor.forget(&io);
            return Err(e);
        }
        Ok(io)
    }

    fn deregister(&self, source: &mut impl Source, io: &Arc<ScheduledIo>) -> io::Result<()> {
        let reactor = &self.reactors[io.reactor()];
        let result = reactor.registry.deregister(source);
        reactor.forget(io);
        result
    }

    /// Shuts the reactors down: every registered socket's waiters wake and
    /// get an error, and no new registration is accepted.
    pub(crate) fn shutdown(&self) {
        for reactor in self.reactors.iter() {
            let live: Vec<Arc<ScheduledIo>> = {
                let mut regs = reactor.registrations.lock().unwrap();
                regs.is_shutdown = true;
                let live = regs.live.drain().collect();
                reactor.live_count.store(0, Relaxed);
                live
            };
            for io in live {
                io.shutdown();
            }
        }
    }
}

impl Reactor {
    /// Moves `io` from the live set to the pending-release list, to be
    /// dropped by the driver at its next turn.
    fn forget(&self, io: &Arc<ScheduledIo>) {
        let mut regs = self.registrations.lock().unwrap();
        let key = io.key();
        if regs.live.get(key).is_some_and(|live| Arc::ptr_eq(live, io)) {
            let io = regs.live.remove(key);
            self.live_count.store(regs.live.len(), Relaxed);
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
}
