//! PUT/GET/HEAD/DELETE, Range, If-None-Match, listing and error statuses,
//! against the real binary.

mod common;

use common::{pattern, Server};

#[test]
fn round_trip_sizes_byte_for_byte() {
    round_trip(&[]);
}

/// The same with file I/O forced onto the worker threads and forced onto the
/// blocking pool (`--file-io auto` picks by file system, so a test machine
/// alone would exercise only one of them).
#[test]
fn round_trip_with_inline_and_pooled_file_io() {
    round_trip(&["--file-io", "inline"]);
    round_trip(&["--file-io", "pool"]);
}

fn round_trip(extra: &[&str]) {
    let s = Server::start(extra);
    let mut c = s.connect();
    for (i, size) in [0usize, 1, 64 * 1024, 10 * 1024 * 1024].into_iter().enumerate() {
        let key = format!("/obj/size-{size}");
        let data = pattern(size, i as u64 + 1);
        c.send("PUT", &key, &[], &data);
        let put = c.recv(false);
        assert_eq!(put.status, 201, "PUT {size}");
        let etag = put.header("etag").expect("etag").to_string();

        c.send("GET", &key, &[], b"");
        let get = c.recv(false);
        assert_eq!(get.status, 200);
        assert_eq!(get.header("content-length"), Some(size.to_string().as_str()));
        assert_eq!(get.header("etag"), Some(etag.as_str()));
        assert!(get.header("last-modified").is_some());
        assert!(get.body == data, "body of {size} bytes differs");

        c.send("HEAD", &key, &[], b"");
        let head = c.recv(true);
        assert_eq!(head.status, 200);
        assert_eq!(head.header("content-length"), Some(size.to_string().as_str()));
    }
    // Replacing answers 204, and the new content is served.
    let data = pattern(1000, 99);
    c.send("PUT", "/obj/size-1", &[], &data);
    assert_eq!(c.recv(false).status, 204);
    c.send("GET", "/obj/size-1", &[], b"");
    assert_eq!(c.recv(false).body, data);
    assert!(s.temp_files().is_empty());
}

#[test]
fn chunked_upload() {
    let s = Server::start(&[]);
    let data = pattern(300_000, 7);
    let mut c = s.connect();
    c.send("PUT", "/chunked", &[("Transfer-Encoding", "chunked")], b"");
    for part in data.chunks(70_000) {
        c.send_raw(format!("{:x}\r\n", part.len()).as_bytes());
        c.send_raw(part);
        c.send_raw(b"\r\n");
    }
    c.send_raw(b"0\r\n\r\n");
    assert_eq!(c.recv(false).status, 201);
    let get = s.req("GET", "/chunked", &[], b"");
    assert!(get.body == data);
}

#[test]
fn range_and_conditional_get() {
    let s = Server::start(&[]);
    let data = pattern(100, 3);
    let put = s.req("PUT", "/r", &[], &data);
    let etag = put.header("etag").unwrap().to_string();

    let r = s.req("GET", "/r", &[("Range", "bytes=10-19")], b"");
    assert_eq!(r.status, 206);
    assert_eq!(r.header("content-range"), Some("bytes 10-19/100"));
    assert_eq!(r.body, &data[10..20]);

    let r = s.req("GET", "/r", &[("Range", "bytes=-5")], b"");
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &data[95..]);

    let r = s.req("GET", "/r", &[("Range", "bytes=90-")], b"");
    assert_eq!((r.status, r.body.as_slice()), (206, &data[90..]));

    let r = s.req("GET", "/r", &[("Range", "bytes=100-")], b"");
    assert_eq!(r.status, 416);
    assert_eq!(r.header("content-range"), Some("bytes */100"));

    // Multiple ranges are ignored: the whole object.
    let r = s.req("GET", "/r", &[("Range", "bytes=0-1,5-6")], b"");
    assert_eq!((r.status, r.body.len()), (200, 100));

    let r = s.req("GET", "/r", &[("If-None-Match", &etag)], b"");
    assert_eq!(r.status, 304);
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    let r = s.req("GET", "/r", &[("If-None-Match", "\"other\", *")], b"");
    assert_eq!(r.status, 304);
    let r = s.req("GET", "/r", &[("If-None-Match", "\"other\"")], b"");
    assert_eq!(r.status, 200);

    // A new version gets a new ETag.
    let put2 = s.req("PUT", "/r", &[], b"new");
    assert_eq!(put2.status, 204);
    assert_ne!(put2.header("etag"), Some(etag.as_str()));
    assert_eq!(s.req("GET", "/r", &[("If-None-Match", &etag)], b"").status, 200);
}

