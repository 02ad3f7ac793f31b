//! The engine, store, client and downloader against the sandbox over real
//! loopback sockets.

use crate::common;

use common::*;
use klang::api::{ApiError, CreateRequest, TtsParams, VideoToAudioParams};
use klang::engine::{DownloadEvent, EngineEvent, EngineStatus};
use klang::sandbox::{Faults, SANDBOX_KEY};
use klang::store::LocalState;
use std::time::Duration;

#[tokio::test]
async fn every_model_goes_from_create_to_a_downloaded_file() {
    let sb = sandbox(100, 200).await;
    let mut h = Harness::start(&sb.base_url(), SANDBOX_KEY);
    let requests = [
        sfx("strong wind in a forest", "4.5"),
        CreateRequest::VideoToAudio(VideoToAudioParams {
            video_url: Some("https://example.com/clip.mp4".into()),
            sound_effect_prompt: Some("footsteps".into()),
            asmr_mode: Some(true),
            ..Default::default()
        }),
        CreateRequest::Tts(TtsParams {
            text: "Hello from klang".into(),
            voice_id: "calm_story1".into(),
            voice_language: "en".into(),
            voice_speed: Some(1.2),
            callback_url: None,
        }),
    ];
    let mut ids = Vec::new();
    for request in requests {
        ids.push(h.engine.submit(request).expect("valid request"));
    }
    for &id in &ids {
        let done = h.wait_task(id, |r| r.state.is_final()).await;
        assert_eq!(done.state, LocalState::Completed, "{done:?}");
        assert!(done.task_id.is_some());
        assert_eq!(done.result_urls.len(), 1);
        let timing = done.generation_ms().expect("createTime and completeTime");
        assert!(timing >= 300, "timing {timing} ms");
        h.engine.download(id, None);
        let file = h.wait_task(id, |r| r.local_path.is_some()).await;
        let path = std::path::PathBuf::from(file.local_path.unwrap());
        assert!(path.starts_with(h.dir.path().join("downloads")));
        assert!(audio_seconds(&path) > 0.9, "{path:?}");
    }
    let sfx_file = h.store.get(ids[0]).unwrap().local_path.unwrap();
    assert!(
        (audio_seconds(sfx_file.as_ref()) - 4.5).abs() < 0.06,
        "whole MP3 frames"
    );
    assert!(sfx_file.contains("_sfx_"), "{sfx_file}");
    assert!(sfx_file.contains("strong-wind-in-a-forest"), "{sfx_file}");
    let cost: f64 = ids.iter().map(|&i| h.store.get(i).unwrap().cost_usd).sum();
    assert!((cost - (0.0295 + 0.0027 + 0.0006)).abs() < 1e-9);
    assert_eq!(
        sb.stats().file_requests_with_auth,
        0,
        "key sent to file host"
    );
}

#[tokio::test]
async fn a_failed_task_keeps_the_servers_reason() {
    let sb = sandbox(50, 100).await;
    let mut h = Harness::start(&sb.base_url(), SANDBOX_KEY);
    let id = h.engine.submit(sfx("glass shatter fail", "3.0")).unwrap();
    let done = h.wait_task(id, |r| r.state.is_final()).await;
    assert_eq!(done.state, LocalState::Failed);
    assert_eq!(done.fail_msg.as_deref(), Some("Content policy violation"));
    assert!(done.result_urls.is_empty());
}

#[tokio::test]
async fn server_refusals_map_to_what_the_user_should_do() {
    let sb = sandbox(50, 100).await;
    let good = client(&sb.base_url(), SANDBOX_KEY);
    // 400: the server's own validation, bypassing the client's.
    let body = serde_json::json!({"model": "kling-sound-effects", "prompt": "x", "duration": 5.0});
    match good.create_unchecked(&body).await {
        Err(ApiError::InvalidParams(msg)) => assert!(msg.contains("duration"), "{msg}"),
        other => panic!("expected 400, got {other:?}"),
    }
    // 401
    let bad = client(&sb.base_url(), "not-a-key");
    assert_eq!(
        bad.create(&sfx("x", "5.0")).await.unwrap_err(),
        ApiError::Unauthorized
    );
    // 402
    let broke = client(&sb.base_url(), klang::sandbox::SANDBOX_KEY_NO_CREDITS);
    let err = broke.create(&sfx("x", "5.0")).await.unwrap_err();
    assert_eq!(err, ApiError::NoCredits);
    assert_eq!(err.exit_code(), 3);
    // 404
    assert_eq!(
        good.query("clnotarealtaskid000000000").await.unwrap_err(),
        ApiError::NotFound
    );
    assert_eq!(sb.stats().creates, 0, "a refused create creates nothing");
}

