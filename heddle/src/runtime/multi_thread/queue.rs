//! Per-worker run queue: a bounded ring with one owner and many stealers.
//!
//! The owner ([`Local`]) pushes at the back and pops at the front; other
//! workers hold a [`Steal`] and take about half of the ring at once. When the
//! ring is full the owner moves half of it, plus the new item, to an
//! [`Overflow`] (the global inject queue) in one batch.
//!
//! ```text
//!   head: AtomicU64                         tail: AtomicU32
//!   +-----------------+-----------------+   +-----------------+
//!   | steal (hi, u32) | real  (lo, u32) |   |  tail (u32)     |
//!   +-----------------+-----------------+   +-----------------+
//!
//!   ring: ... free | being stolen | queued, poppable | free ...
//!                  ^ steal        ^ real             ^ tail
//! ```
//!
//! Indices are free-running `u32` counters; a slot is `index & (CAP - 1)`.
//!
//! - `tail` is written only by the owner, with `Release` after it has
//!   written the slot(s) below it; stealers load it with `Acquire`, so every
//!   slot in `real..tail` is initialised for them.
//! - `real` is the front of the queued items. Both the owner (pop, overflow)
//!   and stealers (claim) advance it, always by CAS on the whole `head`, so
//!   each slot of `real..tail` is taken by exactly one party.
//! - `steal == real` means no steal is in progress. A stealer *claims*
//!   `real..real+n` by a CAS that moves `real` alone, copies the slots out,
//!   then sets `steal = real` with a `Release` CAS. While `steal != real`
//!   other stealers back off (return `None`), the owner's pop advances `real`
//!   only, and the owner does not take the overflow path.
//! - The owner writes slot `tail` only if `tail - steal < CAP`: it never
//!   overwrites `steal..real`, which a stealer may still be reading. Its
//!   `Acquire` load of `head` pairs with the stealer's releasing CAS, so the
//!   stealer's reads happen before the owner's overwrite.
//!
//! An ABA on `head` needs 2^32 operations during one stealer's stall.
//! Items still queued when [`Local`] is dropped are dropped with it.

use crate::loom::sync::atomic::{
    AtomicU32, AtomicU64,
    Ordering::{AcqRel, Acquire, Relaxed, Release},
};
use crate::loom::sync::Arc;
use crate::loom::{UnsafeCell, LOCAL_QUEUE_CAPACITY as CAP};
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::{fmt, iter, ptr};

const MASK: usize = CAP - 1;
const _: () = assert!(CAP.is_power_of_two() && CAP >= 2 && CAP <= 1 << 31);

/// Where a full local queue sends half of its items (the inject queue).
pub(crate) trait Overflow<T> {
    /// Takes every item of `batch`; items it leaves unconsumed are dropped.
    fn push_batch(&self, batch: impl Iterator<Item = T>);
}

struct Inner<T> {
    /// `steal` in the high half, `real` in the low half.
    head: AtomicU64,
    tail: AtomicU32,
    buffer: Box<[UnsafeCell<MaybeUninit<T>>; CAP]>,
}

// SAFETY: items move between threads by value (`T: Send`), and every slot is
// accessed by one thread at a time under the protocol in the module doc.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: as above; shared access goes through atomics and claimed slots.
unsafe impl<T: Send> Sync for Inner<T> {}

fn unpack(head: u64) -> (u32, u32) {
    ((head >> 32) as u32, head as u32)
}

fn pack(steal: u32, real: u32) -> u64 {
    (u64::from(steal) << 32) | u64::from(real)
}

impl<T> Inner<T> {
    /// Moves the item out of slot `idx`.
    ///
    /// # Safety
    /// The caller has claimed `idx` exclusively and the item written there is
    /// visible to it (it wrote it, or acquired the `tail` that published it).
    unsafe fn take(&self, idx: u32) -> T {
        // SAFETY: per the caller's contract the slot is initialised and ours.
        self.buffer[idx as usize & MASK].with(|p| unsafe { ptr::read(p).assume_init() })
    }

