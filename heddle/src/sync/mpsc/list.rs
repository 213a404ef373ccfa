//! The lock-free multi-producer, single-consumer queue under the mpsc
//! channels.
//!
//! Messages live in a singly linked list of fixed-size blocks of
//! [`BLOCK_CAP`] slots. Every message gets a global *index*: slot
//! `index % BLOCK_CAP` of the block whose `start` is `index - index % BLOCK_CAP`.
//!
//! * **Send**: one `fetch_add` on the `tail` word claims an index (and, in
//!   the same operation, reads the close flags); the sender finds the block
//!   of that index (walking forward from a shared hint, appending blocks
//!   when the list is too short), writes the value, then publishes it by
//!   setting the slot's bit in the block's `ready` word.
//! * **Receive**: the single receiver reads indices in order from its own
//!   cursor. At a slot whose ready bit is clear, the `tail` word tells
//!   whether the channel has ended at that index (`Closed`); if not, the
//!   slot is `Empty` (unclaimed, or claimed by a sender still writing it:
//!   that sender's wake-up comes after its ready bit).
//! * **Reclaiming**: a block is reused (appended again at the end of the
//!   list) or freed by the receiver once it has read every slot *and* no
//!   sender can still be walking through it; see [`List::find_block`] for
//!   the argument.
//!
//! The `tail` word is `index << 2 | RX_CLOSED | TX_CLOSED`:
//!
//! ```text
//!              last sender dropped: fetch_or(TX_CLOSED)
//!   OPEN ───────────────────────────────────────────────▶ TX_CLOSED
//!     │                                                    the tail index is final: the receiver
//!     │                                                    reads up to it, then sees Closed
//!     └─ receiver close: fetch_or(RX_CLOSED) ───────────▶ RX_CLOSED
//!                                                          the index it returned (`closed_at`) is
//!                                                          the end; a later push still bumps the
//!                                                          index but sees the flag and fails
//! ```
//!
//! A block's `ready` word holds one bit per slot plus `RELEASED`, set once
//! the senders' hint has moved past the block:
//!
//! ```text
//!   fresh (ready = 0) ──slots written──▶ full ──hint moved past──▶ RELEASED
//!        ▲                                                            │
//!        └─────── receiver read all and reclaimed: reset, re-append ◀─┘
//! ```

use std::mem::MaybeUninit;
use std::ptr;

use crate::loom::sync::atomic::{AtomicPtr, AtomicUsize, Ordering::*};
use crate::loom::UnsafeCell;

/// Slots per block.
#[cfg(not(loom))]
pub(super) const BLOCK_CAP: usize = if usize::BITS >= 64 { 32 } else { 16 };
/// Slots per block: tiny under loom so models cross block boundaries.
#[cfg(loom)]
pub(super) const BLOCK_CAP: usize = 2;

const SLOT_MASK: usize = BLOCK_CAP - 1;
/// Every slot's ready bit.
const ALL_READY: usize = (1 << BLOCK_CAP) - 1;
/// The senders' hint has moved past this block (`observed_tail` is valid).
const RELEASED: usize = 1 << BLOCK_CAP;

/// `tail` flag: every sender is gone.
const TX_CLOSED: usize = 0b01;
/// `tail` flag: the receiver closed (an unbounded channel) or was dropped;
/// pushes fail.
const RX_CLOSED: usize = 0b10;
const INDEX_SHIFT: u32 = 2;
/// One index step in the `tail` word.
const ONE: usize = 1 << INDEX_SHIFT;
/// Indices live in the `tail` word's upper bits, so they wrap around at
/// `INDEX_MASK + 1`; all index arithmetic is done modulo that.
const INDEX_MASK: usize = usize::MAX >> INDEX_SHIFT;

/// How often the receiver tries to re-append a reclaimed block before
/// freeing it instead.
const RECYCLE_TRIES: usize = 3;

/// `a >= b` for indices that may wrap around (less than half the index
/// space apart).
fn index_at_or_after(a: usize, b: usize) -> bool {
    ((a.wrapping_sub(b) << INDEX_SHIFT) as isize) >= 0
}

/// `index + n`, wrapping around the index space.
fn index_add(index: usize, n: usize) -> usize {
    index.wrapping_add(n) & INDEX_MASK
}

