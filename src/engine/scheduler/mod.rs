//! The poll loop: one tokio task that owns the schedule of every unfinished
//! task, launches queries with bounded concurrency (at most one per task),
//! and backs off as a whole when the server or the network fails.

mod budget;
mod launch;
mod outcomes;
mod recovery;
mod schedule;
mod wake;

use budget::PollBudget;
use launch::process_alive;
use schedule::{Schedule, Tracked};
use wake::sleep_until_opt;

use super::circuit::Circuit;
use super::download::Downloader;
use super::learned::{self, Kind};
use super::{Command, EngineConfig, EngineEvent, EngineStatus, EventSink, transfers};
use crate::api::{ApiClient, ApiError, CreatedTask, TaskStatus};
use crate::store::{Store, TaskRecord, now_ms};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How far back a starting dashboard looks for results without a file.
const CATCH_UP_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);
/// At most this many such results are fetched at start.
const CATCH_UP_MAX: usize = 50;

pub(super) struct Parts {
    pub client: ApiClient,
    pub store: Arc<Store>,
    pub config: EngineConfig,
    pub sink: EventSink,
    pub commands: mpsc::UnboundedReceiver<Command>,
    pub downloads_running: Arc<AtomicUsize>,
    pub owner: Arc<str>,
    pub spend: super::spend::SpendMeter,
    pub analyser: super::analysis::Analyser,
}

pub(super) fn spawn(parts: Parts) {
    tokio::spawn(async move {
        let mut scheduler = Scheduler::new(parts);
        scheduler.run().await;
    });
}

/// What came back from a request the scheduler launched.
enum Outcome {
    Polled {
        id: i64,
        result: Result<TaskStatus, ApiError>,
    },
    Created {
        id: i64,
        result: Result<CreatedTask, ApiError>,
    },
    /// The query of the task a callback named for a `submit-unknown` row.
    Recovery {
        id: i64,
        task_id: String,
        result: Result<TaskStatus, ApiError>,
    },
}

struct Scheduler {
    client: ApiClient,
    store: Arc<Store>,
    config: EngineConfig,
    sink: EventSink,
    commands: mpsc::UnboundedReceiver<Command>,
    outcomes_tx: mpsc::UnboundedSender<Outcome>,
    outcomes: mpsc::UnboundedReceiver<Outcome>,
    tracked: Schedule,
    in_flight: usize,
    circuit: Circuit,
    budget: PollBudget,
    paused: Option<String>,
    /// Why the store refuses writes, when it does: polling waits like a
    /// pause, and the status says so.
    store_failed: Option<String>,
    last_status: Option<EngineStatus>,
    transfers: transfers::Transfers,
    data_version: i64,
    seen_until_ms: i64,
    owner: Arc<str>,
    /// How long each kind of task took, for polling that learns.
    history: learned::History,
    spend: super::spend::SpendMeter,
}

impl Scheduler {
    fn new(parts: Parts) -> Scheduler {
        let (outcomes_tx, outcomes) = mpsc::unbounded_channel();
        // Without a configured client (its TLS set-up failed, say) there
        // are no downloads at all, never a client without klang's limits.
        let downloader = Downloader::new().inspect_err(|e| {
            tracing::error!("download client: {e}");
        });
        let transfers = transfers::Transfers::new(
            parts.client.clone(),
            parts.store.clone(),
            downloader,
            parts.sink.clone(),
            parts.config.clone(),
            parts.downloads_running,
            parts.analyser,
        );
        Scheduler {
            circuit: Circuit::new(parts.config.poll.clone()),
            budget: PollBudget::new(parts.config.poll.max_per_second, Instant::now()),
            client: parts.client,
            store: parts.store,
            config: parts.config,
            sink: parts.sink,
            commands: parts.commands,
            outcomes_tx,
            outcomes,
            tracked: Schedule::default(),
            in_flight: 0,
            paused: None,
            store_failed: None,
            last_status: None,
            transfers,
            data_version: 0,
            seen_until_ms: now_ms(),
            owner: parts.owner,
            history: learned::History::default(),
            spend: parts.spend,
        }
    }

    fn emit(&self, event: EngineEvent) {
        (self.sink)(event);
    }

    fn changed(&self, record: TaskRecord) {
        self.emit(EngineEvent::TaskChanged(Box::new(record)));
    }

    fn resume_from_store(&mut self) {
        match self.store.recover_stale_submits(process_alive) {
            Ok(stale) => {
                for record in stale {
                    self.changed(record);
                }
            }
            Err(e) => self.emit(EngineEvent::Notice(e.to_string())),
        }
        match self.store.unfinished() {
            Ok(records) => {
                let now = Instant::now();
                for (n, record) in records.iter().enumerate() {
                    // Spread the first polls so a big backlog does not
                    // arrive at the server as one burst.
                    let due = now + Duration::from_millis(20 * n.min(500) as u64);
                    self.track(record, due);
                }
                if !records.is_empty() {
                    tracing::info!("resumed {} unfinished tasks", records.len());
                }
            }
            Err(e) => self.emit(EngineEvent::Notice(e.to_string())),
        }
        self.data_version = self.store.data_version().unwrap_or(0);
        if self.config.auto_download {
            self.catch_up_downloads();
        }
    }

