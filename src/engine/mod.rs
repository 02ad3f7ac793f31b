//! The engine: submits tasks, polls every unfinished one, downloads results,
//! and reports every change as an [`EngineEvent`] to whoever listens (the
//! TUI's message queue, or the CLI waiting for a result). It knows nothing
//! of the terminal.

mod analysis;
pub mod callbacks;
mod circuit;
pub mod discard;
pub mod download;
mod events;
mod guarded_listener;
mod in_flight;
mod learned;
pub mod media;
mod poll;
mod scheduler;
pub mod spectrograms;
mod spend;
mod transfers;

pub use analysis::analyse_and_store;
pub use events::{DownloadEvent, EngineEvent, EngineStatus, EventSink};
pub use poll::PollPolicy;
pub use spend::check as check_budget;

use crate::api::{ApiClient, CreateRequest, ValidationError};
use crate::budget::{Budget, OverBudget, Today};
use crate::store::{BatchTag, Inserted, Intent, Store, StoreError, TaskRecord};
use spend::SpendMeter;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Poll requests in flight at once.
    pub max_in_flight: usize,
    /// Downloads running at once.
    pub max_downloads: usize,
    pub poll: PollPolicy,
    /// Where `download` puts files unless told otherwise.
    pub download_dir: PathBuf,
    /// How often to look for rows another klang process wrote.
    pub store_watch_interval: Duration,
    /// Spending caps every submit is checked against.
    pub budget: Budget,
    /// A task whose server keeps reporting a state klang does not know is
    /// asked at the slow rate, then given up (marked lost) after this.
    pub give_up_unknown_after: Duration,
    /// Download each result as soon as its task completes (the dashboard;
    /// headless commands download only when asked).
    pub auto_download: bool,
    /// Measure each downloaded file at once (the dashboard shows the
    /// figures); otherwise they are made on first need (`show`, `analyze`,
    /// the details), so `klang download` costs what the transfer costs.
    pub measure_downloads: bool,
}

impl EngineConfig {
    pub fn new(download_dir: PathBuf) -> EngineConfig {
        EngineConfig {
            max_in_flight: 8,
            max_downloads: 3,
            poll: PollPolicy::default(),
            download_dir,
            store_watch_interval: Duration::from_secs(1),
            budget: Budget::default(),
            give_up_unknown_after: Duration::from_secs(3600),
            auto_download: false,
            measure_downloads: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("{0}; nothing was sent")]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    OverBudget(#[from] OverBudget),
    #[error("the engine has stopped; restart klang")]
    Stopped,
    #[error("count must be 1 to {MAX_VARIATIONS}, got {0}; nothing was sent")]
    Count(usize),
    #[error(
        "a video file is served to the provider by klang's callback receiver, and none runs: give --callback-listen and --callback-url; nothing was sent"
    )]
    NoReceiver,
    /// A clip on disk that cannot be sent (changed, gone, out of limits).
    #[error("{0}; nothing was sent")]
    Media(String),
}

/// How long a submitting row is held by its process's lease; the create's
/// answer (or the process's exit) settles it long before.
const SUBMIT_HOLD: Duration = Duration::from_secs(120);

/// Most variations one submit makes.
pub const MAX_VARIATIONS: usize = 8;

/// What `submit_tagged` wrote.
enum Submitted {
    New(Vec<i64>),
    Existing(Box<TaskRecord>),
}

/// What submitting one batch line did.
#[derive(Debug)]
pub enum LineSubmit {
    /// A new task; its create request is on its way.
    New(i64),
    /// A task was already created from this line earlier: nothing sent.
    Existing(Box<TaskRecord>),
}

pub(crate) enum Command {
    /// A task row exists; send its create request.
    Create {
        id: i64,
        request: CreateRequest,
    },
    /// Poll this task now (a callback arrived, or the user asked).
    Refresh {
        id: i64,
    },
    RefreshTaskId {
        task_id: String,
    },
    /// A callback on row `id`'s own path.
    TaskCallback {
        id: i64,
        task_id: String,
    },
    Download {
        id: i64,
        dir: Option<PathBuf>,
    },
    DownloadAll,
    /// Lift a pause caused by a 401 or 402.
    Resume,
    Shutdown,
}

/// The callback URL of row `id`: the receiver's base plus the row's id.
pub fn task_callback_url(base: &str, id: i64) -> String {
    format!("{}/{id}", base.trim_end_matches('/'))
}

