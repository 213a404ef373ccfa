//! The `Date` header value: an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`,
//! RFC 9110 §5.6.7), rendered at most once a second per thread.
//!
//! A hello-world server spends a visible share of its time rendering this
//! header if it formats it per response, so each thread keeps the last
//! rendering and the second it belongs to, and re-renders only when the wall
//! clock has moved on to another second.

use std::cell::Cell;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Length of every IMF-fixdate.
pub const LEN: usize = 29;

/// One rendered IMF-fixdate.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HttpDate([u8; LEN]);

impl HttpDate {
    /// Renders the date for `secs` seconds after the Unix epoch.
    pub fn from_unix_secs(secs: u64) -> HttpDate {
        const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
        const MONTHS: [&[u8; 3]; 12] =
            [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];
        let days = secs / 86_400;
        let rem = secs % 86_400;
        let (year, month, day) = civil_from_days(days);
        let (hh, mm, ss) = (rem / 3600, rem / 60 % 60, rem % 60);

        let mut b = *b"Thu, 01 Jan 1970 00:00:00 GMT";
        b[0..3].copy_from_slice(DAYS[(days % 7) as usize]);
        put2(&mut b[5..7], day);
        b[8..11].copy_from_slice(MONTHS[(month - 1) as usize]);
        put2(&mut b[12..14], year / 100);
        put2(&mut b[14..16], year % 100);
        put2(&mut b[17..19], hh);
        put2(&mut b[20..22], mm);
        put2(&mut b[23..25], ss);
        HttpDate(b)
    }

    /// The rendered bytes (ASCII).
    pub fn as_bytes(&self) -> &[u8; LEN] {
        &self.0
    }

    /// The rendered text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits, letters, spaces, commas and colons are ever written.
        std::str::from_utf8(&self.0).expect("IMF-fixdate is ASCII")
    }
}

impl fmt::Display for HttpDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for HttpDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HttpDate({:?})", self.as_str())
    }
}

thread_local! {
    /// The second last rendered on this thread (u64::MAX: never) and its text.
    static CACHE: Cell<(u64, HttpDate)> = const {
        Cell::new((u64::MAX, HttpDate(*b"Thu, 01 Jan 1970 00:00:00 GMT")))
    };
}

/// The current date, from this thread's cache; re-rendered only when the
/// wall-clock second differs from the cached one.
pub fn now() -> HttpDate {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    CACHE.with(|cache| {
        let (cached_secs, date) = cache.get();
        if cached_secs == secs {
            date
        } else {
            let date = HttpDate::from_unix_secs(secs);
            cache.set((secs, date));
            date
        }
    })
}

fn put2(dst: &mut [u8], v: u64) {
    dst[0] = b'0' + (v / 10 % 10) as u8;
    dst[1] = b'0' + (v % 10) as u8;
}

/// Proleptic Gregorian (year, month 1..=12, day 1..=31) of a day count since
/// 1970-01-01, by counting in 400-year eras that start on 1 March so that the
/// leap day is the last day of each shifted year.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z / 146_097;
    let doe = z - era * 146_097; // day of era, 0..146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of shifted year, 0..365
    let mp = (5 * doy + 2) / 153; // shifted month, 0 = March
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        for (secs, text) in [
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (1_700_000_000, "Tue, 14 Nov 2023 22:13:20 GMT"),
            (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 GMT"),
        ] {
            assert_eq!(HttpDate::from_unix_secs(secs).as_str(), text);
        }
    }

    #[test]
    fn now_is_cached_and_current() {
        let a = now();
        let b = now();
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        // Both calls were within a second of each other; a tick in between is
        // possible, so compare against both neighbouring seconds.
        let expect = [HttpDate::from_unix_secs(secs - 1), HttpDate::from_unix_secs(secs)];
        assert!(expect.contains(&a) && expect.contains(&b), "{a:?} {b:?}");
        assert!(b.as_str().ends_with(" GMT"));
    }
}
