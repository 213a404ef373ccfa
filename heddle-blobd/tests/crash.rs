//! Crash safety: `kill -9` of the server in the middle of concurrent
//! uploads, then a restart on the same DATA, never shows a partial or torn
//! object, and start-up removes the temporary files the crash left.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{eventually, list_dir, Server};

/// Length of every version of every object.
const LEN: usize = 300_000;
const KEYS: usize = 3;

/// A PUT that reports failure instead of panicking (the server is killed
/// under it). Returns the status.
fn try_put(addr: SocketAddr, key: &str, body: &[u8]) -> std::io::Result<u16> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.set_write_timeout(Some(Duration::from_secs(10)))?;
    s.write_all(format!("PUT {key} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes())?;
    for part in body.chunks(32 * 1024) {
        s.write_all(part)?;
    }
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line)?;
    line.split(' ').nth(1).and_then(|c| c.parse().ok()).ok_or_else(|| std::io::Error::other(line.clone()))
}

/// Starts an upload of `key` and sends only part of its body; the returned
/// stream keeps it in flight.
fn half_upload(addr: SocketAddr, key: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(format!("PUT {key} HTTP/1.1\r\nHost: t\r\nContent-Length: {LEN}\r\n\r\n").as_bytes()).unwrap();
    s.write_all(&vec![0xEE; LEN / 2]).unwrap();
    s
}

/// Every object is one whole version: full length, one repeated byte.
fn check_objects(s: &Server) {
    for k in 0..KEYS {
        let r = s.req("GET", &format!("/obj/{k}"), &[], b"");
        assert_eq!(r.status, 200, "obj/{k}");
        assert_eq!(r.body.len(), LEN, "obj/{k}: partial object");
        assert!(r.body.iter().all(|&b| b == r.body[0]), "obj/{k}: torn object");
        assert_ne!(r.body[0], 0xEE, "obj/{k}: an unfinished upload became visible");
    }
    for j in 0..2 {
        assert_eq!(s.req("GET", &format!("/fresh/{j}"), &[], b"").status, 404);
    }
    let r = s.req("GET", "/", &[], b"");
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let keys = v["keys"].as_array().unwrap();
    assert_eq!(keys.len(), KEYS, "{v}");
    assert!(keys.iter().all(|k| k["size"] == LEN), "{v}");
}

#[test]
fn kill9_during_uploads_then_restart_shows_no_torn_object() {
    let mut s = Server::start(&[]);
    for k in 0..KEYS {
        assert_eq!(s.req("PUT", &format!("/obj/{k}"), &[], &vec![1u8; LEN]).status, 201);
    }
    for round in 0..2u8 {
        let addr = s.addr;
        let done = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            // Writers replacing the objects as fast as they can.
            for w in 0..4u8 {
                let (done, stop) = (&done, &stop);
                scope.spawn(move || {
                    let mut i = 0u8;
                    while !stop.load(Ordering::Relaxed) {
                        let v = 2 + (round * 100 + w * 20 + i % 20);
                        match try_put(addr, &format!("/obj/{}", (w as usize + i as usize) % KEYS), &vec![v; LEN]) {
                            Ok(204) => {
                                done.fetch_add(1, Ordering::Relaxed);
                            }
                            Ok(st) => panic!("PUT answered {st}"),
                            Err(_) => return, // the server is gone
                        }
                        i = i.wrapping_add(1);
                    }
                });
            }
            // Uploads that are certainly in flight when the server dies:
            // replacements of existing objects and new keys.
            let _held: Vec<TcpStream> = (0..KEYS)
                .map(|k| half_upload(addr, &format!("/obj/{k}")))
                .chain((0..2).map(|j| half_upload(addr, &format!("/fresh/{j}"))))
                .collect();
            eventually(Duration::from_secs(10), "uploads in flight", || {
                done.load(Ordering::Relaxed) >= 6 && s.temp_files().len() >= KEYS + 2
            });
            s.kill9();
            stop.store(true, Ordering::Relaxed);
        });
        // What kill -9 left behind: partly written temporary files.
        let left = s.temp_files();
        assert!(left.len() >= KEYS + 2, "{left:?}");
        let partial =
            left.iter().filter(|n| std::fs::metadata(s.data.join(".tmp").join(n)).is_ok_and(|m| m.len() < LEN as u64));
        assert!(partial.count() >= KEYS + 2);
        // The restarted server removes them, and every object is whole.
        s.restart(&[]);
        assert!(s.temp_files().is_empty(), "leftovers: {:?}", s.temp_files());
        assert_eq!(list_dir(&s.data), [".tmp", "obj"]);
        check_objects(&s);
    }
}
