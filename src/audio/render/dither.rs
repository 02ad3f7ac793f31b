//! The samples as integers of the written bit depth. Reducing to 16 bits
//! adds TPDF dither (the sum of two uniform random values, one LSB wide
//! each) before rounding, so the rounding error is noise independent of
//! the signal instead of distortion that follows it; 24 bits round as is
//! (their error is far below any converter's noise).

use rand::{Rng, SeedableRng, rngs::StdRng};

/// A fixed seed: rendering the same file twice writes the same bytes.
const SEED: u64 = 0x006b_6c61_6e67;

/// Quantizes block after block; the dither's random sequence runs on
/// across blocks, so the bytes do not depend on where blocks end.
pub struct Quantizer {
    rng: StdRng,
    full: f64,
    dither: bool,
}

impl Quantizer {
    pub fn new(bits: u16) -> Quantizer {
        Quantizer::seeded(bits, 0)
    }

    /// A quantizer whose dither is its own fixed sequence, `stream` apart
    /// from the others (an assembly's chunks quantize on several threads).
    pub fn seeded(bits: u16, stream: u64) -> Quantizer {
        Quantizer {
            rng: StdRng::seed_from_u64(SEED ^ stream),
            full: f64::from((1u32 << (bits - 1)) - 1),
            dither: bits <= 16,
        }
    }

    /// `samples` as integers into `out` (cleared first).
    pub fn quantize(&mut self, samples: &[f32], out: &mut Vec<i32>) {
        let (low, high) = (-self.full - 1.0, self.full);
        out.clear();
        out.extend(samples.iter().map(|&s| {
            let s = if s.is_finite() { f64::from(s) } else { 0.0 };
            let noise = if self.dither {
                self.rng.random::<f64>() - self.rng.random::<f64>()
            } else {
                0.0
            };
            (s * self.full + noise).round().clamp(low, high) as i32
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quantize(samples: &[f32], bits: u16) -> Vec<i32> {
        let mut out = Vec::new();
        Quantizer::new(bits).quantize(samples, &mut out);
        out
    }

    fn constant(value: f32, n: usize) -> Vec<f32> {
        vec![value; n]
    }

    #[test]
    fn sixteen_bits_keep_a_level_below_one_step_on_average() {
        // 0.3 of a 16-bit step: plain rounding would write all zeros.
        let lsb = 1.0 / 32_767.0;
        let n = 100_000;
        let out = quantize(&constant(0.3 * lsb, n), 16);
        let mean = out.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
        assert!((mean - 0.3).abs() < 0.02, "mean {mean}");
        // Triangular dither plus rounding: an error of about 0.5 LSB RMS,
        // never more than 1.5 LSB.
        let rms = (out
            .iter()
            .map(|&v| (f64::from(v) - 0.3).powi(2))
            .sum::<f64>()
            / n as f64)
            .sqrt();
        assert!((0.4..0.6).contains(&rms), "rms {rms}");
        assert!(out.iter().all(|v| (-1..=2).contains(v)));
    }

    #[test]
    fn twenty_four_bits_round_exactly_and_full_scale_clips() {
        let out = quantize(&constant(0.5, 4), 24);
        assert!(out.iter().all(|&v| v == 4_194_304)); // round(0.5 * 8388607)
        let loud = [1.5, -1.5, f32::NAN];
        assert_eq!(quantize(&loud, 24), vec![8_388_607, -8_388_608, 0]);
        let out16 = quantize(&loud, 16);
        assert_eq!(&out16[..2], &[32_767, -32_768]);
    }

    #[test]
    fn blocks_give_the_bytes_the_whole_gives() {
        let samples: Vec<f32> = (0..10_000)
            .map(|i| (i as f32 * 0.001).sin() * 0.3)
            .collect();
        let whole = quantize(&samples, 16);
        let mut q = Quantizer::new(16);
        let mut parts = Vec::new();
        let mut out = Vec::new();
        for block in samples.chunks(777) {
            q.quantize(block, &mut out);
            parts.extend_from_slice(&out);
        }
        assert_eq!(parts, whole);
    }
}
