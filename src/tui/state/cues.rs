//! A dub in the dashboard: a piece of kind "dub" whose segments are its
//! cues. What its segments view shows of each cue (the time, the speed
//! sent, the fit: ✓ or "+0.4 s over"), where each line sounds in the mix
//! (for the playhead), and `p`, which plays the mix.

use super::playback::Playback;
use super::segments::SegmentLine;
use super::{App, Command};
use crate::store::{DubFit, FitAction};

/// The piece kind `klang dub` plans.
pub const DUB_KIND: &str = "dub";

/// "1:02.5", or "1:02:03.5" past the hour: where a cue starts.
pub fn cue_time(ms: u64) -> String {
    let tenths = ms / 100;
    let (h, m, s, t) = (
        tenths / 36_000,
        tenths / 600 % 60,
        tenths / 10 % 60,
        tenths % 10,
    );
    if h > 0 {
        format!("{h}:{m:02}:{s:02}.{t}")
    } else {
        format!("{m}:{s:02}.{t}")
    }
}

/// How a cue's line fits: "✓", "+0.4 s over" when it runs into the next
/// line past the tolerance, or what is still to come.
pub fn fit_label(fit: &DubFit) -> String {
    if fit.is_overrun() {
        let over = fit.overrun_ms.unwrap_or(0);
        return format!("+{:.1} s over", over as f64 / 1000.0);
    }
    match fit.action {
        FitAction::Planned if fit.speech_ms.is_none() => "planned".into(),
        FitAction::Shifted => "✓ shifted".into(),
        FitAction::Retaken => "✓ retaken".into(),
        _ => "✓".into(),
    }
}

/// Where each cue's line sounds in the dub (seconds), in segment order:
/// from its fit once assembled, else its cue's time.
pub fn placements(lines: &[SegmentLine]) -> Vec<(f64, f64)> {
    let mut ordered: Vec<&SegmentLine> = lines.iter().collect();
    ordered.sort_by_key(|l| l.position);
    ordered
        .iter()
        .map(|l| match &l.fit {
            Some(f) => {
                let start = f.start_ms.unwrap_or(f.slot_start_ms);
                let end = match f.speech_ms {
                    Some(speech) => start + speech,
                    None => f.cue_end_ms.max(start),
                };
                (start as f64 / 1000.0, end as f64 / 1000.0)
            }
            None => (0.0, 0.0),
        })
        .collect()
}

impl App {
    /// `p` in a dub's cues: its mix plays (the MP4 with `--video`, else the
    /// speech track), the cue sounding marked ♪; `p` again stops it.
    pub(crate) fn play_dub(&mut self) -> Option<Command> {
        let view = self.selection.segments.as_ref()?;
        let piece = self
            .selection
            .pieces
            .rows()
            .iter()
            .find(|p| p.id == view.piece)?
            .clone();
        let path = view
            .mix
            .clone()
            .unwrap_or_else(|| std::path::PathBuf::from(&piece.output));
        if self.playback == Playback::Piece(piece.id) {
            return self.stop_playback();
        }
        if piece.state != "assembled" && view.mix.is_none() {
            self.toast_error(format!(
                "dub #{} has nothing to play yet: it is {}; run klang dub again to finish it",
                piece.id, piece.state
            ));
            return None;
        }
        Some(self.start_piece(&piece, path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit(overrun_ms: Option<u64>, action: FitAction) -> DubFit {
        DubFit {
            cue: 1,
            part: 1,
            cue_start_ms: 61_500,
            cue_end_ms: 63_000,
            slot_start_ms: 61_500,
            slot_ms: 2_000,
            speaker: None,
            speed: 1.2,
            first_speed: 1.2,
            basis: String::new(),
            speech_ms: Some(1_800),
            start_ms: Some(61_510),
            overrun_ms,
            action,
        }
    }

    #[test]
    fn a_cue_shows_its_time_and_fit() {
        assert_eq!(cue_time(61_549), "1:01.5");
        assert_eq!(cue_time(3_723_400), "1:02:03.4");
        assert_eq!(fit_label(&fit(None, FitAction::Fits)), "✓");
        assert_eq!(fit_label(&fit(Some(100), FitAction::Fits)), "✓");
        assert_eq!(fit_label(&fit(Some(400), FitAction::Kept)), "+0.4 s over");
        let mut planned = fit(None, FitAction::Planned);
        planned.speech_ms = None;
        assert_eq!(fit_label(&planned), "planned");
    }
}
