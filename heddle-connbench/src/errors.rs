//! Classification of failed exchanges into the kinds a round reports.

use std::fmt;
use std::io;

use serde::Serialize;

/// Why an exchange failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The target refused the connection (`ECONNREFUSED`): nothing listens,
    /// or its accept queue overflowed with `tcp_abort_on_overflow`.
    Refused,
    /// The connection was reset or aborted (`ECONNRESET`, `EPIPE`,
    /// `ECONNABORTED`).
    Reset,
    /// The exchange did not finish within `--timeout` (or `ETIMEDOUT`).
    TimedOut,
    /// The answer ended (EOF) before `--expect-bytes` bytes arrived.
    ShortAnswer,
    /// More than `--expect-bytes` bytes arrived.
    LongAnswer,
    /// The client ran out of file descriptors (`EMFILE`, `ENFILE`).
    NoFds,
    /// The client ran out of source ports, or a `--local-ip` is not a local
    /// address (`EADDRNOTAVAIL`, `EADDRINUSE`).
    NoPorts,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// Every kind, in report order.
    pub const ALL: [ErrorKind; 8] = [
        ErrorKind::Refused,
        ErrorKind::Reset,
        ErrorKind::TimedOut,
        ErrorKind::ShortAnswer,
        ErrorKind::LongAnswer,
        ErrorKind::NoFds,
        ErrorKind::NoPorts,
        ErrorKind::Other,
    ];

    /// The kind's name in reports (`timed_out`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Refused => "refused",
            ErrorKind::Reset => "reset",
            ErrorKind::TimedOut => "timed_out",
            ErrorKind::ShortAnswer => "short_answer",
            ErrorKind::LongAnswer => "long_answer",
            ErrorKind::NoFds => "no_fds",
            ErrorKind::NoPorts => "no_ports",
            ErrorKind::Other => "other",
        }
    }

    /// Advice for kinds caused by the client machine's limits.
    pub fn hint(self) -> Option<&'static str> {
        match self {
            ErrorKind::NoFds => Some(
                "the client ran out of file descriptors (EMFILE/ENFILE): lower --max-inflight or --timeout, \
                 or raise the hard limit (ulimit -Hn, /etc/security/limits.conf, fs.file-max)",
            ),
            ErrorKind::NoPorts => Some(
                "the client ran out of source ports, or a --local-ip is not configured on this machine \
                 (EADDRNOTAVAIL/EADDRINUSE): widen net.ipv4.ip_local_port_range, set net.ipv4.tcp_tw_reuse=1, \
                 add source addresses with --local-ip, or lengthen --cooldown (see the README)",
            ),
            ErrorKind::Refused => Some(
                "the target refused connections: is the server running, and is its backlog (--backlog, \
                 net.core.somaxconn) large enough?",
            ),
            _ => None,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The kind of an I/O error met during an exchange.
pub fn classify(error: &io::Error) -> ErrorKind {
    if let Some(errno) = error.raw_os_error() {
        return match errno {
            libc::ECONNREFUSED => ErrorKind::Refused,
            libc::ECONNRESET | libc::EPIPE | libc::ECONNABORTED => ErrorKind::Reset,
            libc::ETIMEDOUT => ErrorKind::TimedOut,
            libc::EMFILE | libc::ENFILE => ErrorKind::NoFds,
            libc::EADDRNOTAVAIL | libc::EADDRINUSE => ErrorKind::NoPorts,
            _ => ErrorKind::Other,
        };
    }
    match error.kind() {
        io::ErrorKind::ConnectionRefused => ErrorKind::Refused,
        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionAborted => {
            ErrorKind::Reset
        }
        io::ErrorKind::TimedOut => ErrorKind::TimedOut,
        io::ErrorKind::UnexpectedEof => ErrorKind::ShortAnswer,
        io::ErrorKind::AddrNotAvailable | io::ErrorKind::AddrInUse => ErrorKind::NoPorts,
        _ => ErrorKind::Other,
    }
}

/// Where in the exchange a failure happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Creating the socket or binding its source address.
    Socket,
    /// The TCP handshake.
    Connect,
    /// Sending the request.
    Write,
    /// Reading the answer.
    Read,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Socket => "socket",
            Stage::Connect => "connect",
            Stage::Write => "write",
            Stage::Read => "read",
        })
    }
}

/// A failed exchange: its kind and a human-readable description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The kind the round counts it under.
    pub kind: ErrorKind,
    /// What happened, e.g. `connect: Connection refused (os error 111)`.
    pub detail: String,
}

impl Failure {
    /// A failure from an I/O error at `stage`.
    pub fn io(stage: Stage, error: &io::Error) -> Failure {
        Failure { kind: classify(error), detail: format!("{stage}: {error}") }
    }

    /// A failure of another kind.
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Failure {
        Failure { kind, detail: detail.into() }
    }
}

