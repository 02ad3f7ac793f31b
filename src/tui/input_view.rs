//! Draws the new-task form (or, without an API key, how to set one).

use super::app::{App, Focus};
use super::format;
use super::input_form::FieldKind;
use crate::api::Model;
use crate::sanitize::single_line;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

const LABEL_WIDTH: usize = 12;

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    if !app.has_key() {
        return draw_no_key(frame, app, area);
    }
    let t = &app.theme;
    let focused = app.focus == Focus::Input;
    let form = &app.form;
    let model = form.model();
    let title = match form.count() {
        Ok(n) if n > 1 => format!(" New task · {} ", model.price_for(n)),
        _ => format!(" New task · {} per call ", format::cost(model.price_usd())),
    };
    let block = Block::bordered()
        .title(Span::styled(title, t.title))
        .border_style(if focused { t.border_focus } else { t.border });
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let mut lines: Vec<Line> = Vec::new();
    let marker = |on: bool| {
        if on {
            Span::styled("›", t.key)
        } else {
            Span::raw(" ")
        }
    };
    let label = |text: &str, on: bool| {
        let style = if on { t.key } else { t.muted };
        Span::styled(format!("{text:<w$}", w = LABEL_WIDTH - 1), style)
    };

    // The model selector.
    let on = focused && form.focus == 0;
    let mut selector = vec![marker(on), label("Model", on)];
    for m in Model::ALL {
        let style = if m == model { t.selected } else { t.muted };
        selector.push(Span::styled(format!(" {} ", m.short()), style));
        selector.push(Span::raw(" "));
    }
    selector.push(Span::styled(model.label(), t.text));
    lines.push(Line::from(selector));

    let mut cursor = None;
    for (i, field) in form.fields().iter().enumerate() {
        let on = focused && form.focus == i + 1;
        let y = inner.y + lines.len() as u16;
        let mut spans = vec![marker(on), label(field.label, on)];
        match field.kind {
            FieldKind::Toggle => {
                let (mark, word) = if field.on {
                    ("[x]", "on")
                } else {
                    ("[ ]", "off")
                };
                spans.push(Span::styled(format!("{mark} {word}"), t.text));
            }
            FieldKind::Choice(options) => {
                let value = options.get(field.choice).copied().unwrap_or("");
                spans.push(Span::styled(format!("◀ {value} ▶"), t.text));
            }
            FieldKind::Text { .. } => {
                let counter = field.counter();
                let counter_width = counter.as_ref().map_or(0, |(c, _)| c.len() + 1);
                let width = (inner.width as usize)
                    .saturating_sub(LABEL_WIDTH + counter_width)
                    .max(1);
                let value = field.value();
                if value.is_empty() && !on {
                    spans.push(Span::styled(format!("{:<width$}", field.hint), t.muted));
                } else {
                    let scroll = field.input.visual_scroll(width);
                    let shown: String = single_line(value)
                        .chars()
                        .skip(scroll)
                        .take(width)
                        .collect();
                    spans.push(Span::styled(format!("{shown:<width$}"), t.text));
                    if on {
                        let x = field.input.visual_cursor().saturating_sub(scroll);
                        cursor = Some((inner.x + (LABEL_WIDTH + x) as u16, y));
                    }
                }
                if let Some((text, over)) = counter {
                    let style = if over { t.counter_over } else { t.muted };
                    spans.push(Span::styled(format!(" {text}"), style));
                }
            }
        }
        lines.push(Line::from(spans));
        if on && field.name == "voice_id" {
            lines.extend(voice_list(app));
        }
    }
    if form.searching() {
        lines.extend(search_lines(app));
    }

    match &form.error {
        Some((field, message)) => lines.push(Line::from(Span::styled(
            format!("⚠ {field}: {}", single_line(message)),
            t.error,
        ))),
        None if focused => lines.push(Line::from(vec![
            Span::styled(" Enter", t.key),
            Span::styled(" submit  ", t.muted),
            Span::styled("Tab", t.key),
            Span::styled(" next  ", t.muted),
            Span::styled("^N/^P", t.key),
            Span::styled(" model  ", t.muted),
            Span::styled("Esc", t.key),
            Span::styled(" back", t.muted),
        ])),
        None => lines.push(Line::from(vec![
            Span::styled(" n", t.key),
            Span::styled(" to start typing", t.muted),
        ])),
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    if let Some((x, y)) = cursor
        && y < inner.bottom()
    {
        frame.set_cursor_position((x.min(inner.right().saturating_sub(1)), y));
    }
}

fn draw_no_key(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let config = app.config_file.display().to_string();
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

/// Rows of the voice list shown under the focused Voice field.
const LIST_ROWS: usize = 5;

/// The voices on offer (narrowed by what is typed), a window of them
/// around the highlight.
fn voice_list(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let form = &app.form;
    let (language, typed) = (form.language(), form.voice());
    let list = form.picker.candidates(language, &typed);
    let pad = " ".repeat(LABEL_WIDTH);
    if list.is_empty() {
        return vec![Line::from(Span::styled(
            format!("{pad}no {} voice matches: sent as typed", language.code()),
            t.muted,
        ))];
    }
    let at = form.picker.highlight.min(list.len() - 1);
    let start = at.saturating_sub(LIST_ROWS - 1);
    let mut lines: Vec<Line<'static>> = list
        .iter()
        .enumerate()
        .skip(start)
        .take(LIST_ROWS)
        .map(|(i, voice)| {
            let mark = if i == at { "▸ " } else { "  " };
            let style = if i == at { t.selected } else { t.text };
            Line::from(vec![
                Span::raw(pad.clone()),
                Span::styled(format!("{mark}{:<28}", voice.id), style),
                Span::styled(format!(" {}", voice.language_list()), t.muted),
            ])
        })
        .collect();
    lines.push(Line::from(Span::styled(
        format!("{pad}{}/{} · ↑/↓ move, Enter picks", at + 1, list.len()),
        t.muted,
    )));
    lines
}

/// The `Ctrl-R` search: its query and the matches, newest first.
fn search_lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let history = &app.form.history;
    let Some(search) = &history.search else {
        return Vec::new();
    };
    let matches = history.matches();
    let mut lines = vec![Line::from(vec![
        Span::styled(" history search: ", t.key),
        Span::styled(format!("{}▏", single_line(search.query.value())), t.text),
        Span::styled(
            format!("  {} match(es) · Enter takes, Esc closes", matches.len()),
            t.muted,
        ),
    ])];
    let at = search.selected.min(matches.len().saturating_sub(1));
    let start = at.saturating_sub(LIST_ROWS - 1);
    for (i, entry) in matches.iter().enumerate().skip(start).take(LIST_ROWS) {
        let style = if i == at { t.selected } else { t.text };
        let mark = if i == at { " ▸ " } else { "   " };
        lines.push(Line::from(Span::styled(
            format!("{mark}{}", single_line(entry)),
            style,
        )));
    }
    lines
}
