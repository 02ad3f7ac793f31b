//! Engine events for one headless command (`submit`, `wait`, `download`):
//! the same engine code path as the dashboard, so a script sees exactly
//! what the dashboard would.

use super::{Context, Failure, exit};
use crate::api::ApiError;
use crate::engine::{DownloadEvent, Engine, EngineEvent, EngineStatus};
use crate::sanitize::terminal_safe;
use crate::store::{LocalState, TaskRecord};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Engine events for one command, delivered on a channel.
pub(super) struct Headless {
    pub(super) engine: Engine,
    /// Kept alive while the command waits.
    _receiver: Option<crate::engine::callbacks::CallbackReceiver>,
    events: mpsc::UnboundedReceiver<EngineEvent>,
    json: bool,
    /// The last state reported per task, so each change is said once.
    said_state: std::collections::HashMap<i64, LocalState>,
    /// Tasks this command created whose "submitted #N as <task id>" is
    /// still to be said: before their first state, so the lines come in
    /// the order things happened.
    to_announce: std::collections::HashSet<i64>,
    /// Events about other tasks than the one waited on (takes submitted
    /// together), kept for when that task is waited on.
    seen: std::collections::HashMap<i64, Seen>,
}

enum Seen {
    Changed(Box<TaskRecord>),
    CreateFailed(ApiError),
}

/// However the command ends, its tasks are handed to any other klang on the
/// store at once instead of when the lease runs out.
impl Drop for Headless {
    fn drop(&mut self) {
        self.engine.shutdown();
    }
}

impl Headless {
    pub(super) async fn start(ctx: &Context, json: bool) -> Result<Headless, Failure> {
        let (tx, events) = mpsc::unbounded_channel();
        let sink = Arc::new(move |event| {
            let _ = tx.send(event);
        });
        let (engine, receiver) = ctx.start_engine(sink).await?;
        Ok(Headless {
            engine,
            _receiver: receiver,
            events,
            json,
            said_state: Default::default(),
            to_announce: Default::default(),
            seen: Default::default(),
        })
    }

    /// The next engine event (None once the engine has stopped).
    pub(super) async fn next_event(&mut self) -> Option<EngineEvent> {
        self.events.recv().await
    }

    /// Progress for people goes to stderr, and only without --json.
    pub(super) fn say(&self, line: impl AsRef<str>) {
        if !self.json {
            eprintln!("{}", terminal_safe(line.as_ref()));
        }
    }

    /// Tasks this command has just created: each is announced once the
    /// server has given it its id.
    pub(super) fn created(&mut self, ids: &[i64]) {
        self.to_announce.extend(ids);
    }

    /// Says "submitted #N as <task id>" for a task this command created,
    /// once the server has given it its id, and only once.
    pub(super) fn announce(&mut self, record: &TaskRecord) {
        if let Some(task_id) = &record.task_id
            && self.to_announce.remove(&record.id)
        {
            self.say(format!("submitted #{} as {task_id}", record.id));
        }
    }

    /// Waits until task `id` satisfies `done`, reporting progress. Returns
    /// the record, or a failure for account, network or engine problems.
    pub(super) async fn wait_for(
        &mut self,
        id: i64,
        done: impl Fn(&TaskRecord) -> bool,
    ) -> Result<TaskRecord, Failure> {
        if let Ok(record) = self.engine.store().get(id)
            && done(&record)
        {
            return Ok(record);
        }
        self.wait_events(id, done).await
    }

