//! `AsyncFd::register` and `register_with_interest` over real descriptors:
//! data moves both ways through a registered non-blocking socket pair, and
//! a registration epoll refuses (the same descriptor twice, an invalid one,
//! a file with no readiness) returns an `AsyncFdRegisterError` that hands
//! the object back and reports the OS error. Each test is bounded by a
//! timeout.
//!
//! The deprecated `try_new` and `try_with_interest` are checked too.
#![allow(deprecated)]

use std::error::Error as _;
use std::future::Future;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;

use heddle::io::unix::{AsyncFd, AsyncFdRegisterError};
use heddle::io::Interest;
use heddle::runtime::Builder;

const LIMIT: Duration = Duration::from_secs(15);
/// How long a wait that must not complete is given.
const QUIET: Duration = Duration::from_millis(100);

/// Runs `test` on a runtime with a single reactor, so that registering one
/// descriptor twice meets the first registration (a multi-threaded
/// runtime has a reactor per worker).
fn run<F: Future>(test: F) -> F::Output {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async { heddle::time::timeout(LIMIT, test).await.expect("test timed out") })
}

fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

/// Registers a descriptor the caller owns through `stream`.
fn register(stream: UnixStream) -> AsyncFd<UnixStream> {
    // SAFETY: the `UnixStream` owns its descriptor, which stays open and
    // unchanged until the stream is dropped, after the `AsyncFd`.
    unsafe { AsyncFd::register(stream) }.unwrap()
}

/// Writes all of `data` through the `AsyncFd`, waiting for writability.
async fn write_all(fd: &AsyncFd<UnixStream>, mut data: &[u8]) {
    while !data.is_empty() {
        let mut guard = fd.writable().await.unwrap();
        if let Ok(written) = guard.try_io(|fd| fd.get_ref().write(data)) {
            data = &data[written.unwrap()..];
        }
    }
}

/// Reads exactly `len` bytes through the `AsyncFd`, waiting for
/// readability.
async fn read_exact(fd: &AsyncFd<UnixStream>, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    let mut filled = 0;
    while filled < len {
        let mut guard = fd.readable().await.unwrap();
        if let Ok(n) = guard.try_io(|fd| fd.get_ref().read(&mut out[filled..])) {
            let n = n.unwrap();
            assert_ne!(n, 0, "unexpected end of stream");
            filled += n;
        }
    }
    out
}

#[test]
fn registered_pair_moves_data_both_ways() {
    run(async {
        let (a, b) = pair();
        let a = Arc::new(register(a));
        let b = register(b);
        // More than a socket buffer holds, so the writer has to wait for
        // the reader on the other task.
        let big: Vec<u8> = (0..256 * 1024).map(|i| (i * 7 % 251) as u8).collect();
        let expected = big.clone();
        let writer = {
            let a = a.clone();
            heddle::spawn(async move { write_all(&a, &big).await })
        };
        let got = read_exact(&b, expected.len()).await;
        assert!(got == expected, "the bytes read differ from the bytes written");
        writer.await.unwrap();

        write_all(&b, b"reply").await;
        assert_eq!(read_exact(&a, 5).await, b"reply");

        // Drained: the next read wait sleeps.
        let mut guard = a.readable().await.unwrap();
        assert!(guard.try_io(|fd| fd.get_ref().read(&mut [0u8; 8])).is_err(), "WouldBlock clears the guard");
        assert!(heddle::time::timeout(QUIET, a.readable()).await.is_err(), "readable with nothing sent");
    });
}

