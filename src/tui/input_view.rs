//! Draws the new-task form (or, without an API key, how to set one).

use super::action::Action;
use super::app::{App, Focus};
use super::format;
use super::input_form::FieldKind;
use super::text_area;
use crate::api::Model;
use crate::api::voices;
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

/// The form's lines, the cursor (column, line) and the last line that
/// belongs to the focused field.
struct FormLines {
    lines: Vec<Line<'static>>,
    cursor: Option<(u16, usize)>,
    focus_end: usize,
    areas: Vec<AreaSpot>,
}

/// Where a text area field's editor goes, in form lines.
struct AreaSpot {
    field: usize,
    line: usize,
    rows: usize,
    x: u16,
    width: u16,
    focused: bool,
}

fn form_lines(app: &App, inner_width: u16) -> FormLines {
    let t = &app.theme;
    let focused = app.focus == Focus::Input;
    let form = &app.form;
    let model = form.model();
    let mut focus_end = 0;
    let mut lines: Vec<Line<'static>> = Vec::new();
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
    let mut areas = Vec::new();
    for (i, field) in form.fields().iter().enumerate() {
        let on = focused && form.focus == i + 1;
        let line_index = lines.len();
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
                let width = (inner_width as usize)
                    .saturating_sub(LABEL_WIDTH + counter_width)
                    .max(1);
                let value = field.value();
                if field.area.is_some() {
                    let rows = text_area::rows(value, width).clamp(1, text_area::MAX_ROWS);
                    if value.is_empty() && !on {
                        // The hint is drawn here, not by the widget: its
                        // placeholder starts one column late, after a
                        // cursor cell, out of line with the other fields.
                        spans.push(Span::styled(fit(field.hint, 0, width), t.muted));
                    } else {
                        // Drawn over these blank rows by the text area widget.
                        spans.push(Span::raw(" ".repeat(width)));
                        areas.push(AreaSpot {
                            field: i,
                            line: line_index,
                            rows,
                            x: LABEL_WIDTH as u16,
                            width: width as u16,
                            focused: on,
                        });
                    }
                    if let Some((text, over)) = counter {
                        let style = if over { t.counter_over } else { t.muted };
                        spans.push(Span::styled(format!(" {text}"), style));
                    }
                    lines.push(Line::from(spans));
                    for _ in 1..rows {
                        lines.push(Line::from(" ".repeat(LABEL_WIDTH)));
                    }
                    if on {
                        focus_end = lines.len() - 1;
                    }
                    continue;
                }
                if value.is_empty() && !on {
                    // Cut, never wrapped: a wrapped hint pushes the other
                    // fields down and strands its last word on a line.
                    spans.push(Span::styled(fit(field.hint, 0, width), t.muted));
                } else {
                    let scroll = field.input.visual_scroll(width);
                    spans.push(Span::styled(
                        fit(&single_line(value), scroll, width),
                        t.text,
                    ));
                    if on {
                        let x = field.input.visual_cursor().saturating_sub(scroll);
                        cursor = Some(((LABEL_WIDTH + x) as u16, line_index));
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
        if on {
            focus_end = lines.len() - 1;
        }
    }
    if form.searching() {
        lines.extend(search_lines(app));
        focus_end = lines.len() - 1;
    }

    match &form.error {
        Some((field, message)) => {
            lines.push(Line::from(Span::styled(
                format!("⚠ {field}: {}", single_line(message)),
                t.error,
            )));
            // The problem stays in sight with its field.
            focus_end = lines.len() - 1;
        }
        None if focused => {
            let mut spans = Vec::new();
            for (action, what) in [
                (Action::Submit, "submit"),
                (Action::NextField, "next"),
                (Action::NextModel, "model"),
                (Action::Back, "back"),
            ] {
                spans.push(Span::styled(format!(" {}", app.key_name(action)), t.key));
                spans.push(Span::styled(format!(" {what} "), t.muted));
            }
            lines.push(Line::from(spans));
        }
        None => lines.push(Line::from(vec![
            Span::styled(format!(" {}", app.key_name(Action::NewTask)), t.key),
            Span::styled(" to start typing", t.muted),
        ])),
    }
    FormLines {
        lines,
        cursor,
        focus_end,
        areas,
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
        let text = match voices::find(typed.trim()) {
            Some(voice) => format!(
                "{pad}{} speaks {}, not {}: pick a {} voice",
                voice.id,
                voice.language_list(),
                language.code(),
                language.code()
            ),
            None => format!(
                "{pad}no {} voice matches: an id klang does not know is sent as typed",
                language.code()
            ),
        };
        return vec![Line::from(Span::styled(text, t.muted))];
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

/// `text` from column `skip`, cut and padded to exactly `width` columns
/// (wide characters count two, as the terminal draws them).
fn fit(text: &str, skip: usize, width: usize) -> String {
    let mut out = String::new();
    let (mut col, mut used) = (0, 0);
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if col < skip {
            col += w;
            continue;
        }
        if used + w > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push_str(&" ".repeat(width - used));
    out
}

/// One text area field's editor, over the rows its lines left blank.
fn draw_area(frame: &mut Frame, app: &App, inner: Rect, offset: u16, spot: &AreaSpot) {
    let t = &app.theme;
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
