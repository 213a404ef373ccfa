//! mpsc: closing in both directions, back-pressure, FIFO fairness of
//! waiting senders, cancellation safety, and many producers across threads.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use heddle::runtime::Builder;
use heddle::sync::mpsc::{self, error::TryRecvError, error::TrySendError};

mod support;
use heddle::time::timeout;
use support::{poll_once, run, runtimes};

#[test]
fn all_senders_dropped_ends_stream() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, mut rx) = mpsc::channel::<u32>(4);
            let tx2 = tx.clone();
            heddle::spawn(async move {
                tx.send(1).await.unwrap();
            });
            heddle::spawn(async move {
                tx2.send(2).await.unwrap();
            });
            let mut got = vec![rx.recv().await.unwrap(), rx.recv().await.unwrap()];
            got.sort();
            assert_eq!(got, [1, 2]);
            assert_eq!(rx.recv().await, None);
            assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        });
    }
}

#[test]
fn receiver_dropped_returns_value() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, rx) = mpsc::channel::<String>(1);
            let (utx, urx) = mpsc::unbounded_channel::<String>();
            drop(rx);
            drop(urx);
            assert!(tx.is_closed());
            assert_eq!(tx.send("a".into()).await.unwrap_err().0, "a");
            assert!(matches!(tx.try_send("b".into()), Err(TrySendError::Closed(s)) if s == "b"));
            assert_eq!(utx.send("c".into()).unwrap_err().0, "c");
            tx.closed().await;
            utx.closed().await;
        });
    }
}

#[test]
fn receiver_close_drains_then_ends() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, mut rx) = mpsc::channel::<u32>(4);
            tx.send(1).await.unwrap();
            tx.send(2).await.unwrap();
            rx.close();
            assert!(tx.send(3).await.is_err());
            assert_eq!(rx.recv().await, Some(1));
            assert_eq!(rx.recv().await, Some(2));
            assert_eq!(rx.recv().await, None);
        });
    }
}

#[test]
fn capacity_back_pressure() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, mut rx) = mpsc::channel::<u32>(2);
            assert_eq!(tx.max_capacity(), 2);
            tx.send(1).await.unwrap();
            tx.try_send(2).unwrap();
            assert_eq!(tx.capacity(), 0);
            assert!(matches!(tx.try_send(3), Err(TrySendError::Full(3))));
            // A blocked send completes once the receiver makes room.
            let tx2 = tx.clone();
            let blocked = heddle::spawn(async move { tx2.send(3).await });
            heddle::time::sleep(Duration::from_millis(20)).await;
            assert!(!blocked.is_finished());
            assert_eq!(rx.recv().await, Some(1));
            blocked.await.unwrap().unwrap();
            assert_eq!(rx.recv().await, Some(2));
            assert_eq!(rx.recv().await, Some(3));
            assert_eq!(tx.capacity(), 2);
        });
    }
}

#[test]
fn permits_reserve_capacity() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, mut rx) = mpsc::channel::<u32>(1);
            let permit = tx.reserve().await.unwrap();
            assert!(tx.try_reserve().is_err());
            drop(permit);
            let permit = tx.reserve().await.unwrap();
            permit.send(10);
            assert_eq!(rx.recv().await, Some(10));
            let owned = tx.clone().reserve_owned().await.unwrap();
            let tx3 = owned.send(11);
            assert_eq!(rx.recv().await, Some(11));
            let owned = tx3.reserve_owned().await.unwrap();
            let _tx4 = owned.release();
            assert_eq!(tx.capacity(), 1);
        });
    }
}

#[test]
fn waiting_senders_are_served_fifo() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, mut rx) = mpsc::channel::<u32>(1);
            tx.send(0).await.unwrap();
            // Queue senders 1..=5 one at a time so their arrival order is known.
            for i in 1..=5u32 {
                let tx = tx.clone();
                let (started_tx, started_rx) = heddle::sync::oneshot::channel();
                heddle::spawn(async move {
                    let mut fut = Box::pin(tx.send(i));
                    assert!(poll_once(&mut fut).is_pending());
                    started_tx.send(()).unwrap();
                    fut.await.unwrap();
                });
                started_rx.await.unwrap();
            }
            drop(tx);
            let mut got = Vec::new();
            while let Some(v) = rx.recv().await {
                got.push(v);
            }
            assert_eq!(got, [0, 1, 2, 3, 4, 5]);
        });
    }
}

