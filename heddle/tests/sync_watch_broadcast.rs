//! watch (change detection, closing) and broadcast (fan-out, lagging
//! receivers, closing).

use std::time::Duration;

use heddle::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use heddle::sync::watch;

mod support;
use support::{run, runtimes};

#[test]
fn watch_detects_changes() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, mut rx) = watch::channel(0u32);
            assert!(!rx.has_changed().unwrap());
            assert!(!rx.borrow().has_changed());
            tx.send(1).unwrap();
            assert!(rx.has_changed().unwrap());
            assert!(rx.borrow().has_changed());
            assert_eq!(*rx.borrow_and_update(), 1);
            assert!(!rx.has_changed().unwrap());
            // Intermediate values may be skipped; the latest is seen.
            tx.send(2).unwrap();
            tx.send(3).unwrap();
            rx.changed().await.unwrap();
            assert_eq!(*rx.borrow(), 3);
            // send_if_modified without a change notifies nobody.
            assert!(!tx.send_if_modified(|_| false));
            assert!(!rx.has_changed().unwrap());
            tx.send_modify(|v| *v += 10);
            assert!(rx.has_changed().unwrap());
            rx.mark_unchanged();
            assert!(!rx.has_changed().unwrap());
        });
    }
}

#[test]
fn watch_changed_wakes_across_tasks_and_closes() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, mut rx) = watch::channel(0u32);
            let watcher = heddle::spawn(async move {
                let mut seen = Vec::new();
                while rx.changed().await.is_ok() {
                    seen.push(*rx.borrow_and_update());
                }
                seen
            });
            for i in 1..=50 {
                tx.send(i).unwrap();
                heddle::time::sleep(Duration::from_micros(100)).await;
            }
            drop(tx);
            let seen = watcher.await.unwrap();
            assert_eq!(seen.last(), Some(&50));
            assert!(seen.windows(2).all(|w| w[0] < w[1]));
        });
    }
}

#[test]
fn watch_sender_side() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, rx) = watch::channel("a");
            assert_eq!(tx.receiver_count(), 1);
            let mut rx2 = tx.subscribe();
            assert_eq!(tx.receiver_count(), 2);
            assert!(!rx2.has_changed().unwrap());
            let mut wait = heddle::spawn(async move { rx2.wait_for(|v| *v == "c").await.map(|r| *r).unwrap() });
            tx.send("b").unwrap();
            tx.send("c").unwrap();
            assert_eq!((&mut wait).await.unwrap(), "c");
            drop(rx);
            tx.closed().await;
            assert!(tx.is_closed());
            assert_eq!(tx.send("d").unwrap_err().0, "d");
            assert_eq!(tx.send_replace("e"), "c");
            assert_eq!(*tx.borrow(), "e");
        });
    }
}

#[test]
fn broadcast_every_receiver_sees_every_value() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, rx) = broadcast::channel::<u32>(64);
            let mut handles = Vec::new();
            for _ in 0..4 {
                let mut rx = tx.subscribe();
                handles.push(heddle::spawn(async move {
                    let mut sum = 0;
                    loop {
                        match rx.recv().await {
                            Ok(v) => sum += v,
                            Err(RecvError::Closed) => return sum,
                            Err(RecvError::Lagged(n)) => panic!("lagged by {n}"),
                        }
                    }
                }));
            }
            drop(rx);
            for i in 0..32 {
                assert_eq!(tx.send(i).unwrap(), 4);
            }
            drop(tx);
            for h in handles {
                assert_eq!(h.await.unwrap(), (0..32).sum::<u32>());
            }
        });
    }
}

#[test]
fn broadcast_slow_receiver_lags() {
    let (tx, mut rx) = broadcast::channel::<u32>(4);
    let mut fast = tx.subscribe();
    for i in 0..10 {
        tx.send(i).unwrap();
        assert_eq!(fast.try_recv(), Ok(i));
    }
    // As tokio's: counts the six overwritten values too.
    assert_eq!(rx.len(), 10);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(6)));
    assert_eq!(rx.len(), 4);
    for i in 6..10 {
        assert_eq!(rx.try_recv(), Ok(i));
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert!(tx.is_empty(), "values read by everyone are released");
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn broadcast_lag_through_recv_and_resubscribe() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, mut rx) = broadcast::channel::<u32>(2);
            for i in 0..5 {
                tx.send(i).unwrap();
            }
            let mut late = rx.resubscribe();
            assert_eq!(rx.recv().await, Err(RecvError::Lagged(3)));
            assert_eq!(rx.recv().await, Ok(3));
            assert_eq!(rx.recv().await, Ok(4));
            tx.send(5).unwrap();
            assert_eq!(late.recv().await, Ok(5));
            assert_eq!(tx.receiver_count(), 2);
            drop(rx);
            drop(late);
            assert_eq!(tx.send(6).unwrap_err().0, 6);
        });
    }
}
