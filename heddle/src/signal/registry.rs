//! The process-wide signal registry and its driver.
//!
//! One handler per signal number (installed through `signal-hook-registry`,
//! which chains with other libraries' handlers) sets the signal's `pending`
//! flag and writes a byte to a non-blocking pipe. A driver task, spawned on
//! the runtime that first needs it, waits for the pipe's read end in the
//! reactor, drains it, and for each pending signal bumps a delivery counter
//! and wakes that signal's listeners. Each listener remembers the counter it
//! last saw, so every listener sees every delivery after its creation
//! (several deliveries between two looks count once).
//!
//! If the driver's runtime shuts down, the driver task is dropped with it
//! and wakes all waiting listeners; the next one to poll spawns a new driver
//! on its own runtime. The pipe itself lives for the whole process, so no
//! delivery is lost in between.

use std::collections::HashMap;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::task::{Context, Poll, Waker};

use crate::driver::io::Direction;
use crate::io::poll_evented::PollEvented;

/// Signal numbers below this have a slot (covers the real-time signals).
const SLOTS: usize = 65;

/// Per-signal state.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    /// Set by the handler, cleared by the driver when it dispatches.
    pending: AtomicBool,
    /// Whether the handler is installed (an error message if that failed).
    installed: OnceLock<Result<(), String>>,
    state: Mutex<SlotState>,
}

#[derive(Debug, Default)]
struct SlotState {
    /// How many times the driver has dispatched this signal.
    deliveries: u64,
    /// Wakers of listeners waiting for the next delivery, by listener id.
    waiters: HashMap<u64, Waker>,
}

#[derive(Debug)]
struct Globals {
    slots: Vec<Slot>,
    /// The pipe's read end; the driver registers a duplicate of it.
    read: OwnedFd,
    /// The pipe's write end, written by the handlers.
    write: OwnedFd,
    /// Whether a driver task exists.
    driver_alive: AtomicBool,
    driver_lock: Mutex<()>,
    next_id: AtomicU64,
}

fn globals() -> io::Result<&'static Globals> {
    static GLOBALS: OnceLock<Globals> = OnceLock::new();
    static INIT: Mutex<()> = Mutex::new(());
    if let Some(g) = GLOBALS.get() {
        return Ok(g);
    }
    let _guard = INIT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(g) = GLOBALS.get() {
        return Ok(g);
    }
    let (sender, receiver) = mio::unix::pipe::new()?;
    let globals = Globals {
        slots: (0..SLOTS).map(|_| Slot::default()).collect(),
        read: OwnedFd::from(receiver),
        write: OwnedFd::from(sender),
        driver_alive: AtomicBool::new(false),
        driver_lock: Mutex::new(()),
        next_id: AtomicU64::new(0),
    };
    Ok(GLOBALS.get_or_init(|| globals))
}

/// A listener's handle on one signal's slot.
#[derive(Debug)]
pub(crate) struct Listener {
    slot: &'static Slot,
    id: u64,
    seen: u64,
}

/// Installs the handler for `signum` (once per process) and returns a
/// listener that sees deliveries from now on. Must run inside a runtime with
/// I/O enabled.
pub(crate) fn listen(signum: i32) -> io::Result<Listener> {
    if signum <= 0 || signum as usize >= SLOTS || signal_hook_registry::FORBIDDEN.contains(&signum) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("signal {signum} cannot be listened for")));
    }
    let globals = globals()?;
    let slot = &globals.slots[signum as usize];
    let installed = slot.installed.get_or_init(|| {
        let write_fd: RawFd = globals.write.as_raw_fd();
        let action = move || {
            slot.pending.store(true, Ordering::SeqCst);
            let byte = 1u8;
            // SAFETY: `write` is async-signal-safe; the fd lives for the
            // whole process (`globals` is never dropped) and the buffer is a
            // valid one-byte local. A full pipe (EAGAIN) is fine: a wake-up
            // is already queued and `pending` is set.
            unsafe { libc::write(write_fd, (&byte as *const u8).cast(), 1) };
        };
        // SAFETY: the action only does async-signal-safe work (an atomic
        // store and `write`), and `signum` is not a forbidden signal.
        unsafe { signal_hook_registry::register(signum, action) }.map(|_| ()).map_err(|e| e.to_string())
    });
    if let Err(msg) = installed {
        return Err(io::Error::other(msg.clone()));
    }
    ensure_driver(globals)?;
    let seen = slot.state.lock().unwrap_or_else(|e| e.into_inner()).deliveries;
    Ok(Listener { slot, id: globals.next_id.fetch_add(1, Ordering::Relaxed), seen })
}

