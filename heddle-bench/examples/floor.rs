//! The kernel floor of the tinyhttp `/json` benchmark: what a server costs
//! when it does nothing but the system calls.
//!
//! One thread, no runtime, no HTTP library: it counts `\r\n\r\n` in what it
//! reads and answers each request with the exact bytes tinyhttp's `/json`
//! sends (same length, a fixed date). Whatever CPU per request this server
//! needs is kernel TCP work that every runtime pays; the difference between
//! it and tinyhttp on a runtime is the runtime plus the handler.
//!
//! Two ways to drive the sockets:
//! * `epoll`: mio, edge-triggered; per request one `read` and one `send`,
//!   one `epoll_wait` per batch of ready sockets (a readiness runtime's floor).
//!   An optional thread count runs that many such loops, each with its own
//!   epoll over a clone of the listener (scenario 2's two workers).
//! * `epoll-handler`: as `epoll`, but each request goes through tinyhttp's
//!   own handler code (the `Http` codec's decode, `respond`, the codec's
//!   encode), as `serve_framed` runs it: a server with the shared handler
//!   and a runtime that costs nothing. One write per response, as `Framed`
//!   flushes each.
//! * `uring`: io_uring; one `recv` and one `send` SQE per request, every
//!   batch submitted with one `io_uring_enter` that also waits (a
//!   completion runtime's floor). `uring-defer` adds `DEFER_TASKRUN`.
//! * `uring-multishot`: io_uring as a completion runtime would use it at
//!   its best: accepted sockets go straight into the ring's file table
//!   (no fd lookups), one multishot `recv` per connection for its whole
//!   life that fills buffers from a provided pool (no re-arming, no poll
//!   set-up per request), `DEFER_TASKRUN`; sends are SQEs batched into the
//!   one `io_uring_enter` per loop.
//!
//! ```text
//! cargo run --release -p heddle-bench --example floor -- epoll 127.0.0.1:18080 [THREADS]
//! ```

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;

use bytes::{Buf, BytesMut};
use heddle_bench::tinyhttp::{respond, Http};

/// tinyhttp's `/json` answer, byte for byte apart from the date's value.
const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nServer: Example\r\nContent-Length: 27\r\nDate: Sun, 22 Nov 2026 02:29:47 GMT\r\ncontent-type: application/json\r\n\r\n{\"message\":\"Hello, World!\"}";

/// Requests wholly contained in `buf` (wrk sends bodiless GETs, so each
/// ends at a blank line; a request split across reads is not expected on
/// loopback and would only make this server answer late, never wrongly).
fn count_requests(buf: &[u8]) -> usize {
    buf.windows(4).filter(|w| *w == b"\r\n\r\n").count()
}

fn serve_epoll(addr: std::net::SocketAddr, threads: usize, handler: bool) -> io::Result<()> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let loops: Vec<_> = (0..threads)
        .map(|_| {
            let listener = listener.try_clone()?;
            Ok(std::thread::spawn(move || epoll_loop(mio::net::TcpListener::from_std(listener), handler)))
        })
        .collect::<io::Result<_>>()?;
    for handle in loops {
        handle.join().expect("floor thread panicked")?;
    }
    Ok(())
}

