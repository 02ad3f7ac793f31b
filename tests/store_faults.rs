//! The store under other writers and a hostile file system: two processes
//! answering one task at once, a store file removed under a running klang,
//! a store that refuses writes.

mod common;

use klang::api::{RemoteState, TaskStatus};
use klang::store::{LocalState, Store};
use std::time::Duration;

fn status(state: RemoteState) -> TaskStatus {
    TaskStatus {
        state: Some(state),
        ..Default::default()
    }
}

#[test]
fn a_completed_task_never_moves_back_when_another_process_writes_between_read_and_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.db");
    let store = Store::open(&path).unwrap();
    let id = store
        .insert_intent(&common::sfx("race", "5.0"), false)
        .unwrap();
    store.mark_submitted(id, "clrace").unwrap();
    store
        .apply_status(id, &status(RemoteState::Processing))
        .unwrap();

    // The other process: its own connection holds the write lock...
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    // ...while this one applies a late "processing" answer. It must wait for
    // the lock before it reads the row, not after.
    let late = std::thread::spawn(move || {
        store
            .apply_status(id, &status(RemoteState::Processing))
            .unwrap()
    });
    // Give the late answer time to read the row if it reads without the lock.
    std::thread::sleep(Duration::from_millis(300));
    other
        .execute("UPDATE tasks SET state = 'completed' WHERE id = ?1", [id])
        .unwrap();
    other.execute_batch("COMMIT").unwrap();
    let applied = late.join().unwrap();
    assert_eq!(applied.before.state, LocalState::Completed);
    assert_eq!(applied.after.state, LocalState::Completed, "moved back");
    let fresh = Store::open(&path).unwrap();
    assert_eq!(fresh.get(id).unwrap().state, LocalState::Completed);
}
