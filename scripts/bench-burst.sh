#!/usr/bin/env bash
# CPU the engine spends while more tasks are due than requests may be in
# flight: N tasks polled 8 at a time against a sandbox answering in 400 ms.
# Usage: scripts/bench-burst.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-30}
port=47199
cargo build --release --quiet --bin klang
root=$(mktemp -d)
export XDG_DATA_HOME=$root/data XDG_CONFIG_HOME=$root/config XDG_STATE_HOME=$root/state
export KLANG_DOWNLOAD_DIR=$root/downloads KLANG_API_KEY=sandbox
./target/release/klang sandbox --port $port --latency-ms 400 --pending-ms 3000 --processing-ms 3000 >/dev/null &
sandbox=$!
trap 'kill $sandbox 2>/dev/null; rm -rf "$root"' EXIT
sleep 0.5
for i in $(seq 1 "$count"); do
  ./target/release/klang --base-url "http://127.0.0.1:$port" submit sfx --prompt "burst $i" >/dev/null 2>&1 &
done
wait_pids=$(jobs -p | grep -v "^$sandbox$" || true)
for p in $wait_pids; do wait "$p"; done
/usr/bin/time -o "$root/time.txt" -f "klang wait on $count tasks: %e s wall, %U s user, %S s system, %M KB peak" \
  ./target/release/klang --base-url "http://127.0.0.1:$port" wait >/dev/null 2>&1
cat "$root/time.txt"
