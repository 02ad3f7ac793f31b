#!/usr/bin/env bash
# The bed writer (src/audio/crossfade, what `klang bed` runs once its takes
# are downloaded) as one process: a 10-minute bed from 4 takes of 10 s
# (pink noise through different filters, 44.1 kHz mono MP3 at 128 kbit/s
# like the provider's sound effects, levels 6 dB apart), laid with no take
# back within 30 s, joined by 2 s equal-power crossfades at -20 LUFS,
# written as 24-bit WAV. Prints GNU time's wall time and peak RSS (best of
# RUNS), the load, and ffmpeg's short-term loudness range of the result.
#
#   scripts/bench-bed.sh [RUNS]   (SKIP_BUILD=1: the example as last built)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
minutes=${MINUTES:-10}
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet --features tools --example bed_files
bin=${CARGO_TARGET_DIR:-target}/release/examples/bed_files
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
filters=("lowpass=f=800" "highpass=f=300,lowpass=f=3000" "bandpass=f=1200:w=800" "lowpass=f=5000")
takes=()
for i in 0 1 2 3; do
  ff -f lavfi -i "anoisesrc=d=10:c=pink:seed=$((i + 7)):a=0.3" \
    -af "${filters[$i]},volume=$((i * 2 - 3))dB" -ar 44100 -ac 1 -c:a libmp3lame -b:a 128k "$work/take$i.mp3"
  takes+=("$work/take$i.mp3")
done
echo "$minutes-minute bed from ${#takes[@]} takes, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); best of $runs runs"
best_wall=999999 best_rss=0 best_cpu=0
for _ in $(seq "$runs"); do
  /usr/bin/time -v -o "$work/time" "$bin" "$work/bed.wav" "$minutes" "${takes[@]}" >"$work/said"
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$work/time")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
  cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {print s}' "$work/time")
  if awk "BEGIN{exit !($wall < $best_wall)}"; then best_wall=$wall best_rss=$rss best_cpu=$cpu; fi
done
cat "$work/said"
printf 'bed_files: %.2f s wall (%.2f CPU-seconds), %.1f MB peak RSS\n' "$best_wall" "$best_cpu" "$(awk "BEGIN{print $best_rss/1024}")"
ffmpeg -nostdin -hide_banner -nostats -v verbose -i "$work/bed.wav" -af ebur128=framelog=verbose -f null - 2>&1 |
  grep -o "t: *[0-9.]* .*S: *-\?[0-9.]*" |
  awk '{t=$2; for(i=1;i<=NF;i++) if($i=="S:") s=$(i+1); if (t>=3) {if(min==""||s<min)min=s; if(max==""||s>max)max=s}}
       END{printf "short-term loudness (3 s, ffmpeg ebur128): %.1f to %.1f LUFS, a %.1f LU range\n", min, max, max-min}'
