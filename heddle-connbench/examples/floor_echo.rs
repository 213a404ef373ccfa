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
//! With `--uring` it does the same work through io_uring instead: a
//! multishot accept, and per connection `recv`, `send`, `shutdown` and
//! `close` SQEs, every batch submitted by the one `io_uring_enter` that
//! also waits. No epoll registration at all. This is what a completion
//! driver could cost at best, measured to see whether one could go below
//! the readiness floor (`FLOOR_MODE=uring scripts/compare.sh`).
//!
//! ```text
//! cargo run --release -p heddle-connbench --example floor_echo -- 127.0.0.1:2345 [--uring]
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let uring = args.iter().any(|a| a == "--uring");
    let addr = args.iter().find(|a| !a.starts_with("--")).cloned().unwrap_or_else(|| "127.0.0.1:2345".into());
    let addr = addr.parse().map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{addr}: {e}")))?;
    if uring {
        return serve_uring(addr);
    }
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

/// The echo floor on io_uring. `user_data` is `slot << 3 | op`.
fn serve_uring(addr: std::net::SocketAddr) -> io::Result<()> {
    use std::os::fd::{AsRawFd, IntoRawFd, RawFd};

    use io_uring::{cqueue, opcode, squeue, types, IoUring};

    const ACCEPT: u64 = u64::MAX;
    const RECV: u64 = 0;
    const SEND: u64 = 1;
    const SHUTDOWN: u64 = 2;
    const CLOSE: u64 = 3;

    /// A connection: its descriptor and a receive buffer that stays put
    /// (boxed) while a `recv` or `send` SQE points into it.
    struct UringConn {
        fd: RawFd,
        buf: Box<[u8; 4096]>,
    }

    fn push(ring: &mut IoUring<squeue::Entry, cqueue::Entry>, sqe: &squeue::Entry) -> io::Result<()> {
        // SAFETY: every buffer an SQE points to is a connection's boxed
        // buffer, which is freed only after the connection's close
        // completed, i.e. after every operation on it.
        while unsafe { ring.submission().push(sqe) }.is_err() {
            ring.submit()?;
        }
        Ok(())
    }
    fn recv(slot: usize, conn: &mut UringConn) -> squeue::Entry {
        opcode::Recv::new(types::Fd(conn.fd), conn.buf.as_mut_ptr(), conn.buf.len() as u32)
            .build()
            .user_data((slot as u64) << 3 | RECV)
    }

    let mut builder = IoUring::builder();
    builder.setup_coop_taskrun().setup_single_issuer().setup_defer_taskrun();
    let mut ring = builder.build(4096)?;
    let listener = std::net::TcpListener::bind(addr)?;
    println!("listening on {} (floor echo server on io_uring: no runtime)", listener.local_addr()?);
    let listener_fd = listener.into_raw_fd();
    push(&mut ring, &opcode::AcceptMulti::new(types::Fd(listener_fd)).build().user_data(ACCEPT))?;
    let mut conns = slab::Slab::<UringConn>::new();
    let mut done = Vec::new();
    loop {
        match ring.submit_and_wait(1) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        done.extend(ring.completion().map(|c| (c.user_data(), c.result(), cqueue::more(c.flags()))));
        for (user_data, result, more) in done.drain(..) {
            if user_data == ACCEPT {
                if !more {
                    // The multishot accept ended (for example EMFILE): re-arm.
                    push(&mut ring, &opcode::AcceptMulti::new(types::Fd(listener_fd)).build().user_data(ACCEPT))?;
                }
                if result >= 0 {
                    // SAFETY: a fresh socket from accept, owned by us; the
                    // std stream only borrows it for the option.
                    let stream = std::mem::ManuallyDrop::new(unsafe {
                        <std::net::TcpStream as std::os::fd::FromRawFd>::from_raw_fd(result)
                    });
                    let _ = stream.set_nodelay(true);
                    debug_assert_eq!(stream.as_raw_fd(), result);
                    let slot = conns.insert(UringConn { fd: result, buf: Box::new([0; 4096]) });
                    let sqe = recv(slot, &mut conns[slot]);
                    push(&mut ring, &sqe)?;
                }
                continue;
            }
            let slot = (user_data >> 3) as usize;
            let Some(conn) = conns.get_mut(slot) else { continue };
            match user_data & 7 {
                RECV if result > 0 => {
                    // Echo, then read again once the send is done.
                    let send = opcode::Send::new(types::Fd(conn.fd), conn.buf.as_ptr(), result as u32)
                        .build()
                        .user_data((slot as u64) << 3 | SEND);
                    push(&mut ring, &send)?;
                }
                RECV => {
                    // EOF or error: shut down our side, then close.
                    let fd = types::Fd(conn.fd);
                    let shutdown = opcode::Shutdown::new(fd, libc::SHUT_WR)
                        .build()
                        .flags(squeue::Flags::IO_LINK)
                        .user_data((slot as u64) << 3 | SHUTDOWN);
                    push(&mut ring, &shutdown)?;
                    push(&mut ring, &opcode::Close::new(fd).build().user_data((slot as u64) << 3 | CLOSE))?;
                }
                SEND => {
                    let sqe = recv(slot, conn);
                    push(&mut ring, &sqe)?;
                }
                CLOSE => {
                    conns.remove(slot);
                }
                _ => {}
            }
        }
    }
}
