//! `LocalSet` and `spawn_local`: running `!Send` futures on one thread.
//!
//! A [`LocalSet`] is a small scheduler of its own, nested inside whatever
//! runs it: `block_on` on either runtime flavor, or a task that awaits it.
//! Its tasks are ordinary heddle tasks (one allocation each, built by the
//! same `cell`/`harness` code as `spawn`'s, with the same state word and
//! `JoinHandle`), whose scheduler is this set's [`Shared`]. Only the set's
//! own thread ever polls them, which is what makes `!Send` futures sound.
//!
//! ```text
//!   owner thread (LocalSet, !Send)            any thread
//!   ┌──────────────────────────────┐          ┌───────────────────────┐
//!   │ Context                      │          │ Waker of a local task │
//!   │   queue: VecDeque<Notified> ◀── wake on │   (may be sent away)  │
//!   │          (plain, no atomics)  │ owner   └──────────┬────────────┘
//!   └───────────────┬──────────────┘ thread,             │ wake elsewhere
//!                   │ Rc                set entered       ▼
//!   ┌───────────────▼────────────────────────────────────────────────┐
//!   │ Shared (Arc, Send + Sync)                                       │
//!   │   remote: Mutex<Option<VecDeque<Notified>>>  ← push, then       │
//!   │   waker:  AtomicWaker (whoever polls the set) ← wake it         │
//!   │   owned:  OwnedTasks (every live task, for Drop)                │
//!   └────────────────────────────────────────────────────────────────┘
//! ```
//!
//! A wake on the owner thread while the set is being polled is a plain
//! queue push. Any other wake (another thread, a timer or I/O driver, or
//! the owner thread outside the set) goes to the remote queue and wakes the
//! future that polls the set, which drains the remote queue on its next
//! tick. After the set is dropped the remote queue is closed (`None`) and
//! late wakes just release their task reference.
//!
//! Why `!Send` futures are sound here: a task's future (and output, unless
//! a `JoinHandle` takes it) is only touched while the task is run or shut
//! down, and both happen on the owner thread (in a tick, or in
//! `LocalSet::drop`). A reference dropped on another thread can free the
//! cell, but only after the owned list let go of it, which happens when
//! the future has already been dropped on the owner thread.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::ptr::NonNull;
use std::rc::Rc;
use std::task::{Context as TaskContext, Poll};

use super::cell::{Cell, Header};
use super::list::OwnedTasks;
use super::{harness, Id, JoinHandle, Notified, Schedule, Task};
use crate::loom::sync::{Arc, Mutex};
use crate::runtime::{context, coop, Runtime};
use crate::util::atomic_waker::AtomicWaker;

/// Tasks one tick runs before yielding to whatever polls the set.
const MAX_TASKS_PER_TICK: u32 = 61;
/// Every this many tasks, the remote queue is looked at first, so a stream
/// of local wakes cannot starve tasks woken from other threads.
const REMOTE_INTERVAL: u32 = 31;

/// A set of tasks that all run on the current thread, so their futures
/// need not be `Send`.
///
/// Spawn onto it with [`LocalSet::spawn_local`], or with the free function
/// [`spawn_local`] from code running inside it. The tasks run while the set
/// is driven: by [`run_until`](LocalSet::run_until) (until a given future
/// completes), by [`block_on`](LocalSet::block_on), or by awaiting the set
/// itself (until all its tasks have completed). Dropping the set drops
/// every task still in it.
///
/// A `LocalSet` works on both runtime flavors. On the multi-thread runtime
/// its tasks still run on the thread that drives the set, while timers and
/// I/O they wait on are driven by the workers (the wake-ups are routed back
/// to the set's thread).
///
/// ```
/// use std::rc::Rc;
/// use heddle::task::{self, LocalSet};
///
/// let rt = heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let local = LocalSet::new();
/// // `Rc` is not `Send`: `heddle::spawn` would reject this future.
/// let shared = Rc::new(40);
/// let answer = local.block_on(&rt, async move {
///     let inner = shared.clone();
///     task::spawn_local(async move { *inner + 2 }).await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
pub struct LocalSet {
    context: Rc<Context>,
    /// `!Send` and `!Sync`: the tasks must stay on this thread.
    _not_send: PhantomData<*const ()>,
}

