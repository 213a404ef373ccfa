//! `select!`, `join!`, `try_join!` and `pin!` on real runtimes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use heddle::sync::mpsc;
use heddle::time::{sleep, timeout};

const LIMIT: Duration = Duration::from_secs(10);

#[heddle::test]
async fn select_first_ready_wins_and_others_are_dropped() {
    struct DropFlag(Arc<AtomicUsize>);
    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let flag = DropFlag(drops.clone());
    let out = timeout(LIMIT, async {
        heddle::select! {
            _ = async move { let _f = flag; sleep(Duration::from_secs(60)).await } => 0,
            v = async { 5 } => v,
        }
    })
    .await
    .unwrap();
    assert_eq!(out, 5);
    assert_eq!(drops.load(Ordering::SeqCst), 1, "losing future dropped when select! returns");
}

#[heddle::test(flavor = "multi_thread", worker_threads = 2)]
async fn select_cancellation_loses_no_message() {
    let (tx, mut rx) = mpsc::channel::<u32>(4);
    let producer = heddle::spawn(async move {
        for i in 0..500u32 {
            tx.send(i).await.unwrap();
            if i % 7 == 0 {
                heddle::task::yield_now().await;
            }
        }
    });
    let mut got = Vec::new();
    let mut ticks = 0u32;
    timeout(LIMIT, async {
        loop {
            heddle::select! {
                msg = rx.recv() => match msg {
                    Some(v) => got.push(v),
                    None => break,
                },
                // Wins often, cancelling the pending recv.
                _ = heddle::task::yield_now() => ticks += 1,
            }
        }
    })
    .await
    .unwrap();
    producer.await.unwrap();
    assert_eq!(got, (0..500).collect::<Vec<_>>());
    assert!(ticks > 0);
}

#[heddle::test]
async fn select_else_when_all_patterns_fail() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    drop(tx);
    let out = heddle::select! {
        Some(v) = rx.recv() => v,
        Some(v) = async { None::<u32> } => v,
        else => 99,
    };
    assert_eq!(out, 99);
}

#[heddle::test]
async fn select_pattern_mismatch_disables_branch_only() {
    // The first branch finishes at once with None (no match); the second
    // finishes later and wins.
    let out = timeout(LIMIT, async {
        heddle::select! {
            biased;
            Some(v) = async { None::<u32> } => v,
            v = async { sleep(Duration::from_millis(5)).await; 7 } => v,
        }
    })
    .await
    .unwrap();
    assert_eq!(out, 7);
}

#[heddle::test]
async fn select_precondition_disables_branch() {
    let mut polled = false;
    let out = heddle::select! {
        v = async { polled = true; 1 }, if false => v,
        v = async { 2 } => v,
    };
    assert_eq!(out, 2);
    assert!(!polled, "a disabled branch's future is never polled");

    let all_off = heddle::select! {
        v = async { 1 }, if 1 > 2 => v,
        else => 0,
    };
    assert_eq!(all_off, 0);
}

#[heddle::test]
async fn select_biased_polls_in_order() {
    for _ in 0..50 {
        let out = heddle::select! {
            biased;
            v = async { 1 } => v,
            v = async { 2 } => v,
            v = async { 3 } => v,
        };
        assert_eq!(out, 1);
    }
}

#[heddle::test]
async fn select_unbiased_picks_varied_branches() {
    let mut seen = [0u32; 3];
    for _ in 0..300 {
        let i: usize = heddle::select! {
            v = async { 0 } => v,
            v = async { 1 } => v,
            v = async { 2 } => v,
        };
        seen[i] += 1;
    }
    assert!(seen.iter().all(|&n| n > 20), "random start branch: {seen:?}");
}

#[heddle::test]
async fn select_handlers_can_break_and_use_borrowed_state() {
    let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
    for i in 0..3 {
        tx.send(i).unwrap();
    }
    drop(tx);
    let mut sum = 0;
    loop {
        heddle::select! {
            Some(v) = rx.recv() => {
                // `rx` is free again: the recv future was dropped.
                sum += v;
                let _ = rx.is_closed();
            }
            else => break,
        }
    }
    assert_eq!(sum, 3);
}

#[heddle::test]
async fn select_mut_binding_and_block_handlers() {
    let out = heddle::select! {
        Some(mut v) = async { Some(vec![1]) } => { v.push(2); v }
        else => { Vec::new() }
    };
    assert_eq!(out, vec![1, 2]);
}

