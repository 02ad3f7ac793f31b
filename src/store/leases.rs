//! Which klang process polls a task. Several processes can share one store
//! (a dashboard in tmux, scripts); a lease in the row makes sure only one of
//! them queries each task. The creating process takes it, renews it at every
//! poll and hands it back when it stops; a killed holder's lease runs out.

use super::{Result, Store, now_ms};
use rusqlite::{OptionalExtension, params};
use std::time::Duration;

impl Store {
    /// Takes (or renews) the right to poll task `id` for `lease`. False when
    /// another live klang process holds it: that process's answers reach
    /// this one through the shared store instead.
    pub fn claim_poll(&self, id: i64, owner: &str, lease: Duration) -> Result<bool> {
        let now = now_ms();
        let changed = self
            .conn()
            .execute(
                "UPDATE tasks SET poll_owner = ?2, poll_lease_until = ?3
                 WHERE id = ?1 AND (poll_owner IS NULL OR poll_owner = ?2 OR poll_lease_until < ?4)",
                params![id, owner, now + lease.as_millis() as i64, now],
            )
            .map_err(|e| self.err(e))?;
        Ok(changed > 0)
    }

    /// Who holds the right to poll task `id`, if anyone.
    pub fn poll_owner(&self, id: i64) -> Result<Option<String>> {
        self.conn()
            .query_row(
                "SELECT poll_owner FROM tasks WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(|e| self.err(e))
    }

    /// Takes the right to poll `id` from `holder` (a process that is gone);
    /// false if someone else took it first.
    pub fn take_poll(&self, id: i64, holder: &str, owner: &str, lease: Duration) -> Result<bool> {
        let changed = self
            .conn()
            .execute(
                "UPDATE tasks SET poll_owner = ?3, poll_lease_until = ?4 WHERE id = ?1 AND poll_owner = ?2",
                params![id, holder, owner, now_ms() + lease.as_millis() as i64],
            )
            .map_err(|e| self.err(e))?;
        Ok(changed > 0)
    }

    /// Gives up every lease `owner` holds, so another process can poll
    /// those tasks at once instead of after the lease runs out.
    pub fn release_polls(&self, owner: &str) -> Result<()> {
        self.conn()
            .execute(
                // A row still submitting keeps its holder: a create whose
                // answer never came is unknown, and the next start must see
                // that nobody is waiting for it.
                "UPDATE tasks SET poll_owner = NULL, poll_lease_until = NULL
                 WHERE poll_owner = ?1 AND state != 'submitting'",
                params![owner],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}