#[tokio::test]
async fn a_402_on_create_marks_the_row_and_pauses_the_engine() {
    let sb = sandbox(50, 100).await;
    let mut h = Harness::start(&sb.base_url(), klang::sandbox::SANDBOX_KEY_NO_CREDITS);
    let id = h.engine.submit(sfx("wind", "5.0")).unwrap();
    let row = h.wait_task(id, |r| r.state != LocalState::Submitting).await;
    assert_eq!(row.state, LocalState::SubmitFailed);
    assert!(row.last_error.unwrap().contains("402"));
    h.wait_event(|e| matches!(e, EngineEvent::Status(EngineStatus::Paused { .. })))
        .await;
    assert_eq!(
        h.store.total_cost().unwrap(),
        0.0,
        "a refused call costs nothing"
    );
}

#[tokio::test]
async fn a_burst_of_server_errors_is_met_with_backoff_not_a_flood() {
    let sb = sandbox(100, 100).await;
    let mut h = Harness::start(&sb.base_url(), SANDBOX_KEY);
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(h.engine.submit(sfx(&format!("burst {n}"), "3.0")).unwrap());
    }
    for &id in &ids {
        h.wait_task(id, |r| r.task_id.is_some()).await;
    }
    let requests = || {
        let s = sb.stats();
        s.queries + s.faults_injected
    };
    let before = requests();
    sb.set_faults(Faults {
        error_rate: 1.0,
        ..Default::default()
    });
    h.wait_event(|e| matches!(e, EngineEvent::Status(EngineStatus::Retrying { .. })))
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let during = requests() - before;
    eprintln!("{during} API requests during a 3 s outage with 5 tasks running");
    // Without backoff, 5 tasks polled every 100-300 ms for 3 s would send
    // 50+ queries. With it: the requests already out, then one probe per
    // backoff window (0.2, 0.4, 0.8, 1, 1 s).
    assert!(during <= 15, "{during} queries during a 3 s outage");
    assert!(during >= 2, "the engine kept probing ({during})");
    sb.set_faults(Faults::default());
    for &id in &ids {
        let done = h.wait_task(id, |r| r.state.is_final()).await;
        assert_eq!(done.state, LocalState::Completed);
    }
}

#[tokio::test]
async fn a_restarted_engine_resumes_unfinished_tasks_from_the_store() {
    let sb = sandbox(1500, 500).await;
    let mut first = Harness::start(&sb.base_url(), SANDBOX_KEY);
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(
            first
                .engine
                .submit(sfx(&format!("resume {n}"), "3.0"))
                .unwrap(),
        );
    }
    for &id in &ids {
        let row = first.wait_task(id, |r| r.task_id.is_some()).await;
        assert_eq!(row.state, LocalState::Pending);
    }
    first.engine.shutdown();
    let Harness { dir, store, .. } = first;
    // A new sandbox process too: task ids carry their own state.
    sb.shutdown().await;
    let sb2 = sandbox(1500, 500).await;
    let mut second = Harness::on_store(dir, store, &sb2.base_url(), SANDBOX_KEY);
    for &id in &ids {
        let done = second.wait_task(id, |r| r.state.is_final()).await;
        assert_eq!(done.state, LocalState::Completed);
    }
}

#[tokio::test]
async fn a_crash_between_intent_and_create_leaves_a_visible_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.db");
    let store = klang::store::Store::open(&path).unwrap();
    // The process wrote its intent and died before the answer came back.
    let id = store
        .insert_intent(&sfx("paid for?", "5.0"), false)
        .unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE tasks SET updated_at = updated_at - 600000", [])
        .unwrap();
    drop(conn);

    let sb = sandbox(50, 50).await;
    let store = std::sync::Arc::new(klang::store::Store::open(&path).unwrap());
    let mut h = Harness::on_store(dir, store, &sb.base_url(), SANDBOX_KEY);
    let row = h
        .wait_task(id, |r| r.state == LocalState::SubmitUnknown)
        .await;
    assert!(row.task_id.is_none());
    let said = row.last_error.unwrap();
    assert!(said.contains("may exist on the server"), "{said}");
    // Without a receiver, why klang cannot find out by itself.
    assert!(
        said.contains("the API has no call that lists tasks"),
        "{said}"
    );
    assert_eq!(h.store.list(&Default::default()).unwrap().len(), 1);
}

#[tokio::test]
async fn repeated_404s_mark_a_task_lost() {
    let sb = sandbox(50, 50).await;
    let mut h = Harness::start(&sb.base_url(), SANDBOX_KEY);
    let id = h.store.insert_intent(&sfx("ghost", "5.0"), false).unwrap();
    h.store
        .mark_submitted(id, "clunknowntaskid0000000000")
        .unwrap();
    h.engine.refresh(id);
    let row = h.wait_task(id, |r| r.state.is_final()).await;
    assert_eq!(row.state, LocalState::Lost);
    assert!(sb.stats().queries >= 3, "not lost after a single 404");
}

