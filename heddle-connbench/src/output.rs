//! `--json` and `--csv` files with every round's figures.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::errors::ErrorKind;
use crate::stats::{RoundReport, Summary};

/// One round in the output files.
#[derive(Clone, Debug, Serialize)]
pub struct RoundEntry {
    /// 1-based round number.
    pub round: usize,
    /// The round's figures.
    #[serde(flatten)]
    pub report: RoundReport,
    /// `saturate`'s judgement of the round.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
}

/// A whole run: what the `--json` file holds.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// `rate` or `saturate`.
    pub command: String,
    /// The server's address.
    pub target: String,
    /// Request bytes per connection.
    pub request_bytes: usize,
    /// Seconds each round kept starting connections.
    pub length_s: f64,
    /// Every round, in order.
    pub rounds: Vec<RoundEntry>,
    /// `saturate`: the highest rate sustained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_sustained_rate: Option<f64>,
}

impl RunReport {
    /// Writes the JSON file.
    pub fn write_json(&self, path: &Path) -> io::Result<()> {
        let mut file = io::BufWriter::new(std::fs::File::create(path)?);
        serde_json::to_writer_pretty(&mut file, self)?;
        writeln!(file)?;
        file.flush()
    }

    /// Writes the CSV file: a header and one line per round.
    pub fn write_csv(&self, path: &Path) -> io::Result<()> {
        let mut file = io::BufWriter::new(std::fs::File::create(path)?);
        file.write_all(self.csv().as_bytes())?;
        file.flush()
    }

    /// The CSV text.
    pub fn csv(&self) -> String {
        let mut header = vec!["round", "target_rate", "achieved_rate", "scheduled", "samples", "errors"];
        header.extend(ErrorKind::ALL.iter().map(|k| k.name()));
        let mut header: Vec<String> = header.into_iter().map(String::from).collect();
        for prefix in ["latency", "connect_latency"] {
            for q in ["min", "p50", "p90", "p99", "p999", "max", "mean"] {
                header.push(format!("{prefix}_{q}_us"));
            }
        }
        header.extend(
            ["start_lag_p50_us", "start_lag_p99_us", "start_lag_max_us", "pacer_lag_p99_us", "verdict"]
                .map(String::from),
        );
        let mut out = header.join(",");
        out.push('\n');
        for entry in &self.rounds {
            let r = &entry.report;
            let mut row = vec![
                entry.round.to_string(),
                format!("{}", r.target_rate),
                format!("{:.3}", r.achieved_rate),
                r.scheduled.to_string(),
                r.samples.to_string(),
                r.errors.total().to_string(),
            ];
            row.extend(ErrorKind::ALL.iter().map(|&k| r.errors.get(k).to_string()));
            for s in [&r.latency, &r.connect_latency] {
                row.extend(summary_fields(s));
            }
            row.extend(
                [r.start_lag.p50_us, r.start_lag.p99_us, r.start_lag.max_us, r.pacer_lag.p99_us]
                    .map(|v| format!("{v:.3}")),
            );
            // Verdicts are plain text without commas or quotes, but be safe.
            row.push(entry.verdict.as_deref().map(|v| format!("\"{}\"", v.replace('"', "\"\""))).unwrap_or_default());
            out.push_str(&row.join(","));
            out.push('\n');
        }
        out
    }
}

fn summary_fields(s: &Summary) -> [String; 7] {
    [s.min_us, s.p50_us, s.p90_us, s.p99_us, s.p999_us, s.max_us, s.mean_us].map(|v| format!("{v:.3}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Schedule;
    use crate::stats::{Exchange, RoundAccumulator};
    use std::time::Duration;

    fn run() -> RunReport {
        let mut acc = RoundAccumulator::new();
        acc.add(&Exchange {
            scheduled: Duration::ZERO,
            woken: Duration::from_micros(1),
            started: Duration::from_micros(3),
            finished: Duration::from_micros(103),
            outcome: Ok(10),
        });
        let report = acc.finish(&Schedule::with_count(100.0, 1));
        RunReport {
            command: "rate".into(),
            target: "127.0.0.1:2345".into(),
            request_bytes: 0,
            length_s: 0.01,
            rounds: vec![RoundEntry { round: 1, report, verdict: Some("sustained".into()) }],
            last_sustained_rate: None,
        }
    }

    #[test]
    fn csv_rows_match_the_header() {
        let csv = run().csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 2);
        let header: Vec<&str> = lines[0].split(',').collect();
        let row: Vec<&str> = lines[1].split(',').collect();
        assert_eq!(header.len(), row.len());
        let col = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
        assert_eq!(col("target_rate"), "100");
        assert_eq!(col("samples"), "1");
        assert_eq!(col("refused"), "0");
        assert_eq!(col("verdict"), "\"sustained\"");
        assert!(col("latency_p50_us").starts_with("103."), "{}", col("latency_p50_us"));
    }

    #[test]
    fn json_flattens_rounds() {
        let json = serde_json::to_value(run()).unwrap();
        assert_eq!(json["rounds"][0]["round"], 1);
        assert_eq!(json["rounds"][0]["target_rate"], 100.0);
        assert_eq!(json["rounds"][0]["errors"]["timed_out"], 0);
        assert!(json.get("last_sustained_rate").is_none());
    }
}
