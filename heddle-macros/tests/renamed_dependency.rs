//! A program ported from tokio by renaming the crate: this package's
//! `Cargo.toml` has `tokio = { package = "heddle", .. }` as a
//! dev-dependency and nothing named `heddle`, so these attributes compile
//! only if the expansion reaches the runtime as `::tokio` (the name read from
//! the manifest) rather than `::heddle`.

use tokio::runtime::{Handle, RuntimeFlavor};

/// The flavor and worker count of the runtime the caller runs on.
fn current_runtime() -> (RuntimeFlavor, usize) {
    let handle = Handle::current();
    (handle.runtime_flavor(), handle.metrics().num_workers())
}

#[tokio::main(flavor = "current_thread")]
async fn compute() -> usize {
    let join = tokio::spawn(async { 41 });
    join.await.expect("task failed") + 1
}

#[test]
fn main_through_renamed_dependency() {
    assert_eq!(compute(), 42);
}

#[tokio::main(worker_threads = 2)]
async fn on_two_workers() -> Result<(RuntimeFlavor, usize), Box<dyn std::error::Error>> {
    let parsed: usize = "2".parse()?;
    let (flavor, workers) = tokio::spawn(async { current_runtime() }).await?;
    assert_eq!(workers, parsed);
    Ok((flavor, workers))
}

#[test]
fn multi_thread_main_through_renamed_dependency() {
    assert_eq!(on_two_workers().expect("body failed"), (RuntimeFlavor::MultiThread, 2));
}

#[tokio::test]
async fn test_through_renamed_dependency() {
    assert_eq!(current_runtime().0, RuntimeFlavor::CurrentThread);
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move { tx.send("sent").expect("receiver dropped") });
    assert_eq!(rx.await.expect("sender dropped"), "sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn multi_thread_test_through_renamed_dependency() {
    assert_eq!(current_runtime(), (RuntimeFlavor::MultiThread, 3));
}

struct Accumulator(u32);

impl Accumulator {
    /// A method with a receiver, through the renamed crate.
    #[tokio::main(flavor = "current_thread")]
    async fn add(&mut self, n: u32) -> u32 {
        self.0 += tokio::spawn(async move { n }).await.expect("task failed");
        self.0
    }
}

#[test]
fn method_through_renamed_dependency() {
    let mut acc = Accumulator(1);
    assert_eq!(acc.add(2), 3);
    assert_eq!(acc.add(4), 7);
}

/// The explicit option names the same crate; it wins over the manifest.
#[tokio::test(crate = "tokio")]
async fn explicit_crate_option() {
    assert_eq!(tokio::spawn(async { 5 }).await.expect("task failed"), 5);
}
