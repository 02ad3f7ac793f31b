//! `--fade-ms N`: a raised-cosine fade in at the start and out at the end
//! (no click where a trim cut into sound).

use super::Buffer;

/// Fades both ends over `ms` milliseconds (at most half the length each).
pub fn fade(buf: &mut Buffer, ms: u32) {
    let frames = buf.samples.len() / buf.channels;
    let len = ((u64::from(buf.rate) * u64::from(ms) / 1000) as usize).min(frames / 2);
    if len == 0 {
        return;
    }
    for i in 0..len {
        // 0 at the very edge, rising to just under 1 at `len`.
        let gain = 0.5 - 0.5 * (std::f32::consts::PI * i as f32 / len as f32).cos();
        let head = i * buf.channels;
        let tail = (frames - 1 - i) * buf.channels;
        for c in 0..buf.channels {
            buf.samples[head + c] *= gain;
            buf.samples[tail + c] *= gain;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_start_at_zero_and_the_middle_is_untouched() {
        let mut buf = Buffer {
            channels: 2,
            rate: 1_000,
            samples: vec![1.0; 2 * 1_000],
        };
        fade(&mut buf, 100);
        let left: Vec<f32> = buf.samples.iter().step_by(2).copied().collect();
        assert_eq!(left[0], 0.0);
        assert_eq!(left[999], 0.0);
        assert!((left[50] - 0.5).abs() < 1e-6, "half way: {}", left[50]);
        assert!(left[1..100].windows(2).all(|w| w[0] < w[1]), "rises");
        assert!(left[100..900].iter().all(|&s| s == 1.0));
        assert_eq!(buf.samples[1], 0.0, "every channel");
    }

    #[test]
    fn a_fade_longer_than_the_sound_meets_in_the_middle() {
        let mut buf = Buffer {
            channels: 1,
            rate: 1_000,
            samples: vec![1.0; 10],
        };
        fade(&mut buf, 1_000);
        assert_eq!(buf.samples[0], 0.0);
        assert!(buf.samples.iter().all(|s| (0.0..=1.0).contains(s)));
    }
}
