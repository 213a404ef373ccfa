//! `JoinSet` on real runtimes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use heddle::task::JoinSet;
use heddle::time::{sleep, timeout};

const LIMIT: Duration = Duration::from_secs(10);

#[heddle::test(flavor = "multi_thread", worker_threads = 2)]
async fn joins_in_completion_order() {
    let mut set = JoinSet::new();
    for (i, ms) in [(0u32, 60u64), (1, 1), (2, 30)] {
        set.spawn(async move {
            sleep(Duration::from_millis(ms)).await;
            i
        });
    }
    assert_eq!(set.len(), 3);
    let mut order = Vec::new();
    timeout(LIMIT, async {
        while let Some(r) = set.join_next().await {
            order.push(r.unwrap());
        }
    })
    .await
    .unwrap();
    assert_eq!(order, [1, 2, 0]);
    assert!(set.is_empty());
    assert!(set.join_next().await.is_none());
}

#[heddle::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks() {
    let mut set = JoinSet::new();
    for i in 0..2000u64 {
        set.spawn(async move {
            heddle::task::yield_now().await;
            i
        });
    }
    let mut sum = 0;
    timeout(LIMIT, async {
        while let Some(r) = set.join_next().await {
            sum += r.unwrap();
        }
    })
    .await
    .unwrap();
    assert_eq!(sum, 1999 * 2000 / 2);
}

struct OnDrop(Arc<AtomicUsize>);
impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[heddle::test]
async fn drop_aborts_all() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let mut set = JoinSet::new();
    for _ in 0..5 {
        let guard = OnDrop(dropped.clone());
        set.spawn(async move {
            let _g = guard;
            sleep(Duration::from_secs(60)).await;
        });
    }
    heddle::task::yield_now().await;
    drop(set);
    timeout(LIMIT, async {
        while dropped.load(Ordering::SeqCst) < 5 {
            heddle::task::yield_now().await;
        }
    })
    .await
    .expect("all tasks dropped after the JoinSet was");
}

#[heddle::test]
async fn abort_all_and_shutdown() {
    let mut set = JoinSet::new();
    for _ in 0..3 {
        set.spawn(async { sleep(Duration::from_secs(60)).await });
    }
    set.abort_all();
    let mut cancelled = 0;
    while let Some(r) = timeout(LIMIT, set.join_next()).await.unwrap() {
        assert!(r.unwrap_err().is_cancelled());
        cancelled += 1;
    }
    assert_eq!(cancelled, 3);

    for _ in 0..3 {
        set.spawn(async { sleep(Duration::from_secs(60)).await });
    }
    timeout(LIMIT, set.shutdown()).await.unwrap();
    assert!(set.is_empty());
}

#[heddle::test]
async fn try_join_next_and_detach() {
    let mut set = JoinSet::new();
    assert!(set.try_join_next().is_none());
    set.spawn(async { 1 });
    let got = timeout(LIMIT, async {
        loop {
            if let Some(r) = set.try_join_next() {
                break r.unwrap();
            }
            heddle::task::yield_now().await;
        }
    })
    .await
    .unwrap();
    assert_eq!(got, 1);

    let (tx, rx) = heddle::sync::oneshot::channel();
    set.spawn(async move {
        sleep(Duration::from_millis(5)).await;
        tx.send(()).unwrap();
        2
    });
    set.detach_all();
    assert!(set.is_empty());
    drop(set);
    // Detached: the task runs to completion even though the set is gone.
    timeout(LIMIT, rx).await.unwrap().unwrap();
}

#[heddle::test]
async fn panics_and_blocking_tasks() {
    let mut set = JoinSet::new();
    set.spawn(async { panic!("in set") });
    set.spawn_blocking(|| 5);
    let mut panics = 0;
    let mut values = Vec::new();
    while let Some(r) = timeout(LIMIT, set.join_next()).await.unwrap() {
        match r {
            Ok(v) => values.push(v),
            Err(e) => {
                assert!(e.is_panic());
                panics += 1;
            }
        }
    }
    assert_eq!((panics, values), (1, vec![5]));
}

