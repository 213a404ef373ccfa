//! `Sleep`: a future that completes at a deadline. `Unpin`, so it can be
//! stored in structs and used in `select` without pinning (seed 002).

use std::future::Future;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use super::Instant;
use crate::driver::time::{TimerEntry, TimerKey};
use crate::driver::DriverHandle;

/// Waits until `duration` has elapsed, with microsecond resolution.
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use heddle::time::{sleep, Duration, Instant};
/// let start = Instant::now();
/// sleep(Duration::from_micros(200)).await;
/// assert!(start.elapsed() >= Duration::from_micros(200));
/// # });
/// ```
///
/// # Panics
/// Outside a runtime with the time driver enabled; when polled after its
/// runtime has shut down (it could never fire).
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(Instant::now().far_add(duration))
}

/// Waits until `deadline`.
///
/// # Panics
/// As [`sleep`].
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(deadline)
}

/// Panics unless this thread is in a runtime with the time driver enabled.
#[track_caller]
pub(crate) fn assert_timers_enabled() {
    match crate::runtime::context::with_driver(|d| d.time_enabled) {
        Some(true) => {}
        Some(false) => panic!(
            "heddle: timers are disabled on this runtime; call `enable_time()` or `enable_all()` on the runtime builder"
        ),
        None => panic!("{}", crate::runtime::TryCurrentError::new()),
    }
}

/// Future returned by [`sleep`] and [`sleep_until`].
///
/// The timer is registered with the runtime at the first poll, which must
/// happen on a thread of the runtime the `Sleep` was created in (unlike
/// tokio, which binds it at creation): creating and dropping an unpolled
/// `Sleep`, as a `timeout` whose future is ready at once does, then costs
/// no atomic operation on shared runtime state.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    deadline: Instant,
    /// The runtime's driver, fetched at the first poll (a `timeout` whose
    /// future is ready at once never needs it).
    driver: Option<Arc<DriverHandle>>,
    /// On the heap, so its address stays put while the wheel points at it.
    entry: Option<OwnedEntry>,
    /// Set from the insert until a locked wheel operation (`remove`,
    /// `reset`) has shown the wheel no longer holds `entry`. While set, the
    /// driver may be touching the entry, so it is neither freed nor reused;
    /// it stays set after the timer fires (see `driver/time/entry.rs`).
    key: Option<TimerKey>,
    elapsed: bool,
}

impl Sleep {
    #[track_caller]
    pub(crate) fn new(deadline: Instant) -> Sleep {
        assert_timers_enabled();
        Sleep::unchecked(deadline)
    }

    /// A `Sleep` whose creator has called [`assert_timers_enabled`].
    pub(crate) fn unchecked(deadline: Instant) -> Sleep {
        Sleep { deadline, driver: None, entry: None, key: None, elapsed: false }
    }

    /// The instant this sleep completes at.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// True once the deadline has been reached (as seen by a poll).
    pub fn is_elapsed(&self) -> bool {
        self.elapsed || self.entry.as_ref().is_some_and(|e| e.get().is_fired())
    }

    /// Moves the deadline; the sleep becomes pending again if it had
    /// completed. The timer's allocation is reused.
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.get_mut();
        this.deadline = deadline;
        this.elapsed = false;
        let Some(driver) = &this.driver else { return };
        let time = &driver.time;
        let tick = time.deadline_to_tick(deadline.into_std());
        if let Some(key) = this.key {
            // A deadline already past must complete at the next poll, not
            // at the driver's next turn: take the entry out of the wheel,
            // and the next poll's registration sees the deadline passed.
            // (Far deadlines skip the clock read, as in `poll_elapsed`.)
            let passed = !time.surely_pending(tick) && deadline.into_std() <= time.now();
            if passed {
                time.remove(key);
            } else if time.reset(key, tick) {
                return;
            }
            // Removed, or it fired and `reset` took the lock: either way
            // the driver is done with it.
            this.key = None;
        }
        // Re-registered lazily on the next poll.
        if let Some(entry) = &mut this.entry {
            entry.get_mut().rearm();
        }
    }

    fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.elapsed {
            return Poll::Ready(());
        }
        let driver = self.driver.get_or_insert_with(|| {
            crate::runtime::context::current_driver().expect("a Sleep is polled inside the runtime it was created in")
        });
        let time = &driver.time;
        if self.key.is_none() {
            let tick = time.deadline_to_tick(self.deadline.into_std());
            // An exact clock read: a pacer whose deadline has just passed must
            // complete now, not at the driver's next turn. Skipped when the
            // deadline is far past the driver's last reading (a server's
            // per-request timeout): see `TimeHandle::surely_pending`.
            // Instants, not ticks: a tick rounds the deadline up to the
            // next microsecond, and `reset(Instant::now())` must be due.
            if !time.surely_pending(tick) && self.deadline.into_std() <= time.now() {
                self.elapsed = true;
                return Poll::Ready(());
            }
            let entry = self.entry.get_or_insert_with(|| OwnedEntry::new(spare_entry())).get();
            // Register before inserting so a fire right after the insert
            // finds the waker.
            let _ = entry.poll_fired(cx);
            // SAFETY: `key` stays set until `remove` or `reset` on it has
            // returned, and `entry` is neither dropped nor reused before
            // (see `Drop` and `reset`).
            self.key = Some(unsafe { time.insert(tick, entry) });
            // Inserted after the runtime fired its timers for the last time:
            // this one never would. Fail loudly instead of hanging.
            if time.is_shut_down() && !self.entry.as_ref().is_some_and(|e| e.get().is_fired()) {
                if let Some(key) = self.key.take() {
                    time.remove(key);
                }
                panic!("{SHUT_DOWN_MESSAGE}");
            }
            // Registered once; a fire from here on wakes us, so a load is
            // enough (no second registration).
            if !self.entry.as_ref().is_some_and(|e| e.get().is_fired()) {
                return Poll::Pending;
            }
        }
        let entry = self.entry.as_ref().expect("registered sleep has an entry");
        ready!(entry.get().poll_fired(cx));
        // `key` stays: the driver may still be inside `fire`.
        self.elapsed = true;
        Poll::Ready(())
    }
}

