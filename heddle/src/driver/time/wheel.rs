//! A hierarchical timer wheel with 1 µs resolution.
//!
//! Time is counted in *ticks* of 1 µs since the driver started. The wheel has
//! [`LEVELS`] levels of 64 slots; a slot on level `L` is `64^L` ticks wide, so
//! each level spans 64 slots of the level below it:
//!
//! ```text
//!  level │ slot width      │ level span (64 slots)
//!  ──────┼─────────────────┼──────────────────────
//!    0   │ 1 µs            │ 64 µs
//!    1   │ 64 µs           │ 4.1 ms
//!    2   │ 4.1 ms          │ 262 ms
//!    3   │ 262 ms          │ 16.8 s
//!    4   │ 16.8 s          │ 17.9 min
//!    5   │ 17.9 min        │ 19.1 h
//!   ...  │                 │
//!   10   │ 2^60 µs         │ 2^64 µs (only 16 slots used)
//!
//!   level 1  [ 0 | 1 | 2 |*3*| 4 | ... | 63 ]     occupied[1] = 0b1000
//!                         │
//!                         └─ cascades into level 0 when `now` reaches 3·64
//!   level 0  [ 0 | ... |*now*| ... |*50*| ... | 63 ]   fires when now == deadline
//! ```
//!
//! A timer lives on the level of the highest 6-bit group in which its
//! deadline differs from `now` (not the level of `deadline - now`): then it
//! shares all higher bits with `now`, its slot index is always *ahead* of
//! `now`'s index on that level, and a slot never mixes two laps of the wheel.
//! When `now` reaches the start of a slot on level `L > 0`, the slot is
//! emptied and its timers re-inserted relative to the new `now`, which puts
//! them on a lower level. A timer is thus touched at most [`LEVELS`] times.
//!
//! Entries live in a slab (`Vec` + free list) and each slot is the head of an
//! intrusive doubly linked list threaded through the slab by index, so insert
//! and remove are O(1) and allocate nothing once the slab is warm. Each level
//! keeps a `u64` occupancy bitmap, so finding the next non-empty slot costs
//! one `trailing_zeros` per level. Deadlines already in the past go to a
//! separate "expired" list that the next [`Wheel::advance`] drains first.

/// Number of bits of the tick consumed per level.
const SLOT_BITS: u32 = 6;
/// Slots per level (one bit each in a `u64` occupancy bitmap).
const SLOTS: usize = 1 << SLOT_BITS;
/// Ticks spanned by the finest level. Once the earliest non-empty slot is
/// on level 1, the timers in it are due at most this long after its start.
pub(crate) const FINEST_LEVEL_SPAN: u64 = SLOTS as u64;
/// Levels needed to cover every `u64` tick (11 × 6 = 66 ≥ 64 bits).
const LEVELS: usize = 11;
/// List index of the list holding timers whose deadline is `<= now`.
const EXPIRED: usize = LEVELS * SLOTS;
/// "No entry" marker for the slab links.
const NIL: u32 = u32::MAX;

/// Identifies one pending timer: a slab index plus the generation of that
/// slab entry, so a stale key never removes a newer timer that reused it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerKey {
    index: u32,
    generation: u32,
}

/// One slab slot: either a pending timer (`value` is `Some`) or free.
struct Entry<T> {
    deadline: u64,
    /// Previous entry in the same list, or `NIL` if this is the head.
    prev: u32,
    /// Next entry in the same list; for a free entry, the next free entry.
    next: u32,
    /// Bumped every time the entry is freed, invalidating old keys.
    generation: u32,
    /// Which list (`level * SLOTS + slot`, or `EXPIRED`) holds the entry;
    /// needed to update the head and the bitmap on O(1) removal.
    list: u16,
    value: Option<T>,
}

/// A hierarchical timer wheel holding values of type `T` keyed by deadline.
///
/// Single-threaded; the runtime wraps it in a mutex. See the module docs.
pub(crate) struct Wheel<T> {
    /// Head of each slot's list, plus the expired list at `EXPIRED`.
    heads: [u32; LEVELS * SLOTS + 1],
    /// Bit `s` of `occupied[L]` is set iff slot `s` of level `L` is non-empty.
    occupied: [u64; LEVELS],
    entries: Vec<Entry<T>>,
    /// Head of the free list threaded through `Entry::next`.
    free: u32,
    now: u64,
    len: usize,
    /// Lower bound on the deadlines in the expired list (only meaningful
    /// while it is non-empty); removals may leave it stale, which is fine.
    expired_min: u64,
    /// Reused buffer for sorting the expired list, to avoid allocating.
    scratch: Vec<u32>,
}

