//! `--report FILE.html`: one self-contained page (inline CSS and SVG, no
//! scripts, nothing fetched) with the run's charts:
//!
//! * latency percentiles from the scheduled start (p50, p90, p99, p99.9,
//!   max) against the target rate, log-scaled;
//! * achieved against target rate, with the "achieved = target" line;
//! * one latency histogram per round, over log-scaled buckets;
//!
//! and a table of every round's figures. Built from a [`RunReport`] alone,
//! so it is tested without sockets.

pub mod svg;

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use crate::output::RunReport;
use crate::stats::Summary;
use svg::{Histogram, LineChart, Series, COLORS};

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}\
h1{font-size:1.5em;margin-bottom:4px}h2{font-size:1.2em;margin-top:32px}\
.meta{color:#555;margin-top:0}\
.charts{display:flex;flex-wrap:wrap;gap:16px}\
svg.chart{background:#fff;border:1px solid #ddd;border-radius:4px;max-width:100%;height:auto}\
svg.chart text{font-size:12px;fill:#333}\
svg.chart .chart-title{font-size:15px;font-weight:600}\
svg.chart .axis-label{font-size:13px}\
svg.chart .axis line{stroke:#444;stroke-width:1}\
svg.chart .grid line{stroke:#e5e5e5;stroke-width:1}\
svg.chart .bar{fill:#0072b2;fill-opacity:.85}\
table{border-collapse:collapse;font-size:13px;margin-top:8px}\
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f4f4f4}\
td.text{text-align:left}\
";

fn fmt(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Picks one figure of a latency summary.
type Quantile = fn(&Summary) -> f64;

/// The page for `run`.
pub fn render(run: &RunReport) -> String {
    let mut rounds: Vec<_> = run.rounds.iter().collect();
    rounds.sort_by(|a, b| a.report.target_rate.total_cmp(&b.report.target_rate));
    let with_samples: Vec<_> = rounds.iter().filter(|r| r.report.samples > 0).collect();

    let quantiles: [(&str, &str, Quantile); 5] = [
        ("p50", "p50", |s| s.p50_us),
        ("p90", "p90", |s| s.p90_us),
        ("p99", "p99", |s| s.p99_us),
        ("p99.9", "p999", |s| s.p999_us),
        ("max", "max", |s| s.max_us),
    ];
    let percentiles = LineChart {
        id: "chart-percentiles".into(),
        title: "Latency from the scheduled start, by target rate".into(),
        x_label: "Target rate (connections/s)".into(),
        y_label: "Latency (µs, log scale)".into(),
        y_log: true,
        y_zero: false,
        series: quantiles
            .iter()
            .enumerate()
            .map(|(i, (name, key, q))| Series {
                name: (*name).into(),
                key: (*key).into(),
                color: COLORS[i].into(),
                dashed: false,
                points: with_samples.iter().map(|r| (r.report.target_rate, q(&r.report.latency))).collect(),
            })
            .collect(),
    };
    let ideal: Vec<(f64, f64)> = rounds.iter().map(|r| (r.report.target_rate, r.report.target_rate)).collect();
    let rates = LineChart {
        id: "chart-rates".into(),
        title: "Achieved against target rate".into(),
        x_label: "Target rate (connections/s)".into(),
        y_label: "Achieved rate (connections/s)".into(),
        y_log: false,
        y_zero: true,
        series: vec![
            Series {
                name: "achieved".into(),
                key: "achieved".into(),
                color: COLORS[0].into(),
                dashed: false,
                points: rounds.iter().map(|r| (r.report.target_rate, r.report.achieved_rate)).collect(),
            },
            Series { name: "= target".into(), key: "ideal".into(), color: "#999".into(), dashed: true, points: ideal },
        ],
    };

    let mut out = String::new();
    let title = format!("heddle-connbench {}: {}", run.command, run.target);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>{CSS}</style></head><body>\n<h1>{t}</h1>\n",
        t = escape(&title)
    );
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} round(s) of {} s, {} request bytes per connection{}. \
         Latency is from each connection's <em>scheduled</em> start to the answer's end \
         (free of coordinated omission), successful exchanges only.</p>",
        run.rounds.len(),
        fmt(run.length_s),
        run.request_bytes,
        match run.last_sustained_rate {
            Some(r) => format!("; last sustainable rate <strong>{r:.0} connections/s</strong>"),
            None => String::new(),
        }
    );
    out.push_str("<section class=\"charts\" id=\"summary-charts\">\n");
    out.push_str(&percentiles.render());
    out.push('\n');
    out.push_str(&rates.render());
    out.push_str("\n</section>\n");

    out.push_str(
        "<h2>Rounds</h2>\n<table id=\"rounds\"><thead><tr><th>round</th><th>target/s</th><th>achieved/s</th>\
                  <th>%</th><th>samples</th><th>errors</th><th>p50 µs</th><th>p90 µs</th><th>p99 µs</th>\
                  <th>p99.9 µs</th><th>max µs</th><th>verdict</th></tr></thead><tbody>\n",
    );
    for e in &run.rounds {
        let r = &e.report;
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{:.0}</td><td>{:.1}</td><td>{:.1}</td><td>{}</td><td class=\"text\">{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"text\">{}</td></tr>",
            e.round,
            r.target_rate,
            r.achieved_rate,
            100.0 * r.ratio(),
            r.samples,
            escape(&r.errors.to_string()),
            fmt(r.latency.p50_us),
            fmt(r.latency.p90_us),
            fmt(r.latency.p99_us),
            fmt(r.latency.p999_us),
            fmt(r.latency.max_us),
            escape(e.verdict.as_deref().unwrap_or("")),
        );
    }
    out.push_str("</tbody></table>\n");

    out.push_str("<h2>Latency histograms</h2>\n<section class=\"charts\" id=\"histograms\">\n");
    for e in &run.rounds {
        let r = &e.report;
        let h = Histogram {
            id: format!("chart-histogram-{}", e.round),
            title: format!(
                "Round {}: {:.0}/s target, {:.0}/s achieved, {} samples",
                e.round, r.target_rate, r.achieved_rate, r.samples
            ),
            x_label: "Latency from the scheduled start (µs, log buckets)".into(),
            buckets: r.latency_histogram.iter().map(|b| (b.lo_us, b.hi_us, b.count)).collect(),
        };
        out.push_str(&h.render());
        out.push('\n');
    }
    out.push_str("</section>\n</body></html>\n");
    out
}

/// Writes the page for `run` to `path`.
pub fn write_html(run: &RunReport, path: &Path) -> io::Result<()> {
    std::fs::write(path, render(run))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::{ErrorKind, Failure};
    use crate::output::RoundEntry;
    use crate::schedule::Schedule;
    use crate::stats::{Exchange, RoundAccumulator};
    use std::time::Duration;

    /// A run of rounds at `rates`, each of 200 exchanges with latencies
    /// spread over 50 µs .. ~5 ms, the last one with a refused connection.
    pub(crate) fn sample_run(rates: &[f64]) -> RunReport {
        let rounds = rates
            .iter()
            .enumerate()
            .map(|(n, &rate)| {
                let mut acc = RoundAccumulator::new();
                for i in 0..200u64 {
                    let scheduled = Duration::from_secs_f64(i as f64 / rate);
                    let took = Duration::from_micros(50 + (i * i * (n as u64 + 1)) / 8);
                    acc.add(&Exchange {
                        scheduled,
                        woken: scheduled,
                        started: scheduled,
                        finished: scheduled + took,
                        outcome: Ok(300),
                    });
                }
                if n + 1 == rates.len() {
                    acc.add(&Exchange {
                        scheduled: Duration::ZERO,
                        woken: Duration::ZERO,
                        started: Duration::ZERO,
                        finished: Duration::from_micros(10),
                        outcome: Err(Failure::new(ErrorKind::Refused, "connect: <refused>")),
                    });
                }
                let report = acc.finish(&Schedule::with_count(rate, 200));
                RoundEntry { round: n + 1, report, verdict: Some("sustained".into()) }
            })
            .collect();
        RunReport {
            command: "saturate".into(),
            target: "127.0.0.1:2345".into(),
            request_bytes: 300,
            length_s: 5.0,
            rounds,
            last_sustained_rate: Some(rates[rates.len() - 1]),
        }
    }

    fn count(hay: &str, needle: &str) -> usize {
        hay.matches(needle).count()
    }

    #[test]
    fn page_structure() {
        let html = render(&sample_run(&[2000.0, 2500.0, 3125.0]));
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.trim_end().ends_with("</html>"));
        // Two summary charts and one histogram per round.
        assert_eq!(count(&html, "<svg "), 5);
        assert_eq!(count(&html, "</svg>"), 5);
        assert_eq!(count(&html, r#"id="chart-percentiles""#), 1);
        assert_eq!(count(&html, r#"id="chart-rates""#), 1);
        for n in 1..=3 {
            assert_eq!(count(&html, &format!(r#"id="chart-histogram-{n}""#)), 1);
        }
        // Five percentile series with one marker per round, and the two
        // rate series.
        for key in ["p50", "p90", "p99", "p999", "max"] {
            assert_eq!(count(&html, &format!(r#"class="series series-{key}""#)), 1, "{key}");
        }
        assert_eq!(count(&html, r#"class="series series-achieved""#), 1);
        assert_eq!(count(&html, r#"class="series series-ideal""#), 1);
        assert_eq!(count(&html, "<circle "), 5 * 3 + 3);
        let p50 = html.split(r#"series-p50""#).nth(1).unwrap();
        let d = p50.split(r#"d=""#).nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(d.matches('M').count() + d.matches('L').count(), 3, "{d}");
        // Axis labels with units.
        assert_eq!(count(&html, "Target rate (connections/s)"), 2);
        assert_eq!(count(&html, "Latency (µs, log scale)"), 1);
        assert_eq!(count(&html, "Achieved rate (connections/s)"), 1);
        assert_eq!(count(&html, "Latency from the scheduled start (µs, log buckets)"), 3);
        assert_eq!(count(&html, "Share of samples (%)"), 3);
        assert!(count(&html, r#"class="bar""#) >= 3);
        // Self-contained: no scripts, nothing fetched.
        assert!(!html.contains("<script"));
        assert!(!html.contains("https://"));
        assert!(!html.contains("<link"));
        for url in html.match_indices("http://") {
            assert!(html[url.0..].starts_with("http://www.w3.org/2000/svg"), "only the SVG namespace");
        }
        // The table, with escaped text.
        assert_eq!(count(&html, "<tr><td>"), 3);
        assert!(html.contains("last sustainable rate <strong>3125 connections/s</strong>"));
        assert!(html.contains("refused 1"));
    }

    #[test]
    fn histogram_bars_match_the_buckets() {
        let run = sample_run(&[1000.0]);
        let html = render(&run);
        let nonempty = run.rounds[0].report.latency_histogram.iter().filter(|b| b.count > 0).count();
        assert!(nonempty >= 5, "{:?}", run.rounds[0].report.latency_histogram);
        assert_eq!(count(&html, r#"class="bar""#), nonempty);
        // One round: the line charts still have a point each.
        assert_eq!(count(&html, "<circle "), 5 + 1);
    }

    #[test]
    fn empty_rounds_render() {
        let mut run = sample_run(&[1000.0]);
        let mut acc = RoundAccumulator::new();
        acc.add(&Exchange {
            scheduled: Duration::ZERO,
            woken: Duration::ZERO,
            started: Duration::ZERO,
            finished: Duration::from_micros(10),
            outcome: Err(Failure::new(ErrorKind::Reset, "reset")),
        });
        run.rounds.push(RoundEntry { round: 2, report: acc.finish(&Schedule::with_count(2000.0, 1)), verdict: None });
        let html = render(&run);
        assert_eq!(count(&html, "<svg "), 4);
        assert!(html.contains("no successful exchanges"));
        assert!(!html.contains("NaN") && !html.contains("inf"), "no broken numbers");
        let none = render(&RunReport { rounds: Vec::new(), last_sustained_rate: None, ..run });
        assert_eq!(count(&none, "<svg "), 2);
        assert!(!none.contains("NaN"));
    }

    #[test]
    fn escapes() {
        assert_eq!(escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}
