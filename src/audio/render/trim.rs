//! `--trim`: the silence at both ends cut, by klang's own rule (a frame is
//! silent when every channel stays at or below -60 dBFS, as `klang
//! analyze` counts it), keeping a few milliseconds so the first transient
//! is not cut into. Found in a first pass over the file ([`Scan`]), so the
//! writing pass knows where to start and stop.

use crate::audio::SILENCE_THRESHOLD_DBFS;
use std::ops::Range;

/// Silence kept before the first and after the last loud frame.
pub const KEEP_MS: u32 = 5;

/// The length of a stream and where its sound starts and ends.
pub struct Scan {
    threshold: f32,
    pub frames: u64,
    first_loud: Option<u64>,
    end_loud: u64,
}

impl Default for Scan {
    fn default() -> Scan {
        Scan {
            threshold: 10f32.powf(SILENCE_THRESHOLD_DBFS as f32 / 20.0),
            frames: 0,
            first_loud: None,
            end_loud: 0,
        }
    }
}

impl Scan {
    /// Interleaved samples, whole frames.
    pub fn add(&mut self, samples: &[f32], channels: usize) {
        for frame in samples.chunks_exact(channels) {
            if frame.iter().any(|s| s.abs() > self.threshold) {
                self.first_loud.get_or_insert(self.frames);
                self.end_loud = self.frames + 1;
            }
            self.frames += 1;
        }
    }

    /// The frames to keep at `rate`, and the seconds cut at the start and
    /// the end. A stream that is silence throughout is refused.
    pub fn trimmed(&self, rate: u32) -> Result<(Range<u64>, (f64, f64)), String> {
        let Some(first) = self.first_loud else {
            return Err(format!(
                "the audio is silent throughout (below {SILENCE_THRESHOLD_DBFS} dBFS): render it without --trim"
            ));
        };
        let keep = u64::from(rate) * u64::from(KEEP_MS) / 1000;
        let start = first.saturating_sub(keep);
        let end = (self.end_loud + keep).min(self.frames);
        let seconds = |frames: u64| frames as f64 / f64::from(rate);
        Ok((start..end, (seconds(start), seconds(self.frames - end))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_ends_go_and_a_few_ms_stay() {
        // 0.3 s of hiss at -70 dBFS, 0.1 s of sound, 0.2 s of silence.
        let mut samples = vec![0.0003f32; 3_000];
        samples.extend(vec![0.5; 1_000]);
        samples.extend(vec![0.0; 2_000]);
        let mut scan = Scan::default();
        for block in samples.chunks(999) {
            scan.add(block, 1);
        }
        let (keep, (lead, tail)) = scan.trimmed(10_000).unwrap();
        assert_eq!(keep, 2_950..4_050);
        assert!((lead - 0.295).abs() < 1e-9, "{lead}");
        assert!((tail - 0.195).abs() < 1e-9, "{tail}");
    }

    #[test]
    fn a_loud_channel_keeps_the_frame_and_silence_is_refused() {
        let mut scan = Scan::default();
        scan.add(&[0.0, 0.0, 0.0, 0.2, 0.0, 0.0], 2);
        assert_eq!(scan.trimmed(1_000).unwrap().0, 0..3);
        let mut silent = Scan::default();
        silent.add(&[0.0; 100], 1);
        assert!(
            silent
                .trimmed(1_000)
                .unwrap_err()
                .contains("without --trim")
        );
    }
}
