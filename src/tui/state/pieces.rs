//! Pieces in the dashboard: a TTS text longer than one call is submitted
//! as one piece (`Command::SubmitPiece`), and every piece is one row of
//! the pieces table with its kind, progress `k/N` and cost, read from the
//! store (`Command::LoadPieces`) at start, after a submit and whenever one
//! of its segments' tasks changes.

use crate::pieces::Voice;
use crate::pieces::build::Assembly;
use crate::pieces::submit::SubmittedPiece;
use crate::store::{PieceRow, TaskRecord};
use crate::tui::state::playback::Playback;
use crate::tui::state::{App, Command, Commands, Focus};
use std::collections::HashSet;

/// Every piece, newest first, as the store last said.
#[derive(Clone, Debug, Default)]
pub struct Pieces {
    rows: Vec<PieceRow>,
    /// A piece submit was sent and its answer has not come back.
    submitting: bool,
    /// The cursor, when it is on a piece's row (above the tasks).
    pub(crate) cursor: Option<usize>,
    /// Where each segment's speech sits in a piece's output (seconds), as
    /// this run assembled it.
    placements: std::collections::HashMap<i64, Vec<(f64, f64)>>,
    /// Pieces being assembled (asked, not answered).
    assembling: HashSet<i64>,
    /// Pieces whose assembly failed: not asked again until one of the
    /// segments' tasks or downloads changes.
    gave_up: HashSet<i64>,
}

impl Pieces {
    pub fn new(rows: Vec<PieceRow>) -> Pieces {
        Pieces {
            rows,
            ..Pieces::default()
        }
    }

    /// The pieces whose segments are all made and whose output is not
    /// (or no longer) what they were assembled from, not asked yet.
    fn take_ready(&mut self) -> Vec<i64> {
        let ready: Vec<i64> = self
            .rows
            .iter()
            // A dub too: pieces::build::assemble_stored places it on its
            // timeline (and mixes it again) as `klang dub` would.
            .filter(|p| p.segments > 0 && p.done == p.segments && p.state != "assembled")
            .map(|p| p.id)
            .filter(|id| !self.assembling.contains(id) && !self.gave_up.contains(id))
            .collect();
        self.assembling.extend(&ready);
        ready
    }

    /// A segment's task or download changed: failed assemblies may work now.
    pub(crate) fn try_again(&mut self) {
        self.gave_up.clear();
    }

    /// Where each segment's speech sits in piece `piece`'s output
    /// (seconds), as a dub's fits say.
    pub(crate) fn set_placements(&mut self, piece: i64, placements: Vec<(f64, f64)>) {
        self.placements.insert(piece, placements);
    }

    pub fn rows(&self) -> &[PieceRow] {
        &self.rows
    }

    /// The cursor's row among the pieces, when it is there.
    pub fn cursor(&self) -> Option<usize> {
        self.cursor
    }

    /// Whether a change to `record` may change a piece's row: a segment's
    /// task (segments are sent as batch lines) while pieces are known.
    fn concerns(&self, record: &TaskRecord) -> bool {
        record.batch_line.is_some()
            && record.model == crate::api::Model::Tts
            && (self.submitting || !self.rows.is_empty())
    }
}

