//! The dashboard's side of audio: the figures it holds per task, asking
//! for a measurement when the selected task has a file but none, and the
//! `play` action (`p` starts, `p` again or `Esc` stops). Like the rest of
//! `App`, nothing here does I/O: it returns commands.

use crate::sanitize::single_line;
use crate::store::{LocalState, StoredAnalysis, TaskRecord};
use crate::tui::app::{App, Command, Commands};
use crate::tui::keys::action::Action;
use std::path::PathBuf;
use std::sync::Arc;

/// What the player is doing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Playback {
    #[default]
    Stopped,
    /// Waiting for the download to finish, then it plays.
    WaitingForFile(i64),
    /// The player runs for this task.
    Playing(i64),
}

impl App {
    /// The stored figures for `record`'s current file, if measured.
    pub fn analysis_of(&self, record: &TaskRecord) -> Option<&Arc<StoredAnalysis>> {
        self.analyses.get(&record.id).filter(|a| a.is_for(record))
    }

    /// The figures for a task arrived (from this engine or the store).
    pub(crate) fn on_audio_analysed(&mut self, record: TaskRecord, analysis: Arc<StoredAnalysis>) {
        let id = record.id;
        self.tasks.upsert(record);
        self.analyses.insert(id, analysis);
    }

    /// Asks for the selected task's figures when its file is on record but
    /// not measured (a file from before klang measured files, or measured
    /// by another process): once per task and path.
    pub(crate) fn request_missing_analysis(&mut self) -> Option<Command> {
        let record = self.selected()?;
        let path = record.local_path.clone()?;
        if self.analysis_of(record).is_some() {
            return None;
        }
        let id = record.id;
        self.analysis_requested
            .insert((id, path))
            .then_some(Command::Analyse(id))
    }

    /// `p`: play the selected result, or stop what plays.
    pub(crate) fn play_selected(&mut self) -> Option<Command> {
        if self.playback != Playback::Stopped {
            return self.stop_playback();
        }
        let task = self.selected()?;
        let id = task.id;
        if task.state != LocalState::Completed || task.first_url().is_none() {
            let state = task.state;
            self.toast_error(format!("#{id} has nothing to play: it is {state}"));
            return None;
        }
        let offer = self.remote_offer();
        match task.local_path.clone() {
            Some(path) => Some(self.start_playing(id, PathBuf::from(path), offer)),
            // Not downloaded yet: download, then play.
            None => {
                self.playback = Playback::WaitingForFile(id);
                self.toast(format!("#{id} is downloading; it plays when it is in"));
                (!self.downloads.contains_key(&id)).then_some(Command::Download(id))
            }
        }
    }

    /// `Esc` (or `p` again) while something plays: stop it.
    pub(crate) fn stop_playback(&mut self) -> Option<Command> {
        match std::mem::take(&mut self.playback) {
            Playback::Playing(id) => {
                self.toast(format!("stopped #{id}"));
                Some(Command::StopPlayer)
            }
            Playback::WaitingForFile(id) => {
                self.toast(format!("#{id} will not play when it is in"));
                None
            }
            Playback::Stopped => None,
        }
    }

    /// A download finished: if it was waited for, play it now.
    pub(crate) fn play_if_waiting(&mut self, id: i64, path: PathBuf) -> Option<Command> {
        if self.playback != Playback::WaitingForFile(id) {
            return None;
        }
        let offer = self.remote_offer();
        Some(self.start_playing(id, path, offer))
    }

    fn start_playing(&mut self, id: i64, path: PathBuf, offer: String) -> Command {
        self.play_token += 1;
        self.playback = Playback::Playing(id);
        Command::Play {
            token: self.play_token,
            path,
            offer,
        }
    }

    /// The player `token` ended (by itself, stopped, or never started).
    pub(crate) fn on_player_ended(&mut self, token: u64, error: Option<String>) -> Commands {
        if token == self.play_token && matches!(self.playback, Playback::Playing(_)) {
            self.playback = Playback::Stopped;
        }
        if let Some(e) = error {
            self.toast_error(single_line(&e).into_owned());
        }
        vec![Command::Redraw]
    }

    /// What reaches a user on SSH, for the message when nothing plays.
    fn remote_offer(&self) -> String {
        format!(
            "copy the URL with {} or click the link in the details",
            self.key_name(Action::Copy)
        )
    }
}
