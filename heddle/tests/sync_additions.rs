//! The later additions to `heddle::sync`: `mpsc::Sender::reserve_many` /
//! `try_reserve_many` and `PermitIterator`; broadcast's `WeakSender`,
//! sender/receiver counts and `Sender::closed`; `SemaphorePermit::split`.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use heddle::sync::broadcast::{self, error::RecvError, error::TryRecvError as BTryRecvError};
use heddle::sync::mpsc::{self, error::SendError, error::TrySendError};
use heddle::sync::Semaphore;

mod support;
use support::{poll_once, run, runtimes};

// ----- mpsc: reserve_many -----

/// `reserve_many(n)` waits until `n` slots are free at the same time, then
/// its permits send without waiting, in the order they are used.
#[test]
fn reserve_many_waits_for_n_then_sends_in_order() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, mut rx) = mpsc::channel::<u32>(3);
            tx.try_send(1).unwrap();
            tx.try_send(2).unwrap();
            let mut fut = Box::pin(tx.reserve_many(3));
            assert!(poll_once(&mut fut).is_pending());
            assert_eq!(rx.recv().await, Some(1));
            // Two free, three needed: still waiting, and nothing taken.
            assert!(poll_once(&mut fut).is_pending());
            assert_eq!(rx.recv().await, Some(2));
            let permits = fut.await.unwrap();
            assert_eq!(permits.len(), 3);
            assert_eq!(tx.capacity(), 0);
            assert!(matches!(tx.try_send(99), Err(TrySendError::Full(99))));
            for (permit, v) in permits.zip(10..) {
                permit.send(v);
            }
            assert_eq!(rx.recv().await, Some(10));
            assert_eq!(rx.recv().await, Some(11));
            assert_eq!(rx.recv().await, Some(12));
            assert_eq!(tx.capacity(), 3);
        });
    }
}

/// The same, with the reserving sender on another task woken by the
/// receiver (not polled by hand).
#[test]
fn reserve_many_in_a_task_is_woken() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, mut rx) = mpsc::channel::<u32>(2);
            tx.send(0).await.unwrap();
            tx.send(1).await.unwrap();
            let task = heddle::spawn(async move {
                let permits = tx.reserve_many(2).await.unwrap();
                for (permit, v) in permits.zip([2, 3]) {
                    permit.send(v);
                }
            });
            heddle::time::sleep(Duration::from_millis(10)).await;
            let mut got = Vec::new();
            while let Some(v) = rx.recv().await {
                got.push(v);
            }
            task.await.unwrap();
            assert_eq!(got, [0, 1, 2, 3]);
        });
    }
}

/// A waiting `reserve_many` is all-or-nothing and keeps its FIFO place:
/// a single-slot `reserve` queued behind it is not served first even when
/// one slot is free, and gets its slot once the big reservation is done.
#[test]
fn reserve_many_is_fifo_with_other_waiters() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, mut rx) = mpsc::channel::<u32>(2);
            tx.try_send(0).unwrap();
            tx.try_send(1).unwrap();
            let mut many = Box::pin(tx.reserve_many(2));
            assert!(poll_once(&mut many).is_pending());
            let mut one = Box::pin(tx.reserve());
            assert!(poll_once(&mut one).is_pending());

            assert_eq!(rx.recv().await, Some(0));
            // One slot free: not enough for the front waiter, and the one
            // behind it may not jump the queue; nor may `try_send`.
            assert!(poll_once(&mut many).is_pending());
            assert!(poll_once(&mut one).is_pending());
            assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
            assert!(matches!(tx.try_reserve_many(1), Err(TrySendError::Full(()))));

            assert_eq!(rx.recv().await, Some(1));
            let permits = many.await.unwrap();
            assert!(poll_once(&mut one).is_pending());
            // Unused permits come back and go on to the next waiter.
            drop(permits);
            let permit = one.await.unwrap();
            assert_eq!(tx.capacity(), 1);
            permit.send(5);
            assert_eq!(rx.recv().await, Some(5));
            assert_eq!(tx.capacity(), 2);
        });
    }
}

