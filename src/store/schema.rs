//! Schema versions, kept in SQLite's `user_version`. Each migration runs in
//! a transaction; a store from a newer klang is refused rather than damaged.

use super::{Result, StoreError};
use rusqlite::Connection;
use std::path::Path;

/// The State sort's key: what needs attention first (failures, then what
/// runs, then the finished). Shared by the index and the queries, which
/// must spell it identically for SQLite to use the index.
macro_rules! state_rank_sql {
    () => {
        "(CASE state WHEN 'failed' THEN 0 WHEN 'submit-failed' THEN 1 WHEN 'lost' THEN 2 \
         WHEN 'submit-unknown' THEN 3 WHEN 'processing' THEN 4 WHEN 'pending' THEN 5 \
         WHEN 'submitting' THEN 6 ELSE 7 END)"
    };
}

/// The Duration sort's key: the audio length the server reported, else the
/// length decoding the file measured, else the length a finished sound
/// effect asked for, else -1 (sorts last).
macro_rules! duration_key_sql {
    () => {
        "COALESCE(audio_duration, measured_seconds, CASE WHEN state = 'completed' AND model = 'kling-sound-effects' \
         AND json_valid(params) \
         THEN CAST(json_extract(params, '$.duration') AS REAL) END, -1.0)"
    };
}

/// The key as schema version 3 indexed it (before `measured_seconds`).
macro_rules! duration_key_v3_sql {
    () => {
        "COALESCE(audio_duration, CASE WHEN state = 'completed' AND model = 'kling-sound-effects' \
         AND json_valid(params) \
         THEN CAST(json_extract(params, '$.duration') AS REAL) END, -1.0)"
    };
}

