//! The dashboard driven by keys end to end: a real engine talking HTTP to
//! the embedded sandbox, a real store in a temp dir, and the screen on a
//! TestBackend. No terminal needed.

use crate::common;

use common::mini_api;
use crossterm::event::KeyCode;
use klang::store::LocalState;
use klang::tui::Focus;
use klang::tui::harness::Runner;

/// Types `prompt` into a new sound-effects task, submits it and waits for
/// the store's answer (the write runs off the UI task).
async fn submit_sfx(r: &mut Runner, prompt: &str) {
    r.key(KeyCode::Char('n'));
    assert_eq!(r.app.focus, Focus::Input);
    r.type_text(prompt);
    r.key(KeyCode::Enter);
    r.wait_for("the submit's answer", |a| !a.submitting()).await;
}

/// How the table writes a generation time under a minute ("312ms", "0.3s").
fn span_under_a_minute(ms: i64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else {
        format!("{:.1}s", ms as f64 / 1000.0)
    }
}

fn state_of(r: &Runner, summary: &str) -> Option<LocalState> {
    r.app
        .selection
        .tasks
        .all()
        .iter()
        .find(|t| t.summary == summary)
        .map(|t| t.state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_then_watch_a_task_complete_with_cost_and_timing() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::sandbox(dir.path(), 80, 24).await;
    assert!(r.screen().contains("SANDBOX"));

    submit_sfx(&mut r, "gentle rain").await;
    assert_eq!(
        r.app.focus,
        Focus::Table,
        "Enter returns focus to the table"
    );
    r.wait_for("the row to appear", |a| a.selection.tasks.total() == 1)
        .await;
    r.wait_for("the task to complete", |a| {
        a.selection.tasks.all()[0].state == LocalState::Completed
    })
    .await;
    let screen = r.wait_for_text("✓ completed").await;
    assert!(screen.contains("gentle rain"), "{screen}");
    assert!(screen.contains("$0.0295"), "{screen}");
    let row = screen.lines().find(|l| l.contains("gentle rain")).unwrap();
    // "Took" is completeTime - createTime, e.g. "312ms" or "0.3s".
    let task = &r.app.selection.tasks.all()[0];
    let took = task.complete_time.unwrap() - task.create_time.unwrap();
    let shown = span_under_a_minute(took);
    assert!(
        row.split_whitespace().any(|w| w == shown),
        "no {shown:?} in {row}"
    );
    // Nothing left to poll: the status bar says so.
    r.wait_for("the engine to go idle", |a| {
        *a.engine_status() == klang::engine::EngineStatus::Idle
    })
    .await;
    let screen = r.screen();
    assert!(
        screen.lines().nth(22).unwrap().starts_with(" idle"),
        "{screen}"
    );
    // This session's cost counts the task.
    assert!(screen.contains("session $0.0295"), "{screen}");
    // The form kept the duration but cleared the prompt.
    r.key(KeyCode::Char('n'));
    assert!(r.screen().contains("0/200"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d_downloads_the_file_and_y_copies_the_url_by_osc52() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::sandbox(dir.path(), 200, 50).await;
    submit_sfx(&mut r, "door slam").await;
    r.wait_for("completion", |a| {
        a.selection
            .tasks
            .all()
            .first()
            .is_some_and(|t| t.state == LocalState::Completed)
    })
    .await;

    r.key(KeyCode::Char('y'));
    let url = r.app.selection.tasks.all()[0].result_urls[0].clone();
    let expected = klang::tui::runtime::clipboard::osc52(&url);
    assert_eq!(r.clipboard.captured(), expected);
    assert!(expected.starts_with("\x1b]52;c;"));
    assert!(
        r.screen().contains(&format!("copied {url}")),
        "toast shows the URL"
    );

    r.key(KeyCode::Char('d'));
    r.wait_for("the download to finish", |a| {
        a.selection.tasks.all()[0].local_path.is_some() && a.downloads.is_empty()
    })
    .await;
    let path = r.app.selection.tasks.all()[0].local_path.clone().unwrap();
    let meta = std::fs::metadata(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(meta.len() > 44, "a real audio file, not a header");
    let screen = r.screen();
    assert!(screen.contains("saved"), "downloaded mark: {screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_resubmits_a_failed_task_with_the_same_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::sandbox(dir.path(), 80, 24).await;
    submit_sfx(&mut r, "this will fail").await;
    r.wait_for("the task to fail", |a| {
        state_of_app(a, "this will fail") == Some(LocalState::Failed)
    })
    .await;
    let screen = r.screen();
    assert!(screen.contains("✗ failed"), "{screen}");

    r.key(KeyCode::Char('r'));
    r.wait_for("a second task with the same prompt", |a| {
        a.selection
            .tasks
            .all()
            .iter()
            .filter(|t| t.summary == "this will fail")
            .count()
            == 2
    })
    .await;
    r.wait_for("the resubmit's answer", |a| {
        a.toasts.iter().any(|t| t.text.starts_with("resubmitted #"))
    })
    .await;
    let tasks = r.app.selection.tasks.all();
    assert_eq!(tasks[0].params, tasks[1].params);
    // The new task is selected.
    assert_eq!(r.app.selected().map(|t| t.id), Some(tasks[1].id));
    // r on a completed task does not spend money: it explains instead.
    submit_sfx(&mut r, "birdsong").await;
    r.wait_for("birdsong done", |a| {
        state_of_app(a, "birdsong") == Some(LocalState::Completed)
    })
    .await;
    r.key(KeyCode::Char('g'));
    let before = r.app.selection.tasks.total();
    r.key(KeyCode::Char('r'));
    assert_eq!(r.app.selection.tasks.total(), before);
    assert!(r.screen().contains("r resubmits failed tasks"));
}

fn state_of_app(a: &klang::tui::App, summary: &str) -> Option<LocalState> {
    a.selection
        .tasks
        .all()
        .iter()
        .rev()
        .find(|t| t.summary == summary)
        .map(|t| t.state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filter_and_sort_over_real_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::sandbox(dir.path(), 200, 50).await;
    for prompt in ["wind chimes", "a fail sound", "ocean waves"] {
        submit_sfx(&mut r, prompt).await;
    }
    r.wait_for("all three finished", |a| {
        a.selection.tasks.total() == 3 && a.selection.tasks.all().iter().all(|t| t.state.is_final())
    })
    .await;
    assert_eq!(state_of(&r, "a fail sound"), Some(LocalState::Failed));
    // After quick submits the newest task is the one selected.
    assert_eq!(
        r.app.selected().map(|t| t.summary.as_str()),
        Some("ocean waves")
    );

    r.key(KeyCode::Char('/'));
    r.type_text("ocean");
    let screen = r.screen();
    assert!(
        screen.contains("ocean waves") && !screen.contains("wind chimes"),
        "{screen}"
    );
    r.key(KeyCode::Esc);
    assert_eq!(r.app.selection.tasks.len(), 3);

    // s: newest → oldest: the first row is now the first task submitted.
    r.key(KeyCode::Char('s'));
    assert_eq!(r.app.selection.tasks.sort().label(), "oldest");
    assert_eq!(r.app.selection.tasks.row(0).unwrap().summary, "wind chimes");
    // → state: failures first.
    r.key(KeyCode::Char('s'));
    assert_eq!(
        r.app.selection.tasks.row(0).unwrap().summary,
        "a fail sound"
    );
    let screen = r.screen();
    assert!(screen.contains("sort: state"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e_loads_a_task_into_the_form_for_a_new_submit() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::sandbox(dir.path(), 80, 24).await;
    submit_sfx(&mut r, "crackling fire").await;
    r.wait_for("row", |a| a.selection.tasks.total() == 1).await;
    r.key(KeyCode::Char('e'));
    assert_eq!(r.app.focus, Focus::Input);
    let screen = r.screen();
    assert!(screen.contains("crackling fire"), "{screen}");
    r.type_text(" loud");
    r.key(KeyCode::Enter);
    r.wait_for("the edited task", |a| {
        a.selection
            .tasks
            .all()
            .iter()
            .any(|t| t.summary == "crackling fire loud")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tts_submit_with_defaults_reaches_completed() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::sandbox(dir.path(), 200, 50).await;
    r.key(KeyCode::Char('n'));
    r.ctrl('p'); // sfx → tts (backwards)
    assert_eq!(r.app.form.model(), klang::api::Model::Tts);
    // No voice chosen: the form starts with one that speaks English.
    r.type_text("Hello from klang");
    r.key(KeyCode::Enter);
    r.wait_for("tts completed", |a| {
        a.selection
            .tasks
            .all()
            .first()
            .is_some_and(|t| t.state == LocalState::Completed)
    })
    .await;
    assert!(r.screen().contains("$0.0006"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn q_quits_at_once_when_no_download_runs_and_ctrl_c_always() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::sandbox(dir.path(), 80, 24).await;
    r.key(KeyCode::Char('q'));
    assert!(r.quit);
    let mut r = Runner::sandbox(dir.path(), 80, 24).await;
    r.key(KeyCode::Char('n'));
    r.type_text("q");
    assert!(!r.quit);
    r.ctrl('c');
    assert!(r.quit);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn q_asks_first_while_a_download_runs_on_any_contract_server() {
    // A second contract server whose result file takes about 2.6 s.
    let api = mini_api::start("sk-test-key", std::time::Duration::from_millis(40)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::on_server(dir.path(), &api.base_url(), "sk-test-key", 100, 30);
    submit_sfx(&mut r, "slow file").await;
    r.wait_for("completed", |app| {
        app.selection.tasks.all().first().map(|t| t.state) == Some(LocalState::Completed)
    })
    .await;
    r.key(KeyCode::Char('g'));
    r.key(KeyCode::Char('d'));
    r.wait_for("a download running", |app| !app.downloads.is_empty())
        .await;
    r.key(KeyCode::Char('q'));
    assert!(!r.quit, "q quit while a download ran");
    let screen = r.screen();
    assert!(screen.contains("Quit anyway?"), "{screen}");
    r.key(KeyCode::Esc);
    assert!(!r.quit);
    assert!(!r.screen().contains("Quit anyway?"));
    r.key(KeyCode::Char('q'));
    r.key(KeyCode::Char('y'));
    assert!(r.quit, "y quits");
}
