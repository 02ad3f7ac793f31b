//! Terminal events to actions. Keys go to whatever has focus first: an
//! overlay, then the form or the filter prompt (where letters are text), and
//! only then the table's shortcuts. Ctrl-C quits from anywhere.

use super::app::{App, Effect, Focus, Overlay};
use super::input_form::{FormOutcome, edit_input};
use crate::engine::SubmitError;
use crate::sanitize::single_line;
use crate::store::LocalState;
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use tui_input::Input;

impl App {
    pub(super) fn on_terminal(&mut self, event: Event) -> Effect {
        // Keys act on rows as the user sees them.
        self.tasks.refresh_view();
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            Event::Paste(text) => self.on_paste(&text),
            Event::Mouse(mouse) if self.mouse => self.on_mouse(mouse),
            Event::Resize(..) => Effect::Redraw,
            _ => Effect::Nothing,
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Effect {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            return Effect::Quit;
        }
        match self.overlay {
            Overlay::Help => {
                if matches!(
                    key.code,
                    KeyCode::Esc | KeyCode::Char('?' | 'q') | KeyCode::Enter
                ) {
                    self.overlay = Overlay::None;
                }
                return Effect::Redraw;
            }
            Overlay::ConfirmQuit => {
                return match key.code {
                    KeyCode::Char('y' | 'Y' | 'q') | KeyCode::Enter => Effect::Quit,
                    _ => {
                        self.overlay = Overlay::None;
                        Effect::Redraw
                    }
                };
            }
            Overlay::None => {}
        }
        match self.focus {
            Focus::Input => self.on_form_key(key),
            Focus::Filter => self.on_filter_key(key),
            Focus::Table | Focus::Detail => self.on_shortcut(key),
        }
    }

    fn on_form_key(&mut self, key: KeyEvent) -> Effect {
        match self.form.handle_key(key) {
            FormOutcome::Submit => self.submit(),
            FormOutcome::Leave | FormOutcome::PrevPane => self.focus = Focus::Table,
            FormOutcome::NextPane => self.focus = Focus::Detail,
            FormOutcome::Handled => {}
            FormOutcome::Ignored => return Effect::Nothing,
        }
        Effect::Redraw
    }

    fn on_filter_key(&mut self, key: KeyEvent) -> Effect {
        match key.code {
            KeyCode::Esc => {
                self.filter_input = Input::default();
                self.tasks.set_filter("");
                self.focus = Focus::Table;
            }
            KeyCode::Enter | KeyCode::Tab => self.focus = Focus::Table,
            // Moving while filtering keeps the prompt open.
            KeyCode::Down => self.move_selection(1),
            KeyCode::Up => self.move_selection(-1),
            _ => {
                if !edit_input(&mut self.filter_input, key) {
                    return Effect::Nothing;
                }
                self.tasks.set_filter(self.filter_input.value());
            }
        }
        Effect::Redraw
    }

    fn on_paste(&mut self, text: &str) -> Effect {
        match self.focus {
            Focus::Input if self.form.paste(text) => Effect::Redraw,
            Focus::Filter => {
                for c in text.chars().filter(|c| !c.is_control()) {
                    self.filter_input
                        .handle(tui_input::InputRequest::InsertChar(c));
                }
                self.tasks.set_filter(self.filter_input.value());
                Effect::Redraw
            }
            _ => Effect::Nothing,
        }
    }

    fn page(&self) -> isize {
        (self.ui.table_rows.height.max(2) - 1) as isize
    }