/// The owner-thread side of a set.
struct Context {
    shared: Arc<Shared>,
    /// Tasks woken on the owner thread while the set is entered.
    queue: RefCell<VecDeque<Notified>>,
    /// Tasks run so far (wrapping), to interleave the remote queue.
    tick: std::cell::Cell<u32>,
    /// Set while entered through [`LocalSet::enter`] rather than by the
    /// set's own poll: a local wake must then also wake the set's poller,
    /// which will not otherwise look at the queue.
    wake_on_schedule: std::cell::Cell<bool>,
}

/// The part of a set that wakers on any thread reach: the tasks' scheduler.
pub(crate) struct Shared {
    owned: OwnedTasks,
    /// Tasks woken away from the set; `None` once the set is dropped.
    remote: Mutex<Option<VecDeque<Notified>>>,
    /// The waker of whatever is polling the set.
    waker: AtomicWaker,
}

#[cfg(not(loom))]
thread_local! {
    /// The set this thread is inside (running a tick, `run_until`'s future,
    /// or an [`LocalSet::enter`] guard).
    static CURRENT: RefCell<Option<Rc<Context>>> = const { RefCell::new(None) };
}

#[cfg(loom)]
loom::thread_local! {
    static CURRENT: RefCell<Option<Rc<Context>>> = RefCell::new(None);
}

/// Spawns a `!Send` future onto the [`LocalSet`] the current code runs in.
///
/// The task runs on this thread when the set is next driven; the returned
/// [`JoinHandle`] awaits its output.
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// let rt = heddle::runtime::Builder::new_current_thread().build().unwrap();
/// let local = heddle::task::LocalSet::new();
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let log2 = log.clone();
/// local.block_on(&rt, async move {
///     let handles: Vec<_> = (0..3)
///         .map(|i| {
///             let log = log2.clone();
///             heddle::task::spawn_local(async move { log.borrow_mut().push(i) })
///         })
///         .collect();
///     for h in handles {
///         h.await.unwrap();
///     }
/// });
/// assert_eq!(*log.borrow(), [0, 1, 2]);
/// ```
///
/// # Panics
/// When called outside a `LocalSet` (outside `run_until`, `block_on`, a
/// task of a set, or an [`enter`](LocalSet::enter) guard) and outside a
/// [`LocalRuntime`](crate::runtime::LocalRuntime) on its own thread.
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let context = CURRENT.try_with(|c| c.borrow().clone()).ok().flatten();
    match context {
        Some(context) => context.spawn(future),
        None => crate::runtime::spawn_local_outside_set(),
    }
}

/// Allocates a task whose future and output need not be `Send`.
///
/// # Safety
/// The returned `Notified` (and every later one) must only be run, and the
/// `Task` only shut down, on the current thread.
unsafe fn new_local_task<F, S>(future: F, scheduler: S) -> (Task, Notified, JoinHandle<F::Output>)
where
    F: Future + 'static,
    F::Output: 'static,
    S: Schedule,
{
    let id = Id::next();
    let raw = Cell::allocate(future, scheduler, id, harness::vtable::<F, S>());
    // SAFETY: `State::new` counts three references, one per handle below.
    unsafe { (Task { raw }, Notified::from_raw(raw), JoinHandle::from_raw(raw)) }
}

impl LocalSet {
    /// An empty set.
    pub fn new() -> LocalSet {
        let shared = Arc::new(Shared {
            owned: OwnedTasks::new(),
            remote: Mutex::new(Some(VecDeque::new())),
            waker: AtomicWaker::new(),
        });
        let context = Rc::new(Context {
            shared,
            queue: RefCell::new(VecDeque::new()),
            tick: std::cell::Cell::new(0),
            wake_on_schedule: std::cell::Cell::new(false),
        });
        LocalSet { context, _not_send: PhantomData }
    }

