//! Carrying out what `App::handle` asked for. This is the only part of the
//! dashboard that touches the engine or the clipboard. Store writes
//! (submitting a task is an SQLite insert) run on a blocking thread, never
//! on the UI task; their results come back through the message queue.

use super::jobs;
use crate::api::Model;
use crate::audio::player::Environment;
use crate::engine::{Engine, SubmitError};
use crate::tui::runtime::clipboard::Clipboard;
use crate::tui::runtime::window_worker::WindowWorker;
use crate::tui::state::form::recall::{HISTORY_FIELDS, HISTORY_LOAD};
use crate::tui::state::{Command, Message};
use std::path::PathBuf;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;

pub struct Effects {
    engine: Option<Engine>,
    clipboard: Box<dyn Clipboard>,
    tx: UnboundedSender<Message>,
    /// Answers the table's queries from the store, off the UI task.
    window: Option<WindowWorker>,
    /// Where players are looked for, and whether this is an SSH session.
    player_env: Environment,
    /// Dropping this stops the running player.
    player_stop: Option<oneshot::Sender<()>>,
    /// Where loudness-matched copies are written (none: takes play as
    /// they are).
    matched_dir: Option<PathBuf>,
    /// The form's video check in flight (aborted by a newer one).
    video_check: Option<tokio::task::AbortHandle>,
    /// Where pieces are written (the download folder).
    piece_dir: Option<PathBuf>,
}

impl Effects {
    /// `tx` is the dashboard's own queue: results arrive as messages.
    pub fn new(
        engine: Option<Engine>,
        clipboard: Box<dyn Clipboard>,
        tx: UnboundedSender<Message>,
    ) -> Effects {
        Effects {
            engine,
            clipboard,
            tx,
            window: None,
            player_env: Environment::current(None),
            player_stop: None,
            matched_dir: None,
            video_check: None,
            piece_dir: None,
        }
    }

    /// Where the loudness-matched copies of takes go (the cache directory).
    pub fn set_matched_dir(&mut self, dir: PathBuf) {
        self.matched_dir = Some(dir);
    }

    /// Where pieces submitted from the form are written.
    pub fn set_piece_dir(&mut self, dir: PathBuf) {
        self.piece_dir = Some(dir);
    }

    /// Table queries go to `worker` (its answers come back as messages).
    pub fn with_window(mut self, worker: WindowWorker) -> Effects {
        self.window = Some(worker);
        self
    }

    /// The environment players are chosen from (`player` from config.toml,
    /// or a test's own PATH).
    pub fn set_player_env(&mut self, env: Environment) {
        self.player_env = env;
    }

    pub fn engine(&self) -> Option<&Engine> {
        self.engine.as_ref()
    }

