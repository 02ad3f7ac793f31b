#!/usr/bin/env bash
# The dashboard with a small and a huge history, side by side, in a real
# terminal (tmux, 200x50) on a release build: start-up until the table's
# first row is drawn, peak RSS, one filter keystroke (the "9" that turns
# "number 9" into "number 99"), PgDn x100, G then g, and bytes written and
# CPU used in 5 s idle. Each figure is the median of RUNS runs.
# Needs tmux, /usr/bin/time and python3.
# Usage: scripts/bench-startup.sh [COUNT...]   (default: 100 1000000)
# Env: RUNS (default 3). Seeding alone: cargo run --release --features tools --example
# seed_history -- DB COUNT
set -euo pipefail
cd "$(dirname "$0")/.."
counts=("$@")
[ ${#counts[@]} -eq 0 ] && counts=(100 1000000)
runs=${RUNS:-3}
cargo build --release --quiet --features tools --bin klang --example seed_history
root=$(mktemp -d)
sock=klang-bench-$$
trap 'tmux -L $sock kill-server 2>/dev/null || true; rm -rf "$root"' EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
screen() { tmux -L $sock capture-pane -p 2>/dev/null || true; }

# Waits until the screen matches the extended regex $1; prints the ms
# since $2 (a now_ms timestamp). Gives up after 120 s.
wait_for() {
  local pattern=$1 since=$2 deadline=$(( $(now_ms) + 120000 ))
  until screen | grep -Eq -- "$pattern"; do
    if [ "$(now_ms)" -gt "$deadline" ]; then echo "timed out waiting for /$pattern/" >&2; screen >&2; return 1; fi
    sleep 0.002
  done
  echo $(( $(now_ms) - since ))
}

# The pid of the klang process in the pane (below sh and time).
klang_pid() {
  local pid
  pid=$(tmux -L $sock display -p '#{pane_pid}')
  for _ in 1 2 3 4; do
    [ "$(cat /proc/$pid/comm 2>/dev/null)" = klang ] && { echo "$pid"; return; }
    pid=$(ps -o pid= --ppid "$pid" | head -1 | tr -d ' ')
    [ -n "$pid" ] || break
  done
  echo "no klang process found" >&2
  return 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# Rows whose prompt contains "number $1" among tasks numbered 0..$2-1.
matching() { python3 -c "import sys; p, n = sys.argv[1], int(sys.argv[2]); print(sum(1 for i in range(n) if str(i).startswith(p)))" "$1" "$2"; }

# One run: prints "startup rss_mb filter pgdn gg idle_bytes idle_ticks".
run_once() {
  local count=$1 seed=$2 home=$root/home
  rm -rf "$home"; mkdir -p "$home/data/klang" "$home/config" "$home/state"
  cp "$seed" "$home/data/klang/sandbox.db"
  local envs="HOME=$home XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config XDG_STATE_HOME=$home/state"
  local start; start=$(now_ms)
  tmux -L $sock new-session -d -x 200 -y 50 \
    "env $envs /usr/bin/time -v -o $root/time.txt ./target/release/klang --sandbox; sleep 600"
  # The newest task's row is drawn (not just the title).
  local startup; startup=$(wait_for "number $((count - 1)) with" "$start")
  local pid; pid=$(klang_pid)

  local nine; nine=$(matching 9 "$count")
  local nines; nines=$(matching 99 "$count")
  tmux -L $sock send-keys / n u m b e r Space 9
  wait_for "Tasks $nine of $count" "$(now_ms)" >/dev/null
  sleep 0.3
  local t; t=$(now_ms)
  tmux -L $sock send-keys 9
  local filter; filter=$(wait_for "Tasks $nines of $count" "$t")
  tmux -L $sock send-keys Escape
  wait_for "Tasks $count · row 1 " "$(now_ms)" >/dev/null

  # PgDn x100 lands on row 100 pages down (or the last row).
  local keys=(); for _ in $(seq 100); do keys+=(NPage); done
  t=$(now_ms)
  tmux -L $sock send-keys "${keys[@]}"
  local pgdn; pgdn=$(wait_for "row [0-9]+ · sort" "$t")
  local settle_row=""
  until [ "$settle_row" = "$(screen | grep -Eo 'row [0-9]+ · sort' | head -1)" ]; do
    settle_row=$(screen | grep -Eo 'row [0-9]+ · sort' | head -1); sleep 0.05
  done
  pgdn=$(( $(now_ms) - t - 50 ))

  t=$(now_ms)
  tmux -L $sock send-keys G
  wait_for "row $count · sort" "$t" >/dev/null
  tmux -L $sock send-keys g
  local gg; gg=$(wait_for "Tasks $count · row 1 · sort" "$t")

  sleep 6  # toasts expire; then nothing should happen at all
  : > "$root/pipe.out"
  tmux -L $sock pipe-pane -o "cat >> $root/pipe.out"
  local before; before=$(cpu_ticks "$pid")
  sleep 5
  local ticks=$(( $(cpu_ticks "$pid") - before ))
  tmux -L $sock pipe-pane
  local bytes; bytes=$(wc -c < "$root/pipe.out")

  tmux -L $sock send-keys q
  for _ in $(seq 100); do grep -q "Maximum resident" "$root/time.txt" 2>/dev/null && break; sleep 0.1; done
  local rss; rss=$(awk -F': ' '/Maximum resident/ {printf "%.1f", $2 / 1024}' "$root/time.txt")
  tmux -L $sock kill-server 2>/dev/null || true
  rm -f "$root/time.txt"
  echo "$startup $rss $filter $pgdn $gg $bytes $ticks"
}

median() { tr ' ' '\n' | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

declare -A result
for count in "${counts[@]}"; do
  seed=$root/seed-$count.db
  ./target/release/examples/seed_history "$seed" "$count" >/dev/null
  rm -f "$seed-wal" "$seed-shm"
  lines=()
  for run in $(seq "$runs"); do
    line=$(run_once "$count" "$seed")
    echo "  $count tasks, run $run: $line" >&2
    lines+=("$line")
  done
  for col in 1 2 3 4 5 6 7; do
    result[$count,$col]=$(printf '%s\n' "${lines[@]}" | awk -v c=$col '{print $c}' | median)
  done
done

header="| | $(printf '%s tasks | ' "${counts[@]}")"
echo
echo "Median of $runs runs, release build, tmux 200x50:"
echo
echo "${header% }"
echo "|---$(printf '|---%.0s' "${counts[@]}")|"
names=("start-up to a drawn table (ms)" "peak RSS (MB)" "one filter keystroke (ms)" "PgDn x100 (ms)" "G then g (ms)" "bytes written in 5 s idle" "CPU ticks in 5 s idle")
for col in 1 2 3 4 5 6 7; do
  row="| ${names[$((col - 1))]} |"
  for count in "${counts[@]}"; do row+=" ${result[$count,$col]} |"; done
  echo "$row"
done
