//! The real event loop over a captured 80x24 "terminal", running in a task
//! of its own: tests send it messages and read what it wrote.

use super::capture::Screen;
use klang::api::{CreateRequest, SoundEffectsParams};
use klang::store::{LocalState, TaskRecord, now_ms};
use klang::tui::app::event_loop::run_loop;
use klang::tui::clipboard::CaptureClipboard;
use klang::tui::{App, AppInit, Effects, Message};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// An 80x24 terminal whose every byte lands in `screen`.
pub fn terminal(screen: &Screen) -> Terminal<CrosstermBackend<Screen>> {
    Terminal::with_options(
        CrosstermBackend::new(screen.clone()),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 80, 24)),
        },
    )
    .expect("a terminal")
}

/// The queue a loop reads, and effects whose answers go back into it (the
/// clipboard only records).
pub fn queue() -> (
    UnboundedSender<Message>,
    UnboundedReceiver<Message>,
    Effects,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let effects = Effects::new(None, Box::new(CaptureClipboard::default()), tx.clone());
    (tx, rx, effects)
}

/// A loop running over the app made from `init`.
pub struct LiveLoop {
    pub screen: Screen,
    pub tx: UnboundedSender<Message>,
    cancel: CancellationToken,
    handle: JoinHandle<std::io::Result<()>>,
}

impl LiveLoop {
    pub fn start(init: AppInit) -> LiveLoop {
        let screen = Screen::default();
        let mut terminal = terminal(&screen);
        let mut app = App::new(init);
        let (tx, mut rx, mut effects) = queue();
        let cancel = CancellationToken::new();
        let loop_cancel = cancel.clone();
        let handle = tokio::spawn(async move {
            run_loop(&mut terminal, &mut app, &mut effects, &mut rx, loop_cancel).await
        });
        LiveLoop {
            screen,
            tx,
            cancel,
            handle,
        }
    }

    pub fn send(&self, message: Message) {
        self.tx.send(message).expect("the loop is running");
    }

    /// Cancels the loop and checks that it ended without an error.
    pub async fn stop(self) {
        self.cancel.cancel();
        self.handle
            .await
            .expect("the loop task")
            .expect("the loop ends cleanly");
    }
}

/// A sound-effects task ("sound ID") as the engine reports it, created now.
pub fn task(id: i64, state: LocalState) -> TaskRecord {
    let params = CreateRequest::SoundEffects(SoundEffectsParams {
        prompt: format!("sound {id}"),
        duration: "5.0".into(),
        callback_url: None,
    });
    TaskRecord {
        id,
        task_id: Some(format!("t{id}")),
        state,
        submitted_at: now_ms(),
        create_time: Some(now_ms()),
        cost_usd: 0.0295,
        updated_at: now_ms(),
        ..TaskRecord::new(params)
    }
}
