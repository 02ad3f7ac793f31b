use super::*;
use crate::api::{CreateRequest, SoundEffectsParams, TtsParams};
use std::cmp::Ordering;

fn record(i: i64) -> TaskRecord {
    let state = LocalState::ALL[(i * 7 % 8) as usize];
    let tts = i % 3 == 0;
    let summary = format!(
        "Prompt {i} {}",
        ["Thunder", "rain", "Wind ÉCHO"][(i % 3) as usize]
    );
    let params = if tts {
        CreateRequest::Tts(TtsParams {
            text: summary.clone(),
            voice_id: "v".into(),
            voice_language: "en".into(),
            voice_speed: None,
            callback_url: None,
        })
    } else {
        CreateRequest::SoundEffects(SoundEffectsParams {
            prompt: summary.clone(),
            duration: format!("{}.0", 1 + i % 9),
            callback_url: None,
        })
    };
    TaskRecord {
        id: i,
        task_id: (i % 5 != 0).then(|| format!("cltask{i:06}")),
        state,
        submitted_at: i,
        audio_duration: (i % 4 == 0).then_some((i % 11) as f64),
        cost_usd: [0.0295, 0.0006, 0.0027, 0.0295][(i % 4) as usize],
        updated_at: i,
        ..TaskRecord::new(params)
    }
}

fn seeded(n: i64) -> (tempfile::TempDir, Store) {
    let (dir, store) = crate::store::tests::temp_store();
    let records: Vec<_> = (1..=n).map(record).collect();
    store.insert_many(&records).unwrap();
    (dir, store)
}

/// The order the table promised before the store sorted it (the old
/// in-memory sort), as the reference.
fn reference(all: &[TaskRecord], query: &ViewQuery) -> Vec<i64> {
    let needle = query.filter.trim().to_lowercase();
    let mut rows: Vec<&TaskRecord> = all
        .iter()
        .filter(|r| {
            needle.is_empty()
                || r.summary.to_lowercase().contains(&needle)
                || r.task_id.as_deref().is_some_and(|t| t.contains(&needle))
                || r.model.short() == needle
                || r.model.label().to_lowercase().contains(&needle)
                || r.model.api_name().contains(&needle)
                || r.state.as_str().contains(&needle)
        })
        .collect();
    let rank = LocalState::attention_rank;
    let newest = |a: &TaskRecord, b: &TaskRecord| b.id.cmp(&a.id);
    rows.sort_by(|a, b| match query.sort {
        SortOrder::Newest => newest(a, b),
        SortOrder::Oldest => a.id.cmp(&b.id),
        SortOrder::State => rank(a.state).cmp(&rank(b.state)).then(newest(a, b)),
        SortOrder::Cost => b.cost_usd.total_cmp(&a.cost_usd).then(newest(a, b)),
        SortOrder::Duration => {
            let len = |r: &TaskRecord| r.audio_seconds().unwrap_or(-1.0);
            len(b)
                .partial_cmp(&len(a))
                .unwrap_or(Ordering::Equal)
                .then(newest(a, b))
        }
    });
    rows.into_iter().map(|r| r.id).collect()
}

const FILTERS: [&str; 10] = [
    "",
    "e",
    "kling",
    "thunder",
    "ÉCHO",
    "ta",
    "tts",
    "fail",
    "task00012",
    "zzz",
];

