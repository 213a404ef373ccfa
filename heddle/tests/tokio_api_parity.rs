//! tokio 1.54 APIs and trait impls heddle gained to match it:
//! `LocalKey::try_get` (and futures dropped inside their scope),
//! `Notify::notified_owned`, `task::coop::{poll_proceed, RestoreOnPending,
//! cooperative}` (and `watch` waits that spend budget), `time::error::Error`,
//! and the unwind-safety and `Send`/`Sync` of runtime, task and sync types.

mod support;

use std::cell::Cell;
use std::future::poll_fn;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use heddle::runtime::Builder;
use heddle::sync::futures::OwnedNotified;
use heddle::sync::Notify;
use heddle::task::coop::{self, RestoreOnPending};
use support::{run, runtimes};

heddle::task_local! {
    static REQUEST: u32;
    static LOG: Arc<AtomicUsize>;
}

// ---- LocalKey::try_get -------------------------------------------------

#[test]
fn try_get_outside_and_inside_scopes() {
    assert!(REQUEST.try_get().is_err());
    assert_eq!(REQUEST.sync_scope(5, || REQUEST.try_get()), Ok(5));
    for rt in runtimes() {
        run(&rt, async {
            let task = heddle::spawn(REQUEST.scope(9, async {
                heddle::task::yield_now().await;
                let inner = REQUEST.scope(10, async { REQUEST.try_get() }).await;
                (REQUEST.try_get(), inner)
            }));
            assert_eq!(task.await.unwrap(), (Ok(9), Ok(10)));
            // The scope is over: gone again, also on this (non-task) future.
            assert!(REQUEST.try_get().is_err());
        });
    }
    assert_eq!(format!("{:?}", REQUEST.try_get().unwrap_err()), "AccessError");
}

/// Counts, in `LOG`'s counter, whether the key was still set when dropped.
struct ReadsKeyOnDrop;

impl Drop for ReadsKeyOnDrop {
    fn drop(&mut self) {
        if let Ok(log) = LOG.try_get() {
            log.fetch_add(1, SeqCst);
        }
    }
}

/// Completes at once but keeps its guard until the future itself drops.
struct ReadyKeepingGuard(#[allow(dead_code)] ReadsKeyOnDrop);

impl std::future::Future for ReadyKeepingGuard {
    type Output = ();
    fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<()> {
        Poll::Ready(())
    }
}

#[test]
fn scoped_future_is_dropped_inside_its_scope() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let log = Arc::new(AtomicUsize::new(0));
    run(&rt, async {
        // Completed: the finished future drops while the key is still set.
        LOG.scope(log.clone(), ReadyKeepingGuard(ReadsKeyOnDrop)).await;
        assert_eq!(log.load(SeqCst), 1);
        // Aborted mid-way: dropped (inside the scope) by the abort.
        let task = heddle::spawn(LOG.scope(log.clone(), async {
            let _guard = ReadsKeyOnDrop;
            std::future::pending::<()>().await;
        }));
        heddle::task::yield_now().await;
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
        assert_eq!(log.load(SeqCst), 2);
    });
}

// ---- Notify::notified_owned ----------------------------------------------

#[test]
fn owned_notified_moved_into_tasks_is_woken_by_notify_one() {
    for rt in runtimes() {
        run(&rt, async {
            let notify = Arc::new(Notify::new());
            let (queued, woken) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
            let tasks: Vec<_> = (0..3)
                .map(|_| {
                    let notified: OwnedNotified = notify.clone().notified_owned();
                    let (queued, woken) = (queued.clone(), woken.clone());
                    heddle::spawn(async move {
                        let mut notified = std::pin::pin!(notified);
                        assert!(!notified.as_mut().enable());
                        queued.fetch_add(1, SeqCst);
                        notified.await;
                        woken.fetch_add(1, SeqCst);
                    })
                })
                .collect();
            wait_for(&queued, 3).await;
            // All three wait in the queue: two notifications wake two of
            // them and store no permit for the third.
            notify.notify_one();
            notify.notify_one();
            wait_for(&woken, 2).await;
            heddle::time::sleep(Duration::from_millis(20)).await;
            assert_eq!(woken.load(SeqCst), 2, "a task woke without a notification");
            notify.notify_one();
            for task in tasks {
                task.await.unwrap();
            }
            assert_eq!(woken.load(SeqCst), 3);
        });
    }
}

/// Sleeps until `counter` reaches `n` (the caller's `run` bounds it).
async fn wait_for(counter: &AtomicUsize, n: usize) {
    while counter.load(SeqCst) < n {
        heddle::time::sleep(Duration::from_millis(1)).await;
    }
}

