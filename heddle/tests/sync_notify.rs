//! Notify: stored permit, notify_waiters, FIFO order, cancellation.

use std::sync::Arc;

use heddle::sync::Notify;

mod support;
use support::{poll_once, run, runtimes};

#[test]
fn notify_one_stores_a_single_permit() {
    let notify = Notify::new();
    notify.notify_one();
    notify.notify_one();
    let mut a = Box::pin(notify.notified());
    assert!(poll_once(&mut a).is_ready());
    let mut b = Box::pin(notify.notified());
    assert!(poll_once(&mut b).is_pending(), "permits must not accumulate");
    notify.notify_one();
    assert!(poll_once(&mut b).is_ready());
}

#[test]
fn notify_one_wakes_waiters_in_fifo_order() {
    let notify = Notify::new();
    let mut waiters: Vec<_> = (0..3).map(|_| Box::pin(notify.notified())).collect();
    for w in &mut waiters {
        assert!(poll_once(w).is_pending());
    }
    for i in 0..3 {
        notify.notify_one();
        for (j, w) in waiters.iter_mut().enumerate() {
            if j > i {
                assert!(poll_once(w).is_pending());
            }
        }
        assert!(poll_once(&mut waiters[i]).is_ready());
    }
}

#[test]
fn notify_waiters_wakes_existing_futures_only() {
    let notify = Notify::new();
    let mut polled = Box::pin(notify.notified());
    assert!(poll_once(&mut polled).is_pending());
    let mut unpolled = Box::pin(notify.notified());
    notify.notify_waiters();
    let mut later = Box::pin(notify.notified());
    assert!(poll_once(&mut polled).is_ready());
    assert!(poll_once(&mut unpolled).is_ready());
    assert!(poll_once(&mut later).is_pending(), "notify_waiters stores no permit");
}

#[test]
fn dropped_chosen_waiter_passes_notification_on() {
    let notify = Notify::new();
    let mut first = Box::pin(notify.notified());
    let mut second = Box::pin(notify.notified());
    assert!(poll_once(&mut first).is_pending());
    assert!(poll_once(&mut second).is_pending());
    notify.notify_one(); // chooses `first`
    drop(first);
    assert!(poll_once(&mut second).is_ready());

    // With no one left to pass it to, it becomes the stored permit.
    let mut only = Box::pin(notify.notified());
    assert!(poll_once(&mut only).is_pending());
    notify.notify_one();
    drop(only);
    let mut next = Box::pin(notify.notified());
    assert!(poll_once(&mut next).is_ready());
}

#[test]
fn cross_task_ping_pong() {
    for rt in runtimes() {
        run(&rt, async {
            let ping = Arc::new(Notify::new());
            let pong = Arc::new(Notify::new());
            let (p2, q2) = (ping.clone(), pong.clone());
            let h = heddle::spawn(async move {
                for _ in 0..1000 {
                    p2.notified().await;
                    q2.notify_one();
                }
            });
            for _ in 0..1000 {
                ping.notify_one();
                pong.notified().await;
            }
            h.await.unwrap();
        });
    }
}

#[test]
fn notify_waiters_across_threads() {
    for rt in runtimes() {
        run(&rt, async {
            let notify = Arc::new(Notify::new());
            let ready = Arc::new(heddle::sync::Barrier::new(9));
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let (n, r) = (notify.clone(), ready.clone());
                    heddle::spawn(async move {
                        let notified = n.notified();
                        r.wait().await;
                        notified.await;
                    })
                })
                .collect();
            ready.wait().await;
            notify.notify_waiters();
            for h in handles {
                h.await.unwrap();
            }
        });
    }
}
