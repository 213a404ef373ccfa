//! Unix pipes: [`pipe()`] makes an anonymous pipe, [`OpenOptions`] opens a
//! named one (a FIFO made with `mkfifo`), and each end is driven by the
//! reactor: the writing end [`Sender`] implements
//! [`AsyncWrite`](crate::io::AsyncWrite), the reading end [`Receiver`]
//! implements [`AsyncRead`](crate::io::AsyncRead).
//!
//! ```
//! use heddle::io::{AsyncReadExt, AsyncWriteExt};
//! use heddle::net::unix::pipe;
//!
//! # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let (mut tx, mut rx) = pipe::pipe().unwrap();
//! heddle::spawn(async move {
//!     tx.write_all(b"through the pipe").await.unwrap();
//!     // Dropping the sender closes the pipe: the reader sees EOF.
//! });
//! let mut text = String::new();
//! rx.read_to_string(&mut text).await.unwrap();
//! assert_eq!(text, "through the pipe");
//! # });
//! ```

use std::fs::File;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::task::{Context, Poll};

use crate::driver::io::Direction;
use crate::io::poll_evented::PollEvented;
use crate::io::{Interest, Ready};

/// Creates an anonymous pipe and registers both ends with the current
/// runtime's reactor. Both ends are non-blocking and close-on-exec.
///
/// To hand an end to a child process, turn it back into a descriptor with
/// [`Sender::into_blocking_fd`] or [`Receiver::into_blocking_fd`] (or use
/// `Stdio::piped()` with [`heddle::process`](crate::process)).
///
/// # Errors
/// When the system cannot create a pipe (descriptor limit...).
///
/// # Panics
/// Outside a heddle runtime with I/O enabled.
pub fn pipe() -> io::Result<(Sender, Receiver)> {
    let (tx, rx) = mio::unix::pipe::new()?;
    Ok((Sender::from_mio(tx)?, Receiver::from_mio(rx)?))
}

/// How to open a FIFO file as a [`Sender`] or a [`Receiver`].
///
/// Make one with [`new`](Self::new), set options, then call
/// [`open_receiver`](Self::open_receiver) or
/// [`open_sender`](Self::open_sender) with the FIFO's path.
///
/// ```
/// use heddle::io::{AsyncReadExt, AsyncWriteExt};
/// use heddle::net::unix::pipe;
/// use std::os::unix::ffi::OsStrExt;
///
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let dir = std::env::temp_dir().join(format!("heddle-doc-fifo-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("fifo");
/// let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
/// // SAFETY: `c_path` is a valid NUL-terminated path.
/// assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
///
/// // Open the reader first: a sender needs a reader to open.
/// let mut rx = pipe::OpenOptions::new().open_receiver(&path).unwrap();
/// let mut tx = pipe::OpenOptions::new().open_sender(&path).unwrap();
/// tx.write_all(b"fifo").await.unwrap();
/// let mut buf = [0u8; 4];
/// rx.read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"fifo");
/// std::fs::remove_dir_all(&dir).unwrap();
/// # });
/// ```
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    read_write: bool,
    unchecked: bool,
}

/// Which end of a pipe a file is opened as.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Sender,
    Receiver,
}

impl OpenOptions {
    /// Options with everything off.
    pub fn new() -> OpenOptions {
        OpenOptions::default()
    }

    /// Opens the FIFO for reading and writing (`O_RDWR`), a Linux
    /// behaviour: a [`Sender`] opened this way is itself a reader of the
    /// FIFO, so opening it never fails with `ENXIO`, and a [`Receiver`]
    /// opened this way never sees end-of-file (it is itself a writer). The
    /// extra direction is only used by the open; a `Sender` still only
    /// writes and a `Receiver` only reads.
    pub fn read_write(&mut self, value: bool) -> &mut OpenOptions {
        self.read_write = value;
        self
    }

    /// Skips checking that the opened file is a FIFO. Opening something
    /// else (a regular file, a character device) then succeeds here and
    /// fails, or misbehaves, later: only for callers that know the path is
    /// a FIFO and want to save the `fstat`.
    pub fn unchecked(&mut self, value: bool) -> &mut OpenOptions {
        self.unchecked = value;
        self
    }

