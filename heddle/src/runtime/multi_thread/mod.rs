//! The multi-threaded, work-stealing scheduler.
//!
//! ```text
//!              spawn/wake from outside ──▶ Inject (global, mutex) ◀── overflow
//!                                              │ batches
//!   worker 0: [lifo slot] [local ring] ◀─steal─┼─steal─▶ worker 1: [lifo] [local ring]
//!                    └── park: in its own reactor (epoll)
//! ```
//!
//! * Each worker runs tasks from its LIFO slot (the task it last woke:
//!   cache-warm message passing), its local ring, then the inject queue;
//!   with nothing left it steals half of another worker's ring.
//! * The LIFO slot is bounded: a few polls in a row, and only while the
//!   task budget lasts, so two tasks waking each other cannot starve the
//!   rest. Every `global_queue_interval` ticks the inject queue goes first.
//! * Each worker has its own reactor (epoll instance); a new socket goes
//!   to the reactor with the fewest live sockets, preferring the
//!   registering worker's own, which spreads connections evenly. Idle
//!   workers park in their own reactor. Busy workers poll theirs without
//!   blocking every `event_interval` ticks so I/O is never starved, and an
//!   idle worker now and then polls a busy peer's reactor (`try_lock`, so
//!   nobody blocks on it).
//! * `Idle` keeps at most one worker searching at a time when waking
//!   sleepers, to avoid thundering herds.
//!
//! Files: `worker` (shared state, worker loop, running and queueing
//! tasks), `search` (finding work, parking, waking), `block_in_place`,
//! `shutdown`, and the data structures `queue` (local ring), `inject`
//! (global queue), `idle` (who is asleep or searching), `parker` (how a
//! worker sleeps) and `handoff` (moving a core between threads).

mod block_in_place;
mod handoff;
mod idle;
mod inject;
mod parker;
pub(crate) mod queue;
mod search;
mod shutdown;
mod worker;

pub(crate) use block_in_place::block_in_place;
pub(crate) use worker::{build, Shared};
