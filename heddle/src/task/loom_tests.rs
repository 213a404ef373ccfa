//! Loom models of the task state machine: wakes, polls, join and abort
//! racing from different threads, driven through the real task code with a
//! minimal queue-backed scheduler.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::ptr::NonNull;
use std::task::{Poll, Waker};

use super::{new_task, Header, JoinHandle, Notified, Schedule};
use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use crate::loom::sync::{Arc, Mutex};
use crate::loom::thread;

/// A scheduler that only queues; the model's threads run the queue.
#[derive(Clone, Default)]
struct TestScheduler {
    queue: Arc<Mutex<VecDeque<Notified>>>,
}

impl Schedule for TestScheduler {
    fn schedule(&self, task: Notified) {
        self.queue.lock().unwrap().push_back(task);
    }
    fn release(&self, _task: NonNull<Header>) -> bool {
        // The model keeps the owned-list `Task` handle itself.
        false
    }
}

impl TestScheduler {
    fn run_all(&self) {
        loop {
            let task = self.queue.lock().unwrap().pop_front();
            match task {
                Some(t) => t.run(),
                None => return,
            }
        }
    }
}

/// A future that parks its waker in a shared slot once, then completes
/// when the flag is set.
fn wait_for(flag: Arc<AtomicBool>, slot: Arc<Mutex<Option<Waker>>>) -> impl Future<Output = u32> + Send {
    poll_fn(move |cx| {
        if flag.load(SeqCst) {
            return Poll::Ready(7);
        }
        *slot.lock().unwrap() = Some(cx.waker().clone());
        if flag.load(SeqCst) {
            Poll::Ready(7)
        } else {
            Poll::Pending
        }
    })
}

fn spawn_waiting(sched: &TestScheduler) -> (super::Task, JoinHandle<u32>, Arc<AtomicBool>, Arc<Mutex<Option<Waker>>>) {
    let flag = Arc::new(AtomicBool::new(false));
    let slot = Arc::new(Mutex::new(None));
    let (task, notified, join) = new_task(wait_for(flag.clone(), slot.clone()), sched.clone());
    sched.schedule(notified);
    (task, join, flag, slot)
}

/// A wake from another thread while the task is being polled is never
/// lost: the task completes and the JoinHandle sees its output.
#[test]
fn wake_races_with_poll() {
    loom::model(|| {
        let sched = TestScheduler::default();
        let (task, join, flag, slot) = spawn_waiting(&sched);
        let waker_thread = {
            let (flag, slot) = (flag.clone(), slot.clone());
            thread::spawn(move || {
                flag.store(true, SeqCst);
                if let Some(w) = slot.lock().unwrap().take() {
                    w.wake();
                }
            })
        };
        sched.run_all();
        waker_thread.join().unwrap();
        sched.run_all();
        let out = loom::future::block_on(join);
        assert_eq!(out.unwrap(), 7);
        drop(task);
        drop(slot);
    });
}

/// Dropping the JoinHandle on one thread while the task completes on
/// another frees everything exactly once (loom checks for leaks).
#[test]
fn join_handle_drop_races_with_completion() {
    loom::model(|| {
        let sched = TestScheduler::default();
        let (task, join, flag, slot) = spawn_waiting(&sched);
        sched.run_all();
        flag.store(true, SeqCst);
        let waker = slot.lock().unwrap().take().expect("task registered its waker");
        let dropper = thread::spawn(move || drop(join));
        waker.wake();
        sched.run_all();
        dropper.join().unwrap();
        drop(task);
    });
}

/// `abort` from another thread races with a wake: the task ends exactly
/// once, cancelled or completed, and the JoinHandle reports which.
#[test]
fn abort_races_with_wake() {
    loom::model(|| {
        let sched = TestScheduler::default();
        let (task, join, flag, slot) = spawn_waiting(&sched);
        sched.run_all();
        let abort = join.abort_handle();
        let aborter = thread::spawn(move || abort.abort());
        flag.store(true, SeqCst);
        if let Some(w) = slot.lock().unwrap().take() {
            w.wake();
        }
        aborter.join().unwrap();
        sched.run_all();
        match loom::future::block_on(join) {
            Ok(v) => assert_eq!(v, 7),
            Err(e) => assert!(e.is_cancelled()),
        }
        drop(task);
    });
}

/// The JoinHandle registers its waker while the task completes on another
/// thread: the join is woken (block_on would hang otherwise).
#[test]
fn join_waker_registration_races_with_completion() {
    loom::model(|| {
        let sched = TestScheduler::default();
        let (task, join, flag, slot) = spawn_waiting(&sched);
        sched.run_all();
        let runner = {
            let sched = sched.clone();
            let (flag, slot) = (flag.clone(), slot.clone());
            thread::spawn(move || {
                flag.store(true, SeqCst);
                let waker = slot.lock().unwrap().take();
                if let Some(w) = waker {
                    w.wake();
                }
                sched.run_all();
            })
        };
        assert_eq!(loom::future::block_on(join).unwrap(), 7);
        runner.join().unwrap();
        drop(task);
    });
}