/// "1,299": thousands grouped with commas.
pub fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl App {
    /// Enter on a TTS text longer than one call takes: the piece is sent
    /// whole, or the field's error shown.
    pub(crate) fn submit_piece(
        &mut self,
        piece: Result<(String, Voice), (String, String)>,
    ) -> Option<Command> {
        if self.selection.pieces.submitting {
            return None;
        }
        match piece {
            Ok((text, voice)) => {
                self.selection.pieces.submitting = true;
                Some(Command::SubmitPiece { text, voice })
            }
            Err((field, message)) => {
                self.form.show_error(field, message);
                None
            }
        }
    }

    pub(crate) fn on_piece_submitted(
        &mut self,
        result: Result<SubmittedPiece, String>,
    ) -> Commands {
        self.selection.pieces.submitting = false;
        match result {
            Ok(done) => {
                self.form.clear_main_text();
                if self.focus == Focus::Input {
                    self.focus = Focus::Table;
                }
                self.toast(format!(
                    "piece #{}: {} segments, {} calls sent (${:.4})",
                    done.piece, done.segments, done.calls_sent, done.cost_usd
                ));
                vec![Command::LoadPieces, Command::LoadHistory, Command::Redraw]
            }
            Err(e) => {
                self.toast_error(format!("piece not submitted: {e}"));
                vec![Command::Redraw]
            }
        }
    }

    pub(crate) fn on_pieces_loaded(&mut self, result: Result<Vec<PieceRow>, String>) -> Commands {
        let mut changed = true;
        match result {
            Ok(rows) => {
                changed = rows != self.selection.pieces.rows;
                let last = rows.len().checked_sub(1);
                let pieces = &mut self.selection.pieces;
                pieces.cursor = pieces.cursor.and_then(|at| last.map(|l| at.min(l)));
                pieces.rows = rows;
            }
            Err(e) => self.toast_error(format!("cannot read the pieces: {e}")),
        }
        let mut commands: Commands = self
            .selection
            .pieces
            .take_ready()
            .into_iter()
            .map(Command::AssemblePiece)
            .collect();
        if let Some(view) = &self.selection.segments {
            commands.push(Command::LoadSegments(view.piece));
        }
        if changed {
            commands.push(Command::Redraw);
        }
        commands
    }

    /// Up from the first task goes to the pieces above; down from the
    /// last piece comes back to the tasks.
    pub(crate) fn move_among_pieces(&mut self, delta: isize) -> bool {
        let count = self.selection.pieces.rows.len();
        if count == 0 {
            return false;
        }
        match self.selection.pieces.cursor {
            Some(at) => {
                let to = at as isize + delta;
                self.selection.pieces.cursor = if to >= count as isize {
                    None
                } else {
                    Some(to.max(0) as usize)
                };
                true
            }
            None if delta < 0 && self.selection.tasks.cursor() == 0 => {
                self.selection.pieces.cursor = Some(count - 1);
                true
            }
            None => false,
        }
    }

    pub(crate) fn on_piece_assembled(
        &mut self,
        piece: i64,
        result: Result<Assembly, String>,
    ) -> Commands {
        self.selection.pieces.assembling.remove(&piece);
        let mut commands = Vec::new();
        match result {
            Ok(Assembly::Written { path, placements }) => {
                self.toast(format!("piece #{piece} assembled: {}", path.display()));
                self.selection.pieces.placements.insert(piece, placements);
            }
            Ok(Assembly::Unchanged(_)) => {}
            Ok(Assembly::Waiting(ids)) => {
                // Fetched now; their downloads ending asks again.
                for id in ids {
                    if !self.downloads.contains_key(&id) {
                        commands.push(Command::Download(id));
                    }
                }
                self.selection.pieces.gave_up.insert(piece);
            }
            Ok(Assembly::Partial(problems)) => {
                self.selection.pieces.gave_up.insert(piece);
                let first = problems.first().cloned().unwrap_or_default();
                self.toast_error(format!("piece #{piece} is partial: {first}"));
            }
            Err(e) => {
                self.selection.pieces.gave_up.insert(piece);
                self.toast_error(format!("piece #{piece} was not assembled: {e}"));
            }
        }
        commands.push(Command::LoadPieces);
        commands.push(Command::Redraw);
        commands
    }

    /// The pieces are read again when a segment's task changed.
    pub(crate) fn pieces_after(&mut self, record: &TaskRecord) -> Option<Command> {
        if !self.selection.pieces.concerns(record) {
            return None;
        }
        self.selection.pieces.try_again();
        Some(Command::LoadPieces)
    }

    /// A download ended: a piece waiting for it may be assembled now.
    pub(crate) fn pieces_after_download(&mut self) -> Option<Command> {
        if self.selection.pieces.rows.is_empty() {
            return None;
        }
        self.selection.pieces.try_again();
        Some(Command::LoadPieces)
    }
}

