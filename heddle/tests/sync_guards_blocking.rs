//! Mapped and owned lock guards, `RwLock` downgrades, and the `blocking_*`
//! methods used from plain threads alongside async tasks.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use heddle::runtime::{Builder, Runtime};
use heddle::sync::{
    broadcast, oneshot, MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard, RwLock,
    RwLockWriteGuard,
};

fn rt() -> Runtime {
    Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[test]
fn mapped_mutex_guard_keeps_the_lock_until_dropped() {
    rt().block_on(async {
        let m = Arc::new(Mutex::new((0u32, vec![1u32, 2, 3])));
        let mut second: MappedMutexGuard<'_, u32> =
            MappedMutexGuard::map(MutexGuard::map(m.lock().await, |p| &mut p.1), |v| &mut v[1]);
        *second += 40;
        // A task waiting for the lock only gets it after the mapped guard goes.
        let waiter = heddle::spawn({
            let m = m.clone();
            async move { m.lock().await.1.clone() }
        });
        heddle::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        assert!(m.try_lock().is_err());
        drop(second);
        assert_eq!(waiter.await.unwrap(), [1, 42, 3]);

        // try_map declining gives the guard back, still locked.
        let guard = m.lock().await;
        let guard = MutexGuard::try_map(guard, |p| p.1.get_mut(10)).unwrap_err();
        assert_eq!(guard.0, 0);
        let mut first = MutexGuard::try_map(guard, |p| p.1.first_mut()).unwrap();
        *first = 7;
        drop(first);
        assert_eq!(m.lock().await.1[0], 7);

        // Owned, mapped, sent to another task.
        let owned: OwnedMutexGuard<_> = m.clone().lock_owned().await;
        let mut counter: OwnedMappedMutexGuard<_, u32> = OwnedMutexGuard::map(owned, |p| &mut p.0);
        let done = heddle::spawn(async move {
            *counter += 5;
            assert!(OwnedMappedMutexGuard::mutex(&counter).try_lock().is_err());
        });
        done.await.unwrap();
        assert_eq!(m.lock().await.0, 5);
    });
}

#[test]
fn map_closure_panic_still_unlocks() {
    rt().block_on(async {
        let m = Mutex::new(1);
        let guard = m.lock().await;
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let _ = MutexGuard::map(guard, |_| -> &mut u32 { panic!("mapping failed") });
        }));
        assert!(result.is_err());
        assert_eq!(*m.try_lock().expect("unlocked after the panic"), 1);
    });
}

