//! Object keys: parsing and validation, with no I/O.
//!
//! A key is the request path without its leading `/`, percent-decoded. It is
//! accepted only if all of these hold (otherwise the request answers 400
//! before anything touches the disk):
//!
//! - 1 to [`MAX_KEY_LEN`] bytes after decoding, valid UTF-8;
//! - percent escapes are well formed (`%` followed by two hex digits);
//! - no NUL, no other control character (`< 0x20` or `0x7f`), no backslash;
//! - not absolute (the decoded key does not start with `/`), no trailing
//!   `/`, no empty segment (`a//b`);
//! - no segment is `.` or `..`, and no segment starts with `.`: dot-names are
//!   reserved for the server (its temporary directory is `DATA/.tmp`), and
//!   this also keeps `.git`-style hidden files out of the namespace;
//! - no segment longer than 255 bytes (the usual `NAME_MAX`).

use std::fmt;

#[cfg(test)]
#[path = "key_check.rs"]
mod key_check;

/// Longest key, in bytes after percent-decoding.
pub const MAX_KEY_LEN: usize = 1024;
/// Longest path segment, in bytes.
pub const MAX_SEGMENT_LEN: usize = 255;

/// A validated key: a relative, `/`-separated path that stays inside DATA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key(String);

/// Why a key was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// Nothing after the leading `/`.
    Empty,
    /// Longer than [`MAX_KEY_LEN`] bytes once decoded.
    TooLong,
    /// A `%` not followed by two hex digits.
    BadEscape,
    /// The decoded bytes are not UTF-8.
    NotUtf8,
    /// NUL or another control character.
    ControlChar,
    /// A backslash.
    Backslash,
    /// Starts with `/` once decoded.
    Absolute,
    /// `a//b` or a trailing `/`.
    EmptySegment,
    /// A segment starting with `.` (so also `.` and `..`).
    DotSegment,
    /// A segment longer than [`MAX_SEGMENT_LEN`] bytes.
    SegmentTooLong,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            KeyError::Empty => "empty key",
            KeyError::TooLong => "key longer than 1024 bytes",
            KeyError::BadEscape => "malformed percent escape",
            KeyError::NotUtf8 => "key is not UTF-8",
            KeyError::ControlChar => "control character in key",
            KeyError::Backslash => "backslash in key",
            KeyError::Absolute => "absolute key",
            KeyError::EmptySegment => "empty path segment",
            KeyError::DotSegment => "path segment starting with '.'",
            KeyError::SegmentTooLong => "path segment longer than 255 bytes",
        };
        f.write_str(s)
    }
}

impl Key {
    /// Parses the raw (still percent-encoded) URI path, with its leading `/`.
    pub fn from_uri_path(path: &str) -> Result<Key, KeyError> {
        let raw = path.strip_prefix('/').unwrap_or(path);
        let decoded = percent_decode(raw.as_bytes())?;
        Key::validate(decoded)
    }

    fn validate(bytes: Vec<u8>) -> Result<Key, KeyError> {
        if bytes.is_empty() {
            return Err(KeyError::Empty);
        }
        if bytes.len() > MAX_KEY_LEN {
            return Err(KeyError::TooLong);
        }
        for &b in &bytes {
            if b < 0x20 || b == 0x7f {
                return Err(KeyError::ControlChar);
            }
            if b == b'\\' {
                return Err(KeyError::Backslash);
            }
        }
        if bytes[0] == b'/' {
            return Err(KeyError::Absolute);
        }
        for seg in bytes.split(|&b| b == b'/') {
            if seg.is_empty() {
                return Err(KeyError::EmptySegment);
            }
            if seg[0] == b'.' {
                return Err(KeyError::DotSegment);
            }
            if seg.len() > MAX_SEGMENT_LEN {
                return Err(KeyError::SegmentTooLong);
            }
        }
        let s = String::from_utf8(bytes).map_err(|_| KeyError::NotUtf8)?;
        // Unicode control characters (C1, U+0080..U+009F) too.
        if s.chars().any(char::is_control) {
            return Err(KeyError::ControlChar);
        }
        Ok(Key(s))
    }

