//! The tinyhttp benchmark server, written once for any runtime's sockets.
//!
//! tokio's `examples/tinyhttp.rs` is the server behind the figures this
//! project compares against. Its behaviour is reproduced here (not its code):
//!
//! * routes ([`routes`]): `/plaintext` → `Hello, World!` (`text/plain`),
//!   `/json` → `{"message":"Hello, World!"}` (`application/json`),
//!   anything else → `404` with an empty body;
//! * headers `Server: Example`, `Content-Length` and `Date` (an IMF-fixdate
//!   rendered at most once a second per thread, [`date`]);
//! * HTTP/1.1 keep-alive and pipelining.
//!
//! Both connection handlers are generic over
//! `S: tokio::io::AsyncRead + AsyncWrite + Unpin`, which heddle's and
//! tokio's `TcpStream` both implement, so one binary measures both runtimes
//! with the same code:
//!
//! * [`serve_framed`]: the example's handler (`Framed` + codec, one flush
//!   per response). Use it to compare runtimes like for like.
//! * [`serve_batched`]: a sans-IO [`Session`] that answers every buffered
//!   request into one write. Use it to show what the batching is worth.

pub mod date;
pub mod parser;
pub mod routes;
pub mod session;

mod batched;
mod framed;

pub use batched::serve_batched;
pub use framed::{respond, serve_framed, Http};
pub use session::{Session, Step, IN_BUF};
