//! The downloader's test file host: a real HTTP server on loopback with
//! the misbehaviours CDNs have (no Range, cut-off bodies, stalls, redirects),
//! plus the task records and helpers the download tests share.
#![allow(dead_code)]

pub use crate::common::wav;

use axum::Router;
use axum::body::Body;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use klang::api::{CreateRequest, SoundEffectsParams};
use klang::engine::download::{DownloadError, Downloader};
use klang::store::{LocalState, TaskRecord};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Noon UTC on 2026-11-24.
pub const NOON: i64 = 1_795_521_600_000;

/// `rest` after the local date of NOON, as names start: no fixed zone can
/// be assumed (UTC+13 is already the 25th).
pub fn named(rest: &str) -> String {
    use chrono::TimeZone;
    let day = chrono::Local.timestamp_millis_opt(NOON).earliest().unwrap();
    format!("{}_{rest}", day.format("%Y-%m-%d"))
}
/// Bytes the cut-off route sends before failing.
pub const CUT_AT: usize = 100_000;

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub range: Option<String>,
    pub authorization: bool,
    pub cookie: bool,
}

pub struct Server {
    pub base: String,
    pub data: Arc<Vec<u8>>,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn seen_at(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }

    /// Every test ends here: no credential ever reached the file host.
    pub fn assert_no_credentials(&self) {
        for s in self.seen() {
            assert!(!s.authorization, "Authorization sent to {}", s.path);
            assert!(!s.cookie, "Cookie sent to {}", s.path);
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub data: Arc<Vec<u8>>,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub cut_requests: Arc<AtomicUsize>,
}

impl AppState {
    pub fn record(&self, uri: &Uri, headers: &HeaderMap) -> Option<String> {
        let range = headers
            .get(header::RANGE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        self.seen.lock().unwrap().push(Seen {
            path: uri.path().to_string(),
            range: range.clone(),
            authorization: headers.contains_key(header::AUTHORIZATION),
            cookie: headers.contains_key(header::COOKIE),
        });
        range
    }
}

/// Honours `Range: bytes=N-` the way a CDN does.
pub fn ranged(data: &[u8], range: Option<&str>, content_type: &'static str) -> Response {
    let len = data.len();
    let start = range
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<usize>().ok());
    match start {
        Some(n) if n >= len => (
            StatusCode::RANGE_NOT_SATISFIABLE,
            [(header::CONTENT_RANGE, format!("bytes */{len}"))],
        )
            .into_response(),
        Some(n) => (
            StatusCode::PARTIAL_CONTENT,
            [
                (
                    header::CONTENT_RANGE,
                    format!("bytes {n}-{}/{len}", len - 1),
                ),
                (header::CONTENT_TYPE, content_type.to_string()),
            ],
            data[n..].to_vec(),
        )
            .into_response(),
        None => (
            [(header::CONTENT_TYPE, content_type.to_string())],
            data.to_vec(),
        )
            .into_response(),
    }
}

pub async fn files(State(s): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let range = s.record(&uri, &headers);
    ranged(&s.data, range.as_deref(), "audio/mpeg")
}

/// Ignores Range and always sends the whole file, as many servers do.
pub async fn no_range(State(s): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    s.record(&uri, &headers);
    ([(header::CONTENT_TYPE, "audio/x-wav")], s.data.to_vec()).into_response()
}

pub async fn missing(State(s): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    s.record(&uri, &headers);
    StatusCode::NOT_FOUND.into_response()
}

/// The first request dies after CUT_AT bytes (the connection drops with
/// the body unfinished); later ones honour Range.
pub async fn cut(State(s): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let range = s.record(&uri, &headers);
    if s.cut_requests.fetch_add(1, Ordering::SeqCst) > 0 {
        return ranged(&s.data, range.as_deref(), "audio/mpeg");
    }
    let head = Bytes::copy_from_slice(&s.data[..CUT_AT]);
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(head) }).chain(
        futures::stream::once(async {
            // Let the first bytes reach the client before the failure.
            tokio::time::sleep(Duration::from_millis(150)).await;
            Err(std::io::Error::other("cut"))
        }),
    );
    Response::builder()
        .header(header::CONTENT_LENGTH, s.data.len())
        .header(header::CONTENT_TYPE, "audio/mpeg")
        .body(Body::from_stream(body))
        .unwrap()
}

/// Sends a little, then nothing, forever.
pub async fn stall(State(s): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    s.record(&uri, &headers);
    let head = Bytes::copy_from_slice(&s.data[..1000]);
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(head) })
        .chain(futures::stream::pending());
    Response::builder()
        .header(header::CONTENT_LENGTH, s.data.len())
        .body(Body::from_stream(body))
        .unwrap()
}

pub async fn redirect(State(s): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    s.record(&uri, &headers);
    (StatusCode::FOUND, [(header::LOCATION, "/files/moved.mp3")]).into_response()
}

pub async fn redirect_loop(State(s): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    s.record(&uri, &headers);
    (StatusCode::FOUND, [(header::LOCATION, "/loop")]).into_response()
}

pub async fn start() -> Server {
    let data: Arc<Vec<u8>> = Arc::new(wav::as_wav(
        (0..300_000u32)
            .map(|i| (i.wrapping_mul(31) ^ (i >> 8)) as u8)
            .collect(),
    ));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let state = AppState {
        data: data.clone(),
        seen: seen.clone(),
        cut_requests: Arc::new(AtomicUsize::new(0)),
    };
    let app = Router::new()
        .route("/files/{name}", get(files))
        .route("/norange/sound", get(no_range))
        .route("/missing.mp3", get(missing))
        .route("/cut/sound.mp3", get(cut))
        .route("/stall.mp3", get(stall))
        .route("/redirect", get(redirect))
        .route("/loop", get(redirect_loop))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Server {
        base: format!("http://{addr}"),
        data,
        seen,
    }
}

pub fn task(id: i64, prompt: &str, task_id: Option<&str>) -> TaskRecord {
    TaskRecord {
        id,
        task_id: task_id.map(str::to_string),
        state: LocalState::Completed,
        submitted_at: NOON,
        create_time: Some(NOON),
        complete_time: Some(NOON + 5000),
        audio_duration: Some(5.0),
        updated_at: NOON,
        ..TaskRecord::new(CreateRequest::SoundEffects(SoundEffectsParams {
            prompt: prompt.to_string(),
            duration: "5.0".into(),
            callback_url: None,
        }))
    }
}

/// Runs a fetch and returns its result with every progress call.
pub async fn fetch(
    downloader: &Downloader,
    task: &TaskRecord,
    url: &str,
    dir: &Path,
) -> (Result<PathBuf, DownloadError>, Vec<(u64, Option<u64>)>) {
    let mut calls = Vec::new();
    let mut progress = |bytes: u64, total: Option<u64>| calls.push((bytes, total));
    let result = downloader.fetch(task, url, dir, &mut progress).await;
    (result, calls)
}

/// Every path under `root`, relative, sorted.
pub fn tree(root: &Path) -> Vec<String> {
    pub fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            out.push(path.strip_prefix(root).unwrap().display().to_string());
            if path.symlink_metadata().unwrap().is_dir() {
                walk(root, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    if root.exists() {
        walk(root, root, &mut out);
    }
    out.sort();
    out
}
