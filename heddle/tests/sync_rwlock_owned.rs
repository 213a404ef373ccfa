//! Owned `RwLock` guards narrowed with `map`/`try_map`/`downgrade_map`, and
//! `SetOnce`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use heddle::runtime::{Builder, Runtime};
use heddle::sync::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock, SetOnce, SetOnceError,
};

fn rt() -> Runtime {
    Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// The old one-parameter spelling still names the unmapped guard.
fn whole(guard: &OwnedRwLockReadGuard<Vec<u32>>) -> usize {
    guard.len()
}

#[test]
fn owned_read_guard_default_parameter_still_works() {
    rt().block_on(async {
        let lock = Arc::new(RwLock::new(vec![1, 2, 3]));
        let guard: OwnedRwLockReadGuard<Vec<u32>> = lock.clone().read_owned().await;
        assert_eq!(whole(&guard), 3);
        assert!(Arc::ptr_eq(OwnedRwLockReadGuard::rwlock(&guard), &lock));
        let guard: OwnedRwLockReadGuard<Vec<u32>, Vec<u32>> = guard;
        drop(guard);
        assert!(lock.try_write().is_ok());
    });
}

#[test]
fn mapped_owned_write_guard_projects_and_releases_on_drop() {
    rt().block_on(async {
        let lock = Arc::new(RwLock::new((String::from("a"), vec![1u32, 2, 3])));
        let list = OwnedRwLockWriteGuard::map(lock.clone().write_owned().await, |p| &mut p.1);
        let mut second: OwnedRwLockMappedWriteGuard<(String, Vec<u32>), u32> =
            OwnedRwLockMappedWriteGuard::map(list, |v| &mut v[1]);
        *second += 40;
        assert_eq!(*second, 42);
        assert!(Arc::ptr_eq(OwnedRwLockMappedWriteGuard::rwlock(&second), &lock));

        // A writer on another task waits for the mapped guard.
        let writer = heddle::spawn({
            let lock = lock.clone();
            async move {
                let mut w = lock.write_owned().await;
                w.0.push('b');
                w.1.clone()
            }
        });
        heddle::time::sleep(Duration::from_millis(20)).await;
        assert!(!writer.is_finished());
        assert!(lock.try_read().is_err());
        // The guard may move to another task; dropping it there releases.
        heddle::spawn(async move { *second += 1 }).await.unwrap();
        assert_eq!(writer.await.unwrap(), [1, 43, 3]);
        assert_eq!(lock.read().await.0, "ab");
    });
}

#[test]
fn into_mapped_keeps_the_write_lock() {
    rt().block_on(async {
        let lock = Arc::new(RwLock::new(5u32));
        let mut all = OwnedRwLockWriteGuard::into_mapped(lock.clone().write_owned().await);
        *all = 6;
        assert!(lock.try_read().is_err());
        drop(all);
        assert_eq!(*lock.read().await, 6);
    });
}

#[test]
fn mapped_owned_read_guard_projects_and_releases_on_drop() {
    rt().block_on(async {
        let lock = Arc::new(RwLock::new((1u32, String::from("name"))));
        let name: OwnedRwLockReadGuard<(u32, String), str> =
            OwnedRwLockReadGuard::map(lock.clone().read_owned().await, |p| p.1.as_str());
        let first: OwnedRwLockReadGuard<(u32, String), u8> =
            OwnedRwLockReadGuard::map(lock.clone().read_owned().await, |p| &p.1.as_bytes()[0]);
        assert_eq!(&*name, "name");
        assert_eq!(*first, b'n');
        assert_eq!(lock.try_read().unwrap().0, 1, "readers share the lock");

        let writer = heddle::spawn({
            let lock = lock.clone();
            async move {
                lock.write().await.0 = 2;
            }
        });
        heddle::time::sleep(Duration::from_millis(20)).await;
        assert!(!writer.is_finished());
        drop(name);
        heddle::time::sleep(Duration::from_millis(10)).await;
        assert!(!writer.is_finished(), "one reader is left");
        // Dropped on another task.
        heddle::spawn(async move { assert_eq!(*first, b'n') }).await.unwrap();
        writer.await.unwrap();
        assert_eq!(lock.read().await.0, 2);
    });
}

#[test]
fn downgrade_keeps_writers_out_and_lets_readers_in() {
    rt().block_on(async {
        let lock = Arc::new(RwLock::new((0u32, 0u32)));
        let mut w = lock.clone().write_owned().await;

        // Readers queued behind the writer.
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let lock = lock.clone();
                heddle::spawn(async move { *lock.read().await })
            })
            .collect();
        heddle::time::sleep(Duration::from_millis(20)).await;
        assert!(readers.iter().all(|r| !r.is_finished()), "writer keeps readers out");
        w.0 = 7;
        w.1 = 8;

        let first = OwnedRwLockWriteGuard::downgrade_map(w, |p| &p.0);
        assert_eq!(*first, 7);
        for r in readers {
            assert_eq!(r.await.unwrap(), (7, 8), "readers get in after the downgrade");
        }
        // Still read-locked: no writer gets in.
        assert!(lock.try_write().is_err());
        let writer = heddle::spawn({
            let lock = lock.clone();
            async move { lock.write().await.1 = 9 }
        });
        heddle::time::sleep(Duration::from_millis(20)).await;
        assert!(!writer.is_finished());
        drop(first);
        writer.await.unwrap();
        assert_eq!(*lock.read().await, (7, 9));

        // Plain downgrade and try_downgrade_map.
        let d = lock.clone().write_owned().await.downgrade();
        assert_eq!(lock.try_read().unwrap().0, 7);
        assert!(lock.try_write().is_err());
        drop(d);
        let second = OwnedRwLockWriteGuard::try_downgrade_map(lock.clone().write_owned().await, |p| Some(&p.1))
            .unwrap_or_else(|_| panic!("closure returned Some"));
        assert_eq!(*second, 9);
        assert!(lock.try_read().is_ok());
        drop(second);
        assert!(lock.try_write().is_ok());
    });
}