#[heddle::test]
#[should_panic(expected = "all branches are disabled")]
async fn select_without_else_panics_when_all_disabled() {
    let _: u32 = heddle::select! {
        Some(v) = async { None::<u32> } => v,
    };
}

#[heddle::test]
async fn select_with_only_else_runs_it() {
    let out = heddle::select! {
        else => 7,
    };
    assert_eq!(out, 7);
    let biased = heddle::select! {
        biased;
        else => 8,
    };
    assert_eq!(biased, 8);
}

#[heddle::test]
async fn select_takes_up_to_64_branches() {
    // Twenty branches: only the one whose number matches finishes.
    let winner = 17;
    let pick = |n: u32| async move {
        if n != winner {
            std::future::pending::<()>().await;
        }
        n
    };
    let out = heddle::select! {
        v = pick(0) => v, v = pick(1) => v, v = pick(2) => v, v = pick(3) => v, v = pick(4) => v,
        v = pick(5) => v, v = pick(6) => v, v = pick(7) => v, v = pick(8) => v, v = pick(9) => v,
        v = pick(10) => v, v = pick(11) => v, v = pick(12) => v, v = pick(13) => v, v = pick(14) => v,
        v = pick(15) => v, v = pick(16) => v, v = pick(17) => v, v = pick(18) => v, v = pick(19) => v,
    };
    assert_eq!(out, winner);
}

#[heddle::test]
async fn select_patterns_may_bind_by_ref_mut() {
    let out = heddle::select! {
        Some(ref mut text) = async { Some(String::from("a")) } => {
            text.push('b');
            text.clone()
        },
    };
    assert_eq!(out, "ab");
    let moved = heddle::select! {
        Some(mut text) = async { Some(String::from("x")) } => {
            text.push('y');
            text
        },
    };
    assert_eq!(moved, "xy");
}

#[heddle::test]
async fn select_keeps_temporaries_of_its_operands_alive() {
    // `&mut ready(..)` borrows a temporary that must outlive the polling.
    let out = heddle::select! {
        v = &mut std::future::ready(3) => v,
    };
    assert_eq!(out, 3);
}

#[heddle::test]
async fn select_yields_when_the_budget_is_spent() {
    // A select! whose first branch spends one unit of budget and whose
    // second is always ready: once the task's budget is gone, the select!
    // itself must yield instead of running the ready branch forever.
    let once = || {
        Box::pin(async {
            heddle::select! {
                biased;
                () = heddle::task::coop::consume_budget() => {},
                () = std::future::ready(()) => {},
            }
        })
    };
    let mut completed = 0;
    loop {
        if futures::poll!(&mut once()).is_pending() {
            break;
        }
        completed += 1;
        assert!(completed < 10_000, "select! never yielded");
    }
    assert!(completed > 0, "the budget starts full");
}

#[heddle::test]
async fn join_and_try_join() {
    let (a, b, c) = heddle::join!(
        async {
            sleep(Duration::from_millis(5)).await;
            1
        },
        async { 2 },
        async {
            heddle::task::yield_now().await;
            3
        },
    );
    assert_eq!((a, b, c), (1, 2, 3));

    let ok: Result<(u8, &str), String> = heddle::try_join!(async { Ok(1) }, async { Ok("x") });
    assert_eq!(ok, Ok((1, "x")));

    let started = std::time::Instant::now();
    let err: Result<((), ()), &str> = heddle::try_join!(
        async {
            sleep(Duration::from_secs(30)).await;
            Ok(())
        },
        async { Err("fail") },
    );
    assert_eq!(err, Err("fail"));
    assert!(started.elapsed() < Duration::from_secs(5), "try_join! returns on the first error");
}

#[heddle::test]
async fn pin_forms() {
    let fut = async { 3 };
    heddle::pin!(fut);
    assert_eq!((&mut fut).await, 3);
    heddle::pin! {
        let a = async { 1 };
        let b = async { 2 };
    }
    assert_eq!(a.await + b.await, 3);
    // A pinned future can be polled repeatedly in a select! loop.
    let slow = sleep(Duration::from_millis(20));
    heddle::pin!(slow);
    let mut loops = 0;
    loop {
        heddle::select! {
            _ = &mut slow => break,
            _ = heddle::task::yield_now() => loops += 1,
        }
    }
    assert!(loops > 0);
}
