//! `Builder::on_thread_park` / `on_thread_unpark` (run around each real
//! idle sleep, on the thread that sleeps, strictly alternating) and
//! `Builder::max_io_events_per_tick` (a reactor taking one event per poll
//! still serves every connection).

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use heddle::io::{AsyncReadExt, AsyncWriteExt};
use heddle::net::{TcpListener, TcpStream};
use heddle::runtime::{Builder, Runtime};

const LIMIT: Duration = Duration::from_secs(10);

/// Runs `f` on a thread of its own, failing the test if it takes longer
/// than `LIMIT` (a lost wake-up would otherwise hang the test).
fn bounded<F: FnOnce() + Send + 'static>(f: F) {
    let (done_tx, done_rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        f();
        let _ = done_tx.send(());
    });
    match done_rx.recv_timeout(LIMIT) {
        Ok(()) => worker.join().unwrap(),
        // The sender is gone without a message: `f` panicked; re-raise it.
        Err(mpsc::RecvTimeoutError::Disconnected) => std::panic::resume_unwind(worker.join().unwrap_err()),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("test did not finish within {LIMIT:?}"),
    }
}

/// Waits (polling) until `cond` holds, failing after `LIMIT`.
fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < LIMIT, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    Park,
    Unpark,
}

/// What the hooks saw: counts, and each thread's sequence of events.
#[derive(Default)]
struct Recorder {
    parks: AtomicUsize,
    unparks: AtomicUsize,
    per_thread: Mutex<HashMap<ThreadId, Vec<Event>>>,
}

impl Recorder {
    fn record(&self, event: Event) {
        self.per_thread.lock().unwrap().entry(std::thread::current().id()).or_default().push(event);
        match event {
            Event::Park => self.parks.fetch_add(1, SeqCst),
            Event::Unpark => self.unparks.fetch_add(1, SeqCst),
        };
    }

    fn parks(&self) -> usize {
        self.parks.load(SeqCst)
    }

    fn unparks(&self) -> usize {
        self.unparks.load(SeqCst)
    }

    /// Threads now between a park and its unpark: asleep.
    fn sleeping(&self) -> usize {
        // Unparks first: a thread that wakes between the two loads would
        // otherwise count as -1 asleep.
        let unparks = self.unparks();
        self.parks() - unparks
    }

    /// Every thread's events alternate, starting with a park.
    fn assert_alternating(&self) {
        for (thread, events) in self.per_thread.lock().unwrap().iter() {
            assert_eq!(events.first(), Some(&Event::Park), "{thread:?} started with an unpark: {events:?}");
            for pair in events.windows(2) {
                assert_ne!(pair[0], pair[1], "{thread:?} did not alternate: {events:?}");
            }
        }
    }

    fn threads(&self) -> Vec<ThreadId> {
        self.per_thread.lock().unwrap().keys().copied().collect()
    }
}

fn with_hooks(builder: &mut Builder, recorder: &Arc<Recorder>) -> Runtime {
    let (on_park, on_unpark) = (recorder.clone(), recorder.clone());
    builder
        .enable_all()
        .on_thread_park(move || on_park.record(Event::Park))
        .on_thread_unpark(move || on_unpark.record(Event::Unpark))
        .build()
        .unwrap()
}

#[test]
fn current_thread_hooks_run_on_the_block_on_thread_around_real_sleeps() {
    bounded(|| {
        let recorder = Arc::new(Recorder::default());
        let rt = with_hooks(&mut Builder::new_current_thread(), &recorder);
        let (tx, rx) = heddle::sync::oneshot::channel::<u32>();
        let sender = {
            let recorder = recorder.clone();
            std::thread::spawn(move || {
                // The runtime has nothing to do until this sends: it parks.
                wait_until("the block_on thread sleeps", || recorder.sleeping() == 1);
                let before = (recorder.parks(), recorder.unparks());
                tx.send(7).unwrap();
                before
            })
        };
        assert_eq!(rt.block_on(rx).unwrap(), 7);
        let (parks_before, unparks_before) = sender.join().unwrap();
        assert!(parks_before >= 1);
        // The send woke the thread: the unpark hook ran once more, and
        // every park has its unpark.
        assert!(recorder.unparks() > unparks_before, "no unpark after the wake-up");
        assert_eq!(recorder.parks(), recorder.unparks());
        // Only the thread inside block_on parks on this runtime.
        assert_eq!(recorder.threads(), vec![std::thread::current().id()]);
        recorder.assert_alternating();
    });
}

