use super::*;
use crate::api::{RemoteState, SoundEffectsParams, TaskStatus};
use crate::store::query::{SortOrder, ViewQuery};
use std::time::Duration;

/// A sound-effects request (the store's other test modules use it too).
pub(super) fn sfx(prompt: &str) -> CreateRequest {
    CreateRequest::SoundEffects(SoundEffectsParams {
        prompt: prompt.into(),
        duration: "5.0".into(),
        callback_url: None,
    })
}

/// A fresh store in a temp dir (kept alive by the returned guard).
pub(super) fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("tasks.db")).unwrap();
    (dir, store)
}

/// A TTS request of `text` with voice `v1` in English.
pub(super) fn tts(text: &str) -> CreateRequest {
    CreateRequest::Tts(crate::api::TtsParams {
        text: text.into(),
        voice_id: "v1".into(),
        voice_language: "en".into(),
        voice_speed: None,
        callback_url: None,
    })
}

#[test]
fn intent_is_visible_before_the_task_id_arrives() {
    let (_dir, store) = temp_store();
    let id = store.insert_intent(&sfx("wind"), false).unwrap();
    let t = store.get(id).unwrap();
    assert_eq!(t.state, LocalState::Submitting);
    assert_eq!(t.task_id, None);
    assert_eq!(t.cost_usd, 0.0295);
    let t = store.mark_submitted(id, "cl123").unwrap();
    assert_eq!(t.state, LocalState::Pending);
    assert_eq!(store.unfinished().unwrap().len(), 1);
}

#[test]
fn terminal_state_never_moves_back_and_fields_merge() {
    let (_dir, store) = temp_store();
    let id = store.insert_intent(&sfx("wind"), false).unwrap();
    store.mark_submitted(id, "cl1").unwrap();
    let done = TaskStatus {
        state: Some(RemoteState::Completed),
        result_urls: vec!["https://x/a.mp3".into()],
        create_time: Some(1000),
        complete_time: Some(6000),
        ..Default::default()
    };
    let t = store.apply_status(id, &done).unwrap().after;
    assert_eq!(t.state, LocalState::Completed);
    assert_eq!(t.generation_ms(), Some(5000));
    let stale = TaskStatus {
        state: Some(RemoteState::Processing),
        ..Default::default()
    };
    let t = store.apply_status(id, &stale).unwrap().after;
    assert_eq!(t.state, LocalState::Completed);
    assert_eq!(t.result_urls, vec!["https://x/a.mp3"]);
    assert!(store.unfinished().unwrap().is_empty());
}

#[test]
fn a_store_survives_reopen_and_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.db");
    {
        let store = Store::open(&path).unwrap();
        store.insert_intent(&sfx("one"), false).unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.count().unwrap(), 1);
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = Store::open(&path).unwrap_err();
    assert!(err.to_string().contains("newer klang"), "{err}");
}

#[test]
fn two_connections_see_each_others_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.db");
    let a = Store::open(&path).unwrap();
    let b = Store::open(&path).unwrap();
    let before = a.data_version().unwrap();
    let id = b.insert_intent(&sfx("from b"), false).unwrap();
    assert_ne!(a.data_version().unwrap(), before);
    assert_eq!(a.get(id).unwrap().summary, "from b");
    assert_eq!(a.changed_since(0).unwrap().len(), 1);
}

#[test]
fn resolve_by_local_id_task_id_or_prefix() {
    let (_dir, store) = temp_store();
    let id = store.insert_intent(&sfx("a"), false).unwrap();
    store.mark_submitted(id, "clabcdef").unwrap();
    assert_eq!(store.resolve(&id.to_string()).unwrap().unwrap().id, id);
    assert_eq!(store.resolve("clabcdef").unwrap().unwrap().id, id);
    assert_eq!(store.resolve("clab").unwrap().unwrap().id, id);
    assert!(store.resolve("zz").unwrap().is_none());
}

#[test]
fn cost_counts_calls_that_reached_the_server() {
    let (_dir, store) = temp_store();
    let a = store.insert_intent(&sfx("a"), false).unwrap();
    store.mark_submitted(a, "t1").unwrap();
    let b = store.insert_intent(&sfx("b"), false).unwrap();
    store.mark_submit_failed(b, "400").unwrap();
    let c = store.insert_intent(&sfx("c"), false).unwrap();
    store.mark_submit_unknown(c, "timeout").unwrap();
    let total = store.total_cost().unwrap();
    assert!((total - 0.059).abs() < 1e-9, "{total}");
}

#[test]
fn one_poller_per_task_across_processes() {
    let (_dir, store) = temp_store();
    let id = store.insert_intent(&sfx("shared"), false).unwrap();
    // Polled tasks are past submitting (a submitting row keeps its holder
    // on release; see the SIGINT test in tests/it/store_faults.rs).
    store.mark_submitted(id, "clshared").unwrap();
    let lease = Duration::from_secs(30);
    assert!(store.claim_poll(id, "a", lease).unwrap());
    assert!(store.claim_poll(id, "a", lease).unwrap(), "renewal");
    assert!(!store.claim_poll(id, "b", lease).unwrap(), "held by a");
    assert_eq!(store.poll_owner(id).unwrap().as_deref(), Some("a"));
    assert!(store.take_poll(id, "a", "b", lease).unwrap(), "a is gone");
    assert!(!store.claim_poll(id, "a", lease).unwrap());
    store.release_polls("b").unwrap();
    assert!(store.claim_poll(id, "a", lease).unwrap(), "released");
    // An expired lease is free for anyone.
    store.release_polls("a").unwrap();
    assert!(store.claim_poll(id, "c", Duration::from_millis(0)).unwrap());
    std::thread::sleep(Duration::from_millis(5));
    assert!(
        store.claim_poll(id, "d", lease).unwrap(),
        "c's lease ran out"
    );
}