struct Block<T> {
    /// Index of slot 0. Written only while the block is private (new or
    /// reclaimed), published by the release store that links it.
    start: AtomicUsize,
    next: AtomicPtr<Block<T>>,
    /// Bit `i`: slot `i` holds a value; plus [`RELEASED`].
    ready: AtomicUsize,
    /// The tail index seen right after the hint moved past this block;
    /// published by setting [`RELEASED`].
    observed_tail: AtomicUsize,
    slots: [UnsafeCell<MaybeUninit<T>>; BLOCK_CAP],
}

impl<T> Block<T> {
    /// A fresh block on the heap, freed with `Box::from_raw`. Only the
    /// header is written: building the whole block first and boxing it
    /// would copy every (uninitialised) slot through the stack, 1 MiB for
    /// 32 KiB messages (`mpsc_send_large` was 2.3x tokio's time).
    #[cfg(not(loom))]
    fn alloc(start: usize) -> *mut Block<T> {
        let layout = std::alloc::Layout::new::<Block<T>>();
        // SAFETY: the layout is not zero-sized (the header has atomics).
        let block = unsafe { std::alloc::alloc(layout) }.cast::<Block<T>>();
        if block.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        // SAFETY: `block` is valid for writes of a `Block<T>` and not yet
        // shared. The header fields are written in place; the slots stay
        // uninitialised, which `UnsafeCell<MaybeUninit<T>>` allows (a slot
        // is read only after a sender wrote it and set its ready bit). The
        // memory came from the global allocator with `Block<T>`'s layout,
        // so `Box::from_raw` may free it.
        unsafe {
            ptr::addr_of_mut!((*block).start).write(AtomicUsize::new(start));
            ptr::addr_of_mut!((*block).next).write(AtomicPtr::new(ptr::null_mut()));
            ptr::addr_of_mut!((*block).ready).write(AtomicUsize::new(0));
            ptr::addr_of_mut!((*block).observed_tail).write(AtomicUsize::new(0));
        }
        block
    }

    /// A fresh block (loom's cells must be constructed to be tracked).
    #[cfg(loom)]
    fn alloc(start: usize) -> *mut Block<T> {
        Box::into_raw(Box::new(Block {
            start: AtomicUsize::new(start),
            next: AtomicPtr::new(ptr::null_mut()),
            ready: AtomicUsize::new(0),
            observed_tail: AtomicUsize::new(0),
            slots: std::array::from_fn(|_| UnsafeCell::new(MaybeUninit::uninit())),
        }))
    }

    /// The next block, appending a fresh one if there is none yet.
    fn next_or_grow(&self) -> *mut Block<T> {
        let next = self.next.load(Acquire);
        if !next.is_null() {
            return next;
        }
        let new = Block::alloc(index_add(self.start.load(Relaxed), BLOCK_CAP));
        match self.next.compare_exchange(ptr::null_mut(), new, AcqRel, Acquire) {
            Ok(_) => new,
            Err(actual) => {
                // SAFETY: `new` was never shared; another sender linked a
                // block first and we use that one.
                drop(unsafe { Box::from_raw(new) });
                actual
            }
        }
    }
}

/// What [`Cursor::pop`] found at the receiver's index.
pub(super) enum Pop<T> {
    /// The next message.
    Value(T),
    /// Nothing yet; a sender may be writing it right now.
    Empty,
    /// Nothing, ever again: the channel ended at this index.
    Closed,
}

/// The shared half of the queue: what senders touch.
pub(super) struct List<T> {
    /// `index << 2 | RX_CLOSED | TX_CLOSED`; the index is the next free one.
    tail: AtomicUsize,
    /// A block at or before the one holding `tail`'s index: where senders
    /// start walking. Only moves forward, and only past full blocks.
    tail_block: AtomicPtr<Block<T>>,
    /// The receiver's cursor, parked here when the receiver is dropped so
    /// that dropping the list finds the messages still in it.
    parked_free: AtomicPtr<Block<T>>,
    parked_head: AtomicPtr<Block<T>>,
    parked_index: AtomicUsize,
}

// SAFETY: the list owns values of type `T` and hands them from the sending
// threads to the receiving one, which needs `T: Send`; shared access only
// ever moves whole values in and out (never lends `&T`), so `T: Sync` is
// not needed.
unsafe impl<T: Send> Send for List<T> {}
// SAFETY: see the `Send` impl.
unsafe impl<T: Send> Sync for List<T> {}

