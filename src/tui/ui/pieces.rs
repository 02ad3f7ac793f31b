//! The pieces table: one row per piece (a work made of many tasks) with
//! its kind, progress `k/N`, cost, state and output file, above the
//! task table while there are pieces.

use super::figures;
use crate::sanitize::single_line;
use crate::store::PieceRow;
use crate::tui::state::App;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Cell, Row, Table};

/// Pieces shown at most; the newest come first.
const MOST_ROWS: u16 = 3;
/// The task table keeps at least this many rows below.
const TABLE_KEEPS: u16 = 8;

/// The area the pieces take from `area` (none when there are none or the
/// table would be left too small), and what is left for the task table.
pub fn split(app: &App, area: Rect) -> (Option<Rect>, Rect) {
    let rows = app.selection.pieces.rows().len() as u16;
    if rows == 0 {
        return (None, area);
    }
    let height = rows.min(MOST_ROWS) + 2;
    if area.height < height + TABLE_KEEPS {
        return (None, area);
    }
    let [top, rest] =
        Layout::vertical([Constraint::Length(height), Constraint::Fill(1)]).areas(area);
    (Some(top), rest)
}

/// `done/segments`, e.g. "2/2".
pub fn progress(row: &PieceRow) -> String {
    format!("{}/{}", row.done, row.segments)
}

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.settings.theme;
    let all = app.selection.pieces.rows();
    let cursor = app.selection.pieces.cursor();
    let playhead = app.piece_playhead();
    let block = Block::bordered()
        .title(Span::styled(format!(" Pieces {} ", all.len()), t.title))
        .border_style(if cursor.is_some() {
            t.border_focus
        } else {
            t.border
        });
    let rows = all.iter().enumerate().map(|(i, p)| {
        let file = std::path::Path::new(&p.output)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let style = if cursor == Some(i) {
            t.selected
        } else {
            t.text
        };
        // While it plays: how far, and which segment sounds.
        let (state, file) = match playhead.filter(|h| h.piece == p.id) {
            Some(h) => (
                format!("▶ {}", figures::audio(h.seconds)),
                match h.segment {
                    Some(k) => format!("segment {}/{} · {file}", k + 1, p.segments),
                    None => file,
                },
            ),
            None => (p.state.clone(), file),
        };
        Row::new(vec![
            Cell::from(format!("#{}", p.id)),
            Cell::from(single_line(&p.kind).into_owned()),
            Cell::from(progress(p)),
            Cell::from(format!("${:.4}", p.cost_usd)),
            Cell::from(single_line(&state).into_owned()),
            Cell::from(single_line(&file).into_owned()),
        ])
        .style(style)
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(5),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(8),
            Constraint::Length(10),
            Constraint::Fill(1),
        ],
    )
    .block(block);
    frame.render_widget(table, area);
}
