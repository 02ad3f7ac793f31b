//! Decides and draws the takes view (`=`): the selected task's group, one
//! row per take with its waveform and figures side by side, so the choice
//! among takes is made on one screen. The cursor here is the selection the
//! details pane and every action (play, star, copy, discard) follow. Rows
//! come from the store once (`Command::LoadGroup`) and then from the
//! engine's events, so a group still running fills in as takes complete.
//! The order is the user's: starred takes first, then take order.

use crate::store::TaskRecord;
use crate::tui::state::{App, Command, Commands};

/// The takes of one group and where the cursor is.
#[derive(Clone, Debug)]
pub struct TakesView {
    pub group: String,
    /// In take order (submit order): take N is `takes[N - 1]`.
    takes: Vec<TaskRecord>,
    /// The selected take's local id (it keeps its place through re-orders).
    selected: i64,
    /// The group's rows have not come back from the store yet.
    pub loading: bool,
}

impl TakesView {
    /// A view of `first`'s group that shows `first` until the rest loads.
    pub fn opening(group: String, first: TaskRecord) -> TakesView {
        TakesView {
            group,
            selected: first.id,
            takes: vec![first],
            loading: true,
        }
    }

    /// The group as the store has it, in take order.
    pub fn loaded(&mut self, mut takes: Vec<TaskRecord>) {
        takes.sort_by_key(|t| t.id);
        if !takes.iter().any(|t| t.id == self.selected)
            && let Some(first) = takes.first()
        {
            self.selected = first.id;
        }
        self.takes = takes;
        self.loading = false;
    }

    /// Takes in the order shown: starred first, each part in take order.
    pub fn shown(&self) -> Vec<&TaskRecord> {
        let mut rows: Vec<&TaskRecord> = self.takes.iter().collect();
        rows.sort_by_key(|t| (!t.starred, t.id));
        rows
    }

    /// Every take, in take order.
    pub fn takes(&self) -> &[TaskRecord] {
        &self.takes
    }

    /// 1 for the first take submitted.
    pub fn take_number(&self, id: i64) -> Option<usize> {
        self.takes.iter().position(|t| t.id == id).map(|i| i + 1)
    }

    pub fn selected(&self) -> Option<&TaskRecord> {
        self.takes.iter().find(|t| t.id == self.selected)
    }

    /// The cursor's row in the shown order.
    pub fn cursor(&self) -> usize {
        self.shown()
            .iter()
            .position(|t| t.id == self.selected)
            .unwrap_or(0)
    }

    /// Moves the cursor by `delta` rows, clamped to the takes.
    pub fn move_by(&mut self, delta: isize) {
        let shown = self.shown();
        let last = shown.len().saturating_sub(1);
        let at = self.cursor().saturating_add_signed(delta).min(last);
        if let Some(take) = shown.get(at) {
            self.selected = take.id;
        }
    }

    /// A task changed: true when it is one of these takes (now updated).
    pub fn upsert(&mut self, record: &TaskRecord) -> bool {
        if record.group_id.as_deref() != Some(self.group.as_str()) {
            return false;
        }
        match self.takes.iter_mut().find(|t| t.id == record.id) {
            Some(take) => *take = record.clone(),
            None => {
                self.takes.push(record.clone());
                self.takes.sort_by_key(|t| t.id);
            }
        }
        true
    }
}

impl App {
    /// `=`: opens the selected task's takes (or closes the view).
    pub(crate) fn open_takes(&mut self) -> Option<Command> {
        if self.selection.segments.is_some() {
            self.selection.segments = None;
            return None;
        }
        if self.selection.pieces.cursor.is_some() {
            return self.open_segments();
        }
        if self.selection.takes.is_some() {
            self.selection.takes = None;
            return None;
        }
        let task = self.selected()?.clone();
        let Some(group) = task.group_id.clone() else {
            let id = task.id;
            self.toast(format!(
                "#{id} was submitted alone; takes submitted together share a group"
            ));
            return None;
        };
        self.selection.takes = Some(TakesView::opening(group.clone(), task));
        if self.selection.tasks.is_in_memory() {
            // A history held in memory (tests, benchmarks) has every take.
            let takes = self
                .selection
                .tasks
                .all()
                .iter()
                .filter(|t| t.group_id.as_deref() == Some(group.as_str()))
                .cloned()
                .collect();
            if let Some(view) = &mut self.selection.takes {
                view.loaded(takes);
            }
            return None;
        }
        Some(Command::LoadGroup(group))
    }

