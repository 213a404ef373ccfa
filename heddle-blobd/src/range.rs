//! `Range: bytes=...` for a single range (RFC 9110 §14), with no I/O.

/// What to do with a `Range` header against an object of a known size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeOutcome {
    /// No usable range: serve the whole object with 200. Also used for
    /// syntactically invalid headers, other units and multiple ranges, which
    /// the RFC allows a server to ignore.
    Full,
    /// Serve bytes `start..=end` with 206.
    Partial { start: u64, end: u64 },
    /// 416 with `Content-Range: bytes */size`.
    Unsatisfiable,
}

/// Interprets `header` (the value of `Range`) for an object of `size` bytes.
pub fn parse(header: &str, size: u64) -> RangeOutcome {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeOutcome::Full;
    };
    if spec.contains(',') {
        return RangeOutcome::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeOutcome::Full;
    };
    let (a, b) = (a.trim(), b.trim());
    let num = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    if a.is_empty() {
        // Suffix range: the last `n` bytes.
        let Some(n) = num(b) else { return RangeOutcome::Full };
        if n == 0 || size == 0 {
            return RangeOutcome::Unsatisfiable;
        }
        let n = n.min(size);
        return RangeOutcome::Partial { start: size - n, end: size - 1 };
    }
    let Some(start) = num(a) else { return RangeOutcome::Full };
    let end = if b.is_empty() {
        u64::MAX
    } else {
        match num(b) {
            Some(e) if e >= start => e,
            _ => return RangeOutcome::Full,
        }
    };
    if start >= size {
        return RangeOutcome::Unsatisfiable;
    }
    RangeOutcome::Partial { start, end: end.min(size - 1) }
}

#[cfg(test)]
mod tests {
    use super::RangeOutcome::*;
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse("bytes=0-0", 10), Partial { start: 0, end: 0 });
        assert_eq!(parse("bytes=2-5", 10), Partial { start: 2, end: 5 });
        assert_eq!(parse("bytes=2-100", 10), Partial { start: 2, end: 9 });
        assert_eq!(parse("bytes=7-", 10), Partial { start: 7, end: 9 });
        assert_eq!(parse("bytes=-3", 10), Partial { start: 7, end: 9 });
        assert_eq!(parse("bytes=-30", 10), Partial { start: 0, end: 9 });
        assert_eq!(parse("bytes=10-", 10), Unsatisfiable);
        assert_eq!(parse("bytes=10-20", 10), Unsatisfiable);
        assert_eq!(parse("bytes=-0", 10), Unsatisfiable);
        assert_eq!(parse("bytes=0-", 0), Unsatisfiable);
        assert_eq!(parse("bytes=5-2", 10), Full);
        assert_eq!(parse("bytes=0-1,3-4", 10), Full);
        assert_eq!(parse("items=0-1", 10), Full);
        assert_eq!(parse("bytes=x-1", 10), Full);
        assert_eq!(parse("bytes=+1-2", 10), Full);
        assert_eq!(parse("bytes=", 10), Full);
    }
}
