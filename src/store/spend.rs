//! Writing a task's row under a budget, and batch keys: the spend check, the
//! "already created from this line" check and the insert happen in one
//! write transaction, so two klang processes cannot both pass the check and
//! then both spend.

use super::record::{self, LocalState, TaskRecord};
use super::{Result, Store, now_ms};
use crate::api::CreateRequest;
use crate::budget::{OverBudget, Window};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// Where a batch task came from: a key unique to the file and line, and
/// the line number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchTag {
    pub key: String,
    pub line: i64,
}

/// A row about to be written before its create request is sent.
pub struct Intent<'a> {
    pub request: &'a CreateRequest,
    pub has_callback: bool,
    pub batch: Option<&'a BatchTag>,
    /// Rows to write (variations of one prompt); 1 for a batch line.
    pub count: usize,
    /// Shared by variations written together.
    pub group_id: Option<&'a str>,
}

#[derive(Debug)]
pub enum Inserted {
    /// New rows, in order; their creates may be sent.
    New(Vec<i64>),
    /// A task was already created from this batch line: nothing written.
    Existing(Box<TaskRecord>),
    /// Spending this would pass a cap: nothing written.
    OverBudget(OverBudget),
}

/// The states that count as spend: everything but a create the server
/// certainly refused. `submitting` counts because its request is in flight.
const SPEND_SQL: &str = "SELECT COALESCE(SUM(cost_usd), 0) FROM tasks WHERE submitted_at >= ?1 AND state <> 'submit-failed'";

fn spent_since(conn: &Connection, since_ms: i64) -> rusqlite::Result<f64> {
    conn.query_row(SPEND_SQL, params![since_ms], |r| r.get(0))
}

impl Store {
    /// Dollars spent (or possibly spent) on tasks written since `since_ms`.
    pub fn spent_since(&self, since_ms: i64) -> Result<f64> {
        spent_since(&self.conn(), since_ms).map_err(|e| self.err(e))
    }

