//! What the composing actions do (stars, the form's
//! `Up`/`Down` and history search) and when a task's end rings the bell.
//! Like `update.rs`, nothing here does I/O: it returns [`Command`]s.

use crate::api::CreateRequest;
use crate::api::voices::{self, VoiceCheck};
use crate::notify;
use crate::store::{LocalState, TaskRecord, now_ms};
use crate::tui::state::{App, Command};
use std::time::{Duration, Instant};

impl App {
    /// `Up` in the form: the voice list, then history, then the previous
    /// field.
    pub(crate) fn form_up(&mut self) -> Option<Command> {
        if !self.form.up() && !self.form.prev_field() {
            self.focus = crate::tui::state::Focus::Table;
        }
        None
    }

    /// `Down` in the form: the voice list, then history, then the next field.
    pub(crate) fn form_down(&mut self) -> Option<Command> {
        if !self.form.down() {
            self.form.next_field();
        }
        None
    }

    pub(crate) fn open_history_search(&mut self) -> Option<Command> {
        if !self.form.open_search() {
            self.toast("no history for this field: prompts and texts are remembered");
        }
        None
    }

    pub(crate) fn newline(&mut self) -> Option<Command> {
        if !self.form.newline() {
            self.toast("this field is one line: Alt-Enter breaks lines in the TTS text only");
        }
        None
    }

    pub(crate) fn star_selected(&mut self) -> Option<Command> {
        let id = self.selected()?.id;
        Some(Command::ToggleStar(id))
    }

    /// A voice id klang does not know is sent (upstream may have added
    /// it), with a word that it is not in the table.
    pub(crate) fn warn_unknown_voice(&mut self, request: &CreateRequest) {
        if let CreateRequest::Tts(p) = request
            && voices::check(&p.voice_id, &p.voice_language) == VoiceCheck::Unknown
        {
            self.toast(voices::unknown_warning(p.voice_id.trim()));
        }
    }

    /// The bell's bytes when `record` has just ended and the `notify`
    /// setting wants it; at most one per burst of completions.
    pub(crate) fn bell_for(
        &mut self,
        was: Option<LocalState>,
        record: &TaskRecord,
    ) -> Option<Vec<u8>> {
        let ended = matches!(
            record.state,
            LocalState::Completed | LocalState::Failed | LocalState::Lost
        );
        if !ended || was.is_none_or(|s| s.is_final()) {
            return None;
        }
        let ran_ms = record
            .generation_ms()
            .unwrap_or_else(|| record.elapsed_ms(now_ms()));
        let ran_for = Duration::from_millis(u64::try_from(ran_ms).unwrap_or(0));
        if !notify::wants_bell(self.settings.notify, self.term_focused, ran_for) {
            return None;
        }
        if !self.bell_gate.admit(Instant::now()) {
            return None;
        }
        let summary: String = record.summary.chars().take(60).collect();
        let message = format!("#{} {}: {summary}", record.id, record.state);
        Some(notify::bell_bytes(&self.settings.term_env, &message))
    }
}
