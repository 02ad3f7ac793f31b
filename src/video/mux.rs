//! The dubbed video (`klang mux`, the dashboard's mux key): the task's
//! source video with the result's audio as its only audio track, the video
//! stream copied, cut to the shorter of the two, as MP4. ffmpeg does the
//! muxing (found on PATH like the players): no maintained pure-Rust crate
//! writes MP4 from an existing video stream and a new audio track. The
//! video is fetched with a bounded download (at most 100 MB, the provider's
//! own limit, within [`FETCH_DEADLINE`]) into the output directory and
//! removed afterwards. The file is written under a random temporary name
//! created exclusively (see [`crate::atomic_file`]) and renamed to its final
//! one, never replacing a file (a second mux gets `-2`).

use crate::api::CreateRequest;
use crate::store::TaskRecord;
use futures::StreamExt;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use tempfile::TempPath;
use tokio::io::AsyncWriteExt;

/// The one line for a machine without ffmpeg.
pub const NO_FFMPEG: &str = "muxing needs ffmpeg, which is not on PATH: install it (apt install ffmpeg, brew install ffmpeg, or see ffmpeg.org) and try again";

/// The whole download of a source video, connection to last byte.
pub const FETCH_DEADLINE: Duration = Duration::from_secs(120);

/// Where the video comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VideoSource {
    /// The `video_url` the task was made from.
    Url(String),
    /// A clip on disk.
    File(PathBuf),
}

/// Why there is no dubbed video, by who can fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MuxError {
    #[error("{NO_FFMPEG}")]
    NoFfmpeg,
    /// The task cannot be muxed as it is (no video to take, not done).
    #[error("{0}")]
    Unusable(String),
    /// The video could not be fetched.
    #[error("{0}")]
    Fetch(String),
    /// ffmpeg or the file system failed.
    #[error("{0}")]
    Failed(String),
}

/// The video task `record` was made from. A task made from a `video_id`
/// has none klang can fetch.
pub fn source_of(record: &TaskRecord) -> Result<VideoSource, MuxError> {
    let id = record.id;
    let CreateRequest::VideoToAudio(p) = &record.params else {
        return Err(MuxError::Unusable(format!(
            "#{id} is {}, not video to audio: only a video's soundtrack can be muxed",
            record.params.model().label()
        )));
    };
    match (&p.video_url, &p.video_id) {
        (Some(url), _) => Ok(VideoSource::Url(url.trim().to_string())),
        (None, Some(_)) => Err(MuxError::Unusable(format!(
            "#{id} was made from a video_id: klang has no copy of that video to mux"
        ))),
        (None, None) => Err(MuxError::Unusable(format!("#{id} names no video"))),
    }
}

/// ffmpeg on `path` (the process's PATH when None is given by the caller
/// as `std::env::var_os("PATH")`).
pub fn find_ffmpeg(path: Option<&OsStr>) -> Result<PathBuf, MuxError> {
    crate::audio::player::find_program("ffmpeg", path).ok_or(MuxError::NoFfmpeg)
}

/// The name of the muxed file for an audio file named `audio`: its stem
/// with `.mp4` (`…_walk.mp3` gives `…_walk.mp4`).
pub fn muxed_name(audio: &Path, id: i64) -> String {
    let stem = audio
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("task{id}"));
    format!("{stem}.mp4")
}

/// One mux: the video, the audio file, where and under which name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MuxJob {
    pub ffmpeg: PathBuf,
    pub video: VideoSource,
    pub audio: PathBuf,
    pub dir: PathBuf,
    pub name: String,
}

/// Fetches the video if needed, muxes, and returns the file written.
pub async fn run(job: MuxJob) -> Result<PathBuf, MuxError> {
    tokio::fs::create_dir_all(&job.dir)
        .await
        .map_err(|e| MuxError::Failed(format!("cannot create {}: {e}", job.dir.display())))?;
    // A fetched video is removed when `_fetched` is dropped.
    let (video, _fetched) = match &job.video {
        VideoSource::File(path) => (path.clone(), None),
        VideoSource::Url(url) => {
            let fetched = fetch_video(url, &job.dir).await?;
            (fetched.to_path_buf(), Some(fetched))
        }
    };
    let MuxJob {
        ffmpeg,
        audio,
        dir,
        name,
        ..
    } = job;
    tokio::task::spawn_blocking(move || mux_files(&ffmpeg, &video, &audio, &dir, &name))
        .await
        .map_err(|e| MuxError::Failed(format!("the mux stopped: {e}")))?
}

