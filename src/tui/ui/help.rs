//! Overlays: the key help and the quit confirmation. The help is made from
//! the key map, so it shows the user's own keys; it wraps long lines and
//! scrolls with the movement keys when it does not fit.

use crate::tui::keys::action::{Action, FIXED_KEYS, Scope};
use crate::tui::state::{App, ScreenLayout};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use strum::IntoEnumIterator;

pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

/// (keys, description) for every action, grouped by the scope it is
/// listed under (its first), each group after a title row (keys empty).
pub fn help_rows(app: &App) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    for scope in Scope::iter() {
        let actions: Vec<Action> = Action::iter()
            .filter(|a| a.info().scopes.first() == Some(&scope))
            .collect();
        if actions.is_empty() {
            continue;
        }
        rows.push((String::new(), scope.title().to_string()));
        for action in actions {
            rows.push((
                app.settings.keys.describe(action),
                action.info().description.into(),
            ));
        }
    }
    rows.push((String::new(), "Not rebindable".into()));
    for (keys, what) in FIXED_KEYS {
        rows.push((keys.to_string(), what.to_string()));
    }
    rows
}

/// Splits `text` into lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let Some(line) = lines.last_mut() else { break };
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if len > 0 {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

/// Draws the help; its scroll, clamped to its length, goes into `laid`.
pub fn draw_help(frame: &mut Frame, app: &App, area: Rect, laid: &mut ScreenLayout) {
    // The header (SANDBOX badge) and the status lines stay visible.
    let area = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(3),
        ..area
    };
    let t = &app.settings.theme;
    let rows = help_rows(app);
    let width = area.width.min(100);
    // Inside the border, one space either side.
    let inner = width.saturating_sub(4) as usize;
    let key_width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(10)
        .min(inner / 3);
    let text_width = inner.saturating_sub(key_width + 2);
    let mut lines: Vec<Line> = Vec::new();
    for (keys, what) in &rows {
        if keys.is_empty() {
            lines.push(Line::from(Span::styled(format!(" {what}"), t.title)));
            continue;
        }
        let key_lines = wrap(keys, key_width);
        let what_lines = wrap(what, text_width);
        for i in 0..key_lines.len().max(what_lines.len()) {
            let k = key_lines.get(i).map_or("", String::as_str);
            let w = what_lines.get(i).map_or("", String::as_str);
            lines.push(Line::from(vec![
                Span::styled(format!(" {k:<key_width$}  "), t.key),
                Span::styled(w.to_string(), t.text),
            ]));
        }
    }
    lines.push(Line::from(Span::styled(
        " Keys go to a focused text field first: there, letters are text.",
        t.muted,
    )));
    let height = (lines.len() as u16 + 2).min(area.height);
    let visible = height.saturating_sub(2);
    let max_scroll = (lines.len() as u16).saturating_sub(visible);
    laid.help_scroll = laid.help_scroll.min(max_scroll);
    let scroll = laid.help_scroll;
    let t = &app.settings.theme;
    let close = app.key_name(Action::Back);
    let mut block = Block::bordered()
        .title(Span::styled(format!(" Help · {close} closes "), t.title))
        .border_style(t.border_focus);
    if max_scroll > 0 {
        let (down, up) = (app.key_name(Action::Down), app.key_name(Action::Up));
        block = block.title_bottom(
            Line::from(Span::styled(
                format!(
                    " {down}/{up} scroll · {}/{} ",
                    scroll + visible,
                    lines.len()
                ),
                t.muted,
            ))
            .right_aligned(),
        );
    }
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .style(t.text)
            .block(block)
            .scroll((scroll, 0)),
        rect,
    );
}

pub fn draw_confirm_quit(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.settings.theme;
    let running = app.downloads.len();
    let quit = app.key_name(Action::Quit);
    let key: Style = t.key;
    let text = vec![
        Line::from(Span::styled(
            format!("{running} download(s) still running; quitting stops them."),
            t.text,
        )),
        Line::from(vec![
            Span::styled("Quit anyway? ", t.text),
            Span::styled(format!("y or {quit}"), key),
            Span::styled(" quits, any other key stays", t.muted),
        ]),
    ];
    let rect = centered(area, 60, 4);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(Span::styled(" Quit? ", t.title))
                .border_style(t.border_focus),
        ),
        rect,
    );
}
