//! The blocking pool: growth, shrinking, panics, shutdown, and use from
//! outside the runtime.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use heddle::runtime::Builder;
use heddle::time::timeout;

const LIMIT: Duration = Duration::from_secs(10);

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + LIMIT;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn pool_grows_under_load_and_shrinks_after_keep_alive() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .thread_keep_alive(Duration::from_millis(100))
        .build()
        .unwrap();
    assert_eq!(rt.metrics().num_blocking_threads(), 0, "threads are created on demand");
    let n = 6;
    let barrier = Arc::new(Barrier::new(n));
    rt.block_on(async {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let barrier = barrier.clone();
                // All n must run at once to pass the barrier: n threads.
                heddle::task::spawn_blocking(move || {
                    barrier.wait();
                    i
                })
            })
            .collect();
        timeout(LIMIT, async {
            for (i, h) in handles.into_iter().enumerate() {
                assert_eq!(h.await.unwrap(), i);
            }
        })
        .await
        .unwrap();
    });
    assert!(rt.metrics().num_blocking_threads() >= n);
    wait_until("idle blocking threads to exit", || rt.metrics().num_blocking_threads() == 0);
    // And the pool comes back for new work.
    assert_eq!(rt.block_on(rt.spawn_blocking(|| 5)).unwrap(), 5);
}

#[test]
fn max_blocking_threads_caps_the_pool_and_queues_the_rest() {
    let rt = Builder::new_current_thread().enable_time().max_blocking_threads(2).build().unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (running, peak) = (running.clone(), peak.clone());
                heddle::task::spawn_blocking(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(5));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        timeout(LIMIT, async {
            for h in handles {
                h.await.unwrap();
            }
        })
        .await
        .unwrap();
    });
    assert!(peak.load(Ordering::SeqCst) <= 2);
    assert!(rt.metrics().num_blocking_threads() <= 2);
}

#[test]
fn idle_thread_is_reused() {
    let rt = Builder::new_current_thread().enable_time().build().unwrap();
    rt.block_on(async {
        for i in 0..10 {
            assert_eq!(heddle::task::spawn_blocking(move || i).await.unwrap(), i);
            // Give the thread time to go back to idle: the awaiting task
            // is woken just before it does.
            heddle::time::sleep(Duration::from_millis(10)).await;
        }
    });
    assert_eq!(rt.metrics().num_blocking_threads(), 1, "sequential jobs reuse the idle thread");
    assert_eq!(rt.metrics().num_idle_blocking_threads(), 1);
}

#[heddle::test]
async fn panic_becomes_join_error() {
    let err = heddle::task::spawn_blocking(|| -> u32 { panic!("blocking boom") }).await.unwrap_err();
    assert!(err.is_panic());
    assert_eq!(err.into_panic().downcast_ref::<&str>(), Some(&"blocking boom"));
    // The pool survives.
    assert_eq!(heddle::task::spawn_blocking(|| 1).await.unwrap(), 1);
}

#[test]
fn spawn_blocking_from_outside_via_handle() {
    let rt = Builder::new_multi_thread().worker_threads(1).enable_time().build().unwrap();
    let handle = rt.handle().clone();
    let join = std::thread::spawn(move || handle.spawn_blocking(|| std::thread::current().name().map(String::from)))
        .join()
        .unwrap();
    let name = rt.block_on(async { timeout(LIMIT, join).await.unwrap().unwrap() });
    assert_eq!(name.as_deref(), Some("heddle-runtime-worker"));
}

#[heddle::test]
async fn runtime_is_current_inside_blocking_closure() {
    let inner = heddle::task::spawn_blocking(|| {
        let handle = heddle::runtime::Handle::current();
        handle.block_on_free_spawn()
    });
    assert_eq!(timeout(LIMIT, inner).await.unwrap().unwrap(), 3);
}

trait SpawnFromBlocking {
    fn block_on_free_spawn(&self) -> u32;
}

impl SpawnFromBlocking for heddle::runtime::Handle {
    fn block_on_free_spawn(&self) -> u32 {
        // Spawn a task from the blocking thread and wait for it with a
        // std channel (no async context here).
        let (tx, rx) = std::sync::mpsc::channel();
        self.spawn(async move { tx.send(3).unwrap() });
        rx.recv_timeout(LIMIT).unwrap()
    }
}

#[test]
fn shutdown_runs_queued_jobs_and_waits_for_them() {
    // One thread: the second job waits in the queue behind the first when
    // shutdown begins. Both run (tokio's behaviour: a busy thread empties
    // the queue before it looks at the shutdown flag), and shutdown waits.
    let rt = Builder::new_current_thread().max_blocking_threads(1).build().unwrap();
    let finished = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(Barrier::new(2));
    let (f1, s1) = (finished.clone(), started.clone());
    let running = rt.spawn_blocking(move || {
        s1.wait();
        std::thread::sleep(Duration::from_millis(50));
        f1.fetch_add(1, Ordering::SeqCst);
        1
    });
    let f2 = finished.clone();
    let queued = rt.spawn_blocking(move || {
        f2.fetch_add(100, Ordering::SeqCst);
        2
    });
    started.wait();
    rt.shutdown_timeout(LIMIT);
    assert_eq!(finished.load(Ordering::SeqCst), 101, "shutdown returned before both jobs ran");
    let rt2 = Builder::new_current_thread().build().unwrap();
    rt2.block_on(async move {
        assert_eq!(running.await.unwrap(), 1);
        assert_eq!(queued.await.unwrap(), 2);
    });
}