/// One thread's loop. With several, each epoll sees every new connection
/// (edge-triggered, on the same listening socket) and they race to accept.
fn epoll_loop(mut listener: mio::net::TcpListener, handler: bool) -> io::Result<()> {
    use mio::{Events, Interest, Poll, Token};
    use tokio_util::codec::{Decoder, Encoder};
    const LISTENER: Token = Token(usize::MAX);

    let mut poll = Poll::new()?;
    poll.registry().register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut conns = slab::Slab::new();
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 4096];
    loop {
        poll.poll(&mut events, None)?;
        for event in events.iter() {
            if event.token() == LISTENER {
                while let Ok((mut stream, _)) = listener.accept() {
                    let slot = conns.vacant_entry();
                    poll.registry().register(&mut stream, Token(slot.key()), Interest::READABLE)?;
                    // The buffers `Framed` starts with (8 KiB each way).
                    slot.insert((stream, BytesMut::with_capacity(8192), BytesMut::with_capacity(8192)));
                }
                continue;
            }
            let key = event.token().0;
            let Some((stream, rbuf, wbuf)) = conns.get_mut(key) else { continue };
            let close = if handler {
                serve_with_handler(stream, rbuf, wbuf)
            } else {
                loop {
                    match stream.read(&mut buf) {
                        Ok(0) => break true,
                        Ok(n) => {
                            for _ in 0..count_requests(&buf[..n]) {
                                // The answer is far smaller than an empty send
                                // buffer; a short write would only truncate it.
                                let _ = stream.write(RESPONSE);
                            }
                            if n < buf.len() {
                                break false;
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break false,
                        Err(_) => break true,
                    }
                }
            };
            if close {
                let (mut stream, _, _) = conns.remove(key);
                poll.registry().deregister(&mut stream)?;
            }
        }
    }

    /// Reads what is there and answers each whole request through the
    /// tinyhttp codec; true when the connection is done.
    fn serve_with_handler(stream: &mut mio::net::TcpStream, rbuf: &mut BytesMut, wbuf: &mut BytesMut) -> bool {
        let mut codec = Http;
        loop {
            if rbuf.capacity() - rbuf.len() < 1024 {
                rbuf.reserve(8192);
            }
            let spare = rbuf.spare_capacity_mut();
            // SAFETY: `read` only writes into the slice, and only the `n`
            // bytes it reports are then marked initialized.
            let spare = unsafe { &mut *(spare as *mut [std::mem::MaybeUninit<u8>] as *mut [u8]) };
            let room = spare.len();
            match stream.read(spare) {
                Ok(0) => return true,
                Ok(n) => {
                    // SAFETY: `read` initialized `n` bytes past the length.
                    unsafe { rbuf.set_len(rbuf.len() + n) };
                    loop {
                        let request = match codec.decode(rbuf) {
                            Ok(Some(request)) => request,
                            Ok(None) => break,
                            Err(_) => return true,
                        };
                        let Ok(response) = respond(request) else { return true };
                        if codec.encode(response, wbuf).is_err() {
                            return true;
                        }
                        // `Framed::send` flushes each response on its own.
                        while !wbuf.is_empty() {
                            match stream.write(wbuf) {
                                Ok(n) => wbuf.advance(n),
                                Err(_) => return true,
                            }
                        }
                    }
                    // A short read drained the socket (as the runtimes
                    // assume too): no extra read that would say EAGAIN.
                    if n < room {
                        return false;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(_) => return true,
            }
        }
    }
}

fn serve_uring(addr: std::net::SocketAddr, defer_taskrun: bool) -> io::Result<()> {
    use io_uring::{cqueue, opcode, squeue, types, IoUring};
    const ACCEPT: u64 = 1 << 63;
    const SEND: u64 = 1;

    let mut builder = IoUring::builder();
    builder.setup_coop_taskrun();
    if defer_taskrun {
        builder.setup_single_issuer().setup_defer_taskrun();
    }
    let mut ring = builder.build(4096)?;
    let listener = std::net::TcpListener::bind(addr)?;
    // One receive buffer per connection, indexed by connection number.
    let mut conns: Vec<(std::os::fd::RawFd, Box<[u8; 4096]>)> = Vec::new();

    fn push(ring: &mut IoUring<squeue::Entry, cqueue::Entry>, sqe: &squeue::Entry) -> io::Result<()> {
        // SAFETY: every buffer an SQE points to (the static answer, or a
        // connection's boxed receive buffer, never freed while the server
        // runs) outlives the operation.
        while unsafe { ring.submission().push(sqe) }.is_err() {
            ring.submit()?;
        }
        Ok(())
    }
    fn recv(conn: usize, fd: std::os::fd::RawFd, buf: &mut [u8; 4096]) -> squeue::Entry {
        opcode::Recv::new(types::Fd(fd), buf.as_mut_ptr(), buf.len() as u32).build().user_data((conn as u64) << 1)
    }

    push(&mut ring, &opcode::AcceptMulti::new(types::Fd(listener.as_raw_fd())).build().user_data(ACCEPT))?;
    let mut done = Vec::new();
    loop {
        ring.submit_and_wait(1)?;
        done.extend(ring.completion().map(|c| (c.user_data(), c.result())));
        for (user_data, result) in done.drain(..) {
            if user_data == ACCEPT {
                if result >= 0 {
                    conns.push((result, Box::new([0; 4096])));
                    let conn = conns.len() - 1;
                    let sqe = recv(conn, result, &mut conns[conn].1);
                    push(&mut ring, &sqe)?;
                }
                continue;
            }
            if user_data & SEND != 0 {
                continue;
            }
            let conn = (user_data >> 1) as usize;
            let (fd, buf) = &mut conns[conn];
            if result <= 0 {
                // SAFETY: the fd came from accept and is closed once.
                unsafe { libc::close(*fd) };
                continue;
            }
            for _ in 0..count_requests(&buf[..result as usize]) {
                let send = opcode::Send::new(types::Fd(*fd), RESPONSE.as_ptr(), RESPONSE.len() as u32)
                    .build()
                    .user_data(((conn as u64) << 1) | SEND);
                push(&mut ring, &send)?;
            }
            let sqe = recv(conn, *fd, buf);
            push(&mut ring, &sqe)?;
        }
    }
}

fn serve_uring_multishot(addr: std::net::SocketAddr) -> io::Result<()> {
    use io_uring::{cqueue, opcode, squeue, types, IoUring};
    const ACCEPT: u64 = u64::MAX;
    const PROVIDE: u64 = u64::MAX - 1;
    const SEND: u64 = 1 << 62;
    const BUFFERS: u16 = 1024;
    const BUFFER_LEN: usize = 4096;
    const GROUP: u16 = 0;

    let mut ring: IoUring<squeue::Entry, cqueue::Entry> =
        IoUring::builder().setup_coop_taskrun().setup_single_issuer().setup_defer_taskrun().build(4096)?;
    ring.submitter().register_files_sparse(4096)?;
    let listener = std::net::TcpListener::bind(addr)?;
    let mut pool = vec![0u8; BUFFERS as usize * BUFFER_LEN].into_boxed_slice();
    let pool_ptr = pool.as_mut_ptr();

    fn push(ring: &mut IoUring<squeue::Entry, cqueue::Entry>, sqe: &squeue::Entry) -> io::Result<()> {
        // SAFETY: every buffer an SQE points to (the static answer, or the
        // buffer pool, alive until the server exits) outlives the operation.
        while unsafe { ring.submission().push(sqe) }.is_err() {
            ring.submit()?;
        }
        Ok(())
    }
    let provide = |bid: u16, count: u16| {
        // bid + count <= BUFFERS, so this stays inside the pool.
        let addr = pool_ptr.wrapping_add(bid as usize * BUFFER_LEN);
        opcode::ProvideBuffers::new(addr, BUFFER_LEN as i32, count, GROUP, bid).build().user_data(PROVIDE)
    };
    let recv = |slot: u32| opcode::RecvMulti::new(types::Fixed(slot), GROUP).build().user_data(slot as u64);

    push(&mut ring, &provide(0, BUFFERS))?;
    push(
        &mut ring,
        &opcode::AcceptMulti::new(types::Fd(listener.as_raw_fd())).allocate_file_index(true).build().user_data(ACCEPT),
    )?;
    let mut done = Vec::new();
    loop {
        ring.submit_and_wait(1)?;
        done.extend(ring.completion().map(|c| (c.user_data(), c.result(), c.flags())));
        for (user_data, result, flags) in done.drain(..) {
            match user_data {
                ACCEPT => {
                    if result >= 0 {
                        push(&mut ring, &recv(result as u32))?;
                    }
                    if !cqueue::more(flags) {
                        let accept = opcode::AcceptMulti::new(types::Fd(listener.as_raw_fd()))
                            .allocate_file_index(true)
                            .build()
                            .user_data(ACCEPT);
                        push(&mut ring, &accept)?;
                    }
                }
                PROVIDE => {}
                data if data & SEND != 0 => {}
                slot => {
                    let slot = slot as u32;
                    if let Some(bid) = cqueue::buffer_select(flags) {
                        if result > 0 {
                            let start = bid as usize * BUFFER_LEN;
                            for _ in 0..count_requests(&pool[start..start + result as usize]) {
                                let send =
                                    opcode::Send::new(types::Fixed(slot), RESPONSE.as_ptr(), RESPONSE.len() as u32)
                                        .build()
                                        .user_data(SEND | slot as u64);
                                push(&mut ring, &send)?;
                            }
                        }
                        push(&mut ring, &provide(bid, 1))?;
                    }
                    if result <= 0 && result != -libc::ENOBUFS {
                        push(&mut ring, &opcode::Close::new(types::Fixed(slot)).build().user_data(PROVIDE))?;
                    } else if !cqueue::more(flags) {
                        push(&mut ring, &recv(slot))?;
                    }
                }
            }
        }
    }
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: floor epoll|epoll-handler|uring|uring-defer|uring-multishot ADDR [THREADS (epoll only)]";
    let (Some(mode), Some(addr)) = (args.get(1), args.get(2)) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let addr = addr.parse().map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{addr}: {e}")))?;
    let threads = match args.get(3).map(|t| t.parse::<usize>()) {
        None => 1,
        Some(Ok(n)) if n > 0 && mode.starts_with("epoll") => n,
        Some(_) => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    eprintln!("floor: {mode} server on {addr}, {threads} thread(s)");
    match mode.as_str() {
        "epoll" => serve_epoll(addr, threads, false),
        "epoll-handler" => serve_epoll(addr, threads, true),
        "uring" => serve_uring(addr, false),
        "uring-defer" => serve_uring(addr, true),
        "uring-multishot" => serve_uring_multishot(addr),
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    }
}
