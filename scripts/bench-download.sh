#!/usr/bin/env bash
# `klang download` against curl for one large file over loopback, each as a
# whole process, on a release build: curl is `curl -o FILE && sync FILE`
# (one fsync of the file, as klang makes its file durable), klang is
# start-up, transfer, write, its fsync of the file and of the folder, the
# rename into place and the store update (it measures nothing: figures are
# made on first need). The file host (examples/file_host.rs) serves SIZE_MB
# of a WAV (a real header over incompressible samples) from memory and
# seeds a store with one completed task pointing at it. Runs alternate
# between curl and klang; each figure is the median of RUNS runs.
# Usage: scripts/bench-download.sh [DIR...]   (where the files are written;
#        default: a directory under $TMPDIR, and /dev/shm when it exists)
# Env: SIZE_MB (default 100), RUNS (default 5), KLANG (the binary, default
# target/release/klang, built here; with KLANG and FILE_HOST set nothing is
# built). Needs curl, coreutils sync and /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${SIZE_MB:-100}
runs=${RUNS:-5}
if [ -z "${KLANG:-}" ] || [ -z "${FILE_HOST:-}" ]; then
  cargo build --release --quiet --features tools --bin klang --example file_host
fi
klang=${KLANG:-./target/release/klang}
file_host=${FILE_HOST:-./target/release/examples/file_host}
root=$(mktemp -d)
dirs=("$@")
if [ ${#dirs[@]} -eq 0 ]; then
  dirs=("$root/out")
  [ -d /dev/shm ] && [ -w /dev/shm ] && dirs+=("$(mktemp -d -p /dev/shm)")
fi
host=""
cleanup() {
  [ -n "$host" ] && kill "$host" 2>/dev/null || true
  rm -rf "$root"
  for d in "${dirs[@]}"; do case $d in /dev/shm/tmp.*) rm -rf "$d" ;; esac; done
}
trap cleanup EXIT

home=$root/home
mkdir -p "$home/data/klang" "$home/config" "$home/state"
export HOME=$home XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config XDG_STATE_HOME=$home/state
"$file_host" "$home/data/klang/sandbox.db" "$size" > "$root/url" &
host=$!
for _ in $(seq 600); do [ -s "$root/url" ] && break; sleep 0.05; done
url=$(head -1 "$root/url")
[ -n "$url" ] || { echo "the file host did not start" >&2; exit 1; }

now_ns() { date +%s%N; }
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# Prints "wall_ms cpu_ms" for "$@" (CPU: user + system, 10 ms steps);
# fails if it fails.
timed() {
  local t; t=$(now_ns)
  /usr/bin/time -f "%U %S" -o "$root/cpu" "$@" >/dev/null 2>&1
  local wall=$(( ($(now_ns) - t) / 1000000 ))
  echo "$wall $(awk '{printf "%d", ($1 + $2) * 1000}' "$root/cpu")"
}

echo "SIZE_MB=$size, median of $runs runs, release build, loopback:"
echo
echo "| written to | curl -o + sync | klang download | klang / curl | CPU: curl | CPU: klang |"
echo "|---|---|---|---|---|---|"
for dir in "${dirs[@]}"; do
  mkdir -p "$dir"
  curl_ms=(); klang_ms=(); curl_cpu=(); klang_cpu=()
  # One unmeasured round first, so both start with warm caches.
  for run in $(seq 0 "$runs"); do
    read -r c ccpu < <(timed sh -c 'curl -sS --fail -o "$1" "$2" && sync "$1"' sh "$dir/curl.bin" "$url")
    read -r k kcpu < <(timed "$klang" --sandbox download 1 --out "$dir/klang")
    got=$(stat -c %s "$dir/klang/"*)
    [ "$got" -eq $((size << 20)) ] || { echo "klang saved $got bytes, expected $((size << 20))" >&2; exit 1; }
    rm -rf "$dir/curl.bin" "$dir/klang"
    [ "$run" -eq 0 ] && continue
    echo "  $dir run $run: curl $c ms ($ccpu ms CPU), klang $k ms ($kcpu ms CPU)" >&2
    curl_ms+=("$c"); klang_ms+=("$k"); curl_cpu+=("$ccpu"); klang_cpu+=("$kcpu")
  done
  c=$(printf '%s\n' "${curl_ms[@]}" | median)
  k=$(printf '%s\n' "${klang_ms[@]}" | median)
  ratio=$(awk -v k="$k" -v c="$c" 'BEGIN {printf "%.2f", k / c}')
  ccpu=$(printf '%s\n' "${curl_cpu[@]}" | median)
  kcpu=$(printf '%s\n' "${klang_cpu[@]}" | median)
  echo "| $dir | $c ms | $k ms | $ratio | $ccpu ms | $kcpu ms |"
done
