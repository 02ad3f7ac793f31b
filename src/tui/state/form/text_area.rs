//! The wrapping multi-line editor for TTS text and the longer prompts,
//! built on ratatui-textarea. The field's `Input` stays the one value the
//! rest of the form reads (counter, validation, history); every edit here
//! writes the text back to it.
//!
//! Keys are the shell-style ones every text field uses (not the widget's
//! own Emacs set, where `^U` would undo). A newline is `Alt-Enter`, and only
//! where the API takes one (TTS text); elsewhere pasted line breaks become
//! spaces.

use crate::tui::state::form::fields::Field;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::{CursorMove, TextArea, WrapMode};
use tui_input::Input;

/// Most rows a text area takes before it scrolls within itself.
pub const MAX_ROWS: usize = 6;

/// A fresh editor holding `value`, the cursor at its end. It has no
/// placeholder: the form draws an empty field's hint itself, in line with
/// the single-line fields.
pub fn new_area(value: &str) -> TextArea<'static> {
    let lines: Vec<String> = value.split('\n').map(str::to_string).collect();
    let mut area = TextArea::new(lines);
    area.set_wrap_mode(WrapMode::WordOrGlyph);
    area.move_cursor(CursorMove::Bottom);
    area.move_cursor(CursorMove::End);
    area
}

/// The text as the request will carry it.
fn text_of(area: &TextArea<'_>) -> String {
    area.lines().join("\n")
}

fn sync(field: &mut Field) {
    if let Some(area) = &field.area {
        field.input = Input::new(text_of(area));
    }
}

/// A key for a text area field; true when it edited or moved.
pub fn key(field: &mut Field, key: KeyEvent) -> bool {
    let Some(area) = field.area.as_mut() else {
        return false;
    };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    let word = ctrl || alt;
    match key.code {
        KeyCode::Char(c) if !word => area.insert_char(c),
        KeyCode::Backspace if word => {
            area.delete_word();
        }
        KeyCode::Char('w') if ctrl => {
            area.delete_word();
        }
        KeyCode::Char('h') if ctrl => {
            area.delete_char();
        }
        KeyCode::Backspace => {
            area.delete_char();
        }
        KeyCode::Delete if word => {
            area.delete_next_word();
        }
        KeyCode::Delete => {
            area.delete_next_char();
        }
        KeyCode::Char('d') if alt => {
            area.delete_next_word();
        }
        KeyCode::Char('k') if ctrl => {
            area.delete_line_by_end();
        }
        KeyCode::Char('u') if ctrl => {
            area.delete_line_by_head();
        }
        KeyCode::Left if word => area.move_cursor(CursorMove::WordBack),
        KeyCode::Right if word => area.move_cursor(CursorMove::WordForward),
        KeyCode::Char('b') if alt => area.move_cursor(CursorMove::WordBack),
        KeyCode::Char('f') if alt => area.move_cursor(CursorMove::WordForward),
        KeyCode::Left => area.move_cursor(CursorMove::Back),
        KeyCode::Right => area.move_cursor(CursorMove::Forward),
        KeyCode::Char('b') if ctrl => area.move_cursor(CursorMove::Back),
        KeyCode::Char('f') if ctrl => area.move_cursor(CursorMove::Forward),
        KeyCode::Home => area.move_cursor(CursorMove::Head),
        KeyCode::End => area.move_cursor(CursorMove::End),
        KeyCode::Char('a') if ctrl => area.move_cursor(CursorMove::Head),
        KeyCode::Char('e') if ctrl => area.move_cursor(CursorMove::End),
        _ => return false,
    }
    sync(field);
    true
}

/// A pasted text: line breaks stay only where the field takes them.
pub fn paste(field: &mut Field, text: &str) {
    let newlines = field.newlines;
    let Some(area) = field.area.as_mut() else {
        return;
    };
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    for c in text.chars() {
        match c {
            '\n' if newlines => area.insert_newline(),
            '\n' | '\t' => area.insert_char(' '),
            c if c.is_control() => {}
            c => area.insert_char(c),
        }
    }
    sync(field);
}

/// `Alt-Enter`: a line break, where the field takes one.
pub fn newline(field: &mut Field) -> bool {
    if !field.newlines {
        return false;
    }
    let Some(area) = field.area.as_mut() else {
        return false;
    };
    area.insert_newline();
    sync(field);
    true
}

/// `Up`/`Down` inside the text, by displayed row; false at the first or
/// last row (the form moves to another field then).
pub fn step(field: &mut Field, down: bool) -> bool {
    let Some(area) = field.area.as_mut() else {
        return false;
    };
    let before = area.cursor();
    area.move_cursor(if down {
        CursorMove::Down
    } else {
        CursorMove::Up
    });
    area.cursor() != before
}

/// Rows the text takes at `width` columns (word-wrapped, at least one),
/// before the cap of [`MAX_ROWS`].
pub fn rows(text: &str, width: usize) -> usize {
    let width = width.max(1);
    text.split('\n').map(|line| line_rows(line, width)).sum()
}

/// Greedy word wrap, as the widget does it; a word wider than the line is
/// cut by characters.
fn line_rows(line: &str, width: usize) -> usize {
    let mut rows = 1;
    let mut col = 0;
    for word in line.split_inclusive(' ') {
        let w = unicode_width::UnicodeWidthStr::width(word);
        let visible = unicode_width::UnicodeWidthStr::width(word.trim_end());
        if col + visible > width && col > 0 {
            rows += 1;
            col = 0;
        }
        if w > width {
            rows += (col + w).saturating_sub(1) / width;
            col = (col + w) % width;
        } else {
            col += w;
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_follow_the_width() {
        assert_eq!(rows("", 10), 1);
        assert_eq!(rows("short", 10), 1);
        assert_eq!(rows("one two three four", 10), 2);
        assert_eq!(rows("a\nb\nc", 10), 3);
        assert_eq!(rows(&"x".repeat(25), 10), 3);
    }
}
