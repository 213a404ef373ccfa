#!/usr/bin/env bash
# Where a tinyhttp server's worker threads leave the CPU, under scenario 2's
# load (`wrk -t2 -c500 /json`, two workers, unpinned): records the
# sched_switch events of the server's threads for a few seconds with their
# call stacks, and prints the most common (state, system call, runtime frames)
# with counts. State S = the thread blocked (parked), R = it was preempted.
#
# usage: bench/switches.sh heddle|tokio [SECONDS]
# environment: PORT (default 18082), WORKERS (default 2)
#
# Needs perf (linux-perf) and wrk; reads the release build of
# heddle-bench's tinyhttp example (built if missing).
set -euo pipefail

RUNTIME=${1:?usage: bench/switches.sh heddle|tokio [SECONDS]}
SECONDS_TRACED=${2:-3}
PORT=${PORT:-18082}
WORKERS=${WORKERS:-2}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/target/release/examples/tinyhttp
[ -x "$BIN" ] || cargo build --release -p heddle-bench --example tinyhttp
for tool in perf wrk python3; do command -v "$tool" >/dev/null || { echo "switches.sh: needs $tool" >&2; exit 1; }; done

TMP=$(mktemp -d)
SERVER=
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

"$BIN" "127.0.0.1:$PORT" --runtime "$RUNTIME" --handler framed --workers "$WORKERS" >/dev/null 2>&1 &
SERVER=$!
sleep 0.5
wrk -t2 -c500 -d$((SECONDS_TRACED + 4)) "http://127.0.0.1:$PORT/json" >"$TMP/wrk.txt" &
WRK=$!
sleep 1.5
perf record -q -e sched:sched_switch --call-graph dwarf,16384 -p "$SERVER" -o "$TMP/perf.data" -- sleep "$SECONDS_TRACED" >/dev/null 2>&1
wait "$WRK"
echo "$RUNTIME: $(grep Requests/sec "$TMP/wrk.txt"), switches over ${SECONDS_TRACED} s:"
perf script -i "$TMP/perf.data" -F comm,tid,event,trace,ip,sym 2>/dev/null >"$TMP/switches.txt"
python3 - "$TMP/switches.txt" <<'PY'
import collections, re, sys

counts = collections.Counter()
for block in open(sys.argv[1]).read().split("\n\n"):
    lines = block.strip().split("\n")
    if len(lines) < 2:
        continue
    state = re.search(r"prev_state=(\S+)", lines[0])
    frames = [l.strip().split(None, 1)[1] if len(l.strip().split(None, 1)) > 1 else "" for l in lines[1:]]
    syscall = next((f[:30] for f in frames[:12] if "futex" in f or "epoll" in f or "yield" in f), "-")
    ours = [f[:60] for f in frames if ("heddle" in f or "tokio" in f or "parking_lot" in f or "mio" in f) and "inlined" not in f][:3]
    counts[(state.group(1) if state else "?", syscall, " < ".join(ours))] += 1
total = sum(counts.values())
print(f"  {total} switches")
for (state, syscall, where), n in counts.most_common(10):
    print(f"  {n:6d}  {state}  {syscall:30s}  {where}")
PY