#[test]
fn a_job_spawned_just_before_shutdown_still_runs() {
    // Its thread may not even have started when shutdown begins.
    for flavor in ["current_thread", "multi_thread"] {
        let rt = match flavor {
            "current_thread" => Builder::new_current_thread().build().unwrap(),
            _ => Builder::new_multi_thread().worker_threads(1).build().unwrap(),
        };
        let _enter = rt.enter();
        let job = heddle::task::spawn_blocking(|| {
            std::thread::sleep(Duration::from_millis(20));
            42
        });
        rt.shutdown_timeout(LIMIT);
        let rt2 = Builder::new_current_thread().build().unwrap();
        assert_eq!(rt2.block_on(job).unwrap(), 42, "{flavor}");
    }
}

#[test]
fn a_job_spawned_after_shutdown_is_cancelled() {
    let rt = Builder::new_current_thread().build().unwrap();
    let handle = rt.handle().clone();
    rt.shutdown_timeout(LIMIT);
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let job = handle.spawn_blocking(move || r.fetch_add(1, Ordering::SeqCst));
    let rt2 = Builder::new_current_thread().build().unwrap();
    assert!(rt2.block_on(job).unwrap_err().is_cancelled());
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[test]
fn shutdown_timeout_does_not_wait_forever() {
    let rt = Builder::new_current_thread().build().unwrap();
    let started = Arc::new(Barrier::new(2));
    let s = started.clone();
    let _stuck = rt.spawn_blocking(move || {
        s.wait();
        std::thread::sleep(Duration::from_secs(2));
    });
    started.wait();
    let t = Instant::now();
    rt.shutdown_timeout(Duration::from_millis(50));
    assert!(t.elapsed() < Duration::from_secs(1));
}

#[test]
fn shutdown_timeout_of_duration_max_waits_for_blocking_jobs() {
    for rt in
        [Builder::new_current_thread().build().unwrap(), Builder::new_multi_thread().worker_threads(2).build().unwrap()]
    {
        let finished = Arc::new(AtomicUsize::new(0));
        let started = Arc::new(Barrier::new(2));
        let (f, s) = (finished.clone(), started.clone());
        let _job = rt.spawn_blocking(move || {
            s.wait();
            std::thread::sleep(Duration::from_millis(50));
            f.fetch_add(1, Ordering::SeqCst);
        });
        started.wait();
        // Too long for a deadline: it used to overflow `Instant` and panic.
        rt.shutdown_timeout(Duration::MAX);
        assert_eq!(finished.load(Ordering::SeqCst), 1, "shutdown returned before the job ended");
    }
}

/// A thread that runs out of work spins briefly for the next job before it
/// sleeps. A job pushed while that thread runs a job that blocks must
/// still get a thread of its own: here the first job of each pair waits
/// for the second, so a second job left behind the first would hang.
#[test]
fn a_job_pushed_behind_a_blocking_one_gets_its_own_thread() {
    let rt = Builder::new_multi_thread().worker_threads(1).build().unwrap();
    rt.block_on(async {
        for round in 0..200 {
            let (tx, rx) = std::sync::mpsc::channel::<()>();
            // Pushed back to back, so the second push often comes while a
            // spinning thread has just been claimed by the first.
            let first = heddle::task::spawn_blocking(move || rx.recv_timeout(LIMIT).is_ok());
            let second = heddle::task::spawn_blocking(move || tx.send(()).is_ok());
            assert!(second.await.unwrap(), "round {round}: the first job hung up");
            assert!(first.await.unwrap(), "round {round}: the second job did not run beside the first");
        }
    });
}

/// Jobs spawned one after another, each awaited, are handed over through
/// the spinning thread: they all run, in order, on a few threads. A push
/// that comes while the one thread is between jobs claims a second; if the
/// first takes that job, the next push finds the second still on its way
/// and claims nobody (before that rule, fast back-to-back jobs grew the
/// pool to 30 threads here). On a quiet machine that is two threads; on a
/// loaded one a spinner that lost its CPU is passed over for a new thread
/// now and then (three in one CI run), hence the looser bound.
#[test]
fn back_to_back_jobs_all_run_in_order_on_few_threads() {
    let rt = Builder::new_multi_thread().worker_threads(1).build().unwrap();
    let ran = rt.block_on(async {
        let mut ran = Vec::new();
        for i in 0..2_000u32 {
            ran.push(heddle::task::spawn_blocking(move || i).await.unwrap());
        }
        ran
    });
    assert_eq!(ran, (0..2_000).collect::<Vec<_>>());
    assert!(rt.metrics().num_blocking_threads() <= 8, "threads: {}", rt.metrics().num_blocking_threads());
}
