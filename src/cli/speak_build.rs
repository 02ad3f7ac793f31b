//! Building a planned piece: the segments with nothing usable go through
//! the engine's single submit (each take's key written with its row
//! before the create leaves, as batch lines are, so a rerun after kill -9
//! never sends a segment twice), a few creates in flight at once, pausing
//! with the engine's backoff after a failure. Then every take the piece
//! needs is waited for and downloaded, the takes are chosen again from
//! the store (the newest unless one is starred) and `speak_assemble`
//! writes the narration.

use super::args::SpeakArgs;
use super::headless::{Headless, account_stop};
use super::speak::{Outputs, Source};
use super::{Context, Failure, exit};
use crate::engine::{DownloadEvent, EngineEvent, EngineStatus, LineSubmit, SubmitError};
use crate::pieces::plan::Plan;
use crate::pieces::{Take, Voice};
use crate::store::{BatchTag, LocalState, TaskRecord, take_key};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// Creates awaiting their answer at once.
const CREATES_IN_FLIGHT: usize = 4;

pub(super) struct Build {
    pub headless: Headless,
    /// Creates this run sent, and what they cost.
    pub calls_sent: usize,
    pub cost_usd: f64,
    pub stop: Option<Failure>,
    pub interrupted: bool,
    /// The clip on disk each segment's video is (`klang foley`'s windows),
    /// by segment index; sent as `--video-file` sends one.
    pub clips: HashMap<usize, crate::video::LocalVideo>,
}

pub(super) async fn run(
    ctx: Context,
    args: SpeakArgs,
    voice: Voice,
    source: Source,
    outputs: Outputs,
    plan: Plan,
) -> Result<i32, Failure> {
    std::fs::create_dir_all(&outputs.dir).map_err(|e| Failure {
        code: exit::NETWORK,
        message: format!(
            "cannot create {}: {e}; nothing was sent. Give --out a folder you can write",
            outputs.dir.display()
        ),
    })?;
    let settings = serde_json::json!({
        "voice": voice,
        "format": outputs.audio.extension().map(|e| e.to_string_lossy().into_owned()),
        "normalize": args.normalize,
        "gap_ms": args.gap,
        "paragraph_gap_ms": args.paragraph_gap,
    });
    let source_name = if source.name == "-" {
        "-".to_string()
    } else {
        std::fs::canonicalize(&args.file)
            .map_or_else(|_| source.name.clone(), |p| p.display().to_string())
    };
    let piece = ctx.store.upsert_piece(
        "speech",
        &source_name,
        &outputs.audio.display().to_string(),
        &settings.to_string(),
    )?;
    let rows: Vec<_> = plan.segments.iter().map(|s| s.row()).collect();
    ctx.store.set_segments(piece, &rows)?;
    let headless = Headless::start(&ctx, args.json).await?;
    if ctx.is_sandbox() {
        headless.say("SANDBOX: simulated audio, nothing is charged");
    }
    let mut build = Build {
        headless,
        calls_sent: 0,
        cost_usd: 0.0,
        stop: None,
        interrupted: false,
        clips: HashMap::new(),
    };
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut waiting = build.send(&ctx, &plan, &mut ctrl_c).await;
    for s in &plan.segments {
        if let Take::Running(r) | Take::Made(r) = &s.take {
            waiting.insert(r.id);
        }
    }
    if build.stop.is_none() && !build.interrupted {
        let dir = ctx
            .engine_config
            .download_dir
            .join("pieces")
            .join(outputs.audio.file_stem().unwrap_or_default());
        build.wait_and_download(waiting, dir, &mut ctrl_c).await;
    }
    build.left_partial(&ctx, piece)?;
    super::speak_assemble::finish(&ctx, &args, build, piece, plan, &outputs).await
}

use crate::pieces::build::on_disk;

impl Build {
    /// A stop (account, engine) or Ctrl-C during the build: the piece is
    /// left partial, saying why, and the stop is the command's failure.
    /// One place for speak, dub, bed and foley.
    pub(super) fn left_partial(&mut self, ctx: &Context, piece: i64) -> Result<(), Failure> {
        if let Some(stop) = self.stop.take() {
            ctx.store
                .set_piece_state(piece, "partial", Some(&stop.message))?;
            return Err(stop);
        }
        if self.interrupted {
            ctx.store.set_piece_state(
                piece,
                "partial",
                Some("interrupted: run the same command again to continue"),
            )?;
            return Err(Failure {
                code: 130,
                message:
                    "interrupted: run the same command again to continue; nothing is sent twice"
                        .into(),
            });
        }
        Ok(())
    }

    pub(super) fn say(&self, line: impl AsRef<str>) {
        self.headless.say(line);
    }

