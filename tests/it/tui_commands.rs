//! `App::handle` changes state and returns commands; it never does I/O.
//! These tests call it directly (no engine, no clipboard, no terminal) and
//! check what it asks the loop to do, and that rebinding keys in
//! config.toml changes which key asks.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use klang::api::{CreateRequest, SoundEffectsParams};
use klang::config::Config;
use klang::engine::{DownloadEvent, EngineEvent};
use klang::store::{LocalState, TaskRecord};
use klang::tui::harness::{Runner, empty_init};
use klang::tui::{Action, App, AppInit, Command, Focus, KeyMap, Message, Overlay};

fn key(code: KeyCode) -> Message {
    key_with(code, KeyModifiers::NONE)
}

fn key_with(code: KeyCode, modifiers: KeyModifiers) -> Message {
    Message::Terminal(Event::Key(KeyEvent::new(code, modifiers)))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.handle(key(KeyCode::Char(c)));
    }
}

fn completed(id: i64, url: &str) -> TaskRecord {
    let params = CreateRequest::SoundEffects(SoundEffectsParams {
        prompt: format!("sound {id}"),
        duration: "5.0".into(),
        callback_url: None,
    });
    TaskRecord {
        id,
        task_id: Some(format!("t{id}")),
        state: LocalState::Completed,
        submitted_at: 1_700_000_000_000,
        create_time: Some(1_700_000_001_000),
        complete_time: Some(1_700_000_004_000),
        result_urls: vec![url.to_string()],
        audio_duration: Some(5.0),
        updated_at: 1_700_000_004_000,
        ..TaskRecord::new(params)
    }
}

fn app_with(tasks: Vec<TaskRecord>, edit: impl FnOnce(&mut AppInit)) -> App {
    let mut init = empty_init();
    init.tasks = tasks;
    edit(&mut init);
    App::new(init)
}

fn side_effects(commands: Vec<Command>) -> Vec<Command> {
    commands
        .into_iter()
        .filter(|c| *c != Command::Redraw)
        .collect()
}

#[test]
fn enter_submits_once_and_again_while_in_flight_does_nothing() {
    let mut app = app_with(vec![], |_| {});
    app.handle(key(KeyCode::Char('n')));
    typed(&mut app, "rain");
    let first = side_effects(app.handle(key(KeyCode::Enter)));
    assert!(
        matches!(first.as_slice(), [Command::Submit { request: CreateRequest::SoundEffects(p), count: 1 }] if p.prompt == "rain"),
        "{first:?}"
    );
    assert!(app.submitting());
    // The store has not answered yet: a second Enter sends nothing.
    assert_eq!(side_effects(app.handle(key(KeyCode::Enter))), vec![]);
    // The answer comes back as a message.
    app.handle(Message::Submitted(Ok(vec![9])));
    assert!(!app.submitting());
    assert_eq!(app.focus, Focus::Table);
    assert!(
        app.toasts
            .iter()
            .any(|t| t.text == "submitted #9 ($0.0295)"),
        "{:?}",
        app.toasts
    );
    // The prompt was cleared, the duration kept.
    assert_eq!(app.form.fields()[0].value(), "");
    assert_eq!(app.form.fields()[1].value(), "5.0");
}

#[test]
fn a_refused_submit_keeps_the_text_and_says_why() {
    let mut app = app_with(vec![], |_| {});
    app.handle(key(KeyCode::Char('n')));
    typed(&mut app, "rain");
    app.handle(key(KeyCode::Enter));
    app.handle(Message::Submitted(Err(klang::engine::SubmitError::Stopped)));
    assert!(!app.submitting());
    assert_eq!(app.form.fields()[0].value(), "rain");
    assert!(
        app.toasts
            .iter()
            .any(|t| t.error && t.text.contains("not submitted"))
    );
    // And Enter works again.
    let again = side_effects(app.handle(key(KeyCode::Enter)));
    assert!(
        matches!(again.as_slice(), [Command::Submit { .. }]),
        "{again:?}"
    );
}

