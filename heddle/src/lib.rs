//! # heddle
//!
//! An async I/O runtime with tokio's API: a work-stealing multi-thread
//! scheduler and a current-thread one, an epoll reactor, microsecond timers,
//! and TCP sockets. A tokio program ports by renaming the crate.
//!
//! ```
//! use heddle::io::{AsyncReadExt, AsyncWriteExt};
//! use heddle::net::{TcpListener, TcpStream};
//!
//! #[heddle::main(flavor = "current_thread")]
//! async fn main() -> std::io::Result<()> {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     heddle::spawn(async move {
//!         let (mut socket, _) = listener.accept().await?;
//!         let mut buf = [0u8; 5];
//!         socket.read_exact(&mut buf).await?;
//!         socket.write_all(&buf).await?;
//!         std::io::Result::Ok(())
//!     });
//!     let mut client = TcpStream::connect(addr).await?;
//!     client.write_all(b"hello").await?;
//!     let mut echoed = [0u8; 5];
//!     client.read_exact(&mut echoed).await?;
//!     assert_eq!(&echoed, b"hello");
//!     Ok(())
//! }
//! ```
//!
//! Layout: [`runtime`] (builder, schedulers), [`task`] (spawn, join
//! handles), `driver` (the reactor and the timer wheel, internal), [`net`],
//! [`io`], [`time`].

#![warn(missing_docs, missing_debug_implementations)]

pub(crate) mod driver;
pub mod fs;
pub mod io;
pub(crate) mod loom;
pub mod macros;
pub mod net;
pub mod process;
pub mod runtime;
pub mod signal;
pub mod sync;
pub mod task;
pub mod time;
pub(crate) mod util;

#[cfg(feature = "macros")]
pub use heddle_macros::{main, test};
pub use task::spawn;
