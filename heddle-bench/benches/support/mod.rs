//! What `rt.rs`, `sync.rs` and `fs.rs` share: the [`Sink`] a workload hands
//! its per-iteration closure to, the paired runner, and `paired_groups!`,
//! which turns the workload list into criterion groups and the runner's list.
//!
//! Each workload is written once and can be measured two ways:
//!
//! * by criterion (the default): the group measures heddle's closure for a
//!   few seconds, then tokio's;
//! * paired (`cargo bench -p heddle-bench --bench sync --bench rt -- --paired
//!   [FILTER]`): both runtimes are set up side by side and their closures
//!   run in alternating batches of ~30 ms, the order flipping every pair;
//!   the figure is the median of the per-pair time ratios (30 pairs, or
//!   `HEDDLE_BENCH_PAIRS`; batch length `HEDDLE_BENCH_BATCH_MS`), with a
//!   95% bootstrap interval (`heddle_bench::ratio_ci`).
//!
//! Why both: on a 2-vCPU VM the cost of a cross-thread wake-up changes
//! several-fold for tens of seconds at a time (the host moves the vCPUs).
//! Criterion's few seconds of heddle followed by a few seconds of tokio can
//! land in different host states; a ratio of two adjacent 30 ms batches
//! almost never does.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::BenchmarkGroup;

/// Where a workload registers "one iteration".
pub trait Sink {
    /// `f` runs one iteration; `name` is the runtime's name.
    fn iteration<O>(&mut self, name: &'static str, f: impl FnMut() -> O + 'static);
}

impl Sink for BenchmarkGroup<'_, WallTime> {
    fn iteration<O>(&mut self, name: &'static str, mut f: impl FnMut() -> O + 'static) {
        self.bench_function(name, |b| b.iter(&mut f));
    }
}

/// Keeps the closure for the paired runner.
#[derive(Default)]
pub struct Capture(Option<Box<dyn FnMut()>>);

impl Sink for Capture {
    fn iteration<O>(&mut self, _name: &'static str, mut f: impl FnMut() -> O + 'static) {
        self.0 = Some(Box::new(move || {
            black_box(f());
        }));
    }
}