    /// The answer to [`Command::LoadGroup`]: the rows, and a measurement
    /// asked for each take whose file has no figures yet.
    pub(crate) fn on_group_loaded(
        &mut self,
        group: String,
        result: Result<Vec<TaskRecord>, String>,
    ) -> Commands {
        let Some(view) = self.selection.takes.as_mut().filter(|v| v.group == group) else {
            return Vec::new();
        };
        match result {
            Ok(takes) => view.loaded(takes),
            Err(e) => {
                view.loading = false;
                self.toast_error(format!("the takes could not be read: {e}"));
            }
        }
        let mut commands = self.analyse_unmeasured_takes();
        commands.push(Command::Redraw);
        commands
    }

    /// One `Analyse` per take with a file but no figures (once per path).
    pub(crate) fn analyse_unmeasured_takes(&mut self) -> Commands {
        let Some(view) = &self.selection.takes else {
            return Vec::new();
        };
        let wanted: Vec<(i64, String)> = view
            .takes()
            .iter()
            .filter(|t| self.analysis_of(t).is_none())
            .filter_map(|t| Some((t.id, t.local_path.clone()?)))
            .collect();
        wanted
            .into_iter()
            .filter(|pair| self.analysis_requested.insert(pair.clone()))
            .map(|(id, _)| Command::Analyse(id))
            .collect()
    }

    /// With `v` in the takes view, a spectrogram asked for each measured
    /// take of a group small enough to show them all (see
    /// [`crate::tui::state::timing::SPECTROGRAM_TAKES`]); each once per task and file.
    pub(crate) fn request_take_spectrograms(&mut self) -> Commands {
        // Runs after every message (the playhead ticks ten times a
        // second): only the takes still to ask for are copied, none once
        // every one has been asked for.
        let wanted: Vec<TaskRecord> = match &self.selection.takes {
            Some(view)
                if self.spectrogram
                    && view.takes().len() <= crate::tui::state::timing::SPECTROGRAM_TAKES =>
            {
                view.takes()
                    .iter()
                    .filter(|t| self.wants_spectrogram(t))
                    .cloned()
                    .collect()
            }
            _ => return Vec::new(),
        };
        wanted
            .iter()
            .filter_map(|t| self.request_spectrogram(t))
            .collect()
    }

    /// Esc in the takes view closes it. False when none is open.
    pub(crate) fn back_from_takes(&mut self) -> bool {
        self.selection.segments.take().is_some() || self.selection.takes.take().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{CreateRequest, SoundEffectsParams};

    fn take(id: i64, starred: bool) -> TaskRecord {
        TaskRecord {
            id,
            group_id: Some("g".into()),
            starred,
            ..TaskRecord::new(CreateRequest::SoundEffects(SoundEffectsParams {
                prompt: format!("take {id}"),
                duration: "5".into(),
                callback_url: None,
            }))
        }
    }

    #[test]
    fn starred_takes_come_first_and_the_cursor_follows_its_take() {
        let mut view = TakesView::opening("g".into(), take(2, false));
        view.loaded(vec![take(3, false), take(1, false), take(2, false)]);
        let ids = |v: &TakesView| v.shown().iter().map(|t| t.id).collect::<Vec<_>>();
        assert_eq!(ids(&view), [1, 2, 3]);
        assert_eq!(view.cursor(), 1);
        view.upsert(&take(3, true));
        assert_eq!(ids(&view), [3, 1, 2]);
        assert_eq!(view.selected().map(|t| t.id), Some(2));
        assert_eq!(view.cursor(), 2);
        assert_eq!(view.take_number(3), Some(3));
        view.move_by(-5);
        assert_eq!(view.selected().map(|t| t.id), Some(3));
        view.move_by(9);
        assert_eq!(view.selected().map(|t| t.id), Some(2));
    }

    #[test]
    fn a_task_of_another_group_is_not_taken_in() {
        let mut view = TakesView::opening("g".into(), take(1, false));
        let other = TaskRecord {
            group_id: Some("h".into()),
            ..take(9, false)
        };
        assert!(!view.upsert(&other));
        assert_eq!(view.takes().len(), 1);
    }
}
