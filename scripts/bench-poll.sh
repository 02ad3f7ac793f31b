#!/usr/bin/env bash
# The polling figure: queries per task and the median time between a task's
# completion and klang seeing it, for a first round of tasks (no history:
# today's growing interval) and a second round of the same kind (the learned
# schedule), against the sandbox over loopback with a fixed timeline.
# Usage: scripts/bench-poll.sh [TASKS] [PENDING_MS] [PROCESSING_MS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --features tools --example poll_figure
./target/release/examples/poll_figure "${1:-10}" "${2:-3000}" "${3:-10000}"
