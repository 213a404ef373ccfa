//! Bearer-token authorization (`--token`, `--token-read`), with a
//! constant-time comparison of the presented token.

use hyper::header::{HeaderMap, AUTHORIZATION};

/// The configured token, if any, and whether reads need it too.
#[derive(Debug, Default)]
pub struct Auth {
    token: Option<Vec<u8>>,
    read_too: bool,
}

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    /// No `Authorization: Bearer ...` header.
    Missing,
    /// A bearer token that is not the configured one.
    Invalid,
}

impl Auth {
    /// `token`: the secret (none: everything is open); `read_too`: GET, HEAD
    /// and the listing need it as well.
    pub fn new(token: Option<&str>, read_too: bool) -> Auth {
        Auth { token: token.map(|t| t.as_bytes().to_vec()), read_too }
    }

    /// Checks a request: `write` is true for PUT and DELETE.
    pub fn check(&self, headers: &HeaderMap, write: bool) -> Result<(), Denied> {
        let Some(secret) = &self.token else { return Ok(()) };
        if !write && !self.read_too {
            return Ok(());
        }
        let presented = headers.get(AUTHORIZATION).and_then(|v| bearer(v.as_bytes())).ok_or(Denied::Missing)?;
        if ct_eq(presented, secret) {
            Ok(())
        } else {
            Err(Denied::Invalid)
        }
    }
}

/// The token of an `Authorization: Bearer TOKEN` value (scheme
/// case-insensitive).
fn bearer(value: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = value.split_at_checked(7)?;
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return None;
    }
    let start = rest.iter().position(|&b| b != b' ')?;
    let rest = &rest[start..];
    let end = rest.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
    Some(&rest[..end])
}

/// Compares `presented` with `secret` in time that depends only on the
/// secret's length, never on where the first difference is.
pub fn ct_eq(presented: &[u8], secret: &[u8]) -> bool {
    let mut diff = u8::from(presented.len() != secret.len());
    for (i, &s) in secret.iter().enumerate() {
        let p = presented.get(i).copied().unwrap_or(!s);
        diff |= std::hint::black_box(p ^ s);
    }
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn headers(auth: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(a) = auth {
            h.insert(AUTHORIZATION, HeaderValue::from_str(a).unwrap());
        }
        h
    }

    #[test]
    fn compare() {
        assert!(ct_eq(b"secret", b"secret"));
        assert!(!ct_eq(b"secreT", b"secret"));
        assert!(!ct_eq(b"secre", b"secret"));
        assert!(!ct_eq(b"secrets", b"secret"));
        assert!(!ct_eq(b"", b"secret"));
        assert!(ct_eq(b"", b""));
    }

    #[test]
    fn checks() {
        let open = Auth::new(None, false);
        assert_eq!(open.check(&headers(None), true), Ok(()));
        let a = Auth::new(Some("s3"), false);
        assert_eq!(a.check(&headers(None), false), Ok(()));
        assert_eq!(a.check(&headers(None), true), Err(Denied::Missing));
        assert_eq!(a.check(&headers(Some("Basic czM=")), true), Err(Denied::Missing));
        assert_eq!(a.check(&headers(Some("Bearer s4")), true), Err(Denied::Invalid));
        assert_eq!(a.check(&headers(Some("Bearer s3")), true), Ok(()));
        assert_eq!(a.check(&headers(Some("bearer  s3 ")), true), Ok(()));
        let r = Auth::new(Some("s3"), true);
        assert_eq!(r.check(&headers(None), false), Err(Denied::Missing));
        assert_eq!(r.check(&headers(Some("Bearer s3")), false), Ok(()));
    }
}
