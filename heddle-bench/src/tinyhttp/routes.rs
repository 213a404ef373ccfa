//! The benchmark's routes, as pre-rendered responses.
//!
//! | path         | status | content-type       | body                          |
//! |--------------|--------|--------------------|-------------------------------|
//! | `/plaintext` | 200    | `text/plain`       | `Hello, World!`               |
//! | `/json`      | 200    | `application/json` | `{"message":"Hello, World!"}` |
//! | other        | 404    | none               | empty                         |
//!
//! Every response carries `Server: Example`, `Content-Length` and `Date`, in
//! the order and spelling of tokio's tinyhttp example, so both handlers put
//! the same bytes on the wire (a test in `tinyhttp::framed` checks that).
//! Only the date changes from one response to the next; everything else is a
//! constant here.

/// Body of `/plaintext`.
pub const PLAINTEXT: &str = "Hello, World!";
/// Body of `/json`.
pub const JSON: &str = r#"{"message":"Hello, World!"}"#;

/// A response whose only variable part is the date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Canned {
    /// Status code, for tests and logs.
    pub status: u16,
    /// Status line and headers up to and including `Date: `.
    pub head: &'static [u8],
    /// From the end of the date to the blank line that ends the head.
    pub head_end: &'static [u8],
    /// Body (omitted for `HEAD` requests).
    pub body: &'static [u8],
    /// Whether the connection closes after this response.
    pub closes: bool,
}

impl Canned {
    /// Appends the whole response to `out`.
    pub fn write(&self, out: &mut Vec<u8>, date: &[u8], with_body: bool) {
        out.extend_from_slice(self.head);
        out.extend_from_slice(date);
        out.extend_from_slice(self.head_end);
        if with_body {
            out.extend_from_slice(self.body);
        }
    }
}

macro_rules! canned {
    ($status:literal $reason:literal, len $len:literal, [$($header:literal),*], $body:expr, closes $closes:literal) => {
        Canned {
            status: $status,
            head: concat!(
                "HTTP/1.1 ", $status, " ", $reason, "\r\n",
                "Server: Example\r\n",
                "Content-Length: ", $len, "\r\n",
                "Date: "
            ).as_bytes(),
            head_end: concat!("\r\n", $($header, "\r\n",)* "\r\n").as_bytes(),
            body: $body.as_bytes(),
            closes: $closes,
        }
    };
}

/// `200`, `text/plain`, `Hello, World!`.
pub const PLAINTEXT_OK: Canned = canned!(200 "OK", len 13, ["content-type: text/plain"], PLAINTEXT, closes false);
/// `200`, `application/json`, `{"message":"Hello, World!"}`.
pub const JSON_OK: Canned = canned!(200 "OK", len 27, ["content-type: application/json"], JSON, closes false);
/// `404`, empty body.
pub const NOT_FOUND: Canned = canned!(404 "Not Found", len 0, [], "", closes false);
/// `400`: the request could not be parsed; the connection closes.
pub const BAD_REQUEST: Canned = canned!(400 "Bad Request", len 0, ["connection: close"], "", closes true);
/// `431`: the request head exceeds [`super::parser::MAX_HEAD`]; the connection closes.
pub const HEADERS_TOO_LARGE: Canned =
    canned!(431 "Request Header Fields Too Large", len 0, ["connection: close"], "", closes true);
/// `501`: a transfer coding (chunked bodies) this server does not implement; the connection closes.
pub const NOT_IMPLEMENTED: Canned = canned!(501 "Not Implemented", len 0, ["connection: close"], "", closes true);

/// The response for a request target (origin form; the query is ignored).
pub fn route(target: &str) -> &'static Canned {
    let path = match target.find('?') {
        Some(q) => &target[..q],
        None => target,
    };
    match path {
        "/plaintext" => &PLAINTEXT_OK,
        "/json" => &JSON_OK,
        _ => &NOT_FOUND,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_matches_body() {
        for c in [PLAINTEXT_OK, JSON_OK, NOT_FOUND, BAD_REQUEST, HEADERS_TOO_LARGE, NOT_IMPLEMENTED] {
            let head = std::str::from_utf8(c.head).unwrap();
            let len: usize = head.lines().find_map(|l| l.strip_prefix("Content-Length: ")).unwrap().parse().unwrap();
            assert_eq!(len, c.body.len(), "{head}");
            assert!(head.starts_with(&format!("HTTP/1.1 {} ", c.status)));
            assert_eq!(c.closes, std::str::from_utf8(c.head_end).unwrap().contains("connection: close"));
        }
    }

    #[test]
    fn routes() {
        assert_eq!(route("/plaintext").status, 200);
        assert_eq!(route("/json?x=1").body, JSON.as_bytes());
        assert_eq!(route("/").status, 404);
        assert_eq!(route("/json/").status, 404);
    }
}
