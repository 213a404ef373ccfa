#!/usr/bin/env bash
# Side-by-side HTTP benchmark: heddle's tinyhttp against the same server on
# tokio, with shared/bench/http-ab (alternating A/B rounds, medians, server
# CPU per request from /proc). A = heddle, B = tokio.
#
# usage: bench/http.sh [SCENARIO...]     SCENARIO: 1 2 3a 3b (default: all)
#   1   /json, 1 worker pinned to CPU 1, wrk -t1 -c200 pinned to CPU 0, framed on both
#   2   /json, 2 workers unpinned, wrk -t2 -c500 -d10 unpinned, framed on both
#   3a  /plaintext, 16 pipelined, 64 connections, 1 worker pinned:
#       heddle batched vs tokio framed (tokio's published behaviour)
#   3b  as 3a, heddle batched vs tokio batched
#   f1  scenario 1 with A = examples/floor.rs (no runtime, no HTTP library,
#       raw epoll: the kernel's share of a request) and B = tokio framed
#   f2  scenario 1 with A = floor on io_uring and B = floor on epoll
#   f3  scenario 2 with A = the floor on epoll with 2 threads (unpinned)
#       and B = tokio framed with 2 workers
#   f4  as f3, but A runs tinyhttp's handler code (codec decode, respond,
#       encode) on the floor's loop: the shared handler on a runtime that
#       costs nothing
#   f5  scenario 1 with that handler floor as A and tokio framed as B
#   f6  as f2, but A uses io_uring at its best: multishot recv into
#       provided buffers, fixed files, DEFER_TASKRUN
#
# environment:
#   ROUNDS=3        alternating rounds per scenario (medians are reported)
#   DURATION=       seconds per wrk run (default 6; scenario 2 uses 10)
#   PORT=18080      loopback port
#   A_RUNTIME=heddle  runtime of side A; A_RUNTIME=tokio gives an A/A run
#                   (tokio against itself: the noise floor of this machine)
#   TINYHTTP_BIN=   use this tinyhttp binary instead of building one
#   HTTP_AB=        path of http-ab (default: shared/bench/http-ab found
#                   beside the repository, or /work/shared/bench/http-ab)
#
# Results: one http-ab JSON per scenario and a summary JSON in bench/results/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-18080}
A_RUNTIME=${A_RUNTIME:-heddle}
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(1 2 3a 3b)

die() { echo "bench/http.sh: $*" >&2; exit 1; }

# --- tools -------------------------------------------------------------------
HTTP_AB=${HTTP_AB:-}
if [ -z "$HTTP_AB" ]; then
    for candidate in "$ROOT/../shared/bench/http-ab" "$ROOT/shared/bench/http-ab" /work/shared/bench/http-ab; do
        if [ -x "$candidate" ]; then HTTP_AB=$candidate; break; fi
    done
fi
[ -n "$HTTP_AB" ] && [ -x "$HTTP_AB" ] || die "http-ab not found: expected shared/bench/http-ab beside the repository ($ROOT/../shared/bench/http-ab) or set HTTP_AB=/path/to/http-ab"

need_pkg() { # need_pkg COMMAND DEBIAN-PACKAGE
    command -v "$1" >/dev/null && return 0
    echo "installing $2 for $1" >&2
    apt-get install -y "$2" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "$2" >/dev/null; } \
        || die "$1 is missing and 'apt-get install $2' failed"
}
need_pkg wrk wrk
need_pkg taskset util-linux
need_pkg python3 python3

# --- server binary -----------------------------------------------------------
if [ -z "${TINYHTTP_BIN:-}" ]; then
    (cd "$ROOT" && cargo build --release -p heddle-bench --examples) || die "cargo build failed"
    TINYHTTP_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/tinyhttp
fi
FLOOR_BIN=${FLOOR_BIN:-$(dirname "$TINYHTTP_BIN")/floor}
[ -x "$TINYHTTP_BIN" ] || die "no tinyhttp binary at $TINYHTTP_BIN"

RESULTS=$ROOT/bench/results
mkdir -p "$RESULTS"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)

# server CMD for http-ab: runtime, handler, extra args ({port} is filled in by http-ab)
server() { echo "$TINYHTTP_BIN 127.0.0.1:{port} --runtime $1 --handler $2 ${3:-}"; }

run() { # run NAME A-CMD B-CMD http-ab-args...
    local name=$1 a=$2 b=$3; shift 3
    local json=$RESULTS/http-$name-$STAMP.json
    echo
    echo "=== scenario $name: A = $a"
    echo "===              B = $b"
    echo "=== http-ab $*"
    "$HTTP_AB" --a "$a" --b "$b" --port "$PORT" --rounds "$ROUNDS" --json "$json" "$@"
}

