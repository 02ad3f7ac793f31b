//! Spectrograms of downloaded files, computed on tokio's blocking pool once
//! per file at a resolution finer than any pane (the dashboard fits it to
//! each pane it draws in, as it narrows the stored peaks), and announced in
//! one event. Not stored: recomputing one takes about as long as the
//! decode (see `cargo bench --bench audio`).

use super::in_flight::InFlight;
use super::{EngineEvent, EventSink};
use crate::audio::{Spectrogram, spectrogram_file};
use crate::store::{Store, TaskRecord};
use std::path::Path;
use std::sync::Arc;

/// Columns and rows (two bands each) computed: wider than a details pane
/// on a 4K screen, higher than any strip it is drawn in.
pub const COLUMNS: usize = 400;
pub const ROWS: usize = 32;

/// A file's spectrogram, or why there is none.
#[derive(Debug, PartialEq)]
pub struct StoredSpectrogram {
    /// The file it was computed from; another `local_path` makes it stale.
    pub path: String,
    pub outcome: Result<Spectrogram, String>,
}

impl StoredSpectrogram {
    pub fn is_for(&self, record: &TaskRecord) -> bool {
        record.local_path.as_deref() == Some(self.path.as_str())
    }
}

/// The spectrogram of `record`'s file, its length taken from the stored
/// figures when they are there. Blocking.
pub fn compute(store: &Store, record: &TaskRecord) -> Result<StoredSpectrogram, String> {
    let Some(path) = record.local_path.clone() else {
        return Err(format!("task {} has no downloaded file", record.id));
    };
    let stats = match store.analysis(record.id) {
        Ok(Some(stored)) if stored.is_for(record) => stored.outcome.ok().map(|a| a.stats),
        _ => None,
    };
    let outcome = spectrogram_file(Path::new(&path), COLUMNS, ROWS, stats.as_ref())
        .map_err(|e| e.to_string());
    Ok(StoredSpectrogram { path, outcome })
}

/// Spectrograms being computed, one at a time per task.
#[derive(Clone, Default)]
pub(super) struct Spectrographer {
    running: InFlight,
}

impl Spectrographer {
    pub fn start(&self, store: Arc<Store>, sink: EventSink, id: i64) {
        self.running.spawn(id, sink, move || {
            let result = store
                .get(id)
                .map_err(|e| e.to_string())
                .and_then(|record| compute(&store, &record));
            match result {
                Ok(spectrogram) => EngineEvent::Spectrogram {
                    id,
                    spectrogram: Arc::new(spectrogram),
                },
                Err(e) => EngineEvent::Notice(format!("task {id}: {e}")),
            }
        });
    }
}