/// Per-kind error counters of a round.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ErrorCounts {
    /// See [`ErrorKind::Refused`].
    pub refused: u64,
    /// See [`ErrorKind::Reset`].
    pub reset: u64,
    /// See [`ErrorKind::TimedOut`].
    pub timed_out: u64,
    /// See [`ErrorKind::ShortAnswer`].
    pub short_answer: u64,
    /// See [`ErrorKind::LongAnswer`].
    pub long_answer: u64,
    /// See [`ErrorKind::NoFds`].
    pub no_fds: u64,
    /// See [`ErrorKind::NoPorts`].
    pub no_ports: u64,
    /// See [`ErrorKind::Other`].
    pub other: u64,
}

impl ErrorCounts {
    fn slot(&mut self, kind: ErrorKind) -> &mut u64 {
        match kind {
            ErrorKind::Refused => &mut self.refused,
            ErrorKind::Reset => &mut self.reset,
            ErrorKind::TimedOut => &mut self.timed_out,
            ErrorKind::ShortAnswer => &mut self.short_answer,
            ErrorKind::LongAnswer => &mut self.long_answer,
            ErrorKind::NoFds => &mut self.no_fds,
            ErrorKind::NoPorts => &mut self.no_ports,
            ErrorKind::Other => &mut self.other,
        }
    }

    /// Counts one error of `kind`.
    pub fn add(&mut self, kind: ErrorKind) {
        *self.slot(kind) += 1;
    }

    /// The count of `kind`.
    pub fn get(&self, kind: ErrorKind) -> u64 {
        let mut copy = *self;
        *copy.slot(kind)
    }

    /// All errors.
    pub fn total(&self) -> u64 {
        ErrorKind::ALL.iter().map(|&k| self.get(k)).sum()
    }
}

impl fmt::Display for ErrorCounts {
    /// `none`, or the non-zero kinds: `refused 3, timed_out 1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> =
            ErrorKind::ALL.iter().filter(|&&k| self.get(k) > 0).map(|&k| format!("{k} {}", self.get(k))).collect();
        if parts.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(errno: i32) -> io::Error {
        io::Error::from_raw_os_error(errno)
    }

    #[test]
    fn os_errors() {
        assert_eq!(classify(&os(libc::ECONNREFUSED)), ErrorKind::Refused);
        assert_eq!(classify(&os(libc::ECONNRESET)), ErrorKind::Reset);
        assert_eq!(classify(&os(libc::EPIPE)), ErrorKind::Reset);
        assert_eq!(classify(&os(libc::ECONNABORTED)), ErrorKind::Reset);
        assert_eq!(classify(&os(libc::ETIMEDOUT)), ErrorKind::TimedOut);
        assert_eq!(classify(&os(libc::EMFILE)), ErrorKind::NoFds);
        assert_eq!(classify(&os(libc::ENFILE)), ErrorKind::NoFds);
        assert_eq!(classify(&os(libc::EADDRNOTAVAIL)), ErrorKind::NoPorts);
        assert_eq!(classify(&os(libc::EADDRINUSE)), ErrorKind::NoPorts);
        assert_eq!(classify(&os(libc::EHOSTUNREACH)), ErrorKind::Other);
    }

    #[test]
    fn synthetic_errors() {
        assert_eq!(classify(&io::Error::from(io::ErrorKind::TimedOut)), ErrorKind::TimedOut);
        assert_eq!(classify(&io::Error::from(io::ErrorKind::UnexpectedEof)), ErrorKind::ShortAnswer);
        assert_eq!(classify(&io::Error::from(io::ErrorKind::ConnectionReset)), ErrorKind::Reset);
        assert_eq!(classify(&io::Error::other("boom")), ErrorKind::Other);
    }

    #[test]
    fn failure_detail_names_the_stage() {
        let f = Failure::io(Stage::Connect, &os(libc::ECONNREFUSED));
        assert_eq!(f.kind, ErrorKind::Refused);
        assert!(f.detail.starts_with("connect: "), "{}", f.detail);
    }

    #[test]
    fn counts() {
        let mut c = ErrorCounts::default();
        assert_eq!(c.to_string(), "none");
        c.add(ErrorKind::Refused);
        c.add(ErrorKind::Refused);
        c.add(ErrorKind::TimedOut);
        assert_eq!(c.total(), 3);
        assert_eq!(c.get(ErrorKind::Refused), 2);
        assert_eq!(c.to_string(), "refused 2, timed_out 1");
        for k in ErrorKind::ALL {
            let mut one = ErrorCounts::default();
            one.add(k);
            assert_eq!(one.get(k), 1);
            assert_eq!(one.total(), 1);
            // The JSON field of each kind is its report name.
            let json = serde_json::to_value(one).unwrap();
            assert_eq!(json[k.name()], 1, "{k}");
        }
    }

    #[test]
    fn hints_for_machine_limits() {
        assert!(ErrorKind::NoFds.hint().unwrap().contains("file descriptors"));
        assert!(ErrorKind::NoPorts.hint().unwrap().contains("ip_local_port_range"));
        assert!(ErrorKind::Reset.hint().is_none());
    }
}
