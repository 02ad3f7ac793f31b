//! `--fade-ms N`: a raised-cosine fade in at the start and out at the end
//! (no click where a trim cut into sound). The length of what is kept is
//! known from the first pass, so each frame's gain follows from its
//! position alone.

/// A fade of `ms` at both ends of `total` frames at `rate` (at most half
/// the length each).
#[derive(Clone, Copy, Debug)]
pub struct Fade {
    len: u64,
    total: u64,
}

impl Fade {
    pub fn new(ms: u32, rate: u32, total: u64) -> Fade {
        let len = (u64::from(rate) * u64::from(ms) / 1000).min(total / 2);
        Fade { len, total }
    }

    /// Fades `samples` (interleaved, `channels` wide), whose first frame is
    /// frame `pos` of the whole.
    pub fn apply(&self, samples: &mut [f32], channels: usize, pos: u64) {
        if self.len == 0 {
            return;
        }
        let frames = (samples.len() / channels) as u64;
        // Only the first and last `len` frames change.
        if pos >= self.len && pos + frames + self.len <= self.total {
            return;
        }
        for (n, frame) in samples.chunks_exact_mut(channels).enumerate() {
            let i = pos + n as u64;
            let mut g = 1.0;
            if i < self.len {
                g *= self.ramp(i);
            }
            if let Some(from_end) = (self.total - 1).checked_sub(i)
                && from_end < self.len
            {
                g *= self.ramp(from_end);
            }
            if g != 1.0 {
                frame.iter_mut().for_each(|s| *s *= g);
            }
        }
    }

    /// 0 at the very edge, rising to just under 1 at `len`.
    fn ramp(&self, i: u64) -> f32 {
        0.5 - 0.5 * (std::f32::consts::PI * i as f32 / self.len as f32).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_start_at_zero_and_the_middle_is_untouched() {
        let mut samples = vec![1.0; 2 * 1_000];
        let fade = Fade::new(100, 1_000, 1_000);
        for (n, block) in samples.chunks_mut(2 * 77).enumerate() {
            fade.apply(block, 2, n as u64 * 77);
        }
        let left: Vec<f32> = samples.iter().step_by(2).copied().collect();
        assert_eq!(left[0], 0.0);
        assert_eq!(left[999], 0.0);
        assert!((left[50] - 0.5).abs() < 1e-6, "half way: {}", left[50]);
        assert!(left[1..100].windows(2).all(|w| w[0] < w[1]), "rises");
        assert!(left[100..900].iter().all(|&s| s == 1.0));
        assert_eq!(samples[1], 0.0, "every channel");
    }

    #[test]
    fn a_fade_longer_than_the_sound_meets_in_the_middle() {
        let mut samples = vec![1.0; 10];
        Fade::new(1_000, 1_000, 10).apply(&mut samples, 1, 0);
        assert_eq!(samples[0], 0.0);
        assert!(samples.iter().all(|s| (0.0..=1.0).contains(s)));
    }
}
