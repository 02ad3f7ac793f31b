//! Pieces (one work assembled from many tasks) and their ordered segments.
//! A segment's takes are found by its content key in the tasks' batch
//! keys (`seg:<key>#<take>`), written in the same transaction as the task
//! row by the engine's submit, so a killed build never sends a segment
//! twice and any piece with the same request reuses a finished take.

use super::record::{self, TaskRecord};
use super::{Result, Store, now_ms};
use rusqlite::{OptionalExtension, params};

/// A segment as the store keeps it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SegmentRow {
    /// 1-based, in reading order.
    pub position: i64,
    /// Byte range in the source text.
    pub span: (i64, i64),
    pub chars: i64,
    /// The create request, as JSON.
    pub request: String,
    pub content_key: String,
    /// The task chosen for it, once there is one.
    pub task: Option<i64>,
    /// A dub's segment: how it fits its cue. `None` for narration.
    pub fit: Option<super::DubFit>,
}

/// A piece as `klang pieces` lists it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PieceRow {
    pub id: i64,
    pub kind: String,
    pub source: String,
    pub output: String,
    pub state: String,
    pub segments: i64,
    /// Segments whose chosen task completed.
    pub done: i64,
    /// Tasks made for its segments (every take), and what they cost.
    pub calls: i64,
    pub cost_usd: f64,
    pub srt: Option<String>,
    pub vtt: Option<String>,
    pub chapters: Option<String>,
    pub last_error: Option<String>,
    pub updated_at: i64,
}

/// What an assembled piece wrote, and the key of what it was made from.
#[derive(Clone, Debug, Default)]
pub struct Assembled {
    pub key: String,
    pub srt: String,
    pub vtt: String,
    pub chapters: String,
    pub figures: String,
}

/// The first of a content key's batch keys, and the first past them.
fn key_range(content_key: &str) -> (String, String) {
    (format!("seg:{content_key}#"), format!("seg:{content_key}$"))
}

/// The batch key of take `take` of a segment with this content key.
pub fn take_key(content_key: &str, take: i64) -> String {
    format!("seg:{content_key}#{take}")
}

impl Store {
    /// The piece writing `output`, created (state `planned`) if new; its
    /// kind, source and settings are brought up to date.
    pub fn upsert_piece(
        &self,
        kind: &str,
        source: &str,
        output: &str,
        settings: &str,
    ) -> Result<i64> {
        let now = now_ms();
        let conn = self.conn();
        conn.execute(
            "INSERT INTO pieces (kind, source, output, settings, state, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, 'planned', ?5, ?5)
             ON CONFLICT(output) DO UPDATE SET kind = ?1, source = ?2, settings = ?4, updated_at = ?5",
            params![kind, source, output, settings, now],
        )
        .map_err(|e| self.err(e))?;
        conn.query_row(
            "SELECT id FROM pieces WHERE output = ?1",
            params![output],
            |r| r.get(0),
        )
        .map_err(|e| self.err(e))
    }

