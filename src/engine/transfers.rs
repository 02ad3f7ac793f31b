//! Downloads started by the engine: bounded in number, one per task at a
//! time, with progress events and one retry on a fresh URL when the old one
//! has gone stale.

use super::analysis::Analyser;
use super::download::{DownloadError, Downloader};
use super::{DownloadEvent, EngineConfig, EngineEvent, EventSink};
use crate::api::ApiClient;
use crate::store::{LocalState, Store, TaskRecord};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

#[derive(Clone)]
pub(super) struct Transfers {
    inner: Arc<Inner>,
}

struct Inner {
    client: ApiClient,
    store: Arc<Store>,
    /// Why there is no download client, when it could not be built.
    downloader: Result<Downloader, String>,
    sink: EventSink,
    default_dir: PathBuf,
    running: Arc<AtomicUsize>,
    slots: Semaphore,
    active: Mutex<HashSet<i64>>,
    analyser: Analyser,
    /// Measure each file once it is in (the dashboard, which shows the
    /// figures); headless commands leave it to the first `show`/`analyze`.
    measure: bool,
}

/// Decrements the running count however the download ends.
struct RunningGuard(Arc<Inner>, i64);

impl Drop for RunningGuard {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
        if let Ok(mut active) = self.0.active.lock() {
            active.remove(&self.1);
        }
    }
}

impl Transfers {
    pub fn new(
        client: ApiClient,
        store: Arc<Store>,
        downloader: Result<Downloader, String>,
        sink: EventSink,
        config: EngineConfig,
        running: Arc<AtomicUsize>,
        analyser: Analyser,
    ) -> Transfers {
        Transfers {
            inner: Arc::new(Inner {
                client,
                store,
                downloader,
                sink,
                default_dir: config.download_dir,
                running,
                slots: Semaphore::new(config.max_downloads.max(1)),
                active: Mutex::new(HashSet::new()),
                analyser,
                measure: config.measure_downloads,
            }),
        }
    }

    pub fn download(&self, id: i64, dir: Option<PathBuf>) {
        let inner = &self.inner;
        let record = match inner.store.get(id) {
            Ok(r) => r,
            Err(e) => return (inner.sink)(EngineEvent::Notice(e.to_string())),
        };
        if record.state != LocalState::Completed {
            let error = format!(
                "task {id} is {}: only completed tasks have a file to download",
                record.state
            );
            return (inner.sink)(EngineEvent::Download(DownloadEvent::Failed { id, error }));
        }
        {
            let Ok(mut active) = inner.active.lock() else {
                return;
            };
            if !active.insert(id) {
                return (inner.sink)(EngineEvent::Notice(format!(
                    "task {id} is already downloading"
                )));
            }
        }
        inner.running.fetch_add(1, Ordering::SeqCst);
        let guard = RunningGuard(inner.clone(), id);
        let dir = dir.unwrap_or_else(|| inner.default_dir.clone());
        let inner = inner.clone();
        tokio::spawn(async move {
            let _guard = guard;
            let Ok(_slot) = inner.slots.acquire().await else {
                return;
            };
            (inner.sink)(EngineEvent::Download(DownloadEvent::Started { id }));
            match run(&inner, record, &dir).await {
                Ok(path) => {
                    let finished = DownloadEvent::Finished { id, path };
                    (inner.sink)(EngineEvent::Download(finished));
                    if inner.measure {
                        // Measured right away, so the waveform follows the
                        // file (announced after it, which forgets the
                        // figures of any file before).
                        inner
                            .analyser
                            .start(inner.store.clone(), inner.sink.clone(), id);
                    }
                }
                Err(error) => {
                    let message = error.to_string();
                    if let Ok(Some(record)) = inner.store.set_last_error(id, &message) {
                        (inner.sink)(EngineEvent::TaskChanged(Box::new(record)));
                    }
                    let failed = DownloadEvent::Failed { id, error: message };
                    (inner.sink)(EngineEvent::Download(failed));
                }
            }
        });
    }