#[test]
fn try_map_failure_returns_the_original_guard() {
    rt().block_on(async {
        let lock = Arc::new(RwLock::new(vec![1u32]));

        // Owned read guard.
        let r = lock.clone().read_owned().await;
        let r = OwnedRwLockReadGuard::try_map(r, |v| v.get(5)).unwrap_err();
        assert_eq!(*r, [1]);
        let r = OwnedRwLockReadGuard::try_map(r, |v| v.first()).unwrap();
        assert_eq!(*r, 1);
        assert!(lock.try_write().is_err());
        drop(r);

        // Owned write guard: still exclusive after the failed try_map.
        let w = lock.clone().write_owned().await;
        let mut w = OwnedRwLockWriteGuard::try_map(w, |v| v.get_mut(5)).unwrap_err();
        assert!(lock.try_read().is_err());
        w.push(2);
        let w = OwnedRwLockWriteGuard::try_downgrade_map(w, |v| v.get(5)).unwrap_err();
        assert!(lock.try_read().is_err(), "failed try_downgrade_map keeps the write lock");

        // Mapped owned write guard.
        let all = OwnedRwLockWriteGuard::into_mapped(w);
        let all = OwnedRwLockMappedWriteGuard::try_map(all, |v| v.get_mut(5)).unwrap_err();
        assert_eq!(*all, [1, 2]);
        let mut last = OwnedRwLockMappedWriteGuard::try_map(all, |v| v.last_mut()).unwrap();
        *last = 3;
        assert!(lock.try_read().is_err());
        drop(last);
        assert_eq!(*lock.read().await, [1, 3]);
    });
}

#[test]
fn set_once_sets_once_and_hands_the_value_back() {
    let cell = SetOnce::new();
    assert!(!cell.initialized());
    assert_eq!(cell.get(), None);
    assert_eq!(cell.set(String::from("first")), Ok(()));
    assert!(cell.initialized());
    assert_eq!(cell.get().map(String::as_str), Some("first"));
    let err = cell.set(String::from("second")).unwrap_err();
    assert_eq!(err, SetOnceError(String::from("second")));
    assert_eq!(err.0, "second");
    assert_eq!(cell.get().map(String::as_str), Some("first"));
    assert_eq!(cell.into_inner().as_deref(), Some("first"));

    assert_eq!(SetOnce::<u8>::new().into_inner(), None);
    assert_eq!(SetOnce::new_with(Some(4)).get(), Some(&4));
    assert!(!SetOnce::<u8>::new_with(None).initialized());
    static STATIC: SetOnce<u32> = SetOnce::const_new_with(9);
    assert_eq!(STATIC.get(), Some(&9));
}

#[test]
fn set_once_drops_its_value_exactly_once() {
    let value = Arc::new(());
    let cell = SetOnce::new();
    cell.set(value.clone()).unwrap();
    let rejected = value.clone();
    assert!(cell.set(rejected).is_err(), "the rejected clone comes back and is dropped here");
    assert_eq!(Arc::strong_count(&value), 2);
    drop(cell);
    assert_eq!(Arc::strong_count(&value), 1);
}

#[test]
fn set_once_wait_wakes_every_waiter_after_a_set_from_another_thread() {
    rt().block_on(async {
        let cell = Arc::new(SetOnce::new());
        let started = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                let (cell, started) = (cell.clone(), started.clone());
                heddle::spawn(async move {
                    started.fetch_add(1, Ordering::SeqCst);
                    *cell.wait().await
                })
            })
            .collect();
        while started.load(Ordering::SeqCst) < 4 {
            heddle::time::sleep(Duration::from_millis(1)).await;
        }
        heddle::time::sleep(Duration::from_millis(20)).await;
        assert!(waiters.iter().all(|w| !w.is_finished()), "nothing set yet");
        assert!(!cell.initialized());

        let setter = cell.clone();
        std::thread::spawn(move || setter.set(11u32).unwrap()).join().unwrap();
        for w in waiters {
            let got = heddle::time::timeout(Duration::from_secs(5), w).await.expect("waiter woken").unwrap();
            assert_eq!(got, 11);
        }
        assert_eq!(*cell.wait().await, 11, "returns at once once set");
    });
}

#[test]
fn set_once_races_lose_no_wake_up() {
    let rt = rt();
    for round in 0..200u32 {
        rt.block_on(async {
            let cell = Arc::new(SetOnce::new());
            let waiter = heddle::spawn({
                let cell = cell.clone();
                async move { *cell.wait().await }
            });
            let setter = cell.clone();
            let t = std::thread::spawn(move || setter.set(round));
            let got = heddle::time::timeout(Duration::from_secs(5), waiter).await.expect("no lost wake-up").unwrap();
            assert_eq!(got, round);
            t.join().unwrap().unwrap();
        });
    }
}

#[test]
fn set_once_concurrent_sets_have_one_winner() {
    let cell = Arc::new(SetOnce::new());
    let threads: Vec<_> = (0..4u32)
        .map(|i| {
            let cell = cell.clone();
            std::thread::spawn(move || cell.set(i).map(|()| *cell.get().unwrap()))
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1);
    for r in &results {
        if let Err(SetOnceError(v)) = r {
            assert_ne!(Some(v), cell.get(), "losers get their own value back");
        }
    }
    assert_eq!(cell.get(), Some(winners[0]));
}
