#!/usr/bin/env bash
# Blob-store benchmark: heddle-blobd against the same source built on tokio
# (blobd-tokio) and against nginx's WebDAV PUT/GET/DELETE, under seed 001's
# workload scaled to a 2-core machine: blobd-load runs CONNECTIONS
# keep-alive clients, each looping PUT /obj-<conn>-<i> (SIZE bytes) then GET
# of it, checking every byte.
#
# usage: heddle-blobd/scripts/bench.sh
#
# Rounds alternate the servers (A B C A B C ...); each run gets a fresh data
# directory, a WARMUP-second warm-up, then DURATION seconds of load. Server
# CPU (utime+stime from /proc, nginx's workers included) is read around the
# measured part only. For the two blobd builds it also reads every thread's
# CPU (/proc/PID/task/*/stat) to show how the work spread over the runtime's
# worker threads and its blocking pool; for nginx, each worker process's. Prints medians per server and the
# ratios heddle/tokio and heddle/nginx; writes a JSON summary to
# bench/results/blobd-<date>.json.
#
# environment:
#   ROUNDS=3          rounds, the server order rotating each round (medians
#                     and the median of per-round ratios are reported)
#   DURATION=10       seconds of measured load per run
#   WARMUP=2          seconds of unmeasured load first
#   WORKERS=2         blobd --workers and nginx worker_processes
#   CONNECTIONS=8     client connections (one blocking thread each)
#   SIZE=4MiB         object size
#   KEYS=16           keys per connection (bounds the data set:
#                     CONNECTIONS x KEYS x SIZE, 512 MiB by default)
#   DATA_ROOT=/var/tmp  where the per-run directories go: a disk file
#                     system by default, as a blob store stores to disk (file
#                     I/O then runs on the blocking pool, which is where seed
#                     001's uneven spread over threads shows). The disk's
#                     writeback (kernel threads) is not charged to the
#                     servers. DATA_ROOT=/dev/shm (tmpfs) is the no-disk
#                     variant: there this 2-core machine runs out of CPU for
#                     server plus checking client at ~250 req/s, and all
#                     three servers land within 1% of each other.
#   PORT=18090        loopback port
#   NGINX_REUSEPORT=1 nginx listens with reuseport: the kernel spreads the
#                     connections over its workers. 0: stock nginx, whose
#                     workers race to accept; the load generator's burst of 8
#                     connections then usually all lands on one worker, and
#                     nginx's req/s depends on that race.
#   SERVERS="heddle-blobd blobd-tokio nginx"   which servers, in round order
#   NO_BUILD=1        use the release binaries already in target/
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SCRIPTS=$ROOT/heddle-blobd/scripts
export ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-10} WARMUP=${WARMUP:-2} WORKERS=${WORKERS:-2}
export CONNECTIONS=${CONNECTIONS:-8} SIZE=${SIZE:-4MiB} KEYS=${KEYS:-16} DATA_ROOT=${DATA_ROOT:-/var/tmp}
export NGINX_REUSEPORT=${NGINX_REUSEPORT:-1} PORT=${PORT:-18090} SERVERS=${SERVERS:-heddle-blobd blobd-tokio nginx}

die() { echo "heddle-blobd/scripts/bench.sh: $*" >&2; exit 1; }

# --- tools -------------------------------------------------------------------
need_pkg() { # need_pkg COMMAND DEBIAN-PACKAGE
    command -v "$1" >/dev/null && return 0
    [ -x "/usr/sbin/$1" ] && return 0
    echo "installing $2 for $1" >&2
    apt-get install -y "$2" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "$2" >/dev/null; } \
        || die "$1 is missing and 'apt-get install $2' failed"
}
need_pkg python3 python3
case " $SERVERS " in *" nginx "*)
    need_pkg nginx nginx-light
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
    "$NGINX" -V 2>&1 | grep -q -- --with-http_dav_module || die "$NGINX has no WebDAV module (install nginx-light)"
    export NGINX ;;
esac

# --- binaries ----------------------------------------------------------------
if [ -z "${NO_BUILD:-}" ]; then
    (cd "$ROOT" && cargo build --release -p heddle-blobd -p blobd-tokio) || die "cargo build failed"
fi
export BIN_DIR=${CARGO_TARGET_DIR:-$ROOT/target}/release
for b in heddle-blobd blobd-tokio blobd-load; do
    [ -x "$BIN_DIR/$b" ] || die "no $b in $BIN_DIR (run without NO_BUILD)"
done

