#!/usr/bin/env bash
# Makes the audio klang's decoder is judged on, synthesized here (no
# third-party sound, so the files are as MIT as the code).
#
#   scripts/make-audio-fixtures.sh            regenerates tests/fixtures/audio
#                                             (sox and lame; committed files)
#   scripts/make-audio-fixtures.sh --judged DIR
#                                             writes the judged set into DIR
#                                             with ffmpeg alone (tests run this
#                                             at test time: see
#                                             tests/it/audio_judged.rs)
#
# The judged set is one stereo 44.1 kHz source, 1.0 s of digital silence,
# 3 s of two tremolo tones (a 50 ms fade-in), 0.5 s of silence, encoded as
# WAV, FLAC, Ogg Vorbis, MP3 CBR and VBR each with and without a Xing/Info
# header, AAC in M4A, AAC 5.1 in M4A (which klang must refuse by name), and
# MP3 cut at frame boundaries without a header, as the sandbox serves them.
# Reference figures come from ffmpeg/ffprobe at test time, never from klang.
# Needs: apt-get install ffmpeg (plus sox lame for the committed fixtures)
set -euo pipefail

judged() {
  local out=$1
  mkdir -p "$out"
  cd "$out"
  ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
  ff -f lavfi -i "sine=f=440:r=44100:d=3" -f lavfi -i "sine=f=660:r=44100:d=3" \
    -filter_complex "[0][1]join=inputs=2:channel_layout=stereo,volume=6dB,tremolo=f=0.7:d=0.5,afade=t=in:d=0.05,adelay=1000:all=1,apad=pad_dur=0.5" \
    -c:a pcm_s16le source.wav
  ff -i source.wav -c:a flac source.flac
  ff -i source.wav -c:a libvorbis -q:a 5 source.ogg
  ff -i source.wav -c:a libmp3lame -b:a 128k cbr_xing.mp3
  ff -i source.wav -c:a libmp3lame -b:a 128k -write_xing 0 cbr_noxing.mp3
  ff -i source.wav -c:a libmp3lame -q:a 2 vbr_xing.mp3
  ff -i source.wav -c:a libmp3lame -q:a 2 -write_xing 0 vbr_noxing.mp3
  ff -i source.wav -c:a aac -b:a 128k source.m4a
  ff -i source.wav -filter_complex "[0]pan=5.1|FL=c0|FR=c1|FC=c0|LFE=c1|BL=c0|BR=c1" \
    -c:a aac surround.m4a
  # Mono 64 kbit/s CBR without a header, cut at frame boundaries as the
  # sandbox serves it: a length symphonia can only estimate from the file
  # size, one frame short from these three starts.
  ff -f lavfi -i "anoisesrc=c=pink:r=44100:a=0.2:d=6:seed=7" -c:a libmp3lame -b:a 64k \
    -write_xing 0 -id3v2_version 0 noise.mp3
  for start in 0.3 0.6 1.5; do
    ff -ss "$start" -i noise.mp3 -c:a copy -t 4 -write_xing 0 -id3v2_version 0 "cut_$start.mp3"
  done
  rm noise.mp3
  # 20 s of pink noise swelling and fading every 10 s: a loudness range
  # of about 10 LU.
  ff -f lavfi -i "anoisesrc=c=pink:r=44100:a=0.3:d=20:seed=3" -af "tremolo=f=0.1:d=0.8" \
    -ac 2 -c:a flac range.flac
}

if [ "${1:-}" = "--judged" ]; then
  judged "${2:?--judged needs a directory}"
  exit 0
fi

cd "$(dirname "$0")/../tests/fixtures/audio"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Mono 22.05 kHz MP3: 0.5 s silence, 2 s of 440 Hz at -12 dBFS, 0.5 s silence.
sox -n -r 22050 -c 1 -b 16 "$tmp/a.wav" synth 2 sine 440 gain -12 pad 0.5 0.5
lame --quiet -b 48 "$tmp/a.wav" mono_22k.mp3

# Stereo 44.1 kHz MP3: 3 s of pink noise, channels independent.
sox -n -r 44100 -c 2 -b 16 "$tmp/b.wav" synth 3 pinknoise pinknoise gain -15
lame --quiet -b 128 "$tmp/b.wav" stereo_44k.mp3

# Stereo 48 kHz WAV: 1.5 s sweep, right channel 4 dB quieter.
sox -n -r 48000 -c 2 -b 16 stereo_48k.wav synth 1.5 sine 200-4000 sine 200-4000 remix 1v0.5 2v0.315

# Mono 32 kHz WAV: 2 s square wave with tremolo, faded in and out.
sox -n -r 32000 -c 1 -b 16 mono_32k.wav synth 2 square 220 gain -18 tremolo 4 60 fade 0.2 2 0.3
