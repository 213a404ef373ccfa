//! `Builder::max_io_events_per_busy_tick`: a driver poll made while tasks
//! are waiting to run takes at most that many I/O events; the rest stay in
//! the kernel for the next poll.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use heddle::net::UdpSocket;
use heddle::runtime::{Builder, Runtime};

/// Sockets made readable at once.
const SOCKETS: usize = 8;

/// The runtimes under test, with `busy` as the busy batch if given. The
/// periodic driver poll is put out of reach (`event_interval`), so the
/// driver is polled exactly once per turn of the spinner below.
fn runtimes(busy: Option<usize>) -> [(&'static str, Runtime); 2] {
    let mut current = Builder::new_current_thread();
    let mut multi = Builder::new_multi_thread();
    multi.worker_threads(1);
    for builder in [&mut current, &mut multi] {
        builder.enable_all().event_interval(1_000_000);
        if let Some(busy) = busy {
            builder.max_io_events_per_busy_tick(busy);
        }
    }
    [("current_thread", current.build().unwrap()), ("multi_thread", multi.build().unwrap())]
}

/// While a task spins on `yield_now` (so every driver poll is a busy one),
/// `SOCKETS` readers wait for a datagram each; all the datagrams are sent in
/// one go. Returns, for each reader, how many turns the spinner had taken
/// when the reader woke.
async fn turns_at_wake_up() -> Vec<usize> {
    let turns = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let spinner = heddle::spawn({
        let (turns, stop) = (turns.clone(), stop.clone());
        async move {
            while !stop.load(SeqCst) {
                turns.fetch_add(1, SeqCst);
                heddle::task::yield_now().await;
            }
        }
    });
    let mut addrs = Vec::new();
    let mut readers = Vec::new();
    for _ in 0..SOCKETS {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        addrs.push(socket.local_addr().unwrap());
        let turns = turns.clone();
        readers.push(heddle::spawn(async move {
            let mut buf = [0u8; 4];
            assert_eq!(socket.recv(&mut buf).await.unwrap(), 4);
            turns.load(SeqCst)
        }));
    }
    // Queued behind the readers: by the time it sends, each has polled
    // its socket once and waits for readiness.
    let sender = heddle::spawn(async move {
        heddle::task::yield_now().await;
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        for addr in addrs {
            tx.send_to(b"ping", addr).unwrap();
        }
    });
    sender.await.unwrap();
    let mut seen = Vec::new();
    for reader in readers {
        seen.push(reader.await.unwrap());
    }
    stop.store(true, SeqCst);
    spinner.await.unwrap();
    seen
}

/// With a busy batch of one, each driver poll wakes one reader: no two
/// wake in the same turn of the spinner.
#[test]
fn a_busy_poll_takes_at_most_the_busy_batch() {
    for (name, rt) in runtimes(Some(1)) {
        let mut turns = support::run(&rt, turns_at_wake_up());
        turns.sort_unstable();
        turns.dedup();
        assert_eq!(turns.len(), SOCKETS, "{name}: several readers woke in one driver poll: {turns:?}");
    }
}

/// Without a busy batch, a busy poll takes up to `max_io_events_per_tick`
/// events: every reader wakes in the same turn.
#[test]
fn by_default_a_busy_poll_takes_the_whole_batch() {
    for (name, rt) in runtimes(None) {
        let turns = support::run(&rt, turns_at_wake_up());
        assert!(turns.iter().all(|&t| t == turns[0]), "{name}: readers woke over several driver polls: {turns:?}");
    }
}

/// Liveness with a busy batch of one: events left in the kernel by a busy
/// poll are taken by later polls, idle or busy, and none is lost.
#[test]
fn no_event_is_lost_with_a_busy_batch_of_one() {
    for (name, rt) in runtimes(Some(1)) {
        let got = support::run(&rt, async {
            let mut addrs = Vec::new();
            let mut readers = Vec::new();
            for _ in 0..SOCKETS {
                let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
                addrs.push(socket.local_addr().unwrap());
                readers.push(heddle::spawn(async move {
                    let mut buf = [0u8; 4];
                    socket.recv(&mut buf).await.unwrap()
                }));
            }
            heddle::task::yield_now().await;
            let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            for addr in addrs {
                tx.send_to(b"ping", addr).unwrap();
            }
            let mut got = 0;
            for reader in readers {
                got += reader.await.unwrap();
            }
            got
        });
        assert_eq!(got, 4 * SOCKETS, "{name}");
    }
}

#[test]
#[should_panic(expected = "max_io_events_per_busy_tick must be non-zero")]
fn a_busy_batch_of_zero_panics() {
    Builder::new_multi_thread().max_io_events_per_busy_tick(0);
}
