//! heddle's in-memory streams (`empty`, `repeat`, `sink`, `duplex`,
//! `simplex`) spend the task's cooperative budget: a loop over one that is
//! always ready still yields, so timers fire and other tasks on the same
//! worker run. Outside a runtime they behave like tokio's.
//!
//! A stream that never yields would hang the runtime thread itself (and
//! with it `support::run`'s timeout), so every test runs under
//! [`bounded`], a watchdog on a separate thread.

mod support;

use std::future::{poll_fn, Future};
use std::io::IoSlice;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use heddle::io::{
    self, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWrite, AsyncWriteExt, ReadBuf, SeekFrom,
    SimplexStream,
};
use heddle::runtime::{Builder, Runtime};

/// Runs `f` on a thread of its own and fails the test if it has not
/// finished within 30 s; a panic in `f` fails the test too.
fn bounded(f: impl FnOnce() + Send + 'static) {
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        f();
        let _ = done_tx.send(());
    });
    match done_rx.recv_timeout(Duration::from_secs(30)) {
        Ok(()) => thread.join().unwrap(),
        Err(RecvTimeoutError::Disconnected) => std::panic::resume_unwind(thread.join().unwrap_err()),
        Err(RecvTimeoutError::Timeout) => panic!("hung for 30 s: a task looping on an in-memory stream never yielded"),
    }
}

/// Polls `f` once, with a waker that does nothing, then drops it.
fn poll_once<F: Future>(f: F) -> Poll<F::Output> {
    let f = std::pin::pin!(f);
    f.poll(&mut Context::from_waker(futures::task::noop_waker_ref()))
}

fn current_thread() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

