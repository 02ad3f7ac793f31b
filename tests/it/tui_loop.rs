//! The real event loop writing to a captured "terminal": it draws only when
//! something changed, wraps frames in synchronized updates, ticks only while
//! something runs, and writes nothing at all while idle.
//!
//! The clock is tokio's paused one: the 10 s idle window (ten tick periods,
//! so a tick that should not exist would show) costs no real time. Nothing
//! here asserts how long anything takes.

use crate::common;

use common::live_loop::{LiveLoop, Resizable, queue, task, terminal};
use crossterm::event::{Event, KeyCode, KeyEvent};
use klang::engine::{EngineEvent, EngineStatus};
use klang::store::LocalState;
use klang::tui::harness::empty_init;
use klang::tui::runtime::event_loop::run_loop;
use klang::tui::{App, Message};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Lets the loop task handle what was sent.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Waits (up to a generous limit, for failure only) until `cond`.
async fn wait_until(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..300 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never happened: {what}");
}

const IDLE: Duration = Duration::from_secs(10);

#[tokio::test(start_paused = true)]
async fn idle_writes_nothing_and_frames_are_synchronized() {
    let mut init = empty_init();
    init.tasks = vec![task(1, LocalState::Completed)];
    let live = LiveLoop::start(init);
    let (screen, tx) = (live.screen.clone(), live.tx.clone());

    wait_until("the first frame", || screen.len() > 0).await;
    settle().await;
    let first = screen.len();
    let frame = screen.since(0);
    assert!(first > 0, "the first frame is drawn");
    assert!(
        frame.starts_with("\x1b[?2026h"),
        "frame opens a synchronized update"
    );
    assert!(frame.ends_with("\x1b[?2026l"), "and closes it");

    // Idle: not one byte.
    tokio::time::sleep(IDLE).await;
    assert_eq!(
        screen.len(),
        first,
        "idle dashboard wrote {:?}",
        screen.since(first)
    );

    // A message that changes nothing draws nothing.
    tx.send(Message::Terminal(Event::FocusGained)).unwrap();
    settle().await;
    assert_eq!(screen.len(), first);

    // A key that changes the screen draws one frame.
    tx.send(Message::Terminal(Event::Key(KeyEvent::from(
        KeyCode::Char('?'),
    ))))
    .unwrap();
    settle().await;
    assert!(screen.len() > first, "the help overlay was drawn");
    assert!(screen.since(first).contains("Help"));

    // A running task makes the clock tick (live elapsed time)...
    tx.send(Message::Engine(EngineEvent::TaskChanged(Box::new(task(
        2,
        LocalState::Processing,
    )))))
    .unwrap();
    settle().await;
    let before_ticks = screen.len();
    wait_until("ticks redraw while a task runs", || {
        screen.len() > before_ticks
    })
    .await;

    // ...and once it finishes the ticking stops again.
    tx.send(Message::Engine(EngineEvent::TaskChanged(Box::new(task(
        2,
        LocalState::Completed,
    )))))
    .unwrap();
    // One more tick may be in flight when the task finishes.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let quiet = screen.len();
    tokio::time::sleep(IDLE).await;
    assert_eq!(screen.len(), quiet, "idle again: {:?}", screen.since(quiet));

    live.stop().await;
}

