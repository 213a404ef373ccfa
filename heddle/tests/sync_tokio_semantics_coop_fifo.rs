//! A task that has spent its coop budget keeps its FIFO place when it asks
//! for a lock or permits, as in tokio: `Mutex::lock`, `RwLock::write`,
//! `Semaphore::acquire` and an mpsc `reserve` queue the waiter before
//! checking the budget, so the lock goes to that task (the first in line)
//! when it comes free, not to one that asked later. A task out of budget
//! that finds the lock free takes it, yields, and gives it back if it is
//! then dropped.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use heddle::sync::{mpsc, Mutex, RwLock, Semaphore};
use heddle::task::coop;

mod support;
use support::{run, runtimes};

/// A waker that records whether it was woken.
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, SeqCst);
    }
}

fn flag() -> (Arc<Flag>, Waker) {
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    (flag.clone(), Waker::from(flag))
}

fn poll<F: Future + ?Sized>(f: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(waker))
}

/// Spends the rest of the current task's budget.
fn exhaust_budget() {
    let (_, waker) = flag();
    loop {
        let mut unit = Box::pin(coop::consume_budget());
        if poll(unit.as_mut(), &waker).is_pending() {
            break;
        }
    }
    assert!(!coop::has_budget_remaining());
}

/// Polls `first` with no budget left and `second` with budget, while
/// `held` is held; drops `held` and checks that `first` is the one woken.
/// Each of `first`, `second` waits for what `held` holds.
async fn first_in_line_is_woken<H, A, B>(held: H, first: A, second: B)
where
    A: Future,
    B: Future,
{
    let (first_flag, first_waker) = flag();
    let (second_flag, second_waker) = flag();
    let mut first = Box::pin(first);
    let mut second = Box::pin(second);

    exhaust_budget();
    assert!(poll(first.as_mut(), &first_waker).is_pending());
    // A fresh budget for the rest of the test.
    heddle::task::yield_now().await;
    assert!(poll(second.as_mut(), &second_waker).is_pending());
    first_flag.0.store(false, SeqCst);
    second_flag.0.store(false, SeqCst);

    drop(held);
    assert!(first_flag.0.load(SeqCst), "the first in line is served first");
    assert!(!second_flag.0.load(SeqCst), "the later one waits its turn");
    assert!(poll(first.as_mut(), &first_waker).is_ready());
}

#[test]
fn mutex_keeps_fifo_without_budget() {
    for rt in runtimes() {
        run(&rt, async {
            let m = Arc::new(Mutex::new(0));
            let held = m.clone().lock_owned().await;
            first_in_line_is_woken(held, m.lock(), m.lock()).await;
        });
    }
}

#[test]
fn rwlock_keeps_fifo_without_budget() {
    for rt in runtimes() {
        run(&rt, async {
            let lock = Arc::new(RwLock::new(0));
            let held = lock.clone().read_owned().await;
            first_in_line_is_woken(held, lock.write(), lock.write()).await;
        });
    }
}

#[test]
fn semaphore_keeps_fifo_without_budget() {
    for rt in runtimes() {
        run(&rt, async {
            let sem = Arc::new(Semaphore::new(2));
            let held = sem.clone().acquire_many_owned(2).await.unwrap();
            first_in_line_is_woken(held, sem.acquire(), sem.acquire_many(2)).await;
        });
    }
}

#[test]
fn mpsc_reserve_keeps_fifo_without_budget() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, _rx) = mpsc::channel::<u8>(1);
            let held = tx.reserve().await.unwrap();
            first_in_line_is_woken(held, tx.reserve(), tx.reserve()).await;
        });
    }
}

/// Out of budget, a lock future that found the lock free takes it and
/// yields; dropped then, it unlocks.
#[test]
fn lock_taken_without_budget_is_given_back_on_drop() {
    for rt in runtimes() {
        run(&rt, async {
            let m = Mutex::new(());
            let sem = Semaphore::new(1);
            let (tx, _rx) = mpsc::channel::<u8>(1);
            let (_, waker) = flag();

            let mut lock = Box::pin(m.lock());
            let mut acquire = Box::pin(sem.acquire());
            let mut reserve = Box::pin(tx.reserve());
            exhaust_budget();
            assert!(poll(lock.as_mut(), &waker).is_pending());
            assert!(poll(acquire.as_mut(), &waker).is_pending());
            assert!(poll(reserve.as_mut(), &waker).is_pending());
            assert!(m.try_lock().is_err(), "taken, waiting for budget");
            assert_eq!(sem.available_permits(), 0);
            assert_eq!(tx.capacity(), 0);
            drop((lock, acquire, reserve));
            assert!(m.try_lock().is_ok());
            assert_eq!(sem.available_permits(), 1);
            assert_eq!(tx.capacity(), 1);

            // With budget again, a future taken that way completes.
            let mut lock = Box::pin(m.lock());
            exhaust_budget();
            assert!(poll(lock.as_mut(), &waker).is_pending());
            heddle::task::yield_now().await;
            assert!(poll(lock.as_mut(), &waker).is_ready());
        });
    }
}
