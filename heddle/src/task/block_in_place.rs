//! `block_in_place`: blocking on a worker thread without stalling the
//! other tasks queued on it.

/// Runs the blocking closure `f` on the current thread, first moving this
/// worker's queued tasks to another thread so they keep running.
///
/// Where [`spawn_blocking`](crate::task::spawn_blocking) sends the closure
/// to another thread, `block_in_place` keeps it here (it may borrow from
/// the task, need not be `'static` or `Send`) and sends the *worker* away:
/// its run queue and LIFO slot are handed to a new thread, which carries on
/// as that worker. When `f` returns, the current task goes on running on
/// this thread; at its next `.await` that yields, the thread leaves the
/// runtime (unless `f` was so quick that the hand-off had not happened
/// yet, in which case this thread simply stays the worker).
///
/// Other code in the same task (the rest of a `join!` or `select!`) does
/// not run while `f` blocks; to run concurrently, use `spawn_blocking`.
///
/// Inside `f` the thread counts as outside the runtime: it may call
/// [`Handle::block_on`](crate::runtime::Handle::block_on), and
/// [`Handle::current`](crate::runtime::Handle::current) still works. A
/// panic in `f` unwinds through the task as if raised there.
///
/// Called outside any runtime (or inside another `block_in_place`) it
/// just runs `f`. Called from `Runtime::block_on` on a multi-thread
/// runtime it runs `f` without a hand-off (that thread is not a worker).
///
/// ```
/// # heddle::runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap().block_on(async {
/// let other = heddle::spawn(async { 21 * 2 });
/// let answer = heddle::spawn(async {
///     heddle::task::block_in_place(|| {
///         // A synchronous API; the worker's other tasks go on meanwhile.
///         std::thread::sleep(std::time::Duration::from_millis(20));
///         "done"
///     })
/// });
/// assert_eq!(other.await.unwrap(), 42);
/// assert_eq!(answer.await.unwrap(), "done");
/// # });
/// ```
///
/// # Panics
/// On the current-thread runtime (including in a `LocalSet` it drives),
/// where blocking would stall every task, and inside a `LocalSet` driven
/// by `block_on` on the multi-thread runtime (its tasks share that
/// thread), with the message "can call blocking only when running on the
/// multi-threaded runtime". As in tokio, the future given to
/// [`Handle::block_on`](crate::runtime::Handle::block_on) of a
/// current-thread runtime is the exception: there `f` just runs.
#[track_caller]
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    crate::runtime::block_in_place(f)
}
