//! Sending a checked batch: each line through the engine's submit (the
//! budget and the line's key are checked in the same transaction that
//! writes the row), a few creates in flight at once, at most `--rate` a
//! second, pausing with the engine's backoff after failures. Ctrl-C stops
//! sending, lets the creates in flight answer, and reports; running the
//! same command again continues.

mod report;

use super::args::BatchArgs;
use super::headless::{Headless, account_stop};
use super::{Context, Failure, exit};
use crate::batch::Line;
use crate::engine::{DownloadEvent, EngineEvent, EngineStatus, LineSubmit, SubmitError};
use crate::store::{BatchTag, LocalState, TaskRecord};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

/// Creates awaiting their answer at once.
const CREATES_IN_FLIGHT: usize = 4;

/// A line still to send.
pub(super) struct Todo {
    pub line: Line,
    pub tag: BatchTag,
    /// The checked clip of a line with a `video_file`.
    pub video: Option<crate::video::LocalVideo>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Created by this run.
    New,
    /// Created by an earlier run: not sent again.
    Skipped,
    /// The create failed (refused, or unknown: may have been charged).
    Failed,
    /// Not sent (stopped by Ctrl-C, a budget, or an account problem).
    NotSent,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::New => "new",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
            Outcome::NotSent => "not-sent",
        }
    }
}

struct Entry {
    outcome: Outcome,
    id: Option<i64>,
}

struct Run<'a> {
    args: &'a BatchArgs,
    headless: Headless,
    entries: BTreeMap<u64, Entry>,
    bar: ProgressBar,
    /// Why sending stopped early, if it did.
    stop: Option<Failure>,
    interrupted: bool,
}

pub(super) async fn run(
    ctx: Context,
    args: &BatchArgs,
    done: Vec<(u64, TaskRecord)>,
    todo: Vec<Todo>,
) -> Result<i32, Failure> {
    let headless = Headless::start(&ctx, args.json).await?;
    if ctx.is_sandbox() {
        headless.say("SANDBOX: simulated audio, nothing is charged");
    }
    let bar = progress_bar(args.json, todo.len() as u64);
    let mut run = Run {
        args,
        headless,
        entries: BTreeMap::new(),
        bar,
        stop: None,
        interrupted: false,
    };
    for (number, record) in done {
        run.entries.insert(
            number,
            Entry {
                outcome: Outcome::Skipped,
                id: Some(record.id),
            },
        );
    }
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    run.send_all(todo, &ctx, &mut ctrl_c).await;
    if (args.wait || args.download) && run.stop.is_none() && !run.interrupted {
        let dir = args.download.then(|| download_dir(&ctx, args));
        run.wait_all(dir, &mut ctrl_c).await;
    }
    run.bar.finish_and_clear();
    run.report(&ctx)
}

fn progress_bar(json: bool, len: u64) -> ProgressBar {
    let target = if json {
        ProgressDrawTarget::hidden()
    } else {
        // Hidden by indicatif itself when stderr is not a terminal.
        ProgressDrawTarget::stderr()
    };
    let bar = ProgressBar::with_draw_target(Some(len), target);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>9} [{bar:30}] {pos}/{len} {per_sec} eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("sending");
    bar
}

/// Downloads go to a folder named after the batch file, inside the
/// download directory (or `--download-dir`).
fn download_dir(ctx: &Context, args: &BatchArgs) -> PathBuf {
    let stem = args
        .file
        .file_stem()
        .map(|s| crate::engine::download::naming::slug(&s.to_string_lossy()))
        .unwrap_or_else(|| "batch".into());
    ctx.engine_config.download_dir.join(stem)
}

