//! `ThreadParker`: blocks a thread that is not driving the reactor until a
//! waker fires. Used by `block_on` on the multi-threaded runtime (workers
//! drive I/O; the caller only waits for its own future) and by idle workers.
//!
//! ```text
//!   EMPTY ──park()──▶ PARKED ──unpark()──▶ NOTIFIED ──park() returns──▶ EMPTY
//!     └───────unpark()────────────────────▶ NOTIFIED (next park returns at once)
//! ```
//!
//! `block_on`'s waker ([`ParkingWaker`]) skips the parker when the future
//! wakes itself during its own poll (a `yield_now`): the thread is awake
//! and polls again anyway, so that wake is a flag in a thread-local, not
//! two atomic read-modify-writes (tokio pays those on every yield).
//!
//! Before it parks, `block_on` spins up to `util::spin::SPIN_FOR` for the
//! wake-up when a CPU is free for it: a short blocking job (a file read on
//! the blocking pool) then hands its result back without a futex wait and
//! wake, which cost ~15 µs a round trip on a VM (`benches/fs.rs`).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::{Condvar, Mutex};
use crate::util::spin::{self, spin_until, Heartbeat, SpinBackoff, SPIN_FOR};

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;

/// A one-thread parking spot; `unpark` is never lost.
#[derive(Debug)]
pub(crate) struct ThreadParker {
    state: AtomicUsize,
    lock: Mutex<()>,
    condvar: Condvar,
}

impl ThreadParker {
    pub(crate) fn new() -> ThreadParker {
        ThreadParker { state: AtomicUsize::new(EMPTY), lock: Mutex::new(()), condvar: Condvar::new() }
    }

    /// Blocks until `unpark` (or returns at once if one came since the last
    /// park), or until `timeout` passes.
    pub(crate) fn park_timeout(&self, timeout: Option<Duration>) {
        // Fast path: a notification is already here.
        if self.state.compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst).is_ok() {
            return;
        }
        let mut guard = self.lock.lock().unwrap();
        match self.state.compare_exchange(EMPTY, PARKED, SeqCst, SeqCst) {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.swap(EMPTY, SeqCst);
                return;
            }
            Err(actual) => panic!("inconsistent park state {actual}"),
        }
        match timeout {
            None => loop {
                guard = self.condvar.wait(guard).unwrap();
                if self.state.compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst).is_ok() {
                    return;
                }
            },
            Some(timeout) => {
                let (_guard, _) = self.condvar.wait_timeout(guard, timeout).unwrap();
                // Either notified or timed out: back to EMPTY.
                self.state.swap(EMPTY, SeqCst);
            }
        }
    }

    /// True if an `unpark` is waiting for the next `park`.
    pub(crate) fn is_notified(&self) -> bool {
        self.state.load(Acquire) == NOTIFIED
    }

    /// Wakes the parked thread, or makes its next `park` return at once.
    pub(crate) fn unpark(&self) {
        match self.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED => {
                // Take the lock so the notification cannot slip in between
                // the parker's state check and its wait.
                drop(self.lock.lock().unwrap());
                self.condvar.notify_one();
            }
            actual => panic!("inconsistent park state {actual}"),
        }
    }
}

impl Wake for ThreadParker {
    fn wake(self: Arc<Self>) {
        self.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.unpark();
    }
}

/// `block_on`'s waker: a [`ThreadParker`] that knows when it is woken by
/// the very future it is polling, on the polling thread.
///
/// That wake (a `yield_now`, or a future that wakes itself to be polled
/// again) needs no atomics: the thread is awake and will poll again, so
/// it only sets a flag in this thread's [`POLLING`] slot. Wakes from any
/// other thread, or after the poll, go through the parker as usual.
struct ParkingWaker {
    parker: ThreadParker,
}

/// The waker of the `block_on` poll in progress on this thread (null when
/// none), and whether that poll woke it.
struct Polling {
    waker: Cell<*const ParkingWaker>,
    woken: Cell<bool>,
}

thread_local! {
    static POLLING: Polling = const { Polling { waker: Cell::new(std::ptr::null()), woken: Cell::new(false) } };
}

impl ParkingWaker {
    fn wake_by_ref(&self) {
        let own_poll = POLLING
            .try_with(|slot| {
                let own = std::ptr::eq(slot.waker.get(), self);
                if own {
                    slot.woken.set(true);
                }
                own
            })
            .unwrap_or(false);
        if !own_poll {
            self.parker.unpark();
        }
    }

    /// Polls `future` with `cx`, marking this thread as inside that poll;
    /// sets `woke_itself` to whether the future woke its own waker. (An out
    /// parameter rather than a tuple with the output: a large output would
    /// be copied once more.)
    fn poll<F: Future>(&self, future: Pin<&mut F>, cx: &mut Context<'_>, woke_itself: &mut bool) -> Poll<F::Output> {
        // Reports the self-wake and restores the slot as it was, also when
        // the poll unwinds, so a `block_on` nested inside another's poll
        // leaves the outer intact. (In a guard, so that the poll's output
        // is the tail expression and goes straight to the caller.)
        struct Restore<'a>(*const ParkingWaker, bool, &'a mut bool);
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                let _ = POLLING.try_with(|slot| {
                    *self.2 = slot.woken.get();
                    slot.waker.set(self.0);
                    slot.woken.set(self.1);
                });
            }
        }
        let _restore = POLLING.with(|slot| Restore(slot.waker.replace(self), slot.woken.replace(false), woke_itself));
        crate::runtime::coop::with_budget(|| future.poll(cx))
    }
}