#[tokio::test]
async fn downloads_report_progress_and_never_overwrite() {
    let sb = sandbox(50, 50).await;
    let mut h = Harness::start(&sb.base_url(), SANDBOX_KEY);
    let id = h.engine.submit(sfx("ticking clock", "10.0")).unwrap();
    h.wait_task(id, |r| r.state == LocalState::Completed).await;
    h.engine.download(id, None);
    let first = h
        .wait_event(|e| matches!(e, EngineEvent::Download(DownloadEvent::Finished { .. })))
        .await;
    h.engine.download(id, None);
    let second = h
        .wait_event(|e| matches!(e, EngineEvent::Download(DownloadEvent::Finished { .. })))
        .await;
    let (
        EngineEvent::Download(DownloadEvent::Finished { path: a, .. }),
        EngineEvent::Download(DownloadEvent::Finished { path: b, .. }),
    ) = (first, second)
    else {
        unreachable!()
    };
    assert_ne!(a, b, "the second download must not overwrite the first");
    assert!(a.exists() && b.exists());
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[tokio::test]
async fn two_engines_on_one_store_poll_each_task_once() {
    // Each engine talks to its own sandbox (task ids carry their state, so
    // both answer for the same task): the counts say who polled.
    let sb_a = sandbox(600, 400).await;
    let sb_b = sandbox(600, 400).await;
    let mut a = Harness::start(&sb_a.base_url(), SANDBOX_KEY);
    let store_b = std::sync::Arc::new(klang::store::Store::open(a.store.path()).unwrap());
    let dir_b = tempfile::tempdir().unwrap();
    let mut b = Harness::on_store(dir_b, store_b, &sb_b.base_url(), SANDBOX_KEY);
    let first = a.engine.submit(sfx("polled by a", "3.0")).unwrap();
    let done = a.wait_task(first, |r| r.state.is_final()).await;
    assert_eq!(done.state, LocalState::Completed);
    // B saw the task through the store but never queried it.
    b.wait_task(first, |r| r.state == LocalState::Completed)
        .await;
    assert_eq!(sb_b.stats().queries, 0, "both engines polled the same task");

    // When A stops, B takes over at once: its leases were handed back.
    let second = a.engine.submit(sfx("handed over", "3.0")).unwrap();
    a.wait_task(second, |r| r.task_id.is_some()).await;
    a.engine.shutdown();
    let done = b.wait_task(second, |r| r.state.is_final()).await;
    assert_eq!(done.state, LocalState::Completed);
    assert!(sb_b.stats().queries > 0, "B polled after A stopped");
}

#[tokio::test]
async fn a_second_task_of_a_known_kind_is_polled_around_its_expected_finish() {
    let sb = sandbox(1000, 2000).await;
    let mut h = Harness::start(&sb.base_url(), SANDBOX_KEY);
    // First round: no history, the fast test schedule polls every 100-300 ms.
    let first: Vec<i64> = (0..3)
        .map(|i| h.engine.submit(sfx(&format!("learn {i}"), "3.0")).unwrap())
        .collect();
    for &id in &first {
        h.wait_task(id, |r| r.state.is_final()).await;
    }
    let first_queries = sb.stats().queries;
    assert!(first_queries >= 3 * 8, "first round: {first_queries}");
    // Second round, same kind: quiet until about 3 s, then dense.
    let id = h.engine.submit(sfx("learned", "3.0")).unwrap();
    let done = h.wait_task(id, |r| r.state.is_final()).await;
    let queries = sb.stats().queries - first_queries;
    assert_eq!(done.state, LocalState::Completed);
    // (How soon it is seen is a figure: scripts/bench-poll.sh.)
    assert!(queries <= 3, "{queries} queries for a 3 s task");
}

#[tokio::test]
async fn todays_spend_is_announced_for_this_and_another_process() {
    let sb = sandbox(100, 200).await;
    let mut h = Harness::start_with(&sb.base_url(), SANDBOX_KEY, |c| {
        c.budget = klang::budget::Budget {
            daily_usd: Some(1.0),
            monthly_usd: None,
        }
    });
    let spent = |e: &EngineEvent| match e {
        EngineEvent::SpendToday(today) => Some(today.spent_usd),
        _ => None,
    };
    let here = h.engine.submit(sfx("door knock", "3.0")).unwrap();
    let cost = h.store.get(here).unwrap().cost_usd;
    assert!(cost > 0.0);
    h.wait_event(|e| spent(e) == Some(cost)).await;
    // A batch in another terminal: a second connection writes a task.
    let other = klang::store::Store::open(&h.dir.path().join("tasks.db")).unwrap();
    other
        .insert_intent(&sfx("door creak", "3.0"), false)
        .unwrap();
    let event = h.wait_event(|e| spent(e) == Some(2.0 * cost)).await;
    assert!(
        matches!(event, EngineEvent::SpendToday(t) if t.cap_usd == 1.0),
        "{event:?}"
    );
}
