//! Loom models of the mpsc block list (`list.rs`), run through the public
//! channel API. Under loom a block has 2 slots, so a handful of messages
//! crosses block boundaries, moves the senders' hint and recycles blocks.

use std::collections::HashSet;
use std::future::Future;

use super::error::TryRecvError;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Arc;
use crate::loom::thread;
use crate::sync::mpsc;

/// Runs a model with at most 3 preemptions unless `LOOM_MAX_PREEMPTIONS`
/// says otherwise, so each model finishes in seconds in release.
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(f);
}

/// Drains the receiver with blocking `recv` until the stream ends.
fn drain<T>(rx: &mut mpsc::UnboundedReceiver<T>) -> Vec<T> {
    let mut got = Vec::new();
    loom::future::block_on(async {
        while let Some(v) = rx.recv().await {
            got.push(v);
        }
    });
    got
}

/// (a) Two senders on two threads, each sending two values across a block
/// boundary, while the receiver drains: every value arrives once, in each
/// sender's order.
#[test]
fn two_senders_in_order() {
    model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<(u8, u8)>();
        let tx2 = tx.clone();
        let t = thread::spawn(move || {
            tx2.send((1, 0)).unwrap();
            tx2.send((1, 1)).unwrap();
        });
        tx.send((0, 0)).unwrap();
        tx.send((0, 1)).unwrap();
        drop(tx);
        let got = drain(&mut rx);
        assert_eq!(got.len(), 4);
        for s in 0..2 {
            let mine: Vec<u8> = got.iter().filter(|m| m.0 == s).map(|m| m.1).collect();
            assert_eq!(mine, [0, 1]);
        }
        t.join().unwrap();
    });
}

/// (b) A send on one thread racing the drop of the other (last-but-one or
/// last) sender: `try_recv` never reports `Disconnected` before the value
/// has been received, and nothing arrives after it.
#[test]
fn send_vs_last_sender_drop() {
    model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
        let tx2 = tx.clone();
        let t = thread::spawn(move || {
            tx2.send(7).unwrap();
            drop(tx2);
        });
        drop(tx);
        let mut got = None;
        loop {
            match rx.try_recv() {
                Ok(v) => {
                    assert!(got.is_none());
                    got = Some(v);
                }
                Err(TryRecvError::Empty) => thread::yield_now(),
                Err(TryRecvError::Disconnected) => break,
            }
        }
        assert_eq!(got, Some(7));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        t.join().unwrap();
    });
}

/// (b') A send racing the receiver's `close`: the send either fails and
/// gets its value back, or succeeds and the value is received before the
/// stream ends. Nothing is lost, nothing is received twice.
#[test]
fn send_vs_receiver_close() {
    model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
        let tx2 = tx.clone();
        let t = thread::spawn(move || tx2.send(1).is_ok());
        let first = tx.send(0).is_ok();
        assert!(first);
        rx.close();
        assert!(tx.send(2).is_err());
        let got = drain(&mut rx);
        let second = t.join().unwrap();
        let expect: HashSet<u8> = [Some(0), second.then_some(1)].into_iter().flatten().collect();
        assert_eq!(got.len(), expect.len());
        assert_eq!(got.into_iter().collect::<HashSet<_>>(), expect);
    });
}

/// (c) Reclaiming while a sender appends: five values are sent first (the
/// senders' hint ends on the third block) and four read; then a sender
/// sends two more, the second needing a fourth block, while the receiver
/// steps into the third block, reclaims the first and re-appends it at the
/// end of the list: both race to link the block after the third.
#[test]
fn block_boundaries_and_recycling() {
    model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
        for i in 0..5 {
            tx.send(i).unwrap();
        }
        for i in 0..4 {
            assert_eq!(rx.try_recv(), Ok(i));
        }
        let t = thread::spawn(move || {
            tx.send(5).unwrap();
            tx.send(6).unwrap();
        });
        assert_eq!(drain(&mut rx), [4, 5, 6]);
        t.join().unwrap();
    });
}

/// (c') Two senders race to claim the two sides of a block boundary (the
/// first block already holds one value), so both may append the next block.
#[test]
fn concurrent_boundary_crossing() {
    model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
        tx.send(0).unwrap();
        let tx2 = tx.clone();
        let t = thread::spawn(move || tx2.send(1).unwrap());
        tx.send(2).unwrap();
        drop(tx);
        let mut got = drain(&mut rx);
        assert_eq!(got[0], 0);
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2]);
        t.join().unwrap();
    });
}

/// (d) The receiver parks in `recv` (bounded channel) and a send from
/// another thread wakes it: loom reports a deadlock if the wake-up is lost.
#[test]
fn receiver_wakeup_not_lost() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        let t = thread::spawn(move || {
            tx.try_send(3).unwrap();
            // Keep the sender alive until after the send, so only the
            // message (not the close) can wake the receiver.
            tx
        });
        assert_eq!(loom::future::block_on(rx.recv()), Some(3));
        drop(t.join().unwrap());
        assert_eq!(loom::future::block_on(rx.recv()), None);
    });
}

