//! Loudness matching for A/B listening: the louder of two takes always
//! sounds "better", so takes are compared at one common level. This is the
//! arithmetic (the level and each take's gain, from the measured EBU R128
//! loudness and sample peak) and, in `copy`, the gain-applied WAV a player
//! is handed instead of the file.

mod copy;

pub use copy::{matched_copy_name, write_matched_copy};

use super::AudioStats;

/// No matched copy's sample peak goes above this (-1 dBFS, EBU R128's
/// true-peak ceiling used for sample peaks): a quiet take is not turned up
/// into clipping, so a peaky take lowers the common level instead.
pub const PEAK_CEILING_DBFS: f64 = -1.0;

/// Kept below the ceiling for the rounding of the gain to 0.01 dB (at most
/// 0.005 dB) and the dither added when writing 16-bit samples (at most one
/// step, 0.0003 dB at -1 dBFS).
const DITHER_HEADROOM_DB: f64 = 0.01;

/// What the takes are matched to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MatchTarget {
    /// The group's quietest take: no take is turned up.
    Quietest,
    /// A fixed integrated loudness in LUFS (e.g. -23, EBU R128's broadcast
    /// level): a single take plays at the same level as every other.
    Lufs(f64),
}

/// The measured figures of one take that matching needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TakeLevel {
    /// EBU R128 integrated loudness; `None` for a take too short or too
    /// quiet to have one (it plays as it is).
    pub loudness_lufs: Option<f64>,
    /// Sample peak; `None` for digital silence.
    pub peak_dbfs: Option<f64>,
}

impl From<&AudioStats> for TakeLevel {
    fn from(s: &AudioStats) -> TakeLevel {
        TakeLevel {
            loudness_lufs: s.loudness_lufs,
            peak_dbfs: s.peak_dbfs,
        }
    }
}

/// How one take is played: turned by `gain_db` to sound at `level_lufs`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MatchedGain {
    /// Rounded to 0.01 dB: it names the copy.
    pub gain_db: f64,
    pub level_lufs: f64,
}

impl MatchedGain {
    /// For the details: `played at -23.0 LUFS, +9.4 dB`.
    pub fn describe(&self) -> String {
        format!(
            "played at {:.1} LUFS, {:+.1} dB",
            self.level_lufs, self.gain_db
        )
    }
}

/// The loudest level a take reaches with its sample peak at the ceiling.
fn reachable(take: &TakeLevel) -> Option<f64> {
    let loudness = take.loudness_lufs?;
    Some(match take.peak_dbfs {
        Some(peak) => loudness + (PEAK_CEILING_DBFS - DITHER_HEADROOM_DB - peak),
        None => f64::INFINITY,
    })
}

/// The level every take of a group plays at: `target` (or the quietest
/// take's loudness), lowered as far as it takes for every take to reach it
/// with its peak at or below [`PEAK_CEILING_DBFS`], so all play at exactly
/// one level. `None` when no take has a loudness.
pub fn common_level(takes: &[TakeLevel], target: MatchTarget) -> Option<f64> {
    let measured = takes.iter().filter_map(|t| t.loudness_lufs);
    let wanted = match target {
        MatchTarget::Quietest => measured.min_by(f64::total_cmp)?,
        MatchTarget::Lufs(level) => {
            measured.clone().next()?;
            level
        }
    };
    let ceiling = takes
        .iter()
        .filter_map(reachable)
        .fold(f64::INFINITY, f64::min);
    Some(wanted.min(ceiling))
}

/// The gain bringing `take` to `level_lufs`; `None` for a take without a
/// loudness (it plays unchanged).
pub fn gain_to(take: &TakeLevel, level_lufs: f64) -> Option<MatchedGain> {
    let gain = level_lufs - take.loudness_lufs?;
    Some(MatchedGain {
        gain_db: (gain * 100.0).round() / 100.0,
        level_lufs,
    })
}

/// Each take's gain for playing the group matched to `target`, in the
/// takes' order.
pub fn match_takes(takes: &[TakeLevel], target: MatchTarget) -> Vec<Option<MatchedGain>> {
    match common_level(takes, target) {
        Some(level) => takes.iter().map(|t| gain_to(t, level)).collect(),
        None => vec![None; takes.len()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(lufs: f64, peak: f64) -> TakeLevel {
        TakeLevel {
            loudness_lufs: Some(lufs),
            peak_dbfs: Some(peak),
        }
    }

    const SILENT: TakeLevel = TakeLevel {
        loudness_lufs: None,
        peak_dbfs: None,
    };

    #[test]
    fn takes_meet_at_the_quietest_one() {
        let takes = [
            take(-14.0, -3.0),
            take(-24.6, -12.0),
            SILENT,
            take(-19.5, -6.0),
        ];
        let gains = match_takes(&takes, MatchTarget::Quietest);
        let db: Vec<Option<f64>> = gains.iter().map(|g| g.map(|g| g.gain_db)).collect();
        assert_eq!(db, [Some(-10.6), Some(0.0), None, Some(-5.1)]);
        assert!(gains.iter().flatten().all(|g| g.level_lufs == -24.6));
    }

    #[test]
    fn a_fixed_target_turns_quiet_takes_up_until_a_peak_reaches_the_ceiling() {
        let g = match_takes(&[take(-32.4, -15.0)], MatchTarget::Lufs(-23.0));
        assert_eq!(g[0].map(|g| g.gain_db), Some(9.4));
        assert_eq!(
            g[0].map(|g| g.describe()).as_deref(),
            Some("played at -23.0 LUFS, +9.4 dB")
        );
        // A take of -30 LUFS peaking at -4 dBFS reaches only -27.01 LUFS
        // at the ceiling: the whole group plays there, still matched.
        let takes = [take(-30.0, -4.0), take(-18.0, -6.0)];
        let level = common_level(&takes, MatchTarget::Lufs(-23.0)).unwrap();
        assert!((level - -27.01).abs() < 1e-9, "{level}");
        for (t, g) in takes
            .iter()
            .zip(match_takes(&takes, MatchTarget::Lufs(-23.0)))
        {
            let peak_after = t.peak_dbfs.unwrap() + g.unwrap().gain_db;
            assert!(peak_after <= PEAK_CEILING_DBFS, "{peak_after}");
        }
        // The quietest take itself peaking above the ceiling is turned down.
        let level = common_level(&[take(-10.0, -0.2)], MatchTarget::Quietest).unwrap();
        assert!((level - -10.81).abs() < 1e-9, "{level}");
    }

    #[test]
    fn nothing_measured_means_nothing_changes() {
        assert_eq!(
            common_level(&[SILENT, SILENT], MatchTarget::Lufs(-23.0)),
            None
        );
        assert_eq!(common_level(&[], MatchTarget::Quietest), None);
        assert_eq!(match_takes(&[SILENT], MatchTarget::Quietest), vec![None]);
        // Loudness without a peak cannot happen, but does not cap anything.
        let odd = TakeLevel {
            loudness_lufs: Some(-40.0),
            peak_dbfs: None,
        };
        assert_eq!(common_level(&[odd], MatchTarget::Lufs(-23.0)), Some(-23.0));
    }

    #[test]
    fn the_gain_is_rounded_to_hundredths_of_a_db() {
        let gain = |lufs: f64, level: f64| gain_to(&take(lufs, -9.0), level).map(|g| g.gain_db);
        assert_eq!(gain(-20.004, -23.0), Some(-3.0));
        assert_eq!(gain(-20.0, -23.0049), Some(-3.0));
        assert_eq!(gain(-20.0, -23.006), Some(-3.01));
    }
}
