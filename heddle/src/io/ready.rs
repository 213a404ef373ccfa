//! `Interest` (what readiness to wait for) and `Ready` (what was found),
//! for the sockets' `ready`, `try_io` and `async_io` methods.

use std::fmt;
use std::ops;

use crate::driver::io::Direction;

/// The readiness a socket operation waits for: readable, writable, urgent
/// data ([`PRIORITY`](Self::PRIORITY)) or an error condition
/// ([`ERROR`](Self::ERROR)); combine them with `|`.
///
/// ```
/// use heddle::io::Interest;
///
/// let interest = Interest::READABLE | Interest::PRIORITY;
/// assert!(interest.is_readable() && interest.is_priority());
/// assert!(!interest.is_error());
/// assert_eq!(interest.remove(Interest::READABLE), Some(Interest::PRIORITY));
/// assert_eq!(format!("{interest:?}"), "READABLE | PRIORITY");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Interest(u8);

const READ: u8 = 1;
const WRITE: u8 = 1 << 1;
const READ_CLOSED: u8 = 1 << 2;
const WRITE_CLOSED: u8 = 1 << 3;
const PRIORITY: u8 = 1 << 4;
const ERROR: u8 = 1 << 5;

impl Interest {
    /// Interest in the socket becoming readable (or its read side closing).
    pub const READABLE: Interest = Interest(READ);
    /// Interest in the socket becoming writable (or its write side closing).
    pub const WRITABLE: Interest = Interest(WRITE);
    /// Interest in urgent data (Linux `EPOLLPRI`): TCP out-of-band data, a
    /// GPIO or sysfs attribute change, a `/proc/self/mounts` change... A
    /// priority wait also ends when the read side closes, if the
    /// registration watches for reading too (the kernel reports a peer's
    /// shutdown only to those).
    ///
    /// Only an [`AsyncFd`](crate::io::unix::AsyncFd) registered with this
    /// interest is told about urgent data; heddle's own sockets are not
    /// registered for it.
    pub const PRIORITY: Interest = Interest(PRIORITY);
    /// Interest in an error condition on the descriptor (Linux `EPOLLERR`):
    /// a pending socket error, a message in a socket's error queue
    /// (`IP_RECVERR`, transmit timestamps)...
    ///
    /// The kernel reports errors whatever the registration asked for, so
    /// this never changes what is registered; it only lets a task wait for
    /// them.
    pub const ERROR: Interest = Interest(ERROR);

    /// True if this includes [`READABLE`](Self::READABLE).
    pub const fn is_readable(self) -> bool {
        self.0 & READ != 0
    }

    /// True if this includes [`WRITABLE`](Self::WRITABLE).
    pub const fn is_writable(self) -> bool {
        self.0 & WRITE != 0
    }

    /// True if this includes [`PRIORITY`](Self::PRIORITY).
    pub const fn is_priority(self) -> bool {
        self.0 & PRIORITY != 0
    }

    /// True if this includes [`ERROR`](Self::ERROR).
    pub const fn is_error(self) -> bool {
        self.0 & ERROR != 0
    }

    /// Both interests: `Interest::READABLE.add(Interest::WRITABLE)`.
    #[must_use = "this returns the result of the operation, without modifying the original"]
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// This interest without `other`'s; None if nothing is left.
    #[must_use = "this returns the result of the operation, without modifying the original"]
    pub fn remove(self, other: Interest) -> Option<Interest> {
        let left = self.0 & !other.0;
        (left != 0).then_some(Interest(left))
    }

    /// What epoll is asked to watch for this interest. Errors need no
    /// request (epoll always reports them), but mio takes no empty
    /// interest, so an `ERROR`-only interest registers for reading.
    pub(crate) fn to_mio(self) -> mio::Interest {
        let mut mio: Option<mio::Interest> = None;
        let mut add = |more: mio::Interest| mio = Some(mio.map_or(more, |so_far| so_far | more));
        if self.is_readable() {
            add(mio::Interest::READABLE);
        }
        if self.is_writable() {
            add(mio::Interest::WRITABLE);
        }
        if self.is_priority() {
            add(mio::Interest::PRIORITY);
        }
        mio.unwrap_or(mio::Interest::READABLE)
    }

    /// The one direction an operation with this interest (`try_io`,
    /// `async_io`) waits for and clears: the first of read, write,
    /// priority and error that it includes.
    pub(crate) fn direction(self) -> Direction {
        if self.is_readable() {
            Direction::Read
        } else if self.is_writable() {
            Direction::Write
        } else if self.is_priority() {
            Direction::Priority
        } else {
            Direction::Error
        }
    }

    /// Every direction this interest includes, for a wait on any of them.
    pub(crate) fn directions(self) -> impl Iterator<Item = Direction> {
        [
            (self.is_readable(), Direction::Read),
            (self.is_writable(), Direction::Write),
            (self.is_priority(), Direction::Priority),
            (self.is_error(), Direction::Error),
        ]
        .into_iter()
        .filter_map(|(wanted, direction)| wanted.then_some(direction))
    }
}