pub(super) const STATE_RANK: &str = state_rank_sql!();
pub(super) const DURATION_KEY: &str = duration_key_sql!();

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
    // 3: a history of a million tasks costs what a hundred do. An index per
    // sort order the table offers (the query must spell the key exactly as
    // the index does: see `view.rs`), a partial index for the tasks the
    // engine polls, totals per state kept by triggers in the same
    // transaction as each task write (so start-up never scans), and a
    // trigram full-text index for the text filter.
    concat!(
        "CREATE INDEX tasks_model ON tasks(model);
        CREATE INDEX tasks_by_state ON tasks(",
        state_rank_sql!(),
        ", id DESC);
        CREATE INDEX tasks_by_cost ON tasks(cost_usd DESC, id DESC);
        CREATE INDEX tasks_by_duration ON tasks(",
        duration_key_v3_sql!(),
        " DESC, id DESC);
        CREATE INDEX tasks_unfinished ON tasks(id) WHERE state IN ('pending', 'processing');
        CREATE TABLE task_totals (
            state TEXT PRIMARY KEY,
            tasks INTEGER NOT NULL,
            cost_micros INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO task_totals (state, tasks, cost_micros)
            SELECT state, COUNT(*), SUM(CAST(ROUND(cost_usd * 1000000) AS INTEGER))
            FROM tasks GROUP BY state;
        CREATE TRIGGER tasks_totals_insert AFTER INSERT ON tasks BEGIN
            INSERT INTO task_totals (state, tasks, cost_micros)
                VALUES (new.state, 1, CAST(ROUND(new.cost_usd * 1000000) AS INTEGER))
                ON CONFLICT (state) DO UPDATE SET tasks = tasks + 1,
                    cost_micros = cost_micros + excluded.cost_micros;
        END;
        CREATE TRIGGER tasks_totals_update AFTER UPDATE OF state, cost_usd ON tasks
        WHEN old.state IS NOT new.state OR old.cost_usd IS NOT new.cost_usd BEGIN
            UPDATE task_totals SET tasks = tasks - 1,
                cost_micros = cost_micros - CAST(ROUND(old.cost_usd * 1000000) AS INTEGER)
                WHERE state = old.state;
            INSERT INTO task_totals (state, tasks, cost_micros)
                VALUES (new.state, 1, CAST(ROUND(new.cost_usd * 1000000) AS INTEGER))
                ON CONFLICT (state) DO UPDATE SET tasks = tasks + 1,
                    cost_micros = cost_micros + excluded.cost_micros;
        END;
        CREATE TRIGGER tasks_totals_delete AFTER DELETE ON tasks BEGIN
            UPDATE task_totals SET tasks = tasks - 1,
                cost_micros = cost_micros - CAST(ROUND(old.cost_usd * 1000000) AS INTEGER)
                WHERE state = old.state;
        END;
        CREATE VIRTUAL TABLE tasks_fts USING fts5(
            summary, task_id, content = 'tasks', content_rowid = 'id', tokenize = 'trigram'
        );
        INSERT INTO tasks_fts (tasks_fts) VALUES ('rebuild');
        CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN
            INSERT INTO tasks_fts (rowid, summary, task_id) VALUES (new.id, new.summary, new.task_id);
        END;
        CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN
            INSERT INTO tasks_fts (tasks_fts, rowid, summary, task_id)
                VALUES ('delete', old.id, old.summary, old.task_id);
        END;
        CREATE TRIGGER tasks_fts_update AFTER UPDATE OF summary, task_id ON tasks
        WHEN old.summary IS NOT new.summary OR old.task_id IS NOT new.task_id BEGIN
            INSERT INTO tasks_fts (tasks_fts, rowid, summary, task_id)
                VALUES ('delete', old.id, old.summary, old.task_id);
            INSERT INTO tasks_fts (rowid, summary, task_id) VALUES (new.id, new.summary, new.task_id);
        END;"
    ),
    // 4: variations share a group id; a person can star a task; the values
    // typed into the form's text fields, per model and field, for recall
    // (seeded from the latest 2,000 tasks: recall keeps 500 per field, and
    // a big history migrates in milliseconds). Re-using a value moves it to
    // the newest `seq`.
    "ALTER TABLE tasks ADD COLUMN group_id TEXT;
    ALTER TABLE tasks ADD COLUMN starred INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX tasks_group ON tasks(group_id) WHERE group_id IS NOT NULL;
    CREATE INDEX tasks_starred ON tasks(starred) WHERE starred = 1;
    CREATE TABLE prompt_history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        model TEXT NOT NULL,
        field TEXT NOT NULL,
        value TEXT NOT NULL,
        UNIQUE (model, field, value)
    );
    CREATE INDEX prompt_history_recent ON prompt_history(model, field, seq);
    INSERT OR REPLACE INTO prompt_history (model, field, value)
        SELECT t.model, f.name, json_extract(t.params, '$.' || f.name)
        FROM (SELECT id, model, params FROM tasks ORDER BY id DESC LIMIT 2000) t,
            (SELECT 'prompt' AS name UNION ALL SELECT 'text' UNION ALL SELECT 'video_url'
             UNION ALL SELECT 'video_id' UNION ALL SELECT 'sound_effect_prompt'
             UNION ALL SELECT 'bgm_prompt') f
        WHERE json_valid(t.params)
            AND typeof(json_extract(t.params, '$.' || f.name)) = 'text'
            AND trim(json_extract(t.params, '$.' || f.name)) <> ''
        ORDER BY t.id;",
    // 5: batch files. A row created from a batch line carries the line's
    // key (written in the same statement as the row, before the create is
    // sent) so running the file again never pays twice; at most one live
    // row per key, but a row the server certainly refused does not block a
    // retry. The line number orders downloaded files. Spend is summed by
    // submit time for budgets.
    "ALTER TABLE tasks ADD COLUMN batch_key TEXT;
    ALTER TABLE tasks ADD COLUMN batch_line INTEGER;
    CREATE UNIQUE INDEX tasks_batch_key ON tasks(batch_key)
        WHERE batch_key IS NOT NULL AND state <> 'submit-failed';
    CREATE INDEX tasks_submitted ON tasks(submitted_at);",
    // 6: what decoding the downloaded file measured, once per file, so a
    // restart or a second process does not decode again. `error` holds why
    // a file could not be decoded (also stored: a broken file stays broken).
    // `measured_seconds` on the task feeds the length column when the API
    // gave no audioDuration.
    // The Duration sort's index now counts the measured length too.
    concat!(
        "ALTER TABLE tasks ADD COLUMN measured_seconds REAL;
    CREATE TABLE audio_analysis (
        task INTEGER PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        analysed_at INTEGER NOT NULL,
        error TEXT,
        duration_s REAL,
        sample_rate INTEGER,
        channels INTEGER,
        peak_dbfs REAL,
        loudness_lufs REAL,
        leading_silence_s REAL,
        trailing_silence_s REAL,
        peaks BLOB
    );
    DROP INDEX tasks_by_duration;
    CREATE INDEX tasks_by_duration ON tasks(",
        duration_key_sql!(),
        " DESC, id DESC);"
    ),
    // 7: one heartbeat per polling process instead of a lease renewed on
    // every poll: a process's claims on its tasks hold while its row here
    // is fresh, so polling a thousand tasks writes one small row now and
    // then instead of a thousand task rows per round.
    "CREATE TABLE poll_owners (
        owner TEXT PRIMARY KEY,
        alive_until INTEGER NOT NULL
    );",
    // 8: discarded takes stay in the history (what was paid for), their
    // files gone; the partial index counts them at once for the default
    // view, which hides them.
    "ALTER TABLE tasks ADD COLUMN discarded INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX tasks_discarded ON tasks(id) WHERE discarded = 1;",
    // 9: true peak and loudness range beside the other figures. Analyses
    // stored before them (and before decoding applied MP4 edit lists and
    // kept the last frame of an MP3 without a Xing header) are dropped, so
    // each file is measured again the next time it is shown.
    "ALTER TABLE audio_analysis ADD COLUMN true_peak_dbtp REAL;
    ALTER TABLE audio_analysis ADD COLUMN loudness_range_lu REAL;
    DELETE FROM audio_analysis;",
    // 10: when a `submit-unknown` task got its task id from its own callback
    // (the create's answer was lost, the provider made it anyway).
    "ALTER TABLE tasks ADD COLUMN recovered_at INTEGER;",
    // 11: the dubbed videos `klang mux` and the mux key wrote, so the
    // details can show them (a table of their own: a task may have many).
    "CREATE TABLE muxes (
        task INTEGER NOT NULL REFERENCES tasks(id),
        path TEXT NOT NULL,
        made_at INTEGER NOT NULL
    );
    CREATE INDEX muxes_task ON muxes(task, made_at);",
    // 12: a clip on disk klang serves to the provider itself
    // (`--video-file`): where it is, what it hashed to when submitted (so a
    // restart can tell whether it changed), the SHA-256 of its URL's random
    // token (a lookup by the token's hash says nothing about the token),
    // and when its task ended, set by a trigger in the same write as the
    // state (serving stops 10 minutes later). A task that leaves an ended
    // state (a lost task found again) is served again.
    "CREATE TABLE task_media (
        task INTEGER PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
        token_sha256 TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL,
        name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        content_type TEXT NOT NULL,
        ended_at INTEGER
    );
    CREATE TRIGGER task_media_ended AFTER UPDATE OF state ON tasks
    WHEN old.state IS NOT new.state BEGIN
        UPDATE task_media SET ended_at = CASE
            WHEN new.state IN ('completed', 'failed', 'lost', 'submit-failed') THEN new.updated_at
            END
        WHERE task = new.id;
    END;",
    // 13: pieces, one work made of many tasks (`klang speak`). A piece is
    // known by its output file; its segments are kept in order, each with
    // the span of source text it came from, its create request, the
    // content key (the hash of the canonical request: model, voice,
    // speed, text; not its position) and the task chosen for it. A
    // segment's takes are the task rows whose batch key is
    // `seg:<content key>#<take>`, written with the row before the create
    // is sent (as batch lines are), so any piece with the same request
    // reuses them and nothing is paid twice.
    "CREATE TABLE pieces (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        output TEXT NOT NULL UNIQUE,
        settings TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        assembled_key TEXT,
        srt TEXT,
        vtt TEXT,
        chapters TEXT,
        figures TEXT,
        last_error TEXT
    );
    CREATE TABLE segments (
        piece INTEGER NOT NULL REFERENCES pieces(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        span_start INTEGER NOT NULL,
        span_end INTEGER NOT NULL,
        chars INTEGER NOT NULL,
        request TEXT NOT NULL,
        content_key TEXT NOT NULL,
        task INTEGER REFERENCES tasks(id),
        PRIMARY KEY (piece, position)
    ) WITHOUT ROWID;
    CREATE INDEX segments_task ON segments(task) WHERE task IS NOT NULL;",
    // 14: a clip's path exactly as the OS gave it (bytes: a name need not
    // be UTF-8; `path` keeps a readable form for display), and klang's
    // tokens out of the store: the callback and clip URLs kept in params,
    // the summaries and the form's recall are rewritten without them
    // (`forget_tokens`, in the same transaction).
    "ALTER TABLE task_media ADD COLUMN path_bytes BLOB;",
    // 15: how a dub's segment fits its cue (`klang dub`), as JSON
    // (`store::DubFit`): the cue, its slot, the speed sent, and once
    // assembled the speech's length, where it starts, its overrun and
    // what was done about it. NULL for narration.
    "ALTER TABLE segments ADD COLUMN fit TEXT;",
];

