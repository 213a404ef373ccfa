//! `OwnedTasks`: every live task of a runtime, so shutdown can cancel them.
//!
//! An intrusive doubly linked list threaded through the task headers (no
//! allocation per task), split into shards by task id so that workers
//! spawning and completing tasks at once rarely meet on the same lock.
//! The list holds one reference of each task it contains.

use std::num::NonZeroU64;
use std::ptr::NonNull;

use super::cell::Header;
use super::Task;
use crate::loom::sync::atomic::{AtomicBool, Ordering::*};
use crate::loom::sync::Mutex;

const SHARDS: usize = 16;

struct Shard {
    head: Option<NonNull<Header>>,
    /// Tasks in this shard. Counted under the shard's lock rather than in
    /// one shared atomic, which every spawning worker would contend on.
    len: usize,
    /// Tasks ever inserted into this shard.
    inserted: u64,
}

// SAFETY: the raw pointers are only followed under the shard's mutex, and
// the tasks they point to are `Send`.
unsafe impl Send for Shard {}

/// The set of tasks owned by one scheduler.
pub(crate) struct OwnedTasks {
    shards: Box<[Mutex<Shard>]>,
    closed: AtomicBool,
    /// Unique in the process; a runtime's id is its list's.
    id: NonZeroU64,
}

impl OwnedTasks {
    pub(crate) fn new() -> OwnedTasks {
        // A plain std atomic even under loom: ids only need to differ, the
        // models have nothing to explore here.
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        OwnedTasks {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard { head: None, len: 0, inserted: 0 })).collect(),
            closed: AtomicBool::new(false),
            id: NonZeroU64::new(id).expect("owned-task list ids ran out"),
        }
    }

    /// This list's id, unique in the process (never reused).
    pub(crate) fn id(&self) -> NonZeroU64 {
        self.id
    }

    fn shard(&self, header: &Header) -> &Mutex<Shard> {
        &self.shards[header.id.0 as usize % SHARDS]
    }

    /// Adds a new task. Err(task) if the list is closed (the runtime is
    /// shutting down): the caller must shut the task down.
    pub(crate) fn insert(&self, task: Task) -> Result<(), Task> {
        let ptr = task.raw();
        // SAFETY: `task` holds a reference.
        let header = unsafe { ptr.as_ref() };
        let mut shard = self.shard(header).lock().unwrap();
        // Checked under the lock so `close_and_shutdown_all` cannot miss it.
        if self.closed.load(Acquire) {
            return Err(task);
        }
        // SAFETY: links are only touched under this shard's lock.
        unsafe {
            header.owned_next.with_mut(|n| *n = shard.head);
            header.owned_prev.with_mut(|p| *p = None);
            if let Some(old) = shard.head {
                old.as_ref().owned_prev.with_mut(|p| *p = Some(ptr));
            }
        }
        shard.head = Some(ptr);
        shard.len += 1;
        shard.inserted += 1;
        std::mem::forget(task); // the list keeps its reference
        Ok(())
    }

    /// Removes a task; true if it was in the list (its reference is then
    /// the caller's to release).
    pub(crate) fn remove(&self, ptr: NonNull<Header>) -> bool {
        // SAFETY: the caller holds a reference.
        let header = unsafe { ptr.as_ref() };
        let mut shard = self.shard(header).lock().unwrap();
        // SAFETY: links are only touched under this shard's lock.
        unsafe {
            let prev = header.owned_prev.with(|p| *p);
            let next = header.owned_next.with(|n| *n);
            let in_list = prev.is_some() || shard.head == Some(ptr);
            if !in_list {
                return false;
            }
            match prev {
                Some(p) => p.as_ref().owned_next.with_mut(|n| *n = next),
                None => shard.head = next,
            }
            if let Some(n) = next {
                n.as_ref().owned_prev.with_mut(|p| *p = prev);
            }
            header.owned_prev.with_mut(|p| *p = None);
            header.owned_next.with_mut(|n| *n = None);
        }
        shard.len -= 1;
        true
    }

    /// Closes the list to new tasks and shuts down every task in it.
    pub(crate) fn close_and_shutdown_all(&self) {
        self.closed.store(true, Release);
        for shard in self.shards.iter() {
            loop {
                // Pop one at a time: shutting a task down runs user code
                // (drops), which must not run under the lock.
                let ptr = {
                    let mut shard = shard.lock().unwrap();
                    let Some(ptr) = shard.head else { break };
                    // SAFETY: links are only touched under this shard's lock.
                    unsafe {
                        let next = ptr.as_ref().owned_next.with(|n| *n);
                        if let Some(n) = next {
                            n.as_ref().owned_prev.with_mut(|p| *p = None);
                        }
                        ptr.as_ref().owned_next.with_mut(|n| *n = None);
                        shard.head = next;
                    }
                    shard.len -= 1;
                    ptr
                };
                // SAFETY: the list's reference is handed to shutdown.
                unsafe { (ptr.as_ref().vtable.shutdown)(ptr) };
            }
        }
    }

    /// Number of live tasks.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap().len).sum()
    }

    /// Number of tasks ever added.
    pub(crate) fn spawned(&self) -> u64 {
        self.shards.iter().map(|s| s.lock().unwrap().inserted).sum()
    }
}
