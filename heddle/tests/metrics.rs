//! Runtime metrics count the work they claim to count: drive known work
//! (spawns, timer firings, socket events, budget exhaustion) and check
//! the counters.

use std::time::Duration;

use heddle::io::{AsyncReadExt, AsyncWriteExt};
use heddle::net::{TcpListener, TcpStream};
use heddle::runtime::{Builder, Runtime};

fn check_counts(rt: &Runtime) {
    const SPAWNS: u64 = 500;
    const TIMERS: u64 = 50;
    let m = rt.metrics();
    let spawned_before = m.spawned_tasks_count();
    let fired_before = m.timers_fired_count();
    rt.block_on(async {
        let handles: Vec<_> = (0..SPAWNS).map(|i| heddle::spawn(async move { i })).collect();
        for h in handles {
            h.await.unwrap();
        }
        // A sleep enters the timer wheel at its first poll, unless its
        // deadline has passed by then (it is ready at once and never
        // "fires"). The deadlines are far enough out that every sleep is
        // polled before them even on a loaded machine, and the test waits
        // until all are pending before counting firings.
        let start = heddle::time::Instant::now();
        let sleeps: Vec<_> = (0..TIMERS)
            .map(|i| heddle::spawn(heddle::time::sleep_until(start + Duration::from_micros(400_000 + i * 10))))
            .collect();
        while m.num_pending_timers() < TIMERS as usize {
            assert!(start.elapsed() < Duration::from_millis(390), "sleeps not polled within 390 ms");
            heddle::task::yield_now().await;
        }
        for s in sleeps {
            s.await.unwrap();
        }
    });
    assert_eq!(m.spawned_tasks_count() - spawned_before, SPAWNS + TIMERS);
    assert!(m.timers_fired_count() - fired_before >= TIMERS, "fired {}", m.timers_fired_count());
    let polls: u64 = (0..m.num_workers()).map(|w| m.worker_poll_count(w)).sum();
    assert!(polls >= SPAWNS + TIMERS, "polls {polls}");
    assert_eq!(m.num_pending_timers(), 0);
}

#[test]
fn spawns_polls_and_timers_are_counted() {
    check_counts(&Builder::new_current_thread().enable_all().build().unwrap());
    check_counts(&Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap());
}

#[test]
fn io_events_and_parks_are_counted() {
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let m = rt.metrics();
    let io_before = m.io_driver_ready_count();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        heddle::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4];
            for _ in 0..20 {
                s.read_exact(&mut buf).await.unwrap();
                s.write_all(&buf).await.unwrap();
            }
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        for _ in 0..20 {
            c.write_all(b"ping").await.unwrap();
            let mut back = [0u8; 4];
            c.read_exact(&mut back).await.unwrap();
        }
    });
    // Each round trip waits for at least one readiness event.
    assert!(m.io_driver_ready_count() - io_before >= 20, "io events {}", m.io_driver_ready_count());
    let parks: u64 = (0..2).map(|w| m.worker_park_count(w)).sum();
    assert!(parks > 0);
    assert_eq!(m.global_queue_depth(), 0);
}

#[test]
fn budget_exhaustion_is_counted() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let m = rt.metrics();
    assert_eq!(m.budget_forced_yield_count(), 0);
    rt.block_on(rt.spawn(async {
        // 1,000 messages already queued: receiving them never waits, so
        // only the budget makes the task yield.
        let (tx, mut rx) = heddle::sync::mpsc::unbounded_channel();
        for i in 0..1000 {
            tx.send(i).unwrap();
        }
        drop(tx);
        let mut n = 0;
        while rx.recv().await.is_some() {
            n += 1;
        }
        assert_eq!(n, 1000);
    }))
    .unwrap();
    assert!(m.budget_forced_yield_count() >= 1000 / 128, "forced yields {}", m.budget_forced_yield_count());
}

#[test]
fn steals_happen_when_one_worker_gets_all_the_work() {
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let m = rt.metrics();
    rt.block_on(rt.spawn(async {
        // Spawned from a worker: they land in that worker's queue (200 fit
        // in it, so none overflow to the global queue); the other worker can
        // only get them by stealing. 200 ms of work in all leaves it time to
        // be scheduled even on a loaded machine.
        let handles: Vec<_> = (0..200)
            .map(|_| {
                heddle::spawn(async {
                    let t = std::time::Instant::now();
                    while t.elapsed() < Duration::from_millis(1) {
                        std::hint::spin_loop();
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    }))
    .unwrap();
    let steals: u64 = (0..2).map(|w| m.worker_steal_count(w)).sum();
    assert!(steals > 0, "no steals");
}
