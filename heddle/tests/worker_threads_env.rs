//! `HEDDLE_WORKER_THREADS` sets the default worker count, as
//! `TOKIO_WORKER_THREADS` does for tokio. A test binary of its own, because
//! it changes the process environment.

#[test]
fn env_var_sets_the_default_worker_count_and_rejects_garbage() {
    std::env::set_var("HEDDLE_WORKER_THREADS", "3");
    let rt = heddle::runtime::Builder::new_multi_thread().build().unwrap();
    assert_eq!(rt.metrics().num_workers(), 3);
    // An explicit setting wins over the env var.
    let rt = heddle::runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap();
    assert_eq!(rt.metrics().num_workers(), 1);
    std::env::set_var("HEDDLE_WORKER_THREADS", "zero");
    let err = heddle::runtime::Builder::new_multi_thread().build().unwrap_err();
    assert!(err.to_string().contains("HEDDLE_WORKER_THREADS"), "{err}");
    std::env::remove_var("HEDDLE_WORKER_THREADS");
}
