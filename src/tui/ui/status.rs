//! The status line (engine state, counts, costs) and the key hints under it.

use super::figures;
use crate::engine::EngineStatus;
use crate::sanitize::single_line;
use crate::store::LocalState;
use crate::tui::keys::action::Action;
use crate::tui::keys::keymap::Key;
use crate::tui::state::{App, Focus};
use crate::tui::ui::table::state_label;
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
        EngineStatus::Paused { reason } | EngineStatus::StoreFailed { reason } => {
            let resume = app.key_name(Action::Resume);
            format!("paused: {} ({resume} resumes)", single_line(reason))
        }
    }
}

pub fn draw_status(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.settings.theme;
    let engine_style = match app.status {
        EngineStatus::Paused { .. } | EngineStatus::StoreFailed { .. } => t.error,
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
            let n = app.selection.tasks.count(state);
            (n > 0).then(|| {
                let (glyph, _) = state_label(state, 0);
                Span::styled(
                    format!(" {glyph}{n}"),
                    crate::tui::ui::table::state_style(t, state),
                )
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
    spans.push(Span::styled(figures::cost(app.session_cost()), t.cost));
    spans.push(Span::styled(" · all ", t.muted));
    spans.push(Span::styled(figures::cost(app.history_cost()), t.cost));
    // Today's spend against the daily cap, when one is set.
    if let Some(today) = app.budget_today() {
        let style = if today.spent_usd >= today.cap_usd * 0.9 {
            t.warning
        } else {
            t.cost
        };
        spans.push(Span::styled(" · today ", t.muted));
        spans.push(Span::styled(
            format!(
                "{}/{}",
                figures::cost(today.spent_usd),
                figures::cost(today.cap_usd)
            ),
            style,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(t.text), area);
}

/// The hints for what has focus, most used first so 80 columns show the
/// essentials: (actions whose keys are shown, what the hint says). The
/// keys come from the key map, so a rebound key shows as the user set it.
fn hint_actions(app: &App) -> Vec<(&'static [Action], &'static str)> {
    use Action::*;
    let own = |a: &'static [Action]| (a, a.first().map_or("", |a| a.info().hint));
    match app.focus {
        Focus::Input => vec![
            own(&[Submit]),
            own(&[NextField]),
            (&[NextModel, PrevModel], "model"),
            own(&[Back]),
            own(&[ForceQuit]),
        ],
        Focus::Filter => vec![
            (&[Submit], "keep filter"),
            (&[Back], "clear"),
            (&[Down, Up], "move"),
            own(&[ForceQuit]),
        ],
        Focus::Detail => vec![
            (&[Down, Up], "scroll"),
            (&[Back], "table"),
            own(&[Copy]),
            (&[Download], "download"),
            own(&[Help]),
            own(&[Quit]),
        ],
        Focus::Table => [
            NewTask,
            Copy,
            Download,
            DownloadAll,
            Resubmit,
            Edit,
            Filter,
            Sort,
            Help,
            Quit,
        ]
        .iter()
        .map(|a| (std::slice::from_ref(a), a.info().hint))
        .collect(),
    }
}

/// (keys, what) as the hint bar shows them. In the form and the filter a
/// key that types text is skipped (there it is text).
pub fn hints(app: &App) -> Vec<(String, &'static str)> {
    let typing = matches!(app.focus, Focus::Input | Focus::Filter);
    hint_actions(app)
        .into_iter()
        .filter_map(|(actions, what)| {
            let keys: Vec<String> = actions
                .iter()
                .filter_map(|a| {
                    app.settings
                        .keys
                        .keys_of(*a)
                        .iter()
                        .find(|k| !(typing && k.types_text()))
                        .map(Key::short)
                })
                .collect();
            (!keys.is_empty()).then(|| (keys.join("/"), what))
        })
        .collect()
}

pub fn draw_hints(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.settings.theme;
    let mut spans = vec![Span::raw(" ")];
    for (key, what) in hints(app) {
        spans.push(Span::styled(key, t.key));
        spans.push(Span::styled(format!(":{what} "), t.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
