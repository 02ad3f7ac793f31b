//! The segments view (`=` on a piece): the piece's segments in order, each
//! with a text excerpt and the take it uses (state, length, loudness), and
//! the output path once assembled. Like the takes view, its cursor is the
//! selection the details pane and the actions follow: `p` plays the
//! segment's take, `r` sends a new take of it (one call) and the piece is
//! assembled again once it is made, `*` and `x` star and discard the take.
//! Rows come from the store (`Command::LoadSegments`), read again whenever
//! the pieces are.

use crate::store::{PieceRow, TaskRecord};
use crate::tui::state::{App, Command, Commands};

/// One segment as the view shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentLine {
    /// 1-based, in reading order.
    pub position: i64,
    pub chars: i64,
    /// The start of its text, one line.
    pub excerpt: String,
    /// The take it uses, once there is one.
    pub take: Option<TaskRecord>,
}

#[derive(Clone, Debug)]
pub struct SegmentsView {
    pub piece: i64,
    pub lines: Vec<SegmentLine>,
    /// The cursor's row.
    pub cursor: usize,
    /// The rows have not come back from the store yet.
    pub loading: bool,
}

impl SegmentsView {
    pub fn selected(&self) -> Option<&TaskRecord> {
        self.lines.get(self.cursor)?.take.as_ref()
    }

    pub fn selected_line(&self) -> Option<&SegmentLine> {
        self.lines.get(self.cursor)
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.lines.len().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(delta).min(last);
    }

    /// A task as it now is, into the line whose take it is.
    pub fn upsert(&mut self, record: &TaskRecord) {
        for line in &mut self.lines {
            if line.take.as_ref().is_some_and(|t| t.id == record.id) {
                line.take = Some(record.clone());
            }
        }
    }
}

impl App {
    /// The piece under the pieces cursor, if the cursor is there.
    pub fn selected_piece(&self) -> Option<&PieceRow> {
        let at = self.selection.pieces.cursor?;
        self.selection.pieces.rows().get(at)
    }

    /// `=` on a piece: its segments.
    pub(crate) fn open_segments(&mut self) -> Option<Command> {
        let piece = self.selected_piece()?.id;
        self.selection.segments = Some(SegmentsView {
            piece,
            lines: Vec::new(),
            cursor: 0,
            loading: true,
        });
        Some(Command::LoadSegments(piece))
    }

    pub(crate) fn on_segments_loaded(
        &mut self,
        piece: i64,
        result: Result<Vec<SegmentLine>, String>,
    ) -> Commands {
        let Some(view) = self
            .selection
            .segments
            .as_mut()
            .filter(|v| v.piece == piece)
        else {
            return Vec::new();
        };
        match result {
            Ok(lines) => {
                view.cursor = view.cursor.min(lines.len().saturating_sub(1));
                view.lines = lines;
                view.loading = false;
            }
            Err(e) => self.toast_error(format!("cannot read the segments: {e}")),
        }
        vec![Command::Redraw]
    }

    /// `r` on a segment: one new take of it.
    pub(crate) fn retake_segment(&mut self) -> Option<Command> {
        let view = self.selection.segments.as_ref()?;
        let position = view.selected_line()?.position;
        if !self.has_key() {
            self.toast_error("no API key: set KLANG_API_KEY, or try klang --sandbox");
            return None;
        }
        Some(Command::RetakeSegment {
            piece: view.piece,
            position,
        })
    }

    pub(crate) fn on_segment_retaken(
        &mut self,
        position: i64,
        result: Result<i64, String>,
    ) -> Commands {
        match result {
            Ok(id) => {
                self.toast(format!(
                    "segment {position}: new take #{id} sent; the piece is assembled again once it is made"
                ));
            }
            Err(e) => self.toast_error(format!("segment {position}: not sent: {e}")),
        }
        vec![Command::LoadPieces, Command::Redraw]
    }

    /// After a star or a discard in the segments view: the piece may now
    /// use another take.
    pub(crate) fn segments_changed(&self) -> Vec<Command> {
        match &self.selection.segments {
            Some(view) => vec![
                Command::AssemblePiece(view.piece),
                Command::LoadSegments(view.piece),
            ],
            None => Vec::new(),
        }
    }
}
