//! Composing in the dashboard, driven by keys against the sandbox over HTTP
//! with a real store: the voice picker, a refused voice/language pair,
//! takes from the form's count, prompt history after a restart, stars.

use crate::common;

use common::home::{Home, json, stderr};
use crossterm::event::{KeyCode, KeyModifiers};
use klang::api::CreateRequest;
use klang::sandbox::SANDBOX_KEY;
use klang::store::LocalState;
use klang::tui::Focus;
use klang::tui::harness::Runner;

fn creates(r: &Runner) -> (u64, u64) {
    let stats = r.sandbox.as_ref().map(|s| s.stats()).unwrap_or_default();
    (stats.creates, stats.refused)
}

/// `n`, then the TTS model, on its text field.
fn new_tts(r: &mut Runner) {
    r.key(KeyCode::Char('n'));
    r.ctrl('p'); // sfx → tts (backwards)
    assert_eq!(r.app.form.model(), klang::api::Model::Tts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_voice_list_narrows_as_you_type_and_enter_picks_then_submits() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::sandbox(dir.path(), 100, 40).await;
    new_tts(&mut r);
    r.type_text("Good evening");
    r.key(KeyCode::Tab);
    let screen = r.screen();
    assert!(
        screen.contains("▸ reader_en_m-v1"),
        "the default, highlighted:\n{screen}"
    );
    assert!(
        screen.contains("1/27") || screen.contains("/27"),
        "27 English voices:\n{screen}"
    );
    // Replace the default with a few letters: the list narrows.
    r.ctrl('u');
    r.type_text("uk_");
    let screen = r.screen();
    assert!(
        screen.contains("uk_boy1") && screen.contains("uk_man2"),
        "{screen}"
    );
    assert!(!screen.contains("uk_oldman3"), "speaks only zh:\n{screen}");
    r.key(KeyCode::Down);
    r.key(KeyCode::Enter);
    assert_eq!(r.app.form.voice(), "uk_man2", "Enter picked");
    assert!(!r.app.submitting(), "picking is not submitting");
    assert_eq!(creates(&r), (0, 0));
    r.key(KeyCode::Enter);
    r.wait_for("the task completed", |a| {
        a.selection
            .tasks
            .all()
            .first()
            .is_some_and(|t| t.state == LocalState::Completed)
    })
    .await;
    match &r.app.selection.tasks.all()[0].params {
        CreateRequest::Tts(p) => assert_eq!(
            (p.voice_id.as_str(), p.voice_language.as_str()),
            ("uk_man2", "en")
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voice_that_does_not_speak_the_language_is_refused_in_the_form() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::sandbox(dir.path(), 100, 40).await;
    new_tts(&mut r);
    r.type_text("你好");
    r.key(KeyCode::Tab);
    r.key(KeyCode::Tab);
    r.key(KeyCode::Right); // the language: zh
    r.key(KeyCode::BackTab);
    r.ctrl('u');
    r.type_text("uk_boy1"); // an English-only voice, typed by hand
    r.key(KeyCode::Enter);
    r.settle();
    let screen = r.screen();
    assert!(
        screen.contains("voice_id: voice \"uk_boy1\" speaks en, not zh"),
        "{screen}"
    );
    assert!(!r.app.submitting());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    r.settle();
    assert_eq!(creates(&r), (0, 0), "nothing was sent");
    assert!(r.app.selection.tasks.all().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forms_count_makes_takes_in_one_group_priced_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::sandbox(dir.path(), 100, 40).await;
    r.key(KeyCode::Char('n'));
    r.type_text("door slam");
    r.key(KeyCode::Tab); // duration
    r.key(KeyCode::Tab); // takes
    r.key(KeyCode::Backspace);
    r.type_text("3");
    let screen = r.screen();
    assert!(screen.contains("3 × $0.0295 = $0.0885"), "{screen}");
    r.key(KeyCode::Enter);
    r.key(KeyCode::Enter); // in flight: ignored
    r.wait_for("three takes completed", |a| {
        a.selection.tasks.all().len() == 3
            && a.selection
                .tasks
                .all()
                .iter()
                .all(|t| t.state == LocalState::Completed)
    })
    .await;
    assert_eq!(creates(&r).0, 3);
    let groups: Vec<_> = r
        .app
        .selection
        .tasks
        .all()
        .iter()
        .map(|t| t.group_id.clone())
        .collect();
    assert!(
        groups[0].is_some() && groups.iter().all(|g| *g == groups[0]),
        "{groups:?}"
    );
    // The details name the group; `=` shows the takes together.
    r.key(KeyCode::Esc);
    let screen = r.screen();
    assert!(screen.contains("= shows them together"), "{screen}");
    r.key(KeyCode::Char('='));
    r.wait_for("the takes view loaded", |a| {
        a.selection.takes.as_ref().is_some_and(|t| !t.loading)
    })
    .await;
    let takes = r.app.selection.takes.as_ref().map(|t| t.takes().len());
    assert_eq!(
        takes,
        Some(3),
        "the takes view holds the group's three takes"
    );
    let screen = r.screen();
    assert!(screen.contains("3 takes"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_recalls_the_previous_prompt_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut r = Runner::sandbox(dir.path(), 100, 40).await;
        r.key(KeyCode::Char('n'));
        r.type_text("rain on a tin roof");
        r.key(KeyCode::Enter);
        r.wait_for("the submit's answer", |a| !a.submitting()).await;
        r.key(KeyCode::Char('n'));
        r.type_text("wind in pines");
        r.key(KeyCode::Enter);
        r.wait_for("the submit's answer", |a| !a.submitting()).await;
    }
    // A new dashboard on the same store.
    let mut r = Runner::sandbox(dir.path(), 100, 40).await;
    r.key(KeyCode::Char('n'));
    r.wait_for("the history", |a| {
        !a.form
            .history
            .entries(klang::api::Model::SoundEffects, "prompt")
            .is_empty()
    })
    .await;
    r.key(KeyCode::Up);
    assert_eq!(r.app.form.fields()[0].value(), "wind in pines");
    r.key(KeyCode::Up);
    assert_eq!(r.app.form.fields()[0].value(), "rain on a tin roof");
    r.key(KeyCode::Down);
    r.key(KeyCode::Down);
    assert_eq!(
        r.app.form.fields()[0].value(),
        "",
        "back to the empty field"
    );
    // Ctrl-R: search, Enter takes the match.
    r.ctrl('r');
    r.type_text("tin");
    let screen = r.screen();
    assert!(screen.contains("history search: tin"), "{screen}");
    r.key(KeyCode::Enter);
    assert_eq!(r.app.form.fields()[0].value(), "rain on a tin roof");
    assert_eq!(
        r.app.focus,
        Focus::Input,
        "Enter took the match, did not submit"
    );
    // A field with the user's own words keeps Up for moving.
    r.type_text(" loud");
    r.key(KeyCode::Up);
    assert_eq!(r.app.form.fields()[0].value(), "rain on a tin roof loud");
    assert_eq!(r.app.form.focus, 0, "moved to the model selector");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn star_then_klang_list_starred() {
    let sb = common::sandbox(100, 200).await;
    let home = Home::new();
    let data = home.dir.path().join("data/klang");
    let url = sb.base_url();
    let mut r = Runner::on_server(&data, &url, SANDBOX_KEY, 100, 40);
    for prompt in ["keep this one", "and not this"] {
        r.key(KeyCode::Char('n'));
        r.type_text(prompt);
        r.key(KeyCode::Enter);
        r.wait_for("the submit's answer", |a| !a.submitting()).await;
    }
    r.key(KeyCode::Char('G')); // the oldest: "keep this one"
    r.key_with(KeyCode::Char('*'), KeyModifiers::SHIFT);
    r.wait_for("the star", |a| {
        a.selection.tasks.all().iter().any(|t| t.starred)
    })
    .await;
    assert!(r.screen().contains("★ keep this one"));
    // The filter term in the dashboard...
    r.key(KeyCode::Char('/'));
    r.type_text("is:starred");
    r.key(KeyCode::Enter);
    // The filtered count comes from the table's query thread, not at once.
    r.wait_for("the filtered count", |a| a.selection.tasks.len() == 1)
        .await;
    assert_eq!(r.app.selection.tasks.len(), 1);
    // ...and the CLI on the same store.
    let out = home
        .run(None, &["--base-url", &url, "list", "--starred", "--json"])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let listed = json(&out);
    let listed = listed.as_array().expect("array");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["summary"], "keep this one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_voice_is_sent_with_a_warning_and_the_answer_shown() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::sandbox(dir.path(), 100, 40).await;
    new_tts(&mut r);
    r.type_text("Hello");
    r.key(KeyCode::Tab);
    r.ctrl('u');
    r.type_text("brand_new_voice");
    r.key(KeyCode::Enter); // no voice matches: Enter submits as typed
    let warned = |r: &Runner, text: &str| r.app.toasts.iter().any(|t| t.text.contains(text));
    assert!(warned(
        &r,
        "\"brand_new_voice\" is not in klang's voice table"
    ));
    r.wait_for("the server's answer", |a| {
        a.toasts
            .iter()
            .any(|t| t.error && t.text.contains("voice id not found"))
    })
    .await;
    assert_eq!(creates(&r), (0, 1), "sent once, refused by the server");
}
