//! What each screen shows, on a TestBackend at 80x24 and 200x50: the
//! table, details, status, hints, overlays, filter, mouse. The new-task form
//! is in tui_form.rs, the help overlay in tui_help.rs, exact whole screens
//! in tui_snapshots.rs.

use crate::tui_support;

use crossterm::event::{KeyCode, KeyModifiers};
use klang::engine::{DownloadEvent, EngineEvent, EngineStatus};
use klang::store::{LocalState, TaskRecord};
use klang::tui::harness::Runner;
use klang::tui::{Focus, Message};
use std::time::Duration;
use tui_support::*;

#[test]
fn table_shows_every_state_with_glyph_word_cost_and_timing() {
    for size in SIZES {
        let mut r = runner_with(mixed_tasks(), size, |_| {});
        let screen = r.screen();
        for word in [
            "✓ completed",
            "✗ failed",
            "processing",
            "◌ pending",
            "? submit-unknown",
            "⊘ submit-failed",
        ] {
            assert!(screen.contains(word), "{size:?}: no {word:?} in\n{screen}");
        }
        assert!(screen.contains("$0.0295"), "{screen}");
        assert!(screen.contains("$0.0006"), "{screen}");
        // completeTime - createTime = 12.3 s.
        assert!(screen.contains("12.3s"), "{screen}");
        assert!(screen.contains("5.0s"), "audio length: {screen}");
        // Newest first: task 7's row comes before task 1's.
        let newest = screen.find("submit-failed").unwrap();
        let oldest = screen.find("rain on a tin").unwrap();
        assert!(newest < oldest, "{screen}");
    }
}

#[test]
fn key_hints_and_status_fit_at_80x24() {
    let mut r = runner_with(mixed_tasks(), (80, 24), |_| {});
    let screen = r.screen();
    let hints = last_line(&screen);
    for hint in ["n:new", "y:copy", "d:dl", "/:filter", "?:help", "q:quit"] {
        assert!(hints.contains(hint), "hint {hint:?} cut: {hints:?}");
    }
    let status = screen.lines().nth(22).unwrap();
    assert!(status.contains("idle"), "{status}");
    assert!(status.contains("session $0.0000"), "{status}");
    assert!(status.contains("all $1.5000"), "{status}");
}

#[test]
fn the_status_bar_follows_the_spend_the_engine_announces() {
    let mut r = runner_with(mixed_tasks(), (200, 50), |_| {});
    let status = |r: &mut Runner| {
        let screen = r.screen();
        let line = screen.lines().find(|l| l.contains("session $"));
        line.unwrap_or_else(|| panic!("no status line:\n{screen}"))
            .to_string()
    };
    assert!(!status(&mut r).contains("today"), "no cap, no figure");
    let today = |spent_usd| {
        Message::Engine(EngineEvent::SpendToday(klang::budget::Today {
            spent_usd,
            cap_usd: 2.0,
        }))
    };
    r.handle(today(0.0123));
    assert!(
        status(&mut r).contains("today $0.0123/$2.0000"),
        "{}",
        status(&mut r)
    );
    // Another process spent: the engine's next figure replaces the last.
    r.handle(today(0.5));
    assert!(
        status(&mut r).contains("today $0.5000/$2.0000"),
        "{}",
        status(&mut r)
    );
}

#[test]
fn detail_pane_lists_parameters_ids_urls_and_failure() {
    for size in SIZES {
        let mut r = runner_with(mixed_tasks(), size, |_| {});
        // Select the completed sfx task (oldest = last row).
        r.key(KeyCode::Char('G'));
        let screen = r.screen();
        // The most useful lines come first, so even 80x24 shows them.
        for text in [
            "✓ completed",
            "#1",
            "https://cdn.example/audio/1.mp3",
            "not downloaded",
            "tsk_0001",
        ] {
            assert!(screen.contains(text), "{size:?}: no {text:?} in\n{screen}");
        }
        // Every parameter is there, scrolling if the pane is small.
        r.key(KeyCode::Enter);
        assert_eq!(r.app.focus, Focus::Detail);
        let mut seen = String::new();
        for _ in 0..6 {
            seen.push_str(&r.screen());
            r.key(KeyCode::Char('j'));
        }
        for text in [
            "prompt",
            "rain on a tin roof",
            "duration",
            "5.0",
            "kling-sound-effects",
            "submitted",
        ] {
            assert!(seen.contains(text), "{size:?}: no {text:?} in\n{seen}");
        }
        r.key(KeyCode::Esc);
        r.key(KeyCode::Char('k')); // task 2, failed
        let screen = r.screen();
        assert!(screen.contains("Content policy violation"), "{screen}");
    }
}