    /// Opens the FIFO at `path` as a [`Receiver`]. This does not wait for a
    /// writer: with none, reads report end-of-file until one opens the
    /// FIFO.
    ///
    /// # Errors
    /// [`NotFound`](io::ErrorKind::NotFound) when no file exists at
    /// `path`; [`InvalidInput`](io::ErrorKind::InvalidInput) when it is
    /// not a FIFO (unless [`unchecked`](Self::unchecked)); other OS errors
    /// of `open(2)`.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub fn open_receiver(&self, path: impl AsRef<Path>) -> io::Result<Receiver> {
        let file = self.open(path.as_ref(), End::Receiver)?;
        Receiver::from_file_unchecked(file)
    }

    /// Opens the FIFO at `path` as a [`Sender`].
    ///
    /// # Errors
    /// `ENXIO` (`raw_os_error() == Some(libc::ENXIO)`) when the file is a
    /// FIFO that no process has open for reading: retry later (or use
    /// [`read_write`](Self::read_write));
    /// [`NotFound`](io::ErrorKind::NotFound) when no file exists at
    /// `path`; [`InvalidInput`](io::ErrorKind::InvalidInput) when it is
    /// not a FIFO (unless [`unchecked`](Self::unchecked)); other OS errors
    /// of `open(2)`.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub fn open_sender(&self, path: impl AsRef<Path>) -> io::Result<Sender> {
        let file = self.open(path.as_ref(), End::Sender)?;
        Sender::from_file_unchecked(file)
    }

    fn open(&self, path: &Path, end: End) -> io::Result<File> {
        // std opens with O_CLOEXEC; O_NONBLOCK makes opening a FIFO return
        // at once instead of waiting for the other end.
        let file = std::fs::OpenOptions::new()
            .read(end == End::Receiver || self.read_write)
            .write(end == End::Sender || self.read_write)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)?;
        if !self.unchecked && !is_fifo(&file)? {
            return Err(not_a_pipe());
        }
        Ok(file)
    }
}

fn not_a_pipe() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "not a pipe")
}

fn is_fifo(file: &File) -> io::Result<bool> {
    Ok(file.metadata()?.file_type().is_fifo())
}

/// Checks that `fd` is a pipe or FIFO opened for `end`'s direction.
fn check_pipe_end(file: &File, end: End) -> io::Result<()> {
    if !is_fifo(file)? {
        return Err(not_a_pipe());
    }
    // SAFETY: F_GETFL on a descriptor we borrow takes no pointers.
    let flags = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    let mode = flags & libc::O_ACCMODE;
    let allowed = match end {
        End::Sender => mode == libc::O_WRONLY || mode == libc::O_RDWR,
        End::Receiver => mode == libc::O_RDONLY || mode == libc::O_RDWR,
    };
    if allowed {
        Ok(())
    } else {
        Err(io::Error::new(io::ErrorKind::InvalidInput, "pipe end opened without the needed access mode"))
    }
}

/// The writing end of a pipe: made by [`pipe()`],
/// [`OpenOptions::open_sender`] or [`Sender::from_file`].
///
/// Writes go through [`AsyncWrite`](crate::io::AsyncWrite) (flushing and
/// shutting down do nothing: dropping the `Sender` closes the pipe) or
/// through [`try_write`](Self::try_write) after
/// [`writable`](Self::writable). Writing after every reader is gone fails
/// with [`BrokenPipe`](io::ErrorKind::BrokenPipe).
pub struct Sender {
    io: PollEvented<mio::unix::pipe::Sender>,
}

impl Sender {
    fn from_mio(tx: mio::unix::pipe::Sender) -> io::Result<Sender> {
        Ok(Sender { io: PollEvented::new(tx)? })
    }

