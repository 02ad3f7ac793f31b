//! The dashboard's side of audio: the figures it holds per task, asking
//! for a measurement when the selected task has a file but none, and the
//! `play` action: `p` plays the selected take, `p` on another take while
//! one plays switches to it at once (A/B), `p` on the playing take or `Esc`
//! stops. Takes play at a common loudness (the louder of two always sounds
//! better): the gain comes from the measured figures, and the effects write
//! the turned copy. Like the rest of `App`, nothing here does I/O: it
//! returns commands.

use crate::audio::Analysis;
use crate::audio::matched::{MatchTarget, MatchedGain, TakeLevel, match_takes};
use crate::sanitize::single_line;
use crate::store::{LocalState, StoredAnalysis, TaskRecord};
use crate::tui::keys::action::Action;
use crate::tui::state::{App, Command, Commands};
use std::path::PathBuf;
use std::sync::Arc;

/// A gain smaller than this plays the file itself: no copy is worth it.
const MIN_GAIN_DB: f64 = 0.05;

/// What the player is doing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Playback {
    #[default]
    Stopped,
    /// Waiting for the download to finish, then it plays.
    WaitingForFile(i64),
    /// The player runs for this task.
    Playing(i64),
    /// The player runs for this piece's assembled output.
    Piece(i64),
}

impl App {
    /// The stored figures for `record`'s current file, if measured.
    pub fn analysis_of(&self, record: &TaskRecord) -> Option<&Arc<StoredAnalysis>> {
        self.selection
            .analyses
            .get(&record.id)
            .filter(|a| a.is_for(record))
    }

    /// The figures for a task arrived (from this engine or the store).
    pub(crate) fn on_audio_analysed(&mut self, record: TaskRecord, analysis: Arc<StoredAnalysis>) {
        let id = record.id;
        self.selection.upsert(record);
        self.selection.analyses.insert(id, analysis);
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

    /// `p`: play the selected take; stop it when it is the one playing;
    /// switch to it when another plays.
    pub(crate) fn play_selected(&mut self) -> Option<Command> {
        if self.selection.segments.is_none() && self.selection.pieces.cursor().is_some() {
            return self.play_piece();
        }
        if self.selection.segments.as_ref().is_some_and(|v| v.dub) {
            return self.play_dub();
        }
        let task = self.selected()?;
        let id = task.id;
        if matches!(self.playback, Playback::Playing(p) | Playback::WaitingForFile(p) if p == id) {
            return self.stop_playback();
        }
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
        self.playing_since = None;
        self.playing_gain = None;
        match std::mem::take(&mut self.playback) {
            Playback::Playing(id) => {
                self.toast(format!("stopped #{id}"));
                Some(Command::StopPlayer)
            }
            Playback::Piece(id) => {
                self.toast(format!("stopped piece #{id}"));
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

    /// Starts `id` (the new player replaces whatever plays).
    fn start_playing(&mut self, id: i64, path: PathBuf, offer: String) -> Command {
        self.play_token += 1;
        self.playback = Playback::Playing(id);
        // The playhead starts when the player does (after the copy is
        // written), announced by `PlayerStarted`.
        self.playing_since = None;
        self.playing_gain = self.matched_gain(id);
        let seconds = self.selection.tasks.get(id).and_then(|record| {
            self.analysis_of(record)
                .and_then(|a| a.outcome.as_ref().ok())
                .map(|a| a.stats.duration_s)
                .or_else(|| record.audio_seconds())
        });
        Command::Play {
            seconds,
            token: self.play_token,
            path,
            gain_db: self
                .playing_gain
                .map(|g| g.gain_db)
                .filter(|g| g.abs() >= MIN_GAIN_DB),
            offer,
        }
    }

    /// The gain take `id` plays at: the level every take of its group
    /// reaches (in the takes view) or its own way to `match_level`, peaks
    /// kept at or below -1 dBFS. None when it plays as it is.
    pub(crate) fn matched_gain(&self, id: i64) -> Option<MatchedGain> {
        let in_view = self
            .selection
            .takes
            .as_ref()
            .filter(|v| v.takes().iter().any(|t| t.id == id));
        if in_view.is_none() && !self.settings.match_loudness {
            return None;
        }
        let group: Vec<&TaskRecord> = match in_view {
            Some(view) => view.takes().iter().collect(),
            None => self.selected().filter(|t| t.id == id).into_iter().collect(),
        };
        let levels: Vec<TakeLevel> = group
            .iter()
            .map(|t| match self.analysis_of(t).map(|a| &a.outcome) {
                Some(Ok(a)) => TakeLevel::from(&a.stats),
                _ => TakeLevel {
                    loudness_lufs: None,
                    peak_dbfs: None,
                },
            })
            .collect();
        let at = group.iter().position(|t| t.id == id)?;
        match_takes(&levels, MatchTarget::Lufs(self.settings.match_level))
            .get(at)
            .copied()
            .flatten()
    }

    /// The player `token` is running now.
    pub(crate) fn on_player_started(&mut self, token: u64) -> Commands {
        if token == self.play_token
            && matches!(self.playback, Playback::Playing(_) | Playback::Piece(_))
        {
            self.playing_since = Some(tokio::time::Instant::now());
            return vec![Command::Redraw];
        }
        Vec::new()
    }

    /// The player `token` ended (by itself, stopped, or never started).
    pub(crate) fn on_player_ended(&mut self, token: u64, error: Option<String>) -> Commands {
        if token == self.play_token
            && matches!(self.playback, Playback::Playing(_) | Playback::Piece(_))
        {
            self.playback = Playback::Stopped;
            self.playing_since = None;
            self.playing_gain = None;
        }
        if let Some(e) = error {
            self.toast_error(single_line(&e).into_owned());
        }
        vec![Command::Redraw]
    }

    /// What reaches a user on SSH, for the message when nothing plays.
    pub(crate) fn remote_offer(&self) -> String {
        format!(
            "copy the URL with {} or click the link in the details",
            self.key_name(Action::Copy)
        )
    }
}

impl App {
    /// How far through `analysis`'s file the player is, 0..=1; None when
    /// nothing plays or the length is unknown.
    pub fn playhead_fraction(&self, analysis: &Analysis) -> Option<f64> {
        let Playback::Playing(_) = self.playback else {
            return None;
        };
        let started = self.playing_since?;
        let length = analysis.stats.duration_s;
        (length > 0.0).then(|| (started.elapsed().as_secs_f64() / length).clamp(0.0, 1.0))
    }
}
