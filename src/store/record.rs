//! One task as the store keeps it.

use crate::api::{CreateRequest, Model, RemoteState};
use serde::Serialize;

/// A task's state as klang knows it: the server's four states plus the
/// local ones around submitting and losing track.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum LocalState {
    /// Written before the create request; the request is in flight.
    Submitting,
    /// The create request may have reached the server; nobody knows.
    SubmitUnknown,
    /// The server refused the create; nothing was charged.
    SubmitFailed,
    Pending,
    Processing,
    Completed,
    Failed,
    /// The server answered 404 again and again for a task it once created.
    Lost,
}

impl LocalState {
    pub const ALL: [LocalState; 8] = [
        LocalState::Submitting,
        LocalState::SubmitUnknown,
        LocalState::SubmitFailed,
        LocalState::Pending,
        LocalState::Processing,
        LocalState::Completed,
        LocalState::Failed,
        LocalState::Lost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LocalState::Submitting => "submitting",
            LocalState::SubmitUnknown => "submit-unknown",
            LocalState::SubmitFailed => "submit-failed",
            LocalState::Pending => "pending",
            LocalState::Processing => "processing",
            LocalState::Completed => "completed",
            LocalState::Failed => "failed",
            LocalState::Lost => "lost",
        }
    }

    pub fn parse(s: &str) -> Option<LocalState> {
        let s = s.trim().to_ascii_lowercase().replace('_', "-");
        LocalState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Still running on the server: the engine polls it.
    pub fn is_running(self) -> bool {
        matches!(self, LocalState::Pending | LocalState::Processing)
    }

    /// Nothing more will happen without the user.
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            LocalState::Submitting | LocalState::Pending | LocalState::Processing
        )
    }

    /// The State sort's key: failures first, then what is running, then
    /// the finished, so what needs attention sorts to the top. The store's
    /// SQL spells the same order (a test holds them together).
    pub fn attention_rank(self) -> u8 {
        match self {
            LocalState::Failed => 0,
            LocalState::SubmitFailed => 1,
            LocalState::Lost => 2,
            LocalState::SubmitUnknown => 3,
            LocalState::Processing => 4,
            LocalState::Pending => 5,
            LocalState::Submitting => 6,
            LocalState::Completed => 7,
        }
    }
}

impl std::fmt::Display for LocalState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The most of a server's failure message klang keeps: a real one is a
/// sentence; a megabyte of it would bloat the store and flood the screen.
pub const FAIL_MSG_MAX_CHARS: usize = 2000;

/// The head of `msg`, with how much was cut when it is longer than
/// [`FAIL_MSG_MAX_CHARS`].
pub(super) fn capped_fail_msg(msg: String) -> String {
    let total = msg.chars().count();
    if total <= FAIL_MSG_MAX_CHARS {
        return msg;
    }
    let head: String = msg.chars().take(FAIL_MSG_MAX_CHARS).collect();
    format!(
        "{head}… [{} more characters cut by klang]",
        total - FAIL_MSG_MAX_CHARS
    )
}

