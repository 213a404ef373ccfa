//! blobd-load: the blob-store benchmark's load generator (seed 001's
//! workload, scaled to a small machine).
//!
//! `--connections` clients, one blocking std thread and one kept-alive
//! HTTP/1.1 connection each, loop for `--duration` seconds: `PUT
//! /obj-<conn>-<i>` with a `--size` body, then `GET` of the same key,
//! checking the status, the length and (unless `--no-verify`) every byte.
//! Keys cycle through `--keys` names per connection, so the data directory
//! stays bounded (`connections × keys × size`) and later PUTs replace
//! objects. A client stops starting requests at the deadline; the rates are
//! over the time until the last one finished.
//!
//! Blocking threads keep the client out of the comparison: it does not run
//! on either runtime under test. It talks only to a loopback address.
//!
//! Prints a summary (or, with `--json`, one JSON object) on stdout: per
//! method the count, requests/s, p50/p99 latency and errors, and the
//! payload rate in MB/s (10^6 bytes, PUT and GET bodies together).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;

/// Command-line options.
#[derive(Parser, Debug)]
#[command(name = "blobd-load", about = "PUT-then-GET load on a blob store over loopback keep-alive connections")]
struct Args {
    /// Server address; must be a loopback address.
    #[arg(long)]
    addr: SocketAddr,
    /// Client connections, one thread each.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Seconds to run.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Object size; suffixes K/KiB, M/MiB (powers of 1024).
    #[arg(long, default_value = "4MiB", value_parser = parse_size)]
    size: usize,
    /// Distinct keys per connection (`obj-<conn>-<i mod keys>`).
    #[arg(long, default_value_t = 16)]
    keys: u64,
    /// Check only the length of GET bodies, not their bytes.
    #[arg(long)]
    no_verify: bool,
    /// Print one JSON object instead of the text summary.
    #[arg(long)]
    json: bool,
}

/// Socket read/write limit: a stuck server fails the request, not the run.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest response header accepted.
const MAX_HEAD: usize = 64 * 1024;

fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: usize = num.parse().map_err(|_| format!("invalid size {s:?}"))?;
    let mult = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        _ => return Err(format!("invalid size unit in {s:?}")),
    };
    n.checked_mul(mult).ok_or_else(|| format!("size {s:?} overflows"))
}

/// What one method's requests did on one connection.
#[derive(Default)]
struct MethodStats {
    ok: u64,
    errors: u64,
    bytes: u64,
    /// Latency of each successful request, microseconds.
    lat_us: Vec<u32>,
}

impl MethodStats {
    fn merge(&mut self, other: MethodStats) {
        self.ok += other.ok;
        self.errors += other.errors;
        self.bytes += other.bytes;
        self.lat_us.extend(other.lat_us);
    }
}

/// One client's results.
#[derive(Default)]
struct ConnStats {
    put: MethodStats,
    get: MethodStats,
    /// The first few error messages, for the report.
    messages: Vec<String>,
    finished: Option<Instant>,
}

/// A parsed response head.
struct Head {
    status: u16,
    content_length: Option<u64>,
    chunked: bool,
    close: bool,
}

/// A kept-alive connection with its read buffer.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Bytes of `buf` not consumed yet start here.
    pos: usize,
}

