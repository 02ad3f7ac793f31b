//! The status line (engine state, counts, costs) and the key hints under it.

use super::app::{App, Focus};
use super::format;
use super::table::state_label;
use crate::engine::EngineStatus;
use crate::sanitize::single_line;
use crate::store::LocalState;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// What the engine is doing, in words: "polling 3", "retrying in 12 s: ...".
pub fn engine_text(app: &App) -> String {
    match &app.status {
        EngineStatus::Idle => "idle".into(),
        EngineStatus::Polling { running, in_flight } => {
            format!("polling {running} ({in_flight} in flight)")
        }
        EngineStatus::Retrying { reason, .. } => {
            let left = app
                .retry_left()
                .map_or(0, |d| d.as_secs_f64().ceil() as u64);
            format!("retrying in {left} s: {}", single_line(reason))
        }
        EngineStatus::Paused { reason } => {
            format!("paused: {} (R resumes)", single_line(reason))
        }
    }
}

pub fn draw_status(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let engine_style = match app.status {
        EngineStatus::Paused { .. } => t.error,
        EngineStatus::Retrying { .. } => t.warning,
        _ => t.accent,
    };
    let mut spans = vec![Span::styled(
        format!(" {} ", engine_text(app)),
        engine_style,
    )];
    let counts: Vec<Span> = LocalState::ALL
        .into_iter()
        .filter_map(|state| {
            let n = app.tasks.count(state);
            (n > 0).then(|| {
                let (glyph, _) = state_label(state, 0);
                Span::styled(format!(" {glyph}{n}"), super::table::state_style(t, state))
            })
        })
        .collect();
    // No tasks, no empty counts section.
    if !counts.is_empty() {
        spans.push(Span::styled("│", t.border));
        spans.extend(counts);
        spans.push(Span::styled(" ", t.border));
    }
    spans.push(Span::styled("│ ", t.border));
    spans.push(Span::styled("session ", t.muted));
    spans.push(Span::styled(format::cost(app.session_cost()), t.cost));
    spans.push(Span::styled(" · all ", t.muted));
    spans.push(Span::styled(format::cost(app.history_cost()), t.cost));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(t.text), area);
}

/// The hints for what has focus, shortest first so 80 columns show the
/// essentials (help and quit always fit).
pub fn hints(app: &App) -> &'static [(&'static str, &'static str)] {
    match app.focus {
        Focus::Input => &[
            ("Enter", "submit"),
            ("Tab", "field"),
            ("^N/^P", "model"),
            ("Esc", "back"),
            ("^C", "quit"),
        ],
        Focus::Filter => &[
            ("Enter", "keep filter"),
            ("Esc", "clear"),
            ("↑↓", "move"),
            ("^C", "quit"),
        ],
        Focus::Detail => &[
            ("j/k", "scroll"),
            ("Esc", "table"),
            ("y", "copy"),
            ("d", "download"),
            ("?", "help"),
            ("q", "quit"),
        ],
        Focus::Table => &[
            ("n", "new"),
            ("y", "copy"),
            ("d", "dl"),
            ("D", "all"),
            ("r", "retry"),
            ("e", "edit"),
            ("/", "filter"),
            ("s", "sort"),
            ("?", "help"),
            ("q", "quit"),
        ],
    }
}

pub fn draw_hints(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let mut spans = vec![Span::raw(" ")];
    for (key, what) in hints(app) {
        spans.push(Span::styled(*key, t.key));
        spans.push(Span::styled(format!(":{what} "), t.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
