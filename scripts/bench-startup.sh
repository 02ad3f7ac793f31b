#!/usr/bin/env bash
# Measures the dashboard with a 100,000-task history: start-up until the
# table shows, peak memory, and bytes written to the terminal while idle.
# Needs tmux and /usr/bin/time. Usage: scripts/bench-startup.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
cargo build --release --quiet --bin klang --example seed_history
root=$(mktemp -d)
trap 'tmux -L klang-bench kill-server 2>/dev/null; rm -rf "$root"' EXIT
export HOME=$root XDG_DATA_HOME=$root/data XDG_CONFIG_HOME=$root/config XDG_STATE_HOME=$root/state
./target/release/examples/seed_history "$XDG_DATA_HOME/klang/sandbox.db" "$count"
tmux -L klang-bench new-session -d -x 200 -y 50 \
  "env HOME=$HOME XDG_DATA_HOME=$XDG_DATA_HOME XDG_CONFIG_HOME=$XDG_CONFIG_HOME XDG_STATE_HOME=$XDG_STATE_HOME /usr/bin/time -v -o $root/time.txt ./target/release/klang --sandbox; sleep 30"
start=$(date +%s%N)
until tmux -L klang-bench capture-pane -p | grep -q "Tasks $count"; do sleep 0.02; done
shown=$(date +%s%N)
echo "start-up to a drawn table with $count tasks: $(( (shown - start) / 1000000 )) ms"
sleep 6  # let start-up toasts expire
: > "$root/pipe.out"
tmux -L klang-bench pipe-pane -o "cat >> $root/pipe.out"
sleep 10
tmux -L klang-bench pipe-pane
echo "bytes written to the terminal in 10 s idle: $(wc -c < "$root/pipe.out")"
tmux -L klang-bench send-keys j j G g
sleep 0.5
tmux -L klang-bench send-keys q
sleep 1
grep -E "Maximum resident|Elapsed|User time|System time" "$root/time.txt"