/// Which segment sounds `at` seconds into an output whose segments'
/// speech sits at `placements`: the one whose speech it is in, or whose
/// speech comes next (the gap before a segment belongs to it).
pub fn segment_at(placements: &[(f64, f64)], at: f64) -> Option<usize> {
    if placements.is_empty() {
        return None;
    }
    Some(
        placements
            .iter()
            .position(|&(_, end)| at < end)
            .unwrap_or(placements.len() - 1),
    )
}

/// Where the piece that plays is: seconds from its start, and the segment
/// sounding (0-based) when this run assembled it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PiecePlayhead {
    pub piece: i64,
    pub seconds: f64,
    pub segment: Option<usize>,
}

impl App {
    /// `p` on a piece: its assembled output plays.
    pub(crate) fn play_piece(&mut self) -> Option<Command> {
        let piece = self.selected_piece()?.clone();
        if self.playback == Playback::Piece(piece.id) {
            return self.stop_playback();
        }
        let path = std::path::PathBuf::from(&piece.output);
        if piece.state != "assembled" {
            self.toast_error(format!(
                "piece #{} has nothing to play yet: it is {} ({})",
                piece.id,
                piece.state,
                progress_words(&piece)
            ));
            return None;
        }
        Some(self.start_piece(&piece, path))
    }

    /// Plays `path`, piece `piece`'s output, with its playhead.
    pub(crate) fn start_piece(&mut self, piece: &PieceRow, path: std::path::PathBuf) -> Command {
        self.play_token += 1;
        self.playback = Playback::Piece(piece.id);
        self.playing_since = None;
        self.playing_gain = None;
        let seconds = self
            .selection
            .pieces
            .placements
            .get(&piece.id)
            .and_then(|p| p.iter().map(|&(_, end)| end).reduce(f64::max));
        Command::Play {
            token: self.play_token,
            path,
            gain_db: None,
            offer: self.remote_offer(),
            seconds,
        }
    }

    /// Where the piece that plays is, if one plays.
    pub fn piece_playhead(&self) -> Option<PiecePlayhead> {
        let Playback::Piece(piece) = self.playback else {
            return None;
        };
        let seconds = self.playing_since?.elapsed().as_secs_f64();
        let segment = self
            .selection
            .pieces
            .placements
            .get(&piece)
            .and_then(|p| segment_at(p, seconds));
        Some(PiecePlayhead {
            piece,
            seconds,
            segment,
        })
    }
}

fn progress_words(piece: &PieceRow) -> String {
    format!("{} of {} segments made", piece.done, piece.segments)
}

#[cfg(test)]
mod tests {
    use super::{Pieces, grouped, segment_at};
    use crate::store::PieceRow;

    #[test]
    fn a_dub_is_assembled_like_any_piece() {
        let row = |id: i64, kind: &str| PieceRow {
            id,
            kind: kind.into(),
            source: "s".into(),
            output: "o".into(),
            state: "planned".into(),
            segments: 3,
            done: 3,
            calls: 3,
            cost_usd: 0.0018,
            srt: None,
            vtt: None,
            chapters: None,
            last_error: None,
            updated_at: 0,
        };
        let mut pieces = Pieces::new(vec![row(1, "speech"), row(2, "dub")]);
        assert_eq!(pieces.take_ready(), [1, 2]);
        assert!(pieces.take_ready().is_empty(), "asked once");
    }

    #[test]
    fn the_segment_sounding_is_the_one_whose_speech_has_not_ended() {
        let at = [(0.1, 25.0), (25.4, 74.0), (74.9, 80.0)];
        assert_eq!(segment_at(&[], 3.0), None);
        assert_eq!(segment_at(&at, 0.0), Some(0));
        assert_eq!(segment_at(&at, 24.9), Some(0));
        // The gap before segment 2 belongs to it.
        assert_eq!(segment_at(&at, 25.2), Some(1));
        assert_eq!(segment_at(&at, 79.0), Some(2));
        assert_eq!(segment_at(&at, 95.0), Some(2));
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(grouped(7), "7");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1299), "1,299");
        assert_eq!(grouped(1_000_000), "1,000,000");
    }
}
