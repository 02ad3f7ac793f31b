//! The new-task form: a model selector and that model's fields. Each model
//! keeps its own field values, so switching models loses nothing. The form
//! builds a `CreateRequest` and checks it with the API's own validation before
//! anything is sent; the first problem is shown inline, naming the field.
//! `fields` are the models' fields (ui/form_lines.rs lays them out, ui/form.rs
//! draws it), `create_request` turns them into a request and back, `recall`
//! brings back earlier prompts, `text_area` and `voice_picker`
//! are the multi-line field and the voice list.

use crate::api::Model;
use crossterm::event::{Event, KeyCode, KeyEvent};
use tui_input::InputRequest;
use tui_input::backend::crossterm::to_input_request;

pub use crate::tui::state::form::fields::{
    Field, FieldKind, SFX_PROMPT_MAX, TTS_TEXT_MAX, edit_input,
};
use crate::tui::state::form::fields::{LANGUAGES, fields_for};
use crate::tui::state::form::recall::FormHistory;
use crate::tui::state::form::video_check::VideoCheck;
use crate::tui::state::form::voice_picker::VoicePicker;

mod create_request;
mod editing;
pub mod fields;
pub mod recall;
pub mod text_area;
pub mod video_check;
pub mod voice_picker;
pub use editing::SearchOutcome;

#[derive(Clone, Debug)]
pub struct InputForm {
    model: Model,
    /// Fields of each model, indexed like `Model::ALL`.
    fields: [Vec<Field>; 3],
    /// 0 is the model selector; 1.. are the fields.
    pub focus: usize,
    /// The last validation problem: (field name, message).
    pub error: Option<(String, String)>,
    /// The Voice field's list.
    pub picker: VoicePicker,
    /// Earlier values of the text fields, and the `Ctrl-R` search.
    pub history: FormHistory,
    /// The check of the video-to-audio form's video URL.
    pub video_check: VideoCheck,
    /// The token of the latest check asked for.
    check_token: u64,
}

impl Default for InputForm {
    fn default() -> Self {
        let mut form = InputForm {
            model: Model::SoundEffects,
            fields: Model::ALL.map(fields_for),
            focus: 1,
            error: None,
            picker: VoicePicker::default(),
            history: FormHistory::default(),
            video_check: VideoCheck::Idle,
            check_token: 0,
        };
        form.reset_picker();
        form
    }
}

fn model_index(m: Model) -> usize {
    Model::ALL.iter().position(|x| *x == m).unwrap_or(0)
}

impl InputForm {
    pub fn model(&self) -> Model {
        self.model
    }

    pub fn fields(&self) -> &[Field] {
        &self.fields[model_index(self.model)]
    }

    fn fields_mut(&mut self) -> &mut Vec<Field> {
        &mut self.fields[model_index(self.model)]
    }

    /// The focused field, unless the selector has focus.
    pub fn focused_field(&self) -> Option<&Field> {
        self.focus.checked_sub(1).and_then(|i| self.fields().get(i))
    }

    /// A text field has focus: letters are text, never shortcuts.
    pub fn typing(&self) -> bool {
        self.focused_field().is_some_and(Field::is_text)
    }

    pub fn set_model(&mut self, model: Model) {
        self.model = model;
        self.error = None;
        self.focus = self.focus.min(self.fields().len());
    }