    fn on_shortcut(&mut self, key: KeyEvent) -> Effect {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let in_detail = self.focus == Focus::Detail;
        match key.code {
            KeyCode::Char('j') | KeyCode::Down if in_detail => {
                self.ui.detail_scroll = self.ui.detail_scroll.saturating_add(1)
            }
            KeyCode::Char('k') | KeyCode::Up if in_detail => {
                self.ui.detail_scroll = self.ui.detail_scroll.saturating_sub(1)
            }
            KeyCode::Char('j') | KeyCode::Down => self.move_selection(1),
            KeyCode::Char('k') | KeyCode::Up => self.move_selection(-1),
            KeyCode::Char('g') | KeyCode::Home => self.select_row(0),
            KeyCode::Char('G') | KeyCode::End => self.select_row(usize::MAX),
            KeyCode::PageDown => self.move_selection(self.page()),
            KeyCode::PageUp => self.move_selection(-self.page()),
            KeyCode::Char('d') if ctrl => self.move_selection(self.page() / 2),
            KeyCode::Char('u') if ctrl => self.move_selection(-self.page() / 2),
            KeyCode::Tab => {
                if in_detail {
                    self.focus = Focus::Table;
                } else {
                    self.focus = Focus::Input;
                    self.form.focus = 0;
                }
            }
            KeyCode::BackTab => {
                if in_detail {
                    self.focus = Focus::Input;
                    self.form.focus = self.form.fields().len();
                } else {
                    self.focus = Focus::Detail;
                }
            }
            KeyCode::Enter if !in_detail => self.focus = Focus::Detail,
            KeyCode::Esc if in_detail => self.focus = Focus::Table,
            KeyCode::Esc if !self.tasks.filter().is_empty() => {
                self.filter_input = Input::default();
                self.tasks.set_filter("");
            }
            KeyCode::Char('n') => {
                self.focus = Focus::Input;
                self.form.focus_first_field();
            }
            KeyCode::Char('e') => self.edit_selected(),
            KeyCode::Char('y') => self.copy_selected(),
            KeyCode::Char('d') => self.download_selected(),
            KeyCode::Char('D') => self.download_all(),
            KeyCode::Char('r') => self.resubmit_selected(),
            KeyCode::Char('R') => self.resume_engine(),
            KeyCode::Char('/') => self.focus = Focus::Filter,
            KeyCode::Char('s') => {
                let next = self.tasks.sort().next();
                self.tasks.set_sort(next);
                self.toast(format!("sorted by {}", next.label()));
            }
            KeyCode::Char('?') => self.overlay = Overlay::Help,
            KeyCode::Char('q') => {
                let running = self.engine.as_ref().map_or(0, |e| e.downloads_running());
                if running == 0 {
                    return Effect::Quit;
                }
                self.overlay = Overlay::ConfirmQuit;
            }
            _ => return Effect::Nothing,
        }
        Effect::Redraw
    }

    fn on_mouse(&mut self, mouse: MouseEvent) -> Effect {
        let area = self.ui.table_rows;
        match mouse.kind {
            MouseEventKind::ScrollDown => self.move_selection(3),
            MouseEventKind::ScrollUp => self.move_selection(-3),
            MouseEventKind::Down(MouseButton::Left)
                if area.contains(ratatui::layout::Position::new(mouse.column, mouse.row)) =>
            {
                let row = self.ui.table_offset + (mouse.row - area.y) as usize;
                if row < self.tasks.len() {
                    self.select_row(row);
                    self.focus = Focus::Table;
                }
            }
            _ => return Effect::Nothing,
        }
        Effect::Redraw
    }

    fn submit(&mut self) {
        if !self.has_key() {
            self.toast_error("no API key: set KLANG_API_KEY, or try klang --sandbox");
            return;
        }
        let request = match self.form.build() {
            Ok(r) => r,
            Err((field, message)) => return self.form.show_error(field, message),
        };
        let Some(engine) = self.engine.clone() else {
            return self.toast_error("the engine is not running; restart klang");
        };
        let price = request.model().price_usd();
        match engine.submit(request) {
            Ok(id) => {
                self.note_submitted(id);
                self.form.clear_main_text();
                self.focus = Focus::Table;
                self.toast(format!("submitted #{id} ({})", super::format::cost(price)));
            }
            Err(SubmitError::Invalid(e)) => self.form.show_error(e.field.to_string(), e.message),
            Err(e) => self.toast_error(format!("not submitted: {e}")),
        }
    }

    fn edit_selected(&mut self) {
        if let Some(params) = self.selected().map(|r| r.params.clone()) {
            self.form.load(&params);
            self.focus = Focus::Input;
        }
    }

