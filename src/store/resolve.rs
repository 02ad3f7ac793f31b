//! Finding a task from what a user typed: a local id, a task id, or a
//! prefix of a task id that fits exactly one task.

use super::{Result, Store, StoreError, TaskRecord};
use rusqlite::params;

/// How many of an ambiguous prefix's tasks the error names.
const EXAMPLES: usize = 3;

impl Store {
    /// Finds by local id, or by remote task id, or by a unique prefix of
    /// it. A prefix that fits several tasks is [`StoreError::Ambiguous`].
    pub fn resolve(&self, key: &str) -> Result<Option<TaskRecord>> {
        if let Ok(id) = key.parse::<i64>()
            && let Some(t) = self.find("WHERE id = ?1", params![id])?
        {
            return Ok(Some(t));
        }
        if let Some(t) = self.find("WHERE task_id = ?1", params![key])? {
            return Ok(Some(t));
        }
        let escaped = key
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let matching = "WHERE task_id LIKE ?1 || '%' ESCAPE '\\'";
        let rows = self.query(
            &format!("{matching} ORDER BY id LIMIT {}", EXAMPLES + 1),
            params![escaped],
        )?;
        if rows.len() <= 1 {
            return Ok(rows.into_iter().next());
        }
        let count: i64 = self
            .conn()
            .query_row(
                &format!("SELECT COUNT(*) FROM tasks {matching}"),
                params![escaped],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        Err(StoreError::Ambiguous {
            prefix: key.to_string(),
            count: count as usize,
            examples: rows
                .iter()
                .take(EXAMPLES)
                .map(|r| format!("#{} {}", r.id, r.task_id.as_deref().unwrap_or("-")))
                .collect(),
        })
    }
}
