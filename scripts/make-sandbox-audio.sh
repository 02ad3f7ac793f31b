#!/usr/bin/env bash
# Regenerates src/sandbox/assets/*.mp3, the sounds the sandbox serves.
# Every sound is synthesized here with sox (no recordings, no third-party
# samples: the files are as MIT as the code), then encoded once with lame:
#   --nores  no bit reservoir, so every MP3 frame decodes on its own and the
#            sandbox can cut and loop the file at any frame boundary;
#   -t       no Xing/LAME info frame (it would claim a fixed length);
#   CBR 64 kbit/s mono 44.1 kHz: 1152 samples per frame, small files.
# Needs: apt-get install sox lame
set -euo pipefail
cd "$(dirname "$0")/../src/sandbox/assets"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
R=44100
S=6   # seconds per texture; the sandbox loops them

# rain: hiss of many drops over a low rumble, gusting.
sox -n -r $R -c 1 "$tmp/hiss.wav" synth $S pinknoise highpass 1500 lowpass 9000 tremolo 13 35 gain -12
sox -n -r $R -c 1 "$tmp/rumble.wav" synth $S brownnoise lowpass 400 tremolo 0.4 50 gain -10
sox -m "$tmp/hiss.wav" "$tmp/rumble.wav" "$tmp/rain.wav" gain -n -6

# tone: a soft two-note chime, struck once a second.
sox -n -r $R -c 1 "$tmp/a.wav" synth 1 sine 880 fade q 0.005 1 0.95
sox -n -r $R -c 1 "$tmp/b.wav" synth 1 sine 1318.5 fade q 0.005 1 0.95 gain -6
sox -m "$tmp/a.wav" "$tmp/b.wav" "$tmp/strike.wav"
sox "$tmp/strike.wav" "$tmp/tone.wav" repeat $((S - 1)) gain -n -8

# chirp: rising sweeps, like a laser or a bird call.
sox -n -r $R -c 1 "$tmp/sweep.wav" synth 0.4 sine 400:4000 fade q 0.01 0.4 0.1 pad 0 0.35
sox "$tmp/sweep.wav" "$tmp/chirp.wav" repeat 7 trim 0 $S gain -n -9

# speech: a buzzing voice through three formants, in syllables.
sox -n -r $R -c 1 "$tmp/buzz.wav" synth $S sawtooth 118 gain -6
sox "$tmp/buzz.wav" "$tmp/f1.wav" bandpass 700 3q
sox "$tmp/buzz.wav" "$tmp/f2.wav" bandpass 1220 4q gain -4
sox "$tmp/buzz.wav" "$tmp/f3.wav" bandpass 2600 5q gain -10
sox -m "$tmp/f1.wav" "$tmp/f2.wav" "$tmp/f3.wav" "$tmp/speech.wav" tremolo 3.7 90 gain -n -8

# impact: low thumps with a burst of noise, like knocks or footsteps.
sox -n -r $R -c 1 "$tmp/thump.wav" synth 0.6 sine 90:40 fade q 0.002 0.6 0.55
sox -n -r $R -c 1 "$tmp/click.wav" synth 0.05 whitenoise lowpass 3000 fade q 0.001 0.05 0.04 pad 0 0.55
sox -m "$tmp/thump.wav" "$tmp/click.wav" "$tmp/hit.wav"
sox "$tmp/hit.wav" "$tmp/impact.wav" repeat 9 trim 0 $S gain -n -6

for name in rain tone chirp speech impact; do
  lame --quiet --nores -t --cbr -b 64 -m m "$tmp/$name.wav" "$name.mp3"
done
ls -l

# silence.frame: one unpadded silent frame in the same encoding, which the
# sandbox puts where a TTS result is silent (its ends and pauses). lame pads
# all but the first frame at 64 kbit/s, so take a middle one and drop its
# padding byte (zero in a silent frame).
sox -n -r $R -c 1 "$tmp/silence.wav" trim 0 0.5
lame --quiet --nores -t --cbr -b 64 -m m "$tmp/silence.wav" "$tmp/silence.mp3"
python3 - "$tmp/silence.mp3" silence.frame <<'PY'
import sys
b = open(sys.argv[1], 'rb').read()
at, frames = 0, []
while at + 4 <= len(b) and b[at] == 0xFF:
    n = 208 + ((b[at + 2] >> 1) & 1)
    frames.append(b[at:at + n]); at += n
f = bytearray(frames[len(frames) // 2])
if f[2] & 2:
    f[2] &= ~2; f = f[:-1]
open(sys.argv[2], 'wb').write(bytes(f))
PY
