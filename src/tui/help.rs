//! Overlays: the key help (`?`) and the quit confirmation.

use super::app::App;
use super::keys::BINDINGS;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

pub fn draw_help(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let key_width = BINDINGS
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(10);
    let mut lines: Vec<Line> = BINDINGS
        .iter()
        .map(|(keys, what)| {
            Line::from(vec![
                Span::styled(format!(" {keys:<key_width$}  "), t.key),
                Span::styled(*what, t.text),
            ])
        })
        .collect();
    lines.push(Line::from(Span::styled(
        " Keys go to a focused text field first: there, letters are text.",
        t.muted,
    )));
    let rect = centered(area, 80, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).style(t.text).block(
            Block::bordered()
                .title(Span::styled(" Help · Esc closes ", t.title))
                .border_style(t.border_focus),
        ),
        rect,
    );
}

pub fn draw_confirm_quit(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let running = app.engine().map_or(0, |e| e.downloads_running());
    let text = vec![
        Line::from(Span::styled(
            format!("{running} download(s) still running; quitting stops them."),
            t.text,
        )),
        Line::from(vec![
            Span::styled("Quit anyway? ", t.text),
            Span::styled("y", t.key),
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
