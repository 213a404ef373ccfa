//! `LocalSet` and `spawn_local`: `!Send` tasks on both runtime flavors,
//! wakes from other threads and from the timer driver, awaiting the set,
//! dropping it with tasks pending, and the panic outside a set.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

use heddle::runtime::{Builder, Runtime};
use heddle::task::{self, LocalSet};

fn current() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

fn multi() -> Runtime {
    Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// Waits until `flag` is set, parking the waker in `slot` for whoever sets it.
async fn wait_flag(flag: Arc<AtomicBool>, slot: Arc<Mutex<Option<Waker>>>) {
    poll_fn(|cx| {
        if flag.load(SeqCst) {
            return Poll::Ready(());
        }
        *slot.lock().unwrap() = Some(cx.waker().clone());
        if flag.load(SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await
}

/// Sets `flag` and wakes the parked waker from a fresh OS thread after `delay`.
fn wake_from_thread(
    flag: Arc<AtomicBool>,
    slot: Arc<Mutex<Option<Waker>>>,
    delay: Duration,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        std::thread::sleep(delay);
        flag.store(true, SeqCst);
        if let Some(w) = slot.lock().unwrap().take() {
            w.wake();
        }
    })
}

fn many_rc_tasks(rt: &Runtime) {
    let local = LocalSet::new();
    let total = Rc::new(Cell::new(0u64));
    let t2 = total.clone();
    local.block_on(rt, async move {
        let handles: Vec<_> = (0..200u64)
            .map(|i| {
                let total = t2.clone();
                task::spawn_local(async move {
                    for _ in 0..5 {
                        task::yield_now().await;
                    }
                    total.set(total.get() + i);
                    Rc::new(i)
                })
            })
            .collect();
        for (i, h) in handles.into_iter().enumerate() {
            assert_eq!(*h.await.unwrap(), i as u64);
        }
    });
    assert_eq!(total.get(), (0..200).sum::<u64>());
}

#[test]
fn rc_tasks_on_current_thread() {
    many_rc_tasks(&current());
}

#[test]
fn rc_tasks_on_multi_thread() {
    many_rc_tasks(&multi());
}

fn cross_thread_wake(rt: &Runtime) {
    let local = LocalSet::new();
    let flag = Arc::new(AtomicBool::new(false));
    let slot = Arc::new(Mutex::new(None));
    let marker = Rc::new(RefCell::new(Vec::new()));
    let m2 = marker.clone();
    let (f2, s2) = (flag.clone(), slot.clone());
    let handle = local.spawn_local(async move {
        m2.borrow_mut().push("started");
        wait_flag(f2, s2).await;
        m2.borrow_mut().push("woken");
        std::thread::current().id()
    });
    let thread = wake_from_thread(flag, slot, Duration::from_millis(20));
    let ran_on = local.block_on(rt, handle).unwrap();
    thread.join().unwrap();
    assert_eq!(ran_on, std::thread::current().id(), "a local task ran on another thread");
    assert_eq!(*marker.borrow(), ["started", "woken"]);
}

#[test]
fn wake_from_another_thread_current_thread() {
    cross_thread_wake(&current());
}

#[test]
fn wake_from_another_thread_multi_thread() {
    cross_thread_wake(&multi());
}

#[test]
fn timers_in_local_tasks_on_multi_thread() {
    let rt = multi();
    let local = LocalSet::new();
    let order = Rc::new(RefCell::new(Vec::new()));
    let o2 = order.clone();
    local.block_on(&rt, async move {
        let mut handles = Vec::new();
        for ms in [30u64, 10, 20] {
            let order = o2.clone();
            handles.push(task::spawn_local(async move {
                heddle::time::sleep(Duration::from_millis(ms)).await;
                order.borrow_mut().push(ms);
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
    });
    assert_eq!(*order.borrow(), [10, 20, 30]);
}

#[test]
fn awaiting_the_set_runs_every_task() {
    let rt = current();
    let local = LocalSet::new();
    let done = Rc::new(Cell::new(0));
    for i in 0..10u64 {
        let done = done.clone();
        local.spawn_local(async move {
            heddle::time::sleep(Duration::from_millis(i)).await;
            // A task spawned from a task is awaited by the set too.
            let done2 = done.clone();
            task::spawn_local(async move { done2.set(done2.get() + 1) });
            done.set(done.get() + 1);
        });
    }
    rt.block_on(local);
    assert_eq!(done.get(), 20);
}

#[test]
fn awaiting_an_empty_set_is_ready() {
    current().block_on(LocalSet::new());
}

#[test]
fn run_until_leaves_unfinished_tasks_in_the_set() {
    let rt = current();
    let local = LocalSet::new();
    let flag = Arc::new(AtomicBool::new(false));
    let slot = Arc::new(Mutex::new(None));
    let (f2, s2) = (flag.clone(), slot.clone());
    let slow = local.spawn_local(async move {
        wait_flag(f2, s2).await;
        "slow done"
    });
    local.block_on(&rt, async { task::yield_now().await });
    assert!(!slow.is_finished());
    let thread = wake_from_thread(flag, slot, Duration::from_millis(5));
    assert_eq!(local.block_on(&rt, slow).unwrap(), "slow done");
    thread.join().unwrap();
}

struct SetOnDrop(Rc<Cell<bool>>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

#[test]
fn dropping_the_set_drops_pending_tasks() {
    let rt = current();
    let local = LocalSet::new();
    let dropped = Rc::new(Cell::new(false));
    let never_run = Rc::new(Cell::new(false));
    let guard = SetOnDrop(dropped.clone());
    let pending = local.spawn_local(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    // Runs once, so the first task is pending with its guard alive.
    local.block_on(&rt, task::yield_now());
    assert!(!dropped.get());
    // Never polled: dropped without running.
    let nr = never_run.clone();
    let queued = local.spawn_local(async move { nr.set(true) });
    drop(local);
    assert!(dropped.get(), "the pending task's future was not dropped");
    assert!(!never_run.get());
    assert!(rt.block_on(pending).unwrap_err().is_cancelled());
    assert!(rt.block_on(queued).unwrap_err().is_cancelled());
}

#[test]
fn late_wake_after_drop_is_harmless() {
    let rt = multi();
    let local = LocalSet::new();
    let flag = Arc::new(AtomicBool::new(false));
    let slot = Arc::new(Mutex::new(None));
    let (f2, s2) = (flag.clone(), slot.clone());
    let handle = local.spawn_local(async move { wait_flag(f2, s2).await });
    local.block_on(&rt, task::yield_now());
    drop(local);
    // The waker outlives the set; waking it now must do nothing bad.
    wake_from_thread(flag, slot, Duration::ZERO).join().unwrap();
    assert!(rt.block_on(handle).unwrap_err().is_cancelled());
}

#[test]
fn abort_a_local_task() {
    let rt = current();
    let local = LocalSet::new();
    local.block_on(&rt, async {
        let h = task::spawn_local(std::future::pending::<()>());
        task::yield_now().await;
        h.abort();
        assert!(h.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn panic_in_local_task_is_a_join_error() {
    let rt = current();
    let local = LocalSet::new();
    let err = local.block_on(&rt, local.spawn_local(async { panic!("boom") })).unwrap_err();
    assert!(err.is_panic());
}

#[test]
fn enter_guard_makes_spawn_local_work() {
    let rt = current();
    let local = LocalSet::new();
    let handle = {
        let _g = local.enter();
        task::spawn_local(async { Rc::new("entered") })
    };
    assert_eq!(*local.block_on(&rt, handle).unwrap(), "entered");
}

#[test]
#[should_panic(expected = "`spawn_local` called from outside of a `task::LocalSet`")]
fn spawn_local_outside_a_set_panics() {
    current().block_on(async {
        drop(task::spawn_local(async {}));
    });
}

#[test]
fn spawn_local_after_the_set_left_panics() {
    let local = LocalSet::new();
    {
        let _g = local.enter();
    }
    let r = std::panic::catch_unwind(|| task::spawn_local(async {}));
    assert!(r.is_err());
}

#[test]
fn wake_inside_an_enter_guard_wakes_the_sets_poller() {
    let rt = current();
    let local = LocalSet::new();
    let flag = Arc::new(AtomicBool::new(false));
    let slot = Arc::new(Mutex::new(None));
    let (f2, s2) = (flag.clone(), slot.clone());
    let handle = local.spawn_local(async move { wait_flag(f2, s2).await });
    // Run the task once so it parks its waker.
    local.block_on(&rt, task::yield_now());
    let waker = slot.lock().unwrap().take().expect("task parked its waker");

    // Poll the set once with a probe waker, as an outer task awaiting it would.
    let woken = Arc::new(AtomicBool::new(false));
    let probe = waker_fn(woken.clone());
    let mut driving = std::pin::pin!(local.run_until(std::future::pending::<()>()));
    assert!(driving.as_mut().poll(&mut std::task::Context::from_waker(&probe)).is_pending());
    assert!(!woken.load(SeqCst));

    // A wake on the owner thread under `enter` queues the task locally; it
    // must also wake whoever polls the set, or the task would never run.
    {
        let _guard = local.enter();
        waker.wake();
    }
    assert!(woken.load(SeqCst), "the set's poller was not woken");

    flag.store(true, SeqCst);
    local.block_on(&rt, handle).unwrap();
}

fn waker_fn(flag: Arc<AtomicBool>) -> Waker {
    struct W(Arc<AtomicBool>);
    impl std::task::Wake for W {
        fn wake(self: Arc<Self>) {
            self.0.store(true, SeqCst);
        }
    }
    Waker::from(Arc::new(W(flag)))
}

#[test]
fn many_wakes_from_many_threads() {
    // 64 local tasks, each woken 50 times from 4 OS threads at once; every
    // wake takes the remote path. Each task counts its polls in an `Rc`.
    let rt = multi();
    let local = LocalSet::new();
    const TASKS: usize = 64;
    const ROUNDS: usize = 50;
    let slots: Vec<Arc<Mutex<Option<Waker>>>> = (0..TASKS).map(|_| Arc::new(Mutex::new(None))).collect();
    let progress: Vec<Arc<std::sync::atomic::AtomicUsize>> =
        (0..TASKS).map(|_| Arc::new(std::sync::atomic::AtomicUsize::new(0))).collect();
    let done = Rc::new(Cell::new(0usize));
    for i in 0..TASKS {
        let (slot, progress, done) = (slots[i].clone(), progress[i].clone(), done.clone());
        local.spawn_local(async move {
            let mut seen = 0;
            while seen < ROUNDS {
                poll_fn(|cx| {
                    let now = progress.load(SeqCst);
                    if now > seen {
                        seen = now;
                        return Poll::Ready(());
                    }
                    *slot.lock().unwrap() = Some(cx.waker().clone());
                    if progress.load(SeqCst) > seen {
                        seen = progress.load(SeqCst);
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    }
                })
                .await;
            }
            done.set(done.get() + 1);
        });
    }
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let slots = slots.clone();
            let progress = progress.clone();
            std::thread::spawn(move || {
                for _ in 0..ROUNDS {
                    for i in (t..TASKS).step_by(4) {
                        progress[i].fetch_add(1, SeqCst);
                        let waker = slots[i].lock().unwrap().take();
                        if let Some(w) = waker {
                            w.wake();
                        }
                    }
                    std::thread::yield_now();
                }
            })
        })
        .collect();
    let finished = rt.block_on(async { heddle::time::timeout(Duration::from_secs(30), local).await });
    for t in threads {
        t.join().unwrap();
    }
    assert!(finished.is_ok(), "a wake was lost: {} of {TASKS} tasks finished", done.get());
    assert_eq!(done.get(), TASKS);
}
