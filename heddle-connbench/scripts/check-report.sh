#!/usr/bin/env bash
# Opens a heddle-connbench --report page in headless Chromium, checks that
# the rendered DOM has the expected chart elements and takes a screenshot.
#
#   check-report.sh REPORT.html [SCREENSHOT.png] [ROUNDS]
#
# ROUNDS (optional) is the number of rounds in the report: the page must then
# have exactly 2 + ROUNDS charts. Installs Debian's `chromium` with apt-get
# when it is missing and this runs as root; exits 77 (skipped) when Chromium
# is not installed and cannot be installed, 1 when a check fails.
set -euo pipefail

report=${1:?usage: check-report.sh REPORT.html [SCREENSHOT.png] [ROUNDS]}
shot=${2:-${report%.html}.png}
rounds=${3:-}
[ -f "$report" ] || { echo "check-report: no such file: $report" >&2; exit 1; }
report=$(realpath "$report")

find_chromium() {
    for c in chromium chromium-browser google-chrome google-chrome-stable; do
        if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
    done
    return 1
}

if ! chrome=$(find_chromium); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "check-report: installing chromium with apt-get" >&2
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; then
            DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 || true
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || true
        fi
    fi
    if ! chrome=$(find_chromium); then
        echo "check-report: SKIPPED: chromium is not installed and could not be installed (needs root and apt-get)" >&2
        exit 77
    fi
fi

profile=$(mktemp -d)
dom=$(mktemp)
trap 'rm -rf "$profile" "$dom"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --user-data-dir="$profile" --window-size=1200,1600)

timeout 90 "$chrome" "${flags[@]}" --dump-dom "file://$report" >"$dom" 2>/dev/null
timeout 90 "$chrome" "${flags[@]}" --screenshot="$(realpath -m "$shot")" "file://$report" >/dev/null 2>&1

fail=0
check() { # description, actual, expected-predicate
    if eval "$3"; then echo "ok: $1 ($2)"; else echo "FAILED: $1 ($2)"; fail=1; fi
}
n() { { grep -o -- "$1" "$dom" || true; } | wc -l; }

svgs=$(n '<svg ')
if [ -n "$rounds" ]; then
    check "charts: 2 summary + $rounds histograms" "$svgs <svg>" "[ $svgs -eq $((2 + rounds)) ]"
    hists=$(n 'id="chart-histogram-[0-9]*"')
    check "one histogram per round" "$hists" "[ $hists -eq $rounds ]"
else
    check "at least 3 charts" "$svgs <svg>" "[ $svgs -ge 3 ]"
fi
for id in chart-percentiles chart-rates chart-histogram-1; do
    c=$(n "id=\"$id\"")
    check "chart #$id" "$c" "[ $c -eq 1 ]"
done
for key in p50 p90 p99 p999 max achieved ideal; do
    c=$(n "class=\"series series-$key\"")
    check "series $key" "$c" "[ $c -eq 1 ]"
done
paths=$(n '<path d="M')
check "series paths with data" "$paths" "[ $paths -ge 7 ]"
bars=$(n 'class="bar"')
check "histogram bars" "$bars" "[ $bars -ge 1 ]"
for label in 'Target rate (connections/s)' 'Latency (µs, log scale)' 'Achieved rate (connections/s)' \
             'Latency from the scheduled start (µs, log buckets)' 'Share of samples (%)'; do
    c=$(grep -cF -- "$label" "$dom" || true)
    check "axis label '$label'" "$c lines" "[ $c -ge 1 ]"
done
scripts=$(n '<script')
check "no scripts" "$scripts" "[ $scripts -eq 0 ]"

if [ -s "$shot" ] && [ "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
    size=$(stat -c %s "$shot")
    check "screenshot $shot is a PNG with content" "$size bytes" "[ $size -gt 20000 ]"
else
    echo "FAILED: no screenshot at $shot"; fail=1
fi
exit $fail