#[test]
fn owned_notified_made_before_spawn_counts_for_notify_waiters() {
    for rt in runtimes() {
        run(&rt, async {
            let notify = Arc::new(Notify::new());
            let notified: Vec<_> = (0..4).map(|_| notify.clone().notified_owned()).collect();
            // Before any task runs (or even exists): every future made so
            // far is released, and no permit is stored for later ones.
            notify.notify_waiters();
            let tasks: Vec<_> = notified.into_iter().map(heddle::spawn).collect();
            for task in tasks {
                task.await.unwrap();
            }
            let mut late = Box::pin(notify.clone().notified_owned());
            assert!(!late.as_mut().enable(), "notify_waiters must not store a permit");
        });
    }
}

#[test]
fn dropped_owned_notified_passes_its_notification_on() {
    let notify = Arc::new(Notify::new());
    let mut first = Box::pin(notify.clone().notified_owned());
    let mut second = Box::pin(notify.clone().notified_owned());
    assert!(!first.as_mut().enable());
    assert!(!second.as_mut().enable());
    notify.notify_one(); // goes to `first`, the longest waiting
    drop(first);
    assert!(second.as_mut().enable(), "the notification was lost with the dropped future");
    assert_eq!(Arc::strong_count(&notify), 2, "the owned future holds one reference");
    drop(second);
    assert_eq!(Arc::strong_count(&notify), 1);
}

// ---- task::coop ----------------------------------------------------------

#[test]
fn poll_proceed_spends_budget_only_on_progress() {
    let rt = Builder::new_current_thread().build().unwrap();
    let spent = rt.block_on(rt.spawn(poll_fn(|cx| {
        // Dropped without progress: the unit goes back each time.
        for _ in 0..1000 {
            let unit: RestoreOnPending = match coop::poll_proceed(cx) {
                Poll::Ready(unit) => unit,
                Poll::Pending => panic!("budget spent without progress"),
            };
            drop(unit);
        }
        assert!(coop::has_budget_remaining());
        let mut spent = 0;
        while let Poll::Ready(unit) = coop::poll_proceed(cx) {
            unit.made_progress();
            spent += 1;
            assert!(spent < 1000, "the budget never ran out");
        }
        assert!(!coop::has_budget_remaining());
        Poll::Ready(spent)
    })));
    assert!(spent.unwrap() > 0);
    // Outside a task there is no budget: always ready.
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    for _ in 0..1000 {
        assert!(coop::poll_proceed(&mut cx).is_ready());
    }
}

#[test]
fn cooperative_future_yields_when_the_budget_runs_out() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let other_ran = Arc::new(AtomicBool::new(false));
        let flag = other_ran.clone();
        // Spawned first, so it runs first on this single thread.
        let looper = heddle::spawn(async move {
            // Always ready, so only the budget can make this loop yield.
            for i in 0..10_000 {
                coop::cooperative(std::future::ready(())).await;
                if other_ran.load(SeqCst) {
                    return i;
                }
            }
            panic!("the other task never ran");
        });
        heddle::spawn(async move { flag.store(true, SeqCst) });
        assert!(looper.await.unwrap() > 0);
    });
}

#[test]
fn watch_waits_that_are_always_ready_still_yield() {
    // Bounded from outside: a loop that never yields would also keep a
    // `timeout` around it from ever firing.
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            // Each loop finds its answer at once, forever; only the budget
            // can make it yield so that the other task runs and ends it.
            let (tx, mut rx) = heddle::sync::watch::channel(0);
            drop(tx);
            assert!(rx.is_closed());
            let other = heddle::spawn(async {});
            while !other.is_finished() {
                assert!(rx.wait_for(|v| *v == 1).await.is_err());
            }
            let (tx, rx) = heddle::sync::watch::channel(0);
            drop(rx);
            let other = heddle::spawn(async {});
            while !other.is_finished() {
                tx.closed().await;
            }
        });
        done_tx.send(()).unwrap();
    });
    done_rx.recv_timeout(Duration::from_secs(10)).expect("a watch wait never yielded");
}

// ---- time::error::Error --------------------------------------------------

#[test]
fn timer_error_kinds() {
    use heddle::time::error::Error;
    let kinds = [Error::shutdown(), Error::at_capacity(), Error::invalid()];
    let flags: Vec<_> = kinds.iter().map(|e| (e.is_shutdown(), e.is_at_capacity(), e.is_invalid())).collect();
    assert_eq!(flags, [(true, false, false), (false, true, false), (false, false, true)]);
    let messages: Vec<String> = kinds.iter().map(ToString::to_string).collect();
    assert!(messages[1].contains("capacity") && messages[2].contains("duration"));
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(Error::shutdown());
    assert!(boxed.to_string().contains("shut down"));
}

