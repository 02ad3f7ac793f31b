//! Decides: the dashboard's state and how each message changes it. Nothing
//! here does I/O: `handle` takes a [`Message`], changes state and returns the
//! [`Command`]s the loop must carry out (`effects`), so tests drive the app
//! with no terminal, engine or clipboard at all. `message` holds the one
//! message enum and the commands; `events` handles the answers to commands
//! and the engine's events; `update` maps keys to actions and `actions` /
//! `compose` say what each does; `window` feeds the table's rows;
//! `event_loop` is the one `select!` loop.

pub mod actions;
mod compose;
pub mod effects;
pub mod event_loop;
mod events;
pub mod message;
pub mod mux;
mod render;
mod selection;
pub mod update;
mod window;

use crate::api::Model;
use crate::engine::EngineStatus;
use crate::notify::{BellGate, NotifyMode, TermEnv};
use crate::store::{LocalState, StoredAnalysis, TaskRecord, Totals};
pub use crate::tui::app::message::{Command, Commands, Message};
use crate::tui::details::playback::Playback;
use crate::tui::form::InputForm;
use crate::tui::form::video_check::CheckRequest;
use crate::tui::keys::keymap::KeyMap;
use crate::tui::table::window::TaskWindow;
use crate::tui::theme::Theme;
use ratatui::layout::Rect;
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::time::Duration;
// tokio's clock, so tests with a paused clock see toasts expire.
use std::sync::Arc;
use tokio::time::Instant;
use tui_input::Input;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Table,
    Input,
    Detail,
    /// Typing a filter after `/`.
    Filter,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help,
    /// Spend and stats (`app.stats` holds the figures).
    Stats,
    /// `quit` while downloads run.
    ConfirmQuit,
}

#[derive(Clone, Debug)]
pub struct Toast {
    pub text: String,
    pub error: bool,
    pub shown_at: Instant,
}

/// What time the screen shows. `Fixed` makes a frame the same on every run
/// (snapshot tests, benchmarks); the dashboard uses `System`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Clock {
    #[default]
    System,
    /// Milliseconds since the epoch.
    Fixed(i64),
}

impl Clock {
    pub fn now_ms(self) -> i64 {
        match self {
            Clock::System => crate::store::now_ms(),
            Clock::Fixed(ms) => ms,
        }
    }
}

/// The level takes play at when config.toml names none: EBU R128's.
pub const DEFAULT_MATCH_LEVEL: f64 = -23.0;

/// How long a toast stays.
pub const TOAST_FOR: Duration = Duration::from_secs(5);

/// What the dashboard starts with.
pub struct AppInit {
    /// The history held in memory (tests, benchmarks), when `store_totals`
    /// is None.
    pub tasks: Vec<TaskRecord>,
    /// The store's totals: the table then asks the store for its rows
    /// ([`Command::QueryWindow`]) and holds only those around the cursor.
    pub store_totals: Option<Totals>,
    /// `store.total_cost()` at start.
    pub history_cost: f64,
    pub sandbox: bool,
    /// Masked API key, if one is set.
    pub key_hint: Option<String>,
    /// Where the user would put `api_key` (shown when there is none).
    pub config_file: PathBuf,
    pub theme: Theme,
    pub mouse: bool,
    /// Shown as toasts at start.
    pub warnings: Vec<String>,
    pub keys: KeyMap,
    /// `notify` in config.toml: when a task's end rings the bell.
    pub notify: NotifyMode,
    /// Which terminal this is, for the notification escape.
    pub term_env: TermEnv,
    /// Today's spend and the daily cap at start, when a cap is set.
    pub budget_today: Option<crate::budget::Today>,
}

/// Where things were drawn last, for mouse clicks and paging.
#[derive(Clone, Copy, Debug, Default)]
pub struct UiState {
    /// The table's rows (below its header).
    pub table_rows: Rect,
    pub table_offset: usize,
    pub detail_scroll: u16,
    pub help_scroll: u16,
}

/// What drawing learned about where things went, handed back as data
/// ([`Message::Laid`]): the table's rows on screen (mouse clicks, paging),
/// the first row shown, the rows per page (how many the window asks for)
/// and the help's scroll clamped to its length.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScreenLayout {
    pub table_rows: Rect,
    pub table_offset: usize,
    pub table_page: usize,
    pub help_scroll: u16,
}

