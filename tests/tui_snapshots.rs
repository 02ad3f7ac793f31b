//! Whole screens, cell for cell, at 80x24 and 200x50: the table, the
//! details, the new-task form and the help. Times and ids are fixed (a
//! fixed clock, UTC), so a frame is the same on every machine. The expected
//! screens are files in tests/snapshots/; after an intended change of the
//! layout, look at the diff and rewrite them with
//! `KLANG_UPDATE_SNAPSHOTS=1 cargo test --test tui_snapshots`.

mod tui_support;

use crossterm::event::KeyCode;
use klang::tui::Clock;
use klang::tui::harness::Runner;
use std::path::Path;
use std::sync::Once;
use tui_support::*;

/// 2025-11-28 12:00:00 UTC.
const NOW: i64 = 1_764_331_200_000;

/// Every test here shows times in UTC. Set once, before any test reads
/// the clock's zone (each test calls this first).
fn utc() {
    static ONCE: Once = Once::new();
    // SAFETY: the only environment write in this test binary, done once
    // while every other test thread waits on the Once before reading it.
    ONCE.call_once(|| unsafe { std::env::set_var("TZ", "UTC") });
}

fn runner(size: (u16, u16)) -> Runner {
    utc();
    let mut r = runner_with(mixed_tasks_at(NOW), size, |_| {});
    r.app.clock = Clock::Fixed(NOW);
    r
}

/// The screen without trailing spaces (they carry no information and make
/// diffs unreadable); the line count still shows the height.
fn trimmed(screen: &str) -> String {
    let mut out: String = screen
        .lines()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    out
}

fn assert_screen(name: &str, size: (u16, u16), screen: &str) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}_{}x{}.txt", size.0, size.1));
    let actual = trimmed(screen);
    if std::env::var_os("KLANG_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; write it with KLANG_UPDATE_SNAPSHOTS=1 cargo test --test tui_snapshots\nscreen:\n{actual}",
            file.display()
        )
    });
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (e, a))| e != a)
            .map(|(i, (e, a))| format!("row {i}:\n  expected {e:?}\n  actual   {a:?}"))
            .collect();
        panic!(
            "{} differs ({} rows):\n{}\nwhole screen:\n{actual}\n(if intended: KLANG_UPDATE_SNAPSHOTS=1 cargo test --test tui_snapshots)",
            file.display(),
            diff.len(),
            diff.join("\n")
        );
    }
}

#[test]
fn the_table_with_a_task_in_every_state() {
    for size in SIZES {
        let mut r = runner(size);
        let screen = r.screen();
        assert_screen("table", size, &screen);
    }
}

#[test]
fn the_details_of_a_failed_task() {
    for size in SIZES {
        let mut r = runner(size);
        // Newest first: #7, #6, #5 ... #2 is the sixth row.
        for _ in 0..5 {
            r.key(KeyCode::Char('j'));
        }
        r.key(KeyCode::Enter);
        let screen = r.screen();
        assert!(screen.contains("Content policy violation"), "{screen}");
        assert_screen("details", size, &screen);
    }
}

#[test]
fn the_video_to_audio_form() {
    for size in SIZES {
        let mut r = runner(size);
        r.key(KeyCode::Char('n'));
        r.ctrl('n');
        let screen = r.screen();
        assert_screen("form_v2a", size, &screen);
    }
}

#[test]
fn the_help_overlay() {
    for size in SIZES {
        let mut r = runner(size);
        r.key(KeyCode::Char('?'));
        let screen = r.screen();
        assert_screen("help", size, &screen);
    }
}
