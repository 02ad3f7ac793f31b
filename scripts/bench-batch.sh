#!/usr/bin/env bash
# A 500-line TTS batch against a `klang sandbox` on loopback: price it, cap
# it, run it, SIGKILL it midway, resume it with --wait --download. Prints
# wall time and peak RSS of each run (/usr/bin/time -v), the creates the
# sandbox made, queries and file requests it answered (its debug log), and
# checks the files are named in line order.
# Usage: scripts/bench-batch.sh [LINES] [RATE] [BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-500}
rate=${2:-50}
bin=${3:-./target/release/klang}
[ -x "$bin" ] || cargo build --release --quiet --bin klang
port=47231
root=$(mktemp -d)
export XDG_DATA_HOME=$root/data XDG_CONFIG_HOME=$root/config
export KLANG_DOWNLOAD_DIR=$root/downloads KLANG_API_KEY=sandbox
XDG_STATE_HOME=$root/sandbox-state KLANG_LOG=debug "$bin" sandbox --port $port >/dev/null &
sandbox=$!
trap 'kill $sandbox 2>/dev/null; rm -rf "$root"' EXIT
sleep 0.5
file=$root/lines.jsonl
for i in $(seq 1 "$lines"); do
  printf '{"model":"tts","text":"Line %d of the localisation file, spoken.","voice_id":"reader_en_m-v1","voice_language":"en"}\n' "$i"
done >"$file"
k() { XDG_STATE_HOME=$root/state KLANG_LOG=info "$bin" --base-url "http://127.0.0.1:$port" "$@"; }
measure() { # label, args...
  local label=$1; shift
  /usr/bin/time -v -o "$root/time.txt" env XDG_STATE_HOME=$root/state KLANG_LOG=info \
    "$bin" --base-url "http://127.0.0.1:$port" "$@" >"$root/out.txt" 2>"$root/err.txt" || true
  printf '%-28s %6.2f s wall, peak RSS %s KB, exit %s\n' "$label" \
    "$(grep 'Elapsed (wall' "$root/time.txt" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')" \
    "$(grep 'Maximum resident' "$root/time.txt" | awk '{print $NF}')" \
    "$(grep 'Exit status' "$root/time.txt" | awk '{print $NF}')"
}
count() { cat "$root"/sandbox-state/klang/logs/* 2>/dev/null | grep -c "$1" || true; }
creates() { count 'sandbox: task created'; }
measure "dry run" batch "$file" --dry-run
tail -n 2 "$root/out.txt"
measure "--max-cost 0.10 (refused)" batch "$file" --max-cost 0.10
tail -n 1 "$root/err.txt"
echo "creates so far: $(creates)"
# Run, and SIGKILL it once about a third of the lines are created.
k batch "$file" --rate "$rate" >/dev/null 2>&1 &
run=$!
while [ "$(creates)" -lt $((lines / 3)) ]; do sleep 0.05; done
kill -9 $run; wait $run 2>/dev/null || true
sleep 0.3
echo "killed with SIGKILL after $(creates) creates"
measure "resume --wait --download" batch "$file" --rate "$rate" --wait --download --json
grep -o '"\(new\|skipped\|failed\|not_sent\)": [0-9]*' "$root/out.txt" | tr '\n' ' '; echo
echo "creates at the sandbox: $(creates) for $lines lines"
echo "requests at the sandbox (all runs): $(creates) creates, $(count 'sandbox: query answered') queries, $(count 'sandbox: file request') file downloads, $(count 'injecting fault') faults"
ls "$root/downloads/lines" >"$root/names.txt"
echo "files: $(wc -l <"$root/names.txt"), first $(head -1 "$root/names.txt"), last $(tail -1 "$root/names.txt")"
awk -v n="$lines" '{ if (substr($0,1,5)+0 != NR) bad=1 } END { print (bad || NR != n) ? "ORDER WRONG" : "names in line order" }' "$root/names.txt"
measure "again (all skipped)" batch "$file" --json
grep -o '"\(new\|skipped\)": [0-9]*' "$root/out.txt" | tr '\n' ' '; echo
echo "creates at the sandbox: $(creates)"
# The same lines from another file: a fresh, uninterrupted run.
cp "$file" "$root/fresh.jsonl"
before=$(creates)
measure "fresh run --wait --download" batch "$root/fresh.jsonl" --rate "$rate" --wait --download --json
grep -o '"\(new\|skipped\)": [0-9]*' "$root/out.txt" | tr '\n' ' '; echo
sleep 1
echo "creates for the fresh run: $(( $(creates) - before ))"