    /// Wraps an open pipe or FIFO file as a `Sender`, switching it to
    /// non-blocking mode.
    ///
    /// # Errors
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) when the file is not
    /// a pipe, or not open for writing.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub fn from_file(file: File) -> io::Result<Sender> {
        check_pipe_end(&file, End::Sender)?;
        Sender::from_file_unchecked(file)
    }

    /// [`from_file`](Self::from_file) for a descriptor.
    ///
    /// # Errors
    /// As [`from_file`](Self::from_file).
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub fn from_owned_fd(fd: OwnedFd) -> io::Result<Sender> {
        Sender::from_file(File::from(fd))
    }

    /// Wraps `file` without checking that it is a pipe open for writing;
    /// switches it to non-blocking mode.
    ///
    /// # Errors
    /// When the descriptor cannot be made non-blocking or registered.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub fn from_file_unchecked(file: File) -> io::Result<Sender> {
        Sender::from_owned_fd_unchecked(OwnedFd::from(file))
    }

    /// [`from_file_unchecked`](Self::from_file_unchecked) for a descriptor.
    ///
    /// # Errors
    /// As [`from_file_unchecked`](Self::from_file_unchecked).
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub fn from_owned_fd_unchecked(fd: OwnedFd) -> io::Result<Sender> {
        let tx = mio::unix::pipe::Sender::from(fd);
        tx.set_nonblocking(true)?;
        Sender::from_mio(tx)
    }

    /// Waits until the pipe is ready for some of `interest` (for a
    /// `Sender`, writability), and says which. Can be a false positive.
    ///
    /// # Errors
    /// When the runtime's reactor has shut down.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        crate::io::ready(&self.io, interest).await
    }

    /// Waits until the pipe may be writable. Can be a false positive: the
    /// write that follows may return `WouldBlock`.
    ///
    /// # Errors
    /// When the runtime's reactor has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        self.io.ready_in(Direction::Write).await
    }

    /// Polls for write readiness. Only the last task to poll is woken.
    ///
    /// # Errors
    /// When the runtime's reactor has shut down.
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Write)
    }

    /// Writes what fits without waiting; `WouldBlock` when the pipe is
    /// full (which clears the write readiness).
    ///
    /// # Errors
    /// `WouldBlock`, [`BrokenPipe`](io::ErrorKind::BrokenPipe) when no
    /// reader is left, or another OS error.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |mut tx| tx.write(buf))
    }

    /// Writes from several buffers without waiting (`writev`).
    ///
    /// # Errors
    /// As [`try_write`](Self::try_write).
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |mut tx| tx.write_vectored(bufs))
    }

    /// Runs `f`, the caller's own non-blocking write on the pipe's
    /// descriptor (through [`AsRawFd`]), if the pipe looks writable;
    /// `WouldBlock` without calling `f` otherwise. A `WouldBlock` from `f`
    /// clears the write readiness, so the next
    /// [`writable`](Self::writable) waits for the reader to make room: `f`
    /// should return it only when its system call did.
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// use heddle::io::AsyncReadExt;
    /// use heddle::net::unix::pipe;
    ///
    /// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let (tx, mut rx) = pipe::pipe()?;
    /// let n = loop {
    ///     tx.writable().await?;
    ///     let res = tx.try_io(|| {
    ///         // SAFETY: the descriptor stays open while `tx` lives; the
    ///         // buffer is valid for its length.
    ///         let n = unsafe { libc::write(tx.as_raw_fd(), b"raw".as_ptr().cast(), 3) };
    ///         if n < 0 { Err(std::io::Error::last_os_error()) } else { Ok(n as usize) }
    ///     });
    ///     match res {
    ///         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///         res => break res?,
    ///     }
    /// };
    /// let mut buf = [0u8; 3];
    /// rx.read_exact(&mut buf[..n]).await?;
    /// assert_eq!(&buf, b"raw");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// `WouldBlock` when the pipe is not ready, else whatever `f` returns.
    pub fn try_io<R>(&self, f: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        self.io.try_io(Direction::Write, |_| f())
    }

    /// Deregisters the pipe end and returns its descriptor in blocking
    /// mode (to give to a child process, for example).
    ///
    /// # Errors
    /// When the descriptor cannot be switched to blocking mode.
    pub fn into_blocking_fd(self) -> io::Result<OwnedFd> {
        let tx = self.io.into_inner()?;
        tx.set_nonblocking(false)?;
        Ok(tx.into())
    }

    /// Deregisters the pipe end and returns its descriptor, still
    /// non-blocking.
    ///
    /// # Errors
    /// When deregistering fails.
    pub fn into_nonblocking_fd(self) -> io::Result<OwnedFd> {
        Ok(self.io.into_inner()?.into())
    }
}

crate::io::pipe_io::pipe_writer_impls!(Sender);

/// The reading end of a pipe: made by [`pipe()`],
/// [`OpenOptions::open_receiver`] or [`Receiver::from_file`].
///
/// Reads go through [`AsyncRead`](crate::io::AsyncRead) or through
/// [`try_read`](Self::try_read) after [`readable`](Self::readable). A read
/// of 0 bytes is end-of-file: every writer has closed its end (for a FIFO,
/// also before any writer has opened it).
pub struct Receiver {
    io: PollEvented<mio::unix::pipe::Receiver>,
}

