#!/usr/bin/env bash
# heddle vs tokio: the same `server --mode echo` code on each runtime.
#
# Each server runs with one worker pinned to CPU 1 (`taskset -c 1`), the
# client pinned to CPU 0. Part 1: a fixed rate (RATE conn/s, 300 B echoed,
# LENGTH s), alternating heddle/tokio for ROUNDS rounds; the server's CPU
# time (utime and stime over all its threads, /proc/PID/task/*/stat) is
# read before and after each round. Prints per-connection server CPU µs
# (total, user, sys), achieved
# rate, p99 latency, the share of a core the client and the server each
# used over the round (which side is the limit), the medians and the
# heddle/tokio ratios. Part 2: `saturate` against each.
#
# With FLOOR=1, a third side `floor` runs examples/floor_echo.rs: the same
# system calls per connection with no runtime, i.e. what the kernel alone
# charges the server for a connection; FLOOR_MODE=uring runs that floor on
# io_uring instead of epoll. SATURATE=0 skips part 2.
#
#   scripts/compare.sh            (env: RATE LENGTH ROUNDS SAT_START SAT_INC SAT_LENGTH BIN FLOOR FLOOR_BIN FLOOR_MODE SATURATE)
set -euo pipefail

RATE=${RATE:-8000}
LENGTH=${LENGTH:-5}
ROUNDS=${ROUNDS:-3}
SAT_START=${SAT_START:-6000}
SAT_INC=${SAT_INC:-1.15}
SAT_LENGTH=${SAT_LENGTH:-3}
PORT=${PORT:-24680}
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${BIN:-}" ]; then
    (cd "$here" && cargo build --release -q -p heddle-connbench)
    BIN=$(cd "$here" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/heddle-connbench
fi
SIDES="heddle tokio"
if [ "${FLOOR:-0}" = 1 ]; then
    if [ -z "${FLOOR_BIN:-}" ]; then
        (cd "$here" && cargo build --release -q -p heddle-connbench --example floor_echo)
        FLOOR_BIN=$(dirname "$BIN")/examples/floor_echo
    fi
    SIDES="heddle tokio floor"
fi
work=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
head -c 300 /dev/urandom >"$work/req.bin"
hz=$(getconf CLK_TCK)

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "binary: $BIN"

# Server CPU ticks of every thread: "utime stime".
server_ticks() {
    cat /proc/"$1"/task/*/stat | sed 's/.*) //' | awk '{u += $12; s += $13} END {print u, s}'
}
# Children's CPU seconds (user + sys) from the `times` builtin's second line.
children_cpu_s() {
    tail -1 "$1" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] } print t }'
}
start_server() { # runtime
    if [ "$1" = floor ]; then
        # FLOOR_MODE=uring: the floor on io_uring instead of epoll.
        taskset -c 1 "$FLOOR_BIN" "127.0.0.1:$PORT" ${FLOOR_MODE:+"--$FLOOR_MODE"} >"$work/server.log" 2>&1 &
    else
        taskset -c 1 "$BIN" server --runtime "$1" --mode echo --workers 1 --listen "127.0.0.1:$PORT" --quiet \
            >"$work/server.log" 2>&1 &
    fi
    server_pid=$!
    for _ in $(seq 100); do
        grep -q listening "$work/server.log" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "server on $1 did not start:"; cat "$work/server.log"; exit 1
}
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=; }

printf '\n== fixed rate: %s conn/s, 300 B echoed, %s s, %s rounds ==\n' "$RATE" "$LENGTH" "$ROUNDS"
printf '%-6s %-7s %12s %10s %10s %12s %10s %10s %9s %9s %7s\n' round runtime "srv µs/conn" "user" "sys" "achieved/s" "p99 µs" "p50 µs" "client cpu" "server cpu" errors
results="$work/results.txt"
: >"$results"
ip=10
for round in $(seq "$ROUNDS"); do
    for rt in $SIDES; do
        start_server "$rt"
        ip=$((ip + 1))
        read -r bu bs < <(server_ticks "$server_pid")
        w0=$(date +%s.%N)
        # In a subshell of its own, so `times` reports the client alone.
        ( taskset -c 0 "$BIN" rate --target "127.0.0.1:$PORT" --rate "$RATE" --length "$LENGTH" --workers 1 \
            --content "$work/req.bin" --expect-bytes 300 --local-ip "127.0.0.$ip" \
            --json "$work/$rt-$round.json" >"$work/client.log" 2>&1
          rc=$?; times >"$work/times"; exit $rc ) || { cat "$work/client.log"; exit 1; }
        w1=$(date +%s.%N)
        read -r au as < <(server_ticks "$server_pid")
        stop_server
        python3 - "$work/$rt-$round.json" "$((au - bu))" "$((as - bs))" "$hz" "$round" "$rt" \
            "$(children_cpu_s "$work/times")" "$w0" "$w1" >>"$results" <<'PY'
import json, sys
path, user, sys_, hz, rnd, rt, client_s, w0, w1 = sys.argv[1:]
wall = float(w1) - float(w0)
r = json.load(open(path))["rounds"][0]
per = lambda ticks: int(ticks) * 1e6 / int(hz) / max(r["samples"], 1)
cpu_us = per(int(user) + int(sys_))
errs = sum(v for v in r["errors"].values()) if isinstance(r["errors"], dict) else r["errors"]
print(rnd, rt, f"{cpu_us:.2f}", f"{per(user):.2f}", f"{per(sys_):.2f}", f'{r["achieved_rate"]:.1f}', f'{r["latency"]["p99_us"]:.0f}', f'{r["latency"]["p50_us"]:.1f}',
      f"{100*float(client_s)/wall:.0f}%", f"{100*(int(user)+int(sys_))/int(hz)/wall:.0f}%", errs)
PY
        tail -1 "$results" | awk '{printf "%-6s %-7s %12s %10s %10s %12s %10s %10s %9s %9s %7s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11}'
        sleep 1
    done
done
python3 - "$results" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1])]
med = {}
for rt in ("heddle", "tokio", "floor"):
    rs = [r for r in rows if r[1] == rt]
    if not rs:
        continue
    med[rt] = [st.median(float(r[i]) for r in rs) for i in (2, 3, 4, 5, 6)]
    m = med[rt]
    print(f"median {rt:<7} server CPU {m[0]:.2f} µs/conn (user {m[1]:.2f}, sys {m[2]:.2f}), "
          f"achieved {m[3]:.1f}/s, p99 {m[4]:.0f} µs")
h, t = med["heddle"], med["tokio"]
r = lambda i: f"{h[i] / t[i]:.3f}" if t[i] else "n/a"
print(f"ratio heddle/tokio: server CPU per connection {r(0)} (user {r(1)}, sys {r(2)}), achieved {r(3)}, p99 {r(4)}")
if "floor" in med:
    f = med["floor"]
    print(f"floor (no runtime): {f[0]:.2f} µs/conn = {f[0] / t[0]:.3f}x tokio's; "
          f"runtime's own share: heddle {h[0] - f[0]:.2f} µs/conn, tokio {t[0] - f[0]:.2f} µs/conn")
PY

if [ "${SATURATE:-1}" = 0 ]; then exit 0; fi
printf '\n== saturate: start %s conn/s, x%s a round, %s s rounds ==\n' "$SAT_START" "$SAT_INC" "$SAT_LENGTH"
for rt in heddle tokio; do
    start_server "$rt"
    ips=()
    for k in $(seq 1 12); do ips+=(--local-ip "127.0.$((k + 20)).$((k + 1))"); done
    taskset -c 0 "$BIN" saturate --target "127.0.0.1:$PORT" --start "$SAT_START" --increment "$SAT_INC" \
        --length "$SAT_LENGTH" --cooldown 1 --slowdown 3 --max-rounds 12 --workers 1 \
        --content "$work/req.bin" --expect-bytes 300 "${ips[@]}" >"$work/sat-$rt.log" 2>&1 || true
    stop_server
    echo "-- $rt:"
    grep -E '^round|verdict|sustain|behind|slow' "$work/sat-$rt.log" | grep -vE '^  latency from connect|start lag' || cat "$work/sat-$rt.log"
done