export RESULTS=$ROOT/bench/results NGINX_CONF_IN=$SCRIPTS/nginx-dav.conf.in
export STAMP=$(date -u +%Y%m%dT%H%M%SZ) GIT_REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')
mkdir -p "$RESULTS"

# --- runs --------------------------------------------------------------------
exec python3 - <<'PY'
import grp, json, os, platform, pwd, resource, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

E = os.environ
ROUNDS, DURATION, WARMUP = int(E["ROUNDS"]), float(E["DURATION"]), float(E["WARMUP"])
WORKERS, CONNECTIONS, PORT = int(E["WORKERS"]), int(E["CONNECTIONS"]), int(E["PORT"])
SIZE, KEYS, DATA_ROOT, BIN = E["SIZE"], E["KEYS"], E["DATA_ROOT"], E["BIN_DIR"]
SERVERS = E["SERVERS"].split()
TICK = os.sysconf("SC_CLK_TCK")
for s in SERVERS:
    if s not in ("heddle-blobd", "blobd-tokio", "nginx"):
        sys.exit(f"bench.sh: unknown server {s!r} in SERVERS")


def stat_ticks(path):
    """utime + stime of a /proc/.../stat file (all threads, dead ones included, for a process)."""
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def process_cpu(pid):
    """CPU seconds of pid and, recursively, its children (nginx's workers)."""
    try:
        total = stat_ticks(f"/proc/{pid}/stat") / TICK
        children = open(f"/proc/{pid}/task/{pid}/children").read().split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return total + sum(process_cpu(int(c)) for c in children)


