//! `File`: an open file, read and written through the blocking pool.
//!
//! At most one blocking operation (read, write or seek) is in flight per
//! file. Reads fill an internal buffer that later reads drain; writes copy
//! into that buffer and return at once, the data reaching the OS in the
//! background (call `flush` to wait, and to see a failed write's error).
//! One blocking read or write moves at most [`File::max_buf_size`] bytes.
//!
//! The conversions to and from raw descriptors live in the `fd` submodule.

mod fd;

use std::fmt;
use std::future::Future as _;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll, Wake, Waker};

use crate::io::{AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use crate::sync::Mutex;
use crate::task::JoinHandle;

/// Most bytes one blocking read or write moves unless
/// [`File::set_max_buf_size`] says otherwise.
const DEFAULT_MAX_BUF_SIZE: usize = 2 * 1024 * 1024;

/// An open file.
///
/// ```
/// use heddle::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
/// use std::io::SeekFrom;
///
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let path = std::env::temp_dir().join(format!("heddle-file-doc-{}", std::process::id()));
/// let mut file = heddle::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path).await?;
/// file.write_all(b"hello world").await?;
/// file.seek(SeekFrom::Start(6)).await?;
/// let mut word = String::new();
/// file.read_to_string(&mut word).await?;
/// assert_eq!(word, "world");
/// drop(file);
/// heddle::fs::remove_file(&path).await?;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct File {
    std: Arc<std::fs::File>,
    inner: Mutex<Inner>,
    /// Most bytes one blocking read or write moves.
    max_buf_size: usize,
}

struct Inner {
    state: State,
    /// The last background write's error, reported by the next write,
    /// flush or seek. Kept whole (tokio keeps only its kind), so the caller
    /// sees the OS error, e.g. "No space left on device (os error 28)".
    last_write_err: Option<io::Error>,
    /// Position after the last completed seek.
    pos: u64,
}

enum State {
    Idle(Option<Buf>),
    Busy(JoinHandle<(Operation, Buf)>),
}

enum Operation {
    Read(io::Result<usize>),
    Write(io::Result<()>),
    Seek(io::Result<u64>),
}

/// Bytes read ahead (`data[pos..]`) or waiting to be written.
#[derive(Default)]
struct Buf {
    data: Vec<u8>,
    pos: usize,
}

impl Buf {
    fn is_empty(&self) -> bool {
        self.pos == self.data.len()
    }

    fn len(&self) -> usize {
        self.data.len() - self.pos
    }

    fn copy_to(&mut self, dst: &mut ReadBuf<'_>) -> usize {
        let n = self.len().min(dst.remaining());
        dst.put_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        if self.is_empty() {
            self.clear();
        }
        n
    }

    fn copy_from(&mut self, src: &[u8], max: usize) -> usize {
        debug_assert!(self.is_empty());
        let n = src.len().min(max);
        self.clear();
        self.data.extend_from_slice(&src[..n]);
        n
    }

    /// [`copy_from`](Self::copy_from) for several slices, in order.
    fn copy_from_bufs(&mut self, bufs: &[io::IoSlice<'_>], max: usize) -> usize {
        debug_assert!(self.is_empty());
        self.clear();
        for src in bufs {
            let room = max - self.data.len();
            if room == 0 {
                break;
            }
            self.data.extend_from_slice(&src[..src.len().min(room)]);
        }
        self.data.len()
    }

    fn clear(&mut self) {
        self.data.clear();
        self.pos = 0;
    }

    /// Forgets read-ahead bytes; returns how far the OS position is ahead
    /// of the logical one (as a negative seek offset).
    fn discard_read(&mut self) -> i64 {
        let ahead = -(self.len() as i64);
        self.clear();
        ahead
    }

    /// One `read` of at most `want` bytes (`want` is at least 1).
    fn read_from(&mut self, file: &std::fs::File, want: usize) -> io::Result<usize> {
        self.clear();
        self.data.resize(want, 0);
        let res = loop {
            match (&*file).read(&mut self.data) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                res => break res,
            }
        };
        self.data.truncate(*res.as_ref().unwrap_or(&0));
        res
    }

    fn write_to(&mut self, file: &std::fs::File) -> io::Result<()> {
        let res = (&*file).write_all(&self.data[self.pos..]);
        self.clear();
        res
    }
}

