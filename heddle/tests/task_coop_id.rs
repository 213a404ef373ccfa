//! `task::coop` (`consume_budget`, `unconstrained`, `has_budget_remaining`)
//! and `task::id`/`try_id`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use heddle::runtime::Builder;
use heddle::task::{self, coop};

fn current() -> heddle::runtime::Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn consume_budget_lets_other_tasks_run() {
    current().block_on(async {
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        let looper = heddle::spawn(async move {
            let mut yields_seen = 0;
            for _ in 0..2_000 {
                coop::consume_budget().await;
                if flag.load(SeqCst) {
                    yields_seen += 1;
                    break;
                }
            }
            yields_seen
        });
        let other = heddle::spawn({
            let ran = ran.clone();
            async move { ran.store(true, SeqCst) }
        });
        // The looper never awaits anything else, yet the other task, queued
        // behind it on this single thread, ran before it finished.
        assert_eq!(looper.await.unwrap(), 1);
        other.await.unwrap();
    });
}

#[test]
fn budget_runs_out_and_comes_back() {
    current().block_on(async {
        heddle::spawn(async {
            assert!(coop::has_budget_remaining());
            let mut spent = 0;
            while coop::has_budget_remaining() {
                coop::consume_budget().await;
                spent += 1;
                assert!(spent <= 10_000, "budget never ran out");
            }
            // The next operation yields, and the task comes back with a
            // fresh budget.
            coop::consume_budget().await;
            assert!(coop::has_budget_remaining());
        })
        .await
        .unwrap();
    });
}

#[test]
fn unconstrained_never_forces_a_yield() {
    current().block_on(async {
        let ran = Arc::new(AtomicBool::new(false));
        let looper = heddle::spawn({
            let ran = ran.clone();
            task::unconstrained(async move {
                for _ in 0..5_000 {
                    coop::consume_budget().await;
                    assert!(coop::has_budget_remaining());
                }
                // Nothing else ran on this thread meanwhile.
                ran.load(SeqCst)
            })
        });
        let other = heddle::spawn({
            let ran = ran.clone();
            async move { ran.store(true, SeqCst) }
        });
        assert!(!looper.await.unwrap());
        other.await.unwrap();
        // Channels inside `unconstrained` still work, and the budget is
        // back in force afterwards.
        let (tx, mut rx) = heddle::sync::mpsc::unbounded_channel();
        for i in 0..1_000u32 {
            tx.send(i).unwrap();
        }
        drop(tx);
        let sum = heddle::spawn(async move {
            let sum = task::unconstrained(async {
                let mut sum = 0u32;
                while let Some(i) = rx.recv().await {
                    sum += i;
                }
                sum
            })
            .await;
            let mut spent = 0;
            while coop::has_budget_remaining() {
                coop::consume_budget().await;
                spent += 1;
            }
            assert!(spent < 1_000, "budget not restored after unconstrained");
            sum
        })
        .await
        .unwrap();
        assert_eq!(sum, 499_500);
    });
}

#[test]
fn task_id_matches_the_join_handle() {
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    assert!(task::try_id().is_none(), "no task outside the runtime");
    rt.block_on(async {
        assert!(task::try_id().is_none(), "block_on's future is not a task");
        let mut joins = Vec::new();
        for _ in 0..20 {
            joins.push(heddle::spawn(async {
                let first = task::id();
                heddle::task::yield_now().await;
                heddle::time::sleep(std::time::Duration::from_millis(1)).await;
                assert_eq!(task::id(), first, "stable across polls and threads");
                first
            }));
        }
        let mut seen = HashSet::new();
        for join in joins {
            let expected = join.id();
            let got = join.await.unwrap();
            assert_eq!(got, expected);
            assert!(seen.insert(got), "ids are unique");
        }
    });
}

#[test]
fn task_id_is_set_while_the_future_is_dropped() {
    struct RecordOnDrop(Arc<Mutex<Option<task::Id>>>);
    impl Drop for RecordOnDrop {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = task::try_id();
        }
    }
    current().block_on(async {
        let slot = Arc::new(Mutex::new(None));
        let guard = RecordOnDrop(slot.clone());
        let join = heddle::spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        heddle::task::yield_now().await;
        let id = join.id();
        join.abort();
        assert!(join.await.unwrap_err().is_cancelled());
        assert_eq!(*slot.lock().unwrap(), Some(id));
        assert!(task::try_id().is_none(), "restored after the drop");
    });
}

#[test]
#[should_panic(expected = "can't get a task id when not inside a task")]
fn task_id_panics_outside_a_task() {
    let _ = task::id();
}
