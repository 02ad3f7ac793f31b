//! Reading tasks back: one by id or task id, lists, what the engine must
//! poll, what changed since a moment (another process's writes), totals.

use super::{LocalState, Result, Store, StoreError, TaskRecord, record};
use rusqlite::{OptionalExtension, params};

/// Which rows `list` returns.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub state: Option<LocalState>,
    pub limit: Option<usize>,
    /// Only starred tasks.
    pub starred: bool,
    /// Only the variations of this group.
    pub group: Option<String>,
    /// Only discarded takes.
    pub discarded: bool,
}

impl Store {
    pub fn get(&self, id: i64) -> Result<TaskRecord> {
        self.find("WHERE id = ?1", params![id])?
            .ok_or(StoreError::NoSuchTask(id))
    }

    pub fn get_by_task_id(&self, task_id: &str) -> Result<Option<TaskRecord>> {
        self.find("WHERE task_id = ?1", params![task_id])
    }

    pub(super) fn find(
        &self,
        clause: &str,
        args: impl rusqlite::Params,
    ) -> Result<Option<TaskRecord>> {
        let conn = self.conn();
        conn.query_row(
            &format!("SELECT {} FROM tasks {clause}", record::COLUMNS),
            args,
            record::from_row,
        )
        .optional()
        .map_err(|e| self.err(e))
    }

    pub(super) fn query(
        &self,
        sql_tail: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<TaskRecord>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {} FROM tasks {sql_tail}", record::COLUMNS))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(args, record::from_row)
            .map_err(|e| self.err(e))?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))
    }

    /// Completed tasks submitted since `since_ms` that were never saved to
    /// a file, newest first, at most `limit`: what a dashboard that saves
    /// results missed while it was closed, or left half-downloaded when it
    /// stopped. The submit-time index keeps this cheap in any history.
    pub fn completed_without_file(&self, since_ms: i64, limit: usize) -> Result<Vec<TaskRecord>> {
        // Named: left to itself the planner walks the state index, all the
        // completed tasks of the history (0.9 s with a million).
        self.query(
            "INDEXED BY tasks_submitted
             WHERE submitted_at >= ?1 AND state = 'completed' AND local_path IS NULL
             ORDER BY submitted_at DESC LIMIT ?2",
            params![since_ms, limit as i64],
        )
    }

    /// Newest first.
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<TaskRecord>> {
        let limit = filter.limit.map(|l| l as i64).unwrap_or(-1);
        // Only the conditions asked for, so SQLite can use each index.
        let mut conditions = Vec::new();
        let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        if let Some(state) = filter.state {
            args.push(Box::new(state.as_str()));
            conditions.push(format!("state = ?{}", args.len()));
        }
        if filter.starred {
            conditions.push("starred = 1".to_string());
        }
        if filter.discarded {
            conditions.push("discarded = 1".to_string());
        }
        if let Some(group) = &filter.group {
            args.push(Box::new(group.clone()));
            conditions.push(format!("group_id = ?{}", args.len()));
        }
        args.push(Box::new(limit));
        let clause = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        self.query(
            &format!("{clause} ORDER BY id DESC LIMIT ?{}", args.len()),
            rusqlite::params_from_iter(args),
        )
    }

    /// Tasks the engine must poll: pending or processing on the server.
    pub fn unfinished(&self) -> Result<Vec<TaskRecord>> {
        self.query(
            "WHERE state IN ('pending', 'processing') ORDER BY id",
            params![],
        )
    }

    /// The newest finished tasks of `model` with both server times, for
    /// learning how long its tasks take.
    pub fn recent_completed(
        &self,
        model: crate::api::Model,
        limit: usize,
    ) -> Result<Vec<TaskRecord>> {
        self.query(
            "WHERE model = ?1 AND state = 'completed' AND create_time IS NOT NULL
                AND complete_time IS NOT NULL ORDER BY id DESC LIMIT ?2",
            params![model.api_name(), limit as i64],
        )
    }

    /// Rows changed since `since_ms` (by any process), oldest change first.
    pub fn changed_since(&self, since_ms: i64) -> Result<Vec<TaskRecord>> {
        self.query(
            "WHERE updated_at > ?1 ORDER BY updated_at",
            params![since_ms],
        )
    }

    /// SQLite's `data_version`: changes when another connection commits, a
    /// cheap way to notice a second klang process writing.
    pub fn data_version(&self) -> Result<i64> {
        self.conn()
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Sum of the price of every call that reached (or may have reached) the
    /// server, from the totals the triggers keep.
    pub fn total_cost(&self) -> Result<f64> {
        self.totals().map(|t| t.spent_usd())
    }

    pub fn count(&self) -> Result<i64> {
        self.totals().map(|t| t.tasks() as i64)
    }
}
