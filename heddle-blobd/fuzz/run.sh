#!/bin/sh
# Builds and runs the key_parse fuzz target for SECS seconds (default 60).
# With cargo-fuzz installed, `cargo +nightly fuzz run key_parse` (from
# heddle-blobd/) does the same; this script needs only a nightly toolchain:
# it passes the coverage flags cargo-fuzz would.
set -eu
cd "$(dirname "$0")"
secs="${1:-60}"
target="$(rustc -vV | sed -n 's/^host: //p')"
RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks" \
    cargo +nightly build --release --target "$target" --bin key_parse
mkdir -p corpus/key_parse artifacts/key_parse
exec "target/$target/release/key_parse" corpus/key_parse -artifact_prefix=artifacts/key_parse/ \
    -max_total_time="$secs" -max_len=2100
