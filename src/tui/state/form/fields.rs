//! The form's fields (what each model asks for, with defaults and limits)
//! and line editing for the filter prompt (tui-input's own key map).

use crate::api::Model;
use crossterm::event::{Event, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::to_input_request;

pub use crate::api::{SFX_PROMPT_MAX, TTS_TEXT_MAX};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text, with an optional limit in characters for the counter.
    Text {
        limit: Option<usize>,
    },
    Toggle,
    /// One of a few fixed values.
    Choice(&'static [&'static str]),
}

#[derive(Clone, Debug)]
pub struct Field {
    /// The name validation errors use (`ValidationError::field`).
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub kind: FieldKind,
    pub input: Input,
    pub on: bool,
    pub choice: usize,
    /// A wrapping multi-line editor (long text); `input` keeps its value.
    pub area: Option<ratatui_textarea::TextArea<'static>>,
    /// Line breaks are part of the value (Alt-Enter, paste).
    pub newlines: bool,
}

impl Field {
    fn text(
        name: &'static str,
        label: &'static str,
        hint: &'static str,
        limit: Option<usize>,
    ) -> Field {
        Field {
            name,
            label,
            hint,
            kind: FieldKind::Text { limit },
            input: Input::default(),
            on: false,
            choice: 0,
            area: None,
            newlines: false,
        }
    }

    fn with_value(mut self, v: &str) -> Field {
        self.set_text(Some(v));
        self
    }

    /// Edited in a wrapping text area; `newlines` when the API takes them.
    fn long(mut self, newlines: bool) -> Field {
        self.newlines = newlines;
        self.area = Some(crate::tui::state::form::text_area::new_area(
            self.input.value(),
        ));
        self
    }

    pub fn value(&self) -> &str {
        self.input.value()
    }

    /// "12/200", and whether it is over the limit.
    pub fn counter(&self) -> Option<(String, bool)> {
        let FieldKind::Text { limit: Some(limit) } = self.kind else {
            return None;
        };
        let n = self.value().chars().count();
        Some((format!("{n}/{limit}"), n > limit))
    }

    pub fn is_text(&self) -> bool {
        matches!(self.kind, FieldKind::Text { .. })
    }

    pub(crate) fn set_text(&mut self, v: Option<&str>) {
        let v = v.unwrap_or_default();
        self.input = Input::new(v.to_string());
        if self.area.is_some() {
            self.area = Some(crate::tui::state::form::text_area::new_area(v));
        }
    }
}

pub(crate) const LANGUAGES: &[&str] = &["en", "zh"];

/// Every model's fields end with the number of takes.
pub(crate) fn fields_for(model: Model) -> Vec<Field> {
    let mut fields = model_fields(model);
    fields.push(
        Field::text("count", "Takes", "1 to 8 tasks with these parameters", None).with_value("1"),
    );
    fields
}

fn model_fields(model: Model) -> Vec<Field> {
    match model {
        Model::SoundEffects => vec![
            Field::text(
                "prompt",
                "Prompt",
                "what it should sound like",
                Some(SFX_PROMPT_MAX),
            )
            .long(false),
            Field::text("duration", "Duration", "seconds, 3.0 to 10.0", None).with_value("5.0"),
        ],
        Model::VideoToAudio => vec![
            Field::text(
                "video",
                "Video",
                "https:// URL (MP4/MOV, 3-20 s) or video id",
                None,
            ),
            Field::text("sound_effect_prompt", "SFX prompt", "optional", None).long(false),
            Field::text("bgm_prompt", "BGM prompt", "optional", None).long(false),
            Field {
                kind: FieldKind::Toggle,
                ..Field::text("asmr_mode", "ASMR mode", "Space toggles", None)
            },
        ],
        Model::Tts => vec![
            Field::text("text", "Text", "what to say", Some(TTS_TEXT_MAX)).long(true),
            Field::text(
                "voice_id",
                "Voice",
                "type to narrow the list, ↑/↓ and Enter pick",
                None,
            )
            .with_value(crate::api::voices::default_for(
                crate::api::voices::Language::En,
            )),
            Field {
                kind: FieldKind::Choice(LANGUAGES),
                ..Field::text("voice_language", "Language", "←/→ or Space", None)
            },
            Field::text("voice_speed", "Speed", "0.8 to 2.0", None).with_value("1.0"),
        ],
    }
}

/// Line editing for the filter prompt, as in every text field: the keys
/// tui-input knows (shell-style: ^W, ^U, ^K, ^A, ^E, Alt-B/F...).
pub fn edit_input(input: &mut Input, key: KeyEvent) -> bool {
    match to_input_request(&Event::Key(key)) {
        Some(req) => input.handle(req).is_some(),
        None => false,
    }
}
