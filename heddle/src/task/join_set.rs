//! `JoinSet`: a collection of spawned tasks, awaited in completion order.
//!
//! Each task gets its own small waker. When a task finishes, its waker
//! puts the task's key on a shared ready list and wakes whoever awaits
//! [`JoinSet::join_next`], which then polls only the tasks on that list:
//! O(1) amortised work per completion, however many tasks are in the set.

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use slab::Slab;

use super::{AbortHandle, Id, JoinError, JoinHandle};
use crate::loom::sync::atomic::{AtomicBool, Ordering::*};
use crate::loom::sync::Mutex;
use crate::runtime::Handle;

/// A set of tasks spawned on a runtime, whose outputs are taken in the
/// order the tasks finish.
///
/// Dropping a `JoinSet` aborts every task still in it.
///
/// ```
/// use heddle::task::JoinSet;
///
/// # heddle::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap().block_on(async {
/// let mut set = JoinSet::new();
/// for i in 0..10u64 {
///     set.spawn(async move { i * i });
/// }
/// let mut total = 0;
/// while let Some(result) = set.join_next().await {
///     total += result.unwrap();
/// }
/// assert_eq!(total, 285);
/// # });
/// ```
pub struct JoinSet<T> {
    entries: Slab<Entry<T>>,
    ready: Arc<ReadyList>,
}

struct Entry<T> {
    handle: JoinHandle<T>,
    waker: Arc<EntryWaker>,
}

/// Keys of tasks that woke since `join_next` last looked, and the waker of
/// whoever awaits `join_next`.
struct ReadyList {
    inner: Mutex<ReadyInner>,
}

struct ReadyInner {
    keys: Vec<usize>,
    waker: Option<Waker>,
}

struct EntryWaker {
    key: usize,
    /// True while `key` is on the ready list (so it is pushed once).
    queued: AtomicBool,
    list: Arc<ReadyList>,
}