#[test]
fn copy_asks_the_loop_with_a_single_line_url_and_toasts_the_answer() {
    let mut app = app_with(
        vec![completed(1, "https://cdn.example/a.mp3\n; rm -rf ~")],
        |_| {},
    );
    let commands = side_effects(app.handle(key(KeyCode::Char('y'))));
    let [Command::Copy(url)] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert!(!url.contains('\n'), "{url:?}");
    // The exact URL, with what a URL may not hold percent-encoded (not
    // the display form with a visible ⏎).
    assert_eq!(url, "https://cdn.example/a.mp3%0A;%20rm%20-rf%20~");
    assert!(
        app.toasts.is_empty(),
        "nothing is claimed before the copy ran"
    );
    app.handle(Message::Copied {
        url: url.clone(),
        result: Ok(()),
    });
    assert!(app.toasts.iter().any(|t| t.text == format!("copied {url}")));
    app.handle(Message::Copied {
        url: url.clone(),
        result: Err("cannot write to the terminal: gone".into()),
    });
    let last = app.toasts.back().unwrap();
    assert!(last.error && last.text.ends_with(&format!("the URL is {url}")));
}

#[test]
fn downloads_are_what_the_engine_reports_and_quit_asks_while_they_run() {
    let mut app = app_with(vec![completed(1, "https://cdn.example/a.mp3")], |_| {});
    let commands = side_effects(app.handle(key(KeyCode::Char('d'))));
    assert_eq!(commands, vec![Command::Download(1)]);
    // Nothing is marked as downloading until the engine says so.
    assert!(app.downloads.is_empty());
    assert_eq!(
        side_effects(app.handle(key(KeyCode::Char('q')))),
        vec![Command::Quit]
    );

    let mut app = app_with(vec![completed(1, "https://cdn.example/a.mp3")], |_| {});
    app.handle(Message::Engine(EngineEvent::Download(
        DownloadEvent::Started { id: 1 },
    )));
    assert_eq!(app.downloads.len(), 1);
    // A running download: `d` again asks nothing, `q` asks first.
    assert_eq!(side_effects(app.handle(key(KeyCode::Char('d')))), vec![]);
    assert_eq!(side_effects(app.handle(key(KeyCode::Char('q')))), vec![]);
    assert_eq!(app.overlays.shown, Overlay::ConfirmQuit);
    assert_eq!(
        side_effects(app.handle(key(KeyCode::Char('y')))),
        vec![Command::Quit]
    );
}

#[test]
fn resubmit_and_resume_and_download_all_are_commands() {
    let mut failed = completed(2, "https://cdn.example/b.mp3");
    failed.state = LocalState::Failed;
    failed.result_urls.clear();
    let mut app = app_with(
        vec![completed(1, "https://cdn.example/a.mp3"), failed],
        |_| {},
    );
    // Newest first: #2 (failed) is selected.
    assert_eq!(
        side_effects(app.handle(key(KeyCode::Char('r')))),
        vec![Command::Resubmit(2)]
    );
    app.handle(Message::Resubmitted {
        from: 2,
        result: Ok(3),
    });
    assert!(app.toasts.iter().any(|t| t.text == "resubmitted #2 as #3"));
    assert_eq!(
        side_effects(app.handle(key(KeyCode::Char('R')))),
        vec![Command::Resume]
    );
    assert_eq!(
        side_effects(app.handle(key(KeyCode::Char('D')))),
        vec![Command::DownloadAll]
    );
}

fn rebound(toml: &str) -> Result<KeyMap, String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.toml");
    std::fs::write(&file, toml).unwrap();
    let loaded = Config::load(&file)?;
    KeyMap::from_config(&loaded.keys, &file)
}

#[test]
fn copy_rebound_to_c_copies_on_c_and_not_y_and_the_help_says_so() {
    let keys = rebound("theme = \"dark\"\n\n[keys]\ncopy = \"c\"\n").unwrap();
    let mut r = Runner::new(
        {
            let mut init = empty_init();
            init.tasks = vec![completed(1, "https://cdn.example/a.mp3")];
            init.settings.keys = keys;
            init
        },
        80,
        24,
    );
    r.key(KeyCode::Char('y'));
    assert_eq!(r.clipboard.captured(), "", "y no longer copies");
    r.key(KeyCode::Char('c'));
    assert_eq!(
        r.clipboard.captured(),
        klang::tui::runtime::clipboard::osc52("https://cdn.example/a.mp3")
    );
    let screen = r.screen();
    assert!(
        screen.lines().last().unwrap().contains("c:copy"),
        "{screen}"
    );
    r.key(KeyCode::Char('?'));
    let screen = r.screen();
    let line = screen
        .lines()
        .find(|l| l.contains(Action::Copy.info().description))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(line.contains("│ c "), "{line}");
}

