//! The steps between the decoder and the gain, one decoded block at a
//! time: downmix, the trim window, the fade, the resampler. Each pass over
//! the file (measuring, then writing) runs the same chain, so what is
//! measured is what is written.

use super::downmix;
use super::fade::Fade;
use super::resample::StreamResampler;
use std::ops::Range;

/// What the chain does, decided before the pass.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub mono: bool,
    /// The source frames to keep (after the downmix); `None` keeps all.
    pub keep: Option<Range<u64>>,
    pub fade_ms: u32,
    /// The rate to resample to; `None` keeps the source's.
    pub rate: Option<u32>,
}

pub struct Chain {
    keep: Option<Range<u64>>,
    mono: bool,
    channels_in: usize,
    /// Channels and rate of what the chain emits.
    pub channels: usize,
    pub rate: u32,
    /// The source frame the next block starts at.
    pos: u64,
    fade: Option<Fade>,
    resampler: Option<StreamResampler>,
    mixed: Vec<f32>,
}

impl Chain {
    /// The chain for a source of `channels` at `rate`.
    pub fn new(plan: &Plan, channels: usize, rate: u32) -> Result<Chain, String> {
        let out_channels = if plan.mono { 1 } else { channels };
        let fade = match &plan.keep {
            Some(keep) if plan.fade_ms > 0 => {
                Some(Fade::new(plan.fade_ms, rate, keep.end - keep.start))
            }
            _ => None,
        };
        let resampler = match plan.rate {
            Some(to) if to != rate => Some(StreamResampler::new(rate, to, out_channels)?),
            _ => None,
        };
        Ok(Chain {
            keep: plan.keep.clone(),
            mono: plan.mono && channels > 1,
            channels_in: channels,
            channels: out_channels,
            rate: plan.rate.unwrap_or(rate),
            pos: 0,
            fade,
            resampler,
            mixed: Vec::new(),
        })
    }

    /// One decoded block (interleaved, whole frames) through the chain;
    /// what comes out goes to `emit`.
    pub fn push(
        &mut self,
        samples: &[f32],
        emit: &mut dyn FnMut(&[f32]) -> Result<(), String>,
    ) -> Result<(), String> {
        if self.mono {
            downmix::to_mono(samples, self.channels_in, &mut self.mixed);
        } else {
            self.mixed.clear();
            self.mixed.extend_from_slice(samples);
        }
        let ch = self.channels;
        let frames = (self.mixed.len() / ch) as u64;
        let start = self.pos;
        self.pos += frames;
        let kept = match &self.keep {
            Some(keep) => start.max(keep.start).min(start + frames)..(start + frames).min(keep.end),
            None => start..start + frames,
        };
        if kept.start >= kept.end {
            return Ok(());
        }
        let offset = self.keep.as_ref().map_or(0, |k| k.start);
        let range = ((kept.start - start) as usize * ch)..((kept.end - start) as usize * ch);
        let part = &mut self.mixed[range];
        if let Some(fade) = &self.fade {
            fade.apply(part, ch, kept.start - offset);
        }
        match &mut self.resampler {
            Some(r) => r.push(part, emit),
            None => emit(part),
        }
    }

    /// The resampler's tail.
    pub fn finish(self, emit: &mut dyn FnMut(&[f32]) -> Result<(), String>) -> Result<(), String> {
        match self.resampler {
            Some(r) => r.finish(emit),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(plan: &Plan, samples: &[f32], channels: usize, rate: u32, block: usize) -> Vec<f32> {
        let mut chain = Chain::new(plan, channels, rate).unwrap();
        let mut out = Vec::new();
        for b in samples.chunks(block * channels) {
            chain
                .push(b, &mut |s| {
                    out.extend_from_slice(s);
                    Ok(())
                })
                .unwrap();
        }
        chain
            .finish(&mut |s| {
                out.extend_from_slice(s);
                Ok(())
            })
            .unwrap();
        out
    }

    #[test]
    fn the_window_cuts_across_blocks_and_the_fade_follows_it() {
        let samples: Vec<f32> = vec![1.0; 2 * 100];
        let plan = Plan {
            mono: true,
            keep: Some(10..60),
            fade_ms: 10,
            rate: None,
        };
        let out = run(&plan, &samples, 2, 1_000, 7);
        assert_eq!(out.len(), 50);
        assert_eq!(out[0], 0.0);
        assert_eq!(out[49], 0.0);
        assert!(out[10..40].iter().all(|&s| s == 1.0));
        assert_eq!(run(&plan, &samples, 2, 1_000, 1_000), out, "block size");
    }

    #[test]
    fn resampling_gives_the_length_the_rate_asks() {
        let samples = vec![0.1; 44_100];
        let plan = Plan {
            rate: Some(48_000),
            ..Plan::default()
        };
        // ceil(ratio * length), as rubato's process_all: 48,000 or one more.
        let len = run(&plan, &samples, 1, 44_100, 1_152).len();
        assert!(len.abs_diff(48_000) <= 1, "{len}");
    }
}
