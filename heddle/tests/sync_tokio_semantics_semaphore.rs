//! `Semaphore` details that follow tokio: an acquire whose permits were
//! granted but not yet reported when the semaphore closes fails (no
//! acquire completes after `close`) and gives the permits back, and a
//! permit counts its permits in a `usize`, so merging permits beyond
//! `u32::MAX` works.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use heddle::sync::Semaphore;

fn poll<F: Future + ?Sized>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(futures::task::noop_waker_ref()))
}

/// Granted while queued, closed before its next poll: the acquire fails
/// and its permits go back to the semaphore.
#[test]
fn granted_acquire_fails_once_closed() {
    let sem = Semaphore::new(2);
    let held = sem.try_acquire_many(2).unwrap();
    let mut acquire = Box::pin(sem.acquire_many(2));
    assert!(poll(acquire.as_mut()).is_pending());
    drop(held); // hands both permits to the queued acquire
    assert_eq!(sem.available_permits(), 0);
    sem.close();
    assert!(matches!(poll(acquire.as_mut()), Poll::Ready(Err(_))));
    assert_eq!(sem.available_permits(), 2, "the grant came back");
}

/// The same for the owned flavour, and for a grant that was partial.
#[test]
fn partially_granted_acquire_fails_once_closed() {
    let sem = Arc::new(Semaphore::new(3));
    let held = sem.try_acquire_many(2).unwrap();
    let mut acquire = Box::pin(sem.clone().acquire_many_owned(3));
    assert!(poll(acquire.as_mut()).is_pending());
    assert_eq!(sem.available_permits(), 0, "the free permit went to the waiter");
    sem.close();
    assert!(matches!(poll(acquire.as_mut()), Poll::Ready(Err(_))));
    assert_eq!(sem.available_permits(), 1);
    drop(held);
    assert_eq!(sem.available_permits(), 3);
}

/// Permits held by one `SemaphorePermit` may add up past `u32::MAX`.
#[test]
#[cfg(target_pointer_width = "64")]
fn merged_permits_count_past_u32() {
    let half = 3_000_000_000_u32;
    let sem = Arc::new(Semaphore::new(2 * half as usize));
    let mut a = sem.try_acquire_many(half).unwrap();
    a.merge(sem.try_acquire_many(half).unwrap());
    assert_eq!(a.num_permits(), 2 * half as usize);
    let rest = a.split(half as usize + 1).unwrap();
    assert_eq!(rest.num_permits(), half as usize + 1);
    drop((a, rest));
    assert_eq!(sem.available_permits(), 2 * half as usize);

    let mut b = sem.clone().try_acquire_many_owned(half).unwrap();
    b.merge(sem.clone().try_acquire_many_owned(half).unwrap());
    assert_eq!(b.num_permits(), 2 * half as usize);
    drop(b);
    assert_eq!(sem.available_permits(), 2 * half as usize);
}