    /// Runs one command. `Redraw`, `Quit` and `Bell` are the loop's own
    /// business and do nothing here.
    pub fn run(&mut self, command: Command) {
        match command {
            Command::Redraw | Command::Quit | Command::Bell(_) => {}
            Command::Submit { request, count } => {
                let stopped = Message::Submitted(Err(SubmitError::Stopped));
                self.on_blocking_thread(stopped, move |engine| {
                    Message::Submitted(engine.submit_variations(request, count))
                });
            }
            Command::SubmitPiece { text, voice } => {
                let stopped = Message::PieceSubmitted(Err(SubmitError::Stopped.to_string()));
                let dir = self.piece_dir.clone();
                self.on_blocking_thread(stopped, move |engine| {
                    let dir = dir.unwrap_or_else(|| std::path::PathBuf::from("."));
                    Message::PieceSubmitted(crate::pieces::submit::submit(
                        engine, &text, &voice, &dir,
                    ))
                });
            }
            Command::LoadPieces => {
                let stopped = Message::PiecesLoaded(Err(SubmitError::Stopped.to_string()));
                self.on_blocking_thread(stopped, |engine| {
                    Message::PiecesLoaded(engine.store().pieces().map_err(|e| e.to_string()))
                });
            }
            Command::AssemblePiece(piece) => {
                let stopped = Message::PieceAssembled {
                    piece,
                    result: Err(SubmitError::Stopped.to_string()),
                };
                self.on_blocking_thread(stopped, move |engine| Message::PieceAssembled {
                    piece,
                    result: crate::pieces::build::assemble_stored(engine.store(), piece),
                });
            }
            Command::LoadSegments(piece) => {
                let stopped = Message::SegmentsLoaded {
                    piece,
                    result: Err(SubmitError::Stopped.to_string()),
                };
                self.on_blocking_thread(stopped, move |engine| Message::SegmentsLoaded {
                    piece,
                    result: segment_lines(engine.store(), piece),
                });
            }
            Command::RetakeSegment { piece, position } => {
                let stopped = Message::SegmentRetaken {
                    position,
                    result: Err(SubmitError::Stopped.to_string()),
                };
                self.on_blocking_thread(stopped, move |engine| Message::SegmentRetaken {
                    position,
                    result: crate::pieces::submit::retake(engine, piece, position),
                });
            }
            Command::ToggleStar(id) => {
                let stopped = Message::Starred(Err(SubmitError::Stopped.to_string()));
                self.on_blocking_thread(stopped, move |engine| {
                    Message::Starred(
                        engine
                            .store()
                            .toggle_star(id)
                            .map(Box::new)
                            .map_err(|e| e.to_string()),
                    )
                });
            }
            Command::LoadStats => {
                let stopped = Message::StatsLoaded(Err(SubmitError::Stopped.to_string()));
                self.on_blocking_thread(stopped, |engine| {
                    Message::StatsLoaded(
                        crate::stats::compute_now(engine.store(), None)
                            .map(Box::new)
                            .map_err(|e| e.to_string()),
                    )
                });
            }
            Command::LoadHistory => {
                let empty = Message::HistoryLoaded(Vec::new());
                self.on_blocking_thread(empty, |engine| {
                    Message::HistoryLoaded(load_history(engine.store()))
                });
            }
            Command::Resubmit(from) => {
                let stopped = Message::Resubmitted {
                    from,
                    result: Err(SubmitError::Stopped),
                };
                self.on_blocking_thread(stopped, move |engine| Message::Resubmitted {
                    from,
                    result: engine.resubmit(from),
                });
            }
            Command::Copy(url) => {
                let result = self.clipboard.copy(&url);
                let _ = self.tx.send(Message::Copied { url, result });
            }
            Command::Download(id) => {
                if let Some(engine) = &self.engine {
                    engine.download(id, None);
                }
            }
            Command::DownloadAll => {
                if let Some(engine) = &self.engine {
                    engine.download_all();
                }
            }
            Command::Resume => {
                if let Some(engine) = &self.engine {
                    engine.resume();
                }
            }
            Command::QueryWindow(request) => match &self.window {
                Some(worker) => worker.request(request),
                None => tracing::warn!("a table query with no store to ask"),
            },
            Command::Analyse(id) => {
                if let Some(engine) = &self.engine {
                    engine.analyse(id);
                }
            }
            Command::Play {
                token,
                path,
                gain_db,
                offer,
                seconds,
            } => self.play(
                token,
                jobs::Playing {
                    path,
                    gain_db,
                    offer,
                    seconds,
                },
            ),
            Command::LoadGroup(group) => {
                let stopped = Message::GroupLoaded {
                    group: group.clone(),
                    result: Err(SubmitError::Stopped.to_string()),
                };
                self.on_blocking_thread(stopped, move |engine| Message::GroupLoaded {
                    result: engine.store().group(&group).map_err(|e| e.to_string()),
                    group,
                });
            }
            Command::Discard { id, discard } => {
                let stopped = Message::Discarded(Err(SubmitError::Stopped.to_string()));
                let matched_dir = self.matched_dir.clone();
                self.on_blocking_thread(stopped, move |engine| {
                    Message::Discarded(
                        crate::engine::discard::set_discarded(
                            engine.store(),
                            id,
                            discard,
                            matched_dir.as_deref(),
                        )
                        .map(Box::new),
                    )
                });
            }
            Command::Spectrogram(id) => {
                if let Some(engine) = &self.engine {
                    engine.spectrogram(id);
                }
            }
            Command::ExportAudio {
                id,
                source,
                settings,
                dir,
                stem,
                origin,
            } => {
                let stopped = Message::AudioExported {
                    id,
                    result: Err(SubmitError::Stopped.to_string()),
                };
                self.on_blocking_thread(stopped, move |_| Message::AudioExported {
                    id,
                    result: jobs::export_audio(&source, &settings, &dir, &stem, &origin),
                });
            }
            Command::CheckVideo { token, url } => self.check_video(token, url),
            Command::CancelVideoCheck => {
                if let Some(check) = self.video_check.take() {
                    check.abort();
                }
            }
            Command::Mux {
                id,
                video,
                audio,
                dir,
                name,
            } => self.mux(id, video, audio, dir, name),
            Command::MakeLoop {
                id,
                source,
                dir,
                origin,
            } => {
                let tx = self.tx.clone();
                // A thread of its own: it needs no engine, and decodes the
                // file twice.
                std::thread::spawn(move || {
                    let result = jobs::make_loop(&source, &dir, &origin);
                    let _ = tx.send(Message::Looped { id, result });
                });
            }
            Command::MakeBed {
                group,
                takes,
                dir,
                minutes,
                format,
            } => {
                let tx = self.tx.clone();
                // A thread of its own, as the loop's: no engine, and it
                // decodes every take.
                std::thread::spawn(move || {
                    let result = jobs::make_bed(&group, takes, &dir, minutes, format);
                    let _ = tx.send(Message::Bedded { group, result });
                });
            }
            // Dropping the sender ends the player's task, which kills it.
            Command::StopPlayer => self.player_stop = None,
        }
    }

