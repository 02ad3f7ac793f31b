//! Streams result files to disk.
//!
//! A download goes to a hidden `.part` file in the target folder whose name
//! depends only on the task and the URL, so a later run after a crash finds
//! it and resumes with a `Range` request. Only a finished, synced file is
//! linked under its real name, and never over an existing file.
//!
//! Result URLs live on third-party hosts: the client here is separate from
//! the API client and sends no credentials of any kind.

mod body;
mod files;
pub mod naming;
mod request;
mod writer;

use files::{blocking, io_error, open_part, place, remove_if_empty, remove_stale_parts};

use crate::file_host::file_host_client;
#[cfg(test)]
use crate::file_host::redirect_refusal;
pub use crate::file_names::{MAX_NAME_BYTES, numbered};
pub use body::StallRule;
pub use naming::{extension, file_name, part_name, slug};

use crate::store::TaskRecord;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncSeekExt;

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
    /// The download client could not be set up (the TLS roots, say).
    #[error("cannot set up the download client: {0}; see the log (klang paths)")]
    Client(String),
    /// Another process holds the lock on this task's partial file.
    #[error("another klang is already downloading this file into {dir}; wait for it to finish")]
    InProgress { dir: String },
    /// The body's first bytes (and its content type) say it is not audio:
    /// an error page served with 200, say. Nothing was kept.
    #[error(
        "the result URL answered with {what}, not audio; nothing was kept: retry later, or refresh the task for a new link"
    )]
    NotAudio { what: String },
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
        ) || matches!(
            self,
            // An expired link often answers 200 with a page saying so.
            DownloadError::Network(_) | DownloadError::NotAudio { .. }
        )
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
    /// A host that keeps the connection alive with a trickle (one byte every
    /// few seconds defeats `read_timeout`) is dropped by this rule.
    pub stall: StallRule,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            max_redirects: 5,
            max_bytes: 1 << 30,
            stall: StallRule::default(),
        }
    }
}

#[derive(Clone)]
pub struct Downloader {
    http: reqwest::Client,
    options: DownloadOptions,
}

/// Name attempts before giving up (`name.ext` .. `name-9999.ext`).
pub(super) const MAX_NAME_ATTEMPTS: u32 = 9999;

impl Downloader {
    pub fn new() -> Result<Downloader, String> {
        Downloader::with_options(DownloadOptions::default())
    }

    pub fn with_options(options: DownloadOptions) -> Result<Downloader, String> {
        let http = file_host_client(
            options.connect_timeout,
            options.read_timeout,
            options.max_redirects,
        )?;
        Ok(Downloader { http, options })
    }

    /// Downloads `url` for `task` into `dir`, reporting (bytes, total), and
    /// returns the path of the new file. Resumes a partial file an earlier
    /// call left behind. Never overwrites an existing file. A body that is
    /// not audio is refused ([`DownloadError::NotAudio`]) and not kept.
    pub async fn fetch(
        &self,
        task: &TaskRecord,
        url: &str,
        dir: &Path,
        progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
    ) -> Result<PathBuf, DownloadError> {
        self.fetch_replacing(task, url, dir, None, progress).await
    }

    /// Like [`Downloader::fetch`], and `broken` (the task's earlier file,
    /// which is not audio) is replaced by the new one instead of being
    /// joined by a `-2` copy: overwritten in place when the new file takes
    /// its name, else removed once the new file is in. Only a file in `dir`
    /// is touched.
    pub async fn fetch_replacing(
        &self,
        task: &TaskRecord,
        url: &str,
        dir: &Path,
        broken: Option<PathBuf>,
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
        let broken = broken.filter(|b| b.parent() == Some(dir));
        let result = self
            .download(task, &request_url, dir, part, &part_path, broken, progress)
            .await;
        if result.is_err() {
            // An empty partial file (nothing arrived) is only litter.
            remove_if_empty(&part_path).await;
        }
        result
    }

    /// The transfer itself, once the partial file is open and locked:
    /// ask (resuming when part of the file is here), check the size, stream
    /// the body into the partial file, then place it under its real name.
    #[allow(clippy::too_many_arguments)]
    async fn download(
        &self,
        task: &TaskRecord,
        request_url: &url::Url,
        dir: &Path,
        part: File,
        part_path: &Path,
        broken: Option<PathBuf>,
        progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
    ) -> Result<PathBuf, DownloadError> {
        let io = |e: std::io::Error| io_error(dir, &e);
        let mut part = tokio::fs::File::from_std(part);
        let validator_path = part_path.with_extension("validator");
        let answer = request::open(
            &self.http,
            task.id,
            request_url,
            &mut part,
            &validator_path,
            dir,
        )
        .await?;
        let limit = self.options.max_bytes;
        if answer.total.is_some_and(|t| t > limit) {
            drop(part);
            let _ = tokio::fs::remove_file(part_path).await;
            return Err(DownloadError::TooLarge { limit });
        }
        let content_type = answer
            .response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if answer.start == 0 {
            part.set_len(0).await.map_err(io)?;
            request::write_validator(&validator_path, answer.response.headers()).await;
        } else {
            tracing::debug!(id = task.id, start = answer.start, "resuming download");
        }
        part.seek(std::io::SeekFrom::Start(answer.start))
            .await
            .map_err(io)?;
        let limits = body::Limits {
            max_bytes: limit,
            stall: self.options.stall,
        };
        let part = part.into_std().await;
        let (part, written) = body::stream_into(
            answer,
            part,
            body::Target {
                dir,
                part_path,
                content_type: content_type.as_deref(),
            },
            limits,
            progress,
        )
        .await?;
        // The cleaned URL has the same path as the original, so the same
        // extension.
        let name = file_name(task, request_url.as_str(), content_type.as_deref());
        let dir = dir.to_path_buf();
        let part_path = part_path.to_path_buf();
        let id = task.id;
        let placed = blocking(move || {
            let placed = place(part, &part_path, &dir, &name, broken.as_deref())?;
            let _ = std::fs::remove_file(part_path.with_extension("validator"));
            remove_stale_parts(&dir, id);
            Ok(placed)
        })
        .await?;
        progress(written, Some(written));
        Ok(placed)
    }
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
pub(super) fn redact(url: &url::Url) -> String {
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
pub(super) fn parse_content_range(value: &str) -> Option<(u64, Option<u64>)> {
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
pub(super) fn network_error(e: reqwest::Error) -> DownloadError {
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