/// The receiver's private half of the queue.
pub(super) struct Cursor<T> {
    /// The block holding `index` (or the one just before it, when `index`
    /// starts a block not linked yet).
    head: *mut Block<T>,
    /// Oldest block not yet reclaimed; `free..head` are fully read.
    free: *mut Block<T>,
    /// The next index to read.
    index: usize,
    /// The end index, once the receiver has closed.
    closed_at: Option<usize>,
    /// The last [`take`](Self::take) that found nothing found the end.
    ended: bool,
}

// SAFETY: the cursor is the receiver's access to the list; moving it to
// another thread moves the right to take values out, which needs `T: Send`.
unsafe impl<T: Send> Send for Cursor<T> {}
// SAFETY: `&Cursor` only reads indices, never touches a value.
unsafe impl<T: Send> Sync for Cursor<T> {}

// The cursor moves past a slot right after reading its value out, with
// nothing in between that can panic, so an unwinding panic never leaves it
// at a slot already read: unwind-safe (this, with `Chan`'s impls, makes
// the receivers so, as tokio's are).
impl<T> std::panic::UnwindSafe for Cursor<T> {}
impl<T> std::panic::RefUnwindSafe for Cursor<T> {}

/// A new, empty queue: its shared half and the receiver's cursor.
pub(super) fn new<T>() -> (List<T>, Cursor<T>) {
    new_at(0)
}

/// A new, empty queue whose first index is `first` (a multiple of
/// [`BLOCK_CAP`]); tests start near the wrap-around point.
fn new_at<T>(first: usize) -> (List<T>, Cursor<T>) {
    debug_assert_eq!(first & SLOT_MASK, 0);
    let block = Block::alloc(first);
    let list = List {
        tail: AtomicUsize::new(first << INDEX_SHIFT),
        tail_block: AtomicPtr::new(block),
        parked_free: AtomicPtr::new(block),
        parked_head: AtomicPtr::new(block),
        parked_index: AtomicUsize::new(first),
    };
    (list, Cursor { head: block, free: block, index: first, closed_at: None, ended: false })
}

impl<T> List<T> {
    /// Appends `value`; fails (handing it back) once the receiver closed.
    pub(super) fn push(&self, value: T) -> Result<(), T> {
        // SeqCst: pairs with the hint move in `find_block` (see there).
        let prev = self.tail.fetch_add(ONE, SeqCst);
        if prev & RX_CLOSED != 0 {
            return Err(value);
        }
        let index = prev >> INDEX_SHIFT;
        let block = self.find_block(index);
        let slot = index & SLOT_MASK;
        // SAFETY: the `fetch_add` above gave index `index` to this call
        // alone, and the receiver does not read the slot before its ready
        // bit is set below, so nobody else accesses it now.
        block.slots[slot].with_mut(|p| unsafe { p.write(MaybeUninit::new(value)) });
        block.ready.fetch_or(1 << slot, Release);
        Ok(())
    }

    /// The block holding `index`, claimed by the caller.
    ///
    /// Walks forward from `tail_block`, appending blocks where the list
    /// ends, and moves the hint past blocks that are full on the way.
    ///
    /// Why the receiver may free a block `B` once it is `RELEASED` and the
    /// receiver has read every index below `B.observed_tail`: a sender that
    /// can be walking through `B` loaded the hint before it moved past `B`,
    /// so (all four operations being SeqCst) its `fetch_add` on `tail` came
    /// before that move, and the mover's later load of `tail` returned an
    /// index above the sender's. The receiver having read that sender's
    /// slot means the sender's walk, which precedes its write, is over.
    fn find_block(&self, index: usize) -> &Block<T> {
        let start = index & !SLOT_MASK;
        let mut block_ptr = self.tail_block.load(SeqCst);
        let mut may_move_hint = true;
        loop {
            // SAFETY: the hint and everything linked after it are live: the
            // receiver frees only blocks the hint has moved past, and only
            // once no sender that loaded them can still be walking (see
            // above); this sender loaded the hint after claiming `index`.
            let block = unsafe { &*block_ptr };
            let block_start = block.start.load(Relaxed);
            if block_start == start {
                return block;
            }
            debug_assert!(index_at_or_after(start, block_start));
            let next = block.next_or_grow();
            // Move the hint only past a block whose every slot is written:
            // all its senders are then past their hint load, so none can
            // find the hint already beyond its own block.
            if may_move_hint && block.ready.load(Acquire) & ALL_READY == ALL_READY {
                if self.tail_block.compare_exchange(block_ptr, next, SeqCst, SeqCst).is_ok() {
                    let observed = self.tail.load(SeqCst) >> INDEX_SHIFT;
                    block.observed_tail.store(observed, Relaxed);
                    block.ready.fetch_or(RELEASED, Release);
                } else {
                    may_move_hint = false;
                }
            } else {
                may_move_hint = false;
            }
            block_ptr = next;
        }
    }

