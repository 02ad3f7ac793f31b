#!/usr/bin/env bash
# What unfinished tasks cost while nothing happens, side by side in one run:
# N tasks that stay `processing` (a sandbox that never finishes them)
# against a store with none, for the dashboard (tmux 200x50; the bytes it
# sends to the terminal are counted by tmux's pipe-pane) and for headless
# `klang wait`. Over SECS seconds after a warm-up: disk writes
# (/proc/PID/io write_bytes), growth of the store file and its WAL, CPU
# (utime + stime of the process) and terminal bytes; beside the terminal
# bytes, what the cells that changed need (from a capture of the pane once
# a second: per run of changed cells a cursor move and a colour, ~20
# bytes, plus the characters themselves).
# The warm-up must let every task answer `processing` once (a real change,
# written): at the default 20 queries a second that is N / 20 s.
# Usage: scripts/bench-idle.sh [N] [SECS] [WARMUP_SECS]   (1000 60 N/20+20)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000}
secs=${2:-60}
warmup=${3:-$((count / 20 + 20))}
port=${PORT:-47213}
bin=${KLANG:-./target/release/klang}
[ -n "${KLANG:-}" ] || cargo build --release --quiet --bin klang
root=$(mktemp -d)
sock=klang-idle-$$
sandbox=
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  for p in ${waiter:-} $sandbox; do kill "$p" 2>/dev/null || true; done
  rm -rf "$root"
}
trap cleanup EXIT
"$bin" sandbox --port "$port" --pending-ms 0 --processing-ms 3600000000 >/dev/null 2>&1 &
sandbox=$!
sleep 0.5

# One home per side; the same sandbox answers both.
home() {
  echo "XDG_DATA_HOME=$root/$1/data XDG_CONFIG_HOME=$root/$1/config XDG_STATE_HOME=$root/$1/state KLANG_DOWNLOAD_DIR=$root/$1/downloads KLANG_API_KEY=sandbox"
}
mkdir -p "$root/busy" "$root/none"
for i in $(seq 1 "$count"); do
  echo "{\"model\": \"sfx\", \"prompt\": \"endless task $i\", \"duration\": 3}"
done >"$root/busy/lines.jsonl"
env $(home busy) "$bin" --base-url "http://127.0.0.1:$port" batch "$root/busy/lines.jsonl" \
  --rate 1000 --no-check >/dev/null 2>&1
env $(home none) "$bin" --base-url "http://127.0.0.1:$port" list >/dev/null 2>&1 || true
# `klang wait` gets a copy of the same tasks: two processes on one store
# would share the polling (each task is polled by one of them).
cp -r "$root/busy" "$root/wait"

dashboard() { # name
  tmux -L "$sock" new-session -d -s "$1" -x 200 -y 50 \
    "exec env $(home "$1") TERM=xterm-256color $bin --base-url http://127.0.0.1:$port"
  tmux -L "$sock" pipe-pane -t "$1" -o "cat >> $root/$1.term"
}
tmux -L "$sock" new-session -d -s idle -x 80 -y 24 "sleep 100000"
dashboard busy
dashboard none
env $(home wait) "$bin" --base-url "http://127.0.0.1:$port" wait >/dev/null 2>&1 &
waiter=$!
sleep "$warmup"

pid_of() { tmux -L "$sock" list-panes -t "$1" -F '#{pane_pid}'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
written() { awk '/^write_bytes/ {print $2}' "/proc/$1/io"; }
store_bytes() { cat "$root/$1/data/klang/"*.db* 2>/dev/null | wc -c; }
term_bytes() { stat -c %s "$root/$1.term" 2>/dev/null || echo 0; }

declare -A cpu0 w0 s0 t0
for side in busy none; do
  p=$(pid_of "$side")
  cpu0[$side]=$(cpu_ticks "$p"); w0[$side]=$(written "$p")
  s0[$side]=$(store_bytes "$side"); t0[$side]=$(term_bytes "$side")
done
cpu0[wait]=$(cpu_ticks "$waiter"); w0[wait]=$(written "$waiter")
s0[wait]=$(store_bytes wait)

# Once a second, the cells of the busy dashboard that changed.
python3 - "$sock" "$secs" >"$root/need.txt" <<'EOF'
import subprocess, sys, time
sock, secs = sys.argv[1], int(sys.argv[2])
def screen():
    out = subprocess.run(["tmux", "-L", sock, "capture-pane", "-p", "-t", "busy"],
                         capture_output=True, text=True).stdout
    return [line.ljust(200) for line in out.split("\n")[:50]]
need, prev = 0, screen()
for _ in range(secs):
    time.sleep(1)
    cur = screen()
    for a, b in zip(prev, cur):
        run = False
        for x, y in zip(a, b):
            if x != y:
                need += len(y.encode()) + (0 if run else 20)
                run = True
            else:
                run = False
    prev = cur
print(need)
EOF

ticks=$(getconf CLK_TCK)
row() { # label pid side store-side
  local p=$2 side=$3
  local cpu=$(( $(cpu_ticks "$p") - ${cpu0[$side]} ))
  local w=$(( $(written "$p") - ${w0[$side]} ))
  local s=$(( $(store_bytes "$4") - ${s0[$side]} ))
  local term=${5:-}
  awk -v l="$1" -v c="$cpu" -v w="$w" -v s="$s" -v t="$term" -v secs="$secs" -v hz="$ticks" 'BEGIN {
    printf "| %s | %.1f KB/min | %+.1f KB | %.2f %% | %s |\n", l, w / 1000 * 60 / secs, s / 1000, c / hz / secs * 100, t
  }'
}
echo "$count unfinished tasks against 0, ${secs} s after ${warmup} s of warm-up"
echo "| process | disk writes | store + WAL growth | CPU | terminal bytes (need) |"
echo "|---|---|---|---|---|"
need=$(cat "$root/need.txt")
for side in busy none; do
  tb=$(( $(term_bytes "$side") - ${t0[$side]} ))
  label="dashboard, $([ "$side" = busy ] && echo "$count" || echo 0) tasks"
  if [ "$side" = busy ]; then
    t=$(awk -v b="$tb" -v n="$need" -v s="$secs" 'BEGIN {printf "%.1f KB/min (%.1f KB/min)", b/1000*60/s, n/1000*60/s}')
  else
    t=$(awk -v b="$tb" -v s="$secs" 'BEGIN {printf "%.1f KB/min", b/1000*60/s}')
  fi
  row "$label" "$(pid_of "$side")" "$side" "$side" "$t"
done
row "klang wait, $count tasks" "$waiter" wait wait "-"
echo "(klang wait with 0 tasks exits at once: nothing to wait for)"
