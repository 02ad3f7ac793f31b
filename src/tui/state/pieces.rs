//! Pieces in the dashboard: a TTS text longer than one call is submitted
//! as one piece (`Command::SubmitPiece`), and every piece is one row of
//! the pieces table with its kind, progress `k/N` and cost, read from the
//! store (`Command::LoadPieces`) at start, after a submit and whenever one
//! of its segments' tasks changes.

use crate::pieces::Voice;
use crate::pieces::submit::SubmittedPiece;
use crate::store::{PieceRow, TaskRecord};
use crate::tui::state::{App, Command, Commands, Focus};

/// Every piece, newest first, as the store last said.
#[derive(Clone, Debug, Default)]
pub struct Pieces {
    rows: Vec<PieceRow>,
    /// A piece submit was sent and its answer has not come back.
    submitting: bool,
}

impl Pieces {
    pub fn new(rows: Vec<PieceRow>) -> Pieces {
        Pieces {
            rows,
            submitting: false,
        }
    }

    pub fn rows(&self) -> &[PieceRow] {
        &self.rows
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
        match result {
            Ok(rows) => {
                if rows == self.selection.pieces.rows {
                    return Vec::new();
                }
                self.selection.pieces.rows = rows;
            }
            Err(e) => self.toast_error(format!("cannot read the pieces: {e}")),
        }
        vec![Command::Redraw]
    }

    /// The pieces are read again when a segment's task changed.
    pub(crate) fn pieces_after(&self, record: &TaskRecord) -> Option<Command> {
        self.selection
            .pieces
            .concerns(record)
            .then_some(Command::LoadPieces)
    }
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(grouped(7), "7");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1299), "1,299");
        assert_eq!(grouped(1_000_000), "1,000,000");
    }
}
