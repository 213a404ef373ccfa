//! Semaphore, Mutex and RwLock: permits, FIFO fairness, closing,
//! cancellation and exclusion under contention.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::Poll;

use heddle::runtime::Builder;
use heddle::sync::{Mutex, RwLock, Semaphore, TryAcquireError};

mod support;
use support::{poll_once, run, runtimes};

#[test]
fn permits_count_and_release() {
    let sem = Semaphore::new(3);
    let a = sem.try_acquire_many(2).unwrap();
    assert_eq!(sem.available_permits(), 1);
    assert_eq!(sem.try_acquire_many(2).unwrap_err(), TryAcquireError::NoPermits);
    let b = sem.try_acquire().unwrap();
    drop(a);
    assert_eq!(sem.available_permits(), 2);
    b.forget();
    assert_eq!(sem.available_permits(), 2);
    sem.add_permits(5);
    assert_eq!(sem.available_permits(), 7);
    assert_eq!(sem.forget_permits(3), 3);
    assert_eq!(sem.available_permits(), 4);
}

#[test]
fn acquirers_are_served_fifo() {
    let sem = Semaphore::new(0);
    // A large request first: smaller ones behind it must not overtake it.
    let mut big = Box::pin(sem.acquire_many(3));
    let mut small = Box::pin(sem.acquire());
    assert!(poll_once(&mut big).is_pending());
    assert!(poll_once(&mut small).is_pending());
    sem.add_permits(1);
    assert!(poll_once(&mut small).is_pending(), "a later waiter overtook the queue");
    assert!(sem.try_acquire().is_err(), "try_acquire barged past waiters");
    sem.add_permits(2);
    let big_permit = match poll_once(&mut big) {
        Poll::Ready(p) => p.unwrap(),
        Poll::Pending => panic!("big request not served"),
    };
    assert!(poll_once(&mut small).is_pending());
    drop(big_permit);
    assert!(poll_once(&mut small).is_ready());
}

#[test]
fn fifo_across_tasks() {
    for rt in runtimes() {
        run(&rt, async {
            let sem = Arc::new(Semaphore::new(0));
            let order = Arc::new(std::sync::Mutex::new(Vec::new()));
            let mut handles = Vec::new();
            for i in 0..6 {
                let (sem, order) = (sem.clone(), order.clone());
                let (queued_tx, queued_rx) = heddle::sync::oneshot::channel();
                handles.push(heddle::spawn(async move {
                    let mut acq = Box::pin(sem.acquire());
                    assert!(poll_once(&mut acq).is_pending());
                    queued_tx.send(()).unwrap();
                    let _permit = acq.await.unwrap();
                    order.lock().unwrap().push(i);
                }));
                queued_rx.await.unwrap();
            }
            sem.add_permits(1);
            for h in handles {
                h.await.unwrap();
            }
            assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4, 5]);
        });
    }
}

#[test]
fn cancelled_waiter_returns_partial_grant() {
    let sem = Semaphore::new(1);
    let mut big = Box::pin(sem.acquire_many(3));
    assert!(poll_once(&mut big).is_pending());
    assert_eq!(sem.available_permits(), 0);
    sem.add_permits(1); // big now holds 2 of 3
    drop(big);
    assert_eq!(sem.available_permits(), 2);
    assert!(sem.try_acquire_many(2).is_ok());
}

#[test]
fn close_fails_waiters() {
    for rt in runtimes() {
        run(&rt, async {
            let sem = Arc::new(Semaphore::new(0));
            let s2 = sem.clone();
            let waiter = heddle::spawn(async move { s2.acquire_owned().await.is_err() });
            heddle::task::yield_now().await;
            sem.close();
            assert!(waiter.await.unwrap());
            assert!(sem.is_closed());
            assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
        });
    }
}

#[test]
fn owned_permits_move_into_tasks() {
    for rt in runtimes() {
        run(&rt, async {
            let sem = Arc::new(Semaphore::new(2));
            let running = Arc::new(AtomicUsize::new(0));
            let max = Arc::new(AtomicUsize::new(0));
            let mut handles = Vec::new();
            for _ in 0..20 {
                let permit = sem.clone().acquire_owned().await.unwrap();
                let (running, max) = (running.clone(), max.clone());
                handles.push(heddle::spawn(async move {
                    let now = running.fetch_add(1, SeqCst) + 1;
                    max.fetch_max(now, SeqCst);
                    heddle::task::yield_now().await;
                    running.fetch_sub(1, SeqCst);
                    drop(permit);
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
            assert!(max.load(SeqCst) <= 2);
            assert_eq!(sem.available_permits(), 2);
        });
    }
}

#[test]
fn mutex_exclusion_under_contention() {
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    run(&rt, async {
        let lock = Arc::new(Mutex::new((0u64, false)));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let lock = lock.clone();
                heddle::spawn(async move {
                    for i in 0..2_000 {
                        let mut g = lock.lock().await;
                        assert!(!g.1, "two holders at once");
                        g.1 = true;
                        if i % 64 == 0 {
                            heddle::task::yield_now().await;
                        }
                        g.0 += 1;
                        g.1 = false;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(lock.lock().await.0, 16_000);
    });
}

#[test]
fn mutex_api() {
    for rt in runtimes() {
        run(&rt, async {
            let m = Arc::new(Mutex::new(vec![1]));
            {
                let g = m.lock().await;
                assert!(m.try_lock().is_err());
                drop(g);
            }
            m.try_lock().unwrap().push(2);
            let mut owned = m.clone().lock_owned().await;
            owned.push(3);
            let m2 = m.clone();
            let waiter = heddle::spawn(async move { m2.lock().await.len() });
            heddle::task::yield_now().await;
            drop(owned);
            assert_eq!(waiter.await.unwrap(), 3);
            let mut m = Arc::try_unwrap(m).unwrap();
            m.get_mut().push(4);
            assert_eq!(m.into_inner(), [1, 2, 3, 4]);
        });
    }
}

#[test]
fn rwlock_readers_share_writers_exclude_and_are_preferred() {
    let lock = RwLock::new(0);
    let r1 = lock.try_read().unwrap();
    let r2 = lock.try_read().unwrap();
    assert!(lock.try_write().is_err());
    let mut writer = Box::pin(lock.write());
    assert!(poll_once(&mut writer).is_pending());
    // A queued writer blocks new readers.
    assert!(lock.try_read().is_err());
    let mut late_reader = Box::pin(lock.read());
    assert!(poll_once(&mut late_reader).is_pending());
    drop(r1);
    drop(r2);
    let mut w = match poll_once(&mut writer) {
        Poll::Ready(w) => w,
        Poll::Pending => panic!("writer not served"),
    };
    *w += 1;
    assert!(poll_once(&mut late_reader).is_pending());
    drop(w);
    match poll_once(&mut late_reader) {
        Poll::Ready(r) => assert_eq!(*r, 1),
        Poll::Pending => panic!("reader not served"),
    };
}

#[test]
fn rwlock_under_contention() {
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    run(&rt, async {
        let lock = Arc::new(RwLock::new((0u64, 0u64)));
        let mut handles = Vec::new();
        for t in 0..6 {
            let lock = lock.clone();
            handles.push(heddle::spawn(async move {
                for _ in 0..1_000 {
                    if t % 2 == 0 {
                        let mut w = lock.write().await;
                        w.0 += 1;
                        w.1 += 1;
                    } else {
                        let r = lock.read().await;
                        assert_eq!(r.0, r.1);
                    }
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(lock.read().await.0, 3_000);
    });
}