#[test]
fn filter_prompt_narrows_rows_and_esc_clears() {
    for size in SIZES {
        let mut r = runner_with(mixed_tasks(), size, |_| {});
        r.key(KeyCode::Char('/'));
        r.type_text("thunder");
        let screen = r.screen();
        assert!(screen.contains("filter / thunder"), "{screen}");
        assert!(screen.contains("Tasks 1 of 7"), "{screen}");
        assert!(!screen.contains("rain on a tin"), "{screen}");
        r.key(KeyCode::Enter);
        assert_eq!(r.app.focus, Focus::Table);
        assert!(
            r.screen().contains("Tasks 1 of 7"),
            "Enter keeps the filter"
        );
        // Filter by state word and by model.
        r.key(KeyCode::Char('/'));
        r.key_with(KeyCode::Char('u'), KeyModifiers::CONTROL);
        r.type_text("failed");
        assert_eq!(
            r.app.selection.tasks.len(),
            2,
            "failed + submit-failed? got {}",
            r.app.selection.tasks.len()
        );
        r.key(KeyCode::Esc);
        assert_eq!(r.app.selection.tasks.len(), 7);
        r.key(KeyCode::Char('/'));
        r.type_text("tts");
        assert_eq!(r.app.selection.tasks.len(), 1);
    }
}

#[test]
fn no_key_screen_explains_how_to_set_one() {
    for size in SIZES {
        let mut r = runner_with(vec![], size, |i| i.settings.key_hint = None);
        // At start, before any key, and after `n`.
        for screen in [r.screen(), {
            r.key(KeyCode::Char('n'));
            r.screen()
        }] {
            for text in ["no API key", "KLANG_API_KEY", "klang --sandbox"] {
                assert!(screen.contains(text), "{size:?}: no {text:?} in\n{screen}");
            }
        }
        let screen = r.screen();
        if size.0 >= 120 {
            assert!(screen.contains("config.toml"), "{screen}");
        }
    }
}

#[test]
fn sandbox_badge_is_always_visible() {
    for size in SIZES {
        let mut r = runner_with(mixed_tasks(), size, |i| i.settings.sandbox = true);
        for keys in [
            vec![],
            vec![KeyCode::Char('n')],
            vec![KeyCode::Esc, KeyCode::Char('?')],
        ] {
            for k in keys {
                r.key(k);
            }
            let screen = r.screen();
            assert!(
                screen.lines().next().unwrap().contains("SANDBOX"),
                "{screen}"
            );
        }
    }
}

#[test]
fn download_progress_overlays_the_row_and_engine_state_shows() {
    let mut r = runner_with(mixed_tasks(), (80, 24), |_| {});
    r.handle(Message::Engine(EngineEvent::Download(
        DownloadEvent::Progress {
            id: 1,
            bytes: 42,
            total: Some(100),
        },
    )));
    r.handle(Message::Engine(EngineEvent::Status(
        EngineStatus::Retrying {
            reason: "HTTP 503".into(),
            retry_in: Duration::from_secs(12),
        },
    )));
    let screen = r.screen();
    assert!(screen.contains("⤓ dl 42%"), "{screen}");
    assert!(screen.contains("retrying in 12 s: HTTP 503"), "{screen}");
    r.handle(Message::Engine(EngineEvent::Status(EngineStatus::Paused {
        reason: "402 insufficient credits".into(),
    })));
    assert!(r.screen().contains("paused: 402 insufficient credits"));
}

/// The bytes a real terminal would receive for one frame of `r`'s app.
fn terminal_bytes(r: &mut Runner, width: u16, height: u16) -> String {
    use ratatui::backend::CrosstermBackend;
    use ratatui::layout::Rect;
    use ratatui::{Terminal, TerminalOptions, Viewport};
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Bytes(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Bytes {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let bytes = Bytes::default();
    let mut terminal = Terminal::with_options(
        CrosstermBackend::new(bytes.clone()),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
        },
    )
    .unwrap();
    terminal.draw(|f| klang::tui::draw(f, &r.app)).unwrap();
    let written = bytes.0.lock().unwrap().clone();
    String::from_utf8_lossy(&written).into_owned()
}

#[test]
fn server_text_cannot_inject_escapes_into_the_screen() {
    let mut evil = task(
        1,
        LocalState::Failed,
        sfx("boom\x1b]52;c;ZXZpbA==\x07\u{202E}gpj"),
    );
    evil.fail_msg = Some("\x1b[2J\rcleared".into());
    evil.last_error = Some("\x1b]0;title\x07".into());
    let mut r = runner_with(vec![evil], (200, 50), |_| {});
    // What reaches the terminal: only ratatui's own CSI sequences (cursor
    // moves, colours), never the server's OSC, BEL, CR or bidi override.
    let bytes = terminal_bytes(&mut r, 200, 50);
    for bad in ["\x1b]", "\x07", "\r", "\u{202E}", "\x1b[2J"] {
        assert!(!bytes.contains(bad), "{bad:?} reached the terminal");
    }
    // And the text is shown, not dropped: the controls as visible symbols.
    let screen = r.screen();
    assert!(screen.contains("boom␛]52;c;ZXZpbA==␇"), "{screen}");
    assert!(screen.contains("␛[2J␍cleared"), "{screen}");
    assert!(screen.contains("␛]0;title␇"), "{screen}");
}

#[test]
fn warnings_show_as_toasts() {
    let mut r = runner_with(vec![], (80, 24), |i| {
        i.warnings = vec!["theme broken.toml:3: expected a value".into()]
    });
    assert!(r.screen().contains("broken.toml:3"));
}

#[test]
fn a_hundred_thousand_rows_render_the_visible_window_only() {
    let base = task(0, LocalState::Completed, sfx("row"));
    let tasks: Vec<TaskRecord> = (1..=100_000)
        .map(|id| TaskRecord {
            id,
            summary: format!("prompt number {id}"),
            ..base.clone()
        })
        .collect();
    let mut r = runner_with(tasks, (200, 50), |_| {});
    let screen = r.screen();
    assert!(screen.contains("prompt number 100000"), "newest first");
    r.key(KeyCode::Char('G'));
    let screen = r.screen();
    assert!(screen.contains("prompt number 1 "), "{screen}");
    r.key(KeyCode::PageUp);
    r.key(KeyCode::Char('s'));
    r.key(KeyCode::Char('/'));
    r.type_text("number 5000");
    let screen = r.screen();
    assert!(screen.contains("Tasks 11 of 100000"), "{screen}");
}

#[test]
fn mouse_click_selects_a_row_and_wheel_scrolls_unless_mouse_is_off() {
    use crossterm::event::{Event, MouseButton, MouseEvent, MouseEventKind};
    let click = |row: u16| {
        Message::Terminal(Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 10,
            row,
            modifiers: KeyModifiers::NONE,
        }))
    };
    let mut r = runner_with(mixed_tasks(), (80, 24), |_| {});
    r.screen();
    let top = r.app.ui.table_rows.y;
    // Rows are 7, 6, 5, ...: the third row is task 5.
    r.handle(click(top + 2));
    assert_eq!(r.app.selected().map(|t| t.id), Some(5));
    r.handle(Message::Terminal(Event::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 10,
        row: top,
        modifiers: KeyModifiers::NONE,
    })));
    assert_eq!(r.app.selected().map(|t| t.id), Some(2));

    let mut r = runner_with(mixed_tasks(), (80, 24), |i| i.settings.mouse = false);
    r.screen();
    let top = r.app.ui.table_rows.y;
    r.handle(click(top + 2));
    assert_eq!(
        r.app.selected().map(|t| t.id),
        Some(7),
        "mouse off: no change"
    );
}

