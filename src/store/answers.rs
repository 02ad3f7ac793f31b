//! What answers and restarts do to a row: a query answer applied in one
//! transaction (a terminal state never moves back, whoever else writes),
//! and rows left `submitting` by a process that is gone.

use super::{Applied, Result, STALE_SUBMIT, Store, StoreError, TaskRecord, now_ms, record};
use crate::api::TaskStatus;
use rusqlite::{OptionalExtension, params};

impl Store {
    /// Records a query answer. A task already terminal never moves back,
    /// even with several processes answering at once: the row is read and
    /// written in one IMMEDIATE transaction, so no other writer can slip a
    /// newer state in between.
    pub fn apply_status(&self, id: i64, status: &TaskStatus) -> Result<Applied> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let read = |tx: &rusqlite::Transaction<'_>| {
            tx.query_row(
                &format!("SELECT {} FROM tasks WHERE id = ?1", record::COLUMNS),
                params![id],
                record::from_row,
            )
            .optional()
            .map_err(|e| self.err(e))?
            .ok_or(StoreError::NoSuchTask(id))
        };
        let current = read(&tx)?;
        let state = record::state_from_remote(status.state.as_ref(), current.state);
        let urls = if status.result_urls.is_empty() {
            current.result_urls.clone()
        } else {
            status.result_urls.clone()
        };
        let urls_json = serde_json::to_string(&urls).unwrap_or_else(|_| "[]".into());
        tx.execute(
            "UPDATE tasks SET state = ?2, create_time = COALESCE(?3, create_time),
                complete_time = COALESCE(?4, complete_time), result_urls = ?5,
                audio_duration = COALESCE(?6, audio_duration), fail_msg = COALESCE(?7, fail_msg),
                last_poll_at = ?8, last_error = NULL, not_found_count = 0, updated_at = ?8
             WHERE id = ?1",
            params![
                id,
                state.as_str(),
                status.create_time,
                status.complete_time,
                urls_json,
                status.audio_duration,
                status.failure_reason().map(record::capped_fail_msg),
                now_ms(),
            ],
        )
        .map_err(|e| self.err(e))?;
        let after = read(&tx)?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(Applied {
            before: current,
            after,
        })
    }

    /// Rows whose submitting process died mid-request become "submit
    /// unknown", visible and resubmittable. Returns them. A row is stale at
    /// once when the process holding it (its lease, see `leases.rs`) no
    /// longer exists by `alive`, else after [`STALE_SUBMIT`] (a row with no
    /// holder, or a holder whose process id was reused).
    pub fn recover_stale_submits(&self, alive: impl Fn(&str) -> bool) -> Result<Vec<TaskRecord>> {
        let cutoff = now_ms() - STALE_SUBMIT.as_millis() as i64;
        let submitting: Vec<(i64, Option<String>, i64)> = {
            let conn = self.conn();
            let mut stmt = conn
                .prepare("SELECT id, poll_owner, updated_at FROM tasks WHERE state = 'submitting'")
                .map_err(|e| self.err(e))?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(|e| self.err(e))?
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| self.err(e))?
        };
        let stale: Vec<i64> = submitting
            .into_iter()
            .filter(|(_, holder, updated_at)| {
                *updated_at < cutoff || holder.as_deref().is_some_and(|h| !alive(h))
            })
            .map(|(id, _, _)| id)
            .collect();
        let stale: Vec<TaskRecord> = stale
            .into_iter()
            .map(|id| self.get(id))
            .collect::<Result<_>>()?;
        for t in &stale {
            self.mark_submit_unknown(
                t.id,
                "klang stopped while submitting: the task may exist on the server and be charged; check your provider dashboard before resubmitting",
            )?;
        }
        stale.iter().map(|t| self.get(t.id)).collect()
    }
}