    /// CAS on `head`; returns the value seen on failure.
    fn cas(&self, current: u64, new: u64) -> Result<(), u64> {
        match self.head.compare_exchange_weak(current, new, AcqRel, Acquire) {
            Ok(_) => Ok(()),
            Err(actual) => Err(actual),
        }
    }

    /// Writes `item` into slot `idx`.
    ///
    /// # Safety
    /// Only the owner calls this, for `idx` with `idx - steal < CAP` (the
    /// slot holds no item and no stealer is reading it).
    unsafe fn put(&self, idx: u32, item: T) {
        // SAFETY: per the caller's contract the slot is free and ours.
        self.buffer[idx as usize & MASK].with_mut(|p| unsafe { ptr::write(p, MaybeUninit::new(item)) })
    }
}

/// Creates a worker's queue: the owner half and the handle for stealers.
pub(crate) fn local<T: Send>() -> (Local<T>, Steal<T>) {
    let buffer: Box<[_]> = (0..CAP).map(|_| UnsafeCell::new(MaybeUninit::uninit())).collect();
    let inner = Arc::new(Inner {
        head: AtomicU64::new(0),
        tail: AtomicU32::new(0),
        buffer: buffer.try_into().unwrap_or_else(|_| unreachable!()),
    });
    let steal = Steal { inner: inner.clone() };
    (Local { inner, _not_sync: PhantomData }, steal)
}

/// The owning worker's end of the queue.
pub(crate) struct Local<T> {
    inner: Arc<Inner<T>>,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

/// A handle other workers use to steal from a [`Local`].
pub(crate) struct Steal<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Local<T> {
    /// The tail; only this side writes it, so a relaxed load is current.
    fn tail(&self) -> u32 {
        self.inner.tail.load(Relaxed)
    }

    /// FIFO push at the back; if the ring is full, moves half the ring plus
    /// `item` to `overflow` in one batch.
    pub(crate) fn push_back_or_overflow<O: Overflow<T>>(&mut self, mut item: T, overflow: &O) {
        let tail = self.tail();
        loop {
            let head = self.inner.head.load(Acquire);
            let (steal, real) = unpack(head);
            if (tail.wrapping_sub(steal) as usize) < CAP {
                // SAFETY: we are the owner and `tail - steal < CAP`.
                unsafe { self.inner.put(tail, item) };
                self.inner.tail.store(tail.wrapping_add(1), Release);
                return;
            }
            if steal != real {
                // A stealer is copying items out and will free slots; do not
                // wait for it, and do not move its slots.
                overflow.push_batch(iter::once(item));
                return;
            }
            match self.push_overflow(head, tail, item, overflow) {
                Ok(()) => return,
                Err(back) => item = back,
            }
        }
    }

    /// Moves the front half of a full, idle ring plus `item` to `overflow`.
    /// Fails (giving `item` back) if a stealer changed `head` meanwhile.
    #[cold]
    fn push_overflow<O: Overflow<T>>(&mut self, head: u64, tail: u32, item: T, overflow: &O) -> Result<(), T> {
        let (_, real) = unpack(head);
        debug_assert_eq!(tail.wrapping_sub(real) as usize, CAP);
        let end = real.wrapping_add((CAP / 2) as u32);
        if self.inner.cas(head, pack(end, end)).is_err() {
            return Err(item);
        }
        let (inner, next) = (&*self.inner, real);
        overflow.push_batch(Drain { inner, next, end }.chain(iter::once(item)));
        Ok(())
    }

