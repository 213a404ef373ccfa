//! Synchronisation, blocking-pool, timeout and io-copy micro-benchmarks on
//! heddle and tokio, with the same code: the workloads measured by tokio's
//! `benches/sync_mpsc.rs`, `sync_mpsc_oneshot.rs`, `sync_semaphore.rs`,
//! `sync_notify.rs`, `spawn_blocking.rs`, `time_timeout.rs` and `copy.rs`
//! (written afresh here, not copied).
//!
//! Each workload is one criterion group with two functions, `heddle` and
//! `tokio`. The code is written once, in the `workloads!` macro, against a
//! crate alias `rt`, and expanded once per runtime. Group names start with
//! `sync_`, `blocking_` or `io_` so they do not collide with `rt.rs` and
//! `timer.rs`:
//!
//! * `sync_mpsc_bounded_uncontended`: one task sends `MSGS` values into a
//!   bounded channel with room for all of them, then receives them.
//! * `sync_mpsc_bounded_contended`: `PRODUCERS` tasks send `MSGS /
//!   PRODUCERS` values each into a roomy bounded channel; one receiver.
//! * `sync_mpsc_bounded_full`: as above with a 16-slot channel, so the
//!   producers are parked on back-pressure most of the time.
//! * `sync_mpsc_unbounded_uncontended`, `sync_mpsc_unbounded_contended`: as
//!   the bounded ones with an unbounded channel.
//! * `sync_mpsc_oneshot_current`, `sync_mpsc_oneshot_multi`: a server task
//!   receives requests carrying a `oneshot::Sender` over an mpsc channel and
//!   replies; the client makes `REQUESTS` sequential round trips
//!   (current-thread and multi-thread runtime).
//! * `sync_semaphore_uncontended`: `ACQUIRES` acquire/release pairs by one
//!   task.
//! * `sync_semaphore_contended_multi`, `sync_semaphore_contended_current`:
//!   `SEM_TASKS` tasks each acquire a 2-permit semaphore `SEM_ROUNDS` times
//!   and hold it across a yield, so the others queue up.
//! * `sync_semaphore_burst_{uncontended,contended}_{multi,current}`: tokio's
//!   `sync_semaphore.rs`: `SEM_BURST` (6) tasks on 6 workers, or 6 futures
//!   joined on a current-thread runtime, each acquire and release one
//!   permit of a semaphore with 10 (uncontended) or 5 (contended) permits.
//! * `sync_notify_one_10`, `sync_notify_waiters_10`: 10 long-lived waiter
//!   tasks loop on `notified().await`; the measured task calls
//!   `notify_one` / `notify_waiters` (and yields) until `WAKEUPS` wake-ups
//!   have been counted.
//! * `sync_notify_one_N_spin`, `sync_notify_waiters_N_spin` (N = 10, 50,
//!   100, 200, 500 waiters): tokio's own `benches/sync_notify.rs` as it
//!   stands, 6 workers, the bench thread spinning on `notify` outside any
//!   runtime (no `block_on`, no yield) until 500 wake-ups are counted.
//!   `sync_notify_one_10_spin_tokio_rt` and `..._heddle_rt` run that loop
//!   with the waiters on one runtime for both sides, so only the `Notify`
//!   differs.
//! * `blocking_spawn_many`: `BLOCKING_JOBS` `spawn_blocking` jobs spawned,
//!   then awaited; `blocking_spawn_one_current`: one job on a current-thread
//!   runtime.
//! * `blocking_concurrency_1`, `blocking_concurrency_2`: tokio's current
//!   `spawn_blocking.rs`: 1 or 2 tasks (up to the CPUs) on a multi-thread
//!   runtime with the default worker count each run `BLOCKING_BATCHES`
//!   batches of `BLOCKING_BATCH` no-op jobs in a `JoinSet`, awaiting each
//!   batch before the next.
//! * `sync_timeout_ready`: `TIMEOUTS` `timeout(1 s, ready)` awaited in turn
//!   (the timer entry is created and dropped without firing);
//!   `sync_timeout_ready_multi_8`: the same split over 8 tasks on 8 workers
//!   (tokio's `time_timeout.rs`).
//! * `sync_timeout_elapsed`: `ELAPSED_TASKS` tasks each await a
//!   `timeout(1 ms, pending)` that elapses.
//! * `io_copy_mem_to_sink`: `io::copy` of `COPY_BYTES` from an in-memory
//!   slice into `io::sink()`.
//! * `io_copy_duplex`: one task copies `COPY_BYTES` from a slice into a
//!   16 KiB `io::duplex` pipe while another copies the other end into a sink.
//!
//! Multi-thread workloads use 4 workers like `rt.rs` (`HEDDLE_BENCH_WORKERS`
//! overrides), except the `_spin` notify workloads, which keep tokio's 6.
//!
//! A workload hands its per-iteration closure to a `support::Sink`: a
//! criterion group by default, or the paired runner with `-- --paired
//! [FILTER]`, which alternates ~30 ms batches of the two runtimes (see
//! `support/mod.rs` for why).