    /// Writes the row for `intent` unless a budget window or an existing
    /// task from the same batch line forbids it.
    pub fn insert_checked(&self, intent: &Intent<'_>, windows: &[Window]) -> Result<Inserted> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        if let Some(tag) = intent.batch
            && let Some(existing) = find_live_batch_row(&tx, &tag.key).map_err(|e| self.err(e))?
        {
            return Ok(Inserted::Existing(Box::new(existing)));
        }
        let cost = intent.request.model().price_usd() * intent.count as f64;
        for window in windows {
            let spent = spent_since(&tx, window.since_ms).map_err(|e| self.err(e))?;
            if let Err(over) = window.check(spent, cost) {
                return Ok(Inserted::OverBudget(over));
            }
        }
        let mut ids = Vec::with_capacity(intent.count);
        for _ in 0..intent.count {
            ids.push(insert_row(&tx, intent).map_err(|e| self.err(e))?);
        }
        // What a person typed is kept for recall; a batch file's lines
        // would only crowd it out.
        if intent.batch.is_none() {
            let model = intent.request.model().api_name();
            for (field, value) in crate::api::redact::request(intent.request).fields() {
                // A URL kept without its token cannot be sent again.
                if super::compose::HISTORY_FIELDS.contains(&field)
                    && !value.trim().is_empty()
                    && !crate::api::redact::is_redacted(&value)
                {
                    super::compose::remember(&tx, model, field, &value).map_err(|e| self.err(e))?;
                }
            }
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok(Inserted::New(ids))
    }

    /// The live task (anything but `submit-failed`) created from a batch
    /// line with this key, if any.
    pub fn find_batch(&self, key: &str) -> Result<Option<TaskRecord>> {
        find_live_batch_row(&self.conn(), key).map_err(|e| self.err(e))
    }
}

/// The row in state `submitting`, stamped now. Its params and summary are
/// kept without klang's tokens (see `api::redact`).
pub(super) fn insert_row(conn: &Connection, intent: &Intent<'_>) -> rusqlite::Result<i64> {
    let kept = crate::api::redact::request(intent.request);
    let params_json = serde_json::to_string(&kept).unwrap_or_else(|_| "{}".into());
    let now = now_ms();
    conn.execute(
        "INSERT INTO tasks (model, params, summary, state, submitted_at, cost_usd, has_callback, updated_at, batch_key, batch_line, group_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?5, ?8, ?9, ?10)",
        params![
            intent.request.model().api_name(),
            params_json,
            kept.summary(),
            LocalState::Submitting.as_str(),
            now,
            intent.request.model().price_usd(),
            intent.has_callback,
            intent.batch.map(|t| t.key.as_str()),
            intent.batch.map(|t| t.line),
            intent.group_id,
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

fn find_live_batch_row(conn: &Connection, key: &str) -> rusqlite::Result<Option<TaskRecord>> {
    conn.query_row(
        &format!(
            "SELECT {} FROM tasks WHERE batch_key = ?1 AND state <> 'submit-failed'",
            record::COLUMNS
        ),
        params![key],
        record::from_row,
    )
    .optional()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::Period;
    use crate::store::tests::{temp_store, tts};

    fn window(cap: f64) -> Window {
        Window {
            period: Period::Day,
            cap_usd: cap,
            since_ms: 0,
        }
    }

    #[test]
    fn a_budget_counts_unknown_submits_but_not_refused_ones() {
        let (_dir, store) = temp_store();
        let req = tts("hi");
        let intent = Intent {
            request: &req,
            has_callback: false,
            batch: None,
            count: 1,
            group_id: None,
        };
        let cap = [window(0.0012)];
        let Inserted::New(a) = store.insert_checked(&intent, &cap).unwrap() else {
            panic!("first fits");
        };
        store.mark_submit_unknown(a[0], "reset").unwrap();
        let Inserted::New(b) = store.insert_checked(&intent, &cap).unwrap() else {
            panic!("second fits");
        };
        let Inserted::OverBudget(over) = store.insert_checked(&intent, &cap).unwrap() else {
            panic!("third passes the cap");
        };
        assert!((over.spent_usd - 0.0012).abs() < 1e-9);
        // A create the server refused was never charged: room again.
        store.mark_submit_failed(b[0], "400").unwrap();
        assert!(matches!(
            store.insert_checked(&intent, &cap).unwrap(),
            Inserted::New(_)
        ));
        assert_eq!(store.count().unwrap(), 3);
    }

    #[test]
    fn variations_are_refused_whole_when_the_budget_covers_only_some() {
        let (_dir, store) = temp_store();
        let req = tts("takes");
        let intent = Intent {
            request: &req,
            has_callback: false,
            batch: None,
            count: 3,
            group_id: Some("g1"),
        };
        let Inserted::OverBudget(over) = store.insert_checked(&intent, &[window(0.0012)]).unwrap()
        else {
            panic!("three takes cost $0.0018");
        };
        assert!((over.cost_usd - 0.0018).abs() < 1e-9);
        assert_eq!(store.count().unwrap(), 0);
        let Inserted::New(ids) = store.insert_checked(&intent, &[window(0.0018)]).unwrap() else {
            panic!("fits exactly");
        };
        assert_eq!(ids.len(), 3);
    }

    #[test]
    fn a_batch_key_admits_one_live_row() {
        let (_dir, store) = temp_store();
        let req = tts("line one");
        let tag = BatchTag {
            key: "k1".into(),
            line: 7,
        };
        let intent = Intent {
            request: &req,
            has_callback: false,
            batch: Some(&tag),
            count: 1,
            group_id: None,
        };
        let Inserted::New(id) = store.insert_checked(&intent, &[]).unwrap() else {
            panic!("new");
        };
        assert_eq!(store.get(id[0]).unwrap().batch_line, Some(7));
        match store.insert_checked(&intent, &[]).unwrap() {
            Inserted::Existing(r) => assert_eq!(r.id, id[0]),
            other => panic!("{other:?}"),
        }
        // Refused by the server: the line may be sent again.
        store.mark_submit_failed(id[0], "429").unwrap();
        assert!(matches!(
            store.insert_checked(&intent, &[]).unwrap(),
            Inserted::New(_)
        ));
        assert!(store.find_batch("k1").unwrap().is_some());
    }
}