    /// Replaces the piece's segments with `rows` (one transaction).
    pub fn set_segments(&self, piece: i64, rows: &[SegmentRow]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        {
            tx.execute("DELETE FROM segments WHERE piece = ?1", params![piece])
                .map_err(|e| self.err(e))?;
            let mut insert = tx
                .prepare(
                    "INSERT INTO segments (piece, position, span_start, span_end, chars, request, content_key, task, fit)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(|e| self.err(e))?;
            for row in rows {
                insert
                    .execute(params![
                        piece,
                        row.position,
                        row.span.0,
                        row.span.1,
                        row.chars,
                        row.request,
                        row.content_key,
                        row.task,
                        row.fit.as_ref().map(super::DubFit::to_json),
                    ])
                    .map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }

    pub fn segments(&self, piece: i64) -> Result<Vec<SegmentRow>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT position, span_start, span_end, chars, request, content_key, task, fit
                 FROM segments WHERE piece = ?1 ORDER BY position",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![piece], |r| {
                Ok(SegmentRow {
                    position: r.get(0)?,
                    span: (r.get(1)?, r.get(2)?),
                    chars: r.get(3)?,
                    request: r.get(4)?,
                    content_key: r.get(5)?,
                    task: r.get(6)?,
                    fit: r
                        .get::<_, Option<String>>(7)?
                        .as_deref()
                        .and_then(super::DubFit::from_json),
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<std::result::Result<_, _>>()
            .map_err(|e| self.err(e))
    }

    /// Notes the task chosen for segment `position` of `piece`.
    pub fn choose_segment_task(&self, piece: i64, position: i64, task: i64) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE segments SET task = ?3 WHERE piece = ?1 AND position = ?2",
                params![piece, position, task],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Every take of a content key that may have been charged (all but
    /// `submit-failed`), oldest first.
    pub fn takes_of(&self, content_key: &str) -> Result<Vec<TaskRecord>> {
        let (from, to) = key_range(content_key);
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {} FROM tasks WHERE batch_key >= ?1 AND batch_key < ?2
                 AND state <> 'submit-failed' ORDER BY id",
                record::COLUMNS
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![from, to], record::from_row)
            .map_err(|e| self.err(e))?;
        rows.collect::<std::result::Result<_, _>>()
            .map_err(|e| self.err(e))
    }

    /// The number the next take of a content key gets (1 for the first).
    pub fn next_take(&self, content_key: &str) -> Result<i64> {
        let (from, to) = key_range(content_key);
        let conn = self.conn();
        let keys: Vec<String> = {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT batch_key FROM tasks WHERE batch_key >= ?1 AND batch_key < ?2",
                )
                .map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map(params![from, to], |r| r.get(0))
                .map_err(|e| self.err(e))?;
            rows.collect::<std::result::Result<_, _>>()
                .map_err(|e| self.err(e))?
        };
        let last = keys
            .iter()
            .filter_map(|k| k.rsplit('#').next()?.parse::<i64>().ok())
            .max()
            .unwrap_or(0);
        Ok(last + 1)
    }

    pub fn set_piece_state(&self, piece: i64, state: &str, error: Option<&str>) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE pieces SET state = ?2, last_error = ?3, updated_at = ?4 WHERE id = ?1",
                params![piece, state, error, now_ms()],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The piece was assembled from what `done.key` names.
    pub fn set_piece_assembled(&self, piece: i64, done: &Assembled) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE pieces SET state = 'assembled', last_error = NULL, assembled_key = ?2,
                    srt = ?3, vtt = ?4, chapters = ?5, figures = ?6, updated_at = ?7 WHERE id = ?1",
                params![
                    piece,
                    done.key,
                    done.srt,
                    done.vtt,
                    done.chapters,
                    done.figures,
                    now_ms()
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The piece's source, output and settings (JSON), if it exists.
    pub fn piece_source(&self, piece: i64) -> Result<Option<(String, String, String)>> {
        self.conn()
            .query_row(
                "SELECT source, output, settings FROM pieces WHERE id = ?1",
                params![piece],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// What the piece was last assembled from, and the figures then.
    pub fn piece_assembled(&self, piece: i64) -> Result<Option<(String, Option<String>)>> {
        self.conn()
            .query_row(
                "SELECT assembled_key, figures FROM pieces WHERE id = ?1 AND assembled_key IS NOT NULL",
                params![piece],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Every piece, newest first, with its progress and spend.
    pub fn pieces(&self) -> Result<Vec<PieceRow>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT p.id, p.kind, p.source, p.output, p.state, p.srt, p.vtt, p.chapters,
                        p.last_error, p.updated_at,
                        (SELECT COUNT(*) FROM segments s WHERE s.piece = p.id),
                        (SELECT COUNT(*) FROM segments s JOIN tasks t ON t.id = s.task
                         WHERE s.piece = p.id AND t.state = 'completed'),
                        (SELECT COUNT(*) FROM tasks t WHERE t.batch_key >= 'seg:' AND t.batch_key < 'seg;'
                         AND t.state <> 'submit-failed'
                         AND substr(t.batch_key, 5, 64) IN (SELECT content_key FROM segments s WHERE s.piece = p.id)),
                        (SELECT COALESCE(SUM(t.cost_usd), 0) FROM tasks t WHERE t.batch_key >= 'seg:' AND t.batch_key < 'seg;'
                         AND t.state <> 'submit-failed'
                         AND substr(t.batch_key, 5, 64) IN (SELECT content_key FROM segments s WHERE s.piece = p.id))
                 FROM pieces p ORDER BY p.id DESC",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(PieceRow {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    source: r.get(2)?,
                    output: r.get(3)?,
                    state: r.get(4)?,
                    srt: r.get(5)?,
                    vtt: r.get(6)?,
                    chapters: r.get(7)?,
                    last_error: r.get(8)?,
                    updated_at: r.get(9)?,
                    segments: r.get(10)?,
                    done: r.get(11)?,
                    calls: r.get(12)?,
                    cost_usd: r.get(13)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<std::result::Result<_, _>>()
            .map_err(|e| self.err(e))
    }

    /// The piece and segment position task `id` is a take of, if any: the
    /// piece whose segment chose it, else any piece with its content key.
    pub fn piece_of_task(&self, id: i64) -> Result<Option<(i64, String, i64)>> {
        let conn = self.conn();
        let chosen = conn
            .query_row(
                "SELECT p.id, p.output, s.position FROM segments s JOIN pieces p ON p.id = s.piece
                 WHERE s.task = ?1 ORDER BY p.id DESC LIMIT 1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        if chosen.is_some() {
            return Ok(chosen);
        }
        conn.query_row(
            "SELECT p.id, p.output, s.position FROM tasks t
             JOIN segments s ON s.content_key = substr(t.batch_key, 5, 64)
             JOIN pieces p ON p.id = s.piece
             WHERE t.id = ?1 AND t.batch_key LIKE 'seg:%' ORDER BY p.id DESC LIMIT 1",
            params![id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{temp_store, tts};
    use crate::store::{BatchTag, Inserted, Intent};

    fn insert(store: &Store, key: &str, take: i64) -> Inserted {
        let req = tts("x");
        let tag = BatchTag {
            key: take_key(key, take),
            line: 1,
        };
        let intent = Intent {
            request: &req,
            has_callback: false,
            batch: Some(&tag),
            count: 1,
            group_id: None,
        };
        store.insert_checked(&intent, &[]).unwrap()
    }

    #[test]
    fn takes_are_found_by_content_key_and_a_take_is_written_once() {
        let (_dir, store) = temp_store();
        let key = "a".repeat(64);
        let other = "b".repeat(64);
        assert_eq!(store.next_take(&key).unwrap(), 1);
        let Inserted::New(first) = insert(&store, &key, 1) else {
            panic!("new");
        };
        // The same take again (a rerun after a kill): nothing written.
        assert!(matches!(insert(&store, &key, 1), Inserted::Existing(_)));
        insert(&store, &other, 1);
        assert_eq!(store.next_take(&key).unwrap(), 2);
        let Inserted::New(second) = insert(&store, &key, 2) else {
            panic!("new");
        };
        let takes: Vec<i64> = store.takes_of(&key).unwrap().iter().map(|t| t.id).collect();
        assert_eq!(takes, vec![first[0], second[0]]);
        // A take the server refused is not one.
        store.mark_submit_failed(second[0], "400").unwrap();
        assert_eq!(store.takes_of(&key).unwrap().len(), 1);
        assert_eq!(store.next_take(&key).unwrap(), 3);
    }

    #[test]
    fn a_piece_is_known_by_its_output_and_names_its_tasks() {
        let (_dir, store) = temp_store();
        let key = "c".repeat(64);
        let a = store
            .upsert_piece("speech", "a.md", "/out/a.wav", "{}")
            .unwrap();
        assert_eq!(
            store
                .upsert_piece("speech", "a.md", "/out/a.wav", "{}")
                .unwrap(),
            a
        );
        let Inserted::New(ids) = insert(&store, &key, 1) else {
            panic!("new");
        };
        let row = SegmentRow {
            position: 1,
            span: (0, 5),
            chars: 5,
            request: "{}".into(),
            content_key: key.clone(),
            task: None,
            fit: None,
        };
        store.set_segments(a, std::slice::from_ref(&row)).unwrap();
        assert_eq!(
            store.piece_of_task(ids[0]).unwrap(),
            Some((a, "/out/a.wav".into(), 1))
        );
        store.choose_segment_task(a, 1, ids[0]).unwrap();
        let listed = store.pieces().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].segments, listed[0].done, listed[0].calls),
            (1, 0, 1)
        );
        assert!((listed[0].cost_usd - 0.0006).abs() < 1e-9);
        assert_eq!(store.segments(a).unwrap()[0].task, Some(ids[0]));
    }
}