    /// Spawns a `!Send` future onto this set.
    ///
    /// Unlike the free function [`spawn_local`], this may be called from
    /// outside the set; the task runs once the set is driven.
    ///
    /// ```
    /// let rt = heddle::runtime::Builder::new_current_thread().build().unwrap();
    /// let local = heddle::task::LocalSet::new();
    /// let handle = local.spawn_local(async { std::rc::Rc::new(5) });
    /// let out = local.block_on(&rt, handle).unwrap();
    /// assert_eq!(*out, 5);
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.context.spawn(future)
    }

    /// Runs `future` to completion on `rt`, driving this set's tasks
    /// meanwhile, as `rt.block_on(self.run_until(future))`.
    ///
    /// ```
    /// let rt = heddle::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    /// let local = heddle::task::LocalSet::new();
    /// let v = local.block_on(&rt, async {
    ///     heddle::task::spawn_local(async { std::rc::Rc::new(7) }).await.unwrap()
    /// });
    /// assert_eq!(*v, 7);
    /// ```
    ///
    /// # Panics
    /// When called inside a runtime (as `Runtime::block_on` does).
    #[track_caller]
    pub fn block_on<F: Future>(&self, rt: &Runtime, future: F) -> F::Output {
        rt.block_on(self.run_until(future))
    }

    /// Runs this set's tasks until `future` completes, and returns its
    /// output. `future` itself runs inside the set, so it may call
    /// [`spawn_local`]. Tasks still unfinished stay in the set.
    ///
    /// ```
    /// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let local = heddle::task::LocalSet::new();
    /// let out = local
    ///     .run_until(async {
    ///         let t = heddle::task::spawn_local(async {
    ///             heddle::time::sleep(std::time::Duration::from_millis(1)).await;
    ///             "slept"
    ///         });
    ///         t.await.unwrap()
    ///     })
    ///     .await;
    /// assert_eq!(out, "slept");
    /// # });
    /// ```
    pub fn run_until<F: Future>(&self, future: F) -> RunUntil<'_, F> {
        RunUntil { local_set: self, future }
    }

    /// Makes this set current, so [`spawn_local`] spawns onto it, until the
    /// guard is dropped. The tasks do not run until the set is driven.
    ///
    /// ```
    /// let rt = heddle::runtime::Builder::new_current_thread().build().unwrap();
    /// let local = heddle::task::LocalSet::new();
    /// let handle = {
    ///     let _guard = local.enter();
    ///     heddle::task::spawn_local(async { 1 })
    /// };
    /// assert_eq!(local.block_on(&rt, handle).unwrap(), 1);
    /// ```
    pub fn enter(&self) -> LocalEnterGuard {
        self.enter_with(true)
    }

    /// Makes this set current; `wake_on_schedule` unless the set is being
    /// polled (then its own loop sees local wakes).
    fn enter_with(&self, wake_on_schedule: bool) -> LocalEnterGuard {
        self.try_enter_with(wake_on_schedule).expect("the thread-local of the current `LocalSet` is gone")
    }

    /// As [`enter_with`](Self::enter_with); None during thread teardown,
    /// once the thread-local naming the current set is gone.
    fn try_enter_with(&self, wake_on_schedule: bool) -> Option<LocalEnterGuard> {
        let previous = CURRENT.try_with(|c| c.replace(Some(self.context.clone()))).ok()?;
        let previous_wake = self.context.wake_on_schedule.replace(wake_on_schedule);
        Some(LocalEnterGuard { previous, entered: self.context.clone(), previous_wake, _not_send: PhantomData })
    }

    /// Runs up to a batch of ready tasks; true if more are ready.
    fn tick(&self) -> bool {
        let _enter = self.enter_with(false);
        let context = &*self.context;
        for _ in 0..MAX_TASKS_PER_TICK {
            let Some(task) = context.next_task() else { return false };
            coop::with_budget(|| task.run());
        }
        true
    }
}

impl Context {
    #[track_caller]
    fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        // SAFETY: the set is `!Send` and only its owner thread runs its
        // queue (`tick`) and shuts its tasks down (`drop`); this is that
        // thread, since `Context` is only reachable through an `Rc`.
        let (task, notified, join) = unsafe { new_local_task(future, self.shared.clone()) };
        match self.shared.owned.insert(task) {
            Ok(()) => {
                self.queue.borrow_mut().push_back(notified);
                // Whatever polls the set (perhaps another task) must look again.
                self.shared.waker.wake();
            }
            Err(task) => {
                // The set is being dropped: the task never runs.
                drop(notified);
                task.shutdown();
            }
        }
        join
    }

    fn next_task(&self) -> Option<Notified> {
        let tick = self.tick.get().wrapping_add(1);
        self.tick.set(tick);
        if tick % REMOTE_INTERVAL == 0 {
            self.pull_remote();
        }
        let task = self.queue.borrow_mut().pop_front();
        task.or_else(|| {
            self.pull_remote();
            self.queue.borrow_mut().pop_front()
        })
    }

    /// Moves tasks woken elsewhere to the back of the local queue.
    fn pull_remote(&self) {
        let remote = self.shared.take_remote();
        if !remote.is_empty() {
            self.queue.borrow_mut().extend(remote);
        }
    }
}

