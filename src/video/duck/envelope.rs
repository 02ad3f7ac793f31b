//! The ducking envelope: the gain the original audio gets at each moment,
//! as a low-rate mono WAV that ffmpeg resamples and multiplies the audio
//! with. 1.0 where nobody speaks; `-duck_db` where a line sounds, reached
//! by a ramp of [`RAMP_MS`] that ends where the line starts and starts
//! where it ends (so the whole line is heard over the lowered original),
//! interpolated in dB. Lines closer than two ramps are one stretch: the
//! original does not bob up between them.

use super::Speech;
use std::io::{Seek, Write};

/// The ramps' length, down before a line and up after it.
pub const RAMP_MS: u64 = 150;

/// Envelope values a second: a ramp is 30 of them, and 90 minutes are
/// 1.08 million (4.3 MB as 32-bit floats).
pub const RATE: u32 = 200;

/// `speaking` sorted, without empty stretches, and merged where the gap is
/// shorter than two ramps.
pub fn merged(speaking: &[Speech]) -> Vec<Speech> {
    let mut sorted: Vec<Speech> = speaking
        .iter()
        .filter(|s| s.end_ms > s.start_ms)
        .copied()
        .collect();
    sorted.sort_by_key(|s| s.start_ms);
    let mut out: Vec<Speech> = Vec::with_capacity(sorted.len());
    for s in sorted {
        match out.last_mut() {
            Some(last) if s.start_ms < last.end_ms + 2 * RAMP_MS => {
                last.end_ms = last.end_ms.max(s.end_ms);
            }
            _ => out.push(s),
        }
    }
    out
}

/// How far down (0 none, 1 the whole `duck_db`) the original is at
/// `t_ms` for one merged stretch.
fn depth(s: &Speech, t_ms: f64) -> f64 {
    let ramp = RAMP_MS as f64;
    let (start, end) = (s.start_ms as f64, s.end_ms as f64);
    if t_ms <= start - ramp || t_ms >= end + ramp {
        0.0
    } else if t_ms < start {
        (t_ms - (start - ramp)) / ramp
    } else if t_ms <= end {
        1.0
    } else {
        (end + ramp - t_ms) / ramp
    }
}

/// Writes the envelope for `length_ms` into `out` as a 32-bit float mono
/// WAV at [`RATE`], value by value: memory does not grow with the film.
pub fn write<W: Write + Seek>(
    out: W,
    merged: &[Speech],
    duck_db: f64,
    length_ms: u64,
) -> Result<(), hound::Error> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut wav = hound::WavWriter::new(out, spec)?;
    let count = length_ms * u64::from(RATE) / 1000 + 1;
    // The stretches are sorted and at least two ramps apart, so at any
    // moment at most one can be under way: walk them with the clock.
    let mut next = 0;
    for i in 0..count {
        let t_ms = i as f64 * 1000.0 / f64::from(RATE);
        while next < merged.len() && (merged[next].end_ms + RAMP_MS) as f64 <= t_ms {
            next += 1;
        }
        let d = merged.get(next).map_or(0.0, |s| depth(s, t_ms));
        wav.write_sample(10f64.powf(-duck_db * d / 20.0) as f32)?;
    }
    wav.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speech(start_ms: u64, end_ms: u64) -> Speech {
        Speech { start_ms, end_ms }
    }

    #[test]
    fn lines_closer_than_two_ramps_are_one_stretch() {
        let m = merged(&[
            speech(5000, 6000),
            speech(1000, 2000),
            speech(2200, 3000),
            speech(4, 4),
        ]);
        assert_eq!(m, [speech(1000, 3000), speech(5000, 6000)]);
    }

    #[test]
    fn the_envelope_is_down_the_whole_line_and_ramps_outside_it() {
        let mut bytes = std::io::Cursor::new(Vec::new());
        write(&mut bytes, &[speech(1000, 2000)], 12.0, 3000).unwrap();
        bytes.set_position(0);
        let values: Vec<f32> = hound::WavReader::new(bytes)
            .unwrap()
            .into_samples::<f32>()
            .map(Result::unwrap)
            .collect();
        assert_eq!(values.len(), 601);
        let at = |ms: usize| values[ms * RATE as usize / 1000];
        let db = |v: f32| 20.0 * f64::from(v).log10();
        assert_eq!(at(0), 1.0);
        assert_eq!(at(850), 1.0);
        assert!((db(at(925)) + 6.0).abs() < 0.01, "{}", db(at(925)));
        for ms in [1000, 1500, 2000] {
            assert!((db(at(ms)) + 12.0).abs() < 0.01, "{ms}: {}", db(at(ms)));
        }
        assert!((db(at(2075)) + 6.0).abs() < 0.01);
        assert_eq!(at(2150), 1.0);
        assert_eq!(at(3000), 1.0);
    }
}
