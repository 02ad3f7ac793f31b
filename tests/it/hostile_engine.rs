//! The engine against a hostile server: answers about another task, huge
//! failure messages, states that do not exist, result files that drip.

use crate::common;

use common::*;
use klang::store::LocalState;
use std::time::Duration;

#[tokio::test]
async fn an_answer_about_another_task_is_ignored_and_counted_as_a_fault() {
    let api = hostile_api::start(
        hostile_api::Answer::Honest("pending"),
        hostile_api::Answer::OtherTask("clsomeoneelse000000000001"),
        Duration::from_secs(1),
    )
    .await;
    let mut h = Harness::start(&api.base_url(), "sk-test");
    let id = h.engine.submit(sfx("mine", "5.0")).unwrap();
    let row = h
        .wait_task(id, |r| {
            r.last_error
                .as_deref()
                .is_some_and(|e| e.contains("answered about task"))
        })
        .await;
    assert_eq!(row.state, LocalState::Pending, "{row:?}");
    assert!(row.result_urls.is_empty(), "{row:?}");
    assert_eq!(api.file_requests(), 0, "another task's file was fetched");
}

/// Real time: the drip comes over a real socket, and a paused clock would
/// jump past it while the runtime waits on I/O.
#[tokio::test]
async fn a_file_host_that_drips_bytes_is_dropped_by_the_minimum_rate() {
    use klang::engine::download::{DownloadError, DownloadOptions, Downloader, StallRule};
    let api = hostile_api::start(
        hostile_api::Answer::Honest("pending"),
        hostile_api::Answer::Honest("pending"),
        Duration::from_millis(20),
    )
    .await;
    let downloader = Downloader::with_options(DownloadOptions {
        stall: StallRule {
            min_bytes_per_sec: 1000,
            window: Duration::from_millis(300),
        },
        ..DownloadOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let task = klang::store::TaskRecord {
        id: 1,
        ..klang::store::TaskRecord::new(sfx("drip", "5.0"))
    };
    let url = format!("{}/files/drip.mp3", api.base_url());
    let result = tokio::time::timeout(
        Duration::from_secs(10),
        downloader.fetch(&task, &url, dir.path(), &mut |_, _| {}),
    )
    .await
    .expect("the stall rule ends the download, not the test's guard");
    match result {
        Err(DownloadError::Network(why)) => assert!(why.contains("under the minimum"), "{why}"),
        other => panic!("expected a stall, got {other:?}"),
    }
    assert_eq!(api.file_requests(), 1);
}

#[tokio::test]
async fn a_huge_fail_message_is_kept_as_its_head_saying_how_much_was_cut() {
    let api = hostile_api::start(
        hostile_api::Answer::Honest("pending"),
        hostile_api::Answer::LongFailMsg(100_000),
        Duration::from_secs(1),
    )
    .await;
    let mut h = Harness::start(&api.base_url(), "sk-test");
    let id = h.engine.submit(sfx("long failure", "5.0")).unwrap();
    let row = h.wait_task(id, |r| r.state == LocalState::Failed).await;
    let msg = row.fail_msg.unwrap_or_default();
    assert!(msg.starts_with("policy: xxx"), "the head is kept");
    assert!(
        msg.chars().count() < 2100,
        "{} chars kept",
        msg.chars().count()
    );
    assert!(
        msg.ends_with("[98008 more characters cut by klang]"),
        "{}",
        &msg[msg.len() - 60..]
    );
}

#[tokio::test]
async fn an_unknown_state_is_said_polled_slowly_and_given_up_after_the_documented_time() {
    let api = hostile_api::start(
        hostile_api::Answer::Honest("pending"),
        hostile_api::Answer::Honest("exploded"),
        Duration::from_secs(1),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let store =
        std::sync::Arc::new(klang::store::Store::open(&dir.path().join("tasks.db")).unwrap());
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let mut config = klang::engine::EngineConfig::new(dir.path().join("downloads"));
    config.poll = fast_policy();
    config.give_up_unknown_after = Duration::from_millis(1500);
    let engine = klang::engine::Engine::start(
        client(&api.base_url(), "sk-test"),
        store.clone(),
        config,
        std::sync::Arc::new(move |e| {
            let _ = tx.send(e);
        }),
    );
    let id = engine.submit(sfx("unknown", "5.0")).unwrap();
    let mut said_unknown = false;
    let row = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            let row = store.get(id).unwrap();
            if row.state == LocalState::Lost {
                return row;
            }
            said_unknown |= row
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("state unknown") && e.contains("exploded"));
            events.recv().await.expect("engine runs");
        }
    })
    .await
    .expect("an unknown state is given up, not polled forever");
    assert!(said_unknown, "the unknown state was never shown");
    assert!(row.last_error.unwrap_or_default().contains("exploded"));
}
