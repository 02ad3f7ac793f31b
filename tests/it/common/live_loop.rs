//! The real event loop over a captured 80x24 "terminal", running in a task
//! of its own: tests send it messages and read what it wrote.

use super::capture::Screen;
use klang::api::{CreateRequest, SoundEffectsParams};
use klang::store::{LocalState, TaskRecord, now_ms};
use klang::tui::runtime::clipboard::CaptureClipboard;
use klang::tui::runtime::event_loop::run_loop;
use klang::tui::{App, AppInit, Effects, Message};
use ratatui::backend::{Backend, ClearType, CrosstermBackend, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Rect, Size};
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

/// A terminal the test can resize while a loop draws on it: what is drawn
/// lands in a `TestBackend` (read with [`Resizable::text`]), the escapes the
/// loop writes itself (synchronized updates, the bell) are dropped. Its size
/// is the backend's, as a real terminal's is the kernel's.
#[derive(Clone)]
pub struct Resizable(pub std::sync::Arc<std::sync::Mutex<TestBackend>>);

impl Resizable {
    pub fn new(width: u16, height: u16) -> Resizable {
        Resizable(std::sync::Arc::new(std::sync::Mutex::new(
            TestBackend::new(width, height),
        )))
    }

    /// The terminal changes size, as when its window is dragged.
    pub fn resize(&self, width: u16, height: u16) {
        self.0.lock().unwrap().resize(width, height);
    }

    /// The screen as drawn, one line per row.
    pub fn text(&self) -> String {
        klang::tui::harness::buffer_text(self.0.lock().unwrap().buffer())
    }
}

impl std::io::Write for Resizable {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn never(e: std::convert::Infallible) -> std::io::Error {
    match e {}
}

impl Backend for Resizable {
    type Error = std::io::Error;

    fn draw<'a, I>(&mut self, content: I) -> std::io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.0.lock().unwrap().draw(content).map_err(never)
    }
    fn hide_cursor(&mut self) -> std::io::Result<()> {
        self.0.lock().unwrap().hide_cursor().map_err(never)
    }
    fn show_cursor(&mut self) -> std::io::Result<()> {
        self.0.lock().unwrap().show_cursor().map_err(never)
    }
    fn get_cursor_position(&mut self) -> std::io::Result<Position> {
        self.0.lock().unwrap().get_cursor_position().map_err(never)
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> std::io::Result<()> {
        self.0
            .lock()
            .unwrap()
            .set_cursor_position(position)
            .map_err(never)
    }
    fn clear(&mut self) -> std::io::Result<()> {
        Backend::clear(&mut *self.0.lock().unwrap()).map_err(never)
    }
    fn clear_region(&mut self, clear_type: ClearType) -> std::io::Result<()> {
        self.0
            .lock()
            .unwrap()
            .clear_region(clear_type)
            .map_err(never)
    }
    fn size(&self) -> std::io::Result<Size> {
        self.0.lock().unwrap().size().map_err(never)
    }
    fn window_size(&mut self) -> std::io::Result<WindowSize> {
        self.0.lock().unwrap().window_size().map_err(never)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Backend::flush(&mut *self.0.lock().unwrap()).map_err(never)
    }
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
