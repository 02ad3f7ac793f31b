//! `x`: discarding a take, after a one-key confirmation (the same key
//! again; any other key keeps it), and keeping a discarded one again. The
//! row stays in the history, since it was paid for; only its file and its
//! loudness-matched copies go. A starred take is refused: unstar it first.

use crate::store::TaskRecord;
use crate::tui::keys::action::Action;
use crate::tui::state::{App, Command, Commands};

impl App {
    pub(crate) fn discard_selected(&mut self) -> Option<Command> {
        let take = self.selected()?;
        let id = take.id;
        if take.discarded {
            self.overlays.confirm_discard = None;
            return Some(Command::Discard { id, discard: false });
        }
        if take.starred {
            let star = self.key_name(Action::Star);
            self.toast_error(format!(
                "#{id} is starred: unstar it ({star}) before discarding it"
            ));
            return None;
        }
        if self.overlays.confirm_discard == Some(id) {
            self.overlays.confirm_discard = None;
            return Some(Command::Discard { id, discard: true });
        }
        self.overlays.confirm_discard = Some(id);
        if self.selection.takes.is_none() {
            let key = self.key_name(Action::Discard);
            self.toast_error(format!(
                "discard #{id}? its file is deleted, the row kept · {key} again: yes · any other key: no"
            ));
        }
        None
    }

    /// A key while a discard waits for its confirmation: anything but the
    /// discard key itself answers no. True when the key was the answer.
    pub(crate) fn cancel_discard_unless(&mut self, action: Option<Action>) -> bool {
        if self.overlays.confirm_discard.is_none() || action == Some(Action::Discard) {
            return false;
        }
        self.overlays.confirm_discard = None;
        self.toast("kept: nothing was discarded");
        true
    }

    pub(crate) fn on_discarded(&mut self, result: Result<Box<TaskRecord>, String>) -> Commands {
        match result {
            Ok(record) => {
                let id = record.id;
                self.toast(if record.discarded {
                    format!("discarded #{id}: its file is deleted (filter is:discarded shows it)")
                } else {
                    let download = self.key_name(Action::Download);
                    format!("kept #{id} again; {download} downloads its file")
                });
                self.selection.analyses.remove(&id);
                self.selection.upsert(*record);
            }
            Err(e) => self.toast_error(format!("not discarded: {e}")),
        }
        let mut commands = self.segments_changed();
        commands.push(Command::Redraw);
        commands
    }

    pub(crate) fn toggle_spectrogram(&mut self) -> Option<Command> {
        self.spectrogram = !self.spectrogram;
        None
    }
}
