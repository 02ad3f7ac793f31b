//! MP3 results of any length without an encoder: committed, synthesized
//! assets (see scripts/make-sandbox-audio.sh) encoded without a bit
//! reservoir, so every frame decodes on its own and a result is simply a
//! run of frames, looped from a seed-chosen start.
//!
//! Which sound a task gets follows its prompt (rain sounds like rain, a TTS
//! request like a voice), so auditioning in the sandbox means something.

use serde_json::Value;

/// The sounds on offer. The index lives in the top bits of a task's seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Texture {
    Rain,
    Tone,
    Chirp,
    Speech,
    Impact,
}

const ALL: [Texture; 5] = [
    Texture::Rain,
    Texture::Tone,
    Texture::Chirp,
    Texture::Speech,
    Texture::Impact,
];

/// Seed bits below the texture index.
const TEXTURE_SHIFT: u32 = 21;

/// Prompt words that pick a texture (whole-word prefixes, any case).
const KEYWORDS: &[(Texture, &[&str])] = &[
    (
        Texture::Rain,
        &[
            "rain",
            "storm",
            "water",
            "wind",
            "ocean",
            "wave",
            "sea",
            "river",
            "fire",
            "crackl",
            "hiss",
            "static",
            "noise",
            "drizzl",
            "waterfall",
        ],
    ),
    (
        Texture::Tone,
        &[
            "tone", "beep", "bell", "chime", "ding", "alarm", "ring", "note", "music", "piano",
        ],
    ),
    (
        Texture::Chirp,
        &[
            "chirp", "bird", "laser", "whoosh", "swoosh", "zap", "sweep", "rise", "siren",
        ],
    ),
    (
        Texture::Speech,
        &[
            "voice", "speech", "speak", "talk", "crowd", "whisper", "say", "narrat",
        ],
    ),
    (
        Texture::Impact,
        &[
            "door",
            "knock",
            "slam",
            "hit",
            "impact",
            "thud",
            "footstep",
            "step",
            "punch",
            "drum",
            "explosion",
            "bang",
        ],
    ),
];

impl Texture {
    fn index(self) -> u32 {
        ALL.iter().position(|t| *t == self).unwrap_or(0) as u32
    }

    /// The texture a seed carries (older seeds map onto one too).
    pub fn from_seed(seed: u32) -> Texture {
        ALL[(seed >> TEXTURE_SHIFT) as usize % ALL.len()]
    }

    /// `random` with this texture's index in its top bits.
    pub fn seed(self, random: u32) -> u32 {
        (self.index() << TEXTURE_SHIFT) | (random & ((1 << TEXTURE_SHIFT) - 1))
    }

    /// What a create request should sound like: TTS is always a voice;
    /// otherwise the first keyword in the prompts decides, else a stable
    /// hash of them (never the voice).
    pub fn for_request(params: &Value) -> Texture {
        if params.get("model").and_then(Value::as_str) == Some("kling-tts") {
            return Texture::Speech;
        }
        let input = params.get("input").unwrap_or(params);
        let text: String = ["prompt", "sound_effect_prompt", "bgm_prompt", "video_url"]
            .iter()
            .filter_map(|k| input.get(*k).and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let words: Vec<&str> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        for word in &words {
            for (texture, keys) in KEYWORDS {
                if keys.iter().any(|k| word.starts_with(k)) {
                    return *texture;
                }
            }
        }
        let hash = text.bytes().fold(0x811c_9dc5u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        let choices = [
            Texture::Rain,
            Texture::Tone,
            Texture::Chirp,
            Texture::Impact,
        ];
        choices[hash as usize % choices.len()]
    }

    fn asset(self) -> &'static [u8] {
        match self {
            Texture::Rain => include_bytes!("assets/rain.mp3"),
            Texture::Tone => include_bytes!("assets/tone.mp3"),
            Texture::Chirp => include_bytes!("assets/chirp.mp3"),
            Texture::Speech => include_bytes!("assets/speech.mp3"),
            Texture::Impact => include_bytes!("assets/impact.mp3"),
        }
    }
}

/// Samples per MPEG-1 Layer III frame, and the assets' sample rate.
const FRAME_SAMPLES: u64 = 1152;
const SAMPLE_RATE: u64 = 44_100;

/// Byte ranges of the MPEG-1 Layer III frames in `bytes`, in order. Stops
/// at the first byte that is not a frame header.
fn frames(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    const BITRATES_KBPS: [u32; 16] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0,
    ];
    const RATES: [u32; 4] = [44_100, 48_000, 32_000, 0];
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + 4) {
        // Sync, MPEG-1, Layer III.
        if header[0] != 0xFF || header[1] & 0xFE != 0xFA {
            break;
        }
        let bitrate = BITRATES_KBPS[usize::from(header[2] >> 4)];
        let rate = RATES[usize::from((header[2] >> 2) & 3)];
        if bitrate == 0 || rate == 0 {
            break;
        }
        let padding = usize::from((header[2] >> 1) & 1);
        let len = (144_000 * bitrate / rate) as usize + padding;
        if at + len > bytes.len() {
            break;
        }
        out.push(at..at + len);
        at += len;
    }
    out
}

/// An MP3 of `audio_cs` centiseconds (rounded up to whole frames) in the
/// seed's texture, starting at a seed-chosen frame and looping the asset.
/// One extra frame leads: without an encoder-delay tag, decoders spend the
/// first frame filling the synthesis filter bank.
pub fn render(seed: u32, audio_cs: u32) -> Vec<u8> {
    render_shaped(seed, audio_cs, None)
}

