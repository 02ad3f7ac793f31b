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
    /// newer state in between. An answer that changes nothing a person
    /// could see writes nothing at all (a task that stays `processing` for
    /// an hour costs no disk): when the answer was last asked lives in
    /// the engine's memory, not the file.
    pub fn apply_status(&self, id: i64, status: &TaskStatus) -> Result<Applied> {
        self.apply_statuses(&[(id, status)])?
            .pop()
            .unwrap_or(Err(StoreError::NoSuchTask(id)))
    }

    /// [`Store::apply_status`] for every answer of one poll round, in one
    /// transaction (one commit however many tasks changed), taken only when
    /// one of them changes something. One result per answer, in order; the
    /// outer error is a transaction that could not start or commit.
    pub fn apply_statuses(&self, answers: &[(i64, &TaskStatus)]) -> Result<Vec<Result<Applied>>> {
        let mut conn = self.conn();
        // A first look without the write lock: most answers change nothing.
        let rows: Vec<Result<TaskRecord>> = answers
            .iter()
            .map(|(id, _)| self.read_row(&conn, *id))
            .collect();
        let changes = answers
            .iter()
            .zip(&rows)
            .any(|((_, status), row)| row.as_ref().is_ok_and(|r| planned(r, status).is_some()));
        if !changes {
            return Ok(rows
                .into_iter()
                .map(|r| r.map(Applied::unchanged))
                .collect());
        }
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let now = now_ms();
        let results = answers
            .iter()
            .map(|(id, status)| self.apply_in(&tx, *id, status, now))
            .collect();
        tx.commit().map_err(|e| self.err(e))?;
        Ok(results)
    }

    /// One answer inside the round's transaction, re-read under the lock:
    /// another process may have written since the first look.
    fn apply_in(
        &self,
        tx: &rusqlite::Transaction<'_>,
        id: i64,
        status: &TaskStatus,
        now: i64,
    ) -> Result<Applied> {
        let current = self.read_row(tx, id)?;
        let Some(change) = planned(&current, status) else {
            return Ok(Applied::unchanged(current));
        };
        let urls_json = serde_json::to_string(&change.result_urls).unwrap_or_else(|_| "[]".into());
        tx.execute(
            "UPDATE tasks SET state = ?2, create_time = ?3, complete_time = ?4, result_urls = ?5,
                audio_duration = ?6, fail_msg = ?7, last_poll_at = ?8, last_error = NULL,
                not_found_count = 0, updated_at = ?8
             WHERE id = ?1",
            params![
                id,
                change.state.as_str(),
                change.create_time,
                change.complete_time,
                urls_json,
                change.audio_duration,
                change.fail_msg,
                now,
            ],
        )
        .map_err(|e| self.err(e))?;
        let after = self.read_row(tx, id)?;
        Ok(Applied {
            before: current,
            after,
        })
    }

    fn read_row(&self, conn: &rusqlite::Connection, id: i64) -> Result<TaskRecord> {
        // Cached: every poll answer reads its row.
        conn.prepare_cached(&format!(
            "SELECT {} FROM tasks WHERE id = ?1",
            record::COLUMNS
        ))
        .and_then(|mut stmt| stmt.query_row(params![id], record::from_row))
        .optional()
        .map_err(|e| self.err(e))?
        .ok_or(StoreError::NoSuchTask(id))
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
            let advice = super::recovery::unknown_create_advice(t.has_callback);
            self.mark_submit_unknown(t.id, &format!("klang stopped while submitting: {advice}"))?;
        }
        stale.iter().map(|t| self.get(t.id)).collect()
    }
}

/// The fields an answer sets on a row.
struct Change {
    state: crate::store::LocalState,
    create_time: Option<i64>,
    complete_time: Option<i64>,
    result_urls: Vec<String>,
    audio_duration: Option<f64>,
    fail_msg: Option<String>,
}

/// What `status` would write on `current`, or None when it writes nothing
/// new: the same state and fields, no error to clear, no 404 streak to
/// reset.
fn planned(current: &TaskRecord, status: &TaskStatus) -> Option<Change> {
    let change = Change {
        state: record::state_from_remote(status.state.as_ref(), current.state),
        create_time: status.create_time.or(current.create_time),
        complete_time: status.complete_time.or(current.complete_time),
        result_urls: if status.result_urls.is_empty() {
            current.result_urls.clone()
        } else {
            status.result_urls.clone()
        },
        audio_duration: status.audio_duration.or(current.audio_duration),
        fail_msg: status
            .failure_reason()
            .map(record::capped_fail_msg)
            .or_else(|| current.fail_msg.clone()),
    };
    let same = change.state == current.state
        && change.create_time == current.create_time
        && change.complete_time == current.complete_time
        && change.result_urls == current.result_urls
        && change.audio_duration == current.audio_duration
        && change.fail_msg == current.fail_msg
        && current.last_error.is_none()
        && current.not_found_count == 0;
    (!same).then_some(change)
}