/// Wakes nobody: for taking in an operation already known to be finished.
struct NoopWaker;

impl Wake for NoopWaker {
    fn wake(self: Arc<Self>) {}
}

impl State {
    /// Polls the operation in flight (the state is `Busy`); the caller
    /// goes back to idle with the returned buffer. If the task failed
    /// (panicked, or was cancelled by a runtime shutting down), the state
    /// goes back to idle with an empty buffer here, so a later operation
    /// runs (or fails) instead of polling a spent task, and the failure
    /// becomes an `io::Error`.
    fn poll_busy(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<(Operation, Buf)>> {
        let State::Busy(join) = self else { unreachable!("no file operation in flight") };
        match ready!(Pin::new(join).poll(cx)) {
            Ok(done) => Poll::Ready(Ok(done)),
            Err(e) => {
                *self = State::Idle(Some(Buf::default()));
                Poll::Ready(Err(io::Error::other(format!("background file operation failed: {e}"))))
            }
        }
    }
}

impl File {
    /// Opens a file for reading; see [`std::fs::File::open`].
    pub async fn open(path: impl AsRef<std::path::Path>) -> io::Result<File> {
        super::OpenOptions::new().read(true).open(path).await
    }

    /// Creates (or truncates) a file for writing; see
    /// [`std::fs::File::create`].
    pub async fn create(path: impl AsRef<std::path::Path>) -> io::Result<File> {
        super::OpenOptions::new().write(true).create(true).truncate(true).open(path).await
    }

    /// Options for opening a file.
    pub fn options() -> super::OpenOptions {
        super::OpenOptions::new()
    }

    /// Creates a new file for reading and writing, failing with
    /// [`AlreadyExists`](io::ErrorKind::AlreadyExists) if `path` exists.
    /// The check and the creation are one atomic step (`O_EXCL`), so no
    /// other process can slip a file in between; see
    /// [`std::fs::File::create_new`].
    ///
    /// ```
    /// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let path = std::env::temp_dir().join(format!("heddle-create-new-doc-{}", std::process::id()));
    /// let file = heddle::fs::File::create_new(&path).await?;
    /// drop(file);
    /// let again = heddle::fs::File::create_new(&path).await.unwrap_err();
    /// assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
    /// heddle::fs::remove_file(&path).await?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn create_new(path: impl AsRef<std::path::Path>) -> io::Result<File> {
        super::OpenOptions::new().read(true).write(true).create_new(true).open(path).await
    }

    /// Wraps an open `std` file. Needs no runtime: the blocking pool is
    /// only used once the file is read, written or seeked.
    pub fn from_std(std: std::fs::File) -> File {
        File {
            std: Arc::new(std),
            inner: Mutex::new(Inner { state: State::Idle(Some(Buf::default())), last_write_err: None, pos: 0 }),
            max_buf_size: DEFAULT_MAX_BUF_SIZE,
        }
    }

    /// Waits for the operation in flight, discards read-ahead (moving the
    /// OS position back to the logical one), and reports a pending write
    /// error.
    async fn settle(&self) -> io::Result<()> {
        let mut inner = self.inner.lock().await;
        std::future::poll_fn(|cx| inner.poll_complete_inflight(cx)).await?;
        if let Some(e) = inner.last_write_err.take() {
            return Err(e);
        }
        let State::Idle(buf) = &mut inner.state else { unreachable!() };
        let ahead = buf.as_mut().map_or(0, Buf::discard_read);
        if ahead != 0 {
            let std = self.std.clone();
            super::asyncify(move || (&*std).seek(SeekFrom::Current(ahead))).await?;
        }
        Ok(())
    }

    /// Flushes written data and metadata to disk; see
    /// [`std::fs::File::sync_all`].
    pub async fn sync_all(&self) -> io::Result<()> {
        self.settle().await?;
        let std = self.std.clone();
        super::asyncify(move || std.sync_all()).await
    }

    /// Flushes written data to disk; see [`std::fs::File::sync_data`].
    pub async fn sync_data(&self) -> io::Result<()> {
        self.settle().await?;
        let std = self.std.clone();
        super::asyncify(move || std.sync_data()).await
    }

