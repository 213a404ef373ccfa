//! Networking: non-blocking TCP sockets driven by the runtime's reactor.
//!
//! The types mirror `tokio::net`: [`TcpListener`] accepts connections,
//! [`TcpStream`] is one connection (implementing heddle's [`AsyncRead`] and
//! [`AsyncWrite`]), and [`TcpSocket`] configures a socket (`SO_REUSEPORT`,
//! buffer sizes, ...) before it becomes either. Addresses are anything that
//! implements [`ToSocketAddrs`]: a `SocketAddr`, `"127.0.0.1:8080"`,
//! `("localhost", 8080)`, ...
//!
//! Every constructor registers the socket with the reactor of the runtime
//! it runs in, so it must be called inside a runtime with I/O enabled.
//!
//! ```
//! use heddle::io::{AsyncReadExt, AsyncWriteExt};
//! use heddle::net::{TcpListener, TcpStream};
//!
//! # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//! let addr = listener.local_addr().unwrap();
//! let server = heddle::spawn(async move {
//!     let (mut socket, _peer) = listener.accept().await.unwrap();
//!     let mut buf = [0u8; 4];
//!     socket.read_exact(&mut buf).await.unwrap();
//!     socket.write_all(&buf).await.unwrap();
//! });
//! let mut client = TcpStream::connect(addr).await.unwrap();
//! client.write_all(b"ping").await.unwrap();
//! let mut reply = [0u8; 4];
//! client.read_exact(&mut reply).await.unwrap();
//! assert_eq!(&reply, b"ping");
//! server.await.unwrap();
//! # });
//! ```
//!
//! [`AsyncRead`]: crate::io::AsyncRead
//! [`AsyncWrite`]: crate::io::AsyncWrite

mod addr;
mod raw_io;
mod stream_io;
pub mod tcp;
mod udp;
pub mod unix;

pub use addr::{lookup_host, ToSocketAddrs};
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixSocket, UnixStream};
