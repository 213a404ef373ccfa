//! `WaitList`: a FIFO queue of waiters kept in a slab, with O(1) removal
//! from anywhere.
//!
//! Every blocking primitive in [`crate::sync`] (semaphore, notify) keeps its
//! parked futures here, behind the primitive's own mutex. A future learns a
//! `key` when it enqueues and keeps it until it is done; the entry outlives
//! its place in the queue, so a notifier can dequeue a waiter ("unlink" it,
//! leaving a verdict in the entry) and the future reads the verdict on its
//! next poll, or on drop, and only then frees the entry.
//!
//! ```text
//!   push_back ──▶ LINKED ──unlink/pop_front──▶ UNLINKED ──remove──▶ (free)
//!                   └──────────────── remove ──────────────────────▶ (free)
//! ```
//!
//! No unsafe code and no allocation per waiter once the slab has grown to
//! the high-water mark of concurrent waiters.

use slab::Slab;

const NIL: usize = usize::MAX;

struct Node<T> {
    value: T,
    prev: usize,
    next: usize,
    linked: bool,
}

/// A FIFO of waiter entries addressed by stable keys.
pub(crate) struct WaitList<T> {
    slab: Slab<Node<T>>,
    head: usize,
    tail: usize,
}

impl<T> WaitList<T> {
    /// An empty list; does not allocate.
    pub(crate) const fn new() -> Self {
        WaitList { slab: Slab::new(), head: NIL, tail: NIL }
    }

    /// True when no entry is queued (unlinked entries may still exist).
    pub(crate) fn is_empty(&self) -> bool {
        self.head == NIL
    }

    /// Queues `value` at the back and returns its key.
    pub(crate) fn push_back(&mut self, value: T) -> usize {
        let key = self.slab.insert(Node { value, prev: self.tail, next: NIL, linked: true });
        if self.tail == NIL {
            self.head = key;
        } else {
            self.slab[self.tail].next = key;
        }
        self.tail = key;
        key
    }

    /// The key of the first queued entry.
    pub(crate) fn front(&self) -> Option<usize> {
        (self.head != NIL).then_some(self.head)
    }

    /// Dequeues the first entry, keeping it allocated; returns its key.
    pub(crate) fn pop_front(&mut self) -> Option<usize> {
        let key = self.front()?;
        self.unlink(key);
        Some(key)
    }

    /// True if the entry is still queued.
    pub(crate) fn is_linked(&self, key: usize) -> bool {
        self.slab[key].linked
    }

    /// Takes the entry out of the queue order, keeping it allocated.
    pub(crate) fn unlink(&mut self, key: usize) {
        let node = &mut self.slab[key];
        if !node.linked {
            return;
        }
        node.linked = false;
        let (prev, next) = (node.prev, node.next);
        node.prev = NIL;
        node.next = NIL;
        if prev == NIL {
            self.head = next;
        } else {
            self.slab[prev].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.slab[next].prev = prev;
        }
    }

    /// Unlinks (if needed) and frees the entry, returning its value.
    pub(crate) fn remove(&mut self, key: usize) -> T {
        self.unlink(key);
        self.slab.remove(key).value
    }

    /// The entry's value.
    pub(crate) fn get_mut(&mut self, key: usize) -> &mut T {
        &mut self.slab[key].value
    }
}

/// Wakers collected under a lock and woken after it is released, so no
/// waker runs while a primitive's mutex is held. Up to 32 inline, then a
/// heap spill (only `notify_waiters`-style broadcasts reach it).
pub(crate) struct WakeList {
    inline: [Option<std::task::Waker>; 32],
    len: usize,
    spill: Vec<std::task::Waker>,
}

impl WakeList {
    pub(crate) const fn new() -> Self {
        WakeList { inline: [const { None }; 32], len: 0, spill: Vec::new() }
    }

    pub(crate) fn push(&mut self, waker: std::task::Waker) {
        if self.len < self.inline.len() {
            self.inline[self.len] = Some(waker);
            self.len += 1;
        } else {
            self.spill.push(waker);
        }
    }

    pub(crate) fn wake_all(mut self) {
        for w in self.inline[..self.len].iter_mut().filter_map(Option::take) {
            w.wake();
        }
        for w in self.spill.drain(..) {
            w.wake();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::WaitList;

    #[test]
    fn fifo_with_removal_in_the_middle() {
        let mut list = WaitList::new();
        let a = list.push_back('a');
        let b = list.push_back('b');
        let c = list.push_back('c');
        list.unlink(b);
        assert!(!list.is_linked(b));
        assert_eq!(list.pop_front(), Some(a));
        assert_eq!(list.pop_front(), Some(c));
        assert!(list.is_empty());
        assert_eq!(list.remove(b), 'b');
        assert_eq!(list.remove(a), 'a');
        let d = list.push_back('d');
        assert_eq!(list.front(), Some(d));
        assert_eq!(list.remove(d), 'd');
        assert_eq!(list.remove(c), 'c');
        assert!(list.is_empty());
    }
}
