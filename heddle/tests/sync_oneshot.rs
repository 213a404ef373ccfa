//! oneshot: delivery, closed channels in both directions, close semantics.

use heddle::sync::oneshot::{self, error::TryRecvError};

mod support;
use support::{run, runtimes};

#[test]
fn value_crosses_tasks() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, rx) = oneshot::channel();
            heddle::spawn(async move {
                heddle::task::yield_now().await;
                tx.send(String::from("hi")).unwrap();
            });
            assert_eq!(rx.await.unwrap(), "hi");
        });
    }
}

#[test]
fn sender_dropped_gives_error() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, rx) = oneshot::channel::<u8>();
            heddle::spawn(async move { drop(tx) });
            assert!(rx.await.is_err());
        });
    }
}

#[test]
fn receiver_dropped_returns_value() {
    let (tx, rx) = oneshot::channel::<Vec<u8>>();
    assert!(!tx.is_closed());
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send(vec![1, 2]), Err(vec![1, 2]));
}

#[test]
fn try_recv_states() {
    let (tx, mut rx) = oneshot::channel::<u8>();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(3).unwrap();
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn close_keeps_an_already_sent_value() {
    let (tx, mut rx) = oneshot::channel::<u8>();
    tx.send(1).unwrap();
    rx.close();
    assert_eq!(rx.try_recv(), Ok(1));

    let (tx, mut rx) = oneshot::channel::<u8>();
    rx.close();
    assert_eq!(tx.send(2), Err(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn closed_future_wakes_on_receiver_drop() {
    for rt in runtimes() {
        run(&rt, async {
            let (mut tx, rx) = oneshot::channel::<u8>();
            let waiter = heddle::spawn(async move {
                tx.closed().await;
                tx.is_closed()
            });
            heddle::task::yield_now().await;
            drop(rx);
            assert!(waiter.await.unwrap());
        });
    }
}

#[test]
fn many_channels_across_threads() {
    let rt = &runtimes()[1];
    run(rt, async {
        let mut rxs = Vec::new();
        for i in 0..1000u32 {
            let (tx, rx) = oneshot::channel();
            heddle::spawn(async move { tx.send(i).unwrap() });
            rxs.push(rx);
        }
        let mut sum = 0u64;
        for rx in rxs {
            sum += u64::from(rx.await.unwrap());
        }
        assert_eq!(sum, 999 * 1000 / 2);
    });
}
