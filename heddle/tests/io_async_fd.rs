//! `heddle::io::unix::AsyncFd` over real descriptors (non-blocking Unix
//! socket pairs and pipes): readiness arrives, clearing it after
//! `WouldBlock` makes the next wait sleep until new data, a writer and a
//! reader on separate tasks move a megabyte through guards, dropping or
//! unwrapping an `AsyncFd` deregisters its descriptor, and registration
//! errors hand the object back. Each test is bounded by a timeout.
//!
//! These tests exercise the deprecated safe constructors (`AsyncFd::new`
//! and friends) on purpose, beside `register`.
#![allow(deprecated)]

use std::future::Future;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;

use heddle::io::unix::AsyncFd;
use heddle::io::{Interest, Ready};
use heddle::runtime::{Builder, Runtime};

const LIMIT: Duration = Duration::from_secs(15);
/// How long a wait that must not complete is given.
const QUIET: Duration = Duration::from_millis(100);

fn rt() -> Runtime {
    Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn run<F: Future>(test: F) -> F::Output {
    rt().block_on(async { heddle::time::timeout(LIMIT, test).await.expect("test timed out") })
}

fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

fn pattern(i: usize) -> u8 {
    (i.wrapping_mul(31) ^ (i >> 8)) as u8
}

/// Reads everything buffered on a non-blocking stream, until `WouldBlock`.
fn drain(mut stream: &UnixStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return out,
            Err(e) => panic!("read: {e}"),
        }
    }
}

#[test]
fn readiness_arrives_when_the_peer_writes() {
    run(async {
        let (a, b) = pair();
        let fd = AsyncFd::new(a).unwrap();
        // Nothing to read yet: the wait does not complete.
        assert!(heddle::time::timeout(QUIET, fd.readable()).await.is_err());

        let writer = heddle::spawn(async move {
            heddle::time::sleep(Duration::from_millis(20)).await;
            (&b).write_all(b"wake up").unwrap();
            b
        });
        let mut guard = fd.readable().await.unwrap();
        assert!(guard.ready().is_readable());
        let mut buf = [0u8; 16];
        let n = guard.try_io(|fd| fd.get_ref().read(&mut buf)).unwrap().unwrap();
        assert_eq!(&buf[..n], b"wake up");
        drop(writer.await.unwrap());
    });
}

#[test]
fn clear_ready_after_would_block_rearms_the_wait() {
    run(async {
        let (a, b) = pair();
        let fd = AsyncFd::new(a).unwrap();
        (&b).write_all(b"first").unwrap();

        let mut guard = fd.readable().await.unwrap();
        assert_eq!(drain(guard.get_inner()), b"first");
        // Not cleared yet: readiness is kept, so waiting again returns at once.
        guard.retain_ready();
        let mut guard = fd.readable().await.unwrap();
        // A read would block now: clear, and the next wait sleeps.
        let mut buf = [0u8; 8];
        assert!(guard.try_io(|fd| fd.get_ref().read(&mut buf)).is_err());
        assert!(guard.ready().is_empty());
        assert!(heddle::time::timeout(QUIET, fd.readable()).await.is_err());

        // New data re-arms it.
        (&b).write_all(b"second").unwrap();
        let mut guard = fd.readable().await.unwrap();
        assert_eq!(drain(guard.get_inner()), b"second");
        guard.clear_ready();
        assert!(heddle::time::timeout(QUIET, fd.readable()).await.is_err());
    });
}

#[test]
fn clear_ready_matching_clears_one_direction_only() {
    run(async {
        let (a, b) = pair();
        let fd = AsyncFd::new(a).unwrap();
        (&b).write_all(b"x").unwrap();
        // Give the reactor time to report both readable and writable.
        heddle::time::sleep(Duration::from_millis(20)).await;
        let mut guard = fd.ready(Interest::READABLE | Interest::WRITABLE).await.unwrap();
        assert_eq!(guard.ready(), Ready::READABLE | Ready::WRITABLE);
        guard.clear_ready_matching(Ready::WRITABLE);
        assert_eq!(guard.ready(), Ready::READABLE);
        drop(guard);
        // Read readiness survived the partial clear.
        let guard = heddle::time::timeout(QUIET, fd.readable()).await.expect("still readable").unwrap();
        assert!(guard.ready().is_readable());
        drop(guard);
        drop(b);
    });
}

#[test]
fn writer_and_reader_on_separate_tasks() {
    const LEN: usize = 1 << 20;
    run(async {
        let (a, b) = pair();
        let reader = Arc::new(AsyncFd::new(a).unwrap());
        let writer = AsyncFd::new(b).unwrap();

        let write_task = heddle::spawn(async move {
            let data: Vec<u8> = (0..LEN).map(pattern).collect();
            let mut sent = 0;
            while sent < LEN {
                let mut guard = writer.writable().await.unwrap();
                match guard.try_io(|fd| fd.get_ref().write(&data[sent..])) {
                    Ok(result) => sent += result.unwrap(),
                    Err(_would_block) => continue,
                }
            }
            // Dropping the AsyncFd closes the socket: the reader sees EOF.
        });

        let read_task = heddle::spawn({
            let reader = reader.clone();
            async move {
                let mut got = 0usize;
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let mut guard = reader.readable().await.unwrap();
                    match guard.try_io(|fd| fd.get_ref().read(&mut buf)) {
                        Ok(result) => {
                            let n = result.unwrap();
                            if n == 0 {
                                return got;
                            }
                            for (i, byte) in buf[..n].iter().enumerate() {
                                assert_eq!(*byte, pattern(got + i), "byte {}", got + i);
                            }
                            got += n;
                        }
                        Err(_would_block) => continue,
                    }
                }
            }
        });
        write_task.await.unwrap();
        assert_eq!(read_task.await.unwrap(), LEN);
    });
}

