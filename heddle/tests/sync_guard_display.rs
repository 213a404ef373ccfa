//! `Display` on the mutex and rwlock guards forwards to the guarded value.

use std::sync::Arc;

use heddle::sync::{
    MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard, OwnedRwLockReadGuard,
    OwnedRwLockWriteGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
};

#[heddle::test]
async fn mutex_guards_display_inner_value() {
    let mutex = Mutex::new(String::from("hello"));
    let guard = mutex.lock().await;
    assert_eq!(format!("{}", guard), "hello");
    let mapped = MutexGuard::map(guard, |s| s.as_mut_str());
    assert_eq!(format!("{}", mapped), "hello");
    let mapped = MappedMutexGuard::map(mapped, |s| &mut s[1..]);
    assert_eq!(format!("{}", mapped), "ello");
    drop(mapped);

    let mutex = Arc::new(Mutex::new(42i32));
    let guard = mutex.clone().lock_owned().await;
    assert_eq!(format!("{}", guard), "42");
    assert_eq!(format!("{:>4}", guard), "  42");
    let mapped = OwnedMutexGuard::map(guard, |v| v);
    assert_eq!(format!("{}", mapped), "42");
    let mapped = OwnedMappedMutexGuard::map(mapped, |v| v);
    assert_eq!(format!("{}", mapped), "42");
}

#[heddle::test]
async fn rwlock_guards_display_inner_value() {
    let lock = RwLock::new((String::from("left"), 7i32));
    {
        let read = lock.read().await;
        assert_eq!(format!("{}", RwLockReadGuard::map(read, |v| &v.0)), "left");
    }
    {
        let write = lock.write().await;
        let mapped = RwLockWriteGuard::map(write, |v| &mut v.1);
        assert_eq!(format!("{}", mapped), "7");
    }
    {
        let write = lock.write().await;
        assert_eq!(format!("{}", RwLockWriteGuard::map(write, |v| &mut v.0)), "left");
    }

    let lock = Arc::new(RwLock::new(-3i32));
    {
        let read = lock.read().await;
        assert_eq!(format!("{}", read), "-3");
    }
    {
        let write = lock.write().await;
        assert_eq!(format!("{}", write), "-3");
        let mapped = RwLockWriteGuard::into_mapped(write);
        assert_eq!(format!("{}", mapped), "-3");
    }

    let read = lock.clone().read_owned().await;
    assert_eq!(format!("{}", read), "-3");
    let read = OwnedRwLockReadGuard::map(read, |v| v);
    assert_eq!(format!("{}", read), "-3");
    drop(read);

    let write = lock.clone().write_owned().await;
    assert_eq!(format!("{}", write), "-3");
    let mapped = OwnedRwLockWriteGuard::map(write, |v| v);
    assert_eq!(format!("{}", mapped), "-3");
}
