#!/usr/bin/env bash
# klang's render chain against ffmpeg on the same files, whole processes,
# side by side: a 10 s and a 10-minute 44.1 kHz stereo MP3 to a 48 kHz
# 24-bit WAV at -23 LUFS. klang runs as examples/render_file (the chain
# `klang render` runs, without the task lookup); ffmpeg as
# `-af loudnorm=I=-23:TP=-1,aresample=48000,aformat=channel_layouts=stereo
# -c:a pcm_s24le` (single pass; the aformat pins the stereo layout loudnorm
# otherwise leaves unset).
# Then the memory bound: the 10-minute MP3 and a 256 MiB 8-bit WAV (44.1
# kHz stereo, 50.7 minutes) through the same chain, klang alone; render
# decodes block by block, so both stay under 64 MB.
# Prints wall time and peak memory of each (GNU time). Needs ffmpeg.
# `KLANG_RENDER=path` measures another build of examples/render_file (an
# older commit's, for a before-and-after) and builds nothing;
# `SKIP_FFMPEG=1` leaves ffmpeg out.
#
#   scripts/bench-render.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
bin=${KLANG_RENDER:-target/release/examples/render_file}
[ -n "${KLANG_RENDER:-}" ] || cargo build --release --quiet --features tools --example render_file
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
ff -f lavfi -i "anoisesrc=d=10:c=pink:r=44100:a=0.2" -ac 2 -c:a libmp3lame -b:a 192k "$work/10s.mp3"
ff -f lavfi -i "anoisesrc=d=600:c=pink:r=44100:a=0.2" -ac 2 -c:a libmp3lame -b:a 192k "$work/10min.mp3"
# 256 MiB of 8-bit stereo samples at 44.1 kHz, plus the 44-byte header.
ff -f lavfi -i "anoisesrc=c=pink:r=44100:a=0.2:d=3100" -ac 2 -c:a pcm_u8 \
  -af "atrim=end_sample=$((256 * 1024 * 1024 / 2))" "$work/256MiB.wav"

measure() { # label command...
  local label=$1
  shift
  local best_wall=999999 best_rss=0
  for _ in $(seq "$runs"); do
    rm -rf "$work/out" && mkdir -p "$work/out"
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
    read -r wall rss <"$work/time"
    if awk "BEGIN{exit !($wall < $best_wall)}"; then best_wall=$wall best_rss=$rss; fi
  done
  printf '%-28s %8.2f s %8.1f MB\n' "$label" "$best_wall" "$(awk "BEGIN{print $best_rss/1024}")"
}

echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); best of $runs runs: wall time, peak RSS"
for f in 10s 10min; do
  measure "klang render $f" "$bin" "$work/$f.mp3" "$work/out"
  [ -n "${SKIP_FFMPEG:-}" ] || measure "ffmpeg loudnorm $f" ffmpeg -nostdin -hide_banner -loglevel error -y -i "$work/$f.mp3" \
    -af "loudnorm=I=-23:TP=-1,aresample=48000,aformat=channel_layouts=stereo" -c:a pcm_s24le "$work/out/ffmpeg.wav"
done
measure "klang render 256 MiB WAV" "$bin" "$work/256MiB.wav" "$work/out"