#[test]
fn async_io_and_try_io_on_the_async_fd() {
    run(async {
        let (a, b) = pair();
        let mut fd = AsyncFd::with_interest(a, Interest::READABLE).unwrap();
        assert_eq!(fd.interest(), Interest::READABLE);
        // Nothing buffered: try_io reports WouldBlock.
        let err = fd.try_io(Interest::READABLE, |s| (&*s).read(&mut [0u8; 4])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);

        let peer = heddle::spawn(async move {
            heddle::time::sleep(Duration::from_millis(20)).await;
            (&b).write_all(b"async").unwrap();
            b
        });
        let mut buf = [0u8; 8];
        let n = fd.async_io(Interest::READABLE, |s| (&*s).read(&mut buf)).await.unwrap();
        assert_eq!(&buf[..n], b"async");

        let b = peer.await.unwrap();
        (&b).write_all(b"mut").unwrap();
        let n = fd.async_io_mut(Interest::READABLE, |s| s.read(&mut buf)).await.unwrap();
        assert_eq!(&buf[..n], b"mut");
        let err = fd.try_io_mut(Interest::READABLE, |s| s.read(&mut buf)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);

        // The mutable guard gives the inner object mutably.
        (&b).write_all(b"guard").unwrap();
        let mut guard = fd.readable_mut().await.unwrap();
        let n = guard.try_io(|fd| fd.get_mut().read(&mut buf)).unwrap().unwrap();
        assert_eq!(&buf[..n], b"guard");
        assert!(guard.try_io(|fd| fd.get_mut().read(&mut buf)).is_err());
        assert_eq!(guard.get_inner_mut().read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
    });
}

#[test]
fn anonymous_pipe_ends_work_too() {
    run(async {
        let mut fds = [0 as RawFd; 2];
        // SAFETY: `fds` has room for the two descriptors pipe2 writes.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) }, 0);
        // SAFETY: pipe2 just returned these two descriptors, owned by no one else.
        let (rx, tx) = unsafe {
            use std::os::fd::FromRawFd;
            (std::fs::File::from_raw_fd(fds[0]), std::fs::File::from_raw_fd(fds[1]))
        };
        let rx = AsyncFd::with_interest(rx, Interest::READABLE).unwrap();
        let tx = AsyncFd::with_interest(tx, Interest::WRITABLE).unwrap();
        let mut guard = tx.writable().await.unwrap();
        guard.try_io(|fd| fd.get_ref().write(b"piped")).unwrap().unwrap();
        let mut guard = rx.readable().await.unwrap();
        let mut buf = [0u8; 8];
        let n = guard.try_io(|fd| fd.get_ref().read(&mut buf)).unwrap().unwrap();
        assert_eq!(&buf[..n], b"piped");
        drop(tx);
        // EOF once the write end is closed.
        loop {
            let mut guard = rx.readable().await.unwrap();
            if let Ok(result) = guard.try_io(|fd| fd.get_ref().read(&mut buf)) {
                assert_eq!(result.unwrap(), 0);
                break;
            }
        }
    });
}

/// A descriptor the test keeps open itself: `AsyncFd` neither owns nor
/// closes it, so registering it twice shows whether the first registration
/// was removed (epoll refuses a second `EPOLL_CTL_ADD` with `EEXIST`). That
/// needs a runtime with one reactor: the multi-threaded runtime has one per
/// worker, and a second registration may go to another.
#[derive(Debug)]
struct Borrowed(RawFd);

impl AsRawFd for Borrowed {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

#[test]
fn drop_and_into_inner_deregister() {
    let one_reactor = Builder::new_current_thread().enable_all().build().unwrap();
    one_reactor.block_on(async {
        let (a, b) = pair();
        let raw = a.as_raw_fd();

        let first = AsyncFd::new(Borrowed(raw)).unwrap();
        let err = AsyncFd::new(Borrowed(raw)).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EEXIST), "a live registration blocks a second one");
        drop(first);

        // Dropped: the descriptor can be registered again.
        let second = AsyncFd::new(Borrowed(raw)).unwrap();
        let inner = second.into_inner();
        assert_eq!(inner.0, raw);
        // Unwrapped: registered again, and it still works.
        let third = AsyncFd::new(Borrowed(raw)).unwrap();
        (&b).write_all(b"z").unwrap();
        let mut guard = third.readable().await.unwrap();
        let mut buf = [0u8; 1];
        let n = guard.try_io(|_| (&a).read(&mut buf)).unwrap().unwrap();
        assert_eq!(n, 1);
    });
}