impl<T> Wheel<T> {
    /// Creates an empty wheel whose `now` is tick 0. Does not allocate.
    pub(crate) fn new() -> Self {
        Self::with_capacity(0)
    }

    /// Creates an empty wheel with room for `capacity` timers before the slab
    /// has to grow.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Wheel {
            heads: [NIL; LEVELS * SLOTS + 1],
            occupied: [0; LEVELS],
            entries: Vec::with_capacity(capacity),
            free: NIL,
            now: 0,
            len: 0,
            expired_min: u64::MAX,
            scratch: Vec::new(),
        }
    }

    /// The tick the wheel has advanced to.
    #[cfg(test)]
    pub(crate) fn now(&self) -> u64 {
        self.now
    }

    /// Number of pending timers.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether no timer is pending.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Inserts a timer firing at tick `deadline` and returns its key. A
    /// deadline `<= now()` is allowed and fires on the next [`advance`].
    ///
    /// [`advance`]: Wheel::advance
    pub(crate) fn insert(&mut self, deadline: u64, value: T) -> TimerKey {
        let index = if self.free != NIL {
            let index = self.free;
            let entry = &mut self.entries[index as usize];
            self.free = entry.next;
            entry.deadline = deadline;
            entry.value = Some(value);
            index
        } else {
            // NIL is reserved as the link terminator.
            assert!(self.entries.len() < NIL as usize, "too many timers");
            self.entries.push(Entry { deadline, prev: NIL, next: NIL, generation: 0, list: 0, value: Some(value) });
            (self.entries.len() - 1) as u32
        };
        self.link(index);
        self.len += 1;
        TimerKey { index, generation: self.entries[index as usize].generation }
    }

    /// Removes a pending timer in O(1) and returns its value; `None` if the
    /// key already fired or was removed (even if its slab entry was reused).
    pub(crate) fn remove(&mut self, key: TimerKey) -> Option<T> {
        if !self.is_pending(key) {
            return None;
        }
        self.unlink(key.index);
        Some(self.release(key.index))
    }

    /// Moves a pending timer to a new deadline without reallocating it; the
    /// key stays valid. Returns `false` (and does nothing) for a stale key.
    pub(crate) fn reset(&mut self, key: TimerKey, deadline: u64) -> bool {
        if !self.is_pending(key) {
            return false;
        }
        self.unlink(key.index);
        self.entries[key.index as usize].deadline = deadline;
        self.link(key.index);
        true
    }

    /// The earliest tick at which some timer may be due, or `None` if the
    /// wheel is empty. Never later than the true earliest deadline, but may
    /// be earlier (the start of a higher-level slot that must be cascaded);
    /// advancing to it always makes progress. O(levels).
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        if self.heads[EXPIRED] != NIL {
            return Some(self.expired_min);
        }
        self.next_slot().map(|(_, start)| start)
    }

    /// Advances the wheel to tick `now`, calling `fire(key, value)` for every
    /// timer whose deadline is `<= now`, in deadline order (ties in any
    /// order). A `now` earlier than [`now()`](Wheel::now) is a no-op. Costs
    /// O(fired + cascaded entries + levels per visited slot), independent of
    /// the number of ticks skipped.
    ///
    /// If `fire` panics, the wheel stays consistent: the firing timer is
    /// already gone and the rest stay pending.
    pub(crate) fn advance(&mut self, now: u64, mut fire: impl FnMut(TimerKey, T)) {
        if now < self.now {
            return;
        }
        // Past deadlines precede everything on the wheel (which is > now).
        self.fire_expired(&mut fire);
        // Visit non-empty slots in time order; never tick by tick.
        while let Some((list, start)) = self.next_slot() {
            if start > now {
                break;
            }
            // Move time to the slot start before re-linking, so cascaded
            // timers are placed relative to it (on a lower level).
            self.now = start;
            loop {
                let index = self.heads[list];
                if index == NIL {
                    break;
                }
                self.unlink(index);
                if self.entries[index as usize].deadline <= start {
                    let key = self.key(index);
                    let value = self.release(index);
                    fire(key, value);
                } else {
                    self.link(index);
                }
            }
        }
        self.now = now;
    }

    /// Fires the expired list, sorting it first if it has several entries.
    fn fire_expired(&mut self, fire: &mut impl FnMut(TimerKey, T)) {
        let head = self.heads[EXPIRED];
        if head == NIL {
            return;
        }
        if self.entries[head as usize].next != NIL {
            // Rare (several timers inserted in the past): sort, then relink in
            // order, so a panicking `fire` still leaves a well-formed list.
            self.scratch.clear();
            let mut index = head;
            while index != NIL {
                self.scratch.push(index);
                index = self.entries[index as usize].next;
            }
            let entries = &self.entries;
            self.scratch.sort_unstable_by_key(|&i| entries[i as usize].deadline);
            self.heads[EXPIRED] = NIL;
            for i in (0..self.scratch.len()).rev() {
                self.push_front(EXPIRED, self.scratch[i]);
            }
        }
        loop {
            let index = self.heads[EXPIRED];
            if index == NIL {
                break;
            }
            self.unlink(index);
            let key = self.key(index);
            let value = self.release(index);
            fire(key, value);
        }
        self.expired_min = u64::MAX;
    }

    /// The list index and start tick of the earliest non-empty wheel slot.
    ///
    /// Every occupied slot lies strictly ahead of `now` on its level, and all
    /// of level `L` lies before the next slot of level `L + 1`, so the lowest
    /// occupied slot of the lowest non-empty level is the earliest one.
    fn next_slot(&self) -> Option<(usize, u64)> {
        let level = self.occupied.iter().position(|&bits| bits != 0)?;
        let slot = self.occupied[level].trailing_zeros() as u64;
        let shift = SLOT_BITS * level as u32;
        let upper = shift + SLOT_BITS;
        // Bits above this level are shared with `now`.
        let base = if upper >= 64 { 0 } else { self.now >> upper << upper };
        let start = base | (slot << shift);
        debug_assert!(start > self.now, "slot behind now");
        Some((level * SLOTS + slot as usize, start))
    }

    /// Links a detached entry into the list its deadline belongs to.
    fn link(&mut self, index: u32) {
        let deadline = self.entries[index as usize].deadline;
        let list = if deadline <= self.now {
            self.expired_min = self.expired_min.min(deadline);
            EXPIRED
        } else {
            // Highest 6-bit group in which deadline and now differ.
            let level = (63 - (deadline ^ self.now).leading_zeros()) / SLOT_BITS;
            let slot = (deadline >> (level * SLOT_BITS)) as usize & (SLOTS - 1);
            self.occupied[level as usize] |= 1 << slot;
            level as usize * SLOTS + slot
        };
        self.push_front(list, index);
    }

    /// Pushes a detached entry onto the front of `list` (order within a slot
    /// is irrelevant: level-0 slots hold a single deadline).
    fn push_front(&mut self, list: usize, index: u32) {
        let head = self.heads[list];
        let entry = &mut self.entries[index as usize];
        entry.prev = NIL;
        entry.next = head;
        entry.list = list as u16;
        if head != NIL {
            self.entries[head as usize].prev = index;
        }
        self.heads[list] = index;
    }

    /// Detaches an entry from its list, clearing the slot's bit if emptied.
    fn unlink(&mut self, index: u32) {
        let entry = &self.entries[index as usize];
        let (prev, next, list) = (entry.prev, entry.next, entry.list as usize);
        if prev != NIL {
            self.entries[prev as usize].next = next;
        } else {
            self.heads[list] = next;
            if next == NIL && list != EXPIRED {
                self.occupied[list / SLOTS] &= !(1 << (list % SLOTS));
            }
        }
        if next != NIL {
            self.entries[next as usize].prev = prev;
        }
    }

    /// Frees a detached entry, invalidating its keys, and returns its value.
    fn release(&mut self, index: u32) -> T {
        let entry = &mut self.entries[index as usize];
        entry.generation = entry.generation.wrapping_add(1);
        entry.next = self.free;
        self.free = index;
        self.len -= 1;
        entry.value.take().expect("released a free entry")
    }

    /// The key of the (pending) entry at `index`.
    fn key(&self, index: u32) -> TimerKey {
        TimerKey { index, generation: self.entries[index as usize].generation }
    }

    /// Whether `key` names a timer that has neither fired nor been removed.
    fn is_pending(&self, key: TimerKey) -> bool {
        self.entries.get(key.index as usize).is_some_and(|e| e.generation == key.generation && e.value.is_some())
    }
}