impl Wake for ParkingWaker {
    fn wake(self: Arc<Self>) {
        ParkingWaker::wake_by_ref(&self);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        ParkingWaker::wake_by_ref(self);
    }
}

/// Polls `future` on this thread, parking between polls. Before it parks,
/// the thread spins briefly for the wake-up if `spin_slot` gives it a slot
/// (held for the spin; None where the runtime's threads need the CPUs).
pub(crate) fn block_on_parked<F: Future, S>(mut future: Pin<&mut F>, spin_slot: impl Fn() -> Option<S>) -> F::Output {
    let parking = Arc::new(ParkingWaker { parker: ThreadParker::new() });
    let waker = Waker::from(parking.clone());
    let mut cx = Context::from_waker(&waker);
    let may_spin = spin::may_spin();
    // Fewer spins after misses: a loop woken every 100 µs (an accept loop)
    // would otherwise burn a fifth of a CPU on spins that always miss.
    let mut backoff = SpinBackoff::default();
    // Nobody hands work to this thread, so nobody reads its heartbeat.
    let heartbeat = Heartbeat::new();
    loop {
        let mut woke_itself = false;
        if let Poll::Ready(out) = parking.poll(future.as_mut(), &mut cx, &mut woke_itself) {
            return out;
        }
        if woke_itself {
            continue;
        }
        // A wake that comes within microseconds (the result of a short
        // blocking job, a reply from a worker) is caught awake: no futex
        // wait here, and no futex wake for the waker.
        if may_spin && backoff.should_spin() {
            if let Some(_slot) = spin_slot() {
                backoff.record(spin_until(SPIN_FOR, &heartbeat, || parking.parker.is_notified()));
            }
        }
        parking.parker.park_timeout(None);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::sync::mpsc;
    use std::time::Duration;

    /// `block_on_parked`, spinning before it parks whenever it may.
    fn block_on_parked_here<F: Future>(future: F) -> F::Output {
        block_on_parked(std::pin::pin!(future), || Some(()))
    }

    fn parker_state(waker: &ParkingWaker) -> usize {
        waker.parker.state.load(SeqCst)
    }

    #[test]
    fn a_future_waking_itself_during_its_poll_leaves_the_parker_alone() {
        let parking = Arc::new(ParkingWaker { parker: ThreadParker::new() });
        let waker = Waker::from(parking.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = std::pin::pin!(poll_fn(|cx| {
            cx.waker().wake_by_ref();
            Poll::<()>::Pending
        }));
        let mut woke_itself = false;
        assert!(parking.poll(future.as_mut(), &mut cx, &mut woke_itself).is_pending());
        assert!(woke_itself);
        assert_eq!(parker_state(&parking), EMPTY);

        // The same waker used after the poll (or from another thread) goes
        // through the parker, so the next park returns at once.
        waker.wake_by_ref();
        assert_eq!(parker_state(&parking), NOTIFIED);
        let other = waker.clone();
        parking.parker.park_timeout(None);
        std::thread::spawn(move || other.wake()).join().unwrap();
        assert_eq!(parker_state(&parking), NOTIFIED);
    }

    /// Runs `f` on a thread and fails if it has not returned within 10 s
    /// (a lost wake-up would park it for good).
    fn within_10s(f: impl FnOnce() + Send + 'static) {
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || {
            f();
            done.send(()).unwrap();
        });
        finished.recv_timeout(Duration::from_secs(10)).expect("block_on parked for good: a wake-up was lost");
    }

    #[test]
    fn a_nested_block_on_passes_a_wake_of_the_outer_one_to_its_parker() {
        within_10s(|| {
            let mut polls = 0;
            block_on_parked_here(poll_fn(|cx| {
                polls += 1;
                if polls > 1 {
                    return Poll::Ready(());
                }
                // The inner poll wakes the outer waker: not the inner's own
                // wake, so it must reach the outer parker.
                let outer = cx.waker().clone();
                block_on_parked_here(poll_fn(|_| {
                    outer.wake_by_ref();
                    Poll::Ready(())
                }));
                Poll::Pending
            }));
            assert_eq!(polls, 2);
        });
    }

    #[test]
    fn a_future_that_yields_and_one_woken_from_another_thread_both_finish() {
        within_10s(|| {
            let mut yields = 0;
            block_on_parked_here(poll_fn(|cx| {
                yields += 1;
                cx.waker().wake_by_ref();
                if yields == 1000 {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }));
            let mut sent = false;
            block_on_parked_here(poll_fn(|cx| {
                if sent {
                    return Poll::Ready(());
                }
                sent = true;
                let waker = cx.waker().clone();
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(20));
                    waker.wake();
                });
                Poll::Pending
            }));
        });
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::ThreadParker;
    use crate::loom::sync::Arc;
    use crate::loom::thread;

    /// An unpark that races with park is never lost.
    #[test]
    fn unpark_is_never_lost() {
        loom::model(|| {
            let parker = Arc::new(ThreadParker::new());
            let p2 = parker.clone();
            let t = thread::spawn(move || p2.unpark());
            parker.park_timeout(None);
            t.join().unwrap();
        });
    }
}
