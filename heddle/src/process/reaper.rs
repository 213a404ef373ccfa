//! The background reaper: children dropped before they were waited for are
//! collected here, so they do not stay zombies.
//!
//! One thread, started on first use, owns the orphans. It reaps those that
//! have exited, then sleeps in `poll(2)` on their pidfds (readable at exit)
//! with a short timeout, which also picks up orphans added meanwhile and
//! those without a pidfd. With no orphans it sleeps on a condition variable.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Condvar, Mutex, OnceLock};

/// Upper bound on how late an orphan without a pidfd, or one added while
/// the thread polls, is reaped.
const POLL_TIMEOUT_MS: libc::c_int = 100;

struct Orphans {
    /// Whether the reaper thread runs; if it could not be started, orphans
    /// are swept whenever another one is adopted instead.
    threaded: std::sync::atomic::AtomicBool,
    list: Mutex<Vec<(std::process::Child, Option<OwnedFd>)>>,
    added: Condvar,
}

/// Adopts `child` (and its pidfd, if any) until it exits.
pub(crate) fn orphan(child: std::process::Child, pidfd: Option<OwnedFd>) {
    static ORPHANS: OnceLock<&'static Orphans> = OnceLock::new();
    let orphans = *ORPHANS.get_or_init(|| {
        let orphans: &'static Orphans = Box::leak(Box::new(Orphans {
            threaded: std::sync::atomic::AtomicBool::new(true),
            list: Mutex::new(Vec::new()),
            added: Condvar::new(),
        }));
        let spawned =
            std::thread::Builder::new().name("heddle-reaper".into()).stack_size(64 * 1024).spawn(move || run(orphans));
        if spawned.is_err() {
            orphans.threaded.store(false, std::sync::atomic::Ordering::Relaxed);
        }
        orphans
    });
    let mut list = orphans.list.lock().unwrap_or_else(|e| e.into_inner());
    list.push((child, pidfd));
    if !orphans.threaded.load(std::sync::atomic::Ordering::Relaxed) {
        list.retain_mut(|(child, _)| matches!(child.try_wait(), Ok(None)));
    }
    orphans.added.notify_one();
}

fn run(orphans: &'static Orphans) {
    loop {
        let mut list = orphans.list.lock().unwrap_or_else(|e| e.into_inner());
        list.retain_mut(|(child, _)| matches!(child.try_wait(), Ok(None)));
        if list.is_empty() {
            drop(orphans.added.wait(list).unwrap_or_else(|e| e.into_inner()));
            continue;
        }
        let mut fds: Vec<libc::pollfd> = list
            .iter()
            .filter_map(|(_, fd)| fd.as_ref())
            .map(|fd| libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 })
            .collect();
        // The fds stay open while we poll without the lock: only this
        // thread removes entries (and so closes their fds).
        drop(list);
        // SAFETY: `fds` is a valid array of `fds.len()` pollfd structs.
        unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, POLL_TIMEOUT_MS) };
    }
}
