//! `--mono`: every channel averaged into one.

/// The mean of the channels of each frame of `samples` into `out`
/// (cleared first).
pub fn to_mono(samples: &[f32], channels: usize, out: &mut Vec<f32>) {
    let scale = 1.0 / channels as f32;
    out.clear();
    out.extend(
        samples
            .chunks_exact(channels)
            .map(|frame| frame.iter().sum::<f32>() * scale),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stereo_becomes_the_mean_of_its_channels() {
        let mut mono = Vec::new();
        to_mono(&[0.5, 0.1, -0.4, -0.2, 1.0, -1.0], 2, &mut mono);
        let expected = [0.3, -0.3, 0.0];
        assert_eq!(mono.len(), 3);
        for (got, want) in mono.iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{mono:?}");
        }
    }
}