pub(super) fn state_from_remote(remote: Option<&RemoteState>, current: LocalState) -> LocalState {
    if matches!(current, LocalState::Completed | LocalState::Failed) {
        return current;
    }
    match remote {
        Some(RemoteState::Pending) => LocalState::Pending,
        Some(RemoteState::Processing) => LocalState::Processing,
        Some(RemoteState::Completed) => LocalState::Completed,
        Some(RemoteState::Failed) => LocalState::Failed,
        // An unknown or missing state says nothing new: keep polling.
        Some(RemoteState::Unknown(_)) | None => match current {
            LocalState::Pending | LocalState::Processing => current,
            _ => LocalState::Pending,
        },
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskRecord {
    /// Local id, stable for the life of the store.
    pub id: i64,
    /// The server's `taskId`, once the create answered.
    pub task_id: Option<String>,
    pub model: Model,
    /// The full create request as sent.
    pub params: CreateRequest,
    /// Prompt, text or video, for tables and file names.
    pub summary: String,
    pub state: LocalState,
    /// Local ms epoch when the intent was written.
    pub submitted_at: i64,
    /// The server's createTime / completeTime (ms epoch).
    pub create_time: Option<i64>,
    pub complete_time: Option<i64>,
    pub result_urls: Vec<String>,
    /// Seconds, when the server said.
    pub audio_duration: Option<f64>,
    /// Seconds, as decoding the downloaded file measured.
    pub measured_seconds: Option<f64>,
    pub fail_msg: Option<String>,
    pub cost_usd: f64,
    pub local_path: Option<String>,
    pub last_poll_at: Option<i64>,
    pub last_error: Option<String>,
    pub not_found_count: i64,
    pub has_callback: bool,
    pub updated_at: i64,
    /// Shared by the variations submitted together with `--count`.
    pub group_id: Option<String>,
    /// Starred by the user, to find it again.
    pub starred: bool,
    /// Discarded by the user in the takes view: its file is deleted, the
    /// row kept (it was paid for); the table hides it unless asked.
    pub discarded: bool,
    /// The line of the batch file this task came from, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_line: Option<i64>,
    /// When its task id came from its own callback after the create's
    /// answer was lost (ms since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovered_at: Option<i64>,
}

impl TaskRecord {
    /// A record for `params` that is not stored yet: local id 0, state
    /// `submitting`, cost from the model's price, submitted now. Imports
    /// (and tests, benches, examples) set what they know with struct-update
    /// syntax, `TaskRecord { state, ..TaskRecord::new(params) }`, and keep
    /// compiling when a field is added.
    pub fn new(params: CreateRequest) -> TaskRecord {
        let now = super::now_ms();
        TaskRecord {
            id: 0,
            task_id: None,
            model: params.model(),
            summary: params.summary(),
            cost_usd: params.model().price_usd(),
            params,
            state: LocalState::Submitting,
            submitted_at: now,
            create_time: None,
            complete_time: None,
            result_urls: vec![],
            audio_duration: None,
            measured_seconds: None,
            fail_msg: None,
            local_path: None,
            last_poll_at: None,
            last_error: None,
            not_found_count: 0,
            has_callback: false,
            updated_at: now,
            group_id: None,
            starred: false,
            discarded: false,
            batch_line: None,
            recovered_at: None,
        }
    }

    /// Where its result came from, for the files made of it to carry: the
    /// prompt or text, the server's task id (else `task-<local id>`), the
    /// model, the request's parameters (without the callback URL, which
    /// may hold a secret) and when it was made.
    pub fn origin(&self) -> crate::audio::origin::Origin {
        let mut params = self.params.clone();
        params.set_callback_url(None);
        let mut value = serde_json::to_value(&params).unwrap_or_default();
        if let Some(input) = value.get_mut("input") {
            value = input.take();
        }
        let made = self
            .complete_time
            .or(self.create_time)
            .unwrap_or(self.submitted_at);
        crate::audio::origin::Origin {
            description: self.params.summary(),
            reference: self
                .task_id
                .clone()
                .unwrap_or_else(|| format!("task-{}", self.id)),
            model: self.model.api_name().to_string(),
            params: value,
            created: chrono::DateTime::from_timestamp_millis(made).unwrap_or_default(),
        }
    }

    /// completeTime - createTime once done, in ms.
    pub fn generation_ms(&self) -> Option<i64> {
        match (self.create_time, self.complete_time) {
            (Some(c), Some(d)) if d >= c => Some(d - c),
            _ => None,
        }
    }

    /// How long it has been running, for a live counter.
    pub fn elapsed_ms(&self, now_ms: i64) -> i64 {
        (now_ms - self.create_time.unwrap_or(self.submitted_at)).max(0)
    }

    pub fn first_url(&self) -> Option<&str> {
        self.result_urls.first().map(String::as_str)
    }

    /// The audio length: what the server said, else what the file measured,
    /// else what was asked for.
    pub fn audio_seconds(&self) -> Option<f64> {
        self.audio_duration.or(self.measured_seconds).or_else(|| {
            (self.state == LocalState::Completed)
                .then(|| self.params.requested_seconds())
                .flatten()
        })
    }
}

pub(super) const COLUMNS: &str = "id, task_id, model, params, summary, state, submitted_at, create_time, complete_time, result_urls, audio_duration, fail_msg, cost_usd, local_path, last_poll_at, last_error, not_found_count, has_callback, updated_at, group_id, starred, batch_line, measured_seconds, discarded, recovered_at";

pub(super) fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<TaskRecord> {
    let model_name: String = row.get(2)?;
    let params_json: String = row.get(3)?;
    let state_name: String = row.get(5)?;
    let urls_json: String = row.get(9)?;
    let model = Model::parse(&model_name).unwrap_or(Model::SoundEffects);
    // A row written by a future or broken version still shows up: its
    // parameters fall back to the summary so nothing disappears.
    let summary: String = row.get(4)?;
    let params = serde_json::from_str(&params_json).unwrap_or_else(|_| {
        CreateRequest::SoundEffects(crate::api::SoundEffectsParams {
            prompt: summary.clone(),
            duration: String::new(),
            callback_url: None,
        })
    });
    Ok(TaskRecord {
        id: row.get(0)?,
        task_id: row.get(1)?,
        model,
        params,
        summary,
        state: LocalState::parse(&state_name).unwrap_or(LocalState::SubmitUnknown),
        submitted_at: row.get(6)?,
        create_time: row.get(7)?,
        complete_time: row.get(8)?,
        result_urls: serde_json::from_str(&urls_json).unwrap_or_default(),
        audio_duration: row.get(10)?,
        fail_msg: row.get(11)?,
        cost_usd: row.get(12)?,
        local_path: row.get(13)?,
        last_poll_at: row.get(14)?,
        last_error: row.get(15)?,
        not_found_count: row.get(16)?,
        has_callback: row.get(17)?,
        updated_at: row.get(18)?,
        group_id: row.get(19)?,
        starred: row.get(20)?,
        batch_line: row.get(21)?,
        measured_seconds: row.get(22)?,
        discarded: row.get(23)?,
        recovered_at: row.get(24)?,
    })
}