/// Cancelling a `reserve_many` at the front of the queue lets the smaller
/// waiter behind it have the slots that are free.
#[test]
fn cancelled_reserve_many_unblocks_the_queue() {
    let (tx, mut rx) = mpsc::channel::<u32>(2);
    tx.try_send(0).unwrap();
    tx.try_send(1).unwrap();
    let mut many = Box::pin(tx.reserve_many(2));
    assert!(poll_once(&mut many).is_pending());
    let mut one = Box::pin(tx.reserve());
    assert!(poll_once(&mut one).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    assert!(poll_once(&mut one).is_pending());
    drop(many);
    let std::task::Poll::Ready(Ok(permit)) = poll_once(&mut one) else { panic!("reserve not served") };
    assert_eq!(tx.capacity(), 0);
    drop(permit);
    assert_eq!(tx.capacity(), 1);
    // The queue is empty again: the fast path works.
    tx.try_send(2).unwrap();
}

/// Dropping a `PermitIterator` gives back the slots it has not handed out;
/// permits already taken out stay reserved until used or dropped.
#[test]
fn dropped_permit_iterator_returns_capacity() {
    let (tx, mut rx) = mpsc::channel::<u32>(4);
    let mut permits = tx.try_reserve_many(3).unwrap();
    assert_eq!(tx.capacity(), 1);
    assert_eq!(permits.size_hint(), (3, Some(3)));
    let first = permits.next().unwrap();
    assert_eq!(permits.len(), 2);
    drop(permits);
    assert_eq!(tx.capacity(), 3);
    first.send(7);
    assert_eq!(tx.capacity(), 3);
    assert_eq!(rx.try_recv(), Ok(7));
    assert_eq!(tx.capacity(), 4);

    // Fully consumed: the iterator is fused and gives nothing back.
    let mut permits = tx.try_reserve_many(2).unwrap();
    let (a, b) = (permits.next().unwrap(), permits.next().unwrap());
    assert!(permits.next().is_none());
    assert!(permits.next().is_none());
    drop(permits);
    assert_eq!(tx.capacity(), 2);
    drop((a, b));
    assert_eq!(tx.capacity(), 4);
}

/// `n` above the channel's capacity can never be met: an error at once,
/// as tokio documents (`SendError`, or `TrySendError::Full`).
#[test]
fn reserve_many_above_max_capacity_fails() {
    let rt = &runtimes()[0];
    let (tx, _rx) = mpsc::channel::<u32>(4);
    assert!(matches!(run(rt, tx.reserve_many(5)), Err(SendError(()))));
    assert!(matches!(tx.try_reserve_many(5), Err(TrySendError::Full(()))));
    assert!(run(rt, tx.reserve_many(4)).is_ok());
    assert_eq!(tx.capacity(), 4);
}

/// `n == 0` gives an empty iterator and takes nothing, even when the
/// channel is full.
#[test]
fn reserve_many_zero_is_empty() {
    let rt = &runtimes()[0];
    let (tx, rx) = mpsc::channel::<u32>(1);
    tx.try_send(0).unwrap();
    let mut permits = tx.try_reserve_many(0).unwrap();
    assert_eq!(permits.len(), 0);
    assert!(permits.next().is_none());
    let permits = run(rt, tx.reserve_many(0)).unwrap();
    assert_eq!(permits.len(), 0);
    drop(permits);
    assert_eq!(tx.capacity(), 0);
    drop(rx);
    assert!(matches!(tx.try_reserve_many(0), Err(TrySendError::Closed(()))));
    assert!(run(rt, tx.reserve_many(0)).is_err());
}

/// A closed receiver makes reservations fail, including one already
/// waiting; permits reserved before the close still send, and (as in
/// tokio) the value is received before the stream ends.
#[test]
fn reserve_many_after_receiver_closed() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, mut rx) = mpsc::channel::<u32>(2);
            let held = tx.reserve_many(1).await.unwrap();
            let mut waiting = Box::pin(tx.reserve_many(2));
            assert!(poll_once(&mut waiting).is_pending());
            rx.close();
            assert!(matches!(waiting.await, Err(SendError(()))));
            assert!(matches!(tx.reserve_many(1).await, Err(SendError(()))));
            assert!(matches!(tx.try_reserve_many(1), Err(TrySendError::Closed(()))));
            for permit in held {
                permit.send(1);
            }
            assert_eq!(rx.recv().await, Some(1));
            assert_eq!(rx.recv().await, None);
            drop(rx);
            assert!(matches!(tx.try_reserve_many(1), Err(TrySendError::Closed(()))));
        });
    }
}