    /// Marks the end of the stream: every sender is gone. Must be called
    /// once, after the last push.
    pub(super) fn close_tx(&self) {
        self.tail.fetch_or(TX_CLOSED, AcqRel);
    }

    /// True once the receiver has closed.
    pub(super) fn is_rx_closed(&self) -> bool {
        self.tail.load(Acquire) & RX_CLOSED != 0
    }

    /// Re-appends a reclaimed block at the end of the list, or frees it.
    ///
    /// # Safety
    /// `block` must be unreachable by any other thread (reclaimed) and
    /// hold no value.
    unsafe fn recycle(&self, block: *mut Block<T>) {
        // SAFETY: the caller guarantees exclusive access.
        let b = unsafe { &*block };
        b.ready.store(0, Relaxed);
        b.next.store(ptr::null_mut(), Relaxed);
        let mut last = self.tail_block.load(Acquire);
        for _ in 0..RECYCLE_TRIES {
            // SAFETY: the hint and its successors are live (see
            // `find_block`); only this thread (the receiver) frees blocks.
            let mut last_ref = unsafe { &*last };
            loop {
                let next = last_ref.next.load(Acquire);
                if next.is_null() {
                    break;
                }
                last = next;
                // SAFETY: linked after the hint, so live (as above).
                last_ref = unsafe { &*last };
            }
            b.start.store(index_add(last_ref.start.load(Relaxed), BLOCK_CAP), Relaxed);
            match last_ref.next.compare_exchange(ptr::null_mut(), block, AcqRel, Acquire) {
                Ok(_) => return,
                Err(actual) => last = actual,
            }
        }
        // SAFETY: still private, and allocated by `Block::alloc`.
        drop(unsafe { Box::from_raw(block) });
    }
}

impl<T> Drop for List<T> {
    fn drop(&mut self) {
        // Nobody else is left: the receiver parked its cursor on drop, and
        // every sender is gone. Free every block from the oldest one the
        // receiver kept, dropping the values at or after its index.
        let head = self.parked_head.load(Acquire);
        let index = self.parked_index.load(Acquire);
        let mut block = self.parked_free.load(Acquire);
        let mut reached_head = false;
        while !block.is_null() {
            reached_head |= block == head;
            // SAFETY: every block reachable from the receiver's oldest one
            // was allocated by `Block::alloc` and is linked exactly once;
            // no other thread is left to touch it.
            let b = unsafe { Box::from_raw(block) };
            if reached_head {
                let ready = b.ready.load(Acquire);
                let start = b.start.load(Relaxed);
                for (slot, cell) in b.slots.iter().enumerate() {
                    if ready & (1 << slot) != 0 && index_at_or_after(index_add(start, slot), index) {
                        // SAFETY: ready and not yet read by the receiver,
                        // so the slot holds a value nobody else will take.
                        cell.with_mut(|p| unsafe { ptr::drop_in_place((*p).as_mut_ptr()) });
                    }
                }
            }
            block = b.next.load(Acquire);
        }
    }
}

impl<T> Cursor<T> {
    /// Takes the message at the receiver's index, if it is there.
    pub(super) fn pop(&mut self, list: &List<T>) -> Pop<T> {
        match self.take(list) {
            Some(value) => Pop::Value(value),
            None if self.ended => Pop::Closed,
            None => Pop::Empty,
        }
    }

