//! The kernel floor of `server --mode echo`: the same system calls per
//! connection with no runtime at all.
//!
//! One thread, mio (edge-triggered epoll), a slab of connections. Per
//! connection it does what the heddle and tokio servers do: `accept4`,
//! `TCP_NODELAY`, register, read and echo until EOF, `shutdown(WR)`,
//! deregister, close. Its CPU time per connection is what the kernel
//! charges the server for a connection; a runtime's own cost is whatever
//! it needs beyond this. `scripts/compare.sh` runs it as a third side with
//! `FLOOR=1`.
//!
//! ```text
//! cargo run --release -p heddle-connbench --example floor_echo -- 127.0.0.1:2345
//! ```

use std::io::{self, Read, Write};
use std::net::Shutdown;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(usize::MAX);

/// One connection: the socket and the bytes read but not yet echoed.
struct Conn {
    stream: TcpStream,
    unsent: Vec<u8>,
}

/// Reads and echoes until the socket would block; true when the
/// connection is finished (EOF, or an error).
fn serve(conn: &mut Conn, buf: &mut [u8]) -> bool {
    loop {
        if !conn.unsent.is_empty() {
            match conn.stream.write(&conn.unsent) {
                Ok(n) => {
                    conn.unsent.drain(..n);
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(_) => return true,
            }
        }
        match conn.stream.read(buf) {
            Ok(0) => {
                let _ = conn.stream.shutdown(Shutdown::Write);
                return true;
            }
            Ok(n) => conn.unsent.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
            Err(_) => return true,
        }
    }
}

fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:2345".into());
    let addr = addr.parse().map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{addr}: {e}")))?;
    let mut poll = Poll::new()?;
    let mut listener = TcpListener::bind(addr)?;
    poll.registry().register(&mut listener, LISTENER, Interest::READABLE)?;
    println!("listening on {} (floor echo server: no runtime)", listener.local_addr()?);
    let mut conns = slab::Slab::<Conn>::new();
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 4096];
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for event in events.iter() {
            if event.token() == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            let _ = stream.set_nodelay(true);
                            let slot = conns.vacant_entry();
                            poll.registry().register(
                                &mut stream,
                                Token(slot.key()),
                                Interest::READABLE | Interest::WRITABLE,
                            )?;
                            slot.insert(Conn { stream, unsent: Vec::new() });
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        // Out of descriptors, aborted handshakes: the next
                        // readiness edge retries.
                        Err(_) => break,
                    }
                }
                continue;
            }
            let key = event.token().0;
            let Some(conn) = conns.get_mut(key) else { continue };
            // A fresh socket reports "writable" at once; reading then
            // would be a wasted syscall that the runtimes do not make.
            if !event.is_readable() && !event.is_error() && conn.unsent.is_empty() {
                continue;
            }
            let finished = serve(conn, &mut buf);
            if finished {
                let mut conn = conns.remove(key);
                poll.registry().deregister(&mut conn.stream)?;
            }
        }
    }
}