pub struct App {
    /// The rows around the cursor and the totals; the selection is its
    /// cursor, which follows the selected task through inserts and re-sorts.
    pub tasks: TaskWindow,
    pub focus: Focus,
    pub overlay: Overlay,
    pub form: InputForm,
    pub filter_input: Input,
    pub status: EngineStatus,
    pub(crate) status_since: Instant,
    /// Downloads running, as the engine reports them: id → (bytes, total).
    /// The engine's events are the only source; nothing is added on a key.
    pub downloads: HashMap<i64, (u64, Option<u64>)>,
    pub toasts: VecDeque<Toast>,
    /// This run's tasks and what each costs so far (charged or not).
    pub(crate) session: HashMap<i64, (LocalState, f64)>,
    history_cost: f64,
    pub sandbox: bool,
    pub key_hint: Option<String>,
    pub config_file: PathBuf,
    pub theme: Theme,
    pub mouse: bool,
    pub keys: KeyMap,
    /// Today's spend and the daily cap, as the engine last announced them.
    pub(crate) budget_today: Option<crate::budget::Today>,
    /// The model of a submit whose answer has not come back yet; Enter
    /// does nothing meanwhile.
    pub(crate) submitting: Option<Model>,
    /// Select this task as soon as its row shows up (after a submit).
    pub(crate) select_when_seen: Option<i64>,
    pub ui: UiState,
    /// The figures the stats overlay shows, from the last `LoadStats`.
    pub stats: Option<Box<crate::stats::Stats>>,
    pub spinner: usize,
    pub(crate) spun_at: Instant,
    pub notify: NotifyMode,
    pub(crate) term_env: TermEnv,
    /// The terminal has focus (crossterm's focus events; assumed at start).
    pub term_focused: bool,
    pub(crate) bell_gate: BellGate,
    pub clock: Clock,
    /// Measured figures per task (loaded at start, then from events).
    pub analyses: HashMap<i64, Arc<StoredAnalysis>>,
    /// (task, path) pairs whose measurement was asked for.
    pub(crate) analysis_requested: HashSet<(i64, String)>,
    pub playback: Playback,
    pub(crate) play_token: u64,
    /// When the current player started (the playhead's zero), and the
    /// gain its take plays at.
    pub(crate) playing_since: Option<Instant>,
    pub(crate) playing_gain: Option<crate::audio::matched::MatchedGain>,
    /// `match_loudness` in config.toml (default on): every take plays at
    /// its group's common level, not only in the takes view.
    pub match_loudness: bool,
    /// `match_level` in config.toml: the level takes play at (LUFS).
    pub match_level: f64,
    /// `[render]` in config.toml: what the render key writes, and where
    /// (`None`: beside the download).
    pub render_settings: crate::audio::render::Settings,
    pub render_out: Option<std::path::PathBuf>,
    /// The mux key's work per task, and the latest muxed file of each
    /// (loaded at start, then from `Muxed`).
    pub muxes: HashMap<i64, crate::tui::app::mux::MuxState>,
    /// The takes view (`=`), when open.
    pub takes: Option<crate::tui::takes::TakesView>,
    /// A take waiting for the one-key confirmation of its discard: the
    /// next key is the answer.
    pub confirm_discard: Option<i64>,
    /// `v`: spectrograms instead of waveforms.
    pub spectrogram: bool,
    /// Draw the waveform with block characters (basic16, NO_COLOR), and
    /// the spectrogram with a density ramp of characters.
    pub waveform_blocks: bool,
    /// Spectrograms per task, computed at one size and fitted to each pane.
    pub(crate) spectrograms: crate::tui::details::spectrogram::Spectrograms,
    /// The terminal takes 24-bit colour (`COLORTERM`); else 256 colours.
    pub truecolor: bool,
    /// Result URLs become OSC 8 hyperlinks in the details pane.
    pub hyperlinks: bool,
}

impl App {
    pub fn new(init: AppInit) -> App {
        let mut app = App {
            tasks: match init.store_totals {
                Some(totals) => TaskWindow::new(totals),
                None => TaskWindow::in_memory(init.tasks),
            },
            focus: Focus::Table,
            overlay: Overlay::None,
            form: InputForm::default(),
            filter_input: Input::default(),
            status: EngineStatus::Idle,
            status_since: Instant::now(),
            downloads: HashMap::new(),
            toasts: VecDeque::new(),
            session: HashMap::new(),
            history_cost: init.history_cost,
            budget_today: init.budget_today,
            sandbox: init.sandbox,
            key_hint: init.key_hint,
            config_file: init.config_file,
            theme: init.theme,
            mouse: init.mouse,
            keys: init.keys,
            submitting: None,
            select_when_seen: None,
            ui: UiState::default(),
            spinner: 0,
            spun_at: Instant::now(),
            stats: None,
            notify: init.notify,
            term_env: init.term_env,
            term_focused: true,
            bell_gate: BellGate::default(),
            clock: Clock::System,
            analyses: HashMap::new(),
            analysis_requested: HashSet::new(),
            playback: Playback::Stopped,
            play_token: 0,
            playing_since: None,
            playing_gain: None,
            match_loudness: true,
            match_level: DEFAULT_MATCH_LEVEL,
            render_settings: Default::default(),
            render_out: None,
            muxes: HashMap::new(),
            takes: None,
            confirm_discard: None,
            spectrogram: false,
            waveform_blocks: false,
            spectrograms: Default::default(),
            truecolor: false,
            hyperlinks: false,
        };
        for w in init.warnings {
            app.toast_error(w);
        }
        app
    }