    /// Sends a take of each segment in `plan.to_send`; returns the tasks
    /// to wait for.
    pub(super) async fn send(
        &mut self,
        ctx: &Context,
        plan: &Plan,
        ctrl_c: &mut (impl std::future::Future<Output = std::io::Result<()>> + Unpin),
    ) -> HashSet<i64> {
        let policy = ctx.engine_config.poll.clone();
        let mut waiting = HashSet::new();
        let mut in_flight: HashMap<i64, usize> = HashMap::new();
        let mut failures_in_a_row: u32 = 0;
        let mut queue = plan.to_send.iter().copied().peekable();
        let mut pause_until = tokio::time::Instant::now();
        loop {
            let may_send = self.stop.is_none()
                && !self.interrupted
                && queue.peek().is_some()
                && in_flight.len() < CREATES_IN_FLIGHT;
            if !may_send && in_flight.is_empty() {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep_until(pause_until), if may_send => {
                    if let Some(index) = queue.next() {
                        self.send_one(ctx, plan, index, &mut in_flight, &mut waiting);
                    }
                }
                event = self.headless.next_event() => {
                    let Some(event) = event else {
                        self.stop = Some(Failure { code: exit::NETWORK, message: "the engine stopped unexpectedly; see the log (klang paths)".into() });
                        break;
                    };
                    match self.on_send_event(event, plan, &mut in_flight) {
                        Some(true) => failures_in_a_row = 0,
                        Some(false) => {
                            failures_in_a_row += 1;
                            pause_until = tokio::time::Instant::now() + policy.backoff(failures_in_a_row);
                        }
                        None => {}
                    }
                }
                _ = &mut *ctrl_c, if !self.interrupted => {
                    self.interrupted = true;
                    self.say(format!("stopping: waiting for {} creates in flight; run the same command again to continue", in_flight.len()));
                }
            }
        }
        waiting
    }

    fn send_one(
        &mut self,
        ctx: &Context,
        plan: &Plan,
        index: usize,
        in_flight: &mut HashMap<i64, usize>,
        waiting: &mut HashSet<i64>,
    ) {
        let segment = &plan.segments[index];
        let take = match ctx.store.next_take(&segment.key) {
            Ok(n) => n,
            Err(e) => {
                self.stop = Some(e.into());
                return;
            }
        };
        let tag = BatchTag {
            key: take_key(&segment.key, take),
            line: segment.position as i64,
        };
        let engine = &self.headless.engine;
        let submitted = match self.clips.get(&index) {
            Some(clip) => engine.submit_batch_line_video(segment.request.clone(), &tag, clip),
            None => engine.submit_batch_line(segment.request.clone(), &tag),
        };
        match submitted {
            Ok(LineSubmit::New(id)) => {
                self.calls_sent += 1;
                self.cost_usd += segment.request.model().price_usd();
                in_flight.insert(id, index);
                waiting.insert(id);
            }
            // Another klang sent this take meanwhile: wait for it.
            Ok(LineSubmit::Existing(record)) => {
                waiting.insert(record.id);
            }
            Err(e) => {
                let code = match e {
                    SubmitError::Stopped => exit::NETWORK,
                    _ => exit::USAGE,
                };
                self.stop = Some(Failure {
                    code,
                    message: format!("segment {}: {e}", segment.position),
                });
            }
        }
    }

    /// Some(true) when a create succeeded, Some(false) when one failed.
    fn on_send_event(
        &mut self,
        event: EngineEvent,
        plan: &Plan,
        in_flight: &mut HashMap<i64, usize>,
    ) -> Option<bool> {
        match event {
            EngineEvent::TaskChanged(record) if record.state != LocalState::Submitting => {
                let index = in_flight.remove(&record.id)?;
                let failed = matches!(
                    record.state,
                    LocalState::SubmitFailed | LocalState::SubmitUnknown
                );
                if failed {
                    let why = record.last_error.as_deref().unwrap_or("create failed");
                    self.say(format!("segment {}: {why}", plan.segments[index].position));
                }
                Some(!failed)
            }
            other => {
                match account_stop(other) {
                    Ok(failure) => {
                        self.stop.get_or_insert(failure);
                    }
                    Err(EngineEvent::Notice(text)) => self.say(text),
                    Err(_) => {}
                }
                None
            }
        }
    }

    /// Waits until every task in `ids` is final and downloads each
    /// completed one not on disk yet into `dir`.
    pub(super) async fn wait_and_download(
        &mut self,
        ids: HashSet<i64>,
        dir: PathBuf,
        ctrl_c: &mut (impl std::future::Future<Output = std::io::Result<()>> + Unpin),
    ) {
        let store = self.headless.engine.store().clone();
        let mut waiting = HashSet::new();
        let mut downloading = HashSet::new();
        for id in ids {
            let Ok(record) = store.get(id) else { continue };
            if !record.state.is_final() {
                waiting.insert(id);
            } else if needs_download(&record) {
                self.headless.engine.download(id, Some(dir.clone()));
                downloading.insert(id);
            }
        }
        if !waiting.is_empty() {
            self.say(format!("waiting for {} takes", waiting.len()));
        }
        while !waiting.is_empty() || !downloading.is_empty() {
            tokio::select! {
                event = self.headless.next_event() => match event {
                    Some(EngineEvent::TaskChanged(r)) if r.state.is_final() && waiting.remove(&r.id) => {
                        if needs_download(&r) {
                            self.headless.engine.download(r.id, Some(dir.clone()));
                            downloading.insert(r.id);
                        }
                    }
                    Some(EngineEvent::Download(DownloadEvent::Finished { id, .. })) => {
                        downloading.remove(&id);
                    }
                    Some(EngineEvent::Download(DownloadEvent::Failed { id, error })) if downloading.remove(&id) => {
                        self.say(format!("#{id}: {error}"));
                    }
                    Some(EngineEvent::Status(EngineStatus::Paused { reason })) => {
                        self.stop = Some(Failure { code: exit::ACCOUNT, message: reason });
                        return;
                    }
                    Some(EngineEvent::Notice(text)) => self.say(text),
                    Some(_) => {}
                    None => return,
                },
                _ = &mut *ctrl_c, if !self.interrupted => {
                    self.interrupted = true;
                    return;
                }
            }
        }
    }
}

fn needs_download(record: &TaskRecord) -> bool {
    record.state == LocalState::Completed && !record.discarded && on_disk(record).is_none()
}
