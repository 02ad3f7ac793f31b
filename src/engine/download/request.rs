//! Asking the file host: a plain GET, or a Range request (with If-Range)
//! that resumes a partial file, falling back to the whole file once when the
//! host cannot give the tail we asked for.

use super::files::io_error;
use super::{DownloadError, network_error, parse_content_range, redact};
use std::path::Path;

/// A response whose body continues the partial file at `start`.
pub(super) struct Answer {
    pub response: reqwest::Response,
    /// Where the body's first byte goes in the file (0: a whole file).
    pub start: u64,
    /// The whole file's size, when the host said.
    pub total: Option<u64>,
}

/// Sends the request for `url`, resuming `part` when it holds data. Two
/// tries at most: the second starts from zero after the host refused our
/// range.
pub(super) async fn open(
    http: &reqwest::Client,
    id: i64,
    url: &url::Url,
    part: &mut tokio::fs::File,
    validator_path: &Path,
    dir: &Path,
) -> Result<Answer, DownloadError> {
    let io = |e: std::io::Error| io_error(dir, &e);
    let mut retried = false;
    loop {
        let offset = part.metadata().await.map_err(io)?.len();
        let mut request = http.get(url.clone());
        if offset > 0 {
            request = request.header(reqwest::header::RANGE, format!("bytes={offset}-"));
            // If the file changed since the partial data arrived, the
            // server answers with the whole new file instead of a tail that
            // would not fit.
            if let Some(validator) = read_validator(validator_path).await {
                request = request.header(reqwest::header::IF_RANGE, validator);
            }
        }
        let response = request.send().await.map_err(network_error)?;
        let status = response.status();
        let length = response.content_length();
        if status == reqwest::StatusCode::PARTIAL_CONTENT {
            let range = response
                .headers()
                .get(reqwest::header::CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_content_range);
            match range {
                Some((first, size)) if first == offset => {
                    let total = size.or_else(|| length.map(|l| l + offset));
                    return Ok(Answer {
                        response,
                        start: offset,
                        total,
                    });
                }
                // A range we did not ask for: the bytes cannot be placed,
                // so start over once without a Range header.
                _ if offset > 0 && !retried => {
                    tracing::debug!(id, "unusable 206, restarting");
                    part.set_len(0).await.map_err(io)?;
                    retried = true;
                    continue;
                }
                _ => {
                    return Err(DownloadError::Network(format!(
                        "the file host sent an unusable partial response for {}",
                        redact(url)
                    )));
                }
            }
        }
        if status == reqwest::StatusCode::RANGE_NOT_SATISFIABLE && offset > 0 && !retried {
            // The partial file no longer fits the remote one (or is already
            // whole); the safe answer is a fresh download.
            tracing::debug!(id, offset, "416 on resume, restarting");
            part.set_len(0).await.map_err(io)?;
            retried = true;
            continue;
        }
        if status.is_success() {
            // A full body: any partial data is replaced.
            return Ok(Answer {
                response,
                start: 0,
                total: length,
            });
        }
        return Err(DownloadError::Http {
            status: status.as_u16(),
            url: redact(url),
        });
    }
}

/// What identifies this version of the file for `If-Range`: a strong ETag,
/// else Last-Modified (weak ETags are not allowed there). Kept beside the
/// partial file so a resume after a crash can use it.
pub(super) async fn write_validator(path: &Path, headers: &reqwest::header::HeaderMap) {
    let etag = headers
        .get(reqwest::header::ETAG)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.starts_with("W/"));
    let modified = headers
        .get(reqwest::header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok());
    match etag.or(modified) {
        Some(v) if !v.contains(['\r', '\n']) => {
            // Replaced through a random temporary file: a symlink planted
            // at the validator's predictable name is never written through.
            let (path, v) = (path.to_path_buf(), v.to_string());
            let written = tokio::task::spawn_blocking(move || {
                crate::atomic_file::write_replacing(&path, "validator", v.as_bytes())
            })
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
            if let Err(e) = written {
                tracing::debug!("cannot keep the download's validator: {e}");
            }
        }
        _ => {
            let _ = tokio::fs::remove_file(path).await;
        }
    }
}

async fn read_validator(path: &Path) -> Option<reqwest::header::HeaderValue> {
    let text = tokio::fs::read_to_string(path).await.ok()?;
    reqwest::header::HeaderValue::from_str(text.trim()).ok()
}