def thread_cpu(pid):
    """{tid: (name, CPU seconds)} of the live threads of pid."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            name = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
            out[int(tid)] = (name, stat_ticks(f"/proc/{pid}/task/{tid}/stat") / TICK)
        except (FileNotFoundError, ProcessLookupError):
            pass
    return out


def children_cpu(pid):
    """{child pid: CPU seconds} of pid's child processes (nginx's workers)."""
    try:
        children = open(f"/proc/{pid}/task/{pid}/children").read().split()
    except FileNotFoundError:
        return {}
    return {int(c): process_cpu(int(c)) for c in children}


def wait_port(port, proc, timeout=20.0):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def load(seconds):
    """Runs blobd-load; returns its JSON summary and its own CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [f"{BIN}/blobd-load", "--addr", f"127.0.0.1:{PORT}", "--connections", str(CONNECTIONS),
           "--duration", str(seconds), "--size", SIZE, "--keys", KEYS, "--json"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise RuntimeError(f"blobd-load failed ({p.returncode}): {p.stderr.strip()} {p.stdout.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(p.stdout), cpu


def nginx_cmd(tmp, data):
    user = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    conf = open(E["NGINX_CONF_IN"]).read()
    for k, v in {"@PREFIX@": tmp, "@DATA@": data, "@PORT@": str(PORT), "@WORKERS@": str(WORKERS),
                 "@USER@": user, "@GROUP@": group,
                 "@REUSEPORT@": "reuseport" if E["NGINX_REUSEPORT"] not in ("", "0") else ""}.items():
        conf = conf.replace(k, v)
    with open(f"{tmp}/nginx.conf", "w") as f:
        f.write(conf)
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        os.mkdir(f"{tmp}/{d}")
    return [E["NGINX"], "-p", tmp, "-c", f"{tmp}/nginx.conf", "-e", f"{tmp}/error.log"]


def port_in_use(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


def run_one(server):
    if port_in_use(PORT):
        raise RuntimeError(f"something already listens on 127.0.0.1:{PORT} (set PORT=...)")
    tmp = tempfile.mkdtemp(prefix="blobd-bench-", dir=DATA_ROOT)
    data = f"{tmp}/data"
    os.mkdir(data)
    if server == "nginx":
        cmd = nginx_cmd(tmp, data)
    else:
        cmd = [f"{BIN}/{server}", "--dir", data, "--listen", f"127.0.0.1:{PORT}",
               "--workers", str(WORKERS), "--quiet"]
    log = open(f"{tmp}/server.log", "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        if not wait_port(PORT, proc):
            log.flush()
            raise RuntimeError(f"{server} did not listen on {PORT}: {open(f'{tmp}/server.log').read()[-2000:]}")
        warm = load(WARMUP)[0] if WARMUP > 0 else {"errors": 0, "error_samples": []}
        threads0 = thread_cpu(proc.pid) if server != "nginx" else children_cpu(proc.pid)
        c0 = process_cpu(proc.pid)
        res, client_cpu = load(DURATION)
        c1 = process_cpu(proc.pid)
        threads1 = thread_cpu(proc.pid) if server != "nginx" else children_cpu(proc.pid)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
        time.sleep(0.3)
    reqs = res["put"]["ok"] + res["get"]["ok"]
    r = {
        "put_rps": res["put"]["rps"], "get_rps": res["get"]["rps"], "mb_per_s": res["mb_per_s"],
        "put_p50_ms": res["put"]["p50_ms"], "put_p99_ms": res["put"]["p99_ms"],
        "get_p50_ms": res["get"]["p50_ms"], "get_p99_ms": res["get"]["p99_ms"],
        "errors": res["errors"] + warm["errors"], "error_samples": res["error_samples"] + warm["error_samples"],
        "server_cpu_s": c1 - c0, "cpu_us_per_req": (c1 - c0) * 1e6 / reqs if reqs else None,
        "server_cores": (c1 - c0) / res["duration_s"], "client_cpu_s": client_cpu,
    }
    if server == "nginx":
        r["threads"] = {"workers_cpu_s": [round(threads1[c] - threads0.get(c, 0.0), 3) for c in sorted(threads1)]}
    elif threads1:
        # Workers are spawned when the runtime is built, before anything else:
        # the WORKERS lowest thread ids after the main thread. Threads of the
        # blocking pool come and go; those that exited during the run are
        # missing here (the process total above still counts them).
        tids = sorted(t for t in threads1 if t != proc.pid)
        delta = {t: threads1[t][1] - threads0.get(t, ("", 0.0))[1] for t in tids}
        workers = tids[:WORKERS]
        pool = [t for t in tids[WORKERS:] if delta[t] > 0]
        r["threads"] = {
            "workers_cpu_s": [round(delta[t], 3) for t in workers],
            "blocking_cpu_s": round(sum(delta[t] for t in pool), 3),
            "blocking_threads_busy": len(pool),
            "blocking_threads_alive": len(tids) - len(workers),
            "main_cpu_s": round(threads1.get(proc.pid, ("", 0))[1] - threads0.get(proc.pid, ("", 0))[1], 3),
        }
    return r


def fmt_threads(t):
    w = t["workers_cpu_s"]
    tot = sum(w) or 1e-9
    line = f"workers {' '.join(f'{x:.2f}s' for x in w)} ({' / '.join(f'{100 * x / tot:.0f}%' for x in w)})"
    if "blocking_cpu_s" not in t:
        return line
    return (f"{line}, blocking pool {t['blocking_cpu_s']:.2f}s on {t['blocking_threads_busy']} threads "
            f"({t['blocking_threads_alive']} alive)")


disk = subprocess.run(["df", "--output=fstype,source", DATA_ROOT], capture_output=True, text=True).stdout.split("\n")[1:2]
print(f"data directories under {DATA_ROOT} ({' '.join(disk[0].split()) if disk else '?'}); "
      f"{CONNECTIONS} connections, {SIZE} objects, {KEYS} keys each; {WORKERS} server workers; "
      f"{ROUNDS} rounds x {DURATION:g}s (+{WARMUP:g}s warm-up); "
      f"nginx {'with' if E['NGINX_REUSEPORT'] not in ('', '0') else 'without'} reuseport", flush=True)
runs = {s: [] for s in SERVERS}
for rnd in range(ROUNDS):
    # Rotate the order every round: the machine drifts within a run (page
    # cache, dirty pages), and a fixed order would favour whoever goes first.
    shift = rnd % len(SERVERS)
    for s in SERVERS[shift:] + SERVERS[:shift]:
        r = run_one(s)
        runs[s].append(r)
        line = (f"round {rnd + 1} {s:<12} PUT {r['put_rps']:7.1f}/s GET {r['get_rps']:7.1f}/s "
                f"{r['mb_per_s']:7.1f} MB/s  cpu {r['cpu_us_per_req'] or 0:7.0f} us/req "
                f"({r['server_cores']:.2f} cores; client {r['client_cpu_s']:.1f}s)  "
                f"p50/p99 PUT {r['put_p50_ms']:.1f}/{r['put_p99_ms']:.1f} ms GET {r['get_p50_ms']:.1f}/{r['get_p99_ms']:.1f} ms"
                f"  errors {r['errors']}")
        print(line, flush=True)
        if "threads" in r:
            print(f"        {'':<12} {fmt_threads(r['threads'])}", flush=True)
        for msg in r["error_samples"]:
            print(f"        error: {msg}", flush=True)

KEYS_MED = ("put_rps", "get_rps", "mb_per_s", "cpu_us_per_req", "server_cores",
            "put_p50_ms", "put_p99_ms", "get_p50_ms", "get_p99_ms")
median = {}
for s, rs in runs.items():
    median[s] = {k: statistics.median(r[k] for r in rs if r[k] is not None) for k in KEYS_MED}
    median[s]["errors"] = sum(r["errors"] for r in rs)
    if rs and "threads" in rs[0]:
        # Share of the busiest worker in the workers' CPU (1/WORKERS = even).
        shares = [max(r["threads"]["workers_cpu_s"]) / (sum(r["threads"]["workers_cpu_s"]) or 1e-9) for r in rs]
        median[s]["busiest_worker_share"] = statistics.median(shares)
        if "blocking_cpu_s" in rs[0]["threads"]:
            median[s]["blocking_cpu_share"] = statistics.median(
                r["threads"]["blocking_cpu_s"] / (r["server_cpu_s"] or 1e-9) for r in rs)

print(f"\nmedians of {ROUNDS} rounds (cpu = server CPU per request, PUT and GET together)")
print(f"{'server':<13} {'PUT/s':>7} {'GET/s':>7} {'MB/s':>7} {'us/req':>7} {'cores':>5} "
      f"{'PUT p50':>7} {'PUT p99':>7} {'GET p50':>7} {'GET p99':>7} {'errors':>6}  threads")
for s in SERVERS:
    m = median[s]
    extra = ""
    if "busiest_worker_share" in m:
        extra = f"busiest worker {100 * m['busiest_worker_share']:.0f}% of workers' CPU"
    if "blocking_cpu_share" in m:
        extra += f", blocking pool {100 * m['blocking_cpu_share']:.0f}% of process CPU"
    print(f"{s:<13} {m['put_rps']:>7.1f} {m['get_rps']:>7.1f} {m['mb_per_s']:>7.1f} {m['cpu_us_per_req']:>7.0f} "
          f"{m['server_cores']:>5.2f} {m['put_p50_ms']:>7.1f} {m['put_p99_ms']:>7.1f} {m['get_p50_ms']:>7.1f} "
          f"{m['get_p99_ms']:>7.1f} {m['errors']:>6}  {extra}")

ratios = {}
for other in ("blobd-tokio", "nginx"):
    if "heddle-blobd" in median and other in median:
        a, b = median["heddle-blobd"], median[other]
        ratios[f"heddle/{other}"] = {k: a[k] / b[k] for k in ("put_rps", "get_rps", "mb_per_s", "cpu_us_per_req") if b[k]}
# Per-round ratios (each pair ran back to back), less sensitive to drift
# across the run than the ratio of the medians.
paired = {}
for other in ("blobd-tokio", "nginx"):
    if "heddle-blobd" in runs and other in runs:
        pairs = list(zip(runs["heddle-blobd"], runs[other]))
        paired[f"heddle/{other}"] = {
            k: statistics.median(a[k] / b[k] for a, b in pairs if a[k] and b[k])
            for k in ("put_rps", "get_rps", "cpu_us_per_req")
        }
if ratios:
    print("\nratios of the medians (req/s and MB/s: higher is better for heddle; cpu/req: lower is)")
    for name, r in ratios.items():
        print(f"  {name:<20} " + "  ".join(f"{k} {v:.3f}" for k, v in r.items()))
    print("median of the per-round ratios")
    for name, r in paired.items():
        rounds_above = sum(a["put_rps"] >= b["put_rps"] for a, b in zip(runs["heddle-blobd"], runs[name.split("/")[1]]))
        print(f"  {name:<20} " + "  ".join(f"{k} {v:.3f}" for k, v in r.items())
              + f"  (heddle's PUT/s >= in {rounds_above} of {len(runs['heddle-blobd'])} rounds)")

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
summary = {
    "date": E["STAMP"], "git": E["GIT_REV"], "kernel": platform.release(),
    "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} CPUs, {cpu}",
    "settings": {"rounds": ROUNDS, "duration_s": DURATION, "warmup_s": WARMUP, "workers": WORKERS,
                 "connections": CONNECTIONS, "size": SIZE, "keys_per_connection": int(KEYS),
                 "data_root": DATA_ROOT, "nginx_reuseport": E["NGINX_REUSEPORT"] not in ("", "0"),
                 "data_fs": disk[0].split() if disk else None, "servers": SERVERS},
    "runs": runs, "median": median, "ratios": ratios, "paired_ratios": paired,
}
out = f"{E['RESULTS']}/blobd-{E['STAMP']}.json"
with open(out, "w") as f:
    json.dump(summary, f, indent=2)
print(f"\nsaved {out}")
if any(m["errors"] for m in median.values()):
    sys.exit("bench.sh: some requests failed (see the error lines above)")
PY
