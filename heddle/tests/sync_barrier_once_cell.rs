//! Barrier (rounds, a single leader) and OnceCell (one initialiser,
//! failure and cancellation hand over to the next).

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use heddle::sync::{Barrier, OnceCell};
use heddle::time::timeout;

mod support;
use support::{run, runtimes};

#[test]
fn barrier_rounds_have_one_leader_each() {
    for rt in runtimes() {
        run(&rt, async {
            let barrier = Arc::new(Barrier::new(4));
            let leaders = Arc::new(AtomicUsize::new(0));
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    let (b, l) = (barrier.clone(), leaders.clone());
                    heddle::spawn(async move {
                        for _ in 0..10 {
                            if b.wait().await.is_leader() {
                                l.fetch_add(1, SeqCst);
                            }
                        }
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
            assert_eq!(leaders.load(SeqCst), 10);
        });
    }
}

#[test]
fn once_cell_initialises_once() {
    for rt in runtimes() {
        run(&rt, async {
            let cell = Arc::new(OnceCell::new());
            let calls = Arc::new(AtomicUsize::new(0));
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let (cell, calls) = (cell.clone(), calls.clone());
                    heddle::spawn(async move {
                        *cell
                            .get_or_init(|| async move {
                                calls.fetch_add(1, SeqCst);
                                heddle::time::sleep(Duration::from_millis(5)).await;
                                i
                            })
                            .await
                    })
                })
                .collect();
            let mut values = Vec::new();
            for h in handles {
                values.push(h.await.unwrap());
            }
            assert_eq!(calls.load(SeqCst), 1);
            assert!(values.iter().all(|v| *v == values[0]));
            assert!(cell.initialized());
            assert!(cell.set(99).unwrap_err().is_already_init_err());
        });
    }
}

#[test]
fn once_cell_failed_or_cancelled_init_hands_over() {
    for rt in runtimes() {
        run(&rt, async {
            let cell = OnceCell::<u32>::new();
            let r: Result<&u32, &str> = cell.get_or_try_init(|| async { Err("no") }).await;
            assert_eq!(r, Err("no"));
            assert!(cell.get().is_none());
            // A cancelled initialiser releases its claim.
            let slow_init = cell.get_or_init(|| async {
                heddle::time::sleep(Duration::from_secs(60)).await;
                1
            });
            let cancelled = timeout(Duration::from_millis(5), slow_init).await;
            assert!(cancelled.is_err());
            assert_eq!(*cell.get_or_init(|| async { 2 }).await, 2);
            let mut cell = cell;
            assert_eq!(cell.take(), Some(2));
            cell.set(3).unwrap();
            assert_eq!(cell.into_inner(), Some(3));
        });
    }
}
