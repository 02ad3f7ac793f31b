//! The whole screen: where each pane goes at each size. 80x24 keeps the
//! table, one bottom pane (the form while it has focus, the details
//! otherwise), the status line and key hints; bigger terminals show the form
//! and the details side by side.

pub mod details;
pub mod figures;
pub mod form;
pub mod form_lines;
pub mod help;
pub mod pieces;
pub mod playhead;
pub mod segments;
pub mod spectrogram;
pub mod stats_overlay;
pub mod status;
pub mod table;
pub mod takes;
pub mod waveform;

use crate::tui::keys::action::Action;
use crate::tui::keys::keymap::Key;
use crate::tui::state::{App, Focus, Overlay, ScreenLayout};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

/// Below this width or height the form and the details share one place.
pub const WIDE_MIN: (u16, u16) = (120, 32);
/// The form's height at its most compact (selector, four fields, message).
const COMPACT_BOTTOM: u16 = 8;

/// Draws the whole screen from the app, which it only reads.
pub fn draw(frame: &mut Frame, app: &App) {
    draw_laid(frame, app);
}

/// Draws the whole screen and returns what its layout learned; the loop
/// hands it back to the app as [`crate::tui::state::Message::Laid`] when it changed.
pub fn draw_laid(frame: &mut Frame, app: &App) -> ScreenLayout {
    let mut laid = app.layout();
    let area = frame.area();
    let filter_bar = app.focus == Focus::Filter || !app.selection.tasks.filter().is_empty();
    let [header, body, filter, status_area, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(u16::from(filter_bar)),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);

    draw_header(frame, app, header);
    let wide = area.width >= WIDE_MIN.0 && area.height >= WIDE_MIN.1;
    let bottom_height = if wide {
        (body.height * 2 / 5).max(COMPACT_BOTTOM + 2)
    } else {
        COMPACT_BOTTOM.min(body.height.saturating_sub(4))
    };
    // The form grows while it has focus (a voice list, a search), keeping
    // a few rows of the table in sight.
    let bottom_height = if app.focus == Focus::Input && app.has_key() {
        let width = if wide { body.width / 2 } else { body.width };
        let wanted = form::wanted_height(app, width);
        bottom_height.max(wanted.min(body.height.saturating_sub(5)))
    } else {
        bottom_height
    };
    let [table_area, bottom] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(bottom_height)]).areas(body);
    if let Some(view) = &app.selection.segments {
        // A piece's segments: in the table's place, the selected
        // segment's take across the whole bottom.
        segments::draw(frame, app, view, table_area);
        details::draw(frame, app, bottom);
    } else if app.selection.takes.is_some() {
        // Choosing among takes: the takes in the table's place, the
        // selected take's details across the whole bottom.
        takes::draw(frame, app, table_area);
        details::draw(frame, app, bottom);
    } else if wide {
        draw_tables(frame, app, table_area, wide, &mut laid);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(bottom);
        form::draw(frame, app, left);
        details::draw(frame, app, right);
    } else if app.focus == Focus::Input || (!app.has_key() && app.selected().is_none()) {
        draw_tables(frame, app, table_area, wide, &mut laid);
        // Without a key and with nothing selected, the bottom pane says how
        // to set one instead of an empty details pane.
        form::draw(frame, app, bottom);
    } else {
        draw_tables(frame, app, table_area, wide, &mut laid);
        details::draw(frame, app, bottom);
    }
    if filter_bar {
        draw_filter(frame, app, filter);
    }
    status::draw_status(frame, app, status_area);
    status::draw_hints(frame, app, hints);
    draw_toasts(frame, app, table_area);
    match app.overlays.shown {
        Overlay::Help => help::draw_help(frame, app, area, &mut laid),
        Overlay::Stats => stats_overlay::draw(frame, app, area),
        Overlay::ConfirmQuit => help::draw_confirm_quit(frame, app, area),
        Overlay::None => {}
    }
    laid
}

/// The pieces (when there are any) above the task table.
fn draw_tables(frame: &mut Frame, app: &App, area: Rect, wide: bool, laid: &mut ScreenLayout) {
    let (pieces_area, table_area) = pieces::split(app, area);
    if let Some(top) = pieces_area {
        pieces::draw(frame, app, top);
    }
    table::draw(frame, app, table_area, wide, laid);
}

