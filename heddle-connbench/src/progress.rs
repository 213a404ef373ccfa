//! The progress bar shown while a round runs: the round's pacer counts
//! into [`RoundProgress`]; a thread of its own draws the counts with
//! indicatif ten times a second, only when stdout is a terminal.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Counts of a running round, updated by its pacer.
#[derive(Debug, Default)]
pub struct RoundProgress {
    /// Connections started.
    pub started: AtomicU64,
    /// Exchanges finished (successfully or not).
    pub finished: AtomicU64,
    /// Exchanges failed.
    pub failed: AtomicU64,
}

impl RoundProgress {
    /// `(started, finished, failed)`.
    pub fn get(&self) -> (u64, u64, u64) {
        (
            self.started.load(Ordering::Relaxed),
            self.finished.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

/// A progress bar drawn while it lives; [`Bar::finish`] clears it.
#[derive(Debug)]
pub struct Bar {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Bar {
    /// Shows a bar of `total` connections for `counts` on stdout, or
    /// nothing (`None`) when stdout is not a terminal.
    pub fn start(counts: Arc<RoundProgress>, total: u64, prefix: String) -> Option<Bar> {
        if !std::io::stdout().is_terminal() {
            return None;
        }
        Some(Bar::with_target(counts, total, prefix, ProgressDrawTarget::stdout()))
    }

    /// As [`Bar::start`], drawing to `target` (hidden in tests).
    pub fn with_target(counts: Arc<RoundProgress>, total: u64, prefix: String, target: ProgressDrawTarget) -> Bar {
        let bar = ProgressBar::with_draw_target(Some(total), target);
        if let Ok(style) =
            ProgressStyle::with_template("{prefix} [{bar:32}] {pos}/{len} started, {msg} ({elapsed_precise})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(prefix);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("progress".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let (started, finished, failed) = counts.get();
                        bar.set_position(started);
                        bar.set_message(format!("{finished} done, {failed} failed"));
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    bar.finish_and_clear();
                })
                .ok()
        };
        Bar { stop, thread }
    }

    /// Clears the bar (before the round's figures are printed).
    pub fn finish(mut self) {
        self.stop_thread();
    }

    fn stop_thread(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_bar_runs_and_stops() {
        let counts = Arc::new(RoundProgress::default());
        let bar = Bar::with_target(counts.clone(), 10, "round 1".into(), ProgressDrawTarget::hidden());
        counts.started.fetch_add(3, Ordering::Relaxed);
        counts.finished.fetch_add(2, Ordering::Relaxed);
        counts.failed.fetch_add(1, Ordering::Relaxed);
        assert_eq!(counts.get(), (3, 2, 1));
        std::thread::sleep(Duration::from_millis(150));
        bar.finish();
    }
}
