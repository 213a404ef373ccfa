//! Scheduler micro-benchmarks: the workloads of tokio's
//! `benches/rt_multi_threaded.rs` and `benches/spawn.rs`, run on heddle and
//! on tokio with the same code.
//!
//! Each workload is one criterion group (`spawn_many_local`, ...) with two
//! functions, `heddle` and `tokio`. The code is written once, in the
//! `workloads!` macro, against a crate alias `rt`; the macro is expanded once
//! per runtime. Signalling outside the runtime uses only runtime-neutral
//! primitives (`std::sync::mpsc`, `futures::channel::oneshot`).
//!
//! Multi-thread workloads use 4 workers like tokio's benches
//! (`HEDDLE_BENCH_WORKERS` overrides; this machine has 2 cores).
//!
//! A workload hands its per-iteration closure to a `support::Sink`: a
//! criterion group by default, or the paired runner with `-- --paired
//! [FILTER]`, which alternates ~30 ms batches of the two runtimes (see
//! `support/mod.rs` for why).

use std::time::{Duration, Instant};

mod support;

/// Tasks spawned per iteration by the `spawn_many_*` workloads.
const NUM_SPAWN: usize = 10_000;
/// How long a "busy" task keeps its worker between yields or spawns.
const STALL: Duration = Duration::from_micros(10);

use heddle_bench::bench_workers as num_workers;

/// Burns `STALL` of CPU time, yielding the thread to the OS in between.
fn stall() {
    let now = Instant::now();
    while now.elapsed() < STALL {
        std::thread::yield_now();
    }
}

