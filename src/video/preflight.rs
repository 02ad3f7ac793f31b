//! The check of a `video_url` before a paid request: a HEAD, then ranged
//! GETs of the head and (for a `moov` written at the end) the tail, all
//! within one deadline, through the same file-host client as downloads
//! (no credentials, at most 5 redirects, never https down to http).

use super::locate::{HEAD_BYTES, Ranges, find_boxes};
use super::{Refusal, VideoFacts, boxes, facts, within_limits};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, HeaderMap, RANGE};
use std::time::Duration;

/// Bounds of one check.
#[derive(Clone, Debug)]
pub struct Limits {
    /// For the whole check: every request, redirect and byte.
    pub deadline: Duration,
    pub max_redirects: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            deadline: Duration::from_secs(10),
            max_redirects: 5,
        }
    }
}

/// Checks that `url` is a reachable MP4/MOV of at most 100 MB lasting
/// 3-20 s, reading a few hundred KB of it at most.
pub async fn check_url(url: &str, limits: &Limits) -> Result<VideoFacts, Refusal> {
    let deadline = limits.deadline;
    match tokio::time::timeout(deadline, check(url, limits)).await {
        Ok(result) => result,
        Err(_) => Err(Refusal::host(format!(
            "the video host did not answer within {} s",
            deadline.as_secs_f64()
        ))),
    }
}

async fn check(url: &str, limits: &Limits) -> Result<VideoFacts, Refusal> {
    let http =
        crate::file_host::file_host_client(limits.deadline, limits.deadline, limits.max_redirects)
            .map_err(Refusal::new)?;
    let mut source = Http {
        http,
        url: url.to_string(),
        total: None,
    };
    let (head_type, head_len) = source.head().await?;
    let (head, get_type) = source.first().await?;
    let content_type = get_type.or(head_type).unwrap_or_default();
    if !boxes::has_signature(&head) {
        return Err(not_a_video(&content_type));
    }
    let bytes = source.total.into_iter().chain(head_len).max().ok_or_else(|| {
        Refusal::host(
            "the video host does not say how large the video is, so the 100 MB limit cannot be checked",
        )
    })?;
    if bytes > super::MAX_BYTES {
        return Err(Refusal::new(format!(
            "video is {}; the provider takes at most 100 MB",
            facts::megabytes(bytes)
        )));
    }
    let found = find_boxes(&mut source, head, bytes).await?;
    let facts = facts::parse(found.ftyp.as_deref(), &found.moov, bytes)
        .map_err(|e| Refusal::new(format!("the video is not a valid MP4/MOV file: {e}")))?;
    within_limits(&facts)?;
    Ok(facts)
}

/// The refusal for a body that is not MP4/MOV, by what the host called it.
fn not_a_video(content_type: &str) -> Refusal {
    let shown: String = content_type
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(60)
        .collect();
    let essence = shown
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Refusal::new(if essence.starts_with("text/html") {
        "video_url is an HTML page, not a video: link the .mp4 or .mov file itself".to_string()
    } else if essence.starts_with("video/") {
        format!("video_url is {essence}, not MP4 or MOV; the provider takes MP4 or MOV")
    } else if essence.is_empty() {
        "video_url is not an MP4 or MOV video".to_string()
    } else {
        format!("video_url is not an MP4 or MOV video (the host says {essence})")
    })
}

struct Http {
    http: reqwest::Client,
    url: String,
    /// The file's size, from the first GET's Content-Range or Content-Length.
    total: Option<u64>,
}

fn network(e: &reqwest::Error) -> Refusal {
    let mut chain = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        chain = format!("{chain}: {cause}");
        source = cause.source();
    }
    let chain = crate::sanitize::single_line(&chain);
    if e.is_redirect() {
        return Refusal::new(format!("video_url cannot be fetched ({chain})"));
    }
    Refusal::host(format!("video_url cannot be fetched ({chain})"))
}

fn status_refusal(status: StatusCode) -> Refusal {
    let refusal = format!(
        "video_url answers {} {}: check the link",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    if status.is_server_error() {
        Refusal::host(refusal)
    } else {
        Refusal::new(refusal)
    }
}

fn header_str(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn header_u64(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<u64> {
    header_str(headers, name)?.trim().parse().ok()
}

/// The total of `bytes 0-99/12345`.
fn range_total(headers: &HeaderMap) -> Option<u64> {
    header_str(headers, CONTENT_RANGE)?
        .rsplit_once('/')?
        .1
        .trim()
        .parse()
        .ok()
}

impl Http {
    /// HEAD: reachable (a host that does not do HEAD is asked by GET).
    async fn head(&self) -> Result<(Option<String>, Option<u64>), Refusal> {
        let response = self
            .http
            .head(&self.url)
            .send()
            .await
            .map_err(|e| network(&e))?;
        let status = response.status();
        if status == StatusCode::METHOD_NOT_ALLOWED || status == StatusCode::NOT_IMPLEMENTED {
            return Ok((None, None));
        }
        if !status.is_success() {
            return Err(status_refusal(status));
        }
        let headers = response.headers();
        Ok((
            header_str(headers, CONTENT_TYPE),
            header_u64(headers, CONTENT_LENGTH),
        ))
    }

    /// The first bytes, the size and the content type.
    async fn first(&mut self) -> Result<(Vec<u8>, Option<String>), Refusal> {
        let response = self.get(0, HEAD_BYTES).await?;
        let headers = response.headers().clone();
        self.total = match response.status() {
            StatusCode::PARTIAL_CONTENT => range_total(&headers),
            _ => header_u64(&headers, CONTENT_LENGTH),
        };
        let body = capped(response, HEAD_BYTES).await?;
        Ok((body, header_str(&headers, CONTENT_TYPE)))
    }

    async fn get(&self, start: u64, cap: usize) -> Result<reqwest::Response, Refusal> {
        let last = start.saturating_add(cap.max(1) as u64 - 1);
        let response = self
            .http
            .get(&self.url)
            .header(RANGE, format!("bytes={start}-{last}"))
            .send()
            .await
            .map_err(|e| network(&e))?;
        let status = response.status();
        if status == StatusCode::OK && start > 0 {
            return Err(Refusal::host(
                "the video host ignores Range requests, so its index at the end of the file cannot be read",
            ));
        }
        if status != StatusCode::OK && status != StatusCode::PARTIAL_CONTENT {
            return Err(status_refusal(status));
        }
        Ok(response)
    }
}

/// At most `cap` bytes of the body, whatever Content-Length claims: the
/// rest is never read (the connection is dropped).
async fn capped(mut response: reqwest::Response, cap: usize) -> Result<Vec<u8>, Refusal> {
    let mut body = Vec::with_capacity(cap.min(64 * 1024));
    while body.len() < cap {
        match response.chunk().await.map_err(|e| network(&e))? {
            Some(chunk) => {
                let room = cap - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            None => break,
        }
    }
    Ok(body)
}

impl Ranges for Http {
    async fn read(&mut self, start: u64, cap: usize) -> Result<Vec<u8>, Refusal> {
        let response = self.get(start, cap).await?;
        capped(response, cap).await
    }
}