fn draw_header(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.settings.theme;
    let mut spans = vec![Span::styled(" klang ", t.title)];
    if app.settings.sandbox {
        spans.push(Span::styled(" SANDBOX ", t.badge_sandbox));
        spans.push(Span::styled(
            " simulated tasks, nothing is charged",
            t.muted,
        ));
    } else if let Some(key) = &app.settings.key_hint {
        spans.push(Span::styled(format!(" key {key}"), t.muted));
    } else {
        spans.push(Span::styled(" no API key ", t.error));
        spans.push(Span::styled(" see below, or run klang --sandbox", t.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(t.text), area);
}

fn draw_filter(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.settings.theme;
    let typing = app.focus == Focus::Filter;
    let prefix = " filter / ";
    let value = crate::sanitize::single_line(app.filter_input.value()).into_owned();
    let keep = app
        .settings
        .keys
        .keys_of(Action::Submit)
        .first()
        .map(Key::short);
    let clear = app
        .settings
        .keys
        .keys_of(Action::Back)
        .first()
        .map(Key::short);
    let clear = clear.map(|k| format!("{k} clears")).unwrap_or_default();
    let hint = match keep {
        Some(keep) if typing => format!("  {keep} keeps · {clear}"),
        _ => format!("  {clear}"),
    };
    let width = area
        .width
        .saturating_sub((prefix.len() + hint.len()) as u16) as usize;
    let scroll = app.filter_input.visual_scroll(width);
    let shown: String = value.chars().skip(scroll).take(width).collect();
    let line = Line::from(vec![
        Span::styled(prefix, t.key),
        Span::styled(shown, t.text),
        Span::styled(hint.clone(), t.muted),
    ]);
    frame.render_widget(Paragraph::new(line), area);
    if typing {
        let x = area.x + prefix.len() as u16 + (app.filter_input.visual_cursor() - scroll) as u16;
        frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
    }
}

/// Toasts stack at the bottom right of the table, newest lowest, one line
/// each, so they never cover the form being typed in. A long one (a path,
/// a URL) loses its middle: its start says what happened, its end names
/// the file.
fn draw_toasts(frame: &mut Frame, app: &App, table: Rect) {
    let max_width = table.width.saturating_sub(4) as usize;
    if max_width < 10 || table.height < 4 {
        return;
    }
    // Inside the table's bottom border.
    let mut bottom = table.bottom() - 1;
    for toast in app.toasts.iter().rev() {
        let text = crate::sanitize::single_line(&toast.text);
        let text = format!(" {} ", middle_truncated(&text, max_width - 2));
        let width = unicode_width::UnicodeWidthStr::width(text.as_str()).min(max_width);
        if bottom < table.y + 3 {
            break;
        }
        let rect = Rect::new(
            table.right() - 2 - width as u16,
            bottom - 1,
            width as u16,
            1,
        );
        let style: Style = if toast.error {
            app.settings.theme.toast_error
        } else {
            app.settings.theme.toast
        };
        frame.render_widget(Clear, rect);
        frame.render_widget(Paragraph::new(text).style(style), rect);
        bottom -= 1;
    }
}

/// `text` in at most `width` columns: whole when it fits, else its start
/// and end around a `…`.
fn middle_truncated(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let columns = |c: char| c.width().unwrap_or(0);
    if unicode_width::UnicodeWidthStr::width(text) <= width {
        return text.to_string();
    }
    let keep = width.saturating_sub(1);
    let (head_budget, tail_budget) = (keep.div_ceil(2), keep / 2);
    let mut head = String::new();
    let mut used = 0;
    for c in text.chars() {
        if used + columns(c) > head_budget {
            break;
        }
        used += columns(c);
        head.push(c);
    }
    let mut tail = Vec::new();
    let mut used = 0;
    for c in text.chars().rev() {
        if used + columns(c) > tail_budget {
            break;
        }
        used += columns(c);
        tail.push(c);
    }
    head + "…" + &tail.into_iter().rev().collect::<String>()
}

#[cfg(test)]
mod toast_tests {
    use super::middle_truncated;

    #[test]
    fn a_long_toast_keeps_its_start_and_end_in_one_line() {
        let path = format!("saved #12 to /home/user/{}/rain.mp3", "deep/".repeat(30));
        let cut = middle_truncated(&path, 40);
        assert_eq!(unicode_width::UnicodeWidthStr::width(cut.as_str()), 40);
        assert!(
            cut.starts_with("saved #12 to /home/u") && cut.ends_with("/rain.mp3"),
            "{cut}"
        );
        assert!(cut.contains('…'));
        assert_eq!(middle_truncated("short", 40), "short");
    }
}