    /// Truncates or extends the file; see [`std::fs::File::set_len`].
    pub async fn set_len(&self, size: u64) -> io::Result<()> {
        self.settle().await?;
        let std = self.std.clone();
        super::asyncify(move || std.set_len(size)).await
    }

    /// The file's metadata; see [`std::fs::File::metadata`].
    pub async fn metadata(&self) -> io::Result<std::fs::Metadata> {
        let std = self.std.clone();
        super::asyncify(move || std.metadata()).await
    }

    /// Changes the file's permissions; see
    /// [`std::fs::File::set_permissions`].
    pub async fn set_permissions(&self, perm: std::fs::Permissions) -> io::Result<()> {
        let std = self.std.clone();
        super::asyncify(move || std.set_permissions(perm)).await
    }

    /// A second `File` for the same open file (sharing its position),
    /// after any operation in flight finishes; see
    /// [`std::fs::File::try_clone`].
    ///
    /// ```
    /// use heddle::io::{AsyncReadExt, AsyncWriteExt};
    /// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let path = std::env::temp_dir().join(format!("heddle-try-clone-doc-{}", std::process::id()));
    /// let mut file = heddle::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path).await?;
    /// let mut clone = file.try_clone().await?;
    /// file.write_all(b"abc").await?;
    /// file.flush().await?;
    /// clone.write_all(b"def").await?; // continues at the shared position
    /// clone.flush().await?;
    /// assert_eq!(heddle::fs::read(&path).await?, b"abcdef");
    /// heddle::fs::remove_file(&path).await?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn try_clone(&self) -> io::Result<File> {
        self.settle().await?;
        let std = self.std.clone();
        let cloned = super::asyncify(move || std.try_clone()).await?;
        let mut file = File::from_std(cloned);
        file.max_buf_size = self.max_buf_size;
        Ok(file)
    }

    /// Converts into a `std` file, after any operation in flight finishes.
    pub async fn into_std(self) -> std::fs::File {
        let _ = self.settle().await;
        Arc::try_unwrap(self.std).expect("no blocking operation holds the file once settled")
    }

    /// Converts into a `std` file at once, without waiting: fails,
    /// handing the `File` back, while a blocking operation (a read, a
    /// write, a seek) still runs on it.
    ///
    /// Data read ahead but not yet consumed is given back to the OS
    /// position (the `std` file continues where this one's reads stopped),
    /// when the file can seek; a background write's error that no `flush`
    /// has reported yet is lost, so flush first to see it.
    ///
    /// # Errors
    /// `Err(self)` while an operation is in flight; retry after awaiting
    /// one (e.g. `flush`), or use [`into_std`](Self::into_std), which waits.
    ///
    /// ```
    /// use std::io::Read;
    /// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let path = std::env::temp_dir().join(format!("heddle-try-into-std-doc-{}", std::process::id()));
    /// heddle::fs::write(&path, "abc").await?;
    /// let file = heddle::fs::File::open(&path).await?;
    /// let mut std_file = file.try_into_std().expect("nothing in flight");
    /// let mut text = String::new();
    /// std_file.read_to_string(&mut text)?;
    /// assert_eq!(text, "abc");
    /// heddle::fs::remove_file(&path).await?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    #[allow(clippy::result_large_err)] // the error is the file itself, as in tokio
    pub fn try_into_std(mut self) -> Result<std::fs::File, File> {
        let inner = self.inner.get_mut();
        if let State::Busy(join) = &inner.state {
            if !join.is_finished() {
                return Err(self);
            }
            // Finished but not yet looked at: take its result in, so a
            // read's data can be given back below.
            let waker = Waker::from(Arc::new(NoopWaker));
            if inner.poll_complete_inflight(&mut Context::from_waker(&waker)).is_pending() {
                return Err(self);
            }
        }
        // A blocking operation holds a clone of the `Arc` until it returns.
        let std = match Arc::try_unwrap(self.std) {
            Ok(std) => std,
            Err(shared) => {
                self.std = shared;
                return Err(self);
            }
        };
        if let State::Idle(Some(buf)) = &mut self.inner.get_mut().state {
            let ahead = buf.discard_read();
            if ahead != 0 {
                // A cheap `lseek`, not worth a trip to the blocking pool;
                // if the file cannot seek (a FIFO), the bytes are gone.
                let _ = (&std).seek(SeekFrom::Current(ahead));
            }
        }
        Ok(std)
    }

    /// Changes the file's access and modification times, after any
    /// operation in flight finishes (so a late write cannot bump the
    /// modification time past the one set here); see
    /// [`std::fs::File::set_times`]. Times left unset in `times` keep
    /// their value.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let path = std::env::temp_dir().join(format!("heddle-set-times-doc-{}", std::process::id()));
    /// let file = heddle::fs::File::create(&path).await?;
    /// let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    /// file.set_times(heddle::fs::FileTimes::new().set_modified(when)).await?;
    /// assert_eq!(file.metadata().await?.modified()?, when);
    /// heddle::fs::remove_file(&path).await?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn set_times(&self, times: super::FileTimes) -> io::Result<()> {
        self.settle().await?;
        let std = self.std.clone();
        let times = times.into_std();
        super::asyncify(move || std.set_times(times)).await
    }

    /// Changes the file's modification time: [`set_times`](Self::set_times)
    /// with only that time set.
    pub async fn set_modified(&self, time: std::time::SystemTime) -> io::Result<()> {
        self.set_times(super::FileTimes::new().set_modified(time)).await
    }

    /// Sets the most bytes one blocking read or write moves (2 MiB by
    /// default). A larger value means fewer trips to the blocking pool for
    /// big transfers, at the cost of a larger buffer per file; a smaller
    /// one bounds the memory and the time of each step.
    ///
    /// A read returns at most this many bytes, and a write accepts at most
    /// this many (`write_all` loops over such chunks).
    ///
    /// # Panics
    /// If `max_buf_size` is 0.
    ///
    /// ```
    /// use heddle::io::AsyncWriteExt;
    /// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let path = std::env::temp_dir().join(format!("heddle-max-buf-doc-{}", std::process::id()));
    /// let mut file = heddle::fs::File::create(&path).await?;
    /// file.set_max_buf_size(4);
    /// assert_eq!(file.max_buf_size(), 4);
    /// assert_eq!(file.write(b"abcdefgh").await?, 4); // one chunk
    /// file.write_all(b"efgh").await?;
    /// file.flush().await?;
    /// assert_eq!(heddle::fs::read(&path).await?, b"abcdefgh");
    /// heddle::fs::remove_file(&path).await?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    #[track_caller]
    pub fn set_max_buf_size(&mut self, max_buf_size: usize) {
        assert!(max_buf_size > 0, "`max_buf_size` must be greater than 0");
        self.max_buf_size = max_buf_size;
    }

    /// The most bytes one blocking read or write moves; see
    /// [`set_max_buf_size`](Self::set_max_buf_size).
    pub fn max_buf_size(&self) -> usize {
        self.max_buf_size
    }
}

