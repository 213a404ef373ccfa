//! Parsing one request head, without I/O: bytes in, a verdict out.
//!
//! [`parse`] looks at the start of a buffer and says one of three things:
//! a complete head is there (and how long it is, what it asks for and how
//! many body bytes follow it), more bytes are needed, or the request must be
//! refused with a given response, after which the connection closes.
//!
//! Limits: a head may be at most [`MAX_HEAD`] bytes and carry at most
//! [`MAX_HEADERS`] header fields (else `431`); `Transfer-Encoding` is not
//! implemented (`501`); anything httparse rejects, a bad or conflicting
//! `Content-Length`, or an HTTP version other than 1.0/1.1 is a `400`.

use std::mem::MaybeUninit;

use super::routes::{self, Canned};

/// Longest request head accepted, request line included.
pub const MAX_HEAD: usize = 8 * 1024;
/// Most header fields accepted in one request.
pub const MAX_HEADERS: usize = 32;

/// What [`parse`] found at the start of the buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Parse<'a> {
    /// A complete request head.
    Complete(Head<'a>),
    /// The head is not complete yet; read more and parse again.
    Partial,
    /// Refuse the request with this response and close the connection.
    Reject(&'static Canned),
}

/// A complete request head.
#[derive(Debug, PartialEq, Eq)]
pub struct Head<'a> {
    /// Request method, e.g. `GET`.
    pub method: &'a str,
    /// Request target as sent, e.g. `/json?x=1`.
    pub target: &'a str,
    /// Length of the head in bytes, up to and including the blank line.
    pub len: usize,
    /// Body bytes that follow the head (`Content-Length`, 0 if absent).
    pub body_len: u64,
    /// Whether the client keeps the connection open after this exchange:
    /// HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with `keep-alive`.
    pub keep_alive: bool,
}

/// Parses the request head at the start of `buf`.
pub fn parse(buf: &[u8]) -> Parse<'_> {
    let mut fields = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut []);
    let len = match req.parse_with_uninit_headers(buf, &mut fields) {
        Ok(httparse::Status::Complete(len)) if len <= MAX_HEAD => len,
        Ok(httparse::Status::Complete(_)) => return Parse::Reject(&routes::HEADERS_TOO_LARGE),
        Ok(httparse::Status::Partial) if buf.len() >= MAX_HEAD => return Parse::Reject(&routes::HEADERS_TOO_LARGE),
        Ok(httparse::Status::Partial) => return Parse::Partial,
        Err(httparse::Error::TooManyHeaders) => return Parse::Reject(&routes::HEADERS_TOO_LARGE),
        Err(_) => return Parse::Reject(&routes::BAD_REQUEST),
    };
    let (Some(method), Some(target), Some(version)) = (req.method, req.path, req.version) else {
        return Parse::Reject(&routes::BAD_REQUEST);
    };

    let mut keep_alive = version == 1;
    let mut body_len: Option<u64> = None;
    for field in req.headers.iter() {
        if field.name.eq_ignore_ascii_case("content-length") {
            match (parse_length(field.value), body_len) {
                (Some(n), None) => body_len = Some(n),
                (Some(n), Some(m)) if n == m => {}
                _ => return Parse::Reject(&routes::BAD_REQUEST),
            }
        } else if field.name.eq_ignore_ascii_case("transfer-encoding") {
            return Parse::Reject(&routes::NOT_IMPLEMENTED);
        } else if field.name.eq_ignore_ascii_case("connection") {
            for token in field.value.split(|&b| b == b',') {
                let token = token.trim_ascii();
                if token.eq_ignore_ascii_case(b"close") {
                    keep_alive = false;
                } else if token.eq_ignore_ascii_case(b"keep-alive") && version == 0 {
                    keep_alive = true;
                }
            }
        }
    }
    Parse::Complete(Head { method, target, len, body_len: body_len.unwrap_or(0), keep_alive })
}

/// A `Content-Length` value: 1 to 18 ASCII digits (no sign, no spaces).
fn parse_length(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 18 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(value.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(buf: &[u8]) -> Head<'_> {
        match parse(buf) {
            Parse::Complete(head) => head,
            other => panic!("expected a complete head, got {other:?}"),
        }
    }

    #[test]
    fn simple_get() {
        let req = b"GET /json HTTP/1.1\r\nHost: x\r\n\r\nGET /next";
        let head = complete(req);
        assert_eq!(head.method, "GET");
        assert_eq!(head.target, "/json");
        assert_eq!(head.len, req.len() - "GET /next".len());
        assert_eq!(head.body_len, 0);
        assert!(head.keep_alive);
    }

    #[test]
    fn every_prefix_is_partial() {
        let req = b"GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\nAccept: */*\r\n\r\n";
        for cut in 0..req.len() {
            assert_eq!(parse(&req[..cut]), Parse::Partial, "cut at {cut}");
        }
        assert_eq!(complete(req).len, req.len());
    }

    #[test]
    fn connection_semantics() {
        assert!(!complete(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").keep_alive);
        assert!(!complete(b"GET / HTTP/1.1\r\nconnection: foo, Close\r\n\r\n").keep_alive);
        assert!(!complete(b"GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(complete(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
    }

    #[test]
    fn content_length() {
        assert_eq!(complete(b"POST / HTTP/1.1\r\nContent-Length: 42\r\n\r\n").body_len, 42);
        assert_eq!(complete(b"POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n").body_len, 5);
        for bad in [
            &b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: \r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 9999999999999999999\r\n\r\n",
        ] {
            assert_eq!(parse(bad), Parse::Reject(&routes::BAD_REQUEST));
        }
    }

    #[test]
    fn chunked_is_not_implemented() {
        let req = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(parse(req), Parse::Reject(&routes::NOT_IMPLEMENTED));
    }

    #[test]
    fn malformed() {
        for bad in [
            &b"GARBAGE\r\n\r\n"[..],
            b"GET /json HTTP/2.0\r\n\r\n",
            b"GET /json HTTP/1.1\r\nno colon here\r\n\r\n",
            b"\x00\x01\x02 / HTTP/1.1\r\n\r\n",
        ] {
            assert_eq!(parse(bad), Parse::Reject(&routes::BAD_REQUEST), "{bad:?}");
        }
    }

    #[test]
    fn oversized_heads() {
        let mut big = b"GET / HTTP/1.1\r\nX-Pad: ".to_vec();
        big.resize(MAX_HEAD, b'a');
        assert_eq!(parse(&big), Parse::Reject(&routes::HEADERS_TOO_LARGE));
        assert_eq!(parse(&big[..MAX_HEAD - 1]), Parse::Partial);
        big.extend_from_slice(b"\r\n\r\n");
        assert_eq!(parse(&big), Parse::Reject(&routes::HEADERS_TOO_LARGE));

        let mut many = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            many.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(parse(&many), Parse::Reject(&routes::HEADERS_TOO_LARGE));
    }
}
