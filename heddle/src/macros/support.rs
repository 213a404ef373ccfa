//! Runtime support for the macros. Not public API: names and signatures
//! may change at any time.

use std::cell::Cell;
use std::future::Future;
use std::task::{Context, Poll};

pub use std::future::{poll_fn, IntoFuture};
pub use std::option::Option::{None, Some};
pub use std::pin::{pin, Pin};
pub use std::result::Result::{Err, Ok};
pub use std::task::Poll::{Pending, Ready};

/// Converts the operand of a branch into its future.
pub fn into_future<F: IntoFuture>(f: F) -> F::IntoFuture {
    f.into_future()
}

/// Polls a pinned future.
pub fn poll<F: Future + ?Sized>(f: Pin<&mut F>, cx: &mut Context<'_>) -> Poll<F::Output> {
    f.poll(cx)
}

/// Ready if the current task has budget left; otherwise asks to be polled
/// again and returns Pending (a `select!` yields like any resource would).
pub fn poll_budget_available(cx: &mut Context<'_>) -> Poll<()> {
    if crate::task::coop::has_budget_remaining() {
        Poll::Ready(())
    } else {
        crate::runtime::coop::note_yield();
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// 1, whatever the index (used to count branches).
pub const fn one(_index: u32) -> u32 {
    1
}

/// The `k`-th branch to poll when starting at `start` of `count`.
pub const fn rotate(start: u32, k: u32, count: u32) -> u32 {
    (start + k) % count
}

thread_local! {
    static RNG: Cell<u32> = const { Cell::new(0) };
}

/// A number in `0..n` from a per-thread xorshift generator (branch order
/// for unbiased `select!`; not for anything that needs real randomness).
pub fn thread_rng_n(n: u32) -> u32 {
    RNG.with(|rng| {
        let mut x = rng.get();
        if x == 0 {
            // Seed from the address of a thread-local and the time.
            let seed = rng as *const Cell<u32> as usize as u64
                ^ std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
            x = (seed ^ (seed >> 32)) as u32 | 1;
        }
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        rng.set(x);
        ((u64::from(x) * u64::from(n)) >> 32) as u32
    })
}

/// `join!`'s default polling order: each poll starts one future further
/// on, so every future gets to go first in turn.
#[derive(Debug, Default)]
pub struct Rotating {
    next: u32,
}

impl Rotating {
    /// The index of the future to poll first, out of `count`.
    #[inline]
    pub fn next_start(&mut self, count: u32) -> u32 {
        let start = self.next;
        self.next = if start + 1 >= count { 0 } else { start + 1 };
        start
    }
}

/// `join!`'s polling order with `biased;`: always from the first future.
#[derive(Debug, Default)]
pub struct InOrder;

impl InOrder {
    /// Always 0.
    #[inline]
    pub fn next_start(&mut self, _count: u32) -> u32 {
        0
    }
}

/// A future in `join!`/`try_join!`: running, or finished with its output
/// kept until every other future is done.
#[derive(Debug)]
pub enum MaybeDone<F: Future> {
    /// Still running.
    Running(F),
    /// Finished; output not yet taken.
    Done(F::Output),
    /// Output taken.
    Gone,
}

impl<F: Future> MaybeDone<F> {
    /// Wraps a future.
    pub fn new(f: F) -> MaybeDone<F> {
        MaybeDone::Running(f)
    }

    /// Polls the inner future if it is still running; Ready once it has
    /// finished (now or before).
    pub fn poll_done(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: the `Running` future is never moved out of the pinned
        // enum: it is only polled in place and dropped in place when the
        // variant is overwritten below.
        let this = unsafe { self.get_unchecked_mut() };
        if let MaybeDone::Running(f) = this {
            // SAFETY: `f` lives inside the pinned `self` and is not moved.
            let out = match unsafe { Pin::new_unchecked(f) }.poll(cx) {
                Poll::Ready(out) => out,
                Poll::Pending => return Poll::Pending,
            };
            *this = MaybeDone::Done(out);
        }
        Poll::Ready(())
    }

    /// Takes the output.
    ///
    /// # Panics
    /// If the future has not finished or the output was already taken.
    pub fn take_output(self: Pin<&mut Self>) -> F::Output {
        // SAFETY: only the `Done` variant (no pinned data) is moved out; we
        // check the variant before replacing, so a `Running` future is
        // never moved.
        let this = unsafe { self.get_unchecked_mut() };
        assert!(matches!(this, MaybeDone::Done(_)), "MaybeDone::take_output before completion");
        match std::mem::replace(this, MaybeDone::Gone) {
            MaybeDone::Done(out) => out,
            _ => unreachable!(),
        }
    }
}

impl<T, E, F: Future<Output = Result<T, E>>> MaybeDone<F> {
    /// Takes the error if the future finished with one.
    pub fn take_err(self: Pin<&mut Self>) -> Option<E> {
        // SAFETY: only the `Done` variant (no pinned data) is moved out.
        let this = unsafe { self.get_unchecked_mut() };
        if matches!(this, MaybeDone::Done(Err(_))) {
            if let MaybeDone::Done(Err(e)) = std::mem::replace(this, MaybeDone::Gone) {
                return Some(e);
            }
        }
        None
    }

    /// Takes the success value.
    ///
    /// # Panics
    /// If the future has not finished successfully.
    pub fn take_ok(self: Pin<&mut Self>) -> T {
        match self.take_output() {
            Ok(v) => v,
            Err(_) => panic!("MaybeDone::take_ok on an error"),
        }
    }
}