#[test]
fn try_new_hands_the_object_back_on_failure() {
    run(async {
        // epoll refuses regular files with EPERM.
        let path = std::env::temp_dir().join(format!("heddle-async-fd-{}", std::process::id()));
        let file = std::fs::File::create(&path).unwrap();
        let raw = file.as_raw_fd();
        let err = AsyncFd::try_new(file).unwrap_err();
        let (file, cause) = err.into_parts();
        assert_eq!(cause.raw_os_error(), Some(libc::EPERM));
        assert_eq!(file.as_raw_fd(), raw);
        let err: std::io::Error = AsyncFd::try_new(file).unwrap_err().into();
        assert_eq!(err.raw_os_error(), Some(libc::EPERM));
        std::fs::remove_file(&path).unwrap();
    });
}

#[test]
fn poll_read_ready_and_write_ready() {
    run(async {
        let (a, b) = pair();
        let mut fd = AsyncFd::new(a).unwrap();
        let mut guard = std::future::poll_fn(|cx| fd.poll_write_ready(cx)).await.unwrap();
        assert!(guard.ready().is_writable());
        guard.retain_ready();
        drop(guard);
        (&b).write_all(b"p").unwrap();
        let mut guard = std::future::poll_fn(|cx| fd.poll_read_ready(cx)).await.unwrap();
        assert_eq!(drain(guard.get_inner()), b"p");
        guard.clear_ready();
        drop(guard);
        // A mutable guard borrows the AsyncFd, so it is used inside the poll.
        let ready = std::future::poll_fn(|cx| {
            fd.poll_write_ready_mut(cx).map_ok(|mut guard| {
                guard.retain_ready();
                guard.ready()
            })
        })
        .await
        .unwrap();
        assert!(ready.is_writable());
        (&b).write_all(b"q").unwrap();
        let got = std::future::poll_fn(|cx| {
            fd.poll_read_ready_mut(cx).map_ok(|mut guard| {
                let got = drain(guard.get_inner_mut());
                guard.clear_ready();
                got
            })
        })
        .await
        .unwrap();
        assert_eq!(got, b"q");
    });
}

/// An `AsyncFd` registered for reading only is not told about write
/// readiness (epoll is not asked), while the descriptor is writable.
#[test]
fn read_only_interest_is_what_epoll_watches() {
    let rt = heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let fd = heddle::io::unix::AsyncFd::with_interest(a, heddle::io::Interest::READABLE).unwrap();
        let waited = heddle::time::timeout(std::time::Duration::from_millis(50), fd.writable()).await;
        assert!(waited.is_err(), "write readiness reported for a read-only registration");

        let (c, _d) = std::os::unix::net::UnixStream::pair().unwrap();
        c.set_nonblocking(true).unwrap();
        let both = heddle::io::unix::AsyncFd::new(c).unwrap();
        let mut guard =
            heddle::time::timeout(std::time::Duration::from_secs(5), both.writable()).await.unwrap().unwrap();
        guard.retain_ready();
    });
}

/// A stream that may move between threads but not be shared (`Send`, not
/// `Sync`), like many wrappers with a `Cell` inside.
struct SendOnly {
    stream: UnixStream,
    reads: std::cell::Cell<u32>,
}

impl AsRawFd for SendOnly {
    fn as_raw_fd(&self) -> RawFd {
        self.stream.as_raw_fd()
    }
}

/// `readable_mut` and `writable_mut` borrow the `AsyncFd` mutably, so
/// their futures are `Send` for an inner type that is only `Send` (as in
/// tokio): a task can wait on one. (Before, the wait held a shared borrow
/// of the whole `AsyncFd`, which needs `Sync`, and this did not compile.)
#[test]
fn the_mut_waits_of_a_send_only_inner_type_can_run_in_a_spawned_task() {
    run(async {
        let (a, mut b) = pair();
        a.set_nonblocking(true).unwrap();
        // SAFETY: the inner stream owns its descriptor and keeps it open.
        let mut fd = unsafe { AsyncFd::register(SendOnly { stream: a, reads: std::cell::Cell::new(0) }) }.unwrap();
        let reader = heddle::spawn(async move {
            fd.writable_mut().await.unwrap().retain_ready();
            loop {
                let mut guard = fd.readable_mut().await.unwrap();
                let mut buf = [0u8; 8];
                match guard.try_io(|inner| (&inner.get_ref().stream).read(&mut buf)) {
                    Ok(n) => {
                        let inner = guard.get_inner();
                        inner.reads.set(inner.reads.get() + 1);
                        return (n.unwrap(), buf, inner.reads.get());
                    }
                    Err(_would_block) => continue,
                }
            }
        });
        heddle::time::sleep(Duration::from_millis(20)).await;
        b.write_all(b"send").unwrap();
        let (n, buf, reads) = reader.await.unwrap();
        assert_eq!(&buf[..n], b"send");
        assert_eq!(reads, 1);
    });
}
