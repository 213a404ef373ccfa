#!/usr/bin/env bash
# The paired runner (heddle-bench/benches/support/mod.rs) in several fresh
# processes, for workloads whose ratio depends on how Linux places the
# threads of each process (the multi-thread notify workloads on a 2-CPU
# machine flip between ~0.75 and ~1.3 from one process to the next, with a
# tight interval inside each). Prints every process's ratio per workload,
# then the median over processes, the range, and in how many processes
# heddle was the slower one.
#
# usage: bench/paired-procs.sh BENCH FILTER [PROCS]
#   BENCH   a bench target of heddle-bench: rt, sync, fs, mpsc, copy
#   FILTER  substring of the workload names (as for `-- --paired FILTER`)
#   PROCS   processes to run (default 7)
# environment:
#   HEDDLE_BENCH_PAIRS  pairs per process (default 30)
#   BIN                 a bench binary to run instead of building BENCH
#                       (for A/B runs of two builds: copy each binary aside)
#
# example: bench/paired-procs.sh sync sync_notify_waiters_10 9
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -ge 2 ] || { sed -n 2,19p "$0"; exit 2; }
BENCH=$1
FILTER=$2
PROCS=${3:-7}
export HEDDLE_BENCH_PAIRS=${HEDDLE_BENCH_PAIRS:-30}

if [ -z "${BIN:-}" ]; then
    BIN=$(cd "$ROOT" && cargo bench -p heddle-bench --bench "$BENCH" --no-run 2>&1 \
        | sed -n 's/.*Executable .*(\(.*\))$/\1/p' | tail -1)
    [ -n "$BIN" ] || { echo "could not build bench $BENCH" >&2; exit 1; }
    case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
fi

OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
for p in $(seq 1 "$PROCS"); do
    # Lines: workload heddle-time unit tokio-time unit ratio ci p25-p75 pairs
    "$BIN" --bench --paired "$FILTER" 2>&1 | awk -v p="$p" '$6 ~ /^[0-9.]+$/ && $1 ~ /^[a-z_0-9]+$/ { print p, $1, $6 }' >>"$OUT"
done

awk '
    { r[$2] = r[$2] " " $3 }
    END {
        for (w in r) {
            k = split(substr(r[w], 2), v, " ")
            # insertion sort: k is small
            for (i = 2; i <= k; i++) { x = v[i]; j = i - 1; while (j > 0 && v[j] > x) { v[j+1] = v[j]; j-- } v[j+1] = x }
            med = (k % 2) ? v[(k+1)/2] : (v[k/2] + v[k/2+1]) / 2
            slower = 0
            for (i = 1; i <= k; i++) if (v[i] > 1) slower++
            printf "%-36s median %.3f  range %.3f-%.3f  above 1 in %d of %d  (processes:%s)\n", w, med, v[1], v[k], slower, k, r[w]
        }
    }' "$OUT" | sort
echo "(ratio heddle/tokio per process: the paired runner's median of per-pair ratios; < 1: heddle faster)"