for s in "${SCENARIOS[@]}"; do
    case $s in
    1)  run 1-json-1worker-pinned \
            "$(server "$A_RUNTIME" framed '--workers 1')" "$(server tokio framed '--workers 1')" \
            --url-path /json --threads 1 --connections 200 --duration "${DURATION:-6}" \
            --server-cpus 1 --wrk-cpus 0 ;;
    2)  run 2-json-2workers \
            "$(server "$A_RUNTIME" framed '--workers 2')" "$(server tokio framed '--workers 2')" \
            --url-path /json --threads 2 --connections 500 --duration "${DURATION:-10}" \
            --server-cpus '' --wrk-cpus '' ;;
    3a) run 3a-pipeline16-batched-vs-tokio-framed \
            "$(server "$A_RUNTIME" batched '--workers 1')" "$(server tokio framed '--workers 1')" \
            --url-path /plaintext --pipeline 16 --threads 1 --connections 64 --duration "${DURATION:-6}" \
            --server-cpus 1 --wrk-cpus 0 ;;
    3b) run 3b-pipeline16-batched-vs-tokio-batched \
            "$(server "$A_RUNTIME" batched '--workers 1')" "$(server tokio batched '--workers 1')" \
            --url-path /plaintext --pipeline 16 --threads 1 --connections 64 --duration "${DURATION:-6}" \
            --server-cpus 1 --wrk-cpus 0 ;;
    f1) run f1-json-floor-epoll-vs-tokio \
            "$FLOOR_BIN epoll 127.0.0.1:{port}" "$(server tokio framed '--workers 1')" \
            --url-path /json --threads 1 --connections 200 --duration "${DURATION:-6}" \
            --server-cpus 1 --wrk-cpus 0 ;;
    f3) run f3-json-floor-epoll-2threads-vs-tokio-2workers \
            "$FLOOR_BIN epoll 127.0.0.1:{port} 2" "$(server tokio framed '--workers 2')" \
            --url-path /json --threads 2 --connections 500 --duration "${DURATION:-10}" \
            --server-cpus '' --wrk-cpus '' ;;
    f4) run f4-json-handler-floor-2threads-vs-tokio-2workers \
            "$FLOOR_BIN epoll-handler 127.0.0.1:{port} 2" "$(server tokio framed '--workers 2')" \
            --url-path /json --threads 2 --connections 500 --duration "${DURATION:-10}" \
            --server-cpus '' --wrk-cpus '' ;;
    f5) run f5-json-handler-floor-vs-tokio \
            "$FLOOR_BIN epoll-handler 127.0.0.1:{port}" "$(server tokio framed '--workers 1')" \
            --url-path /json --threads 1 --connections 200 --duration "${DURATION:-6}" \
            --server-cpus 1 --wrk-cpus 0 ;;
    f2) run f2-json-floor-uring-vs-epoll \
            "$FLOOR_BIN uring 127.0.0.1:{port}" "$FLOOR_BIN epoll 127.0.0.1:{port}" \
            --url-path /json --threads 1 --connections 200 --duration "${DURATION:-6}" \
            --server-cpus 1 --wrk-cpus 0 ;;
    f6) run f6-json-floor-uring-multishot-vs-epoll \
            "$FLOOR_BIN uring-multishot 127.0.0.1:{port}" "$FLOOR_BIN epoll 127.0.0.1:{port}" \
            --url-path /json --threads 1 --connections 200 --duration "${DURATION:-6}" \
            --server-cpus 1 --wrk-cpus 0 ;;
    *)  die "unknown scenario '$s' (1 2 3a 3b f1 f2 f3 f4 f5 f6)" ;;
    esac
done

# --- summary -----------------------------------------------------------------
python3 - "$RESULTS" "$STAMP" "$A_RUNTIME" "$ROUNDS" <<'PY'
import glob, json, os, platform, subprocess, sys
results, stamp, a_runtime, rounds = sys.argv[1:5]
def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
summary = {
    "date": stamp, "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} CPUs, {cpu}",
    "kernel": platform.release(), "git": sh("git -C %s rev-parse --short HEAD 2>/dev/null" % results),
    "a": a_runtime, "b": "tokio", "rounds": int(rounds), "scenarios": {},
}
print(f"\nsummary (A = {a_runtime}, B = tokio, medians of {rounds} rounds; ratio = A/B)")
print(f"{'scenario':<42} {'A req/s':>10} {'B req/s':>10} {'req/s':>6} {'A us/req':>8} {'B us/req':>8} {'cpu/req':>7} {'A p99ms':>8} {'B p99ms':>8}")
for path in sorted(glob.glob(f"{results}/http-*-{stamp}.json")):
    name = os.path.basename(path)[len("http-"):-len(f"-{stamp}.json")]
    d = json.load(open(path))
    a, b, r = d["median"]["A"], d["median"]["B"], d["ratio"]
    summary["scenarios"][name] = d
    print(f"{name:<42} {a['rps']:>10.0f} {b['rps']:>10.0f} {r.get('rps', 0):>6.3f} "
          f"{a['cpu_us_per_req']:>8.2f} {b['cpu_us_per_req']:>8.2f} {r.get('cpu_us_per_req', 0):>7.3f} "
          f"{a['p99_ms']:>8.2f} {b['p99_ms']:>8.2f}")
out = f"{results}/http-summary-{stamp}.json"
json.dump(summary, open(out, "w"), indent=2)
print(f"\nsaved {out}")
PY
