//! `runtime::worker_index()`: which worker the caller runs on, on each
//! runtime flavor, in `block_on` (runtime's and handle's), in tasks, in the
//! blocking pool, and outside any runtime.

use std::collections::{HashMap, HashSet};

use heddle::runtime::{worker_index, Builder, LocalRuntime};

#[test]
fn none_outside_a_runtime() {
    assert_eq!(worker_index(), None);
    let from_thread = std::thread::spawn(worker_index).join().unwrap();
    assert_eq!(from_thread, None);
}

#[test]
fn current_thread_block_on_and_tasks_are_worker_zero() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let (in_block_on, in_task) =
        rt.block_on(async { (worker_index(), heddle::spawn(async { worker_index() }).await.unwrap()) });
    assert_eq!(in_block_on, Some(0));
    assert_eq!(in_task, Some(0));
    // Restored once block_on returns.
    assert_eq!(worker_index(), None);
}

#[test]
fn handle_block_on_is_not_a_worker() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    assert_eq!(rt.handle().block_on(async { worker_index() }), None);
}

#[test]
fn local_runtime_is_worker_zero() {
    let rt = LocalRuntime::new().unwrap();
    let local = rt.block_on(async { heddle::task::spawn_local(async { worker_index() }).await.unwrap() });
    assert_eq!(local, Some(0));
}

#[test]
fn multi_thread_workers_are_numbered_and_block_on_is_not_one() {
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let seen = rt.block_on(async {
        assert_eq!(worker_index(), None);
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                heddle::spawn(async {
                    heddle::task::yield_now().await;
                    (std::thread::current().id(), worker_index())
                })
            })
            .collect();
        let mut seen = HashMap::new();
        for t in tasks {
            let (thread, index) = t.await.unwrap();
            let index = index.expect("a task runs on a worker");
            assert!(index < 2, "index {index} of 2 workers");
            // One thread, one index.
            assert_eq!(*seen.entry(thread).or_insert(index), index);
        }
        seen
    });
    // Different threads are different workers.
    let distinct: HashSet<usize> = seen.values().copied().collect();
    assert_eq!(distinct.len(), seen.len());
}

#[test]
fn blocking_pool_is_not_a_worker() {
    let rt = Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let index = rt.block_on(async { heddle::task::spawn_blocking(worker_index).await.unwrap() });
    assert_eq!(index, None);
}