    pub fn cycle_model(&mut self, forward: bool) {
        let i = model_index(self.model);
        let n = Model::ALL.len();
        let next = if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        };
        self.set_model(Model::ALL[next]);
    }

    /// `n`: start on the first field of the selected model.
    pub fn focus_first_field(&mut self) {
        self.focus = 1;
    }

    /// Moves to the next field; false when already on the last one.
    pub fn next_field(&mut self) -> bool {
        if self.focus >= self.fields().len() {
            return false;
        }
        self.focus += 1;
        self.entered_field();
        true
    }

    /// Moves to the previous field; false when already on the selector.
    pub fn prev_field(&mut self) -> bool {
        if self.focus == 0 {
            return false;
        }
        self.focus -= 1;
        self.entered_field();
        true
    }

    /// Applies a line-editing request to the focused text field.
    pub fn edit_text(&mut self, req: InputRequest) {
        let Some(i) = self.focus.checked_sub(1) else {
            return;
        };
        if let Some(field) = self.fields_mut().get_mut(i)
            && field.is_text()
        {
            match (&mut field.area, req) {
                (Some(area), InputRequest::InsertChar(c)) => {
                    area.insert_char(c);
                    let text = area.lines().join("\n");
                    field.input = tui_input::Input::new(text);
                }
                _ => {
                    field.input.handle(req);
                }
            }
            self.error = None;
            self.after_edit();
        }
    }

    /// A key no action claimed, for the focused field: line editing in a
    /// text field, choosing on the selector, a toggle or a choice. Returns
    /// whether it changed anything.
    pub fn edit_focused(&mut self, key: KeyEvent) -> bool {
        if self.focus == 0 {
            return match key.code {
                KeyCode::Left | KeyCode::Char('h') => {
                    self.cycle_model(false);
                    true
                }
                KeyCode::Right | KeyCode::Char('l') | KeyCode::Char(' ') => {
                    self.cycle_model(true);
                    true
                }
                // The selector is not a text field, but the user is in the
                // form: swallow letters rather than fire table shortcuts.
                _ => false,
            };
        }
        let i = self.focus - 1;
        let Some(field) = self.fields_mut().get_mut(i) else {
            return false;
        };
        match field.kind {
            FieldKind::Toggle => match key.code {
                KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right => field.on = !field.on,
                KeyCode::Char('y') => field.on = true,
                KeyCode::Char('n') => field.on = false,
                _ => return false,
            },
            FieldKind::Choice(options) => {
                let n = options.len();
                match key.code {
                    KeyCode::Char(' ') | KeyCode::Right => field.choice = (field.choice + 1) % n,
                    KeyCode::Left => field.choice = (field.choice + n - 1) % n,
                    KeyCode::Char(c) => {
                        // Typing the first letter picks that option.
                        match options.iter().position(|o| o.starts_with(c)) {
                            Some(p) => field.choice = p,
                            None => return false,
                        }
                    }
                    _ => return false,
                }
            }
            FieldKind::Text { .. } if field.area.is_some() => {
                if !crate::tui::state::form::text_area::key(field, key) {
                    return false;
                }
            }
            FieldKind::Text { .. } => match to_input_request(&Event::Key(key)) {
                Some(req) => {
                    field.input.handle(req);
                }
                None => return false,
            },
        }
        self.error = None;
        self.after_edit();
        true
    }

    /// Bracketed paste into the focused text field; line breaks become
    /// spaces since every field is one line.
    pub fn paste(&mut self, text: &str) -> bool {
        if !self.typing() {
            return false;
        }
        let i = self.focus - 1;
        if let Some(field) = self.fields_mut().get_mut(i)
            && field.area.is_some()
        {
            crate::tui::state::form::text_area::paste(field, text);
        } else if let Some(field) = self.fields_mut().get_mut(i) {
            for c in text.chars() {
                let c = if c == '\n' || c == '\r' || c == '\t' {
                    ' '
                } else {
                    c
                };
                if !c.is_control() {
                    field.input.handle(InputRequest::InsertChar(c));
                }
            }
        }
        self.error = None;
        self.after_edit();
        true
    }

    fn field(&self, name: &str) -> Option<&Field> {
        self.fields().iter().find(|f| f.name == name)
    }

    fn text(&self, name: &str) -> String {
        self.field(name)
            .map(|f| f.value().to_string())
            .unwrap_or_default()
    }

    fn optional(&self, name: &str) -> Option<String> {
        Some(self.text(name).trim().to_string()).filter(|s| !s.is_empty())
    }

    /// Puts the problem on screen and focus on the field it names.
    pub fn show_error(&mut self, field: String, message: String) {
        let pos = self
            .fields()
            .iter()
            .position(|f| f.name == field || (f.name == "video" && field.starts_with("video")));
        if let Some(p) = pos {
            self.focus = p + 1;
        }
        self.error = Some((field, message));
    }

    /// After a successful submit: the main text goes, settings stay, so the
    /// next task starts clean without retyping duration or voice.
    pub fn clear_main_text(&mut self) {
        if let Some(f) = self.fields_mut().first_mut() {
            f.set_text(None);
        }
        self.error = None;
    }
}
