//! Runtime-level behaviour tokio 1.54 has and its tests check: runtime
//! ids, recognising the shutdown error, refusing to wait for a shutdown
//! inside an async context, `EnterGuard`s dropped out of order, the
//! nested-`block_on` message, and a `LocalSet` kept in a thread-local.

use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use heddle::runtime::{Builder, Runtime};

fn current_thread() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

fn multi_thread() -> Runtime {
    Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// The message of the panic `f` raises.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = panic::catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    match payload.downcast_ref::<String>() {
        Some(s) => s.clone(),
        None => payload.downcast_ref::<&str>().expect("a string payload").to_string(),
    }
}

#[test]
fn handles_of_one_runtime_share_an_id_and_runtimes_differ() {
    let (a, b) = (current_thread(), multi_thread());
    assert_eq!(a.handle().id(), a.handle().clone().id());
    assert_eq!(b.handle().id(), b.block_on(async { heddle::runtime::Handle::current().id() }));
    assert_ne!(a.handle().id(), b.handle().id());
    let a_id = a.handle().id();
    drop(a);
    // Never reused, even once the runtime is gone.
    assert_ne!(current_thread().handle().id(), a_id);
    assert!(!a_id.to_string().is_empty());
}

#[test]
fn io_on_a_socket_of_a_dropped_runtime_is_a_shutdown_error() {
    let first = current_thread();
    let listener = first.block_on(heddle::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    drop(first);
    current_thread().block_on(async {
        let err = listener.accept().await.unwrap_err();
        assert!(heddle::runtime::is_rt_shutdown_err(&err), "{err:?}");
    });
}

#[test]
fn other_errors_are_not_shutdown_errors() {
    use std::io::{Error, ErrorKind};

    assert!(!heddle::runtime::is_rt_shutdown_err(&Error::other("some other error")));
    assert!(!heddle::runtime::is_rt_shutdown_err(&Error::from(ErrorKind::Interrupted)));
    assert!(!heddle::runtime::is_rt_shutdown_err(&Error::new(ErrorKind::NotFound, "not found")));
    // A join error turned into an I/O error is not one either.
    let rt = current_thread();
    let join = rt.spawn(std::future::pending::<()>());
    join.abort();
    let err: Error = rt.block_on(join).unwrap_err().into();
    assert!(!heddle::runtime::is_rt_shutdown_err(&err));
}

#[test]
fn dropping_a_runtime_inside_an_async_context_panics() {
    for outer in [current_thread(), multi_thread()] {
        let message = panic_message(|| outer.block_on(async { drop(current_thread()) }));
        assert!(message.starts_with("Cannot drop a runtime"), "{message}");
        let message =
            panic_message(|| outer.block_on(async { multi_thread().shutdown_timeout(Duration::from_secs(1)) }));
        assert!(message.starts_with("Cannot drop a runtime"), "{message}");
    }
}

#[test]
fn shutting_down_without_waiting_works_inside_an_async_context() {
    let outer = multi_thread();
    outer.block_on(async {
        current_thread().shutdown_background();
        multi_thread().shutdown_timeout(Duration::ZERO);
        // Inside `block_in_place` the thread may block: a plain drop works.
        heddle::spawn(async { heddle::task::block_in_place(|| drop(multi_thread())) }).await.unwrap();
    });
}

#[test]
fn enter_guards_dropped_out_of_order_panic() {
    let (a, b) = (current_thread(), current_thread());
    let message = panic_message(|| {
        let first = a.enter();
        let second = b.enter();
        drop(first);
        drop(second);
    });
    assert!(message.contains("dropped out of order"), "{message}");

    // The thread can still enter a runtime afterwards.
    let c = current_thread();
    let _guard = c.enter();
    assert_eq!(heddle::runtime::Handle::current().id(), c.handle().id());
}

#[test]
fn enter_guards_dropped_in_order_restore_the_previous_runtime() {
    let (a, b) = (current_thread(), current_thread());
    let first = a.enter();
    let second = b.enter();
    assert_eq!(heddle::runtime::Handle::current().id(), b.handle().id());
    drop(second);
    assert_eq!(heddle::runtime::Handle::current().id(), a.handle().id());
    drop(first);
    assert!(heddle::runtime::Handle::try_current().is_err());
}

#[test]
fn nested_block_on_says_to_await_instead() {
    let rt = current_thread();
    let message = panic_message(|| {
        rt.block_on(async { heddle::runtime::Handle::current().block_on(async {}) });
    });
    assert!(message.starts_with("Cannot start a runtime from within a runtime."), "{message}");
    assert!(
        message.ends_with("If you are in an async function, use `.await` on the future instead of blocking on it."),
        "{message}"
    );
}

#[test]
fn a_local_set_kept_in_a_thread_local_is_dropped_at_thread_exit() {
    thread_local! {
        static LOCAL: heddle::task::LocalSet = heddle::task::LocalSet::new();
    }
    let rt = multi_thread();
    let handle = rt.handle().clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        LOCAL.with(|local| {
            // Its task is still pending when the thread exits.
            drop(local.spawn_local(std::future::pending::<()>()));
            handle.block_on(local.run_until(async {}));
        });
        tx.send(()).unwrap();
    })
    .join()
    .expect("the thread exits without a panic (an abort would end the test process)");
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
}
