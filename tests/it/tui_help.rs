//! The help overlay on a TestBackend: every action with its keys from the
//! key map, scrolled with the page key, wrapped (never cut) at 80 columns.

use crate::tui_support;

use crossterm::event::KeyCode;
use klang::tui::harness::Runner;
use tui_support::*;

/// Every line the help shows, scrolling through it with the page key.
fn help_text(r: &mut Runner) -> String {
    r.key(KeyCode::Char('?'));
    let mut seen = String::new();
    for _ in 0..20 {
        let screen = r.screen();
        seen.push_str(&screen);
        if !screen.contains(" scroll · ") {
            break;
        }
        let (at, of) = scroll_position(&screen);
        if at >= of {
            break;
        }
        r.key(KeyCode::PageDown);
    }
    seen
}

/// "j/k scroll · 20/41" in the help's bottom border: (last line shown, lines).
fn scroll_position(screen: &str) -> (usize, usize) {
    let tail = screen.split(" scroll · ").nth(1).unwrap_or_default();
    let numbers: String = tail.chars().take_while(|c| *c != ' ').collect();
    let (at, of) = numbers.split_once('/').unwrap_or(("0", "0"));
    (at.parse().unwrap_or(0), of.parse().unwrap_or(0))
}

#[test]
fn help_overlay_shows_every_action_with_its_keys_from_the_key_map() {
    let keys = klang::tui::KeyMap::default();
    for size in SIZES {
        let mut r = runner_with(mixed_tasks(), size, |_| {});
        let text = help_text(&mut r);
        for action in klang::tui::Action::all() {
            let described = action.info().description;
            // Wrapped at 80 columns: the start of the text is on the key's line.
            let start: String = described.chars().take(24).collect();
            let line = text
                .lines()
                .find(|l| l.contains(&start))
                .unwrap_or_else(|| panic!("{size:?}: help lacks {action} ({described:?})\n{text}"));
            let first_key = keys.keys_of(action)[0].to_string();
            assert!(
                line.contains(&format!(" {first_key}")),
                "{size:?}: {action}'s line lacks its key {first_key:?}: {line:?}"
            );
        }
        r.key(KeyCode::Esc);
        assert!(!r.screen().contains("Help · Esc closes"));
    }
}

#[test]
fn help_lines_wrap_instead_of_being_cut_at_80_columns() {
    // Tall enough that the help needs no scrolling: only the width matters.
    let mut r = runner_with(vec![], (80, 120), |_| {});
    r.key(KeyCode::Char('?'));
    let screen = r.screen();
    // The text inside the box, borders off, whitespace runs made one space:
    // a description wrapped over two lines reads as one again.
    let inside: Vec<&str> = screen
        .lines()
        .filter_map(|l| l.strip_prefix('│')?.strip_suffix('│'))
        .collect();
    let joined = inside
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut texts: Vec<&str> = klang::tui::Action::all()
        .map(|a| a.info().description)
        .collect();
    texts.extend(
        klang::tui::keys::action::FIXED_KEYS
            .iter()
            .map(|(_, what)| *what),
    );
    for text in texts {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(joined.contains(&text), "cut or missing: {text:?}\n{screen}");
    }
}
