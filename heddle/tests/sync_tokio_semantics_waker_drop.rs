//! A waker replaced by a later poll is dropped after the primitive's
//! internal lock is released, as in tokio: dropping a waker may run user
//! code that uses the very same `Notify`, broadcast channel or semaphore,
//! which would otherwise deadlock on that lock.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use heddle::sync::{broadcast, Notify, Semaphore};

/// A waker that runs `on_drop` when its last clone goes.
struct OnDrop<F: Fn() + Send + Sync>(F);

impl<F: Fn() + Send + Sync> Wake for OnDrop<F> {
    fn wake(self: Arc<Self>) {}
}

impl<F: Fn() + Send + Sync> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}

/// Polls `fut` with a waker that runs `on_drop` when dropped, then polls
/// it again with another waker (replacing, so dropping, the first one).
/// Runs on a thread of its own and fails if that does not finish in time
/// (a deadlock).
fn poll_then_replace_waker<Fut, F>(make: impl FnOnce() -> (Fut, F) + Send + 'static)
where
    Fut: Future,
    F: Fn() + Send + Sync + 'static,
{
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (fut, on_drop) = make();
        let mut fut = Box::pin(fut);
        let waker = Waker::from(Arc::new(OnDrop(on_drop)));
        assert!(poll(fut.as_mut(), &waker).is_pending());
        drop(waker);
        let _ = poll(fut.as_mut(), futures::task::noop_waker_ref());
        done_tx.send(()).unwrap();
    });
    done_rx.recv_timeout(Duration::from_secs(10)).expect("deadlock: the old waker was dropped under the lock");
}

fn poll<F: Future + ?Sized>(f: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(waker))
}

#[test]
fn notify_waker_drop_may_notify() {
    poll_then_replace_waker(|| {
        let notify = Arc::new(Notify::new());
        let n = notify.clone();
        (async move { notify.notified().await }, move || n.notify_waiters())
    });
}

#[test]
fn broadcast_waker_drop_may_send() {
    poll_then_replace_waker(|| {
        let (tx, mut rx) = broadcast::channel::<()>(4);
        (
            async move {
                let _ = rx.recv().await;
            },
            move || {
                let _ = tx.send(());
            },
        )
    });
}

#[test]
fn semaphore_waker_drop_may_add_permits() {
    poll_then_replace_waker(|| {
        let sem = Arc::new(Semaphore::new(0));
        let s = sem.clone();
        // The waiter needs two permits, so the one added leaves it queued
        // and the add goes through the locked hand-off.
        (
            async move {
                let _a = sem.acquire_many(2).await;
            },
            move || s.add_permits(1),
        )
    });
}