/// Steps of a migration that SQL cannot say, run after its SQL in the same
/// transaction.
fn after_sql(conn: &Connection, version: i64) -> rusqlite::Result<()> {
    match version {
        14 => forget_tokens(conn),
        _ => Ok(()),
    }
}

/// Rewrites every stored URL that holds one of klang's tokens without it
/// (see `api::redact`). What was overwritten is zeroed on disk
/// (`secure_delete`), not left in free pages. A recalled value that held a
/// token is dropped: without it, it is of no use.
fn forget_tokens(conn: &Connection) -> rusqlite::Result<()> {
    use crate::api::redact;
    conn.pragma_update(None, "secure_delete", true)?;
    let rows: Vec<(i64, String, String)> = {
        let mut stmt = conn.prepare(
            "SELECT id, params, summary FROM tasks
             WHERE params LIKE '%/klang/%' OR summary LIKE '%/klang/%'",
        )?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    for (id, params, summary) in rows {
        let (p, s) = (redact::text(&params), redact::text(&summary));
        if p != params.as_str() || s != summary.as_str() {
            conn.execute(
                "UPDATE tasks SET params = ?2, summary = ?3 WHERE id = ?1",
                rusqlite::params![id, p, s],
            )?;
        }
    }
    let recalled: Vec<(i64, String)> = {
        let mut stmt =
            conn.prepare("SELECT seq, value FROM prompt_history WHERE value LIKE '%/klang/%'")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    for (seq, value) in recalled {
        if redact::text(&value) != value.as_str() {
            conn.execute("DELETE FROM prompt_history WHERE seq = ?1", [seq])?;
        }
    }
    conn.pragma_update(None, "secure_delete", false)
}

pub fn migrate(conn: &Connection, path: &Path) -> Result<()> {
    let wrap = |source| StoreError::sqlite(path, source);
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
            .and_then(|_| after_sql(conn, version))
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
