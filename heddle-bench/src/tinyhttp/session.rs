//! One HTTP/1.1 connection as a state machine without I/O.
//!
//! The protocol between a [`Session`] and whoever owns the socket:
//!
//! 1. Read into [`Session::read_buf`] (never empty while the session is open)
//!    and report the count with [`Session::filled`]; or copy bytes in with
//!    [`Session::feed`].
//! 2. Call [`Session::respond`]: it answers every complete request buffered,
//!    in order, by appending responses to the caller's output buffer, and
//!    says what to do next ([`Step`]).
//! 3. Write all of the output buffer, clear it, and act on the step:
//!    read again ([`Step::NeedInput`]), call `respond` again without reading
//!    ([`Step::OutputFull`]), or close the connection ([`Step::Close`]).
//!
//! The input buffer is fixed at [`IN_BUF`] bytes, which is also the
//! longest request head accepted (longer ones get `431`). The output buffer
//! is the caller's; `respond` stops adding to it once it holds
//! [`OUT_HIGH_WATER`] bytes, so a flood of pipelined requests costs bounded
//! memory. Request bodies (`Content-Length`) are read and discarded.

use super::date::HttpDate;
use super::parser::{self, Parse, MAX_HEAD};
use super::routes;

/// Size of the input buffer.
pub const IN_BUF: usize = MAX_HEAD;
/// Output size past which [`Session::respond`] returns [`Step::OutputFull`].
pub const OUT_HIGH_WATER: usize = 64 * 1024;

/// What the socket owner does after [`Session::respond`] (and after writing
/// the output it produced).
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Every complete request has been answered: read more input.
    NeedInput,
    /// The output buffer reached its high-water mark with requests still
    /// buffered: write it out, then call `respond` again before reading.
    OutputFull,
    /// Close the connection once the output is written: the last response
    /// refused the request, or the client asked to close.
    Close,
}

