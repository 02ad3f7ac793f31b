//! Deterministic WAV synthesis and byte-range serving.
//!
//! The same seed always gives the same bytes, so a download resumed with
//! `Range` (possibly against a restarted sandbox) splices together correctly.
//! The sound is a few slowly pulsing tones over low-passed noise: audible, so
//! a human testing playback hears something, and cheap to compute.

use std::f32::consts::TAU;
use std::io::Cursor;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub const SAMPLE_RATE: u32 = 22_050;

/// Number of samples for an audio length in centiseconds.
pub fn sample_count(audio_cs: u32) -> u32 {
    let n = u64::from(audio_cs) * u64::from(SAMPLE_RATE) / 100;
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// xorshift64*: our own generator, because the output must never change with
/// a `rand` upgrade (ids from an older run must give the same bytes).
struct Prng(u64);

impl Prng {
    fn new(seed: u32) -> Self {
        Prng(u64::from(seed).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
}

struct Tone {
    step: f32,
    phase: f32,
    amp: f32,
    pulse_step: f32,
    pulse_phase: f32,
}

/// A complete 16-bit mono PCM WAV file; a TTS result's `shape` makes it
/// silent where the shape is, at the shape's level.
pub fn render_wav_shaped(
    seed: u32,
    samples: u32,
    shape: Option<&super::speech::Shape>,
) -> Result<Vec<u8>, hound::Error> {
    let gain = shape.map_or(1.0, |s| s.edges.gain());
    let silences = shape.map(super::speech::Shape::silences);
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut rng = Prng::new(seed);
    let sr = SAMPLE_RATE as f32;
    let mut tones: Vec<Tone> = (0..3)
        .map(|_| Tone {
            step: TAU * (110.0 + rng.unit() * 770.0) / sr,
            phase: 0.0,
            amp: 0.08 + rng.unit() * 0.12,
            pulse_step: TAU * (0.3 + rng.unit() * 3.0) / sr,
            pulse_phase: rng.unit() * TAU,
        })
        .collect();
    let noise_amp = 0.05 + rng.unit() * 0.15;
    // One-pole low-pass coefficient: from a hiss to a rumble.
    let alpha = 0.02 + rng.unit() * 0.3;
    let fade = (SAMPLE_RATE / 100).max(1) as f32; // 10 ms, avoids clicks

    let mut out = Vec::with_capacity(44 + samples as usize * 2);
    {
        let mut writer = hound::WavWriter::new(Cursor::new(&mut out), spec)?;
        let mut lp = 0.0f32;
        for i in 0..samples {
            let mut v = 0.0f32;
            for t in tones.iter_mut() {
                let pulse = 0.6 + 0.4 * t.pulse_phase.sin();
                v += t.amp * pulse * t.phase.sin();
                t.phase = (t.phase + t.step) % TAU;
                t.pulse_phase = (t.pulse_phase + t.pulse_step) % TAU;
            }
            lp += alpha * (rng.unit() * 2.0 - 1.0 - lp);
            v += noise_amp * lp * 3.0;
            let mut edge = (i as f32 / fade).min((samples - i) as f32 / fade).min(1.0);
            if let Some(silences) = &silences {
                edge *=
                    gain * super::speech::level(silences, f64::from(i) / f64::from(SAMPLE_RATE));
            }
            let s = (v * edge).clamp(-1.0, 1.0) * f32::from(i16::MAX);
            writer.write_sample(s as i16)?;
        }
        writer.finalize()?;
    }
    Ok(out)
}

enum RangeReq {
    /// No usable Range header: serve everything (RFC 9110 lets us ignore it).
    Full,
    Part(usize, usize),
    Unsatisfiable,
}

/// Single ranges only: `bytes=N-`, `bytes=N-M`, `bytes=-S`.
fn parse_range(value: &str, len: usize) -> RangeReq {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeReq::Full;
    };
    if spec.contains(',') {
        return RangeReq::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeReq::Full;
    };
    let num = |s: &str| s.trim().parse::<usize>().ok();
    match (a.trim().is_empty(), b.trim().is_empty()) {
        (false, _) => {
            let Some(start) = num(a) else {
                return RangeReq::Full;
            };
            let end = if b.trim().is_empty() {
                len.saturating_sub(1)
            } else {
                match num(b) {
                    Some(e) if e >= start => e.min(len.saturating_sub(1)),
                    _ => return RangeReq::Full,
                }
            };
            if start >= len {
                RangeReq::Unsatisfiable
            } else {
                RangeReq::Part(start, end)
            }
        }
        (true, false) => match num(b) {
            Some(0) => RangeReq::Unsatisfiable,
            Some(n) if len > 0 => RangeReq::Part(len.saturating_sub(n), len - 1),
            Some(_) => RangeReq::Unsatisfiable,
            None => RangeReq::Full,
        },
        (true, true) => RangeReq::Full,
    }
}

/// 200 with the whole file, 206 with a slice, or 416.
pub fn file_response(bytes: &[u8], headers: &HeaderMap, content_type: &'static str) -> Response {
    let len = bytes.len();
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map_or(RangeReq::Full, |v| parse_range(v, len));
    let mut resp = match range {
        RangeReq::Full => (StatusCode::OK, Body::from(bytes.to_vec())).into_response(),
        RangeReq::Part(start, end) => {
            let mut r = (
                StatusCode::PARTIAL_CONTENT,
                Body::from(bytes[start..=end].to_vec()),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
        RangeReq::Unsatisfiable => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
    };
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert!(matches!(
            parse_range("bytes=10-", 100),
            RangeReq::Part(10, 99)
        ));
        assert!(matches!(
            parse_range("bytes=10-19", 100),
            RangeReq::Part(10, 19)
        ));
        assert!(matches!(
            parse_range("bytes=-5", 100),
            RangeReq::Part(95, 99)
        ));
        assert!(matches!(
            parse_range("bytes=100-", 100),
            RangeReq::Unsatisfiable
        ));
        assert!(matches!(parse_range("bytes=5-2", 100), RangeReq::Full));
        assert!(matches!(parse_range("items=1-2", 100), RangeReq::Full));
    }

    #[test]
    fn deterministic_and_audible() -> Result<(), hound::Error> {
        let a = render_wav_shaped(42, 2205, None)?;
        assert_eq!(a, render_wav_shaped(42, 2205, None)?);
        assert_ne!(a, render_wav_shaped(43, 2205, None)?);
        let reader = hound::WavReader::new(Cursor::new(&a))?;
        assert_eq!(reader.duration(), 2205);
        let peak = reader
            .into_samples::<i16>()
            .filter_map(Result::ok)
            .map(|s| s.unsigned_abs())
            .max()
            .unwrap_or(0);
        assert!(peak > 1000, "peak {peak}");
        Ok(())
    }
}