impl Receiver {
    fn from_mio(rx: mio::unix::pipe::Receiver) -> io::Result<Receiver> {
        Ok(Receiver { io: PollEvented::new(rx)? })
    }

    /// Wraps an open pipe or FIFO file as a `Receiver`, switching it to
    /// non-blocking mode.
    ///
    /// # Errors
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) when the file is not
    /// a pipe, or not open for reading.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub fn from_file(file: File) -> io::Result<Receiver> {
        check_pipe_end(&file, End::Receiver)?;
        Receiver::from_file_unchecked(file)
    }

    /// [`from_file`](Self::from_file) for a descriptor.
    ///
    /// # Errors
    /// As [`from_file`](Self::from_file).
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub fn from_owned_fd(fd: OwnedFd) -> io::Result<Receiver> {
        Receiver::from_file(File::from(fd))
    }

    /// Wraps `file` without checking that it is a pipe open for reading;
    /// switches it to non-blocking mode.
    ///
    /// # Errors
    /// When the descriptor cannot be made non-blocking or registered.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub fn from_file_unchecked(file: File) -> io::Result<Receiver> {
        Receiver::from_owned_fd_unchecked(OwnedFd::from(file))
    }

    /// [`from_file_unchecked`](Self::from_file_unchecked) for a descriptor.
    ///
    /// # Errors
    /// As [`from_file_unchecked`](Self::from_file_unchecked).
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub fn from_owned_fd_unchecked(fd: OwnedFd) -> io::Result<Receiver> {
        let rx = mio::unix::pipe::Receiver::from(fd);
        rx.set_nonblocking(true)?;
        Receiver::from_mio(rx)
    }

    /// Waits until the pipe is ready for some of `interest` (for a
    /// `Receiver`, readability), and says which. Can be a false positive.
    ///
    /// # Errors
    /// When the runtime's reactor has shut down.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        crate::io::ready(&self.io, interest).await
    }

    /// Waits until the pipe may be readable (data, or end-of-file). Can be
    /// a false positive: the read that follows may return `WouldBlock`.
    ///
    /// # Errors
    /// When the runtime's reactor has shut down.
    pub async fn readable(&self) -> io::Result<()> {
        self.io.ready_in(Direction::Read).await
    }

    /// Polls for read readiness. Only the last task to poll is woken.
    ///
    /// # Errors
    /// When the runtime's reactor has shut down.
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Read)
    }

    /// Reads what is available without waiting; `Ok(0)` is end-of-file,
    /// `WouldBlock` means nothing is buffered yet (and clears the read
    /// readiness).
    ///
    /// # Errors
    /// `WouldBlock`, or another OS error.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |mut rx| rx.read(buf))
    }

    /// Reads into several buffers without waiting (`readv`).
    ///
    /// # Errors
    /// As [`try_read`](Self::try_read).
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |mut rx| rx.read_vectored(bufs))
    }

    /// Runs `f`, the caller's own non-blocking read on the pipe's
    /// descriptor (through [`AsRawFd`]), if the pipe looks readable;
    /// `WouldBlock` without calling `f` otherwise. A `WouldBlock` from `f`
    /// clears the read readiness, so the next [`readable`](Self::readable)
    /// waits for new data: `f` should return it only when its system call
    /// did.
    ///
    /// # Errors
    /// `WouldBlock` when the pipe is not ready, else whatever `f` returns.
    pub fn try_io<R>(&self, f: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        self.io.try_io(Direction::Read, |_| f())
    }

    crate::net::raw_io::try_read_buf_method!();

    /// Deregisters the pipe end and returns its descriptor in blocking
    /// mode (to give to a child process, for example).
    ///
    /// # Errors
    /// When the descriptor cannot be switched to blocking mode.
    pub fn into_blocking_fd(self) -> io::Result<OwnedFd> {
        let rx = self.io.into_inner()?;
        rx.set_nonblocking(false)?;
        Ok(rx.into())
    }

    /// Deregisters the pipe end and returns its descriptor, still
    /// non-blocking.
    ///
    /// # Errors
    /// When deregistering fails.
    pub fn into_nonblocking_fd(self) -> io::Result<OwnedFd> {
        Ok(self.io.into_inner()?.into())
    }
}

crate::io::pipe_io::pipe_reader_impls!(Receiver);
