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
#   ROUNDS=N              run the benches N times (default 1) and report, per
#                         workload, the median time of each runtime and the
#                         median and range of the per-round ratios: the
#                         multi-thread workloads are bimodal on a 2-core VM
#   REPORT_ONLY=1         skip running, report the last results
#   HEDDLE_BENCH_WORKERS  workers of the multi-thread workloads (default 4, as tokio's benches)
#   PAIRED=1              instead of criterion, the paired runner of rt.rs and sync.rs
#                         (benches/support/mod.rs): both runtimes set up side by side,
#                         alternating ~30 ms batches, median of 30 per-pair ratios; the
#                         first argument filters workloads by name. ROUNDS=N repeats it.
#
# ratio = heddle / tokio of criterion's time per iteration: below 1 means heddle
# is faster. The report is also saved as bench/results/micro-<date>.json.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v python3 >/dev/null || apt-get install -y python3 >/dev/null || { apt-get update >/dev/null && apt-get install -y python3 >/dev/null; }

if [ "${PAIRED:-0}" = 1 ]; then
    for round in $(seq 1 "${ROUNDS:-1}"); do
        (cd "$ROOT" && cargo bench -p heddle-bench --bench rt --bench sync -- --paired "$@")
    done
    exit 0
fi

args=("$@")
if [ "${QUICK:-0}" = 1 ]; then args=(--warm-up-time 1 --measurement-time 2 "${args[@]}"); fi
ROUNDS=${ROUNDS:-1}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
mkdir -p "$ROOT/bench/results"
ACC=$(mktemp)
trap 'rm -f "$ACC"' EXIT
echo '[]' >"$ACC"

# Appends the estimates criterion wrote since $1 (epoch seconds) as one round.
collect() {
    python3 - "$TARGET/criterion" "$ACC" "$1" <<'PY'
import glob, json, os, sys
crit, acc, since = sys.argv[1], sys.argv[2], float(sys.argv[3])
round_ = {}
for group in sorted(glob.glob(os.path.join(crit, "*"))):
    for rt in ("heddle", "tokio"):
        path = os.path.join(group, rt, "new", "estimates.json")
        if os.path.exists(path) and os.path.getmtime(path) >= since:
            e = json.load(open(path))
            # criterion's headline figure: the slope of the linear fit when it
            # sampled linearly, else the mean.
            stat = e.get("slope") or e["mean"]
            round_.setdefault(os.path.basename(group), {})[rt] = stat["point_estimate"]
rounds = json.load(open(acc))
rounds.append(round_)
json.dump(rounds, open(acc, "w"))
PY
}

if [ "${REPORT_ONLY:-0}" = 1 ]; then
    collect 0
else
    for round in $(seq 1 "$ROUNDS"); do
        [ "$ROUNDS" -gt 1 ] && echo "== round $round of $ROUNDS" >&2
        started=$(date +%s)
        (cd "$ROOT" && cargo bench -p heddle-bench --benches -- "${args[@]}")
        collect "$started"
    done
fi

python3 - "$ACC" "$ROOT/bench/results" <<'PY'
import json, os, statistics, sys, time
acc, results = sys.argv[1:3]
rounds = json.load(open(acc))
names = sorted({name for r in rounds for name in r})
if not names:
    sys.exit("no criterion results")

def fmt(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"

print(f"\n{'workload':<32} {'heddle':>10} {'tokio':>10} {'heddle/tokio':>13} {'range':>14} {'rounds':>6}")
report = {}
for name in names:
    h = [r[name]["heddle"] for r in rounds if name in r and "heddle" in r[name]]
    t = [r[name]["tokio"] for r in rounds if name in r and "tokio" in r[name]]
    ratios = [r[name]["heddle"] / r[name]["tokio"] for r in rounds
              if name in r and "heddle" in r[name] and "tokio" in r[name]]
    med_h = statistics.median(h) if h else None
    med_t = statistics.median(t) if t else None
    ratio = statistics.median(ratios) if ratios else None
    span = f"{min(ratios):.2f}-{max(ratios):.2f}" if len(ratios) > 1 else ""
    report[name] = {"heddle_ns": h, "tokio_ns": t, "ratios": ratios,
                    "median_ratio_heddle_over_tokio": ratio}
    print(f"{name:<32} {fmt(med_h) if med_h else 'n/a':>10} {fmt(med_t) if med_t else 'n/a':>10} "
          f"{f'{ratio:.3f}' if ratio else 'n/a':>13} {span:>14} {len(ratios):>6}")
out = os.path.join(results, time.strftime("micro-%Y%m%dT%H%M%SZ.json", time.gmtime()))
json.dump(report, open(out, "w"), indent=2)
print(f"\n(time per iteration, criterion's estimate, median over rounds; ratio = median of the"
      f" per-round heddle/tokio ratios, < 1: heddle faster)  saved {out}")
PY
