#!/usr/bin/env bash
# `klang dub`'s work once every take is on disk (examples/dub_files: the
# subtitles parsed, every take measured, the lines placed, the speech
# track written on the timeline), for a 90-minute film of 1,500 cues: one
# cue every 3.6 s, each take 2.4 s (0.2 s of silence, 1.9 s of pulsing
# tone over noise at one of four levels, 0.3 s of silence), 44.1 kHz mono
# MP3 at 64 kbit/s like the provider's takes, written to a 16-bit WAV of
# 5,400 s at -16 LUFS. Prints wall time, CPU time (user + system: what
# the work costs whatever else the machine runs) and peak memory (GNU
# time).
# The takes are made once and kept (TAKES, default target/bench-dub-takes).
#
#   scripts/bench-dub.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
count=1500
takes=${TAKES:-target/bench-dub-takes}
cargo build --release --quiet --features tools --example dub_files
bin=target/release/examples/dub_files
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }

if [ ! -f "$takes/done-$count" ]; then
  mkdir -p "$takes"
  # One long signal cut into 2.4 s takes: silent for the first 0.2 s and
  # the last 0.3 s of each, louder or quieter from take to take.
  expr='if(between(mod(t,2.4),0.2,2.1),(0.25+0.1*mod(floor(t/2.4),4))*(0.6+0.4*sin(2*PI*1.3*t))*sin(2*PI*220*t)+0.03*(random(0)-0.5),0)'
  ff -f lavfi -i "aevalsrc=exprs='$expr':s=44100:d=$((count * 24 / 10))" \
    -c:a libmp3lame -b:a 64k -f segment -segment_time 2.4 "$takes/%04d.mp3"
  touch "$takes/done-$count"
fi
stamp() { printf '%02d:%02d:%02d,%03d' $(($1 / 3600000)) $(($1 / 60000 % 60)) $(($1 / 1000 % 60)) $(($1 % 1000)); }
for i in $(seq 0 $((count - 1))); do
  a=$((i * 3600 + 500))
  printf '%d\n%s --> %s\nLine %d of the film, spoken here.\n\n' $((i + 1)) "$(stamp $a)" "$(stamp $((a + 3000)))" $((i + 1))
done >"$work/film.srt"
files=()
for f in "$takes"/*.mp3; do files+=("$f"); done
files=("${files[@]:0:$count}")

echo "$count cues, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); best of $runs runs: wall time, CPU time, peak RSS"
best_wall=999999 best_rss=0 best_cpu=0
for _ in $(seq "$runs"); do
  rm -f "$work/out.wav"
  /usr/bin/time -f "%e %M %U %S" -o "$work/time" "$bin" "$work/film.srt" "$work/out.wav" 5400 "${files[@]}" >"$work/said"
  read -r wall rss user sys <"$work/time"
  if awk "BEGIN{exit !($wall < $best_wall)}"; then
    best_wall=$wall best_rss=$rss best_cpu=$(awk "BEGIN{print $user + $sys}")
  fi
done
cat "$work/said"
printf '%-34s %8.2f s wall %8.2f s CPU %8.1f MB\n' "dub_files (1,500 cues, 90 min)" "$best_wall" "$best_cpu" "$(awk "BEGIN{print $best_rss/1024}")"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
