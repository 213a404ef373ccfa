//! `ThreadParker`: blocks a thread that is not driving the reactor until a
//! waker fires. Used by `block_on` on the multi-threaded runtime (workers
//! drive I/O; the caller only waits for its own future) and by idle workers.
//!
//! ```text
//!   EMPTY ──park()──▶ PARKED ──unpark()──▶ NOTIFIED ──park() returns──▶ EMPTY
//!     └───────unpark()────────────────────▶ NOTIFIED (next park returns at once)
//! ```

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::{Condvar, Mutex};

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

/// Polls `future` on this thread, parking between polls.
pub(crate) fn block_on_parked<F: Future>(future: F) -> F::Output {
    let parker = Arc::new(ThreadParker::new());
    let waker = Waker::from(parker.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(out) = crate::runtime::coop::with_budget(|| future.as_mut().poll(&mut cx)) {
            return out;
        }
        parker.park_timeout(None);
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
