//! Everything known about the selected task: every request parameter, the
//! server's id, result URLs, failure reason, timestamps, file and last error.

use super::app::{App, Focus};
use super::format;
use super::table::{state_label, state_style, timing};
use crate::sanitize::terminal_safe;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let focused = app.focus == Focus::Detail;
    let block = Block::bordered()
        .title(Span::styled(" Details ", t.title))
        .border_style(if focused { t.border_focus } else { t.border });
    let Some(r) = app.selected() else {
        let hint = if app.has_key() {
            let new = app.key_name(super::action::Action::NewTask);
            format!("Select a task to see its details. {new} creates one.")
        } else {
            "No task selected.".to_string()
        };
        frame.render_widget(
            Paragraph::new(Span::styled(hint, t.muted)).block(block),
            area,
        );
        return;
    };

    // (label, value, style), laid out below once the widest label is known.
    let mut rows: Vec<(String, String, Style)> = Vec::new();
    let mut push = |name: &str, value: String, style: Style| {
        rows.push((name.to_string(), value, style));
    };

    // Most useful first: small terminals show only the top lines.
    let (glyph, word) = state_label(r.state, app.spinner);
    push(
        "state",
        format!("{glyph} {word}   #{}", r.id),
        state_style(t, r.state),
    );
    for (i, url) in r.result_urls.iter().enumerate() {
        push(if i == 0 { "result" } else { "" }, url.clone(), t.accent);
    }
    if let Some(msg) = &r.fail_msg {
        push("failMsg", msg.clone(), t.error);
    }
    if let Some(&(bytes, total)) = app.downloads.get(&r.id) {
        let total = total.map(|n| format!(" of {n}")).unwrap_or_default();
        push("download", format!("{bytes} bytes{total}"), t.downloading);
    }
    match &r.local_path {
        Some(path) => push("file", path.clone(), t.text),
        None if r.first_url().is_some() => {
            let key = app.key_name(super::action::Action::Download);
            push("file", format!("not downloaded ({key})"), t.muted)
        }
        None => {}
    }
    if let Some(err) = &r.last_error {
        push("last error", err.clone(), t.error);
    }
    push(
        "task id",
        r.task_id
            .clone()
            .unwrap_or_else(|| "(not created yet)".into()),
        t.text,
    );
    if let Some(group) = &r.group_id {
        let key = app.key_name(super::Action::Group);
        push(
            "takes",
            format!("group {group} ({key} shows them together)"),
            t.text,
        );
    }
    if r.starred {
        push("starred", "★ yes".into(), t.accent);
    }
    for (name, value) in r.params.fields() {
        push(name, value, t.text);
    }
    push("cost", format::cost(r.cost_usd), t.cost);
    let took = timing(r, app.clock.now_ms());
    if !took.is_empty() {
        let name = if r.generation_ms().is_some() {
            "took"
        } else {
            "running"
        };
        push(name, took, t.text);
    }
    if let Some(s) = r.audio_seconds() {
        push("audio", format::audio(s), t.text);
    }
    push("submitted", format::full_time(r.submitted_at), t.text);
    if let Some(ms) = r.create_time {
        push("created", format::full_time(ms), t.text);
    }
    if let Some(ms) = r.complete_time {
        push("completed", format::full_time(ms), t.text);
    }
    if let Some(ms) = r.last_poll_at {
        push("last poll", format::full_time(ms), t.muted);
    }
    if r.has_callback {
        push("callback", "yes (polling is the fallback)".into(), t.muted);
    }

    let lines = label_column(rows, area.width.saturating_sub(2), t.muted);
    let paragraph = Paragraph::new(lines)
        .block(block)
        .style(t.text)
        .wrap(Wrap { trim: false })
        .scroll((app.ui.detail_scroll, 0));
    frame.render_widget(paragraph, area);
}

/// Labels in a column as wide as the longest (up to a third of the pane),
/// always followed by a space, so `sound_effect_prompt` never runs into its
/// value. Multi-line values (a TTS text) keep their lines, indented.
fn label_column(
    rows: Vec<(String, String, Style)>,
    width: u16,
    muted: Style,
) -> Vec<Line<'static>> {
    let widest = rows
        .iter()
        .map(|(l, ..)| l.chars().count())
        .max()
        .unwrap_or(0);
    let column = widest.min(usize::from(width / 3)).max(8);
    let mut lines = Vec::new();
    for (name, value, style) in rows {
        for (i, part) in terminal_safe(&value).split('\n').enumerate() {
            let head = if i == 0 { name.as_str() } else { "" };
            // A label longer than the column gets its own line.
            if head.chars().count() > column {
                lines.push(Line::from(Span::styled(head.to_string(), muted)));
                lines.push(Line::from(vec![
                    Span::raw(" ".repeat(column + 1)),
                    Span::styled(part.to_string(), style),
                ]));
                continue;
            }
            lines.push(Line::from(vec![
                Span::styled(format!("{head:<column$} "), muted),
                Span::styled(part.to_string(), style),
            ]));
        }
    }
    lines
}