#[test]
fn cancelled_recv_loses_nothing() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
            {
                // Poll a recv (registers the waker), then make a message
                // available to it, then drop it before it is polled again.
                let mut fut = Box::pin(rx.recv());
                assert!(poll_once(&mut fut).is_pending());
                tx.send(1).unwrap();
            }
            assert_eq!(rx.recv().await, Some(1));
            // Same through a timeout racing the sender across tasks.
            let (btx, mut brx) = mpsc::channel::<u32>(8);
            let producer = heddle::spawn(async move {
                for i in 0..200u32 {
                    btx.send(i).await.unwrap();
                    if i % 7 == 0 {
                        heddle::time::sleep(Duration::from_micros(50)).await;
                    }
                }
            });
            let mut got = Vec::new();
            while got.len() < 200 {
                if let Ok(Some(v)) = timeout(Duration::from_micros(20), brx.recv()).await {
                    got.push(v);
                }
            }
            producer.await.unwrap();
            assert_eq!(got, (0..200).collect::<Vec<_>>());
        });
    }
}

#[test]
fn recv_many_batches() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, mut rx) = mpsc::channel::<u32>(10);
            for i in 0..5 {
                tx.send(i).await.unwrap();
            }
            let mut buf = Vec::new();
            assert_eq!(rx.recv_many(&mut buf, 3).await, 3);
            assert_eq!(rx.recv_many(&mut buf, 10).await, 2);
            assert_eq!(buf, [0, 1, 2, 3, 4]);
            assert_eq!(tx.capacity(), 10);
            drop(tx);
            assert_eq!(rx.recv_many(&mut buf, 10).await, 0);
        });
    }
}

#[test]
fn weak_sender_does_not_keep_channel_open() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, mut rx) = mpsc::channel::<u32>(1);
            let weak = tx.downgrade();
            weak.upgrade().unwrap().send(1).await.unwrap();
            drop(tx);
            assert!(weak.upgrade().is_none());
            assert_eq!(rx.recv().await, Some(1));
            assert_eq!(rx.recv().await, None);
        });
    }
}

#[test]
fn many_producers_every_message_once() {
    const PRODUCERS: u64 = 8;
    const PER: u64 = 5_000;
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for bounded in [true, false] {
        run(&rt, async {
            let seen = Arc::new(Mutex::new(vec![0u8; (PRODUCERS * PER) as usize]));
            let (btx, mut brx) = mpsc::channel::<u64>(16);
            let (utx, mut urx) = mpsc::unbounded_channel::<u64>();
            for p in 0..PRODUCERS {
                let (btx, utx) = (btx.clone(), utx.clone());
                heddle::spawn(async move {
                    for i in 0..PER {
                        let v = p * PER + i;
                        if bounded {
                            btx.send(v).await.unwrap();
                        } else {
                            utx.send(v).unwrap();
                        }
                    }
                });
            }
            drop((btx, utx));
            let mut count = 0u64;
            let mut last = vec![None::<u64>; PRODUCERS as usize];
            loop {
                let v = if bounded { brx.recv().await } else { urx.recv().await };
                let Some(v) = v else { break };
                // Per-producer order is preserved.
                let p = (v / PER) as usize;
                assert!(last[p].map_or(true, |l| l < v));
                last[p] = Some(v);
                seen.lock().unwrap()[v as usize] += 1;
                count += 1;
            }
            assert_eq!(count, PRODUCERS * PER);
            assert!(seen.lock().unwrap().iter().all(|&n| n == 1));
        });
    }
}

#[test]
fn always_ready_receiver_yields() {
    // A task draining a channel that never runs dry must still let other
    // tasks on the same thread run (cooperative budget).
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    run(&rt, async {
        let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
        for i in 0..10_000 {
            tx.send(i).unwrap();
        }
        let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let f2 = flag.clone();
        heddle::spawn(async move { f2.store(true, std::sync::atomic::Ordering::SeqCst) });
        let mut n = 0;
        while !flag.load(std::sync::atomic::Ordering::SeqCst) {
            rx.recv().await.unwrap();
            n += 1;
        }
        assert!(n < 10_000, "the other task never ran");
    });
}

