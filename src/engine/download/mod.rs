//! Streams result files to disk.
//!
//! A download goes to a hidden `.part` file in the target folder whose name
//! depends only on the task and the URL, so a later run after a crash finds
//! it and resumes with a `Range` request. Only a finished, synced file is
//! linked under its real name, and never over an existing file.
//!
//! Result URLs live on third-party hosts: the client here is separate from
//! the API client and sends no credentials of any kind.

mod files;
mod naming;

use files::{blocking, io_error, open_part, place, remove_if_empty, remove_stale_parts};

pub use naming::{MAX_NAME_BYTES, extension, file_name, numbered, part_name, slug};

use crate::store::TaskRecord;
use futures::StreamExt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DownloadError {
    #[error(
        "the file host answered HTTP {status} for {url}; refresh the task for a new link or retry later"
    )]
    Http { status: u16, url: String },
    #[error("download failed: {0}; klang can retry")]
    Network(String),
    #[error("cannot write into {dir}: {message}")]
    Io { dir: String, message: String },
    #[error("the task has no result URL to download; refresh it once it has completed")]
    NoUrl,
    /// The URL is not one we will fetch (bad syntax, or not http/https).
    /// Nothing was sent.
    #[error("will not download the result: {0}; refresh the task for a new link")]
    BadUrl(String),
    /// The body grew past [`DownloadOptions::max_bytes`]; the partial file
    /// was removed.
    #[error(
        "the file is larger than {limit} bytes, so klang stopped; raise the limit if it is expected"
    )]
    TooLarge { limit: u64 },
    /// Another process holds the lock on this task's partial file.
    #[error("another klang is already downloading this file into {dir}; wait for it to finish")]
    InProgress { dir: String },
}

impl DownloadError {
    /// The URL itself may have expired: worth asking the API for a fresh one.
    pub fn url_may_be_stale(&self) -> bool {
        matches!(
            self,
            DownloadError::Http {
                status: 403 | 404 | 410,
                ..
            }
        ) || matches!(self, DownloadError::Network(_))
    }
}

/// Limits for one [`Downloader`].
#[derive(Clone, Debug)]
pub struct DownloadOptions {
    pub connect_timeout: Duration,
    /// Longest wait for the next bytes (or the response headers). There is
    /// deliberately no total timeout: a big file on a slow link may take
    /// long, and that is fine as long as bytes keep coming.
    pub read_timeout: Duration,
    pub max_redirects: usize,
    /// A hostile or broken host could stream forever; audio results are far
    /// smaller than this.
    pub max_bytes: u64,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            max_redirects: 5,
            max_bytes: 1 << 30,
        }
    }
}

#[derive(Clone)]
pub struct Downloader {
    http: reqwest::Client,
    options: DownloadOptions,
}

/// Progress is reported at most this often (by time or by bytes), plus a
/// first and a final call.
const PROGRESS_BYTES: u64 = 64 * 1024;
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// Name attempts before giving up (`name.ext` .. `name-9999.ext`).
pub(super) const MAX_NAME_ATTEMPTS: u32 = 9999;

impl Downloader {
    pub fn new() -> Result<Downloader, String> {
        Downloader::with_options(DownloadOptions::default())
    }

