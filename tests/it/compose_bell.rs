//! The bell when a task ends, as the real event loop writes it to a
//! captured terminal: BEL, and inside tmux the notification wrapped in
//! tmux's DCS passthrough; one per burst of completions; nothing with
//! `notify = "off"`, and with `auto` only once the terminal lost focus.
//! tokio's paused clock: no real waiting.

use crate::common;

use common::live_loop::{LiveLoop, task};
use crossterm::event::Event;
use klang::engine::EngineEvent;
use klang::notify::{NotifyMode, TermEnv};
use klang::store::LocalState;
use klang::tui::Message;
use klang::tui::harness::empty_init;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

fn tmux_kitty() -> TermEnv {
    TermEnv::from_lookup(|name| match name {
        "TMUX" => Some("/tmp/tmux-1000/default,42,0".into()),
        "TERM_PROGRAM" => Some("tmux".into()),
        "KITTY_WINDOW_ID" => Some("1".into()),
        _ => None,
    })
}

/// A running loop over two processing tasks.
fn start(notify: NotifyMode, env: TermEnv) -> LiveLoop {
    let mut init = empty_init();
    init.tasks = vec![
        task(1, LocalState::Processing),
        task(2, LocalState::Processing),
    ];
    init.settings.notify = notify;
    init.settings.term_env = env;
    LiveLoop::start(init)
}

fn end(tx: &UnboundedSender<Message>, id: i64) {
    let mut done = task(id, LocalState::Completed);
    done.complete_time = done.create_time.map(|t| t + 2_000);
    tx.send(Message::Engine(EngineEvent::TaskChanged(Box::new(done))))
        .unwrap();
}

async fn settle() {
    tokio::time::sleep(Duration::from_millis(100)).await;
}

const WRAPPED_OSC: &[u8] = b"\x1bPtmux;\x1b\x1b]9;#1 completed: sound 1\x07\x1b\\";

#[tokio::test(start_paused = true)]
async fn always_rings_with_bel_and_the_tmux_wrapped_notification_once_per_burst() {
    let live = start(NotifyMode::Always, tmux_kitty());
    let (screen, tx) = (&live.screen, &live.tx);
    settle().await;
    assert_eq!(screen.count(b"\x07"), 0, "nothing ended yet");
    end(tx, 1);
    end(tx, 2);
    settle().await;
    assert_eq!(
        screen.count(WRAPPED_OSC),
        1,
        "{:?}",
        String::from_utf8_lossy(&screen.bytes())
    );
    assert_eq!(screen.count(b"\x1bPtmux;"), 1, "one bell for the burst");
    // BEL itself, outside the passthrough, for tmux to mark the window.
    assert_eq!(screen.count(b"\x07\x1bPtmux;"), 1);
    live.stop().await;
}

#[tokio::test(start_paused = true)]
async fn off_never_rings_and_auto_rings_once_focus_is_lost() {
    let live = start(NotifyMode::Off, tmux_kitty());
    let (screen, tx) = (&live.screen, &live.tx);
    end(tx, 1);
    settle().await;
    assert_eq!(screen.count(b"\x1bPtmux;"), 0);
    assert_eq!(screen.count(b"\x07"), 0);
    live.stop().await;

    // auto: a 2 s task with the terminal focused stays quiet...
    let live = start(NotifyMode::Auto, TermEnv::default());
    let (screen, tx) = (&live.screen, &live.tx);
    end(tx, 1);
    settle().await;
    assert_eq!(screen.count(b"\x07"), 0);
    // ...and rings once the user has looked away.
    tx.send(Message::Terminal(Event::FocusLost)).unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    end(tx, 2);
    settle().await;
    assert_eq!(screen.count(b"\x07"), 1, "BEL only: a plain terminal");
    live.stop().await;
}