impl Conn {
    fn open(addr: SocketAddr) -> io::Result<Conn> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(Conn { stream, buf: Vec::with_capacity(MAX_HEAD), pos: 0 })
    }

    /// Reads more bytes into `buf`; an error at end of stream.
    fn fill(&mut self) -> io::Result<()> {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        let old = self.buf.len();
        self.buf.resize(old + 64 * 1024, 0);
        let n = match self.stream.read(&mut self.buf[old..]) {
            Ok(n) => n,
            Err(e) => {
                self.buf.truncate(old);
                return Err(e);
            }
        };
        self.buf.truncate(old + n);
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "server closed the connection"));
        }
        Ok(())
    }

    fn read_head(&mut self) -> io::Result<Head> {
        let end = loop {
            if let Some(i) = find(&self.buf[self.pos..], b"\r\n\r\n") {
                break self.pos + i + 4;
            }
            if self.buf.len() - self.pos > MAX_HEAD {
                return Err(io::Error::other("response head too large"));
            }
            self.fill()?;
        };
        let text = String::from_utf8_lossy(&self.buf[self.pos..end]).into_owned();
        self.pos = end;
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::other(format!("bad status line {status_line:?}")))?;
        let mut head = Head { status, content_length: None, chunked: false, close: false };
        for line in lines {
            let Some((name, value)) = line.split_once(':') else { continue };
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => head.content_length = value.parse().ok(),
                "transfer-encoding" => head.chunked = value.to_ascii_lowercase().contains("chunked"),
                "connection" => head.close = value.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
        Ok(head)
    }

    /// Reads exactly `n` body bytes, appending them to `out` if given.
    fn read_exact_into(&mut self, mut n: u64, mut out: Option<&mut Vec<u8>>) -> io::Result<()> {
        while n > 0 {
            if self.pos == self.buf.len() {
                // Large bodies: read straight into the destination.
                if let Some(out) = out.as_deref_mut() {
                    let old = out.len();
                    let want = n.min(1 << 20) as usize;
                    out.resize(old + want, 0);
                    let got = self.stream.read(&mut out[old..]);
                    let got = match got {
                        Ok(0) => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "body cut short")),
                        other => other,
                    };
                    match got {
                        Ok(k) => {
                            out.truncate(old + k);
                            n -= k as u64;
                            continue;
                        }
                        Err(e) => {
                            out.truncate(old);
                            return Err(e);
                        }
                    }
                }
                self.fill()?;
            }
            let take = (self.buf.len() - self.pos).min(n.min(usize::MAX as u64) as usize);
            if let Some(out) = out.as_deref_mut() {
                out.extend_from_slice(&self.buf[self.pos..self.pos + take]);
            }
            self.pos += take;
            n -= take as u64;
        }
        Ok(())
    }

    fn read_line(&mut self) -> io::Result<String> {
        loop {
            if let Some(i) = find(&self.buf[self.pos..], b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[self.pos..self.pos + i]).into_owned();
                self.pos += i + 2;
                return Ok(line);
            }
            self.fill()?;
        }
    }

    /// Reads the body the head announces (none for 1xx/204/304).
    fn read_body(&mut self, head: &Head, mut out: Option<&mut Vec<u8>>) -> io::Result<()> {
        if head.status == 204 || head.status == 304 || (100..200).contains(&head.status) {
            return Ok(());
        }
        if head.chunked {
            loop {
                let line = self.read_line()?;
                let size = u64::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                    .map_err(|_| io::Error::other(format!("bad chunk size {line:?}")))?;
                if size == 0 {
                    // Trailers, up to the empty line.
                    while !self.read_line()?.is_empty() {}
                    return Ok(());
                }
                self.read_exact_into(size, out.as_deref_mut())?;
                if !self.read_line()?.is_empty() {
                    return Err(io::Error::other("chunk not followed by CRLF"));
                }
            }
        }
        match head.content_length {
            Some(n) => self.read_exact_into(n, out),
            None => Err(io::Error::other("response without length on a kept-alive connection")),
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Fills `buf` with a pattern particular to connection `conn`.
fn pattern(conn: usize, buf: &mut [u8]) {
    let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ (conn as u64 + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    for chunk in buf.chunks_mut(8) {
        // xorshift64
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
}

/// Counts a failed request and keeps the first few messages.
fn fail(stats: &mut ConnStats, get: bool, msg: String) {
    if get {
        stats.get.errors += 1;
    } else {
        stats.put.errors += 1;
    }
    if stats.messages.len() < 5 {
        stats.messages.push(msg);
    }
}

/// One PUT or GET; returns an error message on failure. `conn` is dropped
/// (so the caller reconnects) on any error or `Connection: close`.
fn request(
    conn: &mut Option<Conn>,
    addr: SocketAddr,
    head: &[u8],
    body: Option<&[u8]>,
    out: Option<&mut Vec<u8>>,
) -> Result<u16, String> {
    if conn.is_none() {
        *conn = Some(Conn::open(addr).map_err(|e| format!("connect: {e}"))?);
    }
    let c = conn.as_mut().expect("just opened");
    let res = (|| -> io::Result<(Head, bool)> {
        c.stream.write_all(head)?;
        if let Some(body) = body {
            c.stream.write_all(body)?;
        }
        let h = c.read_head()?;
        c.read_body(&h, out)?;
        let close = h.close;
        Ok((h, close))
    })();
    match res {
        Ok((h, close)) => {
            if close {
                *conn = None;
            }
            Ok(h.status)
        }
        Err(e) => {
            *conn = None;
            Err(e.to_string())
        }
    }
}

fn client(id: usize, args: Arc<Args>, start: Arc<Barrier>) -> (ConnStats, Instant) {
    let mut stats = ConnStats::default();
    let mut body = vec![0u8; args.size];
    pattern(id, &mut body);
    let mut got = Vec::with_capacity(args.size);
    let mut conn = Conn::open(args.addr).map_err(|e| stats.messages.push(format!("connect: {e}"))).ok();
    start.wait();
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs_f64(args.duration);
    let host = args.addr;
    let mut i: u64 = 0;
    while Instant::now() < deadline {
        let key = format!("/obj-{id}-{}", i % args.keys);
        // Stamp the sequence number so a stale GET is caught.
        if body.len() >= 8 {
            body[..8].copy_from_slice(&i.to_le_bytes());
        }
        i += 1;
        let put_head = format!("PUT {key} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n\r\n", body.len());
        let t = Instant::now();
        match request(&mut conn, args.addr, put_head.as_bytes(), Some(&body), None) {
            Ok(200..=204) => {
                stats.put.ok += 1;
                stats.put.bytes += body.len() as u64;
                stats.put.lat_us.push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
            }
            Ok(s) => {
                fail(&mut stats, false, format!("PUT {key}: status {s}"));
                continue;
            }
            Err(e) => {
                fail(&mut stats, false, format!("PUT {key}: {e}"));
                continue;
            }
        }
        if Instant::now() >= deadline {
            break;
        }
        let get_head = format!("GET {key} HTTP/1.1\r\nHost: {host}\r\n\r\n");
        got.clear();
        let t = Instant::now();
        match request(&mut conn, args.addr, get_head.as_bytes(), None, Some(&mut got)) {
            Ok(200) if got.len() != body.len() => {
                fail(&mut stats, true, format!("GET {key}: {} bytes, expected {}", got.len(), body.len()))
            }
            Ok(200) if !args.no_verify && got != body => {
                fail(&mut stats, true, format!("GET {key}: content differs from what was PUT"))
            }
            Ok(200) => {
                stats.get.ok += 1;
                stats.get.bytes += got.len() as u64;
                stats.get.lat_us.push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
            }
            Ok(s) => fail(&mut stats, true, format!("GET {key}: status {s}")),
            Err(e) => fail(&mut stats, true, format!("GET {key}: {e}")),
        }
    }
    stats.finished = Some(Instant::now());
    (stats, t0)
}

/// The `p`-th percentile (0..=100) of sorted microseconds, in milliseconds.
fn percentile_ms(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    f64::from(sorted[rank.min(sorted.len() - 1)]) / 1000.0
}

fn main() -> ExitCode {
    let args = Args::parse();
    if !args.addr.ip().is_loopback() {
        eprintln!("blobd-load: refusing {}: only loopback addresses are allowed", args.addr);
        return ExitCode::FAILURE;
    }
    if args.connections == 0 || args.keys == 0 || args.duration.is_nan() || args.duration <= 0.0 {
        eprintln!("blobd-load: --connections, --keys and --duration must be positive");
        return ExitCode::FAILURE;
    }
    let args = Arc::new(args);
    let barrier = Arc::new(Barrier::new(args.connections));
    let handles: Vec<_> = (0..args.connections)
        .map(|id| {
            let (args, barrier) = (args.clone(), barrier.clone());
            thread::Builder::new()
                .name(format!("load-{id}"))
                .spawn(move || client(id, args, barrier))
                .expect("spawn a client thread")
        })
        .collect();
    let (mut put, mut get) = (MethodStats::default(), MethodStats::default());
    let mut messages = Vec::new();
    let (mut first, mut last): (Option<Instant>, Option<Instant>) = (None, None);
    for h in handles {
        let (s, t0) = h.join().expect("client thread panicked");
        put.merge(s.put);
        get.merge(s.get);
        messages.extend(s.messages);
        first = Some(first.map_or(t0, |f| f.min(t0)));
        last = s.finished.max(last);
    }
    let elapsed = match (first, last) {
        (Some(f), Some(l)) => l.duration_since(f).as_secs_f64().max(1e-9),
        _ => args.duration,
    };
    put.lat_us.sort_unstable();
    get.lat_us.sort_unstable();
    let mbps = (put.bytes + get.bytes) as f64 / elapsed / 1e6;
    let method = |m: &MethodStats| {
        serde_json::json!({
            "ok": m.ok, "errors": m.errors, "rps": m.ok as f64 / elapsed,
            "p50_ms": percentile_ms(&m.lat_us, 50.0), "p99_ms": percentile_ms(&m.lat_us, 99.0),
        })
    };
    let summary = serde_json::json!({
        "addr": args.addr.to_string(), "connections": args.connections, "size": args.size,
        "duration_s": elapsed, "put": method(&put), "get": method(&get), "mb_per_s": mbps,
        "errors": put.errors + get.errors, "error_samples": messages,
    });
    if args.json {
        println!("{summary}");
    } else {
        println!(
            "{:.2}s, {} connections, {} B objects: {:.1} MB/s, {} errors",
            elapsed,
            args.connections,
            args.size,
            mbps,
            put.errors + get.errors
        );
        for (name, m) in [("PUT", &put), ("GET", &get)] {
            println!(
                "  {name}: {} ok ({:.1} req/s), {} errors, p50 {:.2} ms, p99 {:.2} ms",
                m.ok,
                m.ok as f64 / elapsed,
                m.errors,
                percentile_ms(&m.lat_us, 50.0),
                percentile_ms(&m.lat_us, 99.0)
            );
        }
        for msg in &messages {
            println!("  error: {msg}");
        }
    }
    if put.ok + get.ok == 0 {
        eprintln!("blobd-load: no request succeeded");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A connection to a one-shot server that sends `reply` once it has read
    /// anything.
    fn conn_with_reply(reply: &'static [u8]) -> Conn {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 64];
            let _ = s.read(&mut buf);
            s.write_all(reply).unwrap();
        });
        let mut c = Conn::open(addr).unwrap();
        c.stream.write_all(b"x").unwrap();
        c
    }

    fn read_all(c: &mut Conn) -> (Head, Vec<u8>) {
        let head = c.read_head().unwrap();
        let mut body = Vec::new();
        c.read_body(&head, Some(&mut body)).unwrap();
        (head, body)
    }

    #[test]
    fn content_length_then_next_response() {
        let mut c =
            conn_with_reply(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 204 No Content\r\n\r\n");
        let (h, body) = read_all(&mut c);
        assert_eq!((h.status, body.as_slice()), (200, &b"hello"[..]));
        let (h, body) = read_all(&mut c);
        assert_eq!((h.status, body.len()), (204, 0));
    }

    #[test]
    fn chunked_and_close() {
        let mut c = conn_with_reply(
            b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
        );
        let (h, body) = read_all(&mut c);
        assert_eq!((h.status, h.close, body.as_slice()), (201, true, &b"abcde"[..]));
    }

    #[test]
    fn short_body_is_an_error() {
        let mut c = conn_with_reply(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        let head = c.read_head().unwrap();
        assert!(c.read_body(&head, Some(&mut Vec::new())).is_err());
    }

    #[test]
    fn sizes_and_percentiles() {
        assert_eq!(parse_size("4MiB"), Ok(4 << 20));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert!(parse_size("1G").is_err());
        let lat: Vec<u32> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile_ms(&lat, 50.0), 51.0);
        assert_eq!(percentile_ms(&lat, 99.0), 99.0);
        assert_eq!(percentile_ms(&[], 99.0), 0.0);
    }
}
