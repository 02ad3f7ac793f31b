//! `--mono`: every channel averaged into one.

use super::Buffer;

/// The mean of the channels of each frame. A mono buffer is returned as is.
pub fn to_mono(buf: Buffer) -> Buffer {
    if buf.channels == 1 {
        return buf;
    }
    let scale = 1.0 / buf.channels as f32;
    let samples = buf
        .samples
        .chunks_exact(buf.channels)
        .map(|frame| frame.iter().sum::<f32>() * scale)
        .collect();
    Buffer {
        channels: 1,
        rate: buf.rate,
        samples,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stereo_becomes_the_mean_of_its_channels() {
        let stereo = Buffer {
            channels: 2,
            rate: 8_000,
            samples: vec![0.5, 0.1, -0.4, -0.2, 1.0, -1.0],
        };
        let mono = to_mono(stereo);
        assert_eq!(mono.channels, 1);
        let expected = [0.3, -0.3, 0.0];
        for (got, want) in mono.samples.iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{:?}", mono.samples);
        }
    }
}
