//! Shared test harness: a real sandbox on loopback, a real SQLite store in
//! a temp dir, and the real engine with a fast poll policy.
#![allow(dead_code)]

pub mod capture;
pub mod clips;
pub mod ffmpeg;
pub mod home;
pub mod hostile_api;
pub mod judge;
pub mod live_loop;
pub mod mini_api;
pub mod player;
pub mod riff;
pub mod shapes_api;
pub mod takes_api;
pub mod tmux;
pub mod video_host;
pub mod wav;

use klang::api::{ApiClient, ApiKey, ClientOptions, CreateRequest, SoundEffectsParams};
use klang::engine::{Engine, EngineConfig, EngineEvent, PollPolicy};
use klang::sandbox::{self, SandboxConfig, SandboxHandle};
use klang::store::{Store, TaskRecord};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Shows the dashboard's times in UTC, for the screens compared with
/// snapshots. Called first by every such test; the zone is set once.
pub fn utc() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: the test binary's only environment write, done once. Rust's
    // own reads of the environment (chrono's zone, Command's PATH) hold
    // std's environment lock, which set_var takes too; no test thread
    // reads the environment from C.
    ONCE.call_once(|| unsafe { std::env::set_var("TZ", "UTC") });
}

pub async fn sandbox(pending_ms: u64, processing_ms: u64) -> SandboxHandle {
    sandbox::start(SandboxConfig {
        pending_ms,
        processing_ms,
        ..Default::default()
    })
    .await
    .expect("sandbox starts")
}

pub fn client(base_url: &str, key: &str) -> ApiClient {
    ApiClient::new(base_url, ApiKey::new(key), &ClientOptions::default()).expect("client")
}

pub fn fast_policy() -> PollPolicy {
    PollPolicy {
        first: Duration::from_millis(100),
        max_interval: Duration::from_millis(300),
        with_callback: Duration::from_secs(5),
        growth: 1.5,
        backoff_first: Duration::from_millis(200),
        backoff_max: Duration::from_secs(1),
        lost_after_404s: 3,
        lease: Duration::from_secs(45),
        // Time runs ~30x faster here: so does the budget.
        max_per_second: 1000,
    }
}

pub fn sfx(prompt: &str, duration: &str) -> CreateRequest {
    CreateRequest::SoundEffects(SoundEffectsParams {
        prompt: prompt.into(),
        duration: duration.into(),
        callback_url: None,
    })
}

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub store: Arc<Store>,
    pub engine: Engine,
    pub events: mpsc::UnboundedReceiver<EngineEvent>,
}

impl Harness {
    pub fn start(base_url: &str, key: &str) -> Harness {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(Store::open(&dir.path().join("tasks.db")).expect("store"));
        Self::on_store(dir, store, base_url, key)
    }

    /// A new engine on an existing store (a restart).
    pub fn on_store(
        dir: tempfile::TempDir,
        store: Arc<Store>,
        base_url: &str,
        key: &str,
    ) -> Harness {
        Self::configured(dir, store, base_url, key, |_| {})
    }

    /// Like [`Harness::start`], with the engine config adjusted first.
    pub fn start_with(
        base_url: &str,
        key: &str,
        adjust: impl FnOnce(&mut EngineConfig),
    ) -> Harness {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(Store::open(&dir.path().join("tasks.db")).expect("store"));
        Self::configured(dir, store, base_url, key, adjust)
    }

    /// A new engine on an existing store, with the engine config adjusted.
    pub fn configured(
        dir: tempfile::TempDir,
        store: Arc<Store>,
        base_url: &str,
        key: &str,
        adjust: impl FnOnce(&mut EngineConfig),
    ) -> Harness {
        let (tx, events) = mpsc::unbounded_channel();
        let mut config = EngineConfig::new(dir.path().join("downloads"));
        config.poll = fast_policy();
        config.store_watch_interval = Duration::from_millis(100);
        adjust(&mut config);
        let engine = Engine::start(
            client(base_url, key),
            store.clone(),
            config,
            Arc::new(move |e| {
                let _ = tx.send(e);
            }),
        );
        Harness {
            dir,
            store,
            engine,
            events,
        }
    }

    /// Waits (up to 20 s) until task `id` matches, reading the store after
    /// each event.
    pub async fn wait_task(&mut self, id: i64, pred: impl Fn(&TaskRecord) -> bool) -> TaskRecord {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let record = self.store.get(id).expect("task row");
            if pred(&record) {
                return record;
            }
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(_)) => {}
                Ok(None) => panic!("engine stopped"),
                Err(_) => panic!("task {id} never matched; last seen {record:?}"),
            }
        }
    }

    /// Waits until any of `ids` satisfies `pred` (after each event, as
    /// [`Harness::wait_task`]), returning that record.
    pub async fn wait_any(
        &mut self,
        ids: &[i64],
        pred: impl Fn(&TaskRecord) -> bool,
    ) -> TaskRecord {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let records: Vec<TaskRecord> = ids
                .iter()
                .map(|&id| self.store.get(id).expect("task row"))
                .collect();
            if let Some(found) = records.into_iter().find(|r| pred(r)) {
                return found;
            }
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(_)) => {}
                Ok(None) => panic!("engine stopped"),
                Err(_) => panic!("none of tasks {ids:?} matched"),
            }
        }
    }

    /// Waits for an event matching `pred`, returning it.
    pub async fn wait_event(&mut self, pred: impl Fn(&EngineEvent) -> bool) -> EngineEvent {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(e)) if pred(&e) => return e,
                Ok(Some(_)) => {}
                Ok(None) => panic!("engine stopped"),
                Err(_) => panic!("event never came"),
            }
        }
    }
}

/// Seconds of audio in a downloaded result (MP3 or WAV), decoded.
pub fn audio_seconds(path: &std::path::Path) -> f64 {
    klang::audio::analyse_file(path)
        .expect("a decodable audio file")
        .stats
        .duration_s
}
