//! The dashboard with 100,000 tasks in its history: building the app,
//! drawing a frame, moving the selection, applying an engine event, and
//! filtering. Only visible rows are built, so a frame should cost what a
//! 50-row history costs.

mod common;

use common::synthetic;
use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use klang::engine::EngineEvent;
use klang::store::LocalState;
use klang::tui::harness::empty_init;
use klang::tui::{App, Message, draw};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;

fn key(c: char) -> Message {
    Message::Terminal(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

fn app_with(n: usize) -> App {
    let mut init = empty_init();
    init.tasks = synthetic(n);
    App::new(init)
}

fn dashboard(c: &mut Criterion) {
    let tasks = synthetic(100_000);
    let mut group = c.benchmark_group("dashboard_100k");
    group.sample_size(20);
    group.bench_function("app_new", |b| {
        b.iter(|| {
            let mut init = empty_init();
            init.tasks = tasks.clone();
            black_box(App::new(init))
        })
    });
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let app = app_with(100_000);
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("backend");
        group.bench_function(format!("draw_{w}x{h}"), |b| {
            b.iter(|| term.draw(|f| draw(f, &app)).map(|_| ()))
        });
    }
    let mut app = app_with(100_000);
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("backend");
    group.bench_function("key_j_and_draw", |b| {
        b.iter(|| {
            black_box(app.handle(key('j')));
            term.draw(|f| draw(f, &app)).map(|_| ())
        })
    });
    let mut changed = tasks[500].clone();
    group.bench_function("task_changed_and_draw", |b| {
        b.iter(|| {
            changed.state = if changed.state == LocalState::Completed {
                LocalState::Processing
            } else {
                LocalState::Completed
            };
            let event = Message::Engine(EngineEvent::TaskChanged(Box::new(changed.clone())));
            black_box(app.handle(event));
            term.draw(|f| draw(f, &app)).map(|_| ())
        })
    });
    group.bench_function("filter_keystroke_and_draw", |b| {
        b.iter_batched(
            || {
                let mut app = app_with(100_000);
                app.handle(key('/'));
                app
            },
            |mut app| {
                app.handle(key('7'));
                term.draw(|f| draw(f, &app)).map(|_| ())
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// Opening the takes view (`=`) of a group of 8 analysed takes in a
/// 100,000-task history: the key, the store's answer, and the first frame at
/// 200x50 (the waveform strips are drawn from the analyses' peaks).
fn takes_view(c: &mut Criterion) {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audio/stereo_44k.mp3");
    let analysis = klang::audio::analyse_file(&fixture).expect("the fixture decodes");
    let mut tasks = synthetic(100_000);
    let group: Vec<_> = tasks
        .iter_mut()
        .rev()
        .take(8)
        .map(|t| {
            t.group_id = Some("g8".into());
            t.state = LocalState::Completed;
            t.local_path = Some(fixture.display().to_string());
            t.clone()
        })
        .collect();
    let mut init = empty_init();
    init.tasks = tasks;
    let mut app = App::new(init);
    for t in &group {
        app.selection.analyses.insert(
            t.id,
            std::sync::Arc::new(klang::store::StoredAnalysis {
                path: fixture.display().to_string(),
                outcome: Ok(analysis.clone()),
            }),
        );
    }
    // Select the group's first take: it is the newest of the history.
    app.handle(key('g'));
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("backend");
    let mut bench = c.benchmark_group("takes_view");
    bench.sample_size(30);
    bench.bench_function("open_8_takes_and_draw_200x50", |b| {
        b.iter(|| {
            black_box(app.handle(key('=')));
            black_box(app.handle(Message::GroupLoaded {
                group: "g8".into(),
                result: Ok(group.clone()),
            }));
            let frame = term.draw(|f| draw(f, &app)).map(|_| ());
            // Close it again for the next iteration.
            black_box(app.handle(key('=')));
            frame
        })
    });
    bench.finish();
}

criterion_group!(benches, dashboard, takes_view);
criterion_main!(benches);