impl Wake for EntryWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queued.swap(true, AcqRel) {
            return;
        }
        let waker = {
            let mut inner = self.list.inner.lock().unwrap();
            inner.keys.push(self.key);
            inner.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet {
            entries: Slab::new(),
            ready: Arc::new(ReadyList { inner: Mutex::new(ReadyInner { keys: Vec::new(), waker: None }) }),
        }
    }

    /// Number of tasks in the set (finished ones count until joined).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds an already spawned task.
    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        let slot = self.entries.vacant_entry();
        // New tasks start queued: the first `join_next` polls them so
        // their wakers get registered.
        let waker = Arc::new(EntryWaker { key: slot.key(), queued: AtomicBool::new(true), list: self.ready.clone() });
        self.ready.inner.lock().unwrap().keys.push(slot.key());
        slot.insert(Entry { handle, waker });
        abort
    }

    /// Aborts every task; they stay in the set until joined (as cancelled
    /// [`JoinError`]s, unless they finished first).
    pub fn abort_all(&mut self) {
        for (_, entry) in self.entries.iter() {
            entry.handle.abort();
        }
    }

    /// Removes every task from the set without aborting them: they keep
    /// running, detached.
    pub fn detach_all(&mut self) {
        self.entries.clear();
        self.ready.inner.lock().unwrap().keys.clear();
    }

    /// Waits for the next task to finish and returns its output; `None`
    /// when the set is empty.
    ///
    /// Cancel-safe: if the future is dropped, no output is lost.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// The output of a task that already finished, if any, without waiting.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        struct Noop;
        impl Wake for Noop {
            fn wake(self: Arc<Self>) {}
        }
        let waker = Waker::from(Arc::new(Noop));
        // Not async, so it cannot yield: the budget must not make it miss
        // a task that has finished.
        let _lifted = crate::runtime::coop::BudgetLifted::new();
        match self.poll_join_next(&mut Context::from_waker(&waker)) {
            Poll::Ready(out) => out,
            Poll::Pending => None,
        }
    }

    /// Aborts every task and waits for all of them to stop.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Like [`join_next`](Self::join_next), also giving the finished
    /// task's id (a failed task's id is in its [`JoinError`]).
    pub async fn join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        poll_fn(|cx| self.poll_join_next_with_id(cx)).await
    }

    /// Like [`try_join_next`](Self::try_join_next), also giving the
    /// finished task's id.
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        struct Noop;
        impl Wake for Noop {
            fn wake(self: Arc<Self>) {}
        }
        let waker = Waker::from(Arc::new(Noop));
        let _lifted = crate::runtime::coop::BudgetLifted::new();
        match self.poll_join_next_with_id(&mut Context::from_waker(&waker)) {
            Poll::Ready(out) => out,
            Poll::Pending => None,
        }
    }

    /// Waits for every task and returns their outputs, in the order the
    /// tasks finished.
    ///
    /// ```
    /// use heddle::task::JoinSet;
    ///
    /// # heddle::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap().block_on(async {
    /// let set: JoinSet<u32> = (1..=4u32).map(|i| async move { i * 10 }).collect();
    /// let mut outputs = set.join_all().await;
    /// outputs.sort();
    /// assert_eq!(outputs, [10, 20, 30, 40]);
    /// # });
    /// ```
    ///
    /// # Panics
    /// If a task panicked or was cancelled: the panic is resumed here (or a
    /// new one raised for a cancellation), after the remaining tasks are
    /// aborted (dropping the set). Use [`join_next`](Self::join_next) to
    /// handle failures one by one instead.
    pub async fn join_all(mut self) -> Vec<T> {
        let mut outputs = Vec::with_capacity(self.len());
        while let Some(result) = self.join_next().await {
            match result {
                Ok(out) => outputs.push(out),
                Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
                Err(err) => panic!("{err}"),
            }
        }
        outputs
    }

    /// Polls for the next finished task; used by `join_next`.
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_join_next_with_id(cx).map(|next| next.map(|result| result.map(|(_, out)| out)))
    }

    /// Polls for the next finished task, with its id.
    pub fn poll_join_next_with_id(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<(Id, T), JoinError>>> {
        if self.entries.is_empty() {
            return Poll::Ready(None);
        }
        let (keys, _replaced) = {
            let mut inner = self.ready.inner.lock().unwrap();
            // The waker replaced is dropped after the lock is released:
            // its drop may run arbitrary code, even use this set.
            let replaced = match &inner.waker {
                Some(w) if w.will_wake(cx.waker()) => None,
                _ => inner.waker.replace(cx.waker().clone()),
            };
            (std::mem::take(&mut inner.keys), replaced)
        };
        // One pass over what woke. Tasks that wake again meanwhile are
        // queued again and wake us, so we are polled again.
        for (n, &key) in keys.iter().enumerate() {
            let Some(entry) = self.entries.get_mut(key) else { continue };
            entry.waker.queued.store(false, Release);
            let waker = Waker::from(entry.waker.clone());
            if let Poll::Ready(out) = Pin::new(&mut entry.handle).poll(&mut Context::from_waker(&waker)) {
                let id = entry.handle.id();
                self.entries.remove(key);
                let rest = &keys[n + 1..];
                if !rest.is_empty() {
                    // Still flagged `queued`: put them back, first in line.
                    let mut inner = self.ready.inner.lock().unwrap();
                    let mut merged = rest.to_vec();
                    merged.append(&mut inner.keys);
                    inner.keys = merged;
                }
                return Poll::Ready(Some(out.map(|out| (id, out))));
            }
        }
        Poll::Pending
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// Spawns `task` on the current runtime and adds it to the set.
    ///
    /// # Panics
    /// Outside a heddle runtime.
    #[track_caller]
    pub fn spawn<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(super::spawn(task))
    }

    /// Spawns `task` on the runtime of `handle` and adds it to the set.
    pub fn spawn_on<F>(&mut self, task: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(handle.spawn(task))
    }

    /// Runs the blocking closure `f` on the blocking pool and adds it to
    /// the set.
    ///
    /// # Panics
    /// Outside a heddle runtime.
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.insert(super::spawn_blocking(f))
    }

    /// Runs the blocking closure `f` on the blocking pool of `handle`'s
    /// runtime and adds it to the set.
    pub fn spawn_blocking_on<F>(&mut self, f: F, handle: &Handle) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.insert(handle.spawn_blocking(f))
    }
}

impl<T: 'static> JoinSet<T> {
    /// Spawns the `!Send` future `task` on the current
    /// [`LocalSet`](super::LocalSet) and adds it to the set.
    ///
    /// ```
    /// use std::rc::Rc;
    /// use heddle::task::{JoinSet, LocalSet};
    ///
    /// let rt = heddle::runtime::Builder::new_current_thread().build().unwrap();
    /// LocalSet::new().block_on(&rt, async {
    ///     let shared = Rc::new(5);
    ///     let mut set = JoinSet::new();
    ///     let s = shared.clone();
    ///     set.spawn_local(async move { *s + 1 });
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), 6);
    /// });
    /// ```
    ///
    /// # Panics
    /// Outside a `LocalSet`.
    #[track_caller]
    pub fn spawn_local<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(super::spawn_local(task))
    }

    /// Spawns the `!Send` future `task` on `local_set` and adds it to the
    /// set.
    pub fn spawn_local_on<F>(&mut self, task: F, local_set: &super::LocalSet) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(local_set.spawn_local(task))
    }
}

/// Spawns each future of the iterator on the current runtime.
///
/// # Panics
/// Outside a heddle runtime.
impl<T, F> FromIterator<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> Self {
        let mut set = JoinSet::new();
        set.extend(iter);
        set
    }
}

/// Spawns each future of the iterator on the current runtime.
///
/// # Panics
/// Outside a heddle runtime.
impl<T, F> Extend<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    fn extend<I: IntoIterator<Item = F>>(&mut self, iter: I) {
        for task in iter {
            self.spawn(task);
        }
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}