#[test]
fn a_list_of_keys_binds_each_and_bad_bindings_name_the_line() {
    let keys = rebound("[keys]\ncopy = [\"c\", \"ctrl+y\"]\nquit = \"Q\"\n").unwrap();
    assert_eq!(keys.describe(Action::Copy), "c, ctrl+y");
    assert_eq!(keys.describe(Action::Quit), "Q");

    let err = rebound("[keys]\ncopy = \"c\"\ncopyy = \"x\"\n").unwrap_err();
    assert!(
        err.contains("config.toml:3: [keys] has no action \"copyy\""),
        "{err}"
    );
    let err = rebound("mouse = true\n[keys]\n\ndownload = \"ctl+d\"\n").unwrap_err();
    assert!(
        err.contains("config.toml:4: \"ctl+d\" is not a key"),
        "{err}"
    );
    let err = rebound("[keys]\ncopy = 3\n").unwrap_err();
    assert!(err.contains("config.toml:2"), "{err}");
    let err = rebound("[keys]\nhelp = \"q\"\n").unwrap_err();
    assert!(err.contains("config.toml:2: q is also quit's key"), "{err}");
}

#[test]
fn bound_letters_and_altgr_characters_typed_in_a_field_stay_text() {
    let keys = rebound("[keys]\nnext_field = [\"tab\", \"x\"]\n").unwrap();
    let mut app = app_with(vec![], |i| i.settings.keys = keys);
    app.handle(key(KeyCode::Char('n')));
    typed(&mut app, "xyq");
    // AltGr arrives as ctrl+alt on many terminals.
    app.handle(key_with(
        KeyCode::Char('@'),
        KeyModifiers::CONTROL | KeyModifiers::ALT,
    ));
    assert_eq!(app.form.fields()[0].value(), "xyq@");
    assert_eq!(app.focus, Focus::Input);
    // On the model selector (not a text field), the bound key acts.
    app.form.focus = 0;
    app.handle(key(KeyCode::Char('x')));
    assert_eq!(app.form.focus, 1);
}

#[test]
fn the_help_scrolls_with_the_movement_keys_and_closes_with_back() {
    let mut r = Runner::new(empty_init(), 80, 24);
    r.key(KeyCode::Char('?'));
    let top = r.screen();
    assert!(top.contains("Table and details"), "{top}");
    r.key(KeyCode::Char('j'));
    assert_eq!(r.app.ui.help_scroll, 1);
    // Page down until the help stops moving: its end, however long it grows.
    for _ in 0..20 {
        let at = r.app.ui.help_scroll;
        r.key(KeyCode::PageDown);
        if r.app.ui.help_scroll == at {
            break;
        }
    }
    let bottom = r.screen();
    assert!(bottom.contains("letters are text"), "{bottom}");
    assert!(!bottom.contains("Table and details"), "{bottom}");
    r.key(KeyCode::Char('k'));
    let scrolled = r.app.ui.help_scroll;
    r.key(KeyCode::Char('g'));
    assert!(r.app.ui.help_scroll < scrolled);
    // Letters that are actions elsewhere do nothing under the help.
    r.key(KeyCode::Char('n'));
    assert_eq!(r.app.overlays.shown, Overlay::Help);
    assert_eq!(r.app.focus, Focus::Table);
    r.key(KeyCode::Esc);
    assert_eq!(r.app.overlays.shown, Overlay::None);
}

/// `w` and `M` on a task with no result say so, and nothing runs.
#[test]
fn render_and_mux_of_an_unfinished_task_say_it_has_nothing_to_work_on() {
    let mut running = completed(1, "https://cdn.example/a.mp3");
    running.state = LocalState::Processing;
    running.result_urls.clear();
    let mut r = Runner::new(
        {
            let mut init = empty_init();
            init.tasks = vec![running];
            init
        },
        80,
        24,
    );
    let toasted = |r: &Runner, text: &str| r.app.toasts.iter().any(|t| t.text == text);
    r.key(KeyCode::Char('w'));
    assert!(toasted(&r, "#1 has nothing to render: it is processing"));
    r.key(KeyCode::Char('M'));
    assert!(toasted(&r, "#1 has nothing to mux: it is processing"));
    assert!(
        !r.commands
            .iter()
            .any(|c| matches!(c, Command::ExportAudio { .. } | Command::Mux { .. })),
        "{:?}",
        r.commands
    );
}
