//! Tasks that stay unfinished cost no disk: against a sandbox whose tasks
//! stay `processing` for an hour, round after round of answers that change
//! nothing commits nothing to the store file (another connection's
//! `data_version` stays put and the file and its WAL do not grow), while a
//! real change is still written.

use crate::common;

use common::*;
use klang::sandbox::SANDBOX_KEY;
use klang::store::LocalState;
use std::path::Path;
use std::time::Duration;

const TASKS: usize = 20;
/// Answers to wait for in the quiet stretch: several rounds of every task.
const QUIET_ANSWERS: u64 = 5 * TASKS as u64;

/// Bytes of the store file and its write-ahead log.
fn store_bytes(db: &Path) -> u64 {
    let wal = db.with_extension("db-wal");
    [db, wal.as_path()]
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum()
}

/// Changes every time another connection commits to the file.
fn data_version(watcher: &rusqlite::Connection) -> i64 {
    watcher
        .query_row("PRAGMA data_version", [], |r| r.get(0))
        .unwrap()
}

async fn wait_for_answers(sb: &klang::sandbox::SandboxHandle, at_least: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while sb.stats().queries < at_least {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the engine stopped asking: {:?}",
            sb.stats()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn answers_that_change_nothing_write_nothing() {
    let sb = sandbox(0, 3_600_000).await;
    let mut h = Harness::start(&sb.base_url(), SANDBOX_KEY);
    let db = h.dir.path().join("tasks.db");
    let ids: Vec<i64> = (0..TASKS)
        .map(|n| {
            h.engine
                .submit(sfx(&format!("endless {n}"), "3.0"))
                .unwrap()
        })
        .collect();
    for id in &ids {
        h.wait_task(*id, |r| r.state == LocalState::Processing)
            .await;
    }
    // Every task has answered `processing` at least once since.
    wait_for_answers(&sb, sb.stats().queries + TASKS as u64).await;

    let watcher = rusqlite::Connection::open(&db).unwrap();
    let version = data_version(&watcher);
    let bytes = store_bytes(&db);
    let asked = sb.stats().queries;
    wait_for_answers(&sb, asked + QUIET_ANSWERS).await;
    assert_eq!(
        data_version(&watcher),
        version,
        "{} answers that changed nothing committed to the store",
        sb.stats().queries - asked
    );
    assert_eq!(store_bytes(&db), bytes, "the store file or its WAL grew");

    // A change still lands: a poll error is written once, not per answer.
    sb.set_faults(klang::sandbox::Faults {
        error_rate: 1.0,
        ..Default::default()
    });
    // Whichever task the engine probes first records it: waiting for one
    // task in particular waited for the backoff to come round to it (5 to
    // 20 s from run to run).
    h.wait_any(&ids, |r| r.last_error.is_some()).await;
    assert_ne!(data_version(&watcher), version, "the error was written");
}

/// However many tasks are in flight, the queries a second stay within
/// `max_per_second`: 100 tasks that each want an answer every 300 ms
/// (330 a second) are asked 25 times a second, every one of them in turn.
#[tokio::test]
async fn many_tasks_share_the_query_budget() {
    const MANY: usize = 100;
    const RATE: u32 = 25;
    let sb = sandbox(0, 3_600_000).await;
    let mut h = Harness::start_with(&sb.base_url(), SANDBOX_KEY, |c| {
        c.poll.max_per_second = RATE;
        c.max_in_flight = 32;
    });
    let ids: Vec<i64> = (0..MANY)
        .map(|n| h.engine.submit(sfx(&format!("crowd {n}"), "3.0")).unwrap())
        .collect();
    // Every task is asked in turn: the last one submitted too.
    for id in &ids {
        h.wait_task(*id, |r| r.state == LocalState::Processing)
            .await;
    }
    let started = std::time::Instant::now();
    let asked = sb.stats().queries;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let queries = sb.stats().queries - asked;
    let seconds = started.elapsed().as_secs_f64();
    // One second's worth may go at once, then RATE a second.
    let most = (f64::from(RATE) * (seconds + 1.0)).ceil() as u64;
    assert!(
        queries <= most,
        "{queries} queries in {seconds:.1} s, more than the budget's {most}"
    );
    assert!(
        queries >= 10,
        "polling went on: {queries} queries in {seconds:.1} s"
    );
}
