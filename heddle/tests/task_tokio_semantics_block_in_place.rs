//! Where `block_in_place` may block, as in tokio 1.54: not on the
//! current-thread runtime, and not inside a `LocalSet` driven off the
//! worker threads (its tasks all share that one thread); on a worker
//! thread, even inside a `LocalSet`, it hands the worker off as usual.

use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use heddle::runtime::{Builder, Runtime};
use heddle::task::{self, LocalSet};

const MESSAGE: &str = "can call blocking only when running on the multi-threaded runtime";

fn multi_thread() -> Runtime {
    Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// The text of a panic payload.
fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    match payload.downcast_ref::<String>() {
        Some(s) => s.clone(),
        None => payload.downcast_ref::<&str>().expect("a string payload").to_string(),
    }
}

/// The message of the panic `f` raises.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = panic::catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    payload_text(&*payload)
}

#[test]
fn in_run_until_on_the_block_on_thread_of_a_multi_thread_runtime() {
    let rt = multi_thread();
    let message = panic_message(|| {
        rt.block_on(async {
            LocalSet::new().run_until(async { task::block_in_place(|| {}) }).await;
        });
    });
    assert_eq!(message, MESSAGE);
}

#[test]
fn in_a_local_task_polled_by_the_block_on_thread() {
    let rt = multi_thread();
    let local = LocalSet::new();
    let join = local.spawn_local(async { task::block_in_place(|| {}) });
    rt.block_on(local);
    let err = rt.block_on(join).unwrap_err();
    assert_eq!(payload_text(&*err.into_panic()), MESSAGE);
}

/// Blocks in place when dropped.
struct BlocksOnDrop;

impl std::future::Future for BlocksOnDrop {
    type Output = ();

    fn poll(self: std::pin::Pin<&mut Self>, _cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        std::task::Poll::Pending
    }
}

impl Drop for BlocksOnDrop {
    fn drop(&mut self) {
        task::block_in_place(|| {});
    }
}

#[test]
fn in_a_local_task_dropped_with_its_set_inside_block_on() {
    let rt = multi_thread();
    let err = rt.block_on(async {
        let local = LocalSet::new();
        let join = local.spawn_local(BlocksOnDrop);
        local.run_until(task::yield_now()).await;
        drop(local);
        join.await.unwrap_err()
    });
    // The panic in the drop is the task's outcome, as in tokio.
    assert_eq!(payload_text(&*err.into_panic()), MESSAGE);
}

#[test]
fn outside_a_local_set_the_block_on_thread_may_still_block() {
    let rt = multi_thread();
    let out = rt.block_on(async {
        // The set has come and gone: blocking is allowed again.
        LocalSet::new().run_until(async {}).await;
        task::block_in_place(|| 7)
    });
    assert_eq!(out, 7);
}

#[test]
fn a_local_set_run_on_a_worker_may_block_in_place() {
    use futures::FutureExt;

    let rt = multi_thread();
    let out = rt.block_on(async {
        heddle::spawn(async {
            // Polled once, within this poll of a task on a worker: the set
            // is not held across an await (it is not `Send`).
            LocalSet::new()
                .run_until(async {
                    task::block_in_place(|| std::thread::sleep(Duration::from_millis(1)));
                    "blocked"
                })
                .now_or_never()
        })
        .await
        .unwrap()
    });
    assert_eq!(out, Some("blocked"));
}

#[test]
fn a_runtime_entered_inside_a_local_set_starts_with_blocking_allowed() {
    // The set runs outside any runtime here; the runtime started inside it
    // is a context of its own, where `block_on`'s thread may block.
    let out = futures::executor::block_on(LocalSet::new().run_until(async {
        let rt = multi_thread();
        rt.block_on(async { task::block_in_place(|| 3) })
    }));
    assert_eq!(out, 3);
}

#[test]
fn handle_block_on_of_a_current_thread_runtime_may_block_in_place() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let handle = rt.handle().clone();
    let out = handle.block_on(async {
        task::block_in_place(|| {
            // The thread is outside the runtime meanwhile: it may block on
            // the runtime again.
            heddle::runtime::Handle::current().block_on(task::yield_now());
            5
        })
    });
    assert_eq!(out, 5);
}

#[test]
fn on_a_current_thread_runtime_tasks_and_runtime_block_on_may_not() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let message = panic_message(|| rt.block_on(async { task::block_in_place(|| {}) }));
    assert_eq!(message, MESSAGE);
    // A task polled while `Handle::block_on` drives the runtime.
    let err = rt.handle().block_on(rt.spawn(async { task::block_in_place(|| {}) })).unwrap_err();
    assert_eq!(payload_text(&*err.into_panic()), MESSAGE);
}