impl Shared {
    /// Queues a task woken away from the set and wakes the set's poller.
    fn push_remote(&self, task: Notified) {
        let rejected = {
            let mut remote = self.remote.lock().unwrap();
            match remote.as_mut() {
                Some(queue) => {
                    queue.push_back(task);
                    None
                }
                None => Some(task),
            }
        };
        match rejected {
            // The set is gone: its tasks were shut down; drop the reference
            // outside the lock.
            Some(task) => drop(task),
            None => self.waker.wake(),
        }
    }

    /// Takes every task in the remote queue.
    fn take_remote(&self) -> VecDeque<Notified> {
        let mut remote = self.remote.lock().unwrap();
        match remote.as_mut() {
            Some(queue) if !queue.is_empty() => std::mem::take(queue),
            _ => VecDeque::new(),
        }
    }

    /// Closes the remote queue and returns what was in it.
    fn close_remote(&self) -> VecDeque<Notified> {
        self.remote.lock().unwrap().take().unwrap_or_default()
    }
}

impl Schedule for Arc<Shared> {
    fn schedule(&self, task: Notified) {
        // Owner thread inside this set: a plain push. Anything else (or a
        // wake during thread teardown, with the thread-local gone) goes
        // through the remote queue.
        let mut task = Some(task);
        let wake_poller = CURRENT.try_with(|current| {
            let current = current.borrow();
            let Some(context) = current.as_ref().filter(|c| Arc::ptr_eq(&c.shared, self)) else { return false };
            let Ok(mut queue) = context.queue.try_borrow_mut() else { return false };
            queue.push_back(task.take().expect("task pushed once"));
            context.wake_on_schedule.get()
        });
        match task {
            Some(task) => self.push_remote(task),
            None if wake_poller.unwrap_or(false) => self.waker.wake(),
            None => {}
        }
    }

    fn release(&self, task: NonNull<Header>) -> bool {
        self.owned.remove(task)
    }
}

impl Default for LocalSet {
    fn default() -> LocalSet {
        LocalSet::new()
    }
}

impl Future for LocalSet {
    type Output = ();

    /// Drives the set until every task in it has completed.
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        // Register first: a remote wake after the tick's last look at the
        // remote queue then wakes us.
        self.context.shared.waker.register(cx.waker());
        let _no_blocking = context::disallow_block_in_place();
        if self.tick() {
            // A full batch ran: yield to the caller's scheduler, come back.
            crate::runtime::coop::note_yield();
            cx.waker().wake_by_ref();
            Poll::Pending
        } else if self.context.shared.owned.len() == 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for LocalSet {
    fn drop(&mut self) {
        // Inside the set, so futures whose drop calls `spawn_local` find it
        // (the list is closed, so such tasks are shut down at once). Not
        // possible for a set kept in a thread-local and dropped after
        // `CURRENT` at thread exit: its tasks are dropped all the same.
        let _enter = self.try_enter_with(false);
        let _no_blocking = context::disallow_block_in_place();
        // Drops every unfinished future here, on the owner thread.
        self.context.shared.owned.close_and_shutdown_all();
        // Queued references may wake others as they go; drain until quiet.
        loop {
            let local = std::mem::take(&mut *self.context.queue.borrow_mut());
            if local.is_empty() {
                break;
            }
            drop(local);
        }
        drop(self.context.shared.close_remote());
        let local = std::mem::take(&mut *self.context.queue.borrow_mut());
        drop(local);
    }
}

impl fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSet").finish_non_exhaustive()
    }
}

pin_project_lite::pin_project! {
    /// Future returned by [`LocalSet::run_until`]: drives the set until the
    /// wrapped future completes.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct RunUntil<'a, F> {
        local_set: &'a LocalSet,
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for RunUntil<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let local_set: &LocalSet = this.local_set;
        local_set.context.shared.waker.register(cx.waker());
        // The set's tasks and `future` share this thread: off a worker,
        // `block_in_place` must not block it (tokio panics there too).
        let _no_blocking = context::disallow_block_in_place();
        {
            let _enter = local_set.enter_with(false);
            if let Poll::Ready(out) = coop::with_budget(|| this.future.poll(cx)) {
                return Poll::Ready(out);
            }
        }
        if local_set.tick() {
            crate::runtime::coop::note_yield();
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

impl<F> fmt::Debug for RunUntil<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunUntil").finish_non_exhaustive()
    }
}