mod support;

/// Messages per iteration of the mpsc workloads.
const MSGS: usize = 5_000;
/// Producer tasks of the contended mpsc workloads.
const PRODUCERS: usize = 5;
/// Round trips per iteration of the request/response workloads.
const REQUESTS: usize = 1_000;
/// Acquire/release pairs of the uncontended semaphore workload.
const ACQUIRES: usize = 1_000;
/// Tasks and acquisitions per task of the contended semaphore workloads.
const SEM_TASKS: usize = 8;
const SEM_ROUNDS: usize = 100;
/// Tasks (or joined futures) of the `sync_semaphore_burst_*` workloads.
const SEM_BURST: usize = 6;
/// Wake-ups per iteration of `sync_notify_one_10` and
/// `sync_notify_waiters_10`.
const WAKEUPS: usize = 1_000;
/// Wake-ups per iteration and workers of the `_spin` notify workloads:
/// tokio's `benches/sync_notify.rs` figures.
const SPIN_WAKEUPS: usize = 500;
const SPIN_WORKERS: usize = 6;
/// Jobs per iteration of `blocking_spawn_many`.
const BLOCKING_JOBS: usize = 1_000;
/// Batches per task, and jobs per batch, of `blocking_concurrency_N`.
const BLOCKING_BATCHES: usize = 100;
const BLOCKING_BATCH: usize = 16;
/// Timeouts per iteration of `sync_timeout_ready`.
const TIMEOUTS: usize = 1_000;
/// Tasks per iteration of `sync_timeout_elapsed`.
const ELAPSED_TASKS: usize = 100;
/// Bytes per iteration of the copy workloads.
const COPY_BYTES: usize = 1 << 20;

use heddle_bench::bench_workers as num_workers;