// ---- unwind safety and Send/Sync (compile-time) --------------------------

fn unwind_safe<T: UnwindSafe + RefUnwindSafe>() {}

#[test]
fn runtime_task_and_channel_handles_are_unwind_safe() {
    unwind_safe::<heddle::runtime::Runtime>();
    unwind_safe::<heddle::runtime::Handle>();
    unwind_safe::<heddle::runtime::RuntimeMetrics>();
    // Whatever the output type: `Cell` is not `RefUnwindSafe`.
    unwind_safe::<heddle::task::JoinHandle<Cell<u8>>>();
    unwind_safe::<heddle::task::AbortHandle>();
    unwind_safe::<heddle::task::JoinSet<u8>>();
    unwind_safe::<Notify>();
    unwind_safe::<heddle::sync::mpsc::Sender<Cell<u8>>>();
    unwind_safe::<heddle::sync::mpsc::Receiver<Cell<u8>>>();
    unwind_safe::<heddle::sync::mpsc::UnboundedSender<u8>>();
    unwind_safe::<heddle::sync::mpsc::UnboundedReceiver<u8>>();
    unwind_safe::<heddle::sync::mpsc::WeakSender<u8>>();
    unwind_safe::<heddle::sync::mpsc::OwnedPermit<u8>>();
    unwind_safe::<heddle::time::error::Error>();

    // And `catch_unwind` accepts a closure borrowing a runtime, which it
    // survives intact.
    let rt = Builder::new_current_thread().build().unwrap();
    let caught = std::panic::catch_unwind(|| {
        rt.block_on(async {
            if rt.handle().runtime_flavor() == heddle::runtime::RuntimeFlavor::CurrentThread {
                panic!("boom");
            }
        })
    });
    assert!(caught.is_err());
    assert_eq!(rt.block_on(async { heddle::spawn(async { 3 }).await.unwrap() }), 3);
}

/// `assert_not_impl!(T: Trait)` fails to compile if `T: Trait` (the two
/// impls below then both apply and the `_` cannot be inferred).
macro_rules! assert_not_impl {
    ($t:ty: $tr:path) => {
        const _: fn() = || {
            trait Ambiguous<A> {
                fn check() {}
            }
            impl<T: ?Sized> Ambiguous<()> for T {}
            impl<T: ?Sized + $tr> Ambiguous<u8> for T {}
            <$t as Ambiguous<_>>::check();
        };
    };
}

fn sync<T: Sync>(_: &T) {}
fn send<T: Send>(_: &T) {}

// The guards put this thread's previous state back when dropped: they
// must stay on the thread that made them.
assert_not_impl!(heddle::runtime::EnterGuard<'static>: Send);
assert_not_impl!(RestoreOnPending: Send);
assert_not_impl!(RestoreOnPending: Sync);
assert_not_impl!(OwnedNotified: Unpin);

#[test]
fn auto_traits_match_tokio() {
    let rt = Builder::new_current_thread().build().unwrap();
    let guard = rt.enter();
    sync(&guard);
    drop(guard);

    let notify = Arc::new(Notify::new());
    let owned = notify.clone().notified_owned();
    send(&owned);
    sync(&owned);

    // A `T` that is `Send` but not `Sync` is never shared by `recv`, so
    // its future is `Sync` (as tokio's): it holds no `T` across the await.
    #[derive(Clone)]
    struct SendOnly(#[allow(dead_code)] Cell<u8>);
    let (_tx, mut rx) = heddle::sync::broadcast::channel::<SendOnly>(1);
    let recv = rx.recv();
    send(&recv);
    sync(&recv);
}

#[heddle::test(flavor = "multi_thread", worker_threads = 2, name = "parity")]
async fn the_runtime_name_reaches_every_handle() {
    assert_eq!(heddle::runtime::Handle::current().name(), Some("parity"));
    let from_worker = heddle::spawn(async { heddle::runtime::Handle::current().name().map(str::to_owned) });
    assert_eq!(from_worker.await.unwrap().as_deref(), Some("parity"));
    let unnamed = heddle::runtime::Builder::new_current_thread().build().unwrap();
    assert_eq!(unnamed.handle().name(), None);
    // Dropping a runtime in an async context panics (it would block), as in tokio.
    unnamed.shutdown_background();
}

#[test]
#[should_panic(expected = "runtime name shouldn't be empty")]
fn an_empty_runtime_name_panics() {
    heddle::runtime::Builder::new_multi_thread().name("  ");
}
