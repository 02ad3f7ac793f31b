//! The form's composing helpers: the voice picker, prompt history (`Up`,
//! `Down`, `Ctrl-R`) and the number of takes.

use super::InputForm;
use crate::api::Model;
use crate::api::voices::{self, Language};
use crate::engine::MAX_VARIATIONS;
use crate::tui::state::form::recall::{HistorySearch, history_field};
use crate::tui::state::form::text_area;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use tui_input::Input;
use tui_input::backend::crossterm::to_input_request;

/// What a key did while the `Ctrl-R` search was open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchOutcome {
    /// The search changed (or closed); redraw.
    Changed,
    /// Nothing happened.
    Ignored,
}

impl InputForm {
    fn focused_name(&self) -> Option<&'static str> {
        self.focused_field().map(|f| f.name)
    }

    fn set_focused_text(&mut self, value: &str) {
        if let Some(i) = self.focus.checked_sub(1)
            && let Some(field) = self.fields_mut().get_mut(i)
        {
            field.set_text(Some(value));
        }
    }

    fn set_field_text(&mut self, model: Model, name: &str, value: &str) {
        let index = Model::ALL.iter().position(|m| *m == model).unwrap_or(0);
        if let Some(field) = self.fields[index].iter_mut().find(|f| f.name == name) {
            field.set_text(Some(value));
        }
    }

    /// A field of the TTS form, whatever model is shown.
    fn tts_field(&self, name: &str) -> Option<&super::Field> {
        let index = Model::ALL
            .iter()
            .position(|m| *m == Model::Tts)
            .unwrap_or(0);
        self.fields[index].iter().find(|f| f.name == name)
    }

    /// The TTS language chosen in the form.
    pub fn language(&self) -> Language {
        self.tts_field("voice_language")
            .and_then(|f| super::LANGUAGES.get(f.choice))
            .and_then(|code| Language::parse(code))
            .unwrap_or(Language::En)
    }

    /// The Voice field's text (whatever the current model).
    pub fn voice(&self) -> String {
        self.tts_field("voice_id")
            .map(|f| f.value().to_string())
            .unwrap_or_default()
    }

    /// The picker's list is on screen: the Voice field has focus.
    pub fn picking_voice(&self) -> bool {
        self.focused_name() == Some("voice_id")
    }

    /// After any edit of the focused field.
    pub(super) fn after_edit(&mut self) {
        match self.focused_name() {
            Some("voice_id") => self.picker.typed(),
            Some("voice_language") => self.language_changed(),
            _ => {}
        }
    }

    /// A known voice that does not speak the new language gives way to
    /// that language's default; an id klang does not know stays.
    fn language_changed(&mut self) {
        let language = self.language();
        let voice = self.voice();
        if voices::find(voice.trim()).is_some_and(|v| !v.speaks(language)) {
            self.set_field_text(Model::Tts, "voice_id", voices::default_for(language));
        }
        self.reset_picker();
    }

    /// Focus arrived on a field: the voice list starts at the current voice
    /// unless the user was narrowing it.
    pub(super) fn entered_field(&mut self) {
        if self.picking_voice() && !self.picker.narrowing {
            self.reset_picker();
        }
    }

    pub(super) fn reset_picker(&mut self) {
        let (language, voice) = (self.language(), self.voice());
        self.picker.reset(language, &voice);
    }

    /// `Enter` on the Voice field picks the highlighted voice when it is
    /// not already the field's value; true when it did (no submit then).
    pub fn enter_picks(&mut self) -> bool {
        if !self.picking_voice() {
            return false;
        }
        let (language, typed) = (self.language(), self.voice());
        match self.picker.highlighted(language, &typed) {
            Some(voice) if voice.id != typed.trim() => {
                self.set_field_text(Model::Tts, "voice_id", voice.id);
                self.picker.reset(language, voice.id);
                self.error = None;
                true
            }
            _ => false,
        }
    }

    /// `Up`: the picker's highlight, else an older value from history;
    /// false when neither applies (the caller moves to the previous field).
    pub fn up(&mut self) -> bool {
        self.step(false)
    }

    /// `Down`: the picker's highlight, else a newer value from history.
    pub fn down(&mut self) -> bool {
        self.step(true)
    }

    fn step(&mut self, down: bool) -> bool {
        if self.picking_voice() {
            let (language, typed) = (self.language(), self.voice());
            return self.picker.step(language, &typed, down);
        }
        let Some(field) = self.focused_name().and_then(history_field) else {
            return false;
        };
        let current = self.text(field);
        let model = self.model;
        let value = if down {
            self.history.newer(model, field, &current)
        } else {
            self.history.older(model, field, &current)
        };
        match value {
            Some(value) => {
                self.set_focused_text(&value);
                self.error = None;
                true
            }
            // The user's own text: move within it, by displayed row.
            None => self.focused_mut().is_some_and(|f| text_area::step(f, down)),
        }
    }

    fn focused_mut(&mut self) -> Option<&mut super::Field> {
        let i = self.focus.checked_sub(1)?;
        self.fields_mut().get_mut(i)
    }

    /// `Alt-Enter`: a line break in a field that takes one; false elsewhere.
    pub fn newline(&mut self) -> bool {
        let done = self.focused_mut().is_some_and(text_area::newline);
        if done {
            self.error = None;
        }
        done
    }

    /// Stores the history the store answered for one field.
    pub fn set_history(&mut self, model: Model, field: &'static str, values: Vec<String>) {
        self.history.set(model, field, values);
    }

    /// `Ctrl-R`: opens the search over the focused field's history; false
    /// when the field keeps none.
    pub fn open_search(&mut self) -> bool {
        let Some(field) = self.focused_name().and_then(history_field) else {
            return false;
        };
        self.history.search = Some(HistorySearch {
            model: self.model,
            field,
            query: Input::default(),
            selected: 0,
        });
        true
    }

    pub fn searching(&self) -> bool {
        self.history.search.is_some()
    }

    /// Keys while the search is open: text narrows, `Up`/`Down` (and
    /// `Ctrl-R` again) move, `Enter` takes the match, `Esc` closes.
    pub fn search_key(&mut self, key: KeyEvent) -> SearchOutcome {
        let matches = self.history.matches().len();
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let Some(search) = self.history.search.as_mut() else {
            return SearchOutcome::Ignored;
        };
        match key.code {
            KeyCode::Esc => self.history.search = None,
            KeyCode::Enter => {
                let picked = self
                    .history
                    .matches()
                    .get(search_index(&self.history.search, matches))
                    .map(|s| s.to_string());
                self.history.search = None;
                if let Some(value) = picked {
                    self.set_focused_text(&value);
                    self.error = None;
                }
            }
            KeyCode::Down => search.selected = (search.selected + 1).min(matches.saturating_sub(1)),
            KeyCode::Char('n' | 'r') if ctrl => {
                search.selected = (search.selected + 1).min(matches.saturating_sub(1));
            }
            KeyCode::Up => search.selected = search.selected.saturating_sub(1),
            KeyCode::Char('p') if ctrl => search.selected = search.selected.saturating_sub(1),
            _ => match to_input_request(&Event::Key(key)) {
                Some(req) => {
                    search.query.handle(req);
                    search.selected = 0;
                }
                None => return SearchOutcome::Ignored,
            },
        }
        SearchOutcome::Changed
    }

    /// The number of takes, 1 to 8.
    pub fn count(&self) -> Result<usize, (String, String)> {
        let raw = self.text("count");
        let raw = raw.trim();
        match raw.parse::<usize>() {
            Ok(n) if (1..=MAX_VARIATIONS).contains(&n) => Ok(n),
            Err(_) if raw.is_empty() => Ok(1),
            _ => Err((
                "count".to_string(),
                format!("takes must be 1 to {MAX_VARIATIONS}, got {raw:?}"),
            )),
        }
    }
}

