//! Keys that try to escape DATA, symlinks inside DATA, aborted uploads,
//! leftover temporary files, graceful shutdown.

mod common;

use std::io::Write;
use std::time::Duration;

use common::{eventually, list_dir, pattern, Server, TempDir};

#[test]
fn path_traversal_is_refused_without_touching_disk() {
    let s = Server::start(&[]);
    std::fs::write(s.root.0.join("secret"), b"outside").unwrap();
    let nasty = [
        "/..",
        "/../secret",
        "/%2e%2e/secret",
        "/%2E%2E%2Fsecret",
        "/a/../../secret",
        "/a/%2e%2e/%2e%2e/secret",
        "/./secret",
        "/.tmp/x",
        "/%2etmp/x",
        "/.hidden",
        "//etc/passwd",
        "/%2Fetc%2Fpasswd",
        "/a//b",
        "/a/",
        "/a%00b",
        "/a%0d%0aX-Injected:%20yes",
        "/a%7f",
        "/..%5C..%5Csecret",
        "/a%5Cb",
        "/%zz",
        "/%",
        "/%C0%AE%C0%AE/secret",
        "/%C2%85",
    ];
    assert!(nasty.len() >= 20);
    for key in nasty {
        for method in ["GET", "HEAD", "PUT", "DELETE"] {
            let r = s.req(method, key, &[], if method == "PUT" { b"evil" } else { b"" });
            assert_eq!(r.status, 400, "{method} {key}");
        }
    }
    let long = format!("/{}", vec!["k".repeat(200); 6].join("/"));
    assert_eq!(s.req("PUT", &long, &[], b"x").status, 400);
    // Nothing was written anywhere: DATA holds only .tmp (empty), and its
    // parent only DATA and our file.
    assert_eq!(list_dir(&s.root.0), ["data", "secret"]);
    assert_eq!(list_dir(&s.data), [".tmp"]);
    assert!(s.temp_files().is_empty());
    assert_eq!(std::fs::read(s.root.0.join("secret")).unwrap(), b"outside");
}

#[test]
fn symlinks_inside_data_are_not_followed() {
    let s = Server::start(&[]);
    let outside = s.root.0.join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("f"), b"secret").unwrap();
    std::os::unix::fs::symlink(outside.join("f"), s.data.join("link")).unwrap();
    std::os::unix::fs::symlink(&outside, s.data.join("linkdir")).unwrap();

    assert_eq!(s.req("GET", "/link", &[], b"").status, 400);
    assert_eq!(s.req("PUT", "/link", &[], b"x").status, 400);
    assert_eq!(s.req("DELETE", "/link", &[], b"").status, 400);
    assert_eq!(s.req("GET", "/linkdir/f", &[], b"").status, 400);
    assert_eq!(s.req("PUT", "/linkdir/new", &[], b"x").status, 400);
    assert_eq!(s.req("DELETE", "/linkdir/f", &[], b"").status, 400);
    assert_eq!(list_dir(&outside), ["f"]);
    assert_eq!(std::fs::read(outside.join("f")).unwrap(), b"secret");
    // The listing skips symlinks.
    let r = s.req("GET", "/", &[], b"");
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["keys"].as_array().unwrap().len(), 0);
    assert!(s.temp_files().is_empty());
}

#[test]
fn disconnect_mid_upload_leaves_nothing() {
    let s = Server::start(&[]);
    for chunked in [false, true] {
        let mut c = s.connect();
        if chunked {
            c.send("PUT", "/partial", &[("Transfer-Encoding", "chunked")], b"");
            c.send_raw(format!("{:x}\r\n", 1 << 20).as_bytes());
        } else {
            c.send("PUT", "/partial", &[("Content-Length", "1048576")], b"");
        }
        c.send_raw(&pattern(300_000, 1));
        // Let the server create its temp file and write some of it.
        eventually(Duration::from_secs(5), "temp file created", || !s.temp_files().is_empty());
        drop(c);
        eventually(Duration::from_secs(5), "temp file removed", || s.temp_files().is_empty());
        assert_eq!(s.req("GET", "/partial", &[], b"").status, 404);
    }
    assert_eq!(list_dir(&s.data), [".tmp"]);
}

