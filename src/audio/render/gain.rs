//! `--normalize LUFS` under `--true-peak DBTP`: one gain for the whole
//! file, the one that brings its integrated loudness (EBU R128) to the
//! target unless that would push the true peak (ITU-R BS.1770 4x
//! oversampled, ebur128's true-peak mode) over the ceiling; then the
//! ceiling sets it, and the render says so.

use super::Buffer;
use ebur128::{EbuR128, Mode};

/// What the buffer measures before the gain.
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

pub fn measure(buf: &Buffer) -> Result<Level, String> {
    let channels = u32::try_from(buf.channels).map_err(|_| "too many channels".to_string())?;
    let mut meter = EbuR128::new(channels, buf.rate, Mode::I | Mode::TRUE_PEAK)
        .map_err(|e| format!("loudness meter: {e}"))?;
    meter
        .add_frames_f32(&buf.samples)
        .map_err(|e| format!("loudness meter: {e}"))?;
    let lufs = meter
        .loudness_global()
        .ok()
        .filter(|l| l.is_finite())
        .ok_or("the audio is too short (under 0.4 s) or too quiet to measure its loudness: render it without --normalize")?;
    let peak = (0..channels)
        .filter_map(|c| meter.true_peak(c).ok())
        .fold(0.0f64, f64::max);
    Ok(Level {
        lufs,
        true_peak_db: 20.0 * peak.max(1e-10).log10(),
    })
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

pub fn apply(buf: &mut Buffer, db: f64) {
    let factor = 10f64.powf(db / 20.0) as f32;
    for s in &mut buf.samples {
        *s *= factor;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1 kHz at `amplitude`, 3 s, stereo.
    fn tone(amplitude: f32) -> Buffer {
        let rate = 48_000;
        let samples = (0..3 * rate)
            .flat_map(|i| {
                let s =
                    amplitude * (std::f32::consts::TAU * 1_000.0 * i as f32 / rate as f32).sin();
                [s, s]
            })
            .collect();
        Buffer {
            channels: 2,
            rate,
            samples,
        }
    }

    #[test]
    fn a_quiet_tone_is_raised_to_the_target() {
        let mut buf = tone(0.05);
        let before = measure(&buf).unwrap();
        let gain = plan(before, -23.0, -1.0);
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
        let buf = Buffer {
            channels: 1,
            rate: 48_000,
            samples: vec![0.5; 4_800],
        };
        assert!(measure(&buf).unwrap_err().contains("without --normalize"));
    }
}
