//! Paused test time: `time::{pause, resume, advance}`, auto-advance when the
//! runtime is idle, `#[heddle::test(start_paused = true)]` and
//! `Builder::start_paused`, and the panics for misuse.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use heddle::runtime::Builder;
use heddle::time::{self, interval, sleep, sleep_until, timeout, Duration, Instant, MissedTickBehavior};

/// Real (OS) time, to check that paused tests do not actually wait.
fn real_now() -> std::time::Instant {
    std::time::Instant::now()
}

#[heddle::test(start_paused = true)]
async fn hour_long_sleep_completes_instantly() {
    let real = real_now();
    let start = Instant::now();
    sleep(Duration::from_secs(3600)).await;
    let virtual_elapsed = start.elapsed();
    assert!(virtual_elapsed >= Duration::from_secs(3600), "{virtual_elapsed:?}");
    // Auto-advance jumps exactly to the deadline (rounded up to 1 µs).
    assert!(virtual_elapsed < Duration::from_secs(3600) + Duration::from_millis(1), "{virtual_elapsed:?}");
    assert!(real.elapsed() < Duration::from_secs(5), "paused sleep took {:?} of real time", real.elapsed());
}

#[heddle::test(start_paused = true)]
async fn clock_does_not_move_on_its_own() {
    let t0 = Instant::now();
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(Instant::now(), t0);
    time::advance(Duration::from_millis(1500)).await;
    assert_eq!(Instant::now() - t0, Duration::from_millis(1500));
}

#[heddle::test(start_paused = true)]
async fn advance_fires_exactly_the_due_timers_in_order() {
    let fired = Arc::new(Mutex::new(Vec::new()));
    // Spawned in scrambled order; the deadlines decide the firing order.
    for ms in [40u64, 10, 30, 20, 50] {
        let fired = fired.clone();
        heddle::spawn(async move {
            sleep(Duration::from_millis(ms)).await;
            fired.lock().unwrap().push(ms);
        });
    }
    // Let every task register its timer.
    heddle::task::yield_now().await;
    heddle::task::yield_now().await;
    assert!(fired.lock().unwrap().is_empty());

    time::advance(Duration::from_millis(25)).await;
    assert_eq!(*fired.lock().unwrap(), [10, 20]);
    time::advance(Duration::from_millis(5)).await;
    assert_eq!(*fired.lock().unwrap(), [10, 20, 30], "a timer due exactly now must fire");
    time::advance(Duration::from_millis(9)).await;
    assert_eq!(*fired.lock().unwrap(), [10, 20, 30]);
    time::advance(Duration::from_millis(100)).await;
    assert_eq!(*fired.lock().unwrap(), [10, 20, 30, 40, 50]);
}

#[heddle::test(start_paused = true)]
async fn auto_advance_fires_timers_one_by_one_at_their_own_time() {
    let start = Instant::now();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let local = heddle::task::LocalSet::new();
    local
        .run_until(async {
            let mut handles = Vec::new();
            for ms in [300u64, 100, 200] {
                let seen = seen.clone();
                handles.push(heddle::task::spawn_local(async move {
                    sleep(Duration::from_millis(ms)).await;
                    // Each observes the clock at its own deadline.
                    seen.borrow_mut().push((ms, start.elapsed()));
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
        })
        .await;
    let seen = seen.borrow();
    assert_eq!(seen.iter().map(|(ms, _)| *ms).collect::<Vec<_>>(), [100, 200, 300]);
    for (ms, at) in seen.iter() {
        assert!(*at >= Duration::from_millis(*ms) && *at < Duration::from_millis(*ms + 1), "{ms}: {at:?}");
    }
}

#[heddle::test(start_paused = true)]
async fn timeout_in_paused_time() {
    let start = Instant::now();
    let slow = timeout(Duration::from_secs(30), sleep(Duration::from_secs(60))).await;
    assert!(slow.is_err(), "the timeout should have elapsed first");
    assert_eq!(start.elapsed().as_secs(), 30);

    let start = Instant::now();
    let fast = timeout(Duration::from_secs(60), async {
        sleep(Duration::from_secs(30)).await;
        7
    })
    .await;
    assert_eq!(fast.unwrap(), 7);
    assert_eq!(start.elapsed().as_secs(), 30);

    let never = timeout(Duration::from_secs(86_400), std::future::pending::<()>()).await;
    assert!(never.is_err());
}

#[heddle::test(start_paused = true)]
async fn interval_ticks_on_the_paused_clock() {
    let start = Instant::now();
    let mut ticker = interval(Duration::from_secs(10));
    let mut at = Vec::new();
    for _ in 0..4 {
        let t = ticker.tick().await;
        at.push(t - start);
    }
    assert_eq!(at, [Duration::ZERO, Duration::from_secs(10), Duration::from_secs(20), Duration::from_secs(30)]);
    assert_eq!(start.elapsed(), Duration::from_secs(30));
}

#[heddle::test(start_paused = true)]
async fn interval_missed_ticks_with_advance() {
    let start = Instant::now();
    let mut ticker = interval(Duration::from_secs(1));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    ticker.tick().await;
    time::advance(Duration::from_millis(3500)).await;
    // Late: the missed tick fires at once, then Skip keeps the schedule.
    let late = ticker.tick().await;
    assert_eq!(late - start, Duration::from_secs(1));
    let next = ticker.tick().await;
    assert_eq!(next - start, Duration::from_secs(4));
}

#[test]
fn pause_resume_by_hand_on_a_current_thread_runtime() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        time::pause();
        let t0 = Instant::now();
        let deadline = t0 + Duration::from_secs(120);
        sleep_until(deadline).await;
        assert!(Instant::now() >= deadline);
        assert!(Instant::now() < deadline + Duration::from_millis(1));
        time::resume();
        // Running again: real time passes from the virtual reading.
        let t1 = Instant::now();
        sleep(Duration::from_millis(5)).await;
        assert!(t1.elapsed() >= Duration::from_millis(5));
        assert!(Instant::now() >= deadline);
    });
}

#[test]
fn start_paused_builder() {
    let rt = Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
    let real = real_now();
    let virtual_elapsed = rt.block_on(async {
        let t0 = Instant::now();
        let h = heddle::spawn(async { sleep(Duration::from_secs(24 * 3600)).await });
        h.await.unwrap();
        t0.elapsed()
    });
    assert!(virtual_elapsed >= Duration::from_secs(24 * 3600));
    assert!(real.elapsed() < Duration::from_secs(5));
}

#[test]
fn unpaused_runtime_uses_real_time() {
    // Another runtime paused its clock in this process: ours is unaffected.
    let paused = Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
    drop(paused);
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let t0 = Instant::now();
        let real = real_now();
        sleep(Duration::from_millis(20)).await;
        assert!(real.elapsed() >= Duration::from_millis(20));
        assert!(t0.elapsed() >= Duration::from_millis(20));
    });
}

