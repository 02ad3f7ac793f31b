#!/usr/bin/env bash
# The assembler (src/audio/assemble, what `klang speak` runs after the
# downloads) against ffmpeg on the same chunks, whole processes, side by
# side: a 60-minute narration of 360 chunks of 10 s already on disk (espeak-ng
# speech, 0.1-0.5 s of silence before, levels 8 dB apart, 44.1 kHz mono MP3
# at 64 kbit/s like the provider's takes), made into one 16-bit FLAC at
# -16 LUFS under -1.5 dBTP with 400 ms gaps. klang runs as
# examples/assemble_files; ffmpeg as `-f concat -i list -af
# loudnorm=I=-16:TP=-1.5 -ar 44100 -c:a flac` (single pass; it neither trims
# nor evens the chunks out, so it does less).
# Prints wall time and peak memory of each (GNU time). Needs ffmpeg and
# espeak-ng. The chunks are made once and kept (CHUNKS, default
# target/bench-assemble-chunks).
#
#   scripts/bench-assemble.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
count=${COUNT:-360}
chunks=${CHUNKS:-target/bench-assemble-chunks}
cargo build --release --quiet --features tools --example assemble_files
bin=target/release/examples/assemble_files
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }

if [ ! -f "$chunks/done-$count" ]; then
  mkdir -p "$chunks"
  words=(harbour lantern evening morning island river mountain garden
    window letter travel quiet autumn winter summer meadow forest signal)
  for i in $(seq 1 "$count"); do
    text=""
    for j in $(seq 0 21); do text+="${words[$(((i * 7 + j * 5) % ${#words[@]}))]} "; done
    espeak-ng -w "$work/raw.wav" "The $text."
    lead=$(awk "BEGIN{print 100 + ($i * 37) % 400}")
    gain=$(awk "BEGIN{print (($i * 13) % 9) - 4}")
    ff -i "$work/raw.wav" -af "adelay=$lead:all=1,apad=whole_dur=10,atrim=0:10,volume=${gain}dB" \
      -ar 44100 -ac 1 -c:a libmp3lame -b:a 64k "$chunks/$(printf '%03d' "$i").mp3"
  done
  touch "$chunks/done-$count"
fi
files=()
for i in $(seq 1 "$count"); do files+=("$chunks/$(printf '%03d' "$i").mp3"); done
: >"$work/list.txt"
for f in "${files[@]}"; do echo "file '$(realpath "$f")'" >>"$work/list.txt"; done

measure() { # label command...
  local label=$1
  shift
  local best_wall=999999 best_rss=0
  for _ in $(seq "$runs"); do
    rm -f "$work"/out.flac
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/said"
    read -r wall rss <"$work/time"
    if awk "BEGIN{exit !($wall < $best_wall)}"; then best_wall=$wall best_rss=$rss; fi
  done
  printf '%-34s %8.2f s %8.1f MB\n' "$label" "$best_wall" "$(awk "BEGIN{print $best_rss/1024}")"
}

echo "$count chunks, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); best of $runs runs: wall time, peak RSS"
measure "klang assemble" "$bin" "$work/out.flac" "${files[@]}"
cat "$work/said"
measure "ffmpeg concat + loudnorm" ffmpeg -nostdin -hide_banner -loglevel error -y \
  -f concat -safe 0 -i "$work/list.txt" -af "loudnorm=I=-16:TP=-1.5" -ar 44100 -c:a flac "$work/out.flac"
