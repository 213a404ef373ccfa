//! heddle's types can be used after a caught panic, as tokio's can: they
//! are `UnwindSafe + RefUnwindSafe` (checked at compile time below, the
//! list from tokio's own `unwindsafe` test), and a socket whose waker slot
//! saw a panic (a foreign waker whose `clone` panicked while it was being
//! stored) still wakes its next waiter instead of leaving it to spin.

use std::future::poll_fn;
use std::panic::{catch_unwind, AssertUnwindSafe, RefUnwindSafe, UnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, RawWaker, RawWakerVTable, Waker};
use std::time::Duration;

use heddle::io::AsyncWriteExt;
use heddle::net::{TcpListener, TcpStream};

fn is_unwind_safe<T: UnwindSafe + RefUnwindSafe>() {}

#[test]
fn types_are_unwind_safe() {
    is_unwind_safe::<heddle::sync::Notify>();
    is_unwind_safe::<heddle::task::JoinHandle<()>>();
    is_unwind_safe::<heddle::net::TcpListener>();
    is_unwind_safe::<heddle::net::TcpSocket>();
    is_unwind_safe::<heddle::net::TcpStream>();
    is_unwind_safe::<heddle::net::UdpSocket>();
    is_unwind_safe::<heddle::net::UnixDatagram>();
    is_unwind_safe::<heddle::net::UnixListener>();
    is_unwind_safe::<heddle::net::UnixStream>();
}

/// A waker whose `clone` panics (wake and drop do nothing).
fn panicking_clone_waker() -> Waker {
    fn clone(_: *const ()) -> RawWaker {
        panic!("this waker cannot be cloned");
    }
    fn noop(_: *const ()) {}
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, noop, noop, noop);
    // SAFETY: the vtable's functions ignore the data pointer, and none of
    // them breaks the `RawWaker` contract (clone panics instead of
    // returning, which is what this test is about).
    unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) }
}

#[test]
fn a_panicking_waker_clone_leaves_the_socket_usable() {
    let rt = heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let polls = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, accepted) = join_both(TcpStream::connect(addr), listener.accept()).await;
        let client = client.unwrap();
        let (mut server, _) = accepted.unwrap();
        // Nothing to read, so the waker gets stored, and cloning it panics.
        let bad = panicking_clone_waker();
        let result = catch_unwind(AssertUnwindSafe(|| client.poll_read_ready(&mut Context::from_waker(&bad))));
        assert!(result.is_err(), "the clone was expected to panic");

        let writer = heddle::spawn(async move {
            heddle::time::sleep(Duration::from_millis(50)).await;
            server.write_all(b"x").await.unwrap();
            server
        });
        let polls = AtomicUsize::new(0);
        poll_fn(|cx| {
            polls.fetch_add(1, SeqCst);
            client.poll_read_ready(cx)
        })
        .await
        .unwrap();
        drop(writer.await.unwrap());
        polls.load(SeqCst)
    });
    // Registered once, woken once by the byte: a slot stuck after the
    // panic would make every poll wake itself and spin for 50 ms.
    assert!(polls <= 3, "the readiness wait was polled {polls} times");
}

/// Polls two futures to completion together.
async fn join_both<A: std::future::Future, B: std::future::Future>(a: A, b: B) -> (A::Output, B::Output) {
    heddle::join!(a, b)
}
