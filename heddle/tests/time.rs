//! Timers: ordering, cancellation, lateness (generous bound here; the tight
//! one is measured by the `timer-lateness` bench), timeout and interval.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use heddle::runtime::{Builder, Runtime};
use heddle::time::{interval, sleep, sleep_until, timeout, Instant, MissedTickBehavior, Sleep};

fn current() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

fn multi() -> Runtime {
    Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

// `Sleep` is `Unpin`, so it can be used in `select` without pinning.
const _: fn() = || {
    fn assert_unpin<T: Unpin + Send + Sync>() {}
    assert_unpin::<Sleep>();
};

#[test]
fn sleeps_never_complete_before_their_deadline_on_multi_thread() {
    // Across workers, timers due in the same driver turn may run in any
    // order; each must still wait its full duration.
    let rt = multi();
    rt.block_on(async {
        let handles: Vec<_> = (0..200u64)
            .map(|i| {
                heddle::spawn(async move {
                    let d = Duration::from_micros(100 + (i * 37) % 3000);
                    let start = Instant::now();
                    sleep(d).await;
                    (start.elapsed(), d)
                })
            })
            .collect();
        for h in handles {
            let (took, d) = h.await.unwrap();
            assert!(took >= d, "woke after {took:?} for {d:?}");
        }
    });
}

#[test]
fn sleeps_complete_in_deadline_order() {
    // One thread: timers fire in deadline order and their tasks run in
    // that order.
    let rt = current();
    {
        let order = rt.block_on(async {
            let log = Arc::new(Mutex::new(Vec::new()));
            // A scrambled set of distinct deadlines, 0.5 ms apart.
            let delays: Vec<u64> = (0..40u64).map(|i| (i * 17) % 40).collect();
            let handles: Vec<_> = delays
                .iter()
                .map(|&d| {
                    let log = log.clone();
                    heddle::spawn(async move {
                        sleep(Duration::from_micros(500 * d + 500)).await;
                        log.lock().unwrap().push(d);
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
            Arc::try_unwrap(log).unwrap().into_inner().unwrap()
        });
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted);
    }
}

#[test]
fn a_sleep_never_completes_early() {
    let rt = current();
    rt.block_on(async {
        for us in [1u64, 10, 100, 250, 1000, 3000] {
            let start = Instant::now();
            sleep(Duration::from_micros(us)).await;
            assert!(start.elapsed() >= Duration::from_micros(us), "{us} µs");
        }
    });
}

#[test]
fn sub_millisecond_sleeps_are_not_rounded_to_a_millisecond() {
    // Generous bound for a shared CI machine: a 1 ms-granular wheel would
    // put the median at ≥ 1 ms.
    let rt = current();
    let mut late: Vec<Duration> = rt.block_on(async {
        let mut late = Vec::new();
        for _ in 0..200 {
            let deadline = Instant::now() + Duration::from_micros(100);
            sleep_until(deadline).await;
            late.push(Instant::now() - deadline);
        }
        late
    });
    late.sort();
    let median = late[late.len() / 2];
    assert!(median < Duration::from_micros(500), "median lateness {median:?}");
}

#[test]
fn dropped_sleeps_leave_the_wheel() {
    let rt = current();
    rt.block_on(async {
        let mut sleeps: Vec<Sleep> = (0..1000).map(|i| sleep(Duration::from_secs(10 + i))).collect();
        for s in sleeps.iter_mut() {
            // Register each with the wheel.
            let _ = futures::poll!(s);
        }
        assert_eq!(heddle::runtime::Handle::current().metrics().num_pending_timers(), 1000);
        drop(sleeps);
        assert_eq!(heddle::runtime::Handle::current().metrics().num_pending_timers(), 0);
    });
}

#[test]
fn many_pending_timers_fire_after_cancellations() {
    let rt = multi();
    let fired = rt.block_on(async {
        let mut handles = Vec::new();
        for i in 0..2000u64 {
            handles.push(heddle::spawn(async move {
                sleep(Duration::from_micros(50_000 + (i % 50) * 37)).await;
                1u32
            }));
        }
        // Cancel every other one.
        for h in handles.iter().step_by(2) {
            h.abort();
        }
        let mut fired = 0;
        for h in handles {
            fired += h.await.unwrap_or(0);
        }
        fired
    });
    assert_eq!(fired, 1000);
}

#[test]
fn timeout_elapses_and_drops_the_future() {
    let rt = current();
    rt.block_on(async {
        let start = Instant::now();
        let res = timeout(Duration::from_millis(20), std::future::pending::<()>()).await;
        assert!(res.is_err());
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert_eq!(res.unwrap_err().to_string(), "deadline has elapsed");
        assert_eq!(timeout(Duration::from_secs(5), async { 3 }).await, Ok(3));
    });
}

// The timer of a `Timeout` is only made at its first pending poll, but the
// deadline counts from the call, as with tokio.
#[test]
fn timeout_counts_from_the_call_not_the_first_poll() {
    let rt = current();
    rt.block_on(async {
        // Its deadline passes before the first poll: elapsed at once, not
        // 100 ms after the poll.
        let pending = timeout(Duration::from_millis(100), std::future::pending::<()>());
        std::thread::sleep(Duration::from_millis(120));
        let polled = Instant::now();
        assert!(pending.await.is_err());
        assert!(polled.elapsed() < Duration::from_millis(80), "{:?}", polled.elapsed());

        // 200 ms from the call, 100 of which pass before the first poll.
        let late = timeout(Duration::from_millis(200), std::future::pending::<()>());
        let created = Instant::now();
        std::thread::sleep(Duration::from_millis(100));
        let start = Instant::now();
        assert!(late.await.is_err());
        assert!(start.elapsed() < Duration::from_millis(180), "{:?}", start.elapsed());
        assert!(created.elapsed() >= Duration::from_millis(200));
    });
}

#[test]
#[should_panic(expected = "timers are disabled")]
fn timeout_without_timers_panics_at_the_call() {
    let rt = Builder::new_current_thread().enable_io().build().unwrap();
    rt.block_on(async {
        let _t = timeout(Duration::from_millis(1), async {});
    });
}

#[test]
fn reset_moves_the_deadline() {
    let rt = current();
    rt.block_on(async {
        let start = Instant::now();
        let mut s = sleep(Duration::from_secs(30));
        let _ = futures::poll!(&mut s);
        std::pin::Pin::new(&mut s).reset(Instant::now() + Duration::from_millis(5));
        s.await;
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(5) && took < Duration::from_secs(5), "{took:?}");
    });
}

#[test]
fn reset_to_a_passed_deadline_completes_at_the_next_poll() {
    // A registered sleep reset to a deadline already behind us must be
    // ready when polled next, on both runtimes and with a paused clock
    // too, without waiting for the driver to fire it.
    for rt in [current(), multi()] {
        rt.block_on(async {
            let mut s = sleep(Duration::from_secs(30));
            assert!(futures::poll!(&mut s).is_pending());
            std::pin::Pin::new(&mut s).reset(Instant::now() - Duration::from_millis(1));
            assert!(futures::poll!(&mut s).is_ready());
        });
    }
    let paused = Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
    paused.block_on(async {
        let now = Instant::now();
        let mut s = sleep_until(now + Duration::from_millis(100));
        assert!(futures::poll!(&mut s).is_pending());
        sleep(Duration::from_millis(50)).await;
        std::pin::Pin::new(&mut s).reset(now + Duration::from_millis(40));
        assert!(futures::poll!(&mut s).is_ready());
    });
}

#[test]
fn interval_reset_immediately_and_far_resets() {
    let rt = current();
    rt.block_on(async {
        let mut ticks = interval(Duration::from_secs(3600));
        ticks.tick().await; // the first tick is immediate
        let mut next = Box::pin(ticks.tick());
        assert!(futures::poll!(&mut next).is_pending());
        drop(next);
        ticks.reset_immediately();
        assert!(futures::poll!(Box::pin(ticks.tick())).is_ready());
        // Durations past what an Instant can hold mean "never", not a panic.
        ticks.reset_after(Duration::MAX);
        assert!(futures::poll!(Box::pin(ticks.tick())).is_pending());
        ticks.reset_at(Instant::now());
        assert!(futures::poll!(Box::pin(ticks.tick())).is_ready());
    });
}

#[test]
fn a_fired_sleep_can_be_reset_and_awaited_again() {
    let rt = current();
    rt.block_on(async {
        let mut s = sleep(Duration::from_millis(1));
        (&mut s).await;
        assert!(s.is_elapsed());
        std::pin::Pin::new(&mut s).reset(Instant::now() + Duration::from_millis(2));
        assert!(!s.is_elapsed());
        let start = Instant::now();
        (&mut s).await;
        assert!(start.elapsed() >= Duration::from_millis(2));
    });
}

#[test]
fn interval_ticks_on_schedule() {
    let rt = current();
    rt.block_on(async {
        let start = Instant::now();
        let mut ticks = interval(Duration::from_millis(3));
        let first = ticks.tick().await;
        assert!(first.duration_since(start) < Duration::from_millis(3));
        for _ in 0..5 {
            ticks.tick().await;
        }
        assert!(start.elapsed() >= Duration::from_millis(15));
    });
}

#[test]
fn interval_skip_behaviour_drops_missed_ticks() {
    let rt = current();
    rt.block_on(async {
        let mut ticks = interval(Duration::from_millis(2));
        ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
        ticks.tick().await;
        std::thread::sleep(Duration::from_millis(11)); // miss ~5 ticks
        let late = ticks.tick().await; // the missed tick, at once
        let next = ticks.tick().await;
        // With Skip, the next tick is on the original 2 ms grid and after now.
        assert!(next > late + Duration::from_millis(8), "{:?}", next - late);
    });
}

#[test]
fn timers_wake_a_multi_thread_runtime_from_idle() {
    let rt = multi();
    rt.block_on(async {
        let start = Instant::now();
        let h = heddle::spawn(async { sleep(Duration::from_millis(30)).await });
        h.await.unwrap();
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(30) && took < Duration::from_secs(2), "{took:?}");
    });
}
