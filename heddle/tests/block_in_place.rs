//! `task::block_in_place`: the worker's queued tasks keep running while a
//! task blocks its thread, panics unwind through it without harming the
//! runtime, and it behaves as tokio's outside a multi-thread worker.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use heddle::runtime::{Builder, Handle, Runtime};
use heddle::task::block_in_place;

const LIMIT: Duration = Duration::from_secs(10);

fn one_worker() -> Runtime {
    Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap()
}

fn panic_message(err: heddle::task::JoinError) -> String {
    let payload = err.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[test]
fn tasks_on_the_same_worker_run_while_one_blocks() {
    let rt = one_worker();
    rt.block_on(async {
        let ticks = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = heddle::spawn({
            let (ticks, stop) = (ticks.clone(), stop.clone());
            async move {
                while !stop.load(SeqCst) {
                    heddle::time::sleep(Duration::from_millis(5)).await;
                    ticks.fetch_add(1, SeqCst);
                }
            }
        });
        let blocker = heddle::spawn({
            let ticks = ticks.clone();
            async move {
                // Let the ticker get going on this (only) worker first.
                while ticks.load(SeqCst) < 2 {
                    heddle::task::yield_now().await;
                }
                let before = ticks.load(SeqCst);
                let started = Instant::now();
                block_in_place(|| std::thread::sleep(Duration::from_millis(200)));
                assert!(started.elapsed() >= Duration::from_millis(200));
                let during = ticks.load(SeqCst) - before;
                // The task goes on after the blocking section, on whatever
                // thread, and can still await runtime resources.
                heddle::time::sleep(Duration::from_millis(1)).await;
                during
            }
        });
        let during = heddle::time::timeout(LIMIT, blocker).await.unwrap().unwrap();
        // 200 ms at one tick per 5 ms: ~40 ticks; allow a slow machine.
        assert!(during >= 5, "only {during} ticks while the worker's thread was blocked");
        stop.store(true, SeqCst);
        heddle::time::timeout(LIMIT, ticker).await.unwrap().unwrap();
    });
}

#[test]
fn task_in_the_lifo_slot_runs_while_its_waker_blocks() {
    // The spawned task sits in the blocker's LIFO slot (not stealable); the
    // blocker waits, synchronously, for it to run: only a hand-off of the
    // core lets it.
    let rt = one_worker();
    rt.block_on(async {
        let join = heddle::spawn(async {
            let (tx, rx) = mpsc::channel();
            let child = heddle::spawn(async move { tx.send(std::thread::current().id()).unwrap() });
            let here = std::thread::current().id();
            let ran_on = block_in_place(|| rx.recv_timeout(LIMIT).expect("queued task never ran"));
            assert_ne!(ran_on, here, "the queued task ran on the replacement thread");
            child.await.unwrap();
        });
        heddle::time::timeout(LIMIT, join).await.unwrap().unwrap();
    });
}

#[test]
fn spawns_and_wakes_from_inside_the_closure_are_served() {
    let rt = one_worker();
    rt.block_on(async {
        let join = heddle::spawn(async {
            let (notify_tx, notify_rx) = heddle::sync::oneshot::channel::<u32>();
            block_in_place(|| {
                // Spawned from a thread that is no longer the worker.
                let (tx, rx) = mpsc::channel();
                heddle::spawn(async move {
                    tx.send(notify_rx.await.unwrap() + 1).unwrap();
                });
                notify_tx.send(41).unwrap();
                rx.recv_timeout(LIMIT).expect("task spawned inside block_in_place never ran")
            })
        });
        assert_eq!(heddle::time::timeout(LIMIT, join).await.unwrap().unwrap(), 42);
    });
}

#[test]
fn handle_block_on_inside_the_closure() {
    let rt = one_worker();
    rt.block_on(async {
        let out = heddle::spawn(async {
            block_in_place(|| {
                Handle::current().block_on(async {
                    heddle::time::sleep(Duration::from_millis(10)).await;
                    heddle::spawn(async { 5 }).await.unwrap()
                })
            })
        })
        .await
        .unwrap();
        assert_eq!(out, 5);
    });
}

#[test]
fn many_short_and_long_blocking_sections() {
    // Short sections usually end before the replacement thread takes the
    // core (the caller keeps it); long ones hand it off. Mix both, on two
    // workers, with nested calls, and check every task finishes and the
    // runtime shuts down cleanly afterwards.
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let mut joins = Vec::new();
        for i in 0..64u64 {
            let done = done.clone();
            joins.push(heddle::spawn(async move {
                for round in 0..3u64 {
                    let nap = if (i + round) % 4 == 0 { 3 } else { 0 };
                    let v = block_in_place(|| {
                        std::thread::sleep(Duration::from_millis(nap));
                        block_in_place(|| i * round)
                    });
                    assert_eq!(v, i * round);
                    heddle::task::yield_now().await;
                }
                done.fetch_add(1, SeqCst);
            }));
        }
        for join in joins {
            heddle::time::timeout(LIMIT, join).await.unwrap().unwrap();
        }
    });
    assert_eq!(done.load(SeqCst), 64);
    assert_eq!(rt.metrics().num_workers(), 2);
    // Still fully working after all the hand-offs.
    let sum: u64 = rt.block_on(async {
        let joins: Vec<_> = (0..100u64).map(|i| heddle::spawn(async move { i })).collect();
        let mut sum = 0;
        for j in joins {
            sum += j.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, 4950);
    let started = Instant::now();
    drop(rt);
    assert!(started.elapsed() < Duration::from_secs(5), "shutdown took {:?}", started.elapsed());
}

#[test]
fn panic_in_the_closure_fails_the_task_and_the_runtime_survives() {
    let rt = one_worker();
    rt.block_on(async {
        let err = heddle::spawn(async {
            block_in_place(|| {
                std::thread::sleep(Duration::from_millis(20));
                panic!("boom in block_in_place");
            })
        })
        .await
        .unwrap_err();
        assert!(err.is_panic());
        assert_eq!(panic_message(err), "boom in block_in_place");

        // Nested: the inner panic unwinds through both sections.
        let err = heddle::spawn(async {
            block_in_place(|| block_in_place(|| -> u32 { panic!("inner") }));
        })
        .await
        .unwrap_err();
        assert_eq!(panic_message(err), "inner");

        // Caught inside the task, which then goes on awaiting.
        let v = heddle::spawn(async {
            let caught = std::panic::catch_unwind(AssertUnwindSafe(|| {
                block_in_place(|| {
                    std::thread::sleep(Duration::from_millis(20));
                    panic!("caught");
                })
            }));
            assert!(caught.is_err());
            heddle::time::sleep(Duration::from_millis(5)).await;
            block_in_place(|| 3) + heddle::spawn(async { 4 }).await.unwrap()
        })
        .await
        .unwrap();
        assert_eq!(v, 7);

        // Still serving tasks and timers.
        let joins: Vec<_> = (0..20).map(|i| heddle::spawn(async move { i * 2 })).collect();
        let mut sum = 0;
        for j in joins {
            sum += j.await.unwrap();
        }
        assert_eq!(sum, 380);
        heddle::time::sleep(Duration::from_millis(5)).await;
    });
}

#[test]
fn outside_a_runtime_it_just_runs_the_closure() {
    let here = std::thread::current().id();
    assert_eq!(block_in_place(|| (std::thread::current().id(), 9)), (here, 9));
    // On a blocking-pool thread it is outside the runtime too.
    let rt = one_worker();
    let v = rt.block_on(rt.spawn_blocking(|| block_in_place(|| 11))).unwrap();
    assert_eq!(v, 11);
}

#[test]
fn in_multi_thread_block_on_it_runs_the_closure() {
    let rt = one_worker();
    let v = rt.block_on(async {
        let x = block_in_place(|| {
            std::thread::sleep(Duration::from_millis(10));
            6
        });
        x + heddle::spawn(async { 1 }).await.unwrap()
    });
    assert_eq!(v, 7);
}

#[test]
fn panics_on_the_current_thread_runtime() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let err = rt.block_on(async { heddle::spawn(async { block_in_place(|| 1) }).await.unwrap_err() });
    assert_eq!(panic_message(err), "can call blocking only when running on the multi-threaded runtime");
    let caught = std::panic::catch_unwind(AssertUnwindSafe(|| rt.block_on(async { block_in_place(|| 1) })));
    assert!(caught.is_err());
    // The runtime is still usable.
    assert_eq!(rt.block_on(async { heddle::spawn(async { 2 }).await.unwrap() }), 2);
}

#[test]
fn shutdown_while_a_task_blocks() {
    let rt = one_worker();
    let (tx, rx) = mpsc::channel();
    let other_ran = Arc::new(AtomicBool::new(false));
    rt.spawn(async move {
        block_in_place(|| {
            tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(300));
        });
    });
    rx.recv_timeout(LIMIT).unwrap();
    // The replacement worker serves new work while the old thread sleeps.
    let flag = other_ran.clone();
    rt.block_on(async move {
        heddle::spawn(async move { flag.store(true, SeqCst) }).await.unwrap();
    });
    assert!(other_ran.load(SeqCst));
    let started = Instant::now();
    rt.shutdown_timeout(Duration::from_secs(5));
    assert!(started.elapsed() < Duration::from_secs(5));
}