/// Downloads `url` into a new temporary file in `dir` (random name,
/// exclusive create: see [`crate::atomic_file`]): at most
/// [`crate::video::MAX_BYTES`], within [`FETCH_DEADLINE`], through the
/// file-host client (no credentials, at most 5 redirects, never https down
/// to http). The file is removed when the returned path is dropped, and at
/// once when the fetch fails.
pub async fn fetch_video(url: &str, dir: &Path) -> Result<TempPath, MuxError> {
    let failed =
        |e: std::io::Error| MuxError::Failed(format!("cannot write in {}: {e}", dir.display()));
    let (file, part) = crate::atomic_file::temp_in(dir, "video")
        .map_err(failed)?
        .into_parts();
    let file = tokio::fs::File::from_std(file);
    let fetched = tokio::time::timeout(FETCH_DEADLINE, fetch_into(url, file, &part)).await;
    match fetched {
        Ok(result) => result.map(|()| part),
        Err(_) => Err(MuxError::Fetch(format!(
            "the video did not arrive within {} s; try again later",
            FETCH_DEADLINE.as_secs()
        ))),
    }
}

async fn fetch_into(url: &str, mut file: tokio::fs::File, part: &Path) -> Result<(), MuxError> {
    let fetch = |e: String| {
        MuxError::Fetch(format!(
            "cannot fetch the video ({})",
            crate::sanitize::single_line(&e)
        ))
    };
    let http =
        crate::file_host::file_host_client(Duration::from_secs(10), Duration::from_secs(30), 5)
            .map_err(fetch)?;
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| fetch(error_chain(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(MuxError::Fetch(format!(
            "the video's URL answers {} {}: it may have expired or moved",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )));
    }
    let too_large = || {
        MuxError::Fetch("the video is now larger than 100 MB, more than the provider took".into())
    };
    if response
        .content_length()
        .is_some_and(|n| n > super::MAX_BYTES)
    {
        return Err(too_large());
    }
    let failed =
        |e: std::io::Error| MuxError::Failed(format!("cannot write {}: {e}", part.display()));
    let mut stream = response.bytes_stream();
    let mut written = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| fetch(error_chain(&e)))?;
        written += chunk.len() as u64;
        if written > super::MAX_BYTES {
            return Err(too_large());
        }
        file.write_all(&chunk).await.map_err(failed)?;
    }
    file.flush().await.map_err(failed)?;
    Ok(())
}

fn error_chain(e: &reqwest::Error) -> String {
    let mut chain = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        chain = format!("{chain}: {cause}");
        source = cause.source();
    }
    chain
}

/// Runs ffmpeg: `video`'s first video stream copied, `audio` as the only
/// audio track (AAC, which every player takes in MP4), the shorter of the
/// two deciding the length; written to a new temporary file in `dir`
/// (random name, exclusive create), then given `name` (or `name-2`, ...
/// when taken), never replacing anything.
pub fn mux_files(
    ffmpeg: &Path,
    video: &Path,
    audio: &Path,
    dir: &Path,
    name: &str,
) -> Result<PathBuf, MuxError> {
    // Dropping `part` on any error below removes it.
    let part = crate::atomic_file::temp_in(dir, "mux")
        .map_err(|e| MuxError::Failed(format!("cannot write in {}: {e}", dir.display())))?;
    let output = Command::new(ffmpeg)
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(video)
        .arg("-i")
        .arg(audio)
        .args([
            "-map",
            "0:v:0",
            "-map",
            "1:a:0",
            "-c:v",
            "copy",
            "-c:a",
            "aac",
            "-b:a",
            "192k",
            "-shortest",
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
        ])
        .arg(part.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| MuxError::Failed(format!("cannot run {}: {e}", ffmpeg.display())))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr);
        let last = said
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        let last: String = crate::sanitize::single_line(last)
            .chars()
            .take(200)
            .collect();
        return Err(MuxError::Failed(format!(
            "ffmpeg could not mux the video ({}): {last}",
            output.status
        )));
    }
    crate::atomic_file::persist_numbered(part, dir, name)
        .map(|(_, path)| path)
        .map_err(MuxError::Failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_muxed_file_is_named_after_the_audio() {
        assert_eq!(
            muxed_name(Path::new("/d/2026-12-03_v2a_12_walk.mp3"), 12),
            "2026-12-03_v2a_12_walk.mp4"
        );
        assert_eq!(muxed_name(Path::new("/"), 7), "task7.mp4");
    }

    #[test]
    fn no_ffmpeg_on_path_is_one_line_of_advice() {
        let empty = tempfile::tempdir().unwrap();
        let err = find_ffmpeg(Some(empty.path().as_os_str())).unwrap_err();
        assert_eq!(err, MuxError::NoFfmpeg);
        let line = err.to_string();
        assert!(
            line.contains("ffmpeg") && line.contains("install"),
            "{line}"
        );
        assert_eq!(line.lines().count(), 1);
    }
}