#[heddle::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_all_returns_outputs_in_completion_order() {
    let set: JoinSet<u64> = [(3u64, 40u64), (1, 1), (2, 20)]
        .into_iter()
        .map(|(i, ms)| async move {
            sleep(Duration::from_millis(ms)).await;
            i
        })
        .collect();
    assert_eq!(set.len(), 3);
    let out = timeout(LIMIT, set.join_all()).await.unwrap();
    assert_eq!(out, [1, 2, 3]);
}

#[heddle::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_all_resumes_a_task_panic_and_aborts_the_rest() {
    let dropped = Arc::new(AtomicUsize::new(0));
    struct CountDrop(Arc<AtomicUsize>);
    impl Drop for CountDrop {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let mut set = JoinSet::new();
    set.spawn(async { panic!("task failed") });
    for _ in 0..3 {
        let guard = CountDrop(dropped.clone());
        set.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
    }
    let err = heddle::spawn(set.join_all()).await.unwrap_err();
    let payload = err.into_panic();
    assert_eq!(payload.downcast_ref::<&str>().copied(), Some("task failed"));
    timeout(LIMIT, async {
        while dropped.load(Ordering::SeqCst) < 3 {
            sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("the pending tasks were aborted");
}

#[heddle::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_and_extend_and_blocking_on() {
    let mut set = JoinSet::new();
    let a = set.spawn(async { 1u32 });
    set.extend((2..=3u32).map(|i| async move { i }));
    let handle = heddle::runtime::Handle::current();
    let b = set.spawn_blocking_on(
        || {
            std::thread::sleep(Duration::from_millis(5));
            4u32
        },
        &handle,
    );
    let mut seen = Vec::new();
    timeout(LIMIT, async {
        while let Some(r) = set.join_next_with_id().await {
            let (id, v) = r.unwrap();
            if v == 1 {
                assert_eq!(id, a.id());
            }
            if v == 4 {
                assert_eq!(id, b.id());
            }
            seen.push(v);
        }
    })
    .await
    .unwrap();
    seen.sort();
    assert_eq!(seen, [1, 2, 3, 4]);

    // try_join_next_with_id: nothing before the task finishes.
    let c = set.spawn(async {
        sleep(Duration::from_millis(20)).await;
        5u32
    });
    assert!(set.try_join_next_with_id().is_none());
    sleep(Duration::from_millis(60)).await;
    let (id, v) = set.try_join_next_with_id().unwrap().unwrap();
    assert_eq!((id, v), (c.id(), 5));
}

#[test]
fn spawn_local_on_a_local_set() {
    use std::rc::Rc;
    let rt = heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let local = heddle::task::LocalSet::new();
    let mut set = JoinSet::new();
    let counter = Rc::new(std::cell::Cell::new(0));
    for _ in 0..5 {
        let counter = counter.clone();
        set.spawn_local_on(
            async move {
                sleep(Duration::from_millis(1)).await;
                counter.set(counter.get() + 1);
            },
            &local,
        );
    }
    local.block_on(&rt, async {
        let c = counter.clone();
        set.spawn_local(async move { c.set(c.get() + 10) });
        while let Some(r) = set.join_next().await {
            r.unwrap();
        }
    });
    assert_eq!(counter.get(), 15);
}

#[heddle::test]
async fn try_join_next_sees_every_finished_task_whatever_the_budget() {
    let mut set = JoinSet::new();
    for i in 0..1000u32 {
        set.spawn(async move { i });
    }
    // Let all of them finish.
    while heddle::runtime::Handle::current().metrics().num_alive_tasks() > 0 {
        heddle::task::yield_now().await;
    }
    let mut joined = 0;
    // One synchronous run: no yield refreshes the budget in between.
    while let Some(result) = set.try_join_next() {
        result.unwrap();
        joined += 1;
    }
    assert_eq!(joined, 1000, "try_join_next stopped early");
    assert!(set.is_empty());
}
