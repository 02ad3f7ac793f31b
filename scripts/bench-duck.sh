#!/usr/bin/env bash
# The dubbed film's mix (src/video/duck, `klang dub --video`) on a
# 90-minute film with 1,500 lines: a 90-minute video (64x48 at 5 fps, its
# audio a stereo 440 Hz tone in AAC) and a 90-minute mono FLAC speech
# track, made once into target/bench-duck. examples/duck_film ducks the
# tone 12 dB under 1,500 lines (2.5 s of every 3.6 s), mixes and muxes.
# Prints wall time and peak memory (GNU time: the larger of klang and the
# ffmpeg it runs), then what ffprobe says of the result. Needs ffmpeg.
#
#   scripts/bench-duck.sh [MINUTES] [LINES]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-90}
lines=${2:-1500}
seconds=$((minutes * 60))
cargo build --release --quiet --features tools --example duck_film
work=target/bench-duck
mkdir -p "$work"
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
video=$work/film-${minutes}m.mp4
speech=$work/speech-${minutes}m.flac
[ -f "$video" ] || ff -f lavfi -i "testsrc=size=64x48:rate=5:duration=$seconds" \
  -f lavfi -i "sine=f=440:r=48000:d=$seconds" -c:v libx264 -preset ultrafast \
  -pix_fmt yuv420p -c:a aac -ac 2 -b:a 96k "$video"
[ -f "$speech" ] || ff -f lavfi -i "sine=f=2500:r=44100:d=$seconds" -c:a flac "$speech"
rm -f "$work/out.mp4"
/usr/bin/time -f "wall %e s, peak RSS %M KB" target/release/examples/duck_film \
  "$video" "$speech" "$work/out.mp4" "$lines" "$minutes"
ffprobe -v error -show_entries stream=codec_type,duration -of csv=p=0 "$work/out.mp4"
