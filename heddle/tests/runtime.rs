//! Runtime behaviour: block_on, spawn/join, abort, panics, shutdown, and
//! both schedulers. Every test is bounded in time.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use futures::channel::oneshot;
use heddle::runtime::{Builder, Runtime};

fn current() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

fn multi(workers: usize) -> Runtime {
    Builder::new_multi_thread().worker_threads(workers).enable_all().build().unwrap()
}

fn both() -> Vec<(&'static str, Runtime)> {
    vec![("current_thread", current()), ("multi_thread", multi(2))]
}

/// Counts drops, to check that tasks and outputs are freed.
struct DropCounter(Arc<AtomicUsize>);
impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn block_on_returns_the_output() {
    for (name, rt) in both() {
        assert_eq!(rt.block_on(async { 40 + 2 }), 42, "{name}");
    }
}

#[test]
fn block_on_can_be_called_again_and_again() {
    for (name, rt) in both() {
        for round in 0..20u64 {
            let out = rt.block_on(async move {
                let tasks: Vec<_> = (0..10).map(|i| heddle::spawn(async move { round * 100 + i })).collect();
                let mut sum = 0;
                for t in tasks {
                    sum += t.await.unwrap();
                }
                sum
            });
            assert_eq!(out, round * 1000 + 45, "{name} round {round}");
        }
    }
}

#[test]
fn spawned_tasks_run_and_join() {
    for (name, rt) in both() {
        let total = rt.block_on(async {
            let handles: Vec<_> = (0..1000u64).map(|i| heddle::spawn(async move { i })).collect();
            let mut total = 0;
            for h in handles {
                total += h.await.unwrap();
            }
            total
        });
        assert_eq!(total, 999 * 1000 / 2, "{name}");
    }
}

#[test]
fn nested_spawns_complete() {
    for (name, rt) in both() {
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        rt.block_on(async move {
            let mut outer = Vec::new();
            for _ in 0..20 {
                let c = c.clone();
                outer.push(heddle::spawn(async move {
                    let inner: Vec<_> = (0..20)
                        .map(|_| {
                            let c = c.clone();
                            heddle::spawn(async move {
                                heddle::task::yield_now().await;
                                c.fetch_add(1, SeqCst);
                            })
                        })
                        .collect();
                    for h in inner {
                        h.await.unwrap();
                    }
                }));
            }
            for h in outer {
                h.await.unwrap();
            }
        });
        assert_eq!(count.load(SeqCst), 400, "{name}");
    }
}

#[test]
fn a_panicking_task_gives_a_join_error_and_the_runtime_keeps_running() {
    for (name, rt) in both() {
        rt.block_on(async {
            let err = heddle::spawn(async { panic!("boom {}", 7) }).await.unwrap_err();
            assert!(err.is_panic(), "{name}");
            assert!(err.to_string().contains("boom 7"), "{name}: {err}");
            let payload = err.into_panic();
            let msg =
                payload.downcast_ref::<String>().cloned().or(payload.downcast_ref::<&str>().map(|s| s.to_string()));
            assert_eq!(msg.as_deref(), Some("boom 7"));
            // Still works afterwards.
            assert_eq!(heddle::spawn(async { 5 }).await.unwrap(), 5, "{name}");
        });
    }
}

#[test]
fn abort_cancels_a_pending_task_and_drops_its_future() {
    for (name, rt) in both() {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        rt.block_on(async move {
            let guard = DropCounter(d.clone());
            let handle = heddle::spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
            heddle::task::yield_now().await;
            handle.abort();
            let err = handle.await.unwrap_err();
            assert!(err.is_cancelled(), "{name}");
        });
        assert_eq!(drops.load(SeqCst), 1, "{name}: the future was dropped once");
    }
}

#[test]
fn abort_after_completion_keeps_the_output() {
    for (name, rt) in both() {
        rt.block_on(async {
            let handle = heddle::spawn(async { 9 });
            while !handle.is_finished() {
                heddle::task::yield_now().await;
            }
            handle.abort();
            assert_eq!(handle.await.unwrap(), 9, "{name}");
        });
    }
}