    /// [`pop`](Self::pop) for the receive path: the message as an `Option`
    /// (which `Poll::Ready` wraps without a copy), and on `None`,
    /// [`ended`](Self::ended) tells `Closed` from `Empty`. Each move of a
    /// large message is a `memcpy`; `Pop` cost one more on the way out.
    pub(super) fn take(&mut self, list: &List<T>) -> Option<T> {
        let mut rechecked = false;
        loop {
            // SAFETY: `head` is live: the receiver only frees blocks before it.
            let block = unsafe { &*self.head };
            let slot = self.index.wrapping_sub(block.start.load(Relaxed)) & INDEX_MASK;
            if slot < BLOCK_CAP {
                if block.ready.load(Acquire) & (1 << slot) != 0 {
                    // SAFETY: the ready bit (acquired above) says the sender
                    // finished writing the slot; the index moves on below, so
                    // the value is read exactly once.
                    let value = block.slots[slot].with(|p| unsafe { (*p).as_ptr().read() });
                    self.index = index_add(self.index, 1);
                    return Some(value);
                }
            } else {
                let next = block.next.load(Acquire);
                if !next.is_null() {
                    self.head = next;
                    self.reclaim(list);
                    continue;
                }
            }
            // Nothing at `index`: closed here, or empty, or being written?
            let tail = list.tail.load(Acquire);
            let end = match self.closed_at {
                Some(end) => Some(end),
                None if tail & TX_CLOSED != 0 => Some(tail >> INDEX_SHIFT),
                None => None,
            };
            match end {
                Some(end) if end == self.index => {
                    self.ended = true;
                    return None;
                }
                // All senders are gone, so every index below the end is
                // written and, after the acquire load above, visible.
                Some(_) if tail & TX_CLOSED != 0 && !rechecked => rechecked = true,
                _ => {
                    self.ended = false;
                    return None;
                }
            }
        }
    }

    /// Whether the last [`take`](Self::take) that returned `None` found
    /// the end of the channel (rather than no message yet).
    pub(super) fn ended(&self) -> bool {
        self.ended
    }

    /// Reclaims fully read blocks no sender can still reach.
    fn reclaim(&mut self, list: &List<T>) {
        while self.free != self.head {
            // SAFETY: blocks from `free` on are live until reclaimed here.
            let block = unsafe { &*self.free };
            if block.ready.load(Acquire) & RELEASED == 0 {
                return;
            }
            if !index_at_or_after(self.index, block.observed_tail.load(Relaxed)) {
                return;
            }
            let next = block.next.load(Acquire);
            let old = std::mem::replace(&mut self.free, next);
            // SAFETY: the hint moved past `old` and the receiver read every
            // index claimed before that, so no sender can reach it (see
            // `List::find_block`); all its values were read.
            unsafe { list.recycle(old) };
        }
    }

    /// Closes the receiving side: later pushes fail. Returns false if it
    /// was already closed.
    pub(super) fn close(&mut self, list: &List<T>) -> bool {
        if self.closed_at.is_some() {
            return false;
        }
        let prev = list.tail.fetch_or(RX_CLOSED, AcqRel);
        self.closed_at = Some(prev >> INDEX_SHIFT);
        true
    }

    /// Messages claimed but not yet read (including ones being written).
    pub(super) fn len(&self, list: &List<T>) -> usize {
        let end = self.closed_at.unwrap_or_else(|| list.tail.load(Acquire) >> INDEX_SHIFT);
        end.wrapping_sub(self.index) & INDEX_MASK
    }

    /// Leaves the cursor where the list's `Drop` will find it.
    pub(super) fn park(&self, list: &List<T>) {
        list.parked_free.store(self.free, Release);
        list.parked_head.store(self.head, Release);
        list.parked_index.store(self.index, Release);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;

    use super::BLOCK_CAP;
    use crate::sync::mpsc::{self, error::TryRecvError};

    /// Counts its drops in a shared counter, and records which value was
    /// dropped so a double drop is caught.
    #[derive(Debug)]
    struct Counted(usize, Arc<Vec<AtomicUsize>>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.1[self.0].fetch_add(1, SeqCst);
        }
    }

