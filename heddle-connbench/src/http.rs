//! Just enough HTTP/1.1 framing for the server's `http` mode: where a
//! request ends, so each one on a kept-alive connection gets its answer.

/// The length of the first complete request in `buf` (head, `\r\n\r\n`, and
/// a `Content-Length` body), or `None` if more bytes are needed.
pub fn request_len(buf: &[u8]) -> Option<usize> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = &buf[..head_end];
    let body = head
        .split(|&b| b == b'\n')
        .filter_map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let colon = line.iter().position(|&b| b == b':')?;
            let (name, value) = line.split_at(colon);
            if !name.eq_ignore_ascii_case(b"content-length") {
                return None;
            }
            std::str::from_utf8(&value[1..]).ok()?.trim().parse::<usize>().ok()
        })
        .next()
        .unwrap_or(0);
    let total = head_end.checked_add(body)?;
    (buf.len() >= total).then_some(total)
}

/// The answer sent when `--content` is not given in `http` mode.
pub const DEFAULT_RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incomplete_heads() {
        assert_eq!(request_len(b""), None);
        assert_eq!(request_len(b"GET / HTTP/1.1\r\nHost: x\r\n"), None);
    }

    #[test]
    fn head_only() {
        let req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(request_len(req), Some(req.len()));
        // A pipelined second request is not counted in the first.
        let two = [&req[..], &req[..]].concat();
        assert_eq!(request_len(&two), Some(req.len()));
    }

    #[test]
    fn content_length_body() {
        let req = b"POST / HTTP/1.1\r\ncontent-LENGTH: 5\r\n\r\nhello";
        assert_eq!(request_len(req), Some(req.len()));
        assert_eq!(request_len(&req[..req.len() - 1]), None);
    }
}