#[test]
fn abort_handle_cancels_from_another_thread() {
    let rt = multi(2);
    rt.block_on(async {
        let handle = heddle::spawn(std::future::pending::<()>());
        let abort = handle.abort_handle();
        std::thread::spawn(move || abort.abort()).join().unwrap();
        assert!(handle.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn dropping_the_join_handle_detaches_the_task() {
    for (name, rt) in both() {
        rt.block_on(async {
            let (tx, rx) = oneshot::channel();
            drop(heddle::spawn(async move {
                heddle::task::yield_now().await;
                tx.send(11).unwrap();
            }));
            assert_eq!(rx.await.unwrap(), 11, "{name}");
        });
    }
}

#[test]
fn output_of_a_detached_task_is_dropped() {
    for (name, rt) in both() {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        rt.block_on(async move {
            let (tx, rx) = oneshot::channel();
            drop(heddle::spawn(async move {
                let out = DropCounter(d);
                tx.send(()).unwrap();
                out
            }));
            rx.await.unwrap();
            // Let the task finish and its output be dropped.
            for _ in 0..10 {
                heddle::task::yield_now().await;
            }
        });
        drop(rt);
        assert_eq!(drops.load(SeqCst), 1, "{name}");
    }
}

#[test]
fn dropping_the_runtime_cancels_pending_tasks() {
    for (name, rt) in both() {
        let drops = Arc::new(AtomicUsize::new(0));
        for _ in 0..50 {
            let guard = DropCounter(drops.clone());
            rt.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
        }
        rt.block_on(heddle::task::yield_now());
        drop(rt);
        assert_eq!(drops.load(SeqCst), 50, "{name}");
    }
}

#[test]
fn join_handle_of_a_task_cancelled_by_shutdown_reports_cancelled() {
    let rt = multi(2);
    let handle = rt.spawn(std::future::pending::<()>());
    drop(rt);
    let other = current();
    let err = other.block_on(handle).unwrap_err();
    assert!(err.is_cancelled());
}

#[test]
#[should_panic(expected = "Cannot start a runtime from within a runtime")]
fn block_on_inside_a_runtime_panics() {
    let rt = current();
    let inner = current();
    rt.block_on(async move {
        inner.block_on(async {});
    });
}

#[test]
fn spawn_from_outside_through_a_handle() {
    for (name, rt) in both() {
        let handle = rt.handle().clone();
        let join = std::thread::spawn(move || handle.spawn(async { 3 })).join().unwrap();
        assert_eq!(rt.block_on(join).unwrap(), 3, "{name}");
    }
}

#[test]
fn wakes_from_foreign_threads_are_not_lost() {
    for (name, rt) in both() {
        rt.block_on(async {
            for i in 0..500 {
                let (tx, rx) = oneshot::channel();
                let t = std::thread::spawn(move || tx.send(i).unwrap());
                let task = heddle::spawn(async move { rx.await.unwrap() });
                assert_eq!(task.await.unwrap(), i, "{name}");
                t.join().unwrap();
            }
        });
    }
}

/// Two tasks wait on one std `Barrier`, so each blocks its worker until the
/// other arrives: only possible if both workers run at once. Whichever
/// worker takes the first task (and blocks in it), the second must reach
/// the other worker, wherever it waits (the inject queue or the first
/// worker's ring). It once stayed stranded about once in 30 runs, so this
/// runs many times, with a watchdog.
#[test]
fn multi_thread_runs_tasks_in_parallel() {
    const RUNS: usize = 1000;
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for run in 0..RUNS {
            let rt = multi(2);
            let barrier = Arc::new(Barrier::new(2));
            rt.block_on(async move {
                let tasks: Vec<_> = (0..2)
                    .map(|_| {
                        let b = barrier.clone();
                        heddle::spawn(async move { b.wait() })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            });
            done_tx.send(run).unwrap();
        }
    });
    for run in 0..RUNS {
        // A hang leaves the runtime's threads behind, but fails the test.
        match done_rx.recv_timeout(Duration::from_secs(10)) {
            Ok(finished) => assert_eq!(finished, run),
            Err(_) => panic!("run {run} of {RUNS}: the second task never ran"),
        }
    }
}

#[test]
fn yield_now_lets_other_tasks_run() {
    let rt = current();
    let order = rt.block_on(async {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut handles = Vec::new();
        for id in 0..2 {
            let log = log.clone();
            handles.push(heddle::spawn(async move {
                for step in 0..3 {
                    log.lock().unwrap().push((id, step));
                    heddle::task::yield_now().await;
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        Arc::try_unwrap(log).unwrap().into_inner().unwrap()
    });
    assert_eq!(order, vec![(0, 0), (1, 0), (0, 1), (1, 1), (0, 2), (1, 2)]);
}

#[test]
fn a_task_that_always_yields_does_not_starve_others() {
    let rt = multi(1);
    rt.block_on(async {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s = stop.clone();
        let spinner = heddle::spawn(async move {
            while !s.load(SeqCst) {
                heddle::task::yield_now().await;
            }
        });
        let other = heddle::spawn(async { 1 });
        let got = heddle::time::timeout(Duration::from_secs(5), other).await;
        stop.store(true, SeqCst);
        assert_eq!(got.expect("starved").unwrap(), 1);
        spinner.await.unwrap();
    });
}

#[test]
fn handle_current_outside_a_runtime_is_an_error() {
    assert!(heddle::runtime::Handle::try_current().is_err());
    let rt = current();
    let _guard = rt.enter();
    assert!(heddle::runtime::Handle::try_current().is_ok());
}

#[test]
fn metrics_count_workers_and_alive_tasks() {
    let rt = multi(2);
    assert_eq!(rt.metrics().num_workers(), 2);
    let (tx, rx) = oneshot::channel::<()>();
    let task = rt.spawn(async move { rx.await.ok() });
    assert_eq!(rt.metrics().num_alive_tasks(), 1);
    tx.send(()).unwrap();
    rt.block_on(task).unwrap();
    // The worker drops the task from its list just after handing over the
    // output; give it a moment.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while rt.metrics().num_alive_tasks() != 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(rt.metrics().num_alive_tasks(), 0);
}

#[test]
fn shutdown_timeout_returns_while_a_task_blocks_its_worker() {
    let rt = multi(1);
    rt.spawn(async { std::thread::sleep(Duration::from_secs(2)) });
    std::thread::sleep(Duration::from_millis(50));
    let start = std::time::Instant::now();
    rt.shutdown_timeout(Duration::from_millis(100));
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn runtime_flavor_and_handle_block_on_from_another_thread() {
    use heddle::runtime::{Handle, RuntimeFlavor};
    for (name, rt) in both() {
        let expected = if name == "current_thread" { RuntimeFlavor::CurrentThread } else { RuntimeFlavor::MultiThread };
        assert_eq!(rt.handle().runtime_flavor(), expected, "{name}");
        assert_eq!(rt.block_on(async { Handle::current().runtime_flavor() }), expected, "{name}");
        // Handle::block_on drives the runtime from a plain thread: spawned
        // tasks and timers complete.
        let handle = rt.handle().clone();
        let out = std::thread::spawn(move || {
            handle.block_on(async {
                let task = heddle::spawn(async {
                    heddle::time::sleep(Duration::from_millis(5)).await;
                    21
                });
                task.await.unwrap() * 2
            })
        })
        .join()
        .unwrap();
        assert_eq!(out, 42, "{name}");
    }
}

#[test]
fn thread_start_and_stop_hooks_run_on_every_runtime_thread() {
    let started = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicUsize::new(0));
    let names = Arc::new(std::sync::Mutex::new(Vec::new()));
    let rt = {
        let (started, stopped, names) = (started.clone(), stopped.clone(), names.clone());
        Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("hooked")
            .on_thread_start(move || {
                started.fetch_add(1, SeqCst);
                names.lock().unwrap().push(std::thread::current().name().map(str::to_owned));
            })
            .on_thread_stop(move || {
                stopped.fetch_add(1, SeqCst);
            })
            .build()
            .unwrap()
    };
    rt.block_on(async {
        heddle::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(5))).await.unwrap();
        // A replacement worker started by block_in_place is a runtime thread too.
        heddle::spawn(async { heddle::task::block_in_place(|| std::thread::sleep(Duration::from_millis(50))) })
            .await
            .unwrap();
    });
    // Shutdown waits for the workers (each has started by then).
    rt.shutdown_timeout(Duration::from_secs(5));
    assert!(started.load(SeqCst) >= 4, "2 workers + 1 blocking + 1 replacement: {}", started.load(SeqCst));
    assert!(names.lock().unwrap().iter().all(|n| n.as_deref() == Some("hooked")));
    // Every thread that started has stopped (shutdown waited for them).
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while stopped.load(SeqCst) < started.load(SeqCst) {
        assert!(std::time::Instant::now() < deadline, "stopped {} of {}", stopped.load(SeqCst), started.load(SeqCst));
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(stopped.load(SeqCst), started.load(SeqCst));
}