/// Spawns the driver task on the current runtime unless one is running.
fn ensure_driver(globals: &'static Globals) -> io::Result<()> {
    if globals.driver_alive.load(Ordering::Acquire) {
        return Ok(());
    }
    let handle = crate::runtime::Handle::try_current()
        .map_err(|e| io::Error::other(format!("signal listening needs a heddle runtime: {e}")))?;
    let _guard = globals.driver_lock.lock().unwrap_or_else(|e| e.into_inner());
    if globals.driver_alive.load(Ordering::Acquire) {
        return Ok(());
    }
    let read = mio::unix::pipe::Receiver::from(globals.read.try_clone()?);
    globals.driver_alive.store(true, Ordering::Release);
    let alive = AliveGuard(globals);
    handle.spawn(async move {
        let _alive = alive;
        let pipe = match PollEvented::new(read) {
            Ok(pipe) => pipe,
            Err(_) => return,
        };
        let mut buf = [0u8; 64];
        // Each readiness drains the pipe, dispatches, then reports
        // `WouldBlock` so `async_io` waits for the next byte: this only
        // returns if the reactor goes away.
        let _ = pipe
            .async_io(Direction::Read, |mut rx| loop {
                match rx.read(&mut buf) {
                    Ok(0) => return Ok(()),
                    Ok(_) => continue,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        dispatch(globals);
                        return Err(e);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            })
            .await;
    });
    Ok(())
}

/// Marks the driver as gone when its task ends or is dropped (its runtime
/// shut down), and wakes every waiting listener so that one of them spawns
/// a new driver on its own runtime.
struct AliveGuard(&'static Globals);

impl Drop for AliveGuard {
    fn drop(&mut self) {
        self.0.driver_alive.store(false, Ordering::Release);
        for slot in &self.0.slots {
            let waiters = std::mem::take(&mut slot.state.lock().unwrap_or_else(|e| e.into_inner()).waiters);
            for (_, waker) in waiters {
                waker.wake();
            }
        }
    }
}

fn dispatch(globals: &Globals) {
    for slot in &globals.slots {
        if slot.pending.swap(false, Ordering::SeqCst) {
            let waiters = {
                let mut state = slot.state.lock().unwrap_or_else(|e| e.into_inner());
                state.deliveries += 1;
                std::mem::take(&mut state.waiters)
            };
            for (_, waker) in waiters {
                waker.wake();
            }
        }
    }
}

impl Listener {
    /// Ready once a delivery newer than the last one seen has been dispatched.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Ok(globals) = globals() {
            // Outside a runtime nobody can drive; the wait then relies on a
            // driver living elsewhere.
            let _ = ensure_driver(globals);
        }
        let mut state = self.slot.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.deliveries != self.seen {
            self.seen = state.deliveries;
            state.waiters.remove(&self.id);
            return Poll::Ready(());
        }
        match state.waiters.get_mut(&self.id) {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            Some(waker) => waker.clone_from(cx.waker()),
            None => {
                state.waiters.insert(self.id, cx.waker().clone());
            }
        }
        Poll::Pending
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let mut state = self.slot.state.lock().unwrap_or_else(|e| e.into_inner());
        state.waiters.remove(&self.id);
    }
}