/// A handle on the running engine. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    commands: mpsc::UnboundedSender<Command>,
    store: Arc<Store>,
    downloads_running: Arc<AtomicUsize>,
    sink: EventSink,
    /// klang's own callback URL while its receiver runs.
    callback_url: Arc<std::sync::RwLock<Option<String>>>,
    /// The receiver's public base URL, which serves clips on disk.
    media_base: Arc<std::sync::RwLock<Option<String>>>,
    media_cache: Arc<media::MediaCache>,
    /// This engine's name in poll leases (see `Store::claim_poll`).
    owner: Arc<str>,
    spend: SpendMeter,
    analyser: analysis::Analyser,
    spectrographer: spectrograms::Spectrographer,
}

impl Engine {
    /// Starts the engine on the current tokio runtime. It resumes every
    /// unfinished task in the store at once.
    pub fn start(
        client: ApiClient,
        store: Arc<Store>,
        config: EngineConfig,
        sink: EventSink,
    ) -> Engine {
        let (commands, receiver) = mpsc::unbounded_channel();
        let downloads_running = Arc::new(AtomicUsize::new(0));
        let analyser = analysis::Analyser::default();
        let owner: Arc<str> =
            Arc::from(format!("{}-{}", std::process::id(), callbacks::new_token()));
        let spend = SpendMeter::new(store.clone(), config.budget, sink.clone());
        let engine = Engine {
            commands,
            spend: spend.clone(),
            store: store.clone(),
            downloads_running: downloads_running.clone(),
            sink: sink.clone(),
            callback_url: Arc::default(),
            media_base: Arc::default(),
            media_cache: Arc::default(),
            owner: owner.clone(),
            analyser: analyser.clone(),
            spectrographer: spectrograms::Spectrographer::default(),
        };
        scheduler::spawn(scheduler::Parts {
            client,
            store,
            config,
            sink,
            commands: receiver,
            downloads_running,
            owner,
            spend,
            analyser,
        });
        engine
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Validates, checks the budget, writes the task to the store, and
    /// sends the create request in the background. Returns the local id at
    /// once; the row is visible before any byte leaves. Every submit
    /// (dashboard, `submit`, `batch`, resubmit, variations) comes through
    /// `submit_tagged`.
    pub fn submit(&self, request: CreateRequest) -> Result<i64, SubmitError> {
        let ids = self.submit_variations(request, 1)?;
        ids.first().copied().ok_or(SubmitError::Stopped)
    }

    /// Submits `count` tasks with the same parameters (takes of one
    /// prompt). More than one share a new group id. Every row is written
    /// before the first request leaves; the budget must cover all of them.
    pub fn submit_variations(
        &self,
        request: CreateRequest,
        count: usize,
    ) -> Result<Vec<i64>, SubmitError> {
        if !(1..=MAX_VARIATIONS).contains(&count) {
            return Err(SubmitError::Count(count));
        }
        match self.submit_tagged(request, None, count, None)? {
            Submitted::New(ids) => Ok(ids),
            Submitted::Existing(record) => Ok(vec![record.id]),
        }
    }

    /// Submits one batch line, unless a task was already created from it
    /// (same key): the key is written in the same transaction as the row,
    /// before the request is sent, so a killed run never pays twice.
    pub fn submit_batch_line(
        &self,
        request: CreateRequest,
        tag: &BatchTag,
    ) -> Result<LineSubmit, SubmitError> {
        Ok(match self.submit_tagged(request, Some(tag), 1, None)? {
            Submitted::New(ids) => {
                LineSubmit::New(ids.first().copied().ok_or(SubmitError::Stopped)?)
            }
            Submitted::Existing(record) => LineSubmit::Existing(record),
        })
    }

    fn submit_tagged(
        &self,
        mut request: CreateRequest,
        batch: Option<&BatchTag>,
        count: usize,
        media: Option<&media::Plan<'_>>,
    ) -> Result<Submitted, SubmitError> {
        if let Some(url) = self.callback_url() {
            request.set_callback_url(Some(url));
        }
        request.validate()?;
        // A create costs money: never send one whose task could not be kept.
        self.store.ensure_at_path()?;
        let group = (count > 1).then(crate::store::new_group_id);
        let intent = Intent {
            request: &request,
            has_callback: request.callback_url().is_some(),
            batch,
            count,
            group_id: group.as_deref(),
        };
        let ids = match self.spend.insert(&intent)? {
            Inserted::New(ids) => ids,
            Inserted::Existing(record) => return Ok(Submitted::Existing(record)),
            Inserted::OverBudget(over) => return Err(SubmitError::OverBudget(over)),
        };
        for &id in &ids {
            // The row names its process until the create answers, so a
            // later start knows at once whether anyone still waits for it.
            if let Err(e) = self.store.claim_poll(id, &self.owner, SUBMIT_HOLD) {
                tracing::warn!("holding task {id} while submitting: {e}");
            }
            if let Ok(record) = self.store.get(id) {
                (self.sink)(EngineEvent::TaskChanged(Box::new(record)));
            }
        }
        for (index, &id) in ids.iter().enumerate() {
            let mut request = request.clone();
            if let Some(plan) = media {
                // Its own token, kept before the create leaves.
                plan.attach(&self.store, index, id, &mut request)?;
            }
            if let Some(url) = request
                .callback_url()
                .map(|base| task_callback_url(base, id))
            {
                // Its own path: a callback names the row even when the
                // create's answer (and so the task id) is lost.
                self.store.set_callback_url(id, &url)?;
                request.set_callback_url(Some(url));
            }
            self.commands
                .send(Command::Create { id, request })
                .map_err(|_| SubmitError::Stopped)?;
        }
        Ok(Submitted::New(ids))
    }

    /// The caps in force.
    pub fn budget(&self) -> Budget {
        self.spend.budget()
    }

    /// Refuses if spending `cost` more now would pass a cap (a batch checks
    /// its whole file this way before sending anything; each line is still
    /// checked again as it goes).
    pub fn check_budget(&self, cost: f64) -> Result<(), SubmitError> {
        self.spend.check(cost)?.map_err(SubmitError::OverBudget)
    }

    /// Today's spend against the daily cap, when one is set. In memory;
    /// refreshed whenever a task changes.
    pub fn today(&self) -> Option<Today> {
        self.spend.today()
    }

    /// Submits a new task with the same parameters as `id`.
    pub fn resubmit(&self, id: i64) -> Result<i64, SubmitError> {
        let mut params = self.store.get(id)?.params;
        // An old run's callback address may be dead; use today's, if any.
        params.set_callback_url(None);
        if let Some(clip) = self.store.media_for_task(id)? {
            return self.resubmit_media(params, &clip);
        }
        self.submit(params)
    }

    /// Every later submit carries this callback URL (the receiver's public
    /// address); tasks with one are polled only as a slow fallback.
    pub fn set_callback_url(&self, url: Option<String>) {
        if let Ok(mut slot) = self.callback_url.write() {
            *slot = url;
        }
    }

    pub fn callback_url(&self) -> Option<String> {
        self.callback_url.read().ok().and_then(|u| u.clone())
    }

    pub fn refresh(&self, id: i64) {
        let _ = self.commands.send(Command::Refresh { id });
    }

    /// A callback named this task: query it now (a callback is a hint,
    /// never proof of a result).
    pub fn refresh_task_id(&self, task_id: &str) {
        let _ = self.commands.send(Command::RefreshTaskId {
            task_id: task_id.to_string(),
        });
    }

    /// A callback arrived on row `id`'s own path naming `task_id`: query
    /// it now, and if the row lost its create's answer (`submit-unknown`)
    /// and the API confirms the task, attach the task id to the row.
    pub fn task_callback(&self, id: i64, task_id: &str) {
        let _ = self.commands.send(Command::TaskCallback {
            id,
            task_id: task_id.to_string(),
        });
    }

    pub fn download(&self, id: i64, dir: Option<PathBuf>) {
        let _ = self.commands.send(Command::Download { id, dir });
    }

    /// Downloads every completed task that has no local file yet.
    pub fn download_all(&self) {
        let _ = self.commands.send(Command::DownloadAll);
    }

    /// Decodes and measures task `id`'s downloaded file in the background
    /// (a file downloaded before klang measured files, say); the result
    /// arrives as [`EngineEvent::AudioAnalysed`].
    pub fn analyse(&self, id: i64) {
        self.analyser
            .start(self.store.clone(), self.sink.clone(), id);
    }

    /// Computes task `id`'s spectrogram in the background; it arrives as
    /// [`EngineEvent::Spectrogram`].
    pub fn spectrogram(&self, id: i64) {
        self.spectrographer
            .start(self.store.clone(), self.sink.clone(), id);
    }

    pub fn resume(&self) {
        let _ = self.commands.send(Command::Resume);
    }

    pub fn downloads_running(&self) -> usize {
        self.downloads_running.load(Ordering::SeqCst)
    }

    /// Stops polling and hands this engine's tasks to any other klang
    /// process on the same store; unfinished tasks resume at the next start.
    pub fn shutdown(&self) {
        let _ = self.commands.send(Command::Shutdown);
        // Done here, not in the loop: the runtime may stop before the loop
        // sees the command.
        if let Err(e) = self.store.release_polls(&self.owner) {
            tracing::warn!("releasing poll leases: {e}");
        }
    }
}
