//! `--trim`: the silence at both ends cut, by klang's own rule (a frame is
//! silent when every channel stays at or below -60 dBFS, as `klang
//! analyze` counts it), keeping a few milliseconds so the first transient
//! is not cut into.

use super::Buffer;
use crate::audio::SILENCE_THRESHOLD_DBFS;

/// Silence kept before the first and after the last loud frame.
pub const KEEP_MS: u32 = 5;

/// Cuts the quiet ends; returns the seconds removed at the start and the
/// end. A buffer that is silence throughout is refused.
pub fn trim(buf: &mut Buffer) -> Result<(f64, f64), String> {
    let threshold = 10f32.powf(SILENCE_THRESHOLD_DBFS as f32 / 20.0);
    let loud = |frame: &[f32]| frame.iter().any(|s| s.abs() > threshold);
    let frames: Vec<&[f32]> = buf.samples.chunks_exact(buf.channels).collect();
    let (Some(first), Some(last)) = (
        frames.iter().position(|f| loud(f)),
        frames.iter().rposition(|f| loud(f)),
    ) else {
        return Err(format!(
            "the audio is silent throughout (below {SILENCE_THRESHOLD_DBFS} dBFS): render it without --trim"
        ));
    };
    let keep = (u64::from(buf.rate) * u64::from(KEEP_MS) / 1000) as usize;
    let start = first.saturating_sub(keep);
    let end = (last + 1 + keep).min(frames.len());
    let removed = (start, frames.len() - end);
    buf.samples.truncate(end * buf.channels);
    buf.samples.drain(..start * buf.channels);
    let rate = f64::from(buf.rate);
    Ok((removed.0 as f64 / rate, removed.1 as f64 / rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_ends_go_and_a_few_ms_stay() {
        let rate = 10_000;
        // 0.3 s of hiss at -70 dBFS, 0.1 s of sound, 0.2 s of silence.
        let mut samples = vec![0.0003f32; 3_000];
        samples.extend(vec![0.5; 1_000]);
        samples.extend(vec![0.0; 2_000]);
        let mut buf = Buffer {
            channels: 1,
            rate,
            samples,
        };
        let (lead, tail) = trim(&mut buf).unwrap();
        assert!((lead - 0.295).abs() < 1e-9, "{lead}");
        assert!((tail - 0.195).abs() < 1e-9, "{tail}");
        assert_eq!(buf.samples.len(), 1_100);
        assert_eq!(buf.samples[50], 0.5);
    }

    #[test]
    fn a_loud_channel_keeps_the_frame_and_silence_is_refused() {
        let mut buf = Buffer {
            channels: 2,
            rate: 1_000,
            samples: vec![0.0, 0.0, 0.0, 0.2, 0.0, 0.0],
        };
        assert_eq!(trim(&mut buf).unwrap(), (0.0, 0.0));
        assert_eq!(buf.samples.len(), 6);
        let mut silent = Buffer {
            channels: 1,
            rate: 1_000,
            samples: vec![0.0; 100],
        };
        assert!(trim(&mut silent).unwrap_err().contains("without --trim"));
    }
}