/// Many tasks on a multi-thread runtime reserve batches of various sizes
/// (some cancelled by a timeout) while the receiver drains: every value
/// sent arrives, each batch in order, and the full capacity is free at
/// the end.
#[test]
fn reserve_many_under_contention() {
    const CAP: usize = 4;
    let rt = &runtimes()[1];
    run(rt, async {
        let (tx, mut rx) = mpsc::channel::<(usize, usize)>(CAP);
        let sent = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for t in 0..4 {
            let (tx, sent) = (tx.clone(), sent.clone());
            tasks.push(heddle::spawn(async move {
                for round in 0..50 {
                    let n = (t + round) % CAP + 1;
                    let reserve = heddle::time::timeout(Duration::from_micros(50), tx.reserve_many(n));
                    let Ok(permits) = reserve.await else { continue };
                    let permits = permits.unwrap();
                    assert_eq!(permits.len(), n);
                    for (i, permit) in permits.enumerate() {
                        permit.send((t, i));
                    }
                    sent.fetch_add(n, SeqCst);
                }
            }));
        }
        drop(tx);
        let mut received = 0;
        let mut expect_next = [0usize; 4];
        while let Some((t, i)) = rx.recv().await {
            // Within a batch a task sends 0, 1, ...; a new batch restarts at 0.
            assert!(i == 0 || i == expect_next[t], "task {t} sent {i} out of order");
            expect_next[t] = i + 1;
            received += 1;
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(received, sent.load(SeqCst));
        assert_eq!(rx.capacity(), CAP);
    });
}

// ----- broadcast: WeakSender, counts, closed -----

/// A weak sender does not keep the channel open: after the last strong
/// sender goes, receivers drain and then see `Closed`, and upgrading fails.
#[test]
fn broadcast_weak_sender_does_not_keep_channel_open() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, mut rx) = broadcast::channel::<u32>(4);
            let weak = tx.downgrade();
            let tx2 = weak.upgrade().expect("a strong sender lives");
            tx2.send(1).unwrap();
            drop(tx2);
            tx.send(2).unwrap();
            drop(tx);
            assert!(weak.upgrade().is_none());
            assert_eq!(rx.recv().await, Ok(1));
            assert_eq!(rx.recv().await, Ok(2));
            assert_eq!(rx.recv().await, Err(RecvError::Closed));
            assert_eq!(rx.try_recv(), Err(BTryRecvError::Closed));
            assert!(rx.is_closed());
            // Still closed for good, whatever weak senders remain.
            let weak2 = weak.clone();
            assert!(weak2.upgrade().is_none());
        });
    }
}

/// A receiver waiting in `recv` wakes with `Closed` when the last strong
/// sender drops, although a weak sender is still alive.
#[test]
fn broadcast_waiting_receiver_sees_close_despite_weak() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, mut rx) = broadcast::channel::<u32>(4);
            let weak = tx.downgrade();
            let waiter = heddle::spawn(async move { rx.recv().await });
            heddle::time::sleep(Duration::from_millis(10)).await;
            drop(tx);
            assert_eq!(waiter.await.unwrap(), Err(RecvError::Closed));
            assert_eq!(weak.strong_count(), 0);
            assert!(weak.upgrade().is_none());
        });
    }
}

/// Strong and weak counts, seen from senders, weak senders and receivers.
#[test]
fn broadcast_sender_counts() {
    let (tx, rx) = broadcast::channel::<u32>(2);
    assert_eq!((tx.strong_count(), tx.weak_count()), (1, 0));
    let tx2 = tx.clone();
    let weak = tx.downgrade();
    let weak2 = weak.clone();
    assert_eq!((tx.strong_count(), tx.weak_count()), (2, 2));
    assert_eq!((weak.strong_count(), weak.weak_count()), (2, 2));
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (2, 2));
    let tx3 = weak2.upgrade().unwrap();
    assert_eq!(rx.sender_strong_count(), 3);
    drop((tx2, tx3, weak2));
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (1, 1));
    drop(tx);
    assert_eq!((weak.strong_count(), weak.weak_count()), (0, 1));
    drop(weak);
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (0, 0));
}

/// `Sender::closed` completes when the last receiver drops, not before;
/// at once if there is no receiver.
#[test]
fn broadcast_sender_closed_wakes_on_last_receiver_drop() {
    for rt in runtimes() {
        run(&rt, async {
            let (tx, rx) = broadcast::channel::<u32>(4);
            let rx2 = rx.resubscribe();
            let mut closed = Box::pin(tx.closed());
            assert!(poll_once(&mut closed).is_pending());
            drop(rx);
            assert!(poll_once(&mut closed).is_pending());
            heddle::spawn(async move {
                heddle::time::sleep(Duration::from_millis(10)).await;
                drop(rx2);
            });
            closed.await;
            assert_eq!(tx.receiver_count(), 0);
            assert!(tx.send(1).is_err());
            // Nothing to wait for now.
            tx.closed().await;
            // A new subscriber reopens it.
            let _rx3 = tx.subscribe();
            assert!(poll_once(&mut Box::pin(tx.closed())).is_pending());
        });
    }
}

/// `Sender::closed` on another task, woken by a receiver dropped on a
/// different thread.
#[test]
fn broadcast_sender_closed_from_another_task() {
    let rt = &runtimes()[1];
    run(rt, async {
        let (tx, rx) = broadcast::channel::<u32>(4);
        let tx2 = tx.clone();
        let waiter = heddle::spawn(async move { tx2.closed().await });
        heddle::time::sleep(Duration::from_millis(10)).await;
        std::thread::spawn(move || drop(rx)).join().unwrap();
        waiter.await.unwrap();
        assert!(tx.is_empty());
    });
}

