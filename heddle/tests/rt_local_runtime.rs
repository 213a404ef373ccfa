//! `LocalRuntime`: `!Send` tasks spawned without a `LocalSet` (from the
//! runtime object, inside `block_on`, from a `Send` task, under `enter`),
//! woken by other threads, timers and sockets; `block_on` reused; the
//! local tasks dropped on shutdown; the `build_local` and `spawn_local`
//! panics; and `#[heddle::test(flavor = "local")]`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use heddle::io::{AsyncReadExt, AsyncWriteExt};
use heddle::net::{TcpListener, TcpStream};
use heddle::runtime::{Builder, LocalOptions, LocalRuntime};
use heddle::sync::oneshot;
use heddle::task;

fn local_rt() -> LocalRuntime {
    Builder::new_current_thread().enable_all().build_local(LocalOptions::default()).unwrap()
}

/// Sets its flag when dropped, to see a task's future go.
struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

#[test]
fn spawn_local_of_rc_future_returns_its_output() {
    let rt = local_rt();
    let shared = Rc::new(RefCell::new(vec![1]));
    let out = rt.block_on({
        let shared = shared.clone();
        async move {
            let inner = shared.clone();
            let handle = task::spawn_local(async move {
                task::yield_now().await;
                inner.borrow_mut().push(2);
                Rc::new(inner.borrow().len())
            });
            *handle.await.unwrap()
        }
    });
    assert_eq!(out, 2);
    assert_eq!(*shared.borrow(), [1, 2]);
}

#[test]
fn runtime_spawn_local_before_block_on_and_reuse() {
    let rt = local_rt();
    let (tx, rx) = oneshot::channel::<u32>();
    // Spawned before any block_on; finishes only in the third round.
    let waiter = rt.spawn_local(async move { Rc::new(rx.await.unwrap() + 1) });
    let first = rt.block_on(async { task::spawn_local(async { 10 }).await.unwrap() });
    assert_eq!(first, 10);
    assert!(!waiter.is_finished());
    rt.block_on(async move { tx.send(41).unwrap() });
    let out = rt.block_on(waiter).unwrap();
    assert_eq!(*out, 42);
}

#[test]
fn send_task_may_spawn_local_on_the_owner_thread() {
    let rt = local_rt();
    let out = rt.block_on(async {
        let send_task = heddle::spawn(async {
            // A `Send` task of this runtime, running on its thread.
            let local = task::spawn_local(async {
                let not_send = Rc::new(5);
                task::yield_now().await;
                *not_send
            });
            local.await.unwrap() * 2
        });
        send_task.await.unwrap()
    });
    assert_eq!(out, 10);
}

#[test]
fn local_task_woken_from_another_thread() {
    let rt = local_rt();
    let (tx, rx) = oneshot::channel::<&'static str>();
    let out = rt.block_on(async move {
        let local = task::spawn_local(async move {
            let marker = Rc::new(());
            let v = rx.await.unwrap();
            (Rc::strong_count(&marker), v)
        });
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            tx.send("from thread").unwrap();
        });
        let out = local.await.unwrap();
        sender.join().unwrap();
        out
    });
    assert_eq!(out, (1, "from thread"));
}

#[test]
fn local_tasks_use_timers_and_sockets() {
    let rt = local_rt();
    let echoed = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let count = Rc::new(Cell::new(0u32));
        let server = task::spawn_local({
            let count = count.clone();
            async move {
                let (mut sock, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 5];
                sock.read_exact(&mut buf).await.unwrap();
                count.set(count.get() + 1);
                sock.write_all(&buf).await.unwrap();
            }
        });
        let client = task::spawn_local(async move {
            let started = Instant::now();
            heddle::time::sleep(Duration::from_millis(10)).await;
            assert!(started.elapsed() >= Duration::from_millis(10));
            let mut sock = TcpStream::connect(addr).await.unwrap();
            sock.write_all(b"hello").await.unwrap();
            let mut buf = [0u8; 5];
            sock.read_exact(&mut buf).await.unwrap();
            buf
        });
        let reply = client.await.unwrap();
        server.await.unwrap();
        assert_eq!(count.get(), 1);
        reply
    });
    assert_eq!(&echoed, b"hello");
}