    /// Every completed task without a file on disk.
    pub fn download_all(&self) {
        let filter = crate::store::ListFilter {
            state: Some(LocalState::Completed),
            ..Default::default()
        };
        let records = match self.inner.store.list(&filter) {
            Ok(r) => r,
            Err(e) => return (self.inner.sink)(EngineEvent::Notice(e.to_string())),
        };
        let missing: Vec<i64> = records
            .iter()
            .filter(|r| !has_file(r))
            .map(|r| r.id)
            .collect();
        (self.inner.sink)(EngineEvent::Notice(format!(
            "downloading {} completed task(s) not yet on disk",
            missing.len()
        )));
        for id in missing {
            self.download(id, None);
        }
    }
}

/// True when the task's file is still where klang put it.
pub fn has_file(record: &TaskRecord) -> bool {
    record
        .local_path
        .as_deref()
        .is_some_and(|p| Path::new(p).is_file())
}

/// The task's file on disk when it is not audio (an error page saved by
/// an older klang, say: its first bytes, or its stored measurement, say it
/// does not decode): the next download replaces it.
fn broken_file(store: &Store, record: &TaskRecord) -> Option<PathBuf> {
    let path = PathBuf::from(record.local_path.as_deref()?);
    let meta = std::fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let head = crate::audio::sniff::file_head(&path).ok()?;
    if crate::audio::sniff::not_audio(&head, None).is_some() {
        return Some(path);
    }
    match store.analysis(record.id) {
        Ok(Some(stored)) if stored.is_for(record) && stored.outcome.is_err() => Some(path),
        _ => None,
    }
}

async fn run(inner: &Inner, record: TaskRecord, dir: &Path) -> Result<PathBuf, DownloadError> {
    let id = record.id;
    let url = record.first_url().ok_or(DownloadError::NoUrl)?.to_string();
    let broken = broken_file(&inner.store, &record);
    let result = fetch(inner, &record, &url, dir, broken.clone()).await;
    let path = match result {
        Err(e) if e.url_may_be_stale() && record.task_id.is_some() => {
            // Result URLs can expire; ask the API for the current one once.
            let task_id = record.task_id.clone().unwrap_or_default();
            let fresh = match inner.client.query(&task_id).await {
                Ok(status) => inner.store.apply_status(id, &status).ok().map(|a| a.after),
                Err(_) => None,
            };
            match fresh {
                Some(fresh) if fresh.first_url().is_some_and(|u| u != url) => {
                    let url = fresh.first_url().unwrap_or_default().to_string();
                    fetch(inner, &fresh, &url, dir, broken).await?
                }
                _ => return Err(e),
            }
        }
        other => other?,
    };
    let record = inner
        .store
        .set_local_path(id, &path)
        .map_err(|e| DownloadError::Io {
            dir: dir.display().to_string(),
            message: e.to_string(),
        })?;
    (inner.sink)(EngineEvent::TaskChanged(Box::new(record)));
    Ok(path)
}

async fn fetch(
    inner: &Inner,
    record: &TaskRecord,
    url: &str,
    dir: &Path,
    broken: Option<PathBuf>,
) -> Result<PathBuf, DownloadError> {
    let id = record.id;
    let sink = inner.sink.clone();
    let mut last: Option<Instant> = None;
    let mut progress = move |bytes: u64, total: Option<u64>| {
        // At most ten progress events a second reach the listener.
        let done = total.is_some_and(|t| bytes >= t);
        if done || last.is_none_or(|at| at.elapsed() >= Duration::from_millis(100)) {
            last = Some(Instant::now());
            sink(EngineEvent::Download(DownloadEvent::Progress {
                id,
                bytes,
                total,
            }));
        }
    };
    let downloader = inner
        .downloader
        .as_ref()
        .map_err(|e| DownloadError::Client(e.clone()))?;
    downloader
        .fetch_replacing(record, url, dir, broken, &mut progress)
        .await
}
