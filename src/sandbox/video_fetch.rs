//! For a video-to-audio create with a `video_url`, the sandbox fetches the
//! video as the provider would, once, in the background: at most 100 MB
//! and one byte, 60 s in all, 5 redirects. What it got (status, type,
//! size, SHA-256 of the bytes) is recorded for tests, which prove with it
//! that a URL served exactly the bytes of a file. The task's outcome does
//! not depend on it: tests give unreachable example URLs.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use sha2::{Digest, Sha256};

use super::server::Shared;

/// The provider's size limit, and so the most the sandbox reads.
pub const MAX_VIDEO_BYTES: u64 = 100_000_000;
const FETCH_TIMEOUT: Duration = Duration::from_secs(60);

/// What one fetch of a task's `video_url` got.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VideoFetch {
    pub task_id: String,
    pub url: String,
    /// The final answer's status; None when none came.
    pub status: Option<u16>,
    pub content_type: Option<String>,
    /// Body bytes read (the fetch stops past [`MAX_VIDEO_BYTES`]).
    pub bytes: u64,
    /// Hex SHA-256 of the bytes read.
    pub sha256: String,
    /// Why the fetch fell short, if it did.
    pub error: Option<String>,
    /// The video's length (its movie header's), when the whole file came
    /// and reads as MP4/MOV: the task's audio lasts as long, as the
    /// provider's does.
    pub duration_ms: Option<u64>,
}

/// The most of a video kept to read its length (a window klang cuts is
/// far smaller); a longer one is only hashed.
const KEEP_BYTES: usize = 16 << 20;

/// In-memory bytes as the box walker reads them.
struct Kept<'a>(&'a [u8]);

impl crate::video::locate::Ranges for Kept<'_> {
    async fn read(&mut self, start: u64, cap: usize) -> Result<Vec<u8>, crate::video::Refusal> {
        let from = usize::try_from(start)
            .unwrap_or(usize::MAX)
            .min(self.0.len());
        let to = from.saturating_add(cap).min(self.0.len());
        Ok(self.0[from..to].to_vec())
    }
}

/// The length of the MP4/MOV in `bytes`, if it reads as one.
async fn duration_ms(bytes: &[u8]) -> Option<u64> {
    let head = bytes[..bytes.len().min(crate::video::locate::HEAD_BYTES)].to_vec();
    let found = crate::video::locate::find_boxes(&mut Kept(bytes), head, bytes.len() as u64)
        .await
        .ok()?;
    let facts =
        crate::video::facts::parse(found.ftyp.as_deref(), &found.moov, bytes.len() as u64).ok()?;
    (facts.seconds.is_finite() && facts.seconds > 0.0)
        .then(|| (facts.seconds * 1000.0).round() as u64)
}

/// The client for video fetches: no proxy (the hosts are local in tests),
/// at most 5 redirects like the pre-flight.
pub fn client() -> std::io::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::limited(5))
        .connect_timeout(Duration::from_secs(10))
        .tls_backend_preconfigured(crate::tls::client_config().map_err(std::io::Error::other)?)
        .build()
        .map_err(std::io::Error::other)
}

/// Starts fetching `url` for `task_id`; the outcome is recorded in
/// `shared.video_fetches`. Cancelled with the sandbox.
pub fn start(shared: Arc<Shared>, task_id: String, url: String) {
    shared.fetching(&task_id, true);
    tokio::spawn(async move {
        let mut fetch = VideoFetch {
            task_id,
            url,
            ..VideoFetch::default()
        };
        tokio::select! {
            _ = shared.cancel.cancelled() => return,
            outcome = tokio::time::timeout(FETCH_TIMEOUT, read(&shared.video_http, &mut fetch)) => {
                if let Ok(Err(e)) | Err(e) = outcome.map_err(|_| "timed out".to_string()) {
                    fetch.error = Some(e);
                }
            }
        }
        tracing::debug!(task_id = %fetch.task_id, bytes = fetch.bytes, error = ?fetch.error, "sandbox: video fetched");
        let id = fetch.task_id.clone();
        shared.video_fetches.send_modify(|all| all.push(fetch));
        shared.fetching(&id, false);
    });
}

async fn read(http: &reqwest::Client, fetch: &mut VideoFetch) -> Result<(), String> {
    let response = http
        .get(&fetch.url)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    fetch.status = Some(response.status().as_u16());
    fetch.content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut hasher = Sha256::new();
    let mut kept = Vec::new();
    let mut body = response.bytes_stream();
    let mut outcome = Ok(());
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(chunk) => {
                fetch.bytes += chunk.len() as u64;
                hasher.update(&chunk);
                if fetch.bytes as usize <= KEEP_BYTES {
                    kept.extend_from_slice(&chunk);
                }
                if fetch.bytes > MAX_VIDEO_BYTES {
                    outcome = Err("larger than 100 MB".to_string());
                    break;
                }
            }
            Err(e) => {
                outcome = Err(e.to_string());
                break;
            }
        }
    }
    fetch.sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if outcome.is_ok() && fetch.bytes as usize <= KEEP_BYTES {
        fetch.duration_ms = duration_ms(&kept).await;
    }
    outcome
}
