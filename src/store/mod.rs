//! The task history: one SQLite file in the data directory, WAL mode so a
//! dashboard in tmux and a script can share it. A task is written before its
//! create request is sent, so a crash in between leaves a visible row, never
//! a paid task nobody knows about.

mod answers;
mod audio;
pub mod busy;
mod compose;
mod dub;
mod history;
mod identity;
mod leases;
mod media;
mod muxes;
mod pieces;
mod private;
mod query;
mod reads;
mod record;
mod recovery;
mod resolve;
mod schema;
mod spend;

pub use audio::StoredAnalysis;
pub use compose::new_group_id;
pub use dub::{DubFit, FitAction, OVERRUN_TOLERANCE_MS, SpeechSample};

/// The filter word that keeps a dub's cues that run over (the segments
/// view); the task table passes it by.
pub const IS_OVERRUN: &str = "is:overrun";
pub use history::{ExportError, HistoryFilter, ModelRow};
pub use media::{MediaFile, ServedMedia};
pub use pieces::{Assembled, PieceRow, SegmentRow, take_key};
pub use query::{SortOrder, Totals, ViewQuery, ViewReader, is_interrupted};
pub use reads::ListFilter;
pub use record::{LocalState, TaskRecord};
pub use recovery::unknown_create_advice;
pub use spend::{BatchTag, Inserted, Intent};

use crate::api::CreateRequest;
use rusqlite::{Connection, params};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("task store {path}: {source}; check the file's permissions and free space")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "task store {path} was written by a newer klang (schema {found}, this one knows {known}); upgrade klang"
    )]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },
    /// Another process held the write lock for the whole wait.
    #[error(
        "the task store {path} stayed locked for {waited_s:.0} s: {holder}; let it finish or quit it, then run this again (KLANG_STORE_WAIT sets how long to wait)"
    )]
    Busy {
        path: String,
        holder: String,
        waited_s: f64,
    },
    /// The file is not a database any more, or its pages are broken.
    #[error(
        "the task store is damaged: {path} ({source}); nothing was written. Keep a copy of it{wal}, then recover it with `sqlite3 {path} .recover | sqlite3 {path}.recovered` and move {path}.recovered into its place"
    )]
    Damaged {
        path: String,
        /// ", its write-ahead log {path}-wal" when there is one.
        wal: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("no task with local id {0}")]
    NoSuchTask(i64),
    /// A change the task's own state does not allow (discarding a starred
    /// take); the message says what to do first.
    #[error("{0}")]
    Refused(String),
    /// The file was deleted or replaced while this process had it open:
    /// whatever is written now would be lost.
    #[error(
        "task store {path} was deleted or replaced while klang was running, so new tasks could not be kept; nothing was sent. Quit and start klang again to open a fresh store"
    )]
    Gone { path: String },
    /// A task id prefix that fits more than one task.
    #[error(
        "{prefix:?} matches {count} tasks ({}{}): give more of the task id, or the local id",
        .examples.join(", "),
        if *.count > .examples.len() { ", …" } else { "" }
    )]
    Ambiguous {
        prefix: String,
        count: usize,
        examples: Vec<String>,
    },
}

impl StoreError {
    /// A SQLite error on the store at `path`, by what it means for the
    /// user: a lock held too long, a damaged file, or anything else.
    pub fn sqlite(path: &Path, source: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode::*;
        let shown = path.display().to_string();
        match source.sqlite_error_code() {
            Some(DatabaseBusy | DatabaseLocked) => StoreError::Busy {
                holder: busy::holder_text(busy::lock_holder(path)),
                waited_s: busy::wait_limit().as_secs_f64(),
                path: shown,
            },
            Some(DatabaseCorrupt | NotADatabase) => {
                let mut wal = PathBuf::from(path);
                wal.as_mut_os_string().push("-wal");
                StoreError::Damaged {
                    wal: if wal.exists() {
                        format!(" and of its write-ahead log {}", wal.display())
                    } else {
                        String::new()
                    },
                    path: shown,
                    source,
                }
            }
            _ => StoreError::Sqlite {
                path: shown,
                source,
            },
        }
    }

    /// The store cannot take writes at all (read-only file, no permission,
    /// a full disk, a deleted file): retrying will not help until the user
    /// fixes it, so klang stops instead of losing answers.
    pub fn refuses_writes(&self) -> bool {
        use rusqlite::ErrorCode::*;
        match self {
            StoreError::Gone { .. } | StoreError::Damaged { .. } => true,
            StoreError::Sqlite { source, .. } => matches!(
                source.sqlite_error_code(),
                Some(ReadOnly | PermissionDenied | DiskFull | CannotOpen | SystemIoFailure)
            ),
            _ => false,
        }
    }

