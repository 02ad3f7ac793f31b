//! Decides: the dashboard's state and how each message changes it. Nothing
//! here does I/O or draws: `handle` (in `handle.rs`) takes a [`Message`],
//! routes it to the component it concerns, and returns the [`Command`]s the
//! runtime must carry out, so tests drive the app with no terminal, engine
//! or clipboard at all. `message` holds the one message enum and the
//! commands; `answers` takes the answers to commands and the engine's
//! events; `update` maps keys to actions and `actions` / `composing` say
//! what each does; `rows` feeds the table's window; `settings` is what
//! config.toml and the environment decided; `timing` every tick and delay.

pub mod actions;
mod answers;
mod audio_export;
pub mod bed;
mod composing;
pub mod cues;
mod discard;
pub mod dub;
pub mod form;
mod handle;
pub mod looping;
pub mod message;
pub mod pieces;
pub mod playback;
mod rows;
pub mod segments;
mod selection;
pub mod settings;
pub mod spectrograms;
pub mod takes;
pub mod timing;
pub mod update;
pub mod window;

use crate::api::Model;
use crate::engine::EngineStatus;
use crate::notify::BellGate;
use crate::store::{LocalState, StoredAnalysis, TaskRecord, Totals};
use crate::tui::state::form::InputForm;
pub use crate::tui::state::message::{Command, Commands, Message};
use crate::tui::state::playback::Playback;
use crate::tui::state::window::TaskWindow;
use ratatui::layout::Rect;
use std::collections::{HashMap, HashSet, VecDeque};
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
    /// Spend and stats (`app.overlays.stats` holds the figures).
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

pub use settings::{DEFAULT_MATCH_LEVEL, Settings, ShownTime};
pub use timing::TOAST_FOR;

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
    /// Everything config.toml, the flags and the environment decide, read
    /// once ([`Settings`]).
    pub settings: Settings,
    /// Shown as toasts at start.
    pub warnings: Vec<String>,
    /// Today's spend and the daily cap at start, when a cap is set.
    pub budget_today: Option<crate::budget::Today>,
    /// Measured figures read from the store at start.
    pub analyses: HashMap<i64, Arc<StoredAnalysis>>,
    /// The latest dubbed video of each task muxed, read at start.
    pub muxes: HashMap<i64, dub::MuxState>,
    /// Every piece, newest first, read at start.
    pub pieces: Vec<crate::store::PieceRow>,
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

/// The dashboard's state: a router over the component states. Each
/// message goes to the component it concerns (`handle`); drawing reads it.
pub struct App {
    /// The task list, the takes view and what was measured of each task.
    pub selection: Selection,
    pub focus: Focus,
    /// What opens over the screen, and what it shows.
    pub overlays: Overlays,
    pub form: InputForm,
    /// The filter typed after `/`.
    pub filter_input: Input,
    /// Downloads running, as the engine reports them: id → (bytes, total).
    /// The engine's events are the only source; nothing is added on a key.
    pub downloads: HashMap<i64, (u64, Option<u64>)>,
    pub toasts: VecDeque<Toast>,
    pub playback: Playback,
    /// Read once at start; the dashboard never changes them.
    pub settings: Settings,
    pub ui: UiState,
    pub(crate) status: EngineStatus,
    pub(crate) status_since: Instant,
    /// This run's tasks and what each costs so far (charged or not).
    pub(crate) session: HashMap<i64, (LocalState, f64)>,
    pub(crate) history_cost: f64,
    /// Today's spend and the daily cap, as the engine last announced them.
    pub(crate) budget_today: Option<crate::budget::Today>,
    /// The model of a submit whose answer has not come back yet; Enter
    /// does nothing meanwhile.
    pub(crate) submitting: Option<Model>,
    pub(crate) spinner: usize,
    pub(crate) spun_at: Instant,
    /// The terminal has focus (crossterm's focus events; assumed at start).
    pub(crate) term_focused: bool,
    pub(crate) bell_gate: BellGate,
    /// (task, path) pairs whose measurement was asked for.
    pub(crate) analysis_requested: HashSet<(i64, String)>,
    pub(crate) play_token: u64,
    /// When the current player started (the playhead's zero), and the
    /// gain its take plays at.
    pub(crate) playing_since: Option<Instant>,
    pub(crate) playing_gain: Option<crate::audio::matched::MatchedGain>,
    /// The mux key's work per task, and the latest muxed file of each
    /// (loaded at start, then from `Muxed`).
    pub(crate) muxes: HashMap<i64, dub::MuxState>,
    /// The loop key's work per task, and the latest loop of each.
    pub(crate) loops: HashMap<i64, looping::LoopState>,
    /// The bed key's work per group, and the latest bed of each.
    pub(crate) beds: HashMap<String, bed::BedState>,
    /// `v`: spectrograms instead of waveforms.
    pub(crate) spectrogram: bool,
    /// Spectrograms per task, computed at one size and fitted to each pane.
    pub(crate) spectrograms: spectrograms::Spectrograms,
}

