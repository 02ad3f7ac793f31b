//! The dashboard's layers, checked against the source (docs/architecture.md
//! says why): `state` draws nothing and does no I/O of the runtime's,
//! `ui` only reads the app, and the app's methods live with its state.

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn src(part: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(part)
}

/// Each line of `file` outside comments, with its number.
fn code_lines(file: &Path) -> Vec<(usize, String)> {
    let text = fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.split("//").next().unwrap_or("").to_string()))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect()
}

/// What in `line` breaks the state layer's rule, if anything.
fn state_breach(line: &str) -> Option<&'static str> {
    let imports_frame = line.contains("ratatui::Frame")
        || (line.contains("use ratatui::{") && line.contains("Frame"))
        || line.contains("Frame<");
    if imports_frame {
        return Some("ratatui's Frame (drawing belongs in ui/)");
    }
    if line.contains("tui::ui") || line.contains("super::ui") {
        return Some("the ui layer (state knows nothing of drawing)");
    }
    if line.contains("tui::runtime") || line.contains("super::runtime") {
        return Some("the runtime layer (state does no I/O)");
    }
    None
}

#[test]
fn state_imports_neither_frame_nor_ui_nor_runtime() {
    let mut breaches = Vec::new();
    for file in rust_files(&src("tui/state")) {
        for (n, line) in code_lines(&file) {
            if let Some(what) = state_breach(&line) {
                breaches.push(format!(
                    "{}:{n} uses {what}: {}",
                    file.display(),
                    line.trim()
                ));
            }
        }
    }
    assert!(breaches.is_empty(), "{}", breaches.join("\n"));
}

/// Whether `line` names `&mut App` (by any path).
fn takes_app_mutably(line: &str) -> bool {
    line.match_indices("&mut").any(|(at, word)| {
        let path: String = line[at + word.len()..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        path == "App" || path.ends_with("::App")
    })
}

#[test]
fn ui_never_takes_the_app_mutably() {
    let mut breaches = Vec::new();
    for file in rust_files(&src("tui/ui")) {
        for (n, line) in code_lines(&file) {
            if takes_app_mutably(&line) {
                breaches.push(format!("{}:{n}: {}", file.display(), line.trim()));
            }
        }
    }
    assert!(
        breaches.is_empty(),
        "drawing reads the app; what it learns goes back as Message::Laid:\n{}",
        breaches.join("\n")
    );
}

#[test]
fn the_app_is_implemented_only_in_state() {
    let state = src("tui/state");
    let mut breaches = Vec::new();
    for file in rust_files(&src("")) {
        if file.starts_with(&state) {
            continue;
        }
        for (n, line) in code_lines(&file) {
            if line.trim_start().starts_with("impl App ") {
                breaches.push(format!("{}:{n}", file.display()));
            }
        }
    }
    assert!(
        breaches.is_empty(),
        "impl App outside src/tui/state: {}",
        breaches.join(", ")
    );
}

#[test]
fn the_rule_finds_what_it_forbids() {
    assert!(state_breach("use ratatui::Frame;").is_some());
    assert!(state_breach("use ratatui::{Frame, layout::Rect};").is_some());
    assert!(state_breach("use crate::tui::ui::table;").is_some());
    assert!(state_breach("use crate::tui::runtime::effects::Effects;").is_some());
    assert!(state_breach("use ratatui::layout::Rect;").is_none());
    assert!(takes_app_mutably("fn f(app: &mut App) {"));
    assert!(takes_app_mutably(
        "fn f(app: &mut crate::tui::state::App) {"
    ));
    assert!(!takes_app_mutably(
        "fn f(app: &App, laid: &mut ScreenLayout) {"
    ));
    assert!(!takes_app_mutably("fn f(app: &mut AppInit) {"));
}

/// The app is a router over component states: a handful of public
/// components, not every field of every feature.
#[test]
fn the_app_has_at_most_ten_public_fields() {
    let text = fs::read_to_string(src("tui/state/mod.rs")).expect("state/mod.rs");
    let start = text
        .find("pub struct App {")
        .expect("struct App in state/mod.rs");
    let body = &text[start..];
    let end = body.find("\n}\n").expect("the end of struct App");
    let public: Vec<&str> = body[..end]
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| l.starts_with("pub ") && !l.starts_with("pub("))
        .collect();
    assert!(
        public.len() <= 10,
        "{} public fields: {public:?}",
        public.len()
    );
}
