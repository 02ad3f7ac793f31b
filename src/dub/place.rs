//! Where each line goes on the track once its speech length is measured,
//! and what is done about a line that runs into the next: `shift` moves
//! the following lines later (the gaps after them take the delay back),
//! `keep` leaves every line at its cue and flags the overlap. (`retake`
//! is decided before this, in the build; what still runs over after it
//! is shifted.)

use crate::store::{FitAction, OVERRUN_TOLERANCE_MS};

/// Silence kept between a line and the one it pushed later.
pub const SHIFT_GAP_MS: u64 = 100;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Overrun {
    Shift,
    Retake,
    Keep,
}

/// What placing found for one line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placed {
    pub start_ms: u64,
    /// How far its speech runs past the next line's cue (or past the
    /// track's end); with `shift` the next line was moved out of its way.
    pub overrun_ms: u64,
    pub action: FitAction,
}

/// One line to place: where it should start, how long it speaks, and
/// whether it was retaken.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ToPlace {
    pub slot_start_ms: u64,
    pub speech_ms: u64,
    pub retaken: bool,
}

/// Places `lines` (in timeline order) on a track of `end_ms` (if known).
pub fn place(lines: &[ToPlace], end_ms: Option<u64>, mode: Overrun) -> Vec<Placed> {
    let shift = mode != Overrun::Keep;
    let mut starts = Vec::with_capacity(lines.len());
    let mut previous_end: Option<u64> = None;
    for l in lines {
        let mut start = l.slot_start_ms;
        if shift
            && let Some(end) = previous_end
            && end + SHIFT_GAP_MS > start + OVERRUN_TOLERANCE_MS
        {
            start = end + SHIFT_GAP_MS;
        }
        previous_end = Some(start + l.speech_ms);
        starts.push(start);
    }
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let start_ms = starts[i];
            let end = start_ms + l.speech_ms;
            let limit = lines.get(i + 1).map(|n| n.slot_start_ms).or(end_ms);
            let overrun_ms = limit.map_or(0, |n| end.saturating_sub(n));
            let moved = start_ms > l.slot_start_ms;
            let over = overrun_ms > OVERRUN_TOLERANCE_MS;
            let action = if l.retaken {
                FitAction::Retaken
            } else if moved {
                FitAction::Shifted
            } else if over && shift && i + 1 < lines.len() {
                FitAction::Shift
            } else if over {
                FitAction::Kept
            } else {
                FitAction::Fits
            };
            Placed {
                start_ms,
                overrun_ms,
                action,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(slot_start_ms: u64, speech_ms: u64) -> ToPlace {
        ToPlace {
            slot_start_ms,
            speech_ms,
            retaken: false,
        }
    }

    #[test]
    fn shift_moves_the_next_lines_until_a_gap_takes_it_back() {
        let lines = [
            line(0, 2_500),
            line(2_000, 1_000),
            line(3_700, 1_000),
            line(8_000, 500),
        ];
        let p = place(&lines, Some(10_000), Overrun::Shift);
        let starts: Vec<u64> = p.iter().map(|p| p.start_ms).collect();
        assert_eq!(starts, [0, 2_600, 3_700, 8_000]);
        assert_eq!((p[0].action, p[0].overrun_ms), (FitAction::Shift, 500));
        assert_eq!(p[1].action, FitAction::Shifted);
        assert_eq!(p[2].action, FitAction::Fits);
        // Nothing overlaps as placed.
        for (a, (b, l)) in p.iter().zip(p[1..].iter().zip(&lines)) {
            assert!(a.start_ms + l.speech_ms <= b.start_ms + OVERRUN_TOLERANCE_MS);
        }
    }

    #[test]
    fn keep_flags_the_overlap_and_moves_nothing() {
        let lines = [line(0, 2_500), line(2_000, 1_000)];
        let p = place(&lines, None, Overrun::Keep);
        assert_eq!((p[1].start_ms, p[0].overrun_ms), (2_000, 500));
        assert_eq!(p[0].action, FitAction::Kept);
        // Past the end of the video: flagged too.
        let p = place(&[line(9_000, 2_000)], Some(10_000), Overrun::Keep);
        assert_eq!(p[0].overrun_ms, 1_000);
    }
}
