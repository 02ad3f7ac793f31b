//! Draws the segments view (`=` on a piece) in the table's place: one row
//! per segment in reading order with its take's state, length and
//! loudness and the start of its text; the output path at the foot once
//! the piece is assembled.

use super::figures;
use super::table::{state_label, state_style};
use crate::sanitize::single_line;
use crate::tui::state::App;
use crate::tui::state::segments::{SegmentLine, SegmentsView};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

pub fn draw(frame: &mut Frame, app: &App, view: &SegmentsView, area: Rect) {
    let t = &app.settings.theme;
    let piece = app
        .selection
        .pieces
        .rows()
        .iter()
        .find(|p| p.id == view.piece);
    let mut title = format!(" Segments of piece #{} ", view.piece);
    if let Some(p) = piece {
        title.push_str(&format!(
            "· {} · {} ",
            super::pieces::progress(p),
            single_line(&p.state)
        ));
    }
    if view.loading {
        title.push_str("· loading… ");
    }
    let block = Block::bordered()
        .title(Span::styled(title, t.title))
        .border_style(t.border_focus);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [rows_area, foot] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
    let sounding = app
        .piece_playhead()
        .filter(|h| h.piece == view.piece)
        .and_then(|h| h.segment);
    let lines: Vec<Line> = view
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| segment_line(app, line, i == view.cursor, sounding == Some(i)))
        .collect();
    // Keep the cursor in sight.
    let height = rows_area.height as usize;
    let skip = view.cursor.saturating_sub(height.saturating_sub(1));
    frame.render_widget(
        Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>()),
        rows_area,
    );
    let foot_text = match piece {
        Some(p) if p.state == "assembled" => format!(" output {}", single_line(&p.output)),
        Some(p) => format!(" output {} (once assembled)", single_line(&p.output)),
        None => String::new(),
    };
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(foot_text, t.muted))),
        foot,
    );
}

fn segment_line(app: &App, line: &SegmentLine, selected: bool, sounding: bool) -> Line<'static> {
    let t = &app.settings.theme;
    let mark = match (selected, sounding) {
        (_, true) => "♪ ",
        (true, false) => "▶ ",
        (false, false) => "  ",
    };
    let lead = format!("{mark}{:>3} ", line.position);
    let row_style = if selected { t.selected } else { t.text };
    let mut spans = vec![Span::styled(lead, row_style)];
    match &line.take {
        Some(take) => {
            let (glyph, word) = state_label(take.state, app.spinner);
            spans.push(Span::styled(
                format!("{glyph} {word:<10} "),
                state_style(t, take.state),
            ));
            let star = if take.starred { "★" } else { " " };
            let seconds = take
                .measured_seconds
                .or(take.audio_duration)
                .map(figures::audio)
                .unwrap_or_default();
            let loudness = app
                .selection
                .analyses
                .get(&take.id)
                .filter(|a| a.is_for(take))
                .and_then(|a| a.outcome.as_ref().ok())
                .and_then(|a| a.stats.loudness_lufs)
                .map(|l| format!("{l:.1} LUFS"))
                .unwrap_or_default();
            spans.push(Span::styled(
                format!("#{:<5}{star} {seconds:>7} {loudness:>10}  ", take.id),
                row_style,
            ));
        }
        None => spans.push(Span::styled(format!("{:<38}", "  no take yet"), t.muted)),
    }
    spans.push(Span::styled(format!("{:>4} chars  ", line.chars), t.muted));
    spans.push(Span::styled(line.excerpt.clone(), row_style));
    Line::from(spans)
}
