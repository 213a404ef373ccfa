//! A timer used on a runtime that has shut down panics with a clear
//! message instead of waiting forever for a driver that is gone.

use std::time::Duration;

use heddle::runtime::{Builder, Handle};

fn runtimes() -> Vec<heddle::runtime::Runtime> {
    vec![
        Builder::new_current_thread().enable_all().build().unwrap(),
        Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap(),
    ]
}

#[test]
fn a_sleep_made_before_the_shutdown_panics_when_polled_after() {
    for rt in runtimes() {
        let handle = rt.handle().clone();
        let sleep = {
            let _enter = rt.enter();
            heddle::time::sleep(Duration::from_millis(100))
        };
        rt.shutdown_timeout(Duration::from_secs(5));
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handle.block_on(sleep)))
            .expect_err("a sleep on a shut-down runtime completed or hung");
        let message = panic.downcast_ref::<String>().map(String::as_str).unwrap_or_default();
        assert!(message.contains("being shut down"), "unexpected panic: {message}");
    }
}

#[test]
fn a_sleep_made_after_the_shutdown_panics_too() {
    for rt in runtimes() {
        let _enter = rt.enter();
        let handle = Handle::current();
        rt.shutdown_timeout(Duration::from_secs(5));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            handle.block_on(heddle::time::sleep(Duration::from_millis(100)))
        }));
        assert!(result.is_err(), "a sleep on a shut-down runtime completed");
    }
}
