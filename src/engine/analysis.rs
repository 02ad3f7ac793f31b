//! Measuring downloaded files: decoding runs on tokio's blocking pool,
//! never on a task that serves the UI, and its result is stored once per
//! file and announced in one event.

use super::in_flight::InFlight;
use super::{EngineEvent, EventSink};
use crate::audio;
use crate::store::{Store, StoredAnalysis, TaskRecord};
use std::path::Path;
use std::sync::Arc;

/// Decodes the task's file and stores what it measured. Blocking. A file
/// that cannot be opened (deleted, moved) is an error, not a fact about
/// the file, so nothing is stored for it.
pub fn analyse_and_store(
    store: &Store,
    record: &TaskRecord,
) -> Result<(TaskRecord, StoredAnalysis), String> {
    let Some(path) = record.local_path.clone() else {
        return Err(format!("task {} has no downloaded file", record.id));
    };
    let outcome = match audio::analyse_file(Path::new(&path)) {
        Ok(a) => Ok(a),
        // A file that is gone is not a fact about the file: not stored.
        Err(e @ audio::AudioError::Open { .. }) => {
            return Err(format!("{e}; download it again"));
        }
        Err(e) => Err(e.to_string()),
    };
    let record = store
        .save_analysis(record.id, &path, &outcome)
        .map_err(|e| e.to_string())?;
    Ok((record, StoredAnalysis { path, outcome }))
}

/// Analyses in flight, so a task is never decoded twice at once.
#[derive(Clone, Default)]
pub(super) struct Analyser {
    running: InFlight,
}

impl Analyser {
    /// Starts analysing task `id`'s file in the background, unless it is
    /// already being analysed or has no file.
    pub fn start(&self, store: Arc<Store>, sink: EventSink, id: i64) {
        self.running.spawn(id, sink, move || {
            // Another process (or an earlier run) may have measured it.
            let result = store.get(id).map_err(|e| e.to_string()).and_then(|record| {
                match store.analysis(id) {
                    Ok(Some(stored)) if stored.is_for(&record) => Ok((record, stored)),
                    _ => analyse_and_store(&store, &record),
                }
            });
            match result {
                Ok((record, analysis)) => EngineEvent::AudioAnalysed {
                    record: Box::new(record),
                    analysis: Arc::new(analysis),
                },
                Err(e) => EngineEvent::Notice(format!("task {id}: {e}")),
            }
        });
    }
}