impl<T> Default for Wheel<T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashMap};

    /// Tiny xorshift64* RNG, so the tests need no extra crates.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        /// A delay spread over all magnitudes, from 0 up to ~2^max_bits.
        fn delay(&mut self, max_bits: u64) -> u64 {
            let bits = self.below(max_bits + 1);
            self.next() & ((1u64 << bits) - 1)
        }
    }

    fn drain<T>(wheel: &mut Wheel<T>, now: u64) -> Vec<T> {
        let mut out = Vec::new();
        wheel.advance(now, |_, v| out.push(v));
        out
    }

    #[test]
    fn fires_in_deadline_order() {
        let mut wheel = Wheel::new();
        let deadlines = [500, 3, 64, 63, 65, 4096, 4095, 1, 262_144, 1_000_000, 70];
        for &d in &deadlines {
            wheel.insert(d, d);
        }
        assert_eq!(wheel.len(), deadlines.len());
        assert_eq!(drain(&mut wheel, 64), vec![1, 3, 63, 64]);
        assert_eq!(wheel.now(), 64);
        let mut sorted = deadlines.to_vec();
        sorted.sort_unstable();
        assert_eq!(drain(&mut wheel, u64::MAX), sorted[4..]);
        assert!(wheel.is_empty());
        assert_eq!(wheel.next_deadline(), None);
    }

    #[test]
    fn ties_all_fire_together() {
        let mut wheel = Wheel::new();
        for i in 0..100 {
            wheel.insert(if i % 2 == 0 { 10_000 } else { 9_999 }, i);
        }
        assert!(drain(&mut wheel, 9_998).is_empty());
        let odd = drain(&mut wheel, 9_999);
        assert_eq!(odd.len(), 50);
        assert!(odd.iter().all(|i| i % 2 == 1));
        assert_eq!(drain(&mut wheel, 10_000).len(), 50);
    }

    #[test]
    fn remove_before_and_after_fire() {
        let mut wheel = Wheel::new();
        let a = wheel.insert(100, "a");
        let b = wheel.insert(200, "b");
        assert_eq!(wheel.remove(a), Some("a"));
        assert_eq!(wheel.remove(a), None);
        assert_eq!(wheel.len(), 1);
        let mut fired = Vec::new();
        wheel.advance(300, |k, v| fired.push((k, v)));
        assert_eq!(fired, vec![(b, "b")]);
        assert_eq!(wheel.remove(b), None);
        assert!(wheel.is_empty());
    }

    #[test]
    fn stale_key_does_not_remove_newer_timer() {
        let mut wheel = Wheel::new();
        let old = wheel.insert(10, 1);
        assert_eq!(wheel.remove(old), Some(1));
        let new = wheel.insert(20, 2); // reuses the same slab entry
        assert_ne!(old, new);
        assert_eq!(wheel.remove(old), None);
        assert!(!wheel.reset(old, 5));
        assert_eq!(wheel.len(), 1);
        drain(&mut wheel, 20);
        let newer = wheel.insert(30, 3);
        assert_eq!(wheel.remove(new), None); // fired key stays stale too
        assert_eq!(wheel.remove(newer), Some(3));
    }

    #[test]
    fn past_deadlines_fire_on_next_advance_in_order() {
        let mut wheel = Wheel::new();
        drain(&mut wheel, 1_000);
        wheel.insert(2_000, 2_000);
        for d in [500, 10, 1_000, 0, 700] {
            wheel.insert(d, d);
        }
        assert_eq!(wheel.next_deadline(), Some(0));
        // Going backwards is a no-op, going nowhere still fires past timers.
        assert!(drain(&mut wheel, 999).is_empty());
        assert_eq!(drain(&mut wheel, 1_000), vec![0, 10, 500, 700, 1_000]);
        // A lower bound: the start of 2_000's level-1 slot.
        let bound = wheel.next_deadline().unwrap();
        assert!((1_001..=2_000).contains(&bound));
        let k = wheel.insert(3, 3);
        assert_eq!(wheel.next_deadline(), Some(3));
        wheel.remove(k);
        assert_eq!(wheel.next_deadline(), Some(bound));
        assert_eq!(drain(&mut wheel, 5_000), vec![2_000]);
    }

    #[test]
    fn far_future_deadlines() {
        let mut wheel = Wheel::new();
        let half = u64::MAX / 2;
        wheel.insert(u64::MAX, 3);
        wheel.insert(half, 1);
        wheel.insert(half + 1, 2);
        wheel.insert(7, 0);
        assert_eq!(drain(&mut wheel, 7), vec![0]);
        assert!(wheel.next_deadline().unwrap() <= half);
        assert!(drain(&mut wheel, half - 1).is_empty());
        assert_eq!(drain(&mut wheel, half), vec![1]);
        assert_eq!(wheel.next_deadline(), Some(half + 1));
        assert_eq!(drain(&mut wheel, u64::MAX - 1), vec![2]);
        assert_eq!(drain(&mut wheel, u64::MAX), vec![3]);
        wheel.insert(0, 4); // everything is in the past now
        assert_eq!(drain(&mut wheel, u64::MAX), vec![4]);
    }

    #[test]
    fn reset_moves_a_timer() {
        let mut wheel = Wheel::new();
        let k = wheel.insert(1_000_000, 'a');
        wheel.insert(500, 'b');
        assert!(wheel.reset(k, 10));
        assert_eq!(drain(&mut wheel, 600), vec!['a', 'b']);
        assert!(!wheel.reset(k, 10));
    }

    /// Driving the wheel only via `next_deadline` fires everything, at the
    /// exact deadline, with at most a few wake-ups per timer.
    #[test]
    fn next_deadline_drives_to_exact_deadlines() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut wheel = Wheel::new();
        let n = 2_000;
        for _ in 0..n {
            let d = rng.delay(40);
            wheel.insert(d, d);
        }
        let (mut fired, mut wakeups) = (0, 0);
        while let Some(at) = wheel.next_deadline() {
            wakeups += 1;
            wheel.advance(at, |_, d| {
                assert_eq!(d, at, "fired late or early");
                fired += 1;
            });
        }
        assert_eq!(fired, n);
        assert!(wakeups <= n * LEVELS, "{wakeups} wake-ups");
    }

    #[test]
    fn million_timers_half_cancelled() {
        let mut rng = Rng(12345);
        let mut wheel = Wheel::with_capacity(1 << 20);
        let keys: Vec<_> = (0..1_000_000u64).map(|i| wheel.insert(rng.below(10_000_000), i)).collect();
        for key in keys.iter().step_by(2) {
            assert!(wheel.remove(*key).is_some());
        }
        assert_eq!(wheel.len(), 500_000);
        let mut last = 0;
        let mut count = 0;
        let mut now = 0;
        while !wheel.is_empty() {
            now += 1 + rng.below(20_000);
            wheel.advance(now, |_, i| {
                assert_eq!(i % 2, 1);
                count += 1;
            });
            assert!(wheel.next_deadline().map_or(true, |d| d > now));
            assert!(now >= last);
            last = now;
        }
        assert_eq!(count, 500_000);
    }

    /// Random inserts/removes/resets/advances, checked against a BTreeMap.
    #[test]
    fn differential_against_btreemap() {
        for seed in 1..=20u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let mut wheel = Wheel::new();
            let mut model: BTreeMap<(u64, u64), TimerKey> = BTreeMap::new();
            let mut deadline_of: HashMap<u64, u64> = HashMap::new();
            let mut keys: Vec<(TimerKey, u64)> = Vec::new();
            for seq in 0..5_000u64 {
                match rng.below(10) {
                    0..=4 => {
                        let now = wheel.now();
                        let d = match rng.below(10) {
                            0 => now.saturating_sub(rng.delay(20)),
                            1 => rng.next(),
                            _ => now.saturating_add(rng.delay(36)),
                        };
                        let key = wheel.insert(d, seq);
                        model.insert((d, seq), key);
                        deadline_of.insert(seq, d);
                        keys.push((key, seq));
                    }
                    5 | 6 if !keys.is_empty() => {
                        let (key, id) = keys[rng.below(keys.len() as u64) as usize];
                        let expect = deadline_of.get(&id).and_then(|d| model.remove(&(*d, id))).map(|_| id);
                        assert_eq!(wheel.remove(key), expect);
                        if rng.below(2) == 0 {
                            // Give the model some inserts at the same point.
                            let d = wheel.now() + rng.delay(12);
                            let key = wheel.insert(d, seq);
                            model.insert((d, seq), key);
                            deadline_of.insert(seq, d);
                            keys.push((key, seq));
                        }
                    }
                    7 if !keys.is_empty() => {
                        let (key, id) = keys[rng.below(keys.len() as u64) as usize];
                        let d = wheel.now().saturating_add(rng.delay(30));
                        let live = deadline_of.get(&id).and_then(|old| model.remove(&(*old, id))).is_some();
                        assert_eq!(wheel.reset(key, d), live);
                        if live {
                            model.insert((d, id), key);
                            deadline_of.insert(id, d);
                        }
                    }
                    _ => {
                        let to = match rng.below(8) {
                            0 => wheel.now().saturating_sub(5),
                            1 => model.keys().next().map_or(0, |k| k.0),
                            _ => wheel.now().saturating_add(rng.delay(30)),
                        };
                        let mut got = Vec::new();
                        wheel.advance(to, |k, id| got.push((deadline_of[&id], id, k)));
                        let mut want = Vec::new();
                        if to >= wheel.now() {
                            while let Some(e) = model.first_entry() {
                                if e.key().0 > to {
                                    break;
                                }
                                let ((d, id), k) = e.remove_entry();
                                want.push((d, id, k));
                            }
                        }
                        assert!(got.windows(2).all(|w| w[0].0 <= w[1].0), "out of order");
                        got.sort_unstable_by_key(|e| (e.0, e.1));
                        assert_eq!(got, want, "seed {seed}");
                        for (_, id, _) in got {
                            deadline_of.remove(&id);
                        }
                    }
                }
                assert_eq!(wheel.len(), model.len());
                let min = model.keys().next().map(|k| k.0);
                match (wheel.next_deadline(), min) {
                    (None, None) => {}
                    (Some(bound), Some(min)) => assert!(bound <= min, "seed {seed}"),
                    other => panic!("next_deadline mismatch {other:?}"),
                }
            }
        }
    }

    /// `cargo test --release -- --ignored --nocapture bench` for timings.
    #[test]
    #[ignore]
    fn bench_million() {
        use std::time::Instant;
        const N: u64 = 1_000_000;
        let mut rng = Rng(7);
        let deadlines: Vec<u64> = (0..N).map(|_| rng.delay(34)).collect();
        let mut wheel = Wheel::new();
        let t = Instant::now();
        let keys: Vec<_> = deadlines.iter().map(|&d| wheel.insert(d, d)).collect();
        let insert = t.elapsed();
        let t = Instant::now();
        for key in keys.iter().step_by(2) {
            wheel.remove(*key);
        }
        let remove = t.elapsed();
        // Refill, then fire all 1M by stepping through the wheel's own wake-ups.
        for &d in deadlines.iter().step_by(2) {
            wheel.insert(d, d);
        }
        let t = Instant::now();
        let (mut fired, mut steps) = (0u64, 0u64);
        while let Some(at) = wheel.next_deadline() {
            steps += 1;
            wheel.advance(at, |_, _| fired += 1);
        }
        let advance = t.elapsed();
        assert_eq!(fired, N);
        // Same 1M timers, fired by one big jump.
        for &d in &deadlines {
            wheel.insert(d, d);
        }
        let t = Instant::now();
        wheel.advance(u64::MAX, |_, _| fired += 1);
        let jump = t.elapsed();
        assert_eq!(fired, 2 * N);
        let ns = |d: std::time::Duration, n: u64| d.as_nanos() as f64 / n as f64;
        println!(
            "insert {:.1} ns, remove {:.1} ns, advance {:.1} ns per fired timer \
             ({steps} steps), {:.1} ns in one jump",
            ns(insert, N),
            ns(remove, N / 2),
            ns(advance, N),
            ns(jump, N)
        );
    }
}
