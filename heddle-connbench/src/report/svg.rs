//! Small SVG charts drawn from Rust: line charts (linear or log axes) and a
//! log-bucket histogram. The output is plain SVG markup with classes that
//! the page's inline CSS styles and the tests count.

use std::fmt::Write as _;

use super::escape;

/// Chart size, in SVG user units (the page scales it to its column).
pub const WIDTH: f64 = 720.0;
/// Chart height.
pub const HEIGHT: f64 = 400.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 150.0;
const TOP: f64 = 36.0;
const BOTTOM: f64 = 58.0;

/// Series colours, in order (colour-blind safe, Okabe–Ito).
pub const COLORS: [&str; 6] = ["#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9"];

/// A mapping from data values to pixels along one axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    lo: f64,
    hi: f64,
    from: f64,
    to: f64,
    log: bool,
}

impl Scale {
    /// Maps `[lo, hi]` (widened if empty; positive if `log`) to pixels
    /// `[from, to]`.
    pub fn new(lo: f64, hi: f64, from: f64, to: f64, log: bool) -> Scale {
        let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() && lo <= hi { (lo, hi) } else { (0.0, 1.0) };
        if log {
            lo = lo.max(1e-3);
            hi = hi.max(lo);
            // Whole decades, so the ends get a tick.
            lo = 10f64.powf(lo.log10().floor());
            hi = 10f64.powf(hi.log10().ceil());
            if hi <= lo {
                hi = lo * 10.0;
            }
        } else {
            if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
                let pad = if hi == 0.0 { 1.0 } else { hi.abs() * 0.1 };
                lo -= pad;
                hi += pad;
            }
            let step = nice_step(hi - lo);
            lo = (lo / step).floor() * step;
            hi = (hi / step).ceil() * step;
        }
        Scale { lo, hi, from, to, log }
    }

    /// The pixel of `v` (clamped into the axis).
    pub fn map(&self, v: f64) -> f64 {
        let t = if self.log {
            (v.max(self.lo).log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        };
        self.from + t.clamp(0.0, 1.0) * (self.to - self.from)
    }

    /// The axis's ends.
    pub fn domain(&self) -> (f64, f64) {
        (self.lo, self.hi)
    }

    /// Tick values: 1-2-5 steps (linear) or powers of ten, with 2 and 5
    /// between them when there are few decades (log).
    pub fn ticks(&self) -> Vec<f64> {
        if self.log {
            let decades = (self.hi / self.lo).log10().round() as i32;
            let first = self.lo.log10().round() as i32;
            let mults: &[f64] = if decades <= 2 { &[1.0, 2.0, 5.0] } else { &[1.0] };
            let mut out = Vec::new();
            for d in first..=first + decades {
                for m in mults {
                    let v = m * 10f64.powi(d);
                    if v <= self.hi * (1.0 + 1e-9) {
                        out.push(v);
                    }
                }
            }
            out
        } else {
            let step = nice_step(self.hi - self.lo);
            let n = ((self.hi - self.lo) / step).round() as i64;
            (0..=n).map(|i| self.lo + i as f64 * step).collect()
        }
    }
}

/// A 1, 2 or 5 times a power of ten that splits `span` into 4 to 10 steps.
pub fn nice_step(span: f64) -> f64 {
    let span = if span.is_finite() && span > 0.0 { span } else { 1.0 };
    let raw = span / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let m = if norm < 1.5 {
        1.0
    } else if norm < 3.5 {
        2.0
    } else if norm < 7.5 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// A tick label: `250`, `2.5`, `12k`, `1.5M`.
pub fn tick_label(v: f64) -> String {
    let a = v.abs();
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s
        }
    };
    if a >= 1e6 {
        format!("{}M", trim(format!("{:.2}", v / 1e6)))
    } else if a >= 1e4 {
        format!("{}k", trim(format!("{:.1}", v / 1e3)))
    } else if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else {
        trim(format!("{v:.3}"))
    }
}

/// One line of a line chart.
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// CSS class suffix (`series-{key}`), unique in the chart.
    pub key: String,
    /// Stroke colour.
    pub color: String,
    /// Dashed line (a reference, such as "achieved = target").
    pub dashed: bool,
    /// The points, in x order; non-finite or (on a log axis) non-positive
    /// values are skipped.
    pub points: Vec<(f64, f64)>,
}

/// A line chart with markers at the data points.
#[derive(Clone, Debug)]
pub struct LineChart {
    /// The `<svg>` element's id.
    pub id: String,
    /// Title drawn above the plot.
    pub title: String,
    /// X axis label, with unit.
    pub x_label: String,
    /// Y axis label, with unit.
    pub y_label: String,
    /// Log-scaled y axis.
    pub y_log: bool,
    /// Start the linear y axis at zero.
    pub y_zero: bool,
    /// The lines.
    pub series: Vec<Series>,
}