    /// A mistake in what the user asked for, not a fault of the store.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            StoreError::NoSuchTask(_) | StoreError::Ambiguous { .. } | StoreError::Refused(_)
        )
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A `Submitting` row older than this belongs to a process that died
/// mid-request (requests time out well before it).
const STALE_SUBMIT: Duration = Duration::from_secs(120);

pub struct Store {
    conn: Mutex<Connection>,
    path: PathBuf,
    /// Device and inode of the file at open, to notice it being deleted or
    /// replaced under us (see `identity.rs`).
    identity: Option<identity::FileId>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// What a query answer did to a task: the row before and after.
#[derive(Clone, Debug)]
pub struct Applied {
    pub before: TaskRecord,
    pub after: TaskRecord,
}

impl Applied {
    /// An answer that changed nothing: the row as it is.
    pub fn unchanged(record: TaskRecord) -> Applied {
        Applied {
            before: record.clone(),
            after: record,
        }
    }

    /// Something a person would see changed (a poll that only moved
    /// `last_poll_at` is not worth a redraw).
    pub fn visible(&self) -> bool {
        let (b, a) = (&self.before, &self.after);
        b.state != a.state
            || b.result_urls != a.result_urls
            || b.create_time != a.create_time
            || b.complete_time != a.complete_time
            || b.fail_msg != a.fail_msg
            || b.audio_duration != a.audio_duration
            || b.measured_seconds != a.measured_seconds
            || b.last_error != a.last_error
    }
}

impl Store {
    /// Opens (creating if needed) the store at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Store> {
        let wrap = |source| StoreError::sqlite(path, source);
        // Mode 600 whatever the umask; a failure surfaces as SQLite's own
        // open error.
        private::prepare(path);
        let mut conn = Connection::open(path).map_err(wrap)?;
        // The poll loop and the views together use more than the default
        // 16 cached statements; parsing them again was a fifth of the CPU
        // of polling 1,000 tasks.
        conn.set_prepared_statement_cache_capacity(64);
        busy::install(&mut conn, path).map_err(wrap)?;
        // Switching a new file to WAL can answer "locked" at once, without
        // waiting for the busy handler, while another process does the
        // same: retry for a while before giving up.
        let deadline = std::time::Instant::now() + busy::wait_limit();
        let mut attempt: u64 = 0;
        loop {
            let prepared = conn
                .pragma_update(None, "journal_mode", "WAL")
                .and_then(|_| conn.pragma_update(None, "synchronous", "NORMAL"))
                .and_then(|_| conn.pragma_update(None, "foreign_keys", "ON"))
                .map_err(wrap)
                .and_then(|_| schema::migrate(&conn, path));
            match prepared {
                Err(StoreError::Busy { .. }) if std::time::Instant::now() < deadline => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(20 + 10 * attempt.min(20)));
                }
                other => break other?,
            }
        }
        Ok(Store {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
            identity: identity::FileId::of(path),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite itself consistent
        // (every write is one statement or transaction), so keep going.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::sqlite(&self.path, source)
    }

    /// Step one of a submit: the row exists before the request leaves.
    /// No budget or batch key here: the engine's submit goes through
    /// `insert_checked`.
    pub fn insert_intent(&self, request: &CreateRequest, has_callback: bool) -> Result<i64> {
        let intent = Intent {
            request,
            has_callback,
            batch: None,
            count: 1,
            group_id: None,
        };
        spend::insert_row(&self.conn(), &intent).map_err(|e| self.err(e))
    }

    /// Writes many finished records in one transaction (imports and
    /// benchmarks); each keeps its fields but gets a fresh local id.
    pub fn insert_many(&self, records: &[TaskRecord]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO tasks (task_id, model, params, summary, state, submitted_at, create_time,
                        complete_time, result_urls, audio_duration, fail_msg, cost_usd, local_path,
                        last_poll_at, last_error, not_found_count, has_callback, updated_at, batch_line)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
                )
                .map_err(|e| self.err(e))?;
            for r in records {
                stmt.execute(params![
                    r.task_id,
                    r.model.api_name(),
                    serde_json::to_string(&crate::api::redact::request(&r.params))
                        .unwrap_or_else(|_| "{}".into()),
                    crate::api::redact::text(&r.summary),
                    r.state.as_str(),
                    r.submitted_at,
                    r.create_time,
                    r.complete_time,
                    serde_json::to_string(&r.result_urls).unwrap_or_else(|_| "[]".into()),
                    r.audio_duration,
                    r.fail_msg,
                    r.cost_usd,
                    r.local_path,
                    r.last_poll_at,
                    r.last_error,
                    r.not_found_count,
                    r.has_callback,
                    r.updated_at,
                    r.batch_line,
                ])
                .map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Step two: the server answered with a task id.
    pub fn mark_submitted(&self, id: i64, task_id: &str) -> Result<TaskRecord> {
        self.update(
            id,
            "UPDATE tasks SET task_id = ?2, state = 'pending', last_error = NULL, updated_at = ?3 WHERE id = ?1",
            params![id, task_id, now_ms()],
        )
    }

    /// The server certainly did not create the task (nothing charged).
    pub fn mark_submit_failed(&self, id: i64, error: &str) -> Result<TaskRecord> {
        self.update(
            id,
            "UPDATE tasks SET state = 'submit-failed', last_error = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, error, now_ms()],
        )
    }

    /// The request may or may not have reached the server.
    pub fn mark_submit_unknown(&self, id: i64, error: &str) -> Result<TaskRecord> {
        self.update(
            id,
            "UPDATE tasks SET state = 'submit-unknown', last_error = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, error, now_ms()],
        )
    }

    /// A poll went wrong; the task keeps its state. None when that was
    /// already its last error (the same fault again writes nothing); a 404
    /// always counts.
    pub fn record_poll_error(
        &self,
        id: i64,
        error: &str,
        not_found: bool,
    ) -> Result<Option<TaskRecord>> {
        self.update_if_new(
            id,
            "UPDATE tasks SET last_error = ?2, last_poll_at = ?3, updated_at = ?3,
                not_found_count = CASE WHEN ?4 THEN not_found_count + 1 ELSE not_found_count END
             WHERE id = ?1 AND (?4 OR last_error IS NOT ?2)",
            params![id, error, now_ms(), not_found],
        )
    }

    pub fn mark_lost(&self, id: i64, error: &str) -> Result<TaskRecord> {
        self.update(
            id,
            "UPDATE tasks SET state = 'lost', last_error = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, error, now_ms()],
        )
    }

    /// A new file for task `id`. The figures of the file before go with
    /// it: the new one may have the same path (a file that was not audio,
    /// replaced in place) and is measured again on first need.
    pub fn set_local_path(&self, id: i64, path: &Path) -> Result<TaskRecord> {
        {
            let mut conn = self.conn();
            let tx = conn.transaction().map_err(|e| self.err(e))?;
            tx.execute("DELETE FROM audio_analysis WHERE task = ?1", params![id])
                .map_err(|e| self.err(e))?;
            let changed = tx
                .execute(
                    "UPDATE tasks SET local_path = ?2, last_error = NULL, updated_at = ?3 WHERE id = ?1",
                    params![id, path.to_string_lossy(), now_ms()],
                )
                .map_err(|e| self.err(e))?;
            if changed == 0 {
                return Err(StoreError::NoSuchTask(id));
            }
            tx.commit().map_err(|e| self.err(e))?;
        }
        self.get(id)
    }

    /// None when `error` already is the task's last error: nothing written.
    pub fn set_last_error(&self, id: i64, error: &str) -> Result<Option<TaskRecord>> {
        self.update_if_new(
            id,
            "UPDATE tasks SET last_error = ?2, updated_at = ?3 WHERE id = ?1 AND last_error IS NOT ?2",
            params![id, error, now_ms()],
        )
    }

    /// Like `update`, for statements that skip a row already as asked:
    /// None then, after checking the row exists.
    fn update_if_new(
        &self,
        id: i64,
        sql: &str,
        args: impl rusqlite::Params,
    ) -> Result<Option<TaskRecord>> {
        let changed = self.conn().execute(sql, args).map_err(|e| self.err(e))?;
        if changed == 0 {
            self.get(id)?;
            return Ok(None);
        }
        self.get(id).map(Some)
    }

    fn update(&self, id: i64, sql: &str, args: impl rusqlite::Params) -> Result<TaskRecord> {
        let changed = self.conn().execute(sql, args).map_err(|e| self.err(e))?;
        if changed == 0 {
            return Err(StoreError::NoSuchTask(id));
        }
        self.get(id)
    }
}

#[cfg(test)]
mod tests;
