//! Cooperative budget: a connection whose socket is always ready cannot
//! hold its worker; other tasks and timers still run.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use heddle::io::{AsyncReadExt, AsyncWriteExt};
use heddle::net::{TcpListener, TcpStream};
use heddle::runtime::Builder;
use heddle::time::{sleep, timeout, Instant};

mod support;

#[test]
fn an_always_ready_reader_does_not_starve_a_timer_on_one_thread() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let read_bytes = Arc::new(AtomicU64::new(0));

        // A writer on a plain thread keeps the socket full.
        let writer_stop = stop.clone();
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            let chunk = vec![7u8; 64 * 1024];
            while !writer_stop.load(SeqCst) {
                if s.write_all(&chunk).is_err() {
                    break;
                }
            }
        });
        let (mut socket, _) = listener.accept().await.unwrap();
        let (reader_stop, counter) = (stop.clone(), read_bytes.clone());
        let reader = heddle::spawn(async move {
            let mut buf = vec![0u8; 4096];
            while !reader_stop.load(SeqCst) {
                let n = socket.read(&mut buf).await.unwrap();
                counter.fetch_add(n as u64, SeqCst);
            }
        });

        // While the reader always finds data, a 5 ms timer must still fire
        // about on time (a generous bound for a shared machine).
        let start = Instant::now();
        timeout(Duration::from_secs(5), sleep(Duration::from_millis(5))).await.expect("timer starved");
        let took = start.elapsed();
        assert!(took < Duration::from_millis(500), "timer took {took:?}");
        assert!(read_bytes.load(SeqCst) > 0, "the reader ran too");
        stop.store(true, SeqCst);
        reader.await.unwrap();
        writer.join().unwrap();
    });
}

#[test]
fn ping_pong_connections_share_one_worker_fairly() {
    let rt = Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        heddle::spawn(async move {
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                heddle::spawn(async move {
                    let mut buf = [0u8; 64];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        // Ten clients echo for 300 ms each; every one must make progress.
        let clients: Vec<_> = (0..10)
            .map(|_| {
                heddle::spawn(async move {
                    let mut s = TcpStream::connect(addr).await.unwrap();
                    let end = Instant::now() + Duration::from_millis(300);
                    let mut rounds = 0u32;
                    let mut buf = [0u8; 8];
                    while Instant::now() < end {
                        s.write_all(b"ping1234").await.unwrap();
                        s.read_exact(&mut buf).await.unwrap();
                        rounds += 1;
                    }
                    rounds
                })
            })
            .collect();
        let mut rounds = Vec::new();
        for c in clients {
            rounds.push(timeout(Duration::from_secs(10), c).await.unwrap().unwrap());
        }
        let (min, max) = (*rounds.iter().min().unwrap(), *rounds.iter().max().unwrap());
        assert!(min > 0, "a client made no progress: {rounds:?}");
        // No client gets more than 4x the service of another.
        assert!(max <= min * 4 + 10, "unfair: {rounds:?}");
    });
}

/// Tasks that only ever yield keep every worker busy, and no socket is
/// registered anywhere: the timers are then fired by the workers' periodic
/// maintenance alone (which skips the reactor when it holds no socket).
#[test]
fn timers_fire_while_every_worker_spins_without_sockets() {
    for rt in support::runtimes() {
        rt.block_on(async {
            let stop = Arc::new(AtomicBool::new(false));
            let spins = Arc::new(AtomicU64::new(0));
            let spinners: Vec<_> = (0..2)
                .map(|_| {
                    let (stop, spins) = (stop.clone(), spins.clone());
                    // Bounded, so that a runtime that starves timers fails
                    // the assertion below instead of hanging.
                    let give_up = std::time::Instant::now() + Duration::from_secs(2);
                    heddle::spawn(async move {
                        while !stop.load(SeqCst) && std::time::Instant::now() < give_up {
                            spins.fetch_add(1, SeqCst);
                            heddle::task::yield_now().await;
                        }
                    })
                })
                .collect();
            let start = Instant::now();
            // Spawned, so that the sleep runs on a worker too.
            let sleeper = heddle::spawn(sleep(Duration::from_millis(5)));
            timeout(Duration::from_secs(5), sleeper).await.expect("timer starved").unwrap();
            let took = start.elapsed();
            assert!(took < Duration::from_millis(500), "timer took {took:?}");
            assert!(spins.load(SeqCst) > 0, "the spinners ran too");
            stop.store(true, SeqCst);
            for spinner in spinners {
                spinner.await.unwrap();
            }
        });
    }
}