    pub fn with_options(options: DownloadOptions) -> Result<Downloader, String> {
        let max_redirects = options.max_redirects;
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            match redirect_refusal(attempt.previous(), attempt.url(), max_redirects) {
                Some(why) => attempt.error(why),
                None => attempt.follow(),
            }
        });
        // A fresh client with no default headers: the API key lives in the
        // API client only and must never reach a file host. No Referer
        // either, so a signed URL is not echoed to the next hop.
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.read_timeout)
            .redirect(policy)
            .referer(false)
            .user_agent(concat!("klang/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Downloader { http, options })
    }

    /// A client with no options, for when the configured one cannot be built.
    pub fn fallback() -> Downloader {
        Downloader {
            http: reqwest::Client::new(),
            options: DownloadOptions::default(),
        }
    }

    /// Downloads `url` for `task` into `dir`, reporting (bytes, total), and
    /// returns the path of the new file. Resumes a partial file an earlier
    /// call left behind. Never overwrites an existing file.
    pub async fn fetch(
        &self,
        task: &TaskRecord,
        url: &str,
        dir: &Path,
        progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
    ) -> Result<PathBuf, DownloadError> {
        let request_url = checked_url(url)?;
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| io_error(dir, &e))?;
        let part_path = dir.join(part_name(task.id, url));
        let part = {
            let part_path = part_path.clone();
            let dir = dir.to_path_buf();
            blocking(move || open_part(&part_path, &dir)).await?
        };
        let result = self
            .download(task, &request_url, dir, part, &part_path, progress)
            .await;
        if result.is_err() {
            // An empty partial file (nothing arrived) is only litter.
            remove_if_empty(&part_path).await;
        }
        result
    }

    /// The transfer itself, once the partial file is open and locked.
    async fn download(
        &self,
        task: &TaskRecord,
        request_url: &url::Url,
        dir: &Path,
        part: File,
        part_path: &Path,
        progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
    ) -> Result<PathBuf, DownloadError> {
        let shown_url = redact(request_url);
        let io = |e: std::io::Error| io_error(dir, &e);
        let mut part = tokio::fs::File::from_std(part);

        // Two tries at most: the second starts from zero after the server
        // refused our range.
        let mut retried = false;
        let validator_path = part_path.with_extension("validator");
        let (response, start, total) = loop {
            let offset = part.metadata().await.map_err(io)?.len();
            let mut request = self.http.get(request_url.clone());
            if offset > 0 {
                request = request.header(reqwest::header::RANGE, format!("bytes={offset}-"));
                // If the file changed since the partial data arrived, the
                // server answers with the whole new file instead of a tail
                // that would not fit.
                if let Some(validator) = read_validator(&validator_path).await {
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
                        break (response, offset, total);
                    }
                    // A range we did not ask for: the bytes cannot be
                    // placed, so start over once without a Range header.
                    _ if offset > 0 && !retried => {
                        tracing::debug!(id = task.id, "unusable 206, restarting");
                        part.set_len(0).await.map_err(io)?;
                        retried = true;
                        continue;
                    }
                    _ => {
                        return Err(DownloadError::Network(format!(
                            "the file host sent an unusable partial response for {shown_url}"
                        )));
                    }
                }
            }
            if status == reqwest::StatusCode::RANGE_NOT_SATISFIABLE && offset > 0 && !retried {
                // The partial file no longer fits the remote one (or is
                // already whole); the safe answer is a fresh download.
                tracing::debug!(id = task.id, offset, "416 on resume, restarting");
                part.set_len(0).await.map_err(io)?;
                retried = true;
                continue;
            }
            if status.is_success() {
                // A full body: any partial data is replaced.
                break (response, 0, length);
            }
            return Err(DownloadError::Http {
                status: status.as_u16(),
                url: shown_url,
            });
        };

        let limit = self.options.max_bytes;
        if total.is_some_and(|t| t > limit) {
            drop(part);
            let _ = tokio::fs::remove_file(part_path).await;
            return Err(DownloadError::TooLarge { limit });
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if start == 0 {
            part.set_len(0).await.map_err(io)?;
            write_validator(&validator_path, response.headers()).await;
        } else {
            tracing::debug!(id = task.id, start, "resuming download");
        }
        part.seek(std::io::SeekFrom::Start(start))
            .await
            .map_err(io)?;

        let mut writer = BufWriter::with_capacity(256 * 1024, part);
        let mut written = start;
        let mut reported = (written, Instant::now());
        progress(written, total);
        let mut body = response.bytes_stream();
        let streamed: Result<(), DownloadError> = loop {
            match body.next().await {
                None => break Ok(()),
                Some(Err(e)) => break Err(network_error(e)),
                Some(Ok(chunk)) => {
                    let len = chunk.len() as u64;
                    if written.saturating_add(len) > limit {
                        break Err(DownloadError::TooLarge { limit });
                    }
                    if let Err(e) = writer.write_all(&chunk).await {
                        break Err(io(e));
                    }
                    written += len;
                    if written - reported.0 >= PROGRESS_BYTES
                        || reported.1.elapsed() >= PROGRESS_INTERVAL
                    {
                        progress(written, total);
                        reported = (written, Instant::now());
                    }
                }
            }
        };
        // Flush even on failure: whatever arrived is what the next attempt
        // resumes from.
        let flushed = writer.flush().await;
        let part = writer.into_inner().into_std().await;
        if let Err(e) = streamed {
            if matches!(e, DownloadError::TooLarge { .. }) {
                drop(part);
                let _ = tokio::fs::remove_file(part_path).await;
            } else {
                // Best effort: the error being returned matters more.
                let _ = blocking(move || {
                    let _ = part.sync_data();
                    Ok(())
                })
                .await;
            }
            return Err(e);
        }
        flushed.map_err(io)?;
        if let Some(expected) = total
            && written != expected
        {
            if written > expected {
                // More than announced: the partial data cannot be trusted
                // for a resume.
                drop(part);
                let _ = tokio::fs::remove_file(part_path).await;
            }
            return Err(DownloadError::Network(format!(
                "the file host sent {written} of {expected} bytes"
            )));
        }

        // The cleaned URL has the same path as the original, so the same
        // extension.
        let name = file_name(task, request_url.as_str(), content_type.as_deref());
        let placed = {
            let dir = dir.to_path_buf();
            let part_path = part_path.to_path_buf();
            let id = task.id;
            blocking(move || {
                let placed = place(part, &part_path, &dir, &name)?;
                let _ = std::fs::remove_file(part_path.with_extension("validator"));
                remove_stale_parts(&dir, id);
                Ok(placed)
            })
            .await?
        };
        progress(written, Some(total.unwrap_or(written)));
        Ok(placed)
    }
}