fn multi_thread() -> Runtime {
    Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[test]
fn timeout_fires_around_an_endless_empty_read_loop() {
    bounded(|| {
        for rt in support::runtimes() {
            support::run(&rt, async {
                let started = std::time::Instant::now();
                let spin = async {
                    let mut buf = [0u8; 32];
                    loop {
                        let _ = io::empty().read(&mut buf).await;
                    }
                };
                let res = heddle::time::timeout(Duration::from_millis(1), spin).await;
                assert!(res.is_err(), "the endless loop cannot finish");
                assert!(started.elapsed() >= Duration::from_millis(1));
            });
        }
    });
}

/// Spawns `hogs` tasks running `hog` (which loops until the flag is set,
/// counting its operations) and then one task that sets the flag. Returns
/// how many operations the hogs had made when that task first ran.
fn hogs_let_a_late_task_run<F, Fut>(rt: &Runtime, hogs: usize, hog: F) -> u64
where
    F: Fn(Arc<AtomicBool>, Arc<AtomicU64>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    support::run(rt, async {
        let stop = Arc::new(AtomicBool::new(false));
        let ops = Arc::new(AtomicU64::new(0));
        let handles: Vec<_> = (0..hogs).map(|_| heddle::spawn(hog(stop.clone(), ops.clone()))).collect();
        let (stop2, ops2) = (stop.clone(), ops.clone());
        let seen = heddle::spawn(async move {
            let seen = ops2.load(Ordering::SeqCst);
            stop2.store(true, Ordering::SeqCst);
            seen
        });
        for handle in handles {
            handle.await.unwrap();
        }
        seen.await.unwrap()
    })
}

/// An endless `sink().write` loop.
async fn sink_hog(stop: Arc<AtomicBool>, ops: Arc<AtomicU64>) {
    let mut sink = io::sink();
    while !stop.load(Ordering::SeqCst) {
        assert_eq!(sink.write(b"spin").await.unwrap(), 4);
        ops.fetch_add(1, Ordering::SeqCst);
    }
}

/// An endless `repeat().read` loop.
async fn repeat_hog(stop: Arc<AtomicBool>, ops: Arc<AtomicU64>) {
    let mut source = io::repeat(7);
    let mut buf = [0u8; 64];
    while !stop.load(Ordering::SeqCst) {
        assert_eq!(source.read(&mut buf).await.unwrap(), 64);
        assert_eq!(buf, [7u8; 64]);
        ops.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn endless_sink_write_loop_lets_another_task_run() {
    bounded(|| {
        // One thread: the flag-setting task can only run if the hog yields
        // part-way through its loop.
        let seen = hogs_let_a_late_task_run(&current_thread(), 1, sink_hog);
        assert!(seen > 0, "the hog must have run before yielding");
        // Two workers, four hogs: without yielding, both workers would be
        // stuck and the flag never set.
        hogs_let_a_late_task_run(&multi_thread(), 4, sink_hog);
    });
}

#[test]
fn endless_repeat_read_loop_lets_another_task_run() {
    bounded(|| {
        let seen = hogs_let_a_late_task_run(&current_thread(), 1, repeat_hog);
        assert!(seen > 0, "the hog must have run before yielding");
        hogs_let_a_late_task_run(&multi_thread(), 4, repeat_hog);
    });
}

#[test]
fn endless_duplex_loop_kept_ready_by_its_peer_lets_another_task_run() {
    bounded(|| {
        // Both ends in one task: each write makes the next read ready.
        let seen = hogs_let_a_late_task_run(&current_thread(), 1, |stop, ops| async move {
            let (mut a, mut b) = io::duplex(64);
            let mut buf = [0u8; 8];
            while !stop.load(Ordering::SeqCst) {
                a.write_all(b"ping").await.unwrap();
                b.read_exact(&mut buf[..4]).await.unwrap();
                assert_eq!(&buf[..4], b"ping");
                ops.fetch_add(1, Ordering::SeqCst);
            }
        });
        assert!(seen > 0, "the hog must have run before yielding");
    });
}

/// Counts how many times the wrapped future is polled.
struct CountPolls<F> {
    future: Pin<Box<F>>,
    polls: u64,
}

impl<F: Future> Future for CountPolls<F> {
    type Output = (F::Output, u64);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.polls += 1;
        let polled = self.future.as_mut().poll(cx);
        polled.map(|out| (out, self.polls))
    }
}

#[test]
fn copy_from_repeat_into_sink_lets_a_ticking_task_run() {
    const LEN: u64 = 64 << 20;
    bounded(|| {
        for (i, rt) in support::runtimes().into_iter().enumerate() {
            let (copied, polls, ticks_during) = support::run(&rt, async {
                let done = Arc::new(AtomicBool::new(false));
                let ticks = Arc::new(AtomicU64::new(0));
                let (done2, ticks2) = (done.clone(), ticks.clone());
                let ticker = heddle::spawn(async move {
                    while !done2.load(Ordering::SeqCst) {
                        ticks2.fetch_add(1, Ordering::SeqCst);
                        heddle::task::yield_now().await;
                    }
                });
                // Let the ticker start, so that it is waiting in the queue.
                heddle::task::yield_now().await;
                let (done3, ticks3) = (done.clone(), ticks.clone());
                let copy = heddle::spawn(async move {
                    let before = ticks3.load(Ordering::SeqCst);
                    let copy = async { io::copy(&mut io::repeat(b'x').take(LEN), &mut io::sink()).await.unwrap() };
                    let (copied, polls) = CountPolls { future: Box::pin(copy), polls: 0 }.await;
                    let during = ticks3.load(Ordering::SeqCst) - before;
                    done3.store(true, Ordering::SeqCst);
                    (copied, polls, during)
                });
                let out = copy.await.unwrap();
                ticker.await.unwrap();
                out
            });
            assert_eq!(copied, LEN);
            // The copy returned `Pending` (yielded) again and again: at
            // least once per MiB (with 8 KiB chunks and a 128-unit budget
            // it is about every 512 KiB).
            assert!(polls >= LEN >> 20, "runtime {i}: the copy yielded only {} times", polls - 1);
            // On the current-thread runtime the ticker shares the copy's
            // thread, so it can only tick if the copy yields. (On the
            // multi-thread one it may tick on the other worker, or, with
            // the OS descheduling that worker, not at all.)
            if i == 0 {
                assert!(ticks_during >= LEN >> 20, "only {ticks_during} ticks during a {LEN}-byte copy");
            }
        }
    });
}

#[test]
fn copies_between_plain_values_yield_too() {
    // A byte slice into a Vec: neither side is a heddle resource, so only
    // the copy functions' own budget check can make them yield.
    const LEN: usize = 16 << 20;
    bounded(|| {
        let rt = current_thread();
        let data: Arc<Vec<u8>> = Arc::new((0..LEN).map(|i| (i % 241) as u8).collect());
        let (plain, buffered) = support::run(&rt, async move {
            let mut results = Vec::new();
            for buffered in [false, true] {
                let data = data.clone();
                let copy = async move {
                    let mut out = Vec::with_capacity(LEN);
                    let mut reader: &[u8] = &data;
                    let n = if buffered {
                        io::copy_buf(&mut io::BufReader::new(reader), &mut out).await.unwrap()
                    } else {
                        io::copy(&mut reader, &mut out).await.unwrap()
                    };
                    assert_eq!(n as usize, LEN);
                    assert!(out == *data, "copied bytes differ");
                };
                let (_, polls) = CountPolls { future: Box::pin(copy), polls: 0 }.await;
                results.push(polls);
            }
            (results[0], results[1])
        });
        // 16 MiB in 8 KiB reads with a 128-unit budget: ~16 yields.
        assert!(plain >= 8, "io::copy yielded only {} times", plain - 1);
        assert!(buffered >= 8, "io::copy_buf yielded only {} times", buffered - 1);
    });
}

#[test]
fn a_copy_chunk_costs_one_unit_or_what_its_reader_and_writer_spend() {
    // 8 MiB in 8 KiB chunks = 1024 chunks; a poll has 128 units.
    const LEN: usize = 8 << 20;
    bounded(|| {
        let rt = current_thread();
        let yields = support::run(&rt, async {
            let data = vec![3u8; LEN];
            let mut yields = Vec::new();
            // Neither side spends budget: the copy's own unit per chunk.
            let mut out = Vec::with_capacity(LEN);
            let to_vec = async { io::copy(&mut &data[..], &mut out).await.unwrap() };
            yields.push(CountPolls { future: Box::pin(to_vec), polls: 0 }.await.1 - 1);
            // The sink spends one: the copy adds none of its own.
            let to_sink = async { io::copy(&mut &data[..], &mut io::sink()).await.unwrap() };
            yields.push(CountPolls { future: Box::pin(to_sink), polls: 0 }.await.1 - 1);
            // Both sides spend one: two units per chunk.
            let both = async { io::copy(&mut io::repeat(1).take(LEN as u64), &mut io::sink()).await.unwrap() };
            yields.push(CountPolls { future: Box::pin(both), polls: 0 }.await.1 - 1);
            yields
        });
        let [to_vec, to_sink, both] = yields[..] else { unreachable!() };
        assert!((6..=10).contains(&to_vec), "slice into Vec yielded {to_vec} times, not ~8");
        assert!((6..=10).contains(&to_sink), "slice into sink yielded {to_sink} times, not ~8");
        assert!((14..=18).contains(&both), "repeat into sink yielded {both} times, not ~16");
    });
}

#[test]
fn a_ready_stream_answers_pending_only_once_the_budget_is_spent() {
    bounded(|| {
        let rt = current_thread();
        support::run(&rt, async {
            // Counts the reads one task poll completes before the budget
            // runs out, after `warm_up` polls of a read that is not ready.
            async fn ready_reads_per_poll(warm_up: usize) -> usize {
                let (mut idle, _peer) = io::duplex(8);
                let mut empty = io::empty();
                let mut count = 0;
                poll_fn(|cx| {
                    let mut byte = [0u8; 1];
                    for _ in 0..warm_up {
                        let mut buf = ReadBuf::new(&mut byte);
                        assert!(Pin::new(&mut idle).poll_read(cx, &mut buf).is_pending());
                    }
                    for _ in 0..10_000 {
                        let mut buf = ReadBuf::new(&mut byte);
                        match Pin::new(&mut empty).poll_read(cx, &mut buf) {
                            Poll::Ready(res) => {
                                res.unwrap();
                                count += 1;
                            }
                            Poll::Pending => return Poll::Ready(()),
                        }
                    }
                    panic!("10,000 reads of `empty()` in one poll never yielded");
                })
                .await;
                count
            }
            let plain = ready_reads_per_poll(0).await;
            assert!(plain > 0);
            // Reads that found nothing gave their unit back.
            heddle::task::yield_now().await;
            assert_eq!(ready_reads_per_poll(1_000).await, plain);

            // Unconstrained, nothing ever yields.
            heddle::task::unconstrained(async {
                let mut empty = io::empty();
                for _ in 0..10_000 {
                    let mut buf = [0u8; 1];
                    assert!(poll_once(empty.read(&mut buf)).is_ready());
                }
            })
            .await;
        });
    });
}

/// Patterned bytes, so a lost, doubled or reordered byte shows.
fn pattern(len: usize, salt: u32) -> Vec<u8> {
    (0..len as u32).map(|i| (i.wrapping_mul(31).wrapping_add(salt) % 251) as u8).collect()
}

#[test]
fn duplex_carries_bytes_both_ways_between_two_tasks() {
    bounded(|| {
        for rt in support::runtimes() {
            support::run(&rt, async {
                let (mut client, mut server) = io::duplex(100);
                let up = pattern(300_000, 1);
                let down = pattern(200_000, 2);
                let (up2, down2) = (up.clone(), down.clone());
                // The server echoes nothing: it reads the whole upload while
                // writing its own download, both through 100-byte buffers.
                let server_task = heddle::spawn(async move {
                    let (mut rd, mut wr) = io::split(&mut server);
                    let write = async {
                        wr.write_all(&down2).await.unwrap();
                        wr.shutdown().await.unwrap();
                    };
                    let read = async {
                        let mut got = Vec::new();
                        rd.read_to_end(&mut got).await.unwrap();
                        got
                    };
                    let ((), got) = futures::join!(write, read);
                    got
                });
                let (mut rd, mut wr) = io::split(&mut client);
                let write = async {
                    // Vectored writes go through the budget check too.
                    let (a, b) = up2.split_at(up2.len() / 2);
                    let mut sent = 0;
                    while sent < up2.len() {
                        let bufs = if sent < a.len() {
                            [IoSlice::new(&a[sent..]), IoSlice::new(b)]
                        } else {
                            [IoSlice::new(&up2[sent..]), IoSlice::new(&[])]
                        };
                        sent += wr.write_vectored(&bufs).await.unwrap();
                    }
                    wr.shutdown().await.unwrap();
                };
                let read = async {
                    let mut got = Vec::new();
                    rd.read_to_end(&mut got).await.unwrap();
                    got
                };
                let ((), downloaded) = futures::join!(write, read);
                assert_eq!(downloaded, down);
                assert_eq!(server_task.await.unwrap(), up);
            });
        }
    });
}

#[test]
fn duplex_peer_drop_gives_eof_then_broken_pipe() {
    bounded(|| {
        for rt in support::runtimes() {
            support::run(&rt, async {
                let (mut a, mut b) = io::duplex(16);
                b.write_all(b"last").await.unwrap();
                drop(b);
                let mut got = Vec::new();
                a.read_to_end(&mut got).await.unwrap();
                assert_eq!(got, b"last");
                let err = a.write(b"x").await.unwrap_err();
                assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
            });
        }
    });
}

#[test]
fn simplex_carries_bytes_between_two_tasks() {
    bounded(|| {
        for rt in support::runtimes() {
            support::run(&rt, async {
                let (mut reader, mut writer) = io::simplex(37);
                let data = pattern(250_000, 3);
                let data2 = data.clone();
                let send = heddle::spawn(async move {
                    for chunk in data2.chunks(1000) {
                        writer.write_all(chunk).await.unwrap();
                    }
                    writer.shutdown().await.unwrap();
                    writer
                });
                let mut got = Vec::new();
                reader.read_to_end(&mut got).await.unwrap();
                assert_eq!(got, data);
                // The halves join back into the one pipe, now closed.
                let writer = send.await.unwrap();
                let mut pipe: SimplexStream = reader.unsplit(writer);
                let err = pipe.write(b"x").await.unwrap_err();
                assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
            });
        }
    });
}

#[test]
fn outside_a_runtime_the_streams_work_and_never_yield() {
    bounded(|| {
        futures::executor::block_on(async {
            let mut empty = io::empty();
            let mut buf = [1u8; 8];
            assert_eq!(empty.read(&mut buf).await.unwrap(), 0);
            assert_eq!(empty.fill_buf().await.unwrap(), b"");
            assert_eq!(empty.write(b"abc").await.unwrap(), 3);
            assert_eq!(empty.write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cde")]).await.unwrap(), 5);
            empty.flush().await.unwrap();
            assert_eq!(empty.seek(SeekFrom::Start(42)).await.unwrap(), 0);
            empty.shutdown().await.unwrap();

            let mut repeat = io::repeat(9);
            assert_eq!(repeat.read(&mut buf).await.unwrap(), 8);
            assert_eq!(buf, [9u8; 8]);

            let mut sink = io::sink();
            assert!(AsyncWrite::is_write_vectored(&sink));
            assert_eq!(sink.write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cde")]).await.unwrap(), 5);
            sink.flush().await.unwrap();
            sink.shutdown().await.unwrap();
            assert_eq!(io::copy(&mut io::repeat(0).take(1 << 20), &mut io::sink()).await.unwrap(), 1 << 20);

            // No budget here: thousands of reads in a row are all ready.
            for _ in 0..10_000 {
                assert!(poll_once(repeat.read(&mut buf)).is_ready());
            }

            let (mut a, mut b) = io::duplex(64);
            a.write_all(b"ping").await.unwrap();
            let mut got = [0u8; 4];
            b.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"ping");
            assert!(poll_once(b.read(&mut got)).is_pending(), "nothing written yet");

            let mut pipe = SimplexStream::new_unsplit(8);
            pipe.write_all(b"12345678").await.unwrap();
            assert!(poll_once(pipe.write(b"9")).is_pending(), "the pipe is full");
            let mut got = [0u8; 8];
            pipe.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"12345678");
        });
    });
}

#[test]
fn debug_output_and_auto_traits_match_tokio() {
    fn assert_traits<T: Send + Sync + Unpin + std::fmt::Debug>() {}
    assert_traits::<io::Empty>();
    assert_traits::<io::Repeat>();
    assert_traits::<io::Sink>();
    assert_traits::<io::DuplexStream>();
    assert_traits::<io::SimplexStream>();

    assert_eq!(format!("{:?}", io::empty()), "Empty { .. }");
    assert_eq!(format!("{:?}", io::sink()), "Sink { .. }");
    assert_eq!(format!("{:?}", io::repeat(3)), "Repeat { byte: 3 }");
    let debug = format!("{:?}", SimplexStream::new_unsplit(5));
    assert!(debug.starts_with("SimplexStream {") && debug.contains("max_buf_size: 5"), "{debug}");
    let debug = format!("{:?}", io::duplex(5).0);
    assert!(debug.starts_with("DuplexStream {"), "{debug}");
}

#[test]
#[should_panic(expected = "max_buf_size")]
fn zero_sized_duplex_panics() {
    let _ = io::duplex(0);
}

#[test]
#[should_panic(expected = "max_buf_size")]
fn zero_sized_simplex_panics() {
    let _ = io::simplex(0);
}

#[test]
fn sink_and_empty_read_in_one_task_keep_a_multi_thread_timer_alive() {
    bounded(|| {
        let rt = multi_thread();
        support::run(&rt, async {
            // The same scenario as the current-thread one, driven from a
            // spawned task on a worker rather than from `block_on`.
            let res = heddle::spawn(heddle::time::timeout(Duration::from_millis(5), async {
                let mut sink = io::sink();
                let mut src = io::empty();
                let mut buf = [0u8; 4];
                loop {
                    let _ = src.read(&mut buf).await;
                    let _ = sink.write(&buf).await;
                }
            }))
            .await
            .unwrap();
            assert!(res.is_err());
        });
    });
}
