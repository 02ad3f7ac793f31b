//! Streams result files to disk. (Being written.)

use crate::store::TaskRecord;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DownloadError {
    #[error("the file host answered HTTP {status} for {url}")]
    Http { status: u16, url: String },
    #[error("download failed: {0}; klang can retry")]
    Network(String),
    #[error("cannot write into {dir}: {message}")]
    Io { dir: String, message: String },
    #[error("the task has no result URL to download")]
    NoUrl,
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

#[derive(Clone)]
pub struct Downloader {
    http: reqwest::Client,
}

impl Downloader {
    pub fn new() -> Result<Downloader, String> {
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Downloader { http })
    }

    /// A client with no options, for when the configured one cannot be built.
    pub fn fallback() -> Downloader {
        Downloader {
            http: reqwest::Client::new(),
        }
    }

    /// Downloads `url` for `task` into `dir`, reporting (bytes, total).
    pub async fn fetch(
        &self,
        task: &TaskRecord,
        url: &str,
        dir: &Path,
        progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
    ) -> Result<PathBuf, DownloadError> {
        let _ = (&self.http, task, url, dir, progress);
        Err(DownloadError::NoUrl)
    }
}
