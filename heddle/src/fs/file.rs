//! `File`: an open file, read and written through the blocking pool.
//!
//! At most one blocking operation (read, write or seek) is in flight per
//! file. Reads fill an internal buffer that later reads drain; writes copy
//! into that buffer and return at once, the data reaching the OS in the
//! background (call `flush` to wait, and to see a failed write's error).

use std::fmt;
use std::future::Future as _;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use crate::io::{AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use crate::sync::Mutex;
use crate::task::JoinHandle;

/// Most bytes one blocking read or write moves.
const MAX_BUF: usize = 2 * 1024 * 1024;

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
}

struct Inner {
    state: State,
    /// Kind of the last background write error, reported by the next
    /// write or flush.
    last_write_err: Option<io::ErrorKind>,
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

    fn copy_from(&mut self, src: &[u8]) -> usize {
        debug_assert!(self.is_empty());
        let n = src.len().min(MAX_BUF);
        self.clear();
        self.data.extend_from_slice(&src[..n]);
        n
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

    fn read_from(&mut self, file: &std::fs::File, want: usize) -> io::Result<usize> {
        self.clear();
        self.data.resize(want.clamp(1, MAX_BUF), 0);
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

fn join_failed(e: crate::task::JoinError) -> io::Error {
    io::Error::other(format!("background file operation failed: {e}"))
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

    /// Wraps an open `std` file.
    pub fn from_std(std: std::fs::File) -> File {
        File {
            std: Arc::new(std),
            inner: Mutex::new(Inner { state: State::Idle(Some(Buf::default())), last_write_err: None, pos: 0 }),
        }
    }

    /// Waits for the operation in flight, discards read-ahead (moving the
    /// OS position back to the logical one), and reports a pending write
    /// error.
    async fn settle(&self) -> io::Result<()> {
        let mut inner = self.inner.lock().await;
        std::future::poll_fn(|cx| inner.poll_complete_inflight(cx)).await?;
        if let Some(kind) = inner.last_write_err.take() {
            return Err(kind.into());
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
        Ok(File::from_std(cloned))
    }

    /// Converts into a `std` file, after any operation in flight finishes.
    pub async fn into_std(self) -> std::fs::File {
        let _ = self.settle().await;
        Arc::try_unwrap(self.std).expect("no blocking operation holds the file once settled")
    }
}

impl Inner {
    /// Waits for the operation in flight; its result is recorded (a write
    /// error) or dropped (a read's data stays buffered).
    fn poll_complete_inflight(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let State::Busy(join) = &mut self.state {
            let (op, buf) = ready!(Pin::new(join).poll(cx)).map_err(join_failed)?;
            self.state = State::Idle(Some(buf));
            match op {
                Operation::Write(Err(e)) => self.last_write_err = Some(e.kind()),
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
                    let want = dst.remaining();
                    inner.state = State::Busy(crate::task::spawn_blocking(move || {
                        let res = buf.read_from(&std, want);
                        (Operation::Read(res), buf)
                    }));
                }
                State::Busy(join) => {
                    let (op, mut buf) = ready!(Pin::new(join).poll(cx)).map_err(join_failed)?;
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
                                inner.last_write_err = Some(e.kind());
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

impl AsyncWrite for File {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        let inner = me.inner.get_mut();
        if let Some(kind) = inner.last_write_err.take() {
            return Poll::Ready(Err(kind.into()));
        }
        loop {
            match &mut inner.state {
                State::Idle(slot) => {
                    let mut buf = slot.take().expect("file buffer lost");
                    // Undo read-ahead so the write lands at the logical position.
                    let seek = (!buf.is_empty()).then(|| SeekFrom::Current(buf.discard_read()));
                    let n = buf.copy_from(src);
                    let std = me.std.clone();
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
                    if let Some(kind) = inner.last_write_err.take() {
                        return Poll::Ready(Err(kind.into()));
                    }
                }
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let inner = self.get_mut().inner.get_mut();
        ready!(inner.poll_complete_inflight(cx))?;
        match inner.last_write_err.take() {
            Some(kind) => Poll::Ready(Err(kind.into())),
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
                State::Busy(join) => {
                    let (op, buf) = ready!(Pin::new(join).poll(cx)).map_err(join_failed)?;
                    inner.state = State::Idle(Some(buf));
                    match op {
                        Operation::Seek(res) => {
                            let pos = res?;
                            inner.pos = pos;
                            return Poll::Ready(Ok(pos));
                        }
                        Operation::Write(Err(e)) => inner.last_write_err = Some(e.kind()),
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
        f.debug_struct("File").field("std", &self.std).finish()
    }
}

#[cfg(unix)]
impl std::os::unix::io::AsRawFd for File {
    fn as_raw_fd(&self) -> std::os::unix::io::RawFd {
        self.std.as_raw_fd()
    }
}