#[test]
fn a_version_1_store_migrates_and_keeps_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(schema::MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO tasks (model, params, summary, state, submitted_at, cost_usd, updated_at)
             VALUES ('kling-tts', '{\"model\":\"kling-tts\",\"text\":\"hi\",\"voice_id\":\"v\",\"voice_language\":\"en\"}', 'hi', 'completed', 1, 0.0006, 1)",
            [],
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let version: i64 = store
        .conn()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::MIGRATIONS.len() as i64);
    let row = store.list(&ListFilter::default()).unwrap().remove(0);
    assert_eq!(row.summary, "hi");
    assert_eq!(row.model, crate::api::Model::Tts);
    assert_eq!((row.starred, row.group_id.as_deref()), (false, None));
    // Texts written before history existed are recalled too.
    assert_eq!(
        store.prompt_history("kling-tts", "text", 10).unwrap(),
        ["hi"]
    );
    assert!(
        store
            .claim_poll(row.id, "a", Duration::from_secs(1))
            .unwrap()
    );
}

#[test]
fn a_version_2_store_file_gains_indexes_totals_and_text_search() {
    // A real file in the schema before totals and full-text search
    // (tests/fixtures/store/make-v2.py wrote it).
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store/store-v2.db");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.db");
    std::fs::copy(&fixture, &path).unwrap();
    let store = Store::open(&path).unwrap();
    let version: i64 = store
        .conn()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::MIGRATIONS.len() as i64);
    // Totals were built from the old rows: 7 tasks, and the spend leaves
    // out the refused create.
    let totals = store.totals().unwrap();
    assert_eq!(totals.tasks(), 7);
    assert_eq!(totals.count(LocalState::Completed), 2);
    assert!((totals.spent_usd() - (0.0295 * 3.0 + 0.0006 * 2.0 + 0.0027)).abs() < 1e-9);
    // The old rows are searchable and sorted by the new indexes.
    let reader = store.reader().unwrap();
    let thunder = ViewQuery::new("under over", SortOrder::Newest);
    assert_eq!(
        reader.rows(&thunder, 0, 10).unwrap()[0].summary,
        "Thunder over hills"
    );
    let by_length = reader
        .rows(&ViewQuery::new("", SortOrder::Duration), 0, 2)
        .unwrap();
    assert_eq!(by_length[0].audio_duration, Some(9.5));
    assert_eq!(by_length[1].summary, "Thunder over hills", "asked for 5 s");
    let ids: Vec<i64> = store.unfinished().unwrap().iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![3, 4]);
    // New writes keep the totals.
    let id = store
        .insert_intent(&sfx("after the upgrade"), false)
        .unwrap();
    store.mark_submitted(id, "clnew").unwrap();
    assert_eq!(store.totals().unwrap().count(LocalState::Pending), 2);
}

#[test]
fn a_version_13_store_forgets_its_tokens_and_becomes_the_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.db");
    let token = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let clip_url = format!("http://h:1/klang/media/{token}/walk.mp4");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for sql in &schema::MIGRATIONS[..13] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 13).unwrap();
        let params = format!(
            r#"{{"model":"kling-video-to-audio","video_url":"{clip_url}","sound_effect_prompt":"steps","callback_url":"http://h:1/klang/callback/{token}/1"}}"#
        );
        conn.execute(
            "INSERT INTO tasks (model, params, summary, state, submitted_at, cost_usd, updated_at)
             VALUES ('kling-video-to-audio', ?1, ?2, 'completed', 1, 0.1, 1)",
            params![params, format!("steps ({clip_url})")],
        )
        .unwrap();
        for value in [clip_url.as_str(), "https://cdn.example/x.mp4"] {
            conn.execute(
                "INSERT INTO prompt_history (model, field, value) VALUES ('kling-video-to-audio', 'video_url', ?1)",
                [value],
            )
            .unwrap();
        }
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = Store::open(&path).unwrap();
    let row = store.list(&ListFilter::default()).unwrap().remove(0);
    let crate::api::CreateRequest::VideoToAudio(p) = &row.params else {
        panic!("{row:?}")
    };
    assert_eq!(
        p.video_url.as_deref(),
        Some("http://h:1/klang/media/redacted/walk.mp4")
    );
    assert_eq!(
        p.callback_url.as_deref(),
        Some("http://h:1/klang/callback/redacted/1")
    );
    assert_eq!(
        row.summary,
        "steps (http://h:1/klang/media/redacted/walk.mp4)"
    );
    assert_eq!(
        store
            .prompt_history("kling-video-to-audio", "video_url", 10)
            .unwrap(),
        ["https://cdn.example/x.mp4"]
    );
    drop(store);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let file = entry.unwrap().path();
        let bytes = std::fs::read(&file).unwrap();
        let found = bytes.windows(token.len()).any(|w| w == token.as_bytes());
        assert!(!found, "the token is still in {}", file.display());
    }
}
