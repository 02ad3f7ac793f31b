//! The new-task form on a TestBackend: fields per model, defaults, price,
//! counters, inline validation, and keys in fields staying text.

use crate::tui_support;

use crossterm::event::KeyCode;
use klang::tui::Focus;
use tui_support::*;

#[test]
fn input_pane_per_model_shows_fields_defaults_price_and_counter() {
    for size in SIZES {
        let mut r = runner_with(vec![], size, |_| {});
        r.key(KeyCode::Char('n'));
        assert_eq!(r.app.focus, Focus::Input);
        let screen = r.screen();
        for text in [
            "Sound effects",
            "Prompt",
            "0/200",
            "Duration",
            "5.0",
            "$0.0295 per call",
        ] {
            assert!(
                screen.contains(text),
                "{size:?} sfx: no {text:?} in\n{screen}"
            );
        }
        r.ctrl('n');
        let screen = r.screen();
        for text in [
            "Video to audio",
            "Video",
            "SFX prompt",
            "BGM prompt",
            "ASMR mode",
            "[ ] off",
            "$0.0027",
        ] {
            assert!(
                screen.contains(text),
                "{size:?} v2a: no {text:?} in\n{screen}"
            );
        }
        r.ctrl('n');
        let screen = r.screen();
        for text in [
            "Text to speech",
            "0/1000",
            "Voice",
            "reader_en_m-v1",
            "Language",
            "◀ en ▶",
            "Speed",
            "1.0",
            "$0.0006",
        ] {
            assert!(
                screen.contains(text),
                "{size:?} tts: no {text:?} in\n{screen}"
            );
        }
        let hints = last_line(&screen).to_string();
        assert!(
            hints.contains("Enter:submit") && hints.contains("Esc:back"),
            "{hints}"
        );
    }
}

#[test]
fn letters_typed_in_a_field_are_text_not_shortcuts() {
    let mut r = runner_with(mixed_tasks(), (80, 24), |_| {});
    r.key(KeyCode::Char('n'));
    r.type_text("quiet drip sound");
    assert!(!r.quit, "q in a text field must not quit");
    assert_eq!(r.app.focus, Focus::Input);
    assert_eq!(
        r.app.selection.tasks.sort().label(),
        "newest",
        "s must not sort"
    );
    let screen = r.screen();
    assert!(screen.contains("quiet drip sound"), "{screen}");
    assert!(screen.contains("16/200"), "{screen}");
    // Ctrl-W deletes the last word, Home/End move, paste inserts.
    r.ctrl('w');
    r.key(KeyCode::Home);
    r.paste("very\n");
    let screen = r.screen();
    assert!(screen.contains("very quiet drip"), "{screen}");
    assert!(!screen.contains("drip sound"), "{screen}");
}

#[test]
fn invalid_input_is_named_inline_and_nothing_is_sent() {
    for size in SIZES {
        let mut r = runner_with(vec![], size, |_| {});
        r.key(KeyCode::Char('n'));
        r.key(KeyCode::Enter);
        let screen = r.screen();
        assert!(screen.contains("prompt: must not be empty"), "{screen}");
        assert_eq!(r.app.focus, Focus::Input, "stays in the form");
        r.type_text(&"x".repeat(201));
        let screen = r.screen();
        assert!(screen.contains("201/200"), "{screen}");
        r.key(KeyCode::Enter);
        let screen = r.screen();
        assert!(screen.contains("at most 200 characters"), "{screen}");
        assert_eq!(r.app.selection.tasks.total(), 0);
    }
}

#[test]
fn bad_duration_names_the_field_and_limit() {
    let mut r = runner_with(vec![], (80, 24), |_| {});
    r.key(KeyCode::Char('n'));
    r.type_text("wind");
    r.key(KeyCode::Tab);
    r.key(KeyCode::Backspace);
    r.key(KeyCode::Backspace);
    r.key(KeyCode::Backspace);
    r.type_text("12");
    r.key(KeyCode::Enter);
    let screen = r.screen();
    assert!(screen.contains("duration: must be 3.0 to 10.0"), "{screen}");
}

