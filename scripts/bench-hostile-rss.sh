#!/usr/bin/env bash
# Peak RSS of `klang submit` against a server whose answer never ends
# (issue 8, finding 1). Stops klang after at most 8 s so that a klang
# without the answer cap cannot eat the machine.
# Usage: scripts/bench-hostile-rss.sh [path/to/klang]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-./target/debug/klang}
port=47211
root=$(mktemp -d)
export XDG_DATA_HOME=$root/data XDG_CONFIG_HOME=$root/config XDG_STATE_HOME=$root/state
export KLANG_DOWNLOAD_DIR=$root/downloads KLANG_API_KEY=sk-test
python3 scripts/hostile-answer.py $port &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$root"' EXIT
sleep 0.5
/usr/bin/time -o "$root/time.txt" -f "klang submit against an endless answer: %e s wall, %M KB peak RSS, exit %x" \
  timeout 8 "$bin" --base-url "http://127.0.0.1:$port" submit sfx --prompt endless >"$root/out.txt" 2>&1 || true
cat "$root/time.txt"
tail -n 2 "$root/out.txt"