/// The task list (the rows around the cursor and the totals), the takes
/// view when open, and the figures measured per task. A record the engine
/// reports goes to both lists through [`Selection::upsert`].
#[derive(Default)]
pub struct Selection {
    /// The rows around the cursor and the totals; the selection is its
    /// cursor, which follows the selected task through inserts and re-sorts.
    pub tasks: TaskWindow,
    /// The takes view (`=`), when open.
    pub takes: Option<takes::TakesView>,
    /// The segments view (`=` on a piece), when open.
    pub segments: Option<segments::SegmentsView>,
    /// Measured figures per task (loaded at start, then from events).
    pub analyses: HashMap<i64, Arc<StoredAnalysis>>,
    /// Select this task as soon as its row shows up (after a submit).
    pub(crate) select_when_seen: Option<i64>,
    /// Every piece (work made of many tasks), newest first, as last read.
    pub pieces: pieces::Pieces,
}

impl Selection {
    /// A task as it now is, into the table and the takes view; true when
    /// the table did not know it.
    pub fn upsert(&mut self, record: TaskRecord) -> bool {
        if let Some(view) = &mut self.takes {
            view.upsert(&record);
        }
        if let Some(view) = &mut self.segments {
            view.upsert(&record);
        }
        self.tasks.upsert(record)
    }
}

/// What opens over the screen.
pub struct Overlays {
    pub shown: Overlay,
    /// The figures the stats overlay shows, from the last `LoadStats`.
    pub stats: Option<Box<crate::stats::Stats>>,
    /// A take waiting for the one-key confirmation of its discard: the
    /// next key is the answer.
    pub confirm_discard: Option<i64>,
}

impl Default for Overlays {
    fn default() -> Self {
        Overlays {
            shown: Overlay::None,
            stats: None,
            confirm_discard: None,
        }
    }
}

impl App {
    pub fn new(init: AppInit) -> App {
        let mut app = App {
            selection: Selection {
                tasks: match init.store_totals {
                    Some(totals) => TaskWindow::new(totals),
                    None => TaskWindow::in_memory(init.tasks),
                },
                takes: None,
                segments: None,
                analyses: init.analyses,
                select_when_seen: None,
                pieces: pieces::Pieces::new(init.pieces),
            },
            focus: Focus::Table,
            overlays: Overlays::default(),
            form: InputForm::default(),
            filter_input: Input::default(),
            downloads: HashMap::new(),
            toasts: VecDeque::new(),
            playback: Playback::Stopped,
            settings: init.settings,
            ui: UiState::default(),
            status: EngineStatus::Idle,
            status_since: Instant::now(),
            session: HashMap::new(),
            history_cost: init.history_cost,
            budget_today: init.budget_today,
            submitting: None,
            spinner: 0,
            spun_at: Instant::now(),
            term_focused: true,
            bell_gate: BellGate::default(),
            analysis_requested: HashSet::new(),
            play_token: 0,
            playing_since: None,
            playing_gain: None,
            muxes: init.muxes,
            loops: HashMap::new(),
            beds: HashMap::new(),
            spectrogram: false,
            spectrograms: Default::default(),
        };
        for w in init.warnings {
            app.toast_error(w);
        }
        app
    }

    /// What the engine last said it is doing.
    pub fn engine_status(&self) -> &EngineStatus {
        &self.status
    }

    /// Can tasks be submitted? Not without a key (the sandbox has its own).
    pub fn has_key(&self) -> bool {
        self.settings.sandbox || self.settings.key_hint.is_some()
    }

    /// A submit was sent and its answer has not come back.
    pub fn submitting(&self) -> bool {
        self.submitting.is_some()
    }

    /// Tasks the engine works on, downloads, or a retry countdown: the
    /// screen shows live numbers for these.
    pub fn anything_running(&self) -> bool {
        self.selection.tasks.count(LocalState::Pending) > 0
            || self.selection.tasks.count(LocalState::Processing) > 0
            || self.selection.tasks.count(LocalState::Submitting) > 0
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
            crate::tui::state::timing::PLAYHEAD_TICK
        } else {
            crate::tui::state::timing::TICK
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