fn search_index(search: &Option<HistorySearch>, matches: usize) -> usize {
    search
        .as_ref()
        .map_or(0, |s| s.selected.min(matches.saturating_sub(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tts_form() -> InputForm {
        let mut form = InputForm::default();
        form.set_model(Model::Tts);
        form.focus_first_field();
        form
    }

    #[test]
    fn tts_starts_with_a_voice_that_speaks_its_language() {
        let mut form = tts_form();
        form.paste("Hello");
        match form.build() {
            Ok(crate::api::CreateRequest::Tts(p)) => {
                assert_eq!(p.voice_language, "en");
                assert_eq!(voices::check(&p.voice_id, "en"), voices::VoiceCheck::Known);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn switching_language_replaces_a_voice_that_cannot_speak_it() {
        let mut form = tts_form();
        form.focus = 3; // the language
        form.edit_focused(KeyEvent::from(KeyCode::Right));
        assert_eq!(form.language(), Language::Zh);
        assert_eq!(form.voice(), voices::default_for(Language::Zh));
        // A voice speaking both stays.
        form.set_field_text(Model::Tts, "voice_id", "ai_kaiya");
        form.edit_focused(KeyEvent::from(KeyCode::Right));
        assert_eq!(form.voice(), "ai_kaiya");
    }

    #[test]
    fn typing_narrows_and_enter_picks_then_submits() {
        let mut form = tts_form();
        form.focus = 2; // the voice
        form.set_focused_text("");
        form.paste("uk_m");
        assert!(form.enter_picks(), "picks the only match");
        assert_eq!(form.voice(), "uk_man2");
        assert!(!form.enter_picks(), "already picked: Enter submits");
        // A custom id with no match is left as typed.
        form.set_focused_text("");
        form.paste("my_new_voice");
        assert!(!form.enter_picks());
        assert_eq!(form.voice(), "my_new_voice");
    }

    #[test]
    fn count_is_checked() {
        let mut form = InputForm::default();
        assert_eq!(form.count(), Ok(1));
        form.set_field_text(Model::SoundEffects, "count", "3");
        assert_eq!(form.count(), Ok(3));
        form.set_field_text(Model::SoundEffects, "count", "9");
        assert_eq!(form.count().map_err(|e| e.0), Err("count".to_string()));
    }
}
