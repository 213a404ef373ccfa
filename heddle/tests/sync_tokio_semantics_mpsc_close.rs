//! Closing a bounded mpsc channel behaves as tokio's does: permits reserved
//! before [`Receiver::close`] stay usable, `recv` ends only once every one
//! of them is used or given back (and the give-back wakes it), and a
//! reservation granted but not yet reported when the channel closes fails.
//! Dropping the receiver releases its waker at once and drops every queued
//! message, even if one of their destructors panics.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use heddle::sync::mpsc::{self, error::TryRecvError};

/// A waker that records whether it was woken.
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, SeqCst);
    }
}

impl Flag {
    fn new() -> (Arc<Flag>, Waker) {
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        (flag.clone(), Waker::from(flag))
    }

    /// True if woken since the last call.
    fn take(&self) -> bool {
        self.0.swap(false, SeqCst)
    }
}

fn poll<F: Future + Unpin>(f: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(waker))
}

/// A permit reserved before the close still sends, and the value is
/// received; only then does the stream end.
#[test]
fn permit_reserved_before_close_still_delivers() {
    let (tx, mut rx) = mpsc::channel::<u32>(4);
    let permit = tx.try_reserve().unwrap();
    rx.close();
    assert!(tx.is_closed());
    assert!(tx.try_send(1).is_err(), "new sends fail");

    let (flag, waker) = Flag::new();
    let mut recv = Box::pin(rx.recv());
    assert!(poll(&mut recv, &waker).is_pending(), "a reserved permit is still out");
    permit.send(7);
    assert!(flag.take(), "the send wakes the receiver");
    assert_eq!(poll(&mut recv, &waker), Poll::Ready(Some(7)));
    drop(recv);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

/// `try_recv` on a closed channel says `Empty`, not `Disconnected`, while a
/// permit is out.
#[test]
fn try_recv_waits_for_outstanding_permit() {
    let (tx, mut rx) = mpsc::channel::<()>(2);
    let permit = tx.try_reserve().unwrap();
    rx.close();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    drop(permit);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

/// Each way of giving the last permit back (dropping a permit, an owned
/// permit or a permit iterator, or releasing an owned permit) wakes the
/// receiver waiting on the closed channel, which then ends.
#[test]
fn giving_back_the_last_permit_wakes_the_closed_receiver() {
    type GiveBack = fn(&mpsc::Sender<u8>, &mut mpsc::Receiver<u8>);
    let ways: [(&str, GiveBack); 4] = [
        ("permit", |tx, rx| {
            let permit = tx.try_reserve().unwrap();
            wait_then(rx, move || drop(permit));
        }),
        ("owned permit", |tx, rx| {
            let permit = tx.clone().try_reserve_owned().unwrap();
            wait_then(rx, move || drop(permit));
        }),
        ("released owned permit", |tx, rx| {
            let permit = tx.clone().try_reserve_owned().unwrap();
            wait_then(rx, move || drop(permit.release()));
        }),
        ("permit iterator", |tx, rx| {
            let permits = tx.try_reserve_many(2).unwrap();
            wait_then(rx, move || drop(permits));
        }),
    ];
    for (name, give_back) in ways {
        let (tx, mut rx) = mpsc::channel::<u8>(3);
        give_back(&tx, &mut rx);
        assert_eq!(tx.capacity(), 3, "{name}: capacity back");
    }
}

/// Closes `rx`, checks that `recv` waits, runs `give_back`, and checks
/// that `recv` was woken and ended.
fn wait_then(rx: &mut mpsc::Receiver<u8>, give_back: impl FnOnce()) {
    rx.close();
    let (flag, waker) = Flag::new();
    let mut recv = Box::pin(rx.recv());
    assert!(poll(&mut recv, &waker).is_pending());
    assert!(!flag.take());
    give_back();
    assert!(flag.take(), "giving the last permit back wakes the receiver");
    assert_eq!(poll(&mut recv, &waker), Poll::Ready(None));
}

/// A `reserve` granted its slot but not yet polled when the channel
/// closes: its next poll fails and gives the slot back, which wakes the
/// closed receiver.
#[test]
fn granted_reserve_fails_after_close_and_wakes_receiver() {
    let (tx, mut rx) = mpsc::channel::<()>(1);
    let held = tx.try_reserve().unwrap();
    let (reserve_flag, reserve_waker) = Flag::new();
    let mut reserve = Box::pin(tx.reserve());
    assert!(poll(&mut reserve, &reserve_waker).is_pending());
    drop(held);
    assert!(reserve_flag.take(), "the slot was handed to the waiting reserve");
    rx.close();

    let (flag, waker) = Flag::new();
    let mut recv = Box::pin(rx.recv());
    assert!(poll(&mut recv, &waker).is_pending(), "the granted slot is still out");
    assert!(matches!(poll(&mut reserve, &reserve_waker), Poll::Ready(Err(_))), "closed: no acquire completes");
    assert!(flag.take(), "the slot given back wakes the receiver");
    assert_eq!(poll(&mut recv, &waker), Poll::Ready(None));
}

/// The same granted `reserve`, dropped instead of polled, gives its slot
/// back and wakes the closed receiver.
#[test]
fn cancelled_granted_reserve_wakes_receiver() {
    let (tx, mut rx) = mpsc::channel::<()>(1);
    let held = tx.try_reserve().unwrap();
    let (_, reserve_waker) = Flag::new();
    let mut reserve = Box::pin(tx.reserve());
    assert!(poll(&mut reserve, &reserve_waker).is_pending());
    drop(held);
    rx.close();

    let (flag, waker) = Flag::new();
    let mut recv = Box::pin(rx.recv());
    assert!(poll(&mut recv, &waker).is_pending());
    drop(reserve);
    assert!(flag.take());
    assert_eq!(poll(&mut recv, &waker), Poll::Ready(None));
}

/// `recv_many` also waits for the outstanding permit, then returns 0.
#[test]
fn recv_many_waits_for_outstanding_permit() {
    let (tx, mut rx) = mpsc::channel::<u8>(2);
    let permit = tx.try_reserve().unwrap();
    rx.close();
    let (flag, waker) = Flag::new();
    let mut buf = Vec::new();
    assert!(rx.poll_recv_many(&mut Context::from_waker(&waker), &mut buf, 4).is_pending());
    permit.send(5);
    assert!(flag.take());
    assert_eq!(rx.poll_recv_many(&mut Context::from_waker(&waker), &mut buf, 4), Poll::Ready(1));
    assert_eq!(rx.poll_recv_many(&mut Context::from_waker(&waker), &mut buf, 4), Poll::Ready(0));
    assert_eq!(buf, [5]);
}

/// Dropping the receiver drops the waker it registered, right away (a
/// waker keeps its task's memory alive).
#[test]
fn receiver_drop_releases_its_waker() {
    for bounded in [true, false] {
        let (flag, waker) = Flag::new();
        let before = Arc::strong_count(&flag);
        let mut cx = Context::from_waker(&waker);
        // The sender stays alive throughout: it must not take the waker
        // with it only when it goes.
        if bounded {
            let (_tx, mut rx) = mpsc::channel::<()>(1);
            assert!(rx.poll_recv(&mut cx).is_pending());
            assert_eq!(Arc::strong_count(&flag), before + 1);
            drop(rx);
            assert_eq!(Arc::strong_count(&flag), before, "bounded");
        } else {
            let (_tx, mut rx) = mpsc::unbounded_channel::<()>();
            assert!(rx.poll_recv(&mut cx).is_pending());
            assert_eq!(Arc::strong_count(&flag), before + 1);
            drop(rx);
            assert_eq!(Arc::strong_count(&flag), before, "unbounded");
        }
    }
}

/// Counts its drops; panics in `drop` if asked to.
struct Boom(bool, Arc<AtomicUsize>);

impl Drop for Boom {
    fn drop(&mut self) {
        self.1.fetch_add(1, SeqCst);
        if self.0 {
            panic!("boom (expected by the test)");
        }
    }
}

/// Drops `rx` (holding three `Boom`s, the first one panicking) and checks
/// that all three were dropped then.
fn drop_receiver_with_panic<R: std::panic::UnwindSafe>(rx: R, drops: &AtomicUsize) {
    let res = std::panic::catch_unwind(move || drop(rx));
    assert!(res.is_err(), "the first message's drop panicked");
    assert_eq!(drops.load(SeqCst), 3, "all dropped with the receiver");
}

/// A message whose destructor panics while the receiver drops its queue
/// does not stop the others from being dropped then.
#[test]
fn receiver_drop_keeps_dropping_after_a_panic() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel(4);
    for poison in [true, false, false] {
        tx.try_send(Boom(poison, drops.clone())).map_err(|_| ()).unwrap();
    }
    drop_receiver_with_panic(rx, &drops);
    assert_eq!(tx.capacity(), 4, "their permits came back");
    drop(tx);
    assert_eq!(drops.load(SeqCst), 3, "none dropped twice");

    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::unbounded_channel();
    for poison in [true, false, false] {
        tx.send(Boom(poison, drops.clone())).map_err(|_| ()).unwrap();
    }
    drop_receiver_with_panic(rx, &drops);
    drop(tx);
    assert_eq!(drops.load(SeqCst), 3, "none dropped twice");
}