/// Counts drops of values sent through a channel.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Dropping the receiver while a sender (on another thread) is between
/// claiming a slot and publishing it: every value is dropped exactly once,
/// by the failed send, the receiver, or the last handle on the channel.
#[test]
fn receiver_drop_vs_send_drops_once() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = mpsc::unbounded_channel::<Counted>();
        tx.send(Counted(drops.clone())).unwrap();
        let d = drops.clone();
        let t = thread::spawn(move || {
            let _ = tx.send(Counted(d.clone()));
            let _ = tx.send(Counted(d));
        });
        drop(rx.try_recv());
        drop(rx);
        t.join().unwrap();
        assert_eq!(drops.load(SeqCst), 3);
    });
}

/// (e) Capacity 1, full: one sender waits in `send` while another tries
/// `try_send` (its one `fetch_sub` overdraws and gives back) and the
/// receiver frees the slot. Every successful send is received, and in the
/// end the full capacity is free again.
#[test]
fn permits_overdraw_vs_hand_off() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        tx.try_send(0).unwrap();
        let tx2 = tx.clone();
        let t = thread::spawn(move || loom::future::block_on(tx2.send(1)).unwrap());
        let tried = tx.try_send(2).is_ok();
        drop(tx);
        let mut got = Vec::new();
        loom::future::block_on(async {
            while let Some(v) = rx.recv().await {
                got.push(v);
            }
        });
        t.join().unwrap();
        got.sort_unstable();
        let mut expect = vec![0, 1];
        if tried {
            expect.push(2);
        }
        assert_eq!(got, expect);
        assert_eq!(rx.capacity(), 1);
    });
}

/// (f) A waiting sender is cancelled while the receiver frees the slot:
/// whether or not the permit had been handed to it, it comes back.
#[test]
fn permits_cancelled_waiter_gives_back() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        tx.try_send(0).unwrap();
        let t = thread::spawn(move || {
            let sent = {
                let mut fut = std::pin::pin!(tx.send(1));
                let waker = futures::task::noop_waker_ref();
                // Dropped at the end of this block: cancels a waiting send.
                fut.as_mut().poll(&mut std::task::Context::from_waker(waker)).is_ready()
            };
            (tx, sent)
        });
        assert_eq!(rx.try_recv(), Ok(0));
        let (tx, sent) = t.join().unwrap();
        if sent {
            assert_eq!(rx.try_recv(), Ok(1));
        }
        assert_eq!(rx.capacity(), 1);
        assert!(tx.try_send(2).is_ok());
    });
}

/// (g) `reserve_many(2)` on a full channel of capacity 2 waits while the
/// receiver frees the slots one at a time on another thread: the waiter is
/// granted both slots at once (never one), its values arrive in order, and
/// the full capacity is free in the end. Loom reports a deadlock if a
/// release's hand-off is lost.
#[test]
fn reserve_many_vs_release() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(2);
        tx.try_send(0).unwrap();
        tx.try_send(1).unwrap();
        let t = thread::spawn(move || {
            let permits = loom::future::block_on(tx.reserve_many(2)).unwrap();
            assert_eq!(permits.len(), 2);
            for (permit, v) in permits.zip([2, 3]) {
                permit.send(v);
            }
        });
        let mut got = Vec::new();
        loom::future::block_on(async {
            while let Some(v) = rx.recv().await {
                got.push(v);
            }
        });
        t.join().unwrap();
        assert_eq!(got, [0, 1, 2, 3]);
        assert_eq!(rx.capacity(), 2);
    });
}

/// (h) A queued `reserve_many(2)` is cancelled while the receiver frees a
/// slot on another thread: the slot is not lost (the cancelled waiter
/// never holds a partial grant), and a single `reserve` then gets it.
#[test]
fn reserve_many_cancel_vs_release() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(2);
        tx.try_send(0).unwrap();
        tx.try_send(1).unwrap();
        let mut many = Box::pin(tx.reserve_many(2));
        let waker = futures::task::noop_waker_ref();
        let mut cx = std::task::Context::from_waker(waker);
        assert!(many.as_mut().poll(&mut cx).is_pending());
        let t = thread::spawn(move || {
            assert_eq!(rx.try_recv(), Ok(0));
            rx
        });
        drop(many);
        let permit = loom::future::block_on(tx.reserve()).unwrap();
        let mut rx = t.join().unwrap();
        assert_eq!(rx.capacity(), 0);
        drop(permit);
        assert_eq!(rx.capacity(), 1);
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.capacity(), 2);
    });
}