#[test]
fn enter_guard_makes_spawn_local_work() {
    let rt = local_rt();
    let handle = {
        let _guard = rt.enter();
        // The handle is current too.
        assert!(heddle::runtime::Handle::try_current().is_ok());
        task::spawn_local(async { Rc::new("entered") })
    };
    assert!(heddle::runtime::Handle::try_current().is_err());
    assert_eq!(*rt.block_on(handle).unwrap(), "entered");
}

#[test]
fn handle_spawns_send_tasks_from_other_threads() {
    let rt = local_rt();
    let handle = rt.handle().clone();
    let join = std::thread::spawn(move || handle.spawn(async { 6 * 7 })).join().unwrap();
    assert_eq!(rt.block_on(join).unwrap(), 42);
}

#[test]
fn drop_cancels_pending_local_tasks_on_the_owner_thread() {
    let dropped = Rc::new(Cell::new(false));
    let rt = local_rt();
    let flag = DropFlag(dropped.clone());
    let handle = rt.spawn_local(async move {
        let _flag = flag;
        std::future::pending::<()>().await;
    });
    rt.block_on(task::yield_now());
    assert!(!dropped.get());
    drop(rt);
    assert!(dropped.get());
    assert!(handle.is_finished());
}

#[test]
fn shutdown_timeout_cancels_local_tasks() {
    let dropped = Rc::new(Cell::new(false));
    let rt = local_rt();
    let flag = DropFlag(dropped.clone());
    let handle = rt.spawn_local(async move {
        let _flag = flag;
        std::future::pending::<()>().await;
    });
    let started = Instant::now();
    rt.shutdown_timeout(Duration::from_secs(5));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(dropped.get());
    let rt2 = local_rt();
    assert!(rt2.block_on(handle).unwrap_err().is_cancelled());
    rt2.shutdown_background();
}

#[test]
#[should_panic = "multi_thread is not supported for LocalRuntime"]
fn build_local_on_multi_thread_builder_panics() {
    let _ = Builder::new_multi_thread().build_local(LocalOptions::default());
}

#[test]
#[should_panic = "Cannot start a runtime from within a runtime"]
fn nested_block_on_panics() {
    let rt = local_rt();
    rt.block_on(async { local_rt().block_on(async {}) });
}

#[test]
#[should_panic = "Local tasks can only be spawned on a LocalRuntime from the thread the runtime was created on"]
fn spawn_local_under_handle_on_other_thread_panics() {
    let rt = local_rt();
    let handle = rt.handle().clone();
    let panic = std::thread::spawn(move || {
        let _guard = handle.enter();
        drop(task::spawn_local(async {}));
    })
    .join()
    .unwrap_err();
    std::panic::resume_unwind(panic);
}

#[test]
#[should_panic = "`spawn_local` called from outside of a `task::LocalSet` or `runtime::LocalRuntime`"]
fn spawn_local_on_plain_current_thread_runtime_panics() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async { drop(task::spawn_local(async {})) });
}

#[heddle::test(flavor = "local")]
async fn test_macro_local_flavor() {
    let rc = Rc::new(3);
    let inner = rc.clone();
    let out = task::spawn_local(async move { *inner + 1 }).await.unwrap();
    assert_eq!(out, 4);
    assert_eq!(Rc::strong_count(&rc), 1);
    assert_eq!(heddle::runtime::worker_index(), Some(0));
}

#[heddle::test(flavor = "local", start_paused = true)]
async fn test_macro_local_flavor_start_paused() {
    let started = heddle::time::Instant::now();
    let slept = task::spawn_local(async {
        heddle::time::sleep(Duration::from_secs(3600)).await;
        Rc::new(())
    });
    slept.await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(3600));
}