fn open_svg(out: &mut String, id: &str, class: &str, title: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" class="chart {class}" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{t}">"#,
        id = escape(id),
        t = escape(title),
    );
    let _ = write!(out, r#"<title>{}</title>"#, escape(title));
    let _ = write!(
        out,
        r#"<text class="chart-title" x="{}" y="22" text-anchor="middle">{}</text>"#,
        WIDTH / 2.0,
        escape(title)
    );
}

/// Axes, grid lines, tick labels and axis labels.
fn axes(out: &mut String, x: &Scale, y: &Scale, x_ticks: &[(f64, String)], x_label: &str, y_label: &str) {
    let (x0, x1) = (LEFT, WIDTH - RIGHT);
    let (y0, y1) = (HEIGHT - BOTTOM, TOP);
    out.push_str(r#"<g class="grid">"#);
    for v in y.ticks() {
        let py = y.map(v);
        let _ = write!(out, r#"<line x1="{x0:.1}" y1="{py:.1}" x2="{x1:.1}" y2="{py:.1}"/>"#);
    }
    out.push_str("</g>");
    out.push_str(r#"<g class="axis x-axis">"#);
    let _ = write!(out, r#"<line x1="{x0:.1}" y1="{y0:.1}" x2="{x1:.1}" y2="{y0:.1}"/>"#);
    for (v, label) in x_ticks {
        let px = x.map(*v);
        let _ = write!(
            out,
            r#"<line x1="{px:.1}" y1="{y0:.1}" x2="{px:.1}" y2="{:.1}"/><text class="tick" x="{px:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            y0 + 5.0,
            y0 + 19.0,
            escape(label)
        );
    }
    let _ = write!(
        out,
        r#"<text class="axis-label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text></g>"#,
        (x0 + x1) / 2.0,
        HEIGHT - 14.0,
        escape(x_label)
    );
    out.push_str(r#"<g class="axis y-axis">"#);
    let _ = write!(out, r#"<line x1="{x0:.1}" y1="{y0:.1}" x2="{x0:.1}" y2="{y1:.1}"/>"#);
    for v in y.ticks() {
        let py = y.map(v);
        let _ = write!(
            out,
            r#"<line x1="{:.1}" y1="{py:.1}" x2="{x0:.1}" y2="{py:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            x0 - 5.0,
            x0 - 8.0,
            py + 4.0,
            tick_label(v)
        );
    }
    let (cx, cy) = (18.0, (y0 + y1) / 2.0);
    let _ = write!(
        out,
        r#"<text class="axis-label" x="{cx}" y="{cy:.1}" text-anchor="middle" transform="rotate(-90 {cx} {cy:.1})">{}</text></g>"#,
        escape(y_label)
    );
}

impl LineChart {
    /// The chart as an `<svg>` element.
    pub fn render(&self) -> String {
        let y_ok = |v: f64| v.is_finite() && (!self.y_log || v > 0.0);
        let pts: Vec<(f64, f64)> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().copied())
            .filter(|&(x, y)| x.is_finite() && y_ok(y))
            .collect();
        let fold = |f: fn(&(f64, f64)) -> f64| {
            pts.iter().map(f).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)))
        };
        let (xlo, xhi) = fold(|p| p.0);
        let (mut ylo, yhi) = fold(|p| p.1);
        if self.y_zero && !self.y_log {
            ylo = ylo.min(0.0);
        }
        let x = Scale::new(xlo.min(0.0), xhi, LEFT, WIDTH - RIGHT, false);
        let y = Scale::new(ylo, yhi, HEIGHT - BOTTOM, TOP, self.y_log);
        let mut out = String::new();
        open_svg(&mut out, &self.id, "line-chart", &self.title);
        let x_ticks: Vec<(f64, String)> = x.ticks().into_iter().map(|v| (v, tick_label(v))).collect();
        axes(&mut out, &x, &y, &x_ticks, &self.x_label, &self.y_label);
        for (i, s) in self.series.iter().enumerate() {
            let points: Vec<(f64, f64)> =
                s.points.iter().copied().filter(|&(px, py)| px.is_finite() && y_ok(py)).collect();
            let mut d = String::new();
            for (j, (px, py)) in points.iter().enumerate() {
                let _ = write!(d, "{}{:.1},{:.1}", if j == 0 { "M" } else { " L" }, x.map(*px), y.map(*py));
            }
            let dash = if s.dashed { r#" stroke-dasharray="6 4""# } else { "" };
            let _ = write!(
                out,
                r#"<g class="series series-{key}" data-name="{name}"><path d="{d}" fill="none" stroke="{c}" stroke-width="2"{dash}/>"#,
                key = escape(&s.key),
                name = escape(&s.name),
                c = escape(&s.color),
            );
            if !s.dashed {
                for (px, py) in &points {
                    let _ = write!(
                        out,
                        r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{c}"><title>{}: {} at {}</title></circle>"#,
                        x.map(*px),
                        y.map(*py),
                        escape(&s.name),
                        tick_label(*py),
                        tick_label(*px),
                        c = escape(&s.color),
                    );
                }
            }
            out.push_str("</g>");
            // Legend, right of the plot.
            let ly = TOP + 14.0 + 20.0 * i as f64;
            let lx = WIDTH - RIGHT + 14.0;
            let _ = write!(
                out,
                r#"<g class="legend-item"><line x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{c}" stroke-width="3"{dash}/><text x="{:.1}" y="{:.1}">{}</text></g>"#,
                lx + 22.0,
                lx + 28.0,
                ly + 4.0,
                escape(&s.name),
                c = escape(&s.color),
            );
        }
        out.push_str("</svg>");
        out
    }
}

/// A histogram over log-scaled buckets: bars of the share of samples.
#[derive(Clone, Debug)]
pub struct Histogram {
    /// The `<svg>` element's id.
    pub id: String,
    /// Title drawn above the plot.
    pub title: String,
    /// X axis label, with unit.
    pub x_label: String,
    /// Buckets `(lo, hi, count)`, adjacent, in order, `lo > 0`.
    pub buckets: Vec<(f64, f64, u64)>,
}

impl Histogram {
    /// The chart as an `<svg>` element; y is the percentage of samples.
    pub fn render(&self) -> String {
        let total: u64 = self.buckets.iter().map(|b| b.2).sum();
        let pct = |c: u64| if total == 0 { 0.0 } else { 100.0 * c as f64 / total as f64 };
        let lo = self.buckets.first().map_or(1.0, |b| b.0);
        let hi = self.buckets.last().map_or(10.0, |b| b.1);
        let top = self.buckets.iter().map(|b| pct(b.2)).fold(0.0, f64::max).max(1.0);
        let x = Scale::new(lo, hi, LEFT, WIDTH - RIGHT, true);
        let y = Scale::new(0.0, top, HEIGHT - BOTTOM, TOP, false);
        let mut out = String::new();
        open_svg(&mut out, &self.id, "histogram", &self.title);
        let x_ticks: Vec<(f64, String)> = x.ticks().into_iter().map(|v| (v, tick_label(v))).collect();
        axes(&mut out, &x, &y, &x_ticks, &self.x_label, "Share of samples (%)");
        out.push_str(r#"<g class="bars">"#);
        for &(blo, bhi, count) in &self.buckets {
            if count == 0 {
                continue;
            }
            let (px0, px1) = (x.map(blo), x.map(bhi));
            let (py, base) = (y.map(pct(count)), y.map(0.0));
            let _ = write!(
                out,
                r#"<rect class="bar" x="{:.1}" y="{py:.1}" width="{:.1}" height="{:.1}"><title>{}–{} µs: {count} ({:.2}%)</title></rect>"#,
                px0 + 0.5,
                (px1 - px0 - 1.0).max(0.5),
                (base - py).max(0.5),
                tick_label(blo),
                tick_label(bhi),
                pct(count),
            );
        }
        out.push_str("</g>");
        if total == 0 {
            let _ = write!(
                out,
                r#"<text class="no-data" x="{:.1}" y="{:.1}" text-anchor="middle">no successful exchanges</text>"#,
                (LEFT + WIDTH - RIGHT) / 2.0,
                HEIGHT / 2.0
            );
        }
        out.push_str("</svg>");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_scale_and_ticks() {
        let s = Scale::new(0.0, 12_000.0, 0.0, 100.0, false);
        assert_eq!(s.domain(), (0.0, 12_000.0));
        assert_eq!(s.ticks(), vec![0.0, 2000.0, 4000.0, 6000.0, 8000.0, 10_000.0, 12_000.0]);
        assert_eq!(s.map(6000.0), 50.0);
        assert_eq!(s.map(-5.0), 0.0, "clamped");
        // One value: widened around it.
        let one = Scale::new(5000.0, 5000.0, 0.0, 100.0, false);
        let (lo, hi) = one.domain();
        assert!(lo < 5000.0 && hi > 5000.0, "{lo} {hi}");
    }

    #[test]
    fn log_scale_and_ticks() {
        let s = Scale::new(45.0, 7600.0, 0.0, 300.0, true);
        assert_eq!(s.domain(), (10.0, 10_000.0));
        assert_eq!(s.ticks(), vec![10.0, 100.0, 1000.0, 10_000.0]);
        assert!((s.map(100.0) - 100.0).abs() < 1e-9);
        let narrow = Scale::new(50.0, 80.0, 0.0, 1.0, true);
        assert_eq!(narrow.ticks(), vec![10.0, 20.0, 50.0, 100.0]);
    }

    #[test]
    fn labels() {
        assert_eq!(tick_label(0.0), "0");
        assert_eq!(tick_label(2.5), "2.5");
        assert_eq!(tick_label(250.0), "250");
        assert_eq!(tick_label(12_000.0), "12k");
        assert_eq!(tick_label(12_500.0), "12.5k");
        assert_eq!(tick_label(1_500_000.0), "1.5M");
        assert_eq!(nice_step(12_000.0), 2000.0);
    }
}
