//! `select!`, `join!` and `try_join!` as tokio 1.54 has them: type
//! inference for a branch nothing else constrains, compact futures,
//! `join!`'s rotating poll order (and `biased;`), empty invocations, and
//! no warnings for a branch of type `!`.

use std::future::poll_fn;
use std::sync::{Arc, Mutex};

use heddle::runtime::Builder;
use heddle::sync::oneshot;

fn run<F: std::future::Future>(f: F) -> F::Output {
    Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

#[test]
fn a_disabled_branch_of_unconstrained_type_needs_no_annotation() {
    run(async {
        // Nothing fixes the output type of this `poll_fn`: as in tokio it
        // falls back to `()` rather than asking for an annotation.
        let never_polled = poll_fn(|_| panic!("a disabled branch is not polled"));
        let (tx, rx) = oneshot::channel::<()>();
        tx.send(()).unwrap();
        let out = heddle::select! {
            _ = never_polled, if false => 0,
            _ = rx => 1,
        };
        assert_eq!(out, 1);
    });
}

#[deny(unreachable_code)]
#[test]
fn a_branch_of_type_never_raises_no_warning() {
    async fn never() -> std::convert::Infallible {
        std::future::pending().await
    }
    run(async {
        let out = heddle::select! {
            _ = never() => 0,
            one = async { 1 } => one,
        };
        assert_eq!(out, 1);
    });
}

#[test]
fn select_futures_are_as_small_as_tokios() {
    use std::future::ready;
    use std::mem::size_of_val;

    let one = async {
        let a = ready(0i32);
        heddle::select! { _ = a => {} }
    };
    let three = async {
        let (a, b, c) = (ready(0i32), ready(0i32), ready(0i32));
        heddle::select! {
            _ = a => {},
            _ = b => {},
            _ = c => {},
        }
    };
    // tokio 1.54's sizes on a 64-bit target (before: 64 and 96 bytes).
    assert!(size_of_val(&one) <= 32, "{}", size_of_val(&one));
    assert!(size_of_val(&three) <= 48, "{}", size_of_val(&three));
}

/// Runs `join!` (or `join!(biased; ..)`) over three futures that each
/// record their number and yield, four times; returns the order.
async fn poll_order(biased: bool) -> Vec<u32> {
    let order = Arc::new(Mutex::new(Vec::new()));
    let step = |n: u32, order: Arc<Mutex<Vec<u32>>>| async move {
        for _ in 0..4 {
            order.lock().unwrap().push(n);
            heddle::task::yield_now().await;
        }
    };
    if biased {
        heddle::join!(biased; step(1, order.clone()), step(2, order.clone()), step(3, order.clone()));
    } else {
        heddle::join!(step(1, order.clone()), step(2, order.clone()), step(3, order.clone()));
    }
    let order = order.lock().unwrap().clone();
    order
}

#[test]
fn join_starts_each_poll_with_the_next_future() {
    assert_eq!(run(poll_order(false)), [1, 2, 3, 2, 3, 1, 3, 1, 2, 1, 2, 3]);
}

#[test]
fn biased_join_always_starts_with_the_first_future() {
    assert_eq!(run(poll_order(true)), [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
}

#[test]
fn join_lets_every_future_run_when_one_spends_the_budget() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    const GREEDY_STEPS: usize = 5 * 128;
    run(async {
        let greedy_steps = AtomicUsize::new(0);
        // Spends its whole budget on every poll of the `join!`.
        let greedy = async {
            for _ in 0..GREEDY_STEPS {
                heddle::task::consume_budget().await;
                greedy_steps.fetch_add(1, SeqCst);
            }
        };
        // Needs one unit of budget; returns how far the greedy future got
        // when this one had its turn.
        let other = async {
            heddle::task::consume_budget().await;
            greedy_steps.load(SeqCst)
        };
        let ((), seen) = heddle::join!(greedy, other);
        assert!(seen < GREEDY_STEPS, "the second future only ran once the first was done");
    });
}

#[test]
fn try_join_takes_biased_and_stops_at_the_first_error() {
    run(async {
        let ok: Result<(u8, u8), ()> = heddle::try_join!(biased; async { Ok(1) }, async { Ok(2) });
        assert_eq!(ok, Ok((1, 2)));
        let (tx, rx) = oneshot::channel::<u8>();
        let err: Result<(u8, u8), &str> = heddle::try_join!(
            biased;
            async {
                // Never completes: the error below ends the `try_join!`.
                let _keep = &tx;
                std::future::pending::<Result<u8, &str>>().await
            },
            async { Err("second") },
        );
        assert_eq!(err, Err("second"));
        drop(rx);
    });
}

#[test]
#[allow(clippy::unit_cmp)]
fn empty_joins() {
    run(async {
        assert_eq!(heddle::join!(), ());
        assert_eq!(heddle::join!(biased;), ());
        assert_eq!(heddle::try_join!() as Result<(), ()>, Ok(()));
        assert_eq!(heddle::try_join!(biased;) as Result<(), ()>, Ok(()));
    });
}

#[test]
fn join_takes_more_than_twelve_futures() {
    let sum = run(async {
        let (a, b, c, d, e, f, g, h, i, j, k, l, m) = heddle::join!(
            async { 1 },
            async { 2 },
            async { 3 },
            async { 4 },
            async { 5 },
            async { 6 },
            async { 7 },
            async { 8 },
            async { 9 },
            async { 10 },
            async { 11 },
            async { 12 },
            async { 13 },
        );
        a + b + c + d + e + f + g + h + i + j + k + l + m
    });
    assert_eq!(sum, 91);
}