/// `Sender::new` makes a channel without receivers; `len` / `is_empty`
/// count values some receiver has yet to read.
#[test]
fn broadcast_sender_new_and_len() {
    let tx = broadcast::Sender::<u32>::new(2);
    assert_eq!(tx.receiver_count(), 0);
    assert!(tx.send(0).is_err());
    let mut rx = tx.subscribe();
    assert!(tx.is_empty());
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert_eq!(tx.len(), 2);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(tx.len(), 1);
    assert_eq!(rx.try_recv(), Ok(2));
    assert!(tx.is_empty());
}

// ----- semaphore -----

/// `split` moves permits into a new permit of the same semaphore, or
/// refuses without change.
#[test]
fn semaphore_permit_split() {
    let sem = Arc::new(Semaphore::new(4));
    let mut p = sem.try_acquire_many(3).unwrap();
    assert!(p.split(4).is_none());
    assert_eq!(p.num_permits(), 3);
    let q = p.split(3).unwrap();
    assert_eq!((p.num_permits(), q.num_permits()), (0, 3));
    drop(p);
    assert_eq!(sem.available_permits(), 1);
    drop(q);
    assert_eq!(sem.available_permits(), 4);

    let mut owned = sem.clone().try_acquire_many_owned(4).unwrap();
    let part = owned.split(1).unwrap();
    assert!(owned.split(usize::MAX).is_none());
    assert_eq!((owned.num_permits(), part.num_permits()), (3, 1));
    drop(owned);
    assert_eq!(sem.available_permits(), 3);
    part.forget();
    assert_eq!(sem.available_permits(), 3);
}

// ----- rwlock -----

/// `downgrade_map` keeps the lock read-locked (readers join, writers wait)
/// and gives access to the chosen part; `try_downgrade_map` returns the
/// write guard untouched when declined; `into_mapped` keeps write access.
#[test]
fn rwlock_write_guard_downgrade_map_and_into_mapped() {
    use heddle::sync::{RwLock, RwLockWriteGuard};
    let rt = &runtimes()[0];
    run(rt, async {
        let lock = RwLock::new(vec![1u32, 2, 3]);
        let w = lock.write().await;
        let w = match RwLockWriteGuard::try_downgrade_map(w, |v| v.get(10)) {
            Ok(_) => panic!("no element 10"),
            Err(w) => w,
        };
        assert!(lock.try_read().is_err(), "still write-locked after a declined map");
        let second = RwLockWriteGuard::try_downgrade_map(w, |v| v.get(1)).unwrap();
        assert_eq!(*second, 2);
        assert_eq!(lock.try_read().unwrap().len(), 3);
        assert!(lock.try_write().is_err());
        drop(second);
        assert!(lock.try_write().is_ok());

        let mut whole = RwLockWriteGuard::into_mapped(lock.write().await);
        whole.push(4);
        assert!(lock.try_read().is_err());
        drop(whole);
        let first = RwLockWriteGuard::downgrade_map(lock.write().await, |v| &v[0]);
        assert_eq!(*first, 1);
        drop(first);
        assert_eq!(*lock.read().await, [1, 2, 3, 4]);
    });
}

#[test]
fn mpsc_weak_sender_counts() {
    let (tx, rx) = heddle::sync::mpsc::channel::<u8>(4);
    assert_eq!((tx.strong_count(), tx.weak_count(), rx.sender_weak_count()), (1, 0, 0));
    let weak = tx.downgrade();
    let weak2 = weak.clone();
    assert_eq!((weak.strong_count(), weak.weak_count(), rx.sender_weak_count()), (1, 2, 2));
    let strong = weak.upgrade().expect("a strong sender is alive");
    assert_eq!((tx.strong_count(), rx.sender_strong_count()), (2, 2));
    drop((strong, weak2));
    assert_eq!((tx.strong_count(), tx.weak_count()), (1, 1));
    drop(tx);
    assert_eq!((weak.strong_count(), weak.weak_count()), (0, 1));
    assert!(weak.upgrade().is_none(), "weak senders do not keep the channel open");
    drop(weak);
    assert_eq!(rx.sender_weak_count(), 0);

    let (utx, urx) = heddle::sync::mpsc::unbounded_channel::<u8>();
    let uweak = utx.downgrade();
    assert_eq!((utx.weak_count(), uweak.strong_count(), urx.sender_weak_count()), (1, 1, 1));
    drop(utx);
    assert!(uweak.upgrade().is_none());
    assert_eq!(urx.sender_strong_count(), 0);
}