#[test]
fn blocking_lock_from_threads_and_tasks_together() {
    let rt = rt();
    let m = Arc::new(Mutex::new(0u64));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let m = m.clone();
            std::thread::spawn(move || {
                for _ in 0..500 {
                    *m.blocking_lock() += 1;
                }
                let mut g = m.clone().blocking_lock_owned();
                *g += 1;
            })
        })
        .collect();
    rt.block_on(async {
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let m = m.clone();
                heddle::spawn(async move {
                    for _ in 0..500 {
                        *m.lock().await += 1;
                        heddle::task::yield_now().await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(*m.blocking_lock(), 4 * 500 * 2 + 4);
}

#[test]
fn blocking_lock_inside_a_runtime_panics() {
    let rt = rt();
    let err = rt
        .block_on(async {
            heddle::spawn(async {
                let m = Mutex::new(());
                let _g = m.blocking_lock();
            })
            .await
        })
        .unwrap_err();
    let payload = err.into_panic();
    let msg = payload.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(msg.starts_with("Cannot block the current thread from within a runtime"), "{msg}");
    // Allowed inside block_in_place.
    let v = rt.block_on(async {
        heddle::spawn(async {
            let m = Mutex::new(9);
            heddle::task::block_in_place(|| *m.blocking_lock())
        })
        .await
        .unwrap()
    });
    assert_eq!(v, 9);
}

#[test]
fn rwlock_owned_guards_blocking_and_downgrade() {
    let rt = rt();
    let lock = Arc::new(RwLock::new(Vec::<u32>::new()));
    rt.block_on(async {
        let r1 = lock.clone().read_owned().await;
        let r2 = lock.clone().try_read_owned().unwrap();
        assert!(lock.clone().try_write_owned().is_err());
        let writer = heddle::spawn({
            let lock = lock.clone();
            async move {
                let mut w = lock.write_owned().await;
                w.push(1);
                // Downgrade: readers may join, writers still wait.
                let r = w.downgrade();
                assert_eq!(*r, [1]);
                r
            }
        });
        heddle::time::sleep(Duration::from_millis(10)).await;
        assert!(!writer.is_finished(), "writer waits for the readers");
        drop((r1, r2));
        let r = writer.await.unwrap();
        assert!(lock.try_read().is_ok());
        assert!(lock.try_write().is_err());
        drop(r);
        let mut w: RwLockWriteGuard<'_, _> = lock.write().await;
        w.push(2);
        let r = w.downgrade();
        assert_eq!(*r, [1, 2]);
        assert!(lock.try_write().is_err());
    });
    // From a plain thread.
    let l = lock.clone();
    std::thread::spawn(move || {
        l.blocking_write().push(3);
        assert_eq!(*l.blocking_read(), [1, 2, 3]);
    })
    .join()
    .unwrap();
}

#[test]
fn oneshot_and_broadcast_blocking_recv() {
    let rt = rt();
    let (tx, rx) = oneshot::channel::<String>();
    let (btx, mut brx) = broadcast::channel::<u32>(8);
    let thread = std::thread::spawn(move || {
        let first = rx.blocking_recv().unwrap();
        let mut got = Vec::new();
        loop {
            match brx.blocking_recv() {
                Ok(v) => got.push(v),
                Err(broadcast::error::RecvError::Closed) => break,
                Err(e) => panic!("{e:?}"),
            }
        }
        (first, got)
    });
    rt.block_on(async move {
        heddle::time::sleep(Duration::from_millis(10)).await;
        tx.send("hello".into()).unwrap();
        for i in 0..5 {
            btx.send(i).unwrap();
            heddle::time::sleep(Duration::from_millis(1)).await;
        }
    });
    let (first, got) = thread.join().unwrap();
    assert_eq!(first, "hello");
    assert_eq!(got, [0, 1, 2, 3, 4]);

    // A dropped sender ends blocking_recv with an error.
    let (tx, rx) = oneshot::channel::<u8>();
    let thread = std::thread::spawn(move || rx.blocking_recv());
    std::thread::sleep(Duration::from_millis(10));
    drop(tx);
    assert!(thread.join().unwrap().is_err());
}

static CONFIG: RwLock<Vec<u32>> = RwLock::const_new(Vec::new());
static LIMITED: RwLock<u8> = RwLock::const_with_max_readers(0, 2);

#[test]
fn rwlock_mapped_guards_and_statics() {
    use heddle::sync::{RwLockMappedWriteGuard, RwLockReadGuard};
    rt().block_on(async {
        CONFIG.write().await.extend([1, 2, 3]);
        let lock = Arc::new(RwLock::new((String::from("name"), vec![1u32, 2])));

        // Mapped read guards hold a read permit: writers wait, readers don't.
        let name: RwLockReadGuard<'_, str> = RwLockReadGuard::map(lock.read().await, |p| p.0.as_str());
        let first = RwLockReadGuard::try_map(lock.read().await, |p| p.1.first()).unwrap();
        let writer = heddle::spawn({
            let lock = lock.clone();
            async move { lock.write().await.1.push(3) }
        });
        heddle::time::sleep(Duration::from_millis(20)).await;
        assert!(!writer.is_finished());
        assert_eq!((&*name, *first), ("name", 1));
        // A queued writer keeps new readers out (FIFO).
        assert!(lock.try_read().is_err());
        drop((name, first));
        writer.await.unwrap();
        assert!(RwLockReadGuard::try_map(lock.read().await, |p| p.1.get(9)).is_err());

        // Mapped write guard holds the write lock.
        let mut tail: RwLockMappedWriteGuard<'_, u32> =
            RwLockMappedWriteGuard::map(RwLockWriteGuard::map(lock.write().await, |p| &mut p.1), |v| {
                v.last_mut().unwrap()
            });
        *tail *= 10;
        assert!(lock.try_read().is_err());
        drop(tail);
        assert_eq!(lock.read().await.1, [1, 2, 30]);

        assert_eq!(*CONFIG.read().await, [1, 2, 3]);
        let (a, b) = (LIMITED.read().await, LIMITED.read().await);
        assert!(LIMITED.try_read().is_err(), "only two readers allowed");
        drop((a, b));
        *LIMITED.write().await += 1;
        assert_eq!(*LIMITED.read().await, 1);
    });
}

#[test]
fn semaphore_blocking_acquire_from_threads() {
    use heddle::sync::Semaphore;
    let rt = rt();
    let sem = Arc::new(Semaphore::new(2));
    let in_use = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let max_seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let (sem, in_use, max_seen) = (sem.clone(), in_use.clone(), max_seen.clone());
            std::thread::spawn(move || {
                for _ in 0..20 {
                    let _permit = if i % 2 == 0 {
                        sem.clone().blocking_acquire_owned().unwrap()
                    } else {
                        sem.clone().blocking_acquire_many_owned(1).unwrap()
                    };
                    let now = in_use.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    max_seen.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
                    std::thread::sleep(Duration::from_micros(200));
                    in_use.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                }
            })
        })
        .collect();
    // Async tasks compete for the same permits.
    rt.block_on(async {
        for _ in 0..20 {
            let _p = sem.acquire_many(2).await.unwrap();
            assert_eq!(in_use.load(std::sync::atomic::Ordering::SeqCst), 0, "both permits are ours");
        }
    });
    for t in threads {
        t.join().unwrap();
    }
    assert!(max_seen.load(std::sync::atomic::Ordering::SeqCst) <= 2);
    assert_eq!(sem.available_permits(), 2);
    // Borrowed variants, and closing wakes a blocked thread with an error.
    let p = sem.blocking_acquire_many(2).unwrap();
    let s = sem.clone();
    let waiter = std::thread::spawn(move || s.blocking_acquire().map(|_| ()));
    std::thread::sleep(Duration::from_millis(20));
    sem.close();
    assert!(waiter.join().unwrap().is_err());
    drop(p);
}

#[test]
fn oneshot_is_empty_and_is_terminated() {
    rt().block_on(async {
        let (tx, mut rx) = oneshot::channel::<u8>();
        assert!(rx.is_empty() && !rx.is_terminated());
        drop(tx);
        assert!(rx.is_empty() && !rx.is_terminated(), "closed but not yet observed");
        assert!((&mut rx).await.is_err());
        assert!(rx.is_terminated());

        let (tx, mut rx) = oneshot::channel::<u8>();
        tx.send(5).unwrap();
        assert!(!rx.is_empty());
        assert_eq!(rx.try_recv(), Ok(5));
        assert!(rx.is_empty() && rx.is_terminated());
    });
}
