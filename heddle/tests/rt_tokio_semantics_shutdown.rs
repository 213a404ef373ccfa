//! Shutting a runtime down where tokio's can be: from a thread-local's
//! destructor at thread exit, after this crate's own thread-locals (the
//! current runtime, the scheduler's slot) have been destroyed.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Once;

use heddle::runtime::{Builder, Runtime};

/// Name of the threads that drop a runtime at exit.
const EXITING: &str = "drops-runtime-at-exit";

/// Panics on `EXITING` threads, including those caught inside the runtime
/// (a panic in a task's drop is swallowed, and a wake it makes lost).
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics_on_exiting_threads() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() == Some(EXITING) {
                PANICS.fetch_add(1, SeqCst);
            }
            previous(info);
        }));
    });
}

thread_local! {
    static KEPT: RefCell<Option<Runtime>> = const { RefCell::new(None) };
}

/// Runs two tasks on a runtime built by `build` (each holds the sender the
/// other waits on, so cancelling either wakes the other), then leaves the
/// runtime in a thread-local for the thread's exit to drop.
fn dropped_at_thread_exit(build: fn() -> Runtime) {
    count_panics_on_exiting_threads();
    let before = PANICS.load(SeqCst);
    let thread = std::thread::Builder::new().name(EXITING.into());
    thread
        .spawn(move || {
            // First use registers `KEPT`'s destructor before those of the
            // thread-locals the runtime uses: it runs after them.
            KEPT.with(|_| ());
            let rt = build();
            rt.block_on(async {
                let (started_tx, mut started) = heddle::sync::mpsc::unbounded_channel();
                let (tx_a, rx_a) = heddle::sync::oneshot::channel::<()>();
                let (tx_b, rx_b) = heddle::sync::oneshot::channel::<()>();
                for (keep, wait) in [(tx_b, rx_a), (tx_a, rx_b)] {
                    let started_tx = started_tx.clone();
                    heddle::spawn(async move {
                        let _keep = keep;
                        started_tx.send(()).unwrap();
                        let _ = wait.await;
                    });
                }
                for _ in 0..2 {
                    started.recv().await.unwrap();
                }
            });
            KEPT.with(|kept| *kept.borrow_mut() = Some(rt));
        })
        .unwrap()
        .join()
        .expect("the thread exited cleanly");
    assert_eq!(PANICS.load(SeqCst), before, "the runtime's shutdown panicked");
}

/// Without care, the runtime's shutdown reached for the destroyed
/// thread-locals and the process aborted ("thread local panicked on drop"),
/// or a task woken by another's cancellation panicked in its waker.
#[test]
fn a_current_thread_runtime_can_be_dropped_at_thread_exit() {
    dropped_at_thread_exit(|| Builder::new_current_thread().enable_all().build().unwrap());
}

#[test]
fn a_multi_thread_runtime_can_be_dropped_at_thread_exit() {
    dropped_at_thread_exit(|| Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap());
}