/// Keeps a [`LocalSet`] current until dropped; see [`LocalSet::enter`].
#[must_use = "the set is only current while the guard lives"]
pub struct LocalEnterGuard {
    previous: Option<Rc<Context>>,
    entered: Rc<Context>,
    previous_wake: bool,
    _not_send: PhantomData<*const ()>,
}

impl Drop for LocalEnterGuard {
    fn drop(&mut self) {
        self.entered.wake_on_schedule.set(self.previous_wake);
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|c| c.replace(previous));
    }
}

impl fmt::Debug for LocalEnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LocalEnterGuard")
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! The set's cross-thread paths: a local task woken from another thread
    //! (remote queue + the set's waker), and such a wake racing the set's
    //! drop.

    use std::future::poll_fn;
    use std::task::{Poll, Waker};

    use super::LocalSet;
    use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use crate::loom::sync::{Arc, Mutex};
    use crate::loom::thread;

    /// A local task that parks its waker in `slot` until `flag` is set.
    fn waiting(flag: Arc<AtomicBool>, slot: Arc<Mutex<Option<Waker>>>) -> impl std::future::Future<Output = u32> {
        // An `Rc` makes the future `!Send`, as local tasks may be.
        let not_send = std::rc::Rc::new(5u32);
        poll_fn(move |cx| {
            if flag.load(SeqCst) {
                return Poll::Ready(*not_send);
            }
            *slot.lock().unwrap() = Some(cx.waker().clone());
            if flag.load(SeqCst) {
                Poll::Ready(*not_send)
            } else {
                Poll::Pending
            }
        })
    }

    /// A wake from another thread reaches the set (remote queue, then the
    /// set's waker) and is never lost, whatever the interleaving with the
    /// set's poll: `block_on` would hang otherwise.
    #[test]
    fn local_set_remote_wake_is_not_lost() {
        loom::model(|| {
            let flag = Arc::new(AtomicBool::new(false));
            let slot = Arc::new(Mutex::new(None::<Waker>));
            let local = LocalSet::new();
            let join = local.spawn_local(waiting(flag.clone(), slot.clone()));
            let waker_thread = {
                let (flag, slot) = (flag.clone(), slot.clone());
                thread::spawn(move || {
                    flag.store(true, SeqCst);
                    let waker = slot.lock().unwrap().take();
                    if let Some(w) = waker {
                        w.wake();
                    }
                })
            };
            let out = loom::future::block_on(local.run_until(join));
            assert_eq!(out.unwrap(), 5);
            waker_thread.join().unwrap();
            drop(local);
        });
    }

    /// Awaiting the set itself: it completes once its last task does, with
    /// that task woken from another thread at any point of the set's poll.
    #[test]
    fn local_set_future_completes_after_remote_wake() {
        loom::model(|| {
            let flag = Arc::new(AtomicBool::new(false));
            let slot = Arc::new(Mutex::new(None::<Waker>));
            let local = LocalSet::new();
            let join = local.spawn_local(waiting(flag.clone(), slot.clone()));
            let waker_thread = {
                let (flag, slot) = (flag.clone(), slot.clone());
                thread::spawn(move || {
                    flag.store(true, SeqCst);
                    let waker = slot.lock().unwrap().take();
                    if let Some(w) = waker {
                        w.wake();
                    }
                })
            };
            loom::future::block_on(local);
            assert!(join.is_finished());
            waker_thread.join().unwrap();
            assert_eq!(loom::future::block_on(join).unwrap(), 5);
        });
    }

    /// A remote wake races with the set being dropped: the pending task is
    /// dropped on the owner thread, the late wake only releases its
    /// reference, and everything is freed once (loom checks leaks).
    #[test]
    fn local_set_drop_races_remote_wake() {
        loom::model(|| {
            let flag = Arc::new(AtomicBool::new(false));
            let slot = Arc::new(Mutex::new(None::<Waker>));
            let local = LocalSet::new();
            let join = local.spawn_local(waiting(flag.clone(), slot.clone()));
            // One tick: the task registers its waker and stays pending.
            let mut first = true;
            let pending_once = poll_fn(move |cx| {
                if std::mem::take(&mut first) {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Poll::Ready(())
            });
            loom::future::block_on(local.run_until(pending_once));
            let waker = slot.lock().unwrap().take().expect("task registered its waker");
            let waker_thread = thread::spawn(move || waker.wake());
            drop(local);
            waker_thread.join().unwrap();
            assert!(loom::future::block_on(join).unwrap_err().is_cancelled());
        });
    }
}
