//! Per-socket methods written once for every socket type:
//!
//! * `try_io` and `async_io`: running a caller's own non-blocking system
//!   call on a socket under heddle's readiness tracking (TCP, UDP, Unix
//!   stream and datagram);
//! * `try_read_buf`: a non-blocking read into a [`bytes::BufMut`]'s spare
//!   capacity (the stream sockets, their read halves, pipe receivers);
//! * `recv_buf`, `try_recv_buf`, `recv_buf_from`, `try_recv_buf_from`: the
//!   same for one datagram (UDP and Unix datagram sockets).
//!
//! The `BufMut` variants read straight into uninitialised capacity, so a
//! `BytesMut` grows without being zeroed first.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{BorrowedFd, RawFd};

use bytes::BufMut;

/// Expands, inside an `impl` block of a type with an `io: PollEvented<_>`
/// field, to the `try_io` and `async_io` methods.
macro_rules! raw_io_methods {
    () => {
        /// Runs `f`, a non-blocking operation on the raw socket (through
        /// `AsRawFd`), if the socket looks ready for `interest`; a
        /// `WouldBlock` from `f` clears that readiness so the next
        /// `ready`/`readable`/`writable` waits for a new event.
        ///
        /// # Errors
        /// `WouldBlock` if the socket is not ready, else whatever `f` returns.
        pub fn try_io<R>(
            &self,
            interest: crate::io::Interest,
            f: impl FnOnce() -> std::io::Result<R>,
        ) -> std::io::Result<R> {
            self.io.try_io(interest.direction(), |_| f())
        }

        /// Runs `f` (a non-blocking operation on the raw socket) until it
        /// does not return `WouldBlock`, waiting for `interest` readiness
        /// before each try.
        ///
        /// # Errors
        /// Whatever `f` returns other than `WouldBlock`.
        pub async fn async_io<R>(
            &self,
            interest: crate::io::Interest,
            mut f: impl FnMut() -> std::io::Result<R>,
        ) -> std::io::Result<R> {
            self.io.async_io(interest.direction(), |_| f()).await
        }
    };
}