macro_rules! workloads {
    ($runtime:ident) => {
        pub mod $runtime {
            use std::hint::black_box;
            use std::sync::atomic::AtomicUsize;
            use std::sync::atomic::Ordering::Relaxed;
            use std::sync::Arc;
            use std::time::Duration;

            use crate::support::Sink;

            use super::*;
            use ::$runtime as rt;
            use rt::sync::{mpsc, oneshot, Notify, Semaphore};

            const NAME: &str = stringify!($runtime);

            fn multi_thread() -> rt::runtime::Runtime {
                rt::runtime::Builder::new_multi_thread().worker_threads(num_workers()).enable_all().build().unwrap()
            }

            fn current_thread() -> rt::runtime::Runtime {
                rt::runtime::Builder::new_current_thread().enable_all().build().unwrap()
            }

            pub fn sync_mpsc_bounded_uncontended(g: &mut impl Sink) {
                let rt = multi_thread();
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        let (tx, mut rx) = mpsc::channel::<usize>(MSGS);
                        for i in 0..MSGS {
                            tx.send(i).await.unwrap();
                        }
                        for _ in 0..MSGS {
                            black_box(rx.recv().await.unwrap());
                        }
                    })
                });
            }

            async fn bounded_contended(capacity: usize) {
                let (tx, mut rx) = mpsc::channel::<usize>(capacity);
                for _ in 0..PRODUCERS {
                    let tx = tx.clone();
                    rt::spawn(async move {
                        for i in 0..MSGS / PRODUCERS {
                            tx.send(i).await.unwrap();
                        }
                    });
                }
                drop(tx);
                let mut n = 0;
                while let Some(v) = rx.recv().await {
                    black_box(v);
                    n += 1;
                }
                assert_eq!(n, MSGS);
            }

            pub fn sync_mpsc_bounded_contended(g: &mut impl Sink) {
                let rt = multi_thread();
                g.iteration(NAME, move || rt.block_on(bounded_contended(MSGS)));
            }

            pub fn sync_mpsc_bounded_full(g: &mut impl Sink) {
                let rt = multi_thread();
                g.iteration(NAME, move || rt.block_on(bounded_contended(16)));
            }

            pub fn sync_mpsc_unbounded_uncontended(g: &mut impl Sink) {
                let rt = multi_thread();
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        let (tx, mut rx) = mpsc::unbounded_channel::<usize>();
                        for i in 0..MSGS {
                            tx.send(i).unwrap();
                        }
                        for _ in 0..MSGS {
                            black_box(rx.recv().await.unwrap());
                        }
                    })
                });
            }

            pub fn sync_mpsc_unbounded_contended(g: &mut impl Sink) {
                let rt = multi_thread();
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        let (tx, mut rx) = mpsc::unbounded_channel::<usize>();
                        for _ in 0..PRODUCERS {
                            let tx = tx.clone();
                            rt::spawn(async move {
                                for i in 0..MSGS / PRODUCERS {
                                    tx.send(i).unwrap();
                                }
                            });
                        }
                        drop(tx);
                        let mut n = 0;
                        while let Some(v) = rx.recv().await {
                            black_box(v);
                            n += 1;
                        }
                        assert_eq!(n, MSGS);
                    })
                });
            }

            fn request_reply(g: &mut impl Sink, rt: rt::runtime::Runtime) {
                let (tx, mut rx) = mpsc::channel::<(usize, oneshot::Sender<usize>)>(16);
                rt.spawn(async move {
                    while let Some((req, reply)) = rx.recv().await {
                        let _ = reply.send(req + 1);
                    }
                });
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        for i in 0..REQUESTS {
                            let (reply_tx, reply_rx) = oneshot::channel();
                            tx.send((i, reply_tx)).await.unwrap();
                            assert_eq!(reply_rx.await.unwrap(), i + 1);
                        }
                    })
                });
            }

            pub fn sync_mpsc_oneshot_current(g: &mut impl Sink) {
                request_reply(g, current_thread());
            }

            pub fn sync_mpsc_oneshot_multi(g: &mut impl Sink) {
                request_reply(g, multi_thread());
            }

            pub fn sync_semaphore_uncontended(g: &mut impl Sink) {
                let rt = multi_thread();
                let sem = Semaphore::new(10);
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        for _ in 0..ACQUIRES {
                            let permit = sem.acquire().await.unwrap();
                            drop(black_box(permit));
                        }
                    })
                });
            }

            fn semaphore_contended(g: &mut impl Sink, rt: rt::runtime::Runtime) {
                let sem = Arc::new(Semaphore::new(2));
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        let handles: Vec<_> = (0..SEM_TASKS)
                            .map(|_| {
                                let sem = sem.clone();
                                rt::spawn(async move {
                                    for _ in 0..SEM_ROUNDS {
                                        let permit = sem.acquire().await.unwrap();
                                        rt::task::yield_now().await;
                                        drop(permit);
                                    }
                                })
                            })
                            .collect();
                        for h in handles {
                            h.await.unwrap();
                        }
                    })
                });
            }

            pub fn sync_semaphore_contended_multi(g: &mut impl Sink) {
                semaphore_contended(g, multi_thread());
            }

            pub fn sync_semaphore_contended_current(g: &mut impl Sink) {
                semaphore_contended(g, current_thread());
            }

            /// One acquire and release in each of `SEM_BURST` spawned tasks
            /// on 6 workers, all joined.
            fn semaphore_burst_multi(g: &mut impl Sink, permits: usize) {
                let rt = rt::runtime::Builder::new_multi_thread().worker_threads(6).build().unwrap();
                let sem = Arc::new(Semaphore::new(permits));
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        let tasks: Vec<_> = (0..SEM_BURST)
                            .map(|_| {
                                let sem = sem.clone();
                                rt::spawn(async move { drop(black_box(sem.acquire().await.unwrap())) })
                            })
                            .collect();
                        for task in tasks {
                            task.await.unwrap();
                        }
                    })
                });
            }

            /// The same as `SEM_BURST` futures joined in the `block_on`
            /// future of a current-thread runtime.
            fn semaphore_burst_current(g: &mut impl Sink, permits: usize) {
                let rt = rt::runtime::Builder::new_current_thread().build().unwrap();
                let sem = Semaphore::new(permits);
                g.iteration(NAME, move || {
                    let one = || async { drop(black_box(sem.acquire().await.unwrap())) };
                    rt.block_on(async { rt::join!(one(), one(), one(), one(), one(), one()) });
                });
            }

            pub fn sync_semaphore_burst_uncontended_multi(g: &mut impl Sink) {
                semaphore_burst_multi(g, 10);
            }

            pub fn sync_semaphore_burst_uncontended_current(g: &mut impl Sink) {
                semaphore_burst_current(g, 10);
            }

            pub fn sync_semaphore_burst_contended_multi(g: &mut impl Sink) {
                semaphore_burst_multi(g, 5);
            }

            pub fn sync_semaphore_burst_contended_current(g: &mut impl Sink) {
                semaphore_burst_current(g, 5);
            }

            const WAITERS: usize = 10;

            /// A waiter task's body: counts its wake-ups on `n` forever.
            async fn count_wakeups(n: Arc<Notify>, count: Arc<AtomicUsize>) {
                loop {
                    n.notified().await;
                    count.fetch_add(1, Relaxed);
                }
            }

            /// A multi-thread runtime with ten waiter tasks that count their
            /// wake-ups; returns it, the `Notify` and the count.
            fn notify_waiters_counting() -> (rt::runtime::Runtime, Arc<Notify>, Arc<AtomicUsize>) {
                let rt = multi_thread();
                let n = Arc::new(Notify::new());
                let count = Arc::new(AtomicUsize::new(0));
                for _ in 0..WAITERS {
                    rt.spawn(count_wakeups(n.clone(), count.clone()));
                }
                (rt, n, count)
            }

            /// `notify` is called (with a yield in between) inside `block_on`
            /// until `WAKEUPS` wake-ups have been counted.
            fn notify_loop(g: &mut impl Sink, notify: fn(&Notify)) {
                let (rt, n, count) = notify_waiters_counting();
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        count.store(0, Relaxed);
                        while count.load(Relaxed) < WAKEUPS {
                            notify(&n);
                            rt::task::yield_now().await;
                        }
                    })
                });
            }

            /// tokio's `benches/sync_notify.rs` loop: the bench thread calls
            /// `notify`, outside any runtime, then checks whether
            /// `SPIN_WAKEUPS` wake-ups have been counted.
            fn spin_until_counted(n: &Notify, count: &AtomicUsize, notify: fn(&Notify)) {
                count.store(0, Relaxed);
                loop {
                    notify(n);
                    if count.load(Relaxed) >= SPIN_WAKEUPS {
                        break;
                    }
                }
            }

            /// Runs tokio's notify loop against `waiters` counting tasks,
            /// which `spawn_waiter` starts on `rt` (kept alive by the loop).
            fn spin_bench<R: 'static>(
                g: &mut impl Sink,
                rt: R,
                spawn_waiter: impl Fn(&R, Arc<Notify>, Arc<AtomicUsize>),
                waiters: usize,
                notify: fn(&Notify),
            ) {
                let n = Arc::new(Notify::new());
                let count = Arc::new(AtomicUsize::new(0));
                for _ in 0..waiters {
                    spawn_waiter(&rt, n.clone(), count.clone());
                }
                g.iteration(NAME, move || {
                    let _rt = &rt;
                    spin_until_counted(&n, &count, notify);
                });
            }

            /// `spin_bench` on this module's runtime, with tokio's bench
            /// set-up (`SPIN_WORKERS` workers).
            fn spin_own(g: &mut impl Sink, waiters: usize, notify: fn(&Notify)) {
                let rt = rt::runtime::Builder::new_multi_thread().worker_threads(SPIN_WORKERS).build().unwrap();
                spin_bench(g, rt, |rt, n, c| drop(rt.spawn(count_wakeups(n, c))), waiters, notify);
            }

            pub fn sync_notify_one_10_spin(g: &mut impl Sink) {
                spin_own(g, 10, Notify::notify_one);
            }
            pub fn sync_notify_one_50_spin(g: &mut impl Sink) {
                spin_own(g, 50, Notify::notify_one);
            }
            pub fn sync_notify_one_100_spin(g: &mut impl Sink) {
                spin_own(g, 100, Notify::notify_one);
            }
            pub fn sync_notify_one_200_spin(g: &mut impl Sink) {
                spin_own(g, 200, Notify::notify_one);
            }
            pub fn sync_notify_one_500_spin(g: &mut impl Sink) {
                spin_own(g, 500, Notify::notify_one);
            }
            pub fn sync_notify_waiters_10_spin(g: &mut impl Sink) {
                spin_own(g, 10, Notify::notify_waiters);
            }
            pub fn sync_notify_waiters_50_spin(g: &mut impl Sink) {
                spin_own(g, 50, Notify::notify_waiters);
            }
            pub fn sync_notify_waiters_100_spin(g: &mut impl Sink) {
                spin_own(g, 100, Notify::notify_waiters);
            }
            pub fn sync_notify_waiters_200_spin(g: &mut impl Sink) {
                spin_own(g, 200, Notify::notify_waiters);
            }
            pub fn sync_notify_waiters_500_spin(g: &mut impl Sink) {
                spin_own(g, 500, Notify::notify_waiters);
            }

            /// `sync_notify_one_10_spin` with the waiters on tokio's runtime
            /// on both sides: only the `Notify` differs (heddle's against
            /// tokio's), not the scheduler that wakes the waiters.
            pub fn sync_notify_one_10_spin_tokio_rt(g: &mut impl Sink) {
                let rt = ::tokio::runtime::Builder::new_multi_thread().worker_threads(SPIN_WORKERS).build().unwrap();
                spin_bench(g, rt, |rt, n, c| drop(rt.spawn(count_wakeups(n, c))), 10, Notify::notify_one);
            }

            /// The same with the waiters on heddle's runtime on both sides.
            pub fn sync_notify_one_10_spin_heddle_rt(g: &mut impl Sink) {
                let rt = ::heddle::runtime::Builder::new_multi_thread().worker_threads(SPIN_WORKERS).build().unwrap();
                spin_bench(g, rt, |rt, n, c| drop(rt.spawn(count_wakeups(n, c))), 10, Notify::notify_one);
            }

            pub fn sync_notify_one_10(g: &mut impl Sink) {
                notify_loop(g, Notify::notify_one);
            }

            pub fn sync_notify_waiters_10(g: &mut impl Sink) {
                notify_loop(g, Notify::notify_waiters);
            }

            pub fn blocking_spawn_many(g: &mut impl Sink) {
                let rt = multi_thread();
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        let handles: Vec<_> =
                            (0..BLOCKING_JOBS).map(|i| rt::task::spawn_blocking(move || black_box(i))).collect();
                        for (i, h) in handles.into_iter().enumerate() {
                            assert_eq!(h.await.unwrap(), i);
                        }
                    })
                });
            }

            pub fn blocking_spawn_one_current(g: &mut impl Sink) {
                let rt = current_thread();
                g.iteration(NAME, move || {
                    rt.block_on(async { rt::task::spawn_blocking(|| black_box(1)).await.unwrap() })
                });
            }

            /// `tasks` tasks, each awaiting `BLOCKING_BATCHES` batches of
            /// `BLOCKING_BATCH` jobs in turn.
            fn blocking_concurrency(g: &mut impl Sink, tasks: usize) {
                let rt = rt::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        let mut all = rt::task::JoinSet::new();
                        for _ in 0..tasks {
                            all.spawn(async {
                                for _ in 0..BLOCKING_BATCHES {
                                    let mut batch = rt::task::JoinSet::new();
                                    for i in 0..BLOCKING_BATCH {
                                        batch.spawn_blocking(move || black_box(i));
                                    }
                                    let done = batch.join_all().await;
                                    assert_eq!(done.len(), BLOCKING_BATCH);
                                }
                            });
                        }
                        all.join_all().await;
                    })
                });
            }

            pub fn blocking_concurrency_1(g: &mut impl Sink) {
                blocking_concurrency(g, 1);
            }

            pub fn blocking_concurrency_2(g: &mut impl Sink) {
                blocking_concurrency(g, 2.min(std::thread::available_parallelism().map_or(1, |n| n.get())));
            }

            pub fn sync_timeout_ready(g: &mut impl Sink) {
                let rt = current_thread();
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        for i in 0..TIMEOUTS {
                            let v = rt::time::timeout(Duration::from_secs(1), async { i }).await.unwrap();
                            black_box(v);
                        }
                    })
                });
            }

            /// `sync_timeout_ready` split over 8 tasks on 8 workers.
            pub fn sync_timeout_ready_multi_8(g: &mut impl Sink) {
                let rt = rt::runtime::Builder::new_multi_thread().worker_threads(8).enable_all().build().unwrap();
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        let tasks: Vec<_> = (0..8)
                            .map(|_| {
                                rt::spawn(async {
                                    for i in 0..TIMEOUTS / 8 {
                                        let v = rt::time::timeout(Duration::from_secs(1), async { i }).await.unwrap();
                                        black_box(v);
                                    }
                                })
                            })
                            .collect();
                        for task in tasks {
                            task.await.unwrap();
                        }
                    })
                });
            }

            pub fn sync_timeout_elapsed(g: &mut impl Sink) {
                let rt = multi_thread();
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        let handles: Vec<_> = (0..ELAPSED_TASKS)
                            .map(|_| {
                                rt::spawn(rt::time::timeout(Duration::from_millis(1), std::future::pending::<()>()))
                            })
                            .collect();
                        for h in handles {
                            assert!(h.await.unwrap().is_err());
                        }
                    })
                });
            }

            pub fn io_copy_mem_to_sink(g: &mut impl Sink) {
                let rt = current_thread();
                let data = vec![7u8; COPY_BYTES];
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        let mut src: &[u8] = &data;
                        let n = rt::io::copy(&mut src, &mut rt::io::sink()).await.unwrap();
                        assert_eq!(n as usize, COPY_BYTES);
                    })
                });
            }

            pub fn io_copy_duplex(g: &mut impl Sink) {
                let rt = multi_thread();
                let data: Arc<[u8]> = vec![7u8; COPY_BYTES].into();
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        let (mut w, mut r) = rt::io::duplex(16 * 1024);
                        let data = data.clone();
                        let writer = rt::spawn(async move {
                            let mut src: &[u8] = &data;
                            rt::io::copy(&mut src, &mut w).await.unwrap()
                        });
                        let n = rt::io::copy(&mut r, &mut rt::io::sink()).await.unwrap();
                        assert_eq!(writer.await.unwrap(), n);
                        assert_eq!(n as usize, COPY_BYTES);
                    })
                });
            }
        }
    };
}

