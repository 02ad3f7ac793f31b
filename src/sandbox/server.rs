//! Routes, shared state and the request handlers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::conn::ConnReset;
use super::faults::{self, Fault};
use super::taskid::TaskId;
use super::tasks::{self, Phase, Timings};
use super::{
    AudioFormat, Faults, SANDBOX_KEY, SANDBOX_KEY_NO_CREDITS, SandboxConfig, SandboxStats,
};
use super::{audio, callback, mp3, speech, validate, video_fetch};

#[derive(Default)]
pub struct Stats {
    pub creates: AtomicU64,
    pub refused: AtomicU64,
    pub queries: AtomicU64,
    pub file_requests: AtomicU64,
    pub faults_injected: AtomicU64,
    pub callbacks_sent: AtomicU64,
    pub callbacks_acknowledged: AtomicU64,
    pub unauthorized: AtomicU64,
    pub file_requests_with_auth: AtomicU64,
}

pub fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Stats {
    pub fn snapshot(&self) -> SandboxStats {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        SandboxStats {
            creates: g(&self.creates),
            refused: g(&self.refused),
            queries: g(&self.queries),
            file_requests: g(&self.file_requests),
            faults_injected: g(&self.faults_injected),
            callbacks_sent: g(&self.callbacks_sent),
            callbacks_acknowledged: g(&self.callbacks_acknowledged),
            unauthorized: g(&self.unauthorized),
            file_requests_with_auth: g(&self.file_requests_with_auth),
        }
    }
}

/// TTS tasks whose pauses a sandbox remembers.
const MAX_REMEMBERED: usize = 100_000;

pub struct Shared {
    pub timings: Timings,
    pub base_url: String,
    pub stats: Stats,
    pub cancel: CancellationToken,
    pub http: reqwest::Client,
    pub retry_window: Duration,
    pub duplicates: u32,
    pub audio_format: AudioFormat,
    faults: Mutex<Faults>,
    /// Seeded so a run with the same config injects the same faults.
    rng: Mutex<StdRng>,
    /// The last rendered file (by name): resumed downloads ask for the same
    /// one again.
    file_cache: Mutex<Option<(String, Arc<Vec<u8>>)>>,
    /// Where each TTS task's pauses fall (the text is not in its id);
    /// forgotten wholesale past [`MAX_REMEMBERED`] tasks.
    pauses: Mutex<std::collections::HashMap<String, Vec<u32>>>,
    /// Fetches of video-to-audio creates' `video_url`s, in the order done.
    pub video_fetches: tokio::sync::watch::Sender<Vec<video_fetch::VideoFetch>>,
    pub video_http: reqwest::Client,
    /// Video-to-audio tasks whose video is being fetched: their audio
    /// waits for its length.
    video_fetching: Mutex<std::collections::HashSet<String>>,
}

/// A poisoned lock only means another request panicked; the data (rates, an
/// RNG, a cache) is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn new(
        config: &SandboxConfig,
        base_url: String,
        cancel: CancellationToken,
    ) -> std::io::Result<Self> {
        let http = reqwest::Client::builder()
            // Callbacks mostly go to local receivers; a proxy from the
            // environment would only get in the way.
            .no_proxy()
            .connect_timeout(callback::ATTEMPT_TIMEOUT)
            .tls_backend_preconfigured(crate::tls::client_config().map_err(std::io::Error::other)?)
            .build()
            .map_err(std::io::Error::other)?;
        Ok(Self {
            timings: Timings {
                pending_ms: config.pending_ms,
                processing_ms: config.processing_ms,
            },
            base_url,
            stats: Stats::default(),
            cancel,
            http,
            retry_window: config.callback_retry_window,
            duplicates: config.callback_duplicates,
            audio_format: config.audio_format,
            faults: Mutex::new(config.faults()),
            rng: Mutex::new(StdRng::seed_from_u64(config.seed)),
            file_cache: Mutex::new(None),
            pauses: Mutex::default(),
            video_fetches: tokio::sync::watch::Sender::new(Vec::new()),
            video_http: video_fetch::client()?,
            video_fetching: Mutex::default(),
        })
    }

    pub(super) fn fetching(&self, task_id: &str, running: bool) {
        let mut set = lock(&self.video_fetching);
        if running {
            set.insert(task_id.to_string());
        } else {
            set.remove(task_id);
        }
    }

    /// How long a video-to-audio task's audio lasts: its video's length
    /// once fetched (waiting up to 10 s for a fetch under way), else what
    /// its id says.
    async fn v2a_audio_cs(&self, task_id: &str, fallback: u32) -> u32 {
        let mut seen = self.video_fetches.subscribe();
        let waited = tokio::time::timeout(Duration::from_secs(10), async {
            let recorded =
                |all: &[video_fetch::VideoFetch]| all.iter().any(|f| f.task_id == task_id);
            while lock(&self.video_fetching).contains(task_id)
                && !recorded(&self.video_fetches.borrow())
            {
                if seen.changed().await.is_err() {
                    break;
                }
            }
        })
        .await;
        if waited.is_err() {
            tracing::debug!(%task_id, "sandbox: the video fetch took over 10 s; the audio lasts 5 s");
        }
        self.video_fetches
            .borrow()
            .iter()
            .rfind(|f| f.task_id == task_id)
            .and_then(|f| f.duration_ms)
            .map_or(fallback, |ms| {
                u32::try_from(ms / 10).unwrap_or(fallback).max(1)
            })
    }

    fn remember_pauses(&self, task_id: &str, pauses: Vec<u32>) {
        let mut map = lock(&self.pauses);
        if map.len() >= MAX_REMEMBERED {
            map.clear();
        }
        map.insert(task_id.to_string(), pauses);
    }

    fn pauses_of(&self, task_id: &str) -> Vec<u32> {
        lock(&self.pauses).get(task_id).cloned().unwrap_or_default()
    }

    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.faults) = faults;
    }

    /// Latency, then the fault decision for one API request.
    async fn prelude(&self) -> Option<Fault> {
        let faults = *lock(&self.faults);
        if faults.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
        }
        let fault = faults::pick(&faults, &mut lock(&self.rng));
        if let Some(f) = fault {
            bump(&self.stats.faults_injected);
            tracing::debug!(fault = ?f, "sandbox: injecting fault");
        }
        fault
    }

    fn coin(&self) -> bool {
        lock(&self.rng).random_bool(0.5)
    }
}

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v1/audio/generations", post(create).get(query))
        .route("/files/{name}", get(file))
        .fallback(not_found)
        .with_state(shared)
}