/// Expands, inside an `impl` block, to `try_read_buf`. With no argument the
/// type has an `io: PollEvented<_>` field over a readable fd; with
/// `|this| stream` it forwards to `stream.try_read_buf` (the read halves).
macro_rules! try_read_buf_method {
    () => {
        $crate::net::raw_io::try_read_buf_method!(@item
            /// Reads what is available into `buf`'s spare capacity without
            /// waiting, advancing `buf` by the number of bytes read (which is
            /// returned). A `BytesMut` with no spare room grows first.
            ///
            /// `Ok(0)` means end of stream (or that `buf` has no room left);
            /// [`WouldBlock`](std::io::ErrorKind::WouldBlock) means nothing is
            /// available yet, and clears the read readiness so that the next
            /// `readable()` waits for new data.
            ///
            /// ```
            /// use heddle::io::AsyncWriteExt;
            /// use heddle::net::UnixStream;
            ///
            /// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
            /// let (mut a, b) = UnixStream::pair().unwrap();
            /// a.write_all(b"bytes").await.unwrap();
            /// let mut buf = bytes::BytesMut::with_capacity(16);
            /// loop {
            ///     b.readable().await.unwrap();
            ///     match b.try_read_buf(&mut buf) {
            ///         Ok(_) => break,
            ///         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            ///         Err(e) => panic!("{e}"),
            ///     }
            /// }
            /// assert_eq!(&buf[..], b"bytes");
            /// # });
            /// ```
            (|this, buf| {
                this.io.try_io($crate::driver::io::Direction::Read, |sock| {
                    $crate::net::raw_io::read_buf(std::os::fd::AsRawFd::as_raw_fd(sock), buf)
                })
            })
        );
    };
    (|$this:ident| $stream:expr) => {
        $crate::net::raw_io::try_read_buf_method!(@item
            /// Reads what is available into `buf`'s spare capacity without
            /// waiting, advancing `buf`; the stream's `try_read_buf`, whose
            /// documentation has the details and an example.
            (|$this, buf| $stream.try_read_buf(buf))
        );
    };
    (@item $(#[$doc:meta])* (|$this:ident, $buf:ident| $body:expr)) => {
        $(#[$doc])*
        pub fn try_read_buf<B: bytes::BufMut>(&self, $buf: &mut B) -> std::io::Result<usize> {
            let $this = self;
            $body
        }
    };
}

/// Expands, inside the `impl` block of a datagram socket with an
/// `io: PollEvented<_>` field, to `recv_buf`, `try_recv_buf`,
/// `recv_buf_from` and `try_recv_buf_from`; `$addr` is the socket's
/// address type and `$convert` turns a `socket2::SockAddr` into it.
macro_rules! recv_buf_methods {
    ($addr:ty, $convert:path) => {
        /// Receives one datagram into `buf`'s spare capacity, waiting until
        /// one arrives, and advances `buf` by its length (which is
        /// returned). The socket should be connected; a datagram longer than
        /// the spare capacity is truncated, so reserve room first.
        ///
        /// Cancel safe: if the future is dropped before it completes, no
        /// datagram was consumed.
        pub async fn recv_buf<B: bytes::BufMut>(&self, buf: &mut B) -> std::io::Result<usize> {
            self.io
                .async_io($crate::driver::io::Direction::Read, |sock| {
                    $crate::net::raw_io::read_buf(std::os::fd::AsRawFd::as_raw_fd(sock), &mut *buf)
                })
                .await
        }

        /// Like [`recv_buf`](Self::recv_buf) without waiting:
        /// [`WouldBlock`](std::io::ErrorKind::WouldBlock) when no datagram
        /// is queued (which also clears the read readiness).
        pub fn try_recv_buf<B: bytes::BufMut>(&self, buf: &mut B) -> std::io::Result<usize> {
            self.io.try_io($crate::driver::io::Direction::Read, |sock| {
                $crate::net::raw_io::read_buf(std::os::fd::AsRawFd::as_raw_fd(sock), buf)
            })
        }

        /// Receives one datagram into `buf`'s spare capacity, waiting until
        /// one arrives, and returns its length and its sender's address;
        /// `buf` is advanced by the length. A datagram longer than the spare
        /// capacity is truncated.
        ///
        /// Cancel safe: if the future is dropped before it completes, no
        /// datagram was consumed.
        pub async fn recv_buf_from<B: bytes::BufMut>(&self, buf: &mut B) -> std::io::Result<(usize, $addr)> {
            let (n, addr) = self
                .io
                .async_io($crate::driver::io::Direction::Read, |sock| {
                    $crate::net::raw_io::recv_buf_from(std::os::fd::AsFd::as_fd(sock), &mut *buf)
                })
                .await?;
            Ok((n, $convert(addr)?))
        }

        /// Like [`recv_buf_from`](Self::recv_buf_from) without waiting:
        /// [`WouldBlock`](std::io::ErrorKind::WouldBlock) when no datagram
        /// is queued (which also clears the read readiness).
        pub fn try_recv_buf_from<B: bytes::BufMut>(&self, buf: &mut B) -> std::io::Result<(usize, $addr)> {
            let (n, addr) = self.io.try_io($crate::driver::io::Direction::Read, |sock| {
                $crate::net::raw_io::recv_buf_from(std::os::fd::AsFd::as_fd(sock), buf)
            })?;
            Ok((n, $convert(addr)?))
        }
    };
}

pub(crate) use {raw_io_methods, recv_buf_methods, try_read_buf_method};

/// `read(2)` into `buf`'s spare capacity, advancing `buf` by what was read.
/// Works on any readable fd: stream sockets, connected datagram sockets,
/// pipes.
pub(crate) fn read_buf<B: BufMut + ?Sized>(fd: RawFd, buf: &mut B) -> io::Result<usize> {
    if !buf.has_remaining_mut() {
        return Ok(0);
    }
    let dst = buf.chunk_mut();
    // SAFETY: the slice is only handed to the kernel, which writes bytes
    // into it and never reads it; nothing de-initialises memory.
    let dst = unsafe { dst.as_uninit_slice_mut() };
    // SAFETY: `dst` is valid writable memory of `dst.len()` bytes.
    let ret = unsafe { libc::read(fd, dst.as_mut_ptr().cast(), dst.len()) };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    let n = ret as usize;
    // SAFETY: the kernel initialised the first `n` bytes of the chunk.
    unsafe { buf.advance_mut(n) };
    Ok(n)
}

/// `recvfrom(2)` into `buf`'s spare capacity, advancing `buf`; returns the
/// datagram's length and the raw sender address.
pub(crate) fn recv_buf_from<B: BufMut + ?Sized>(
    fd: BorrowedFd<'_>,
    buf: &mut B,
) -> io::Result<(usize, socket2::SockAddr)> {
    let dst = buf.chunk_mut();
    // SAFETY: as in `read_buf`: the kernel only writes into the slice.
    let dst: &mut [MaybeUninit<u8>] = unsafe { dst.as_uninit_slice_mut() };
    let (n, addr) = socket2::SockRef::from(&fd).recv_from(dst)?;
    // The kernel reports a truncated datagram's full length only with
    // MSG_TRUNC, which is not set, so `n` is what was written.
    let n = n.min(dst.len());
    // SAFETY: the kernel initialised the first `n` bytes of the chunk.
    unsafe { buf.advance_mut(n) };
    Ok((n, addr))
}

/// A sender address as an IP socket address (for `UdpSocket`).
pub(crate) fn inet_addr(addr: socket2::SockAddr) -> io::Result<std::net::SocketAddr> {
    addr.as_socket().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "sender address is not an IP address"))
}

/// A sender address as a Unix socket address (for `UnixDatagram`):
/// a path, an abstract name, or unnamed.
pub(crate) fn unix_addr(addr: socket2::SockAddr) -> io::Result<std::os::unix::net::SocketAddr> {
    if let Some(path) = addr.as_pathname() {
        return std::os::unix::net::SocketAddr::from_pathname(path);
    }
    if let Some(name) = addr.as_abstract_namespace() {
        use std::os::linux::net::SocketAddrExt;
        return std::os::unix::net::SocketAddr::from_abstract_name(name);
    }
    // Linux reports an unbound sender with an empty address (length 0),
    // or with just the family.
    if addr.is_unnamed() || addr.len() as usize <= std::mem::size_of::<libc::sa_family_t>() {
        return unnamed_unix_addr();
    }
    Err(io::Error::new(io::ErrorKind::InvalidData, "sender address is not a Unix socket address"))
}

/// An unnamed Unix address. std cannot build one directly, so it is taken
/// once from an unbound socket and cloned from then on.
fn unnamed_unix_addr() -> io::Result<std::os::unix::net::SocketAddr> {
    static UNNAMED: std::sync::OnceLock<std::os::unix::net::SocketAddr> = std::sync::OnceLock::new();
    if let Some(addr) = UNNAMED.get() {
        return Ok(addr.clone());
    }
    let addr = std::os::unix::net::UnixDatagram::unbound()?.local_addr()?;
    Ok(UNNAMED.get_or_init(|| addr).clone())
}