/// What a timer used on a runtime that has shut down panics with.
const SHUT_DOWN_MESSAGE: &str =
    "A heddle runtime context was found, but it is being shut down: its timers no longer fire.";

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let coop = ready!(crate::runtime::coop::poll_proceed(cx));
        let this = self.get_mut();
        ready!(this.poll_elapsed(cx));
        coop.made_progress();
        Poll::Ready(())
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            if let Some(driver) = &self.driver {
                driver.time.remove(key);
            }
        }
        // `key` is None now: the wheel no longer holds the entry.
        if let Some(entry) = self.entry.take() {
            recycle_entry(entry.into_box());
        }
    }
}

/// A `TimerEntry` on the heap, owned like a `Box` but held as a raw
/// pointer: the wheel points into it, and a `Box` moved along with its
/// `Sleep` would assert unique access to memory the driver may be reading.
struct OwnedEntry(NonNull<TimerEntry>);

// SAFETY: it owns a `TimerEntry`, which is `Send + Sync`.
unsafe impl Send for OwnedEntry {}
// SAFETY: as for `Send`; `&OwnedEntry` only hands out `&TimerEntry`.
unsafe impl Sync for OwnedEntry {}

impl OwnedEntry {
    fn new(entry: Box<TimerEntry>) -> OwnedEntry {
        OwnedEntry(NonNull::from(Box::leak(entry)))
    }

    fn get(&self) -> &TimerEntry {
        // SAFETY: we own the allocation; shared access is what the wheel
        // and the driver use too (the entry's state is atomic).
        unsafe { self.0.as_ref() }
    }

    /// Exclusive access: only once the wheel no longer holds the entry.
    fn get_mut(&mut self) -> &mut TimerEntry {
        // SAFETY: we own the allocation and, per the caller, nobody else
        // looks at it any more.
        unsafe { self.0.as_mut() }
    }

    fn into_box(self) -> Box<TimerEntry> {
        let entry = self.0;
        std::mem::forget(self);
        // SAFETY: the pointer came from `Box::leak`, and `forget` above
        // keeps `Drop` from freeing it a second time.
        unsafe { Box::from_raw(entry.as_ptr()) }
    }
}

impl Drop for OwnedEntry {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `Box::leak` and is freed once.
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}

// A few timer entries are kept per thread for reuse: a server that arms a
// timeout per request would otherwise allocate and free one each time.
thread_local! {
    // Boxed: entries move between this list and `Sleep`s, which need a
    // stable address while the wheel points at it.
    #[allow(clippy::vec_box)]
    static SPARE_ENTRIES: std::cell::RefCell<Vec<Box<TimerEntry>>> = const { std::cell::RefCell::new(Vec::new()) };
}
const MAX_SPARE_ENTRIES: usize = 64;

fn spare_entry() -> Box<TimerEntry> {
    SPARE_ENTRIES.try_with(|s| s.borrow_mut().pop()).ok().flatten().unwrap_or_default()
}

/// Keeps `entry`, which the wheel no longer holds, for reuse.
fn recycle_entry(mut entry: Box<TimerEntry>) {
    entry.clear();
    let _ = SPARE_ENTRIES.try_with(|s| {
        let mut spare = s.borrow_mut();
        if spare.len() < MAX_SPARE_ENTRIES {
            spare.push(entry);
        }
    });
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sleep").field("deadline", &self.deadline).field("elapsed", &self.is_elapsed()).finish()
    }
}