    /// Pushes a whole batch. The caller guarantees `remaining_slots()` is
    /// enough; panics (without unsafety) if it is not.
    pub(crate) fn push_back_batch(&mut self, items: impl ExactSizeIterator<Item = T>) {
        let room = self.remaining_slots();
        debug_assert!(items.len() <= room, "push_back_batch: {} items, {room} slots", items.len());
        let start = self.tail();
        let mut tail = start;
        for item in items {
            if tail.wrapping_sub(start) as usize == room {
                self.inner.tail.store(tail, Release);
                panic!("push_back_batch: more items than remaining_slots()");
            }
            // SAFETY: we are the owner, and `tail - steal < CAP` because fewer
            // than `room = CAP - (start - steal)` items were written so far.
            unsafe { self.inner.put(tail, item) };
            tail = tail.wrapping_add(1);
        }
        self.inner.tail.store(tail, Release);
    }

    /// Free slots, counting those a stealer is still copying out as taken.
    pub(crate) fn remaining_slots(&self) -> usize {
        let (steal, _) = unpack(self.inner.head.load(Acquire));
        CAP - self.tail().wrapping_sub(steal) as usize
    }

    /// FIFO pop from the front.
    pub(crate) fn pop(&mut self) -> Option<T> {
        let tail = self.tail();
        let mut head = self.inner.head.load(Acquire);
        let idx = loop {
            let (steal, real) = unpack(head);
            if real == tail {
                return None;
            }
            let next_real = real.wrapping_add(1);
            // While a steal is in flight its stealer owns `steal`; move `real` only.
            let next = if steal == real { pack(next_real, next_real) } else { pack(steal, next_real) };
            match self.inner.cas(head, next) {
                Ok(()) => break real,
                Err(actual) => head = actual,
            }
        };
        // SAFETY: the CAS moved `real` past `idx < tail`, so the slot is ours,
        // and we wrote it ourselves.
        Some(unsafe { self.inner.take(idx) })
    }

    /// Items queued (excluding those a stealer is copying out).
    pub(crate) fn len(&self) -> usize {
        let (_, real) = unpack(self.inner.head.load(Acquire));
        self.tail().wrapping_sub(real) as usize
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Drop for Local<T> {
    fn drop(&mut self) {
        while self.pop().is_some() {}
    }
}

/// Moves items `next..end` out of slots the owner claimed for overflow;
/// drops whatever the consumer leaves behind.
struct Drain<'a, T> {
    inner: &'a Inner<T>,
    next: u32,
    end: u32,
}

impl<T> Iterator for Drain<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.next == self.end {
            return None;
        }
        let idx = self.next;
        self.next = idx.wrapping_add(1);
        // SAFETY: the owner's CAS moved `steal` and `real` past `next..end`
        // with no steal in progress, so only this iterator can reach these
        // slots (the owner is borrowed until it is gone); the owner wrote them.
        Some(unsafe { self.inner.take(idx) })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end.wrapping_sub(self.next) as usize;
        (n, Some(n))
    }
}

impl<T> Drop for Drain<'_, T> {
    fn drop(&mut self) {
        self.for_each(drop);
    }
}

impl<T> Steal<T> {
    /// Steals about half of this queue into `dst` (the calling worker's own
    /// queue) and returns the oldest stolen item to run right away; `None` if
    /// there was nothing to steal or another steal was in progress.
    pub(crate) fn steal_into(&self, dst: &mut Local<T>) -> Option<T> {
        debug_assert!(!ptr::eq(&*self.inner, &*dst.inner), "a worker stealing from itself");
        let dst_tail = dst.tail();
        // The first stolen item is returned, so it needs no slot in `dst`.
        let (first, n) = self.claim(dst.remaining_slots() as u32 + 1)?;
        // SAFETY: `claim` gave us `first..first + n` exclusively until we
        // release it, and its `Acquire` load of `tail` made them visible.
        let ret = unsafe { self.inner.take(first) };
        for i in 1..n {
            // SAFETY: as above, for the rest of the claimed range.
            let item = unsafe { self.inner.take(first.wrapping_add(i)) };
            // SAFETY: we own `dst`, and at most `remaining_slots()` go there.
            unsafe { dst.inner.put(dst_tail.wrapping_add(i - 1), item) };
        }
        self.release();
        if n > 1 {
            dst.inner.tail.store(dst_tail.wrapping_add(n - 1), Release);
        }
        Some(ret)
    }

