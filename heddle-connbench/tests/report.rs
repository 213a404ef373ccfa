//! The HTML report in a real browser: writes a report of three synthetic
//! rounds and runs `scripts/check-report.sh` on it, which opens it in
//! headless Chromium, checks the rendered DOM's chart elements and takes a
//! screenshot. Skipped (with a message) when Chromium is not installed and
//! cannot be installed.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use heddle_connbench::errors::{ErrorKind, Failure};
use heddle_connbench::output::{RoundEntry, RunReport};
use heddle_connbench::report;
use heddle_connbench::schedule::Schedule;
use heddle_connbench::stats::{Exchange, RoundAccumulator};

fn synthetic_run() -> RunReport {
    let rates = [2000.0, 4000.0, 8000.0];
    let rounds = rates
        .iter()
        .enumerate()
        .map(|(n, &rate)| {
            let mut acc = RoundAccumulator::new();
            let count = 2000u64;
            for i in 0..count {
                let scheduled = Duration::from_secs_f64(i as f64 / rate);
                // 60 µs and up, with a tail that grows with the rate.
                let took = Duration::from_micros(60 + (i * 7919 % count).pow(2) * (n as u64 + 1) / 4000);
                let outcome = if i % 500 == 499 && n == 2 {
                    Err(Failure::new(ErrorKind::TimedOut, "read: no answer"))
                } else {
                    Ok(300)
                };
                acc.add(&Exchange {
                    scheduled,
                    woken: scheduled,
                    started: scheduled,
                    finished: scheduled + took,
                    outcome,
                });
            }
            let report = acc.finish(&Schedule::with_count(rate, count));
            RoundEntry { round: n + 1, report, verdict: None }
        })
        .collect();
    RunReport {
        command: "rate".into(),
        target: "127.0.0.1:2345".into(),
        request_bytes: 300,
        length_s: 1.0,
        rounds,
        last_sustained_rate: None,
    }
}

#[test]
fn report_renders_in_headless_chromium() {
    let dir = std::env::temp_dir().join(format!("connbench-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let html = dir.join("report.html");
    let png = dir.join("report.png");
    report::write_html(&synthetic_run(), &html).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/check-report.sh");
    let out = Command::new("bash").arg(&script).arg(&html).arg(&png).arg("3").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(77) {
        eprintln!("SKIPPED report_renders_in_headless_chromium: {}", stderr.trim());
        return;
    }
    assert!(out.status.success(), "check-report.sh failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("ok: series p999"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}
