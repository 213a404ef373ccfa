//! A task that yields runs again only after the runtime has polled its
//! I/O driver, as in tokio: a task spinning on `yield_now` (or spending
//! its whole budget each poll) while it waits for another task's I/O sees
//! that I/O after one yield, not after a batch of them.

mod support;

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;

use heddle::net::UdpSocket;
use heddle::runtime::{Builder, Runtime};

/// Units in a task poll's budget (tokio's, and heddle's).
const BUDGET: usize = 128;

/// How the spinner gives the thread back.
#[derive(Clone, Copy, Debug)]
enum Spin {
    YieldNow,
    SpendBudget,
}

impl Spin {
    async fn once(self) {
        match self {
            Spin::YieldNow => heddle::task::yield_now().await,
            // The last unit is spent with the budget already at zero: the
            // task is made to yield there.
            Spin::SpendBudget => {
                for _ in 0..=BUDGET {
                    heddle::task::coop::consume_budget().await;
                }
            }
        }
    }
}

fn current_thread() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

/// One worker: the spinner, the reader and the reactor share it.
fn one_worker() -> Runtime {
    Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap()
}

/// Spawns a task that waits for one 4-byte datagram on a new loopback
/// socket and then sets the flag; returns the socket's address, the flag
/// and the task.
async fn spawn_reader() -> (std::net::SocketAddr, Arc<AtomicBool>, heddle::task::JoinHandle<()>) {
    let rx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = rx.local_addr().unwrap();
    let got = Arc::new(AtomicBool::new(false));
    let reader = heddle::spawn({
        let got = got.clone();
        async move {
            let mut buf = [0u8; 4];
            assert_eq!(rx.recv(&mut buf).await.unwrap(), 4);
            got.store(true, SeqCst);
        }
    });
    (addr, got, reader)
}

/// A reader waits for a datagram; a spinner sends it over loopback (it is
/// in the reader's socket when `send_to` returns), then spins until the
/// reader has it. Returns how many times the spinner yielded meanwhile.
async fn spins_until_read(spin: Spin) -> usize {
    let (addr, got, reader) = spawn_reader().await;
    let spinner = heddle::spawn(async move {
        // Let the reader register its interest before the datagram comes.
        heddle::task::yield_now().await;
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        tx.send_to(b"ping", addr).unwrap();
        let mut spins = 0;
        while !got.load(SeqCst) && spins < 10_000 {
            spin.once().await;
            spins += 1;
        }
        spins
    });
    reader.await.unwrap();
    spinner.await.unwrap()
}

/// Both runtimes and both ways to yield: the reader's wake-up is seen at
/// the first driver poll, which comes before the spinner runs again. (A
/// scheduler that reran yielded tasks until its next periodic driver poll
/// let the spinner go round ~30 times on the current-thread runtime, ~60
/// on a worker.)
#[test]
fn a_yielded_task_runs_again_only_after_the_driver_was_polled() {
    for (name, rt) in [("current_thread", current_thread()), ("multi_thread", one_worker())] {
        for spin in [Spin::YieldNow, Spin::SpendBudget] {
            let spins = support::run(&rt, spins_until_read(spin));
            assert!(spins >= 1, "{name} {spin:?}: the reader cannot have the datagram before it is sent");
            assert!(spins <= 2, "{name} {spin:?}: the spinner yielded {spins} times before the reader woke");
        }
    }
}

/// tokio's `coop_budget_udp_send_recv`: the `block_on` future sends and
/// receives datagrams, yielding only when its budget (two units a round
/// trip) runs out, while a task counts its turns in a `yield_now` loop.
/// The task runs once per exhausted budget: 1024 / 64 = 16 times.
#[test]
fn a_yield_loop_runs_once_per_budget_of_the_block_on_future() {
    const ROUNDS: usize = 1024;
    let rt = current_thread();
    let turns = support::run(&rt, async {
        let tx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let rx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        tx.connect(rx.local_addr().unwrap()).await.unwrap();
        rx.connect(tx.local_addr().unwrap()).await.unwrap();
        let turns = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        heddle::task::yield_now().await;
        let spinner = heddle::spawn({
            let turns = turns.clone();
            async move {
                loop {
                    turns.fetch_add(1, SeqCst);
                    heddle::task::yield_now().await;
                }
            }
        });
        for _ in 0..ROUNDS {
            tx.send(b"ping").await.unwrap();
            let mut buf = [0u8; 4];
            assert_eq!(rx.recv(&mut buf).await.unwrap(), 4);
        }
        spinner.abort();
        turns.load(SeqCst)
    });
    assert_eq!(turns, ROUNDS / (BUDGET / 2));
}

/// A task woken by another thread while it runs has not yielded: it goes
/// back in the queue at once (as in tokio) and runs again before the
/// driver is next polled, rather than being held like a yielded task.
/// Seen here as: when it runs again, a datagram already sent has not yet
/// reached its reader, because only a driver poll delivers it.
#[test]
fn a_task_woken_by_another_thread_while_it_runs_is_not_held_for_the_driver() {
    // No periodic driver poll may fall in between by chance.
    let current = Builder::new_current_thread().event_interval(1_000_000).enable_all().build().unwrap();
    let multi = Builder::new_multi_thread().worker_threads(1).event_interval(1_000_000).enable_all().build().unwrap();
    for (name, rt) in [("current_thread", current), ("multi_thread", multi)] {
        let reader_had_it = support::run(&rt, async {
            let (addr, got, reader) = spawn_reader().await;
            let woken = heddle::spawn(async move {
                // Let the reader register its interest first.
                heddle::task::yield_now().await;
                let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
                tx.send_to(b"ping", addr).unwrap();
                let mut first = true;
                std::future::poll_fn(|cx| {
                    if std::mem::take(&mut first) {
                        let waker = cx.waker().clone();
                        std::thread::spawn(move || waker.wake()).join().unwrap();
                        return std::task::Poll::Pending;
                    }
                    std::task::Poll::Ready(())
                })
                .await;
                got.load(SeqCst)
            });
            let reader_had_it = woken.await.unwrap();
            reader.await.unwrap();
            reader_had_it
        });
        assert!(!reader_had_it, "{name}: the woken task was held until the driver had been polled");
    }
}
