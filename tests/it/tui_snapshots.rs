//! Whole screens, cell for cell, at 80x24 and 200x50: the table, the
//! details, the new-task form and the help. Times and ids are fixed (a
//! fixed clock, UTC), so a frame is the same on every machine. The expected
//! screens are files in tests/snapshots/; after an intended change of the
//! layout, look at the diff and rewrite them with
//! `KLANG_UPDATE_SNAPSHOTS=1 cargo test --test it tui_snapshots`.

use crate::tui_support;

use crossterm::event::KeyCode;
use klang::tui::ShownTime;
use klang::tui::harness::Runner;
use ratatui::style::Color;
use std::path::Path;
use tui_support::*;

/// 2025-11-28 12:00:00 UTC.
const NOW: i64 = 1_764_331_200_000;

fn runner(size: (u16, u16)) -> Runner {
    crate::common::utc();
    let mut r = runner_with(mixed_tasks_at(NOW), size, |_| {});
    r.app.settings.clock = ShownTime::Fixed(NOW);
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
            "{}: {e}; write it with KLANG_UPDATE_SNAPSHOTS=1 cargo test --test it tui_snapshots\nscreen:\n{actual}",
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
            "{} differs ({} rows):\n{}\nwhole screen:\n{actual}\n(if intended: KLANG_UPDATE_SNAPSHOTS=1 cargo test --test it tui_snapshots)",
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

/// Task #1 (the oldest row) with a downloaded sweep (200 Hz to 4 kHz over
/// 1.5 s, tests/fixtures/audio/stereo_48k.wav), measured, with the
/// spectrogram shown (`v`): `colours` picks how the terminal takes colour. The
/// file's place on record is fixed so the screen is the same anywhere.
fn sweep_spectrogram(size: (u16, u16), colours: impl FnOnce(&mut klang::tui::App)) -> Runner {
    use klang::engine::EngineEvent;
    use klang::engine::spectrograms::{COLUMNS, ROWS, StoredSpectrogram};
    use klang::store::StoredAnalysis;
    use klang::tui::Message;
    use std::sync::Arc;
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audio/stereo_48k.wav");
    let on_record = "/home/user/klang/1-sweep.wav".to_string();
    crate::common::utc();
    let mut tasks = mixed_tasks_at(NOW);
    tasks[0].local_path = Some(on_record.clone());
    let record = tasks[0].clone();
    let mut r = runner_with(tasks, size, |_| {});
    r.app.settings.clock = ShownTime::Fixed(NOW);
    colours(&mut r.app);
    let analysis = klang::audio::analyse_file(&fixture).unwrap();
    let stats = analysis.stats.clone();
    r.handle(Message::Engine(EngineEvent::AudioAnalysed {
        record: Box::new(record),
        analysis: Arc::new(StoredAnalysis {
            path: on_record.clone(),
            outcome: Ok(analysis),
        }),
    }));
    r.key(KeyCode::Char('v'));
    for _ in 0..6 {
        r.key(KeyCode::Char('j'));
    }
    // Selecting it asked for its spectrogram; here is the engine's answer.
    assert!(
        r.commands.contains(&klang::tui::Command::Spectrogram(1)),
        "{:?}",
        r.commands
    );
    let spectrogram = klang::audio::spectrogram_file(&fixture, COLUMNS, ROWS, Some(&stats));
    r.handle(Message::Engine(EngineEvent::Spectrogram {
        id: 1,
        spectrogram: Arc::new(StoredSpectrogram {
            path: on_record,
            outcome: spectrogram.map_err(|e| e.to_string()),
        }),
    }));
    r
}

/// The picture's cells as `fg/bg` xterm-256 indices, one line per row.
fn cell_colours(r: &Runner) -> String {
    let buffer = r.terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let row: Vec<String> = (0..buffer.area.width)
            .filter_map(|x| {
                let cell = &buffer[(x, y)];
                match (cell.symbol(), cell.fg, cell.bg) {
                    ("▀", Color::Indexed(fg), Color::Indexed(bg)) => Some(format!("{fg}/{bg}")),
                    _ => None,
                }
            })
            .collect();
        if !row.is_empty() {
            out.push_str(&row.join(" "));
            out.push('\n');
        }
    }
    out
}

#[test]
fn the_spectrogram_of_a_sweep_in_256_colours() {
    for size in SIZES {
        let mut r = sweep_spectrogram(size, |_| {});
        let screen = r.screen();
        assert_screen("spectrogram", size, &screen);
        assert_screen("spectrogram_colours", size, &cell_colours(&r));
        let cells = screen.chars().filter(|&c| c == '▀').count();
        assert!(
            cells >= if size.0 >= 200 { 400 } else { 100 },
            "{cells} cells:\n{screen}"
        );
    }
}

#[test]
fn the_spectrogram_in_24_bit_colour_is_the_same_picture() {
    use klang::audio::spectrogram::palette::{Rgb, nearest_256};
    for size in SIZES {
        let mut indexed = sweep_spectrogram(size, |_| {});
        let mut rgb = sweep_spectrogram(size, |app| app.settings.truecolor = true);
        assert_eq!(indexed.screen(), rgb.screen());
        let (a, b) = (
            indexed.terminal.backend().buffer(),
            rgb.terminal.backend().buffer(),
        );
        let nearest = |c: Color| match c {
            Color::Rgb(r, g, b) => Color::Indexed(nearest_256(Rgb(r, g, b))),
            other => panic!("not 24-bit: {other:?}"),
        };
        let mut compared = 0;
        for (x, y) in a.area.positions().map(|p| (p.x, p.y)) {
            if a[(x, y)].symbol() == "▀" {
                assert_eq!(a[(x, y)].fg, nearest(b[(x, y)].fg));
                assert_eq!(a[(x, y)].bg, nearest(b[(x, y)].bg));
                compared += 1;
            }
        }
        assert!(compared >= 100, "{compared}");
    }
}

#[test]
fn the_spectrogram_without_colour_is_a_density_ramp() {
    for size in SIZES {
        let mut r = sweep_spectrogram(size, |app| app.settings.waveform_blocks = true);
        let screen = r.screen();
        assert!(!screen.contains('▀'), "{screen}");
        assert!(screen.contains('%'), "{screen}");
        assert_screen("spectrogram_ramp", size, &screen);
    }
}
