//! Reading the whole history out: `klang export` streams every matching
//! task (oldest first) without holding them all in memory, and `klang
//! stats` asks SQLite for its sums, counts and daily totals.

use super::record::{self, LocalState, TaskRecord};
use super::{Result, Store, StoreError};
use crate::api::Model;
use rusqlite::params_from_iter;
use rusqlite::types::Value;

/// Which tasks to read; every field narrows.
#[derive(Clone, Debug, Default)]
pub struct HistoryFilter {
    /// Tasks submitted at or after this ms epoch.
    pub since_ms: Option<i64>,
    pub state: Option<LocalState>,
    pub model: Option<Model>,
}

impl HistoryFilter {
    /// The WHERE clause (or nothing) and its arguments.
    pub(super) fn clause(&self) -> (String, Vec<Value>) {
        let mut terms = Vec::new();
        let mut args = Vec::new();
        if let Some(since) = self.since_ms {
            terms.push(format!("submitted_at >= ?{}", args.len() + 1));
            args.push(Value::Integer(since));
        }
        if let Some(state) = self.state {
            terms.push(format!("state = ?{}", args.len() + 1));
            args.push(Value::Text(state.as_str().into()));
        }
        if let Some(model) = self.model {
            terms.push(format!("model = ?{}", args.len() + 1));
            args.push(Value::Text(model.api_name().into()));
        }
        let clause = if terms.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", terms.join(" AND "))
        };
        (clause, args)
    }
}

/// Why an export stopped: the store, or the writer `each` reported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Write(String),
}

impl Store {
    /// Calls `each` with every task matching `filter`, oldest first, one
    /// row in memory at a time. Returns how many were passed.
    pub fn for_each_task(
        &self,
        filter: &HistoryFilter,
        mut each: impl FnMut(TaskRecord) -> std::result::Result<(), String>,
    ) -> std::result::Result<u64, ExportError> {
        let (clause, args) = filter.clause();
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {} FROM tasks {clause} ORDER BY id",
                record::COLUMNS
            ))
            .map_err(|e| self.err(e))?;
        let mut rows = stmt
            .query(params_from_iter(args))
            .map_err(|e| self.err(e))?;
        let mut count = 0;
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let record = record::from_row(row).map_err(|e| self.err(e))?;
            each(record).map_err(ExportError::Write)?;
            count += 1;
        }
        Ok(count)
    }
}

/// One model's counts, as SQL sums them.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelRow {
    pub model: String,
    pub tasks: u64,
    pub cost_usd: f64,
    pub completed: u64,
    pub failed: u64,
}

impl Store {
    /// (local date, tasks, spend) per day with any spend since `since_ms`.
    pub fn spend_per_day(&self, since_ms: i64) -> Result<Vec<(String, u64, f64)>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT date(submitted_at / 1000, 'unixepoch', 'localtime') AS day,
                        COUNT(*), COALESCE(SUM(cost_usd), 0)
                 FROM tasks WHERE submitted_at >= ?1 AND state <> 'submit-failed'
                 GROUP BY day ORDER BY day",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([since_ms], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)? as u64,
                    r.get(2)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Count, spend, completed and failed per model since `since_ms`.
    pub fn per_model(&self, since_ms: Option<i64>) -> Result<Vec<ModelRow>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT model, COUNT(*),
                        COALESCE(SUM(CASE WHEN state <> 'submit-failed' THEN cost_usd ELSE 0 END), 0),
                        SUM(state = 'completed'), SUM(state = 'failed')
                 FROM tasks WHERE submitted_at >= ?1 GROUP BY model",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([since_ms.unwrap_or(i64::MIN)], |r| {
                Ok(ModelRow {
                    model: r.get(0)?,
                    tasks: r.get::<_, i64>(1)? as u64,
                    cost_usd: r.get(2)?,
                    completed: r.get::<_, i64>(3)? as u64,
                    failed: r.get::<_, i64>(4)? as u64,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// completeTime - createTime (ms) of every completed task of `model`
    /// since `since_ms`, ascending.
    pub fn generation_times(&self, model: Model, since_ms: Option<i64>) -> Result<Vec<i64>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT complete_time - create_time AS g FROM tasks
                 WHERE model = ?1 AND state = 'completed' AND submitted_at >= ?2
                   AND create_time IS NOT NULL AND complete_time >= create_time
                 ORDER BY g",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(
                rusqlite::params![model.api_name(), since_ms.unwrap_or(i64::MIN)],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<i64>>>()
            .map_err(|e| self.err(e))
    }
}