/// A workload as the paired runner sees it: its name and how to set it up
/// on each runtime.
pub type PairedWorkload = (&'static str, fn(&mut Capture), fn(&mut Capture));

/// The bench binary's `main`: the paired runner over `paired` if asked for
/// (`--paired`), else criterion running `criterion_groups` (what
/// `criterion_main!` would do).
pub fn main(paired: &[PairedWorkload], criterion_groups: fn()) {
    if std::env::args().any(|a| a == "--paired") {
        paired_main(paired);
        return;
    }
    criterion_groups();
    criterion::Criterion::default().configure_from_args().final_summary();
}

/// Batch pairs per workload, unless `HEDDLE_BENCH_PAIRS` says otherwise
/// (more pairs narrow the median for workloads whose cost swings with
/// the OS scheduler, like the notify ones).
const DEFAULT_PAIRS: usize = 30;

fn pairs() -> usize {
    std::env::var("HEDDLE_BENCH_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n >= 4)
        .unwrap_or(DEFAULT_PAIRS)
}
/// Length of one batch, unless `HEDDLE_BENCH_BATCH_MS` says otherwise
/// (shorter batches, with more pairs, keep both halves of a pair within one
/// state of the host for workloads that swing from one moment to the next).
const DEFAULT_BATCH: Duration = Duration::from_millis(30);

fn batch() -> Duration {
    std::env::var("HEDDLE_BENCH_BATCH_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&ms: &u64| ms >= 1)
        .map_or(DEFAULT_BATCH, Duration::from_millis)
}
const WARM_UP: Duration = Duration::from_millis(300);

/// Runs the workloads whose name contains the first non-flag argument (all
/// of them without one), prints one line each and appends them to
/// `bench/results/paired-<unix time>.json`.
pub fn paired_main(workloads: &[PairedWorkload]) {
    // `cargo bench` adds `--bench`; criterion-style flags are ignored too.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    println!(
        "{:<34} {:>11} {:>11} {:>13} {:>13} {:>13} {:>6}",
        "workload", "heddle", "tokio", "heddle/tokio", "95% CI", "p25-p75", "pairs"
    );
    let mut records = Vec::new();
    for (name, heddle_setup, tokio_setup) in workloads {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let r = measure(*heddle_setup, *tokio_setup);
        println!(
            "{:<34} {:>11} {:>11} {:>13.3} {:>6.3}-{:<6.3} {:>6.3}-{:<6.3} {:>6}",
            name,
            fmt_time(r.heddle),
            fmt_time(r.tokio),
            r.median,
            r.ci95.0,
            r.ci95.1,
            r.p25,
            r.p75,
            r.pairs
        );
        records.push(format!(
            r#"{{"workload":"{name}","heddle_ns":{:.1},"tokio_ns":{:.1},"ratio_median":{:.4},"ratio_ci95_low":{:.4},"ratio_ci95_high":{:.4},"ratio_p25":{:.4},"ratio_p75":{:.4},"pairs":{}}}"#,
            r.heddle.as_nanos(),
            r.tokio.as_nanos(),
            r.median,
            r.ci95.0,
            r.ci95.1,
            r.p25,
            r.p75,
            r.pairs
        ));
    }
    println!(
        "(median time per iteration; ratio: median of the per-pair ratios of adjacent ~30 ms batches, < 1: heddle \
         faster; 95% CI: bootstrap interval of that median, which cannot tell the two apart when it contains 1)"
    );
    save(&records);
}

struct Paired {
    heddle: Duration,
    tokio: Duration,
    median: f64,
    ci95: (f64, f64),
    p25: f64,
    p75: f64,
    pairs: usize,
}

fn measure(heddle_setup: fn(&mut Capture), tokio_setup: fn(&mut Capture)) -> Paired {
    let mut h = Capture::default();
    heddle_setup(&mut h);
    let mut t = Capture::default();
    tokio_setup(&mut t);
    let (mut h, mut t) =
        (h.0.expect("workload registered no iteration"), t.0.expect("workload registered no iteration"));
    // Warm up both, and size the batch from the slower of the two.
    let per_iter = warm_up(&mut h).max(warm_up(&mut t));
    let batch = ((batch().as_secs_f64() / per_iter.as_secs_f64()) as usize).max(1);
    let (mut hs, mut ts, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let pairs = pairs();
    for pair in 0..pairs {
        let (th, tt) = if pair % 2 == 0 {
            let th = time(&mut h, batch);
            (th, time(&mut t, batch))
        } else {
            let tt = time(&mut t, batch);
            (time(&mut h, batch), tt)
        };
        hs.push(th / batch as u32);
        ts.push(tt / batch as u32);
        ratios.push(th.as_secs_f64() / tt.as_secs_f64());
    }
    // Both runtimes (owned by the closures) shut down when this returns,
    // before the next workload sets up its own.
    hs.sort();
    ts.sort();
    ratios.sort_by(f64::total_cmp);
    let ci95 = heddle_bench::ratio_ci::median_ci95(&ratios);
    Paired {
        heddle: hs[pairs / 2],
        tokio: ts[pairs / 2],
        median: ratios[pairs / 2],
        ci95,
        p25: ratios[pairs / 4],
        p75: ratios[pairs * 3 / 4],
        pairs,
    }
}

/// Runs `f` for `WARM_UP`; returns the time of one iteration.
fn warm_up(f: &mut Box<dyn FnMut()>) -> Duration {
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < WARM_UP {
        f();
        n += 1;
    }
    start.elapsed() / n
}

fn time(f: &mut Box<dyn FnMut()>, iterations: usize) -> Duration {
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    start.elapsed()
}

fn fmt_time(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    match ns {
        ns if ns >= 1e6 => format!("{:.3} ms", ns / 1e6),
        ns if ns >= 1e3 => format!("{:.1} µs", ns / 1e3),
        ns => format!("{ns:.0} ns"),
    }
}

fn save(records: &[String]) {
    if records.is_empty() {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/results");
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let exe = std::env::args().next().unwrap_or_default();
    let bench = std::path::Path::new(&exe)
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.split('-').next())
        .unwrap_or("bench")
        .to_string();
    let path = dir.join(format!("paired-{bench}-{stamp}.json"));
    let body = format!("[\n{}\n]\n", records.join(",\n"));
    if std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, body)).is_ok() {
        println!("saved {}", path.display());
    }
}

/// One criterion group per workload (`heddle` measured first, then
/// `tokio`), the criterion group list `$name` of them all, and `PAIRED`,
/// the list the paired runner (`-- --paired`) goes through. The caller has
/// modules `heddle` and `tokio` with a function per workload (from its
/// `workloads!` macro).
macro_rules! paired_groups {
    ($name:ident: $($workload:ident),* $(,)?) => {
        $(
            fn $workload(c: &mut ::criterion::Criterion) {
                let mut g: ::criterion::BenchmarkGroup<'_, ::criterion::measurement::WallTime> =
                    c.benchmark_group(stringify!($workload));
                self::heddle::$workload(&mut g);
                self::tokio::$workload(&mut g);
                g.finish();
            }
        )*
        ::criterion::criterion_group!($name, $($workload),*);

        const PAIRED: &[support::PairedWorkload] = &[
            $((stringify!($workload), |c| self::heddle::$workload(c), |c| self::tokio::$workload(c)),)*
        ];
    };
}
pub(crate) use paired_groups;
