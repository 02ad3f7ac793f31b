//! The new-task form as lines: the model selector, a line (or a text
//! area's rows) per field, the voice list or history search under the
//! focused field, and the hint or error line. `view.rs` draws them.

use crate::api::Model;
use crate::api::voices;
use crate::sanitize::single_line;
use crate::tui::keys::action::Action;
use crate::tui::state::form::FieldKind;
use crate::tui::state::form::fields::Field;
use crate::tui::state::form::text_area;
use crate::tui::state::form::video_check::VideoCheck;
use crate::tui::state::{App, Focus};
use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};

/// Columns before a field's value: the focus marker and the label.
pub(crate) const LABEL_WIDTH: usize = 12;

/// The form's lines, the cursor (column, line) and the last line that
/// belongs to the focused field.
pub(crate) struct FormLines {
    pub(crate) lines: Vec<Line<'static>>,
    pub(crate) cursor: Option<(u16, usize)>,
    pub(crate) focus_end: usize,
    pub(crate) areas: Vec<AreaSpot>,
}

/// Where a text area field's editor goes, in form lines.
pub(crate) struct AreaSpot {
    pub(crate) field: usize,
    pub(crate) line: usize,
    pub(crate) rows: usize,
    pub(crate) x: u16,
    pub(crate) width: u16,
    pub(crate) focused: bool,
}

pub(crate) fn form_lines(app: &App, inner_width: u16) -> FormLines {
    let focused = app.focus == Focus::Input;
    let form = &app.form;
    let mut out = FormLines {
        lines: vec![model_selector(app, focused && form.focus == 0)],
        cursor: None,
        focus_end: 0,
        areas: Vec::new(),
    };
    for (i, field) in form.fields().iter().enumerate() {
        let on = focused && form.focus == i + 1;
        // A TTS text over one call's limit is a piece, not an error.
        let piece = field.name == "text" && form.piece_preview().is_some();
        out.push_field(&app.settings.theme, i, field, on, piece, inner_width);
        if field.name == "video" && form.model() == Model::VideoToAudio {
            let width = (inner_width as usize).saturating_sub(LABEL_WIDTH).max(1);
            out.lines.extend(video_check_line(
                &form.video_check,
                &app.settings.theme,
                LABEL_WIDTH,
                width,
            ));
        }
        if field.name == "text"
            && let Some(p) = form.piece_preview()
        {
            // Longer than one call takes: what Enter sends instead.
            out.lines.push(Line::from(vec![
                Span::raw(" ".repeat(LABEL_WIDTH)),
                Span::styled(
                    format!(
                        "{} characters: {} calls, ${:.4}, one piece",
                        crate::tui::state::pieces::grouped(p.characters),
                        p.calls,
                        p.cost_usd
                    ),
                    app.settings.theme.key,
                ),
            ]));
        }
        if on && field.name == "voice_id" {
            out.lines.extend(voice_list(app));
        }
        if on {
            out.focus_end = out.lines.len() - 1;
        }
    }
    if form.searching() {
        out.lines.extend(search_lines(app));
        out.focus_end = out.lines.len() - 1;
    }
    out.push_footer(app, focused);
    out
}

/// `›` before the focused row.
fn marker(t: &Theme, on: bool) -> Span<'static> {
    if on {
        Span::styled("›", t.key)
    } else {
        Span::raw(" ")
    }
}

fn label(t: &Theme, text: &str, on: bool) -> Span<'static> {
    let style = if on { t.key } else { t.muted };
    Span::styled(format!("{text:<w$}", w = LABEL_WIDTH - 1), style)
}

fn model_selector(app: &App, on: bool) -> Line<'static> {
    let t = &app.settings.theme;
    let model = app.form.model();
    let mut selector = vec![marker(t, on), label(t, "Model", on)];
    for m in Model::ALL {
        let style = if m == model { t.selected } else { t.muted };
        selector.push(Span::styled(format!(" {} ", m.short()), style));
        selector.push(Span::raw(" "));
    }
    selector.push(Span::styled(model.label(), t.text));
    Line::from(selector)
}