    /// With `auto_download`, results of the last day that have no file yet
    /// are fetched now: they completed while no dashboard was open, or a
    /// download was cut off (its partial file is resumed). Older ones are
    /// left to `D`: their links may have expired, and a big backlog is the
    /// user's call.
    fn catch_up_downloads(&self) {
        let since = now_ms() - CATCH_UP_WINDOW.as_millis() as i64;
        match self.store.completed_without_file(since, CATCH_UP_MAX) {
            Ok(records) => {
                if !records.is_empty() {
                    tracing::info!("saving {} recent results that have no file", records.len());
                }
                for record in records {
                    self.transfers.download(record.id, None);
                }
            }
            Err(e) => self.emit(EngineEvent::Notice(e.to_string())),
        }
    }

    fn track(&mut self, record: &TaskRecord, due: Instant) {
        let Some(task_id) = record.task_id.clone() else {
            return;
        };
        if !record.state.is_running() || self.tracked.contains(record.id) {
            return;
        }
        let kind = Kind::of(&record.params);
        if !self.history.knows(kind) {
            // Once per kind; from then on finished tasks keep it current.
            let recent = self
                .store
                .recent_completed(record.model, 4 * learned::MAX_SAMPLES)
                .unwrap_or_default();
            self.history.load(kind, &recent);
        }
        let age_ms = (now_ms() - record.create_time.unwrap_or(record.submitted_at)).max(0);
        let now = Instant::now();
        let created = now
            .checked_sub(Duration::from_millis(age_ms as u64))
            .unwrap_or(now);
        let mut task = Tracked::new(task_id, due, self.config.poll.first, kind);
        task.has_callback = record.has_callback;
        task.created = created;
        self.tracked.insert(record.id, task);
    }

    /// The wait before the next query of `id` that its kind's history
    /// suggests, if it suggests one. A task with a callback is announced by
    /// it, so polling it stays the slow fallback.
    fn learned_delay(&self, id: i64) -> Option<Duration> {
        let t = self.tracked.get(id)?;
        if t.has_callback {
            return None;
        }
        let expect = self.history.expectation(t.kind)?;
        learned::learned_delay(t.created.elapsed(), &expect)
    }

    async fn run(&mut self) {
        self.resume_from_store();
        let mut store_watch = tokio::time::interval(self.config.store_watch_interval);
        store_watch.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            self.launch_due();
            self.publish_status();
            let wake = self.next_wake();
            tokio::select! {
                biased;
                command = self.commands.recv() => match command {
                    None | Some(Command::Shutdown) => break,
                    Some(command) => self.handle_command(command),
                },
                Some(outcome) = self.outcomes.recv() => {
                    // Everything else that has arrived joins this round.
                    let mut round = vec![outcome];
                    while let Ok(more) = self.outcomes.try_recv() {
                        round.push(more);
                    }
                    self.handle_outcomes(round);
                }
                _ = sleep_until_opt(wake) => {}
                _ = store_watch.tick() => self.watch_store(),
            }
        }
        tracing::info!("engine stopped; unfinished tasks resume at the next start");
    }

    fn handle_command(&mut self, command: Command) {
        match command {
            Command::Create { id, request } => self.launch_create(id, request),
            Command::Refresh { id } => self.poll_now(id),
            Command::RefreshTaskId { task_id } => match self.store.get_by_task_id(&task_id) {
                Ok(Some(record)) => {
                    self.track(&record, Instant::now());
                    self.poll_now(record.id);
                }
                Ok(None) => tracing::debug!("refresh for unknown task id ignored"),
                Err(e) => tracing::warn!("refresh lookup: {e}"),
            },
            Command::TaskCallback { id, task_id } => self.on_task_callback(id, task_id),
            Command::Download { id, dir } => self.transfers.download(id, dir),
            Command::DownloadAll => self.transfers.download_all(),
            Command::Resume => {
                self.paused = None;
                self.store_failed = None;
                self.circuit.reset();
                self.tracked.all_due(Instant::now());
                self.emit(EngineEvent::Notice("resumed polling".into()));
            }
            Command::Shutdown => {}
        }
    }

    /// Picks up rows another klang process wrote to the same store.
    fn watch_store(&mut self) {
        let Ok(version) = self.store.data_version() else {
            return;
        };
        if version == self.data_version {
            return;
        }
        self.data_version = version;
        // Another process may have spent: the budget display follows.
        self.spend.refresh();
        // Overlap the window: another process may commit a row stamped a
        // little before our last look.
        let since = self.seen_until_ms - 2_000;
        let Ok(rows) = self.store.changed_since(since) else {
            return;
        };
        for record in rows {
            self.seen_until_ms = self.seen_until_ms.max(record.updated_at);
            if record.state.is_running() {
                self.track(&record, Instant::now());
            } else if self.tracked.get(record.id).is_some_and(|t| !t.in_flight()) {
                // Another process saw it finish.
                self.tracked.remove(record.id);
            }
            self.changed(record);
        }
    }

    fn publish_status(&mut self) {
        let status = if let Some(reason) = &self.store_failed {
            EngineStatus::StoreFailed {
                reason: reason.clone(),
            }
        } else if let Some(reason) = &self.paused {
            EngineStatus::Paused {
                reason: reason.clone(),
            }
        } else if let Some((reason, retry_in)) = self.circuit.retrying(Instant::now()) {
            EngineStatus::Retrying { reason, retry_in }
        } else if self.tracked.is_empty() {
            EngineStatus::Idle
        } else {
            EngineStatus::Polling {
                running: self.tracked.len(),
                in_flight: self.in_flight,
            }
        };
        if self.last_status.as_ref() != Some(&status) {
            self.last_status = Some(status.clone());
            self.emit(EngineEvent::Status(status));
        }
    }
}