/// [`render`], with a TTS result's `shape`: a frame in its silence is a
/// silent frame, and every other frame's global gain is moved by the
/// shape's steps (1.5 dB each), so the level differs per task without
/// encoding anything.
pub fn render_shaped(seed: u32, audio_cs: u32, shape: Option<&super::speech::Shape>) -> Vec<u8> {
    let asset = Texture::from_seed(seed).asset();
    let frames = frames(asset);
    if frames.is_empty() {
        return Vec::new();
    }
    let wanted = (u64::from(audio_cs) * SAMPLE_RATE).div_ceil(100 * FRAME_SAMPLES) as usize + 1;
    let start = seed as usize % frames.len();
    let mut out = Vec::with_capacity(wanted * frames[0].len());
    let silent = SILENCE;
    for i in 0..wanted {
        let range = frames[(start + i) % frames.len()].clone();
        let Some(shape) = shape else {
            out.extend_from_slice(&asset[range]);
            continue;
        };
        // The leading frame only fills the decoder: frame i sounds from
        // (i - 1) frames in, for a frame's length.
        let middle = (i as f64 - 0.5) * FRAME_SAMPLES as f64 / SAMPLE_RATE as f64;
        if shape.envelope(middle) < 0.5 && silent.len() == range.len() {
            out.extend_from_slice(silent);
        } else if shape.envelope(middle) < 0.5 && silent.len() + 1 == range.len() {
            // A padded frame's slot: the silent frame and one byte of
            // padding would break the stream; keep the length with a
            // padded silent frame instead.
            out.extend_from_slice(&pad(silent));
        } else {
            let mut frame = asset[range].to_vec();
            add_global_gain(&mut frame, shape.edges.gain_steps);
            out.extend_from_slice(&frame);
        }
    }
    out
}

/// One silent frame as the assets are encoded (64 kbit/s mono 44.1 kHz,
/// no bit reservoir, unpadded).
const SILENCE: &[u8] = include_bytes!("assets/silence.frame");

/// `frame` with its padding bit set and one more byte.
fn pad(frame: &[u8]) -> Vec<u8> {
    let mut out = frame.to_vec();
    if let Some(b) = out.get_mut(2) {
        *b |= 0b10;
    }
    out.push(0);
    out
}

/// Moves both granules' global gain of an unprotected mono MPEG-1 Layer
/// III frame by `steps` (each 2^(1/4) in amplitude, 1.5 dB).
fn add_global_gain(frame: &mut [u8], steps: i32) {
    let unprotected = frame.get(1).is_some_and(|b| b & 1 == 1);
    let mono = frame.get(3).is_some_and(|b| b >> 6 == 3);
    if steps == 0 || !unprotected || !mono || frame.len() < 4 + 17 {
        return;
    }
    // Side info after the 4-byte header: main_data_begin 9, private 5,
    // scfsi 4, then per granule part2_3_length 12, big_values 9,
    // global_gain 8, ... (59 bits a granule).
    for bit in [4 * 8 + 18 + 21, 4 * 8 + 18 + 59 + 21] {
        let gain = read_bits(frame, bit, 8) as i32;
        let moved = (gain + steps).clamp(0, 255) as u32;
        write_bits(frame, bit, 8, moved);
    }
}

fn read_bits(bytes: &[u8], at: usize, n: usize) -> u32 {
    (0..n).fold(0, |v, k| {
        let bit = at + k;
        (v << 1) | u32::from((bytes[bit / 8] >> (7 - bit % 8)) & 1)
    })
}

fn write_bits(bytes: &mut [u8], at: usize, n: usize, value: u32) {
    for k in 0..n {
        let bit = at + k;
        let mask = 1u8 << (7 - bit % 8);
        if (value >> (n - 1 - k)) & 1 == 1 {
            bytes[bit / 8] |= mask;
        } else {
            bytes[bit / 8] &= !mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn assets_are_whole_frames() {
        for t in ALL {
            let asset = t.asset();
            let frames = frames(asset);
            assert!(frames.len() > 100, "{t:?}");
            assert_eq!(frames.last().map(|r| r.end), Some(asset.len()), "{t:?}");
        }
    }

    #[test]
    fn prompts_pick_their_sound() {
        let sfx = |p: &str| json!({"model": "kling-sound-effects", "input": {"prompt": p}});
        assert_eq!(
            Texture::for_request(&sfx("Heavy RAIN on a roof")),
            Texture::Rain
        );
        assert_eq!(Texture::for_request(&sfx("a door slams")), Texture::Impact);
        assert_eq!(
            Texture::for_request(&json!({"model": "kling-tts", "input": {"text": "rain"}})),
            Texture::Speech
        );
        let other = Texture::for_request(&sfx("something else entirely"));
        assert_ne!(other, Texture::Speech);
        assert_eq!(other, Texture::for_request(&sfx("something else entirely")));
        for t in ALL {
            assert_eq!(Texture::from_seed(t.seed(0x1F_FFFF)), t);
        }
    }

    #[test]
    fn any_length_is_whole_frames_and_deterministic() {
        let seed = Texture::Chirp.seed(12345);
        let a = render(seed, 450);
        assert_eq!(a, render(seed, 450));
        let n = frames(&a).len();
        assert_eq!(n, (450 * 44_100usize).div_ceil(100 * 1152) + 1);
        assert_eq!(frames(&a).last().map(|r| r.end), Some(a.len()));
        // Longer than the asset: it loops.
        assert!(frames(&render(seed, 6000)).len() > 2000);
    }
}
