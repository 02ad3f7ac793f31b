#!/usr/bin/env bash
# scripts/bench-build.sh [REV]: a new contributor's first hour, measured.
#
# Clones this repository (at REV, default HEAD) into a temporary directory
# with a target directory of its own, then times, each as a whole process:
#   1. the README's first command, `cargo run -- --sandbox` (run with
#      `--version` so that it exits once built: the build is the same);
#   2. the README's second command, `cargo test`, to its summary;
#   3. a one-line change in src/tui followed by `cargo test --no-run`;
# and prints the size of target/ and the number of tests that passed.
# Crates must already be downloaded (`cargo fetch`); tmux and ffmpeg should
# be installed, or their tests are skipped (each says so).
# KEEP=1 keeps the clone.
set -euo pipefail
src=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
rev=${1:-HEAD}
work=$(mktemp -d /tmp/klang-bench-build.XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
git clone -q "$src" "$work/klang"
cd "$work/klang"
git checkout -q "$rev"
export CARGO_TARGET_DIR="$work/klang/target" CARGO_TERM_COLOR=never
unset KLANG_LONG_TESTS

seconds() { # seconds since the given epoch.nanos, to 0.1 s
  awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'
}

start=$(date +%s.%N)
cargo run --locked -q -- --sandbox --version >/dev/null
run_s=$(seconds "$start")

start=$(date +%s.%N)
cargo test --locked >"$work/test.log" 2>&1 || echo "cargo test failed: see $work/test.log (KEEP=1 keeps it)" >&2
test_s=$(seconds "$start")
passed=$(grep -Eo '[0-9]+ passed' "$work/test.log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$work/test.log" | awk '{s+=$1} END {print s+0}')
binaries=$(grep -c '^     Running ' "$work/test.log" || true)
target_after_test=$(du -sh "$CARGO_TARGET_DIR" | cut -f1)

# A one-line change in the dashboard, as a contributor makes many times an hour.
file=$(ls src/tui/*.rs | head -1)
echo "// bench-build: a one-line change" >>"$file"
start=$(date +%s.%N)
cargo test --locked --no-run -q 2>/dev/null
rebuild_s=$(seconds "$start")

echo "rev:                                  $(git rev-parse --short HEAD)"
echo "cores:                                $(nproc)"
echo "1. cargo run -- --sandbox (cold):     ${run_s} s"
echo "2. then cargo test, to its summary:   ${test_s} s ($passed passed, $failed failed, $binaries test binaries)"
echo "   both in order:                     $(awk -v a="$run_s" -v b="$test_s" 'BEGIN { printf "%.1f", a + b }') s"
echo "   target/ after both:                $target_after_test"
echo "3. one line in $file, cargo test --no-run: ${rebuild_s} s"