#[test]
#[should_panic(expected = "`time::pause()` requires the `current_thread` heddle runtime")]
fn pause_on_multi_thread_panics() {
    let rt = Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    rt.block_on(async { time::pause() });
}

#[test]
#[should_panic(expected = "`time::pause()` requires the `current_thread` heddle runtime")]
fn start_paused_on_multi_thread_panics() {
    let _ = Builder::new_multi_thread().worker_threads(1).enable_all().start_paused(true).build();
}

#[test]
#[should_panic(expected = "time is already frozen")]
fn double_pause_panics() {
    Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        time::pause();
        time::pause();
    });
}

#[test]
#[should_panic(expected = "time is not frozen")]
fn resume_unpaused_panics() {
    Builder::new_current_thread().enable_all().build().unwrap().block_on(async { time::resume() });
}

#[test]
#[should_panic(expected = "time is not frozen")]
fn advance_unpaused_panics() {
    Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async { time::advance(Duration::from_secs(1)).await });
}

#[test]
#[should_panic(expected = "time cannot be frozen from outside the heddle runtime")]
fn pause_outside_a_runtime_panics() {
    time::pause();
}

#[heddle::test(start_paused = true)]
async fn blocking_work_holds_off_auto_advance() {
    // Without the hold-off, the idle runtime would jump to the timeout's
    // deadline while the closure still runs on the blocking pool.
    let start = Instant::now();
    let work = heddle::task::spawn_blocking(|| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        "done"
    });
    let out = timeout(Duration::from_secs(1), work).await.expect("timed out while blocking work ran");
    assert_eq!(out.unwrap(), "done");
    assert!(start.elapsed() < Duration::from_secs(1));
    // Once it finished, auto-advance works again.
    sleep(Duration::from_secs(10)).await;
    assert!(start.elapsed() >= Duration::from_secs(10));
}

#[heddle::test(start_paused = true)]
async fn interval_reset_variants_move_the_next_tick() {
    let start = Instant::now();
    let mut iv = interval(Duration::from_millis(100));
    assert_eq!(iv.tick().await, start, "the first tick is immediate");
    assert_eq!(iv.period(), Duration::from_millis(100));

    iv.reset_after(Duration::from_millis(30));
    assert_eq!(iv.tick().await, start + Duration::from_millis(30));
    // Later ticks follow one period after the moved one.
    assert_eq!(iv.tick().await, start + Duration::from_millis(130));

    iv.reset_at(start + Duration::from_millis(500));
    assert_eq!(iv.tick().await, start + Duration::from_millis(500));

    iv.reset_immediately();
    let now = Instant::now();
    assert_eq!(iv.tick().await, now);

    iv.reset();
    assert_eq!(iv.tick().await, now + Duration::from_millis(100));
}