#[test]
fn error_statuses() {
    let s = Server::start(&["--max-body", "1KiB"]);
    assert_eq!(s.req("GET", "/absent", &[], b"").status, 404);
    assert_eq!(s.req("HEAD", "/absent", &[], b"").status, 404);
    assert_eq!(s.req("DELETE", "/absent", &[], b"").status, 404);

    assert_eq!(s.req("PUT", "/k", &[], b"x").status, 201);
    assert_eq!(s.req("DELETE", "/k", &[], b"").status, 204);
    assert_eq!(s.req("GET", "/k", &[], b"").status, 404);
    assert_eq!(s.req("DELETE", "/k", &[], b"").status, 404);

    let r = s.req("POST", "/k", &[], b"");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD, PUT, DELETE"));
    let r = s.req("PUT", "/", &[], b"");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));

    // No framing at all on a PUT.
    let mut c = s.connect();
    c.send_raw(b"PUT /nolen HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(c.recv(false).status, 411);

    // Declared too large: refused before reading.
    let mut c = s.connect();
    c.send_raw(b"PUT /big HTTP/1.1\r\nHost: t\r\nContent-Length: 1025\r\n\r\n");
    assert_eq!(c.recv(false).status, 413);
    // Exactly the limit is fine.
    assert_eq!(s.req("PUT", "/limit", &[], &[7u8; 1024]).status, 201);
    // Chunked, found too large while streaming: 413 and no temp file left.
    let mut c = s.connect();
    c.send("PUT", "/bigchunked", &[("Transfer-Encoding", "chunked")], b"");
    c.send_raw(b"400\r\n");
    c.send_raw(&[1u8; 1024]);
    c.send_raw(b"\r\n10\r\n0123456789abcdef\r\n");
    assert_eq!(c.recv(false).status, 413);
    common::eventually(std::time::Duration::from_secs(5), "temp file removed", || s.temp_files().is_empty());
    assert_eq!(s.req("GET", "/bigchunked", &[], b"").status, 404);

    // Malformed framing, rejected by hyper.
    let mut c = s.connect();
    c.send_raw(b"PUT /bad HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n");
    assert_eq!(c.recv(false).status, 400);
    let mut c = s.connect();
    c.send_raw(b"PUT /bad HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd");
    assert_eq!(c.recv(false).status, 400);
    // Bad keys.
    assert_eq!(s.req("GET", "/a/../b", &[], b"").status, 400);
    assert_eq!(s.req("PUT", "/.tmp/x", &[], b"x").status, 400);

    // A key under an object, or an object where a directory is: 409.
    assert_eq!(s.req("PUT", "/file", &[], b"x").status, 201);
    assert_eq!(s.req("PUT", "/file/sub", &[], b"x").status, 409);
    assert_eq!(s.req("PUT", "/dir/sub", &[], b"x").status, 201);
    assert_eq!(s.req("PUT", "/dir", &[], b"x").status, 409);
    assert_eq!(s.req("GET", "/dir", &[], b"").status, 404);
    assert!(s.temp_files().is_empty());
}

#[test]
fn oversized_headers_are_refused() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    let big = "x".repeat(512 * 1024);
    let req = format!("GET /k HTTP/1.1\r\nHost: t\r\nX-Big: {big}\r\n\r\n");
    // The server may answer and close before reading all of it.
    let _ = std::io::Write::write_all(&mut c.stream, req.as_bytes());
    assert_eq!(c.recv(false).status, 431);
}