pub fn envelope(status: StatusCode, msg: &str, data: Value) -> Response {
    (
        status,
        axum::Json(json!({"code": status.as_u16(), "msg": msg, "data": data})),
    )
        .into_response()
}

fn bad_request(msg: &str) -> Response {
    envelope(StatusCode::BAD_REQUEST, msg, Value::Null)
}

async fn not_found() -> Response {
    envelope(StatusCode::NOT_FOUND, "Not found", Value::Null)
}

enum Account {
    Funded,
    NoCredits,
}

/// `None` (counted) for a missing or unknown key; answer with `unauthorized()`.
fn auth(shared: &Shared, headers: &HeaderMap) -> Option<Account> {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        });
    match key {
        Some(SANDBOX_KEY) => Some(Account::Funded),
        Some(SANDBOX_KEY_NO_CREDITS) => Some(Account::NoCredits),
        _ => {
            bump(&shared.stats.unauthorized);
            None
        }
    }
}

fn unauthorized() -> Response {
    envelope(StatusCode::UNAUTHORIZED, "Invalid API key", Value::Null)
}

async fn create(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnReset>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match shared.prelude().await {
        None => create_task(&shared, &headers, &body),
        Some(Fault::Reset) => {
            // The realistic ambiguous case: the client cannot tell whether the
            // task was created before the connection died, so sometimes it was.
            if shared.coin() {
                let _ = create_task(&shared, &headers, &body);
                tracing::debug!("sandbox: reset after creating the task");
            }
            conn.trigger();
            faults::response(Fault::Reset)
        }
        // Any other fault answers before the task exists: a retried create
        // must not be charged twice.
        Some(f) => faults::response(f),
    }
}

fn create_task(shared: &Arc<Shared>, headers: &HeaderMap, body: &[u8]) -> Response {
    match auth(shared, headers) {
        None => return unauthorized(),
        Some(Account::NoCredits) => {
            return envelope(
                StatusCode::PAYMENT_REQUIRED,
                "Insufficient credits",
                Value::Null,
            );
        }
        Some(Account::Funded) => {}
    }
    let params: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => {
            bump(&shared.stats.refused);
            return bad_request("request body must be a JSON object");
        }
    };
    let spec = match validate::validate(&params) {
        Ok(s) => s,
        Err(msg) => {
            bump(&shared.stats.refused);
            return bad_request(&msg);
        }
    };
    // The sound follows the prompt; the low bits vary it per task.
    let seed = mp3::Texture::for_request(&params).seed(rand::rng().random_range(0..1 << 24));
    let mut audio_cs = spec.audio_cs;
    let mut pauses = Vec::new();
    if spec.model == super::taskid::Model::Tts {
        // Speech comes with silence at both ends and pauses inside.
        let edges = speech::Edges::from_seed(seed);
        audio_cs = audio_cs.saturating_add(edges.lead_cs + edges.trail_cs);
        let text = params.get("text").and_then(Value::as_str).unwrap_or("");
        let speed = params.get("voice_speed").and_then(Value::as_f64);
        pauses = speech::pause_starts(text, speed, edges);
    }
    let id = TaskId {
        created_ms: tasks::now_ms(),
        model: spec.model,
        fail: spec.fail,
        audio_cs,
        seed,
    };
    let task_id = id.encode();
    if !pauses.is_empty() {
        shared.remember_pauses(&task_id, pauses);
    }
    bump(&shared.stats.creates);
    tracing::debug!(%task_id, model = spec.model.name(), fail = spec.fail, "sandbox: task created");
    if spec.model == super::taskid::Model::VideoToAudio
        && let Some(url) = params.get("video_url").and_then(Value::as_str)
    {
        video_fetch::start(shared.clone(), task_id.clone(), url.to_string());
    }
    if let Some(url) = spec.callback_url {
        callback::schedule(shared.clone(), task_id.clone(), id, params, url);
    }
    envelope(
        StatusCode::OK,
        "success",
        json!({"taskId": task_id, "state": "pending", "model": spec.model.qualified()}),
    )
}

