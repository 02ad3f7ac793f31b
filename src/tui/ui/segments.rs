//! Draws the segments view (`=` on a piece) in the table's place: one row
//! per segment in reading order with its take's state, length and
//! loudness and the start of its text; the output path at the foot once
//! the piece is assembled.

use super::figures;
use super::table::{state_label, state_style};
use crate::sanitize::single_line;
use crate::store::DubFit;
use crate::tui::state::App;
use crate::tui::state::cues::{cue_time, fit_label};
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
    let mut title = if view.dub {
        format!(" Cues of dub #{} ", view.piece)
    } else {
        format!(" Segments of piece #{} ", view.piece)
    };
    if let Some(p) = piece {
        title.push_str(&format!(
            "· {} · {} ",
            super::pieces::progress(p),
            single_line(&p.state)
        ));
    }
    if view.only_overrun {
        title.push_str(&format!(
            "· is:overrun: {} of {} ",
            view.lines.len(),
            view.all.len()
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
        .map(|(i, line)| {
            // The playhead counts segments in order, whatever the filter shows.
            let sounds = sounding.is_some_and(|s| s as i64 + 1 == line.position);
            match &line.fit {
                Some(fit) => cue_line(app, line, fit, i == view.cursor, sounds),
                None => segment_line(app, line, i == view.cursor, sounds),
            }
        })
        .collect();
    // Keep the cursor in sight.
    let height = rows_area.height as usize;
    let skip = view.cursor.saturating_sub(height.saturating_sub(1));
    frame.render_widget(
        Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>()),
        rows_area,
    );
    let foot_text = match (&view.mix, piece) {
        (Some(mix), _) => format!(" mix {}", single_line(&mix.display().to_string())),
        (None, Some(p)) if p.state == "assembled" => format!(" output {}", single_line(&p.output)),
        (None, Some(p)) => format!(" output {} (once assembled)", single_line(&p.output)),
        (None, None) => String::new(),
    };
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(foot_text, t.muted))),
        foot,
    );
}

fn mark(selected: bool, sounding: bool) -> &'static str {
    match (selected, sounding) {
        (_, true) => "♪ ",
        (true, false) => "▶ ",
        (false, false) => "  ",
    }
}

/// A dub's cue: its take's state, where it starts, the speed sent, how it
/// fits, and the start of its text.
fn cue_line(
    app: &App,
    line: &SegmentLine,
    fit: &DubFit,
    selected: bool,
    sounding: bool,
) -> Line<'static> {
    let t = &app.settings.theme;
    let row_style = if selected { t.selected } else { t.text };
    let mut spans = vec![Span::styled(
        format!("{}{:>4} ", mark(selected, sounding), line.position),
        row_style,
    )];
    match &line.take {
        Some(take) => {
            let (glyph, word) = state_label(take.state, app.spinner);
            spans.push(Span::styled(
                format!("{glyph} {word:<10} "),
                state_style(t, take.state),
            ));
        }
        None => spans.push(Span::styled(format!("{:<13}", "  no take"), t.muted)),
    }
    spans.push(Span::styled(
        format!("{:>9} {:>4.1}x ", cue_time(fit.cue_start_ms), fit.speed),
        row_style,
    ));
    let fit_style = if fit.is_overrun() { t.error } else { t.muted };
    spans.push(Span::styled(format!("{:<13} ", fit_label(fit)), fit_style));
    spans.push(Span::styled(line.excerpt.clone(), row_style));
    Line::from(spans)
}

fn segment_line(app: &App, line: &SegmentLine, selected: bool, sounding: bool) -> Line<'static> {
    let t = &app.settings.theme;
    let lead = format!("{}{:>3} ", mark(selected, sounding), line.position);
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