impl FormLines {
    /// The field's line, and the blank rows below it a text area covers.
    fn push_field(
        &mut self,
        t: &Theme,
        index: usize,
        field: &Field,
        on: bool,
        piece: bool,
        inner_width: u16,
    ) {
        let mut spans = vec![marker(t, on), label(t, field.label, on)];
        let mut rows = 1;
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
                rows = self.text_value(t, index, field, on, width, &mut spans);
                if let Some((text, over)) = counter {
                    let style = if over && !piece {
                        t.counter_over
                    } else {
                        t.muted
                    };
                    spans.push(Span::styled(format!(" {text}"), style));
                }
            }
        }
        self.lines.push(Line::from(spans));
        for _ in 1..rows {
            self.lines.push(Line::from(" ".repeat(LABEL_WIDTH)));
        }
    }

    /// A text field's value (or hint), `width` columns, into `spans`;
    /// returns the rows it takes. A text area's editor is drawn later over
    /// blank rows; a single line's cursor is noted here.
    fn text_value(
        &mut self,
        t: &Theme,
        index: usize,
        field: &Field,
        on: bool,
        width: usize,
        spans: &mut Vec<Span<'static>>,
    ) -> usize {
        let value = field.value();
        let line = self.lines.len();
        if value.is_empty() && !on {
            // Cut, never wrapped: a wrapped hint pushes the other fields
            // down and strands its last word on a line. A text area's hint
            // is drawn here too, not by the widget: its placeholder starts
            // one column late, after a cursor cell, out of line.
            spans.push(Span::styled(fit(field.hint, 0, width), t.muted));
            return 1;
        }
        if field.area.is_some() {
            let rows = text_area::rows(value, width).clamp(1, text_area::MAX_ROWS);
            spans.push(Span::raw(" ".repeat(width)));
            self.areas.push(AreaSpot {
                field: index,
                line,
                rows,
                x: LABEL_WIDTH as u16,
                width: width as u16,
                focused: on,
            });
            return rows;
        }
        let scroll = field.input.visual_scroll(width);
        spans.push(Span::styled(
            fit(&single_line(value), scroll, width),
            t.text,
        ));
        if on {
            let x = field.input.visual_cursor().saturating_sub(scroll);
            self.cursor = Some(((LABEL_WIDTH + x) as u16, line));
        }
        1
    }

    /// The error, else the form's keys, else how to start typing.
    fn push_footer(&mut self, app: &App, focused: bool) {
        let t = &app.settings.theme;
        match &app.form.error {
            Some((field, message)) => {
                self.lines.push(Line::from(Span::styled(
                    format!("⚠ {field}: {}", single_line(message)),
                    t.error,
                )));
                // The problem stays in sight with its field.
                self.focus_end = self.lines.len() - 1;
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
                self.lines.push(Line::from(spans));
            }
            None => self.lines.push(Line::from(vec![
                Span::styled(format!(" {}", app.key_name(Action::NewTask)), t.key),
                Span::styled(" to start typing", t.muted),
            ])),
        }
    }
}

/// Rows of the voice list shown under the focused Voice field.
const LIST_ROWS: usize = 5;

/// The voices on offer (narrowed by what is typed), a window of them
/// around the highlight.
fn voice_list(app: &App) -> Vec<Line<'static>> {
    let t = &app.settings.theme;
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
    let t = &app.settings.theme;
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
pub(crate) fn fit(text: &str, skip: usize, width: usize) -> String {
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

/// The line under the Video field, when there is something to say.
fn video_check_line(
    check: &VideoCheck,
    t: &Theme,
    indent: usize,
    width: usize,
) -> Option<Line<'static>> {
    let (text, style) = match check {
        VideoCheck::Idle => return None,
        VideoCheck::Checking { .. } => ("checking the video…".to_string(), t.muted),
        VideoCheck::Passed { facts, .. } => (format!("✓ {facts}"), t.text),
        VideoCheck::Refused { refusal, .. } => (format!("✗ {}", refusal.message), t.error),
    };
    let text = crate::sanitize::single_line(&text).into_owned();
    Some(Line::from(vec![
        Span::raw(" ".repeat(indent)),
        Span::styled(fit(&text, 0, width), style),
    ]))
}
