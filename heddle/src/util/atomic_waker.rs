//! `AtomicWaker`: one waker slot that a consumer fills and a producer fires,
//! with no lock and no lost wake-up.
//!
//! The reactor keeps one per socket direction; it is the path every I/O
//! wake-up in heddle takes, so it must never lose one (seed 002 lost
//! connections to exactly that bug in another runtime).
//!
//! ```text
//!            register()                     wake()
//!   WAITING ───────────▶ REGISTERING    WAITING ──────▶ WAKING ──▶ WAITING
//!      ▲                     │  (wake() came meanwhile:        (took the waker)
//!      └─────────────────────┘   REGISTERING|WAKING → the registrar wakes it)
//! ```
//!
//! * `register` owns the slot while `REGISTERING` is set; a `wake` that
//!   arrives then only sets `WAKING`, and `register` sees it on the way out
//!   and wakes the new waker itself.
//! * `wake` owns the slot while `WAKING` is set alone; a `register` that
//!   arrives then cannot store its waker, so it wakes it at once (the caller
//!   polls again and sees the readiness that caused the wake).
//! * `HAS_WAKER` (beside either state) says the slot holds a waker, so a
//!   producer with nothing to wake can find out with a load instead of a
//!   read-modify-write ([`wake_if_registered`](AtomicWaker::wake_if_registered)):
//!   a channel's senders otherwise all write one cache line per message.

use std::task::Waker;

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::UnsafeCell;

const WAITING: usize = 0;
const REGISTERING: usize = 0b01;
const WAKING: usize = 0b10;
/// The slot holds a waker (set when `register` stores one, cleared when a
/// wake takes it).
const HAS_WAKER: usize = 0b100;
/// Bits that mean someone owns the slot.
const BUSY: usize = REGISTERING | WAKING;

/// A single waker slot shared between one registering task and any number
/// of wakers.
pub(crate) struct AtomicWaker {
    state: AtomicUsize,
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the `waker` cell is only accessed by the thread that owns it through
// the `state` protocol above (REGISTERING or WAKING acquired by CAS), so
// sharing the struct between threads is sound as long as `Waker: Send + Sync`,
// which it is.
unsafe impl Send for AtomicWaker {}
// SAFETY: see the `Send` impl.
unsafe impl Sync for AtomicWaker {}

// A panic cannot leave the slot unusable: the one user code run while the
// slot is owned is the new waker's `clone` in `register`, and
// `ReleaseOnUnwind` hands the slot back if it panics. So a socket or
// channel holding one may be used after a caught panic, as with tokio's.
impl std::panic::UnwindSafe for AtomicWaker {}
impl std::panic::RefUnwindSafe for AtomicWaker {}

/// Armed while `register` owns the slot: if cloning the new waker panics,
/// empties the slot, releases it, and wakes the old waker (a wake that
/// arrived meanwhile left the waking to the registrar, so it is done here
/// rather than lost; at worst it is spurious).
struct ReleaseOnUnwind<'a>(&'a AtomicWaker);

impl Drop for ReleaseOnUnwind<'_> {
    fn drop(&mut self) {
        // SAFETY: REGISTERING is still held by the unwinding `register`.
        let old = self.0.waker.with_mut(|slot| unsafe { (*slot).take() });
        self.0.state.store(WAITING, Release);
        if let Some(old) = old {
            old.wake();
        }
    }
}

impl AtomicWaker {
    /// An empty slot.
    pub(crate) fn new() -> Self {
        AtomicWaker { state: AtomicUsize::new(WAITING), waker: UnsafeCell::new(None) }
    }

