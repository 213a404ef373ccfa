//! Loom models of the sync primitives' concurrent paths: oneshot, mpsc,
//! broadcast, Notify and Semaphore, run through the real code (the crate's loom shim
//! swaps in loom's atomics, mutexes and cells).

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};

use futures::task::noop_waker_ref;

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Arc;
use crate::loom::thread;
use crate::sync::{broadcast, mpsc, oneshot, Notify, Semaphore};

/// Runs a model with at most 4 preemptions per execution (unless
/// `LOOM_MAX_PREEMPTIONS` says otherwise): all models together then take
/// a few seconds in release (with 6 they pass in under a minute), while
/// unbounded exploration of the channel models runs for many minutes.
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(4);
    }
    builder.check(f);
}

fn poll_once<F: Future>(f: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(noop_waker_ref()))
}

/// A value sent from another thread is received; no lost wake-up.
#[test]
fn oneshot_send_recv() {
    model(|| {
        let (tx, rx) = oneshot::channel::<u32>();
        let t = thread::spawn(move || tx.send(7).unwrap());
        assert_eq!(loom::future::block_on(rx), Ok(7));
        t.join().unwrap();
    });
}

/// Send racing with the receiver's drop: either the send fails and gets
/// the value back, or it succeeds; the value is dropped exactly once.
#[test]
fn oneshot_send_vs_drop() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        struct D(Arc<AtomicUsize>);
        impl Drop for D {
            fn drop(&mut self) {
                self.0.fetch_add(1, SeqCst);
            }
        }
        let (tx, rx) = oneshot::channel::<D>();
        let d = drops.clone();
        let t = thread::spawn(move || {
            let _ = tx.send(D(d));
        });
        drop(rx);
        t.join().unwrap();
        assert_eq!(drops.load(SeqCst), 1);
    });
}

/// The sender dropped without sending wakes the receiver with an error;
/// `closed()` sees the receiver's close.
#[test]
fn oneshot_drop_sender_and_closed() {
    model(|| {
        let (mut tx, mut rx) = oneshot::channel::<u32>();
        let t = thread::spawn(move || {
            loom::future::block_on(tx.closed());
        });
        rx.close();
        assert!(loom::future::block_on(&mut rx).is_err());
        t.join().unwrap();

        let (tx, rx) = oneshot::channel::<u32>();
        let t = thread::spawn(move || drop(tx));
        assert!(loom::future::block_on(rx).is_err());
        t.join().unwrap();
    });
}

/// A sender blocked on a full capacity-1 channel is woken by the
/// receiver; both messages arrive in order, then `None`.
#[test]
fn mpsc_bounded_back_pressure() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        let t = thread::spawn(move || {
            loom::future::block_on(async {
                tx.send(1).await.unwrap();
                tx.send(2).await.unwrap();
            });
        });
        loom::future::block_on(async {
            assert_eq!(rx.recv().await, Some(1));
            assert_eq!(rx.recv().await, Some(2));
            assert_eq!(rx.recv().await, None);
        });
        t.join().unwrap();
    });
}

/// Two senders on different threads: both messages arrive exactly once.
#[test]
fn mpsc_two_senders() {
    model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
        let tx2 = tx.clone();
        let t = thread::spawn(move || tx2.send(1).unwrap());
        tx.send(2).unwrap();
        drop(tx);
        let mut sum = 0;
        loom::future::block_on(async {
            while let Some(v) = rx.recv().await {
                sum += v;
            }
        });
        assert_eq!(sum, 3);
        t.join().unwrap();
    });
}

/// A recv future that was polled (and possibly woken) and then dropped
/// loses nothing: the message is still there for the next recv.
#[test]
fn mpsc_cancelled_recv_keeps_message() {
    model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
        let t = thread::spawn(move || {
            tx.send(5).unwrap();
        });
        let got = {
            let mut fut = pin!(rx.recv());
            match poll_once(fut.as_mut()) {
                Poll::Ready(v) => v,
                Poll::Pending => None,
            }
        };
        t.join().unwrap();
        match got {
            Some(v) => assert_eq!(v, 5),
            None => assert_eq!(rx.try_recv(), Ok(5)),
        }
        assert!(rx.try_recv().is_err());
    });
}

/// Receiver close racing a send: the send either fails with its value or
/// the message is still received after the close.
#[test]
fn mpsc_close_vs_send() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u32>(2);
        let t = thread::spawn(move || loom::future::block_on(tx.send(9)).is_ok());
        rx.close();
        let sent = t.join().unwrap();
        let got = loom::future::block_on(rx.recv());
        assert_eq!(got.is_some(), sent);
    });
}

