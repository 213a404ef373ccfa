//! The rest of tokio's `benches/sync_mpsc.rs` (written afresh here, not
//! copied) on heddle and tokio, with the same code; its plain send/recv
//! workloads are the `sync_mpsc_*` ones in `sync.rs`.
//!
//! * `mpsc_create_1`, `mpsc_create_100`, `mpsc_create_100000`: make and
//!   drop a bounded channel of `Medium` (512 bytes) with that capacity:
//!   what a channel costs before anything is sent.
//! * `mpsc_send_medium`, `mpsc_send_large`: a new 1,000-slot channel, one
//!   `Medium` or `Large` (32 KiB) value sent with one `block_on` and
//!   received with another: moving big values through the channel.
//! * `mpsc_recv_many_bounded_contended`, `..._bounded_full` (100 slots),
//!   `..._unbounded_contended`: `PRODUCERS` tasks send `PER_PRODUCER`
//!   values each; the receiver takes them with `recv_many` (up to all of
//!   them per call).
//! * `mpsc_recv_many_bounded_uncontended`, `..._unbounded_uncontended`:
//!   one task sends `PRODUCERS * PER_PRODUCER` values, then takes them
//!   with `recv_many`.
//!
//! A multi-thread runtime with 6 workers, as in tokio's bench. Run with
//! `-- --paired [FILTER]` for the alternating paired runner (see
//! `support/mod.rs`).

mod support;

/// Producer tasks, and values each sends, in the `recv_many` workloads.
const PRODUCERS: usize = 5;
const PER_PRODUCER: usize = 1_000;
const TOTAL: usize = PRODUCERS * PER_PRODUCER;

/// A 512-byte value.
#[derive(Clone, Copy)]
pub struct Medium(#[allow(dead_code)] [usize; 64]);

impl Default for Medium {
    fn default() -> Self {
        Medium([0; 64])
    }
}

/// A 32 KiB value.
#[derive(Clone, Copy)]
pub struct Large(#[allow(dead_code)] [Medium; 64]);

impl Default for Large {
    fn default() -> Self {
        Large([Medium::default(); 64])
    }
}

macro_rules! workloads {
    ($runtime:ident) => {
        pub mod $runtime {
            use std::hint::black_box;

            use rt::sync::mpsc;

            use super::*;
            use crate::support::Sink;
            use ::$runtime as rt;

            const NAME: &str = stringify!($runtime);

            fn runtime() -> rt::runtime::Runtime {
                rt::runtime::Builder::new_multi_thread().worker_threads(6).build().unwrap()
            }

            fn create(g: &mut impl Sink, capacity: usize) {
                g.iteration(NAME, move || {
                    black_box(&mpsc::channel::<Medium>(capacity));
                });
            }

            pub fn mpsc_create_1(g: &mut impl Sink) {
                create(g, 1);
            }

            pub fn mpsc_create_100(g: &mut impl Sink) {
                create(g, 100);
            }

            pub fn mpsc_create_100000(g: &mut impl Sink) {
                create(g, 100_000);
            }

            fn send_one<T: Default + Send + 'static>(g: &mut impl Sink) {
                let rt = runtime();
                g.iteration(NAME, move || {
                    let (tx, mut rx) = mpsc::channel::<T>(1_000);
                    assert!(rt.block_on(tx.send(T::default())).is_ok());
                    black_box(rt.block_on(rx.recv()).unwrap());
                });
            }

            pub fn mpsc_send_medium(g: &mut impl Sink) {
                send_one::<Medium>(g);
            }

            pub fn mpsc_send_large(g: &mut impl Sink) {
                send_one::<Large>(g);
            }

            /// Either kind of channel's sender and receiver, so that one
            /// workload body serves both.
            #[derive(Clone)]
            enum Tx {
                Bounded(mpsc::Sender<usize>),
                Unbounded(mpsc::UnboundedSender<usize>),
            }

            enum Rx {
                Bounded(mpsc::Receiver<usize>),
                Unbounded(mpsc::UnboundedReceiver<usize>),
            }

            /// A bounded channel with `capacity`, or an unbounded one.
            fn channel(capacity: Option<usize>) -> (Tx, Rx) {
                match capacity {
                    Some(capacity) => {
                        let (tx, rx) = mpsc::channel(capacity);
                        (Tx::Bounded(tx), Rx::Bounded(rx))
                    }
                    None => {
                        let (tx, rx) = mpsc::unbounded_channel();
                        (Tx::Unbounded(tx), Rx::Unbounded(rx))
                    }
                }
            }

            impl Tx {
                /// Sends `0..n`.
                async fn send_all(&self, n: usize) {
                    for i in 0..n {
                        match self {
                            Tx::Bounded(tx) => tx.send(i).await.unwrap(),
                            Tx::Unbounded(tx) => tx.send(i).unwrap(),
                        }
                    }
                }
            }

            impl Rx {
                /// Takes `TOTAL` values with `recv_many`.
                async fn recv_all_many(mut self) {
                    let mut buffer = Vec::with_capacity(TOTAL);
                    let mut total = 0;
                    while total < TOTAL {
                        let n = match &mut self {
                            Rx::Bounded(rx) => rx.recv_many(&mut buffer, TOTAL).await,
                            Rx::Unbounded(rx) => rx.recv_many(&mut buffer, TOTAL).await,
                        };
                        assert!(n > 0, "a sender is still alive");
                        total += n;
                    }
                    assert_eq!(buffer.len(), TOTAL);
                }
            }

            /// `PRODUCERS` tasks send while the receiver takes.
            fn contended(g: &mut impl Sink, capacity: Option<usize>) {
                let rt = runtime();
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        let (tx, rx) = channel(capacity);
                        for _ in 0..PRODUCERS {
                            let tx = tx.clone();
                            rt::spawn(async move { tx.send_all(PER_PRODUCER).await });
                        }
                        rx.recv_all_many().await;
                    })
                });
            }

            /// One task sends everything, then takes it.
            fn uncontended(g: &mut impl Sink, capacity: Option<usize>) {
                let rt = runtime();
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        let (tx, rx) = channel(capacity);
                        tx.send_all(TOTAL).await;
                        rx.recv_all_many().await;
                    })
                });
            }

            pub fn mpsc_recv_many_bounded_contended(g: &mut impl Sink) {
                contended(g, Some(1_000_000));
            }

            pub fn mpsc_recv_many_bounded_full(g: &mut impl Sink) {
                contended(g, Some(100));
            }

            pub fn mpsc_recv_many_unbounded_contended(g: &mut impl Sink) {
                contended(g, None);
            }

            pub fn mpsc_recv_many_bounded_uncontended(g: &mut impl Sink) {
                uncontended(g, Some(1_000_000));
            }

            pub fn mpsc_recv_many_unbounded_uncontended(g: &mut impl Sink) {
                uncontended(g, None);
            }
        }
    };
}

workloads!(heddle);
workloads!(tokio);

support::paired_groups!(
    mpsc:
    mpsc_create_1,
    mpsc_create_100,
    mpsc_create_100000,
    mpsc_send_medium,
    mpsc_send_large,
    mpsc_recv_many_bounded_contended,
    mpsc_recv_many_bounded_full,
    mpsc_recv_many_unbounded_contended,
    mpsc_recv_many_bounded_uncontended,
    mpsc_recv_many_unbounded_uncontended,
);

fn main() {
    support::main(PAIRED, mpsc);
}