    /// Stores `waker` to be woken by the next [`wake`](Self::wake). Cheap
    /// when the stored waker already wakes the same task.
    pub(crate) fn register(&self, waker: &Waker) {
        let idle = self.state.load(Relaxed) & HAS_WAKER;
        match self.state.compare_exchange(idle, idle | REGISTERING, Acquire, Acquire) {
            Ok(_) => {
                let unwind = ReleaseOnUnwind(self);
                // SAFETY: REGISTERING is held, so no other thread touches the slot.
                let old = self.waker.with_mut(|slot| unsafe {
                    match &*slot {
                        Some(old) if old.will_wake(waker) => None,
                        _ => (*slot).replace(waker.clone()),
                    }
                });
                std::mem::forget(unwind);
                // Release the slot, which now holds a waker; if a wake came
                // meanwhile (WAKING is set), it left the waking to us.
                if self.state.compare_exchange(idle | REGISTERING, HAS_WAKER, AcqRel, Acquire).is_err() {
                    debug_assert_ne!(self.state.load(Relaxed) & WAKING, 0);
                    // SAFETY: still REGISTERING, so the slot is ours.
                    let stored = self.waker.with_mut(|slot| unsafe { (*slot).take() });
                    self.state.swap(WAITING, AcqRel);
                    drop(old);
                    if let Some(w) = stored {
                        w.wake();
                    }
                    return;
                }
                drop(old);
            }
            Err(actual) if actual & WAKING != 0 => {
                // A wake is in progress: it may have missed our waker, so
                // wake now and let the task poll again.
                waker.wake_by_ref();
                crate::loom::hint::spin_loop();
            }
            Err(actual) if actual & REGISTERING == 0 => {
                // Only HAS_WAKER changed under us (a wake took the waker):
                // start over.
                self.register(waker);
            }
            Err(_) => {
                // Concurrent register calls are a caller bug (one registrar
                // per slot); stay correct by waking.
                waker.wake_by_ref();
            }
        }
    }

    /// Wakes the stored waker, if any, and empties the slot.
    pub(crate) fn wake(&self) {
        if let Some(waker) = self.take() {
            waker.wake();
        }
    }

    /// [`wake`](Self::wake), but a load instead of a read-modify-write when
    /// the slot is empty.
    ///
    /// The caller must publish its event, then run a `SeqCst` fence, then
    /// call this; the registrar must `register`, then run a `SeqCst` fence,
    /// then re-check for the event. Either the registrar's re-check sees the
    /// event, or this sees `HAS_WAKER` (or a later state whose wake reached
    /// the registrar), so no wake-up is lost.
    #[inline]
    pub(crate) fn wake_if_registered(&self) {
        if self.state.load(Relaxed) & (HAS_WAKER | REGISTERING) != 0 {
            self.wake();
        }
    }

    /// [`take`](Self::take) for the task that registers wakers here (it
    /// is the only one that can store one): a load instead of two
    /// read-modify-writes when the slot is empty. Called by anyone else, a
    /// waker stored concurrently could be missed.
    pub(crate) fn take_as_registrar(&self) -> Option<Waker> {
        // HAS_WAKER is set only by `register`, which is the caller's own
        // and not running; clear, the slot is empty and stays so.
        if self.state.load(Acquire) & HAS_WAKER == 0 {
            return None;
        }
        self.take()
    }

    /// Takes the stored waker out, if any, so the caller can wake it later
    /// (for example after releasing a lock).
    pub(crate) fn take(&self) -> Option<Waker> {
        match self.state.fetch_or(WAKING, AcqRel) {
            prev if prev & BUSY == 0 => {
                // SAFETY: WAKING is held alone, so the slot is ours.
                let waker = self.waker.with_mut(|slot| unsafe { (*slot).take() });
                self.state.fetch_and(!(WAKING | HAS_WAKER), Release);
                waker
            }
            // A registration is in progress (it will see WAKING and wake)
            // or another wake is taking the waker.
            _ => None,
        }
    }
}

impl Default for AtomicWaker {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for AtomicWaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AtomicWaker")
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::AtomicWaker;
    use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use crate::loom::sync::Arc;
    use crate::loom::thread;
    use std::future::poll_fn;
    use std::task::Poll;

