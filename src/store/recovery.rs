//! Each task's own callback address, and a lost create found again by it.
//! When the answer to a create never arrives, the provider may still have
//! made (and charged) the task; its callback, posted to the address that
//! names this row, is the only way klang can learn its task id (the API has
//! no call that lists tasks).

use super::{Result, Store, StoreError, TaskRecord, now_ms};
use rusqlite::params;

impl Store {
    /// Records the callback URL that task `id`'s create request carries
    /// (the receiver's address plus the row's own path), without its token.
    pub fn set_callback_url(&self, id: i64, url: &str) -> Result<()> {
        let mut params = self.get(id)?.params;
        params.set_callback_url(Some(crate::api::redact::text(url).into_owned()));
        let json = serde_json::to_string(&params).map_err(|e| StoreError::Sqlite {
            path: self.path().display().to_string(),
            source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
        })?;
        let changed = self
            .conn()
            .execute(
                "UPDATE tasks SET params = ?2 WHERE id = ?1",
                params![id, json],
            )
            .map_err(|e| self.err(e))?;
        if changed == 0 {
            return Err(StoreError::NoSuchTask(id));
        }
        Ok(())
    }

    /// Gives `submit-unknown` task `id` the task id the API confirmed,
    /// unless the row already has one or another row holds that task id
    /// (a replayed or forged callback). `None` when nothing changed.
    pub fn recover_created(&self, id: i64, task_id: &str) -> Result<Option<TaskRecord>> {
        let now = now_ms();
        let changed = self
            .conn()
            .execute(
                "UPDATE tasks SET task_id = ?2, state = 'pending', last_error = NULL,
                    recovered_at = ?3, updated_at = ?3
                 WHERE id = ?1 AND state = 'submit-unknown' AND task_id IS NULL
                   AND NOT EXISTS (SELECT 1 FROM tasks WHERE task_id = ?2)",
                params![id, task_id, now],
            )
            .map_err(|e| self.err(e))?;
        if changed == 0 {
            return Ok(None);
        }
        self.get(id).map(Some)
    }
}

/// What a `submit-unknown` row says about the task it may have made.
pub fn unknown_create_advice(has_callback: bool) -> &'static str {
    if has_callback {
        "the task may exist on the server and be charged; if the provider made it, its callback will attach it to this row"
    } else {
        "the task may exist on the server and be charged, and klang cannot ask: the API has no call that lists tasks and the task id never arrived; check your provider dashboard before resubmitting"
    }
}
