//! Drives the dashboard without a terminal, for tests: keys go in through
//! the same `App::handle` the real loop uses, engine events come from a real
//! engine over the same kind of queue, and the screen is a `TestBackend`.
//! The clipboard records the exact bytes `copy` would write. Commands go
//! through the same [`Effects`] the real loop uses.
//!
//! Built only for tests (`cfg(test)` or the `test-support` feature, which
//! the integration tests enable through a dev-dependency on this crate).

use super::runtime::clipboard::CaptureClipboard;
use crate::api::{ApiClient, ApiKey, ClientOptions};
use crate::engine::{Engine, EngineConfig, EventSink, PollPolicy};
use crate::sandbox::{self, SandboxConfig, SandboxHandle};
use crate::store::{ListFilter, Store};
use crate::tui::runtime::effects::Effects;
use crate::tui::state::{App, AppInit, Command, Message, Settings};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

/// How long `wait_for` waits before failing the test with the screen.
pub const WAIT_LIMIT: Duration = Duration::from_secs(30);

pub struct Runner {
    pub app: App,
    pub terminal: Terminal<TestBackend>,
    pub rx: UnboundedReceiver<Message>,
    pub tx: UnboundedSender<Message>,
    pub clipboard: CaptureClipboard,
    /// Carries out what the app asks, as the loop does.
    pub effects: Effects,
    /// Every command the app returned, in order (for asserting on them).
    pub commands: Vec<Command>,
    /// Set once a message asked to quit.
    pub quit: bool,
    /// Keeps the sandbox running for the runner's life.
    pub sandbox: Option<SandboxHandle>,
}

/// An `AppInit` with nothing in it: no tasks, sandbox off, default keys.
pub fn empty_init() -> AppInit {
    AppInit {
        tasks: Vec::new(),
        store_totals: None,
        history_cost: 0.0,
        settings: Settings {
            key_hint: Some("sk-…abcd".into()),
            ..Settings::new("/home/user/.config/klang/config.toml".into())
        },
        warnings: Vec::new(),
        budget_today: None,
        analyses: Default::default(),
        muxes: Default::default(),
        pieces: Vec::new(),
    }
}

impl Runner {
    /// A runner over `init` with no engine and a capturing clipboard.
    pub fn new(init: AppInit, width: u16, height: u16) -> Runner {
        let (tx, rx) = mpsc::unbounded_channel();
        Runner::with_channel(init, width, height, tx, rx, None)
    }

    fn with_channel(
        init: AppInit,
        width: u16,
        height: u16,
        tx: UnboundedSender<Message>,
        rx: UnboundedReceiver<Message>,
        engine: Option<Engine>,
    ) -> Runner {
        let clipboard = CaptureClipboard::default();
        let effects = Effects::new(engine, Box::new(clipboard.clone()), tx.clone());
        let terminal = match Terminal::new(TestBackend::new(width, height)) {
            Ok(t) => t,
            Err(never) => match never {},
        };
        Runner {
            app: App::new(init),
            terminal,
            rx,
            tx,
            clipboard,
            effects,
            commands: Vec::new(),
            quit: false,
            sandbox: None,
        }
    }

    /// A runner on a real engine talking HTTP to a fresh sandbox with fast
    /// tasks (100 ms pending, 200 ms processing), the store and downloads
    /// under `dir`. Needs a tokio runtime.
    pub async fn sandbox(dir: &Path, width: u16, height: u16) -> Runner {
        Runner::sandbox_with(dir, width, height, false).await
    }

