//! Rounds against real sockets on loopback, through the library.

mod common;

use std::net::IpAddr;
use std::sync::Arc;

use heddle::time::Duration;
use heddle_connbench::client::{self, RoundConfig};
use heddle_connbench::errors::ErrorKind;
use heddle_connbench::server::Mode;
use heddle_connbench::stats::RoundReport;

use common::*;

fn round(cfg: RoundConfig) -> RoundReport {
    let rt = runtime(1);
    rt.block_on(client::run_round_spawned(cfg))
}

#[test]
fn reset_by_the_server() {
    let (_server, addr) = start_resetting_server();
    let mut cfg = RoundConfig::new(addr, 500.0, Duration::from_millis(40));
    cfg.content = Arc::from(&b"hello"[..]);
    let r = round(cfg);
    assert_eq!(r.scheduled, 20);
    assert_eq!(r.errors.reset, 20, "{}", r.text(1));
    assert_eq!(r.samples, 0);
    assert_eq!(r.achieved_rate, 0.0);
}

#[test]
fn silent_server_times_out() {
    let (_server, addr) = start_silent_server();
    let mut cfg = RoundConfig::new(addr, 500.0, Duration::from_millis(40));
    cfg.timeout = Duration::from_millis(200);
    cfg.content = Arc::from(&b"hello"[..]);
    let began = std::time::Instant::now();
    let r = round(cfg);
    assert_eq!(r.errors.timed_out, 20, "{}", r.text(1));
    assert!(r.first_errors["timed_out"].contains("200ms"), "{:?}", r.first_errors);
    // The round ends when the last timeout fires, not later.
    assert!(began.elapsed() < Duration::from_secs(2), "{:?}", began.elapsed());
}

#[test]
fn refused_target() {
    let addr = closed_port();
    let r = round(RoundConfig::new(addr, 1000.0, Duration::from_millis(20)));
    assert_eq!(r.errors.refused, 20, "{}", r.text(1));
    assert!(r.text(1).contains("hint: the target refused"));
    let rt = runtime(1);
    let probe = rt.block_on(client::probe(addr, None, Duration::from_secs(1)));
    assert_eq!(probe.unwrap_err().kind, ErrorKind::Refused);
}

#[test]
fn expect_bytes_checks_the_answer() {
    let content = vec![b'x'; 300];
    let (_server, addr, stats) = start_server(Mode::Close, &content);
    let run = |expect: u64| {
        let mut cfg = RoundConfig::new(addr, 1000.0, Duration::from_millis(20));
        cfg.expect_bytes = Some(expect);
        round(cfg)
    };
    let ok = run(300);
    assert_eq!((ok.samples, ok.errors.total(), ok.bytes_received), (20, 0, 6000), "{}", ok.text(1));
    let short = run(301);
    assert_eq!(short.errors.short_answer, 20, "{}", short.text(1));
    assert!(short.first_errors["short_answer"].contains("300 of the expected 301"), "{:?}", short.first_errors);
    let long = run(299);
    assert_eq!(long.errors.long_answer, 20, "{}", long.text(1));
    assert_eq!(stats.accepted.load(std::sync::atomic::Ordering::Relaxed), 60);
}

#[test]
fn echo_mode_returns_the_request() {
    let (_server, addr, _) = start_server(Mode::Echo, b"");
    let mut cfg = RoundConfig::new(addr, 1000.0, Duration::from_millis(20));
    cfg.content = Arc::from(vec![7u8; 10_000]);
    cfg.expect_bytes = Some(10_000);
    let r = round(cfg);
    assert_eq!((r.samples, r.errors.total()), (20, 0), "{}", r.text(1));
}

#[test]
fn local_ips_are_used_round_robin() {
    let (_server, addr, peers) = start_recording_server();
    let ips: Vec<IpAddr> = vec!["127.0.0.2".parse().unwrap(), "127.0.0.3".parse().unwrap()];
    let mut cfg = RoundConfig::new(addr, 2000.0, Duration::from_millis(20));
    cfg.local_ips = Arc::from(ips.clone());
    let r = round(cfg);
    assert_eq!((r.samples, r.errors.total()), (40, 0), "{}", r.text(1));
    let peers = peers.lock().unwrap().clone();
    assert_eq!(peers.len(), 40);
    for ip in &ips {
        assert_eq!(peers.iter().filter(|p| *p == ip).count(), 20, "{peers:?}");
    }
}

#[test]
fn unconfigured_local_ip_is_a_port_error() {
    let (_server, addr, _) = start_server(Mode::Close, b"");
    let mut cfg = RoundConfig::new(addr, 1000.0, Duration::from_millis(10));
    // TEST-NET-1: not an address of this machine, so bind fails with EADDRNOTAVAIL.
    cfg.local_ips = Arc::from(vec!["192.0.2.1".parse::<IpAddr>().unwrap()]);
    let r = round(cfg);
    assert_eq!(r.errors.no_ports, 10, "{}", r.text(1));
    assert!(r.text(1).contains("ip_local_port_range"));
}

#[test]
fn max_inflight_delays_starts_without_losing_them() {
    let (_server, addr, _) = start_server(Mode::Close, b"");
    let mut cfg = RoundConfig::new(addr, 2000.0, Duration::from_millis(50));
    cfg.max_inflight = 1;
    let r = round(cfg);
    assert_eq!((r.scheduled, r.samples, r.errors.total()), (100, 100, 0), "{}", r.text(1));
}

#[test]
fn http_mode_answers_each_kept_alive_request() {
    use std::io::{Read, Write};
    let response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let (_server, addr, stats) = start_server(Mode::Http, response);
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    let get = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let post = b"POST /p HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody";
    // Two pipelined requests, then a third after the first answers arrive.
    conn.write_all(&[&get[..], &post[..]].concat()).unwrap();
    let mut got = vec![0u8; 2 * response.len()];
    conn.read_exact(&mut got).unwrap();
    assert_eq!(got, [&response[..], &response[..]].concat());
    conn.write_all(get).unwrap();
    let mut third = vec![0u8; response.len()];
    conn.read_exact(&mut third).unwrap();
    assert_eq!(&third[..], &response[..]);
    conn.shutdown(std::net::Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    assert_eq!(stats.accepted.load(std::sync::atomic::Ordering::Relaxed), 1);
}