async fn query(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnReset>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    match shared.prelude().await {
        None => {}
        Some(f) => {
            if f == Fault::Reset {
                conn.trigger();
            }
            return faults::response(f);
        }
    }
    if auth(&shared, &headers).is_none() {
        return unauthorized();
    }
    bump(&shared.stats.queries);
    tracing::debug!("sandbox: query answered");
    let task_id = raw.as_deref().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "task_id")
            .map(|(_, v)| v.into_owned())
    });
    let Some(task_id) = task_id.filter(|t| !t.is_empty()) else {
        return bad_request("task_id is required");
    };
    let Some(id) = TaskId::decode(&task_id) else {
        return envelope(StatusCode::NOT_FOUND, "Task not found", Value::Null);
    };
    let data = tasks::query_data(
        &task_id,
        &id,
        tasks::now_ms(),
        shared.timings,
        (&shared.base_url, shared.audio_format.extension()),
    );
    envelope(StatusCode::OK, "success", data)
}

/// The "CDN": public, no auth, no faults.
async fn file(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    bump(&shared.stats.file_requests);
    let with_auth = headers.contains_key(header::AUTHORIZATION);
    if with_auth {
        bump(&shared.stats.file_requests_with_auth);
    }
    tracing::debug!(%name, authorization_header = with_auth, "sandbox: file request");
    let not_found = || (StatusCode::NOT_FOUND, "file not found").into_response();
    // Both formats are served whatever the config, so a task created by a
    // sandbox in the other mode still downloads.
    let (task_id, format) = if let Some(t) = name.strip_suffix(".mp3") {
        (t, AudioFormat::Mp3)
    } else if let Some(t) = name.strip_suffix(".wav") {
        (t, AudioFormat::Wav)
    } else {
        return not_found();
    };
    let Some(id) = TaskId::decode(task_id) else {
        return not_found();
    };
    // Like a CDN, the object only exists once the task has completed.
    if tasks::phase_at(&id, tasks::now_ms(), shared.timings) != Phase::Completed {
        return not_found();
    }
    let cached = lock(&shared.file_cache)
        .as_ref()
        .filter(|(k, _)| *k == name)
        .map(|(_, b)| b.clone());
    let bytes = match cached {
        Some(b) => b,
        None => {
            let mut id = id;
            if id.model == super::taskid::Model::VideoToAudio {
                id.audio_cs = shared.v2a_audio_cs(task_id, id.audio_cs).await;
            }
            // Up to ~160 s of audio: keep the synthesis off the async workers.
            let shape = (id.model == super::taskid::Model::Tts).then(|| speech::Shape {
                edges: speech::Edges::from_seed(id.seed),
                audio_cs: id.audio_cs,
                pauses: shared.pauses_of(task_id),
            });
            let rendered = tokio::task::spawn_blocking(move || match format {
                AudioFormat::Mp3 => Ok(mp3::render_shaped(id.seed, id.audio_cs, shape.as_ref())),
                AudioFormat::Wav => audio::render_wav_shaped(
                    id.seed,
                    audio::sample_count(id.audio_cs),
                    shape.as_ref(),
                ),
            })
            .await;
            match rendered {
                Ok(Ok(b)) => {
                    let b = Arc::new(b);
                    *lock(&shared.file_cache) = Some((name.clone(), b.clone()));
                    b
                }
                Ok(Err(err)) => {
                    tracing::error!(%err, "sandbox: WAV synthesis failed");
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                }
                Err(err) => {
                    tracing::error!(%err, "sandbox: audio synthesis task failed");
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                }
            }
        }
    };
    let content_type = match format {
        AudioFormat::Mp3 => "audio/mpeg",
        AudioFormat::Wav => "audio/wav",
    };
    audio::file_response(&bytes, &headers, content_type)
}