#[test]
fn leftover_temp_files_are_removed_at_start() {
    let root = TempDir::new();
    let tmp = root.0.join("data").join(".tmp");
    std::fs::create_dir_all(tmp.join("olddir")).unwrap();
    std::fs::write(tmp.join("0123456789abcdef"), b"half an upload").unwrap();
    let s = Server::start_in(root, &[]);
    assert!(s.temp_files().is_empty());
    // And .tmp is not listed.
    let r = s.req("GET", "/", &[], b"");
    assert_eq!(r.body, br#"{"keys":[],"next_after":null}"#);
}

#[test]
fn fsync_mode_works() {
    let s = Server::start(&["--fsync"]);
    let data = pattern(200_000, 5);
    assert_eq!(s.req("PUT", "/deep/er/obj", &[], &data).status, 201);
    assert!(s.req("GET", "/deep/er/obj", &[], b"").body == data);
    assert_eq!(s.req("DELETE", "/deep/er/obj", &[], b"").status, 204);
}

#[test]
fn sigterm_finishes_the_request_in_flight_and_exits_0() {
    let mut s = Server::start(&[]);
    let data = pattern(1 << 20, 11);
    let mut c = s.connect();
    c.send("PUT", "/inflight", &[("Content-Length", "1048576")], b"");
    c.send_raw(&data[..500_000]);
    eventually(Duration::from_secs(5), "upload started", || !s.temp_files().is_empty());
    s.signal(libc::SIGTERM);
    // Give the server time to stop accepting, then finish the upload.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        std::net::TcpStream::connect_timeout(&s.addr, Duration::from_secs(2)).is_err(),
        "still accepting after SIGTERM"
    );
    // The rest arrives slowly, over about a second after the signal: the
    // server keeps the request alive through it.
    for part in data[500_000..].chunks(100_000) {
        std::thread::sleep(Duration::from_millis(100));
        assert!(s.child.try_wait().unwrap().is_none(), "exited with a request in flight");
        c.stream.write_all(part).unwrap();
    }
    let r = c.recv(false);
    assert_eq!(r.status, 201);
    // hyper closes the connection after the response, since it is shutting down.
    assert!(c.is_closed());
    let st = s.wait_exit(Duration::from_secs(10));
    assert_eq!(st.code(), Some(0), "{st:?}");
    assert_eq!(std::fs::read(s.data.join("inflight")).unwrap(), data);
    assert!(s.temp_files().is_empty());
}

#[test]
fn sigint_idle_exits_0() {
    let mut s = Server::start(&[]);
    let mut idle = s.connect(); // a kept-alive idle connection must not hold shutdown
    idle.send("GET", "/nothing", &[], b"");
    assert_eq!(idle.recv(false).status, 404);
    s.signal(libc::SIGINT);
    let st = s.wait_exit(Duration::from_secs(4));
    assert_eq!(st.code(), Some(0), "{st:?}");
}

#[test]
fn slow_headers_are_cut_off() {
    let s = Server::start(&["--header-read-timeout", "1"]);
    let start = std::time::Instant::now();
    let mut slow = s.connect();
    slow.send_raw(b"GET /k HTTP/1.1\r\nHost: t\r\nX-Slow: ");
    // A slow client does not hold other clients.
    assert_eq!(s.req("GET", "/k", &[], b"").status, 404);
    // hyper answers 408 or just closes; either way the connection ends.
    let mut buf = Vec::new();
    let _ = std::io::Read::read_to_end(&mut slow.stream, &mut buf);
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn concurrent_writers_and_readers_see_whole_versions() {
    let s = Server::start(&[]);
    const LEN: usize = 256 * 1024;
    assert_eq!(s.req("PUT", "/hot", &[], &vec![0u8; LEN]).status, 201);
    std::thread::scope(|scope| {
        for w in 1..=3u8 {
            let s = &s;
            scope.spawn(move || {
                for i in 0..10u8 {
                    let v = w * 20 + i;
                    let st = s.req("PUT", "/hot", &[], &vec![v; LEN]).status;
                    assert!(st == 204 || st == 201, "{st}");
                }
            });
        }
        for _ in 0..3 {
            let s = &s;
            scope.spawn(move || {
                for _ in 0..20 {
                    let r = s.req("GET", "/hot", &[], b"");
                    assert_eq!(r.status, 200);
                    assert_eq!(r.body.len(), LEN);
                    assert!(r.body.iter().all(|&b| b == r.body[0]), "torn read");
                }
            });
        }
    });
    assert!(s.temp_files().is_empty());
}