#[test]
fn every_sort_order_and_filter_pages_like_the_reference() {
    let (_dir, store) = seeded(600);
    let reader = store.reader().unwrap();
    let all: Vec<_> = (1..=600).map(|i| store.get(i).unwrap()).collect();
    for sort in SortOrder::ALL {
        for filter in FILTERS {
            let query = ViewQuery::new(filter, sort);
            let want = reference(&all, &query);
            let count = reader.count(&query).unwrap();
            assert_eq!(count, want.len() as u64, "count {query:?}");
            let mut got = Vec::new();
            let mut offset = 0;
            loop {
                let page = reader.rows(&query, offset, 97).unwrap();
                if page.is_empty() {
                    break;
                }
                offset += page.len() as u64;
                got.extend(page.iter().map(|r| r.id));
            }
            assert_eq!(got, want, "rows {query:?}");
            let tail = reader.rows_from_end(&query, 3, 10).unwrap();
            let tail: Vec<i64> = tail.iter().map(|r| r.id).collect();
            let end = want.len().saturating_sub(3);
            assert_eq!(tail, want[end.saturating_sub(10)..end], "tail {query:?}");
            for (pos, id) in want.iter().enumerate().step_by(37) {
                assert_eq!(
                    reader.position_of(*id, &query).unwrap(),
                    Some(pos as u64),
                    "position of {id} in {query:?}"
                );
            }
        }
    }
}

#[test]
fn a_row_outside_the_filter_has_no_position() {
    let (_dir, store) = seeded(30);
    let thunder = ViewQuery::new("thunder", SortOrder::Cost);
    // Ids 3, 6, … say Thunder; 1 says rain.
    assert_eq!(store.view_position_of(1, &thunder).unwrap(), None);
    assert!(store.view_position_of(3, &thunder).unwrap().is_some());
    assert_eq!(
        store.view_position_of(999, &ViewQuery::default()).unwrap(),
        None
    );
}

#[test]
fn totals_follow_every_write_without_a_scan() {
    let (_dir, store) = seeded(200);
    let scan = |store: &Store| {
        let mut counts = HashMap::new();
        let mut spent = 0.0;
        for r in store.list(&super::super::ListFilter::default()).unwrap() {
            *counts.entry(r.state).or_insert(0u64) += 1;
            if !matches!(r.state, LocalState::SubmitFailed | LocalState::Submitting) {
                spent += r.cost_usd;
            }
        }
        (counts, spent)
    };
    let id = store
        .insert_intent(
            &CreateRequest::SoundEffects(SoundEffectsParams {
                prompt: "new".into(),
                duration: "5.0".into(),
                callback_url: None,
            }),
            false,
        )
        .unwrap();
    store.mark_submitted(id, "clnew").unwrap();
    store.mark_lost(3, "gone").unwrap();
    store.mark_submit_failed(4, "refused").unwrap();
    let totals = store.totals().unwrap();
    let (counts, spent) = scan(&store);
    for state in LocalState::ALL {
        assert_eq!(
            totals.count(state),
            counts.get(&state).copied().unwrap_or(0),
            "{state}"
        );
    }
    assert_eq!(totals.tasks(), 201);
    assert!(
        (totals.spent_usd() - spent).abs() < 1e-9,
        "{totals:?} vs {spent}"
    );
    assert_eq!(store.count().unwrap(), 201);
}

#[test]
fn the_reader_sees_another_connections_writes_and_the_text_index_follows() {
    let (_dir, store) = seeded(10);
    let reader = store.reader().unwrap();
    let version = reader.data_version().unwrap();
    let other = Store::open(store.path()).unwrap();
    let id = other
        .insert_intent(
            &CreateRequest::SoundEffects(SoundEffectsParams {
                prompt: "Glass shattering".into(),
                duration: "2.0".into(),
                callback_url: None,
            }),
            false,
        )
        .unwrap();
    assert_ne!(reader.data_version().unwrap(), version);
    let glass = ViewQuery::new("SHATTER", SortOrder::Newest);
    assert_eq!(reader.count(&glass).unwrap(), 1);
    assert_eq!(reader.rows(&glass, 0, 5).unwrap()[0].id, id);
    // A task id arriving later is searchable too.
    other.mark_submitted(id, "clglass42").unwrap();
    let by_id = ViewQuery::new("glass42", SortOrder::Newest);
    assert_eq!(reader.position_of(id, &by_id).unwrap(), Some(0));
}

