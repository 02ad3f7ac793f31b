#!/usr/bin/env bash
# Regenerates tests/fixtures/audio: synthesized here (no third-party sound,
# so the files are as MIT as the code), encoded with real encoders (sox,
# lame). Reference figures in tests/audio_analysis.rs come from
#   ffmpeg -i FILE -af ebur128=peak=sample -f null -
# Needs: apt-get install sox lame ffmpeg
set -euo pipefail
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
ls -l