    /// A wake after a readiness flag is set is never lost, whatever the
    /// interleaving with a concurrent register.
    #[test]
    fn no_lost_wakeup() {
        loom::model(|| {
            let slot = Arc::new(AtomicWaker::new());
            let ready = Arc::new(AtomicBool::new(false));
            let (s2, r2) = (slot.clone(), ready.clone());
            let producer = thread::spawn(move || {
                r2.store(true, SeqCst);
                s2.wake();
            });
            loom::future::block_on(poll_fn(|cx| {
                if ready.load(SeqCst) {
                    return Poll::Ready(());
                }
                slot.register(cx.waker());
                if ready.load(SeqCst) {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }));
            producer.join().unwrap();
        });
    }

    /// The fenced fast path: a producer that publishes with a relaxed store
    /// and wakes with `wake_if_registered` (a plain load when no waker is
    /// stored) never misses a consumer that registers and re-checks, thanks
    /// to the two `SeqCst` fences. Without either fence the model fails.
    #[test]
    fn no_lost_wakeup_if_registered() {
        use crate::loom::sync::atomic::{fence, Ordering::Relaxed};
        loom::model(|| {
            let slot = Arc::new(AtomicWaker::new());
            let ready = Arc::new(AtomicBool::new(false));
            let (s2, r2) = (slot.clone(), ready.clone());
            let producer = thread::spawn(move || {
                r2.store(true, Relaxed);
                fence(SeqCst);
                s2.wake_if_registered();
            });
            loom::future::block_on(poll_fn(|cx| {
                if ready.load(Relaxed) {
                    return Poll::Ready(());
                }
                slot.register(cx.waker());
                fence(SeqCst);
                if ready.load(Relaxed) {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }));
            producer.join().unwrap();
        });
    }

    /// A waker left registered from an earlier wait is still woken, and a
    /// second registration after a wake stores again (`HAS_WAKER` is
    /// cleared and set in step with the slot).
    #[test]
    fn reregister_after_wake() {
        use crate::loom::sync::atomic::fence;
        loom::model(|| {
            let slot = Arc::new(AtomicWaker::new());
            let hits = Arc::new(crate::loom::sync::atomic::AtomicUsize::new(0));
            let (s2, h2) = (slot.clone(), hits.clone());
            let producer = thread::spawn(move || {
                for _ in 0..2 {
                    h2.fetch_add(1, SeqCst);
                    fence(SeqCst);
                    s2.wake_if_registered();
                }
            });
            loom::future::block_on(poll_fn(|cx| {
                if hits.load(SeqCst) == 2 {
                    return Poll::Ready(());
                }
                slot.register(cx.waker());
                fence(SeqCst);
                if hits.load(SeqCst) == 2 {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }));
            producer.join().unwrap();
        });
    }

    /// The registrar drops its waker with `take_as_registrar` (a load when
    /// the slot looks empty) while a producer wakes: the waker is either
    /// woken by the producer or handed back to the registrar, exactly once,
    /// and the slot is never touched by both at once.
    #[test]
    fn registrar_take_vs_wake() {
        use std::sync::atomic::AtomicUsize;
        struct Count(AtomicUsize);
        impl std::task::Wake for Count {
            fn wake(self: std::sync::Arc<Self>) {
                self.0.fetch_add(1, SeqCst);
            }
        }
        loom::model(|| {
            let count = std::sync::Arc::new(Count(AtomicUsize::new(0)));
            let waker = std::task::Waker::from(count.clone());
            let slot = Arc::new(AtomicWaker::new());
            slot.register(&waker);
            let s2 = slot.clone();
            let producer = thread::spawn(move || s2.wake());
            let taken = slot.take_as_registrar();
            producer.join().unwrap();
            let woken = count.0.load(SeqCst);
            assert_eq!(woken + usize::from(taken.is_some()), 1, "woken {woken}, taken {}", taken.is_some());
            assert!(slot.take_as_registrar().is_none());
        });
    }
}