macro_rules! workloads {
    ($runtime:ident) => {
        pub mod $runtime {
            use std::hint::black_box;
            use std::sync::atomic::Ordering::Relaxed;
            use std::sync::atomic::{AtomicBool, AtomicUsize};
            use std::sync::{mpsc, Arc};

            use crate::support::Sink;
            use futures::channel::oneshot;

            use super::{num_workers, stall, NUM_SPAWN};
            use ::$runtime as rt;

            const NAME: &str = stringify!($runtime);

            fn multi_thread() -> rt::runtime::Runtime {
                rt::runtime::Builder::new_multi_thread().worker_threads(num_workers()).enable_all().build().unwrap()
            }

            fn current_thread() -> rt::runtime::Runtime {
                rt::runtime::Builder::new_current_thread().enable_all().build().unwrap()
            }

            /// One iteration of the `spawn_many_remote_*` workloads: `n` empty
            /// tasks spawned from outside the runtime, then awaited.
            fn spawn_remote_and_join(rt: &rt::runtime::Runtime, handles: &mut Vec<rt::task::JoinHandle<()>>, n: usize) {
                for _ in 0..n {
                    handles.push(rt.spawn(async {}));
                }
                rt.block_on(async {
                    for handle in handles.drain(..) {
                        handle.await.unwrap();
                    }
                });
            }

            /// `NUM_SPAWN` tasks spawned from inside the runtime.
            pub fn spawn_many_local(g: &mut impl Sink) {
                let rt = multi_thread();
                let (tx, rx) = mpsc::sync_channel(1000);
                let rem = Arc::new(AtomicUsize::new(0));
                g.iteration(NAME, move || {
                    rem.store(NUM_SPAWN, Relaxed);
                    rt.block_on(async {
                        for _ in 0..NUM_SPAWN {
                            let tx = tx.clone();
                            let rem = rem.clone();
                            rt::spawn(async move {
                                if 1 == rem.fetch_sub(1, Relaxed) {
                                    tx.send(()).unwrap();
                                }
                            });
                        }
                        rx.recv().unwrap();
                    });
                });
            }

            /// `NUM_SPAWN` empty tasks spawned from outside an idle runtime,
            /// then awaited.
            pub fn spawn_many_remote_idle(g: &mut impl Sink) {
                let rt = multi_thread();
                let mut handles = Vec::with_capacity(NUM_SPAWN);
                g.iteration(NAME, move || spawn_remote_and_join(&rt, &mut handles, NUM_SPAWN));
            }

            /// As `spawn_many_remote_idle`, while every worker is kept busy
            /// by tasks that burn CPU and yield.
            pub fn spawn_many_remote_busy1(g: &mut impl Sink) {
                let rt = multi_thread();
                let mut handles = Vec::with_capacity(NUM_SPAWN);
                let flag = Arc::new(AtomicBool::new(true));
                for _ in 0..2 * num_workers() {
                    let flag = flag.clone();
                    rt.spawn(async move {
                        while flag.load(Relaxed) {
                            rt::task::yield_now().await;
                            stall();
                        }
                    });
                }
                g.iteration(NAME, move || spawn_remote_and_join(&rt, &mut handles, NUM_SPAWN));
                flag.store(false, Relaxed);
            }

            /// 1,000 empty tasks spawned from outside while every worker is
            /// kept busy by tasks that burn CPU and spawn their successor.
            pub fn spawn_many_remote_busy2(g: &mut impl Sink) {
                const NUM_SPAWN: usize = 1_000;
                fn busy(flag: Arc<AtomicBool>) {
                    rt::spawn(async {
                        if flag.load(Relaxed) {
                            stall();
                            busy(flag);
                        }
                    });
                }
                let rt = multi_thread();
                let mut handles = Vec::with_capacity(NUM_SPAWN);
                let flag = Arc::new(AtomicBool::new(true));
                for _ in 0..num_workers() {
                    let flag = flag.clone();
                    rt.spawn(async { busy(flag) });
                }
                g.iteration(NAME, move || spawn_remote_and_join(&rt, &mut handles, NUM_SPAWN));
                flag.store(false, Relaxed);
            }

            /// 200 tasks that each yield 1,000 times.
            pub fn yield_many(g: &mut impl Sink) {
                const NUM_YIELD: usize = 1_000;
                const TASKS: usize = 200;
                let rt = multi_thread();
                let (tx, rx) = mpsc::sync_channel(TASKS);
                g.iteration(NAME, move || {
                    for _ in 0..TASKS {
                        let tx = tx.clone();
                        rt.spawn(async move {
                            for _ in 0..NUM_YIELD {
                                rt::task::yield_now().await;
                            }
                            tx.send(()).unwrap();
                        });
                    }
                    for _ in 0..TASKS {
                        rx.recv().unwrap();
                    }
                });
            }

            /// 1,000 pairs of tasks that pass a message there and back.
            pub fn ping_pong(g: &mut impl Sink) {
                const NUM_PINGS: usize = 1_000;
                let rt = multi_thread();
                let (done_tx, done_rx) = mpsc::sync_channel(1000);
                let rem = Arc::new(AtomicUsize::new(0));
                g.iteration(NAME, move || {
                    let done_tx = done_tx.clone();
                    let rem = rem.clone();
                    rem.store(NUM_PINGS, Relaxed);
                    rt.block_on(async {
                        rt::spawn(async move {
                            for _ in 0..NUM_PINGS {
                                let rem = rem.clone();
                                let done_tx = done_tx.clone();
                                rt::spawn(async move {
                                    let (tx1, rx1) = oneshot::channel();
                                    let (tx2, rx2) = oneshot::channel();
                                    rt::spawn(async move {
                                        rx1.await.unwrap();
                                        tx2.send(()).unwrap();
                                    });
                                    tx1.send(()).unwrap();
                                    rx2.await.unwrap();
                                    if 1 == rem.fetch_sub(1, Relaxed) {
                                        done_tx.send(()).unwrap();
                                    }
                                });
                            }
                        });
                        done_rx.recv().unwrap();
                    });
                });
            }

            /// A chain of 1,000 tasks, each spawning the next.
            pub fn chained_spawn(g: &mut impl Sink) {
                const ITER: usize = 1_000;
                fn chain(done_tx: mpsc::SyncSender<()>, n: usize) {
                    if n == 0 {
                        done_tx.send(()).unwrap();
                    } else {
                        rt::spawn(async move { chain(done_tx, n - 1) });
                    }
                }
                let rt = multi_thread();
                let (done_tx, done_rx) = mpsc::sync_channel(1000);
                g.iteration(NAME, move || {
                    let done_tx = done_tx.clone();
                    rt.block_on(async {
                        rt::spawn(async move { chain(done_tx, ITER) });
                        done_rx.recv().unwrap();
                    });
                });
            }

            async fn work() -> usize {
                let val = 1 + 1;
                rt::task::yield_now().await;
                black_box(val)
            }

            /// One task spawned and awaited on a current-thread runtime.
            pub fn current_thread_spawn(g: &mut impl Sink) {
                let rt = current_thread();
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        let h = rt::spawn(work());
                        assert_eq!(h.await.unwrap(), 2);
                    });
                });
            }

            /// Ten tasks spawned, then awaited, on a current-thread runtime.
            pub fn current_thread_spawn10(g: &mut impl Sink) {
                let rt = current_thread();
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        let mut handles = Vec::with_capacity(10);
                        for _ in 0..10 {
                            handles.push(rt::spawn(work()));
                        }
                        for handle in handles {
                            assert_eq!(handle.await.unwrap(), 2);
                        }
                    });
                });
            }
        }
    };
}

workloads!(heddle);
workloads!(tokio);

support::paired_groups!(
    rt:
    spawn_many_local,
    spawn_many_remote_idle,
    spawn_many_remote_busy1,
    spawn_many_remote_busy2,
    yield_many,
    ping_pong,
    chained_spawn,
    current_thread_spawn,
    current_thread_spawn10,
);

fn main() {
    support::main(PAIRED, rt);
}