#[test]
fn listing_with_prefix_and_pages() {
    let s = Server::start(&[]);
    for k in ["a", "b/c", "b/d", "e", "b2"] {
        assert_eq!(s.req("PUT", &format!("/{k}"), &[], k.as_bytes()).status, 201);
    }
    let list = |q: &str| -> serde_json::Value {
        let r = s.req("GET", &format!("/{q}"), &[], b"");
        assert_eq!(r.status, 200, "{q}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        serde_json::from_slice(&r.body).unwrap()
    };
    let keys = |v: &serde_json::Value| -> Vec<String> {
        v["keys"].as_array().unwrap().iter().map(|k| k["key"].as_str().unwrap().to_string()).collect()
    };
    let all = list("");
    assert_eq!(keys(&all), ["a", "b/c", "b/d", "b2", "e"]);
    assert_eq!(all["keys"][1]["size"], 3);
    assert!(all["next_after"].is_null());
    assert_eq!(keys(&list("?prefix=b%2F")), ["b/c", "b/d"]);
    let p1 = list("?limit=2");
    assert_eq!(keys(&p1), ["a", "b/c"]);
    assert_eq!(p1["next_after"], "b/c");
    let p2 = list("?limit=2&after=b/c");
    assert_eq!(keys(&p2), ["b/d", "b2"]);
    let p3 = list("?limit=2&after=b2");
    assert_eq!(keys(&p3), ["e"]);
    assert!(p3["next_after"].is_null());
    assert_eq!(s.req("GET", "/?limit=0", &[], b"").status, 400);
    assert_eq!(s.req("GET", "/?bogus=1", &[], b"").status, 400);
}

#[test]
fn strong_etag_is_a_content_hash() {
    let s = Server::start(&[]);
    let data = pattern(300_000, 8);
    let put = s.req("PUT", "/e", &[], &data);
    assert_eq!(put.status, 201);
    let tag = put.header("etag").unwrap().to_string();
    // Strong: no W/ prefix, a quoted 128-bit hex hash.
    assert!(!tag.starts_with("W/"), "{tag}");
    assert_eq!(tag.len(), 34, "{tag}");
    assert!(tag.starts_with('"') && tag.ends_with('"'));
    assert!(tag[1..33].bytes().all(|b| b.is_ascii_hexdigit()), "{tag}");
    let get = s.req("GET", "/e", &[], b"");
    assert_eq!(get.header("etag"), Some(tag.as_str()));
    assert_eq!(s.req("HEAD", "/e", &[], b"").header("etag"), Some(tag.as_str()));
    // Same bytes under another key, or written again: same tag.
    let same = s.req("PUT", "/e2", &[], &data);
    assert_eq!(same.header("etag"), Some(tag.as_str()));
    assert_eq!(s.req("PUT", "/e", &[], &data).header("etag"), Some(tag.as_str()));
    // A chunked upload of the same bytes hashes the same.
    let mut c = s.connect();
    c.send("PUT", "/e3", &[("Transfer-Encoding", "chunked")], b"");
    for part in data.chunks(77_777) {
        c.send_raw(format!("{:x}\r\n", part.len()).as_bytes());
        c.send_raw(part);
        c.send_raw(b"\r\n");
    }
    c.send_raw(b"0\r\n\r\n");
    assert_eq!(c.recv(false).header("etag"), Some(tag.as_str()));
    // One byte different: another tag.
    let mut other = data.clone();
    other[150_000] ^= 1;
    let put2 = s.req("PUT", "/e2", &[], &other);
    assert_ne!(put2.header("etag"), Some(tag.as_str()));
    assert!(!put2.header("etag").unwrap().starts_with("W/"));
    // If-None-Match with the strong tag (also as part of a list) → 304.
    assert_eq!(s.req("GET", "/e", &[("If-None-Match", &tag)], b"").status, 304);
    assert_eq!(s.req("GET", "/e", &[("If-None-Match", &format!("\"x\", {tag}"))], b"").status, 304);
    assert_eq!(s.req("HEAD", "/e", &[("If-None-Match", &tag)], b"").status, 304);
    assert_eq!(s.req("GET", "/e2", &[("If-None-Match", &tag)], b"").status, 200);
    // The object changed behind the server's back (same size): the recorded
    // hash no longer matches size+mtime, so it is not served as strong.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let path = s.data.join("e");
    let mut changed = data.clone();
    changed[0] ^= 0xff;
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    std::io::Write::write_all(&mut &f, &changed).unwrap();
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5)).unwrap();
    drop(f);
    let r = s.req("GET", "/e", &[("If-None-Match", &tag)], b"");
    assert_eq!(r.status, 200);
    assert!(r.header("etag").unwrap().starts_with("W/"), "{:?}", r.header("etag"));
    assert!(r.body == changed);
}
