//! Signal integration tests: real signals raised at this process. Each test
//! uses its own signal number, since handlers are process-wide and tests
//! run in parallel; `ctrl_c` runs in a re-executed child process because
//! `SIGINT` handling would otherwise change for the whole test binary.

use std::future::Future;
use std::time::Duration;

use heddle::runtime::{Builder, Runtime};
use heddle::signal::unix::{signal, SignalKind};

const LIMIT: Duration = Duration::from_secs(15);
const CHILD_ENV: &str = "HEDDLE_SIGNAL_TEST_CHILD";

fn rt() -> Runtime {
    Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn run<F: Future>(rt: &Runtime, test: F) -> F::Output {
    rt.block_on(async { heddle::time::timeout(LIMIT, test).await.expect("test timed out") })
}

fn raise(signum: i32) {
    // SAFETY: `raise` only sends a signal to the calling thread; every test
    // installs a handler for its signal before raising it.
    assert_eq!(unsafe { libc::raise(signum) }, 0);
}

#[test]
fn usr1_raised_twice_is_received_twice() {
    run(&rt(), async {
        let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
        for _ in 0..2 {
            raise(libc::SIGUSR1);
            assert_eq!(usr1.recv().await, Some(()));
        }
    });
}

#[test]
fn every_listener_sees_a_delivery_and_only_later_ones() {
    run(&rt(), async {
        let mut first = signal(SignalKind::user_defined2()).unwrap();
        let mut second = signal(SignalKind::user_defined2()).unwrap();
        raise(libc::SIGUSR2);
        assert_eq!(first.recv().await, Some(()));
        assert_eq!(second.recv().await, Some(()));
        // A listener made after a delivery was dispatched does not see it.
        let mut late = signal(SignalKind::user_defined2()).unwrap();
        assert!(heddle::time::timeout(Duration::from_millis(50), late.recv()).await.is_err());
        raise(libc::SIGUSR2);
        assert_eq!(late.recv().await, Some(()));
        assert_eq!(first.recv().await, Some(()));
        assert_eq!(second.recv().await, Some(()));
    });
}

#[test]
fn listener_on_another_task_is_woken() {
    run(&rt(), async {
        let mut hup = signal(SignalKind::hangup()).unwrap();
        let waiter = heddle::spawn(async move { hup.recv().await });
        heddle::time::sleep(Duration::from_millis(20)).await;
        raise(libc::SIGHUP);
        assert_eq!(waiter.await.unwrap(), Some(()));
    });
}

#[test]
fn survives_the_driver_runtime_shutting_down() {
    // The first runtime to listen hosts the driver; when it goes away, a
    // listener on another runtime must still get deliveries.
    let first = rt();
    run(&first, async {
        let mut s = signal(SignalKind::window_change()).unwrap();
        raise(libc::SIGWINCH);
        s.recv().await;
    });
    let second = Builder::new_current_thread().enable_all().build().unwrap();
    let mut s = second.block_on(async { signal(SignalKind::window_change()).unwrap() });
    drop(first);
    run(&second, async {
        raise(libc::SIGWINCH);
        assert_eq!(s.recv().await, Some(()));
    });
}

#[test]
fn forbidden_signals_are_rejected() {
    run(&rt(), async {
        assert!(signal(SignalKind::from_raw(libc::SIGKILL)).is_err());
        assert!(signal(SignalKind::from_raw(libc::SIGSEGV)).is_err());
        assert!(signal(SignalKind::from_raw(0)).is_err());
        assert!(signal(SignalKind::from_raw(1000)).is_err());
        assert_eq!(SignalKind::terminate().as_raw_value(), libc::SIGTERM);
        assert_eq!(SignalKind::child().as_raw_value(), libc::SIGCHLD);
    });
}

/// The parent half re-runs this test binary with [`CHILD_ENV`] set; the
/// child half raises `SIGINT` at itself and must see it through `ctrl_c`
/// instead of dying.
#[test]
fn ctrl_c_in_child_process() {
    if std::env::var_os(CHILD_ENV).is_some() {
        run(&rt(), async {
            let mut ctrl_c = std::pin::pin!(heddle::signal::ctrl_c());
            // The first poll installs the handler.
            assert!(futures::poll!(ctrl_c.as_mut()).is_pending());
            raise(libc::SIGINT);
            ctrl_c.await.unwrap();
            println!("got ctrl-c");
        });
        return;
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "ctrl_c_in_child_process", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child failed: {:?}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("got ctrl-c"), "{stdout}");
}
