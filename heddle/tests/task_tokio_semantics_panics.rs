//! Panics in and around tasks, as tokio 1.54 reports them: the `Debug`
//! text of a `JoinError`, when a task's future is dropped relative to its
//! panic, what a panicking `Drop` makes of an aborted task, and which
//! source location a misuse panic points at (the caller's, through
//! `#[track_caller]`).

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Once};
use std::time::Duration;

use heddle::runtime::{Builder, Runtime};

fn current_thread() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

thread_local! {
    /// File of the last panic raised on this thread (tests run on
    /// several threads at once; each reads only its own).
    static PANIC_FILE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`, which must panic, and returns the file its panic points at.
fn panic_file(f: impl FnOnce()) -> String {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let file = info.location().map(|l| l.file().to_string());
            PANIC_FILE.with(|slot| *slot.borrow_mut() = file);
            previous(info);
        }));
    });
    PANIC_FILE.with(|slot| slot.borrow_mut().take());
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    assert!(result.is_err(), "expected a panic");
    PANIC_FILE.with(|slot| slot.borrow_mut().take()).expect("the hook saw the panic")
}

#[test]
fn join_error_debug_shows_the_id_and_a_string_payload() {
    current_thread().block_on(async {
        let formatted = heddle::spawn(async {
            let n = 1234;
            panic!("formatted {n}")
        })
        .await
        .unwrap_err();
        let text = format!("{formatted:?}");
        assert!(text.starts_with("JoinError::Panic(Id("), "{text}");
        assert!(text.ends_with("), \"formatted 1234\", ...)"), "{text}");

        let literal = heddle::spawn(async { panic!("literal") }).await.unwrap_err();
        let text = format!("{literal:?}");
        assert!(text.ends_with("), \"literal\", ...)"), "{text}");

        let other = heddle::spawn(async { panic::panic_any(7u8) }).await.unwrap_err();
        let text = format!("{other:?}");
        assert!(text.starts_with("JoinError::Panic(Id(") && text.ends_with("), ...)"), "{text}");

        let pending = heddle::spawn(std::future::pending::<()>());
        pending.abort();
        let text = format!("{:?}", pending.await.unwrap_err());
        assert!(text.starts_with("JoinError::Cancelled(Id(") && text.ends_with("))"), "{text}");
    });
}

/// A future whose poll panics; on drop it records whether a panic was
/// unwinding, and sends. (A manual future: a local of an `async` block
/// would be dropped by the unwinding poll itself, whatever the task does.)
struct PanicsOnPoll {
    saw_unwinding: Arc<AtomicBool>,
    dropped: Option<std::sync::mpsc::Sender<()>>,
}

impl std::future::Future for PanicsOnPoll {
    type Output = ();

    fn poll(self: std::pin::Pin<&mut Self>, _cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        panic!("boom");
    }
}

impl Drop for PanicsOnPoll {
    fn drop(&mut self) {
        self.saw_unwinding.store(std::thread::panicking(), SeqCst);
        if let Some(tx) = self.dropped.take() {
            let _ = tx.send(());
        }
    }
}

#[test]
fn a_future_that_panics_is_dropped_while_the_panic_unwinds() {
    for rt in [current_thread(), Builder::new_multi_thread().worker_threads(2).build().unwrap()] {
        let saw_unwinding = Arc::new(AtomicBool::new(false));
        let (tx, rx) = std::sync::mpsc::channel();
        let join = rt.spawn(PanicsOnPoll { saw_unwinding: saw_unwinding.clone(), dropped: Some(tx) });
        let err = rt.block_on(join).unwrap_err();
        assert!(err.is_panic());
        rx.recv_timeout(Duration::from_secs(5)).expect("the future was dropped");
        assert!(saw_unwinding.load(SeqCst), "the future was dropped after the panic was caught");
    }
}

/// Panics when dropped, even during another panic's unwinding.
struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("drop panicked");
    }
}

/// A future whose poll panics and whose `Drop` panics too. Unlike a local
/// of an `async` block (dropped by the unwinding poll itself, where a
/// second panic aborts), it is dropped by the task afterwards.
struct PanicsTwice;

impl std::future::Future for PanicsTwice {
    type Output = ();

    fn poll(self: std::pin::Pin<&mut Self>, _cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        panic!("first");
    }
}

impl Drop for PanicsTwice {
    fn drop(&mut self) {
        panic!("drop panicked");
    }
}

#[test]
fn a_panicking_drop_during_the_unwind_keeps_the_first_payload() {
    current_thread().block_on(async {
        let err = heddle::spawn(PanicsTwice).await.unwrap_err();
        assert_eq!(err.into_panic().downcast_ref::<&str>(), Some(&"first"));
    });
}

#[test]
fn an_aborted_task_whose_drop_panics_reports_the_panic() {
    current_thread().block_on(async {
        let join = heddle::spawn(async {
            let _guard = PanicsOnDrop;
            std::future::pending::<()>().await;
        });
        heddle::task::yield_now().await;
        join.abort();
        let err = join.await.unwrap_err();
        assert!(err.is_panic(), "{err:?}");
        assert_eq!(err.into_panic().downcast_ref::<&str>(), Some(&"drop panicked"));
    });
}

#[test]
fn a_task_cancelled_by_shutdown_whose_drop_panics_reports_the_panic() {
    let rt = current_thread();
    let join = rt.spawn(async {
        let _guard = PanicsOnDrop;
        std::future::pending::<()>().await;
    });
    rt.block_on(heddle::task::yield_now());
    drop(rt);
    let err = futures::executor::block_on(join).unwrap_err();
    assert!(err.is_panic(), "{err:?}");
}

#[test]
fn into_panic_on_a_cancelled_task_points_at_the_caller() {
    let rt = current_thread();
    let join = rt.spawn(std::future::pending::<()>());
    join.abort();
    let err = rt.block_on(join).unwrap_err();
    assert_eq!(panic_file(move || drop(err.into_panic())), file!());
}

#[test]
fn block_in_place_on_the_current_thread_runtime_points_at_the_caller() {
    let file = panic_file(|| {
        current_thread().block_on(async { heddle::task::block_in_place(|| {}) });
    });
    assert_eq!(file, file!());
}

#[test]
fn local_set_block_on_inside_a_runtime_points_at_the_caller() {
    let file = panic_file(|| {
        let rt = current_thread();
        let local = heddle::task::LocalSet::new();
        rt.block_on(async { local.block_on(&rt, async {}) });
    });
    assert_eq!(file, file!());
}

#[test]
fn registering_a_socket_without_io_points_at_the_caller() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let file = panic_file(move || {
        let rt = Builder::new_current_thread().build().unwrap();
        rt.block_on(async move {
            let _ = heddle::net::TcpListener::from_std(std_listener);
        });
    });
    assert_eq!(file, file!());
}