#[test]
fn multi_thread_hooks_run_on_each_worker_and_move_when_remote_work_arrives() {
    bounded(|| {
        let recorder = Arc::new(Recorder::default());
        let rt = with_hooks(Builder::new_multi_thread().worker_threads(2), &recorder);
        // No work at all: both workers go to sleep.
        wait_until("both workers sleep", || recorder.sleeping() == 2);
        let (parks_before, unparks_before) = (recorder.parks(), recorder.unparks());

        // Work from a thread outside the runtime wakes a worker.
        let (tx, rx) = mpsc::channel();
        rt.spawn(async move { tx.send(std::thread::current().id()).unwrap() });
        let ran_on = rx.recv_timeout(LIMIT).unwrap();
        assert!(recorder.unparks() > unparks_before, "the woken worker ran no unpark hook");
        // With the task done the workers idle again.
        wait_until("both workers sleep again", || recorder.sleeping() == 2);
        assert!(recorder.parks() > parks_before);

        let threads = recorder.threads();
        assert_eq!(threads.len(), 2, "park hooks ran on {} threads, not the 2 workers", threads.len());
        assert!(threads.contains(&ran_on), "the task ran on a thread that never parked");
        assert!(!threads.contains(&std::thread::current().id()));
        recorder.assert_alternating();
        drop(rt);
    });
}

#[test]
fn a_task_spawned_by_the_park_hook_runs_instead_of_the_worker_sleeping() {
    bounded(|| {
        for builder in [Builder::new_current_thread(), Builder::new_multi_thread().worker_threads(1).to_owned()] {
            let once = AtomicBool::new(true);
            let notify = Arc::new(heddle::sync::Notify::new());
            let in_hook = notify.clone();
            let rt = builder
                .to_owned()
                .on_thread_park(move || {
                    if once.swap(false, SeqCst) {
                        let notify = in_hook.clone();
                        heddle::spawn(async move { notify.notify_one() });
                    }
                })
                .build()
                .unwrap();
            // Nothing but the park hook can complete this.
            rt.block_on(notify.notified());
        }
    });
}

#[test]
fn hooks_do_not_run_on_blocking_threads() {
    bounded(|| {
        let recorder = Arc::new(Recorder::default());
        let rt = with_hooks(Builder::new_multi_thread().worker_threads(1), &recorder);
        let (tx, rx) = mpsc::channel();
        rt.spawn_blocking(move || {
            // Idle for a while on a blocking-pool thread.
            std::thread::sleep(Duration::from_millis(20));
            tx.send(std::thread::current().id()).unwrap();
        });
        let blocking_thread = rx.recv_timeout(LIMIT).unwrap();
        wait_until("the worker sleeps", || recorder.sleeping() == 1);
        assert!(!recorder.threads().contains(&blocking_thread));
        assert_eq!(recorder.threads().len(), 1);
    });
}

/// Serves `connections` echo clients at once, each sending `rounds`
/// messages, on `rt`; checks every byte comes back in order.
fn echo_many(rt: &Runtime, connections: usize, rounds: usize) {
    support::run(rt, async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = heddle::spawn(async move {
            for _ in 0..connections {
                let (mut stream, _) = listener.accept().await.unwrap();
                heddle::spawn(async move {
                    let mut buf = [0u8; 512];
                    loop {
                        let n = stream.read(&mut buf).await.unwrap();
                        if n == 0 {
                            break;
                        }
                        stream.write_all(&buf[..n]).await.unwrap();
                    }
                });
            }
        });
        let clients: Vec<_> = (0..connections)
            .map(|c| {
                heddle::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await.unwrap();
                    for round in 0..rounds {
                        let message: Vec<u8> = (0..300).map(|i| (c * 31 + round * 7 + i) as u8).collect();
                        stream.write_all(&message).await.unwrap();
                        let mut echoed = vec![0u8; message.len()];
                        stream.read_exact(&mut echoed).await.unwrap();
                        assert_eq!(echoed, message, "connection {c}, round {round}");
                    }
                    rounds
                })
            })
            .collect();
        let mut total = 0;
        for client in clients {
            total += client.await.unwrap();
        }
        assert_eq!(total, connections * rounds);
        server.await.unwrap();
    });
}

#[test]
fn one_io_event_per_tick_still_serves_many_connections() {
    bounded(|| {
        let current = Builder::new_current_thread().enable_all().max_io_events_per_tick(1).build().unwrap();
        echo_many(&current, 32, 8);
        let multi =
            Builder::new_multi_thread().worker_threads(2).enable_all().max_io_events_per_tick(1).build().unwrap();
        echo_many(&multi, 32, 8);
    });
}

#[test]
#[should_panic(expected = "max_io_events_per_tick must be non-zero")]
fn zero_io_events_per_tick_panics() {
    Builder::new_current_thread().max_io_events_per_tick(0);
}
