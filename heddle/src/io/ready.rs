//! `Interest` (what readiness to wait for) and `Ready` (what was found),
//! for the sockets' `ready`, `try_io` and `async_io` methods.

use std::fmt;
use std::ops;

use crate::driver::io::Direction;

/// The readiness a socket operation waits for: readable, writable, or
/// both (combine with `|`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Interest(u8);

const READ: u8 = 1;
const WRITE: u8 = 1 << 1;
const READ_CLOSED: u8 = 1 << 2;
const WRITE_CLOSED: u8 = 1 << 3;

impl Interest {
    /// Interest in the socket becoming readable (or its read side closing).
    pub const READABLE: Interest = Interest(READ);
    /// Interest in the socket becoming writable (or its write side closing).
    pub const WRITABLE: Interest = Interest(WRITE);

    /// True if this includes [`READABLE`](Self::READABLE).
    pub const fn is_readable(self) -> bool {
        self.0 & READ != 0
    }

    /// True if this includes [`WRITABLE`](Self::WRITABLE).
    pub const fn is_writable(self) -> bool {
        self.0 & WRITE != 0
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

    /// The direction whose readiness an operation with this interest
    /// waits for and clears: reading when readable is included.
    /// The same directions as mio's interest, for registering with epoll.
    pub(crate) fn to_mio(self) -> mio::Interest {
        match (self.is_readable(), self.is_writable()) {
            (true, false) => mio::Interest::READABLE,
            (false, true) => mio::Interest::WRITABLE,
            _ => mio::Interest::READABLE | mio::Interest::WRITABLE,
        }
    }

    pub(crate) fn direction(self) -> Direction {
        if self.is_readable() {
            Direction::Read
        } else {
            Direction::Write
        }
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
        match (self.is_readable(), self.is_writable()) {
            (true, true) => f.write_str("READABLE | WRITABLE"),
            (true, false) => f.write_str("READABLE"),
            (false, true) => f.write_str("WRITABLE"),
            (false, false) => f.write_str("(empty)"),
        }
    }
}

/// The readiness a socket was found in by `ready`.
///
/// heddle reports readable and writable; the `*_CLOSED` states are not
/// told apart from plain readiness (a closed read side shows as
/// readable, and the next read returns 0), so `is_read_closed` and
/// `is_write_closed` are true only for a `Ready` built with those bits.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
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
    /// Every readiness.
    pub const ALL: Ready = Ready(READ | WRITE | READ_CLOSED | WRITE_CLOSED);

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
            .finish()
    }
}

/// Waits until `source` is ready for some of `interest`, and says which.
pub(crate) async fn ready<E: mio::event::Source>(
    source: &crate::io::poll_evented::PollEvented<E>,
    interest: Interest,
) -> std::io::Result<Ready> {
    std::future::poll_fn(|cx| {
        let mut found = Ready::EMPTY;
        if interest.is_readable() {
            if let std::task::Poll::Ready(res) = source.poll_ready(cx, Direction::Read) {
                res?;
                found |= Ready::READABLE;
            }
        }
        if interest.is_writable() {
            if let std::task::Poll::Ready(res) = source.poll_ready(cx, Direction::Write) {
                res?;
                found |= Ready::WRITABLE;
            }
        }
        if found.is_empty() {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(Ok(found))
        }
    })
    .await
}