    /// Starts the player on `path` (stopping any other), or on its copy
    /// turned by `gain_db`, written first on a blocking thread; its start
    /// and end come back as `PlayerStarted` and `PlayerEnded`. Its output
    /// goes to /dev/null, never over the dashboard.
    fn play(&mut self, token: u64, playing: jobs::Playing) {
        let (stop, stopped) = oneshot::channel();
        // Replacing the sender drops the old one: the other take stops.
        self.player_stop = Some(stop);
        let env = self.player_env.clone();
        let matched_dir = self.matched_dir.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let error = tokio::select! {
                error = jobs::run_player(token, playing, matched_dir, env, &tx) => error,
                // Dropping the player's future kills it (kill_on_drop).
                _ = stopped => None,
            };
            let _ = tx.send(Message::PlayerEnded { token, error });
        });
    }

    /// Checks the form's video URL after the debounce, aborting the check
    /// before it (still waiting or already asking the host).
    fn check_video(&mut self, token: u64, url: String) {
        if let Some(check) = self.video_check.take() {
            check.abort();
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("no runtime for the video check");
            return;
        };
        let tx = self.tx.clone();
        let task = runtime.spawn(async move {
            tokio::time::sleep(crate::tui::state::timing::DEBOUNCE).await;
            let result = crate::video::check_url(&url, &crate::video::Limits::default()).await;
            let _ = tx.send(Message::VideoChecked { token, result });
        });
        self.video_check = Some(task.abort_handle());
    }

    /// Muxes on a task of its own (ffmpeg is found on the players' PATH),
    /// notes the file in the store, and answers `Muxed`.
    fn mux(
        &self,
        id: i64,
        video: crate::video::mux::VideoSource,
        audio: PathBuf,
        dir: PathBuf,
        name: String,
    ) {
        let tx = self.tx.clone();
        let path = self.player_env.path.clone();
        let store = self.engine.as_ref().map(|e| e.store().clone());
        tokio::spawn(jobs::mux(tx, path, store, id, video, audio, dir, name));
    }

    /// Runs `work` off the UI task and queues its answer. Without an engine
    /// the answer is "stopped", at once.
    fn on_blocking_thread(
        &self,
        stopped: Message,
        work: impl FnOnce(&Engine) -> Message + Send + 'static,
    ) {
        let tx = self.tx.clone();
        let Some(engine) = self.engine.clone() else {
            let _ = tx.send(stopped);
            return;
        };
        tokio::task::spawn_blocking(move || {
            let _ = tx.send(work(&engine));
        });
    }
}

/// Every model's remembered text fields, newest first. A field that cannot
/// be read is left out: recall is a convenience, not worth an error.
fn load_history(store: &crate::store::Store) -> Vec<(Model, &'static str, Vec<String>)> {
    let mut out = Vec::new();
    for model in Model::ALL {
        for field in HISTORY_FIELDS {
            match store.prompt_history(model.api_name(), field, HISTORY_LOAD) {
                Ok(values) if !values.is_empty() => out.push((model, field, values)),
                Ok(_) => {}
                Err(e) => tracing::warn!("prompt history: {e}"),
            }
        }
    }
    out
}

/// A piece's segments in order, each with the start of its text, the
/// take it uses and (a dub's cue) its fit; and a dub's mix if it is on
/// disk: `klang dub` writes it beside the speech track, as MP4.
fn segment_lines(
    store: &crate::store::Store,
    piece: i64,
) -> Result<crate::tui::state::segments::LoadedSegments, String> {
    let rows = store.segments(piece).map_err(|e| e.to_string())?;
    let mix = store
        .pieces()
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|p| p.id == piece && p.kind == crate::tui::state::cues::DUB_KIND)
        .map(|p| std::path::PathBuf::from(p.output).with_extension("mp4"))
        .filter(|mix| mix.is_file());
    let lines = rows
        .into_iter()
        .map(|row| {
            let text = match serde_json::from_str::<crate::api::CreateRequest>(&row.request) {
                Ok(crate::api::CreateRequest::Tts(p)) => p.text,
                _ => String::new(),
            };
            crate::tui::state::segments::SegmentLine {
                position: row.position,
                chars: row.chars,
                excerpt: crate::sanitize::single_line(&text)
                    .chars()
                    .take(120)
                    .collect(),
                take: row.task.and_then(|id| store.get(id).ok()),
                fit: row.fit,
            }
        })
        .collect();
    Ok(crate::tui::state::segments::LoadedSegments { lines, mix })
}
