//! Which task the details and actions are about (the takes view's cursor
//! or the table's), and the spend figures the status bar shows.

use super::App;
use crate::engine::EngineStatus;
use crate::store::{LocalState, TaskRecord};
use std::path::PathBuf;
use std::time::Duration;

impl App {
    /// The selected task when it is completed; otherwise a toast says that
    /// it has nothing to `verb` (render, mux) and why.
    pub(crate) fn selected_result(&mut self, verb: &str) -> Option<TaskRecord> {
        let task = self.selected()?;
        if task.state == LocalState::Completed {
            return Some(task.clone());
        }
        let (id, state) = (task.id, task.state);
        self.toast_error(format!("#{id} has nothing to {verb}: it is {state}"));
        None
    }

    /// The selected row in the current view.
    pub fn selected_row(&self) -> Option<usize> {
        (!self.selection.tasks.is_empty()).then(|| self.selection.tasks.cursor())
    }

    /// The task the details and every action are about: the takes view's
    /// cursor while it is open, else the table's.
    pub fn selected(&self) -> Option<&TaskRecord> {
        if let Some(view) = &self.selection.segments {
            return view.selected();
        }
        if self.selection.pieces.cursor.is_some() {
            return None;
        }
        match &self.selection.takes {
            Some(view) => view.selected(),
            None => self.selection.tasks.selected(),
        }
    }

    pub(crate) fn select_row(&mut self, row: usize) {
        if let Some(view) = &mut self.selection.segments {
            view.cursor = row.min(view.lines.len().saturating_sub(1));
            return;
        }
        self.selection.pieces.cursor = None;
        match &mut self.selection.takes {
            Some(view) => {
                let at = view.cursor() as isize;
                view.move_by((row.min(isize::MAX as usize) as isize).saturating_sub(at));
            }
            None => self.selection.tasks.select_row(row),
        }
        self.ui.detail_scroll = 0;
    }

    pub(crate) fn move_selection(&mut self, delta: isize) {
        if let Some(view) = &mut self.selection.segments {
            view.move_by(delta);
            self.ui.detail_scroll = 0;
            return;
        }
        if self.selection.takes.is_none() && self.move_among_pieces(delta) {
            return;
        }
        match &mut self.selection.takes {
            Some(view) => view.move_by(delta),
            None => self.selection.tasks.move_by(delta),
        }
        self.ui.detail_scroll = 0;
    }

    pub(crate) fn note_submitted(&mut self, id: i64) {
        let known = self.selection.tasks.get(id).map(|r| (r.state, r.cost_usd));
        self.session
            .insert(id, known.unwrap_or((LocalState::Submitting, 0.0)));
        if known.is_some() {
            self.selection.tasks.select_id(id);
        } else {
            self.selection.select_when_seen = Some(id);
        }
    }

    /// Cost of the tasks submitted in this run (what was charged so far:
    /// refused creates cost nothing).
    pub fn session_cost(&self) -> f64 {
        self.session
            .values()
            .filter(|(state, _)| {
                !matches!(state, LocalState::SubmitFailed | LocalState::Submitting)
            })
            // Folded from +0.0: an empty f64 sum is -0.0, shown as "$-0.0000".
            .fold(0.0, |sum, (_, cost)| sum + cost)
    }

    /// Everything spent: from the store's totals (this run included), or
    /// the starting figure plus this run for a history held in memory.
    pub fn history_cost(&self) -> f64 {
        if self.selection.tasks.is_in_memory() {
            self.history_cost + self.session_cost()
        } else {
            self.selection.tasks.totals().spent_usd()
        }
    }

    /// Today's spend against the daily cap, when one is set: every
    /// process's, as the engine last announced it.
    pub fn budget_today(&self) -> Option<crate::budget::Today> {
        self.budget_today
    }

    /// Seconds left before the engine retries, for "retrying in N s".
    pub fn retry_left(&self) -> Option<Duration> {
        match &self.status {
            EngineStatus::Retrying { retry_in, .. } => {
                Some(retry_in.saturating_sub(self.status_since.elapsed()))
            }
            _ => None,
        }
    }
}

/// The task's downloaded file, if it is still there.
pub(crate) fn saved_file(task: &TaskRecord) -> Option<PathBuf> {
    task.local_path
        .as_deref()
        .map(PathBuf::from)
        .filter(|p| p.is_file())
}
