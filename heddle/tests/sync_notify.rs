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

#[test]
fn notify_last_wakes_the_newest_waiter_or_stores_a_permit() {
    let notify = Notify::new();
    let mut waiters: Vec<_> = (0..3).map(|_| Box::pin(notify.notified())).collect();
    for w in &mut waiters {
        assert!(poll_once(w).is_pending());
    }
    notify.notify_last();
    assert!(poll_once(&mut waiters[0]).is_pending());
    assert!(poll_once(&mut waiters[1]).is_pending());
    assert!(poll_once(&mut waiters[2]).is_ready());
    notify.notify_one();
    assert!(poll_once(&mut waiters[0]).is_ready());
    assert!(poll_once(&mut waiters[1]).is_pending());
    notify.notify_last();
    assert!(poll_once(&mut waiters[1]).is_ready());

    // Nobody waiting: one permit, as notify_one leaves.
    notify.notify_last();
    let mut next = Box::pin(notify.notified());
    assert!(poll_once(&mut next).is_ready());
}

/// As tokio: the notification keeps `notify_last`'s order when passed on,
/// going to the newest waiter left.
#[test]
fn dropped_waiter_chosen_by_notify_last_passes_it_to_the_newest() {
    let notify = Notify::new();
    let mut first = Box::pin(notify.notified());
    let mut second = Box::pin(notify.notified());
    let mut third = Box::pin(notify.notified());
    for w in [&mut first, &mut second, &mut third] {
        assert!(poll_once(w).is_pending());
    }
    notify.notify_last(); // chooses `third`
    drop(third);
    assert!(poll_once(&mut second).is_ready());
    assert!(poll_once(&mut first).is_pending());
}

/// `notify_one`'s notification, passed on by a dropped waiter, still goes
/// to the oldest one left.
#[test]
fn dropped_waiter_chosen_by_notify_one_passes_it_to_the_oldest() {
    let notify = Notify::new();
    let mut first = Box::pin(notify.notified());
    let mut second = Box::pin(notify.notified());
    let mut third = Box::pin(notify.notified());
    for w in [&mut first, &mut second, &mut third] {
        assert!(poll_once(w).is_pending());
    }
    notify.notify_one(); // chooses `first`
    drop(first);
    assert!(poll_once(&mut second).is_ready());
    assert!(poll_once(&mut third).is_pending());
}

#[test]
fn waiters_dropped_in_any_order_leave_the_queue_consistent() {
    let notify = Notify::new();
    let mut waiters: Vec<_> = (0..40).map(|_| Some(Box::pin(notify.notified()))).collect();
    for w in waiters.iter_mut().flatten() {
        assert!(poll_once(w).is_pending());
    }
    // Unlink from the middle, the front and the back.
    for i in [20, 0, 39, 21, 1, 38] {
        waiters[i] = None;
    }
    notify.notify_one();
    assert!(poll_once(waiters[2].as_mut().unwrap()).is_ready());
    notify.notify_last();
    assert!(poll_once(waiters[37].as_mut().unwrap()).is_ready());
    // notify_waiters releases all the rest (more than one wake batch).
    notify.notify_waiters();
    for (i, w) in waiters.iter_mut().enumerate() {
        if let Some(w) = w {
            assert!(poll_once(w).is_ready(), "waiter {i}");
        }
    }
    let mut later = Box::pin(notify.notified());
    assert!(poll_once(&mut later).is_pending(), "no permit may be left behind");
}

#[test]
fn notify_one_storm_from_threads_loses_no_wakeup() {
    for rt in runtimes() {
        run(&rt, async {
            const ROUNDS: usize = 2_000;
            let notify = Arc::new(Notify::new());
            let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let waiter = {
                let (n, d) = (notify.clone(), done.clone());
                heddle::spawn(async move {
                    for _ in 0..ROUNDS {
                        n.notified().await;
                        d.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                })
            };
            let notifier = {
                let (n, d) = (notify.clone(), done.clone());
                std::thread::spawn(move || {
                    // One notification per observed wake-up: a lost one hangs.
                    for i in 0..ROUNDS {
                        n.notify_one();
                        while d.load(std::sync::atomic::Ordering::SeqCst) <= i {
                            std::thread::yield_now();
                        }
                    }
                })
            };
            heddle::time::timeout(std::time::Duration::from_secs(30), waiter).await.expect("lost wake-up").unwrap();
            notifier.join().unwrap();
        });
    }
}
