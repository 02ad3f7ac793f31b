//! What the engine tells its listener.

use crate::api::ApiError;
use crate::budget::Today;
use crate::store::{StoredAnalysis, TaskRecord};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where events go. The TUI wraps its one message queue in this; the CLI
/// forwards to a channel it waits on.
pub type EventSink = Arc<dyn Fn(EngineEvent) + Send + Sync>;

#[derive(Clone, Debug)]
pub enum EngineEvent {
    /// A task row changed (in this process or another one sharing the store).
    TaskChanged(Box<TaskRecord>),
    Status(EngineStatus),
    Download(DownloadEvent),
    /// A create request failed; the row says so too, this carries the type
    /// (the CLI turns it into an exit code).
    CreateFailed {
        id: i64,
        error: ApiError,
    },
    /// A one-line message worth a toast.
    Notice(String),
    /// Today's spend against the daily cap changed (a submit, a refused
    /// create, another process's task); only with a daily cap.
    SpendToday(Today),
    /// A downloaded file was decoded and measured (or found undecodable);
    /// the row (with its measured length) and the figures, in one event so
    /// a listener redraws once.
    AudioAnalysed {
        record: Box<TaskRecord>,
        analysis: Arc<StoredAnalysis>,
    },
    /// Task `id`'s file's spectrogram was computed (or could not be).
    Spectrogram {
        id: i64,
        spectrogram: Arc<super::spectrograms::StoredSpectrogram>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum EngineStatus {
    /// Nothing to poll.
    Idle,
    /// Polling `running` tasks, `in_flight` requests out now.
    Polling { running: usize, in_flight: usize },
    /// The server or network failed; every poll waits `retry_in`.
    Retrying { reason: String, retry_in: Duration },
    /// A 401 or 402: nothing is sent until the user resumes.
    Paused { reason: String },
    /// The task store refuses writes (read-only, full, deleted): polling
    /// stops, since answers could not be kept, until the user resumes.
    StoreFailed { reason: String },
}

#[derive(Clone, Debug, PartialEq)]
pub enum DownloadEvent {
    Started {
        id: i64,
    },
    Progress {
        id: i64,
        bytes: u64,
        total: Option<u64>,
    },
    Finished {
        id: i64,
        path: PathBuf,
    },
    Failed {
        id: i64,
        error: String,
    },
}
