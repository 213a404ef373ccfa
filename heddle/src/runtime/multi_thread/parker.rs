//! How an idle worker sleeps: in its own driver (epoll), or on its own
//! condvar once the driver is gone (shutdown). `unpark` reaches it either
//! way. A peer may hold the driver for a moment (a non-blocking poll on the
//! worker's behalf); the worker then waits for the lock.
//!
//! ```text
//!   EMPTY ──park──▶ PARKED_CONDVAR | PARKED_DRIVER ──unpark──▶ NOTIFIED ──▶ EMPTY
//! ```
//!
//! The parker is generic over the driver (see [`SleepDriver`]) only so
//! that a loom model can put a condvar where epoll would be.

use std::sync::Arc;
use std::time::Duration;

use crate::driver::{Driver, DriverHandle};
use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::Mutex;
use crate::runtime::park::ThreadParker;

const EMPTY: usize = 0;
const PARKED_CONDVAR: usize = 1;
const PARKED_DRIVER: usize = 2;
const NOTIFIED: usize = 3;

/// What a worker sleeps in: its driver, woken through a shared handle.
pub(crate) trait SleepDriver {
    /// The shared side that wakes the driver.
    type Handle;
    /// Blocks until `unpark_reactor`, an event, or `timeout`.
    fn sleep(&mut self, handle: &Self::Handle, timeout: Option<Duration>);
    /// Wakes whoever sleeps in reactor `reactor`.
    fn unpark_reactor(handle: &Self::Handle, reactor: usize);
}

impl SleepDriver for Driver {
    type Handle = DriverHandle;

    fn sleep(&mut self, handle: &DriverHandle, timeout: Option<Duration>) {
        self.park(handle, timeout);
    }

    fn unpark_reactor(handle: &DriverHandle, reactor: usize) {
        handle.io.unpark(reactor);
    }
}

/// One per worker.
pub(crate) struct Parker<D: SleepDriver = Driver> {
    state: AtomicUsize,
    condvar: ThreadParker,
    driver_handle: Arc<D::Handle>,
    /// The worker's reactor, which its eventfd wakes.
    reactor: usize,
}

impl<D: SleepDriver> Parker<D> {
    pub(crate) fn new(driver_handle: Arc<D::Handle>, reactor: usize) -> Parker<D> {
        Parker { state: AtomicUsize::new(EMPTY), condvar: ThreadParker::new(), driver_handle, reactor }
    }

    /// Sleeps until `unpark` (returns at once if one is pending).
    pub(crate) fn park(&self, driver: &Mutex<Option<D>>, timeout: Option<Duration>) {
        if self.state.compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst).is_ok() {
            return;
        }
        // Blocking lock: only this worker sleeps in its driver; a peer holds
        // it just for a non-blocking poll (`poll_busy_peers`).
        if let Ok(mut guard) = driver.lock() {
            if let Some(driver) = guard.as_mut() {
                if self.state.compare_exchange(EMPTY, PARKED_DRIVER, SeqCst, SeqCst).is_err() {
                    self.state.store(EMPTY, SeqCst);
                    return;
                }
                driver.sleep(&self.driver_handle, timeout);
                self.state.store(EMPTY, SeqCst);
                return;
            }
        }
        if self.state.compare_exchange(EMPTY, PARKED_CONDVAR, SeqCst, SeqCst).is_err() {
            self.state.store(EMPTY, SeqCst);
            return;
        }
        self.condvar.park_timeout(timeout);
        self.state.store(EMPTY, SeqCst);
    }

    /// True if an `unpark` is waiting for the next `park`.
    pub(crate) fn is_notified(&self) -> bool {
        self.state.load(Acquire) == NOTIFIED
    }

    /// True while the worker sleeps (in its driver or on its condvar).
    pub(crate) fn is_sleeping(&self) -> bool {
        matches!(self.state.load(SeqCst), PARKED_CONDVAR | PARKED_DRIVER)
    }

    /// Wakes the worker wherever it sleeps.
    pub(crate) fn unpark(&self) {
        match self.state.swap(NOTIFIED, SeqCst) {
            PARKED_DRIVER => D::unpark_reactor(&self.driver_handle, self.reactor),
            PARKED_CONDVAR => self.condvar.unpark(),
            _ => {}
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::atomic::AtomicBool;
    use crate::loom::sync::Condvar;
    use crate::loom::thread;

    /// Stands in for epoll: `sleep` waits until a wake-up is pending, and a
    /// wake-up stays pending until a sleep consumes it (like the eventfd).
    struct FakeDriver;

    #[derive(Default)]
    struct FakeHandle {
        pending: Mutex<bool>,
        condvar: Condvar,
    }

    impl SleepDriver for FakeDriver {
        type Handle = FakeHandle;

        fn sleep(&mut self, handle: &FakeHandle, _timeout: Option<Duration>) {
            let mut pending = handle.pending.lock().unwrap();
            while !*pending {
                pending = handle.condvar.wait(pending).unwrap();
            }
            *pending = false;
        }

        fn unpark_reactor(handle: &FakeHandle, _reactor: usize) {
            *handle.pending.lock().unwrap() = true;
            handle.condvar.notify_one();
        }
    }

    /// A worker parks until it sees work; another thread publishes work and
    /// unparks it, while a peer briefly takes the worker's driver (an idle
    /// peer polling it). Whichever way they interleave, the worker must not
    /// sleep forever (loom reports a deadlock if it does).
    #[test]
    fn loom_unpark_reaches_a_worker_in_its_driver() {
        unpark_model(true);
    }

    /// The same with the driver gone (shutdown): the worker sleeps on its
    /// condvar.
    #[test]
    fn loom_unpark_reaches_a_worker_on_its_condvar() {
        unpark_model(false);
    }

    fn unpark_model(with_driver: bool) {
        loom::model(move || {
            let parker = Arc::new(Parker::<FakeDriver>::new(Arc::new(FakeHandle::default()), 0));
            let driver = Arc::new(Mutex::new(with_driver.then_some(FakeDriver)));
            let work = Arc::new(AtomicBool::new(false));

            let notifier = {
                let (parker, work) = (parker.clone(), work.clone());
                thread::spawn(move || {
                    work.store(true, SeqCst);
                    parker.unpark();
                })
            };
            let peer = {
                let driver = driver.clone();
                thread::spawn(move || {
                    // A non-blocking poll: hold the driver, do not sleep.
                    if let Ok(guard) = driver.try_lock() {
                        drop(guard);
                    }
                })
            };
            while !work.load(SeqCst) {
                parker.park(&driver, None);
            }
            notifier.join().unwrap();
            peer.join().unwrap();
        });
    }
}