    fn counters(n: usize) -> Arc<Vec<AtomicUsize>> {
        Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect())
    }

    fn assert_each_dropped_once(drops: &[AtomicUsize]) {
        for (i, d) in drops.iter().enumerate() {
            assert_eq!(d.load(SeqCst), 1, "value {i} dropped {} times", d.load(SeqCst));
        }
    }

    /// Unreceived values (spread over several blocks) are dropped exactly
    /// once, whichever side goes first.
    #[test]
    fn unreceived_values_dropped_once() {
        let n = BLOCK_CAP * 5 + 3;
        for receiver_first in [false, true] {
            for taken in [0, 1, BLOCK_CAP, BLOCK_CAP * 2 + 7] {
                let drops = counters(n);
                let (tx, mut rx) = mpsc::unbounded_channel();
                for i in 0..n {
                    tx.send(Counted(i, drops.clone())).unwrap();
                }
                for i in 0..taken {
                    let v = rx.try_recv().unwrap();
                    assert_eq!(v.0, i);
                }
                if receiver_first {
                    drop(rx);
                    let Err(e) = tx.send(Counted(0, drops.clone())) else { panic!("send after drop") };
                    std::mem::forget(e.0);
                    drop(tx);
                } else {
                    drop(tx);
                    drop(rx);
                }
                assert_each_dropped_once(&drops);
            }
        }
    }

    /// A closed receiver drains what was sent before, then reports
    /// `Disconnected`; later sends fail and hand the value back.
    #[test]
    fn close_then_drain() {
        let drops = counters(BLOCK_CAP + 2);
        let (tx, mut rx) = mpsc::channel(BLOCK_CAP * 2);
        for i in 0..BLOCK_CAP + 1 {
            tx.try_send(Counted(i, drops.clone())).unwrap();
        }
        rx.close();
        let back = tx.try_send(Counted(BLOCK_CAP + 1, drops.clone())).unwrap_err().into_inner();
        assert_eq!(back.0, BLOCK_CAP + 1);
        drop(back);
        assert_eq!(rx.len(), BLOCK_CAP + 1);
        for i in 0..BLOCK_CAP + 1 {
            assert_eq!(rx.try_recv().unwrap().0, i);
        }
        assert_eq!(rx.try_recv().unwrap_err(), TryRecvError::Disconnected);
        drop((tx, rx));
        assert_each_dropped_once(&drops);
    }

    /// Indices wrap around the index space (at `INDEX_MASK + 1`) without
    /// losing, reordering or double-dropping values, blocks being recycled
    /// across the wrap.
    #[test]
    fn index_wrap_around() {
        let n = BLOCK_CAP * 8;
        let drops = counters(n);
        let (list, mut cursor) = super::new_at::<Counted>((super::INDEX_MASK - BLOCK_CAP * 3) & !super::SLOT_MASK);
        let mut next = 0;
        for i in 0..n {
            list.push(Counted(i, drops.clone())).unwrap();
            // Stay about a block and a half behind the senders.
            if i >= BLOCK_CAP + BLOCK_CAP / 2 {
                match cursor.pop(&list) {
                    super::Pop::Value(v) => assert_eq!(v.0, next),
                    _ => panic!("value {next} missing"),
                }
                next += 1;
            }
        }
        assert_eq!(cursor.len(&list), n - next);
        list.close_tx();
        for _ in 0..BLOCK_CAP {
            let super::Pop::Value(v) = cursor.pop(&list) else { panic!("value {next} missing") };
            assert_eq!(v.0, next);
            next += 1;
        }
        cursor.park(&list);
        drop(list);
        assert_each_dropped_once(&drops);
    }

    /// Long runs with the receiver close behind the senders recycle
    /// blocks; every value arrives once, in each sender's order.
    #[test]
    fn threads_every_value_once_in_order() {
        const SENDERS: usize = 4;
        const PER: usize = 20_000;
        let (tx, mut rx) = mpsc::unbounded_channel::<(usize, usize)>();
        let threads: Vec<_> = (0..SENDERS)
            .map(|s| {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    for i in 0..PER {
                        tx.send((s, i)).unwrap();
                        if i % 1000 == 0 {
                            std::thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        let mut next = [0; SENDERS];
        loop {
            match rx.try_recv() {
                Ok((s, i)) => {
                    assert_eq!(i, next[s]);
                    next[s] += 1;
                }
                Err(TryRecvError::Empty) => std::thread::yield_now(),
                Err(TryRecvError::Disconnected) => break,
            }
        }
        assert_eq!(next, [PER; SENDERS]);
        for t in threads {
            t.join().unwrap();
        }
    }

    /// Receiver dropped while senders on other threads keep sending:
    /// every value is dropped exactly once (by the failed send, the
    /// receiver, or the last handle).
    #[test]
    fn receiver_drop_races_senders() {
        const SENDERS: usize = 3;
        const PER: usize = 2_000;
        for round in 0..20 {
            let drops = counters(SENDERS * PER);
            let (tx, mut rx) = mpsc::unbounded_channel();
            let threads: Vec<_> = (0..SENDERS)
                .map(|s| {
                    let (tx, drops) = (tx.clone(), drops.clone());
                    std::thread::spawn(move || {
                        for i in 0..PER {
                            if tx.send(Counted(s * PER + i, drops.clone())).is_err() {
                                // The error drops the value.
                            }
                        }
                    })
                })
                .collect();
            drop(tx);
            for _ in 0..round * 50 {
                if rx.try_recv().is_err() {
                    std::thread::yield_now();
                }
            }
            drop(rx);
            for t in threads {
                t.join().unwrap();
            }
            assert_each_dropped_once(&drops);
        }
    }
}
