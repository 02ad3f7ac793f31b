//! The spectrograms that arrived and the ones asked for: each asked for
//! once per task and file, when its file is measured, and at most a few
//! kept (`v` shows them instead of waveforms).

use crate::audio::Spectrogram;
use crate::engine::spectrograms::StoredSpectrogram;
use crate::store::TaskRecord;
use crate::tui::state::{App, Command};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

/// Spectrograms kept (100 KB each): the ones that arrived last.
const KEPT: usize = 16;

/// The spectrograms that arrived, and the ones asked for.
#[derive(Default)]
pub(crate) struct Spectrograms {
    by_task: HashMap<i64, Arc<StoredSpectrogram>>,
    /// Oldest arrival first, for dropping past [`KEPT`].
    arrived: VecDeque<i64>,
    requested: HashSet<(i64, String)>,
}

impl Spectrograms {
    pub fn insert(&mut self, id: i64, spectrogram: Arc<StoredSpectrogram>) {
        self.arrived.retain(|&other| other != id);
        self.arrived.push_back(id);
        self.by_task.insert(id, spectrogram);
        while self.arrived.len() > KEPT {
            let Some(old) = self.arrived.pop_front() else {
                break;
            };
            self.by_task.remove(&old);
            // Asked for again when shown again.
            self.requested.retain(|(task, _)| *task != old);
        }
    }

    /// A new file for `id` (a broken one replaced in place): what was
    /// made of the old one, or asked for it, no longer holds.
    pub fn forget(&mut self, id: i64) {
        self.by_task.remove(&id);
        self.arrived.retain(|&other| other != id);
        self.requested.retain(|(task, _)| *task != id);
    }

    fn answer_for(&self, record: &TaskRecord) -> Option<&StoredSpectrogram> {
        self.by_task
            .get(&record.id)
            .map(Arc::as_ref)
            .filter(|s| s.is_for(record))
    }
}

impl App {
    /// `record`'s spectrogram, if it has arrived for its current file.
    pub fn spectrogram_of(&self, record: &TaskRecord) -> Option<&Spectrogram> {
        self.spectrograms.answer_for(record)?.outcome.as_ref().ok()
    }

    /// Asks for `record`'s spectrogram when its file is measured (and
    /// decodable) and none was asked for yet: once per task and file.
    pub fn request_spectrogram(&mut self, record: &TaskRecord) -> Option<Command> {
        if !self.wants_spectrogram(record) {
            return None;
        }
        let path = record.local_path.clone()?;
        self.spectrograms
            .requested
            .insert((record.id, path))
            .then_some(Command::Spectrogram(record.id))
    }

    /// Whether `record`'s spectrogram is yet to be asked for: a measured
    /// file with no spectrogram made or asked for.
    pub(crate) fn wants_spectrogram(&self, record: &TaskRecord) -> bool {
        let Some(path) = &record.local_path else {
            return false;
        };
        self.analysis_of(record).is_some_and(|a| a.outcome.is_ok())
            && self.spectrograms.answer_for(record).is_none()
            && !self
                .spectrograms
                .requested
                .contains(&(record.id, path.clone()))
    }

    /// The selected task's spectrogram, while spectrograms are shown.
    pub(crate) fn request_missing_spectrogram(&mut self) -> Option<Command> {
        if !self.spectrogram {
            return None;
        }
        // Copied only when it is to be asked for: this runs after every
        // message.
        let record = self
            .selected()
            .filter(|r| self.wants_spectrogram(r))?
            .clone();
        self.request_spectrogram(&record)
    }
}