impl ops::BitOr for Interest {
    type Output = Interest;
    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl ops::BitOrAssign for Interest {
    fn bitor_assign(&mut self, other: Interest) {
        *self = self.add(other);
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (self.is_readable(), "READABLE"),
            (self.is_writable(), "WRITABLE"),
            (self.is_priority(), "PRIORITY"),
            (self.is_error(), "ERROR"),
        ];
        let mut separator = "";
        for (_, name) in names.iter().filter(|(present, _)| *present) {
            write!(f, "{separator}{name}")?;
            separator = " | ";
        }
        if separator.is_empty() {
            f.write_str("(empty)")?;
        }
        Ok(())
    }
}

/// The readiness a socket was found in by `ready`.
///
/// For readable and writable readiness heddle does not tell the `*_CLOSED`
/// states apart from plain readiness (a closed read side shows as
/// readable, and the next read returns 0), so `is_read_closed` and
/// `is_write_closed` are true only for a `Ready` built with those bits, or
/// from a [`PRIORITY`](Interest::PRIORITY) wait that the read side closing
/// ended (it reports `READ_CLOSED` rather than `PRIORITY`).
///
/// ```
/// use heddle::io::Ready;
///
/// let ready = Ready::READABLE | Ready::ERROR;
/// assert!(ready.is_readable() && ready.is_error());
/// assert!(!ready.is_priority());
/// assert_eq!(ready - Ready::READABLE, Ready::ERROR);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Ready(u8);

impl Ready {
    /// Nothing is ready.
    pub const EMPTY: Ready = Ready(0);
    /// Readable.
    pub const READABLE: Ready = Ready(READ);
    /// Writable.
    pub const WRITABLE: Ready = Ready(WRITE);
    /// The read side is closed.
    pub const READ_CLOSED: Ready = Ready(READ_CLOSED);
    /// The write side is closed.
    pub const WRITE_CLOSED: Ready = Ready(WRITE_CLOSED);
    /// Urgent data is available (see [`Interest::PRIORITY`]).
    pub const PRIORITY: Ready = Ready(PRIORITY);
    /// An error condition is pending (see [`Interest::ERROR`]).
    pub const ERROR: Ready = Ready(ERROR);
    /// Every readiness.
    pub const ALL: Ready = Ready(READ | WRITE | READ_CLOSED | WRITE_CLOSED | PRIORITY | ERROR);

    /// True if nothing is ready.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// True if readable (or read-closed).
    pub const fn is_readable(self) -> bool {
        self.0 & (READ | READ_CLOSED) != 0
    }

    /// True if writable (or write-closed).
    pub const fn is_writable(self) -> bool {
        self.0 & (WRITE | WRITE_CLOSED) != 0
    }

    /// True if the read side is known to be closed.
    pub const fn is_read_closed(self) -> bool {
        self.0 & READ_CLOSED != 0
    }

    /// True if the write side is known to be closed.
    pub const fn is_write_closed(self) -> bool {
        self.0 & WRITE_CLOSED != 0
    }

    /// True if urgent data is available.
    pub const fn is_priority(self) -> bool {
        self.0 & PRIORITY != 0
    }

    /// True if an error condition is pending.
    pub const fn is_error(self) -> bool {
        self.0 & ERROR != 0
    }
}

impl ops::BitOr for Ready {
    type Output = Ready;
    fn bitor(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }
}

impl ops::BitOrAssign for Ready {
    fn bitor_assign(&mut self, other: Ready) {
        self.0 |= other.0;
    }
}

impl ops::BitAnd for Ready {
    type Output = Ready;
    fn bitand(self, other: Ready) -> Ready {
        Ready(self.0 & other.0)
    }
}

impl ops::Sub for Ready {
    type Output = Ready;
    fn sub(self, other: Ready) -> Ready {
        Ready(self.0 & !other.0)
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ready")
            .field("is_readable", &self.is_readable())
            .field("is_writable", &self.is_writable())
            .field("is_read_closed", &self.is_read_closed())
            .field("is_write_closed", &self.is_write_closed())
            .field("is_error", &self.is_error())
            .field("is_priority", &self.is_priority())
            .finish()
    }
}

/// Waits until `source` is ready for some of `interest`, and says which
/// (the sockets' `ready` methods).
pub(crate) async fn ready<E: mio::event::Source>(
    source: &crate::io::poll_evented::PollEvented<E>,
    interest: Interest,
) -> std::io::Result<Ready> {
    let events = source.readiness(interest.directions()).await?;
    // Sockets are not registered for `EPOLLPRI`, so what ends their
    // priority wait is the read side closing (`READ_CLOSED`).
    Ok(events.iter().flatten().fold(Ready::EMPTY, |found, event| found | event.readiness()))
}
