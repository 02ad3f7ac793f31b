//! The store under other writers and a hostile file system: two processes
//! answering one task at once, a store file removed under a running klang,
//! a store that refuses writes.

use crate::common;

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
    // ...while this one applies a late "processing" answer that says
    // something new (an answer that changes nothing writes nothing). It
    // must read the row again under the lock before it writes.
    let late = std::thread::spawn(move || {
        let answer = TaskStatus {
            create_time: Some(1_000),
            ..status(RemoteState::Processing)
        };
        store.apply_status(id, &answer).unwrap()
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_deleted_under_the_dashboard_refuses_the_paid_create() {
    use common::hostile_api::{self, Answer};
    use crossterm::event::KeyCode;
    use klang::tui::harness::Runner;
    let api = hostile_api::start(
        Answer::Honest("pending"),
        Answer::Honest("pending"),
        Duration::from_secs(1),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::on_server(dir.path(), &api.base_url(), "sk-test", 120, 30);
    for name in ["tasks.db", "tasks.db-wal", "tasks.db-shm"] {
        let _ = std::fs::remove_file(dir.path().join(name));
    }
    r.key(KeyCode::Char('n'));
    r.type_text("thunder after the store is gone");
    r.key(KeyCode::Enter);
    r.wait_for("the submit's answer", |a| !a.submitting()).await;
    // A toast is one line, cut in the middle on screen; the app keeps it whole.
    let said = r
        .app
        .toasts
        .iter()
        .any(|t| t.text.contains("was deleted or replaced"));
    assert!(said, "{:?}", r.app.toasts);
    let screen = r.wait_for_text("not submitted: task store").await;
    assert!(screen.contains("Tasks 0"), "no row was kept: {screen}");
    assert_eq!(api.creates(), 0, "a create was sent into a deleted store");
}

#[tokio::test]
async fn a_replaced_store_file_is_noticed_before_a_create() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.db");
    let store = Store::open(&path).unwrap();
    store.ensure_at_path().unwrap();
    std::fs::rename(&path, dir.path().join("old.db")).unwrap();
    std::fs::write(&path, b"").unwrap();
    let err = store.ensure_at_path().unwrap_err();
    assert!(err.to_string().contains("deleted or replaced"), "{err}");
}

/// `klang` as a user the file permissions bind: root ignores a read-only
/// mode, so as root the command runs as `nobody` through setpriv.
fn as_unprivileged(home: &common::home::Home) -> tokio::process::Command {
    let root = std::process::Command::new("id").arg("-u").output().unwrap();
    let is_root = String::from_utf8_lossy(&root.stdout).trim() == "0";
    let cmd = if is_root {
        let chown = std::process::Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(home.dir.path())
            .status()
            .unwrap();
        assert!(chown.success());
        let mut cmd = tokio::process::Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_klang"));
        cmd
    } else {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_klang"))
    };
    home.cmd_via(cmd, Some("sk-test"))
}

#[tokio::test]
async fn wait_exits_with_the_stores_error_when_the_store_refuses_writes() {
    use common::hostile_api::{self, Answer};
    use std::os::unix::fs::PermissionsExt;
    let api = hostile_api::start(
        Answer::Honest("pending"),
        Answer::Honest("completed"),
        Duration::from_secs(1),
    )
    .await;
    let home = common::home::Home::new();
    let store = home.store();
    let id = store
        .insert_intent(&common::sfx("read only", "5.0"), false)
        .unwrap();
    store.mark_submitted(id, "clreadonly").unwrap();
    let path = store.path().to_path_buf();
    drop(store);
    std::fs::create_dir_all(home.dir.path().join("state")).unwrap();
    let mut cmd = as_unprivileged(&home);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        cmd.args(["--base-url", &api.base_url(), "wait"]).output(),
    )
    .await
    .expect("wait gives up on a store it cannot write")
    .unwrap();
    let err = common::home::stderr(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains("readonly"), "{err}");
}

#[tokio::test]
async fn a_create_cut_by_sigint_is_submit_unknown_at_the_next_start() {
    use common::hostile_api::{self, Answer};
    let api = hostile_api::start(
        Answer::Hang,
        Answer::Honest("pending"),
        Duration::from_secs(1),
    )
    .await;
    let home = common::home::Home::new();
    let base = api.base_url();
    let mut submit = home
        .cmd(Some("sk-test"))
        .args([
            "--base-url",
            &base,
            "submit",
            "sfx",
            "--prompt",
            "interrupted",
        ])
        .spawn()
        .unwrap();
    // Waiting on another process, not on time: poll until the create is out.
    for _ in 0..500 {
        if api.creates() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(api.creates(), 1, "the create never left");
    let pid = submit.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    submit.wait().await.unwrap();
    // The next start settles the row at once: its process is gone.
    let out = tokio::time::timeout(
        Duration::from_secs(20),
        home.run(
            Some("sk-test"),
            &["--base-url", &base, "wait", "1", "--json"],
        ),
    )
    .await
    .expect("the row is settled at start, not after minutes");
    let doc = common::home::json(&out);
    assert_eq!(doc[0]["state"], "submit-unknown", "{doc}");
}

/// Another process holds the store's write lock the whole time: `submit`
/// says so (with that process's pid) while it waits, before giving up, and
/// then exits 5 naming the same cause. The wait is shortened to 3 s.
#[tokio::test]
async fn a_store_locked_by_another_process_is_announced_then_refused() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let home = common::home::Home::new();
    let path = home.store().path().to_path_buf();
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut submit = home
        .cmd(Some("sk-test"))
        .env("KLANG_STORE_WAIT", "3")
        .args(["--base-url", "http://127.0.0.1:9", "submit", "sfx"])
        .args(["--prompt", "behind a lock"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(submit.stderr.take().unwrap()).lines();
    let mut notice = String::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        if line.contains("waiting for the task store") {
            notice = line;
            break;
        }
    }
    let holder = format!("another klang is writing it (pid {})", std::process::id());
    assert!(notice.contains(&holder), "{notice:?}");
    // The notice came while klang still waits: it has not given up yet.
    assert!(submit.try_wait().unwrap().is_none(), "gave up at once");
    let mut rest = String::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        rest.push_str(&line);
    }
    let status = submit.wait().await.unwrap();
    assert_eq!(status.code(), Some(5), "{rest}");
    assert!(
        rest.contains("stayed locked") && rest.contains(&holder),
        "{rest}"
    );
    assert!(!rest.contains("permission"), "{rest}");
    other.execute_batch("ROLLBACK").unwrap();
}

/// A store whose pages are garbage: exit 5, "damaged", the recovering
/// command, nothing about permissions, and no fresh store in its place.
#[tokio::test]
async fn a_damaged_store_is_named_damaged_with_the_recovering_command() {
    let home = common::home::Home::new();
    let store = home.store();
    for n in 0..50 {
        store
            .insert_intent(&common::sfx(&format!("row {n}"), "5.0"), false)
            .unwrap();
    }
    let path = store.path().to_path_buf();
    drop(store);
    let mut bytes = std::fs::read(&path).unwrap();
    // The header stays (still "SQLite format 3"), every page after it is noise.
    for (n, b) in bytes.iter_mut().enumerate().skip(100) {
        *b = (n * 7 + 13) as u8;
    }
    std::fs::write(&path, &bytes).unwrap();
    let before: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    for args in [
        &["list"][..],
        &["submit", "sfx", "--prompt", "after the damage"],
    ] {
        let out = home.run(Some("sk-test"), args).await;
        let err = common::home::stderr(&out);
        assert_eq!(out.status.code(), Some(5), "{args:?}: {err}");
        assert!(err.contains("the task store is damaged"), "{err}");
        assert!(err.contains(".recover"), "{err}");
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(!err.contains("permission"), "{err}");
    }
    let mut after: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    after.retain(|name| !before.contains(name) && !name.to_string_lossy().ends_with("-shm"));
    assert!(after.is_empty(), "a second store appeared: {after:?}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the damaged file was changed"
    );
}