    fn copy_selected(&mut self) {
        let Some(task) = self.selected() else { return };
        let Some(url) = task.first_url() else {
            let state = task.state;
            return self.toast_error(format!("nothing to copy: the task is {state}"));
        };
        // The URL came from the server: never let it carry a control
        // character into the user's clipboard (a pasted newline runs
        // commands in a shell).
        let url = single_line(url).into_owned();
        match self.clipboard.copy(&url) {
            Ok(()) => self.toast(format!("copied {url}")),
            Err(e) => self.toast_error(format!("{e}; the URL is {url}")),
        }
    }

    fn download_selected(&mut self) {
        let Some(task) = self.selected() else { return };
        let id = task.id;
        if task.state != LocalState::Completed || task.first_url().is_none() {
            let state = task.state;
            return self.toast_error(format!("#{id} has no file yet: it is {state}"));
        }
        if let Some(path) = task.local_path.as_deref()
            && std::path::Path::new(path).is_file()
        {
            let path = single_line(path).into_owned();
            return self.toast(format!("#{id} is already at {path}"));
        }
        if self.downloads.contains_key(&id) {
            return;
        }
        if let Some(engine) = &self.engine {
            engine.download(id, None);
            self.downloads.insert(id, (0, None));
        }
    }

    fn download_all(&mut self) {
        let todo = self
            .tasks
            .all()
            .iter()
            .filter(|r| r.state == LocalState::Completed && r.local_path.is_none())
            .count();
        if todo == 0 {
            return self.toast("every completed task is already downloaded");
        }
        if let Some(engine) = &self.engine {
            engine.download_all();
            self.toast(format!("downloading {todo} completed tasks"));
        }
    }

    fn resubmit_selected(&mut self) {
        let Some(task) = self.selected() else { return };
        let (id, state) = (task.id, task.state);
        if !matches!(
            state,
            LocalState::Failed | LocalState::SubmitFailed | LocalState::Lost
        ) {
            return self.toast_error(format!(
                "r resubmits failed tasks; #{id} is {state} (e edits it into a new task)"
            ));
        }
        if !self.has_key() {
            return self.toast_error("no API key: set KLANG_API_KEY, or try klang --sandbox");
        }
        let Some(engine) = self.engine.clone() else {
            return;
        };
        match engine.resubmit(id) {
            Ok(new_id) => {
                self.note_submitted(new_id);
                self.toast(format!("resubmitted #{id} as #{new_id}"));
            }
            Err(e) => self.toast_error(format!("not resubmitted: {e}")),
        }
    }

    fn resume_engine(&mut self) {
        if let Some(engine) = &self.engine {
            engine.resume();
            self.toast("resuming");
        }
    }
}

/// Shown in the help overlay: (keys, what they do).
pub const BINDINGS: &[(&str, &str)] = &[
    ("j / k / ↓ / ↑", "move in the table (scroll in details)"),
    ("g / G", "first / last task"),
    ("PgUp / PgDn, ^U / ^D", "page / half page"),
    (
        "Tab / Shift-Tab",
        "next / previous pane (in the form: field)",
    ),
    ("Enter", "table: open details · form: submit"),
    ("n", "new task (form, first field)"),
    (
        "←/→, ^N/^P",
        "change model (on the selector / anywhere in form)",
    ),
    ("Space", "toggle ASMR / language in the form"),
    ("^W, ^U, Home/End", "edit text: delete word, line; jump"),
    ("e", "edit: load the task's parameters into the form"),
    ("r", "resubmit a failed task with the same parameters"),
    ("y", "copy the result URL (OSC 52, works over SSH)"),
    ("d / D", "download this file / every new completed one"),
    (
        "/",
        "filter by text, model or state (Enter keeps, Esc clears)",
    ),
    ("s", "sort: newest, oldest, state, cost, duration"),
    ("R", "resume after a paused engine (key or credits fixed)"),
    ("Esc", "leave the form, filter, details or this help"),
    ("?", "this help"),
    ("q / ^C", "quit (q asks while downloads run)"),
];