    /// Like [`Runner::sandbox`], with `auto_download` as the dashboard's
    /// config would set it.
    pub async fn sandbox_with(dir: &Path, width: u16, height: u16, auto_download: bool) -> Runner {
        let handle = sandbox::start(SandboxConfig {
            pending_ms: 100,
            processing_ms: 200,
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("sandbox did not start: {e}"));
        let mut runner = Runner::on_server_with(
            dir,
            &handle.base_url(),
            sandbox::SANDBOX_KEY,
            (width, height),
            auto_download,
        );
        runner.app.settings.sandbox = true;
        runner.sandbox = Some(handle);
        runner
    }

    /// A runner on a real engine talking HTTP to any server that follows
    /// the contract at `base_url`, with a fast poll policy.
    pub fn on_server(dir: &Path, base_url: &str, key: &str, width: u16, height: u16) -> Runner {
        Runner::on_server_with(dir, base_url, key, (width, height), false)
    }

    fn on_server_with(
        dir: &Path,
        base_url: &str,
        key: &str,
        (width, height): (u16, u16),
        auto_download: bool,
    ) -> Runner {
        let store =
            Arc::new(Store::open(&dir.join("tasks.db")).unwrap_or_else(|e| panic!("store: {e}")));
        let client = ApiClient::new(base_url, ApiKey::new(key), &ClientOptions::default())
            .unwrap_or_else(|e| panic!("client: {e}"));
        let mut config = EngineConfig::new(dir.join("downloads"));
        config.poll = PollPolicy {
            first: Duration::from_millis(50),
            max_interval: Duration::from_millis(150),
            backoff_first: Duration::from_millis(100),
            backoff_max: Duration::from_millis(500),
            // Time runs ~60x faster here: so does the budget.
            max_per_second: 1000,
            ..PollPolicy::default()
        };
        config.store_watch_interval = Duration::from_millis(200);
        config.auto_download = auto_download;
        // As the dashboard runs it.
        config.measure_downloads = true;
        let (tx, rx) = mpsc::unbounded_channel();
        let sink_tx = tx.clone();
        let sink: EventSink = Arc::new(move |ev| {
            let _ = sink_tx.send(Message::Engine(ev));
        });
        let tasks = store
            .list(&ListFilter::default())
            .unwrap_or_else(|e| panic!("list: {e}"));
        let history_cost = store.total_cost().unwrap_or(0.0);
        let engine = Engine::start(client, store.clone(), config, sink);
        let mut init = empty_init();
        init.tasks = tasks;
        // As the dashboard starts: the pieces already in the store.
        init.pieces = store.pieces().unwrap_or_default();
        init.history_cost = history_cost;
        init.settings.key_hint = Some(ApiKey::new(key).map(|k| k.masked()).unwrap_or_default());
        let mut runner = Runner::with_channel(init, width, height, tx, rx, Some(engine));
        runner.effects.set_piece_dir(dir.join("downloads"));
        runner
    }

    pub fn engine(&self) -> Option<&Engine> {
        self.effects.engine()
    }

    /// Handles `msg` and carries out the commands, as the loop would, then
    /// whatever is already queued (a copy's answer comes at once; a
    /// submit's, from its blocking thread, soon: `wait_for` sees it).
    pub fn handle(&mut self, msg: Message) {
        self.handle_one(msg);
        self.settle();
    }

    fn handle_one(&mut self, msg: Message) {
        for command in self.app.handle(msg) {
            match &command {
                Command::Quit => self.quit = true,
                Command::Redraw => {}
                other => self.effects.run(other.clone()),
            }
            self.commands.push(command);
        }
    }

    /// Handles every message already queued (answers to commands, engine
    /// events), without waiting.
    pub fn settle(&mut self) {
        while let Ok(msg) = self.rx.try_recv() {
            self.handle_one(msg);
        }
    }

    pub fn key(&mut self, code: KeyCode) {
        self.key_with(code, KeyModifiers::NONE);
    }

    pub fn key_with(&mut self, code: KeyCode, modifiers: KeyModifiers) {
        self.handle(Message::Terminal(Event::Key(KeyEvent::new(
            code, modifiers,
        ))));
    }

    pub fn ctrl(&mut self, c: char) {
        self.key_with(KeyCode::Char(c), KeyModifiers::CONTROL);
    }

    /// Types `text` one key at a time.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            let modifiers = if c.is_uppercase() {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            };
            self.key_with(KeyCode::Char(c), modifiers);
        }
    }

    pub fn paste(&mut self, text: &str) {
        self.handle(Message::Terminal(Event::Paste(text.to_string())));
    }

    /// Draws and returns the screen as text, one line per row. What the
    /// layout learned goes back to the app as the loop sends it.
    pub fn screen(&mut self) -> String {
        let app = &self.app;
        let mut layout = app.layout();
        let _ = self
            .terminal
            .draw(|f| layout = super::ui::draw_laid(f, app));
        let text = buffer_text(self.terminal.backend().buffer());
        if layout != self.app.layout() {
            self.handle(Message::Laid(layout));
        }
        text
    }

    /// Applies queued engine events (and ticks while none come) until
    /// `done(app)`; fails the test with the screen after [`WAIT_LIMIT`].
    pub async fn wait_for(&mut self, what: &str, mut done: impl FnMut(&App) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT_LIMIT;
        loop {
            if done(&self.app) {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                let screen = self.screen();
                panic!("timed out waiting for {what}; screen:\n{screen}");
            }
            match tokio::time::timeout(Duration::from_millis(200), self.rx.recv()).await {
                Ok(Some(msg)) => self.handle(msg),
                Ok(None) => panic!("the message queue closed while waiting for {what}"),
                Err(_) => self.handle(Message::Tick),
            }
        }
    }

    /// Waits until the drawn screen contains `needle`.
    pub async fn wait_for_text(&mut self, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT_LIMIT;
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!("timed out waiting for {needle:?} on screen:\n{screen}");
            }
            match tokio::time::timeout(Duration::from_millis(200), self.rx.recv()).await {
                Ok(Some(msg)) => self.handle(msg),
                Ok(None) => panic!("the message queue closed while waiting for {needle:?}"),
                Err(_) => self.handle(Message::Tick),
            }
        }
    }
}

/// The buffer's text, rows joined by newlines (trailing spaces kept, so
/// column positions can be checked).
pub fn buffer_text(buffer: &ratatui::buffer::Buffer) -> String {
    let width = buffer.area.width as usize;
    let mut out = String::new();
    for (i, cell) in buffer.content().iter().enumerate() {
        if i > 0 && i % width == 0 {
            out.push('\n');
        }
        out.push_str(cell.symbol());
    }
    out
}