impl Inner {
    /// Waits for the operation in flight; its result is recorded (a write
    /// error) or dropped (a read's data stays buffered).
    fn poll_complete_inflight(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let State::Busy(_) = self.state {
            let (op, buf) = ready!(self.state.poll_busy(cx))?;
            self.state = State::Idle(Some(buf));
            match op {
                Operation::Write(Err(e)) => self.last_write_err = Some(e),
                Operation::Seek(Ok(pos)) => self.pos = pos,
                _ => {}
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for File {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, dst: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        let inner = me.inner.get_mut();
        loop {
            match &mut inner.state {
                State::Idle(slot) => {
                    let mut buf = slot.take().expect("file buffer lost");
                    if !buf.is_empty() || dst.remaining() == 0 {
                        buf.copy_to(dst);
                        *slot = Some(buf);
                        return Poll::Ready(Ok(()));
                    }
                    let std = me.std.clone();
                    let want = dst.remaining().min(me.max_buf_size);
                    inner.state = State::Busy(crate::task::spawn_blocking(move || {
                        let res = buf.read_from(&std, want);
                        (Operation::Read(res), buf)
                    }));
                }
                State::Busy(_) => {
                    let (op, mut buf) = ready!(inner.state.poll_busy(cx))?;
                    match op {
                        Operation::Read(Ok(_)) => {
                            buf.copy_to(dst);
                            inner.state = State::Idle(Some(buf));
                            return Poll::Ready(Ok(()));
                        }
                        Operation::Read(Err(e)) => {
                            buf.clear();
                            inner.state = State::Idle(Some(buf));
                            return Poll::Ready(Err(e));
                        }
                        Operation::Write(res) => {
                            inner.state = State::Idle(Some(buf));
                            if let Err(e) = res {
                                inner.last_write_err = Some(e);
                            }
                        }
                        Operation::Seek(res) => {
                            inner.state = State::Idle(Some(buf));
                            if let Ok(pos) = res {
                                inner.pos = pos;
                            }
                        }
                    }
                }
            }
        }
    }
}

impl File {
    /// `poll_write` and `poll_write_vectored`: once no operation is in
    /// flight, `fill` copies at most `max_buf_size` of the caller's bytes
    /// into the buffer (returning how many), and a blocking write of them
    /// starts.
    fn poll_write_with(
        &mut self,
        cx: &mut Context<'_>,
        fill: impl FnOnce(&mut Buf, usize) -> usize,
    ) -> Poll<io::Result<usize>> {
        let inner = self.inner.get_mut();
        if let Some(e) = inner.last_write_err.take() {
            return Poll::Ready(Err(e));
        }
        loop {
            match &mut inner.state {
                State::Idle(slot) => {
                    let mut buf = slot.take().expect("file buffer lost");
                    // Undo read-ahead so the write lands at the logical position.
                    let seek = (!buf.is_empty()).then(|| SeekFrom::Current(buf.discard_read()));
                    let n = fill(&mut buf, self.max_buf_size);
                    let std = self.std.clone();
                    inner.state = State::Busy(crate::task::spawn_blocking(move || {
                        let res = match seek {
                            Some(seek) => (&*std).seek(seek).and_then(|_| buf.write_to(&std)),
                            None => buf.write_to(&std),
                        };
                        (Operation::Write(res), buf)
                    }));
                    return Poll::Ready(Ok(n));
                }
                State::Busy(_) => {
                    ready!(inner.poll_complete_inflight(cx))?;
                    if let Some(e) = inner.last_write_err.take() {
                        return Poll::Ready(Err(e));
                    }
                }
            }
        }
    }
}

impl AsyncWrite for File {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_with(cx, |buf, max| buf.copy_from(src, max))
    }

    /// Gathers the slices into one chunk of at most `max_buf_size` bytes,
    /// written by one blocking call.
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_with(cx, |buf, max| buf.copy_from_bufs(bufs, max))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let inner = self.get_mut().inner.get_mut();
        ready!(inner.poll_complete_inflight(cx))?;
        match inner.last_write_err.take() {
            Some(e) => Poll::Ready(Err(e)),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl AsyncSeek for File {
    fn start_seek(self: Pin<&mut Self>, mut pos: SeekFrom) -> io::Result<()> {
        let me = self.get_mut();
        let inner = me.inner.get_mut();
        match &mut inner.state {
            State::Busy(_) => Err(io::Error::other("another file operation is pending; call poll_complete first")),
            State::Idle(slot) => {
                let mut buf = slot.take().expect("file buffer lost");
                if !buf.is_empty() {
                    let ahead = buf.discard_read();
                    if let SeekFrom::Current(offset) = &mut pos {
                        *offset += ahead;
                    }
                }
                let std = me.std.clone();
                inner.state = State::Busy(crate::task::spawn_blocking(move || {
                    let res = (&*std).seek(pos);
                    (Operation::Seek(res), buf)
                }));
                Ok(())
            }
        }
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let inner = self.get_mut().inner.get_mut();
        loop {
            match &mut inner.state {
                State::Idle(_) => return Poll::Ready(Ok(inner.pos)),
                State::Busy(_) => {
                    let (op, buf) = ready!(inner.state.poll_busy(cx))?;
                    inner.state = State::Idle(Some(buf));
                    match op {
                        Operation::Seek(res) => {
                            let pos = res?;
                            inner.pos = pos;
                            return Poll::Ready(Ok(pos));
                        }
                        Operation::Write(Err(e)) => inner.last_write_err = Some(e),
                        _ => {}
                    }
                }
            }
        }
    }
}

impl From<std::fs::File> for File {
    fn from(std: std::fs::File) -> File {
        File::from_std(std)
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("heddle::fs::File").field("std", &self.std).finish()
    }
}
