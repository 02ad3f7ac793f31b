//! `--rate HZ`: rubato's FFT resampler (a windowed-sinc filter applied in
//! the frequency domain), fed block by block as the file decodes. The
//! filter's delay is dropped from the start and the tail is flushed with
//! silence, so the output starts where the input does and is
//! `ceil(ratio * length)` frames long: the same samples rubato's
//! `process_all` gives for the whole clip at once, in memory that does not
//! grow with the length.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler};

/// Frames per FFT chunk: rubato's suggested size, a low delay and a
/// cut-off close to Nyquist.
const CHUNK: usize = 1024;

pub struct StreamResampler {
    inner: Fft<f32>,
    channels: usize,
    from: u32,
    to: u32,
    /// Interleaved input not yet a whole chunk.
    pending: Vec<f32>,
    /// One chunk of output, interleaved.
    out: Vec<f32>,
    /// Output frames of the filter's delay still to drop.
    to_trim: usize,
    frames_in: u64,
    frames_out: u64,
}

impl StreamResampler {
    pub fn new(from: u32, to: u32, channels: usize) -> Result<StreamResampler, String> {
        let inner = Fft::<f32>::new(
            from as usize,
            to as usize,
            CHUNK,
            channels,
            FixedSync::Input,
        )
        .map_err(|e| format!("resampling {from} Hz to {to} Hz: {e}"))?;
        let out = vec![0.0; inner.output_frames_max() * channels];
        Ok(StreamResampler {
            to_trim: inner.output_delay(),
            inner,
            channels,
            from,
            to,
            pending: Vec::with_capacity(2 * CHUNK * channels),
            out,
            frames_in: 0,
            frames_out: 0,
        })
    }

    /// Resamples `samples` (interleaved, whole frames), handing what is
    /// ready to `emit`.
    pub fn push(
        &mut self,
        samples: &[f32],
        emit: &mut dyn FnMut(&[f32]) -> Result<(), String>,
    ) -> Result<(), String> {
        self.frames_in += (samples.len() / self.channels) as u64;
        self.pending.extend_from_slice(samples);
        let whole = CHUNK * self.channels;
        let mut used = 0;
        // Strictly more than a chunk, as `process_all` does: the last
        // chunk, full or not, is processed by `finish`.
        while self.pending.len() - used > whole {
            let ready = self.process(used, None)?;
            emit(&self.out[ready])?;
            used += whole;
        }
        self.pending.drain(..used);
        Ok(())
    }

    /// The last input and the filter's tail, up to the length the input
    /// gives.
    pub fn finish(
        mut self,
        emit: &mut dyn FnMut(&[f32]) -> Result<(), String>,
    ) -> Result<(), String> {
        let ch = self.channels as u64;
        let expected = (self.inner.resample_ratio() * self.frames_in as f64).ceil() as u64;
        let mut partial = self.pending.len() / self.channels;
        loop {
            let before = self.frames_out;
            let ready = self.process(0, Some(partial))?;
            let wanted = (expected.saturating_sub(before) * ch) as usize;
            let end = ready.start + (ready.end - ready.start).min(wanted);
            emit(&self.out[ready.start..end])?;
            if self.frames_out >= expected {
                return Ok(());
            }
            partial = 0;
        }
    }

    /// Resamples one chunk of `pending` from `offset` (`partial` frames of
    /// it, or a whole chunk); returns the part of `out` to emit.
    fn process(
        &mut self,
        offset: usize,
        partial: Option<usize>,
    ) -> Result<std::ops::Range<usize>, String> {
        let (from, to) = (self.from, self.to);
        let failed = |e: &dyn std::fmt::Display| format!("resampling {from} Hz to {to} Hz: {e}");
        let ch = self.channels;
        let frames = partial.unwrap_or(CHUNK);
        let input_data = &self.pending[offset..offset + frames * ch];
        let input = InterleavedSlice::new(input_data, ch, frames).map_err(|e| failed(&e))?;
        let out_frames = self.out.len() / ch;
        let mut output =
            InterleavedSlice::new_mut(&mut self.out, ch, out_frames).map_err(|e| failed(&e))?;
        let indexing = Indexing {
            input_offset: 0,
            output_offset: 0,
            partial_len: partial,
            active_channels_mask: None,
        };
        let (_, produced) = self
            .inner
            .process_into_buffer(&input, &mut output, Some(&indexing))
            .map_err(|e| failed(&e))?;
        let skip = self.to_trim.min(produced);
        self.to_trim -= skip;
        self.frames_out += (produced - skip) as u64;
        Ok(skip * ch..produced * ch)
    }
}

/// The whole of `samples` resampled (tests, and short buffers).
#[cfg(test)]
pub fn resample_all(
    samples: &[f32],
    channels: usize,
    from: u32,
    to: u32,
) -> Result<Vec<f32>, String> {
    let mut out = Vec::new();
    let mut r = StreamResampler::new(from, to, channels)?;
    r.push(samples, &mut |s| {
        out.extend_from_slice(s);
        Ok(())
    })?;
    r.finish(&mut |s| {
        out.extend_from_slice(s);
        Ok(())
    })?;
    Ok(out)
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
        let out = resample_all(&sine(44_100, 1_000.0, 44_100), 1, 44_100, 48_000).unwrap();
        assert!(out.len().abs_diff(48_000) <= 1, "{}", out.len());
        // Away from the edges it is the same tone sampled at 48 kHz (the
        // filter's delay is dropped, so the phase lines up too).
        let expected = sine(48_000, 1_000.0, 48_000);
        let worst = out[2_000..46_000]
            .iter()
            .zip(&expected[2_000..46_000])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 0.01, "largest difference {worst}");
    }

    #[test]
    fn block_by_block_gives_what_rubato_gives_for_the_whole_clip() {
        use rubato::audioadapter_buffers::direct::InterleavedSlice;
        for (frames, block) in [(44_100, 1_152), (3_000, 4_096), (500, 7), (1_024, 1_024)] {
            let input: Vec<f32> = sine(44_100, 440.0, 2 * frames);
            let mut whole = Fft::<f32>::new(44_100, 32_000, CHUNK, 2, FixedSync::Input).unwrap();
            let slice = InterleavedSlice::new(&input, 2, frames).unwrap();
            let want = whole.process_all(&slice, frames, None).unwrap().take_data();
            let mut got = Vec::new();
            let mut r = StreamResampler::new(44_100, 32_000, 2).unwrap();
            for piece in input.chunks(block * 2) {
                r.push(piece, &mut |s| {
                    got.extend_from_slice(s);
                    Ok(())
                })
                .unwrap();
            }
            r.finish(&mut |s| {
                got.extend_from_slice(s);
                Ok(())
            })
            .unwrap();
            assert_eq!(got, want, "{frames} frames in blocks of {block}");
        }
    }

    #[test]
    fn stereo_stays_interleaved() {
        let mut samples = Vec::new();
        for i in 0..16_000 {
            samples.push(if i % 2 == 0 { 0.25 } else { -0.25 });
            samples.push(0.0);
        }
        let out = resample_all(&samples, 2, 32_000, 8_000).unwrap();
        assert_eq!(out.len(), 2 * 4_000);
        assert!(out.iter().skip(1).step_by(2).all(|s| s.abs() < 1e-3));
    }
}