impl Run<'_> {
    fn say(&self, line: impl AsRef<str>) {
        self.bar.suspend(|| self.headless.say(line));
    }

    fn set(&mut self, number: u64, outcome: Outcome, id: Option<i64>) {
        self.entries.insert(number, Entry { outcome, id });
    }

    async fn send_all(
        &mut self,
        todo: Vec<Todo>,
        ctx: &Context,
        ctrl_c: &mut (impl std::future::Future<Output = std::io::Result<()>> + Unpin),
    ) {
        let policy = ctx.engine_config.poll.clone();
        let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / self.args.rate));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut in_flight: HashMap<i64, u64> = HashMap::new();
        let mut failures_in_a_row: u32 = 0;
        let mut queue = todo.into_iter().peekable();
        loop {
            let may_send = self.stop.is_none()
                && !self.interrupted
                && queue.peek().is_some()
                && in_flight.len() < CREATES_IN_FLIGHT;
            if !may_send && in_flight.is_empty() {
                break;
            }
            tokio::select! {
                _ = ticker.tick(), if may_send => {
                    if let Some(next) = queue.next() {
                        self.send_one(next, &mut in_flight);
                    }
                }
                event = self.headless.next_event() => {
                    let Some(event) = event else {
                        self.stop = Some(Failure { code: exit::NETWORK, message: "the engine stopped unexpectedly; see the log (klang paths)".into() });
                        break;
                    };
                    if let Some(ok) = self.on_send_event(event, &mut in_flight) {
                        if ok {
                            failures_in_a_row = 0;
                        } else {
                            // The engine's backoff, before the next line.
                            failures_in_a_row += 1;
                            ticker.reset_after(policy.backoff(failures_in_a_row));
                        }
                    }
                }
                _ = &mut *ctrl_c, if !self.interrupted => {
                    self.interrupted = true;
                    self.say(format!("stopping: waiting for {} creates in flight; run the same command again to continue", in_flight.len()));
                }
            }
        }
        for rest in queue {
            self.set(rest.line.number, Outcome::NotSent, None);
        }
    }

    fn send_one(&mut self, todo: Todo, in_flight: &mut HashMap<i64, u64>) {
        let number = todo.line.number;
        let engine = &self.headless.engine;
        let submitted = match &todo.video {
            Some(video) => engine.submit_batch_line_video(todo.line.request, &todo.tag, video),
            None => engine.submit_batch_line(todo.line.request, &todo.tag),
        };
        match submitted {
            Ok(LineSubmit::New(id)) => {
                in_flight.insert(id, number);
            }
            Ok(LineSubmit::Existing(record)) => {
                // Another klang created it meanwhile.
                self.set(number, Outcome::Skipped, Some(record.id));
                self.bar.inc(1);
            }
            Err(e) => {
                self.set(number, Outcome::NotSent, None);
                let code = match e {
                    SubmitError::Stopped => exit::NETWORK,
                    _ => exit::USAGE,
                };
                self.stop = Some(Failure {
                    code,
                    message: format!("line {number}: {e}"),
                });
            }
        }
    }

    /// Returns Some(true) when a create succeeded, Some(false) when one
    /// failed, None for anything else.
    fn on_send_event(
        &mut self,
        event: EngineEvent,
        in_flight: &mut HashMap<i64, u64>,
    ) -> Option<bool> {
        match event {
            EngineEvent::TaskChanged(record) if record.state != LocalState::Submitting => {
                let number = in_flight.remove(&record.id)?;
                self.bar.inc(1);
                let failed = matches!(
                    record.state,
                    LocalState::SubmitFailed | LocalState::SubmitUnknown
                );
                let outcome = if failed {
                    Outcome::Failed
                } else {
                    Outcome::New
                };
                self.set(number, outcome, Some(record.id));
                if failed {
                    let why = record.last_error.as_deref().unwrap_or("create failed");
                    self.say(format!("line {number}: {why}"));
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

    /// Waits until every task of the file is final, downloading each
    /// completed one into `dir` when given.
    async fn wait_all(
        &mut self,
        dir: Option<PathBuf>,
        ctrl_c: &mut (impl std::future::Future<Output = std::io::Result<()>> + Unpin),
    ) {
        let store = self.headless.engine.store().clone();
        let ids: Vec<i64> = self.entries.values().filter_map(|e| e.id).collect();
        let mut waiting: HashSet<i64> = HashSet::new();
        let mut downloading: HashSet<i64> = HashSet::new();
        for id in ids {
            let Ok(record) = store.get(id) else { continue };
            if !record.state.is_final() {
                waiting.insert(id);
            } else if let Some(dir) = &dir
                && needs_download(&record)
            {
                self.headless.engine.download(id, Some(dir.clone()));
                downloading.insert(id);
            }
        }
        let total = (waiting.len() + downloading.len()) as u64;
        self.bar.set_length(total);
        self.bar.set_position(0);
        self.bar
            .set_message(if dir.is_some() { "fetching" } else { "waiting" });
        while !waiting.is_empty() || !downloading.is_empty() {
            tokio::select! {
                event = self.headless.next_event() => match event {
                    Some(EngineEvent::TaskChanged(r)) if r.state.is_final() && waiting.remove(&r.id) => {
                        match &dir {
                            Some(dir) if needs_download(&r) => {
                                self.headless.engine.download(r.id, Some(dir.clone()));
                                downloading.insert(r.id);
                            }
                            _ => self.bar.inc(1),
                        }
                    }
                    Some(EngineEvent::Download(DownloadEvent::Finished { id, .. })) if downloading.remove(&id) => self.bar.inc(1),
                    Some(EngineEvent::Download(DownloadEvent::Failed { id, error })) if downloading.remove(&id) => {
                        self.bar.inc(1);
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
    record.state == LocalState::Completed
        && record
            .local_path
            .as_deref()
            .is_none_or(|p| !std::path::Path::new(p).exists())
}
