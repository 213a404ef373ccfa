#!/usr/bin/env bash
# Criterion micro-benchmarks of heddle against tokio (heddle-bench/benches/
# rt.rs and timer.rs): runs them, then prints the heddle/tokio ratio of each
# workload from criterion's target/criterion/<group>/<runtime>/new/estimates.json.
#
# usage: bench/micro.sh [CRITERION-ARGS...]
#   bench/micro.sh                                 everything, criterion defaults (~10 min)
#   bench/micro.sh spawn_many                      only groups whose name matches
#   bench/micro.sh --warm-up-time 1 --measurement-time 2    quicker, noisier
# environment:
#   QUICK=1               shorthand for --warm-up-time 1 --measurement-time 2
#   REPORT_ONLY=1         skip running, report the last results
#   HEDDLE_BENCH_WORKERS  workers of the multi-thread workloads (default 4, as tokio's benches)
#
# ratio = heddle / tokio of criterion's time per iteration: below 1 means heddle
# is faster. The report is also saved as bench/results/micro-<date>.json.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v python3 >/dev/null || apt-get install -y python3 >/dev/null || { apt-get update >/dev/null && apt-get install -y python3 >/dev/null; }

args=("$@")
if [ "${QUICK:-0}" = 1 ]; then args=(--warm-up-time 1 --measurement-time 2 "${args[@]}"); fi
if [ "${REPORT_ONLY:-0}" != 1 ]; then
    (cd "$ROOT" && cargo bench -p heddle-bench --benches -- "${args[@]}")
fi

TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
mkdir -p "$ROOT/bench/results"
python3 - "$TARGET/criterion" "$ROOT/bench/results" <<'PY'
import glob, json, os, sys, time
crit, results = sys.argv[1:3]
rows = []
for group in sorted(glob.glob(os.path.join(crit, "*"))):
    est = {}
    for rt in ("heddle", "tokio"):
        path = os.path.join(group, rt, "new", "estimates.json")
        if os.path.exists(path):
            e = json.load(open(path))
            # criterion's headline figure: the slope of the linear fit when it
            # sampled linearly, else the mean.
            stat = e.get("slope") or e["mean"]
            est[rt] = {"ns": stat["point_estimate"],
                       "lo_ns": stat["confidence_interval"]["lower_bound"],
                       "hi_ns": stat["confidence_interval"]["upper_bound"],
                       "measured": time.strftime("%Y-%m-%d %H:%M", time.localtime(os.path.getmtime(path)))}
    if est:
        rows.append((os.path.basename(group), est))
if not rows:
    sys.exit(f"no criterion results under {crit}")

def fmt(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"

print(f"\n{'workload':<28} {'heddle':>12} {'tokio':>12} {'heddle/tokio':>13}")
report = {}
for name, est in rows:
    h, t = est.get("heddle"), est.get("tokio")
    ratio = h["ns"] / t["ns"] if h and t else None
    report[name] = {**est, "ratio_heddle_over_tokio": ratio}
    print(f"{name:<28} {fmt(h['ns']) if h else 'n/a':>12} {fmt(t['ns']) if t else 'n/a':>12} "
          f"{f'{ratio:.3f}' if ratio else 'n/a':>13}")
out = os.path.join(results, time.strftime("micro-%Y%m%dT%H%M%SZ.json", time.gmtime()))
json.dump(report, open(out, "w"), indent=2)
print(f"\n(time per iteration, criterion's estimate; ratio < 1: heddle faster)  saved {out}")
PY
