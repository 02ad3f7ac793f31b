//! How the app takes the answers to its commands (submitted, starred,
//! copied...), the engine's events and the clock's ticks.

use crate::engine::{DownloadEvent, EngineEvent, EngineStatus, SubmitError};
use crate::store::TaskRecord;
use crate::tui::state::{App, Command, Commands, Focus, Overlay, TOAST_FOR};
use tokio::time::Instant;

impl App {
    pub(crate) fn on_submitted(&mut self, result: Result<Vec<i64>, SubmitError>) -> Commands {
        let model = self.submitting.take();
        match result {
            Ok(ids) => {
                for &id in &ids {
                    self.note_submitted(id);
                }
                // The first take is selected.
                if let Some(&first) = ids.first() {
                    self.note_submitted(first);
                }
                self.form.clear_main_text();
                if self.focus == Focus::Input {
                    self.focus = Focus::Table;
                }
                let price = model
                    .map(|m| format!(" ({})", m.price_for(ids.len())))
                    .unwrap_or_default();
                let which = match ids.as_slice() {
                    [one] => format!("#{one}"),
                    [first, .., last] => format!("{} takes #{first}-#{last}", ids.len()),
                    [] => String::new(),
                };
                self.toast(format!("submitted {which}{price}"));
                return vec![Command::LoadHistory, Command::Redraw];
            }
            Err(SubmitError::Invalid(e)) => {
                self.form.show_error(e.field.to_string(), e.message);
                self.focus = Focus::Input;
            }
            Err(e) => self.toast_error(format!("not submitted: {e}")),
        }
        vec![Command::Redraw]
    }

    pub(crate) fn on_stats_loaded(
        &mut self,
        result: Result<Box<crate::stats::Stats>, String>,
    ) -> Commands {
        match result {
            Ok(stats) => {
                self.overlays.stats = Some(stats);
                self.overlays.shown = Overlay::Stats;
            }
            Err(e) => self.toast_error(format!("cannot read the stats: {e}")),
        }
        vec![Command::Redraw]
    }

    pub(crate) fn on_starred(&mut self, result: Result<Box<TaskRecord>, String>) -> Commands {
        match result {
            Ok(record) => {
                let (id, starred) = (record.id, record.starred);
                self.selection.upsert(*record);
                self.toast(if starred {
                    format!("★ starred #{id}")
                } else {
                    format!("unstarred #{id}")
                });
            }
            Err(e) => self.toast_error(format!("star not saved: {e}")),
        }
        let mut commands = self.segments_changed();
        commands.push(Command::Redraw);
        commands
    }

    pub(crate) fn on_resubmitted(
        &mut self,
        from: i64,
        result: Result<i64, SubmitError>,
    ) -> Commands {
        match result {
            Ok(id) => {
                self.note_submitted(id);
                self.toast(format!("resubmitted #{from} as #{id}"));
            }
            Err(e) => self.toast_error(format!("not resubmitted: {e}")),
        }
        vec![Command::Redraw]
    }

    pub(crate) fn on_copied(&mut self, url: String, result: Result<(), String>) -> Commands {
        match result {
            Ok(()) => self.toast(format!("copied {url}")),
            Err(e) => self.toast_error(format!("{e}; the URL is {url}")),
        }
        vec![Command::Redraw]
    }

    pub(crate) fn on_engine(&mut self, event: EngineEvent) -> Commands {
        let mut commands = Vec::new();
        match event {
            EngineEvent::TaskChanged(record) => {
                let id = record.id;
                let was = self.selection.tasks.get(id).map(|r| r.state);
                let bell = self.bell_for(was, &record);
                if let Some(cost) = self.session.get_mut(&id) {
                    *cost = (record.state, record.cost_usd);
                }
                let pieces = self.pieces_after(&record);
                self.selection.upsert(*record);
                if let Some(load) = pieces {
                    commands.push(load);
                }
                if self.selection.select_when_seen == Some(id) {
                    self.selection.select_when_seen = None;
                    self.selection.tasks.select_id(id);
                } else if self.selection.tasks.selected_id().is_none() {
                    self.selection.tasks.select_id(id);
                }
                if let Some(bytes) = bell {
                    commands.push(Command::Bell(bytes));
                }
            }
            EngineEvent::Status(status) => {
                if self.status == status {
                    return Vec::new();
                }
                // The count in flight changes with every query sent and
                // answered (hundreds a second with 1,000 tasks): it is
                // shown at the next tick, once a second, not a frame each.
                let only_in_flight = matches!(
                    (&self.status, &status),
                    (EngineStatus::Polling { running: a, .. }, EngineStatus::Polling { running: b, .. }) if a == b
                );
                self.status = status;
                if only_in_flight {
                    return Vec::new();
                }
                self.status_since = Instant::now();
            }
            EngineEvent::Download(d) => {
                if matches!(d, DownloadEvent::Finished { .. })
                    && let Some(load) = self.pieces_after_download()
                {
                    commands.push(load);
                }
                if let Some(play) = self.on_download(d) {
                    commands.push(play);
                }
            }
            EngineEvent::CreateFailed { id, error } => {
                self.toast_error(format!("task #{id} was not created: {error}"));
            }
            EngineEvent::Notice(text) => self.toast(text),
            EngineEvent::SpendToday(today) => self.budget_today = Some(today),
            EngineEvent::AudioAnalysed { record, analysis } => {
                self.on_audio_analysed(*record, analysis);
            }
            EngineEvent::Spectrogram { id, spectrogram } => {
                self.spectrograms.insert(id, spectrogram)
            }
        }
        commands.push(Command::Redraw);
        commands
    }

    /// Returns the command to play the file when it was waited for.
    pub(crate) fn on_download(&mut self, event: DownloadEvent) -> Option<Command> {
        match event {
            DownloadEvent::Started { id } => {
                self.downloads.insert(id, (0, None));
            }
            DownloadEvent::Progress { id, bytes, total } => {
                self.downloads.insert(id, (bytes, total));
            }
            DownloadEvent::Finished { id, path } => {
                self.downloads.remove(&id);
                // A new file: the figures of the one before (which may have
                // had the same path, replaced because it was not audio) no
                // longer hold.
                self.selection.analyses.remove(&id);
                self.analysis_requested.retain(|(task, _)| *task != id);
                self.spectrograms.forget(id);
                self.toast(format!("#{id} saved to {}", path.display()));
                if let Some(mux) = self.mux_if_waiting(id, &path) {
                    return Some(mux);
                }
                if let Some(play) = self.play_if_waiting(id, path) {
                    return Some(play);
                }
            }
            DownloadEvent::Failed { id, error } => {
                self.downloads.remove(&id);
                self.mux_download_failed(id);
                self.toast_error(format!("#{id} download failed: {error}"));
            }
        }
        None
    }

    pub(crate) fn on_tick(&mut self) -> Commands {
        // The spinner turns once a second, whatever the tick (the playhead
        // ticks ten times as often).
        let turn = crate::tui::state::timing::TICK - std::time::Duration::from_millis(50);
        if self.spun_at.elapsed() >= turn {
            self.spinner = self.spinner.wrapping_add(1);
            self.spun_at = Instant::now();
        }
        let before = self.toasts.len();
        self.toasts.retain(|t| t.shown_at.elapsed() < TOAST_FOR);
        if self.anything_running() || before != self.toasts.len() || self.playing_since.is_some() {
            vec![Command::Redraw]
        } else {
            Vec::new()
        }
    }
}