#[test]
fn without_colour_state_stays_readable_by_glyph_and_word() {
    let dir = tempfile::tempdir().unwrap();
    let theme = klang::tui::theme::load(Some("light"), dir.path(), true);
    let mut r = runner_with(mixed_tasks(), (80, 24), |i| i.settings.theme = theme.theme);
    let screen = r.screen();
    assert!(
        screen.contains("✓ completed") && screen.contains("✗ failed"),
        "{screen}"
    );
    let buffer = r.terminal.backend().buffer();
    for cell in buffer.content() {
        assert_eq!(
            cell.fg,
            ratatui::style::Color::Reset,
            "colour at {:?}",
            cell.symbol()
        );
        assert_eq!(cell.bg, ratatui::style::Color::Reset);
    }
}

#[test]
fn a_long_detail_label_keeps_a_space_before_its_value() {
    let v2a = klang::api::CreateRequest::VideoToAudio(klang::api::VideoToAudioParams {
        video_url: Some("https://v.example/walk.mp4".into()),
        sound_effect_prompt: Some("footsteps on gravel".into()),
        ..Default::default()
    });
    // Sizes where the details show all of it (at 80x24 they scroll).
    for size in [(200, 50), (120, 40)] {
        let mut r = runner_with(
            vec![task(1, LocalState::Completed, v2a.clone())],
            size,
            |_| {},
        );
        r.key(KeyCode::Enter);
        let screen = r.screen();
        let line = screen
            .lines()
            .find(|l| l.contains("sound_effect_prompt"))
            .unwrap_or_else(|| panic!("{size:?}\n{screen}"));
        assert!(
            line.contains("sound_effect_prompt footsteps on gravel"),
            "{size:?}: {line}"
        );
        // The values line up in one column.
        let column = |label: &str| {
            let l = screen.lines().find(|l| l.contains(label)).unwrap();
            l.find(label).unwrap()
        };
        let value_at = |label: &str, value: &str| {
            let l = screen.lines().find(|l| l.contains(label)).unwrap();
            l.find(value).unwrap() - column(label)
        };
        assert_eq!(
            value_at("sound_effect_prompt", "footsteps"),
            value_at("task id", "tsk_0001"),
            "{size:?}\n{screen}"
        );
    }
}

#[test]
fn at_80_columns_the_prompt_gets_the_room() {
    let mut r = runner_with(mixed_tasks(), (80, 24), |_| {});
    let screen = r.screen();
    let header = screen
        .lines()
        .find(|l| l.contains("Prompt / text"))
        .unwrap();
    let state = header.find("State").unwrap();
    let model = header.find("Mod").unwrap();
    let prompt = header.find("Prompt").unwrap();
    let cost = header.find("Cost").unwrap();
    // Columns in characters, not bytes: the border is one multi-byte char.
    let chars = |a: usize, b: usize| header[a..b].chars().count();
    assert!(chars(state, model) <= 17, "state column: {header}");
    assert!(chars(prompt, cost) >= 30, "prompt column: {header}");
}
