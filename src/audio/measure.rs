//! The figures a sound designer checks, accumulated block by block while a
//! file decodes: sample peak, EBU R128 integrated loudness, silence at
//! either end, and the waveform peaks.

use super::peaks::PeakBuilder;
use super::{Analysis, AudioStats, SILENCE_THRESHOLD_DBFS};
use ebur128::{EbuR128, Mode};

pub(crate) struct Meter {
    channels: usize,
    sample_rate: u32,
    loudness: EbuR128,
    peak: f32,
    /// Linear amplitude below which a frame counts as silent.
    threshold: f32,
    frames: u64,
    /// Index of the first and one past the last frame above the threshold.
    first_loud: Option<u64>,
    end_loud: u64,
    peaks: PeakBuilder,
}

impl Meter {
    pub fn new(channels: usize, sample_rate: u32) -> Result<Meter, String> {
        Meter::with_range(channels, sample_rate, true)
    }

    /// A meter that measures the loudness range (LRA) only when `range`
    /// (its 3 s windows cost; an assembly does not report it).
    pub fn with_range(channels: usize, sample_rate: u32, range: bool) -> Result<Meter, String> {
        if channels == 0 || sample_rate == 0 {
            return Err("the header gives no channels or no sample rate".into());
        }
        let count = u32::try_from(channels).map_err(|_| "too many channels".to_string())?;
        let mode = match range {
            true => Mode::I | Mode::LRA | Mode::TRUE_PEAK,
            false => Mode::I | Mode::TRUE_PEAK,
        };
        let loudness = EbuR128::new(count, sample_rate, mode)
            .map_err(|e| format!("{channels} channels at {sample_rate} Hz: {e}"))?;
        Ok(Meter {
            channels,
            sample_rate,
            loudness,
            peak: 0.0,
            threshold: 10f32.powf(SILENCE_THRESHOLD_DBFS as f32 / 20.0),
            frames: 0,
            first_loud: None,
            end_loud: 0,
            peaks: PeakBuilder::new(),
        })
    }

    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Interleaved samples, a whole number of frames.
    pub fn add(&mut self, interleaved: &[f32]) -> Result<(), String> {
        self.loudness
            .add_frames_f32(interleaved)
            .map_err(|e| format!("loudness meter: {e}"))?;
        let scale = 1.0 / self.channels as f32;
        for frame in interleaved.chunks_exact(self.channels) {
            let mut loudest = 0.0f32;
            let mut sum = 0.0f32;
            for &s in frame {
                // A decoder bug giving NaN must not poison the figures.
                let s = if s.is_finite() { s } else { 0.0 };
                loudest = loudest.max(s.abs());
                sum += s;
            }
            self.peak = self.peak.max(loudest);
            if loudest > self.threshold {
                self.first_loud.get_or_insert(self.frames);
                self.end_loud = self.frames + 1;
            }
            self.peaks.push((sum * scale).clamp(-1.0, 1.0));
            self.frames += 1;
        }
        Ok(())
    }

    /// The highest true peak of any channel, linear.
    fn true_peak(&self) -> f64 {
        (0..self.channels as u32)
            .filter_map(|c| self.loudness.true_peak(c).ok())
            .fold(0.0, f64::max)
    }

    pub fn finish(self) -> Analysis {
        let rate = f64::from(self.sample_rate.max(1));
        let seconds = |frames: u64| frames as f64 / rate;
        let duration_s = seconds(self.frames);
        // A file with no frame above the threshold is all silence: both
        // ends report the whole length.
        let (leading, trailing) = match self.first_loud {
            Some(first) => (seconds(first), seconds(self.frames - self.end_loud)),
            None => (duration_s, duration_s),
        };
        let finite = |v: f64| v.is_finite().then_some(v);
        Analysis {
            stats: AudioStats {
                duration_s,
                sample_rate: self.sample_rate,
                channels: self.channels as u32,
                peak_dbfs: finite(20.0 * f64::from(self.peak).log10()),
                true_peak_dbtp: finite(20.0 * self.true_peak().log10()),
                // Under 400 ms, or all below the absolute gate: no figure.
                loudness_lufs: self.loudness.loudness_global().ok().and_then(finite),
                // Short-term blocks are 3 s long: a shorter file has none.
                loudness_range_lu: (self.frames >= 3 * u64::from(self.sample_rate))
                    .then(|| self.loudness.loudness_range().ok())
                    .flatten()
                    .and_then(finite),
                leading_silence_s: leading,
                trailing_silence_s: trailing,
            },
            peaks: self.peaks.finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, seconds: f64, amplitude: f32) -> Vec<f32> {
        let n = (f64::from(rate) * seconds) as usize;
        (0..n)
            .map(|i| amplitude * (std::f32::consts::TAU * 1000.0 * i as f32 / rate as f32).sin())
            .collect()
    }

    #[test]
    fn full_scale_sine_reads_minus_3_lufs() -> Result<(), String> {
        // EBU Tech 3341: a 0 dBFS 1 kHz sine in one channel of a stereo
        // file reads -3.01 LUFS; in mono it is the same single channel.
        let mut m = Meter::new(1, 48_000)?;
        m.add(&sine(48_000, 5.0, 1.0))?;
        let a = m.finish();
        let lufs = a.stats.loudness_lufs.ok_or("no loudness")?;
        assert!((lufs + 3.01).abs() < 0.1, "{lufs}");
        let peak = a.stats.peak_dbfs.ok_or("no peak")?;
        assert!(peak.abs() < 0.01, "{peak}");
        // A steady tone: its true peak is its sample peak, its range nil.
        let true_peak = a.stats.true_peak_dbtp.ok_or("no true peak")?;
        assert!(true_peak.abs() < 0.1, "{true_peak}");
        let range = a.stats.loudness_range_lu.ok_or("no range")?;
        assert!(range < 0.1, "{range}");
        assert!((a.stats.duration_s - 5.0).abs() < 1e-9);
        Ok(())
    }

    #[test]
    fn silence_at_both_ends_is_measured() -> Result<(), String> {
        let rate = 8_000;
        let mut samples = vec![0.0; 4_000]; // 0.5 s
        samples.extend(sine(rate, 1.0, 0.5));
        samples.extend(vec![0.0005; 2_000]); // 0.25 s below -60 dBFS
        let mut m = Meter::new(1, rate)?;
        m.add(&samples)?;
        let s = m.finish().stats;
        assert!((s.leading_silence_s - 0.5).abs() < 0.001, "{s:?}");
        assert!((s.trailing_silence_s - 0.25).abs() < 0.001, "{s:?}");
        Ok(())
    }

    #[test]
    fn digital_silence_has_no_peak_or_loudness() -> Result<(), String> {
        let mut m = Meter::new(2, 44_100)?;
        m.add(&[0.0; 88_200])?;
        let s = m.finish().stats;
        assert_eq!(s.peak_dbfs, None);
        assert_eq!(s.loudness_lufs, None);
        assert_eq!(s.leading_silence_s, s.duration_s);
        Ok(())
    }
}