    /// Claims up to `max` (about half) of the queued items: returns the first
    /// index and the count, leaving `steal` behind to fence off the owner.
    fn claim(&self, max: u32) -> Option<(u32, u32)> {
        let mut head = self.inner.head.load(Acquire);
        loop {
            let (steal, real) = unpack(head);
            if steal != real {
                return None; // another worker is stealing from this queue
            }
            let tail = self.inner.tail.load(Acquire);
            // With a stale `head` this can exceed CAP; the CAS then fails.
            let avail = tail.wrapping_sub(real);
            let n = (avail - avail / 2).min(max);
            if n == 0 {
                return None;
            }
            let next = pack(steal, real.wrapping_add(n));
            match self.inner.cas(head, next) {
                Ok(()) => {
                    debug_assert!(avail as usize <= CAP);
                    return Some((real, n));
                }
                Err(actual) => head = actual,
            }
        }
    }

    /// Ends our steal: `steal = real`, releasing our reads to the owner.
    fn release(&self) {
        let mut head = self.inner.head.load(Acquire);
        loop {
            let real = unpack(head).1;
            match self.inner.cas(head, pack(real, real)) {
                Ok(()) => return,
                Err(actual) => head = actual,
            }
        }
    }

    /// Items queued; a racy snapshot.
    pub(crate) fn len(&self) -> usize {
        let (_, real) = unpack(self.inner.head.load(Acquire));
        self.inner.tail.load(Acquire).wrapping_sub(real) as usize
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Clone for Steal<T> {
    fn clone(&self) -> Self {
        Steal { inner: self.inner.clone() }
    }
}

impl<T> fmt::Debug for Local<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Local {{ len: {} }}", self.len())
    }
}

