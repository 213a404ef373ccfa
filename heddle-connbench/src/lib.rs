//! heddle-connbench: a connection-rate benchmark built on heddle.
//!
//! The client opens new TCP connections at an exact rate (connection `i` of
//! a round starts at `start + i/R`), sends a payload, reads the answer to
//! EOF and records each exchange's latency twice: from the *scheduled* start
//! (free of coordinated omission) and from the *actual* connect start. The
//! server accepts on one or more `SO_REUSEPORT` listeners and answers in one
//! of three modes.
//!
//! The protocol and accounting logic lives in modules that need no sockets
//! ([`schedule`], [`errors`], [`stats`], [`saturate`], [`http`], [`report`]); the socket
//! work is in the thin async functions of [`client`] and [`server`].

pub mod client;
pub mod errors;
pub mod http;
pub mod output;
pub mod progress;
pub mod report;
pub mod rlimit;
pub mod saturate;
pub mod schedule;
pub mod server;
pub mod stats;
