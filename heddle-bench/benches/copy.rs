//! `io::copy` benchmarks on heddle and tokio, with the same code: the four
//! workloads of tokio's `benches/copy.rs` (written afresh here, not
//! copied). Each copies `SOURCE_BYTES` on a current-thread runtime with
//! timers enabled:
//!
//! * `copy_mem_to_mem`: from `io::repeat(0)` into a `Vec`: the copy loop
//!   and its buffer alone.
//! * `copy_mem_to_slow_disk`: from `io::repeat(0)` into a [`SlowDisk`], a
//!   writer that takes `DISK_BUFFER` bytes per `DISK_PERIOD` and sometimes
//!   stalls until its next period: the copy's back-pressure handling, and
//!   how closely the runtime's `interval` keeps its period.
//! * `copy_chunks_to_mem`: from a [`ChunkSource`], which offers `CHUNK`
//!   bytes per `CHUNK_PERIOD` (bursting to catch up when polled late), into
//!   a `Vec`: mostly the timer's precision (128 ticks of 1 ms).
//! * `copy_chunks_to_slow_disk`: both of the above.
//!
//! The last three take ~130 ms an iteration, almost all of it spent
//! waiting for ticks: a ratio below 1 there means ticks that come closer
//! to their deadlines, not a faster copy loop. Run with `-- --paired
//! [FILTER]` for the alternating paired runner (see `support/mod.rs`).

mod support;

/// Bytes copied per iteration.
const SOURCE_BYTES: u64 = 256 * 1024;
/// What a [`ChunkSource`] offers per tick, and how often it ticks.
const CHUNK: usize = 2 * 1024;
const CHUNK_PERIOD: std::time::Duration = std::time::Duration::from_millis(1);
/// A [`SlowDisk`]'s buffer, drained once per period.
const DISK_BUFFER: usize = 40 * 1024;
const DISK_PERIOD: std::time::Duration = std::time::Duration::from_millis(20);
/// How often (per 1,000 writes that find the period not yet over) a
/// [`SlowDisk`] stalls the writer until the next drain though its buffer
/// has room: another writer took the space.
const STALL_PER_MILLE: u64 = 100;

/// A fixed-seed xorshift generator, so both runtimes see the same stalls.
struct Stalls(u64);

impl Stalls {
    fn new() -> Stalls {
        Stalls(0x9E37_79B9_7F4A_7C15)
    }

    fn next_stalls(&mut self) -> bool {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % 1000 < STALL_PER_MILLE
    }
}

macro_rules! workloads {
    ($runtime:ident) => {
        pub mod $runtime {
            use std::io;
            use std::pin::Pin;
            use std::task::{Context, Poll};

            use rt::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
            use rt::time::{interval, Interval, MissedTickBehavior};

            use super::*;
            use crate::support::Sink;
            use ::$runtime as rt;

            const NAME: &str = stringify!($runtime);

            fn runtime() -> rt::runtime::Runtime {
                rt::runtime::Builder::new_current_thread().enable_time().build().unwrap()
            }

            /// A writer like a busy disk: it accepts up to `DISK_BUFFER`
            /// bytes, then nothing until its next period drains the
            /// buffer; between drains it sometimes stalls the writer anyway.
            struct SlowDisk {
                drains: Interval,
                stalls: Stalls,
                buffered: usize,
            }

            impl SlowDisk {
                fn new() -> SlowDisk {
                    let mut drains = interval(DISK_PERIOD);
                    drains.set_missed_tick_behavior(MissedTickBehavior::Delay);
                    SlowDisk { drains, stalls: Stalls::new(), buffered: 0 }
                }

                /// Ready (and the buffer empty) if a drain is due; else
                /// pending, with the waker registered for the next one.
                fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                    let due = self.drains.poll_tick(cx).is_ready();
                    if due {
                        self.buffered = 0;
                        Poll::Ready(Ok(()))
                    } else {
                        Poll::Pending
                    }
                }
            }

            impl AsyncWrite for SlowDisk {
                fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                    let drained = self.poll_drain(cx).is_ready();
                    if !drained && self.stalls.next_stalls() {
                        return Poll::Pending;
                    }
                    let room = DISK_BUFFER - self.buffered;
                    if room == 0 {
                        // Full and no drain due: poll_drain registered the
                        // waker for the next one.
                        return Poll::Pending;
                    }
                    let n = room.min(buf.len());
                    self.buffered += n;
                    Poll::Ready(Ok(n))
                }

                fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                    self.poll_drain(cx)
                }

                fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                    self.poll_drain(cx)
                }
            }

            /// A reader like a slow link: one `CHUNK` per tick of
            /// `CHUNK_PERIOD`, and the ticks missed while nobody read come
            /// in a burst.
            struct ChunkSource {
                ticks: Interval,
                chunk: Vec<u8>,
            }

            impl ChunkSource {
                fn new() -> ChunkSource {
                    let mut ticks = interval(CHUNK_PERIOD);
                    ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
                    ChunkSource { ticks, chunk: vec![0; CHUNK] }
                }
            }

            impl AsyncRead for ChunkSource {
                fn poll_read(
                    mut self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    buf: &mut ReadBuf<'_>,
                ) -> Poll<io::Result<()>> {
                    if self.ticks.poll_tick(cx).is_pending() {
                        return Poll::Pending;
                    }
                    let n = buf.remaining().min(CHUNK);
                    buf.put_slice(&self.chunk[..n]);
                    Poll::Ready(Ok(()))
                }
            }

            /// Copies `SOURCE_BYTES` of a new `source()` into a new `dest()`.
            fn copy_each<R, W>(g: &mut impl Sink, source: fn() -> R, dest: fn() -> W)
            where
                R: AsyncRead + Unpin + 'static,
                W: AsyncWrite + Unpin + 'static,
            {
                let rt = runtime();
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        let (mut from, mut to) = (source().take(SOURCE_BYTES), dest());
                        assert_eq!(rt::io::copy(&mut from, &mut to).await.unwrap(), SOURCE_BYTES);
                    })
                });
            }

            pub fn copy_mem_to_mem(g: &mut impl Sink) {
                copy_each(g, || rt::io::repeat(0), Vec::<u8>::new);
            }

            pub fn copy_mem_to_slow_disk(g: &mut impl Sink) {
                copy_each(g, || rt::io::repeat(0), SlowDisk::new);
            }

            pub fn copy_chunks_to_mem(g: &mut impl Sink) {
                copy_each(g, ChunkSource::new, Vec::<u8>::new);
            }

            pub fn copy_chunks_to_slow_disk(g: &mut impl Sink) {
                copy_each(g, ChunkSource::new, SlowDisk::new);
            }
        }
    };
}

workloads!(heddle);
workloads!(tokio);

support::paired_groups!(
    copy:
    copy_mem_to_mem,
    copy_mem_to_slow_disk,
    copy_chunks_to_mem,
    copy_chunks_to_slow_disk,
);

fn main() {
    support::main(PAIRED, copy);
}