/// notify_one from another thread wakes a waiter (or leaves a permit).
#[test]
fn notify_one_wakes() {
    model(|| {
        let notify = Arc::new(Notify::new());
        let n2 = notify.clone();
        let t = thread::spawn(move || n2.notify_one());
        loom::future::block_on(notify.notified());
        t.join().unwrap();
    });
}

/// A Notified chosen by notify_one and then dropped passes the
/// notification on to the next waiter.
#[test]
fn notify_dropped_waiter_forwards() {
    model(|| {
        let notify = Arc::new(Notify::new());
        let mut first = Box::pin(notify.notified());
        let mut second = Box::pin(notify.notified());
        assert!(!first.as_mut().enable());
        assert!(!second.as_mut().enable());
        let n2 = notify.clone();
        let t = thread::spawn(move || n2.notify_one());
        drop(first);
        loom::future::block_on(second);
        t.join().unwrap();
    });
}

/// notify_one finds a waiter queued (its `fetch_or` saw WAITING) while
/// that waiter is dropped: whether it chose the waiter (which passes the
/// notification on) or found the queue empty under the lock, the
/// notification ends up as the stored permit.
#[test]
fn notify_one_while_the_queue_empties() {
    model(|| {
        let notify = Arc::new(Notify::new());
        let mut waiter = Box::pin(notify.notified());
        assert!(!waiter.as_mut().enable());
        let n2 = notify.clone();
        let t = thread::spawn(move || n2.notify_one());
        drop(waiter);
        t.join().unwrap();
        assert!(poll_once(pin!(notify.notified())).is_ready());
    });
}

/// Two notify_one calls race for one queued waiter: one wakes it, the
/// other leaves the permit, whichever order their `fetch_or`s and lock
/// sections take.
#[test]
fn two_notify_one_one_waiter() {
    model(|| {
        let notify = Arc::new(Notify::new());
        let mut waiter = Box::pin(notify.notified());
        assert!(!waiter.as_mut().enable());
        let n2 = notify.clone();
        let t = thread::spawn(move || n2.notify_one());
        notify.notify_one();
        t.join().unwrap();
        assert!(poll_once(waiter.as_mut()).is_ready());
        assert!(poll_once(pin!(notify.notified())).is_ready());
        assert!(poll_once(pin!(notify.notified())).is_pending());
    });
}

/// notify_waiters wakes a Notified created before the call, even one that
/// races into the queue.
#[test]
fn notify_waiters_wakes_all() {
    model(|| {
        let notify = Arc::new(Notify::new());
        let a = notify.notified();
        let b = notify.notified();
        let n2 = notify.clone();
        let t = thread::spawn(move || n2.notify_waiters());
        loom::future::block_on(async {
            a.await;
            b.await;
        });
        t.join().unwrap();
    });
}

/// A queued waiter is dropped while notify_waiters runs on another thread:
/// the owner's unlink and the notifier's lock-free verdict never race on
/// the node, and the other waiter completes.
#[test]
fn notify_waiters_races_drop() {
    model(|| {
        let notify = Arc::new(Notify::new());
        let mut a = Box::pin(notify.notified());
        let mut b = Box::pin(notify.notified());
        assert!(!a.as_mut().enable());
        assert!(!b.as_mut().enable());
        let n2 = notify.clone();
        let t = thread::spawn(move || n2.notify_waiters());
        drop(a);
        loom::future::block_on(b);
        t.join().unwrap();
    });
}

/// An `OwnedNotified` (the same waiter, holding its `Notify` by `Arc`)
/// queued on one thread and awaited on another while `notify_one` runs on
/// this one: it is woken whichever way they interleave.
#[test]
fn owned_notified_moved_to_another_thread() {
    model(|| {
        // `notified_owned` takes a std `Arc`; its count is not what is
        // being modelled.
        let notify = std::sync::Arc::new(Notify::new());
        let mut owned = Box::pin(notify.clone().notified_owned());
        assert!(!owned.as_mut().enable());
        let waiter = thread::spawn(move || loom::future::block_on(owned));
        notify.notify_one();
        waiter.join().unwrap();
    });
}

/// notify_last picks the newest waiter; if that one is dropped at the same
/// time, the notification still reaches the other.
#[test]
fn notify_last_dropped_waiter_forwards() {
    model(|| {
        let notify = Arc::new(Notify::new());
        let mut first = Box::pin(notify.notified());
        let mut second = Box::pin(notify.notified());
        assert!(!first.as_mut().enable());
        assert!(!second.as_mut().enable());
        let n2 = notify.clone();
        let t = thread::spawn(move || n2.notify_last());
        drop(second);
        loom::future::block_on(first);
        t.join().unwrap();
    });
}

