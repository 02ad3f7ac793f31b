//! Which klang process polls a task. Several processes can share one store
//! (a dashboard in tmux, scripts); a claim in the row makes sure only one of
//! them queries each task. The creating process takes it and hands it back
//! when it stops. A claim holds while its own lease (`poll_lease_until`, set
//! when it is taken) or its process's heartbeat (`poll_owners`, renewed by
//! the claims it keeps making) is fresh, so a killed holder's tasks are free
//! once both run out. A claim already held writes nothing: a process
//! polling a thousand tasks renews one heartbeat row, not a thousand.

use super::{Result, Store, now_ms};
use rusqlite::{OptionalExtension, params};
use std::time::Duration;

impl Store {
    /// Takes (or keeps) the right to poll task `id` for `lease`. False when
    /// another live klang process holds it: that process's answers reach
    /// this one through the shared store instead.
    pub fn claim_poll(&self, id: i64, owner: &str, lease: Duration) -> Result<bool> {
        let now = now_ms();
        let lease_ms = lease.as_millis() as i64;
        let conn = self.conn();
        // Cached statements: every poll claims its task first.
        let held: Option<Option<String>> = conn
            .prepare_cached("SELECT poll_owner FROM tasks WHERE id = ?1")
            .and_then(|mut stmt| stmt.query_row(params![id], |r| r.get(0)))
            .optional()
            .map_err(|e| self.err(e))?;
        let taken = match held {
            None => false,
            Some(Some(holder)) if holder == owner => true,
            Some(_) => {
                conn.prepare_cached(
                    "UPDATE tasks SET poll_owner = ?2, poll_lease_until = ?3
                     WHERE id = ?1 AND (poll_owner IS NULL OR poll_owner = ?2
                        OR (poll_lease_until < ?4 AND NOT EXISTS (
                            SELECT 1 FROM poll_owners
                            WHERE poll_owners.owner = tasks.poll_owner AND alive_until >= ?4)))",
                )
                .and_then(|mut stmt| stmt.execute(params![id, owner, now + lease_ms, now]))
                .map_err(|e| self.err(e))?
                    > 0
            }
        };
        if taken {
            // Written only once half the heartbeat has gone by.
            conn.prepare_cached(
                "INSERT INTO poll_owners (owner, alive_until) VALUES (?1, ?2)
                 ON CONFLICT (owner) DO UPDATE SET alive_until = excluded.alive_until
                 WHERE alive_until < ?3",
            )
            .and_then(|mut stmt| stmt.execute(params![owner, now + lease_ms, now + lease_ms / 2]))
            .map_err(|e| self.err(e))?;
        }
        Ok(taken)
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

    /// Gives up every claim `owner` holds, so another process can poll
    /// those tasks at once instead of after the lease runs out.
    pub fn release_polls(&self, owner: &str) -> Result<()> {
        let conn = self.conn();
        conn.execute(
            // A row still submitting keeps its holder: a create whose
            // answer never came is unknown, and the next start must see
            // that nobody is waiting for it.
            "UPDATE tasks SET poll_owner = NULL, poll_lease_until = NULL
             WHERE poll_owner = ?1 AND state != 'submitting'",
            params![owner],
        )
        .map_err(|e| self.err(e))?;
        conn.execute("DELETE FROM poll_owners WHERE owner = ?1", params![owner])
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}