    /// Can tasks be submitted? Not without a key (the sandbox has its own).
    pub fn has_key(&self) -> bool {
        self.sandbox || self.key_hint.is_some()
    }

    /// A submit was sent and its answer has not come back.
    pub fn submitting(&self) -> bool {
        self.submitting.is_some()
    }

    /// Changes state for `msg` and returns what the loop must do.
    pub fn handle(&mut self, msg: Message) -> Commands {
        let mut commands = match msg {
            Message::Terminal(event) => self.on_terminal(event),
            Message::Engine(event) => self.on_engine(event),
            Message::Tick => self.on_tick(),
            Message::Quit => vec![Command::Quit],
            Message::Submitted(result) => self.on_submitted(result),
            Message::Starred(result) => self.on_starred(result),
            Message::HistoryLoaded(entries) => {
                for (model, field, values) in entries {
                    self.form.set_history(model, field, values);
                }
                Vec::new()
            }
            Message::Resubmitted { from, result } => self.on_resubmitted(from, result),
            Message::Copied { url, result } => self.on_copied(url, result),
            Message::Window(delivery) => self.on_window(delivery),
            Message::StatsLoaded(result) => self.on_stats_loaded(result),
            Message::PlayerEnded { token, error } => self.on_player_ended(token, error),
            Message::PlayerStarted { token } => self.on_player_started(token),
            Message::GroupLoaded { group, result } => self.on_group_loaded(group, result),
            Message::Discarded(result) => self.on_discarded(result),
            Message::Rendered { id, result } => self.on_rendered(id, result),
            Message::Muxed { id, result } => self.on_muxed(id, result),
            Message::Laid(layout) => self.on_laid(layout),
            Message::VideoChecked { token, result } => {
                if self.form.video_checked(token, result) {
                    vec![Command::Redraw]
                } else {
                    Vec::new()
                }
            }
        };
        match self.form.sync_video_check() {
            Some(CheckRequest::Start { token, url }) => {
                commands.push(Command::CheckVideo { token, url });
                commands.push(Command::Redraw);
            }
            Some(CheckRequest::Cancel) => commands.push(Command::CancelVideoCheck),
            None => {}
        }
        if let Some(ask) = self.request_missing_analysis() {
            commands.insert(0, ask);
        }
        if let Some(ask) = self.request_missing_spectrogram() {
            commands.push(ask);
        }
        commands.extend(self.request_take_spectrograms());
        self.query_window(&mut commands);
        commands
    }

    /// The layout as the app holds it; a frame whose layout differs sends
    /// [`Message::Laid`].
    pub fn layout(&self) -> ScreenLayout {
        ScreenLayout {
            table_rows: self.ui.table_rows,
            table_offset: self.ui.table_offset,
            table_page: self.tasks.page(),
            help_scroll: self.ui.help_scroll,
        }
    }

    /// Takes what the last frame's layout learned. A taller table wants
    /// more rows: the window query that follows every message asks for them.
    fn on_laid(&mut self, layout: ScreenLayout) -> Commands {
        self.ui.table_rows = layout.table_rows;
        self.ui.table_offset = layout.table_offset;
        self.ui.help_scroll = layout.help_scroll;
        if layout.table_page != self.tasks.page() {
            self.tasks.set_page(layout.table_page);
        }
        Vec::new()
    }

    /// Tasks the engine works on, downloads, or a retry countdown: the
    /// screen shows live numbers for these.
    pub fn anything_running(&self) -> bool {
        self.tasks.count(LocalState::Pending) > 0
            || self.tasks.count(LocalState::Processing) > 0
            || self.tasks.count(LocalState::Submitting) > 0
            || !self.downloads.is_empty()
            || matches!(self.status, EngineStatus::Retrying { .. })
    }

    /// Whether the loop should tick at all. False when idle, so an idle
    /// dashboard writes nothing to the terminal.
    pub fn needs_tick(&self) -> bool {
        self.anything_running() || !self.toasts.is_empty() || self.playing_since.is_some()
    }

    /// How often the loop ticks while it does: the playhead moves at 10
    /// frames a second, the rest changes once a second at most.
    pub fn tick_period(&self) -> std::time::Duration {
        if self.playing_since.is_some() {
            crate::tui::details::playhead::PLAYHEAD_TICK
        } else {
            crate::tui::app::event_loop::TICK
        }
    }

    pub fn toast(&mut self, text: impl Into<String>) {
        self.push_toast(text.into(), false);
    }

    pub fn toast_error(&mut self, text: impl Into<String>) {
        self.push_toast(text.into(), true);
    }

    fn push_toast(&mut self, text: String, error: bool) {
        tracing::info!(error, "toast: {text}");
        self.toasts.push_back(Toast {
            text,
            error,
            shown_at: Instant::now(),
        });
        // Only the latest few fit on screen.
        while self.toasts.len() > 3 {
            self.toasts.pop_front();
        }
    }
}
