//! Schema versions, kept in SQLite's `user_version`. Each migration runs in
//! a transaction; a store from a newer klang is refused rather than damaged.

use super::{Result, StoreError};
use rusqlite::Connection;
use std::path::Path;

pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the task table.
    "CREATE TABLE tasks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id TEXT UNIQUE,
        model TEXT NOT NULL,
        params TEXT NOT NULL,
        summary TEXT NOT NULL,
        state TEXT NOT NULL,
        submitted_at INTEGER NOT NULL,
        create_time INTEGER,
        complete_time INTEGER,
        result_urls TEXT NOT NULL DEFAULT '[]',
        audio_duration REAL,
        fail_msg TEXT,
        cost_usd REAL NOT NULL,
        local_path TEXT,
        last_poll_at INTEGER,
        last_error TEXT,
        not_found_count INTEGER NOT NULL DEFAULT 0,
        has_callback INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX tasks_state ON tasks(state);
    CREATE INDEX tasks_updated ON tasks(updated_at);",
    // 2: which klang process polls a task, so two processes sharing the
    // store do not both query it.
    "ALTER TABLE tasks ADD COLUMN poll_owner TEXT;
    ALTER TABLE tasks ADD COLUMN poll_lease_until INTEGER;",
];

pub fn migrate(conn: &Connection, path: &Path) -> Result<()> {
    let wrap = |source| StoreError::Sqlite {
        path: path.display().to_string(),
        source,
    };
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(wrap)?;
    if found > known {
        return Err(StoreError::TooNew {
            path: path.display().to_string(),
            found,
            known,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = index as i64 + 1;
        // IMMEDIATE takes the write lock first, so two processes opening a
        // new store at once do not both run the same migration.
        conn.execute_batch("BEGIN IMMEDIATE").map_err(wrap)?;
        let current: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(wrap)?;
        if current >= version {
            conn.execute_batch("COMMIT").map_err(wrap)?;
            continue;
        }
        let applied = conn
            .execute_batch(sql)
            .and_then(|_| conn.pragma_update(None, "user_version", version));
        match applied {
            Ok(()) => conn.execute_batch("COMMIT").map_err(wrap)?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(wrap(e));
            }
        }
    }
    Ok(())
}
