//! Each worker of the multi-threaded runtime has its own reactor. These
//! tests check what that must not break: a socket whose reactor belongs to
//! a worker stuck in a long poll is still served by the other workers.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use heddle::io::{AsyncReadExt, AsyncWriteExt};
use heddle::net::TcpListener;
use heddle::runtime::Builder;

/// How long the hog blocks its worker.
const HOG: Duration = Duration::from_secs(3);

#[test]
fn sockets_on_a_blocked_workers_reactor_are_still_served() {
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        heddle::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                heddle::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    loop {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => socket.write_all(&buf[..n]).await.unwrap(),
                        }
                    }
                });
            }
        });

        // One worker blocks its thread (what a task must not do, but what
        // a runtime must survive).
        let started = Arc::new(AtomicBool::new(false));
        let hog_started = started.clone();
        let hog = heddle::spawn(async move {
            hog_started.store(true, SeqCst);
            std::thread::sleep(HOG);
        });
        while !started.load(SeqCst) {
            heddle::time::sleep(Duration::from_millis(1)).await;
        }

        // The clients are plain threads, so their bytes arrive while the
        // free worker sleeps (a heddle client on loopback would deliver
        // them before that worker got to sleep). New sockets spread over
        // both reactors, so some server sides land on the blocked worker's.
        let begun = Instant::now();
        let clients: Vec<_> = (0..8u8)
            .map(|i| {
                std::thread::spawn(move || {
                    use std::io::{Read, Write};
                    let mut stream = std::net::TcpStream::connect(addr).unwrap();
                    stream.set_read_timeout(Some(HOG * 2)).unwrap();
                    let message = vec![i; 1000];
                    for _ in 0..5 {
                        std::thread::sleep(Duration::from_millis(20));
                        stream.write_all(&message).unwrap();
                        let mut echo = vec![0u8; message.len()];
                        stream.read_exact(&mut echo).unwrap();
                        assert_eq!(echo, message);
                    }
                })
            })
            .collect();
        heddle::task::spawn_blocking(move || {
            for client in clients {
                client.join().unwrap();
            }
        })
        .await
        .unwrap();
        let took = begun.elapsed();
        assert!(
            took < HOG / 2,
            "8 echo clients took {took:?} while one worker was blocked for {HOG:?}: \
             events on its reactor waited for it"
        );
        hog.await.unwrap();
    });
}