workloads!(heddle);
workloads!(tokio);

support::paired_groups!(
    sync:
    sync_mpsc_bounded_uncontended,
    sync_mpsc_bounded_contended,
    sync_mpsc_bounded_full,
    sync_mpsc_unbounded_uncontended,
    sync_mpsc_unbounded_contended,
    sync_mpsc_oneshot_current,
    sync_mpsc_oneshot_multi,
    sync_semaphore_uncontended,
    sync_semaphore_contended_multi,
    sync_semaphore_contended_current,
    sync_semaphore_burst_uncontended_multi,
    sync_semaphore_burst_uncontended_current,
    sync_semaphore_burst_contended_multi,
    sync_semaphore_burst_contended_current,
    sync_notify_one_10,
    sync_notify_waiters_10,
    sync_notify_one_10_spin,
    sync_notify_one_50_spin,
    sync_notify_one_100_spin,
    sync_notify_one_200_spin,
    sync_notify_one_500_spin,
    sync_notify_waiters_10_spin,
    sync_notify_waiters_50_spin,
    sync_notify_waiters_100_spin,
    sync_notify_waiters_200_spin,
    sync_notify_waiters_500_spin,
    sync_notify_one_10_spin_tokio_rt,
    sync_notify_one_10_spin_heddle_rt,
    blocking_spawn_many,
    blocking_spawn_one_current,
    blocking_concurrency_1,
    blocking_concurrency_2,
    sync_timeout_ready,
    sync_timeout_ready_multi_8,
    sync_timeout_elapsed,
    io_copy_mem_to_sink,
    io_copy_duplex,
);

fn main() {
    support::main(PAIRED, sync);
}