#[test]
fn tab_cycles_table_form_fields_details_and_back() {
    let mut r = runner_with(mixed_tasks(), (80, 24), |_| {});
    r.key(KeyCode::Tab);
    assert_eq!(r.app.focus, Focus::Input);
    assert_eq!(r.app.form.focus, 0, "the model selector first");
    r.key(KeyCode::Right);
    assert_eq!(r.app.form.model().short(), "v2a");
    r.key(KeyCode::Left);
    // Prompt, duration, takes.
    for _ in 0..3 {
        r.key(KeyCode::Tab);
        assert_eq!(r.app.focus, Focus::Input);
    }
    r.key(KeyCode::Tab);
    assert_eq!(r.app.focus, Focus::Detail);
    assert!(
        r.screen().contains("Details"),
        "80x24 shows details when focused"
    );
    r.key(KeyCode::Tab);
    assert_eq!(r.app.focus, Focus::Table);
    r.key(KeyCode::BackTab);
    assert_eq!(r.app.focus, Focus::Detail);
    r.key(KeyCode::BackTab);
    assert_eq!(r.app.focus, Focus::Input);
}

#[test]
fn the_video_placeholder_fits_its_line_at_120_columns() {
    for size in [(120, 40), (160, 40), (80, 24)] {
        let mut r = runner_with(vec![], size, |_| {});
        r.key(KeyCode::Char('n'));
        r.ctrl('n');
        // Focus off the empty video field, so its placeholder shows.
        r.key(KeyCode::Tab);
        let screen = r.screen();
        let video = screen
            .lines()
            .find(|l| l.contains(" Video ") && !l.contains("Model"))
            .unwrap_or_else(|| panic!("{size:?}: no video field\n{screen}"));
        assert!(
            video.contains("https:// URL (MP4/MOV, 3-20 s)"),
            "{size:?}: {video}"
        );
        let next = screen
            .lines()
            .skip_while(|l| !l.contains(" Video ") || l.contains("Model"))
            .nth(1)
            .unwrap_or_default();
        assert!(
            next.contains("SFX prompt"),
            "{size:?}: the placeholder wrapped onto the next line: {next:?}\n{screen}"
        );
    }
}

/// The column where `label`'s value (or hint) starts on the form row that
/// carries the label.
fn value_column(screen: &str, label: &str) -> usize {
    let line = screen
        .lines()
        .find(|l| {
            (l.contains(&format!(" {label} ")) || l.contains(&format!("›{label} ")))
                && !l.contains("Model")
        })
        .unwrap_or_else(|| panic!("no {label:?} row in\n{screen}"));
    let chars: Vec<char> = line.chars().collect();
    let at = line[..line.find(label).unwrap()].chars().count() + label.chars().count();
    at + chars[at..]
        .iter()
        .position(|c| *c != ' ')
        .unwrap_or_else(|| panic!("{label:?} row has no value: {line:?}"))
}

#[test]
fn text_areas_line_up_with_single_line_fields() {
    for size in SIZES {
        let mut r = runner_with(vec![], size, |_| {});
        r.key(KeyCode::Char('n'));
        // Off the empty prompt, so its hint shows.
        r.key(KeyCode::Tab);
        let screen = r.screen();
        assert_eq!(
            value_column(&screen, "Prompt"),
            value_column(&screen, "Duration"),
            "{size:?} sfx:\n{screen}"
        );
        r.ctrl('n');
        // Focus on the BGM prompt: the video and SFX prompt show hints.
        r.key(KeyCode::Tab);
        r.key(KeyCode::Tab);
        let screen = r.screen();
        let video = value_column(&screen, "Video");
        for label in ["SFX prompt", "ASMR mode", "Takes"] {
            assert_eq!(
                value_column(&screen, label),
                video,
                "{size:?} v2a {label}:\n{screen}"
            );
        }
        // A text area holding text starts where the hints do.
        for c in "rain".chars() {
            r.key(KeyCode::Char(c));
        }
        r.key(KeyCode::Tab);
        let screen = r.screen();
        assert_eq!(value_column(&screen, "BGM prompt"), video, "{screen}");
    }
}