    /// The key as a relative path string.
    #[cfg(test)]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `/`-separated segments; the last one is the file name.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

/// Decodes `%XX` escapes. `+` is left alone (it is not a space in a path).
pub fn percent_decode(input: &[u8]) -> Result<Vec<u8>, KeyError> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'%' {
            let hi = input.get(i + 1).and_then(|&c| hex(c));
            let lo = input.get(i + 2).and_then(|&c| hex(c));
            match (hi, lo) {
                (Some(h), Some(l)) => out.push(h << 4 | l),
                _ => return Err(KeyError::BadEscape),
            }
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    Ok(out)
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_keys() {
        for (raw, want) in [
            ("/a", "a"),
            ("/hello.txt", "hello.txt"),
            ("/a/b/c", "a/b/c"),
            ("/with%20space", "with space"),
            ("/caf%C3%A9", "café"),
            ("/a..b", "a..b"),
            ("/a/b..", "a/b.."),
            ("/x+y", "x+y"),
            ("/%41", "A"),
        ] {
            assert_eq!(Key::from_uri_path(raw).unwrap().as_str(), want, "{raw}");
        }
        let max = format!("/{}", vec!["a".repeat(200); 5].join("/"));
        assert_eq!(Key::from_uri_path(&max).unwrap().as_str().len(), 1004);
    }

    #[test]
    fn nasty_keys() {
        let long_key = format!("/{}", vec!["b".repeat(250); 5].join("/"));
        let long_seg = format!("/{}", "c".repeat(256));
        let nasty: Vec<(&str, KeyError)> = vec![
            ("/", KeyError::Empty),
            ("", KeyError::Empty),
            ("/..", KeyError::DotSegment),
            ("/../etc/passwd", KeyError::DotSegment),
            ("/a/../../etc/passwd", KeyError::DotSegment),
            ("/a/..", KeyError::DotSegment),
            ("/%2e%2e/x", KeyError::DotSegment),
            ("/%2E%2E%2Fetc%2Fpasswd", KeyError::DotSegment),
            ("/a/%2e%2e/%2e%2e/x", KeyError::DotSegment),
            ("/.", KeyError::DotSegment),
            ("/./a", KeyError::DotSegment),
            ("/.tmp/x", KeyError::DotSegment),
            ("/%2etmp/x", KeyError::DotSegment),
            ("/.hidden", KeyError::DotSegment),
            ("//etc/passwd", KeyError::Absolute),
            ("/%2Fetc%2Fpasswd", KeyError::Absolute),
            ("/a//b", KeyError::EmptySegment),
            ("/a/", KeyError::EmptySegment),
            ("/a%2F", KeyError::EmptySegment),
            ("/a%00b", KeyError::ControlChar),
            ("/%00", KeyError::ControlChar),
            ("/a%0Ab", KeyError::ControlChar),
            ("/a%0d%0aSet-Cookie:x", KeyError::ControlChar),
            ("/a%7f", KeyError::ControlChar),
            ("/a%1b[31m", KeyError::ControlChar),
            ("/%C2%85", KeyError::ControlChar),
            ("/..%5C..%5Cwindows", KeyError::Backslash),
            ("/a%5Cb", KeyError::Backslash),
            ("/a\\b", KeyError::Backslash),
            ("/%", KeyError::BadEscape),
            ("/%4", KeyError::BadEscape),
            ("/%zz", KeyError::BadEscape),
            ("/%%32%65", KeyError::BadEscape),
            ("/%ff%fe", KeyError::NotUtf8),
            ("/%C0%AE%C0%AE/x", KeyError::NotUtf8),
            (&long_key, KeyError::TooLong),
            (&long_seg, KeyError::SegmentTooLong),
        ];
        assert!(nasty.len() >= 20);
        for (raw, want) in nasty {
            assert_eq!(Key::from_uri_path(raw), Err(want), "{raw:?}");
        }
    }

    /// The fuzz target's invariants (`key_check.rs`) on a few thousand
    /// generated inputs: concatenations of tokens chosen to hit the edge
    /// cases (dots, slashes, escapes, NUL, backslash, overlong UTF-8, long
    /// runs), and random bytes.
    #[test]
    fn generated_inputs_keep_invariants() {
        const TOKENS: &[&str] = &[
            "a",
            "b0",
            ".",
            "..",
            "/",
            "//",
            "%2e",
            "%2E",
            "%2f",
            "%2F",
            "%00",
            "%5c",
            "%5C",
            "\\",
            "%",
            "%z",
            "%4",
            "%41",
            "é",
            "%C3%A9",
            "%C0%AE",
            "%C2%85",
            "\u{85}",
            "~",
            " ",
            "%20",
            "+",
            "?",
            "#",
            "\n",
            "%0a",
            "\u{7f}",
            "%7f",
            ".tmp",
            "x.y",
            "%ff",
            "\u{fffd}",
            "\u{1F600}",
        ];
        let mut x: u64 = 0x1234_5678_9abc_def1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let (mut inputs, mut accepted) = (0, 0);
        for i in 0..6000 {
            let input: Vec<u8> = if i % 5 == 4 {
                (0..next() % 40).map(|_| next() as u8).collect()
            } else {
                let mut s = String::new();
                for _ in 0..next() % 12 {
                    let t = TOKENS[(next() % TOKENS.len() as u64) as usize];
                    if next() % 50 == 0 {
                        // Long runs, around the segment and key limits.
                        s.push_str(&t.repeat(250 + (next() % 20) as usize));
                    } else {
                        s.push_str(t);
                    }
                }
                s.into_bytes()
            };
            inputs += 1;
            accepted += key_check::check(&input);
        }
        // Not vacuous: a fair share of inputs is accepted, and many refused.
        assert!(accepted > inputs / 10, "{accepted} of {inputs}");
        assert!(accepted < inputs * 2, "{accepted} of {inputs}");
        for nasty in ["..", "a/../../b", "//etc/passwd", "a\\b", "a//b", "./x", "\0"] {
            assert_eq!(key_check::check(nasty.as_bytes()), 0, "{nasty}");
        }
    }

    #[test]
    fn percent_decode_roundtrip() {
        assert_eq!(percent_decode(b"a%2fb%2Fc").unwrap(), b"a/b/c");
        assert_eq!(percent_decode(b"").unwrap(), b"");
    }
}
