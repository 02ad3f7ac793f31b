//! What the table's actions do: moving and scrolling, the panes, and the
//! actions on the selected task (edit, resubmit, copy, download, filter,
//! sort, resume). [`App::perform`] in `update.rs` dispatches to these.
//! Nothing here does I/O: side effects leave as [`Command`]s.

use crate::sanitize::single_line;
use crate::store::LocalState;
use crate::tui::keys::action::Action;
use crate::tui::state::{App, Command, Focus, Overlay};
use tui_input::Input;

impl App {
    pub(crate) fn page(&self) -> isize {
        (self.ui.table_rows.height.max(2) - 1) as isize
    }

    /// Moves the selection, or scrolls the help or the details when they
    /// have focus.
    pub(crate) fn step(&mut self, delta: isize) -> Option<Command> {
        let scroll = |at: u16| at.saturating_add_signed(delta.clamp(-999, 999) as i16);
        if self.overlays.shown == Overlay::Help {
            self.ui.help_scroll = scroll(self.ui.help_scroll);
        } else if self.focus == Focus::Detail {
            self.ui.detail_scroll = scroll(self.ui.detail_scroll);
        } else {
            self.move_selection(delta);
        }
        None
    }

    pub(crate) fn jump(&mut self, row: usize) -> Option<Command> {
        if self.overlays.shown == Overlay::Help {
            self.ui.help_scroll = if row == 0 { 0 } else { u16::MAX };
        } else if self.focus == Focus::Detail {
            self.ui.detail_scroll = if row == 0 { 0 } else { u16::MAX };
        } else {
            self.select_row(row);
        }
        None
    }

    pub(crate) fn next_pane(&mut self) -> Option<Command> {
        match self.focus {
            Focus::Detail | Focus::Filter => self.focus = Focus::Table,
            Focus::Table | Focus::Input => {
                self.focus = Focus::Input;
                self.form.focus = 0;
            }
        }
        None
    }

    pub(crate) fn prev_pane(&mut self) -> Option<Command> {
        if self.focus == Focus::Detail {
            self.focus = Focus::Input;
            self.form.focus = self.form.fields().len();
        } else {
            self.focus = Focus::Detail;
        }
        None
    }

    pub(crate) fn open_details(&mut self) -> Option<Command> {
        if self.overlays.shown == Overlay::Help {
            self.overlays.shown = Overlay::None;
        } else {
            self.focus = Focus::Detail;
        }
        None
    }

    /// Esc: closes what is open, innermost first.
    pub(crate) fn back(&mut self) -> Option<Command> {
        if self.overlays.shown == Overlay::Help {
            self.overlays.shown = Overlay::None;
            return None;
        }
        // Esc stops a playing result before it leaves anything.
        if self.playback != crate::tui::state::playback::Playback::Stopped {
            return self.stop_playback();
        }
        if self.back_from_takes() {
            return None;
        }
        match self.focus {
            Focus::Detail | Focus::Input => self.focus = Focus::Table,
            Focus::Filter => {
                self.clear_filter();
                self.focus = Focus::Table;
            }
            Focus::Table => self.clear_filter(),
        }
        None
    }

    pub(crate) fn clear_filter(&mut self) {
        self.filter_input = Input::default();
        self.filter_changed();
    }

    /// The table and a dub's cues follow the filter.
    pub(crate) fn filter_changed(&mut self) {
        let filter = self.filter_input.value();
        self.selection.tasks.set_filter(filter);
        if let Some(view) = &mut self.selection.segments {
            view.set_filter(filter);
        }
    }

    pub(crate) fn new_task(&mut self) -> Option<Command> {
        self.focus = Focus::Input;
        self.form.focus_first_field();
        // Another klang on the store may have added to the history.
        Some(Command::LoadHistory)
    }

    pub(crate) fn edit_selected(&mut self) -> Option<Command> {
        if let Some(params) = self.selected().map(|r| r.params.clone()) {
            self.form.load(&params);
            self.focus = Focus::Input;
            return Some(Command::LoadHistory);
        }
        None
    }

    pub(crate) fn resubmit_selected(&mut self) -> Option<Command> {
        if self.selection.segments.is_some() {
            return self.retake_segment();
        }
        let task = self.selected()?;
        let (id, state) = (task.id, task.state);
        if !matches!(
            state,
            LocalState::Failed | LocalState::SubmitFailed | LocalState::Lost
        ) {
            let retry = self.key_name(Action::Resubmit);
            let edit = self.key_name(Action::Edit);
            self.toast_error(format!(
                "{retry} resubmits failed tasks; #{id} is {state} ({edit} edits it into a new task)"
            ));
            return None;
        }
        if !self.has_key() {
            self.toast_error("no API key: set KLANG_API_KEY, or try klang --sandbox");
            return None;
        }
        Some(Command::Resubmit(id))
    }

    pub(crate) fn copy_selected(&mut self) -> Option<Command> {
        let task = self.selected()?;
        let Some(url) = task.first_url() else {
            let state = task.state;
            self.toast_error(format!("nothing to copy: the task is {state}"));
            return None;
        };
        // The URL came from the server: the exact URL, but nothing in it
        // that a paste could run (a newline runs commands in a shell) or
        // hide: what a URL may not hold raw is percent-encoded.
        Some(Command::Copy(crate::sanitize::url_for_clipboard(url)))
    }

    pub(crate) fn download_selected(&mut self) -> Option<Command> {
        let task = self.selected()?;
        let id = task.id;
        if task.state != LocalState::Completed || task.first_url().is_none() {
            let state = task.state;
            self.toast_error(format!("#{id} has no file yet: it is {state}"));
            return None;
        }
        if let Some(path) = task.local_path.as_deref()
            && std::path::Path::new(path).is_file()
        {
            let path = single_line(path).into_owned();
            self.toast(format!("#{id} is already at {path}"));
            return None;
        }
        // The engine refuses a second download of the same task itself.
        (!self.downloads.contains_key(&id)).then_some(Command::Download(id))
    }

    pub(crate) fn download_all(&mut self) -> Option<Command> {
        // The engine finds the completed tasks without a file in the store.
        if self.selection.tasks.count(LocalState::Completed) == 0 {
            self.toast("no completed task to download");
            return None;
        }
        self.toast("downloading every completed task that has no file yet");
        Some(Command::DownloadAll)
    }

    pub(crate) fn start_filter(&mut self) -> Option<Command> {
        self.focus = Focus::Filter;
        None
    }

    pub(crate) fn next_sort(&mut self) -> Option<Command> {
        let next = self.selection.tasks.sort().next();
        self.selection.tasks.set_sort(next);
        self.toast(format!("sorted by {}", next.label()));
        None
    }

    pub(crate) fn resume_engine(&mut self) -> Option<Command> {
        self.toast("resuming");
        Some(Command::Resume)
    }
}
