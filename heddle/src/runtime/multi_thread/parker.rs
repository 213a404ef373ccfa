//! How an idle worker sleeps: in its own driver (epoll), or on its own
//! condvar if another worker holds that driver for a moment (polling it on
//! the worker's behalf). `unpark` reaches it either way.
//!
//! ```text
//!   EMPTY ──park──▶ PARKED_CONDVAR | PARKED_DRIVER ──unpark──▶ NOTIFIED ──▶ EMPTY
//! ```

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

/// One per worker.
pub(crate) struct Parker {
    state: AtomicUsize,
    condvar: ThreadParker,
    driver_handle: Arc<DriverHandle>,
    /// The worker's reactor, which its eventfd wakes.
    reactor: usize,
}

impl Parker {
    pub(crate) fn new(driver_handle: Arc<DriverHandle>, reactor: usize) -> Parker {
        Parker { state: AtomicUsize::new(EMPTY), condvar: ThreadParker::new(), driver_handle, reactor }
    }

    /// Sleeps until `unpark` (returns at once if one is pending).
    pub(crate) fn park(&self, driver: &Mutex<Option<Driver>>, timeout: Option<Duration>) {
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
                driver.park(&self.driver_handle, timeout);
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

    /// Wakes the worker wherever it sleeps.
    pub(crate) fn unpark(&self) {
        match self.state.swap(NOTIFIED, SeqCst) {
            PARKED_DRIVER => self.driver_handle.io.unpark(self.reactor),
            PARKED_CONDVAR => self.condvar.unpark(),
            _ => {}
        }
    }
}