/// Why a redirect must not be followed, if it must not: too many, not
/// http(s), or from https down to plain http (where anyone on the way could
/// swap the file).
fn redirect_refusal(previous: &[url::Url], next: &url::Url, max: usize) -> Option<String> {
    if previous.len() > max {
        return Some(format!("more than {max} redirects"));
    }
    if !matches!(next.scheme(), "http" | "https") {
        return Some("redirected to a link that is not http or https".into());
    }
    if previous.iter().any(|u| u.scheme() == "https") && next.scheme() == "http" {
        return Some("redirected from https to plain http; refusing the downgrade".into());
    }
    None
}

/// What identifies this version of the file for `If-Range`: a strong ETag,
/// else Last-Modified (weak ETags are not allowed there). Kept beside the
/// partial file so a resume after a crash can use it.
async fn write_validator(path: &Path, headers: &reqwest::header::HeaderMap) {
    let etag = headers
        .get(reqwest::header::ETAG)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.starts_with("W/"));
    let modified = headers
        .get(reqwest::header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok());
    match etag.or(modified) {
        Some(v) if !v.contains(['\r', '\n']) => {
            if let Err(e) = tokio::fs::write(path, v).await {
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

/// Parses, checks and cleans the URL before anything is sent.
fn checked_url(url: &str) -> Result<url::Url, DownloadError> {
    let mut parsed = url::Url::parse(url.trim())
        .map_err(|e| DownloadError::BadUrl(format!("the result link is not a valid URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(DownloadError::BadUrl(format!(
            "the result link uses {}:, not http or https",
            naming::slug(parsed.scheme())
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(DownloadError::BadUrl("the result link has no host".into()));
    }
    // reqwest turns `user:pass@` into an Authorization header; we send no
    // credentials to file hosts, so drop them.
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    parsed.set_fragment(None);
    Ok(parsed)
}

/// The URL as shown in errors and logs: no query (signed links carry their
/// token there), no credentials, and not too long.
fn redact(url: &url::Url) -> String {
    let mut shown = format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.port().map(|p| format!(":{p}")).unwrap_or_default()
    );
    let path = url.path();
    if path.len() > 80 {
        let mut end = 80;
        while !path.is_char_boundary(end) {
            end -= 1;
        }
        shown.push_str(&path[..end]);
        shown.push('…');
    } else {
        shown.push_str(path);
    }
    shown
}

/// `bytes 100-199/200` → (100, Some(200)); `bytes 100-199/*` → (100, None).
fn parse_content_range(value: &str) -> Option<(u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, size) = rest.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    let first: u64 = first.trim().parse().ok()?;
    let last: u64 = last.trim().parse().ok()?;
    if last < first {
        return None;
    }
    let size = match size.trim() {
        "*" => None,
        s => Some(s.parse::<u64>().ok().filter(|s| *s > last)?),
    };
    Some((first, size))
}

/// A transport error as one line with its causes, without the URL.
fn network_error(e: reqwest::Error) -> DownloadError {
    if e.is_timeout() {
        return DownloadError::Network("the file host stopped sending data".into());
    }
    let e = e.without_url();
    let mut parts = vec![e.to_string()];
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    DownloadError::Network(one_line(&parts.join(": ")))
}

pub(super) fn one_line(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() > 200 {
        flat.chars().take(200).chain(std::iter::once('…')).collect()
    } else {
        flat
    }
}

#[cfg(test)]
mod tests;
