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
        let mut app = app_with(100_000);
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("backend");
        group.bench_function(format!("draw_{w}x{h}"), |b| {
            b.iter(|| term.draw(|f| draw(f, &mut app)).map(|_| ()))
        });
    }
    let mut app = app_with(100_000);
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("backend");
    group.bench_function("key_j_and_draw", |b| {
        b.iter(|| {
            black_box(app.handle(key('j')));
            term.draw(|f| draw(f, &mut app)).map(|_| ())
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
            term.draw(|f| draw(f, &mut app)).map(|_| ())
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
                term.draw(|f| draw(f, &mut app)).map(|_| ())
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, dashboard);
criterion_main!(benches);