impl<T> fmt::Debug for Steal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Steal {{ len: {} }}", self.len())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
    use std::sync::Mutex;

    #[derive(Default)]
    struct Collect(RefCell<Vec<usize>>);

    impl Overflow<usize> for Collect {
        fn push_batch(&self, batch: impl Iterator<Item = usize>) {
            self.0.borrow_mut().extend(batch);
        }
    }

    fn drain(q: &mut Local<usize>) -> Vec<usize> {
        iter::from_fn(|| q.pop()).collect()
    }

    #[test]
    fn fifo_order_and_batch() {
        let (mut q, steal) = local();
        let ovf = Collect::default();
        for i in 0..10 {
            q.push_back_or_overflow(i, &ovf);
        }
        assert_eq!((q.len(), steal.len(), q.remaining_slots()), (10, 10, CAP - 10));
        assert_eq!(drain(&mut q)[..], (0..10).collect::<Vec<_>>()[..]);
        q.push_back_batch(10..10 + CAP);
        assert_eq!(q.remaining_slots(), 0);
        assert_eq!(drain(&mut q), (10..10 + CAP).collect::<Vec<_>>());
        assert!(q.is_empty() && steal.is_empty() && ovf.0.borrow().is_empty());
    }

    #[test]
    fn overflow_moves_half_plus_item() {
        let (mut q, _steal) = local();
        let ovf = Collect::default();
        for i in 0..=CAP {
            q.push_back_or_overflow(i, &ovf);
        }
        let mut expect: Vec<_> = (0..CAP / 2).collect();
        expect.push(CAP);
        assert_eq!(*ovf.0.borrow(), expect);
        assert_eq!(drain(&mut q), (CAP / 2..CAP).collect::<Vec<_>>());
    }

    #[test]
    fn steal_takes_half() {
        let (mut q, steal) = local();
        let (mut dst, _) = local();
        let ovf = Collect::default();
        for i in 0..11 {
            q.push_back_or_overflow(i, &ovf);
        }
        assert_eq!(steal.steal_into(&mut dst), Some(0));
        assert_eq!(drain(&mut dst), (1..6).collect::<Vec<_>>());
        assert_eq!(drain(&mut q), (6..11).collect::<Vec<_>>());
        assert_eq!(steal.steal_into(&mut dst), None);
        // A nearly full destination limits the steal.
        q.push_back_batch(0..4);
        dst.push_back_batch(0..CAP);
        assert_eq!(steal.steal_into(&mut dst), Some(0));
        assert_eq!((q.len(), dst.len()), (3, CAP));
    }

    #[test]
    fn drop_drops_queued_items() {
        let token = Arc::new(());
        let (mut q, steal) = local();
        let (mut dst, _) = local();
        q.push_back_batch(iter::repeat_with(|| token.clone()).take(CAP));
        drop(steal.steal_into(&mut dst));
        drop((q, dst));
        assert_eq!(Arc::strong_count(&token), 1);
    }

    /// Counts how often each id was seen; checks each exactly once.
    struct Seen(Vec<AtomicUsize>);

    impl Seen {
        fn new(n: usize) -> Self {
            Seen((0..n).map(|_| AtomicUsize::new(0)).collect())
        }
        fn add(&self, ids: impl IntoIterator<Item = usize>) {
            for i in ids {
                self.0[i].fetch_add(1, SeqCst);
            }
        }
        fn check(&self) {
            let bad: Vec<_> = (0..self.0.len()).filter(|&i| self.0[i].load(SeqCst) != 1).collect();
            assert!(bad.is_empty(), "{} ids not seen once: {:?}..", bad.len(), &bad[..bad.len().min(5)]);
        }
    }

    impl Overflow<usize> for &Mutex<Vec<usize>> {
        fn push_batch(&self, batch: impl Iterator<Item = usize>) {
            self.lock().unwrap().extend(batch);
        }
    }

    #[test]
    fn stealers_hammer_owner() {
        const N: usize = 200_000;
        let (seen, done) = (Seen::new(N), AtomicBool::new(false));
        let (mut q, steal) = local();
        let ovf = Collect::default();
        std::thread::scope(|s| {
            for _ in 0..3 {
                let (steal, seen, done) = (steal.clone(), &seen, &done);
                s.spawn(move || {
                    let mut mine = local().0;
                    while !done.load(SeqCst) || !steal.is_empty() {
                        match steal.steal_into(&mut mine) {
                            Some(first) => seen.add(iter::once(first).chain(drain(&mut mine))),
                            None => std::hint::spin_loop(),
                        }
                    }
                });
            }
            for i in 0..N {
                q.push_back_or_overflow(i, &ovf);
                if i % 3 == 0 {
                    seen.add(q.pop());
                }
            }
            done.store(true, SeqCst);
            seen.add(drain(&mut q).into_iter().chain(ovf.0.take()));
        });
        seen.check();
    }

    /// Every worker pushes, pops and steals from the others, as in the
    /// scheduler: a queue is stolen from while its owner steals into it.
    #[test]
    fn workers_steal_from_each_other() {
        const WORKERS: usize = 3;
        const PER: usize = 50_000;
        let seen = Seen::new(WORKERS * PER);
        let inject = Mutex::new(Vec::new());
        let (locals, steals): (Vec<_>, Vec<_>) = (0..WORKERS).map(|_| local()).unzip();
        std::thread::scope(|s| {
            for (w, mut q) in locals.into_iter().enumerate() {
                let (seen, inject, steals) = (&seen, &inject, &steals);
                s.spawn(move || {
                    for i in w * PER..(w + 1) * PER {
                        q.push_back_or_overflow(i, &inject);
                        if i % 2 == 0 {
                            seen.add(q.pop());
                        }
                        if i % 7 == 0 {
                            seen.add(steals[(w + 1 + i % (WORKERS - 1)) % WORKERS].steal_into(&mut q));
                        }
                    }
                    seen.add(drain(&mut q));
                });
            }
        });
        seen.add(inject.into_inner().unwrap());
        seen.check();
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::{model, thread};
    use std::cell::RefCell;

    #[derive(Default)]
    struct Collect(RefCell<Vec<usize>>);

    impl Overflow<usize> for Collect {
        fn push_batch(&self, batch: impl Iterator<Item = usize>) {
            self.0.borrow_mut().extend(batch);
        }
    }

    /// Like `model`, but explores at most `bound` preemptions per execution
    /// unless LOOM_MAX_PREEMPTIONS says otherwise (unbounded takes too long).
    fn bounded(bound: usize, f: impl Fn() + Sync + Send + 'static) {
        let mut builder = ::loom::model::Builder::new();
        builder.preemption_bound.get_or_insert(bound);
        builder.check(f);
    }

    /// A worker that steals from `src` once into `mine`, then runs all it has.
    fn stealer(src: Steal<usize>, mut mine: Local<usize>) -> thread::JoinHandle<Vec<usize>> {
        thread::spawn(move || {
            let first = src.steal_into(&mut mine);
            first.into_iter().chain(iter::from_fn(|| mine.pop())).collect()
        })
    }

    fn empty() -> Local<usize> {
        local().0
    }

    /// Every id in `0..n` was seen exactly once.
    fn check(mut seen: Vec<usize>, n: usize) {
        seen.sort_unstable();
        assert_eq!(seen, (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn loom_push_pop_vs_stealer() {
        model(|| {
            let (mut q, steal) = local();
            let ovf = Collect::default();
            q.push_back_batch(0..CAP);
            let th = stealer(steal, empty());
            // A pop during the steal must not let these pushes reach its slots.
            let mut seen: Vec<_> = q.pop().into_iter().collect();
            q.push_back_or_overflow(CAP, &ovf);
            q.push_back_or_overflow(CAP + 1, &ovf);
            seen.extend(iter::from_fn(|| q.pop()));
            seen.extend(th.join().unwrap());
            seen.extend(ovf.0.take());
            check(seen, CAP + 2);
        });
    }

    #[test]
    fn loom_overflow_vs_stealer() {
        model(|| {
            let (mut q, steal) = local();
            let ovf = Collect::default();
            let th = stealer(steal, empty());
            for i in 0..CAP + 2 {
                q.push_back_or_overflow(i, &ovf);
            }
            let mut seen: Vec<_> = iter::from_fn(|| q.pop()).collect();
            seen.extend(th.join().unwrap());
            seen.extend(ovf.0.take());
            check(seen, CAP + 2);
        });
    }

    #[test]
    fn loom_two_stealers_vs_owner() {
        bounded(3, || {
            let (mut q, steal) = local();
            let ovf = Collect::default();
            q.push_back_batch(0..2);
            let ths = [stealer(steal.clone(), empty()), stealer(steal, empty())];
            for i in 2..CAP + 1 {
                q.push_back_or_overflow(i, &ovf);
            }
            let mut seen: Vec<_> = iter::from_fn(|| q.pop()).collect();
            for th in ths {
                seen.extend(th.join().unwrap());
            }
            seen.extend(ovf.0.take());
            check(seen, CAP + 1);
        });
    }

    /// B steals from A into B's own queue while C steals from B's queue:
    /// B's writes must stay clear of the slots C is copying out.
    #[test]
    fn loom_steal_into_queue_being_stolen() {
        bounded(4, || {
            let (mut a, steal_a) = local();
            let (mut b, steal_b) = local();
            a.push_back_batch(0..CAP);
            b.push_back_batch(CAP..2 * CAP);
            let thc = stealer(steal_b, empty());
            let thb = stealer(steal_a, b);
            let mut seen: Vec<_> = iter::from_fn(|| a.pop()).collect();
            seen.extend(thb.join().unwrap());
            seen.extend(thc.join().unwrap());
            check(seen, 2 * CAP);
        });
    }
}
