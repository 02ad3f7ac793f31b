//! Draws the new-task form (or, without an API key, how to set one).

use crate::sanitize::single_line;
use crate::tui::state::{App, Focus};
use crate::tui::ui::figures;
use crate::tui::ui::form_lines::{AreaSpot, form_lines};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    if !app.has_key() {
        return draw_no_key(frame, app, area);
    }
    let t = &app.settings.theme;
    let focused = app.focus == Focus::Input;
    let form = &app.form;
    let model = form.model();
    let title = match form.count() {
        Ok(n) if n > 1 => format!(" New task · {} ", model.price_for(n)),
        _ => format!(" New task · {} per call ", figures::cost(model.price_usd())),
    };
    let block = Block::bordered()
        .title(Span::styled(title, t.title))
        .border_style(if focused { t.border_focus } else { t.border });
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let form_lines = form_lines(app, inner.width);
    // The pane grows (see `wanted_height`); beyond that it scrolls so the
    // focused field and its list stay in sight.
    let offset = (form_lines.focus_end + 1).saturating_sub(inner.height as usize);
    let offset = u16::try_from(offset).unwrap_or(u16::MAX);
    frame.render_widget(
        Paragraph::new(form_lines.lines)
            .wrap(Wrap { trim: false })
            .scroll((offset, 0)),
        inner,
    );
    for spot in &form_lines.areas {
        draw_area(frame, app, inner, offset, spot);
    }
    if let Some((x, line)) = form_lines.cursor {
        let y = u16::try_from(line)
            .unwrap_or(u16::MAX)
            .saturating_sub(offset);
        if line >= offset as usize && y < inner.height {
            frame.set_cursor_position((
                (inner.x + x).min(inner.right().saturating_sub(1)),
                inner.y + y,
            ));
        }
    }
}

/// Rows the form would like, borders included, for the layout.
pub fn wanted_height(app: &App, width: u16) -> u16 {
    let lines = form_lines(app, width.saturating_sub(2)).lines.len();
    u16::try_from(lines + 2).unwrap_or(u16::MAX)
}

fn draw_no_key(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.settings.theme;
    let config = app.settings.config_file.display().to_string();
    let lines = vec![
        Line::from(Span::styled(
            "No API key is set, so nothing can be submitted.",
            t.error,
        )),
        Line::from(vec![
            Span::styled("Set ", t.text),
            Span::styled("KLANG_API_KEY", t.key),
            Span::styled(" or put ", t.text),
            Span::styled("api_key = \"...\"", t.key),
            Span::styled(" in ", t.text),
            Span::styled(single_line(&config).into_owned(), t.accent),
        ]),
        Line::from(vec![
            Span::styled("Try it for free: ", t.text),
            Span::styled("klang --sandbox", t.key),
            Span::styled(" (simulated tasks, no key needed)", t.muted),
        ]),
    ];
    let block = Block::bordered()
        .title(Span::styled(" No API key ", t.title))
        .border_style(t.border);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// One text area field's editor, over the rows its lines left blank.
fn draw_area(frame: &mut Frame, app: &App, inner: Rect, offset: u16, spot: &AreaSpot) {
    let t = &app.settings.theme;
    let Some(area) = app
        .form
        .fields()
        .get(spot.field)
        .and_then(|f| f.area.as_ref())
    else {
        return;
    };
    let first = spot.line.max(offset as usize);
    let last = spot.line + spot.rows;
    let top = first.saturating_sub(offset as usize);
    let height = last
        .saturating_sub(first)
        .min((inner.height as usize).saturating_sub(top));
    if height == 0 {
        return;
    }
    let rect = Rect::new(
        inner.x + spot.x,
        inner.y + top as u16,
        spot.width.min(inner.width.saturating_sub(spot.x)),
        height as u16,
    );
    let mut editor = area.clone();
    editor.set_style(t.text);
    editor.set_cursor_line_style(ratatui::style::Style::default());
    if spot.focused {
        editor.set_cursor_style(
            ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::REVERSED),
        );
    } else {
        editor.set_cursor_style(t.text);
    }
    frame.render_widget(&editor, rect);
}
