//! The multi-threaded, work-stealing scheduler.
//!
//! ```text
//!              spawn/wake from outside ──▶ Inject (global, mutex) ◀── overflow
//!                                              │ batches
//!   worker 0: [lifo slot] [local ring] ◀─steal─┼─steal─▶ worker 1: [lifo] [local ring]
//!                    └── park: epoll (one worker at a time) or condvar
//! ```
//!
//! * Each worker runs tasks from its LIFO slot (the task it last woke:
//!   cache-warm message passing), its local ring, then the inject queue;
//!   with nothing left it steals half of another worker's ring.
//! * The LIFO slot is bounded: a few polls in a row, and only while the
//!   task budget lasts, so two tasks waking each other cannot starve the
//!   rest. Every `global_queue_interval` ticks the inject queue goes first.
//! * Idle workers park. The first one to park takes the driver and waits
//!   in epoll; the others wait on their condvars. Nobody blocks on the
//!   driver's lock (`try_lock`). Busy workers poll the driver without
//!   blocking every `event_interval` ticks so I/O is never starved.
//! * `Idle` keeps at most one worker searching at a time when waking
//!   sleepers, to avoid thundering herds.

mod handoff;
mod idle;
mod inject;
mod parker;
pub(crate) mod queue;
mod worker;

pub(crate) use worker::{block_in_place, build, Shared};
