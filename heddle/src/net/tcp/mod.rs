//! TCP: [`TcpListener`], [`TcpStream`], [`TcpSocket`], and the halves a
//! stream splits into ([`ReadHalf`]/[`WriteHalf`] borrowed,
//! [`OwnedReadHalf`]/[`OwnedWriteHalf`] owned).
//!
//! The types are also re-exported from [`heddle::net`](crate::net); their
//! readiness comes from the runtime's I/O driver, so they must be used
//! inside a runtime built with I/O enabled.
//!
//! ```
//! # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use heddle::io::{AsyncReadExt, AsyncWriteExt};
//! use heddle::net::tcp::{OwnedReadHalf, OwnedWriteHalf, TcpListener, TcpStream};
//!
//! let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//! let addr = listener.local_addr().unwrap();
//!
//! // An echo server: read one message, write it back.
//! let server = heddle::spawn(async move {
//!     let (socket, _) = listener.accept().await.unwrap();
//!     let (mut rd, mut wr): (OwnedReadHalf, OwnedWriteHalf) = socket.into_split();
//!     let mut buf = [0; 5];
//!     rd.read_exact(&mut buf).await.unwrap();
//!     wr.write_all(&buf).await.unwrap();
//! });
//!
//! let mut client = TcpStream::connect(addr).await.unwrap();
//! client.write_all(b"hello").await.unwrap();
//! let mut echoed = [0; 5];
//! client.read_exact(&mut echoed).await.unwrap();
//! assert_eq!(&echoed, b"hello");
//! server.await.unwrap();
//! # });
//! ```

mod listener;
mod socket;
mod split;
mod split_owned;
mod stream;

pub use listener::TcpListener;
pub use socket::TcpSocket;
pub use split::{ReadHalf, WriteHalf};
pub use split_owned::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use stream::TcpStream;
