//! Unix domain sockets: [`UnixListener`] and [`UnixStream`] for byte
//! streams, [`UnixDatagram`] for datagrams, [`UnixSocket`] to configure a
//! socket before it becomes one of those, and the halves a stream splits
//! into ([`ReadHalf`]/[`WriteHalf`] borrowed, [`OwnedReadHalf`]/[`OwnedWriteHalf`]
//! owned). [`pipe`] has anonymous pipes and FIFOs.
//!
//! ```
//! use heddle::io::{AsyncReadExt, AsyncWriteExt};
//! use heddle::net::{UnixListener, UnixStream};
//!
//! # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let dir = std::env::temp_dir().join(format!("heddle-doc-unix-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("sock");
//! # let _ = std::fs::remove_file(&path);
//! let listener = UnixListener::bind(&path).unwrap();
//! let server = heddle::spawn(async move {
//!     let (mut socket, _) = listener.accept().await.unwrap();
//!     socket.write_all(b"hello").await.unwrap();
//! });
//! let mut client = UnixStream::connect(&path).await.unwrap();
//! let mut text = String::new();
//! client.read_to_string(&mut text).await.unwrap();
//! assert_eq!(text, "hello");
//! server.await.unwrap();
//! std::fs::remove_dir_all(&dir).unwrap();
//! # });
//! ```

mod datagram;
mod listener;
pub mod pipe;
mod socket;
mod split;
mod split_owned;
mod stream;
mod ucred;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use socket::UnixSocket;
pub use split::{ReadHalf, WriteHalf};
pub use split_owned::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use std::os::unix::net::SocketAddr;
pub use stream::UnixStream;
pub use ucred::UCred;

/// The address `UnixStream::connect` and `UnixListener::bind` use for
/// `path`: a name in Linux's abstract namespace when the path starts with a
/// NUL byte (the rest is the name), a filesystem path otherwise.
fn path_addr(path: &std::path::Path) -> std::io::Result<SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::ffi::OsStrExt;
    match path.as_os_str().as_bytes() {
        [0, name @ ..] => SocketAddr::from_abstract_name(name),
        _ => SocketAddr::from_pathname(path),
    }
}
