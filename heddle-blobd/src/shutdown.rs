//! Shutdown signals: SIGTERM and SIGINT.

use std::io;

use crate::rt;
use crate::rt::signal::unix::{signal, Signal, SignalKind};

/// Listens for SIGTERM and SIGINT. Register it before announcing readiness:
/// from then on the signals no longer kill the process.
#[derive(Debug)]
pub struct Signals {
    term: Signal,
    int: Signal,
}

impl Signals {
    /// Installs the handlers.
    pub fn new() -> io::Result<Signals> {
        Ok(Signals { term: signal(SignalKind::terminate())?, int: signal(SignalKind::interrupt())? })
    }

    /// Waits for either signal; returns its name.
    pub async fn recv(&mut self) -> &'static str {
        rt::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}