#[test]
fn blocking_send_and_recv_from_plain_threads() {
    // A bounded channel of 2 between two OS threads with no runtime: the
    // producer blocks when it is full, the consumer when it is empty.
    let (tx, mut rx) = heddle::sync::mpsc::channel::<u32>(2);
    let producer = std::thread::spawn(move || {
        for i in 0..1000 {
            tx.blocking_send(i).unwrap();
        }
    });
    let mut got = Vec::new();
    while let Some(v) = rx.blocking_recv() {
        got.push(v);
    }
    producer.join().unwrap();
    assert_eq!(got, (0..1000).collect::<Vec<_>>());

    let (utx, mut urx) = heddle::sync::mpsc::unbounded_channel::<u32>();
    for i in 0..10 {
        utx.send(i).unwrap();
    }
    drop(utx);
    let mut batch = Vec::new();
    assert_eq!(urx.blocking_recv_many(&mut batch, 4), 4);
    assert_eq!(batch, [0, 1, 2, 3]);
    assert_eq!(urx.blocking_recv(), Some(4));
    let mut rest = Vec::new();
    assert_eq!(urx.blocking_recv_many(&mut rest, 100), 5);
    assert_eq!(urx.blocking_recv(), None);
}

#[test]
fn blocking_send_to_a_dropped_receiver_returns_the_value() {
    let (tx, rx) = heddle::sync::mpsc::channel::<String>(1);
    drop(rx);
    assert_eq!(tx.blocking_send("lost".into()).unwrap_err().0, "lost");
}

#[test]
#[should_panic(expected = "Cannot block the current thread from within a runtime")]
fn blocking_recv_inside_a_runtime_panics() {
    let rt = heddle::runtime::Builder::new_current_thread().build().unwrap();
    let (_tx, mut rx) = heddle::sync::mpsc::channel::<u8>(1);
    rt.block_on(async move {
        rx.blocking_recv();
    });
}

#[test]
fn send_timeout_times_out_when_full_and_sends_when_room_appears() {
    use heddle::sync::mpsc::error::SendTimeoutError;
    use std::time::Duration;
    let rt = heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (tx, mut rx) = heddle::sync::mpsc::channel::<u32>(1);
        tx.send(1).await.unwrap();
        let start = std::time::Instant::now();
        match tx.send_timeout(2, Duration::from_millis(30)).await {
            Err(SendTimeoutError::Timeout(2)) => {}
            other => panic!("expected a timeout with the value back, got {other:?}"),
        }
        assert!(start.elapsed() >= Duration::from_millis(30));
        // Room appears while a send waits: it goes through.
        let waiter = heddle::spawn({
            let tx = tx.clone();
            async move { tx.send_timeout(3, Duration::from_secs(10)).await }
        });
        heddle::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(rx.recv().await, Some(1));
        waiter.await.unwrap().unwrap();
        assert_eq!(rx.recv().await, Some(3));
        // Receiver gone: Closed, with the value.
        drop(rx);
        match tx.send_timeout(4, Duration::from_secs(10)).await {
            Err(SendTimeoutError::Closed(4)) => {}
            other => panic!("expected Closed(4), got {other:?}"),
        }
    });
}

/// A 32 KiB message: big enough that every move is a `memcpy` (the receive
/// path and its blocks are built so that it is copied few times).
#[derive(Clone, PartialEq, Debug)]
struct Big(Box<[u64; 4]>, [u64; 4096]);

impl Big {
    fn new(n: u64) -> Big {
        let mut words = [0u64; 4096];
        for (i, w) in words.iter_mut().enumerate() {
            *w = n.wrapping_mul(31).wrapping_add(i as u64);
        }
        Big(Box::new([n; 4]), words)
    }
}

#[test]
fn large_messages_arrive_whole_in_order_and_drop_once() {
    for rt in runtimes() {
        run(&rt, async {
            // More than a block's worth (32 slots), so blocks are appended
            // and reclaimed while the values are in them.
            let (tx, mut rx) = mpsc::channel::<Big>(100);
            let sender = heddle::spawn(async move {
                for n in 0..100 {
                    tx.send(Big::new(n)).await.unwrap();
                }
            });
            for n in 0..100 {
                assert_eq!(rx.recv().await.unwrap(), Big::new(n), "message {n}");
            }
            sender.await.unwrap();
            assert_eq!(rx.recv().await, None, "all senders are gone");

            // Values left in the channel are dropped with it (the `Box` in
            // each would leak or double-free otherwise; Miri/ASan catch the
            // latter, the count below the former).
            let (tx, rx) = mpsc::unbounded_channel::<(Big, Arc<()>)>();
            let alive = Arc::new(());
            for n in 0..40 {
                tx.send((Big::new(n), alive.clone())).unwrap();
            }
            assert_eq!(Arc::strong_count(&alive), 41);
            drop((tx, rx));
            assert_eq!(Arc::strong_count(&alive), 1, "every queued message dropped once");
        });
    }
}
