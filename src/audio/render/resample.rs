//! `--rate HZ`: rubato's FFT resampler (a windowed-sinc filter applied in
//! the frequency domain), the crate's choice for a fixed ratio on a whole
//! clip. `process_all` trims the filter's delay, so the output starts
//! where the input does and is `ratio * length` frames long.

use super::Buffer;
use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

/// Frames per FFT chunk: rubato's suggested size, a low delay and a
/// cut-off close to Nyquist.
const CHUNK: usize = 1024;

pub fn resample(buf: Buffer, rate: u32) -> Result<Buffer, String> {
    if buf.rate == rate {
        return Ok(buf);
    }
    let frames = buf.samples.len() / buf.channels;
    let failed =
        |e: &dyn std::fmt::Display| format!("resampling {} Hz to {rate} Hz: {e}", buf.rate);
    let mut resampler = Fft::<f32>::new(
        buf.rate as usize,
        rate as usize,
        CHUNK,
        buf.channels,
        FixedSync::Input,
    )
    .map_err(|e| failed(&e))?;
    let input =
        InterleavedSlice::new(&buf.samples, buf.channels, frames).map_err(|e| failed(&e))?;
    let output = resampler
        .process_all(&input, frames, None)
        .map_err(|e| failed(&e))?;
    Ok(Buffer {
        channels: buf.channels,
        rate,
        samples: output.take_data(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, hz: f32, frames: usize) -> Vec<f32> {
        (0..frames)
            .map(|i| 0.5 * (std::f32::consts::TAU * hz * i as f32 / rate as f32).sin())
            .collect()
    }

    #[test]
    fn a_tone_keeps_its_pitch_level_and_length() {
        let input = Buffer {
            channels: 1,
            rate: 44_100,
            samples: sine(44_100, 1_000.0, 44_100),
        };
        let out = resample(input, 48_000).unwrap();
        assert_eq!(out.rate, 48_000);
        assert!(
            out.samples.len().abs_diff(48_000) <= 1,
            "{}",
            out.samples.len()
        );
        // Away from the edges it is the same tone sampled at 48 kHz (the
        // filter's delay is trimmed, so the phase lines up too).
        let expected = sine(48_000, 1_000.0, 48_000);
        let worst = out.samples[2_000..46_000]
            .iter()
            .zip(&expected[2_000..46_000])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 0.01, "largest difference {worst}");
    }

    #[test]
    fn stereo_stays_interleaved_and_the_same_rate_is_untouched() {
        let mut samples = Vec::new();
        for i in 0..16_000 {
            samples.push(if i % 2 == 0 { 0.25 } else { -0.25 });
            samples.push(0.0);
        }
        let input = Buffer {
            channels: 2,
            rate: 16_000,
            samples: sine(16_000, 440.0, 32_000),
        };
        let same = resample(input, 16_000).unwrap();
        assert_eq!(same.samples.len(), 32_000);
        let quiet_right = Buffer {
            channels: 2,
            rate: 32_000,
            samples,
        };
        let out = resample(quiet_right, 8_000).unwrap();
        assert_eq!(out.channels, 2);
        assert!(
            out.samples
                .iter()
                .skip(1)
                .step_by(2)
                .all(|s| s.abs() < 1e-3)
        );
    }
}