/// SetOnce: a `set` on another thread always wakes a `wait` that raced
/// with it, and the waiter sees the value.
#[test]
fn set_once_wait_vs_set() {
    model(|| {
        let cell = Arc::new(crate::sync::SetOnce::<usize>::new());
        let c2 = cell.clone();
        let t = thread::spawn(move || c2.set(7).unwrap());
        assert_eq!(*loom::future::block_on(cell.wait()), 7);
        t.join().unwrap();
    });
}

/// SetOnce: of two racing `set`s exactly one wins, and the loser returns
/// only once the winner's value is visible.
#[test]
fn set_once_racing_sets() {
    model(|| {
        let cell = Arc::new(crate::sync::SetOnce::<usize>::new());
        let c2 = cell.clone();
        let t = thread::spawn(move || c2.set(1).is_ok());
        let mine = cell.set(2).is_ok();
        if !mine {
            assert_eq!(cell.get(), Some(&1));
        }
        let theirs = t.join().unwrap();
        assert!(mine ^ theirs, "exactly one set wins");
        assert!(cell.get().is_some());
    });
}

/// Two threads contend for one permit; exclusion holds and both finish.
#[test]
fn semaphore_exclusion() {
    model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let inside = Arc::new(AtomicUsize::new(0));
        let run = |sem: Arc<Semaphore>, inside: Arc<AtomicUsize>| {
            loom::future::block_on(async {
                let _p = sem.acquire().await.unwrap();
                assert_eq!(inside.fetch_add(1, SeqCst), 0);
                inside.fetch_sub(1, SeqCst);
            })
        };
        let (s2, i2) = (sem.clone(), inside.clone());
        let t = thread::spawn(move || run(s2, i2));
        run(sem.clone(), inside);
        t.join().unwrap();
        assert_eq!(sem.available_permits(), 1);
    });
}

/// A multi-permit waiter holding a partial grant is cancelled while
/// permits are being released: no permit is lost or duplicated.
#[test]
fn semaphore_cancel_partial_grant() {
    model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let held = sem.try_acquire().unwrap();
        held.forget();
        // 0 free now; a waiter for 2 queues.
        let mut acq = Box::pin(sem.acquire_many(2));
        assert!(poll_once(acq.as_mut()).is_pending());
        let s2 = sem.clone();
        let t = thread::spawn(move || s2.add_permits(1));
        // Dropped while the release runs, possibly after a partial grant.
        drop(acq);
        t.join().unwrap();
        assert_eq!(sem.available_permits(), 1);
        assert!(sem.try_acquire().is_ok());
    });
}

/// A waiter is granted a permit while the semaphore closes on another
/// thread: it either completes before the close or fails, and a grant it
/// did not report goes back; no permit is lost and the waiter always ends.
#[test]
fn semaphore_close_vs_grant() {
    model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let s2 = sem.clone();
        let t = thread::spawn(move || {
            s2.add_permits(1);
            s2.close();
        });
        // Ok (the permit is dropped at once) or Err (a refused grant is
        // given back): the permit is free again either way.
        drop(loom::future::block_on(sem.acquire()));
        t.join().unwrap();
        assert_eq!(sem.available_permits(), 1);
        assert!(sem.is_closed());
    });
}

/// A release racing with a waiter enqueuing (the WAITERS flag path) wakes it.
#[test]
fn semaphore_release_vs_enqueue() {
    model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let s2 = sem.clone();
        let t = thread::spawn(move || s2.add_permits(1));
        loom::future::block_on(sem.acquire()).unwrap().forget();
        t.join().unwrap();
        assert_eq!(sem.available_permits(), 0);
    });
}

/// `broadcast::Sender::closed` waits on one thread while the last receiver
/// drops on another: the wake-up is not lost (loom reports a deadlock
/// otherwise).
#[test]
fn broadcast_closed_vs_last_receiver_drop() {
    model(|| {
        let (tx, rx) = broadcast::channel::<u8>(1);
        let t = thread::spawn(move || drop(rx));
        loom::future::block_on(tx.closed());
        assert_eq!(tx.receiver_count(), 0);
        t.join().unwrap();
    });
}

/// A weak broadcast sender upgrades on one thread while the last strong
/// sender drops on another: either the upgrade wins (and the channel stays
/// open until it drops) or it fails, and the receiver sees `Closed` only
/// after every value sent has been read.
#[test]
fn broadcast_weak_upgrade_vs_last_strong_drop() {
    model(|| {
        let (tx, mut rx) = broadcast::channel::<u8>(2);
        let weak = tx.downgrade();
        let t = thread::spawn(move || match weak.upgrade() {
            Some(tx) => tx.send(1).is_ok(),
            None => false,
        });
        drop(tx);
        let sent = t.join().unwrap();
        if sent {
            assert_eq!(rx.try_recv(), Ok(1));
        }
        assert_eq!(rx.try_recv(), Err(broadcast::error::TryRecvError::Closed));
    });
}
