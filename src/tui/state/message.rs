//! The one message queue's vocabulary: every [`Message`] the dashboard can
//! receive and every [`Command`] handling one may ask the loop to carry out.

use crate::api::{CreateRequest, Model};
use crate::engine::{EngineEvent, SubmitError};
use crate::store::TaskRecord;
use crate::tui::state::window::Delivery;
use crossterm::event::Event;
use std::path::PathBuf;

/// Everything that can happen to the dashboard, from any source. One queue
/// carries them all.
#[derive(Debug)]
pub enum Message {
    /// A key, paste, mouse or resize event from the terminal.
    Terminal(Event),
    Engine(EngineEvent),
    /// Time passed (only sent while something is running).
    Tick,
    /// SIGTERM / SIGHUP / the input stream ended.
    Quit,
    /// The answer to [`Command::Submit`]: the new tasks' local ids.
    Submitted(Result<Vec<i64>, SubmitError>),
    /// The answer to [`Command::ToggleStar`]: the task as it now is.
    Starred(Result<Box<TaskRecord>, String>),
    /// The answer to [`Command::LoadHistory`]: earlier values per model and
    /// field, newest first.
    HistoryLoaded(Vec<(Model, &'static str, Vec<String>)>),
    /// The answer to [`Command::Resubmit`].
    Resubmitted {
        from: i64,
        result: Result<i64, SubmitError>,
    },
    /// The answer to [`Command::LoadStats`].
    StatsLoaded(Result<Box<crate::stats::Stats>, String>),
    /// The answer to [`Command::Copy`].
    Copied {
        url: String,
        result: Result<(), String>,
    },
    /// The answer to [`Command::QueryWindow`].
    Window(Delivery),
    /// The player of [`Command::Play`] `token` ended; `error` says why it
    /// did not play (none when it finished or was stopped).
    PlayerEnded {
        token: u64,
        error: Option<String>,
    },
    /// The player of [`Command::Play`] `token` has started (after the
    /// loudness-matched copy was written): the playhead runs from now.
    PlayerStarted {
        token: u64,
    },
    /// The answer to [`Command::LoadGroup`]: the group's takes.
    GroupLoaded {
        group: String,
        result: Result<Vec<TaskRecord>, String>,
    },
    /// The answer to [`Command::Discard`]: the task as it now is.
    Discarded(Result<Box<TaskRecord>, String>),
    /// The answer to [`Command::ExportAudio`]: the file written.
    AudioExported {
        id: i64,
        result: Result<PathBuf, String>,
    },
    /// The answer to [`Command::CheckVideo`] `token`.
    VideoChecked {
        token: u64,
        result: Result<crate::video::VideoFacts, crate::video::Refusal>,
    },
    /// What the last frame's layout learned (the table's rows, offset and
    /// page, the help's scroll), sent by the loop only when it differs
    /// from what the app holds: drawing reads the app, never writes it.
    Laid(crate::tui::state::ScreenLayout),
    /// The answer to [`Command::Mux`]: the dubbed video written.
    Muxed {
        id: i64,
        result: Result<PathBuf, String>,
    },
    /// The answer to [`Command::MakeLoop`]: the loop written.
    Looped {
        id: i64,
        result: Result<crate::tui::state::looping::Looped, String>,
    },
    /// The answer to [`Command::MakeBed`]: the bed written.
    Bedded {
        group: String,
        result: Result<crate::tui::state::bed::Bedded, String>,
    },
    /// The answer to [`Command::SubmitPiece`].
    PieceSubmitted(Result<crate::pieces::submit::SubmittedPiece, String>),
    /// The answer to [`Command::AssemblePiece`].
    PieceAssembled {
        piece: i64,
        result: Result<crate::pieces::build::Assembly, String>,
    },
    /// The answer to [`Command::LoadSegments`].
    SegmentsLoaded {
        piece: i64,
        result: Result<crate::tui::state::segments::LoadedSegments, String>,
    },
    /// The answer to [`Command::RetakeSegment`]: the new take's local id.
    SegmentRetaken {
        position: i64,
        result: Result<i64, String>,
    },
    /// The answer to [`Command::LoadPieces`]: every piece, newest first.
    PiecesLoaded(Result<Vec<crate::store::PieceRow>, String>),
}

/// What the loop must do after a message; `handle` itself does none of it.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Something on screen changed.
    Redraw,
    Quit,
    /// Write `count` tasks (takes) to the store and send them (answer:
    /// `Submitted`).
    Submit {
        request: CreateRequest,
        count: usize,
    },
    /// Split `text` into a piece, record it and send its segments into
    /// the download folder (answer: `PieceSubmitted`).
    SubmitPiece {
        text: String,
        voice: crate::pieces::Voice,
    },
    /// Read every piece with its progress and cost (answer: `PiecesLoaded`).
    LoadPieces,
    /// Assemble a piece whose segments are all made, from its script and
    /// settings, unless unchanged (answer: `PieceAssembled`).
    AssemblePiece(i64),
    /// Read a piece's segments and their takes (answer: `SegmentsLoaded`).
    LoadSegments(i64),
    /// Send one new take of segment `position` of `piece` (answer:
    /// `SegmentRetaken`).
    RetakeSegment {
        piece: i64,
        position: i64,
    },
    /// Star or unstar a task in the store (answer: `Starred`).
    ToggleStar(i64),
    /// Read the form's prompt history from the store (answer: `HistoryLoaded`).
    LoadHistory,
    /// Write these bytes (BEL and a notification escape) to the terminal:
    /// the loop does, between frames.
    Bell(Vec<u8>),
    /// A new task with a failed task's parameters (answer: `Resubmitted`).
    Resubmit(i64),
    Download(i64),
    DownloadAll,
    /// Put this text on the clipboard (answer: `Copied`).
    Copy(String),
    /// Lift an engine pause (401/402 fixed).
    Resume,
    /// Fetch the table's rows around the cursor (answer: `Window`).
    QueryWindow(crate::tui::state::window::WindowRequest),
    /// Compute spend and stats from the store (answer: `StatsLoaded`).
    LoadStats,
    /// Measure the task's file (answer: an `AudioAnalysed` engine event).
    Analyse(i64),
    /// Compute the task's file's spectrogram (answer: a `Spectrogram`
    /// engine event).
    Spectrogram(i64),
    /// Hand `path` to the player (answer: `PlayerStarted`, then
    /// `PlayerEnded` with `token`); with a `gain`, a copy of it turned by
    /// that many dB (written once to the cache) plays instead. `offer` says
    /// what reaches an SSH user when nothing may play; `seconds`, the
    /// file's length when known, tells a player that quit at once (no
    /// audio device) from one that played it.
    Play {
        token: u64,
        path: PathBuf,
        gain_db: Option<f64>,
        offer: String,
        seconds: Option<f64>,
    },
    /// Read one group's takes from the store (answer: `GroupLoaded`).
    LoadGroup(String),
    /// Discard a take (delete its file and its matched copies, keep the
    /// row) or keep it again (answer: `Discarded`).
    Discard {
        id: i64,
        discard: bool,
    },
    /// Stop the player.
    StopPlayer,
    /// Export task `id`'s file `source` into `dir` as `stem` plus the
    /// settings' suffix (answer: `AudioExported`).
    ExportAudio {
        id: i64,
        source: PathBuf,
        settings: crate::audio::render::Settings,
        dir: PathBuf,
        stem: String,
        /// What the file carries of where it came from.
        origin: Box<crate::audio::origin::Origin>,
    },
    /// Check the form's video `url` after the debounce, replacing any
    /// check still running (answer: `VideoChecked` with `token`).
    CheckVideo {
        token: u64,
        url: String,
    },
    /// Drop the running video check.
    CancelVideoCheck,
    /// Put task `id`'s `video` and its result's `audio` into one MP4 named
    /// `name` in `dir` (answer: `Muxed`).
    Mux {
        id: i64,
        video: crate::video::mux::VideoSource,
        audio: PathBuf,
        dir: PathBuf,
        name: String,
    },
    /// Make a seamless loop of task `id`'s file `source` in `dir`
    /// (`audio::looping`; answer: `Looped`).
    MakeLoop {
        id: i64,
        source: PathBuf,
        dir: PathBuf,
        origin: Box<crate::audio::origin::Origin>,
    },
    /// Lay group `group`'s takes at `takes` into a bed of `minutes` in
    /// `dir` (`pieces::bed`; answer: `Bedded`).
    MakeBed {
        group: String,
        takes: Vec<PathBuf>,
        dir: PathBuf,
        minutes: f64,
        format: crate::audio::render::OutputFormat,
    },
}

/// Commands from one message.
pub type Commands = Vec<Command>;
