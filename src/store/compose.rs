//! What composing needs from the store: variations written as one group,
//! stars, and the prompt history the form recalls (per model and field,
//! newest first, shared by every process on the store).

use super::record::TaskRecord;
use super::{Result, Store, StoreError, now_ms};
use crate::api::CreateRequest;
use rusqlite::params;

/// Values kept per model and field; older ones are forgotten.
const HISTORY_KEEP: i64 = 500;

/// The request fields worth recalling: free text a person typed.
pub(super) const HISTORY_FIELDS: [&str; 6] = [
    "prompt",
    "text",
    "video_url",
    "video_id",
    "sound_effect_prompt",
    "bgm_prompt",
];

impl Store {
    /// Step one of submitting `count` variations: `count` rows written in
    /// one transaction, sharing `group_id` when given, and the request's
    /// text remembered for recall. Returns the local ids in order. (The
    /// engine's submit adds budgets: `insert_checked`.)
    pub fn insert_intents(
        &self,
        request: &CreateRequest,
        has_callback: bool,
        count: usize,
        group_id: Option<&str>,
    ) -> Result<Vec<i64>> {
        let intent = super::Intent {
            request,
            has_callback,
            batch: None,
            count,
            group_id,
        };
        // Without budget windows or a batch key only `New` can come back.
        match self.insert_checked(&intent, &[])? {
            super::Inserted::New(ids) => Ok(ids),
            _ => Ok(Vec::new()),
        }
    }

    /// Earlier values of `field` for `model`, newest first, each once.
    pub fn prompt_history(&self, model: &str, field: &str, limit: usize) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT value FROM prompt_history WHERE model = ?1 AND field = ?2
                 ORDER BY seq DESC LIMIT ?3",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![model, field, limit as i64], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<std::result::Result<Vec<String>, _>>()
            .map_err(|e| self.err(e))
    }

    /// Stars or unstars task `id`; other processes see it as a change.
    pub fn set_starred(&self, id: i64, starred: bool) -> Result<TaskRecord> {
        self.update(
            id,
            "UPDATE tasks SET starred = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, starred, now_ms()],
        )
    }

    /// Flips task `id`'s star; returns the row as it now is.
    pub fn toggle_star(&self, id: i64) -> Result<TaskRecord> {
        let current = self.get(id)?;
        self.set_starred(id, !current.starred)
    }

    /// Marks task `id` discarded (or keeps it again) and forgets its file,
    /// which the caller has deleted; `d` can fetch it again. A starred task
    /// is refused: unstar it first.
    pub fn set_discarded(&self, id: i64, discarded: bool) -> Result<TaskRecord> {
        let current = self.get(id)?;
        if discarded && current.starred {
            return Err(StoreError::Refused(format!(
                "#{id} is starred: unstar it before discarding it"
            )));
        }
        self.update(
            id,
            "UPDATE tasks SET discarded = ?2, updated_at = ?3,
                local_path = CASE WHEN ?2 THEN NULL ELSE local_path END
             WHERE id = ?1",
            params![id, discarded, now_ms()],
        )
    }

    /// The tasks of one group, in submit order.
    pub fn group(&self, group_id: &str) -> Result<Vec<TaskRecord>> {
        self.query("WHERE group_id = ?1 ORDER BY id", params![group_id])
    }
}

/// Re-using a value deletes and re-inserts it, so it becomes the newest.
pub(super) fn remember(
    tx: &rusqlite::Transaction<'_>,
    model: &str,
    field: &str,
    value: &str,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO prompt_history (model, field, value) VALUES (?1, ?2, ?3)",
        params![model, field, value],
    )?;
    tx.execute(
        "DELETE FROM prompt_history WHERE model = ?1 AND field = ?2 AND seq <=
            (SELECT seq FROM prompt_history WHERE model = ?1 AND field = ?2
             ORDER BY seq DESC LIMIT 1 OFFSET ?3)",
        params![model, field, HISTORY_KEEP],
    )?;
    Ok(())
}

/// A fresh group id: eight hex digits, short enough to type.
pub fn new_group_id() -> String {
    format!("{:08x}", rand::random::<u32>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ListFilter;
    use crate::store::tests::{sfx, temp_store};

    #[test]
    fn variations_share_a_group_and_list_by_it() {
        let (_dir, store) = temp_store();
        let ids = store
            .insert_intents(&sfx("rain"), false, 3, Some("g1"))
            .unwrap();
        store.insert_intents(&sfx("wind"), false, 1, None).unwrap();
        assert_eq!(ids.len(), 3);
        let group = store.group("g1").unwrap();
        assert_eq!(group.iter().map(|t| t.id).collect::<Vec<_>>(), ids);
        let filter = ListFilter {
            group: Some("g1".into()),
            ..Default::default()
        };
        assert_eq!(store.list(&filter).unwrap().len(), 3);
        assert_eq!(store.list(&ListFilter::default()).unwrap().len(), 4);
    }

    #[test]
    fn stars_toggle_and_filter() {
        let (_dir, store) = temp_store();
        let ids = store.insert_intents(&sfx("a"), false, 2, None).unwrap();
        let starred = ListFilter {
            starred: true,
            ..Default::default()
        };
        assert!(store.list(&starred).unwrap().is_empty());
        assert!(store.toggle_star(ids[1]).unwrap().starred);
        let listed = store.list(&starred).unwrap();
        assert_eq!(listed.iter().map(|t| t.id).collect::<Vec<_>>(), [ids[1]]);
        assert!(!store.toggle_star(ids[1]).unwrap().starred);
        assert!(store.list(&starred).unwrap().is_empty());
    }

    #[test]
    fn history_is_newest_first_distinct_per_model_and_field() {
        let (dir, store) = temp_store();
        for prompt in ["rain", "wind", "rain", "  ", "thunder"] {
            store.insert_intents(&sfx(prompt), false, 1, None).unwrap();
        }
        assert_eq!(
            store
                .prompt_history("kling-sound-effects", "prompt", 10)
                .unwrap(),
            ["thunder", "rain", "wind"]
        );
        assert!(
            store
                .prompt_history("kling-tts", "prompt", 10)
                .unwrap()
                .is_empty()
        );
        // Another process (connection) sees the same history.
        let other = Store::open(&dir.path().join("tasks.db")).unwrap();
        assert_eq!(
            other
                .prompt_history("kling-sound-effects", "prompt", 1)
                .unwrap(),
            ["thunder"]
        );
    }

    #[test]
    fn history_forgets_beyond_its_cap() {
        let (_dir, store) = temp_store();
        for i in 0..(HISTORY_KEEP + 5) {
            store
                .insert_intents(&sfx(&format!("p{i}")), false, 1, None)
                .unwrap();
        }
        let all = store
            .prompt_history("kling-sound-effects", "prompt", 10_000)
            .unwrap();
        assert_eq!(all.len() as i64, HISTORY_KEEP);
        assert_eq!(all[0], format!("p{}", HISTORY_KEEP + 4));
    }
}