/// (i) A `reserve_many(2)` queues on a channel holding one message while
/// another sender's `try_send` overdraws (one `fetch_sub`, given back) and
/// the receiver drains: the big reservation is granted exactly once the two
/// slots are free, every successful send is received, and no permit leaks.
#[test]
fn reserve_many_vs_overdraw() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(2);
        tx.try_send(0).unwrap();
        let tx2 = tx.clone();
        let t = thread::spawn(move || {
            let permits = loom::future::block_on(tx2.reserve_many(2)).unwrap();
            for (permit, v) in permits.zip([1, 2]) {
                permit.send(v);
            }
        });
        let tried = tx.try_send(3).is_ok();
        drop(tx);
        let mut got = Vec::new();
        loom::future::block_on(async {
            while let Some(v) = rx.recv().await {
                got.push(v);
            }
        });
        t.join().unwrap();
        let pos = |x: u8| got.iter().position(|&v| v == x);
        assert!(pos(1).unwrap() < pos(2).unwrap());
        got.sort_unstable();
        let mut expect = vec![0, 1, 2];
        if tried {
            expect.push(3);
        }
        assert_eq!(got, expect);
        assert_eq!(rx.capacity(), 2);
    });
}

/// (j) A closed bounded channel: the receiver waits in `recv` for the
/// permit reserved before the close, which another thread drops, while a
/// third thread's `try_send` fails (after overdrawing for an instant and
/// giving the unit back). The receiver ends with `None`: loom reports a
/// deadlock if the give-back that leaves the channel idle does not wake it.
#[test]
fn closed_receiver_waits_for_reserved_permit() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(2);
        let tx2 = tx.clone();
        // Kept to the end: the last sender's drop also wakes the receiver,
        // which would hide a lost idle wake-up.
        let keep = tx.clone();
        let permit = tx.try_reserve_owned().unwrap();
        rx.close();
        let holder = thread::spawn(move || drop(permit));
        let trier = thread::spawn(move || assert!(tx2.try_send(2).is_err()));
        assert_eq!(loom::future::block_on(rx.recv()), None);
        holder.join().unwrap();
        trier.join().unwrap();
        assert_eq!(rx.capacity(), 2);
        drop(keep);
    });
}

/// (j') As (j), the reserved permit being used to send: the value is
/// received, then `None`.
#[test]
fn closed_receiver_gets_value_of_reserved_permit() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        let permit = tx.try_reserve_owned().unwrap();
        rx.close();
        let holder = thread::spawn(move || drop(permit.send(1)));
        let mut got = Vec::new();
        loom::future::block_on(async {
            while let Some(v) = rx.recv().await {
                got.push(v);
            }
        });
        holder.join().unwrap();
        assert_eq!(got, [1]);
        assert_eq!(rx.capacity(), 1);
    });
}

/// (k) The receiver closes while a sender on another thread waits in
/// `reserve` for the slot the receiver's side frees (the permit may be
/// handed to it before or after the close). Either the reservation
/// succeeds before the close and its value is received, or it fails and
/// gives any granted slot back; the closed receiver always ends.
#[test]
fn close_vs_granted_reserve() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        let held = tx.clone().try_reserve_owned().unwrap();
        // Kept to the end, as in (j).
        let keep = tx.clone();
        let t = thread::spawn(move || match loom::future::block_on(tx.reserve()) {
            Ok(permit) => {
                permit.send(1);
                true
            }
            Err(_) => false,
        });
        drop(held);
        rx.close();
        let mut got = Vec::new();
        loom::future::block_on(async {
            while let Some(v) = rx.recv().await {
                got.push(v);
            }
        });
        let sent = t.join().unwrap();
        assert_eq!(got, if sent { vec![1] } else { vec![] });
        assert_eq!(rx.capacity(), 1);
        drop(keep);
    });
}

/// The receiver parks in `recv` on an empty channel while another thread
/// drops the last sender, which wakes it with a load (not an RMW) of the
/// waker slot after a fence: loom reports a deadlock if that wake is lost.
#[test]
fn receiver_wakes_when_last_sender_drops() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        let t = thread::spawn(move || drop(tx));
        assert_eq!(loom::future::block_on(rx.recv()), None);
        t.join().unwrap();
    });
}

/// A sender queues for a slot of a full channel while the receiver closes
/// without receiving. The close skips its lock when nobody was queued; the
/// send must fail either way (queued first: the close fails it; closed
/// first: its queueing CAS sees the close), and nothing hangs.
#[test]
fn waiting_sender_vs_close() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        tx.try_send(0).unwrap();
        let t = thread::spawn(move || loom::future::block_on(tx.send(1)).is_err());
        rx.close();
        assert!(t.join().unwrap(), "a send into a closed, full channel must fail");
        assert_eq!(loom::future::block_on(rx.recv()), Some(0));
        assert_eq!(loom::future::block_on(rx.recv()), None);
    });
}