    /// Like [`Self::wait_for`], from events only. After a create, the row
    /// can change in the store a moment before the engine reports why a
    /// create failed; the event carries the error and its exit code.
    pub(super) async fn wait_events(
        &mut self,
        id: i64,
        done: impl Fn(&TaskRecord) -> bool,
    ) -> Result<TaskRecord, Failure> {
        match self.seen.remove(&id) {
            Some(Seen::CreateFailed(error)) => return Err(create_failure(&error)),
            Some(Seen::Changed(record)) if done(&record) => return Ok(*record),
            _ => {}
        }
        while let Some(event) = self.events.recv().await {
            match event {
                // A create failure stays what is remembered of its task.
                EngineEvent::TaskChanged(record)
                    if record.id != id
                        && !matches!(self.seen.get(&record.id), Some(Seen::CreateFailed(_))) =>
                {
                    self.seen.insert(record.id, Seen::Changed(record));
                }
                EngineEvent::CreateFailed { id: failed, error } if failed != id => {
                    self.seen.insert(failed, Seen::CreateFailed(error));
                }
                EngineEvent::TaskChanged(record) if record.id == id => {
                    self.announce(&record);
                    if self.said_state.insert(id, record.state) != Some(record.state) {
                        self.say(format!("#{id} {}", record.state));
                    }
                    if done(&record) {
                        return Ok(*record);
                    }
                }
                EngineEvent::CreateFailed { id: failed, error } if failed == id => {
                    return Err(create_failure(&error));
                }
                EngineEvent::Status(EngineStatus::Paused { reason }) => {
                    return Err(Failure {
                        code: exit::ACCOUNT,
                        message: reason,
                    });
                }
                // A store that refuses writes is fatal here: nothing this
                // command learns could be kept.
                EngineEvent::Status(EngineStatus::StoreFailed { reason }) => {
                    return Err(Failure {
                        code: exit::STORE,
                        message: reason,
                    });
                }
                EngineEvent::Status(EngineStatus::Retrying { reason, retry_in }) => {
                    self.say(format!("retrying in {} s: {reason}", retry_in.as_secs()));
                }
                EngineEvent::Notice(text) => self.say(text),
                _ => {}
            }
        }
        Err(Failure {
            code: exit::NETWORK,
            message: "the engine stopped unexpectedly; see the log (klang paths)".into(),
        })
    }

    pub(super) async fn download(
        &mut self,
        id: i64,
        dir: Option<std::path::PathBuf>,
    ) -> Result<TaskRecord, Failure> {
        self.engine.download(id, dir);
        while let Some(event) = self.events.recv().await {
            match event {
                EngineEvent::Download(DownloadEvent::Finished { id: done, path }) if done == id => {
                    self.say(format!("saved {}", path.display()));
                    return self.engine.store().get(id).map_err(Failure::from);
                }
                EngineEvent::Download(DownloadEvent::Failed { id: failed, error })
                    if failed == id =>
                {
                    return Err(Failure {
                        code: exit::NETWORK,
                        message: error,
                    });
                }
                EngineEvent::Notice(text) => self.say(text),
                _ => {}
            }
        }
        Err(Failure {
            code: exit::NETWORK,
            message: "the engine stopped during the download".into(),
        })
    }
}

/// What stops a command that is sending creates: a create refused for the
/// key or the credits, or the engine pausing for either. Any other event
/// is handed back.
pub(super) fn account_stop(event: EngineEvent) -> Result<Failure, EngineEvent> {
    match event {
        EngineEvent::CreateFailed { error, .. } if error.is_account_problem() => Ok(Failure {
            code: exit::ACCOUNT,
            message: error.to_string(),
        }),
        EngineEvent::Status(EngineStatus::Paused { reason }) => Ok(Failure {
            code: exit::ACCOUNT,
            message: reason,
        }),
        other => Err(other),
    }
}

pub(super) fn create_failure(error: &ApiError) -> Failure {
    Failure {
        code: error.exit_code(),
        message: error.to_string(),
    }
}

pub(super) fn final_code(record: &TaskRecord) -> i32 {
    match record.state {
        LocalState::Completed | LocalState::Pending | LocalState::Processing => exit::OK,
        LocalState::SubmitUnknown => exit::NETWORK,
        _ => exit::TASK_FAILED,
    }
}

pub(super) fn print_summary(record: &TaskRecord) {
    let mut line = format!(
        "#{} {} {}",
        record.id,
        record.task_id.as_deref().unwrap_or("-"),
        record.state
    );
    if let Some(ms) = record.generation_ms() {
        line.push_str(&format!(" in {:.1} s", ms as f64 / 1000.0));
    }
    super::output::outln!("{}", terminal_safe(&line));
    for url in &record.result_urls {
        super::output::outln!("{}", terminal_safe(url));
    }
    if let Some(path) = &record.local_path {
        super::output::outln!("{}", terminal_safe(path));
    }
    if let Some(error) = &record.last_error {
        eprintln!("{}", terminal_safe(error));
    }
}