/// The state of one connection: buffered input and the position in it.
pub struct Session {
    buf: Box<[u8]>,
    /// Start of the unconsumed input.
    start: usize,
    /// End of the input read so far.
    end: usize,
    /// Body bytes of the last request still to be discarded.
    skip: u64,
    /// Set once a response that closes the connection has been produced.
    closed: bool,
    out_high_water: usize,
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl Session {
    /// A session for a new connection.
    pub fn new() -> Session {
        Session::with_out_high_water(OUT_HIGH_WATER)
    }

    /// A session whose `respond` stops at `out_high_water` output bytes.
    pub fn with_out_high_water(out_high_water: usize) -> Session {
        Session { buf: vec![0; IN_BUF].into_boxed_slice(), start: 0, end: 0, skip: 0, closed: false, out_high_water }
    }

    /// Bytes received and not yet consumed.
    pub fn buffered(&self) -> usize {
        self.end - self.start
    }

    /// Free space to read into. Unconsumed input is moved to the front
    /// first, so this is empty only when the buffer holds a full
    /// [`IN_BUF`] of one unanswered head, which `respond` refuses with `431`.
    pub fn read_buf(&mut self) -> &mut [u8] {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        &mut self.buf[self.end..]
    }

    /// Records that `n` bytes were written into [`Session::read_buf`].
    pub fn filled(&mut self, n: usize) {
        assert!(self.end + n <= self.buf.len(), "filled past read_buf");
        self.end += n;
    }

    /// Copies as much of `bytes` as fits into the input; returns how many.
    pub fn feed(&mut self, bytes: &[u8]) -> usize {
        let dst = self.read_buf();
        let n = dst.len().min(bytes.len());
        dst[..n].copy_from_slice(&bytes[..n]);
        self.filled(n);
        n
    }

    /// Answers every complete buffered request into `out` (up to the
    /// high-water mark) and says what to do next. `date` is the `Date`
    /// value for all responses of this call.
    pub fn respond(&mut self, date: &HttpDate, out: &mut Vec<u8>) -> Step {
        loop {
            if self.closed {
                return Step::Close;
            }
            if self.skip > 0 {
                let n = self.skip.min((self.end - self.start) as u64);
                self.start += n as usize;
                self.skip -= n;
                if self.skip > 0 {
                    return self.need_input();
                }
            }
            if self.start == self.end {
                return self.need_input();
            }
            if out.len() >= self.out_high_water {
                return Step::OutputFull;
            }
            match parser::parse(&self.buf[self.start..self.end]) {
                Parse::Complete(head) => {
                    let canned = routes::route(head.target);
                    canned.write(out, date.as_bytes(), head.method != "HEAD");
                    self.start += head.len;
                    self.skip = head.body_len;
                    self.closed = !head.keep_alive;
                }
                Parse::Partial => return self.need_input(),
                Parse::Reject(canned) => {
                    canned.write(out, date.as_bytes(), true);
                    self.closed = true;
                }
            }
        }
    }

    fn need_input(&mut self) -> Step {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        Step::NeedInput
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &str = "Sun, 06 Nov 1994 08:49:37 GMT";

    fn date() -> HttpDate {
        HttpDate::from_unix_secs(784_111_777)
    }

    fn respond(s: &mut Session) -> (Step, String) {
        let mut out = Vec::new();
        let step = s.respond(&date(), &mut out);
        (step, String::from_utf8(out).unwrap())
    }

    fn statuses(out: &str) -> Vec<&str> {
        out.split("HTTP/1.1 ").skip(1).map(|r| &r[..3]).collect()
    }

    #[test]
    fn one_request() {
        let mut s = Session::new();
        s.feed(b"GET /json HTTP/1.1\r\nHost: localhost\r\n\r\n");
        let (step, out) = respond(&mut s);
        assert_eq!(step, Step::NeedInput);
        assert_eq!(
            out,
            format!(
                "HTTP/1.1 200 OK\r\nServer: Example\r\nContent-Length: 27\r\nDate: {DATE}\r\n\
                 content-type: application/json\r\n\r\n{{\"message\":\"Hello, World!\"}}"
            )
        );
        assert_eq!(s.buffered(), 0);
    }

    #[test]
    fn pipelined_batch_answered_in_order() {
        let mut s = Session::new();
        s.feed(b"GET /plaintext HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\nGET /json HTTP/1.1\r\n\r\nGET /pla");
        let (step, out) = respond(&mut s);
        assert_eq!(step, Step::NeedInput);
        assert_eq!(statuses(&out), ["200", "404", "200"]);
        assert!(out.contains("Hello, World!HTTP/1.1 404"));
        assert_eq!(s.buffered(), "GET /pla".len());

        s.feed(b"intext HTTP/1.1\r\n\r\n");
        let (step, out) = respond(&mut s);
        assert_eq!((step, statuses(&out)), (Step::NeedInput, vec!["200"]));
        assert!(out.ends_with("\r\n\r\nHello, World!"));
    }

    #[test]
    fn byte_at_a_time() {
        let req = b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n";
        let mut s = Session::new();
        for (i, b) in req.iter().enumerate() {
            assert_eq!(s.feed(&[*b]), 1);
            let (step, out) = respond(&mut s);
            assert_eq!(step, Step::NeedInput);
            assert_eq!(out.is_empty(), i + 1 < req.len(), "after byte {i}");
        }
    }

    #[test]
    fn malformed_gets_400_and_close() {
        let mut s = Session::new();
        s.feed(b"GET /json HTTP/1.1\r\n\r\nBROKEN REQUEST\r\n\r\nGET /json HTTP/1.1\r\n\r\n");
        let (step, out) = respond(&mut s);
        assert_eq!(step, Step::Close);
        assert_eq!(statuses(&out), ["200", "400"]);
        assert!(out.ends_with("connection: close\r\n\r\n"));
        // Nothing more is ever answered.
        assert_eq!(respond(&mut s), (Step::Close, String::new()));
    }

    #[test]
    fn oversized_head_gets_431_and_close() {
        let mut s = Session::new();
        let mut head = b"GET /json HTTP/1.1\r\nX-Pad: ".to_vec();
        head.resize(3 * IN_BUF, b'a');
        let mut fed = 0;
        loop {
            fed += s.feed(&head[fed..]);
            match respond(&mut s) {
                (Step::NeedInput, out) => assert!(out.is_empty()),
                (Step::Close, out) => {
                    assert_eq!(statuses(&out), ["431"]);
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(fed, IN_BUF);
    }

    #[test]
    fn bodies_are_skipped_across_reads() {
        let mut s = Session::new();
        s.feed(b"POST /json HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234");
        let (step, out) = respond(&mut s);
        assert_eq!((step, statuses(&out)), (Step::NeedInput, vec!["200"]));
        s.feed(b"56789GET /plaintext HTTP/1.1\r\n\r\n");
        let (step, out) = respond(&mut s);
        assert_eq!((step, statuses(&out)), (Step::NeedInput, vec!["200"]));
        assert!(out.ends_with("Hello, World!"));
        assert_eq!(s.buffered(), 0);
    }

    #[test]
    fn connection_close_stops_after_response() {
        let mut s = Session::new();
        s.feed(b"GET /json HTTP/1.1\r\nConnection: close\r\n\r\nGET /json HTTP/1.1\r\n\r\n");
        let (step, out) = respond(&mut s);
        assert_eq!((step, statuses(&out)), (Step::Close, vec!["200"]));
    }

    #[test]
    fn head_has_no_body() {
        let mut s = Session::new();
        s.feed(b"HEAD /plaintext HTTP/1.1\r\n\r\n");
        let (_, out) = respond(&mut s);
        assert!(out.ends_with("content-type: text/plain\r\n\r\n"));
        assert!(out.contains("Content-Length: 13\r\n"));
    }

    #[test]
    fn output_high_water_pauses_answering() {
        let mut s = Session::with_out_high_water(1);
        s.feed(b"GET /json HTTP/1.1\r\n\r\nGET /json HTTP/1.1\r\n\r\nGET /json HTTP/1.1\r\n\r\n");
        let mut answered = 0;
        loop {
            let (step, out) = respond(&mut s);
            answered += statuses(&out).len();
            match step {
                Step::OutputFull => assert_eq!(statuses(&out).len(), 1),
                Step::NeedInput => break,
                Step::Close => panic!("closed"),
            }
        }
        assert_eq!(answered, 3);
    }
}
