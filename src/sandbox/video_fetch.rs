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
        shared.video_fetches.send_modify(|all| all.push(fetch));
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
    let mut body = response.bytes_stream();
    let mut outcome = Ok(());
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(chunk) => {
                fetch.bytes += chunk.len() as u64;
                hasher.update(&chunk);
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
    outcome
}
