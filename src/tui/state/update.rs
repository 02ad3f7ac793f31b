//! Terminal events to actions, and what each action does. Keys go to
//! whatever has focus first: an overlay, then the form or the filter prompt
//! (where a key that types text is text), and only then the table. The key
//! map (`tui/keys/keymap.rs`) turns a key into an [`Action`]; [`App::perform`]
//! is the one place that says what each action does, one method each
//! (the table's in `actions.rs`, the composing ones in
//! `compose.rs`, the form's here).
//! Nothing here does I/O: side effects leave as [`Command`]s.

use crate::tui::keys::action::{Action, Scope};
use crate::tui::state::form::SearchOutcome;
use crate::tui::state::{App, Command, Commands, Focus, Overlay};
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind,
};
use tui_input::InputRequest;
use tui_input::backend::crossterm::to_input_request;

/// What a key does in a text field, if it types a character. Such keys
/// are text, never shortcuts (AltGr characters included).
fn typed_char(key: &KeyEvent) -> Option<InputRequest> {
    match to_input_request(&Event::Key(*key)) {
        Some(req @ InputRequest::InsertChar(_)) => Some(req),
        _ => None,
    }
}

impl App {
    pub(crate) fn on_terminal(&mut self, event: Event) -> Commands {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            Event::Paste(text) => self.on_paste(&text),
            Event::Mouse(mouse) if self.settings.mouse => self.on_mouse(mouse),
            Event::Resize(..) => vec![Command::Redraw],
            Event::FocusGained => {
                self.term_focused = true;
                Vec::new()
            }
            Event::FocusLost => {
                self.term_focused = false;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Commands {
        match self.overlays.shown {
            Overlay::Help => return self.on_help_key(key),
            Overlay::Stats => return self.on_stats_key(key),
            Overlay::ConfirmQuit => return self.on_confirm_quit_key(key),
            Overlay::None => {}
        }
        let action = match self.focus {
            Focus::Input => {
                if self.form.searching() && !self.settings.keys.is(&key, Action::ForceQuit) {
                    return match self.form.search_key(key) {
                        SearchOutcome::Changed => vec![Command::Redraw],
                        SearchOutcome::Ignored => Vec::new(),
                    };
                }
                if self.form.typing()
                    && let Some(req) = typed_char(&key)
                {
                    self.form.edit_text(req);
                    return vec![Command::Redraw];
                }
                match self.settings.keys.action(&key, Scope::Form) {
                    Some(action) => action,
                    None if self.form.edit_focused(key) => return vec![Command::Redraw],
                    None => return Vec::new(),
                }
            }
            Focus::Filter => {
                if let Some(req) = typed_char(&key) {
                    return self.edit_filter(req);
                }
                match self.settings.keys.action(&key, Scope::Filter) {
                    Some(action) => action,
                    None => match to_input_request(&Event::Key(key)) {
                        Some(req) => return self.edit_filter(req),
                        None => return Vec::new(),
                    },
                }
            }
            Focus::Table | Focus::Detail => {
                let action = self.settings.keys.action(&key, Scope::Table);
                if self.cancel_discard_unless(action) {
                    return vec![Command::Redraw];
                }
                match action {
                    Some(action) => action,
                    None => return Vec::new(),
                }
            }
        };
        self.perform(action)
    }

    /// The help overlay scrolls and closes; nothing else reaches the table.
    fn on_help_key(&mut self, key: KeyEvent) -> Commands {
        use Action::*;
        match self.settings.keys.action(&key, Scope::Table) {
            Some(
                a @ (Up | Down | Top | Bottom | PageUp | PageDown | HalfPageUp | HalfPageDown
                | Back | Help | Quit | Details | ForceQuit),
            ) => self.perform(a),
            _ => Vec::new(),
        }
    }

    /// The stats overlay closes on Back, Quit or its own key.
    fn on_stats_key(&mut self, key: KeyEvent) -> Commands {
        use Action::*;
        match self.settings.keys.action(&key, Scope::Table) {
            Some(ForceQuit) => vec![Command::Quit],
            Some(Back | Quit | Stats) => {
                self.overlays.shown = Overlay::None;
                vec![Command::Redraw]
            }
            _ => Vec::new(),
        }
    }

    fn on_confirm_quit_key(&mut self, key: KeyEvent) -> Commands {
        let yes = matches!(key.code, KeyCode::Char('y' | 'Y') | KeyCode::Enter)
            || self.settings.keys.is(&key, Action::Quit)
            || self.settings.keys.is(&key, Action::ForceQuit);
        if yes {
            return vec![Command::Quit];
        }
        self.overlays.shown = Overlay::None;
        vec![Command::Redraw]
    }

    /// What every action does: one method per action. The key that led
    /// here is already resolved; focus and overlays decide the details.
    pub fn perform(&mut self, action: Action) -> Commands {
        let command = match action {
            Action::Up if self.focus == Focus::Input => self.form_up(),
            Action::Down if self.focus == Focus::Input => self.form_down(),
            Action::Up => self.step(-1),
            Action::Down => self.step(1),
            Action::Top => self.jump(0),
            Action::Bottom => self.jump(usize::MAX),
            Action::PageUp => self.step(-self.page()),
            Action::PageDown => self.step(self.page()),
            Action::HalfPageUp => self.step(-self.page() / 2),
            Action::HalfPageDown => self.step(self.page() / 2),
            Action::NextPane => self.next_pane(),
            Action::PrevPane => self.prev_pane(),
            Action::Details => self.open_details(),
            Action::Back => self.back(),
            Action::NewTask => self.new_task(),
            Action::Edit => self.edit_selected(),
            Action::Resubmit => self.resubmit_selected(),
            Action::Copy => self.copy_selected(),
            Action::Download => self.download_selected(),
            Action::DownloadAll => self.download_all(),
            Action::Play => self.play_selected(),
            Action::Filter => self.start_filter(),
            Action::Sort => self.next_sort(),
            Action::Resume => self.resume_engine(),
            Action::Submit => self.submit(),
            Action::NextField => self.next_field(),
            Action::PrevField => self.prev_field(),
            Action::NextModel => self.cycle_model(true),
            Action::PrevModel => self.cycle_model(false),
            Action::HistorySearch => self.open_history_search(),
            Action::Newline => self.newline(),
            Action::Star => self.star_selected(),
            Action::Group => self.open_takes(),
            Action::Discard => self.discard_selected(),
            Action::Spectrogram => self.toggle_spectrogram(),
            Action::Render => self.export_audio_selected(),
            Action::Mux => self.mux_selected(),
            Action::Loop => self.loop_selected(),
            Action::Bed => self.bed_of_group(),
            Action::Stats => Some(Command::LoadStats),
            Action::Help => self.toggle_help(),
            Action::Quit => self.quit(),
            Action::ForceQuit => Some(Command::Quit),
        };
        match command {
            Some(Command::Quit) => vec![Command::Quit],
            Some(command) => vec![command, Command::Redraw],
            None => vec![Command::Redraw],
        }
    }

    /// Enter in the form sends the task; in the filter prompt, keeps the
    /// filter. A second Enter while a submit is in flight does nothing.
    fn submit(&mut self) -> Option<Command> {
        if self.focus == Focus::Filter {
            self.focus = Focus::Table;
            return None;
        }
        if self.submitting.is_some() {
            return None;
        }
        if self.form.enter_picks() {
            return None;
        }
        if !self.has_key() {
            self.toast_error("no API key: set KLANG_API_KEY, or try klang --sandbox");
            return None;
        }
        if let Some(why) = self.form.video_check_blocks() {
            self.toast_error(why);
            return None;
        }
        if let Some(piece) = self.form.piece() {
            return self.submit_piece(piece);
        }
        match self.form.build().and_then(|r| Ok((r, self.form.count()?))) {
            Ok((request, count)) => {
                self.warn_unknown_voice(&request);
                self.submitting = Some(request.model());
                Some(Command::Submit { request, count })
            }
            Err((field, message)) => {
                self.form.show_error(field, message);
                None
            }
        }
    }

    /// Tab past the last field goes on to the details.
    fn next_field(&mut self) -> Option<Command> {
        if !self.form.next_field() {
            self.focus = Focus::Detail;
        }
        None
    }

    /// Shift-Tab before the first field goes back to the table.
    fn prev_field(&mut self) -> Option<Command> {
        if !self.form.prev_field() {
            self.focus = Focus::Table;
        }
        None
    }

    fn cycle_model(&mut self, forward: bool) -> Option<Command> {
        self.form.cycle_model(forward);
        None
    }

    fn toggle_help(&mut self) -> Option<Command> {
        if self.overlays.shown == Overlay::Help {
            self.overlays.shown = Overlay::None;
        } else {
            self.overlays.shown = Overlay::Help;
            self.ui.help_scroll = 0;
        }
        None
    }

    /// Quits, after asking while downloads run (the engine's own count).
    fn quit(&mut self) -> Option<Command> {
        if self.overlays.shown == Overlay::Help {
            self.overlays.shown = Overlay::None;
            return None;
        }
        if self.downloads.is_empty() {
            return Some(Command::Quit);
        }
        self.overlays.shown = Overlay::ConfirmQuit;
        None
    }

    /// The first key bound to `action`, for messages ("R resumes",
    /// "Esc closes"); the action's name when it has no key.
    pub fn key_name(&self, action: Action) -> String {
        self.settings
            .keys
            .keys_of(action)
            .first()
            .map_or_else(|| action.name().to_string(), |k| k.short())
    }

    fn edit_filter(&mut self, req: InputRequest) -> Commands {
        self.filter_input.handle(req);
        self.filter_changed();
        vec![Command::Redraw]
    }

    fn on_paste(&mut self, text: &str) -> Commands {
        match self.focus {
            Focus::Input if self.form.paste(text) => vec![Command::Redraw],
            Focus::Filter => {
                for c in text.chars().filter(|c| !c.is_control()) {
                    self.filter_input.handle(InputRequest::InsertChar(c));
                }
                self.filter_changed();
                vec![Command::Redraw]
            }
            _ => Vec::new(),
        }
    }

    fn on_mouse(&mut self, mouse: MouseEvent) -> Commands {
        let area = self.ui.table_rows;
        match mouse.kind {
            MouseEventKind::ScrollDown => self.move_selection(3),
            MouseEventKind::ScrollUp => self.move_selection(-3),
            MouseEventKind::Down(MouseButton::Left)
                if area.contains(ratatui::layout::Position::new(mouse.column, mouse.row)) =>
            {
                let row = self.ui.table_offset + (mouse.row - area.y) as usize;
                if row < self.selection.tasks.len() {
                    self.select_row(row);
                    self.focus = Focus::Table;
                }
            }
            _ => return Vec::new(),
        }
        vec![Command::Redraw]
    }
}
