//! Timer micro-benchmarks on heddle and tokio, with the same code.
//!
//! * `sleep_insert_cancel`: create `N` `sleep(1 s)` futures, poll each once
//!   (which registers it with the timer), drop them all (which cancels
//!   them); current-thread runtime. Throughput is in sleeps.
//! * `sleep_insert_cancel_multi`: the same from 2 tasks on a 2-worker
//!   runtime, `N / 2` each.
//! * `sleep_create_drop`: create and drop a `sleep(1 s)` without polling it
//!   (tokio's `time_timeout` sleep bench).
//! * `timeout_immediate`: `timeout(1 s, f)` where `f` is ready at once
//!   (tokio's `time_timeout` timeout bench); current-thread runtime.
//!
//! Each is a criterion group with a `heddle` and a `tokio` function.

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};

/// Sleeps created per iteration of the insert/cancel benches.
const N: usize = 1_000;

macro_rules! workloads {
    ($runtime:ident) => {
        pub mod $runtime {
            use std::hint::black_box;
            use std::pin::Pin;
            use std::time::{Duration, Instant};

            use criterion::measurement::WallTime;
            use criterion::BenchmarkGroup;

            use super::N;
            use ::$runtime as rt;

            const NAME: &str = stringify!($runtime);
            const SECOND: Duration = Duration::from_secs(1);

            fn current_thread() -> rt::runtime::Runtime {
                rt::runtime::Builder::new_current_thread().enable_all().build().unwrap()
            }

            /// Creates `n` one-second sleeps, polls each once, drops them.
            async fn insert_cancel(n: usize) {
                let mut sleeps: Vec<Pin<Box<_>>> = (0..n).map(|_| Box::pin(rt::time::sleep(SECOND))).collect();
                for sleep in sleeps.iter_mut() {
                    assert!(futures::poll!(sleep.as_mut()).is_pending());
                }
                drop(black_box(sleeps));
            }

            pub fn sleep_insert_cancel(g: &mut BenchmarkGroup<'_, WallTime>) {
                let rt = current_thread();
                g.bench_function(NAME, |b| b.iter(|| rt.block_on(insert_cancel(N))));
            }

            pub fn sleep_insert_cancel_multi(g: &mut BenchmarkGroup<'_, WallTime>) {
                let rt = rt::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
                g.bench_function(NAME, |b| {
                    b.iter(|| {
                        rt.block_on(async {
                            let a = rt::spawn(insert_cancel(N / 2));
                            let b = rt::spawn(insert_cancel(N / 2));
                            a.await.unwrap();
                            b.await.unwrap();
                        })
                    })
                });
            }

            pub fn sleep_create_drop(g: &mut BenchmarkGroup<'_, WallTime>) {
                let rt = current_thread();
                g.bench_function(NAME, |b| {
                    b.iter_custom(|iters| {
                        rt.block_on(async {
                            let start = Instant::now();
                            for _ in 0..iters {
                                drop(black_box(rt::time::sleep(SECOND)));
                            }
                            start.elapsed()
                        })
                    })
                });
            }

            pub fn timeout_immediate(g: &mut BenchmarkGroup<'_, WallTime>) {
                let rt = current_thread();
                g.bench_function(NAME, |b| {
                    b.iter_custom(|iters| {
                        rt.block_on(async {
                            let start = Instant::now();
                            for _ in 0..iters {
                                let v = rt::time::timeout(SECOND, async { black_box(1) }).await;
                                assert_eq!(v.unwrap(), 1);
                            }
                            start.elapsed()
                        })
                    })
                });
            }
        }
    };
}

workloads!(heddle);
workloads!(tokio);

macro_rules! groups {
    ($($workload:ident: $throughput:expr),* $(,)?) => {
        $(
            fn $workload(c: &mut Criterion) {
                let mut g: BenchmarkGroup<'_, WallTime> = c.benchmark_group(stringify!($workload));
                if let Some(elements) = $throughput {
                    g.throughput(Throughput::Elements(elements));
                }
                self::heddle::$workload(&mut g);
                self::tokio::$workload(&mut g);
                g.finish();
            }
        )*
        criterion_group!(timer, $($workload),*);
    };
}

groups!(
    sleep_insert_cancel: Some(N as u64),
    sleep_insert_cancel_multi: Some(N as u64),
    sleep_create_drop: None::<u64>,
    timeout_immediate: None::<u64>,
);

criterion_main!(timer);