#[test]
fn register_with_interest_watches_only_that_interest() {
    run(async {
        let (a, mut b) = pair();
        // SAFETY: as in `register`: the stream owns its descriptor.
        let fd = unsafe { AsyncFd::register_with_interest(a, Interest::READABLE) }.unwrap();
        assert_eq!(fd.interest(), Interest::READABLE);
        assert!(heddle::time::timeout(QUIET, fd.writable()).await.is_err(), "write readiness not asked for");
        b.write_all(b"r").unwrap();
        let mut guard = fd.readable().await.unwrap();
        let n = guard.try_io(|fd| fd.get_ref().read(&mut [0u8; 4])).unwrap().unwrap();
        assert_eq!(n, 1);
        // Unwrapping deregisters and hands the stream back, still usable.
        let mut a = fd.into_inner();
        b.write_all(b"s").unwrap();
        let mut buf = [0u8; 1];
        assert_eq!(a.read(&mut buf).unwrap(), 1);
        assert_eq!(&buf, b"s");
    });
}

/// A descriptor the test owns through a stream it keeps: the `AsyncFd`
/// neither owns nor closes it, so one descriptor can be offered twice.
#[derive(Debug, PartialEq, Eq)]
struct Borrowed(RawFd);

impl AsRawFd for Borrowed {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

#[test]
fn registering_one_descriptor_twice_hands_the_second_back() {
    run(async {
        let (a, _b) = pair();
        let raw = a.as_raw_fd();
        // SAFETY: `a` keeps the descriptor open for the whole test, longer
        // than either `AsyncFd`, and nothing replaces it.
        let first = unsafe { AsyncFd::register(Borrowed(raw)) }.unwrap();
        // SAFETY: as above; this one is refused.
        let err = unsafe { AsyncFd::register(Borrowed(raw)) }.unwrap_err();
        assert_eq!(err.to_string(), std::io::Error::from_raw_os_error(libc::EEXIST).to_string());
        assert!(format!("{err:?}").contains("AlreadyExists"), "Debug shows the cause: {err:?}");
        let source = err.source().expect("the cause is the source");
        let cause = source.downcast_ref::<std::io::Error>().expect("an io::Error");
        assert_eq!(cause.raw_os_error(), Some(libc::EEXIST));
        assert_eq!(err.into_inner(), Borrowed(raw));

        // Once the first is gone the descriptor registers again.
        drop(first);
        // SAFETY: as above.
        let again = unsafe { AsyncFd::register(Borrowed(raw)) }.unwrap();
        assert_eq!(again.into_inner(), Borrowed(raw));
    });
}

/// Not a descriptor at all.
#[derive(Debug)]
struct Invalid;

impl AsRawFd for Invalid {
    fn as_raw_fd(&self) -> RawFd {
        -1
    }
}

#[test]
fn registering_an_invalid_descriptor_hands_the_object_back() {
    run(async {
        let original = Arc::new(Invalid);
        // SAFETY: registration fails (EBADF), so no `AsyncFd` exists.
        let err = unsafe { AsyncFd::register(original.clone()) }.unwrap_err();
        let (back, cause) = err.into_parts();
        assert!(Arc::ptr_eq(&original, &back));
        assert_eq!(cause.raw_os_error(), Some(libc::EBADF));
        drop(back);

        // SAFETY: as above.
        let err = unsafe { AsyncFd::register_with_interest(original.clone(), Interest::PRIORITY) }.unwrap_err();
        assert!(Arc::ptr_eq(&original, &err.into_inner()));
        assert_eq!(Arc::strong_count(&original), 1, "every clone came back and was dropped");
    });
}

#[test]
fn safe_constructors_share_the_error_type() {
    run(async {
        // epoll refuses /dev/null: it has no readiness to report.
        let file = std::fs::File::open("/dev/null").unwrap();
        let raw = file.as_raw_fd();
        let err: AsyncFdRegisterError<std::fs::File> = AsyncFd::try_new(file).unwrap_err();
        let file = err.into_inner();
        assert_eq!(file.as_raw_fd(), raw);

        // The former name still compiles, as a deprecated alias.
        #[allow(deprecated)]
        let result: Result<AsyncFd<std::fs::File>, heddle::io::unix::AsyncFdTryNewError<std::fs::File>> =
            AsyncFd::try_with_interest(file, Interest::READABLE);
        let err: std::io::Error = result.unwrap_err().into();
        assert_eq!(err.raw_os_error(), Some(libc::EPERM));
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    });
}