#[tokio::test]
async fn a_burst_of_events_is_drawn_once() {
    let screen = common::capture::Screen::default();
    let mut terminal = terminal(&screen);
    let mut app = App::new(empty_init());
    let (tx, mut rx, mut effects) = queue();
    // Queue many changes before the loop even starts.
    for id in 1..=500 {
        tx.send(Message::Engine(EngineEvent::TaskChanged(Box::new(task(
            id,
            LocalState::Completed,
        )))))
        .unwrap();
    }
    tx.send(Message::Quit).unwrap();
    run_loop(
        &mut terminal,
        &mut app,
        &mut effects,
        &mut rx,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    // One initial frame, then the whole burst handled without a draw before
    // the quit at its end.
    let frames = screen.since(0).matches("\x1b[?2026h").count();
    assert_eq!(frames, 1, "drew {frames} frames for one burst");
    assert_eq!(app.selection.tasks.total(), 500);
}

#[tokio::test(start_paused = true)]
async fn a_toast_ticks_until_it_expires_and_then_the_loop_is_silent() {
    let mut init = empty_init();
    init.tasks = vec![task(1, LocalState::Completed)];
    let live = LiveLoop::start(init);
    let (screen, tx) = (live.screen.clone(), live.tx.clone());
    wait_until("the first frame", || screen.len() > 0).await;
    // `s` sorts and says so in a toast.
    tx.send(Message::Terminal(Event::Key(KeyEvent::from(
        KeyCode::Char('s'),
    ))))
    .unwrap();
    settle().await;
    let shown = screen.len();
    assert!(screen.since(0).contains("sorted by oldest"));
    // The toast goes after TOAST_FOR: one more frame, without it.
    tokio::time::sleep(klang::tui::TOAST_FOR + Duration::from_secs(1)).await;
    let gone = screen.len();
    assert!(gone > shown, "the toast was taken down");
    assert!(!screen.since(shown).contains("sorted by"));
    // And then nothing at all.
    tokio::time::sleep(IDLE).await;
    assert_eq!(screen.len(), gone, "idle again: {:?}", screen.since(gone));
    live.stop().await;
}

#[tokio::test(start_paused = true)]
async fn the_takes_view_open_and_idle_writes_nothing() {
    let takes: Vec<_> = (1..=3)
        .map(|id| {
            let mut t = task(id, LocalState::Completed);
            t.group_id = Some("g1".into());
            t
        })
        .collect();
    let mut init = empty_init();
    init.tasks = takes.clone();
    let live = LiveLoop::start(init);
    let (screen, tx) = (live.screen.clone(), live.tx.clone());
    wait_until("the first frame", || screen.len() > 0).await;
    settle().await;
    let table = screen.len();
    tx.send(Message::Terminal(Event::Key(KeyEvent::from(
        KeyCode::Char('='),
    ))))
    .unwrap();
    // This loop has no store: the group's rows are the store's answer.
    tx.send(Message::GroupLoaded {
        group: "g1".into(),
        result: Ok(takes),
    })
    .unwrap();
    settle().await;
    // Frames are drawn as differences: the title's words arrive apart.
    let drawn = screen.since(table);
    assert!(
        drawn.contains("up g1") && drawn.contains("· 3 tak"),
        "the takes view is drawn: {drawn:?}"
    );
    let open = screen.len();
    tokio::time::sleep(IDLE).await;
    assert_eq!(
        screen.len(),
        open,
        "the idle takes view wrote {:?}",
        screen.since(open)
    );
    live.stop().await;
}

/// With 1,000 tasks in flight the count of queries in flight changes
/// hundreds of times a second; the status line follows at the tick (once a
/// second), not with a frame per change.
#[tokio::test(start_paused = true)]
async fn the_count_in_flight_is_drawn_at_the_tick_not_per_change() {
    let mut init = empty_init();
    init.tasks = vec![task(1, LocalState::Processing)];
    let live = LiveLoop::start(init);
    let (screen, tx) = (live.screen.clone(), live.tx.clone());
    wait_until("the first frame", || screen.len() > 0).await;
    let status = |in_flight| {
        Message::Engine(EngineEvent::Status(EngineStatus::Polling {
            running: 1000,
            in_flight,
        }))
    };
    tx.send(status(0)).unwrap();
    settle().await;
    let start = screen.len();
    // 200 changes over 10 s, 20 a second.
    for n in 0..200 {
        tx.send(status(n % 8 + 1)).unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let frames = screen.since(start).matches("\x1b[?2026h").count();
    assert!(
        (5..=12).contains(&frames),
        "{frames} frames for 200 changes of the count in flight over 10 s"
    );
    live.stop().await;
}

/// The table's rows between its header and its bottom border, as drawn.
fn table_rows(screen: &str) -> Vec<&str> {
    screen
        .lines()
        .skip_while(|l| !l.contains("State"))
        .skip(1)
        .take_while(|l| !l.starts_with('└'))
        .collect()
}

/// The terminal grows from 24 to 50 rows: the resize is the only message,
/// and the table fills its new rows with tasks, not blank lines waiting for
/// a key or a tick.
#[tokio::test(start_paused = true)]
async fn a_taller_terminal_fills_the_table_without_another_message() {
    let mut init = empty_init();
    init.tasks = (1..=100)
        .map(|id| task(id, LocalState::Completed))
        .collect();
    let backend = Resizable::new(80, 24);
    let mut terminal = ratatui::Terminal::new(backend.clone()).expect("a terminal");
    let mut app = App::new(init);
    let (tx, mut rx, mut effects) = queue();
    let cancel = CancellationToken::new();
    let loop_cancel = cancel.clone();
    let handle = tokio::spawn(async move {
        run_loop(&mut terminal, &mut app, &mut effects, &mut rx, loop_cancel).await
    });
    wait_until("the first frame", || backend.text().contains("sound 100")).await;
    // A task changes: the table asks again for the rows the 24-row
    // terminal needs, and no more.
    tx.send(Message::Engine(EngineEvent::TaskChanged(Box::new(task(
        100,
        LocalState::Completed,
    )))))
    .unwrap();
    settle().await;
    let small = table_rows(&backend.text()).len();
    assert!(small > 0 && small < 20, "{}", backend.text());

    backend.resize(80, 50);
    tx.send(Message::Terminal(Event::Resize(80, 50))).unwrap();
    settle().await;
    let screen = backend.text();
    let rows = table_rows(&screen);
    assert!(rows.len() > 30, "the table grew: {screen}");
    let blank: Vec<_> = rows.iter().filter(|r| !r.contains("sound ")).collect();
    assert!(
        blank.is_empty(),
        "rows left blank after the resize:\n{screen}"
    );
    cancel.cancel();
    handle.await.unwrap().unwrap();
}
