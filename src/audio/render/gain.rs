//! `--normalize LUFS` under `--true-peak DBTP`: one gain for the whole
//! file, the one that brings its integrated loudness (EBU R128) to the
//! target unless that would push the true peak (ITU-R BS.1770 4x
//! oversampled, ebur128's true-peak mode) over the ceiling; then the
//! ceiling sets it, and the render says so. The loudness is measured in a
//! pass of its own, block by block, before the writing pass applies it.

use ebur128::{EbuR128, Mode};

/// What the audio measures before the gain.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Level {
    pub lufs: f64,
    pub true_peak_db: f64,
}

/// The gain applied, and whether the ceiling (not the target) chose it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gain {
    pub db: f64,
    pub limited_by_ceiling: bool,
}

/// Integrated loudness and true peak, fed block by block.
pub struct LevelMeter {
    meter: EbuR128,
    channels: u32,
}

impl LevelMeter {
    pub fn new(channels: usize, rate: u32) -> Result<LevelMeter, String> {
        let channels = u32::try_from(channels).map_err(|_| "too many channels".to_string())?;
        let meter = EbuR128::new(channels, rate, Mode::I | Mode::TRUE_PEAK)
            .map_err(|e| format!("loudness meter: {e}"))?;
        Ok(LevelMeter { meter, channels })
    }

    pub fn add(&mut self, samples: &[f32]) -> Result<(), String> {
        self.meter
            .add_frames_f32(samples)
            .map_err(|e| format!("loudness meter: {e}"))
    }

    pub fn finish(&self) -> Result<Level, String> {
        let lufs = self
            .meter
            .loudness_global()
            .ok()
            .filter(|l| l.is_finite())
            .ok_or("the audio is too short (under 0.4 s) or too quiet to measure its loudness: render it without --normalize")?;
        let peak = (0..self.channels)
            .filter_map(|c| self.meter.true_peak(c).ok())
            .fold(0.0f64, f64::max);
        Ok(Level {
            lufs,
            true_peak_db: 20.0 * peak.max(1e-10).log10(),
        })
    }
}

/// The gain to `target_lufs`, lowered if the true peak would pass
/// `ceiling_dbtp` (gain moves the true peak by as many dB).
pub fn plan(level: Level, target_lufs: f64, ceiling_dbtp: f64) -> Gain {
    let wanted = target_lufs - level.lufs;
    let room = ceiling_dbtp - level.true_peak_db;
    if wanted > room {
        Gain {
            db: room,
            limited_by_ceiling: true,
        }
    } else {
        Gain {
            db: wanted,
            limited_by_ceiling: false,
        }
    }
}

/// The linear factor of `db`.
pub fn factor(db: f64) -> f32 {
    10f64.powf(db / 20.0) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1 kHz at `amplitude`, 3 s, stereo.
    fn tone(amplitude: f32) -> Vec<f32> {
        let rate = 48_000;
        (0..3 * rate)
            .flat_map(|i| {
                let s =
                    amplitude * (std::f32::consts::TAU * 1_000.0 * i as f32 / rate as f32).sin();
                [s, s]
            })
            .collect()
    }

    fn measure(samples: &[f32]) -> Result<Level, String> {
        let mut m = LevelMeter::new(2, 48_000)?;
        for block in samples.chunks(2 * 1_000) {
            m.add(block)?;
        }
        m.finish()
    }

    fn apply(samples: &mut [f32], db: f64) {
        let f = factor(db);
        samples.iter_mut().for_each(|s| *s *= f);
    }

    #[test]
    fn a_quiet_tone_is_raised_to_the_target() {
        let mut buf = tone(0.05);
        let gain = plan(measure(&buf).unwrap(), -23.0, -1.0);
        assert!(!gain.limited_by_ceiling);
        apply(&mut buf, gain.db);
        let after = measure(&buf).unwrap();
        assert!((after.lufs + 23.0).abs() < 0.05, "{after:?}");
    }

    #[test]
    fn the_true_peak_ceiling_wins_over_the_target() {
        // A tone at -6 dBFS in both channels (-6 LUFS) asked to reach 0
        // LUFS: the ceiling at -1 dBTP stops it 1 dB short.
        let mut buf = tone(0.5);
        let gain = plan(measure(&buf).unwrap(), 0.0, -1.0);
        assert!(gain.limited_by_ceiling, "{gain:?}");
        apply(&mut buf, gain.db);
        let after = measure(&buf).unwrap();
        assert!(after.true_peak_db <= -1.0 + 0.01, "{after:?}");
        assert!(after.true_peak_db > -1.1, "{after:?}");
        assert!(after.lufs < -0.5, "{after:?}");
    }

    #[test]
    fn too_short_to_measure_is_refused() {
        assert!(
            measure(&[0.5; 2 * 4_800])
                .unwrap_err()
                .contains("without --normalize")
        );
    }
}
