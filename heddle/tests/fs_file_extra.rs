//! The tokio 1.54 `fs::File` additions on real files and FIFOs in a fresh
//! temporary directory: `set_max_buf_size` bounding each blocking read and
//! write, vectored writes gathering slices, `try_into_std` when idle or
//! just finished (giving read-ahead back) and while an operation is in
//! flight, `create_new`, `set_times`/`set_modified` with `FileTimes`, the
//! descriptor conversions, `DirEntry::ino`, the `Debug` form, and a file
//! staying usable after its background task fails. Each test is bounded by
//! a timeout.

use std::ffi::CString;
use std::future::Future;
use std::io::{ErrorKind, IoSlice, Read, Seek, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::task::Poll;
use std::time::{Duration, SystemTime};

use heddle::fs::{File, FileTimes, OpenOptions};
use heddle::io::{AsyncReadExt, AsyncWriteExt};
use heddle::runtime::{Builder, Runtime};

mod support;
use support::{poll_once, TempDir};

const LIMIT: Duration = Duration::from_secs(15);

fn rt() -> Runtime {
    Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn run<F: Future>(test: F) -> F::Output {
    rt().block_on(async { heddle::time::timeout(LIMIT, test).await.expect("test timed out") })
}

/// `len` bytes that differ from one offset to the next.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[test]
fn max_buf_size_bounds_each_read() {
    let dir = TempDir::new("fs-max-buf-read");
    let path = dir.path("big");
    let data = pattern(1 << 20);
    std::fs::write(&path, &data).unwrap();
    run(async {
        // Default: one read fills a 64 KiB buffer from a regular file.
        let mut file = File::open(&path).await.unwrap();
        assert_eq!(file.max_buf_size(), 2 * 1024 * 1024);
        let mut buf = vec![0u8; 64 * 1024];
        assert_eq!(file.read(&mut buf).await.unwrap(), buf.len());

        // Bounded: no read returns more than 4 KiB, and the whole file
        // still comes through, in order.
        let mut file = File::open(&path).await.unwrap();
        file.set_max_buf_size(4096);
        let (mut got, mut largest) = (Vec::new(), 0);
        loop {
            let n = file.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            assert!(n <= 4096, "read returned {n} bytes, above max_buf_size");
            largest = largest.max(n);
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(largest, 4096);
        assert!(got == data, "contents differ");
    });
}

#[test]
fn max_buf_size_bounds_each_write() {
    let dir = TempDir::new("fs-max-buf-write");
    let path = dir.path("out");
    let data = pattern(10_000);
    run(async {
        let mut file = File::create(&path).await.unwrap();
        file.set_max_buf_size(1000);
        assert_eq!(file.write(&data).await.unwrap(), 1000);
        file.write_all(&data[1000..]).await.unwrap();
        file.flush().await.unwrap();
        assert!(std::fs::read(&path).unwrap() == data);

        // A clone keeps the setting.
        let clone = file.try_clone().await.unwrap();
        assert_eq!(clone.max_buf_size(), 1000);
    });
}

#[test]
fn write_vectored_gathers_slices_up_to_max_buf_size() {
    let dir = TempDir::new("fs-write-vectored");
    let path = dir.path("out");
    run(async {
        let mut file = File::create(&path).await.unwrap();
        assert!(heddle::io::AsyncWrite::is_write_vectored(&file));
        // Both slices go out in one write...
        let n = file.write_vectored(&[IoSlice::new(b"abc"), IoSlice::new(b"def")]).await.unwrap();
        assert_eq!(n, 6);
        // ...and a bounded one takes across slice borders, up to the bound.
        file.set_max_buf_size(4);
        let n = file.write_vectored(&[IoSlice::new(b"gh"), IoSlice::new(b"ijk")]).await.unwrap();
        assert_eq!(n, 4);
        file.flush().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"abcdefghij");
    });
}

#[test]
#[should_panic(expected = "`max_buf_size` must be greater than 0")]
fn max_buf_size_of_zero_panics() {
    let dir = TempDir::new("fs-max-buf-zero");
    let path = dir.path("f");
    std::fs::write(&path, b"x").unwrap();
    let mut file = File::from_std(std::fs::File::open(&path).unwrap());
    file.set_max_buf_size(0);
}

#[test]
fn try_into_std_when_idle_continues_at_the_logical_position() {
    let dir = TempDir::new("fs-try-into-std-idle");
    let path = dir.path("f");
    std::fs::write(&path, b"0123456789").unwrap();
    run(async {
        // Untouched file: converts at once, at offset 0.
        let file = File::open(&path).await.unwrap();
        let mut std_file = file.try_into_std().expect("idle file converts");
        assert_eq!(std_file.stream_position().unwrap(), 0);

        // Start a 10-byte read, drop it, then read only 3: 7 bytes are read
        // ahead in the buffer. The std file must resume after the 3. (Retry
        // in the unlikely case the pool finished the read within the poll.)
        let mut file = loop {
            let mut file = File::open(&path).await.unwrap();
            let mut big = [0u8; 10];
            let mut read = Box::pin(file.read(&mut big));
            if poll_once(&mut read).is_pending() {
                drop(read);
                break file;
            }
        };
        let mut small = [0u8; 3];
        file.read_exact(&mut small).await.unwrap();
        assert_eq!(&small, b"012");
        let mut std_file = file.try_into_std().expect("idle file converts");
        let mut rest = String::new();
        std_file.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "3456789");
    });
}

#[test]
fn try_into_std_gives_back_a_finished_but_unread_read() {
    let dir = TempDir::new("fs-try-into-std-done");
    let path = dir.path("f");
    std::fs::write(&path, b"0123456789").unwrap();
    run(async {
        // Start a read and drop it: the pool reads all 10 bytes, and nobody
        // collects them. (Retry if the read finished within the poll.)
        let mut file = loop {
            let mut file = File::open(&path).await.unwrap();
            let mut buf = [0u8; 10];
            let mut read = Box::pin(file.read(&mut buf));
            if poll_once(&mut read).is_pending() {
                drop(read);
                break file;
            }
        };
        // Once the read has finished, the conversion succeeds and the std
        // file starts where nothing was consumed: offset 0.
        let mut std_file = loop {
            match file.try_into_std() {
                Ok(std_file) => break std_file,
                Err(back) => {
                    file = back;
                    heddle::time::sleep(Duration::from_millis(5)).await;
                }
            }
        };
        let mut text = String::new();
        std_file.read_to_string(&mut text).unwrap();
        assert_eq!(text, "0123456789");
    });
}

#[test]
fn try_into_std_refuses_while_an_operation_is_in_flight() {
    let dir = TempDir::new("fs-try-into-std-busy");
    let path = dir.path("fifo");
    let c_path = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c_path` is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "{}", std::io::Error::last_os_error());
    run(async {
        // Read-write on a FIFO opens at once (Linux), and a read blocks in
        // the pool until someone writes.
        let mut file = OpenOptions::new().read(true).write(true).open(&path).await.unwrap();
        let mut buf = [0u8; 16];
        {
            let mut read = Box::pin(file.read(&mut buf));
            assert!(matches!(poll_once(&mut read), Poll::Pending));
        }
        let refused = file.try_into_std();

        // Unblock the pool thread before asserting anything.
        let mut writer = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        writer.write_all(b"late").unwrap();

        let mut file = match refused {
            Err(file) => file,
            Ok(_) => panic!("try_into_std succeeded with a read in flight"),
        };
        // The handed-back file is intact: the read's data comes through.
        let n = file.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"late");
        // Settled now, so the conversion works.
        let std_file = file.try_into_std().expect("settled file converts");
        assert!(std_file.metadata().unwrap().file_type().is_fifo());
    });
}

#[test]
fn create_new_refuses_an_existing_path() {
    let dir = TempDir::new("fs-create-new");
    let path = dir.path("f");
    run(async {
        let mut file = File::create_new(&path).await.unwrap();
        file.write_all(b"new").await.unwrap();
        file.flush().await.unwrap();
        let err = File::create_new(&path).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    });
}

#[test]
fn set_times_and_set_modified_change_the_timestamps() {
    let dir = TempDir::new("fs-set-times");
    let path = dir.path("f");
    run(async {
        let mut file = File::create(&path).await.unwrap();
        let accessed = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
        let modified = SystemTime::UNIX_EPOCH + Duration::from_secs(1_500_000_000);
        // A write still in the background must not bump the time later.
        file.write_all(b"data").await.unwrap();
        file.set_times(FileTimes::new().set_accessed(accessed).set_modified(modified)).await.unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.len(), 4);
        assert_eq!(meta.accessed().unwrap(), accessed);
        assert_eq!(meta.modified().unwrap(), modified);

        // Only the modification time: the access time stays.
        let later = modified + Duration::from_secs(86_400);
        file.set_modified(later).await.unwrap();
        let meta = file.metadata().await.unwrap();
        assert_eq!(meta.modified().unwrap(), later);
        assert_eq!(meta.accessed().unwrap(), accessed);

        // Nothing set: nothing changes.
        file.set_times(FileTimes::new()).await.unwrap();
        assert_eq!(file.metadata().await.unwrap().modified().unwrap(), later);
    });
}

#[test]
fn descriptor_conversions() {
    let dir = TempDir::new("fs-fd");
    let path = dir.path("f");
    std::fs::write(&path, b"hello fd").unwrap();
    run(async {
        let file = File::open(&path).await.unwrap();
        assert_eq!(file.as_fd().as_raw_fd(), file.as_raw_fd());
        let raw = file.into_std().await.into_raw_fd();

        // SAFETY: `raw` was just given up by a std file; nothing owns it.
        let mut file = unsafe { File::from_raw_fd(raw) };
        let mut text = String::new();
        file.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "hello fd");

        let owned = OwnedFd::from(std::fs::File::open(&path).unwrap());
        let mut file = File::from(owned);
        let mut buf = [0u8; 5];
        file.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello");
    });
}

#[test]
fn dir_entry_ino_matches_metadata() {
    let dir = TempDir::new("fs-ino");
    std::fs::write(dir.path("a"), b"a").unwrap();
    run(async {
        let mut entries = heddle::fs::read_dir(&dir.0).await.unwrap();
        let entry = entries.next_entry().await.unwrap().expect("one entry");
        assert_eq!(entry.ino(), std::fs::metadata(dir.path("a")).unwrap().ino());
        assert!(entries.next_entry().await.unwrap().is_none());
    });
}

#[test]
fn debug_names_the_heddle_type() {
    let dir = TempDir::new("fs-debug");
    let path = dir.path("f");
    std::fs::write(&path, b"").unwrap();
    let file = File::from_std(std::fs::File::open(&path).unwrap());
    let text = format!("{file:?}");
    assert!(text.starts_with("heddle::fs::File { std: File { fd:"), "{text}");
}

#[test]
fn a_failed_background_task_leaves_the_file_usable() {
    let dir = TempDir::new("fs-join-error");
    let path = dir.path("f");
    std::fs::write(&path, b"contents").unwrap();
    // A runtime whose blocking pool is gone: every blocking task is
    // cancelled, so each file operation's task fails.
    let rt = Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let handle = rt.handle().clone();
    rt.shutdown_timeout(Duration::from_secs(0));
    let _guard = handle.enter();

    let std_file = std::fs::OpenOptions::new().read(true).write(true).open(&path).unwrap();
    let mut file = File::from_std(std_file);
    for round in 0..2 {
        // Each operation fails with an io::Error, and the next one finds
        // the file in a sane state instead of a spent task.
        let mut buf = [0u8; 4];
        let mut read = Box::pin(file.read(&mut buf));
        let res = match poll_once(&mut read) {
            Poll::Ready(res) => res,
            Poll::Pending => panic!("round {round}: a cancelled read should fail at once"),
        };
        drop(read);
        assert_eq!(res.unwrap_err().kind(), ErrorKind::Other, "round {round}");

        let mut write = Box::pin(file.write(b"zz"));
        // The write is accepted into the buffer; its task then fails.
        assert!(matches!(poll_once(&mut write), Poll::Ready(Ok(2))), "round {round}");
        drop(write);
        let mut flush = Box::pin(file.flush());
        let res = match poll_once(&mut flush) {
            Poll::Ready(res) => res,
            Poll::Pending => panic!("round {round}: a cancelled write should fail at once"),
        };
        drop(flush);
        assert_eq!(res.unwrap_err().kind(), ErrorKind::Other, "round {round}");
    }
    // Nothing reached the file.
    assert_eq!(std::fs::read(&path).unwrap(), b"contents");
}