#[test]
fn the_tables_queries_use_their_indexes() {
    let (_dir, store) = seeded(50);
    let conn = store.conn();
    let plan = |sql: &str| -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(3)).unwrap();
        rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("; ")
    };
    for sort in SortOrder::ALL {
        let sql = format!("SELECT id FROM tasks {} LIMIT 50", sort.order_by(false));
        let p = plan(&sql);
        assert!(!p.contains("TEMP B-TREE"), "{sort:?} sorts: {p}");
        let p = plan(&format!(
            "SELECT id FROM tasks {} LIMIT 50",
            sort.order_by(true)
        ));
        assert!(!p.contains("TEMP B-TREE"), "{sort:?} reversed sorts: {p}");
    }
    let p = plan("SELECT id FROM tasks WHERE state IN ('pending', 'processing') ORDER BY id");
    assert!(!p.contains("SCAN tasks"), "unfinished scans: {p}");
    let p = plan(
        "SELECT COUNT(*) FROM tasks WHERE id IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH '\"abc\"')",
    );
    assert!(p.contains("VIRTUAL TABLE"), "text filter: {p}");
}

#[test]
fn starred_and_group_terms_narrow_the_view() {
    let (_dir, store) = seeded(10);
    let rain = CreateRequest::SoundEffects(SoundEffectsParams {
        prompt: "Rain on tin".into(),
        duration: "5.0".into(),
        callback_url: None,
    });
    let takes = store.insert_intents(&rain, false, 3, Some("g42")).unwrap();
    store.set_starred(takes[1], true).unwrap();
    store.set_starred(4, true).unwrap();
    let ids = |filter: &str| -> Vec<i64> {
        let query = ViewQuery::new(filter, SortOrder::Newest);
        store
            .view_rows(&query, 0, 50)
            .unwrap()
            .iter()
            .map(|t| t.id)
            .collect()
    };
    assert_eq!(ids("is:starred"), [takes[1], 4]);
    assert_eq!(ids("IS:STARRED tin"), [takes[1]]);
    assert_eq!(ids("group:g42"), [takes[2], takes[1], takes[0]]);
    assert_eq!(ids("group:g42 is:starred"), [takes[1]]);
    assert!(ids("group:nope").is_empty());
    let reader = store.reader().unwrap();
    assert_eq!(
        reader
            .count(&ViewQuery::new("is:starred", SortOrder::Cost))
            .unwrap(),
        2
    );
}

#[test]
fn the_sql_state_rank_is_the_attention_rank() {
    let (_dir, store) = crate::store::tests::temp_store();
    let conn = store.conn();
    for state in LocalState::ALL {
        let sql_rank: i64 = conn
            .query_row(
                &format!("SELECT {STATE_RANK} FROM (SELECT ?1 AS state)"),
                [state.as_str()],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(sql_rank, i64::from(state.attention_rank()), "{state}");
    }
}

#[test]
fn a_reader_told_to_stop_stops_its_query() {
    let (_dir, store) = seeded(2000);
    let mut reader = store.reader().unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let flag = stop.clone();
    reader
        .stop_when(move || flag.load(std::sync::atomic::Ordering::SeqCst))
        .unwrap();
    let err = reader
        .count(&ViewQuery::new("pr", SortOrder::Newest))
        .unwrap_err();
    assert!(is_interrupted(&err), "{err}");
    stop.store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        reader
            .count(&ViewQuery::new("pr", SortOrder::Newest))
            .unwrap(),
        2000
    );
}

#[test]
fn the_first_page_of_a_filter_reads_its_indexes_in_id_order() {
    let (_dir, store) = seeded(50);
    let conn = store.conn();
    for filter in ["thunder", "ta", "e", "is:starred rain", "group:g1 tts"] {
        let parsed = filter::parse(filter);
        let (ids, args) = parsed.ids_sql(true, 144).unwrap();
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {ids}")).unwrap();
        let plan: Vec<String> = stmt
            .query_map(params_from_iter(args), |r| r.get::<_, String>(3))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let plan = plan.join("; ");
        assert!(!plan.contains("TEMP B-TREE"), "{filter}: {plan}");
    }
}
